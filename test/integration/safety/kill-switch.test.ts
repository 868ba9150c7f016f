/**
 * Issue 12, class 4: the kill switch stops every version. Suspending or expiring an agreement's
 * version in force stops release under all its versions (research pinned to a superseded version
 * included); a superseded version can be suspended or expired on its own; a reader must be a
 * party of the version in force as well as of the pinned one; suspending needs a reason and a
 * confirmation, resuming a second IG officer; an IG officer can remove a party at once, undone
 * only by a second officer or a new version. Everything through the HTTP APIs, audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../../helpers/gateway.js';
import { sampleResponse } from '../exchange/fixtures.js';
import { answer, auditRows, openCase, pull, readPack, requestResearch, type Ids } from '../scenarios/world.js';
import { REASONED, startKillSwitchWorld, withoutParty, type KillSwitchWorld } from './kill-switch-world.js';

/** The section of one agency on one request, or undefined when the reader is not shown it. */
function sectionOf(pack: any, agencyId: string, requestId: string): any {
  return (pack.sections as any[]).find((s) => s.agencyId === agencyId && s.requestId === requestId);
}

async function lastView(t: TestGateway, viewerAgency: string, caseId: string) {
  const rows = await auditRows(t, `action = 'VIEW_READ' AND case_id = $1`, [caseId]);
  const mine = rows.filter((r) => r.event.agencyIds?.includes(viewerAgency));
  return mine.at(-1)!.event;
}

describe('kill-switch: suspending or expiring an agreement stops every version', () => {
  let k: KillSwitchWorld;
  let t: TestGateway;
  let caseId: string;
  let ids: Ids;
  let r1: string;
  let r2: string;
  let v2: number;

  beforeAll(async () => {
    k = await startKillSwitchWorld();
    t = k.w.t;
    ({ caseId, ids } = await openCase(t));
    const r = await requestResearch(t, caseId, ['essex-police', 'chelmsford-housing', 'mse-hospitals']);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    r1 = r.body.requestId;
    expect((await answer(t, 'essex-police', r1, ids)).response.status).toBe(201);
    expect(await pull(t, 'chelmsford-housing', r1)).toBeDefined();
  }, 120_000);
  afterAll(async () => {
    await k?.close();
  });

  it('research pinned to v1 is released while v1 is superseded and v2 is in force', async () => {
    v2 = await k.newVersion('essex-marat');
    expect((await k.api(k.officer1, 'GET', '/v1/agreements/essex-marat/versions/1')).body.status).toBe('superseded');
    const coord = await readPack(t, 'essex-marat', caseId);
    expect(sectionOf(coord, 'essex-police', r1).release).toEqual({ released: true, agreementId: 'essex-marat', version: 1 });
    const housing = await readPack(t, 'chelmsford-housing', caseId);
    expect(sectionOf(housing, 'essex-police', r1).release).toMatchObject({ released: true, version: 1 });
  });

  it('suspending needs a reason and a confirmation: 400 with a stable code, nothing changes', async () => {
    const url = `/v1/agreements/essex-marat/versions/${v2}/suspend`;
    const cases: [unknown, number, string][] = [
      [undefined, 400, 'REASON_REQUIRED'],
      [{}, 400, 'REASON_REQUIRED'],
      [{ reason: '   ', confirm: true }, 400, 'REASON_REQUIRED'],
      [{ reason: 42, confirm: true }, 400, 'REASON_REQUIRED'],
      [{ reason: 'x'.repeat(2001), confirm: true }, 400, 'REASON_REQUIRED'],
      [{ reason: 'Breach' }, 400, 'CONFIRMATION_REQUIRED'],
      [{ reason: 'Breach', confirm: 'yes' }, 400, 'CONFIRMATION_REQUIRED'],
      [{ reason: 'Breach', confirm: false }, 400, 'CONFIRMATION_REQUIRED'],
      [{ reason: 'Breach', confirm: true, by: 'someone' }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of cases) {
      const r = await k.api(k.officer1, 'POST', url, body);
      expect([r.status, r.body.code], JSON.stringify(body)).toEqual([status, code]);
    }
    expect((await k.api(k.officer1, 'GET', `/v1/agreements/essex-marat/versions/${v2}`)).body.status).toBe('active');
    expect(await auditRows(t, `action = 'AGREEMENT_SUSPENDED'`)).toEqual([]);
  });

  it('suspending the version in force stops research pinned to the superseded v1: AGREEMENT_SUSPENDED on every path', async () => {
    const s = await k.api(k.officer1, 'POST', `/v1/agreements/essex-marat/versions/${v2}/suspend`, REASONED);
    expect(s.status, JSON.stringify(s.body)).toBe(200);
    expect(s.body).toMatchObject({ status: 'suspended', suspendReason: REASONED.reason });

    // Pack read: refused with the suspension, not "not a party", and nothing of the research shown.
    const coord = await readPack(t, 'essex-marat', caseId);
    expect(sectionOf(coord, 'essex-police', r1)).toMatchObject({ state: 'responded', release: { released: false, reason: 'AGREEMENT_SUSPENDED' }, subjects: [] });
    expect(JSON.stringify(coord)).not.toContain('DC Example Officer');
    // Export too.
    const exported = await t.as('essex-marat').get(`/v1/cases/${caseId}/research/export`);
    expect(exported.status).toBe(200);
    expect(JSON.stringify(exported.body)).not.toContain('DC Example Officer');

    // Housing no longer sees the police row at all; its audit event says why.
    const housing = await readPack(t, 'chelmsford-housing', caseId);
    expect(sectionOf(housing, 'essex-police', r1)).toBeUndefined();
    expect((await lastView(t, 'chelmsford-housing', caseId)).sectionDecisions)
      .toContainEqual({ agencyId: 'essex-police', requestId: r1, decision: 'DENY', reasonCode: 'AGREEMENT_SUSPENDED' });

    // An answer pinned to v1 is refused with the suspension.
    const ans = await t.as('chelmsford-housing').post(`/v1/research-requests/${r1}/response`, sampleResponse('response-housing.json', ids), { 'Idempotency-Key': 'ks-housing-1' });
    expect(ans.status).toBe(403);
    expect(ans.body).toMatchObject({ code: 'POLICY_DENIED', reason: 'AGREEMENT_SUSPENDED' });

    // A message not yet collected fails AGREEMENT_SUSPENDED.
    expect(await pull(t, 'mse-hospitals', r1)).toBeUndefined();
    const status = await t.as('essex-marat').get(`/v1/research-requests/${r1}`);
    expect(status.body.messages.find((m: any) => m.recipient === 'mse-hospitals')).toMatchObject({ state: 'failed', lastError: 'AGREEMENT_SUSPENDED' });

    // A new request: every recipient refused, and the reason is the suspension.
    const fresh = await requestResearch(t, caseId, ['essex-police', 'safe-steps-idva']);
    expect(fresh.status).toBe(403);
    expect(fresh.body).toMatchObject({ code: 'ALL_RECIPIENTS_REFUSED', reason: 'AGREEMENT_SUSPENDED' });

    // Audited with a digest of the reason, never its words.
    const ev = await auditRows(t, `action = 'AGREEMENT_SUSPENDED'`);
    expect(ev).toHaveLength(1);
    expect(ev[0]!.event).toMatchObject({ agreementId: 'essex-marat', agreementVersion: v2, actor: { kind: 'person' }, detail: { suspendedFrom: 'active', wholeAgreement: true } });
    expect(ev[0]!.event.detail.reasonDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ev[0]!.canonical).not.toContain('investigation');
  });

  it('the officer who suspended cannot resume (MAKER_CHECKER_VIOLATION); a second officer can, and release resumes', async () => {
    const url = `/v1/agreements/essex-marat/versions/${v2}/resume`;
    const same = await k.api(k.officer1, 'POST', url);
    expect([same.status, same.body.code]).toEqual([403, 'MAKER_CHECKER_VIOLATION']);
    expect((await k.api(k.officer1, 'GET', `/v1/agreements/essex-marat/versions/${v2}`)).body.status).toBe('suspended');
    expect(sectionOf(await readPack(t, 'essex-marat', caseId), 'essex-police', r1).release.reason).toBe('AGREEMENT_SUSPENDED');

    const other = await k.api(k.officer2, 'POST', url);
    expect(other.status).toBe(200);
    expect(other.body).toMatchObject({ status: 'active', resumedBy: expect.stringContaining('user:') });
    expect(sectionOf(await readPack(t, 'essex-marat', caseId), 'essex-police', r1).release).toMatchObject({ released: true, version: 1 });

    const again = await k.api(k.officer2, 'POST', url);
    expect([again.status, again.body.code]).toEqual([409, 'AGREEMENT_NOT_SUSPENDED']);
    const resumed = await auditRows(t, `action = 'AGREEMENT_RESUMED'`);
    expect(resumed.map((e) => [e.agreement_version, e.event.detail.resumedTo])).toEqual([[v2, 'active']]);
    expect(resumed[0]!.actor_id).not.toBe((await auditRows(t, `action = 'AGREEMENT_SUSPENDED'`))[0]!.actor_id);
  });

  it('a superseded version can be suspended, resumed and expired on its own (no 409)', async () => {
    const r = await requestResearch(t, caseId, ['essex-police']);
    expect(r.status).toBe(201);
    r2 = r.body.requestId;
    expect(r.body.messages[0].agreementVersion).toBe(v2);
    expect((await answer(t, 'essex-police', r2, ids)).response.status).toBe(201);

    const s = await k.api(k.officer2, 'POST', '/v1/agreements/essex-marat/versions/1/suspend', REASONED);
    expect([s.status, s.body.status]).toEqual([200, 'suspended']);
    let pack = await readPack(t, 'essex-marat', caseId);
    expect(sectionOf(pack, 'essex-police', r1).release).toEqual({ released: false, reason: 'AGREEMENT_SUSPENDED' });
    expect(sectionOf(pack, 'essex-police', r2).release).toMatchObject({ released: true, version: v2 });

    const back = await k.api(k.officer1, 'POST', '/v1/agreements/essex-marat/versions/1/resume');
    expect([back.status, back.body.status]).toEqual([200, 'superseded']);
    pack = await readPack(t, 'essex-marat', caseId);
    expect(sectionOf(pack, 'essex-police', r1).release).toMatchObject({ released: true, version: 1 });

    const ex = await k.api(k.officer1, 'POST', '/v1/agreements/essex-marat/versions/1/expire');
    expect([ex.status, ex.body.status]).toEqual([200, 'expired']);
    pack = await readPack(t, 'essex-marat', caseId);
    expect(sectionOf(pack, 'essex-police', r1).release).toEqual({ released: false, reason: 'ISA_EXPIRED' });
    expect(sectionOf(pack, 'essex-police', r2).release).toMatchObject({ released: true, version: v2 });
  });

  it('a party removed in the version in force no longer reads research stored under an older version, and refusals say AGREEMENT_SUSPENDED while suspended', async () => {
    expect(sectionOf(await readPack(t, 'chelmsford-housing', caseId), 'essex-police', r2).release).toMatchObject({ released: true, version: v2 });
    const v3 = await k.newVersion('essex-marat', withoutParty('chelmsford-housing', 'HOUSING'));

    const housing = await readPack(t, 'chelmsford-housing', caseId);
    expect(sectionOf(housing, 'essex-police', r2)).toBeUndefined();
    expect(JSON.stringify(housing)).not.toContain('incidentCount12m');
    expect((await lastView(t, 'chelmsford-housing', caseId)).sectionDecisions)
      .toContainEqual({ agencyId: 'essex-police', requestId: r2, decision: 'DENY', reasonCode: 'RECIPIENT_NOT_SIGNATORY' });
    // The coordinator, a party of both, still reads it.
    expect(sectionOf(await readPack(t, 'essex-marat', caseId), 'essex-police', r2).release).toMatchObject({ released: true, version: v2 });

    expect((await k.api(k.officer2, 'POST', `/v1/agreements/essex-marat/versions/${v3}/suspend`, REASONED)).status).toBe(200);
    await readPack(t, 'chelmsford-housing', caseId);
    expect((await lastView(t, 'chelmsford-housing', caseId)).sectionDecisions)
      .toContainEqual({ agencyId: 'essex-police', requestId: r2, decision: 'DENY', reasonCode: 'AGREEMENT_SUSPENDED' });
    expect(sectionOf(await readPack(t, 'essex-marat', caseId), 'essex-police', r2).release).toEqual({ released: false, reason: 'AGREEMENT_SUSPENDED' });
    expect((await k.api(k.officer1, 'POST', `/v1/agreements/essex-marat/versions/${v3}/resume`)).status).toBe(200);
    expect(sectionOf(await readPack(t, 'essex-marat', caseId), 'essex-police', r2).release).toMatchObject({ released: true, version: v2 });
  });

  describe('removing a party at once', () => {
    let r3: string;

    beforeAll(async () => {
      const r = await requestResearch(t, caseId, ['essex-police']);
      expect(r.status).toBe(201);
      r3 = r.body.requestId;
      expect(await pull(t, 'essex-police', r3)).toBeDefined();
    });

    it('needs a reason and a confirmation, and a party of the agreement', async () => {
      const url = '/v1/agreements/essex-marat/parties/essex-police/remove';
      for (const [body, code] of [[undefined, 'REASON_REQUIRED'], [{ confirm: true }, 'REASON_REQUIRED'], [{ reason: 'Breach' }, 'CONFIRMATION_REQUIRED']] as const) {
        const r = await k.api(k.officer1, 'POST', url, body);
        expect([r.status, r.body.code]).toEqual([400, code]);
      }
      const stranger = await k.api(k.officer1, 'POST', '/v1/agreements/essex-marat/parties/southend-marac/remove', REASONED);
      expect([stranger.status, stranger.body.code]).toEqual([409, 'NOT_A_PARTY']);
      const missing = await k.api(k.officer1, 'POST', '/v1/agreements/no-such-agreement/parties/essex-police/remove', REASONED);
      expect([missing.status, missing.body.code]).toEqual([404, 'AGREEMENT_NOT_FOUND']);
      expect(await auditRows(t, `action = 'AGREEMENT_PARTY_REMOVED'`)).toEqual([]);
    });

    it('nothing more is released to or from the removed agency, under any version: PARTY_REMOVED', async () => {
      const r = await k.api(k.officer1, 'POST', '/v1/agreements/essex-marat/parties/essex-police/remove', REASONED);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ agreementId: 'essex-marat', agencyId: 'essex-police' });
      const again = await k.api(k.officer2, 'POST', '/v1/agreements/essex-marat/parties/essex-police/remove', REASONED);
      expect([again.status, again.body.code]).toEqual([409, 'PARTY_ALREADY_REMOVED']);
      expect((await k.api(k.officer2, 'GET', '/v1/agreements/essex-marat')).body.removedParties).toEqual([
        expect.objectContaining({ agencyId: 'essex-police', reason: REASONED.reason }),
      ]);

      // Research it stored, under v2: refused on read.
      const pack = await readPack(t, 'essex-marat', caseId);
      expect(sectionOf(pack, 'essex-police', r2).release).toEqual({ released: false, reason: 'PARTY_REMOVED' });
      expect(JSON.stringify(pack)).not.toContain('DC Example Officer');
      // An answer it has not given yet: refused.
      const ans = await t.as('essex-police').post(`/v1/research-requests/${r3}/response`, sampleResponse('response-police.json', ids), { 'Idempotency-Key': 'ks-police-removed' });
      expect([ans.status, ans.body.reason]).toEqual([403, 'PARTY_REMOVED']);
      // A new request: the police are refused, the others asked.
      const fresh = await requestResearch(t, caseId, ['essex-police', 'safe-steps-idva']);
      expect(fresh.status).toBe(201);
      expect(fresh.body.refused).toEqual([expect.objectContaining({ recipient: 'essex-police', reason: 'PARTY_REMOVED' })]);

      const ev = await auditRows(t, `action = 'AGREEMENT_PARTY_REMOVED'`);
      expect(ev.map((e) => [e.agreement_id, e.event.agencyIds])).toEqual([['essex-marat', ['essex-police']]]);
      expect(ev[0]!.canonical).not.toContain('investigation');
    });

    it('only a second officer restores it; then release resumes', async () => {
      const url = '/v1/agreements/essex-marat/parties/essex-police/restore';
      const same = await k.api(k.officer1, 'POST', url);
      expect([same.status, same.body.code]).toEqual([403, 'MAKER_CHECKER_VIOLATION']);
      expect(sectionOf(await readPack(t, 'essex-marat', caseId), 'essex-police', r2).release.reason).toBe('PARTY_REMOVED');
      const other = await k.api(k.officer2, 'POST', url);
      expect(other.status).toBe(200);
      expect(sectionOf(await readPack(t, 'essex-marat', caseId), 'essex-police', r2).release).toMatchObject({ released: true, version: v2 });
      const again = await k.api(k.officer2, 'POST', url);
      expect([again.status, again.body.code]).toEqual([409, 'PARTY_NOT_REMOVED']);
      expect((await auditRows(t, `action = 'AGREEMENT_PARTY_RESTORED'`)).map((e) => e.event.agencyIds)).toEqual([['essex-police']]);
    });

    it('a new version, approved by a second officer, lifts a standing removal (audited)', async () => {
      expect((await k.api(k.officer1, 'POST', '/v1/agreements/essex-marat/parties/safe-steps-idva/remove', REASONED)).status).toBe(200);
      const v = await k.newVersion('essex-marat');
      expect((await k.api(k.officer2, 'GET', '/v1/agreements/essex-marat')).body.removedParties).toEqual([]);
      const activated = await auditRows(t, `action = 'AGREEMENT_ACTIVATED' AND agreement_version = $1`, [v]);
      expect(activated.at(-1)!.event.detail).toMatchObject({ removalsLifted: 'safe-steps-idva' });
    });
  });

  it('expiring the version in force stops research pinned to every older version: ISA_EXPIRED', async () => {
    const inForce = (await k.api(k.officer1, 'GET', '/v1/agreements/essex-marat')).body.activeVersion as number;
    expect(inForce).toBeGreaterThan(v2);
    expect((await k.api(k.officer1, 'POST', `/v1/agreements/essex-marat/versions/${inForce}/expire`)).status).toBe(200);
    const pack = await readPack(t, 'essex-marat', caseId);
    expect(sectionOf(pack, 'essex-police', r2).release).toEqual({ released: false, reason: 'ISA_EXPIRED' });
    expect(JSON.stringify(pack)).not.toContain('DC Example Officer');
  });
});
