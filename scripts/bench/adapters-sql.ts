/**
 * `adapters.sql_search_p95_ms` (issue 16): one subject's search through the SDK's SQL source with
 * 1,000,000 people in PostgreSQL, as the runner does it: the SDK's query, every page of the
 * source's UNION of index-friendly searches (PNC id; name with date of birth, swaps included; full
 * name; date of birth with postcode), the candidates' rows, the matcher, and the read of the chosen
 * record's document. Target ≤ 1000 ms p95.
 * Baseline, in the same run on the same database: the bare indexed query for the same subject
 * (`WHERE dob = $1 AND lower(family) = $2 AND lower(given) = $3` on the README's indexes).
 *
 * The people are made with generate_series in a fresh database (names from fixed lists, dates of
 * birth over 70 years, every tenth person with a PNC id with its check letter, postcodes), in the
 * standard layout (adapters/sdk/sources/sql-setup.ts); the records view builds each person's
 * police document from the row, so nothing else is stored.
 */
import { performance } from 'node:perf_hooks';
import { createTestDatabase } from '../../test/helpers/db.js';
import { createMatcher } from '../../adapters/sdk/matching/matcher.js';
import { createSqlSource } from '../../adapters/sdk/sources/sql.js';
import { standardSqlConfig, standardSqlSchema } from '../../adapters/sdk/sources/sql-setup.js';
import { DEFAULT_LIMITS, readRecords, searchSubject, sourceQueryOf } from '../../adapters/sdk/source.js';
import type { RequestSubject } from '../../adapters/sdk/types.js';
import { policeDocumentMapping } from '../../adapters/police/documents.js';
import { percentile, ratioOf, round, type BenchResult } from './lib.js';

const GIVEN = ['Aaliyah', 'Abdul', 'Ada', 'Adam', 'Aisha', 'Alan', 'Alice', 'Amir', 'Amy', 'Andrew', 'Anna', 'Arjun', 'Ben', 'Beth', 'Bilal', 'Carl', 'Cara', 'Chloe', 'Chris', 'Claire', 'Dan', 'Dawn', 'Dean', 'Demi', 'Ella', 'Emma', 'Eve', 'Faye', 'Finn', 'Gary', 'Gemma', 'Grace', 'Hana', 'Harry', 'Holly', 'Ian', 'Imran', 'Isla', 'Jack', 'Jade', 'James', 'Jane', 'Jay', 'Joe', 'Josh', 'Julie', 'Kai', 'Kate', 'Kerry', 'Kim', 'Lee', 'Leah', 'Liam', 'Lily', 'Lisa', 'Luke', 'Maria', 'Mark', 'Mia', 'Mo', 'Nadia', 'Neil', 'Nina', 'Noah', 'Olga', 'Omar', 'Owen', 'Paul', 'Priya', 'Raj', 'Rosa', 'Ruth', 'Ryan', 'Sam', 'Sara', 'Sean', 'Sofia', 'Tom', 'Tina', 'Tyler', 'Una', 'Vic', 'Wes', 'Yusuf', 'Zara', 'Zoe'];
const FAMILY = ['Adams', 'Ahmed', 'Ali', 'Allen', 'Bailey', 'Baker', 'Begum', 'Bell', 'Brown', 'Butler', 'Campbell', 'Carter', 'Clark', 'Collins', 'Cook', 'Cooper', 'Davies', 'Davis', 'Edwards', 'Ellis', 'Evans', 'Fisher', 'Ford', 'Foster', 'Green', 'Griffiths', 'Hall', 'Harris', 'Hill', 'Hughes', 'Hussain', 'Jackson', 'James', 'Jones', 'Kaur', 'Kelly', 'Khan', 'King', 'Knight', 'Lee', 'Lewis', 'Lloyd', 'Marsh', 'Martin', 'Mason', 'Miah', 'Mills', 'Mitchell', 'Moore', 'Morgan', 'Morris', 'Murphy', 'Nowak', 'Owen', 'Palmer', 'Parker', 'Patel', 'Phillips', 'Price', 'Quinn', 'Reid', 'Roberts', 'Robinson', 'Rose', 'Shaw', 'Singh', 'Smith', 'Stone', 'Taylor', 'Thomas', 'Turner', 'Walker', 'Ward', 'Watson', 'White', 'Wilson', 'Wood', 'Wright', 'Young'];
const DEFAULTS = { people: 1_000_000, subjects: 200, warmup: 20 };

const sqlArray = (xs: string[]) => `ARRAY[${xs.map((x) => `'${x}'`).join(',')}]`;

export async function runSqlSearch(opts: Partial<typeof DEFAULTS> = {}): Promise<BenchResult> {
  const o = { ...DEFAULTS, ...opts };
  const t = await createTestDatabase({ migrate: false });
  try {
    console.error(`bench adapters.sql_search: seeding ${o.people} people…`);
    await t.pool.query(standardSqlSchema('agency'));
    // Generated people (deterministic): ~7,000 given × family pairs, DOBs over ~70 years, a PNC id for every tenth.
    await t.pool.query(`
      INSERT INTO agency.people (record_id, pnc_id, given, family, name_use, dob, sex, postcode)
      SELECT 'P' || lpad(g::text, 8, '0'),
             CASE WHEN g % 10 = 0 THEN '1' || (g % 10)::text || '/' || lpad(g::text, 7, '0')
               || substr('ZABCDEFGHJKLMNPQRTUVWXY', ((('1' || (g % 10)::text)::bigint * 10000000 + g) % 23)::int + 1, 1) END,
             (${sqlArray(GIVEN)})[(1 + (g * 7919) % ${GIVEN.length})::int],
             (${sqlArray(FAMILY)})[(1 + (g * 104729) % ${FAMILY.length})::int],
             'official',
             date '1940-01-01' + ((g * 2654435761) % 25567)::int,
             CASE WHEN g % 2 = 0 THEN 'F' ELSE 'M' END,
             'CM' || (1 + g % 9)::text || ' ' || (g % 10)::text || chr((65 + g % 26)::int) || chr((65 + (g / 26) % 26)::int)
      FROM generate_series(1::bigint, ${o.people}::bigint) AS g`);
    // The records view builds each person's (police) document from the row: nothing else stored.
    await t.pool.query(`CREATE OR REPLACE VIEW agency.records_v AS
      SELECT record_id, jsonb_build_object('format', 'POLE-EXPORT', 'version', '1.0', 'force', 'bench', 'exportedAt', '2026-12-01T00:00:00Z',
        'persons', jsonb_build_array(jsonb_build_object('personRef', record_id, 'names', jsonb_build_array(jsonb_build_object('givenName', jsonb_build_array(given), 'surname', family, 'nameType', 'PRIMARY')),
          'gender', CASE sex WHEN 'F' THEN 'GNDR_0001' ELSE 'GNDR_0002' END, 'dateOfBirth', dob::text, 'alternativeDatesOfBirth', '[]'::jsonb, 'addresses', '[]'::jsonb)),
        'locations', '[]'::jsonb, 'objects', '[]'::jsonb, 'events', '[]'::jsonb, 'convictions', '[]'::jsonb, 'orders', '[]'::jsonb, 'bail', '[]'::jsonb,
        'markers', '[]'::jsonb, 'dvdsDisclosures', '[]'::jsonb, 'mappa', '[]'::jsonb, 'addressAlerts', '[]'::jsonb) AS document
      FROM agency.people`);
    await t.pool.query('VACUUM ANALYZE agency.people');

    // Subjects: people drawn across the table; half with their PNC id (every tenth holds one), half by name and date of birth.
    const ids = Array.from({ length: o.subjects + o.warmup }, (_, i) => 1 + ((i * 4_999_963 + 17) % o.people));
    const rows = (await t.pool.query(`SELECT record_id, pnc_id, given, family, dob::text AS dob, postcode FROM agency.people WHERE record_id = ANY($1::text[])`, [ids.map((g) => `P${String(g).padStart(8, '0')}`)])).rows;
    const subjects: RequestSubject[] = rows.map((r, i) => ({
      subjectId: `s${i}`, role: 'VICTIM', names: [{ given: [r.given], family: r.family }], dobs: [r.dob],
      ...(r.pnc_id ? { identifiers: [{ system: 'pnc-id', value: r.pnc_id }] } : {}),
      ...(i % 3 === 0 ? { address: { postcode: r.postcode } } : {}),
    }));

    const source = createSqlSource(policeDocumentMapping, standardSqlConfig('agency'), { pool: t.pool });
    const subjectMs: number[] = [];
    const bareMs: number[] = [];
    let found = 0;
    for (const [i, s] of subjects.entries()) {
      // The bare indexed query for the same subject, then the SDK's whole subject search.
      const t0 = performance.now();
      await t.pool.query('SELECT record_id FROM agency.people WHERE dob = $1 AND lower(family) = $2 AND lower(given) = $3', [s.dobs![0], s.names![0]!.family!.toLowerCase(), s.names![0]!.given![0]!.toLowerCase()]);
      const t1 = performance.now();
      const q = sourceQueryOf(s)!;
      const r = await searchSubject(source, q, DEFAULT_LIMITS);
      const m = createMatcher(r.candidates).match(s);
      if (m.recordId) await readRecords(source, [m.recordId], DEFAULT_LIMITS);
      const t2 = performance.now();
      if (i < o.warmup) continue;
      bareMs.push(t1 - t0);
      subjectMs.push(t2 - t1);
      if (m.status === 'MATCHED') found++;
    }
    const value = round(percentile(subjectMs, 95), 1);
    const baseline = round(percentile(bareMs, 95), 2);
    return {
      name: 'adapters.sql_search_p95_ms', value, unit: 'ms', baseline, ratio: ratioOf(value, baseline), target: '≤ 1000 ms',
      note: `${o.people.toLocaleString('en-GB')} people in PostgreSQL (generate_series, README indexes); ${subjectMs.length} subjects (search by PNC id or name + DOB, some with postcode), all pages, match, read of the chosen record; baseline: the bare indexed name + DOB query; p50 ${round(percentile(subjectMs, 50), 1)} ms; ${found}/${subjectMs.length} MATCHED`,
    };
  } finally {
    await t.drop();
  }
}
