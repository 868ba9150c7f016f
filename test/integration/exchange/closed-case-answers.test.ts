/**
 * A case withdrawn or closed asks nobody anything more, and its requests are no longer answered:
 * an agency's response or decline (its system over the agency API, or its staff in the browser
 * through the same answer path), and a draft of an answer, are refused with 409 CASE_NOT_OPEN
 * (`reason` WITHDRAWN or CLOSED), nothing is written, and the refusal is audited (ACCESS_DENIED,
 * DENY, reason CASE_WITHDRAWN / CASE_CLOSED). The request is not handed over by the inbox any more
 * (it waits, and goes out if the case is reopened); the staff inbox marks it. A retry of an answer
 * made while the case was open still gets that first answer (nothing is written). A purged case's
 * requests are gone: 404, nothing written.
 *
 * Before this change every one of these answers was accepted (201) and stored.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AgencyPrincipal } from '../../../gateway/src/identity/principal.js';
import type { AgencyStaffPrincipal } from '../../../gateway/src/exchange/agency-staff.js';
import { readForAnswers } from '../../../gateway/src/exchange/answer-store.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { lockWaiters, sampleCase, sampleResponse, subjectIds } from './fixtures.js';

type Ids = { v1: string; p1: string; c1: string };

const POLICE: AgencyPrincipal = { kind: 'agency', agencyId: 'essex-police', agencyType: 'POLICE', certFingerprint: 'ab'.repeat(32) };
const HOUSING_STAFF: AgencyStaffPrincipal = {
  kind: 'person', userId: 'housing-researcher-1', displayName: 'x', roles: ['agency_researcher'], agencyId: 'chelmsford-housing', agencyType: 'HOUSING',
};

describe('answers, drafts and inboxes of a case that is no longer open', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis', workers: false });
  });
  afterAll(async () => {
    vi.useRealTimers();
    await t?.stop();
  });

  async function openCase(): Promise<{ caseId: string; ids: Ids }> {
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    return { caseId: c.body.caseId, ids: subjectIds(c.body) };
  }

  /** A research request of the case to `agency`, not yet collected. */
  async function ask(caseId: string, agency: string): Promise<string> {
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: [agency] });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.requestId;
  }

  async function inboxHas(agency: string, requestId: string): Promise<boolean> {
    const inbox = await t.as(agency).get('/v1/inbox');
    expect(inbox.status).toBe(200);
    return inbox.body.messages.some((m: { requestId: string }) => m.requestId === requestId);
  }

  /** A request delivered to the agency (answerable while the case is open). */
  async function delivered(caseId: string, agency: string): Promise<string> {
    const rid = await ask(caseId, agency);
    expect(await inboxHas(agency, rid)).toBe(true);
    return rid;
  }

  const lifecycle = async (caseId: string, action: 'withdraw' | 'close' | 'reopen') => {
    const body = action === 'close' ? { outcome: 'NO_FURTHER_ACTION' } : { reason: 'Test change of state (fictional).' };
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/${action}`, body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  };

  const respond = (agency: string, requestId: string, ids: Ids, key: string, file = 'response-police.json') =>
    t.as(agency).post(`/v1/research-requests/${requestId}/response`, sampleResponse(file, ids), { 'Idempotency-Key': key });
  const decline = (agency: string, requestId: string, key: string) =>
    t.as(agency).post(`/v1/research-requests/${requestId}/decline`, { reason: 'NOT_KNOWN' }, { 'Idempotency-Key': key });

  /** What an answer or a draft would write about a request: rows, message state, keys, events. */
  async function written(requestId: string) {
    await t.gateway.audit.flush();
    const r = await t.db.pool.query(
      `SELECT (SELECT string_agg(m.state || ':' || m.updated_at::text, ',') FROM messages m WHERE m.request_id = $1) AS messages,
              (SELECT count(*)::int FROM responses WHERE request_id = $1) AS responses,
              (SELECT count(*)::int FROM research_drafts d JOIN messages m ON m.id = d.message_id WHERE m.request_id = $1) AS drafts,
              (SELECT count(*)::int FROM idempotency_keys WHERE body->>'requestId' = $1) AS keys,
              (SELECT count(*)::int FROM audit_events WHERE request_id = $1 AND action <> 'ACCESS_DENIED') AS events,
              (SELECT count(*)::int FROM audit_pending) AS pending`,
      [requestId],
    );
    return r.rows[0];
  }

  async function denials(requestId: string) {
    await t.gateway.audit.flush();
    const r = await t.db.pool.query(
      `SELECT decision, reason_code, canonical FROM audit_events WHERE request_id = $1 AND action = 'ACCESS_DENIED' ORDER BY seq`,
      [requestId],
    );
    return r.rows.map((x) => ({ decision: x.decision, reason: x.reason_code, event: JSON.parse(x.canonical) }));
  }

  it('a withdrawn case: a response and a decline are 409 CASE_NOT_OPEN, nothing is written, and each refusal is audited', async () => {
    const { caseId, ids } = await openCase();
    const rid = await delivered(caseId, 'essex-police');
    await lifecycle(caseId, 'withdraw');
    const before = await written(rid);

    const r = await respond('essex-police', rid, ids, `w-resp-${rid}`);
    expect([r.status, r.body.code, r.body.reason]).toEqual([409, 'CASE_NOT_OPEN', 'WITHDRAWN']);
    const d = await decline('essex-police', rid, `w-decl-${rid}`);
    expect([d.status, d.body.code, d.body.reason]).toEqual([409, 'CASE_NOT_OPEN', 'WITHDRAWN']);

    expect(await written(rid)).toEqual(before);
    expect(before).toMatchObject({ responses: 0, drafts: 0, keys: 0 });
    const denied = await denials(rid);
    expect(denied.map((x) => [x.decision, x.reason, x.event.actor.agencyId, x.event.caseId])).toEqual([
      ['DENY', 'CASE_WITHDRAWN', 'essex-police', caseId], ['DENY', 'CASE_WITHDRAWN', 'essex-police', caseId],
    ]);
    // Ids and codes only.
    for (const x of denied) expect(JSON.stringify(x.event)).not.toMatch(/Test change of state/);
  });

  it('a closed case: refused the same way (CLOSED), also once the message is overdue; reopened, the same request is answered', async () => {
    const { caseId, ids } = await openCase();
    const rid = await delivered(caseId, 'essex-police');
    const late = await delivered(caseId, 'essex-police');
    await t.db.pool.query(`UPDATE messages SET state = 'overdue' WHERE request_id = $1`, [late]);
    await lifecycle(caseId, 'close');
    const before = [await written(rid), await written(late)];

    for (const req of [rid, late]) {
      const r = await respond('essex-police', req, ids, `c-resp-${req}`);
      expect([r.status, r.body.code, r.body.reason]).toEqual([409, 'CASE_NOT_OPEN', 'CLOSED']);
      expect((await denials(req)).map((x) => x.reason)).toEqual(['CASE_CLOSED']);
    }
    expect([await written(rid), await written(late)]).toEqual(before);

    await lifecycle(caseId, 'reopen');
    const again = await respond('essex-police', rid, ids, `c-resp-${rid}`);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect((await written(rid)).responses).toBe(1);
  });

  it('a retry of an answer made while the case was open gets that answer back after the withdrawal; a new answer is refused', async () => {
    const { caseId, ids } = await openCase();
    const rid = await delivered(caseId, 'essex-police');
    const first = await respond('essex-police', rid, ids, `retry-${rid}`);
    expect(first.status).toBe(201);
    await lifecycle(caseId, 'withdraw');
    const before = await written(rid);

    // The agency's system never saw the 201 and sends the same answer again: it is told the truth
    // (its answer was taken, while the case was open), and nothing is written.
    const retry = await respond('essex-police', rid, ids, `retry-${rid}`);
    expect([retry.status, retry.body]).toEqual([201, first.body]);
    expect(await written(rid)).toEqual(before);
    expect(await denials(rid)).toEqual([]);

    // Another answer under a new key is not a retry.
    const other = await decline('essex-police', rid, `retry-other-${rid}`);
    expect([other.status, other.body.code]).toEqual([409, 'CASE_NOT_OPEN']);
    expect(await written(rid)).toEqual(before);
    expect((await denials(rid)).map((x) => x.reason)).toEqual(['CASE_WITHDRAWN']);
  });

  it('the inbox does not hand over a withdrawn case\'s request (it waits, queued) and does once the case is reopened', async () => {
    const { caseId } = await openCase();
    const rid = await ask(caseId, 'mse-hospitals');
    await lifecycle(caseId, 'withdraw');
    expect(await inboxHas('mse-hospitals', rid)).toBe(false);
    const row = await t.db.pool.query('SELECT state, delivered_at FROM messages WHERE request_id = $1', [rid]);
    expect(row.rows).toEqual([{ state: 'queued', delivered_at: null }]);
    await t.gateway.audit.flush();
    expect((await t.db.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE request_id = $1 AND action = 'DELIVERED'`, [rid])).rows[0].n).toBe(0);

    await lifecycle(caseId, 'reopen');
    expect(await inboxHas('mse-hospitals', rid)).toBe(true);
  });

  it('a withdrawn case\'s requests are not chased: no reminder, no overdue mark, no push job queued again by the sweeper; reopened, they are', async () => {
    const { caseId } = await openCase();
    const rid = await ask(caseId, 'mse-hospitals');
    // A push message whose job was lost, past its deadline: what the sweeper and the deadline jobs look for.
    await t.db.pool.query(
      `UPDATE messages SET delivery_mode = 'push', updated_at = now() - interval '1 hour' WHERE request_id = $1`, [rid]);
    await lifecycle(caseId, 'withdraw');
    const jobsBefore = await t.gateway.deliveryJobs.queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
    const counted = async () => {
      await t.gateway.audit.flush();
      const r = await t.db.pool.query(
        `SELECT (SELECT state FROM messages WHERE request_id = $1) AS state,
                (SELECT reminded_at FROM messages WHERE request_id = $1) AS reminded,
                (SELECT count(*)::int FROM audit_events WHERE request_id = $1 AND action IN ('REMINDER_SENT', 'OVERDUE')) AS chased`,
        [rid]);
      return r.rows[0];
    };

    expect(await t.gateway.exchange.deadlines.remind(rid)).toBe(0);
    await t.gateway.sweepNow();
    await t.db.pool.query(`UPDATE messages SET deadline = now() - interval '1 minute' WHERE request_id = $1`, [rid]);
    expect(await t.gateway.exchange.deadlines.markOverdue(rid)).toBe(0);
    await t.gateway.sweepNow();
    expect(await counted()).toEqual({ state: 'queued', reminded: null, chased: 0 });
    expect(await t.gateway.deliveryJobs.queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed')).toEqual(jobsBefore);

    await lifecycle(caseId, 'reopen');
    expect(await t.gateway.exchange.deadlines.markOverdue(rid)).toBe(1);
    expect(await counted()).toMatchObject({ state: 'overdue', chased: 1 });
  });

  it('no new research request is made of a case withdrawn while the request was being decided', async () => {
    const { caseId } = await openCase();
    // A withdrawal in flight: the case row's lock is held (as the lifecycle takes it) and the status changes before it commits.
    const withdrawer = new pg.Client({ connectionString: t.db.url });
    await withdrawer.connect();
    let r;
    try {
      await withdrawer.query('BEGIN');
      await withdrawer.query('SELECT 1 FROM cases WHERE id = $1 FOR NO KEY UPDATE', [caseId]);
      const pending = t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] });
      await lockWaiters(t.db.pool, 1);
      await withdrawer.query(`UPDATE cases SET status = 'WITHDRAWN', status_changed_at = now() WHERE id = $1`, [caseId]);
      await withdrawer.query('COMMIT');
      r = await pending;
    } finally {
      await withdrawer.end();
    }
    expect([r.status, r.body.code, r.body.reason]).toEqual([409, 'CASE_NOT_OPEN', 'WITHDRAWN']);
    const rows = await t.db.pool.query('SELECT (SELECT count(*)::int FROM research_requests WHERE case_id = $1) AS requests, (SELECT count(*)::int FROM messages WHERE case_id = $1) AS messages', [caseId]);
    expect(rows.rows[0]).toEqual({ requests: 0, messages: 0 });
  });

  it('an answer whose write meets a withdrawal in flight waits for it, sees it, and is refused with nothing stored', async () => {
    const { caseId, ids } = await openCase();
    const rid = await delivered(caseId, 'essex-police');
    const withdrawer = new pg.Client({ connectionString: t.db.url });
    await withdrawer.connect();
    let outcome;
    try {
      await withdrawer.query('BEGIN');
      await withdrawer.query('SELECT 1 FROM cases WHERE id = $1 FOR NO KEY UPDATE', [caseId]);
      // Reads the case open (no lock), decides, then its write waits for the case row.
      const pending = t.gateway.exchange.responses.respond(POLICE, rid, `race-${rid}`, sampleResponse('response-police.json', ids)).then(
        (v) => ({ ok: v }), (e: { status?: number; code?: string; reason?: string }) => ({ err: [e.status, e.code, e.reason] }),
      );
      await lockWaiters(t.db.pool, 1);
      await withdrawer.query(`UPDATE cases SET status = 'WITHDRAWN', status_changed_at = now() WHERE id = $1`, [caseId]);
      await withdrawer.query('COMMIT');
      outcome = await pending;
    } finally {
      await withdrawer.end();
    }
    expect(outcome).toEqual({ err: [409, 'CASE_NOT_OPEN', 'WITHDRAWN'] });
    expect(await written(rid)).toMatchObject({ responses: 0, keys: 0 });
    expect((await t.db.pool.query('SELECT state FROM messages WHERE request_id = $1', [rid])).rows[0].state).toBe('delivered');
    expect((await denials(rid)).map((x) => x.reason)).toEqual(['CASE_WITHDRAWN']);
  });

  it('agency staff: the inbox marks the request with nothing of the case; the form, a draft and an answer are refused (409, audited, nothing written)', async () => {
    const { caseId, ids } = await openCase();
    const rid = await delivered(caseId, 'chelmsford-housing');
    const staffInbox = t.gateway.exchange.inbox.staff;
    await staffInbox.saveDraft(HOUSING_STAFF, rid, { 's0.match': 'MATCHED' });
    await lifecycle(caseId, 'withdraw');
    const before = await written(rid);

    const listed = (await staffInbox.list(HOUSING_STAFF)).find((e) => e.requestId === rid);
    expect(listed).toMatchObject({ requestId: rid, refusedReason: 'CASE_WITHDRAWN' });
    expect(listed!.view).toBeUndefined();

    const opened = await staffInbox.open(HOUSING_STAFF, rid);
    expect(opened).toMatchObject({ refusedReason: 'CASE_WITHDRAWN' });
    expect(opened.view).toBeUndefined();

    await expect(staffInbox.saveDraft(HOUSING_STAFF, rid, { 's0.match': 'NOT_FOUND' })).rejects.toMatchObject({ status: 409, code: 'CASE_NOT_OPEN', reason: 'WITHDRAWN' });
    await expect(t.gateway.exchange.responses.respond(HOUSING_STAFF, rid, `staff-${rid}`, sampleResponse('response-housing.json', ids)))
      .rejects.toMatchObject({ status: 409, code: 'CASE_NOT_OPEN', reason: 'WITHDRAWN' });

    const after = await written(rid);
    expect(after).toEqual(before);
    expect(after.drafts).toBe(1); // the draft saved while the case was open, unchanged (it goes with the case at purge)
    const denied = await denials(rid);
    expect(denied.map((x) => [x.reason, x.event.actor.kind, x.event.actor.agencyId, x.event.detail?.stage ?? null])).toEqual([
      ['CASE_WITHDRAWN', 'person', 'chelmsford-housing', 'research-form'],
      ['CASE_WITHDRAWN', 'person', 'chelmsford-housing', 'research-draft'],
      ['CASE_WITHDRAWN', 'person', 'chelmsford-housing', null],
    ]);
  });

  it('a purged case: its requests are gone (404 REQUEST_NOT_FOUND), nothing is written, and its key is destroyed', async () => {
    const { caseId, ids } = await openCase();
    const answered = await delivered(caseId, 'essex-police');
    const waiting = await delivered(caseId, 'essex-police');
    expect((await respond('essex-police', answered, ids, `p-${answered}`)).status).toBe(201); // the case's key is now in the gateway's memory
    await lifecycle(caseId, 'close');
    const closedAt = Date.now();
    try {
      t.clock.set(new Date(closedAt + 400 * 86_400_000));
      expect(await t.gateway.exchange.retention.purgeCase(caseId)).toMatchObject({ purged: true });
    } finally {
      t.clock.real();
    }
    for (const [rid, key] of [[waiting, `p-${waiting}`], [answered, `p-${answered}`]] as const) {
      const r = await respond('essex-police', rid, ids, key);
      expect([r.status, r.body.code]).toEqual([404, 'REQUEST_NOT_FOUND']);
    }
    const left = await t.db.pool.query(
      `SELECT (SELECT count(*)::int FROM messages WHERE case_id = $1) AS messages, (SELECT count(*)::int FROM responses WHERE request_id = ANY($2)) AS responses,
              (SELECT count(*)::int FROM idempotency_keys WHERE body->>'requestId' = ANY($2)) AS keys,
              (SELECT wrapped_ciphertext IS NULL FROM keystore.case_keys WHERE key_id = 'case:' || $1) AS key_destroyed`,
      [caseId, [answered, waiting]],
    );
    expect(left.rows[0]).toEqual({ messages: 0, responses: 0, keys: 0, key_destroyed: true });
  });

  describe('the case key comes with the answer\'s one read', () => {
    it('the batched read brings each case\'s status and live key row, so a batch of answers for cases whose keys are not in memory reads no key of its own', async () => {
      const work: { rid: string; ids: Ids }[] = [];
      for (let i = 0; i < 4; i++) {
        const { caseId, ids } = await openCase();
        work.push({ rid: await delivered(caseId, 'essex-police'), ids });
      }
      const ctx = await readForAnswers(t.gateway.pool, work.map((w) => ({ requestId: w.rid, agencyId: 'essex-police', key: `cold-${w.rid}` })));
      for (const c of ctx) {
        expect(c).toMatchObject({ caseStatus: 'OPEN', caseKey: { key_id: `case:${c!.m.case_id}` } });
        expect(c!.caseKey!.wrapped_ciphertext).toBeInstanceOf(Buffer);
      }

      // Every unwrapped key in the gateway's memory has outlived its time: Date jumps an hour (Date
      // only, timers run as ever), while the gateway's own clock stays where it was.
      t.clock.set(new Date());
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 60 * 60_000 });
      const pool = t.gateway.pool;
      const query = pool.query;
      const seen: string[] = [];
      (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        const a = args[0] as string | { text?: string; name?: string };
        seen.push(typeof a === 'string' ? a : `${a.name ?? ''} ${a.text ?? ''}`);
        return (query as (...x: unknown[]) => unknown).apply(pool, args);
      };
      let answers;
      try {
        answers = await Promise.all(work.map((w) => t.gateway.exchange.responses.respond(POLICE, w.rid, `cold-${w.rid}`, sampleResponse('response-police.json', w.ids))));
      } finally {
        (pool as unknown as { query: unknown }).query = query;
        vi.useRealTimers();
        t.clock.real();
      }
      answers.forEach((a, i) => expect(a).toMatchObject({ status: 201, body: { requestId: work[i]!.rid } }));
      expect(seen.filter((s) => s.startsWith('exchange.answer.read-many'))).toHaveLength(1);
      expect(seen.filter((s) => s.startsWith('exchange.answer.write-many'))).toHaveLength(1);
      expect(seen.filter((s) => s.includes('keystore.case_keys') && !s.startsWith('exchange.answer.read-many'))).toEqual([]);
      // Each response is sealed under its own case's key.
      const keys = await t.db.pool.query(
        `SELECT s.key_id, 'case:' || m.case_id AS case_key FROM responses s JOIN messages m ON m.id = s.message_id WHERE s.request_id = ANY($1)`,
        [work.map((w) => w.rid)],
      );
      expect(keys.rows).toHaveLength(work.length);
      for (const k of keys.rows) expect(k.key_id).toBe(k.case_key);
    });

    it('a case whose key is not in the key store (as one from before migration 0021) gets a new key for its answer, never the one still in memory', async () => {
      const { caseId, ids } = await openCase();
      const rid = await delivered(caseId, 'essex-police');
      // Delivery opened the case's subjects: its key is in the gateway's memory. Before this change
      // the answer was sealed under that remembered key, which no key store holds: it never opened.
      await t.db.pool.query(`DELETE FROM keystore.case_keys WHERE key_id = $1`, [`case:${caseId}`]);
      const r = await respond('essex-police', rid, ids, `legacy-${rid}`);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const k = await t.db.pool.query(
        `SELECT s.key_id, ck.wrapped_ciphertext IS NOT NULL AS live FROM responses s LEFT JOIN keystore.case_keys ck ON ck.key_id = s.key_id WHERE s.request_id = $1`,
        [rid],
      );
      expect(k.rows).toEqual([{ key_id: `case:${caseId}`, live: true }]);
    });
  });
});
