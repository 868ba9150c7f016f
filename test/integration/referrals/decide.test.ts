/**
 * The coordinator's decisions over mTLS: accept (a case opens through the case service, in the
 * same transaction, listed for the meeting and linked), return with a reason the referrer reads,
 * and the repeat match found by keyed tokens, confirmed or rejected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { sampleCase } from '../exchange/fixtures.js';
import { key, otherVictim, sampleReferral } from './fixtures.js';

let t: TestGateway;
const MEETING = '2027-01-20';

beforeAll(async () => {
  t = await startTestGateway({ queue: 'redis', workers: false });
});
afterAll(async () => {
  await t?.stop();
});

const refer = async (agency: string, body: unknown) => {
  const r = await t.as(agency).post('/v1/referrals', body, { 'Idempotency-Key': key() });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
};

async function counts(): Promise<string> {
  const r = await t.db.pool.query(`SELECT (SELECT count(*) FROM cases) c, (SELECT count(*) FROM referrals WHERE status <> 'SUBMITTED') d,
    (SELECT count(*) FROM referral_repeat_matches WHERE status <> 'PENDING') m,
    (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM audit_pending) a`);
  return JSON.stringify(r.rows[0]);
}

async function auditActions(referralId: string): Promise<string[]> {
  await t.gateway.audit.flush();
  const r = await t.db.pool.query(`SELECT action FROM audit_events WHERE canonical::jsonb->'detail'->>'referralId' = $1 ORDER BY seq`, [referralId]);
  return r.rows.map((x) => x.action);
}

describe('accepting', () => {
  it('opens a case listed for the meeting date, linked to the referral, with the criteria met', async () => {
    const ref = await refer('essex-police', otherVictim(sampleReferral({ yes: 16, criteria: [{ id: 'POTENTIAL_ESCALATION', policeCallouts12m: 4 }] })));
    const r = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/accept`, { meetingDate: MEETING });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.caseId).toMatch(/^case_/);
    expect(r.body.criteria.sort()).toEqual(['POTENTIAL_ESCALATION', 'VISIBLE_HIGH_RISK']);
    const c = await t.db.pool.query(`SELECT to_char(meeting_date, 'YYYY-MM-DD') AS d, risk_basis FROM cases WHERE id = $1`, [r.body.caseId]);
    expect(c.rows[0].d).toBe(MEETING);
    expect(c.rows[0].risk_basis).toMatchObject({ dashScore: 16, policeCallouts12m: 4 });
    const link = await t.db.pool.query('SELECT case_id, status FROM referrals WHERE id = $1', [ref.referralId]);
    expect(link.rows[0]).toEqual({ case_id: r.body.caseId, status: 'ACCEPTED' });
    expect(await auditActions(ref.referralId)).toEqual(['REFERRAL_SUBMITTED', 'REFERRAL_ACCEPTED']);
    const created = await t.db.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'CASE_CREATED' AND case_id = $1`, [r.body.caseId]);
    expect(created.rows[0].n).toBe(1);

    // The case can be researched: the agreements accept it, so the fan-out goes out.
    const req = await t.as('essex-marat').post(`/v1/cases/${r.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] });
    expect(req.status, JSON.stringify(req.body)).toBe(201);
    expect(req.body.refused ?? []).toEqual([]);

    // The referrer sees that it was accepted; the intake list shows it decided.
    const police = await t.as('essex-police').get(`/v1/referrals/${ref.referralId}`);
    expect(police.body.status).toBe('ACCEPTED');
    const again = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/accept`, { meetingDate: MEETING });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('REFERRAL_ALREADY_DECIDED');
  });

  it('an area’s own criterion opens the case under professional judgement, with the reasons sealed in the case', async () => {
    const ref = await refer('safe-steps-idva', otherVictim(sampleReferral({ yes: 4, criteria: [{ id: 'HARMFUL_PRACTICES', confirmed: true, rationale: 'Marriage abroad being arranged (fictional).' }] })));
    const r = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/accept`, { meetingDate: MEETING });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.criteria).toEqual(['PROFESSIONAL_JUDGEMENT']);
    const row = await t.db.pool.query('SELECT risk_basis::text AS rb FROM cases WHERE id = $1', [r.body.caseId]);
    expect(row.rows[0].rb).not.toContain('Marriage abroad');
  });

  it('a referral below threshold cannot be accepted: the reason is said in words and no case is written', async () => {
    const ref = await refer('mse-hospitals', otherVictim(sampleReferral({ yes: 10, criteria: [{ id: 'POTENTIAL_ESCALATION', policeCallouts12m: 1 }] })));
    const before = await counts();
    const r = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/accept`, { meetingDate: MEETING });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('REFERRAL_THRESHOLD_NOT_MET');
    const messages = r.body.problems.map((p: any) => p.message);
    expect(messages).toContain('Dash score 10 is below 14 for visible high risk');
    expect(messages).toContain('1 police call-out in 12 months is below 3 for potential escalation');
    expect(await counts()).toBe(before);
  });

  it.each([
    ['a meeting in the past', { meetingDate: '2020-01-01' }, 400, 'VALIDATION_FAILED'],
    ['an impossible date', { meetingDate: '2027-02-30' }, 400, 'VALIDATION_FAILED'],
    ['a meeting decades ahead', { meetingDate: '2090-01-01' }, 400, 'VALIDATION_FAILED'],
    ['no meeting date', {}, 400, 'VALIDATION_FAILED'],
    ['an extra field', { meetingDate: MEETING, caseId: 'case_x' }, 400, 'VALIDATION_FAILED'],
  ])('%s → %s %s, nothing written', async (_n, body, status, code) => {
    const ref = await refer('essex-police', otherVictim(sampleReferral({ yes: 16 })));
    const before = await counts();
    const r = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/accept`, body);
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(code);
    expect(await counts()).toBe(before);
  });

  it('only the area’s coordinator decides: the referrer is told so, anyone else finds nothing', async () => {
    const ref = await refer('essex-police', otherVictim(sampleReferral({ yes: 16 })));
    const before = await counts();
    const police = await t.as('essex-police').post(`/v1/referrals/${ref.referralId}/accept`, { meetingDate: MEETING });
    expect([police.status, police.body.code]).toEqual([403, 'NOT_THE_COORDINATOR']);
    const policeReturn = await t.as('essex-police').post(`/v1/referrals/${ref.referralId}/return`, { reason: 'x' });
    expect([policeReturn.status, policeReturn.body.code]).toEqual([403, 'NOT_THE_COORDINATOR']);
    for (const agency of ['southend-marac', 'chelmsford-housing']) {
      const r = await t.as(agency).post(`/v1/referrals/${ref.referralId}/accept`, { meetingDate: MEETING });
      expect([r.status, r.body.code]).toEqual([404, 'REFERRAL_NOT_FOUND']);
    }
    const unknown = await t.as('essex-marat').post('/v1/referrals/ref_00000000000000000000000000000000/accept', { meetingDate: MEETING });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'REFERRAL_NOT_FOUND']);
    const malformed = await t.as('essex-marat').post('/v1/referrals/ref_x/accept', { meetingDate: MEETING });
    expect([malformed.status, malformed.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(await counts()).toBe(before);
  });
});

describe('returning', () => {
  it('the referrer sees it was returned and why; the reason is sealed and not in the audit log', async () => {
    const ref = await refer('mse-hospitals', otherVictim(sampleReferral({ yes: 9 })));
    const r = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/return`, { reason: 'Dash score 9 is below 14; refer Anna Otherly to the IDVA service instead.' });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('RETURNED');
    const seen = await t.as('mse-hospitals').get(`/v1/referrals/${ref.referralId}`);
    expect(seen.body).toMatchObject({ status: 'RETURNED', returnReason: 'Dash score 9 is below 14; refer Anna Otherly to the IDVA service instead.' });
    const listed = await t.as('mse-hospitals').get('/v1/referrals?status=RETURNED');
    expect(listed.body.referrals.map((x: any) => x.referralId)).toContain(ref.referralId);
    const row = await t.db.pool.query('SELECT to_jsonb(r)::text AS j FROM referrals r WHERE id = $1', [ref.referralId]);
    expect(row.rows[0].j).not.toContain('Otherly');
    await t.gateway.audit.flush();
    const ev = await t.db.pool.query(`SELECT canonical FROM audit_events WHERE action = 'REFERRAL_RETURNED' AND canonical::jsonb->'detail'->>'referralId' = $1`, [ref.referralId]);
    expect(ev.rows).toHaveLength(1);
    expect(ev.rows[0].canonical).not.toContain('Otherly');
    const again = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/return`, { reason: 'again' });
    expect([again.status, again.body.code]).toEqual([409, 'REFERRAL_ALREADY_DECIDED']);
    const accept = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/accept`, { meetingDate: MEETING });
    expect([accept.status, accept.body.code]).toEqual([409, 'REFERRAL_ALREADY_DECIDED']);
  });

  it.each([
    ['no reason', {}],
    ['an empty reason', { reason: '' }],
    ['a blank reason', { reason: '   ' }],
    ['a reason far too long', { reason: 'x'.repeat(2001) }],
  ])('%s → 400 VALIDATION_FAILED, nothing written', async (_n, body) => {
    const ref = await refer('mse-hospitals', otherVictim(sampleReferral({ yes: 9 })));
    const before = await counts();
    const r = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/return`, body);
    expect([r.status, r.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(await counts()).toBe(before);
  });
});

describe('repeat detection', () => {
  let earlierCase: string;

  beforeAll(async () => {
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    earlierCase = c.body.caseId;
  });

  it('a second referral of the same victim is flagged, confirmed, and opens a REPEAT case linked to the earlier one', async () => {
    const ref = await refer('essex-police', sampleReferral({ yes: 6 }));
    expect(ref.possibleRepeat).toBe(true);
    const seen = await t.as('essex-marat').get(`/v1/referrals/${ref.referralId}`);
    expect(seen.body.repeatMatches).toEqual([expect.objectContaining({ caseId: earlierCase, status: 'PENDING', maracArea: 'essex' })]);
    expect(seen.body.repeatMatches[0].matchedOn).toEqual(expect.arrayContaining(['name-dob', 'nhs-number']));
    expect(seen.body.criteria.find((c: any) => c.id === 'REPEAT').reason).toBe('A possible earlier case was found: confirm or reject the match');

    const early = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/accept`, { meetingDate: MEETING });
    expect([early.status, early.body.code]).toEqual([409, 'REPEAT_MATCH_UNDECIDED']);

    const confirm = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/repeat-matches/${earlierCase}`, { decision: 'CONFIRM' });
    expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
    expect(confirm.body.criteria.find((c: any) => c.id === 'REPEAT')).toMatchObject({ met: true });
    const twice = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/repeat-matches/${earlierCase}`, { decision: 'REJECT' });
    expect([twice.status, twice.body.code]).toEqual([409, 'REPEAT_MATCH_ALREADY_DECIDED']);

    const accepted = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/accept`, { meetingDate: MEETING });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
    expect(accepted.body.criteria).toEqual(['REPEAT']);
    const rb = await t.db.pool.query('SELECT risk_basis FROM cases WHERE id = $1', [accepted.body.caseId]);
    expect(rb.rows[0].risk_basis.lastMaracReferralDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(await auditActions(ref.referralId)).toEqual(['REFERRAL_SUBMITTED', 'REFERRAL_VIEWED', 'REFERRAL_REPEAT_CONFIRMED', 'REFERRAL_ACCEPTED']);
  });

  it('two referrals of one new victim: once the first opens a case, the second cannot open another until the coordinator decides on that case as a match', async () => {
    const victim = otherVictim(sampleReferral({ yes: 16 }));
    const first = await refer('essex-police', victim);
    const second = await refer('mse-hospitals', victim);
    expect([first.possibleRepeat, second.possibleRepeat]).toEqual([false, false]);
    const opened = await t.as('essex-marat').post(`/v1/referrals/${first.referralId}/accept`, { meetingDate: MEETING });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);

    const cases = async () => (await t.db.pool.query('SELECT count(*)::int AS n FROM cases')).rows[0].n as number;
    const before = await cases();
    const refused = await t.as('essex-marat').post(`/v1/referrals/${second.referralId}/accept`, { meetingDate: MEETING });
    expect([refused.status, refused.body.code], JSON.stringify(refused.body)).toEqual([409, 'REPEAT_MATCH_UNDECIDED']);
    expect(refused.body.problems).toEqual([expect.objectContaining({ path: `repeatMatches/${opened.body.caseId}`, code: 'PENDING' })]);
    expect(await cases()).toBe(before);
    // The match is kept for the coordinator to see and decide, as one found on arrival would be.
    const seen = await t.as('essex-marat').get(`/v1/referrals/${second.referralId}`);
    expect(seen.body.repeatMatches).toEqual([expect.objectContaining({ caseId: opened.body.caseId, status: 'PENDING' })]);
    expect(seen.body.repeatMatches[0].matchedOn).toEqual(expect.arrayContaining(['nhs-number', 'name-dob']));
    const rejected = await t.as('essex-marat').post(`/v1/referrals/${second.referralId}/repeat-matches/${opened.body.caseId}`, { decision: 'REJECT' });
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
    // Decided (here: not the same person after all), it may be accepted, and is not asked about again.
    const accepted = await t.as('essex-marat').post(`/v1/referrals/${second.referralId}/accept`, { meetingDate: MEETING });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
  });

  it('matches on the NHS number alone, and on name with date of birth alone (other spellings of case and accents)', async () => {
    const byNhs = sampleReferral();
    byNhs.subjects[0].names = [{ given: ['Janet'], family: 'Different', use: 'official' }];
    byNhs.subjects[0].dobs = ['1991-01-01'];
    const a = await refer('essex-police', byNhs);
    expect(a.possibleRepeat).toBe(true);
    const byName = sampleReferral();
    byName.subjects[0].names = [{ given: ['JANE'], family: 'Sámpleton', use: 'official' }];
    byName.subjects[0].identifiers = [];
    const b = await refer('essex-police', byName);
    expect(b.possibleRepeat).toBe(true);
    const seen = await t.as('essex-marat').get(`/v1/referrals/${b.referralId}`);
    expect(seen.body.repeatMatches[0].matchedOn).toEqual(['name-dob']);
  });

  it('a rejected match adds nothing; an unknown match is 404; a malformed case id is 400', async () => {
    const ref = await refer('essex-police', sampleReferral({ yes: 16 }));
    const before = await counts();
    const unknown = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/repeat-matches/case_00000000000000000000000000000000`, { decision: 'CONFIRM' });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'REPEAT_MATCH_NOT_FOUND']);
    const malformed = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/repeat-matches/nope`, { decision: 'CONFIRM' });
    expect([malformed.status, malformed.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    const badDecision = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/repeat-matches/${earlierCase}`, { decision: 'MAYBE' });
    expect([badDecision.status, badDecision.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    const police = await t.as('essex-police').post(`/v1/referrals/${ref.referralId}/repeat-matches/${earlierCase}`, { decision: 'CONFIRM' });
    expect([police.status, police.body.code]).toEqual([403, 'NOT_THE_COORDINATOR']);
    expect(await counts()).toBe(before);
    // Jane is the victim of the earlier case and of the repeat case accepted above: reject both.
    const pending = (await t.as('essex-marat').get(`/v1/referrals/${ref.referralId}`)).body.repeatMatches.map((m: any) => m.caseId);
    expect(pending).toContain(earlierCase);
    let reject: any;
    for (const caseId of pending) reject = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/repeat-matches/${caseId}`, { decision: 'REJECT' });
    expect(reject.body.criteria.find((c: any) => c.id === 'REPEAT')).toMatchObject({ met: false, reason: 'No earlier case within 12 months' });
    const accepted = await t.as('essex-marat').post(`/v1/referrals/${ref.referralId}/accept`, { meetingDate: MEETING });
    expect(accepted.body.criteria).toEqual(['VISIBLE_HIGH_RISK']);
  });

  it('a case more than 12 months old is not a repeat', async () => {
    const victim = otherVictim(sampleReferral());
    victim.subjects[0].identifiers = [{ system: 'nhs-number', value: '9876543210' }];
    const old = sampleCase();
    old.subjects[0] = { ...old.subjects[0], names: victim.subjects[0].names, dobs: victim.subjects[0].dobs, identifiers: victim.subjects[0].identifiers };
    const c = await t.as('essex-marat').post('/v1/cases', old);
    await t.db.pool.query(`UPDATE cases SET created_at = now() - interval '13 months' WHERE id = $1`, [c.body.caseId]);
    const ref = await refer('essex-police', victim);
    expect(ref.possibleRepeat).toBe(false);
  });

  it('across areas only where an inter-area agreement links them (Essex and Southend)', async () => {
    const victim = otherVictim(sampleReferral());
    victim.subjects[0].names = [{ given: ['Mara'], family: 'Crossley', use: 'official' }];
    victim.subjects[0].identifiers = [{ system: 'nhs-number', value: '4010232137' }];
    const southend = sampleCase();
    delete southend.maracArea;
    southend.subjects[0] = { ...southend.subjects[0], names: victim.subjects[0].names, dobs: victim.subjects[0].dobs, identifiers: victim.subjects[0].identifiers };
    const c = await t.as('southend-marac').post('/v1/cases', southend);
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    const ref = await refer('essex-police', victim);
    expect(ref.possibleRepeat).toBe(true);
    const seen = await t.as('essex-marat').get(`/v1/referrals/${ref.referralId}`);
    expect(seen.body.repeatMatches[0]).toMatchObject({ caseId: c.body.caseId, maracArea: 'southend' });
    // With the inter-area agreement suspended, nothing links the areas.
    await t.db.pool.query(`UPDATE agreement_versions SET status = 'suspended' WHERE agreement_id = 'essex-southend-transfer'`);
    try {
      const again = await refer('essex-police', victim);
      expect(again.possibleRepeat).toBe(false);
    } finally {
      await t.db.pool.query(`UPDATE agreement_versions SET status = 'active' WHERE agreement_id = 'essex-southend-transfer'`);
    }
  });
});
