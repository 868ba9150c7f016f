/**
 * Meetings benchmark (issue 14). `npm run bench -- meetings` prints one JSON line per figure.
 *
 * meetings.data_return_ms       p95 of producing a quarter's SafeLives data return (2026-Q3) through
 *                               the reporting service (the lazy-backfill check, the aggregate in a
 *                               transaction, the DATA_RETURN_PRODUCED event) over 100,000 cases
 *                               (BENCH_CASES to scale) heard at meetings over a year (about 25,000 in
 *                               the quarter). Baseline, same run, same rows: the bare aggregate
 *                               query (queryDataReturn on the pool). Target ≤ 1000 ms.
 * meetings.agenda_page_p95_ms   p95 of GET /meetings/{id}, the coordinator's agenda page of a
 *                               16-case meeting, over HTTP with a signed-in session (session lookup,
 *                               the meeting with attendance, the agenda rows with their flags, each
 *                               case's local reference unsealed, the audited VIEW_READ, the page
 *                               rendered). Baseline: the bare agenda query (the 16 listings joined
 *                               to their cases, ordered). Target ≤ 200 ms.
 *
 * Seeding (not timed): SQL generate_series. Cases carry one reused ciphertext (never opened),
 * except the cases of the measured meetings, sealed properly for their own ids (the agenda page
 * unseals their references); return flags for every case; 16 listings a meeting (one in 20
 * deferred); actions for two cases in five (owners rotate, a third done). The database is dropped
 * afterwards.
 */
import { createSealer } from '../../gateway/src/store/sealed-box.js';
import { queryDataReturn } from '../../gateway/src/reporting/data-return.js';
import { parseQuarter, quarterBounds } from '../../gateway/src/reporting/quarter.js';
import type { AgencyPrincipal } from '../../gateway/src/identity/principal.js';
import { startWebWorld } from '../../test/integration/web/world.js';
import { percentile, ratioOf, round, type BenchResult } from './lib.js';

const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const RETURN_RUNS = Number(process.env.BENCH_RETURN_RUNS ?? 20);
const PAGE_REQUESTS = Number(process.env.BENCH_AGENDA_REQUESTS ?? 300);
const PER_MEETING = 16;
const MEASURED_MEETINGS = 5;
const COORDINATOR = 'essex-marat';
const AGENCIES = ['essex-police', 'safe-steps-idva', 'mse-hospitals', 'chelmsford-housing', 'essex-childrens-services', 'kss-probation', 'eput-mental-health'];
const TYPES = ['POLICE', 'IDVA', 'HEALTH_ACUTE', 'HOUSING', 'CHILDRENS_SOCIAL_CARE', 'PROBATION', 'HEALTH_MENTAL'];

const hexId = (prefix: string, n: number) => `${prefix}_${n.toString(16).padStart(32, '0')}`;

export async function run(): Promise<BenchResult[]> {
  const w = await startWebWorld({ queue: 'postgres', workers: false });
  try {
    const pool = w.t.db.pool;
    const [keyId, keyB64] = w.t.env.SEALING_KEYS!.split(':') as [string, string];
    const sealer = createSealer({ keys: { [keyId]: Buffer.from(keyB64, 'base64') }, currentKeyId: keyId });
    const dummy = sealer.seal({ subjects: [] }, 'bench-dummy');
    const meetings = Math.ceil(CASES / PER_MEETING);
    const t0 = Date.now();

    await pool.query(
      `INSERT INTO cases (id, coordinator_agency_id, marac_area, meeting_date, risk_basis, subject_facts,
         subjects_key_id, subjects_iv, subjects_tag, subjects_ciphertext, subject_tokens, search_tokens, created_at)
       SELECT 'case_' || lpad(to_hex(i), 32, '0'), $1, 'essex', date '2026-01-05' + (i * 365 / $6::int),
              '{"criteria":["VISIBLE_HIGH_RISK"],"dashScore":15}', '[]', $2, $3, $4, $5, '{}', '{}',
              timestamptz '2025-12-20 09:00+00' + (i * 365 / $6::int) * interval '1 day'
         FROM generate_series(0, $6::int - 1) i`,
      [COORDINATOR, dummy.keyId, dummy.iv, dummy.tag, dummy.ciphertext, CASES],
    );
    await pool.query(
      `INSERT INTO case_return_facts (case_id, coordinator_agency_id, referring_agency_id, referring_agency_type, repeat,
         victim_16_17, victim_male, bme, lgbt, disabled, children_count)
       SELECT 'case_' || lpad(to_hex(i), 32, '0'), $1,
              CASE WHEN i % 8 = 7 THEN NULL ELSE ($2::text[])[1 + i % 7] END,
              CASE WHEN i % 8 = 7 THEN NULL ELSE ($3::text[])[1 + i % 7] END,
              i % 3 = 0, i % 77 = 0, i % 16 = 0, i % 7 = 0, i % 61 = 0, i % 10 = 0, i % 3
         FROM generate_series(0, $4::int - 1) i`,
      [COORDINATOR, AGENCIES, TYPES, CASES],
    );
    await pool.query(
      `INSERT INTO meetings (id, coordinator_agency_id, marac_area, starts_at, chair, status, created_by)
       SELECT 'mtg_' || lpad(to_hex(k), 32, '0'), $1, 'essex',
              timestamptz '2026-01-05 09:00+00' + (k * 365.0 / $2::int) * interval '1 day', 'Bench chair', 'HELD', 'bench'
         FROM generate_series(0, $2::int - 1) k`,
      [COORDINATOR, meetings],
    );
    await pool.query(
      `INSERT INTO meeting_cases (meeting_id, case_id, position, slot_minutes, outcome, heard_at)
       SELECT 'mtg_' || lpad(to_hex(i / 16), 32, '0'), 'case_' || lpad(to_hex(i), 32, '0'), i % 16 + 1, 15,
              CASE WHEN i % 20 = 19 THEN 'DEFERRED' ELSE 'HEARD' END,
              CASE WHEN i % 20 = 19 THEN NULL ELSE timestamptz '2026-01-05 09:00+00' + ((i / 16) * 365.0 / $2::int) * interval '1 day' END
         FROM generate_series(0, $1::int - 1) i`,
      [CASES, meetings],
    );
    await pool.query(
      `INSERT INTO case_actions (id, case_id, meeting_id, owner_agency_id, due_on, status, sealed_key_id, sealed_iv, sealed_tag,
         sealed_ciphertext, created_by, closed_at)
       SELECT 'act_' || lpad(to_hex(i * 2 + j), 32, '0'), 'case_' || lpad(to_hex(i), 32, '0'), 'mtg_' || lpad(to_hex(i / 16), 32, '0'),
              ($2::text[])[1 + (i + j) % 7], date '2026-01-20' + (i * 365 / $1::int) + j * 14,
              CASE WHEN (i + j) % 3 = 0 THEN 'DONE' ELSE 'OPEN' END, $3, $4, $5, $6, 'bench',
              CASE WHEN (i + j) % 3 = 0 THEN timestamptz '2026-02-01 00:00+00' END
         FROM generate_series(0, $1::int - 1) i, generate_series(0, 1) j
        WHERE i % 5 < 2`,
      [CASES, AGENCIES, dummy.keyId, dummy.iv, dummy.tag, dummy.ciphertext],
    );

    // The measured meetings: in the middle of Q3, their cases sealed for real (the page unseals references).
    const first = Math.floor(meetings * 0.6);
    const measured = Array.from({ length: MEASURED_MEETINGS }, (_, k) => hexId('mtg', first + k));
    for (const m of measured) {
      const ids = (await pool.query('SELECT case_id FROM meeting_cases WHERE meeting_id = $1', [m])).rows.map((r) => r.case_id as string);
      for (const id of ids) {
        const box = sealer.seal({ subjects: [], externalRef: `MN-2026-${id.slice(-6)}` }, id);
        await pool.query('UPDATE cases SET subjects_key_id = $2, subjects_iv = $3, subjects_tag = $4, subjects_ciphertext = $5 WHERE id = $1',
          [id, box.keyId, box.iv, box.tag, box.ciphertext]);
      }
    }
    await pool.query('ANALYZE');
    console.error(`meetings: seeded ${CASES} cases, ${meetings} meetings in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // (a) The quarter's data return.
    const actor = { kind: 'agency', agencyId: COORDINATOR, agencyType: 'MARAC_COORDINATOR', certFingerprint: 'c'.repeat(64) } as AgencyPrincipal;
    const quarter = parseQuarter('2026-Q3');
    const { from, to } = quarterBounds(quarter);
    const service: number[] = [];
    const bare: number[] = [];
    let discussed = 0;
    for (let n = -2; n < RETURN_RUNS; n++) {
      let t = performance.now();
      const ret = await w.t.gateway.reports.dataReturn.produce(actor, quarter.id, 'json');
      const ms = performance.now() - t;
      t = performance.now();
      const b = await queryDataReturn(pool, COORDINATOR, from, to);
      const bareMs = performance.now() - t;
      if (b.casesDiscussed !== ret.casesDiscussed) throw new Error('the service and the bare query disagree');
      discussed = ret.casesDiscussed;
      if (n >= 0) {
        service.push(ms);
        bare.push(bareMs);
      }
    }

    // (b) The agenda page of a 16-case meeting, over HTTP.
    const coord = await w.login('coordinator@essex-marat');
    const page: number[] = [];
    const bareAgenda: number[] = [];
    for (let n = -20; n < PAGE_REQUESTS; n++) {
      const meetingId = measured[((n % MEASURED_MEETINGS) + MEASURED_MEETINGS) % MEASURED_MEETINGS]!;
      let t = performance.now();
      const res = await fetch(`${w.base}/meetings/${meetingId}`, { headers: { accept: 'text/html', cookie: coord.cookie }, redirect: 'manual' });
      const html = await res.text();
      const ms = performance.now() - t;
      if (res.status !== 200) throw new Error(`agenda page answered ${res.status}`);
      if (n === 0 && !html.includes('MN-2026-')) throw new Error('the agenda page shows no local reference');
      t = performance.now();
      const rows = await pool.query(
        `SELECT mc.case_id, mc.position, mc.slot_minutes, mc.outcome, c.risk_basis, c.status, c.meeting_date,
                c.subjects_key_id, c.subjects_iv, c.subjects_tag, c.subjects_ciphertext
           FROM meeting_cases mc JOIN cases c ON c.id = mc.case_id WHERE mc.meeting_id = $1 ORDER BY mc.position`,
        [meetingId],
      );
      const bareMs = performance.now() - t;
      if (rows.rowCount !== PER_MEETING) throw new Error(`a measured meeting has ${rows.rowCount} listings`);
      if (n >= 0) {
        page.push(ms);
        bareAgenda.push(bareMs);
      }
    }

    const r95 = percentile(service, 95);
    const b95 = percentile(bare, 95);
    const p95 = percentile(page, 95);
    const a95 = percentile(bareAgenda, 95);
    return [
      {
        name: 'meetings.data_return_ms',
        value: round(r95, 1),
        unit: 'ms',
        baseline: round(b95, 1),
        ratio: ratioOf(r95, b95),
        target: '≤ 1000 ms',
        note: `p95 of ${RETURN_RUNS} productions of 2026-Q3 (${discussed} cases discussed of ${CASES} cases, ${meetings} meetings over 2026); p50 ${round(percentile(service, 50), 1)} ms (bare ${round(percentile(bare, 50), 1)} ms); service: backfill check, aggregate and audit event in one transaction; baseline: the bare aggregate; two warm-up runs discarded`,
      },
      {
        name: 'meetings.agenda_page_p95_ms',
        value: round(p95, 1),
        unit: 'ms',
        baseline: round(a95, 1),
        ratio: ratioOf(p95, a95),
        target: '≤ 200 ms',
        note: `GET /meetings/{id} over HTTP with a session, ${PAGE_REQUESTS} requests over ${MEASURED_MEETINGS} meetings of ${PER_MEETING} cases (references unsealed, VIEW_READ audited, page rendered), ${CASES} cases seeded; p50 ${round(percentile(page, 50), 1)} ms (bare ${round(percentile(bareAgenda, 50), 2)} ms); baseline: the bare agenda query (16 listings joined to their cases); 20 warm-up requests discarded`,
      },
    ];
  } finally {
    await w.close().catch(() => {});
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((r) => { for (const x of r) process.stdout.write(`${JSON.stringify(x)}\n`); }, (err) => { console.error(err); process.exit(1); });
}
