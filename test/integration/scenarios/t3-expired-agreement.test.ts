/**
 * T3 (domain-marac.md §8): the agreement runs out. Essex MARAT v1 is reviewed by 2027-06-30 and
 * expires 2027-12-31. Between the two, messages still move but carry a REVIEW_OVERDUE warning;
 * after expiry, everything is refused ISA_EXPIRED: new requests, deliveries still queued, answers
 * not yet given and research already stored. No partial release.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { sampleResponse } from '../exchange/fixtures.js';
import { CLOCK, answer, auditRows, openCase, pull, readPack, requestResearch, section, type Ids } from './world.js';

const AFTER_REVIEW = '2027-07-15T10:00:00Z';
const AFTER_EXPIRY = '2028-01-02T09:00:00Z';

describe('T3 expired agreement', () => {
  let t: TestGateway;
  let caseId: string;
  let ids: Ids;
  let requestId: string;

  beforeAll(async () => {
    // No background jobs: the sweeper would mark the messages overdue once the clock jumps.
    t = await startTestGateway({ queue: 'redis', workers: false });
    t.clock.set(CLOCK);
    ({ caseId, ids } = await openCase(t));
    const r = await requestResearch(t, caseId, ['essex-police', 'chelmsford-housing', 'mse-hospitals']);
    expect(r.status).toBe(201);
    requestId = r.body.requestId;
    // Police answer in time; housing has the request but has not answered; the acute trust has not even collected it.
    expect((await answer(t, 'essex-police', requestId, ids)).response.status).toBe(201);
    const housing = await pull(t, 'chelmsford-housing', requestId);
    expect((await t.as('chelmsford-housing').post(`/v1/inbox/${housing!.messageId}/ack`)).status).toBe(200);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('while in date, the research is released', async () => {
    const pack = await readPack(t, 'essex-marat', caseId);
    expect(section(pack, 'essex-police').release).toEqual({ released: true, agreementId: 'essex-marat', version: 1 });
  });

  it('past the review date but before expiry: permitted, with a REVIEW_OVERDUE warning on the decision and in the audit log', async () => {
    t.clock.set(AFTER_REVIEW);
    const r = await requestResearch(t, caseId, ['safe-steps-idva']);
    expect(r.status).toBe(201);
    const created = await auditRows(t, `action = 'REQUEST_CREATED' AND request_id = $1`, [r.body.requestId]);
    expect(created).toHaveLength(1);
    expect(created[0]!.event).toMatchObject({ decision: 'PERMIT', detail: { warnings: 'REVIEW_OVERDUE' } });
    const pack = await readPack(t, 'essex-marat', caseId);
    expect(section(pack, 'essex-police').release).toEqual({ released: true, agreementId: 'essex-marat', version: 1, warnings: ['REVIEW_OVERDUE'] });
  });

  describe('after expiry (2028-01-02)', () => {
    beforeAll(() => t.clock.set(AFTER_EXPIRY));

    it('a new request is refused ISA_EXPIRED for every recipient, and nothing is sent', async () => {
      const r = await requestResearch(t, caseId, ['essex-police', 'safe-steps-idva']);
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: 'ALL_RECIPIENTS_REFUSED', reason: 'ISA_EXPIRED' });
      expect(r.body.problems.map((p: any) => p.code)).toEqual(['ISA_EXPIRED', 'ISA_EXPIRED']);
      const refused = await auditRows(t, `action = 'REQUEST_REFUSED' AND case_id = $1 AND reason_code = 'ISA_EXPIRED'`, [caseId]);
      expect(refused).toHaveLength(2);
      for (const e of refused) expect(e.event).toMatchObject({ decision: 'DENY', agreementId: 'essex-marat', agreementVersion: 1 });
    });

    it('research already stored is no longer released: the section says ISA_EXPIRED and carries nothing', async () => {
      const pack = await readPack(t, 'essex-marat', caseId);
      const police = section(pack, 'essex-police', requestId);
      expect(police).toMatchObject({ state: 'responded', release: { released: false, reason: 'ISA_EXPIRED' }, subjects: [] });
      expect(police.envelope).toBeUndefined();
      const text = JSON.stringify(pack);
      for (const v of ['incidentCount12m', 'DC Example Officer', 'NMO', 'Fictional sample']) expect(text).not.toContain(v);
    });

    it('a request still queued is not delivered: the message fails ISA_EXPIRED, audited', async () => {
      expect(await pull(t, 'mse-hospitals', requestId)).toBeUndefined();
      const status = await t.as('essex-marat').get(`/v1/research-requests/${requestId}`);
      expect(status.body.messages.find((m: any) => m.recipient === 'mse-hospitals')).toMatchObject({ state: 'failed', lastError: 'ISA_EXPIRED' });
      const failed = await auditRows(t, `action = 'DELIVERY_FAILED' AND request_id = $1`, [requestId]);
      expect(failed.map((e) => [e.reason_code, e.event.agencyIds])).toEqual([['ISA_EXPIRED', ['essex-marat', 'mse-hospitals']]]);
    });

    it('an answer not yet given cannot be stored: 403 POLICY_DENIED ISA_EXPIRED, audited, the message stays open', async () => {
      const r = await t.as('chelmsford-housing').post(
        `/v1/research-requests/${requestId}/response`, sampleResponse('response-housing.json', ids), { 'Idempotency-Key': 'housing-after-expiry' },
      );
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: 'POLICY_DENIED', reason: 'ISA_EXPIRED' });
      const denied = await auditRows(t, `action = 'ACCESS_DENIED' AND request_id = $1`, [requestId]);
      expect(denied.map((e) => [e.reason_code, e.event.actor.agencyId])).toEqual([['ISA_EXPIRED', 'chelmsford-housing']]);
      const stored = await t.db.pool.query(`SELECT count(*)::int AS n FROM responses WHERE request_id = $1 AND responder_agency_id = 'chelmsford-housing'`, [requestId]);
      expect(stored.rows[0].n).toBe(0);
      const status = await t.as('essex-marat').get(`/v1/research-requests/${requestId}`);
      expect(status.body.messages.find((m: any) => m.recipient === 'chelmsford-housing').state).toBe('acknowledged');
    });
  });
});
