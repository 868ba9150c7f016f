/**
 * Case search benchmark (issue 13). `npm run bench -- cases` prints one JSON line per figure.
 *
 * cases.search_p95_ms  p95 of the coordinator's case search (listCases, what GET /v1/cases and the
 *                      /cases page run: token computation, the lazy backfill check, the count, the
 *                      page of 25 with its message counts, and unsealing each row on the page) over
 *                      100,000 cases (BENCH_CASES to scale), by NHS number, by name with date of
 *                      birth, by family name alone (about 50 cases each, a full page) and by local
 *                      reference, mixed. Baseline, same run, same rows and tokens: the bare indexed
 *                      query (`search_tokens @> $1`, LIMIT 25). Target ≤ 50 ms.
 *
 * Seeding: the cases are sealed with a real sealer and carry realistic search tokens (two people
 * per case, names from a pool so family names repeat), written with multi-row INSERTs from
 * unnest(); the database is dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { createCaseSearchTokens } from '../../gateway/src/exchange/case-search.js';
import { createCaseService } from '../../gateway/src/exchange/case-service.js';
import type { ExchangeDeps } from '../../gateway/src/exchange/deps.js';
import { createSealer } from '../../gateway/src/store/sealed-box.js';
import { createTestDatabase } from '../../test/helpers/db.js';
import { percentile, ratioOf, round, type BenchResult } from './lib.js';

const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const QUERIES = Number(process.env.BENCH_CASE_QUERIES ?? 400);
const COORDINATOR = 'essex-marat';
const FAMILIES = Math.max(1, Math.floor(CASES / 50));
const GIVEN = ['Anna', 'Jane', 'Maria', 'Sarah', 'Emma', 'Lucy', 'Mark', 'John', 'Paul', 'David', 'Tom', 'Sam'];

function nhsNumber(i: number): string {
  // Distinct nine-digit stems with a valid modulus-11 check digit (stems giving 10 are skipped by the caller).
  const nine = String(100_000_000 + i * 7).slice(0, 9);
  let sum = 0;
  for (let k = 0; k < 9; k++) sum += Number(nine[k]) * (10 - k);
  const c = 11 - (sum % 11);
  return c === 10 ? '' : `${nine}${c === 11 ? 0 : c}`;
}

function letters(n: number): string {
  let out = '';
  do {
    out = String.fromCharCode(97 + (n % 26)) + out;
    n = Math.floor(n / 26);
  } while (n > 0);
  return `B${out}`;
}

function person(i: number, role: 'VICTIM' | 'PERPETRATOR') {
  // Letters only: the name normaliser drops digits, so "Fam17son" and "Fam18son" would be one name.
  const family = `${letters((i * 7919 + (role === 'VICTIM' ? 0 : 13)) % FAMILIES)}son`;
  const given = GIVEN[(i + (role === 'VICTIM' ? 0 : 5)) % GIVEN.length]!;
  const dob = new Date(Date.UTC(1960, 0, 1) + ((i * 37 + (role === 'VICTIM' ? 0 : 11)) % 15_000) * 86_400_000).toISOString().slice(0, 10);
  const nhs = nhsNumber(role === 'VICTIM' ? i : i + CASES);
  return {
    subjectId: `subj_${i}_${role}`, key: role === 'VICTIM' ? 'v1' : 'p1', role,
    names: [{ given: [given], family }], dobs: [dob],
    identifiers: nhs ? [{ system: 'nhs-number', value: nhs }] : [],
    consent: { status: 'NOT_SOUGHT_UNSAFE' }, legal: { careAndSupportNeeds: false },
  };
}

export async function run(): Promise<BenchResult[]> {
  const db = await createTestDatabase();
  try {
    const sealer = createSealer({ keys: { k1: randomBytes(32) }, currentKeyId: 'k1' });
    const search = createCaseSearchTokens(randomBytes(32));
    const t0 = Date.now();
    const BATCH = 2000;
    for (let start = 0; start < CASES; start += BATCH) {
      const cols: unknown[][] = [[], [], [], [], [], [], [], []];
      for (let i = start; i < Math.min(CASES, start + BATCH); i++) {
        const id = `case_${i.toString(16).padStart(32, '0')}`;
        const sealed = { subjects: [person(i, 'VICTIM'), person(i, 'PERPETRATOR')], externalRef: `MN-${2020 + (i % 7)}-${String(i).padStart(6, '0')}` };
        const box = sealer.seal(sealed, id);
        const meeting = new Date(Date.UTC(2025, 0, 1) + (i % 900) * 86_400_000).toISOString().slice(0, 10);
        [id, meeting, box.keyId, box.iv, box.tag, box.ciphertext, `{${search.forCase(sealed).join(',')}}`, new Date(Date.UTC(2025, 0, 1) + i * 60_000)]
          .forEach((v, k) => cols[k]!.push(v));
      }
      await db.pool.query(
        `INSERT INTO cases (id, coordinator_agency_id, marac_area, meeting_date, risk_basis, subject_facts,
           subjects_key_id, subjects_iv, subjects_tag, subjects_ciphertext, subject_tokens, search_tokens, created_at)
         SELECT u.id, $9, 'essex', u.m, '{"criteria":["VISIBLE_HIGH_RISK"],"dashScore":15}', '[]', u.k, u.iv, u.tag, u.ct, '{}', u.tok::text[], u.at
           FROM unnest($1::text[], $2::date[], $3::text[], $4::bytea[], $5::bytea[], $6::bytea[], $7::text[], $8::timestamptz[])
             AS u(id, m, k, iv, tag, ct, tok, at)`,
        [...cols, COORDINATOR],
      );
    }
    await db.pool.query('ANALYZE cases');
    console.error(`cases: seeded ${CASES} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const coordinator = { kind: 'agency', agencyId: COORDINATOR, agencyType: 'MARAC_COORDINATOR', certFingerprint: 'c'.repeat(64) } as const;
    const deps = {
      pool: db.pool, sealer, caseSearch: search, now: () => new Date('2026-12-07T10:00:00Z'),
      agencies: { getAgency: async (id: string) => ({ id, type: 'MARAC_COORDINATOR', deliveryMode: 'pull', maracArea: 'essex', disabled: false }) },
    } as unknown as ExchangeDeps;
    const cases = createCaseService(deps);

    // A mix of searches, each for a case that exists.
    const queries: Record<string, string>[] = [];
    for (let n = 0; n < QUERIES; n++) {
      const i = Math.floor((n * 2654435761) % CASES);
      const v = person(i, 'VICTIM');
      const kind = n % 4;
      if (kind === 0 && v.identifiers[0]) queries.push({ nhsNumber: v.identifiers[0].value });
      else if (kind === 1) queries.push({ givenName: v.names[0]!.given[0]!, familyName: v.names[0]!.family, dob: v.dobs[0]! });
      else if (kind === 2) queries.push({ familyName: v.names[0]!.family });
      else queries.push({ ref: `MN-${2020 + (i % 7)}-${String(i).padStart(6, '0')}` });
    }

    const service: number[] = [];
    const byKind: Record<string, number[]> = {};
    const bare: number[] = [];
    let found = 0;
    for (const round_ of [0, 1]) {
      for (const q of queries) {
        // Interleaved, so both see the same cache and load.
        let t = performance.now();
        const page = await cases.listCases(coordinator, q);
        const ms = performance.now() - t;
        t = performance.now();
        // The bare GIN lookup (materialised, so the planner cannot trade it for a LIMIT-driven scan of all 100,000 rows).
        await db.pool.query(`WITH m AS MATERIALIZED (SELECT id, coordinator_agency_id FROM cases WHERE search_tokens @> $2::text[])
                             SELECT id FROM m WHERE coordinator_agency_id = $1 LIMIT 25`, [COORDINATOR, search.forQuery(q)]);
        const bareMs = performance.now() - t;
        if (round_ === 1) {
          service.push(ms);
          (byKind[Object.keys(q).join('+')] ??= []).push(ms);
          bare.push(bareMs);
          if (page.total > 0) found++;
        }
      }
    }
    const p95 = percentile(service, 95);
    const base = percentile(bare, 95);
    return [{
      name: 'cases.search_p95_ms',
      value: round(p95, 1),
      unit: 'ms',
      baseline: round(base, 1),
      ratio: ratioOf(p95, base),
      target: '≤ 50 ms',
      note: `p95 by kind: ${Object.entries(byKind).map(([k, v]) => `${k} ${round(percentile(v, 95), 1)} ms`).join(', ')}; ${CASES} cases, ${service.length} searches (NHS number, name with DOB, family name alone, reference), ${found} found a case; p50 ${round(percentile(service, 50), 1)} ms (bare ${round(percentile(bare, 50), 1)} ms); first round discarded as warm-up`,
    }];
  } finally {
    await db.drop().catch(() => {});
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((r) => { for (const x of r) process.stdout.write(`${JSON.stringify(x)}\n`); }, (err) => { console.error(err); process.exit(1); });
}
