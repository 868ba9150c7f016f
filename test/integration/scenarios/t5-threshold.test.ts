/**
 * T5 and T5b (domain-marac.md §8): the MARAC threshold. A case qualifies on a criterion the
 * agreement accepts AND the facts substantiate: Dash ≥ 14, professional judgement with a recorded
 * rationale, ≥ 3 police call-outs in 12 months, or a previous referral within 12 months.
 * Clock: 2026-12-10.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { CLOCK, answer, auditRows, caseBody, openCase, pull, readPack, requestResearch, section } from './world.js';

const RECIPIENTS = ['essex-police', 'chelmsford-housing', 'safe-steps-idva'];
const RATIONALE = 'Escalating coercive control reported by the health visitor (fictional sample).';

describe('T5 not high risk, T5b permitted variants', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis' });
    t.clock.set(CLOCK);
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** Opening the case is refused with each criterion's reason in words; nothing is written. */
  async function refusedAtOpening(riskBasis: Record<string, unknown>): Promise<any> {
    // Flushed first: events of the gateway's own start-up may still be on their way into the log.
    const count = async () => {
      await t.gateway.audit.flush(t.gateway.pool);
      return (await t.db.pool.query(`SELECT (SELECT count(*)::int FROM cases) AS cases,
        (SELECT count(*)::int FROM audit_events WHERE case_id IS NOT NULL OR action LIKE 'CASE%') AS events`)).rows[0];
    };
    const before = await count();
    const r = await t.as('essex-marat').post('/v1/cases', caseBody({ riskBasis }));
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.body.code).toBe('THRESHOLD_NOT_MET');
    expect(await count()).toEqual(before);
    for (const a of RECIPIENTS) expect((await t.as(a).get('/v1/inbox?wait=0')).body.messages, a).toEqual([]);
    return r.body;
  }

  // Before issue 13 such a case opened and every agency then refused it (MARAC_THRESHOLD_NOT_MET)
  // with nothing researched; now it is refused when it is opened, with the reasons in words.
  describe('T5', () => {
    it('Dash 9, one call-out, no previous referral → refused at opening, THRESHOLD_NOT_MET, the reasons in words', async () => {
      const body = await refusedAtOpening({ criteria: ['VISIBLE_HIGH_RISK'], dashScore: 9, dashVersion: 'SAFELIVES_24Q', policeCallouts12m: 1 });
      expect(body.problems).toEqual([
        { path: '/riskBasis/dashScore', code: 'NOT_MET', message: 'Dash score 9 is below 14 for visible high risk' },
        { path: '/riskBasis/policeCallouts12m', code: 'NOT_MET', message: '1 police call-out in 12 months is below 3 for potential escalation' },
      ]);
    });

    it('Dash 10 and Dash 13 under visible high risk are refused; 14 opens', async () => {
      for (const dashScore of [0, 10, 13]) {
        const body = await refusedAtOpening({ criteria: ['VISIBLE_HIGH_RISK'], dashScore });
        expect(body.problems.map((p: any) => p.message)).toEqual([`Dash score ${dashScore} is below 14 for visible high risk`]);
      }
      const { riskBasis } = await openCase(t, caseBody({ riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 14 } }));
      expect(riskBasis.criteria).toEqual(['VISIBLE_HIGH_RISK']);
    });

    it('a criterion ticked without its substance does not count: judgement without a rationale, escalation with two call-outs', async () => {
      const judgement = await refusedAtOpening({ criteria: ['PROFESSIONAL_JUDGEMENT'], dashScore: 9 });
      expect(judgement.problems.map((p: any) => p.message)).toContain('Professional judgement needs the reasons for it');
      const escalation = await refusedAtOpening({ criteria: ['POTENTIAL_ESCALATION'], dashScore: 9, policeCallouts12m: 2 });
      expect(escalation.problems.map((p: any) => p.message)).toContain('2 police call-outs in 12 months is below 3 for potential escalation');
      const blankRationale = await refusedAtOpening({ criteria: ['PROFESSIONAL_JUDGEMENT'], professionalJudgementRationale: '   ' });
      expect(blankRationale.code).toBe('THRESHOLD_NOT_MET');
    });

    it('a previous referral 12 months and a day ago is not a repeat', async () => {
      const body = await refusedAtOpening({ criteria: ['VISIBLE_HIGH_RISK', 'REPEAT'], dashScore: 9, lastMaracReferralDate: '2025-12-09' });
      expect(body.problems.map((p: any) => p.message)).toContain('The last MARAC referral, on 2025-12-09, is more than 12 months ago: not a repeat');
    });

    it('another criterion that holds opens the case: Dash 10 with three call-outs', async () => {
      const { riskBasis } = await openCase(t, caseBody({ riskBasis: { criteria: ['VISIBLE_HIGH_RISK', 'POTENTIAL_ESCALATION'], dashScore: 10, policeCallouts12m: 3 } }));
      expect(riskBasis.criteria).toEqual(['VISIBLE_HIGH_RISK', 'POTENTIAL_ESCALATION']);
    });
  });

  describe('T5b', () => {
    it('Dash 9 with professional judgement and a rationale → permitted; the rationale itself never leaves the gateway', async () => {
      const { caseId, ids, riskBasis } = await openCase(t, caseBody({ riskBasis: { criteria: ['PROFESSIONAL_JUDGEMENT'], dashScore: 9, professionalJudgementRationale: RATIONALE } }));
      expect(riskBasis.criteria).toEqual(['PROFESSIONAL_JUDGEMENT']);
      const r = await requestResearch(t, caseId, RECIPIENTS);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body.refused).toEqual([]);
      expect(r.body.messages).toHaveLength(3);

      const msg = await pull(t, 'essex-police', r.body.requestId);
      expect(msg!.request.riskCriteria).toEqual(['PROFESSIONAL_JUDGEMENT']);
      expect(JSON.stringify(msg)).not.toContain('coercive');
      expect((await answer(t, 'essex-police', r.body.requestId, ids, undefined, msg)).response.status).toBe(201);
      const pack = await readPack(t, 'essex-marat', caseId);
      expect(pack.riskCriteria).toEqual(['PROFESSIONAL_JUDGEMENT']);
      expect(section(pack, 'essex-police').release).toEqual({ released: true, agreementId: 'essex-marat', version: 1 });
      expect(JSON.stringify(pack)).not.toContain('coercive');

      const created = await auditRows(t, `action = 'REQUEST_CREATED' AND request_id = $1`, [r.body.requestId]);
      expect(created.map((e) => e.decision)).toEqual(['PERMIT', 'PERMIT', 'PERMIT']);
      const caseEvents = await auditRows(t, 'case_id = $1', [caseId]);
      expect(caseEvents.find((e) => e.action === 'CASE_CREATED')!.event.detail).toMatchObject({ criteria: 'PROFESSIONAL_JUDGEMENT' });
      for (const e of caseEvents) expect(e.canonical).not.toContain('coercive');
    });

    it('Dash 9 with a previous referral within 12 months → the case is flagged REPEAT by the gateway and permitted', async () => {
      const { caseId, riskBasis } = await openCase(t, caseBody({ riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 9, policeCallouts12m: 1, lastMaracReferralDate: '2025-12-11' } }));
      expect(riskBasis.criteria).toEqual(['VISIBLE_HIGH_RISK', 'REPEAT']);
      const created = await auditRows(t, `action = 'CASE_CREATED' AND case_id = $1`, [caseId]);
      expect(created[0]!.event.detail).toMatchObject({ criteria: 'VISIBLE_HIGH_RISK,REPEAT' });

      const r = await requestResearch(t, caseId, RECIPIENTS);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body.messages.map((m: any) => m.recipient).sort()).toEqual([...RECIPIENTS].sort());
      const msg = await pull(t, 'safe-steps-idva', r.body.requestId);
      expect(msg!.request.riskCriteria).toEqual(['VISIBLE_HIGH_RISK', 'REPEAT']);
    });
  });
});
