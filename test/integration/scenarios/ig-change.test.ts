/**
 * An IG change reaching the exchange (issue 3: "Suspension takes effect on the next message,
 * including on research already stored"; "Decisions pin the agreement version in force when the
 * request was made"). IG officer A suspends Essex MARAT v1; a v2 written by A and approved by B
 * (maker-checker) is activated; the next request is pinned to v2 and follows its rules, while
 * everything pinned to v1 stays refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { sampleResponse } from '../exchange/fixtures.js';
import { CLOCK, IG_A, IG_B, answer, auditRows, openCase, pull, readPack, requestResearch, section, subjectOf, type Ids } from './world.js';

describe('an agreement change reaches the exchange on the next message', () => {
  let t: TestGateway;
  let caseId: string;
  let ids: Ids;
  let firstId: string;
  let v2: number;

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis' });
    t.clock.set(CLOCK);
    ({ caseId, ids } = await openCase(t));
    const r = await requestResearch(t, caseId, ['essex-police', 'chelmsford-housing', 'mse-hospitals']);
    expect(r.status).toBe(201);
    firstId = r.body.requestId;
    // Police answer; housing has collected the request but not answered; the acute trust has not collected it.
    expect((await answer(t, 'essex-police', firstId, ids)).response.status).toBe(201);
    expect(await pull(t, 'chelmsford-housing', firstId)).toBeDefined();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('before the change, the stored police research is released under v1', async () => {
    const pack = await readPack(t, 'essex-marat', caseId);
    const police = section(pack, 'essex-police', firstId);
    expect(police.release).toEqual({ released: true, agreementId: 'essex-marat', version: 1 });
    expect(subjectOf(police, ids.v1).view.police.officerInCharge).toEqual({ name: 'DC Example Officer', contact: 'Ext 0000 (fictional)' });
  });

  describe('IG officer A suspends v1', () => {
    beforeAll(async () => {
      await t.gateway.agreements.suspend(IG_A, 'essex-marat', 1, { reason: 'Partner breach under review', confirm: true });
    });

    it('research already stored is refused AGREEMENT_SUSPENDED on the next read, and nothing of it is shown', async () => {
      const pack = await readPack(t, 'essex-marat', caseId);
      expect(section(pack, 'essex-police', firstId)).toMatchObject({ state: 'responded', release: { released: false, reason: 'AGREEMENT_SUSPENDED' }, subjects: [] });
      expect(JSON.stringify(pack)).not.toContain('DC Example Officer');
      const suspended = await auditRows(t, `action = 'AGREEMENT_SUSPENDED'`);
      expect(suspended.map((e) => [e.agreement_id, e.agreement_version, e.event.actor.userId])).toEqual([['essex-marat', 1, 'ig-officer-a']]);
    });

    it('a message not yet collected is not delivered: it fails AGREEMENT_SUSPENDED', async () => {
      expect(await pull(t, 'mse-hospitals', firstId)).toBeUndefined();
      const status = await t.as('essex-marat').get(`/v1/research-requests/${firstId}`);
      expect(status.body.messages.find((m: any) => m.recipient === 'mse-hospitals')).toMatchObject({ state: 'failed', lastError: 'AGREEMENT_SUSPENDED' });
      const failed = await auditRows(t, `action = 'DELIVERY_FAILED' AND request_id = $1`, [firstId]);
      expect(failed.map((e) => e.reason_code)).toEqual(['AGREEMENT_SUSPENDED']);
    });

    it('an answer to a request pinned to v1 is refused: 403 POLICY_DENIED AGREEMENT_SUSPENDED', async () => {
      const r = await t.as('chelmsford-housing').post(`/v1/research-requests/${firstId}/response`, sampleResponse('response-housing.json', ids), { 'Idempotency-Key': 'housing-suspended-1' });
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: 'POLICY_DENIED', reason: 'AGREEMENT_SUSPENDED' });
    });

    it('no new request can be made under it', async () => {
      const r = await requestResearch(t, caseId, ['essex-police', 'chelmsford-housing']);
      expect(r.status).toBe(403);
      expect(r.body.code).toBe('ALL_RECIPIENTS_REFUSED');
      // The suspended version in force explains the refusal (issue 12: refusals say AGREEMENT_SUSPENDED).
      expect(r.body.reason).toBe('AGREEMENT_SUSPENDED');
      expect((await t.as('essex-police').get('/v1/inbox?wait=0')).body.messages).toEqual([]);
    });
  });

  describe('a v2 written by A, approved by B, activated', () => {
    beforeAll(async () => {
      const doc = structuredClone((await t.gateway.agreements.get('essex-marat', 1)).doc) as Record<string, any>;
      const flow = (id: string) => doc.flows.find((f: any) => f.id === id).release as Record<string, unknown>;
      // Housing now matches adults on an age band, not the date of birth.
      delete flow('request-housing-adults')['subject.dobs'];
      flow('request-housing-adults')['subject.dobs[]'] = { ageBand: [0, 5, 11, 16, 18, 25, 35, 50, 65] };
      // The officer in charge of victims' incidents is no longer shared with the coordinator.
      delete flow('police-to-coordinator-others')['police.officerInCharge'];
      const draft = await t.gateway.agreements.createDraft(IG_A, doc);
      expect(draft.problems).toEqual([]);
      v2 = draft.version.version;
    });

    it('the author cannot approve it (maker-checker); a second officer can', async () => {
      await expect(t.gateway.agreements.approve(IG_A, 'essex-marat', v2)).rejects.toMatchObject({ code: 'MAKER_CHECKER_VIOLATION' });
      expect((await t.gateway.agreements.approve(IG_B, 'essex-marat', v2)).status).toBe('approved');
      expect((await t.gateway.agreements.activate(IG_A, 'essex-marat', v2)).status).toBe('active');
      // The suspended version stays suspended: activation supersedes only a version in force.
      expect((await t.gateway.agreements.get('essex-marat', 1)).status).toBe('suspended');
    });

    it('the next request is pinned to v2 and follows its rules', async () => {
      const r = await requestResearch(t, caseId, ['chelmsford-housing', 'essex-police']);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body.messages.map((m: any) => m.agreementVersion)).toEqual([v2, v2]);
      const created = await auditRows(t, `action = 'REQUEST_CREATED' AND request_id = $1`, [r.body.requestId]);
      expect(created.map((e) => [e.agreement_id, e.agreement_version])).toEqual([['essex-marat', v2], ['essex-marat', v2]]);

      const housing = await pull(t, 'chelmsford-housing', r.body.requestId);
      const victim = housing!.request.subjects.find((s: any) => s.subjectId === ids.v1);
      expect(victim.dobs).toEqual(['35-49']);

      expect((await answer(t, 'essex-police', r.body.requestId, ids)).response.status).toBe(201);
      const pack = await readPack(t, 'essex-marat', caseId);
      const fresh = section(pack, 'essex-police', r.body.requestId);
      expect(fresh.release).toEqual({ released: true, agreementId: 'essex-marat', version: v2 });
      const v = subjectOf(fresh, ids.v1);
      expect(v.view.police.officerInCharge).toBeUndefined();
      expect(v.withheld).toContainEqual({ path: 'police.officerInCharge', reason: 'NOT_IN_AGREEMENT', by: 'policy' });
      // Research pinned to the suspended v1 stays refused.
      expect(section(pack, 'essex-police', firstId).release).toEqual({ released: false, reason: 'AGREEMENT_SUSPENDED' });
    });

    it('a request made under v1 is still judged under v1, not v2', async () => {
      const r = await t.as('chelmsford-housing').post(`/v1/research-requests/${firstId}/response`, sampleResponse('response-housing.json', ids), { 'Idempotency-Key': 'housing-suspended-2' });
      expect(r.status).toBe(403);
      expect(r.body.reason).toBe('AGREEMENT_SUSPENDED');
    });
  });
});
