/**
 * Issue 12, class 6 (second bullet): nothing reveals what it withholds. Each party sees only the
 * pack sections and status rows of flows it may receive: not which other agencies were asked
 * about a subject, nor their states, deadlines, decline reasons or refusals. The coordinator who
 * asked sees every row and the refused recipients; each agency always sees its own row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../../helpers/gateway.js';
import { answer, auditRows, openCase, pull, readPack, requestResearch, type Ids } from '../scenarios/world.js';
import { startKillSwitchWorld, type KillSwitchWorld } from './kill-switch-world.js';

const ASKED = ['essex-police', 'safe-steps-idva', 'chelmsford-housing', 'mse-hospitals', 'essex-childrens-services', 'kss-probation'];
const READERS = ['chelmsford-housing', 'mse-hospitals', 'safe-steps-idva', 'essex-police', 'essex-childrens-services', 'kss-probation'];

describe('pack-sections-per-party: a reader sees only the rows it may receive', () => {
  let k: KillSwitchWorld;
  let t: TestGateway;
  let caseId: string;
  let ids: Ids;
  let requestId: string;

  /** The pack as `reader` sees it, and the per-section decisions its read was audited with. */
  async function readWithDecisions(reader: string) {
    const pack = await readPack(t, reader, caseId);
    const rows = await auditRows(t, `action = 'VIEW_READ' AND case_id = $1`, [caseId]);
    const ev = rows.filter((r) => r.event.agencyIds?.includes(reader)).at(-1)!.event;
    return { pack, decisions: ev.sectionDecisions as { agencyId: string; requestId: string; decision: string; reasonCode?: string }[] };
  }

  beforeAll(async () => {
    k = await startKillSwitchWorld();
    t = k.w.t;
    ({ caseId, ids } = await openCase(t));
    // southend-marac is no party of the Essex agreement: refused at fan-out.
    const r = await requestResearch(t, caseId, [...ASKED, 'southend-marac']);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.refused.map((x: any) => x.recipient)).toEqual(['southend-marac']);
    requestId = r.body.requestId;
    for (const a of ['essex-police', 'safe-steps-idva', 'mse-hospitals']) expect((await answer(t, a, requestId, ids)).response.status).toBe(201);
    // Housing declines; children's services collect and do not answer; probation never collects.
    const housing = await pull(t, 'chelmsford-housing', requestId);
    expect((await t.as('chelmsford-housing').post(`/v1/inbox/${housing!.messageId}/ack`)).status).toBe(200);
    const declined = await t.as('chelmsford-housing').post(`/v1/research-requests/${requestId}/decline`, { reason: 'CONFLICT_OF_INTEREST' }, { 'Idempotency-Key': 'psp-housing-decline' });
    expect(declined.status, JSON.stringify(declined.body)).toBe(201);
    expect(await pull(t, 'essex-childrens-services', requestId)).toBeDefined();
  }, 120_000);
  afterAll(async () => {
    await k?.close();
  });

  it('the coordinator sees every status row, the decline reason and the refused recipients', async () => {
    const pack = await readPack(t, 'essex-marat', caseId);
    expect(pack.sections.map((s: any) => s.agencyId).sort()).toEqual([...ASKED].sort());
    expect(pack.sections.find((s: any) => s.agencyId === 'chelmsford-housing')).toMatchObject({ state: 'declined', declineReason: 'CONFLICT_OF_INTEREST' });
    expect(pack.refused).toEqual([expect.objectContaining({ agencyId: 'southend-marac' })]);
  });

  it.each(READERS)('%s sees its own row and only the rows the agreement lets it receive; the rest is audited, not shown', async (reader) => {
    const { pack, decisions } = await readWithDecisions(reader);
    const shown = new Set((pack.sections as any[]).map((s) => s.agencyId));
    expect(shown.has(reader), 'own row').toBe(true);
    expect(pack.sections.find((s: any) => s.agencyId === reader).release.released).toBe(false);
    expect(pack.refused).toEqual([]);
    const text = JSON.stringify(pack);
    expect(text).not.toContain('southend-marac');
    for (const agency of ASKED.filter((a) => a !== reader)) {
      const d = decisions.find((x) => x.agencyId === agency && x.requestId === requestId);
      expect(d, `${reader}: ${agency} audited`).toBeDefined();
      const permitted = d!.decision.startsWith('PERMIT') || (d!.decision === 'NONE');
      expect(shown.has(agency), `${reader} sees ${agency}: ${JSON.stringify(d)}`).toBe(permitted);
      if (!permitted) {
        expect(d!.decision).toBe('DENY');
        expect(d!.reasonCode).toMatch(/^[A-Z_]+$/);
        // Not the state, the deadline, the decline reason: not even the agency's name.
        expect(text, `${reader} learns of ${agency}`).not.toContain(agency);
      }
    }
    if (!shown.has('chelmsford-housing')) expect(text).not.toContain('CONFLICT_OF_INTEREST');
  });

  it('fixed points: housing and health never see the IDVA; the IDVA and health see police; health never learns of the housing decline', async () => {
    for (const reader of ['chelmsford-housing', 'mse-hospitals']) {
      const pack = await readPack(t, reader, caseId);
      expect(pack.sections.map((s: any) => s.agencyId), reader).not.toContain('safe-steps-idva');
    }
    expect((await readPack(t, 'safe-steps-idva', caseId)).sections.map((s: any) => s.agencyId)).toContain('essex-police');
    expect((await readPack(t, 'mse-hospitals', caseId)).sections.map((s: any) => s.agencyId)).toContain('essex-police');
    // Health may not receive research from housing: it does not learn that housing declined.
    const health = JSON.stringify(await readPack(t, 'mse-hospitals', caseId));
    expect(health).not.toContain('chelmsford-housing');
    expect(health).not.toContain('CONFLICT_OF_INTEREST');
  });

  it('under a new agreement version without the police-to-housing flow, housing no longer sees the police row', async () => {
    expect((await readPack(t, 'chelmsford-housing', caseId)).sections.map((s: any) => s.agencyId)).toContain('essex-police');
    const r = await requestResearch(t, caseId, ['essex-police', 'chelmsford-housing']);
    expect(r.status).toBe(201);
    await k.newVersion('essex-marat', (doc) => {
      const before = doc.flows.length;
      doc.flows = doc.flows.filter((f: any) => !(f.from?.type === 'POLICE' && f.to?.type === 'HOUSING'));
      expect(doc.flows.length).toBe(before - 1);
    });
    const r2 = await requestResearch(t, caseId, ['essex-police', 'chelmsford-housing']);
    expect(r2.status).toBe(201);
    expect((await answer(t, 'essex-police', r2.body.requestId, ids)).response.status).toBe(201);
    const { pack, decisions } = await readWithDecisions('chelmsford-housing');
    const policeRows = (pack.sections as any[]).filter((s) => s.agencyId === 'essex-police');
    // The v1 research is still released (v1 is superseded; housing is still a party in force)…
    expect(policeRows.map((s) => s.requestId)).toContain(requestId);
    // …but nothing of the request pinned to the new version, which has no police → housing flow.
    expect(policeRows.map((s) => s.requestId)).not.toContain(r2.body.requestId);
    expect(decisions).toContainEqual({ agencyId: 'essex-police', requestId: r2.body.requestId, decision: 'DENY', reasonCode: 'NO_FLOW_FOR_PAIR' });
  });
});
