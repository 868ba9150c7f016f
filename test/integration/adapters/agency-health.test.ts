/**
 * Adapter health as the gateway sees it (issue 16): an agency's last contact (its inbox polls),
 * its backlog and what is past its deadline, shown to administrators on the agency's page and as
 * metrics labelled by agency id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorld, type LoggedIn, type WebWorld } from '../web/world.js';
import { readAdapterHealth } from '../../../gateway/src/exchange/agency-health.js';
import { generatePopulation } from '../../../adapters/sdk/synthetic/population.js';
import { caseBody } from '../../../adapters/sdk/synthetic/cases.js';

let w: WebWorld;
let admin: LoggedIn;

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres' });
  admin = await w.login('admin');
});
afterAll(async () => {
  await w?.close();
});

const health = async (agency: string) => (await readAdapterHealth(w.t.db.pool, new Date(), agency))[0]!;

describe('adapter health', () => {
  it('an adapter that has never polled shows no contact; a poll is its last contact', async () => {
    expect((await health('kss-probation')).lastContactAt).toBeNull();
    const before = new Date();
    expect((await w.t.as('kss-probation').get('/v1/inbox')).status).toBe(200);
    await expect.poll(async () => (await health('kss-probation')).lastContactAt?.getTime() ?? 0, { timeout: 10_000 }).toBeGreaterThanOrEqual(before.getTime() - 1000);
  });

  it('a request not yet answered is backlog; the admin sees it on the agency page, and as metrics', async () => {
    const pop = generatePopulation();
    const household = pop.households[0]!;
    const c = await w.t.as('essex-marat').post('/v1/cases', caseBody(pop, household, { meetingDate: new Date(Date.now() + 21 * 86_400_000).toISOString().slice(0, 10), maxChildren: 0 }));
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    const r = await w.t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['kss-probation'], requestedDomains: ['SUPERVISION'], lookbackMonths: 12 });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    await expect.poll(async () => (await health('kss-probation')).backlog, { timeout: 10_000 }).toBe(1);

    const page = await w.page('/agencies/kss-probation', admin);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<h2 class="govuk-heading-l">Adapter</h2>');
    expect(html).toMatch(/Waiting for an answer[\s\S]*?1 request\b/);
    expect(html).not.toContain('Never: the adapter has not collected its inbox');
    const victim = pop.people.find((p) => p.personId === household.victimId);
    if (victim) expect(html).not.toContain(victim.family);

    const metrics = await (await fetch(`${w.t.gateway.opsUrl}/metrics`)).text();
    expect(metrics).toMatch(/marac_agency_backlog\{agency="kss-probation"\} 1/);
    expect(metrics).toMatch(/marac_agency_last_contact_seconds\{agency="kss-probation"\} \d/);
    expect(metrics).not.toMatch(/marac_agency_last_contact_seconds\{agency="safe-steps-idva"\}/);
  });

  it('the page is for administrators only', async () => {
    const coord = await w.login('coordinator@essex-marat');
    expect((await w.page('/agencies/kss-probation', coord)).status).toBe(403);
  });
});
