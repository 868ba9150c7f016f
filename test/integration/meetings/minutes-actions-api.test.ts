/**
 * Minutes and action plans over the agency API (mTLS): every route, every refusal with its stable
 * code and nothing written, the owner agency's view (its agreement's release under
 * MARAC_ACTION_REVIEW: description and notes scrubbed, the case's locations cleared for an agency
 * without location rights), and each change's audit event in the same transaction as the change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { agencyFetch } from '../../helpers/pki.js';
import { sampleCase } from '../exchange/fixtures.js';
import { createActionService } from '../../../gateway/src/meetings/action-service.js';
import { createMinutesService } from '../../../gateway/src/meetings/minutes-service.js';
import { createSealer } from '../../../gateway/src/store/sealed-box.js';
import { createSchemaRegistry } from '../../../gateway/src/schema/registry.js';
import type { AgencyPrincipal } from '../../../gateway/src/identity/principal.js';
import { createGatewayClient } from '../../../adapters/sdk/client.js';
import { GatewayRejected } from '../../../adapters/sdk/errors.js';
import { dayFromNow, newMeetingId, seedMeeting } from './minutes-fixtures.js';

let t: TestGateway;
let caseId: string;
let meetingId: string;
const MEETING_DAY = dayFromNow(7);

beforeAll(async () => {
  t = await startTestGateway({ queue: 'redis', workers: false });
  caseId = await openCase();
  meetingId = await seedMeeting(t.gateway.pool, { day: MEETING_DAY, caseIds: [caseId] });
});
afterAll(async () => {
  await t?.stop();
});

async function openCase(): Promise<string> {
  const r = await t.as('essex-marat').post('/v1/cases', sampleCase({ meetingDate: MEETING_DAY, externalRef: `MA-${Math.random().toString(36).slice(2, 8)}` }));
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.caseId as string;
}

function call(method: string, path: string, body?: unknown, agency = 'essex-marat') {
  const base = t.gateway.agencyUrl.replace('localhost', '127.0.0.1');
  return agencyFetch(base, t.creds.get(agency)!, path, { method, ...(body !== undefined ? { body } : {}) });
}

async function written(): Promise<string> {
  const r = await t.db.pool.query(`SELECT (SELECT count(*) FROM case_minutes) m, (SELECT string_agg(meeting_id || case_id || version, ',') FROM case_minutes) mv,
    (SELECT count(*) FROM case_actions) a, (SELECT string_agg(id || status, ',' ORDER BY id) FROM case_actions) s, (SELECT count(*) FROM case_action_updates) u,
    (SELECT count(*) FROM audit_events WHERE action <> 'VIEW_READ')
      + (SELECT count(*) FROM audit_pending WHERE body::jsonb->>'action' <> 'VIEW_READ') e`);
  return JSON.stringify(r.rows[0]);
}

async function events(action: string, detailKey: string, value: string) {
  await t.gateway.audit.flush();
  const r = await t.db.pool.query(`SELECT canonical FROM audit_events WHERE action = $1 AND canonical::jsonb->'detail'->>$2 = $3 ORDER BY seq`, [action, detailKey, value]);
  return r.rows.map((x) => ({ text: x.canonical as string, ...JSON.parse(x.canonical) }));
}

const MINUTES = {
  victimVoice: 'Anna says she wants to stay in the flat with the children.',
  risks: 'Escalation since the court hearing.',
  informationShared: [{ agencyId: 'essex-police', note: 'Two call-outs' }, { agencyId: 'chelmsford-housing' }],
  decisions: 'Sanctuary scheme; flag the address.',
  crimesDisclosed: 'Criminal damage disclosed.',
  notShared: [{ what: 'Health records', why: 'Consent refused' }],
};

const action = (over: Record<string, unknown> = {}) => ({
  description: 'Fit a sanctuary scheme at the address', ownerAgencyId: 'chelmsford-housing', dueOn: dayFromNow(21), meetingId, ...over,
});

describe('minutes of a case at a meeting', () => {
  it('reads empty (version 0), records, re-reads, replaces over the version read; sealed at rest; audited with parts, never text', async () => {
    const empty = await call('GET', `/v1/meetings/${meetingId}/cases/${caseId}/minutes`);
    expect(empty.status, JSON.stringify(empty.body)).toBe(200);
    expect(empty.body).toMatchObject({ meetingId, caseId, version: 0, minutes: {} });

    const saved = await call('PUT', `/v1/meetings/${meetingId}/cases/${caseId}/minutes`, { version: 0, minutes: MINUTES });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body.version).toBe(1);
    const read = await call('GET', `/v1/meetings/${meetingId}/cases/${caseId}/minutes`);
    expect(read.body.minutes).toEqual(MINUTES);

    const again = await call('PUT', `/v1/meetings/${meetingId}/cases/${caseId}/minutes`, { version: 1, minutes: { ...MINUTES, decisions: 'Sanctuary scheme.' } });
    expect(again.body.version).toBe(2);

    const row = await t.db.pool.query('SELECT sealed_ciphertext FROM case_minutes WHERE meeting_id = $1 AND case_id = $2', [meetingId, caseId]);
    expect(row.rows[0].sealed_ciphertext.toString('utf8')).not.toContain('Anna');

    const ev = await events('MINUTES_RECORDED', 'meetingId', meetingId);
    expect(ev.map((e) => e.detail.version)).toEqual([1, 2]);
    expect(ev[0].caseId).toBe(caseId);
    expect(ev[0].detail.parts).toBe('victimVoice,risks,informationShared,decisions,crimesDisclosed,notShared');
    for (const e of ev) for (const leak of ['Anna', 'flat', 'Sanctuary', 'Consent', 'call-outs']) expect(e.text).not.toContain(leak);
    const reads = await events('VIEW_READ', 'meetingId', meetingId);
    expect(reads.length).toBeGreaterThanOrEqual(2);
  });

  it('a stale version is 409 MINUTES_VERSION_CONFLICT and writes nothing', async () => {
    const before = await written();
    const current = (await call('GET', `/v1/meetings/${meetingId}/cases/${caseId}/minutes`)).body.version as number;
    const stale = await call('PUT', `/v1/meetings/${meetingId}/cases/${caseId}/minutes`, { version: current - 1, minutes: { risks: 'stale' } });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('MINUTES_VERSION_CONFLICT');
    const fresh = await call('PUT', `/v1/meetings/${meetingId}/cases/${caseId}/minutes`, { version: 0, minutes: { risks: 'new' } });
    expect(fresh.body.code).toBe('MINUTES_VERSION_CONFLICT');
    expect(await written()).toBe(before);
  });

  it('a case not on the agenda, another coordinator, an unknown meeting and bad bodies are refused with nothing written', async () => {
    const other = await openCase();
    const otherMeeting = await seedMeeting(t.gateway.pool, { coordinator: 'southend-marac', day: MEETING_DAY, caseIds: [] });
    const cancelled = await seedMeeting(t.gateway.pool, { day: MEETING_DAY, caseIds: [other], status: 'CANCELLED' });
    const before = await written();
    const put = (m: string, c: string, body: unknown, agency = 'essex-marat') => call('PUT', `/v1/meetings/${m}/cases/${c}/minutes`, body, agency);
    const cases: [Promise<{ status: number; body: any }>, number, string][] = [
      [put(meetingId, other, { version: 0, minutes: {} }), 404, 'CASE_NOT_LISTED'],
      [put(otherMeeting, caseId, { version: 0, minutes: {} }), 404, 'MEETING_NOT_FOUND'],
      [put(newMeetingId(), caseId, { version: 0, minutes: {} }), 404, 'MEETING_NOT_FOUND'],
      [put(cancelled, other, { version: 0, minutes: {} }), 409, 'MEETING_CANCELLED'],
      [put(meetingId, caseId, { version: 0, minutes: {} }, 'essex-police'), 404, 'CASE_NOT_FOUND'],
      [put(meetingId, caseId, { minutes: {} }), 400, 'VALIDATION_FAILED'],
      [put(meetingId, caseId, { version: 0, minutes: { mood: 'x' } }), 400, 'VALIDATION_FAILED'],
      [put(meetingId, caseId, { version: 0, minutes: { informationShared: [{ note: 'x' }] } }), 400, 'VALIDATION_FAILED'],
      [put('not-an-id', caseId, { version: 0, minutes: {} }), 400, 'VALIDATION_FAILED'],
      [call('GET', `/v1/meetings/${meetingId}/cases/${other}/minutes`), 404, 'CASE_NOT_LISTED'],
      [call('GET', `/v1/meetings/${meetingId}/cases/${caseId}/minutes`, undefined, 'chelmsford-housing'), 404, 'CASE_NOT_FOUND'],
    ];
    for (const [p, status, code] of cases) {
      const r = await p;
      expect({ status: r.status, code: r.body.code }).toEqual({ status, code });
    }
    expect(await written()).toBe(before);
  });
});

describe('the action plan', () => {
  let housingAction: string;

  it('creates an action with owner and due date; sealed description; ACTION_CREATED with ids only', async () => {
    const r = await call('POST', `/v1/cases/${caseId}/actions`, action());
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ caseId, meetingId, kind: 'ACTION', ownerAgencyId: 'chelmsford-housing', status: 'OPEN', overdue: false, updates: [] });
    expect(r.body.id).toMatch(/^act_[0-9a-f]{32}$/);
    housingAction = r.body.id;
    const row = await t.db.pool.query('SELECT sealed_ciphertext FROM case_actions WHERE id = $1', [housingAction]);
    expect(row.rows[0].sealed_ciphertext.toString('utf8')).not.toContain('sanctuary');
    const [ev] = await events('ACTION_CREATED', 'actionId', housingAction);
    expect(ev).toMatchObject({ caseId, detail: { kind: 'ACTION', status: 'OPEN', ownerAgencyId: 'chelmsford-housing', meetingId } });
    expect(ev!.text).not.toContain('sanctuary');

    const fb = await call('POST', `/v1/cases/${caseId}/actions`, action({ kind: 'SURVIVOR_FEEDBACK', ownerAgencyId: 'safe-steps-idva', description: 'Tell Anna the outcome' }));
    expect(fb.status).toBe(201);
    expect(fb.body.kind).toBe('SURVIVOR_FEEDBACK');
  });

  it('missing owner or due date, owner not a party, due before the meeting, bad kind: 4xx with a stable code, nothing written', async () => {
    const before = await written();
    const post = (body: unknown, c = caseId, agency = 'essex-marat') => call('POST', `/v1/cases/${c}/actions`, body, agency);
    const { ownerAgencyId: _o, ...noOwner } = action();
    const { dueOn: _d, ...noDue } = action();
    const refusals: [Promise<{ status: number; body: any }>, number, string, string?][] = [
      [post(noOwner), 400, 'VALIDATION_FAILED', '/ownerAgencyId'],
      [post(noDue), 400, 'VALIDATION_FAILED', '/dueOn'],
      [post(action({ description: '  ' })), 400, 'VALIDATION_FAILED'],
      [post(action({ dueOn: '2026-02-30' })), 400, 'VALIDATION_FAILED'],
      [post(action({ kind: 'REMINDER' })), 400, 'VALIDATION_FAILED'],
      [post(action({ ownerAgencyId: 'recovery-ltd' })), 422, 'ACTION_OWNER_NOT_A_PARTY'],
      [post(action({ ownerAgencyId: 'no-such-agency' })), 422, 'ACTION_OWNER_NOT_A_PARTY'],
      [post(action({ dueOn: dayFromNow(6) })), 400, 'ACTION_DUE_IN_PAST'],
      [post(action({ meetingId: undefined, dueOn: dayFromNow(-1) })), 400, 'ACTION_DUE_IN_PAST'],
      [post(action({ meetingId: newMeetingId() })), 404, 'MEETING_NOT_FOUND'],
      [post(action(), caseId, 'essex-police'), 404, 'CASE_NOT_FOUND'],
    ];
    for (const [p, status, code, path] of refusals) {
      const r = await p;
      expect({ status: r.status, code: r.body.code }).toEqual({ status, code });
      if (path) expect(r.body.problems.map((x: { path: string }) => x.path)).toContain(path);
    }
    expect(await written()).toBe(before);
  });

  it('the coordinator lists the case’s actions and reads one whole', async () => {
    const list = await call('GET', `/v1/cases/${caseId}/actions`);
    expect(list.status).toBe(200);
    expect(list.body.actions.map((a: { ownerAgencyId: string }) => a.ownerAgencyId).sort()).toEqual(['chelmsford-housing', 'safe-steps-idva']);
    const one = await call('GET', `/v1/actions/${housingAction}`);
    expect(one.body.description).toBe('Fit a sanctuary scheme at the address');
    expect((await call('GET', `/v1/cases/${caseId}/actions`, undefined, 'essex-police')).body.code).toBe('CASE_NOT_FOUND');
  });

  it('the owner agency lists its open actions and reads one with the description its agreement releases; another agency gets 404', async () => {
    const list = await call('GET', '/v1/actions?status=open', undefined, 'chelmsford-housing');
    expect(list.status).toBe(200);
    const { meetingId: _meeting, ...mine } = list.body.actions.find((a: { id: string }) => a.id === housingAction);
    expect(mine).toEqual({
      id: housingAction, caseId, kind: 'ACTION', dueOn: dayFromNow(21), status: 'OPEN', ownerAgencyId: 'chelmsford-housing',
      description: 'Fit a sanctuary scheme at the address',
    });
    // Only its own: the IDVA's survivor feedback action is not in housing's list.
    expect(JSON.stringify(list.body)).not.toContain('Tell Anna');
    const one = await call('GET', `/v1/actions/${housingAction}`, undefined, 'chelmsford-housing');
    expect(one.body).toEqual({ ...mine, meetingId: _meeting });
    const police = await call('GET', `/v1/actions/${housingAction}`, undefined, 'essex-police');
    expect({ status: police.status, code: police.body.code }).toEqual({ status: 404, code: 'ACTION_NOT_FOUND' });
    expect((await call('GET', '/v1/actions?status=closed', undefined, 'chelmsford-housing')).body.code).toBe('INVALID_QUERY');
    const [ev] = (await events('VIEW_READ', 'view', 'owner-actions')).filter((e) => e.agencyIds.includes('chelmsford-housing'));
    expect(ev).toMatchObject({ purpose: 'MARAC_ACTION_REVIEW', agencyIds: ['chelmsford-housing'] });
    expect(ev.ruleIds.length).toBeGreaterThan(0);
    expect(ev.text).not.toContain('sanctuary');
  });

  it('the release keeps the case’s locations out of a housing officer’s copy (no location rights); police, with them, read it', async () => {
    const typed = 'Refuge place arranged; she is at 1 Example Row, CM2 9ZZ until Friday';
    const h = await call('POST', `/v1/cases/${caseId}/actions`, action({ description: typed }));
    const p = await call('POST', `/v1/cases/${caseId}/actions`, action({ description: typed, ownerAgencyId: 'essex-police' }));
    expect([h.status, p.status]).toEqual([201, 201]);
    const up = await call('POST', `/v1/actions/${h.body.id}/updates`, { status: 'OPEN', note: 'Moved to CM2 9ZZ, call 07700 900123' });
    expect(up.status, JSON.stringify(up.body)).toBe(201);
    const housing = (await call('GET', `/v1/actions/${h.body.id}`, undefined, 'chelmsford-housing')).body;
    expect(housing.description).toContain('Refuge place arranged');
    for (const leak of ['Example Row', 'CM2 9ZZ', '07700']) expect(JSON.stringify(housing)).not.toContain(leak);
    expect(housing.updates).toHaveLength(1);
    expect(housing.updates[0]).toMatchObject({ status: 'OPEN', byAgencyId: 'essex-marat' });
    const police = (await call('GET', `/v1/actions/${p.body.id}`, undefined, 'essex-police')).body;
    expect(police.description).toContain('1 Example Row');
    const [ev] = (await events('VIEW_READ', 'actionId', h.body.id)).filter((e) => e.detail.view === 'owner-action');
    expect(ev).toMatchObject({ purpose: 'MARAC_ACTION_REVIEW', decision: 'PERMIT_WITH_TRANSFORMS' });
    for (const leak of ['Example Row', 'CM2', 'Refuge']) expect(ev.text).not.toContain(leak);
    // Closed again so the lists below hold what they held.
    for (const id of [h.body.id, p.body.id]) expect((await call('POST', `/v1/actions/${id}/updates`, { status: 'NOT_POSSIBLE_CHANGE', note: 'Test row' })).status).toBe(201);
  });

  it('the owner updates its action (done, then reopened with a note); the coordinator marks one not done: circumstances changed', async () => {
    const done = await call('POST', `/v1/actions/${housingAction}/updates`, { status: 'DONE', note: 'Fitted on Monday' }, 'chelmsford-housing');
    expect(done.status, JSON.stringify(done.body)).toBe(201);
    expect(done.body).toMatchObject({ id: housingAction, status: 'DONE', description: 'Fit a sanctuary scheme at the address' });
    expect(done.body.updates).toEqual([{ at: expect.any(String), byAgencyId: 'chelmsford-housing', status: 'DONE', note: 'Fitted on Monday' }]);
    let row = await t.db.pool.query('SELECT status, closed_at FROM case_actions WHERE id = $1', [housingAction]);
    expect(row.rows[0].closed_at).not.toBeNull();

    const noNote = await call('POST', `/v1/actions/${housingAction}/updates`, { status: 'OPEN' });
    expect({ status: noNote.status, code: noNote.body.code }).toEqual({ status: 400, code: 'ACTION_NOTE_REQUIRED' });
    const reopened = await call('POST', `/v1/actions/${housingAction}/updates`, { status: 'OPEN', note: 'The lock was not fitted' });
    expect(reopened.body.status).toBe('OPEN');
    row = await t.db.pool.query('SELECT status, closed_at FROM case_actions WHERE id = $1', [housingAction]);
    expect(row.rows[0]).toEqual({ status: 'OPEN', closed_at: null });
    expect(reopened.body.updates.map((u: { status: string; note?: string; byAgencyId: string }) => [u.status, u.note, u.byAgencyId])).toEqual([
      ['DONE', 'Fitted on Monday', 'chelmsford-housing'], ['OPEN', 'The lock was not fitted', 'essex-marat'],
    ]);

    const changed = await call('POST', `/v1/actions/${housingAction}/updates`, { status: 'NOT_POSSIBLE_CHANGE', note: 'She moved out of the area' });
    expect(changed.body.status).toBe('NOT_POSSIBLE_CHANGE');
    const ev = await events('ACTION_UPDATED', 'actionId', housingAction);
    expect(ev.map((e) => [e.detail.from, e.detail.to, e.detail.by])).toEqual([
      ['OPEN', 'DONE', 'owner'], ['DONE', 'OPEN', 'coordinator'], ['OPEN', 'NOT_POSSIBLE_CHANGE', 'coordinator'],
    ]);
    for (const e of ev) for (const leak of ['Monday', 'lock', 'moved']) expect(e.text).not.toContain(leak);
    const notes = await t.db.pool.query('SELECT sealed_ciphertext FROM case_action_updates WHERE action_id = $1', [housingAction]);
    for (const n of notes.rows) expect(n.sealed_ciphertext.toString('utf8')).not.toContain('Monday');
  });

  it('updates refused: another agency’s action 404, unknown status, note missing for not done; nothing written', async () => {
    const before = await written();
    const up = (body: unknown, agency = 'essex-marat', id = housingAction) => call('POST', `/v1/actions/${id}/updates`, body, agency);
    const refusals: [Promise<{ status: number; body: any }>, number, string][] = [
      [up({ status: 'DONE' }, 'essex-police'), 404, 'ACTION_NOT_FOUND'],
      [up({ status: 'DONE' }, 'essex-marat', 'act_' + '0'.repeat(32)), 404, 'ACTION_NOT_FOUND'],
      [up({ status: 'CLOSED' }), 400, 'VALIDATION_FAILED'],
      [up({}), 400, 'VALIDATION_FAILED'],
      [up({ status: 'NOT_DONE_AGENCY' }), 400, 'ACTION_NOTE_REQUIRED'],
      [up({ status: 'NOT_POSSIBLE_CHANGE' }), 400, 'ACTION_NOTE_REQUIRED'],
    ];
    for (const [p, status, code] of refusals) {
      const r = await p;
      expect({ status: r.status, code: r.body.code }).toEqual({ status, code });
    }
    expect(await written()).toBe(before);
  });
});

describe('the adapter SDK', () => {
  it('an owner agency’s adapter lists its open actions and marks one done; another agency’s is refused with its code', async () => {
    const created = await call('POST', `/v1/cases/${caseId}/actions`, action({ ownerAgencyId: 'essex-police', description: 'Flag the address' }));
    expect(created.status).toBe(201);
    const client = (agency: string) => {
      const c = t.creds.get(agency)!;
      return createGatewayClient({ baseUrl: t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), certPem: c.certPem, keyPem: c.keyPem, caPem: c.caPem });
    };
    const police = client('essex-police');
    const housing = client('chelmsford-housing');
    try {
      const open = await police.listActions();
      expect(open.map((a) => a.id)).toContain(created.body.id);
      const done = await police.updateAction(created.body.id, { status: 'DONE', note: 'Address flagged' });
      expect(done).toMatchObject({ id: created.body.id, status: 'DONE' });
      expect((await police.listActions()).map((a) => a.id)).not.toContain(created.body.id);
      expect((await police.listActions('all')).map((a) => a.id)).toContain(created.body.id);
      const refused = await housing.updateAction(created.body.id, { status: 'OPEN', note: 'x' }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(GatewayRejected);
      expect((refused as GatewayRejected).code).toBe('ACTION_NOT_FOUND');
    } finally {
      police.close();
      housing.close();
    }
  });
});

describe('each change and its audit event share one transaction', () => {
  it('when the audit append fails, neither the action, its update nor the minutes are written', async () => {
    const c = await openCase();
    const m = await seedMeeting(t.gateway.pool, { day: MEETING_DAY, caseIds: [c] });
    const existing = (await call('POST', `/v1/cases/${c}/actions`, action({ meetingId: m }))).body.id as string;
    const schemas = createSchemaRegistry();
    const deps = {
      pool: t.gateway.pool,
      audit: { append: async () => { throw new Error('audit down'); } } as never,
      sealer: createSealer({ keys: { k1: Buffer.alloc(32, 1) }, currentKeyId: 'k1' }),
      agencies: { getAgency: async (id: string) => ({ id, type: 'MARAC_COORDINATOR' as const, deliveryMode: 'pull' as const, disabled: false, maracArea: 'essex' }) },
      now: () => new Date(),
      policy: {} as never, // the coordinator's side never asks it
      validate: (name: 'case-minutes' | 'case-action' | 'case-action-update', data: unknown) => schemas.assertValid(name, data),
    };
    const coordinator: AgencyPrincipal = { kind: 'agency', agencyId: 'essex-marat', agencyType: 'MARAC_COORDINATOR', certFingerprint: 'a'.repeat(64) };
    const before = await written();
    await expect(createActionService(deps).createAction(coordinator, c, action({ meetingId: m }))).rejects.toThrow('audit down');
    await expect(createActionService(deps).updateAction(coordinator, existing, { status: 'DONE' })).rejects.toThrow('audit down');
    await expect(createMinutesService(deps).recordMinutes(coordinator, m, c, { version: 0, minutes: MINUTES })).rejects.toThrow('audit down');
    expect(await written()).toBe(before);
  });
});
