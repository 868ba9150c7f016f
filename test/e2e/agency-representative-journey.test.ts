/**
 * Issue 15's representatives in real Chromium through the real OIDC sign-in. Set up over the agency
 * API: a case on a meeting's agenda, researched by police, housing and the IDVA service, its
 * minutes and three actions (police, housing, IDVA). Before the coordinator circulates, the IDVA
 * representative's case page says the pack and the minutes are not yet circulated (decision 0033).
 * Then, circulated: the IDVA representative
 * (rep@safe-steps-idva) reads the circulated pack and minutes as released to the IDVA service and
 * downloads its own .docx and PDF; the housing representative does not see what the IDVA sees; the
 * housing representative updates its action on /agency/actions (seeing its text, as released); the
 * police adapter updates its action through the SDK. Screenshots looked at, axe clean.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorld, type WebWorld } from '../integration/web/world.js';
import { sampleResponse, subjectIds } from '../integration/exchange/fixtures.js';
import { circulate } from '../integration/meetings/minutes-fixtures.js';
import { agencyFetch } from '../helpers/pki.js';
import { docxText, pdfText } from '../helpers/documents.js';
import { createGatewayClient } from '../../adapters/sdk/client.js';
import { browserPages, capture, dayParts, downloadOf, ensureShotDirs, launchChromium, meetingWithAgenda, signIn } from './helpers.js';

const TIMEOUT = 420_000;
const PARTIES = { police: 'essex-police', housing: 'chelmsford-housing', idva: 'safe-steps-idva' } as const;
const FILES: Record<string, string> = { 'essex-police': 'response-police.json', 'chelmsford-housing': 'response-housing.json', 'safe-steps-idva': 'response-idva.json' };
const VOICE = 'She wants the children to stay at their school and asked for help with the locks.';

let w: WebWorld;
let browser: Browser;
const pages = browserPages(() => browser);
let caseId: string;
let meetingId: string;
const actionOf: Record<string, string> = {};

beforeAll(async () => {
  await ensureShotDirs();
  [w, browser] = await Promise.all([startWebWorld({ queue: 'postgres', workers: false }), launchChromium()]);
  const coord = w.t.as('essex-marat');
  const listed = await meetingWithAgenda(coord, dayParts(5).iso, 1);
  [meetingId, caseId] = [listed.meetingId, listed.caseIds[0]!];
  const ids = subjectIds(listed.created[0]);
  const req = await coord.post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: Object.values(PARTIES) });
  expect(req.status, JSON.stringify(req.body)).toBe(201);
  for (const agency of Object.values(PARTIES)) {
    await w.t.as(agency).get('/v1/inbox');
    const a = await w.t.as(agency).post(`/v1/research-requests/${req.body.requestId}/response`, sampleResponse(FILES[agency]!, ids), { 'Idempotency-Key': `rep-${agency}` });
    expect(a.status, JSON.stringify(a.body)).toBeLessThan(300);
  }
  const base = w.t.gateway.agencyUrl.replace('localhost', '127.0.0.1');
  const put = await agencyFetch(base, w.t.creds.get('essex-marat')!, `/v1/meetings/${meetingId}/cases/${caseId}/minutes`, {
    method: 'PUT', body: { version: 0, minutes: { victimVoice: VOICE, risks: 'Escalation since the hearing.', decisions: 'Sanctuary scheme; police marker.' } },
  });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  for (const [owner, description] of [
    [PARTIES.police, 'Place a marker on the address for an urgent response.'],
    [PARTIES.housing, 'Fit a sanctuary scheme with new locks.'],
    [PARTIES.idva, 'Tell the survivor the outcome.'],
  ] as const) {
    const r = await coord.post(`/v1/cases/${caseId}/actions`, { description, ownerAgencyId: owner, dueOn: dayParts(19).iso, meetingId });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    actionOf[owner] = r.body.id;
  }
});
afterAll(async () => {
  await pages.closeAll();
  await browser?.close();
  await w?.close();
});

/** Text leaves of police's answer as circulated to `agency` (the agency API's release). */
async function policeLeaves(agency: string): Promise<string[]> {
  const r = await w.t.as(agency).get(`/v1/cases/${caseId}/circulated-pack`);
  expect(r.status).toBe(200);
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string' && v.length >= 12 && v.includes(' ')) out.push(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(r.body.sections.find((s: { agencyId: string }) => s.agencyId === PARTIES.police)?.subjects);
  return out;
}

async function repCasePage(username: string): Promise<Page> {
  const page = await pages.open();
  await signIn(page, w.base, username, '/agency/cases');
  await page.locator(`a[href="/agency/cases/${caseId}"]`).first().click();
  await page.waitForURL(new RegExp(`/agency/cases/${caseId}$`));
  return page;
}

describe('agency representatives after the meeting', () => {
  it('before the coordinator circulates, the IDVA representative’s case page says the pack and the minutes are not yet circulated', async () => {
    const idva = await repCasePage('rep@safe-steps-idva');
    expect(await idva.locator('[data-state="pack-not-circulated"]').innerText()).toContain('Not yet circulated');
    expect(await idva.locator('[data-state="minutes-not-circulated"]').innerText()).toContain('Not yet circulated');
    const text = await idva.locator('main').innerText();
    expect(text).not.toContain(VOICE);
    expect(await idva.getByRole('button', { name: /^Download/ }).count()).toBe(0);
    expect(await capture(idva, 'agency-rep-case-not-circulated')).toEqual([]);
    // The coordinator circulates the research pack before the meeting and the minutes after it.
    await circulate(w.t.gateway.pool, w.t.as('essex-marat'), meetingId, 'pack');
    await circulate(w.t.gateway.pool, w.t.as('essex-marat'), meetingId, 'minutes');
  }, TIMEOUT);

  it('the IDVA representative reads and downloads the pack and minutes redacted for the IDVA service; housing’s representative does not see what IDVA sees', async () => {
    // What the IDVA service's release holds of police's answer and housing's does not.
    const housingLeaves = new Set(await policeLeaves(PARTIES.housing));
    const onlyIdva = (await policeLeaves(PARTIES.idva)).filter((s) => !housingLeaves.has(s));
    expect(onlyIdva.length).toBeGreaterThan(0);

    const idva = await repCasePage('rep@safe-steps-idva');
    const idvaText = await idva.locator('main').innerText();
    for (const s of onlyIdva) expect(idvaText).toContain(s);
    expect(idvaText).toContain(VOICE);
    expect(await capture(idva, 'agency-rep-case', { docs: true })).toEqual([]);
    const packDocx = await downloadOf(idva, () => idva.getByRole('button', { name: 'Download the pack as Word (.docx)' }).click());
    expect(packDocx.name).toBe(`research-pack-${caseId}-for-${PARTIES.idva}.docx`);
    const packText = docxText(packDocx.body);
    for (const s of onlyIdva) expect(packText.body).toContain(s);
    expect(packText.headers.join(' ')).toContain('Produced for Safe Steps IDVA service only');
    const minutesPdf = await downloadOf(idva, () => idva.getByRole('button', { name: 'Download the minutes as PDF' }).click());
    expect(minutesPdf.name).toBe(`minutes-${meetingId}-${caseId}-for-${PARTIES.idva}.pdf`);
    expect(pdfText(minutesPdf.body).text.replace(/\s+/g, ' ')).toContain(VOICE);

    const housing = await repCasePage('rep@chelmsford-housing');
    const housingText = await housing.locator('main').innerText();
    for (const s of onlyIdva) expect(housingText).not.toContain(s);
    expect(housingText).not.toContain(VOICE);
    expect(housingText).toContain('Sanctuary scheme; police marker.');
    const housingDocx = docxText((await downloadOf(housing, () => housing.getByRole('button', { name: 'Download the pack as Word (.docx)' }).click())).body);
    for (const s of onlyIdva) expect(housingDocx.body).not.toContain(s);
    expect(await capture(housing, 'agency-rep-case-housing')).toEqual([]);
  }, TIMEOUT);

  it('an action updated by its owner in the browser (housing) and by an adapter through the SDK (police)', async () => {
    const page = await pages.open();
    await signIn(page, w.base, 'rep@chelmsford-housing', '/agency/actions');
    const mine = page.locator('section', { has: page.locator(`form[action="/agency/actions/${actionOf[PARTIES.housing]}"]`) });
    expect(await mine.innerText()).toContain('Fit a sanctuary scheme with new locks.');
    expect(await page.locator('main').innerText()).not.toContain('Place a marker');
    expect(await capture(page, 'agency-actions', { docs: true })).toEqual([]);
    await mine.getByLabel('Status').selectOption('DONE');
    await mine.getByLabel('Note').fill('Locks fitted and a door chain added');
    await mine.getByRole('button', { name: 'Update action' }).click();
    await page.waitForURL(/\/agency\/actions\?updated=1$/);
    await mine.getByText('Updates (1)').click();
    expect(await mine.innerText()).toContain('Locks fitted and a door chain added');

    const c = w.t.creds.get(PARTIES.police)!;
    const police = createGatewayClient({ baseUrl: w.t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), certPem: c.certPem, keyPem: c.keyPem, caPem: c.caPem });
    try {
      const open = await police.listActions();
      expect(open.find((a) => a.id === actionOf[PARTIES.police])?.description).toBe('Place a marker on the address for an urgent response.');
      await police.updateAction(actionOf[PARTIES.police]!, { status: 'DONE', note: 'Marker placed' });
    } finally {
      police.close();
    }
    // The coordinator's view: both done, each by its owner.
    const plan = await w.t.as('essex-marat').get(`/v1/cases/${caseId}/actions`);
    const byId = new Map(plan.body.actions.map((a: { id: string }) => [a.id, a]));
    for (const owner of [PARTIES.housing, PARTIES.police]) {
      expect(byId.get(actionOf[owner])).toMatchObject({ status: 'DONE', updates: [{ status: 'DONE', byAgencyId: owner }] });
    }
  }, TIMEOUT);
});
