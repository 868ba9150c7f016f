/**
 * Issue 13, over HTTP on a whole gateway: the case page says who the case is about (audited, no
 * values in the log), research grouped by request round with field labels and reasons in words,
 * research requests asking for every domain unless narrowed, the threshold checked when a case is
 * opened from the web form, and maker-checker buttons offered only to who may press them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESEARCH_DOMAINS } from '../../../gateway/src/exchange/request-service.js';
import { referralForm, sampleResponseFor, startWebWorld, type LoggedIn, type WebWorld } from './world.js';

let w: WebWorld;
let coord: LoggedIn;

function days(n: number): { day: string; month: string; year: string } {
  const d = new Date(Date.now() + n * 86_400_000);
  return { day: String(d.getUTCDate()), month: String(d.getUTCMonth() + 1), year: String(d.getUTCFullYear()) };
}

function fieldErrors(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<p id="([^"]+)-error" class="govuk-error-message">\s*<span class="govuk-visually-hidden">Error:<\/span>([^<]*)<\/p>/g)) {
    out[m[1]!] = m[2]!.trim();
  }
  return out;
}

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;|&rsquo;|&#x27;/g, '’').replace(/\s+/g, ' ');

async function openCase(extra: Record<string, string | string[]> = {}): Promise<string> {
  const res = await w.form('/cases/new', coord, { ...referralForm(days(21)), externalRef: 'MN-2026-0142', ...extra });
  expect(res.status, await res.clone().text().then((h) => JSON.stringify(fieldErrors(h)))).toBe(303);
  return res.headers.get('location')!.split('?')[0]!;
}

async function ask(caseUrl: string, fields: Record<string, string | string[]>): Promise<Response> {
  return w.form(`${caseUrl}/research/new`, coord, { purpose: 'MARAC_RESEARCH', lookbackMonths: '12', ...fields });
}

async function answerAll(caseId: string, files: Record<string, string>): Promise<void> {
  for (const [agency, file] of Object.entries(files)) {
    const inbox = await w.t.as(agency).get('/v1/inbox?wait=2');
    for (const msg of inbox.body.messages.filter((m: { caseId: string }) => m.caseId === caseId)) {
      await w.t.as(agency).post(`/v1/inbox/${msg.messageId}/ack`);
      const r = await w.t.as(agency).post(`/v1/research-requests/${msg.requestId}/response`, sampleResponseFor(file, msg.request.subjects), { 'Idempotency-Key': `cp-${msg.messageId}` });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
  }
}

async function lastRequestDomains(caseId: string): Promise<string[]> {
  const r = await w.t.db.pool.query('SELECT requested_domains FROM research_requests WHERE case_id = $1 ORDER BY created_at DESC LIMIT 1', [caseId]);
  return r.rows[0]?.requested_domains;
}

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres' });
  coord = await w.login('coordinator@essex-marat');
});
afterAll(async () => {
  await w?.close();
});

describe('the case page says who the case is about', () => {
  it('names, dates of birth with age, reference, Dash score, criteria, consent and lawful basis; a confidential address says so', async () => {
    const caseUrl = await openCase();
    const caseId = caseUrl.split('/').pop()!;
    await w.t.gateway.audit.flush(w.t.gateway.pool);
    // The case page's read of the case itself (its other reads, of actions and listings, are events of their own).
    const before = (await w.t.db.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'VIEW_READ' AND case_id = $1 AND canonical LIKE '%"caseDetailsShown"%'`, [caseId])).rows[0].n;
    const res = await w.page(caseUrl, coord);
    expect(res.status).toBe(200);
    const html = await res.text();
    const page = text(html);
    expect(page).toContain('Who the case is about');
    expect(page).toContain('Victim: Jane Sampleton');
    expect(page).toContain('Perpetrator: Mark Sampleton');
    expect(page).toContain('Child: Lily Sampleton');
    expect(page).toMatch(/12 Apr(il)? 1990 \(\d+ today\)/);
    expect(page).toContain('MN-2026-0142');
    expect(page).toContain('16 out of 24');
    expect(page).toContain('Visible high risk, Potential escalation');
    expect(page).toContain('Asking would alert the perpetrator.');
    expect(page).toContain('A. Example, MARAC coordinator');
    expect(page).toContain('DPA 2018 Sch 1 para 10: preventing or detecting unlawful acts');
    expect(page).toContain('19/0456789Y');
    expect(page).toContain('Confidential: not shown here');
    expect(html).not.toContain('1 Example Row');
    expect(html).not.toContain('CM2 9ZZ');
    // The title (browser history, tab lists) holds no name.
    expect(html).toMatch(/<title>Case for the meeting on [^<]*<\/title>/);
    expect(/<title>[^<]*Sampleton/.test(html)).toBe(false);

    await w.t.gateway.audit.flush(w.t.gateway.pool);
    const views = await w.t.db.pool.query(`SELECT canonical FROM audit_events WHERE action = 'VIEW_READ' AND case_id = $1 AND canonical LIKE '%"caseDetailsShown"%' ORDER BY seq`, [caseId]);
    expect(views.rows.length).toBe(before + 1);
    const event = JSON.parse(views.rows.at(-1).canonical);
    expect(event.detail).toMatchObject({ caseDetailsShown: true, subjectsShown: 3 });
    const canonical = JSON.stringify(event);
    for (const needle of ['Sampleton', '1990-04-12', '9990013713', '19/0456789Y', 'MN-2026-0142', 'alert the perpetrator']) expect(canonical).not.toContain(needle);
  });

  it('the agency API pack never carries who the case is about, for the coordinator or another party', async () => {
    const caseUrl = await openCase();
    const caseId = caseUrl.split('/').pop()!;
    expect((await ask(caseUrl, { recipients: ['essex-police'] })).status).toBe(303);
    await answerAll(caseId, { 'essex-police': 'response-police.json' });
    for (const viewer of ['essex-marat', 'essex-police']) {
      const pack = await w.t.as(viewer).get(`/v1/cases/${caseId}/research`);
      expect(pack.status).toBe(200);
      expect(pack.body.about).toBeUndefined();
      // (Names the agency itself released are research; the case's own record is not.)
      for (const needle of ['MN-2026-0142', 'Asking would alert', 'Confidential: not shown']) expect(JSON.stringify(pack.body)).not.toContain(needle);
    }
  });
});

describe('research rounds', () => {
  it('a request asks for everything by default; "some" needs a domain; identity check only is explicit; nothing is written on a bad form', async () => {
    const caseUrl = await openCase();
    const caseId = caseUrl.split('/').pop()!;
    const form = await (await w.page(`${caseUrl}/research/new`, coord)).text();
    expect(form).toMatch(/name="scope" type="radio" value="ALL" checked/);

    expect((await ask(caseUrl, { recipients: 'essex-police' })).status).toBe(303);
    expect(await lastRequestDomains(caseId)).toEqual([...RESEARCH_DOMAINS]);

    const count = async () => (await w.t.db.pool.query('SELECT count(*)::int AS n FROM research_requests WHERE case_id = $1', [caseId])).rows[0].n;
    const n = await count();
    const none = await ask(caseUrl, { recipients: 'essex-police', scope: 'SOME' });
    expect(none.status).toBe(400);
    expect(fieldErrors(await none.text()).requestedDomains).toContain('Select at least one thing you need to know');
    const bad = await ask(caseUrl, { recipients: 'essex-police', scope: 'EVERYTHING' });
    expect(bad.status).toBe(400);
    expect(fieldErrors(await bad.text()).scope).toContain('Select what you want the agencies to research');
    // Domains ticked but "everything" chosen: everything, not the ticked few.
    expect((await ask(caseUrl, { recipients: 'essex-police', scope: 'ALL', requestedDomains: 'TENANCY' })).status).toBe(303);
    expect(await lastRequestDomains(caseId)).toEqual([...RESEARCH_DOMAINS]);
    expect(await count()).toBe(n + 1);

    expect((await ask(caseUrl, { recipients: 'essex-police', scope: 'SOME', requestedDomains: ['DA_INCIDENTS', 'CONVICTIONS'] })).status).toBe(303);
    expect(await lastRequestDomains(caseId)).toEqual(['DA_INCIDENTS', 'CONVICTIONS']);
    expect((await ask(caseUrl, { recipients: 'essex-police', scope: 'IDENTITY', requestedDomains: 'DA_INCIDENTS' })).status).toBe(303);
    expect(await lastRequestDomains(caseId)).toEqual([]);
  });

  it('the API: no requestedDomains means every domain (the adapter is told so); [] is an identity check; unknown domains are 400 and write nothing', async () => {
    const caseUrl = await openCase();
    const caseId = caseUrl.split('/').pop()!;
    const all = await w.t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['chelmsford-housing'] });
    expect(all.status).toBe(201);
    const inbox = await w.t.as('chelmsford-housing').get('/v1/inbox?wait=2');
    const msg = inbox.body.messages.find((m: { requestId: string }) => m.requestId === all.body.requestId);
    expect(msg.request.requestedDomains).toEqual([...RESEARCH_DOMAINS]);

    const identity = await w.t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['chelmsford-housing'], requestedDomains: [] });
    expect(identity.status).toBe(201);
    expect(await lastRequestDomains(caseId)).toEqual([]);

    const before = (await w.t.db.pool.query('SELECT count(*)::int AS n FROM research_requests')).rows[0].n;
    for (const requestedDomains of [['EVERYTHING'], 'DA_INCIDENTS', ['TENANCY', 'TENANCY'], [null]]) {
      const r = await w.t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['chelmsford-housing'], requestedDomains });
      expect(r.status, JSON.stringify(requestedDomains)).toBe(400);
      expect(r.body.code).toBe('VALIDATION_FAILED');
    }
    expect((await w.t.db.pool.query('SELECT count(*)::int AS n FROM research_requests')).rows[0].n).toBe(before);
  });

  it('two rounds: the latest answer per agency first, the earlier round folded and labelled; labels, not paths; the API pack lists the rounds', async () => {
    const caseUrl = await openCase();
    const caseId = caseUrl.split('/').pop()!;
    expect((await ask(caseUrl, { recipients: ['essex-police', 'safe-steps-idva'], scope: 'SOME', requestedDomains: ['DA_INCIDENTS'] })).status).toBe(303);
    await answerAll(caseId, { 'essex-police': 'response-police.json', 'safe-steps-idva': 'response-idva.json' });
    expect((await ask(caseUrl, { recipients: ['essex-police', 'recovery-ltd'] })).status).toBe(303);
    await answerAll(caseId, { 'essex-police': 'response-police.json' });

    const html = await (await w.page(caseUrl, coord)).text();
    const latest = html.slice(html.indexOf('Research from each agency'), html.indexOf('Earlier rounds'));
    const earlier = html.slice(html.indexOf('Earlier rounds'));
    expect(html.indexOf('Earlier rounds')).toBeGreaterThan(0);
    // Police: round 2 is the latest; IDVA answered only in round 1, so round 1 is its latest.
    const sections = [...latest.matchAll(/data-agency="([^"]+)" data-request="([^"]+)"/g)].map((m) => [m[1], m[2]]);
    expect(sections.map((s) => s[0]).sort()).toEqual(['essex-police', 'safe-steps-idva']);
    const rounds = (await w.t.db.pool.query('SELECT id FROM research_requests WHERE case_id = $1 ORDER BY created_at', [caseId])).rows.map((r) => r.id);
    expect(sections.find((s) => s[0] === 'essex-police')![1]).toBe(rounds[1]);
    expect(sections.find((s) => s[0] === 'safe-steps-idva')![1]).toBe(rounds[0]);
    expect(text(latest)).toContain('Round 2: asked');
    expect(text(latest)).toContain('everything the agreements allow');
    // Round 1's police answer is folded, with its label.
    expect(earlier).toMatch(/<details[^>]*class="govuk-details"/);
    expect(text(earlier)).toContain('Round 1, asked');
    expect(text(earlier)).toContain('domestic abuse incidents');
    expect(earlier).toContain(`data-agency="essex-police" data-request="${rounds[0]}"`);
    // Status grouped by round; the refused agency says which round and why in words.
    expect(html).toContain('data-round="2"');
    expect(text(html)).toContain('(round 2): The agency is not a party to the agreement');
    // Withheld and transformed fields by label, reasons in words, never a bare path or code.
    const tables = [...html.matchAll(/<table class="govuk-table app-data-table app-fields-table">[\s\S]*?<\/table>/g)].map((m) => m[0]);
    expect(tables.length).toBeGreaterThan(0);
    for (const t of tables) {
      expect(t).not.toMatch(/>\s*[a-z]+[A-Za-z]*(\.[A-Za-z]+|\[\d+\])+\s*</);
      expect(t).not.toMatch(/>\s*\(?[A-Z][A-Z0-9]+(_[A-Z0-9]+)+\)?\s*</);
    }
    expect(text(html)).toMatch(/Police — incident 1 — /);

    const pack = await w.t.as('essex-marat').get(`/v1/cases/${caseId}/research`);
    expect(pack.body.rounds.map((r: { requestId: string }) => r.requestId)).toEqual(rounds);
    expect(pack.body.rounds[0]).toMatchObject({ purpose: 'MARAC_RESEARCH', requestedDomains: ['DA_INCIDENTS'], lookbackMonths: 12 });
    expect(pack.body.sections).toHaveLength(3);
    // Police see only the rounds they were asked in and sections the agreement lets them see.
    const police = await w.t.as('essex-police').get(`/v1/cases/${caseId}/research`);
    const seen = new Set(police.body.sections.map((s: { requestId: string }) => s.requestId));
    expect(police.body.rounds.every((r: { requestId: string }) => seen.has(r.requestId))).toBe(true);

    // The download follows the same grouping, earlier rounds unfolded for print.
    const exported = await (await w.form(`${caseUrl}/export`, coord, { format: 'html' })).text();
    expect(exported).toMatch(/<details[^>]*open/);
    expect(text(exported)).toContain('Who the case is about');
    expect(text(exported)).toContain('Round 1, asked');
  });
});

describe('the threshold, checked when the case is opened on the web', () => {
  it('Dash 10 under visible high risk alone is refused with the reason in words, and nothing is written', async () => {
    const before = (await w.t.db.pool.query('SELECT count(*)::int AS n FROM cases')).rows[0].n;
    for (const [fields, field, message] of [
      [{ criteria: 'VISIBLE_HIGH_RISK', dashScore: '10', policeCallouts12m: '' }, 'dashScore', 'Dash score 10 is below 14 for visible high risk'],
      [{ criteria: 'POTENTIAL_ESCALATION', dashScore: '', policeCallouts12m: '2' }, 'policeCallouts12m', '2 police call-outs in 12 months is below 3 for potential escalation'],
    ] as const) {
      const res = await w.form('/cases/new', coord, { ...referralForm(days(21)), ...fields });
      expect(res.status).toBe(400);
      expect(fieldErrors(await res.text())[field]).toBe(message);
    }
    expect((await w.t.db.pool.query('SELECT count(*)::int AS n FROM cases')).rows[0].n).toBe(before);
    // Another criterion that holds opens it.
    await openCase({ criteria: ['VISIBLE_HIGH_RISK', 'POTENTIAL_ESCALATION'], dashScore: '10', policeCallouts12m: '3' });
  });
});

describe('maker-checker buttons', () => {
  it('the author of a draft is not offered "Approve this version"; another IG officer is', async () => {
    const author = await w.login('ig.officer1');
    const checker = await w.login('ig.officer2');
    const drafted = await w.form('/agreements/essex-marat/drafts', author, { from: '1' });
    expect(drafted.status).toBe(303);
    const url = drafted.headers.get('location')!.split('?')[0]!;
    const mine = await (await w.page(url, author)).text();
    expect(mine).not.toContain('Approve this version');
    expect(mine).toContain('You wrote or changed this version, so another IG officer must approve it');
    expect(await (await w.page(url, checker)).text()).toContain('Approve this version');
    // The refusal itself still stands for a hand-made post.
    const forced = await w.form(`${url}/approve`, author, {});
    expect(forced.status).toBe(403);
    expect(await forced.text()).toContain('another IG officer must approve it');
  });
});

describe('the case page leads to the case\'s own changes', () => {
  it('an open case shows its state and links to edit, close and withdraw; after a withdrawal it says so, offers reopen and no new request', async () => {
    const caseUrl = await openCase();
    const open = await (await w.page(caseUrl, coord)).text();
    expect(open).toContain('govuk-tag--blue">Open');
    for (const action of ['edit', 'close', 'withdraw']) expect(open).toContain(`href="${caseUrl}/${action}"`);
    expect(open).toContain('Send a research request');
    expect(open).not.toContain(`href="${caseUrl}/reopen"`);

    const withdrawn = await w.form(`${caseUrl}/withdraw`, coord, { reason: 'Moved out of the area (fictional).' });
    expect(withdrawn.status).toBe(303);
    const after = await (await w.page(withdrawn.headers.get('location')!, coord)).text();
    expect(after).toContain('Case withdrawn.');
    expect(after).toContain('govuk-tag--grey">Withdrawn');
    expect(after).toContain(`href="${caseUrl}/reopen"`);
    expect(after).not.toContain(`href="${caseUrl}/edit"`);
    expect(after).not.toContain('Send a research request');
  });
});
