/**
 * Issue 12, class 6 ("nothing reveals what it withholds"), through the HTTP API: an agreement that
 * booleanises a parent (`health: booleanise`) must not let the coordinator learn that the
 * perpetrator is known to the mental-health trust while G-PERPETRATOR-MENTAL-HEALTH withholds
 * `health.mentalHealth` (no risk-to-others concern). Also the pack read's audit event names the
 * guardrail, and validation warns an IG officer about such a rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { CLOCK, IG_A, IG_B, auditRows, openCase, pull, readPack, requestResearch, section, subjectOf, type Ids } from '../scenarios/world.js';

function mhResponse(ids: Ids, mentalHealth: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    schemaVersion: '1.0',
    completedAt: '2026-12-10T09:30:00Z',
    completedByRole: 'Safeguarding lead',
    subjectResults: [{
      subjectId: ids.p1,
      match: { status: 'MATCHED', confidence: 1, matchedOn: ['nhs-number'] },
      knownToAgency: true,
      health: { ...extra, mentalHealth },
      withheld: [],
    }],
  };
}

describe('parent-transform-guardrail: a booleanised parent does not reveal a guarded child', () => {
  let t: TestGateway;
  let caseId: string;
  let ids: Ids;
  let version: number;

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'postgres', workers: false });
    t.clock.set(CLOCK);
    // An IG change: the mental-health trust's answer reaches the coordinator as one flag.
    const doc = structuredClone((await t.gateway.agreements.get('essex-marat', 1)).doc) as Record<string, any>;
    const flow = doc.flows.find((f: any) => f.id === 'mental-health-to-coordinator');
    flow.release = { subjectId: 'keep', match: 'keep', knownToAgency: 'keep', health: 'booleanise' };
    const draft = await t.gateway.agreements.createDraft(IG_A, doc);
    version = draft.version.version;
    await t.gateway.agreements.approve(IG_B, 'essex-marat', version);
    await t.gateway.agreements.activate(IG_A, 'essex-marat', version);
    ({ caseId, ids } = await openCase(t));
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  async function answerAndRead(body: Record<string, unknown>, key: string) {
    const r = await requestResearch(t, caseId, ['eput-mental-health']);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const requestId = r.body.requestId as string;
    const m = await pull(t, 'eput-mental-health', requestId);
    expect(m).toBeDefined();
    const res = await t.as('eput-mental-health').post(`/v1/research-requests/${requestId}/response`, body, { 'Idempotency-Key': key });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const pack = await readPack(t, 'essex-marat', caseId);
    const sec = section(pack, 'eput-mental-health', requestId);
    expect(sec.release).toMatchObject({ released: true, version });
    return { requestId, perpetrator: subjectOf(sec, ids.p1) };
  }

  it('no risk-to-others concern: `health` is withheld, naming the guardrail, instead of `true`', async () => {
    const { perpetrator, requestId } = await answerAndRead(mhResponse(ids, { openToSecondaryMH: true, riskToSelf: false, riskToOthersConcern: false }), 'mh-answer-1');
    expect(perpetrator.view.health).toBeUndefined();
    expect(perpetrator.view.knownToAgency).toBe(true);
    expect(perpetrator.withheld).toContainEqual(expect.objectContaining({ path: 'health', reason: 'GUARDRAIL_MENTAL_HEALTH' }));
    const read = await auditRows(t, `action = 'VIEW_READ' AND case_id = $1`, [caseId]);
    expect(JSON.stringify(read.at(-1)!.event)).toContain('G-PERPETRATOR-MENTAL-HEALTH');
    void requestId;
  });

  it('other health facts still count, without the mental-health record', async () => {
    const quiet = await answerAndRead(mhResponse(ids, { openToSecondaryMH: true, riskToOthersConcern: false }, { substanceMisuseServiceOpen: false }), 'mh-answer-2');
    expect(quiet.perpetrator.view.health).toBe(false);
    const open = await answerAndRead(mhResponse(ids, { openToSecondaryMH: true, riskToOthersConcern: false }, { substanceMisuseServiceOpen: true }), 'mh-answer-3');
    expect(open.perpetrator.view.health).toBe(true);
  });

  it('with a risk-to-others concern the guardrail allows it and the flag is true', async () => {
    const { perpetrator } = await answerAndRead(mhResponse(ids, { openToSecondaryMH: true, riskToOthersConcern: true }), 'mh-answer-4');
    expect(perpetrator.view.health).toBe(true);
  });
});
