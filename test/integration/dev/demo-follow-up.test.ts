/**
 * A demo adapter's follow-up (gateway/src/dev/demo-follow-up.ts) against a test gateway over mTLS:
 * it marks the action its agency owns done with its note through the SDK, leaves another agency's
 * alone, reads nothing of the pack or the minutes before the coordinator circulates them (decision
 * 0033: the gateway's 409 is "not yet", not a failure), then reads the pack circulated to it and
 * the minutes of its action's meeting, and logs ids and counts only. Rounds are driven by the test
 * (runOnce), no timer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACTION_NOTE, startDemoFollowUp, type DemoFollowUp } from '../../../gateway/src/dev/demo-follow-up.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { agencyFetch } from '../../helpers/pki.js';
import { sampleCase, sampleResponse, subjectIds } from '../exchange/fixtures.js';
import { circulate, dayFromNow, seedMeeting } from '../meetings/minutes-fixtures.js';
import { PERSONAL_DATA } from '../notifications/helpers.js';

let t: TestGateway;
let caseId: string;
let meetingId: string;
const actionIds: Record<string, string> = {};
const lines: Record<string, string | number | boolean>[] = [];
let followUp: DemoFollowUp;
const HOUSING = 'chelmsford-housing';

beforeAll(async () => {
  t = await startTestGateway({ queue: 'redis', workers: false });
  const day = dayFromNow(7);
  const created = await t.as('essex-marat').post('/v1/cases', sampleCase({ meetingDate: day, externalRef: `FU-${Math.random().toString(36).slice(2, 8)}` }));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  caseId = created.body.caseId;
  const req = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: [HOUSING, 'essex-police'] });
  expect(req.status, JSON.stringify(req.body)).toBe(201);
  await t.as(HOUSING).get('/v1/inbox');
  const a = await t.as(HOUSING).post(`/v1/research-requests/${req.body.requestId}/response`, sampleResponse('response-housing.json', subjectIds(created.body)), { 'Idempotency-Key': 'fu-housing' });
  expect(a.status, JSON.stringify(a.body)).toBeLessThan(300);
  meetingId = await seedMeeting(t.gateway.pool, { day, caseIds: [caseId], status: 'IN_PROGRESS' });
  const base = t.gateway.agencyUrl.replace('localhost', '127.0.0.1');
  const put = await agencyFetch(base, t.creds.get('essex-marat')!, `/v1/meetings/${meetingId}/cases/${caseId}/minutes`, {
    method: 'PUT', body: { version: 0, minutes: { risks: 'Escalation at 1 Example Row.', decisions: 'Sanctuary scheme.' } },
  });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  for (const [owner, description] of [[HOUSING, 'Fit a sanctuary scheme at 1 Example Row.'], ['essex-police', 'Place a marker.']] as const) {
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/actions`, { description, ownerAgencyId: owner, dueOn: dayFromNow(21), meetingId });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    actionIds[owner] = r.body.actionId ?? r.body.id;
  }
  const c = t.creds.get(HOUSING)!;
  followUp = startDemoFollowUp({
    agencyId: HOUSING, everySeconds: 0,
    gateway: { baseUrl: base, certPem: c.certPem, keyPem: c.keyPem, caPem: c.caPem! },
    log: (line) => lines.push(line),
  });
});
afterAll(async () => {
  await followUp?.stop();
  await t?.stop();
});

describe('a demo adapter after answering', () => {
  it('marks the action its agency owns done with its note, and reads its circulated pack and minutes', async () => {
    followUp.noteCase(caseId);
    // Nothing circulated yet: its own action is there to work on, the pack and minutes are not.
    const first = await followUp.runOnce();
    expect(first).toEqual({ actionsUpdated: 1, packsRead: 0, minutesRead: 0 });
    expect(lines.some((l) => l.event === 'follow-up-failed')).toBe(false);
    await circulate(t.gateway.pool, t.as('essex-marat'), meetingId, 'pack');
    await circulate(t.gateway.pool, t.as('essex-marat'), meetingId, 'minutes');
    expect(await followUp.runOnce()).toEqual({ actionsUpdated: 0, packsRead: 1, minutesRead: 1 });
    const rows = await t.gateway.pool.query('SELECT id, status FROM case_actions WHERE case_id = $1 ORDER BY id', [caseId]);
    const status = Object.fromEntries(rows.rows.map((r) => [r.id, r.status]));
    expect(status[actionIds[HOUSING]!]).toBe('DONE');
    expect(status[actionIds['essex-police']!]).toBe('OPEN');
    const updates = await t.gateway.pool.query('SELECT by_agency_id, status FROM case_action_updates WHERE action_id = $1', [actionIds[HOUSING]]);
    expect(updates.rows).toEqual([{ by_agency_id: HOUSING, status: 'DONE' }]);
    // The note as the coordinator reads it back.
    const seen = await t.as('essex-marat').get(`/v1/actions/${actionIds[HOUSING]}`);
    expect(seen.status, JSON.stringify(seen.body)).toBe(200);
    expect(JSON.stringify(seen.body)).toContain(DEMO_ACTION_NOTE);

    // Nothing open left, the pack and minutes already read: another round does nothing.
    expect(await followUp.runOnce()).toEqual({ actionsUpdated: 0, packsRead: 0, minutesRead: 0 });
  });

  it('on a timer, asks again for what was not yet circulated only after ten rounds: each refusal is an audited ACCESS_DENIED', async () => {
    // A later meeting on the same case, its minutes not circulated, and a housing action from it.
    const later = await seedMeeting(t.gateway.pool, { day: dayFromNow(35), caseIds: [caseId], status: 'IN_PROGRESS' });
    const act = await t.as('essex-marat').post(`/v1/cases/${caseId}/actions`, { description: 'Review the scheme.', ownerAgencyId: HOUSING, dueOn: dayFromNow(49), meetingId: later });
    expect(act.status, JSON.stringify(act.body)).toBe(201);
    const c = t.creds.get(HOUSING)!;
    const housing = startDemoFollowUp({
      agencyId: HOUSING, everySeconds: 3600,
      gateway: { baseUrl: t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), certPem: c.certPem, keyPem: c.keyPem, caPem: c.caPem! },
      log: () => undefined,
    });
    const refusals = async () => {
      await t.gateway.audit.flush();
      const r = await t.db.pool.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE action = 'ACCESS_DENIED' AND actor_id = $1 AND canonical LIKE '%NOT_CIRCULATED%'`, [HOUSING],
      );
      return r.rows[0].n as number;
    };
    try {
      const before = await refusals();
      expect(await housing.runOnce()).toMatchObject({ minutesRead: 1 }); // the first meeting's, circulated
      const once = await refusals();
      expect(once - before).toBe(1); // the later meeting's minutes, refused once
      expect(await housing.runOnce()).toMatchObject({ minutesRead: 0 });
      expect(await refusals()).toBe(once); // not asked again on the next round
    } finally {
      await housing.stop();
    }
  });

  it('logs ids and counts only', () => {
    expect(lines.some((l) => l.event === 'circulated-pack-read' && l.caseId === caseId && typeof l.sections === 'number')).toBe(true);
    const text = JSON.stringify(lines);
    for (const pd of [...PERSONAL_DATA, 'sanctuary', 'Sanctuary', 'marker', DEMO_ACTION_NOTE]) expect(text.includes(pd), pd).toBe(false);
    for (const l of lines) for (const v of Object.values(l)) expect(typeof v === 'number' || typeof v === 'boolean' || /^[a-z0-9_-]+$/.test(String(v)), String(v)).toBe(true);
  });
});
