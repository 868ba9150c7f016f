/**
 * The coordinator's case pages over a real OIDC session: the list with search (GOV.UK date fields),
 * filters and pages; edit, withdraw, close and reopen through CSRF-protected forms; errors beside
 * the fields and nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorld, type LoggedIn, type WebWorld } from '../web/world.js';
import { sampleCase } from '../exchange/fixtures.js';

let w: WebWorld;
let coord: LoggedIn;

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres', workers: false });
  coord = await w.login('coordinator@essex-marat');
});
afterAll(async () => {
  await w?.close();
});

const letters = (n: number) => Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('');

async function open(surname: string, meetingDate = '2027-02-10') {
  const c = sampleCase({ meetingDate, externalRef: `PG-${letters(5)}` });
  c.subjects[0].names = [{ given: ['Anna'], family: surname }];
  const r = await w.t.as('essex-marat').post('/v1/cases', c);
  expect(r.status).toBe(201);
  return { caseId: r.body.caseId as string, ref: c.externalRef as string };
}

const state = async (id: string) => (await w.t.db.pool.query('SELECT status, outcome, to_char(meeting_date, \'YYYY-MM-DD\') AS m FROM cases WHERE id = $1', [id])).rows[0];

describe('case list', () => {
  it('searches by name with a GOV.UK date of birth, by NHS number and by reference, posted (nothing about a person in an address)', async () => {
    const surname = `Web${letters(8)}`;
    const a = await open(surname);
    const byName = await (await w.form('/cases', coord, { familyName: surname, givenName: 'anna', 'dob-day': '12', 'dob-month': '4', 'dob-year': '1990' })).text();
    expect(byName).toContain('1 case found');
    expect(byName).toContain(`/cases/${a.caseId}`);
    expect(byName).toContain(a.ref);
    const wrongDob = await (await w.form('/cases', coord, { familyName: surname, 'dob-day': '13', 'dob-month': '4', 'dob-year': '1990' })).text();
    expect(wrongDob).toContain('0 cases found');
    expect(await (await w.form('/cases', coord, { ref: a.ref.toLowerCase() })).text()).toContain(`/cases/${a.caseId}`);
    for (let i = 0; i < 3; i++) await open(surname);
    const paged = await (await w.form('/cases', coord, { familyName: surname, page: '1' })).text();
    expect(paged).toContain('4 cases found');
    // The form posts; no link on the page carries the name searched for.
    expect(paged).toMatch(/<form method="post" action="\/cases" novalidate class="app-case-search">/);
    expect([...paged.matchAll(/href="([^"]*)"/g)].map((m) => m[1]).filter((h) => h!.toLowerCase().includes(surname.toLowerCase()))).toEqual([]);
  });

  it('an address with a person in it searches nothing; filters alone go back to an address; no CSRF token is refused', async () => {
    const surname = `Url${letters(8)}`;
    const a = await open(surname);
    const byUrl = await w.page(`/cases?familyName=${surname}&nhsNumber=9990013713`, coord);
    expect(byUrl.status).toBe(200);
    const html = await byUrl.text();
    expect(html).toContain('data-notice="search-posted"');
    expect(html).not.toContain('cases found');
    expect(html).not.toContain(`value="${surname}"`);
    const filters = await w.form('/cases', coord, { status: 'OPEN', repeat: 'true' });
    expect(filters.status).toBe(303);
    expect(filters.headers.get('location')).toBe('/cases?status=OPEN&repeat=true#results');
    const noToken = await w.form('/cases', coord, { familyName: surname, _csrf: '' });
    expect(noToken.status).toBe(403);
    expect(await noToken.text()).not.toContain(`/cases/${a.caseId}`);
  });

  it('a bad NHS number or date is an error beside its field (400), not an empty list', async () => {
    const r = await w.form('/cases', coord, { nhsNumber: '9990013714' });
    expect(r.status).toBe(400);
    const html = await r.text();
    expect(html).toContain('There is a problem');
    expect(html).toContain('href="#nhsNumber"');
    const d = await w.form('/cases', coord, { 'dob-day': '31', 'dob-month': '2', 'dob-year': '1990' });
    expect(d.status).toBe(400);
    expect(await d.text()).toContain('href="#dob-day"');
  });
});

describe('changing a case', () => {
  it('edit: the form starts from the record; a reason is required; saved, the search finds the new name', async () => {
    const a = await open(`Edit${letters(8)}`);
    const form = await (await w.page(`/cases/${a.caseId}/edit`, coord)).text();
    expect(form).toContain('value="Anna"');
    // Showing the details is an access: audited, with the count of people and never what was shown.
    await w.t.gateway.audit.flush(w.t.gateway.pool);
    const shown = (await w.t.db.pool.query(`SELECT canonical FROM audit_events WHERE action = 'VIEW_READ' AND case_id = $1`, [a.caseId])).rows
      .map((r) => JSON.parse(r.canonical as string));
    expect(shown.map((e) => e.detail)).toContainEqual(expect.objectContaining({ view: 'case-edit-form', caseDetailsShown: true }));
    expect(JSON.stringify(shown)).not.toContain('Anna');
    const newName = `Edited${letters(6)}`;
    const fields = {
      'meetingDate-day': '3', 'meetingDate-month': '3', 'meetingDate-year': '2027', externalRef: a.ref, dashScore: '16',
      's0-given': 'Anna', 's0-family': newName, 's0-dob-day': '12', 's0-dob-month': '4', 's0-dob-year': '1990', 's0-nhs': '9990013713', 's0-pnc': '',
      's1-given': 'Mark', 's1-family': 'Sampleton', 's1-dob-day': '30', 's1-dob-month': '9', 's1-dob-year': '1987', 's1-nhs': '9990027420', 's1-pnc': '19/0456789Y',
      's2-given': 'Lily', 's2-family': 'Sampleton', 's2-dob-day': '1', 's2-dob-month': '7', 's2-dob-year': '2020', 's2-nhs': '9990054843', 's2-pnc': '',
    };
    const noReason = await w.form(`/cases/${a.caseId}/edit`, coord, fields);
    expect(noReason.status).toBe(400);
    expect(await noReason.text()).toContain('href="#reason"');
    expect((await state(a.caseId)).m).toBe('2027-02-10');
    const saved = await w.form(`/cases/${a.caseId}/edit`, coord, { ...fields, reason: 'Married name given (fictional).' });
    expect(saved.status, await saved.clone().text().then((t) => t.slice(0, 2000))).toBe(303);
    expect((await state(a.caseId)).m).toBe('2027-03-03');
    expect(await (await w.form('/cases', coord, { familyName: newName })).text()).toContain(`/cases/${a.caseId}`);
  });

  it('withdraw (reason required), then the request page and edit say the case is withdrawn; reopen; close with an outcome', async () => {
    const a = await open(`State${letters(8)}`);
    const missing = await w.form(`/cases/${a.caseId}/withdraw`, coord, { reason: '' });
    expect(missing.status).toBe(400);
    expect((await state(a.caseId)).status).toBe('OPEN');
    expect((await w.form(`/cases/${a.caseId}/withdraw`, coord, { reason: 'Moved away (fictional).' })).status).toBe(303);
    expect((await state(a.caseId)).status).toBe('WITHDRAWN');
    const edit = await w.page(`/cases/${a.caseId}/edit`, coord);
    expect(edit.status).toBe(409);
    expect(await edit.text()).toContain('This case is withdrawn');
    expect((await w.page(`/cases/${a.caseId}/withdraw`, coord)).status).toBe(409);
    expect((await w.form(`/cases/${a.caseId}/reopen`, coord, { reason: 'Back (fictional).' })).status).toBe(303);
    expect((await state(a.caseId)).status).toBe('OPEN');
    const noOutcome = await w.form(`/cases/${a.caseId}/close`, coord, {});
    expect(noOutcome.status).toBe(400);
    expect(await noOutcome.text()).toContain('href="#outcome"');
    expect((await w.form(`/cases/${a.caseId}/close`, coord, { outcome: 'HEARD_ACTIONS_COMPLETE' })).status).toBe(303);
    expect(await state(a.caseId)).toMatchObject({ status: 'CLOSED', outcome: 'HEARD_ACTIONS_COMPLETE' });
    const listed = await (await w.form('/cases', coord, { ref: a.ref })).text();
    expect(listed).toContain('Heard at MARAC, actions complete');
  });

  it('a form without the CSRF token changes nothing', async () => {
    const a = await open(`Csrf${letters(8)}`);
    const r = await w.form(`/cases/${a.caseId}/withdraw`, coord, { reason: 'x', _csrf: 'forged' });
    expect(r.status).toBe(403);
    expect((await state(a.caseId)).status).toBe('OPEN');
  });
});
