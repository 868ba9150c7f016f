/**
 * Meetings over the agency API (issue 14): schedule, change, start, hold and cancel a meeting; its
 * agenda (add an open case, remove, reorder, outcome and slot) with slot times and flags computed
 * at the read; attendance per agency. Every change is audited with ids and states; reading the
 * agenda is a VIEW_READ naming the case ids. Bad input gets a 4xx with a stable code and writes
 * nothing; another coordinator's meeting is a 404 (no existence leak).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { agencyFetch } from '../../helpers/pki.js';
import { sampleCase } from '../exchange/fixtures.js';

let t: TestGateway;
const NOW = '2026-12-07T09:00:00Z';

beforeAll(async () => {
  t = await startTestGateway({ queue: 'redis', workers: false });
  t.clock.set(NOW);
});
afterAll(async () => {
  await t?.stop();
});

function call(method: string, path: string, body?: unknown, agency = 'essex-marat') {
  const base = t.gateway.agencyUrl.replace('localhost', '127.0.0.1');
  return agencyFetch(base, t.creds.get(agency)!, path, { method, ...(body !== undefined ? { body } : {}) });
}

async function openCase(over: Record<string, unknown> = {}, agency = 'essex-marat'): Promise<string> {
  const body = sampleCase({ externalRef: `MTG-${randomBytes(3).toString('hex').toUpperCase()}`, ...over });
  if (agency === 'southend-marac') body.maracArea = 'southend';
  const r = await call('POST', '/v1/cases', body, agency);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.caseId as string;
}

async function schedule(over: Record<string, unknown> = {}, agency = 'essex-marat'): Promise<string> {
  const r = await call('POST', '/v1/meetings', { startsAt: '2026-12-16T10:00:00Z', chair: 'DI Sample Chair', venue: 'Chelmsford Civic Centre', ...over }, agency);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as string;
}

async function written(): Promise<string> {
  const r = await t.db.pool.query(`SELECT
    (SELECT string_agg(id || status || starts_at::text || chair || coalesce(venue, '') || updated_at::text, ',' ORDER BY id) FROM meetings) m,
    (SELECT string_agg(meeting_id || case_id || position || slot_minutes || outcome, ',' ORDER BY meeting_id, case_id) FROM meeting_cases) mc,
    (SELECT string_agg(meeting_id || agency_id || status || coalesce(representative, '') || information_sent || coalesce(information_received_on::text, ''), ',' ORDER BY meeting_id, agency_id) FROM meeting_attendance) a,
    (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM audit_pending) ev`);
  return JSON.stringify(r.rows[0]);
}

async function events(action: string, meetingId: string) {
  await t.gateway.audit.flush();
  const r = await t.db.pool.query(`SELECT canonical FROM audit_events WHERE action = $1 ORDER BY seq`, [action]);
  return r.rows.map((x) => JSON.parse(x.canonical)).filter((e) => e.detail?.meetingId === meetingId);
}

const agendaIds = async (meetingId: string) => ((await call('GET', `/v1/meetings/${meetingId}`)).body.items as { caseId: string }[]).map((i) => i.caseId);

describe('a meeting', () => {
  it('is scheduled in the coordinator\'s area, listed upcoming, changed, started and held; each change audited with ids and states', async () => {
    const id = await schedule();
    expect(id).toMatch(/^mtg_[0-9a-f]{32}$/);
    const got = await call('GET', `/v1/meetings/${id}`);
    expect(got.status).toBe(200);
    expect(got.body.meeting).toMatchObject({ id, coordinatorAgencyId: 'essex-marat', maracArea: 'essex', startsAt: '2026-12-16T10:00:00.000Z', chair: 'DI Sample Chair', status: 'PLANNED' });
    expect(got.body.items).toEqual([]);
    // The agencies offered are the parties of essex-marat's active MARAC agreement, not the coordinator, not a non-party.
    expect(got.body.agencies).toContain('essex-police');
    expect(got.body.agencies).toContain('safe-steps-idva');
    expect(got.body.agencies).not.toContain('essex-marat');
    expect(got.body.agencies).not.toContain('recovery-ltd');

    const list = await call('GET', '/v1/meetings');
    expect(list.status).toBe(200);
    expect(list.body.upcoming.map((m: { id: string }) => m.id)).toContain(id);

    const moved = await call('PATCH', `/v1/meetings/${id}`, { startsAt: '2026-12-16T13:30:00Z', venue: null });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({ startsAt: '2026-12-16T13:30:00.000Z', status: 'PLANNED' });
    expect(moved.body.venue).toBeUndefined();
    expect((await call('PATCH', `/v1/meetings/${id}`, { status: 'IN_PROGRESS' })).body.status).toBe('IN_PROGRESS');
    expect((await call('PATCH', `/v1/meetings/${id}`, { status: 'HELD' })).body.status).toBe('HELD');
    const back = await call('PATCH', `/v1/meetings/${id}`, { status: 'IN_PROGRESS' });
    expect([back.status, back.body.code]).toEqual([409, 'MEETING_TRANSITION_INVALID']);
    const moveHeld = await call('PATCH', `/v1/meetings/${id}`, { chair: 'Someone else' });
    expect([moveHeld.status, moveHeld.body.code]).toEqual([409, 'MEETING_HELD']);

    const scheduled = await events('MEETING_SCHEDULED', id);
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0].detail).toEqual({ meetingId: id, status: 'PLANNED' });
    const updated = await events('MEETING_UPDATED', id);
    expect(updated.map((e) => e.detail.fields)).toEqual(['startsAt,venue', 'status', 'status']);
    // No chair's name, no venue in the log.
    expect(JSON.stringify([...scheduled, ...updated])).not.toMatch(/Sample Chair|Civic Centre/);
  });

  it('cancelled, it cannot be changed (MEETING_CANCELLED), and nothing is written', async () => {
    const id = await schedule();
    const c = await call('POST', `/v1/meetings/${id}/cancel`);
    expect([c.status, c.body.status]).toEqual([200, 'CANCELLED']);
    expect((await events('MEETING_CANCELLED', id))[0].detail).toEqual({ meetingId: id, status: 'CANCELLED', was: 'PLANNED' });
    const caseId = await openCase();
    const before = await written();
    for (const [method, path, body] of [
      ['PATCH', `/v1/meetings/${id}`, { chair: 'New chair' }],
      ['POST', `/v1/meetings/${id}/cancel`, undefined],
      ['POST', `/v1/meetings/${id}/agenda`, { caseId }],
      ['PUT', `/v1/meetings/${id}/agenda`, { order: [] }],
      ['PUT', `/v1/meetings/${id}/attendance`, { attendance: [{ agencyId: 'essex-police', status: 'PRESENT' }] }],
    ] as const) {
      const r = await call(method, path, body);
      expect([r.status, r.body.code], `${method} ${path}`).toEqual([409, 'MEETING_CANCELLED']);
    }
    expect(await written()).toBe(before);
  });

  it('refuses bad input with a stable code and writes nothing', async () => {
    const id = await schedule();
    const before = await written();
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/v1/meetings', {}, 400, 'VALIDATION_FAILED'],
      ['POST', '/v1/meetings', { startsAt: '16/12/2026 10:00', chair: 'X' }, 400, 'VALIDATION_FAILED'],
      ['POST', '/v1/meetings', { startsAt: '2026-02-30T10:00:00Z', chair: 'X' }, 400, 'VALIDATION_FAILED'],
      ['POST', '/v1/meetings', { startsAt: '2026-12-01T10:00:00Z', chair: 'X' }, 400, 'VALIDATION_FAILED'],
      ['POST', '/v1/meetings', { startsAt: '2040-12-01T10:00:00Z', chair: 'X' }, 400, 'VALIDATION_FAILED'],
      ['POST', '/v1/meetings', { startsAt: '2026-12-16T10:00:00Z', chair: '   ' }, 400, 'VALIDATION_FAILED'],
      ['POST', '/v1/meetings', { startsAt: '2026-12-16T10:00:00Z', chair: 'X', area: 'southend' }, 400, 'VALIDATION_FAILED'],
      ['PATCH', `/v1/meetings/${id}`, {}, 400, 'VALIDATION_FAILED'],
      ['PATCH', `/v1/meetings/${id}`, { status: 'CANCELLED' }, 400, 'VALIDATION_FAILED'],
      ['PATCH', `/v1/meetings/${id}`, { startsAt: '2025-01-01T10:00:00Z' }, 400, 'VALIDATION_FAILED'],
      ['POST', `/v1/meetings/${id}/cancel`, { reason: 'x' }, 400, 'VALIDATION_FAILED'],
      ['POST', `/v1/meetings/${id}/agenda`, { caseId: 'nope' }, 400, 'VALIDATION_FAILED'],
      ['POST', `/v1/meetings/${id}/agenda`, { caseId: `case_${'0'.repeat(32)}` }, 404, 'CASE_NOT_FOUND'],
      ['POST', `/v1/meetings/${id}/agenda`, { caseId: `case_${'0'.repeat(32)}`, slotMinutes: 2 }, 400, 'VALIDATION_FAILED'],
      ['PUT', `/v1/meetings/${id}/agenda`, { order: [`case_${'0'.repeat(32)}`] }, 400, 'AGENDA_ORDER_MISMATCH'],
      ['DELETE', `/v1/meetings/${id}/agenda/case_${'0'.repeat(32)}`, undefined, 404, 'CASE_NOT_LISTED'],
      ['PATCH', `/v1/meetings/${id}/agenda/case_${'0'.repeat(32)}`, { outcome: 'DEFERRED' }, 404, 'CASE_NOT_LISTED'],
      ['PUT', `/v1/meetings/${id}/attendance`, { attendance: [{ agencyId: 'recovery-ltd', status: 'PRESENT' }] }, 400, 'AGENCY_NOT_A_PARTY'],
      ['PUT', `/v1/meetings/${id}/attendance`, { attendance: [{ agencyId: 'essex-police', status: 'LATE' }] }, 400, 'VALIDATION_FAILED'],
      ['PUT', `/v1/meetings/${id}/attendance`, { attendance: [{ agencyId: 'essex-police', status: 'APOLOGIES', informationReceivedOn: '2026-12-01' }] }, 400, 'VALIDATION_FAILED'],
      ['PUT', `/v1/meetings/${id}/attendance`, { attendance: [{ agencyId: 'essex-police', status: 'APOLOGIES', informationSent: true, informationReceivedOn: '2026-12-20' }] }, 400, 'VALIDATION_FAILED'],
      ['PUT', `/v1/meetings/${id}/attendance`, { attendance: [{ agencyId: 'essex-police', status: 'PRESENT' }, { agencyId: 'essex-police', status: 'ABSENT' }] }, 400, 'VALIDATION_FAILED'],
      ['GET', '/v1/meetings/mtg_nope', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', `/v1/meetings/mtg_${'0'.repeat(32)}`, undefined, 404, 'MEETING_NOT_FOUND'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const r = await call(method, path, body);
      expect([r.status, r.body.code], `${method} ${path} ${JSON.stringify(body)}`).toEqual([status, code]);
    }
    // Only a coordinator agency has meetings.
    const police = await call('GET', '/v1/meetings', undefined, 'essex-police');
    expect([police.status, police.body.code]).toEqual([403, 'NOT_A_COORDINATOR']);
    expect((await call('POST', '/v1/meetings', { startsAt: '2026-12-16T10:00:00Z', chair: 'X' }, 'essex-police')).status).toBe(403);
    expect(await written()).toBe(before);
  });

  it('another coordinator\'s meeting is a 404 on every route, as a missing one, and its own cases cannot be listed', async () => {
    const id = await schedule();
    const caseId = await openCase();
    expect((await call('POST', `/v1/meetings/${id}/agenda`, { caseId })).status).toBe(201);
    const before = await written();
    for (const [method, path, body] of [
      ['GET', `/v1/meetings/${id}`, undefined],
      ['PATCH', `/v1/meetings/${id}`, { chair: 'X' }],
      ['POST', `/v1/meetings/${id}/cancel`, undefined],
      ['POST', `/v1/meetings/${id}/agenda`, { caseId }],
      ['PUT', `/v1/meetings/${id}/agenda`, { order: [caseId] }],
      ['DELETE', `/v1/meetings/${id}/agenda/${caseId}`, undefined],
      ['PATCH', `/v1/meetings/${id}/agenda/${caseId}`, { outcome: 'DEFERRED' }],
      ['PUT', `/v1/meetings/${id}/attendance`, { attendance: [] }],
    ] as const) {
      const r = await call(method, path, body, 'southend-marac');
      expect([r.status, r.body.code], `${method} ${path}`).toEqual([404, 'MEETING_NOT_FOUND']);
    }
    expect((await call('GET', '/v1/meetings', undefined, 'southend-marac')).body.upcoming.map((m: { id: string }) => m.id)).not.toContain(id);
    // Southend's own meeting cannot list Essex's case: it looks missing.
    const theirs = await schedule({}, 'southend-marac');
    const r = await call('POST', `/v1/meetings/${theirs}/agenda`, { caseId }, 'southend-marac');
    expect([r.status, r.body.code]).toEqual([404, 'CASE_NOT_FOUND']);
    const after = await written();
    expect(JSON.parse(after).mc).toBe(JSON.parse(before).mc);
  });
});

describe('the agenda', () => {
  it('lists open cases in order with slot times; a listed case is a 409; a closed case is refused; remove and reorder keep positions 1..n', async () => {
    const id = await schedule({ startsAt: '2026-12-16T10:00:00Z' });
    const [a, b, c] = [await openCase(), await openCase(), await openCase()];
    expect((await call('POST', `/v1/meetings/${id}/agenda`, { caseId: a })).body).toMatchObject({ position: 1, slotMinutes: 15, outcome: 'LISTED' });
    expect((await call('POST', `/v1/meetings/${id}/agenda`, { caseId: b, slotMinutes: 30 })).body).toMatchObject({ position: 2, slotMinutes: 30 });
    expect((await call('POST', `/v1/meetings/${id}/agenda`, { caseId: c, slotMinutes: 20 })).body).toMatchObject({ position: 3 });

    let before = await written();
    const dup = await call('POST', `/v1/meetings/${id}/agenda`, { caseId: b });
    expect([dup.status, dup.body.code]).toEqual([409, 'CASE_ALREADY_LISTED']);
    const closed = await openCase();
    expect((await call('POST', `/v1/cases/${closed}/close`, { outcome: 'NO_FURTHER_ACTION' })).status).toBe(200);
    before = await written();
    const r = await call('POST', `/v1/meetings/${id}/agenda`, { caseId: closed });
    expect([r.status, r.body.code]).toEqual([409, 'CASE_NOT_OPEN']);
    expect(await written()).toBe(before);

    const got = (await call('GET', `/v1/meetings/${id}`)).body;
    expect(got.items.map((i: { caseId: string; position: number; slotStartsAt: string }) => [i.caseId, i.position, i.slotStartsAt])).toEqual([
      [a, 1, '2026-12-16T10:00:00.000Z'],
      [b, 2, '2026-12-16T10:15:00.000Z'],
      [c, 3, '2026-12-16T10:45:00.000Z'],
    ]);
    expect(got.endsAt).toBe('2026-12-16T11:05:00.000Z');
    // The API names cases by id; the local reference is for the coordinator's page.
    expect(got.items[0].localReference).toBeUndefined();

    const re = await call('PUT', `/v1/meetings/${id}/agenda`, { order: [c, a, b] });
    expect([re.status, re.body.order]).toEqual([200, [c, a, b]]);
    expect(await agendaIds(id)).toEqual([c, a, b]);
    before = await written();
    for (const order of [[c, a], [c, a, b, b], [c, a, closed]]) {
      const bad = await call('PUT', `/v1/meetings/${id}/agenda`, { order });
      expect(bad.status, JSON.stringify(order)).toBe(400);
    }
    expect(await written()).toBe(before);

    const del = await call('DELETE', `/v1/meetings/${id}/agenda/${a}`);
    expect([del.status, del.body.order]).toEqual([200, [c, b]]);
    const positions = await t.db.pool.query('SELECT case_id, position FROM meeting_cases WHERE meeting_id = $1 ORDER BY position', [id]);
    expect(positions.rows).toEqual([{ case_id: c, position: 1 }, { case_id: b, position: 2 }]);

    const changes = await events('AGENDA_CHANGED', id);
    expect(changes.map((e) => [e.detail.change, e.caseId ?? null])).toEqual([
      ['ADDED', a], ['ADDED', b], ['ADDED', c], ['REORDERED', null], ['REMOVED', a],
    ]);
    expect(changes[0].subjectTokens.length).toBeGreaterThan(0);
  });

  it('outcome and slot: deferred any time, heard once started; a held meeting takes outcomes, not slots', async () => {
    const id = await schedule();
    const a = await openCase();
    await call('POST', `/v1/meetings/${id}/agenda`, { caseId: a });
    const early = await call('PATCH', `/v1/meetings/${id}/agenda/${a}`, { outcome: 'HEARD' });
    expect([early.status, early.body.code]).toEqual([409, 'MEETING_NOT_STARTED']);
    expect((await call('PATCH', `/v1/meetings/${id}/agenda/${a}`, { slotMinutes: 25 })).body).toMatchObject({ slotMinutes: 25, outcome: 'LISTED' });
    expect((await call('PATCH', `/v1/meetings/${id}/agenda/${a}`, { outcome: 'DEFERRED' })).body.outcome).toBe('DEFERRED');
    await call('PATCH', `/v1/meetings/${id}`, { status: 'IN_PROGRESS' });
    expect((await call('PATCH', `/v1/meetings/${id}/agenda/${a}`, { outcome: 'HEARD' })).body.outcome).toBe('HEARD');
    const heardAt = await t.db.pool.query('SELECT heard_at FROM meeting_cases WHERE meeting_id = $1', [id]);
    expect(heardAt.rows[0].heard_at.toISOString()).toBe('2026-12-07T09:00:00.000Z');
    await call('PATCH', `/v1/meetings/${id}`, { status: 'HELD' });
    expect((await call('PATCH', `/v1/meetings/${id}/agenda/${a}`, { outcome: 'DEFERRED' })).status).toBe(200);
    const slot = await call('PATCH', `/v1/meetings/${id}/agenda/${a}`, { slotMinutes: 10 });
    expect([slot.status, slot.body.code]).toEqual([409, 'MEETING_HELD']);
    const add = await call('POST', `/v1/meetings/${id}/agenda`, { caseId: await openCase() });
    expect([add.status, add.body.code]).toEqual([409, 'MEETING_HELD']);
    expect((await events('AGENDA_CHANGED', id)).map((e) => e.detail.change)).toEqual(['ADDED', 'SLOT', 'OUTCOME', 'OUTCOME', 'OUTCOME']);
  });

  it('flags are computed at the read: repeat, overdue actions, actions due for review, outstanding research', async () => {
    const id = await schedule({ startsAt: '2026-12-16T10:00:00Z' });
    const plain = await openCase();
    const repeat = await openCase({ riskBasis: { criteria: ['VISIBLE_HIGH_RISK', 'REPEAT'], dashScore: 16, dashVersion: 'SAFELIVES_24Q', lastMaracReferralDate: '2026-06-05' } });
    const busy = await openCase();
    for (const c of [plain, repeat, busy]) await call('POST', `/v1/meetings/${id}/agenda`, { caseId: c });
    // Actions are written by the minutes and actions service (another part of issue 14): rows directly here.
    const action = async (caseId: string, dueOn: string, status = 'OPEN') => t.db.pool.query(
      `INSERT INTO case_actions (id, case_id, owner_agency_id, due_on, status, sealed_key_id, sealed_iv, sealed_tag, sealed_ciphertext, created_by, closed_at)
       VALUES ($1, $2, 'essex-police', $3, $4, 'k1', '\\x00', '\\x00', '\\x00', 'test', $5)`,
      [`act_${randomBytes(16).toString('hex')}`, caseId, dueOn, status, status === 'OPEN' ? null : new Date()],
    );
    await action(busy, '2026-12-01'); // overdue, and due for review
    await action(busy, '2026-12-06'); // overdue, and due for review
    await action(busy, '2026-12-10'); // due for review
    await action(busy, '2026-12-20'); // neither
    await action(busy, '2026-11-01', 'DONE'); // closed: neither
    const sent = await call('POST', `/v1/cases/${busy}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police', 'chelmsford-housing'] });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    await t.db.pool.query(`UPDATE messages SET state = 'responded' WHERE case_id = $1 AND recipient_agency_id = 'chelmsford-housing'`, [busy]);

    const items = (await call('GET', `/v1/meetings/${id}`)).body.items as Record<string, unknown>[];
    const flags = (i: Record<string, unknown>) => [i.repeat, i.overdueActions, i.actionsDueForReview, i.outstandingResearch];
    expect(items.map(flags)).toEqual([
      [false, 0, 0, 0],
      [true, 0, 0, 0],
      [false, 2, 3, 1],
    ]);

    // A referral's confirmed repeat match makes a case a repeat too.
    await t.db.pool.query(
      `WITH r AS (INSERT INTO referrals (id, coordinator_agency_id, referring_agency_id, marac_area, status, dash_score, case_id, submitted_at, decided_at, sealed_key_id, sealed_iv, sealed_tag, sealed_ciphertext)
                  SELECT 'ref_' || md5(random()::text), 'essex-marat', 'essex-police', 'essex', 'ACCEPTED', 14, $1, now(), now(), 'k1', '\\x00', '\\x00', '\\x00' RETURNING id)
       INSERT INTO referral_repeat_matches (referral_id, case_id, case_area, matched_on, case_opened_at, status)
       SELECT r.id, $2, 'essex', '{NAME_DOB}', now(), 'CONFIRMED' FROM r`,
      [plain, repeat],
    ).catch((err) => {
      throw new Error(`referral seed (check the 0012 columns): ${err.message}`);
    });
    expect(((await call('GET', `/v1/meetings/${id}`)).body.items[0] as Record<string, unknown>).repeat).toBe(true);

    const reads = await events('VIEW_READ', id);
    expect(reads.length).toBeGreaterThanOrEqual(2);
    expect(reads.at(-1).detail).toMatchObject({ view: 'meeting-agenda', meetingId: id, cases: [plain, repeat, busy].join(','), caseCount: 3 });
  });
});

describe('attendance', () => {
  it('is recorded per agency, whole, with apologies and information sent; audited with counts', async () => {
    const id = await schedule();
    const r = await call('PUT', `/v1/meetings/${id}/attendance`, {
      attendance: [
        { agencyId: 'essex-police', status: 'PRESENT', representative: 'DS Example' },
        { agencyId: 'chelmsford-housing', status: 'APOLOGIES', informationSent: true, informationReceivedOn: '2026-12-05' },
        { agencyId: 'kss-probation', status: 'ABSENT' },
      ],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    let got = (await call('GET', `/v1/meetings/${id}`)).body.attendance;
    expect(got).toEqual([
      { agencyId: 'chelmsford-housing', status: 'APOLOGIES', informationSent: true, informationReceivedOn: '2026-12-05' },
      { agencyId: 'essex-police', status: 'PRESENT', representative: 'DS Example', informationSent: false },
      { agencyId: 'kss-probation', status: 'ABSENT', informationSent: false },
    ]);
    // PUT is whole: an agency left out has no attendance recorded.
    await call('PUT', `/v1/meetings/${id}/attendance`, { attendance: [{ agencyId: 'essex-police', status: 'PRESENT' }] });
    got = (await call('GET', `/v1/meetings/${id}`)).body.attendance;
    expect(got).toEqual([{ agencyId: 'essex-police', status: 'PRESENT', informationSent: false }]);
    const ev = await events('ATTENDANCE_RECORDED', id);
    expect(ev[0].detail).toEqual({ meetingId: id, present: 1, apologies: 1, absent: 1, informationSent: 1 });
    expect(JSON.stringify(ev)).not.toContain('DS Example');
  });
});
