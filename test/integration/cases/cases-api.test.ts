/**
 * The coordinator's cases over the agency API: GET /v1/cases (search through keyed tokens, filters,
 * pages with a total), PATCH /v1/cases/{id} (edit, audited with field names), withdraw, close with
 * an outcome, reopen; a case not open refuses research. Bad input gets a 4xx with a stable code
 * and writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { agencyFetch, type AgencyResponse } from '../../helpers/pki.js';
import { sampleCase } from '../exchange/fixtures.js';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({ queue: 'redis', workers: false });
});
afterAll(async () => {
  await t?.stop();
});

const letters = (n: number) => Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('');

/** A valid NHS number no other case holds (modulus 11). */
function nhsNumber(): string {
  for (;;) {
    const nine = String(Math.floor(1e8 + Math.random() * 8.99e8));
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += Number(nine[i]) * (10 - i);
    const c = 11 - (sum % 11);
    if (c === 10) continue;
    return `${nine}${c === 11 ? 0 : c}`;
  }
}

/** The sample family with a victim of their own: family name, DOB, NHS number and reference unique to this call. */
function family(opts: { meetingDate?: string; family?: string; dob?: string; ref?: string } = {}) {
  const c = sampleCase({ meetingDate: opts.meetingDate ?? '2026-12-16', externalRef: opts.ref ?? `MN-${letters(6)}` });
  const surname = opts.family ?? `Vict${letters(8)}`;
  const nhs = nhsNumber();
  c.subjects[0].names = [{ given: ['Anna', 'Maria'], family: surname, use: 'official' }];
  c.subjects[0].dobs = [opts.dob ?? '1988-05-17'];
  c.subjects[0].identifiers = [{ system: 'nhs-number', value: nhs }];
  c.subjects[1].names = [{ given: ['Mark'], family: `Perp${letters(8)}`, use: 'official' }];
  c.subjects[1].identifiers = [{ system: 'pnc-id', value: `19/${String(Math.floor(Math.random() * 9e6 + 1e6))}Y` }];
  return { body: c, surname, nhs, ref: c.externalRef as string, pnc: c.subjects[1].identifiers[0].value as string, perp: c.subjects[1].names[0].family as string };
}

async function open(opts: Parameters<typeof family>[0] = {}) {
  const f = family(opts);
  const r = await t.as('essex-marat').post('/v1/cases', f.body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { ...f, caseId: r.body.caseId as string, subjects: r.body.subjects as { key: string; subjectId: string }[] };
}

const list = (query: string, agency = 'essex-marat') => t.as(agency).get(`/v1/cases${query}`);
const ids = (r: AgencyResponse) => (r.body.items as { caseId: string }[]).map((x) => x.caseId);

function call(method: string, path: string, body?: unknown, agency = 'essex-marat') {
  const base = t.gateway.agencyUrl.replace('localhost', '127.0.0.1');
  return agencyFetch(base, t.creds.get(agency)!, path, { method, ...(body !== undefined ? { body } : {}) });
}

async function written(): Promise<string> {
  const r = await t.db.pool.query(`SELECT (SELECT count(*) FROM cases) c, (SELECT count(*) FROM research_requests) rr,
    (SELECT string_agg(id || status || coalesce(outcome, '') || coalesce(updated_at::text, '') || encode(subjects_iv, 'hex'), ',' ORDER BY id) FROM cases) s,
    (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM audit_pending) a`);
  return JSON.stringify(r.rows[0]);
}

async function auditOf(caseId: string, action: string) {
  await t.gateway.audit.flush();
  const r = await t.db.pool.query(`SELECT canonical FROM audit_events WHERE case_id = $1 AND action = $2 ORDER BY seq`, [caseId, action]);
  return r.rows.map((x) => JSON.parse(x.canonical));
}

describe('search through keyed tokens', () => {
  it('finds a case by family name, by name with date of birth, by NHS number, by PNC id and by local reference', async () => {
    const a = await open();
    const other = await open();
    for (const q of [
      `?familyName=${a.surname}`,
      `?familyName=${a.surname.toUpperCase()}&givenName=anna`,
      `?familyName=${a.surname}&givenName=Anna&dob=1988-05-17`,
      `?familyName=${a.surname}&dob=1988-05-17`,
      `?nhsNumber=${a.nhs}`,
      `?nhsNumber=${encodeURIComponent(`${a.nhs.slice(0, 3)} ${a.nhs.slice(3, 6)} ${a.nhs.slice(6)}`)}`,
      `?pncId=${encodeURIComponent(a.pnc)}`,
      `?ref=${a.ref}`,
      `?ref=${a.ref.toLowerCase().replace('-', ' ')}`,
      `?familyName=${a.perp}`,
    ]) {
      const r = await list(q);
      expect(r.status, `${q} ${JSON.stringify(r.body)}`).toBe(200);
      expect(ids(r), q).toEqual([a.caseId]);
      expect(r.body.total, q).toBe(1);
    }
    expect(ids(await list(`?nhsNumber=${other.nhs}`))).toEqual([other.caseId]);
  });

  it('a search for a person is audited with that person\'s subject tokens and the terms used, never their values; a list by state is not', async () => {
    const a = await open();
    const searches = async () => {
      await t.gateway.audit.flush();
      const r = await t.db.pool.query(`SELECT canonical FROM audit_events WHERE action = 'VIEW_READ' AND canonical::jsonb->'detail'->>'view' = 'case-search' ORDER BY seq`);
      return r.rows.map((x) => ({ text: x.canonical as string, ...JSON.parse(x.canonical) }));
    };
    const before = (await searches()).length;
    expect(ids(await list(`?nhsNumber=${a.nhs}`))).toEqual([a.caseId]);
    expect(ids(await list(`?familyName=${a.surname}&givenName=Anna&dob=1988-05-17`))).toEqual([a.caseId]);
    expect((await list('?status=OPEN')).status).toBe(200);
    const events = (await searches()).slice(before);
    expect(events.map((e) => e.detail)).toEqual([
      { view: 'case-search', terms: 'nhsNumber', results: 1 },
      { view: 'case-search', terms: 'givenName,familyName,dob', results: 1 },
    ]);
    // The auditor's subject search finds each: the tokens are the case's own subject tokens.
    const row = await t.db.pool.query('SELECT subject_tokens FROM cases WHERE id = $1', [a.caseId]);
    for (const e of events) {
      expect(e.subjectTokens.length).toBeGreaterThan(0);
      for (const tok of e.subjectTokens) expect(row.rows[0].subject_tokens).toContain(tok);
      for (const plain of [a.nhs, a.surname, '1988-05-17', 'Anna']) expect(e.text).not.toContain(plain);
    }
  });

  it('POST /v1/cases/search takes the same terms in the body, keeping them out of the address; bad bodies are 400 and write nothing', async () => {
    const a = await open();
    const search = (body: unknown) => call('POST', '/v1/cases/search', body);
    for (const body of [
      { nhsNumber: a.nhs },
      { familyName: a.surname, givenName: 'Anna', dob: '1988-05-17', status: ['OPEN'], page: 1, pageSize: 10 },
      { pncId: a.pnc, status: 'OPEN,CLOSED', repeat: false },
    ]) {
      const r = await search(body);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect((r.body.items as { caseId: string }[]).map((x) => x.caseId), JSON.stringify(body)).toEqual([a.caseId]);
      expect(r.headers['cache-control']).toBe('no-store');
    }
    const before = await written();
    for (const [body, code] of [
      [{ surname: a.surname }, 'CASE_QUERY_INVALID'],
      [{ nhsNumber: '9434765918' }, 'CASE_QUERY_INVALID'],
      [{ familyName: [a.surname] }, 'CASE_QUERY_INVALID'],
      [[{ nhsNumber: a.nhs }], 'VALIDATION_FAILED'],
      ['nhsNumber', 'MALFORMED_JSON'],
      [JSON.parse(`{"__proto__": {"nhsNumber": "${a.nhs}"}}`), 'VALIDATION_FAILED'],
      [{ constructor: { prototype: { nhsNumber: a.nhs } } }, 'VALIDATION_FAILED'],
    ] as const) {
      const r = await search(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code, JSON.stringify(body)).toBe(code);
    }
    expect(await written()).toBe(before);
    expect((await call('POST', '/v1/cases/search', { nhsNumber: a.nhs }, 'essex-police')).body.code).toBe('NOT_A_COORDINATOR');
  });

  it('criteria combine and narrow: the name and the date of birth must belong to one subject', async () => {
    const a = await open({ dob: '1979-01-02' });
    // The perpetrator's family name with the victim's date of birth: nobody born then has that name.
    expect((await list(`?familyName=${a.perp}&dob=1979-01-02`)).body.total).toBe(0);
    expect((await list(`?familyName=${a.surname}&dob=1979-01-03`)).body.total).toBe(0);
    expect((await list(`?familyName=${a.surname}&givenName=Zoe`)).body.total).toBe(0);
    expect((await list(`?familyName=${a.surname}&nhsNumber=${nhsNumber()}`)).body.total).toBe(0);
    expect(ids(await list(`?familyName=${a.surname}&ref=${a.ref}&status=OPEN`))).toEqual([a.caseId]);
    expect((await list(`?familyName=${a.surname}&status=CLOSED`)).body.total).toBe(0);
  });

  it('holds no plaintext name, date of birth or reference: search tokens only, none equal to an audit token', async () => {
    const a = await open();
    const r = await t.db.pool.query('SELECT search_tokens, subject_tokens, row_to_json(c)::text AS text FROM cases c WHERE id = $1', [a.caseId]);
    const row = r.rows[0];
    for (const plain of [a.surname, a.surname.toUpperCase(), '1988-05-17', a.nhs, a.ref, a.ref.replace('-', '')]) expect(row.text).not.toContain(plain);
    expect(row.search_tokens.length).toBeGreaterThan(5);
    for (const tok of row.search_tokens) expect(tok).toMatch(/^cst_[0-9a-f]{32}$/);
    expect(row.search_tokens.filter((x: string) => row.subject_tokens.includes(x))).toEqual([]);
  });

  it('a case from before the search column is tokenised on the next list, then found', async () => {
    const a = await open();
    await t.db.pool.query('UPDATE cases SET search_tokens = NULL WHERE id = $1', [a.caseId]);
    expect(ids(await list(`?nhsNumber=${a.nhs}`))).toEqual([a.caseId]);
    const r = await t.db.pool.query('SELECT search_tokens IS NOT NULL AS done FROM cases WHERE id = $1', [a.caseId]);
    expect(r.rows[0].done).toBe(true);
  });

  it('bad queries are a 400 with a stable reason, never an empty result', async () => {
    const cases: [string, string][] = [
      ['?nhsNumber=9990013714', 'NHS_NUMBER_INVALID'],
      ['?nhsNumber=12345', 'NHS_NUMBER_INVALID'],
      ['?nhsNumber=999x0013713', 'NHS_NUMBER_INVALID'],
      ['?pncId=banana', 'PNC_ID_INVALID'],
      ['?dob=1990-02-30', 'DATE_INVALID'],
      ['?dob=12/04/1990', 'DATE_INVALID'],
      ['?meetingFrom=2026-13-01', 'DATE_INVALID'],
      ['?meetingFrom=2026-12-01&meetingTo=2026-11-01', 'DATE_RANGE_INVERTED'],
      ['?givenName=Anna', 'FAMILY_NAME_REQUIRED'],
      ['?familyName=%20--%20', 'NAME_INVALID'],
      ['?ref=---', 'REF_INVALID'],
      ['?status=OPEN&status=LOST', 'STATUS_INVALID'],
      ['?status=', 'STATUS_INVALID'],
      ['?repeat=yes', 'FLAG_INVALID'],
      ['?overdue=1', 'FLAG_INVALID'],
      ['?page=0', 'PAGE_INVALID'],
      ['?page=-1', 'PAGE_INVALID'],
      ['?pageSize=101', 'PAGE_INVALID'],
      ['?pageSize=2.5', 'PAGE_INVALID'],
      ['?name=Sampleton', 'UNKNOWN_PARAMETER'],
      ['?familyName=a&familyName=b', 'PARAMETER_REPEATED'],
      ['?familyName[x]=a', 'UNKNOWN_PARAMETER'],
      [`?familyName=${'a'.repeat(101)}`, 'PARAMETER_TOO_LONG'],
    ];
    for (const [q, reason] of cases) {
      const r = await list(q);
      expect(r.status, q).toBe(400);
      expect(r.body.code, q).toBe('CASE_QUERY_INVALID');
      expect(r.body.reason, q).toBe(reason);
    }
  });

  it('only a coordinator has a case list; another coordinator sees none of these cases', async () => {
    const a = await open();
    const r = await list('', 'essex-police');
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('NOT_A_COORDINATOR');
    expect((await list(`?nhsNumber=${a.nhs}`, 'southend-marac')).body.total).toBe(0);
    const s = await call('GET', `/v1/cases/${a.caseId}`, undefined, 'southend-marac');
    expect(s.status).toBe(404);
    expect(s.body.code).toBe('CASE_NOT_FOUND');
  });
});

describe('the list', () => {
  it('pages with a total and no cap, upcoming meetings first (soonest first), past meetings after (latest first)', async () => {
    const surname = `Page${letters(8)}`;
    const future = ['2027-03-01', '2027-01-10', '2027-02-05'];
    const past = ['2025-06-01', '2025-09-01'];
    const opened: Record<string, string> = {};
    for (const d of [...future, ...past]) opened[d] = (await open({ family: surname, meetingDate: d })).caseId;
    const all = await list(`?familyName=${surname}&pageSize=2`);
    expect(all.body).toMatchObject({ total: 5, page: 1, pageSize: 2, pages: 3 });
    const order = [...ids(all), ...ids(await list(`?familyName=${surname}&pageSize=2&page=2`)), ...ids(await list(`?familyName=${surname}&pageSize=2&page=3`))];
    expect(order).toEqual(['2027-01-10', '2027-02-05', '2027-03-01', '2025-09-01', '2025-06-01'].map((d) => opened[d]));
    const beyond = await list(`?familyName=${surname}&pageSize=2&page=9`);
    expect(beyond.status).toBe(200);
    expect(beyond.body).toMatchObject({ items: [], total: 5, pages: 3 });
    // Meeting date range, both ends included.
    expect(ids(await list(`?familyName=${surname}&meetingFrom=2027-01-10&meetingTo=2027-02-05`))).toEqual([opened['2027-01-10'], opened['2027-02-05']]);
  });

  it('more than 500 cases: every one is counted and listed, the newest with the nearest meeting comes first, each looked up by id', async () => {
    const before = Number((await t.db.pool.query(`SELECT count(*) FROM cases WHERE coordinator_agency_id = 'essex-marat'`)).rows[0].count);
    const surname = `Many${letters(8)}`;
    const body = family({ family: surname, meetingDate: '2027-04-20' }).body;
    // In process (the same service the route calls): 520 TLS round trips would only slow the test.
    const coordinator = { kind: 'agency' as const, agencyId: 'essex-marat', agencyType: 'MARAC_COORDINATOR' as const, certFingerprint: t.creds.get('essex-marat')!.fingerprint };
    for (let i = 0; i < 520; i += 20) {
      await Promise.all(Array.from({ length: 20 }, () => t.gateway.exchange.cases.createCase(coordinator, structuredClone(body))));
    }
    const newest = await open({ family: surname, meetingDate: '2027-04-19' });
    const all = await list('?pageSize=100');
    expect(all.body.total).toBe(before + 521);
    expect(all.body.pages).toBe(Math.ceil((before + 521) / 100));
    const last = await list(`?pageSize=100&page=${all.body.pages}`);
    expect(last.body.items.length).toBe((before + 521) % 100 || 100);
    const mine = await list(`?familyName=${surname}&pageSize=100&page=6`);
    expect(mine.body).toMatchObject({ total: 521, pages: 6 });
    expect(mine.body.items).toHaveLength(21);
    expect(ids(await list(`?familyName=${surname}&pageSize=1`))).toEqual([newest.caseId]);
    const summary = await call('GET', `/v1/cases/${newest.caseId}`);
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({ caseId: newest.caseId, status: 'OPEN', meetingDate: '2027-04-19' });
  }, 120_000);
});

describe('edit', () => {
  it('changes the meeting date, names and identifiers; audited with the field names only; tokens recomputed', async () => {
    const a = await open();
    const v1 = a.subjects.find((s) => s.key === 'v1')!.subjectId;
    const newNhs = nhsNumber();
    const newSurname = `Renamed${letters(6)}`;
    const r = await call('PATCH', `/v1/cases/${a.caseId}`, {
      reason: 'The victim gave her married name at the second contact (fictional).',
      meetingDate: '2027-01-20',
      externalRef: 'MN-2027-0001X',
      subjects: [{ subjectId: v1, names: [{ given: ['Anna'], family: newSurname }], identifiers: [{ system: 'nhs-number', value: newNhs }], remove: ['contact'] }],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.changed).toEqual(['externalRef', 'meetingDate', 'subjects.contact', 'subjects.identifiers', 'subjects.names']);
    expect(ids(await list(`?familyName=${newSurname}&givenName=Anna&dob=1988-05-17`))).toEqual([a.caseId]);
    expect(ids(await list(`?nhsNumber=${newNhs}`))).toEqual([a.caseId]);
    expect(ids(await list('?ref=mn-2027-0001x'))).toEqual([a.caseId]);
    expect((await list(`?nhsNumber=${a.nhs}`)).body.total).toBe(0);
    expect((await list(`?familyName=${a.surname}`)).body.total).toBe(0);
    expect((await call('GET', `/v1/cases/${a.caseId}`)).body.meetingDate).toBe('2027-01-20');

    const [ev] = await auditOf(a.caseId, 'CASE_UPDATED');
    expect(ev.detail).toMatchObject({ fields: 'externalRef,meetingDate,subjects.contact,subjects.identifiers,subjects.names', subjectIds: v1 });
    const text = JSON.stringify(ev);
    for (const plain of [newSurname, newNhs, 'married name', 'MN-2027', '2027-01-20']) expect(text).not.toContain(plain);
    // The event is found by the subject's identifiers before and after the change (audit tokens, never search tokens).
    const stored = (await t.db.pool.query('SELECT subject_tokens FROM cases WHERE id = $1', [a.caseId])).rows[0].subject_tokens as string[];
    expect(ev.subjectTokens).toEqual(expect.arrayContaining(stored));
    expect(ev.subjectTokens.length).toBeGreaterThan(stored.length);
    for (const tok of ev.subjectTokens) expect(tok).toMatch(/^tok_/);
  });

  it('edits the risk basis: criteria judged again, the rationale sealed', async () => {
    const a = await open();
    const r = await call('PATCH', `/v1/cases/${a.caseId}`, {
      reason: 'Dash re-scored',
      riskBasis: { criteria: ['VISIBLE_HIGH_RISK', 'PROFESSIONAL_JUDGEMENT'], dashScore: 18, dashVersion: 'SAFELIVES_24Q', professionalJudgementRationale: 'Threats to kill (fictional).' },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.changed).toEqual(expect.arrayContaining(['riskBasis.criteria', 'riskBasis.dashScore', 'riskBasis.professionalJudgementRationale']));
    const row = (await t.db.pool.query('SELECT risk_basis::text AS rb FROM cases WHERE id = $1', [a.caseId])).rows[0];
    expect(row.rb).not.toContain('Threats to kill');
    expect(JSON.parse(row.rb).dashScore).toBe(18);
  });

  it('nothing changed: no audit event, no re-seal', async () => {
    const a = await open();
    const before = await written();
    const r = await call('PATCH', `/v1/cases/${a.caseId}`, { reason: 'checking', meetingDate: '2026-12-16' });
    expect(r.status).toBe(200);
    expect(r.body.changed).toEqual([]);
    expect(await written()).toBe(before);
  });

  it('bad edits get a 4xx with a stable code and write nothing', async () => {
    const a = await open();
    const v1 = a.subjects.find((s) => s.key === 'v1')!.subjectId;
    const before = await written();
    const bad: [unknown, number, string][] = [
      [{ meetingDate: '2027-01-01' }, 400, 'VALIDATION_FAILED'],
      [{ reason: 'x' }, 400, 'VALIDATION_FAILED'],
      [{ reason: '   ', meetingDate: '2027-01-01' }, 400, 'VALIDATION_FAILED'],
      [{ reason: 'x', meetingDate: '2027-02-30' }, 400, 'VALIDATION_FAILED'],
      [{ reason: 'x', meetingDate: '1999-01-01' }, 400, 'VALIDATION_FAILED'],
      [{ reason: 'x', externalRef: 'has spaces' }, 400, 'VALIDATION_FAILED'],
      [{ reason: 'x', status: 'CLOSED' }, 400, 'VALIDATION_FAILED'],
      [{ reason: 'x', subjects: [{ subjectId: v1, legal: { careAndSupportNeeds: true } }] }, 400, 'VALIDATION_FAILED'],
      [{ reason: 'x', subjects: [{ subjectId: v1, names: [] }] }, 400, 'VALIDATION_FAILED'],
      [{ reason: 'x', subjects: [{ subjectId: v1 }] }, 400, 'VALIDATION_FAILED'],
      [{ reason: 'x', riskBasis: { criteria: ['MADE_UP'] } }, 400, 'VALIDATION_FAILED'],
      [{ reason: 'x', subjects: [{ subjectId: 'subj_0000', sexOrGender: 'F' }] }, 400, 'CASE_SUBJECT_UNKNOWN'],
      [{ reason: 'x', subjects: [{ subjectId: v1, sexOrGender: 'F' }, { subjectId: v1, sexOrGender: 'X' }] }, 400, 'CASE_SUBJECT_UNKNOWN'],
      [{ reason: 'x', subjects: [{ subjectId: v1, contact: { phone: '01234 567890' }, remove: ['contact'] }] }, 400, 'CASE_SUBJECT_UNKNOWN'],
    ];
    for (const [body, status, code] of bad) {
      const r = await call('PATCH', `/v1/cases/${a.caseId}`, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.body.code, JSON.stringify(body)).toBe(code);
    }
    const other = await call('PATCH', `/v1/cases/${a.caseId}`, { reason: 'x', meetingDate: '2027-01-01' }, 'southend-marac');
    expect([other.status, other.body.code]).toEqual([404, 'CASE_NOT_FOUND']);
    const police = await call('PATCH', `/v1/cases/${a.caseId}`, { reason: 'x', meetingDate: '2027-01-01' }, 'essex-police');
    expect([police.status, police.body.code]).toEqual([404, 'CASE_NOT_FOUND']);
    const malformed = await call('PATCH', '/v1/cases/case_nothex', { reason: 'x', meetingDate: '2027-01-01' });
    expect([malformed.status, malformed.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(await written()).toBe(before);
  });
});

describe('withdraw, close, reopen', () => {
  const research = (caseId: string) => t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] });

  it('a withdrawn case refuses research and edits (CASE_NOT_OPEN) and says so in the list; reopened, it is researched again', async () => {
    const a = await open();
    const w = await t.as('essex-marat').post(`/v1/cases/${a.caseId}/withdraw`, { reason: 'Victim moved out of the area (fictional).' });
    expect(w.status, JSON.stringify(w.body)).toBe(200);
    expect(w.body).toMatchObject({ status: 'WITHDRAWN', outcome: null });
    const before = await written();
    const r = await research(a.caseId);
    expect([r.status, r.body.code]).toEqual([409, 'CASE_NOT_OPEN']);
    const e = await call('PATCH', `/v1/cases/${a.caseId}`, { reason: 'x', meetingDate: '2027-01-01' });
    expect([e.status, e.body.code]).toEqual([409, 'CASE_NOT_OPEN']);
    const again = await t.as('essex-marat').post(`/v1/cases/${a.caseId}/withdraw`, { reason: 'again' });
    expect([again.status, again.body.code]).toEqual([409, 'CASE_NOT_OPEN']);
    const close = await t.as('essex-marat').post(`/v1/cases/${a.caseId}/close`, { outcome: 'NO_FURTHER_ACTION' });
    expect([close.status, close.body.code]).toEqual([409, 'CASE_NOT_OPEN']);
    expect(await written()).toBe(before);

    expect((await list(`?nhsNumber=${a.nhs}`)).body.items[0]).toMatchObject({ status: 'WITHDRAWN' });
    expect(ids(await list(`?nhsNumber=${a.nhs}&status=WITHDRAWN`))).toEqual([a.caseId]);
    expect((await list(`?nhsNumber=${a.nhs}&status=OPEN`)).body.total).toBe(0);

    const re = await t.as('essex-marat').post(`/v1/cases/${a.caseId}/reopen`, { reason: 'Back in the area.' });
    expect(re.body).toMatchObject({ status: 'OPEN' });
    const twice = await t.as('essex-marat').post(`/v1/cases/${a.caseId}/reopen`, { reason: 'again' });
    expect([twice.status, twice.body.code]).toEqual([409, 'CASE_ALREADY_OPEN']);
    const ok = await research(a.caseId);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);

    const [wd] = await auditOf(a.caseId, 'CASE_WITHDRAWN');
    expect(wd.detail).toMatchObject({ from: 'OPEN', to: 'WITHDRAWN', reasonRecorded: true });
    expect(JSON.stringify(wd)).not.toContain('moved out');
    expect((await auditOf(a.caseId, 'CASE_REOPENED'))).toHaveLength(1);
  });

  it('closes with an outcome, recorded in the list, the filter and the audit event; a closed case is not researched', async () => {
    const a = await open();
    const c = await t.as('essex-marat').post(`/v1/cases/${a.caseId}/close`, { outcome: 'HEARD_ACTIONS_COMPLETE', note: 'All actions done (fictional).' });
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    expect(c.body).toMatchObject({ status: 'CLOSED', outcome: 'HEARD_ACTIONS_COMPLETE' });
    expect((await list(`?nhsNumber=${a.nhs}&status=CLOSED`)).body.items[0]).toMatchObject({ caseId: a.caseId, outcome: 'HEARD_ACTIONS_COMPLETE' });
    const r = await research(a.caseId);
    expect([r.status, r.body.code, r.body.reason]).toEqual([409, 'CASE_NOT_OPEN', 'CLOSED']);
    const [ev] = await auditOf(a.caseId, 'CASE_CLOSED');
    expect(ev.detail).toMatchObject({ to: 'CLOSED', outcome: 'HEARD_ACTIONS_COMPLETE' });
    expect(JSON.stringify(ev)).not.toContain('All actions');
    // Reopened: the outcome is cleared.
    await t.as('essex-marat').post(`/v1/cases/${a.caseId}/reopen`, { reason: 'New incident.' });
    expect((await call('GET', `/v1/cases/${a.caseId}`)).body).toMatchObject({ status: 'OPEN', outcome: null });
  });

  it('bad state changes get a 4xx with a stable code and write nothing', async () => {
    const a = await open();
    const before = await written();
    const bad: [string, unknown, string, number, string][] = [
      ['withdraw', {}, 'essex-marat', 400, 'VALIDATION_FAILED'],
      ['withdraw', { reason: '' }, 'essex-marat', 400, 'VALIDATION_FAILED'],
      ['withdraw', { reason: 'x', extra: 1 }, 'essex-marat', 400, 'VALIDATION_FAILED'],
      ['close', {}, 'essex-marat', 400, 'VALIDATION_FAILED'],
      ['close', { outcome: 'SOLVED' }, 'essex-marat', 400, 'VALIDATION_FAILED'],
      ['close', { outcome: 'DUPLICATE', note: ' ' }, 'essex-marat', 400, 'VALIDATION_FAILED'],
      ['reopen', { reason: 'x' }, 'essex-marat', 409, 'CASE_ALREADY_OPEN'],
      ['withdraw', { reason: 'x' }, 'southend-marac', 404, 'CASE_NOT_FOUND'],
      ['close', { outcome: 'DUPLICATE' }, 'essex-police', 404, 'CASE_NOT_FOUND'],
    ];
    for (const [action, body, agency, status, code] of bad) {
      const r = await t.as(agency).post(`/v1/cases/${a.caseId}/${action}`, body);
      expect(r.status, `${action} ${JSON.stringify(body)} ${agency}`).toBe(status);
      expect(r.body.code, `${action} ${JSON.stringify(body)}`).toBe(code);
    }
    const missing = await t.as('essex-marat').post(`/v1/cases/case_${'0'.repeat(32)}/withdraw`, { reason: 'x' });
    expect([missing.status, missing.body.code]).toEqual([404, 'CASE_NOT_FOUND']);
    expect(await written()).toBe(before);
  });
});

describe('filters', () => {
  it('repeat: a case whose last referral was within 12 months; overdue: a case with an overdue answer', async () => {
    const surname = `Flag${letters(8)}`;
    const rep = family({ family: surname });
    rep.body.riskBasis = { ...rep.body.riskBasis, criteria: ['VISIBLE_HIGH_RISK', 'REPEAT'], lastMaracReferralDate: '2026-01-05' };
    const repeatCase = (await t.as('essex-marat').post('/v1/cases', rep.body)).body.caseId;
    const plain = family({ family: surname });
    plain.body.riskBasis = { ...plain.body.riskBasis, lastMaracReferralDate: '2020-01-05' };
    const plainCase = (await t.as('essex-marat').post('/v1/cases', plain.body)).body.caseId;
    expect(ids(await list(`?familyName=${surname}&repeat=true`))).toEqual([repeatCase]);
    expect(ids(await list(`?familyName=${surname}&repeat=false`))).toEqual([plainCase]);
    expect((await list(`?familyName=${surname}&repeat=true`)).body.items[0].repeat).toBe(true);

    const sent = await t.as('essex-marat').post(`/v1/cases/${plainCase}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    await t.db.pool.query(`UPDATE messages SET state = 'overdue' WHERE case_id = $1`, [plainCase]);
    expect(ids(await list(`?familyName=${surname}&overdue=true`))).toEqual([plainCase]);
    expect(ids(await list(`?familyName=${surname}&overdue=false`))).toEqual([repeatCase]);
    expect((await list(`?familyName=${surname}&overdue=true`)).body.items[0]).toMatchObject({ overdue: 1, messages: 1 });
  });
});
