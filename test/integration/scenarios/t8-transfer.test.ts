/**
 * T8 (domain-marac.md §8, rule R10): repeat + MARAC-to-MARAC transfer. V was heard at Southend
 * MARAC on 2026-02-01 and is referred again in Essex: the case is flagged REPEAT, and Essex asks
 * Southend for its transfer bundle under the inter-area agreement `essex-southend-transfer`.
 * Agency research never crosses: not Southend's, not Essex's. Without the inter-area agreement
 * nothing moves (NO_INTER_AREA_AGREEMENT).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { CLOCK, IG_A, answer, auditRows, caseBody, openCase, pull, readPack, requestResearch, section, subjectOf, type Ids } from './world.js';

const TRANSFER = { purpose: 'MARAC_TRANSFER' };

function southendAnswer(ids: Ids, extra: Record<string, unknown> = {}) {
  return {
    schemaVersion: '1.0',
    completedAt: '2026-12-09T12:00:00Z',
    completedByRole: 'MARAC coordinator',
    subjectResults: [
      { subjectId: ids.v1, match: { status: 'MATCHED', confidence: 1, matchedOn: ['name', 'dob'] }, knownToAgency: true, withheld: [], ...extra },
      { subjectId: ids.p1, match: { status: 'MATCHED', confidence: 1, matchedOn: ['name', 'dob'] }, knownToAgency: true, withheld: [] },
    ],
    agencyRiskSummary: { text: 'Heard at Southend MARAC on 2026-02-01; risk remains high (fictional sample).', isOpinion: true },
    proposedActions: [{ description: 'Southend IDVA to hand over to Safe Steps (fictional sample).', ownerAgencyId: 'southend-marac', dueBy: '2026-12-20' }],
    // The R10 transfer bundle.
    fromMaracArea: 'southend',
    minutesSummary: 'Heard 2026-02-01. Call 07700 900123 for the Southend IDVA (fictional sample).',
    actionPlan: [{ description: 'Sanctuary measures at the previous address (fictional sample).', ownerAgencyId: 'southend-marac', dueBy: '2026-03-01', status: 'DONE' }],
    riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 17, riskLevel: 'HIGH' },
    lastMaracReferralDate: '2026-02-01',
    previousReferralDates: ['2026-02-01'],
  };
}

describe('T8 repeat + MARAC-to-MARAC transfer', () => {
  let t: TestGateway;
  let caseId: string;
  let ids: Ids;
  let transferId: string;

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis' });
    t.clock.set(CLOCK);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('a referral within 12 months of the last is flagged REPEAT by the gateway (Dash 12 alone would not qualify)', async () => {
    const opened = await openCase(t, caseBody({ riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 12, lastMaracReferralDate: '2026-02-01' } }));
    ({ caseId, ids } = opened);
    expect(opened.riskBasis.criteria).toEqual(['VISIBLE_HIGH_RISK', 'REPEAT']);
    const created = await auditRows(t, `action = 'CASE_CREATED' AND case_id = $1`, [caseId]);
    expect(created[0]!.event.detail).toMatchObject({ criteria: 'VISIBLE_HIGH_RISK,REPEAT' });
  });

  it('Essex asks Southend for the transfer bundle under the inter-area agreement; Southend is told only who the case is about', async () => {
    const r = await requestResearch(t, caseId, ['southend-marac'], TRANSFER);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    transferId = r.body.requestId;
    expect(r.body.messages).toEqual([expect.objectContaining({ recipient: 'southend-marac', agreementId: 'essex-southend-transfer', agreementVersion: 1 })]);

    const msg = await pull(t, 'southend-marac', transferId);
    expect(msg!.purpose).toBe('MARAC_TRANSFER');
    expect(msg!.request.riskCriteria).toEqual(['VISIBLE_HIGH_RISK', 'REPEAT']);
    expect(msg!.request.subjects).toEqual([
      { subjectId: ids.v1, role: 'VICTIM', names: [{ given: ['Jane'], family: 'Sampleton', use: 'official' }, { given: ['Jane'], family: 'Fictitious', use: 'maiden' }], dobs: ['1990-04-12'] },
      { subjectId: ids.p1, role: 'PERPETRATOR', names: [{ given: ['Mark'], family: 'Sampleton', use: 'official' }], dobs: ['1987-09-30', '1987-03-09'] },
      { subjectId: ids.c1, role: 'CHILD', names: [{ given: ['Lily'], family: 'Sampleton' }], dobs: ['2020-07-01'] },
    ]);

    // Both tenants' actions are audited under the inter-area agreement.
    const events = await auditRows(t, 'request_id = $1', [transferId]);
    expect(events.map((e) => [e.action, e.agreement_id, e.event.actor.agencyId])).toEqual([
      ['REQUEST_CREATED', 'essex-southend-transfer', 'essex-marat'],
      ['DELIVERED', 'essex-southend-transfer', 'southend-marac'],
    ]);
    expect(events[0]!.event).toMatchObject({ purpose: 'MARAC_TRANSFER', decision: 'PERMIT', ruleIds: ['transfer-request-from-essex'], agencyIds: ['essex-marat', 'southend-marac'] });
  });

  it('Southend cannot attach agency research to a transfer: 400 PAYLOAD_NOT_FOR_AGENCY_TYPE, nothing stored', async () => {
    const msg = (await t.as('essex-marat').get(`/v1/research-requests/${transferId}`)).body.messages[0];
    const r = await t.as('southend-marac').post(
      `/v1/research-requests/${transferId}/response`, southendAnswer(ids, { police: { incidentCount12m: 3 } }), { 'Idempotency-Key': 'southend-payload' },
    );
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('PAYLOAD_NOT_FOR_AGENCY_TYPE');
    const stored = await t.db.pool.query('SELECT count(*)::int AS n FROM responses WHERE message_id = $1', [msg.messageId]);
    expect(stored.rows[0].n).toBe(0);
  });

  it('Southend answers; Essex receives only what the transfer flow releases (R10), never agency research', async () => {
    const msg = (await t.as('essex-marat').get(`/v1/research-requests/${transferId}`)).body.messages[0];
    const { response } = await answer(t, 'southend-marac', transferId, ids, southendAnswer(ids), { messageId: msg.messageId });
    expect(response.status, JSON.stringify(response.body)).toBe(201);

    const pack = await readPack(t, 'essex-marat', caseId);
    const bundle = section(pack, 'southend-marac');
    expect(bundle).toMatchObject({ purpose: 'MARAC_TRANSFER', release: { released: true, agreementId: 'essex-southend-transfer', version: 1 } });
    // Per subject, the transfer flow releases the subject reference only.
    const v = subjectOf(bundle, ids.v1);
    expect(v.view).toEqual({ subjectId: ids.v1 });
    expect(v.withheld).toEqual(expect.arrayContaining([
      { path: 'match', reason: 'NOT_IN_AGREEMENT', by: 'policy' },
      { path: 'knownToAgency', reason: 'NOT_IN_AGREEMENT', by: 'policy' },
    ]));
    // The bundle: minutes summary (scrubbed), action plan, risk basis, referral dates; never the
    // coordinator's own risk summary or proposed actions, which the transfer flow does not list.
    // The number in the minutes is V's own phone on the case: cleared as location text
    // (G-LOCATION-IN-TEXT), before the generic scrub would have called it [PHONE].
    expect(bundle.envelope).toEqual({
      fromMaracArea: 'southend',
      minutesSummary: 'Heard 2026-02-01. Call [LOCATION] for the Southend IDVA (fictional sample).',
      actionPlan: [{ description: 'Sanctuary measures at the previous address (fictional sample).', ownerAgencyId: 'southend-marac', dueBy: '2026-03-01', status: 'DONE' }],
      riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 17, riskLevel: 'HIGH' },
      lastMaracReferralDate: '2026-02-01',
      previousReferralDates: ['2026-02-01'],
    });

    const viewed = await auditRows(t, `action = 'VIEW_READ' AND case_id = $1`, [caseId]);
    expect(viewed.at(-1)!.event.ruleIds).toEqual(expect.arrayContaining(['transfer-bundle-southend-to-essex#subjectId']));
  });

  it('Essex research on the case does not reach Southend: Southend is not even shown that Essex police were asked', async () => {
    const r = await requestResearch(t, caseId, ['essex-police']);
    expect(r.status).toBe(201);
    expect((await answer(t, 'essex-police', r.body.requestId, ids)).response.status).toBe(201);
    const pack = await readPack(t, 'southend-marac', caseId);
    // Issue 12 class 6: a reader sees no row of an agency it may not receive research from.
    expect(pack.sections.map((s: any) => s.agencyId)).not.toContain('essex-police');
    expect(JSON.stringify(pack)).not.toContain('essex-police');
    expect(JSON.stringify(pack)).not.toContain('incidentCount12m');
    const viewed = await auditRows(t, `action = 'VIEW_READ' AND case_id = $1`, [caseId]);
    expect(viewed.at(-1)!.event.sectionDecisions).toContainEqual({ agencyId: 'essex-police', requestId: r.body.requestId, decision: 'DENY', reasonCode: 'RECIPIENT_NOT_SIGNATORY' });
  });

  it('a transfer asked of an agency rather than a MARAC is refused NO_INTER_AREA_AGREEMENT', async () => {
    const r = await requestResearch(t, caseId, ['essex-police'], TRANSFER);
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: 'ALL_RECIPIENTS_REFUSED', reason: 'NO_INTER_AREA_AGREEMENT' });
  });

  it('a case in an area the inter-area agreement does not cover is refused NO_INTER_AREA_AGREEMENT', async () => {
    // A body cannot choose the area (it is the coordinator's registration, MARAC_AREA_NOT_YOURS
    // otherwise): a case recorded in an area outside the agreement is set on the row directly.
    const other = await openCase(t, caseBody());
    await t.db.pool.query(`UPDATE cases SET marac_area = 'm-north' WHERE id = $1`, [other.caseId]);
    const r = await requestResearch(t, other.caseId, ['southend-marac'], TRANSFER);
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: 'ALL_RECIPIENTS_REFUSED', reason: 'NO_INTER_AREA_AGREEMENT' });
    const refused = await auditRows(t, `action = 'REQUEST_REFUSED' AND case_id = $1`, [other.caseId]);
    expect(refused.map((e) => [e.reason_code, e.agreement_id])).toEqual([['NO_INTER_AREA_AGREEMENT', 'essex-southend-transfer']]);
  });

  it('without the inter-area agreement in force, no transfer is possible and the stored bundle is no longer released', async () => {
    await t.gateway.agreements.suspend(IG_A, 'essex-southend-transfer', 1, { reason: 'Inter-area arrangements under review', confirm: true });
    const r = await requestResearch(t, caseId, ['southend-marac'], TRANSFER);
    expect(r.status).toBe(403);
    // While suspended, refusals say so (issue 12), rather than that no agreement covers the areas.
    expect(r.body).toMatchObject({ code: 'ALL_RECIPIENTS_REFUSED', reason: 'AGREEMENT_SUSPENDED' });
    const pack = await readPack(t, 'essex-marat', caseId);
    expect(section(pack, 'southend-marac')).toMatchObject({ release: { released: false, reason: 'AGREEMENT_SUSPENDED' }, subjects: [] });
  });
});
