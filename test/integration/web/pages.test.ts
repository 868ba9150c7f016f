/**
 * The pages over HTTP, on a whole gateway: what each role's main pages do with good and bad input
 * (status codes, errors next to fields, what is written), beyond the browser journeys.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detailsValues } from '../../../gateway/src/ui/forms/agreement-form.js';
import { referralForm, sampleResponseFor, startWebWorld, type LoggedIn, type WebWorld } from './world.js';

let w: WebWorld;
let coord: LoggedIn;

function days(n: number): { day: string; month: string; year: string } {
  const d = new Date(Date.now() + n * 86_400_000);
  return { day: String(d.getUTCDate()), month: String(d.getUTCMonth() + 1), year: String(d.getUTCFullYear()) };
}

/** `id` → message of the inline error of that field, from the rendered page. */
function fieldErrors(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<p id="([^"]+)-error" class="govuk-error-message">\s*<span class="govuk-visually-hidden">Error:<\/span>([^<]*)<\/p>/g)) {
    out[m[1]!] = m[2]!.trim();
  }
  return out;
}

async function openCase(meetingIn = 21): Promise<string> {
  const res = await w.form('/cases/new', coord, referralForm(days(meetingIn)));
  expect(res.status).toBe(303);
  return res.headers.get('location')!.split('?')[0]!;
}

async function auditCount(action: string): Promise<number> {
  await w.t.gateway.audit.flush(w.t.gateway.pool);
  return (await w.t.db.pool.query('SELECT count(*)::int AS n FROM audit_events WHERE action = $1', [action])).rows[0].n;
}

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres' });
  coord = await w.login('coordinator@essex-marat');
});
afterAll(async () => {
  await w?.close();
});

describe('coordinator pages', () => {
  it('the referral form shows every error next to its field, keeps what was typed, and saves nothing', async () => {
    const res = await w.form('/cases/new', coord, { ...referralForm(days(21)), 'victim-art9': 'DPA_SCH1_P18', dashScore: '30', 'perpetrator-pnc': '19/0456789A' });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(fieldErrors(html)).toMatchObject({
      'victim-art9': expect.stringContaining('Para 18 cannot be used for the victim'),
      dashScore: 'Dash score must be a whole number from 0 to 24',
      'perpetrator-pnc': expect.stringContaining('real PNC ID'),
    });
    expect(html).toContain('value="Sampleton"');
    expect(html).toMatch(/<title>Error: Open a case/);
    expect((await w.t.db.pool.query('SELECT count(*)::int AS n FROM cases')).rows[0].n).toBe(0);
  });

  it('"add another child" posts the form back with one more child section, saving nothing', async () => {
    const res = await w.form('/cases/new', coord, { ...referralForm(days(21)), action: 'add-child' });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('id="child2-family"');
    expect(html).toContain('name="childCount" value="2"');
    expect(html).toContain('value="Lily"');
    expect((await w.t.db.pool.query('SELECT count(*)::int AS n FROM cases')).rows[0].n).toBe(0);
  });

  it('a request only to agencies no agreement allows is refused on the form, with the reasons', async () => {
    const caseUrl = await openCase();
    const res = await w.form(`${caseUrl}/research/new`, coord, { recipients: 'recovery-ltd', purpose: 'MARAC_RESEARCH', lookbackMonths: '12' });
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(fieldErrors(html).recipients).toContain('None of the agencies you selected');
    expect(html).toContain('The agency is not a party to the agreement');
    expect((await w.t.db.pool.query('SELECT count(*)::int AS n FROM research_requests')).rows[0].n).toBe(0);
  });

  it('the case list counts down in working days and flags overdue research', async () => {
    const caseUrl = await openCase(30);
    const sent = await w.form(`${caseUrl}/research/new`, coord, { recipients: ['essex-police', 'chelmsford-housing'], purpose: 'MARAC_RESEARCH', lookbackMonths: '12' });
    expect(sent.status).toBe(303);
    let html = await (await w.page('/cases', coord)).text();
    expect(html).toMatch(/\d+ working days left/);
    expect(html).toContain('No requests sent');

    // Past the deadline: the deadline job marks the messages overdue.
    w.t.clock.set(new Date(Date.now() + 40 * 86_400_000));
    expect(await w.t.gateway.exchange.deadlines.markOverdue()).toBe(2);
    w.t.clock.real();
    html = await (await w.page('/cases', coord)).text();
    expect(html).toContain('2 overdue');
    const pack = await (await w.page(caseUrl, coord)).text();
    expect(pack).toContain('govuk-tag--red">Overdue');
  });

  it('the research pack shows released, transformed and withheld fields and opinion; the export is audited', async () => {
    const caseUrl = await openCase();
    await w.form(`${caseUrl}/research/new`, coord, { recipients: ['essex-police', 'safe-steps-idva'], purpose: 'MARAC_RESEARCH', lookbackMonths: '12' });
    for (const [agency, file] of [['essex-police', 'response-police.json'], ['safe-steps-idva', 'response-idva.json']] as const) {
      const inbox = await w.t.as(agency).get('/v1/inbox?wait=2');
      for (const msg of inbox.body.messages.filter((m: { caseId: string }) => caseUrl.endsWith(m.caseId))) {
        await w.t.as(agency).post(`/v1/inbox/${msg.messageId}/ack`);
        const r = await w.t.as(agency).post(`/v1/research-requests/${msg.requestId}/response`, sampleResponseFor(file, msg.request.subjects), { 'Idempotency-Key': `p-${msg.messageId}` });
        expect(r.status).toBe(201);
      }
    }
    // One pack read (the event with section decisions); the page's other reads (the case's
    // actions, its listings) are audited as events of their own.
    const packReads = async () => {
      await w.t.gateway.audit.flush(w.t.gateway.pool);
      return (await w.t.db.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'VIEW_READ' AND canonical LIKE '%"sectionDecisions"%'`)).rows[0].n;
    };
    const viewsBefore = await packReads();
    const html = await (await w.page(caseUrl, coord)).text();
    expect(await packReads()).toBe(viewsBefore + 1);
    expect(html).toContain('Released under agreement');
    expect(html).toContain('govuk-tag--purple">Opinion');
    expect(html).toContain('govuk-tag--yellow">Transformed');
    expect(html).toMatch(/govuk-tag--grey">Policy/);
    expect(html).toMatch(/govuk-tag--orange">Agency/);

    const before = await auditCount('PACK_EXPORTED');
    const json = await w.form(`${caseUrl}/export`, coord, { format: 'json' });
    expect(json.status).toBe(200);
    expect(json.headers.get('content-disposition')).toMatch(/attachment; filename=research-pack-case_[0-9a-f]{32}\.json/);
    const pack = (await json.json()) as { sections: unknown[] };
    expect(pack.sections).toHaveLength(2);
    expect(await auditCount('PACK_EXPORTED')).toBe(before + 1);
  });

  it('another MARAC’s case does not exist for this coordinator', async () => {
    const other = await w.t.as('southend-marac').post('/v1/cases', { ...JSON.parse(readFileSync('test/fixtures/samples/case.json', 'utf8')), maracArea: 'southend' });
    expect(other.status).toBe(201);
    const res = await w.page(`/cases/${other.body.caseId}`, coord);
    expect(res.status).toBe(404);
    const form = await w.page(`/cases/${other.body.caseId}/research/new`, coord);
    expect(form.status).toBe(404);
  });
});

describe('IG officer pages', () => {
  let officer: LoggedIn;
  let draft = '';

  beforeAll(async () => {
    officer = await w.login('ig.officer1');
    const res = await w.form('/agreements/essex-marat/drafts', officer, { from: '1' });
    draft = res.headers.get('location')!.split('?')[0]!;
  });

  it('saving details with dates out of order keeps the draft and shows the problem next to the date', async () => {
    const version = Number(draft.split('/').pop());
    const values = detailsValues((await w.t.gateway.agreements.get('essex-marat', version)).doc);
    const res = await w.form(`${draft}/details`, officer, { ...(values as Record<string, string | string[]>), 'reviewBy-year': '2028', 'reviewBy-month': '1', 'reviewBy-day': '1' });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Saved. Fix');
    // A date input's error sits above its three fields (id `reviewBy-error`); the summary links to the day.
    expect(fieldErrors(html).reviewBy).toContain('reviewBy must not be after expiresAt');
    expect(html).toContain('<a href="#reviewBy-day">reviewBy must not be after expiresAt</a>');
    expect((await w.t.gateway.agreements.get('essex-marat', version)).doc.reviewBy).toBe('2028-01-01');

    // A version with problems cannot be previewed: the page says why and links to the field.
    const preview = await w.form(`${draft}/preview`, officer, { sample: 'response-police.json', subjectFacts: '{}' });
    expect(preview.status).toBe(422);
    expect(await preview.text()).toContain(`href="${draft}/details#reviewBy-day"`);
    // Put the date back for the next tests.
    const fixed = await w.form(`${draft}/details`, officer, values as Record<string, string | string[]>);
    expect(await fixed.text()).toContain('Saved. No problems found.');
  });

  it('a version that is not a draft cannot be edited', async () => {
    const res = await w.page('/agreements/essex-marat/versions/1/details', officer);
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('AGREEMENT_NOT_DRAFT');
  });

  it('YAML import: unreadable text is refused on the field; a good file becomes a draft', async () => {
    const bad = await w.form('/agreements/import', officer, { yaml: 'id: [unclosed' });
    expect(bad.status).toBe(400);
    expect(fieldErrors(await bad.text()).yaml).toBeTruthy();
    const text = readFileSync('policies/inter-area-transfer.yaml', 'utf8').replace(/^id: .*$/m, 'id: imported-transfer');
    const good = await w.form('/agreements/import', officer, { yaml: text });
    expect(good.status).toBe(303);
    expect(good.headers.get('location')).toBe('/agreements/imported-transfer/versions/1?done=imported');
  });

  it('preview: a pasted response that is not JSON is refused; a sample shows each recipient beside the original', async () => {
    const bad = await w.form(`${draft}/preview`, officer, { pasted: '{not json', subjectFacts: '{}' });
    expect(bad.status).toBe(400);
    expect(fieldErrors(await bad.text()).pasted).toBe('The pasted response is not valid JSON');
    const page = await (await w.page(`${draft}/preview`, officer)).text();
    const facts = /<textarea[^>]*id="subjectFacts"[^>]*>([\s\S]*?)<\/textarea>/.exec(page)![1]!.replaceAll('&quot;', '"');
    const ok = await w.form(`${draft}/preview`, officer, { sample: 'response-police.json', subjectFacts: facts, purpose: 'MARAC_RESEARCH' });
    expect(ok.status).toBe(200);
    const html = await ok.text();
    expect(html).toContain('What Essex MARAT coordinator would see');
    expect(html).toContain('data-agency="chelmsford-housing"');
  });

  it('a second officer approves and activates the imported agreement; it can then be suspended', async () => {
    const two = await w.login('ig.officer2');
    const base = '/agreements/imported-transfer/versions/1';
    expect((await w.form(`${base}/activate`, two, {})).status).toBe(409);
    expect((await w.form(`${base}/approve`, two, {})).headers.get('location')).toBe(`${base}?done=approved`);
    expect((await w.form(`${base}/activate`, two, {})).headers.get('location')).toBe(`${base}?done=activated`);
    const list = await (await w.page('/agreements', officer)).text();
    expect(list).toContain('imported-transfer');
    // The kill switch asks for a reason and a confirmation first (issue 12).
    expect((await w.form(`${base}/suspend`, officer, {})).status).toBe(400);
    expect((await w.form(`${base}/suspend`, officer, { reason: 'Partner breach', confirm: 'yes' })).headers.get('location')).toBe(`${base}?done=suspended`);
    const page = await (await w.page(base, officer)).text();
    expect(page).toContain('govuk-tag--orange">Suspended');
    expect(page).toContain('Draft a change');
  });

  it('the diff needs a version to compare with', async () => {
    expect((await w.page(`${draft}/diff`, officer)).status).toBe(404);
    expect((await w.page(`${draft}/diff?from=1`, officer)).status).toBe(200);
  });
});

describe('auditor pages', () => {
  let auditor: LoggedIn;
  beforeAll(async () => {
    auditor = await w.login('auditor');
  });

  it('filters by action, pages through the results with the cursor, and refuses a bad identifier on its field', async () => {
    const first = await w.form('/audit', auditor, { action: 'LOGIN' });
    const html = await first.text();
    const actions = [...html.matchAll(/<td class="govuk-table__cell app-code">([A-Z_]+)<\/td>/g)].map((m) => m[1]);
    expect(actions.length).toBeGreaterThan(0);
    expect(new Set(actions)).toEqual(new Set(['LOGIN']));

    const all = await (await w.form('/audit', auditor, {})).text();
    const cursor = /name="cursor" value="([^"]+)"/.exec(all)?.[1];
    expect(cursor).toBeTruthy();
    const seqs = (h: string) => [...h.matchAll(/href="\/audit\/events\/(\d+)"/g)].map((m) => Number(m[1]));
    const next = await (await w.form('/audit', auditor, { cursor: cursor! })).text();
    expect(Math.max(...seqs(next))).toBeLessThan(Math.min(...seqs(all)));

    const bad = await w.form('/audit', auditor, { subjectSystem: 'nhs-number', subjectValue: '123' });
    expect(bad.status).toBe(400);
    expect(fieldErrors(await bad.text()).subjectValue).toContain('NHS number');
    // Ten digits with a wrong check digit is a typing mistake, not a search for nobody.
    const misTyped = await w.form('/audit', auditor, { subjectSystem: 'nhs-number', subjectValue: '943 476 5918' });
    expect(misTyped.status).toBe(400);
    expect(fieldErrors(await misTyped.text()).subjectValue).toContain('check digit');
    // Name and date of birth take GOV.UK date fields, with errors next to them.
    const byName = await w.form('/audit', auditor, {
      subjectSystem: 'name-dob', subjectGiven: 'Vicky', subjectFamily: 'Sampleton', 'subjectDob-day': '12', 'subjectDob-month': '3', 'subjectDob-year': '1990',
    });
    expect(byName.status).toBe(200);
    expect(await byName.text()).toContain('Events for the subject you entered');
    const badDate = await w.form('/audit', auditor, {
      subjectSystem: 'name-dob', subjectGiven: 'Vicky', subjectFamily: 'Sampleton', 'subjectDob-day': '31', 'subjectDob-month': '2', 'subjectDob-year': '1990',
    });
    expect(badDate.status).toBe(400);
    expect(fieldErrors(await badDate.text())['subjectDob']).toContain('real date');
    const noFamily = await w.form('/audit', auditor, { subjectSystem: 'name-dob', subjectGiven: 'Vicky', 'subjectDob-day': '12', 'subjectDob-month': '3', 'subjectDob-year': '1990' });
    expect(fieldErrors(await noFamily.text()).subjectFamily).toContain('family name');
    const badCursor = await w.form('/audit', auditor, { cursor: 'bogus!' });
    expect(badCursor.status).toBe(400);
  });

  it('the audit API answers the same session (JSON), for auditors only', async () => {
    const res = await fetch(`${w.base}/v1/audit/events?action=LOGIN&limit=5`, { headers: { cookie: auditor.cookie } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { events: { action: string }[] };
    expect(body.events.length).toBeGreaterThan(0);
    expect(body.events.every((e) => e.action === 'LOGIN')).toBe(true);
    const asCoordinator = await fetch(`${w.base}/v1/audit/events`, { headers: { cookie: coord.cookie } });
    expect(asCoordinator.status).toBe(403);
  });

  it('CSV export is a download, and is itself audited', async () => {
    const before = await auditCount('AUDIT_EXPORTED');
    const res = await w.form('/audit/export', auditor, { format: 'csv', action: 'CASE_CREATED' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename=audit-.*\.csv/);
    const text = await res.text();
    expect(text.split('\r\n')[0]).toMatch(/^type,seq,ts,action/);
    expect(text).toContain(',CASE_CREATED,');
    expect(await auditCount('AUDIT_EXPORTED')).toBe(before + 1);
  });

  it('an event page, an unknown event, and verification of the whole log', async () => {
    expect((await w.page('/audit/events/1', auditor)).status).toBe(200);
    expect((await w.page('/audit/events/99999999', auditor)).status).toBe(404);
    const verified = await (await w.form('/audit/verify', auditor, {})).text();
    expect(verified).toContain('The audit log verifies');
    const key = await w.page('/audit/public-key.pem', auditor);
    expect(await key.text()).toContain('BEGIN PUBLIC KEY');
  });
});

describe('account page', () => {
  it('names the roles and links the sections they open, for the admin as for everyone', async () => {
    const admin = await w.login('admin');
    const html = await (await w.page('/account', admin)).text();
    expect(html).toContain('Administrator');
    expect(html).toContain('href="/agencies"');
    expect(html).not.toContain('do not give you any section');
    const coordinatorPage = await (await w.page('/account', coord)).text();
    expect(coordinatorPage).toContain('MARAC coordinator');
    expect(coordinatorPage).toContain('href="/cases"');
  });
});
