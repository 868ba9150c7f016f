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

  async function refusedAll(riskBasis: Record<string, unknown>): Promise<{ caseId: string; body: any }> {
    const { caseId } = await openCase(t, caseBody({ riskBasis }));
    const r = await requestResearch(t, caseId, RECIPIENTS);
    expect(r.status, JSON.stringify(r.body)).toBe(403);
    return { caseId, body: r.body };
  }

  describe('T5', () => {
    it('Dash 9, no rationale, one call-out, no previous referral → every recipient refused MARAC_THRESHOLD_NOT_MET; the risk basis is stored', async () => {
      const riskBasis = { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 9, dashVersion: 'SAFELIVES_24Q', policeCallouts12m: 1 };
      const { caseId, body } = await refusedAll(riskBasis);
      expect(body).toMatchObject({ code: 'ALL_RECIPIENTS_REFUSED', reason: 'MARAC_THRESHOLD_NOT_MET' });
      expect(body.problems.map((p: any) => p.code)).toEqual(['MARAC_THRESHOLD_NOT_MET', 'MARAC_THRESHOLD_NOT_MET', 'MARAC_THRESHOLD_NOT_MET']);
      for (const a of RECIPIENTS) expect((await t.as(a).get('/v1/inbox?wait=0')).body.messages, a).toEqual([]);

      const refused = await auditRows(t, `action = 'REQUEST_REFUSED' AND case_id = $1`, [caseId]);
      expect(refused.map((e) => e.reason_code)).toEqual(['MARAC_THRESHOLD_NOT_MET', 'MARAC_THRESHOLD_NOT_MET', 'MARAC_THRESHOLD_NOT_MET']);
      const stored = await t.db.pool.query('SELECT risk_basis FROM cases WHERE id = $1', [caseId]);
      expect(stored.rows[0].risk_basis).toEqual(riskBasis);
      const created = await auditRows(t, `action = 'CASE_CREATED' AND case_id = $1`, [caseId]);
      expect(created[0]!.event.detail).toMatchObject({ criteria: 'VISIBLE_HIGH_RISK' });
    });

    it('a criterion ticked without its substance does not count: judgement without a rationale, escalation with two call-outs', async () => {
      for (const riskBasis of [
        { criteria: ['PROFESSIONAL_JUDGEMENT'], dashScore: 9 },
        { criteria: ['POTENTIAL_ESCALATION'], dashScore: 9, policeCallouts12m: 2 },
      ]) {
        const { body } = await refusedAll(riskBasis);
        expect(body.reason, JSON.stringify(riskBasis)).toBe('MARAC_THRESHOLD_NOT_MET');
      }
    });

    it('a previous referral 12 months and a day ago is not a repeat', async () => {
      const { caseId, body } = await refusedAll({ criteria: ['VISIBLE_HIGH_RISK'], dashScore: 9, lastMaracReferralDate: '2025-12-09' });
      expect(body.reason).toBe('MARAC_THRESHOLD_NOT_MET');
      const stored = await t.db.pool.query('SELECT risk_basis FROM cases WHERE id = $1', [caseId]);
      expect(stored.rows[0].risk_basis.criteria).toEqual(['VISIBLE_HIGH_RISK']);
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
