/**
 * Issue 12, class 3: every refusal is in the audit log. A pack read, an export, a delivery and an
 * answer where something was refused record the decision and, per section, the agency and the
 * reason code (never a value). Found: a pack read while the agreement was suspended released
 * nothing but was audited as VIEW_READ / PERMIT with no reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyExport } from '../../../gateway/src/audit/verify.js';
import type { TestGateway } from '../../helpers/gateway.js';
import { sampleResponse } from '../exchange/fixtures.js';
import { answer, auditRows, openCase, pull, readPack, requestResearch, type Ids } from '../scenarios/world.js';
import { REASONED, startKillSwitchWorld, type KillSwitchWorld } from './kill-switch-world.js';

describe('refusals-audited: every read, export, delivery and answer that refused something says so in the log', () => {
  let k: KillSwitchWorld;
  let t: TestGateway;
  let caseId: string;
  let ids: Ids;
  let requestId: string;

  const lastEvent = async (action: string, agency?: string) => {
    const rows = await auditRows(t, `action = $1 AND case_id = $2`, [action, caseId]);
    return (agency ? rows.filter((r) => r.event.agencyIds?.includes(agency) || r.event.actor.agencyId === agency) : rows).at(-1)!;
  };

  beforeAll(async () => {
    k = await startKillSwitchWorld();
    t = k.w.t;
    ({ caseId, ids } = await openCase(t));
    const r = await requestResearch(t, caseId, ['essex-police', 'safe-steps-idva', 'chelmsford-housing', 'mse-hospitals']);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    requestId = r.body.requestId;
    for (const a of ['essex-police', 'safe-steps-idva']) expect((await answer(t, a, requestId, ids)).response.status).toBe(201);
    expect(await pull(t, 'chelmsford-housing', requestId)).toBeDefined();
  }, 120_000);
  afterAll(async () => {
    await k?.close();
  });

  it('a read with nothing refused: PERMIT(_WITH_TRANSFORMS), no reason, one entry per section', async () => {
    await readPack(t, 'essex-marat', caseId);
    const ev = (await lastEvent('VIEW_READ', 'essex-marat')).event;
    expect(ev.decision).toMatch(/^PERMIT/);
    expect(ev.reasonCode).toBeUndefined();
    expect(ev.sectionDecisions).toEqual(expect.arrayContaining([
      { agencyId: 'essex-police', requestId, decision: expect.stringMatching(/^PERMIT/) },
      { agencyId: 'safe-steps-idva', requestId, decision: expect.stringMatching(/^PERMIT/) },
      { agencyId: 'chelmsford-housing', requestId, decision: 'NONE', reasonCode: 'NO_RESPONSE' },
    ]));
    expect(ev.detail).toMatchObject({ sectionsRefused: 0, sectionsReleased: 2 });
  });

  it('a reader refused some sections: a partial decision with the reason per section (housing has no flow from the IDVA)', async () => {
    await readPack(t, 'chelmsford-housing', caseId);
    const ev = (await lastEvent('VIEW_READ', 'chelmsford-housing')).event;
    expect(ev.decision).toBe('PERMIT_WITH_TRANSFORMS');
    expect(ev.reasonCode).toBe('NO_FLOW_FOR_PAIR');
    expect(ev.sectionDecisions).toEqual(expect.arrayContaining([
      { agencyId: 'safe-steps-idva', requestId, decision: 'DENY', reasonCode: 'NO_FLOW_FOR_PAIR' },
      { agencyId: 'essex-police', requestId, decision: expect.stringMatching(/^PERMIT/) },
      { agencyId: 'chelmsford-housing', requestId, decision: 'NONE', reasonCode: 'NO_RESPONSE' },
    ]));
  });

  it('a party removed: the coordinator read is partial, PARTY_REMOVED on the police section only', async () => {
    expect((await k.api(k.officer1, 'POST', '/v1/agreements/essex-marat/parties/essex-police/remove', REASONED)).status).toBe(200);
    await readPack(t, 'essex-marat', caseId);
    const ev = (await lastEvent('VIEW_READ', 'essex-marat')).event;
    expect(ev).toMatchObject({ decision: 'PERMIT_WITH_TRANSFORMS', reasonCode: 'PARTY_REMOVED' });
    expect(ev.sectionDecisions).toContainEqual({ agencyId: 'essex-police', requestId, decision: 'DENY', reasonCode: 'PARTY_REMOVED' });
    expect(ev.sectionDecisions).toContainEqual({ agencyId: 'safe-steps-idva', requestId, decision: expect.stringMatching(/^PERMIT/) });
    expect((await k.api(k.officer2, 'POST', '/v1/agreements/essex-marat/parties/essex-police/restore')).status).toBe(200);
  });

  describe('while the agreement is suspended', () => {
    beforeAll(async () => {
      expect((await k.api(k.officer1, 'POST', '/v1/agreements/essex-marat/versions/1/suspend', REASONED)).status).toBe(200);
    });

    it('a pack read releases nothing and is audited DENY AGREEMENT_SUSPENDED, per section (not PERMIT)', async () => {
      await readPack(t, 'essex-marat', caseId);
      const row = await lastEvent('VIEW_READ', 'essex-marat');
      expect(row.decision).toBe('DENY');
      expect(row.reason_code).toBe('AGREEMENT_SUSPENDED');
      expect(row.event.sectionDecisions).toEqual(expect.arrayContaining([
        { agencyId: 'essex-police', requestId, decision: 'DENY', reasonCode: 'AGREEMENT_SUSPENDED' },
        { agencyId: 'safe-steps-idva', requestId, decision: 'DENY', reasonCode: 'AGREEMENT_SUSPENDED' },
      ]));
      expect(row.event.fieldsReleased).toBeUndefined();
    });

    it('an export (agency API) is audited PACK_EXPORTED DENY with the same per-section reasons', async () => {
      const r = await t.as('essex-marat').get(`/v1/cases/${caseId}/research/export`);
      expect(r.status).toBe(200);
      const row = await lastEvent('PACK_EXPORTED', 'essex-marat');
      expect([row.decision, row.reason_code]).toEqual(['DENY', 'AGREEMENT_SUSPENDED']);
      expect(row.event.sectionDecisions).toContainEqual({ agencyId: 'safe-steps-idva', requestId, decision: 'DENY', reasonCode: 'AGREEMENT_SUSPENDED' });
    });

    it('a read by another party (housing) is audited DENY for the rows it is not even shown', async () => {
      const pack = await readPack(t, 'chelmsford-housing', caseId);
      expect(pack.sections.map((s: any) => s.agencyId)).toEqual(['chelmsford-housing']);
      const row = await lastEvent('VIEW_READ', 'chelmsford-housing');
      expect([row.decision, row.reason_code]).toEqual(['DENY', 'AGREEMENT_SUSPENDED']);
      expect(row.event.sectionDecisions).toContainEqual({ agencyId: 'essex-police', requestId, decision: 'DENY', reasonCode: 'AGREEMENT_SUSPENDED' });
    });

    it('the coordinator’s web page read is audited the same way, with the person as actor', async () => {
      const coord = await k.w.login('coordinator@essex-marat');
      const page = await k.w.page(`/cases/${caseId}`, coord);
      expect(page.status).toBe(200);
      const rows = await auditRows(t, `action = 'VIEW_READ' AND case_id = $1`, [caseId]);
      // The case page also reads the case's actions and listings (their own VIEW_READ events):
      // the research pack's read is the one with section decisions.
      const ev = rows.filter((r: any) => Array.isArray(r.event.sectionDecisions) && r.event.actor.kind === 'person').at(-1)!;
      expect(ev.event.actor.kind).toBe('person');
      expect([ev.decision, ev.reason_code]).toEqual(['DENY', 'AGREEMENT_SUSPENDED']);
    });

    it('a delivery refused fails the message and is audited DELIVERY_FAILED / DENY with the reason', async () => {
      expect(await pull(t, 'mse-hospitals', requestId)).toBeUndefined();
      const row = (await auditRows(t, `action = 'DELIVERY_FAILED' AND request_id = $1`, [requestId])).at(-1)!;
      expect([row.decision, row.reason_code, row.event.agencyIds]).toEqual(['DENY', 'AGREEMENT_SUSPENDED', ['essex-marat', 'mse-hospitals']]);
    });

    it('an answer refused is audited ACCESS_DENIED / DENY with the reason, and nothing is stored', async () => {
      const r = await t.as('chelmsford-housing').post(`/v1/research-requests/${requestId}/response`, sampleResponse('response-housing.json', ids), { 'Idempotency-Key': 'refused-housing-1' });
      expect([r.status, r.body.reason]).toEqual([403, 'AGREEMENT_SUSPENDED']);
      const row = (await auditRows(t, `action = 'ACCESS_DENIED' AND request_id = $1`, [requestId])).at(-1)!;
      expect([row.decision, row.reason_code, row.event.actor.agencyId]).toEqual(['DENY', 'AGREEMENT_SUSPENDED', 'chelmsford-housing']);
      const stored = await t.db.pool.query(`SELECT count(*)::int AS n FROM responses WHERE request_id = $1 AND responder_agency_id = 'chelmsford-housing'`, [requestId]);
      expect(stored.rows[0].n).toBe(0);
    });

    it('a new request refused for every recipient is audited REQUEST_REFUSED per recipient with the reason', async () => {
      const r = await requestResearch(t, caseId, ['essex-police', 'safe-steps-idva']);
      expect(r.status).toBe(403);
      const rows = await auditRows(t, `action = 'REQUEST_REFUSED' AND case_id = $1`, [caseId]);
      expect(rows.slice(-2).map((e) => [e.decision, e.reason_code])).toEqual([['DENY', 'AGREEMENT_SUSPENDED'], ['DENY', 'AGREEMENT_SUSPENDED']]);
    });
  });

  it('the log with its new section entries still verifies offline, and holds no value', async () => {
    const auditor = await k.w.login('auditor');
    const get = (url: string) => fetch(`${k.w.base}${url}`, { headers: { cookie: auditor.cookie, accept: 'application/json' } });
    const key = await (await get('/v1/audit/public-key')).json() as { publicKeyPem: string };
    await t.gateway.audit.flush();
    const text = await (await get('/v1/audit/export?format=ndjson')).text();
    expect(text).toContain('"sectionDecisions"');
    const result = await verifyExport([Buffer.from(text)], { publicKeys: [key.publicKeyPem], allowUncheckpointed: true });
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    for (const needle of ['DC Example Officer', 'Partner breach under investigation']) expect(text).not.toContain(needle);
  });
});
