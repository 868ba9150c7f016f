/**
 * The optimistic answer path (gateway/src/exchange/answer-store.ts): answers arriving together
 * share one read and one conditional write; a write that finds its message or agreement changed
 * since the read writes nothing, and the answer is made again under locks.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgencyPrincipal, AgencyType } from '../../../gateway/src/identity/principal.js';
import { readForAnswers, writeAnswersIfUnchanged, type AnswerContext, type AnswerWrite } from '../../../gateway/src/exchange/answer-store.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { lockWaiters, sampleCase, sampleResponse, subjectIds } from './fixtures.js';

const AGENCIES: Record<string, { type: AgencyType; sample: string }> = {
  'essex-police': { type: 'POLICE', sample: 'response-police.json' },
  'mse-hospitals': { type: 'HEALTH_ACUTE', sample: 'response-health.json' },
  'chelmsford-housing': { type: 'HOUSING', sample: 'response-housing.json' },
  'kss-probation': { type: 'PROBATION', sample: 'response-probation.json' },
};

const actor = (agencyId: string): AgencyPrincipal => ({ kind: 'agency', agencyId, agencyType: AGENCIES[agencyId]!.type, certFingerprint: 'ab'.repeat(32) });

describe('answers made together', () => {
  let t: TestGateway;
  let caseId: string;
  let ids: { v1: string; p1: string; c1: string };
  /** Named statements the gateway's pool ran, by name, since the last reset. */
  const statements = new Map<string, number>();

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis', workers: false });
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    caseId = c.body.caseId;
    ids = subjectIds(c.body);
    // Count, do not change: every query still goes to PostgreSQL.
    const pool = t.gateway.pool;
    const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
    (pool as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args: unknown[]) => {
      const name = (args[0] as { name?: string } | undefined)?.name;
      if (name) statements.set(name, (statements.get(name) ?? 0) + 1);
      return query(...args);
    };
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function delivered(agency: string): Promise<string> {
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: [agency] });
    expect(r.status).toBe(201);
    expect((await t.as(agency).get('/v1/inbox')).status).toBe(200);
    return r.body.requestId;
  }

  async function eventsFor(requestId: string): Promise<number> {
    await t.gateway.audit.flush();
    const r = await t.db.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE request_id = $1 AND action = 'RESPONSE_RECEIVED'`, [requestId]);
    return r.rows[0].n;
  }

  const respond = (agency: string, requestId: string, key: string) =>
    t.gateway.exchange.responses.respond(actor(agency), requestId, key, sampleResponse(AGENCIES[agency]!.sample, ids));

  it('share one read and one write, and each gets its own rows, key and audit event', async () => {
    const work: [string, string][] = [];
    for (const agency of Object.keys(AGENCIES)) work.push([agency, await delivered(agency)], [agency, await delivered(agency)]);
    statements.clear();
    const answers = await Promise.all(work.map(([agency, rid]) => respond(agency, rid, `together-${rid}`)));
    expect(statements.get('exchange.answer.read-many')).toBe(1);
    expect(statements.get('exchange.answer.write-many')).toBe(1);
    expect(statements.get('exchange.answer.lock')).toBeUndefined();
    answers.forEach((a, i) => expect(a).toMatchObject({ status: 201, body: { requestId: work[i]![1], state: 'responded' } }));
    for (const [agency, rid] of work) {
      const row = await t.db.pool.query(
        `SELECT m.state, s.responder_agency_id, k.body->>'requestId' AS key_request
           FROM messages m JOIN responses s ON s.message_id = m.id
           JOIN idempotency_keys k ON k.agency_id = $2 AND k.key = $3
          WHERE m.request_id = $1`,
        [rid, agency, `together-${rid}`],
      );
      expect(row.rows).toEqual([{ state: 'responded', responder_agency_id: agency, key_request: rid }]);
      expect(await eventsFor(rid)).toBe(1);
    }
    // Each sealed response opens (its message id is the associated data) and is released to the
    // coordinator: no ciphertext was cut from another answer's bytes.
    const pack = await t.as('essex-marat').get(`/v1/cases/${caseId}/research`);
    expect(pack.status).toBe(200);
    const mine = pack.body.sections.filter((s: { requestId: string }) => work.some(([, rid]) => rid === s.requestId));
    expect(mine).toHaveLength(work.length);
    for (const s of mine) expect(s.release).toMatchObject({ released: true });
  });

  it('a retry in the same batch as its first answer gets that answer back, and one answer is stored', async () => {
    const rid = await delivered('essex-police');
    const other = await delivered('mse-hospitals');
    statements.clear();
    const [a, b, c] = await Promise.all([respond('essex-police', rid, `dup-${rid}`), respond('essex-police', rid, `dup-${rid}`), respond('mse-hospitals', other, `dup-${other}`)]);
    expect(a).toEqual(b);
    expect(a).toMatchObject({ status: 201, body: { requestId: rid } });
    expect(c).toMatchObject({ status: 201, body: { requestId: other } });
    expect((await t.db.pool.query('SELECT count(*)::int AS n FROM responses WHERE request_id = $1', [rid])).rows[0].n).toBe(1);
    expect(await eventsFor(rid)).toBe(1);
  });

  it('one answer\'s key taken meanwhile fails only that answer (IDEMPOTENCY_KEY_REUSED); the others of its batch are stored', async () => {
    const work = await Promise.all(['essex-police', 'mse-hospitals', 'kss-probation'].map(async (a) => [a, await delivered(a)] as const));
    const taken = `taken-${work[1]![1]}`;
    const other = new pg.Client({ connectionString: t.db.url });
    await other.connect();
    let results;
    try {
      // Another request's answer holds the key, not yet committed when the batch reads.
      await other.query('BEGIN');
      await other.query(`INSERT INTO idempotency_keys (agency_id, key, request_hash, status, body) VALUES ('mse-hospitals', $1, 'x', 201, '{}')`, [taken]);
      const pending = Promise.allSettled(work.map(([agency, rid], i) => respond(agency, rid, i === 1 ? taken : `ok-${rid}`)));
      await lockWaiters(t.db.pool, 1);
      await other.query('COMMIT');
      results = await pending;
    } finally {
      await other.end();
    }
    expect(results[0]).toMatchObject({ status: 'fulfilled', value: { status: 201 } });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect(results[2]).toMatchObject({ status: 'fulfilled', value: { status: 201 } });
    const states = await t.db.pool.query('SELECT request_id, state FROM messages WHERE request_id = ANY($1) ORDER BY request_id', [work.map((w) => w[1])]);
    expect(Object.fromEntries(states.rows.map((r) => [r.request_id, r.state]))).toEqual({
      [work[0]![1]]: 'responded', [work[1]![1]]: 'delivered', [work[2]![1]]: 'responded',
    });
    expect(await eventsFor(work[1]![1])).toBe(0);
    expect(await eventsFor(work[0]![1])).toBe(1);
  });

  it('a message changed between the read and the write is answered again under its lock', async () => {
    const rid = await delivered('chelmsford-housing');
    const locker = new pg.Client({ connectionString: t.db.url });
    await locker.connect();
    let answer;
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM messages WHERE request_id = $1 FOR UPDATE', [rid]);
      statements.clear();
      // Reads 'delivered' (no lock needed), then its write waits for the locker.
      const pending = respond('chelmsford-housing', rid, `moved-${rid}`);
      await lockWaiters(t.db.pool, 1);
      // The message moves on meanwhile (here: acknowledged by the agency's adapter).
      await locker.query(`UPDATE messages SET state = 'acknowledged' WHERE request_id = $1`, [rid]);
      await locker.query('COMMIT');
      answer = await pending;
    } finally {
      await locker.end();
    }
    expect(answer).toMatchObject({ status: 201, body: { requestId: rid, state: 'responded' } });
    expect(statements.get('exchange.answer.write-many')).toBe(1);
    expect(statements.get('exchange.answer.lock')).toBeUndefined(); // the locked path runs on its own client
    expect((await t.db.pool.query('SELECT state FROM messages WHERE request_id = $1', [rid])).rows[0].state).toBe('responded');
    expect((await t.db.pool.query('SELECT count(*)::int AS n FROM responses WHERE request_id = $1', [rid])).rows[0].n).toBe(1);
    expect(await eventsFor(rid)).toBe(1);
  });

  describe('the statements themselves', () => {
    function writeFor(ctx: NonNullable<Awaited<ReturnType<typeof readForAnswers>>[number]>, agency: string, key: string): AnswerWrite {
      const now = new Date();
      return {
        messageId: ctx.m.id, requestId: ctx.m.request_id, responderAgencyId: agency, kind: 'decline', declineReason: 'NO_TRACE',
        sealed: [null, null, null, null], late: false, receivedAt: now, purgeAfter: new Date(now.getTime() + 86_400_000),
        state: 'declined', idempotency: { key, requestHash: 'h', answer: { status: 201, body: { requestId: ctx.m.request_id } } },
        caseId: ctx.m.case_id, confidentialSubjectIds: [],
      };
    }
    const event = (ctx: { m: { id: string; request_id: string; case_id: string } }, agency: string) => t.gateway.audit.prepareRow({
      action: 'DECLINED', actor: actor(agency), caseId: ctx.m.case_id, requestId: ctx.m.request_id, messageId: ctx.m.id, decision: 'NONE', reasonCode: 'NO_TRACE',
    });

    it('the read answers each key in its own slot, and nothing for another agency\'s request', async () => {
      const police = await delivered('essex-police');
      const housing = await delivered('chelmsford-housing');
      const got = await readForAnswers(t.gateway.pool, [
        { requestId: housing, agencyId: 'chelmsford-housing', key: 'k-1-abcdef' },
        { requestId: police, agencyId: 'chelmsford-housing', key: 'k-2-abcdef' },
        { requestId: police, agencyId: 'essex-police', key: 'k-3-abcdef' },
        { requestId: 'req_nope', agencyId: 'essex-police', key: 'k-4-abcdef' },
      ]);
      expect(got.map((c) => c && [c.m.request_id, c.m.recipient_agency_id])).toEqual([
        [housing, 'chelmsford-housing'], undefined, [police, 'essex-police'], undefined,
      ]);
    });

    it('writes nothing for an answer whose message state or agreement status differs from what was read', async () => {
      const [a, b, c] = [await delivered('kss-probation'), await delivered('kss-probation'), await delivered('kss-probation')];
      const ctx = await readForAnswers(t.gateway.pool, [a, b, c].map((rid) => ({ requestId: rid, agencyId: 'kss-probation', key: `w-${rid}` })));
      const [ca, cb, cc] = ctx.map((x) => x!) as [AnswerContext, AnswerContext, AnswerContext];
      const audit = t.gateway.audit.appendRowsStatement.bind(t.gateway.audit);
      const written = await writeAnswersIfUnchanged(t.gateway.pool, [
        { write: writeFor(ca, 'kss-probation', `w-${a}`), pre: { state: 'acknowledged', agreementStatus: ca.agreement!.status }, event: event(ca, 'kss-probation') },
        { write: writeFor(cb, 'kss-probation', `w-${b}`), pre: { state: cb.m.state, agreementStatus: 'suspended' }, event: event(cb, 'kss-probation') },
        { write: writeFor(cc, 'kss-probation', `w-${c}`), pre: { state: cc.m.state, agreementStatus: cc.agreement!.status }, event: event(cc, 'kss-probation') },
      ], audit);
      expect(written).toEqual([false, false, true]);
      const rows = await t.db.pool.query(
        `SELECT m.request_id, m.state, (SELECT count(*)::int FROM responses s WHERE s.message_id = m.id) AS responses,
                (SELECT count(*)::int FROM idempotency_keys k WHERE k.agency_id = 'kss-probation' AND k.key = 'w-' || m.request_id) AS keys
           FROM messages m WHERE m.request_id = ANY($1)`,
        [[a, b, c]],
      );
      expect(Object.fromEntries(rows.rows.map((r) => [r.request_id, [r.state, r.responses, r.keys]]))).toEqual({
        [a]: ['delivered', 0, 0], [b]: ['delivered', 0, 0], [c]: ['declined', 1, 1],
      });
      await t.gateway.audit.flush();
      const events = await t.db.pool.query(`SELECT request_id FROM audit_events WHERE action = 'DECLINED' AND request_id = ANY($1)`, [[a, b, c]]);
      expect(events.rows).toEqual([{ request_id: c }]);
    });

    it('refuses to raise confidential-address flags without the case lock', async () => {
      const rid = await delivered('essex-police');
      const [ctx] = await readForAnswers(t.gateway.pool, [{ requestId: rid, agencyId: 'essex-police', key: `c-${rid}` }]);
      const w = { ...writeFor(ctx!, 'essex-police', `c-${rid}`), confidentialSubjectIds: [ids.v1] };
      await expect(writeAnswersIfUnchanged(t.gateway.pool, [{ write: w, pre: { state: 'delivered', agreementStatus: 'active' }, event: event(ctx!, 'essex-police') }],
        t.gateway.audit.appendRowsStatement.bind(t.gateway.audit))).rejects.toThrow(/case lock/);
    });
  });
});
