/**
 * The SafeLives data return over a seeded year (seed.ts): exact figures for 2026-Q3 through the
 * agency API (mTLS), the flags written where cases are opened, edited and accepted, the lazy
 * backfill, the regional export, audit, and refusals that write nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { Q3_EXPECTED, seedReturnWorld, type Seeded } from './seed.js';

let t: TestGateway;
let s: Seeded;

beforeAll(async () => {
  t = await startTestGateway({ queue: 'postgres', workers: false });
  s = await seedReturnWorld(t.gateway, t.db.pool, t.clock);
});
afterAll(async () => {
  await t?.stop();
});

async function producedEvents(): Promise<{ actor: string; detail: Record<string, unknown> }[]> {
  await t.gateway.audit.flush();
  const r = await t.db.pool.query(`SELECT canonical::jsonb AS e FROM audit_events WHERE action = 'DATA_RETURN_PRODUCED' ORDER BY seq`);
  return r.rows.map((x) => ({ actor: x.e.actor?.agencyId ?? x.e.actor?.id, detail: x.e.detail }));
}

async function writes(): Promise<string> {
  await t.gateway.audit.flush();
  const r = await t.db.pool.query(`SELECT (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM audit_pending) AS a, (SELECT count(*) FROM case_return_facts) AS f`);
  return JSON.stringify(r.rows[0]);
}

describe('return flags', () => {
  it('are written with each case: booleans, a count and agency ids only', async () => {
    const cols = await t.db.pool.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'case_return_facts' ORDER BY ordinal_position`);
    expect(cols.rows.map((c) => `${c.column_name}:${c.data_type}`)).toEqual([
      'case_id:text', 'coordinator_agency_id:text', 'referring_agency_id:text', 'referring_agency_type:text', 'repeat:boolean',
      'victim_16_17:boolean', 'victim_male:boolean', 'bme:boolean', 'lgbt:boolean', 'disabled:boolean', 'children_count:integer',
      'computed_at:timestamp with time zone',
    ]);
    const r = await t.db.pool.query('SELECT * FROM case_return_facts WHERE case_id = ANY($1)', [[s.A, s.B, s.C, s.D]]);
    const by = Object.fromEntries(r.rows.map((x) => [x.case_id, x]));
    expect(by[s.A]).toMatchObject({ referring_agency_id: 'essex-police', referring_agency_type: 'POLICE', repeat: false, victim_16_17: true, victim_male: true, bme: true, lgbt: true, disabled: true, children_count: 1 });
    expect(by[s.B]).toMatchObject({ referring_agency_id: 'safe-steps-idva', referring_agency_type: 'IDVA', victim_16_17: false, victim_male: false, bme: false, children_count: 2 });
    expect(by[s.C]).toMatchObject({ referring_agency_id: null, repeat: true, victim_male: false, children_count: 1 });
    // Opened female, edited to male: the edit rewrote the flags in its transaction.
    expect(by[s.D]).toMatchObject({ referring_agency_id: null, repeat: false, victim_16_17: true, victim_male: true, children_count: 0 });
  });
});

describe('GET /v1/reports/data-return', () => {
  it('gives the exact figures for 2026-Q3 and audits the production', async () => {
    const before = (await producedEvents()).length;
    const r = await t.as('essex-marat').get('/v1/reports/data-return?quarter=2026-Q3');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({
      maracArea: 'essex', coordinatorAgencyId: 'essex-marat', quarter: '2026-Q3', periodStart: '2026-07-01', periodEnd: '2026-09-30',
      ...Q3_EXPECTED, repeatRate: 25,
    });
    const events = await producedEvents();
    expect(events).toHaveLength(before + 1);
    expect(events.at(-1)!.detail).toEqual({ quarter: '2026-Q3', format: 'json', casesDiscussed: 4 });
  });

  it('counts a quarter by London time: the 00:30 BST meetings fall in Q3 and Q4, not Q2 and Q3', async () => {
    const q2 = await t.as('essex-marat').get('/v1/reports/data-return?quarter=2026-Q2');
    expect(q2.body).toMatchObject({ casesDiscussed: 1, byReferringAgencyType: [{ agencyType: 'NONE', cases: 1 }] });
    const q4 = await t.as('essex-marat').get('/v1/reports/data-return?quarter=2026-Q4');
    expect(q4.body).toMatchObject({ casesDiscussed: 1, repeatCases: 0, childrenInHouseholds: 0 });
    const q1 = await t.as('essex-marat').get('/v1/reports/data-return?quarter=2026-Q1');
    expect(q1.body).toMatchObject({ casesDiscussed: 0, repeatRate: null, byReferringAgencyType: [] });
  });

  it('fills in the flags of a case that has none (a case from before migration 0020)', async () => {
    await t.db.pool.query('DELETE FROM case_return_facts WHERE case_id = ANY($1)', [[s.A, s.B]]);
    const r = await t.as('essex-marat').get('/v1/reports/data-return?quarter=2026-Q3');
    expect(r.body).toMatchObject(Q3_EXPECTED);
    const back = await t.db.pool.query('SELECT count(*)::int AS n FROM case_return_facts WHERE case_id = ANY($1)', [[s.A, s.B]]);
    expect(back.rows[0].n).toBe(2);
  });

  it('gives the return as CSV', async () => {
    const r = await t.as('essex-marat').get('/v1/reports/data-return?quarter=2026-Q3&format=csv');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/csv/);
    const text = r.text;
    expect(text.split('\r\n')).toEqual([
      'MARAC area,Quarter,Measure,Number',
      'essex,2026-Q3,Cases discussed,4',
      'essex,2026-Q3,Repeat cases,1',
      'essex,2026-Q3,Children in the households,4',
      'essex,2026-Q3,Victims aged 16 or 17,2',
      'essex,2026-Q3,Victims from Black and minoritised communities,1',
      'essex,2026-Q3,LGBT+ victims,1',
      'essex,2026-Q3,Disabled victims,1',
      'essex,2026-Q3,Male victims,2',
      'essex,2026-Q3,Cases referred by: Police,1',
      'essex,2026-Q3,Cases referred by: IDVA service,1',
      'essex,2026-Q3,Cases referred by: No referral recorded (opened by the coordinator),2',
      '',
    ]);
  });

  it('gives the regional export with every count under 5 withheld and no case ids', async () => {
    const r = await t.as('essex-marat').get('/v1/reports/data-return?quarter=2026-Q3&format=regional-json');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ format: 'marac-data-return/1', maracArea: 'essex', coordinatorAgencyId: 'essex-marat', quarter: '2026-Q3', suppression: { below: 5 } });
    expect(r.body.rows.every((x: { value: number | null; suppressed: boolean }) => x.suppressed === (x.value === null))).toBe(true);
    expect(r.body.rows.find((x: { measure: string }) => x.measure === 'cases_discussed')).toEqual({ measure: 'cases_discussed', breakdown: '', value: null, suppressed: true });
    expect(JSON.stringify(r.body)).not.toMatch(/case_[0-9a-f]{32}/);
    const csv = await t.as('essex-marat').get('/v1/reports/data-return?quarter=2026-Q3&format=regional-csv');
    expect(csv.text.split('\r\n')[0]).toBe('format,marac_area,coordinator_agency_id,quarter,period_start,period_end,measure,breakdown,value,suppressed');
  });

  it('refuses a bad quarter, a bad format and a non-coordinator with stable codes, writing nothing', async () => {
    const before = await writes();
    for (const q of ['', 'quarter=2026-Q5', 'quarter=2026Q3', 'quarter=2026-Q3&quarter=2026-Q4', 'quarter=1999-Q1']) {
      const r = await t.as('essex-marat').get(`/v1/reports/data-return?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.code, q).toBe('QUARTER_INVALID');
    }
    const f = await t.as('essex-marat').get('/v1/reports/data-return?quarter=2026-Q3&format=pdf');
    expect([f.status, f.body.code]).toEqual([400, 'REPORT_FORMAT_INVALID']);
    const p = await t.as('essex-police').get('/v1/reports/data-return?quarter=2026-Q3');
    expect([p.status, p.body.code]).toEqual([403, 'NOT_A_COORDINATOR']);
    expect(await writes()).toBe(before);
  });
});
