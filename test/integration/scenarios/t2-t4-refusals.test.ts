/**
 * T2 (no agreement with the recipient) and T4 (purpose mismatch), domain-marac.md §8, through the
 * agency API: a refused recipient gets nothing while the others proceed; when everyone is
 * refused, nothing is written but the audited refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agreement } from '../../../gateway/src/policy/index.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { CLOCK, IG_A, IG_B, answer, auditRows, openCase, pull, requestResearch, type Ids } from './world.js';

describe('T2 and T4: refused recipients', () => {
  let t: TestGateway;
  let caseId: string;
  let ids: Ids;

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis' });
    t.clock.set(CLOCK);
    ({ caseId, ids } = await openCase(t));
  });
  afterAll(async () => {
    await t?.stop();
  });

  const count = async (table: string) => Number((await t.db.pool.query(`SELECT count(*) AS n FROM ${table} WHERE case_id = $1`, [caseId])).rows[0].n);

  describe('T2 no agreement with Recovery Ltd', () => {
    it('Recovery Ltd is refused PROVIDER_NOT_SIGNATORY and gets nothing; police still get the request and answer it', async () => {
      const r = await requestResearch(t, caseId, ['recovery-ltd', 'essex-police']);
      expect(r.status).toBe(201);
      expect(r.body.messages.map((m: any) => m.recipient)).toEqual(['essex-police']);
      expect(r.body.refused).toEqual([{ recipient: 'recovery-ltd', reason: 'PROVIDER_NOT_SIGNATORY' }]);
      const requestId = r.body.requestId;

      expect((await t.as('recovery-ltd').get('/v1/inbox?wait=0')).body.messages).toEqual([]);
      expect((await t.as('recovery-ltd').get(`/v1/research-requests/${requestId}`)).body.code).toBe('REQUEST_NOT_FOUND');
      const pack = await t.as('recovery-ltd').get(`/v1/cases/${caseId}/research`);
      expect(pack.status).toBe(404);
      expect(pack.body.code).toBe('CASE_NOT_FOUND');

      const status = await t.as('essex-marat').get(`/v1/research-requests/${requestId}`);
      expect(status.body.refused).toEqual([{ recipient: 'recovery-ltd', reason: 'PROVIDER_NOT_SIGNATORY' }]);
      expect((await answer(t, 'essex-police', requestId, ids)).response.status).toBe(201);

      const refused = await auditRows(t, `action = 'REQUEST_REFUSED' AND request_id = $1`, [requestId]);
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ decision: 'DENY', reason_code: 'PROVIDER_NOT_SIGNATORY', agreement_id: 'essex-marat', agreement_version: 1 });
      expect(refused[0]!.event.agencyIds).toEqual(['essex-marat', 'recovery-ltd']);

      const pack2 = await t.as('essex-marat').get(`/v1/cases/${caseId}/research`);
      expect(pack2.body.refused).toEqual([{ requestId, agencyId: 'recovery-ltd', reason: 'PROVIDER_NOT_SIGNATORY' }]);
    });

    it('when every recipient is refused: 403 ALL_RECIPIENTS_REFUSED with a reason per recipient, and nothing is sent or stored', async () => {
      const [requestsBefore, messagesBefore] = [await count('research_requests'), await count('messages')];
      const r = await requestResearch(t, caseId, ['recovery-ltd', 'no-such-agency']);
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: 'ALL_RECIPIENTS_REFUSED', reason: 'PROVIDER_NOT_SIGNATORY' });
      expect(r.body.problems).toEqual([
        { path: '/recipients/0', code: 'PROVIDER_NOT_SIGNATORY', message: expect.any(String) },
        { path: '/recipients/1', code: 'UNKNOWN_RECIPIENT', message: expect.any(String) },
      ]);
      expect([await count('research_requests'), await count('messages')]).toEqual([requestsBefore, messagesBefore]);
      expect((await t.as('recovery-ltd').get('/v1/inbox?wait=0')).body.messages).toEqual([]);
      // Each refusal is still audited (no request id: no request exists).
      const refused = await auditRows(t, `action = 'REQUEST_REFUSED' AND case_id = $1 AND request_id IS NULL`, [caseId]);
      expect(refused.map((e) => e.reason_code).sort()).toEqual(['PROVIDER_NOT_SIGNATORY', 'UNKNOWN_RECIPIENT']);
    });
  });

  describe('T4 purpose mismatch', () => {
    it('asking Southend for MARAC research: the only agreement between the two MARACs is for transfers → PURPOSE_NOT_IN_ISA, purpose audited', async () => {
      const r = await requestResearch(t, caseId, ['southend-marac']);
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: 'ALL_RECIPIENTS_REFUSED', reason: 'PURPOSE_NOT_IN_ISA' });
      expect(r.body.problems).toEqual([{ path: '/recipients/0', code: 'PURPOSE_NOT_IN_ISA', message: expect.any(String) }]);
      const refused = await auditRows(t, `action = 'REQUEST_REFUSED' AND case_id = $1 AND reason_code = 'PURPOSE_NOT_IN_ISA'`, [caseId]);
      expect(refused).toHaveLength(1);
      expect(refused[0]!.event).toMatchObject({ purpose: 'MARAC_RESEARCH', decision: 'DENY', agreementId: 'essex-southend-transfer', agreementVersion: 1 });
      expect((await t.as('southend-marac').get('/v1/inbox?wait=0')).body.messages).toEqual([]);
    });

    it('a transfer asked of an agency that is not a MARAC: no inter-area agreement covers the pair → NO_INTER_AREA_AGREEMENT', async () => {
      const r = await requestResearch(t, caseId, ['essex-police'], { purpose: 'MARAC_TRANSFER' });
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: 'ALL_RECIPIENTS_REFUSED', reason: 'NO_INTER_AREA_AGREEMENT' });
    });

    it('a purpose outside the vocabulary (housing allocation) is bad input: 400, nothing written', async () => {
      const before = await count('research_requests');
      const r = await requestResearch(t, caseId, ['essex-police'], { purpose: 'HOUSING_ALLOCATION' });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('VALIDATION_FAILED');
      expect(r.body.problems.map((p: any) => p.path)).toContain('/purpose');
      expect(await count('research_requests')).toBe(before);
    });

    it('housing cannot ask police for anything: only the case’s coordinator requests research', async () => {
      const r = await requestResearch(t, caseId, ['essex-police'], {}, 'chelmsford-housing');
      expect(r.status).toBe(404);
      expect(r.body.code).toBe('CASE_NOT_FOUND');
    });

    it('under a new Essex version that drops MARAC_ACTION_REVIEW, an action review is refused PURPOSE_NOT_IN_ISA citing that version; research still flows', async () => {
      const v1 = await t.gateway.agreements.get('essex-marat', 1);
      const doc = structuredClone(v1.doc) as unknown as Agreement;
      doc.purposes = ['MARAC_RESEARCH'];
      // Flows for the dropped purpose go with it (a flow may only name purposes of its agreement).
      doc.flows = doc.flows
        .map((f) => (f.purposes ? { ...f, purposes: f.purposes.filter((p) => p !== 'MARAC_ACTION_REVIEW') } : f))
        .filter((f) => !f.purposes || f.purposes.length > 0);
      const draft = await t.gateway.agreements.createDraft(IG_A, doc);
      expect(draft.problems).toEqual([]);
      await t.gateway.agreements.approve(IG_B, 'essex-marat', draft.version.version);
      await t.gateway.agreements.activate(IG_A, 'essex-marat', draft.version.version);

      const review = await requestResearch(t, caseId, ['essex-police', 'chelmsford-housing'], { purpose: 'MARAC_ACTION_REVIEW' });
      expect(review.status).toBe(403);
      expect(review.body.problems.map((p: any) => p.code)).toEqual(['PURPOSE_NOT_IN_ISA', 'PURPOSE_NOT_IN_ISA']);
      const refused = await auditRows(t, `action = 'REQUEST_REFUSED' AND case_id = $1 AND canonical::jsonb->>'purpose' = 'MARAC_ACTION_REVIEW'`, [caseId]);
      expect(refused.map((e) => [e.reason_code, e.agreement_id, e.agreement_version])).toEqual([
        ['PURPOSE_NOT_IN_ISA', 'essex-marat', 2], ['PURPOSE_NOT_IN_ISA', 'essex-marat', 2],
      ]);

      const research = await requestResearch(t, caseId, ['chelmsford-housing']);
      expect(research.status).toBe(201);
      expect(research.body.messages[0]).toMatchObject({ agreementId: 'essex-marat', agreementVersion: 2 });
      expect(await pull(t, 'chelmsford-housing', research.body.requestId)).toBeDefined();
    });
  });
});
