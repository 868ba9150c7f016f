/**
 * Issue 15, agency staff in the browser, over HTTP on a whole gateway with real OIDC sign-in: the
 * researcher's inbox shows exactly what the agency API's inbox hands the agency's system; the
 * research form answers through the API's own answer path (validation, audit, idempotency: a
 * double submit answers once) and the coordinator's pack cannot tell a browser answer from an
 * adapter's; drafts are sealed and audited; a bad form is a 400 with an error summary and nothing
 * written; another agency's request is a 404; a person whose agency claim names no registered,
 * enabled agency is refused with a page and an audited ACCESS_DENIED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, DEMO_USERS } from '../../../gateway/src/identity/oidc/demo-users.js';
import { describeResearchForm, parseResearchAnswer } from '../../../gateway/src/ui/forms/research-form.js';
import type { AgencyStaffPrincipal } from '../../../gateway/src/exchange/agency-staff.js';
import { referralForm, startWebWorld, type LoggedIn, type WebWorld } from './world.js';

let w: WebWorld;
let coord: LoggedIn;
let housing: LoggedIn;
let police: LoggedIn;

const USERS = [
  ...DEMO_USERS,
  { username: 'researcher@nowhere', password: DEMO_PASSWORD, name: 'Nobody Known', roles: ['agency_researcher'] as const, agency: 'no-such-agency' },
  { username: 'researcher@unclaimed', password: DEMO_PASSWORD, name: 'No Claim', roles: ['agency_researcher'] as const },
].map((u) => ({ ...u, roles: [...u.roles] }));

function days(n: number): { day: string; month: string; year: string } {
  const d = new Date(Date.now() + n * 86_400_000);
  return { day: String(d.getUTCDate()), month: String(d.getUTCMonth() + 1), year: String(d.getUTCFullYear()) };
}

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;|&rsquo;|&#x27;/g, '’').replace(/\s+/g, ' ');

/** Opens a case from the referral form and asks the agencies for research; returns case and request ids. */
async function caseAsking(recipients: string[]): Promise<{ caseId: string; requestId: string }> {
  const res = await w.form('/cases/new', coord, { ...referralForm(days(21)) });
  expect(res.status).toBe(303);
  const caseId = res.headers.get('location')!.split('?')[0]!.split('/').pop()!;
  const sent = await w.form(`/cases/${caseId}/research/new`, coord, { purpose: 'MARAC_RESEARCH', lookbackMonths: '12', scope: 'ALL', recipients });
  expect(sent.status).toBe(303);
  const requestId = new URL(sent.headers.get('location')!, w.base).searchParams.get('sent')!;
  return { caseId, requestId };
}

function staff(agencyId: string, agencyType: AgencyStaffPrincipal['agencyType'], userId: string): AgencyStaffPrincipal {
  return { kind: 'person', userId, displayName: 'x', roles: ['agency_researcher'], agencyId, agencyType };
}

async function audit(sql: string, params: unknown[]) {
  await w.t.gateway.audit.flush(w.t.gateway.pool);
  return (await w.t.db.pool.query(sql, params)).rows.map((r) => JSON.parse(r.canonical));
}

/** The housing answer the tests type into the form, by subject role. */
function housingForm(roles: string[]): Record<string, string | string[]> {
  const v = roles.indexOf('VICTIM');
  const p = roles.indexOf('PERPETRATOR');
  const c = roles.indexOf('CHILD');
  return {
    [`s${v}.match`]: 'MATCHED',
    [`s${v}.matchedOn`]: ['name', 'dob'],
    [`s${v}.currentInvolvement`]: 'true',
    [`s${v}.housing.tenure`]: 'COUNCIL',
    [`s${v}.housing.jointTenancyWithPerpetrator`]: 'true',
    [`s${v}.housing.asbCasesOpen`]: '0',
    [`s${v}.housing.rentArrearsBand`]: 'UNDER_500',
    [`s${v}.housing.sanctuaryScheme.installed`]: 'true',
    [`s${v}.housing.sanctuaryScheme.date-day`]: '1',
    [`s${v}.housing.sanctuaryScheme.date-month`]: '2',
    [`s${v}.housing.sanctuaryScheme.date-year`]: '2026',
    [`s${v}.withheld.count`]: '1',
    [`s${v}.withheld.0.fieldPath`]: 'housing.propertyUprn',
    [`s${v}.withheld.0.reason`]: 'THIRD_PARTY',
    [`s${p}.match`]: 'POSSIBLE',
    [`s${p}.matchedOn`]: 'name',
    [`s${p}.housing.homelessnessApplication.status`]: 'OPEN',
    ...(c >= 0 ? { [`s${c}.match`]: 'NOT_FOUND' } : {}),
    agencyRiskSummary: 'Tenancy officer worried about repeat visits.',
    completedByRole: 'Tenancy sustainment officer',
  };
}

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres', users: USERS });
  coord = await w.login('coordinator@essex-marat');
  housing = await w.login('researcher@chelmsford-housing');
  police = await w.login('researcher@essex-police');
});
afterAll(async () => {
  await w?.close();
});

describe('the researcher’s inbox', () => {
  it('shows each request exactly as the agency API’s inbox hands it to the agency, newest first, with its deadline', async () => {
    const first = await caseAsking(['chelmsford-housing']);
    // The agency's system collects the first over the API...
    const api = await w.t.as('chelmsford-housing').get('/v1/inbox?wait=2');
    const viaApi = api.body.messages.find((m: { requestId: string }) => m.requestId === first.requestId);
    const second = await caseAsking(['chelmsford-housing']);
    expect(viaApi).toBeDefined();
    // ...and the inbox service its staff's pages call gives the same view, to the byte.
    const forStaff = await w.t.gateway.exchange.inbox.staff.open(staff('chelmsford-housing', 'HOUSING', 'researcher@chelmsford-housing'), first.requestId);
    expect(forStaff.view).toEqual(viaApi);

    const res = await w.page('/agency/inbox', housing);
    expect(res.status).toBe(200);
    const html = await res.text();
    const at = (id: string) => html.indexOf(`data-request-id="${id}"`);
    expect(at(first.requestId)).toBeGreaterThan(0);
    expect(at(second.requestId)).toBeGreaterThan(0);
    expect(at(second.requestId)).toBeLessThan(at(first.requestId));
    expect(text(html)).toMatch(/Victim: Jane Sampleton/);
    expect(html).toContain(`href="/agency/requests/${first.requestId}/answer"`);

    // Every value the API released about a subject is on the answer page; nothing else of the case is.
    const page = text(await (await w.page(`/agency/requests/${first.requestId}/answer`, housing)).text());
    // (A name's kind of use and an identifier's system are shown in words, not as codes.)
    const leaves = (v: unknown): string[] => (v && typeof v === 'object'
      ? Object.entries(v as object).filter(([k]) => k !== 'use' && k !== 'system').flatMap(([, x]) => leaves(x)) : typeof v === 'string' ? [v] : []);
    for (const s of viaApi.request.subjects as Record<string, unknown>[]) {
      const { subjectId: _s, role: _r, ...released } = s;
      for (const value of leaves(released)) expect(page).toContain(value);
    }
    for (const secret of ['Asking would alert the perpetrator', 'A. Example, MARAC coordinator']) expect(page).not.toContain(secret);
    // The second request was collected by the page itself, as the API would: delivered and audited.
    const delivered = await audit(`SELECT canonical FROM audit_events WHERE action = 'DELIVERED' AND request_id = $1`, [second.requestId]);
    expect(delivered).toHaveLength(1);
    expect(delivered[0].actor).toMatchObject({ kind: 'person', userId: 'researcher@chelmsford-housing', agencyId: 'chelmsford-housing' });
  });

  it('each agency’s staff see only their agency’s requests: another agency’s request is a 404', async () => {
    const { requestId } = await caseAsking(['chelmsford-housing']);
    const inbox = await (await w.page('/agency/inbox', police)).text();
    expect(inbox).not.toContain(requestId);
    for (const r of [
      await w.page(`/agency/requests/${requestId}/answer`, police),
      await w.form(`/agency/requests/${requestId}/answer`, police, { action: 'save', 's0.match': 'MATCHED' }),
      await w.form(`/agency/requests/${requestId}/decline`, police, { declineReason: 'NOT_KNOWN', idempotencyKey: 'web-cross-agency-1' }),
    ]) expect(r.status).toBe(404);
    const drafts = await w.t.db.pool.query('SELECT count(*)::int AS n FROM research_drafts d JOIN messages m ON m.id = d.message_id WHERE m.request_id = $1', [requestId]);
    expect(drafts.rows[0].n).toBe(0);
  });
});

describe('the research form', () => {
  it('is generated from the housing schema; "Add another" adds a group; a draft is sealed and audited', async () => {
    const { requestId } = await caseAsking(['chelmsford-housing']);
    const html = await (await w.page(`/agency/requests/${requestId}/answer`, housing)).text();
    expect(html).toContain('Housing research payload');
    expect(html).toContain('name="s0.housing.sanctuaryScheme.date-day"');
    expect(html).toContain('name="s0.housing.tenure"');
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(html)![1]!;

    const added = await w.form(`/agency/requests/${requestId}/answer`, housing, { action: 'add:s0.withheld', 's0.withheld.count': '1', idempotencyKey: key, agencyRiskSummary: 'kept' });
    expect(added.status).toBe(200);
    const addedHtml = await added.text();
    expect(addedHtml).toContain('name="s0.withheld.1.fieldPath"');
    expect(addedHtml).toContain('>kept</textarea>');

    const saved = await w.form(`/agency/requests/${requestId}/answer`, housing, { action: 'save', 's0.match': 'MATCHED', agencyRiskSummary: 'Draft words only we know', idempotencyKey: key });
    expect(saved.status).toBe(303);
    const row = (await w.t.db.pool.query('SELECT d.* FROM research_drafts d JOIN messages m ON m.id = d.message_id WHERE m.request_id = $1', [requestId])).rows[0];
    expect(row.agency_id).toBe('chelmsford-housing');
    expect(Buffer.from(row.sealed_ciphertext).toString('latin1')).not.toContain('Draft words');
    const events = await audit(`SELECT canonical FROM audit_events WHERE action = 'RESEARCH_DRAFT_SAVED' AND request_id = $1`, [requestId]);
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events[0])).not.toContain('Draft words');
    const again = await (await w.page(`/agency/requests/${requestId}/answer`, housing)).text();
    expect(again).toContain('Draft words only we know');
    expect(again).toMatch(/value="MATCHED" checked/);
  });

  it('a bad form is a 400 with an error summary, and nothing is written', async () => {
    const { requestId } = await caseAsking(['chelmsford-housing']);
    await w.page(`/agency/requests/${requestId}/answer`, housing);
    const res = await w.form(`/agency/requests/${requestId}/answer`, housing, {
      action: 'submit', idempotencyKey: 'web-bad-form-0001',
      's0.match': 'MATCHED', 's0.housing.sanctuaryScheme.date-day': '31', 's0.housing.sanctuaryScheme.date-month': '2', 's0.housing.sanctuaryScheme.date-year': '2026',
      's0.housing.asbCasesOpen': 'lots',
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('govuk-error-summary');
    expect(html).toContain('href="#s0.housing.sanctuaryScheme.date-day"');
    expect(html).toContain('href="#s1.match"');
    expect(html).toMatch(/<title>Error: /);
    const m = (await w.t.db.pool.query('SELECT state FROM messages WHERE request_id = $1', [requestId])).rows[0];
    expect(m.state).toBe('delivered');
    const answers = await w.t.db.pool.query('SELECT count(*)::int AS n FROM responses WHERE request_id = $1', [requestId]);
    expect(answers.rows[0].n).toBe(0);
    expect(await audit(`SELECT canonical FROM audit_events WHERE action = 'RESPONSE_RECEIVED' AND request_id = $1`, [requestId])).toHaveLength(0);
    const bad = await w.form(`/agency/requests/${requestId}/decline`, housing, { declineReason: 'OTHER', idempotencyKey: 'web-bad-form-0002' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('href="#declineNote"');
  });

  it('an answer sent in the browser goes through the API’s answer path once, and the pack cannot tell it from an adapter’s', async () => {
    const web = await caseAsking(['chelmsford-housing']);
    const api = await caseAsking(['chelmsford-housing']);
    const html = await (await w.page(`/agency/requests/${web.requestId}/answer`, housing)).text();
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(html)![1]!;
    const roles = [...html.matchAll(/id="subject-\d+-heading">([A-Za-z ]+?)(?::|<)/g)].map((m) => ({ Victim: 'VICTIM', Perpetrator: 'PERPETRATOR', Child: 'CHILD' } as Record<string, string>)[m[1]!.trim()]!);
    expect(roles).toContain('VICTIM');
    const fields = { ...housingForm(roles), action: 'submit', idempotencyKey: key };

    const first = await w.form(`/agency/requests/${web.requestId}/answer`, housing, fields);
    expect(first.status, await first.clone().text().then((h) => text(h).slice(0, 600))).toBe(303);
    expect(first.headers.get('location')).toBe(`/agency/inbox?answered=${web.requestId}`);
    // The same form sent again (a double click, a retry): answered once.
    const second = await w.form(`/agency/requests/${web.requestId}/answer`, housing, fields);
    expect(second.status).toBe(303);
    expect((await w.t.db.pool.query('SELECT count(*)::int AS n FROM responses WHERE request_id = $1', [web.requestId])).rows[0].n).toBe(1);
    const received = await audit(`SELECT canonical FROM audit_events WHERE action = 'RESPONSE_RECEIVED' AND request_id = $1`, [web.requestId]);
    expect(received).toHaveLength(1);
    // The log says who: the person, for their agency.
    expect(received[0].actor).toEqual({ kind: 'person', userId: 'researcher@chelmsford-housing', roles: ['agency_researcher'], agencyId: 'chelmsford-housing' });

    // The same answer from the agency's system over the API, for the other case.
    const polled = await w.t.as('chelmsford-housing').get('/v1/inbox?wait=2');
    const msg = polled.body.messages.find((m: { requestId: string }) => m.requestId === api.requestId);
    const apiRoles = (msg.request.subjects as { role: string }[]).map((s) => s.role);
    const form = describeResearchForm('HOUSING', msg.request.subjects, housingForm(apiRoles));
    const parsed = parseResearchAnswer(form, housingForm(apiRoles));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors.items));
    const sent = await w.t.as('chelmsford-housing').post(`/v1/research-requests/${api.requestId}/response`, parsed.body, { 'Idempotency-Key': 'adapter-same-answer-1' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);

    const section = async (caseId: string) => {
      const pack = await w.t.as('essex-marat').get(`/v1/cases/${caseId}/research`);
      expect(pack.status).toBe(200);
      const s = pack.body.sections.find((x: { agencyId: string }) => x.agencyId === 'chelmsford-housing');
      const { messageId: _m, requestId: _r, deadline: _d, answeredAt: _a, ...rest } = s;
      // Subject ids are per case: compare by role.
      return JSON.parse(JSON.stringify({ ...rest, subjects: rest.subjects.map(({ subjectId: _s, ...x }: { subjectId: string }) => x) })
        .replaceAll(/subj_[0-9a-f]{32}/g, 'subj'));
    };
    const fromWeb = await section(web.caseId);
    expect(fromWeb.release.released).toBe(true);
    expect(fromWeb.subjects.find((s: { role: string }) => s.role === 'VICTIM').view.housing.tenure).toBe('COUNCIL');
    expect(fromWeb).toEqual(await section(api.caseId));

    // The inbox now says it was answered; the form is no longer offered.
    const inbox = await (await w.page(`/agency/inbox?answered=${web.requestId}`, housing)).text();
    expect(inbox).toContain('Your answer has been sent');
    expect(inbox).not.toContain(`href="/agency/requests/${web.requestId}/answer"`);
    expect((await w.t.db.pool.query('SELECT count(*)::int AS n FROM research_drafts d JOIN messages m ON m.id = d.message_id WHERE m.request_id = $1', [web.requestId])).rows[0].n).toBe(0);
  });

  it('a decline goes through the API’s decline path', async () => {
    const { requestId } = await caseAsking(['chelmsford-housing']);
    await w.page(`/agency/requests/${requestId}/answer`, housing);
    const res = await w.form(`/agency/requests/${requestId}/decline`, housing, { declineReason: 'NOT_KNOWN', idempotencyKey: 'web-decline-0001' });
    expect(res.status).toBe(303);
    expect((await w.t.db.pool.query('SELECT state FROM messages WHERE request_id = $1', [requestId])).rows[0].state).toBe('declined');
    const events = await audit(`SELECT canonical FROM audit_events WHERE action = 'DECLINED' AND request_id = $1`, [requestId]);
    expect(events[0].actor).toMatchObject({ kind: 'person', agencyId: 'chelmsford-housing' });
  });
});

describe('a person whose agency claim names no registered, enabled agency', () => {
  it.each([
    ['researcher@unclaimed', 'AGENCY_CLAIM_MISSING'],
    ['researcher@nowhere', 'AGENCY_NOT_REGISTERED'],
  ])('%s is refused with a page, and the refusal is audited (%s)', async (username, reason) => {
    const who = await w.login(username);
    const res = await w.page('/agency/inbox', who);
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain('You cannot act for an agency yet');
    expect(html).toContain(reason);
    const events = await audit(`SELECT canonical FROM audit_events WHERE action = 'ACCESS_DENIED' AND reason_code = $1 ORDER BY seq DESC LIMIT 1`, [reason]);
    expect(events[0].actor).toMatchObject({ kind: 'person', userId: username });
    expect(JSON.stringify(events[0])).not.toContain('no-such-agency');
    expect(events[0].detail.route).toBe('/agency/inbox');
  });

  it('staff of a disabled agency are refused on their next page', async () => {
    await w.t.gateway.registry.disableAgency({ kind: 'system', component: 'test' }, 'essex-police');
    try {
      const res = await w.page('/agency/inbox', police);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('AGENCY_DISABLED');
    } finally {
      await w.t.gateway.registry.enableAgency?.({ kind: 'system', component: 'test' }, 'essex-police');
    }
  });
});
