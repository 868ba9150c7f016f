/**
 * MARAC-to-MARAC transfer end to end over mTLS (R10; docs/decisions/0029-transfers.md): Essex
 * offers a case to Southend under the inter-area agreement `essex-southend-transfer`; the gateway
 * builds the bundle from the case (minutes summary, action plan, risk basis, referral dates) and
 * releases it through the policy engine; Southend views it, accepts, and a case opens in Southend
 * linked to the original; a refused offer; offers the agreement does not allow are refused with
 * the engine's reason code and nothing written; agency research never crosses; a location typed
 * into the minutes does not reach Southend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { answer, auditRows, caseBody, CLOCK, openCase, requestResearch, type Ids } from '../scenarios/world.js';
import { agencyFetch, makeAgencyCert } from '../../helpers/pki.js';

let t: TestGateway;
let caseId: string;
let ids: Ids;
let meetingId: string;
let transferId: string;

const RISKS = 'She has moved to 1 Example Row, CM2 9ZZ; call 07700 900123 before visiting. Escalation since the hearing.';
const CONSENT = { status: 'NOT_SOUGHT_UNSAFE', explicitForSpecialCategory: false, rationale: 'Seeking consent would alert the perpetrator.', decidedBy: 'Sol Southend, coordinator', decidedAt: '2026-12-10' };

async function rows(sql: string, params: unknown[] = []) {
  return (await t.db.pool.query(sql, params)).rows;
}

async function counts() {
  const [r] = await rows(`SELECT (SELECT count(*) FROM transfers)::int AS transfers, (SELECT count(*) FROM cases)::int AS cases`);
  return r;
}

beforeAll(async () => {
  t = await startTestGateway({ queue: 'postgres', workers: false });
  t.clock.set(CLOCK);
  // A third MARAC with no inter-area agreement with Essex.
  t.creds.set('colchester-marac', await makeAgencyCert(t.pki, t.gateway.registry, { id: 'colchester-marac', name: 'Colchester MARAC', type: 'MARAC_COORDINATOR', mode: 'pull', maracArea: 'colchester' }));
  ({ caseId, ids } = await openCase(t, caseBody({ riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 17, lastMaracReferralDate: '2026-02-01' } })));
  // The case was heard at Essex MARAT: minutes (with a location typed into them) and the action plan.
  meetingId = `mtg_${'a'.repeat(32)}`;
  await t.db.pool.query(
    `INSERT INTO meetings (id, coordinator_agency_id, marac_area, starts_at, chair, status, created_by)
     VALUES ($1, 'essex-marat', 'essex', '2026-12-09T10:00:00Z', 'Chair of the MARAC', 'HELD', 'test')`, [meetingId]);
  await t.db.pool.query('INSERT INTO meeting_cases (meeting_id, case_id, position) VALUES ($1, $2, 1)', [meetingId, caseId]);
  const m = await agencyFetch(t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), t.creds.get('essex-marat')!, `/v1/meetings/${meetingId}/cases/${caseId}/minutes`, { method: 'PUT', body: {
    version: 0, minutes: { victimVoice: 'She wants to be near her sister.', risks: RISKS, decisions: 'Refer to Southend MARAC.', crimesDisclosed: 'Criminal damage.' },
  } });
  expect(m.status, JSON.stringify(m.body)).toBe(200);
  const a = await t.as('essex-marat').post(`/v1/cases/${caseId}/actions`, {
    description: 'IDVA to hand over to Southend IDVA.', ownerAgencyId: 'safe-steps-idva', dueOn: '2026-12-20', meetingId,
  });
  expect(a.status, JSON.stringify(a.body)).toBe(201);
  // Agency research on the case: it must never cross to Southend.
  const r = await requestResearch(t, caseId, ['essex-police']);
  expect(r.status).toBe(201);
  expect((await answer(t, 'essex-police', r.body.requestId, ids)).response.status).toBe(201);
});
afterAll(async () => {
  await t?.stop();
});

describe('offer', () => {
  it('refuses bad input with a stable code and writes nothing', async () => {
    const before = await counts();
    for (const body of [{}, { toCoordinatorAgencyId: 'Not An Id' }, { toCoordinatorAgencyId: 'southend-marac', extra: 1 }]) {
      const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/transfers`, body);
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('VALIDATION_FAILED');
    }
    expect((await t.as('essex-marat').post('/v1/cases/case_x/transfers', { toCoordinatorAgencyId: 'southend-marac' })).body.code).toBe('VALIDATION_FAILED');
    // Only a coordinator transfers; another coordinator's case looks missing.
    expect((await t.as('essex-police').post(`/v1/cases/${caseId}/transfers`, { toCoordinatorAgencyId: 'southend-marac' })).body.code).toBe('NOT_A_COORDINATOR');
    expect((await t.as('southend-marac').post(`/v1/cases/${caseId}/transfers`, { toCoordinatorAgencyId: 'essex-marat' })).body.code).toBe('CASE_NOT_FOUND');
    expect(await counts()).toEqual(before);
  });

  it('to an agency no inter-area agreement covers: 403 with the reason code, audited, nothing written', async () => {
    const before = await counts();
    const police = await t.as('essex-marat').post(`/v1/cases/${caseId}/transfers`, { toCoordinatorAgencyId: 'essex-police' });
    expect(police.status).toBe(403);
    expect(police.body).toMatchObject({ code: 'TRANSFER_NOT_ALLOWED', reason: 'NO_INTER_AREA_AGREEMENT' });
    const other = await t.as('essex-marat').post(`/v1/cases/${caseId}/transfers`, { toCoordinatorAgencyId: 'colchester-marac' });
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ code: 'TRANSFER_NOT_ALLOWED', reason: 'NO_INTER_AREA_AGREEMENT' });
    const unknown = await t.as('essex-marat').post(`/v1/cases/${caseId}/transfers`, { toCoordinatorAgencyId: 'no-such-marac' });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 'UNKNOWN_RECIPIENT', reason: 'UNKNOWN_AGENCY' });
    expect(await counts()).toEqual(before);
    const refused = await auditRows(t, `action = 'TRANSFER_REFUSED' AND case_id = $1`, [caseId]);
    expect(refused.map((e) => e.reason_code)).toEqual(['NO_INTER_AREA_AGREEMENT', 'NO_INTER_AREA_AGREEMENT', 'UNKNOWN_AGENCY']);
    expect(refused[0]!.event).toMatchObject({ decision: 'DENY', purpose: 'MARAC_TRANSFER', agencyIds: ['essex-marat', 'essex-police'] });
  });

  it('a case in an area the agreement does not cover: refused NO_INTER_AREA_AGREEMENT, nothing written', async () => {
    const other = await openCase(t, caseBody());
    await t.db.pool.query(`UPDATE cases SET marac_area = 'm-north' WHERE id = $1`, [other.caseId]);
    const before = await counts();
    const r = await t.as('essex-marat').post(`/v1/cases/${other.caseId}/transfers`, { toCoordinatorAgencyId: 'southend-marac' });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: 'TRANSFER_NOT_ALLOWED', reason: 'NO_INTER_AREA_AGREEMENT' });
    expect(await counts()).toEqual(before);
  });

  it('Essex offers the case to Southend: the bundle is built from the case and released through the engine, sealed at rest', async () => {
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/transfers`, { toCoordinatorAgencyId: 'southend-marac' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    transferId = r.body.transferId;
    expect(r.body).toMatchObject({
      status: 'OFFERED', fromCaseId: caseId, fromMaracArea: 'essex', toMaracArea: 'southend', toCoordinatorAgencyId: 'southend-marac',
      agreementId: 'essex-southend-transfer', agreementVersion: 1,
    });
    const [row] = await rows('SELECT bundle_ciphertext FROM transfers WHERE id = $1', [transferId]);
    expect(row.bundle_ciphertext.toString('utf8')).not.toContain('Sampleton');
    // Offered once: again is a 409, nothing written.
    const again = await t.as('essex-marat').post(`/v1/cases/${caseId}/transfers`, { toCoordinatorAgencyId: 'southend-marac' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('TRANSFER_ALREADY_OFFERED');

    const [ev] = await auditRows(t, `action = 'CASE_TRANSFERRED' AND case_id = $1`, [caseId]);
    expect(ev!.event).toMatchObject({ purpose: 'MARAC_TRANSFER', agreementId: 'essex-southend-transfer', agencyIds: ['essex-marat', 'southend-marac'], detail: { transferId } });
    expect(ev!.event.ruleIds).toEqual(expect.arrayContaining(['transfer-bundle-essex-to-southend#minutesSummary', 'transfer-request-from-essex#subject.names']));
    // Ids, paths and codes only: no name, no location, no minutes text.
    const text = JSON.stringify(ev!.event);
    for (const needle of ['Sampleton', 'Example Row', 'CM2 9ZZ', '07700', 'hearing', 'Southend IDVA']) expect(text).not.toContain(needle);
  });
});

describe('the receiver', () => {
  it('lists the offer among its incoming transfers; the sender among its outgoing ones', async () => {
    const incoming = await t.as('southend-marac').get('/v1/transfers');
    expect(incoming.status).toBe(200);
    expect(incoming.body.items).toEqual([expect.objectContaining({ transferId, status: 'OFFERED', fromMaracArea: 'essex' })]);
    expect(incoming.body.items[0].fromCaseId).toBeUndefined();
    const outgoing = await t.as('essex-marat').get('/v1/transfers?direction=outgoing');
    expect(outgoing.body.items).toEqual([expect.objectContaining({ transferId, fromCaseId: caseId })]);
    expect((await t.as('southend-marac').get('/v1/transfers?direction=sideways')).body.code).toBe('VALIDATION_FAILED');
    expect((await t.as('essex-police').get('/v1/transfers')).body.code).toBe('NOT_A_COORDINATOR');
  });

  it('views the released bundle: what the transfer flows release, locations cleared from the minutes, no agency research', async () => {
    const r = await t.as('southend-marac').get(`/v1/transfers/${transferId}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.release).toEqual({ released: true, agreementId: 'essex-southend-transfer', version: 1 });
    const b = r.body.bundle;
    expect(b).toMatchObject({
      fromMaracArea: 'essex',
      riskBasis: { criteria: ['VISIBLE_HIGH_RISK', 'REPEAT'], dashScore: 17, riskLevel: 'HIGH' },
      lastMaracReferralDate: '2026-12-10',
      previousReferralDates: ['2026-02-01', '2026-12-10'],
      actionPlan: [{ description: 'IDVA to hand over to Southend IDVA.', ownerAgencyId: 'safe-steps-idva', dueBy: '2026-12-20', status: 'OPEN' }],
    });
    expect(b.minutesSummary).toContain('Heard at MARAC on 2026-12-09.');
    expect(b.minutesSummary).toContain('Decisions: Refer to Southend MARAC.');
    // The flow releases no LOC: the victim's address, postcode and phone typed into the minutes are cleared.
    for (const needle of ['Example Row', 'CM2 9ZZ', '07700 900123']) expect(b.minutesSummary).not.toContain(needle);
    expect(b.minutesSummary).toContain('[LOCATION]');
    // The victim's voice and crimes disclosed are not in the summary; nothing but the catalog's transfer fields.
    expect(Object.keys(b).sort()).toEqual(['actionPlan', 'fromMaracArea', 'lastMaracReferralDate', 'minutesSummary', 'previousReferralDates', 'riskBasis']);
    // Subjects as the transfer request flow releases them: role, names, dates of birth; never an address.
    expect(r.body.subjects).toEqual([
      { subjectId: ids.v1, role: 'VICTIM', names: [{ given: ['Jane'], family: 'Sampleton', use: 'official' }, { given: ['Jane'], family: 'Fictitious', use: 'maiden' }], dobs: ['1990-04-12'] },
      { subjectId: ids.p1, role: 'PERPETRATOR', names: [{ given: ['Mark'], family: 'Sampleton', use: 'official' }], dobs: ['1987-09-30', '1987-03-09'] },
      { subjectId: ids.c1, role: 'CHILD', names: [{ given: ['Lily'], family: 'Sampleton' }], dobs: ['2020-07-01'] },
    ]);
    // Raw agency research never crosses (G-TRANSFER-NO-PAYLOAD): not the police answer, not even that police were asked.
    const text = JSON.stringify(r.body);
    for (const needle of ['essex-police', 'incidentCount12m', 'police', 'She wants to be near', 'Criminal damage']) expect(text).not.toContain(needle);

    const viewed = await auditRows(t, `action = 'VIEW_READ' AND case_id = $1 AND canonical::jsonb->'detail'->>'transferId' = $2`, [caseId, transferId]);
    expect(viewed.at(-1)!.event).toMatchObject({ actor: { kind: 'agency', agencyId: 'southend-marac' }, purpose: 'MARAC_TRANSFER' });
  });

  it('an agency that is no party to the transfer is told it does not exist (audited)', async () => {
    const r = await t.as('colchester-marac').get(`/v1/transfers/${transferId}`);
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('TRANSFER_NOT_FOUND');
    const denied = await auditRows(t, `action = 'ACCESS_DENIED' AND case_id = $1 AND reason_code = 'NOT_A_PARTY'`, [caseId]);
    expect(denied.length).toBeGreaterThan(0);
    // The sender cannot accept its own offer.
    expect((await t.as('essex-marat').post(`/v1/transfers/${transferId}/accept`, { meetingDate: '2026-12-22', consent: CONSENT })).body.code).toBe('TRANSFER_NOT_FOUND');
  });

  it('bad accept input: 4xx with a stable code, nothing written', async () => {
    const before = await counts();
    const bad = await t.as('southend-marac').post(`/v1/transfers/${transferId}/accept`, { meetingDate: '2026-12-22' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    const noReasons = await t.as('southend-marac').post(`/v1/transfers/${transferId}/accept`, { meetingDate: '2026-12-22', consent: { status: 'REFUSED', explicitForSpecialCategory: false } });
    expect(noReasons.body.code).toBe('VALIDATION_FAILED');
    const past = await t.as('southend-marac').post(`/v1/transfers/${transferId}/accept`, { meetingDate: '1999-01-01', consent: CONSENT });
    expect(past.status).toBe(400);
    expect(await counts()).toEqual(before);
    expect((await rows('SELECT status FROM transfers WHERE id = $1', [transferId]))[0].status).toBe('OFFERED');
  });

  it('accepts: a case opens in Southend about the released subjects, a repeat, linked to the original; audited on both cases', async () => {
    const r = await t.as('southend-marac').post(`/v1/transfers/${transferId}/accept`, { meetingDate: '2026-12-22', consent: CONSENT });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const toCaseId = r.body.toCaseId as string;
    expect(r.body).toMatchObject({ status: 'ACCEPTED', fromMaracArea: 'essex' });
    expect(r.body.riskBasis.criteria).toEqual(['VISIBLE_HIGH_RISK', 'REPEAT']);
    const [c] = await rows('SELECT coordinator_agency_id, marac_area FROM cases WHERE id = $1', [toCaseId]);
    expect(c).toEqual({ coordinator_agency_id: 'southend-marac', marac_area: 'southend' });
    const [link] = await rows('SELECT from_case_id, to_case_id, status FROM transfers WHERE id = $1', [transferId]);
    expect(link).toEqual({ from_case_id: caseId, to_case_id: toCaseId, status: 'ACCEPTED' });

    // Southend's new case is its own: it can research it; Essex cannot see it.
    const pack = await t.as('southend-marac').get(`/v1/cases/${toCaseId}/research`);
    expect(pack.status).toBe(200);
    expect((await t.as('essex-marat').get(`/v1/cases/${toCaseId}/research`)).status).toBe(404);

    const accepted = await auditRows(t, `action = 'TRANSFER_ACCEPTED' AND canonical::jsonb->'detail'->>'transferId' = $1`, [transferId]);
    expect(accepted.map((e) => e.case_id).sort()).toEqual([caseId, toCaseId].sort());
    expect((await auditRows(t, `action = 'CASE_CREATED' AND case_id = $1`, [toCaseId])).length).toBe(1);
    // Decided once.
    const twice = await t.as('southend-marac').post(`/v1/transfers/${transferId}/accept`, { meetingDate: '2026-12-22', consent: CONSENT });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('TRANSFER_ALREADY_DECIDED');
    // The sender sees it accepted.
    expect((await t.as('essex-marat').get(`/v1/transfers/${transferId}`)).body).toMatchObject({ status: 'ACCEPTED', fromCaseId: caseId });
    expect((await t.as('essex-marat').get(`/v1/transfers/${transferId}`)).body.bundle).toBeUndefined();
  });

  it('refuses another offer with a reason code: the original case is unchanged, the sender sees why', async () => {
    const second = await openCase(t, caseBody({ riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 15 } }));
    const o = await t.as('essex-marat').post(`/v1/cases/${second.caseId}/transfers`, { toCoordinatorAgencyId: 'southend-marac' });
    expect(o.status, JSON.stringify(o.body)).toBe(201);
    const bad = await t.as('southend-marac').post(`/v1/transfers/${o.body.transferId}/refuse`, { reason: 'Because I said so' });
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    const before = await counts();
    const r = await t.as('southend-marac').post(`/v1/transfers/${o.body.transferId}/refuse`, { reason: 'ALREADY_KNOWN' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ transferId: o.body.transferId, status: 'REFUSED', refusalReason: 'ALREADY_KNOWN' });
    expect((await counts()).cases).toBe(before.cases);
    const sender = await t.as('essex-marat').get(`/v1/transfers/${o.body.transferId}`);
    expect(sender.body).toMatchObject({ status: 'REFUSED', refusalReason: 'ALREADY_KNOWN' });
    const ev = await auditRows(t, `action = 'TRANSFER_REFUSED' AND case_id = $1`, [second.caseId]);
    expect(ev.map((e) => [e.reason_code, e.event.decision, e.event.detail.by])).toEqual([['ALREADY_KNOWN', 'NONE', 'receiver']]);
    // A refused offer can be made again.
    expect((await t.as('essex-marat').post(`/v1/cases/${second.caseId}/transfers`, { toCoordinatorAgencyId: 'southend-marac' })).status).toBe(201);
  });
});

describe('the agreement suspended', () => {
  it('an open offer is no longer released nor accepted, with the reason code', async () => {
    const third = await openCase(t, caseBody());
    const o = await t.as('essex-marat').post(`/v1/cases/${third.caseId}/transfers`, { toCoordinatorAgencyId: 'southend-marac' });
    expect(o.status).toBe(201);
    const { IG_A } = await import('../scenarios/world.js');
    await t.gateway.agreements.suspend(IG_A, 'essex-southend-transfer', 1, { reason: 'Inter-area arrangements under review', confirm: true });
    const v = await t.as('southend-marac').get(`/v1/transfers/${o.body.transferId}`);
    expect(v.status).toBe(200);
    expect(v.body.release).toEqual({ released: false, reason: 'AGREEMENT_SUSPENDED' });
    expect(v.body.bundle).toBeUndefined();
    const before = await counts();
    const a = await t.as('southend-marac').post(`/v1/transfers/${o.body.transferId}/accept`, { meetingDate: '2026-12-22', consent: CONSENT });
    expect(a.status).toBe(403);
    expect(a.body).toMatchObject({ code: 'TRANSFER_NOT_ALLOWED', reason: 'AGREEMENT_SUSPENDED' });
    expect(await counts()).toEqual(before);
  });
});
