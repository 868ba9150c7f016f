/**
 * POST /v1/referrals and the lists: any party agency refers over mTLS; the score is computed; the
 * criteria are judged with reasons; bad input gets a 4xx with a stable code and writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { agencyFetch } from '../../helpers/pki.js';
import { createGatewayClient } from '../../../adapters/sdk/client.js';
import { GatewayRejected } from '../../../adapters/sdk/errors.js';
import { dashAnswers, key, otherVictim, sampleReferral } from './fixtures.js';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({ queue: 'redis', workers: false });
});
afterAll(async () => {
  await t?.stop();
});

async function counts(): Promise<string> {
  const r = await t.db.pool.query(`SELECT (SELECT count(*) FROM referrals) r, (SELECT count(*) FROM referral_repeat_matches) m,
    (SELECT count(*) FROM cases) c, (SELECT count(*) FROM idempotency_keys) k,
    (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM audit_pending) a`);
  return JSON.stringify(r.rows[0]);
}

const refer = (agency: string, body: unknown, k: string | null = key()) =>
  t.as(agency).post('/v1/referrals', body, k === null ? {} : { 'Idempotency-Key': k });

describe('a party agency refers', () => {
  it('the score is computed from the 24 answers and each criterion is judged in words', async () => {
    const r = await refer('essex-police', sampleReferral({ yes: 16, criteria: [{ id: 'POTENTIAL_ESCALATION', policeCallouts12m: 2 }] }));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.referralId).toMatch(/^ref_[0-9a-f]{32}$/);
    expect(r.body.dashScore).toBe(16);
    expect(r.body.maracArea).toBe('essex');
    const by = Object.fromEntries(r.body.criteria.map((c: any) => [c.id, c]));
    expect(by.VISIBLE_HIGH_RISK).toMatchObject({ met: true, claimed: false, reason: 'Dash score 16 is 14 or more: visible high risk' });
    expect(by.POTENTIAL_ESCALATION).toMatchObject({ met: false, claimed: true, reason: '2 police call-outs in 12 months is below 3 for potential escalation' });
    expect(by.REPEAT.met).toBe(false);
    expect(r.body.meetsCriteria).toBe(true);
  });

  it('a score below the threshold is said in words, and the referral is still received for the coordinator to return', async () => {
    const r = await refer('mse-hospitals', sampleReferral({ yes: 10 }));
    expect(r.status).toBe(201);
    expect(r.body.criteria.find((c: any) => c.id === 'VISIBLE_HIGH_RISK').reason).toBe('Dash score 10 is below 14 for visible high risk');
    expect(r.body.meetsCriteria).toBe(false);
  });

  it('"not known" and "no" count for nothing; 24 yes is 24', async () => {
    const all = Object.fromEntries(Object.keys(dashAnswers(0)).map((k) => [k, 'NOT_KNOWN']));
    const a = await refer('essex-police', sampleReferral({ overrides: { dash: { version: 'SAFELIVES_24Q', completedOn: '2026-11-01', answers: all } } }));
    expect(a.body.dashScore).toBe(0);
    const b = await refer('essex-police', sampleReferral({ yes: 24 }));
    expect(b.body.dashScore).toBe(24);
  });

  it('an area’s own criterion (a named box and reasons) counts without code', async () => {
    const r = await refer('safe-steps-idva', sampleReferral({ yes: 5, criteria: [{ id: 'HARMFUL_PRACTICES', confirmed: true, rationale: 'Family arranging a marriage abroad (fictional).' }] }));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.criteria.find((c: any) => c.id === 'HARMFUL_PRACTICES')).toMatchObject({ met: true, claimed: true });
    expect(r.body.meetsCriteria).toBe(true);
  });

  it('the coordinator’s own agency can refer too', async () => {
    const r = await refer('essex-marat', sampleReferral({ yes: 15 }));
    expect(r.status).toBe(201);
  });

  it('the same Idempotency-Key and body gives the first answer again, and one referral', async () => {
    const k = key();
    const before = Number((await t.db.pool.query('SELECT count(*) FROM referrals')).rows[0].count);
    const body = otherVictim(sampleReferral({ yes: 14 }));
    const [a, b] = await Promise.all([refer('essex-police', body, k), refer('essex-police', body, k)]);
    const c = await refer('essex-police', body, k);
    expect([a.status, b.status, c.status]).toEqual([201, 201, 201]);
    expect(new Set([a.body.referralId, b.body.referralId, c.body.referralId]).size).toBe(1);
    expect(Number((await t.db.pool.query('SELECT count(*) FROM referrals')).rows[0].count)).toBe(before + 1);
    const d = await refer('essex-police', sampleReferral({ yes: 3 }), k);
    expect(d.status).toBe(422);
    expect(d.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('stores everything identifying sealed: no name, NHS number or answer in the row', async () => {
    const r = await refer('essex-police', sampleReferral());
    const row = await t.db.pool.query('SELECT to_jsonb(r)::text AS j FROM referrals r WHERE id = $1', [r.body.referralId]);
    const text = row.rows[0].j as string;
    for (const leak of ['Sampleton', '9990013713', 'Jane', 'court hearing', 'HETEROSEXUAL', 'Pat Officer']) expect(text).not.toContain(leak);
  });

  it('the audit event names the referral and the criteria, never a person or a value', async () => {
    const r = await refer('essex-police', sampleReferral({ criteria: [{ id: 'PROFESSIONAL_JUDGEMENT', rationale: 'Jane Sampleton fears for her life.' }] }));
    await t.gateway.audit.flush();
    const ev = await t.db.pool.query(`SELECT canonical AS b FROM audit_events WHERE action = 'REFERRAL_SUBMITTED' AND canonical::jsonb->'detail'->>'referralId' = $1`, [r.body.referralId]);
    expect(ev.rows).toHaveLength(1);
    const text = ev.rows[0].b as string;
    expect(text).toContain('PROFESSIONAL_JUDGEMENT');
    for (const leak of ['Sampleton', 'Jane', '9990013713', '1990-04-12', 'fears']) expect(text).not.toContain(leak);
  });
});

describe('the adapter SDK', () => {
  it('sends a Dash completed in the agency’s own system and reads the referral back, without re-keying', async () => {
    const creds = t.creds.get('essex-police')!;
    const client = createGatewayClient({ baseUrl: t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), certPem: creds.certPem, keyPem: creds.keyPem, caPem: creds.caPem! });
    try {
      const k = key();
      const receipt = await client.refer(otherVictim(sampleReferral({ yes: 17 })), k);
      expect(receipt).toMatchObject({ status: 'SUBMITTED', dashScore: 17, meetsCriteria: true });
      expect((await client.refer(otherVictim(sampleReferral({ yes: 17 })), k).catch((e) => e))).toBeInstanceOf(GatewayRejected);
      const seen = await client.referral(receipt.referralId);
      expect(seen).toMatchObject({ referralId: receipt.referralId, status: 'SUBMITTED', dashScore: 17 });
      const bad = await client.refer({ ...sampleReferral(), dash: { version: 'SAFELIVES_24Q', completedOn: '2026-11-01', answers: {}, score: 20 } }, key()).catch((e) => e);
      expect(bad).toBeInstanceOf(GatewayRejected);
      expect(bad.code).toBe('VALIDATION_FAILED');
    } finally {
      client.close();
    }
  });
});

describe('bad input gets a 4xx with a stable code and writes nothing', () => {
  const withSubjects = (f: (s: any[]) => void) => {
    const b = sampleReferral();
    f(b.subjects);
    return b;
  };
  const withDash = (f: (d: any) => void) => {
    const b = sampleReferral();
    f(b.dash);
    return b;
  };
  const table: { name: string; agency?: string; body: () => unknown; headers?: 'none'; status: number; code: string }[] = [
    { name: 'a typed score (never accepted)', body: () => withDash((d) => (d.score = 16)), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'a typed score at the top level', body: () => ({ ...sampleReferral(), dashScore: 16 }), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'one answer missing', body: () => withDash((d) => delete d.answers.strangulation), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'an answer that is not yes/no/not known', body: () => withDash((d) => (d.answers.injury = 'MAYBE')), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'an answer as a boolean', body: () => withDash((d) => (d.answers.injury = true)), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'an unknown question', body: () => withDash((d) => (d.answers.q25 = 'YES')), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'a checklist version other than the 24 questions', body: () => withDash((d) => (d.version = 'POLICE_DASH')), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'the checklist completed in the future', body: () => withDash((d) => (d.completedOn = '2099-01-01')), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'the checklist completed on an impossible date', body: () => withDash((d) => (d.completedOn = '2026-02-30')), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'no victim', body: () => withSubjects((s) => (s[0].role = 'OTHER_ADULT_AT_RISK')), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'two victims', body: () => withSubjects((s) => (s[1].role = 'VICTIM')), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'two subjects with one key', body: () => withSubjects((s) => (s[1].key = s[0].key)), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'a date of birth in the future', body: () => withSubjects((s) => (s[0].dobs = ['2099-01-01'])), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'sharing without consent and without who decided', body: () => withSubjects((s) => delete s[0].consent.decidedBy), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'para 18 for an adult without care needs', body: () => withSubjects((s) => (s[0].legal.art9Conditions = ['DPA_SCH1_P18'])), status: 400, code: 'LEGAL_CONDITION_REJECTED' },
    { name: 'a criterion the area does not have', body: () => sampleReferral({ criteria: [{ id: 'VERY_WORRIED' }] }), status: 400, code: 'REFERRAL_CRITERION_INVALID' },
    { name: 'a criterion claimed twice', body: () => sampleReferral({ criteria: [{ id: 'PROFESSIONAL_JUDGEMENT', rationale: 'a' }, { id: 'PROFESSIONAL_JUDGEMENT', rationale: 'b' }] }), status: 400, code: 'REFERRAL_CRITERION_INVALID' },
    { name: 'professional judgement without reasons', body: () => sampleReferral({ criteria: [{ id: 'PROFESSIONAL_JUDGEMENT' }] }), status: 400, code: 'REFERRAL_CRITERION_INVALID' },
    { name: 'professional judgement with blank reasons', body: () => sampleReferral({ criteria: [{ id: 'PROFESSIONAL_JUDGEMENT', rationale: '   ' }] }), status: 400, code: 'REFERRAL_CRITERION_INVALID' },
    { name: 'potential escalation without the call-out count', body: () => sampleReferral({ criteria: [{ id: 'POTENTIAL_ESCALATION' }] }), status: 400, code: 'REFERRAL_CRITERION_INVALID' },
    { name: 'evidence that belongs to another criterion', body: () => sampleReferral({ criteria: [{ id: 'VISIBLE_HIGH_RISK', policeCallouts12m: 9 }] }), status: 400, code: 'REFERRAL_CRITERION_INVALID' },
    { name: 'an area criterion without its box ticked', body: () => sampleReferral({ criteria: [{ id: 'HARMFUL_PRACTICES', rationale: 'x' }] }), status: 400, code: 'REFERRAL_CRITERION_INVALID' },
    { name: 'an area criterion without reasons', body: () => sampleReferral({ criteria: [{ id: 'ADULT_FAMILY_VIOLENCE', confirmed: true }] }), status: 400, code: 'REFERRAL_CRITERION_INVALID' },
    { name: 'a negative call-out count', body: () => sampleReferral({ criteria: [{ id: 'POTENTIAL_ESCALATION', policeCallouts12m: -1 }] }), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'equality data outside its list', body: () => ({ ...sampleReferral(), equality: { ethnicity: 'MARTIAN' } }), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'an agency id in the body', body: () => ({ ...sampleReferral(), referringAgencyId: 'essex-marat' }), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'no Idempotency-Key', body: () => sampleReferral(), headers: 'none', status: 400, code: 'IDEMPOTENCY_KEY_REQUIRED' },
    { name: 'an agency that is party to no agreement', agency: 'recovery-ltd', body: () => sampleReferral(), status: 403, code: 'NOT_A_REFERRAL_PARTY' },
    { name: 'a coordinator with no research agreement', agency: 'southend-marac', body: () => sampleReferral(), status: 403, code: 'NOT_A_REFERRAL_PARTY' },
    { name: 'an area the agency has no agreement in', body: () => ({ ...sampleReferral(), maracArea: 'southend' }), status: 403, code: 'NOT_A_REFERRAL_PARTY' },
  ];

  it.each(table)('$name → $status $code', async ({ agency, body, headers, status, code }) => {
    const before = await counts();
    const r = await refer(agency ?? 'essex-police', body(), headers === 'none' ? null : key());
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect(r.body.code).toBe(code);
    expect(await counts()).toBe(before);
  });

  it('a prototype key anywhere is refused', async () => {
    const before = await counts();
    const text = JSON.stringify(sampleReferral()).replace('"answers":{', '"answers":{"__proto__":{"x":1},');
    const r = await agencyFetch(t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), t.creds.get('essex-police')!, '/v1/referrals', {
      method: 'POST', body: text, headers: { 'content-type': 'application/json', 'Idempotency-Key': key() },
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_FAILED');
    expect(await counts()).toBe(before);
  });
});

describe('the lists', () => {
  it('the coordinator sees its intake, oldest waiting first, with nothing personal', async () => {
    const r = await t.as('essex-marat').get('/v1/referrals?status=SUBMITTED');
    expect(r.status).toBe(200);
    expect(r.body.total).toBeGreaterThan(3);
    const times = r.body.referrals.map((x: any) => x.submittedAt);
    expect([...times].sort()).toEqual(times);
    const text = JSON.stringify(r.body);
    for (const leak of ['Sampleton', '9990013713', 'Pat Officer']) expect(text).not.toContain(leak);
    expect(r.body.referrals[0]).toMatchObject({ status: 'SUBMITTED', maracArea: 'essex' });
  });

  it('a referring agency sees only its own referrals; an unrelated agency sees none', async () => {
    const police = await t.as('essex-police').get('/v1/referrals');
    expect(police.body.referrals.length).toBeGreaterThan(0);
    expect(police.body.referrals.every((x: any) => x.referringAgencyId === 'essex-police')).toBe(true);
    const housing = await t.as('chelmsford-housing').get('/v1/referrals');
    expect(housing.body).toMatchObject({ total: 0, referrals: [] });
  });

  it.each([
    ['?status=OPEN', 'an unknown status'],
    ['?page=0', 'page 0'],
    ['?page=-1', 'a negative page'],
    ['?page=x', 'a page that is not a number'],
    ['?status=SUBMITTED&status=RETURNED', 'a repeated status'],
  ])('%s (%s) → 400 VALIDATION_FAILED', async (q) => {
    const r = await t.as('essex-marat').get(`/v1/referrals${q}`);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_FAILED');
  });

  it('pages past the end are empty but say the total (no silent cap)', async () => {
    const r = await t.as('essex-marat').get('/v1/referrals?page=99');
    expect(r.status).toBe(200);
    expect(r.body.referrals).toEqual([]);
    expect(r.body.total).toBeGreaterThan(0);
  });

  it('one referral: all of it for the coordinator, status and reasons for its referrer, nothing for anyone else', async () => {
    const made = await refer('essex-police', sampleReferral({ yes: 12 }));
    const id = made.body.referralId;
    const coord = await t.as('essex-marat').get(`/v1/referrals/${id}`);
    expect(coord.status).toBe(200);
    expect(coord.body.referral.subjects[0].names[0].family).toBe('Sampleton');
    expect(coord.body.referral.dash.answers.injury).toBe('YES');
    expect(coord.body.referral.equality.ethnicity).toBe('WHITE');
    const police = await t.as('essex-police').get(`/v1/referrals/${id}`);
    expect(police.status).toBe(200);
    expect(police.body.referral).toBeUndefined();
    expect(police.body.criteria.find((c: any) => c.id === 'VISIBLE_HIGH_RISK').reason).toBe('Dash score 12 is below 14 for visible high risk');
    for (const agency of ['chelmsford-housing', 'southend-marac', 'recovery-ltd']) {
      const r = await t.as(agency).get(`/v1/referrals/${id}`);
      expect(r.status).toBe(404);
      expect(r.body.code).toBe('REFERRAL_NOT_FOUND');
    }
    const bad = await t.as('essex-marat').get('/v1/referrals/not-an-id');
    expect(bad.status).toBe(400);
    const missing = await t.as('essex-marat').get('/v1/referrals/ref_00000000000000000000000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('REFERRAL_NOT_FOUND');
    await t.gateway.audit.flush();
    const views = await t.db.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'REFERRAL_VIEWED' AND canonical::jsonb->'detail'->>'referralId' = $1`, [id]);
    expect(views.rows[0].n).toBe(2);
  });
});
