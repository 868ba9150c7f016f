/**
 * The SQL source against PostgreSQL (real, no mocks): police's synthetic export in the standard
 * layout; searches by PNC id, by name with date of birth (swapped too) and by date of birth with
 * postcode; keyset paging; each search kind can run on its index; statement and subject time-outs
 * cancel on the server; errors carry SQLSTATE codes, never values; and the same answers as the
 * memory source, payloads included.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { seedSqlAgency } from '../../helpers/agency-sources.js';
import { adapterByName } from '../../../adapters/catalog.js';
import { readDataDir } from '../../../adapters/sdk/data.js';
import { answerRequest, loadAgency } from '../../../adapters/sdk/respond.js';
import { createSqlSource, type SqlSource } from '../../../adapters/sdk/sources/sql.js';
import { standardSqlConfig } from '../../../adapters/sdk/sources/sql-setup.js';
import { sourceQueryOf } from '../../../adapters/sdk/source.js';
import { policeDocumentMapping } from '../../../adapters/police/documents.js';
import type { PoliceDb } from '../../../adapters/police/map.js';
import type { InboxMessage, RequestSubject } from '../../../adapters/sdk/types.js';

const memory = loadAgency(policeDocumentMapping, readDataDir(adapterByName('police')!.dataDir));
const people = policeDocumentMapping.candidates(memory.db);
const signal = new AbortController().signal;
let t: TestDatabase;
let sql: SqlSource<PoliceDb>;

const msg = (subjects: RequestSubject[]): InboxMessage => ({
  messageId: `msg_${'b'.repeat(32)}`, requestId: `req_${'b'.repeat(32)}`, caseId: `case_${'b'.repeat(32)}`, kind: 'RESEARCH_REQUEST', purpose: 'MARAC_RESEARCH', deadline: '2026-12-15T17:00:00Z',
  request: { purpose: 'MARAC_RESEARCH', meetingDate: '2026-12-16', deadline: '2026-12-15T17:00:00Z', lookbackMonths: 24, requestedDomains: ['DA_INCIDENTS', 'ORDERS_AND_BAIL', 'CONVICTIONS'], subjects },
});
const withPnc = people.find((p) => p.identifiers.length && p.postcodes?.length)!;
const subjectOf = (p: (typeof people)[number], i: number, o: { ids?: boolean } = {}): RequestSubject => ({
  subjectId: `subj_${i}`, role: 'VICTIM', names: [p.names[0]!], dobs: [p.dobs[0]!], ...(o.ids !== false && p.identifiers.length ? { identifiers: p.identifiers } : {}),
});

beforeAll(async () => {
  t = await createTestDatabase({ migrate: false });
  await seedSqlAgency(t.pool, 'police_src', policeDocumentMapping, memory.db);
  sql = createSqlSource(policeDocumentMapping, standardSqlConfig('police_src'), { pool: t.pool });
});
afterAll(async () => {
  await t?.drop();
});

describe('SQL source', () => {
  it('finds a person by PNC id, by name with date of birth, with day and month swapped, and by date of birth with postcode', async () => {
    const find = async (s: RequestSubject) => (await sql.search(sourceQueryOf(s)!, { signal, pageSize: 20 })).candidates.map((c) => c.recordId);
    expect(await find({ subjectId: 's', role: 'VICTIM', identifiers: withPnc.identifiers })).toEqual([withPnc.recordId]);
    const n = withPnc.names[0]!;
    expect(await find({ subjectId: 's', role: 'VICTIM', names: [n], dobs: [withPnc.dobs[0]!] })).toContain(withPnc.recordId);
    const d = withPnc.dobs[0]!;
    const swapped = `${d.slice(0, 4)}-${d.slice(8, 10)}-${d.slice(5, 7)}`;
    if (Number(d.slice(8, 10)) <= 12) expect(await find({ subjectId: 's', role: 'VICTIM', names: [n], dobs: [swapped] })).toContain(withPnc.recordId);
    // A changed family name: date of birth with the postcode still brings the person back.
    expect(await find({ subjectId: 's', role: 'VICTIM', names: [{ given: ['Zz'], family: 'Changed' }], dobs: [d], address: { postcode: withPnc.postcodes![0]!.toLowerCase() } })).toContain(withPnc.recordId);
    // The candidate comes whole: every name, date of birth and address the record has.
    const c = (await sql.search(sourceQueryOf({ subjectId: 's', role: 'VICTIM', identifiers: withPnc.identifiers })!, { signal, pageSize: 5 })).candidates[0]!;
    expect(new Set(c.names.map((x) => JSON.stringify(x)))).toEqual(new Set(withPnc.names.map((x) => JSON.stringify({ ...x, given: x.given }))));
    expect(c.dobs.sort()).toEqual([...withPnc.dobs].sort());
  });

  it('pages with a cursor (keyset on the record id) until the last page', async () => {
    await t.pool.query(`INSERT INTO police_src.people (record_id, given, family, dob) SELECT 'TWIN-' || g, 'Sam', 'Twin', '1999-09-09' FROM generate_series(1, 5) g`);
    const q = sourceQueryOf({ subjectId: 's', role: 'VICTIM', names: [{ given: ['Sam'], family: 'Twin' }], dobs: ['1999-09-09'] })!;
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const p = await sql.search(q, { signal, pageSize: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...p.candidates.map((c) => c.recordId));
      cursor = p.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['TWIN-1', 'TWIN-2', 'TWIN-3', 'TWIN-4', 'TWIN-5']);
  });

  it('every search kind can run on its index (no sequential scan of the people when the planner is told to avoid one)', async () => {
    const q = sourceQueryOf({ subjectId: 's', role: 'VICTIM', identifiers: withPnc.identifiers, names: [withPnc.names[0]!], dobs: [withPnc.dobs[0]!], address: { postcode: withPnc.postcodes![0]! } })!;
    const stmt = sql.plan(q, 50)!;
    expect(stmt.text.split(' UNION ')).toHaveLength(4);
    const cl = await t.pool.connect();
    try {
      await cl.query('SET enable_seqscan = off');
      const plan = (await cl.query(`EXPLAIN ${stmt.text}`, stmt.values)).rows.map((r) => r['QUERY PLAN'] as string).join('\n');
      expect(plan).not.toMatch(/Seq Scan/);
      expect(plan).toMatch(/Index/);
    } finally {
      await cl.query('RESET enable_seqscan');
      cl.release();
    }
    // Only parameters carry values: the statement text holds none of them.
    expect(stmt.text).not.toContain(withPnc.identifiers[0]!.value);
    expect(stmt.text.toLowerCase()).not.toContain(withPnc.names[0]!.family!.toLowerCase());
  });

  it('answers exactly as the memory source does (matches and payloads), reading only the chosen records', async () => {
    const sample = people.filter((_, i) => i % 23 === 0).slice(0, 25);
    const subjects = sample.map((p, i) => subjectOf(p, i, { ids: i % 2 === 0 }));
    const now = () => new Date('2026-11-20T10:00:00Z');
    const a = await answerRequest(memory, msg(subjects), { now });
    const b = await answerRequest({ mapping: policeDocumentMapping, source: sql }, msg(subjects), { now });
    expect(b.response).toEqual(a.response);
    expect(a.report.matched).toBeGreaterThan(20);
  });

  it('a statement over its time-out is cancelled by the server: SOURCE_TIMEOUT, with no value in the message', async () => {
    await t.pool.query(`CREATE VIEW police_src.slow_v AS SELECT p.* FROM police_src.people p, LATERAL (SELECT pg_sleep(0.05)) s`);
    const slow = createSqlSource(policeDocumentMapping, { ...standardSqlConfig('police_src', { statementTimeoutMs: 200 }), people: { view: 'police_src.slow_v', columns: standardSqlConfig('police_src').people.columns } }, { pool: t.pool });
    const q = sourceQueryOf({ subjectId: 's', role: 'VICTIM', names: [{ given: ['Sam'], family: 'Twin' }], dobs: ['1999-09-09'] })!;
    await expect(slow.search(q, { signal, pageSize: 5 })).rejects.toMatchObject({ code: 'SOURCE_TIMEOUT' });
    expect(slow.health().errors.at(-1)).toMatchObject({ code: 'SOURCE_TIMEOUT' });
    expect(JSON.stringify(slow.health())).not.toMatch(/Twin|1999/);
  });

  it('the subject time-out cancels the statement on the server', async () => {
    const slow = createSqlSource(policeDocumentMapping, { ...standardSqlConfig('police_src', { statementTimeoutMs: 120_000 }), people: { view: 'police_src.slow_v', columns: standardSqlConfig('police_src').people.columns } }, { pool: t.pool });
    const subj: RequestSubject = { subjectId: 's', role: 'VICTIM', names: [{ given: ['Sam'], family: 'Twin' }], dobs: ['1999-09-09'] };
    await expect(answerRequest({ mapping: policeDocumentMapping, source: slow, limits: { subjectTimeoutMs: 300 } }, msg([subj]))).rejects.toMatchObject({ code: 'SOURCE_TIMEOUT' });
    await vi.waitFor(async () => {
      const r = await t.pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%slow_v%' AND pid <> pg_backend_pid()`);
      expect(r.rows[0].n).toBe(0);
    }, { timeout: 20_000, interval: 100 });
  });

  it('a missing view is SOURCE_QUERY_FAILED naming the SQLSTATE; an unsafe name in the configuration is refused', async () => {
    const bad = createSqlSource(policeDocumentMapping, standardSqlConfig('no_such_schema'), { pool: t.pool });
    await expect(bad.search(sourceQueryOf({ subjectId: 's', role: 'VICTIM', identifiers: withPnc.identifiers })!, { signal, pageSize: 5 }))
      .rejects.toMatchObject({ code: 'SOURCE_QUERY_FAILED', message: expect.stringContaining('SQLSTATE 42P01') });
    expect(() => createSqlSource(policeDocumentMapping, { ...standardSqlConfig('police_src'), people: { view: 'police_src.people_v; DROP TABLE x', columns: standardSqlConfig('police_src').people.columns } }, { pool: t.pool }))
      .toThrow(expect.objectContaining({ code: 'ADAPTER_CONFIG_INVALID' }));
    expect(() => createSqlSource(policeDocumentMapping, { ...standardSqlConfig('police_src'), people: { view: 'police_src.people_v', columns: { recordId: 'record_id', family: 'family"; --' } } }, { pool: t.pool }))
      .toThrow(expect.objectContaining({ code: 'ADAPTER_CONFIG_INVALID' }));
  });

  it('searches run in a read-only transaction', async () => {
    await t.pool.query(`CREATE FUNCTION police_src.writes() RETURNS text LANGUAGE sql AS $$ INSERT INTO police_src.records VALUES ('X', '{}') RETURNING record_id $$`);
    await t.pool.query(`CREATE VIEW police_src.writing_v AS SELECT p.*, police_src.writes() AS w FROM police_src.people p`);
    const writing = createSqlSource(policeDocumentMapping, { ...standardSqlConfig('police_src'), people: { view: 'police_src.writing_v', columns: standardSqlConfig('police_src').people.columns } }, { pool: t.pool });
    await expect(writing.search(sourceQueryOf({ subjectId: 's', role: 'VICTIM', identifiers: withPnc.identifiers })!, { signal, pageSize: 5 }))
      .rejects.toMatchObject({ code: 'SOURCE_QUERY_FAILED', message: expect.stringContaining('25006') });
    expect((await t.pool.query(`SELECT count(*)::int AS n FROM police_src.records WHERE record_id = 'X'`)).rows[0].n).toBe(0);
  });
});
