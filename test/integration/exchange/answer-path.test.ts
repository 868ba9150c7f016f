/**
 * The answer path reads everything it decides on in the statement that locks the message
 * (gateway/src/exchange/answer-store.ts). That statement's snapshot is taken before it waits for
 * the lock, so what another answer committed meanwhile must be looked at again, not missed.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { lockWaiters, sampleCase, sampleResponse, subjectIds } from './fixtures.js';

describe('answering a message', () => {
  let t: TestGateway;
  let caseId: string;
  let ids: { v1: string; p1: string; c1: string };

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis', workers: false });
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    caseId = c.body.caseId;
    ids = subjectIds(c.body);
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function delivered(agency: string): Promise<string> {
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: [agency] });
    expect(r.status).toBe(201);
    const inbox = await t.as(agency).get('/v1/inbox');
    expect(inbox.body.messages.map((m: { requestId: string }) => m.requestId)).toContain(r.body.requestId);
    return r.body.requestId;
  }

  it('a retry that waited for the first answer\'s lock gets the first answer back, not ALREADY_ANSWERED', async () => {
    const requestId = await delivered('essex-police');
    const body = sampleResponse('response-police.json', ids);
    const headers = { 'Idempotency-Key': `lock-wait-${requestId}` };

    // Hold the message lock so both copies of the answer queue behind it with their snapshots taken.
    const locker = new pg.Client({ connectionString: t.db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM messages WHERE request_id = $1 FOR UPDATE', [requestId]);
      const first = t.as('essex-police').post(`/v1/research-requests/${requestId}/response`, body, headers);
      const retry = t.as('essex-police').post(`/v1/research-requests/${requestId}/response`, body, headers);
      // Asked from another connection: inside the locker's transaction the view would not change.
      await lockWaiters(t.db.pool, 2);
      await locker.query('COMMIT');
      const answers = await Promise.all([first, retry]);
      expect(answers.map((a) => a.status)).toEqual([201, 201]);
      expect(answers[1]!.body).toEqual(answers[0]!.body);
      expect(answers[0]!.body).toMatchObject({ requestId, state: 'responded' });
    } finally {
      await locker.end();
    }
    const stored = await t.db.pool.query('SELECT count(*)::int AS n FROM responses WHERE request_id = $1', [requestId]);
    expect(stored.rows[0].n).toBe(1);
    // One statement, so one snapshot: the sequencer moving the event from pending to the log
    // between two reads would count it twice.
    const audited = await t.db.pool.query(
      `SELECT (SELECT count(*)::int FROM audit_pending WHERE body::jsonb->>'requestId' = $1 AND body::jsonb->>'action' = 'RESPONSE_RECEIVED')
            + (SELECT count(*)::int FROM audit_events WHERE request_id = $1 AND action = 'RESPONSE_RECEIVED') AS n`,
      [requestId],
    );
    expect(audited.rows[0].n).toBe(1);
  });

  it('two answers raising the same confidential-address flag together: one raises it, and only its audit event says so', async () => {
    // A fresh case whose victim's address is not (yet) known to be confidential.
    const base = sampleCase();
    const c = await t.as('essex-marat').post('/v1/cases', {
      ...base, subjects: base.subjects.map((x: { key: string; address?: object }) => (x.key === 'v1' ? { ...x, address: { ...x.address, confidential: false } } : x)),
    });
    expect(c.status).toBe(201);
    const own = subjectIds(c.body);
    const requests: string[] = [];
    for (const agency of ['safe-steps-idva', 'essex-police']) {
      const r = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: [agency] });
      expect((await t.as(agency).get('/v1/inbox')).status).toBe(200);
      requests.push(r.body.requestId);
    }
    // Hold the case row: both answers read "not flagged" and then queue for the case's lock.
    const locker = new pg.Client({ connectionString: t.db.url });
    await locker.connect();
    let answers;
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM cases WHERE id = $1 FOR NO KEY UPDATE', [c.body.caseId]);
      const idva = t.as('safe-steps-idva').post(`/v1/research-requests/${requests[0]}/response`, sampleResponse('response-idva.json', own), { 'Idempotency-Key': `flag-${requests[0]}` });
      const police = t.as('essex-police').post(`/v1/research-requests/${requests[1]}/response`, sampleResponse('response-police.json', own), { 'Idempotency-Key': `flag-${requests[1]}` });
      await lockWaiters(t.db.pool, 2);
      await locker.query('COMMIT');
      answers = await Promise.all([idva, police]);
    } finally {
      await locker.end();
    }
    expect(answers.map((a) => a.status)).toEqual([201, 201]);
    const facts = await t.db.pool.query('SELECT subject_facts FROM cases WHERE id = $1', [c.body.caseId]);
    expect(facts.rows[0].subject_facts.find((f: { subjectId: string }) => f.subjectId === own.v1).addressConfidential).toBe(true);
    // Every event of the case, once sequenced (nothing pending is left out).
    await t.gateway.audit.flush();
    const events = await t.db.pool.query<{ canonical: string }>(
      `SELECT canonical FROM audit_events WHERE case_id = $1 AND action = 'RESPONSE_RECEIVED'`, [c.body.caseId],
    );
    const details = events.rows.map((r) => JSON.parse(r.canonical).detail as Record<string, unknown>);
    expect(details).toHaveLength(2);
    expect(details.filter((d) => d.addressMarkedConfidential === true)).toHaveLength(1);
  });

  it('a key taken meanwhile by another request is refused IDEMPOTENCY_KEY_REUSED, not a 5xx', async () => {
    const requestId = await delivered('kss-probation');
    const key = `taken-${requestId}`;
    // Another answer (to another request) holds the same key, not yet committed when this one reads.
    const other = new pg.Client({ connectionString: t.db.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(
        `INSERT INTO idempotency_keys (agency_id, key, request_hash, status, body) VALUES ('kss-probation', $1, 'x', 201, '{}')`, [key],
      );
      const answer = t.as('kss-probation').post(`/v1/research-requests/${requestId}/response`, sampleResponse('response-probation.json', ids), { 'Idempotency-Key': key });
      await lockWaiters(t.db.pool, 1);
      await other.query('COMMIT');
      const r = await answer;
      expect(r.status).toBe(422);
      expect(r.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    } finally {
      await other.end();
    }
    const m = await t.db.pool.query('SELECT state FROM messages WHERE request_id = $1', [requestId]);
    expect(m.rows[0].state).toBe('delivered');
  });

  it('a second answer under another key is still refused ALREADY_ANSWERED, writing nothing', async () => {
    const requestId = await delivered('chelmsford-housing');
    const body = sampleResponse('response-housing.json', ids);
    expect((await t.as('chelmsford-housing').post(`/v1/research-requests/${requestId}/response`, body, { 'Idempotency-Key': `first-${requestId}` })).status).toBe(201);
    const again = await t.as('chelmsford-housing').post(`/v1/research-requests/${requestId}/response`, body, { 'Idempotency-Key': `second-${requestId}` });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ALREADY_ANSWERED');
    const keys = await t.db.pool.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1`, [`second-${requestId}`]);
    expect(keys.rows[0].n).toBe(0);
  });

  it('stores the response sealed, moves the message and records the key in the one transaction', async () => {
    const requestId = await delivered('mse-hospitals');
    const r = await t.as('mse-hospitals').post(`/v1/research-requests/${requestId}/response`, sampleResponse('response-health.json', ids), { 'Idempotency-Key': `all-${requestId}` });
    expect(r.status).toBe(201);
    // Nothing to revalidate: no ETag is computed for agency answers.
    expect(r.headers.etag).toBeUndefined();
    const row = await t.db.pool.query(
      `SELECT m.state, m.answered_at IS NOT NULL AS answered, s.kind, s.key_id, length(s.ciphertext) > 0 AS sealed, s.purge_after > s.received_at AS purges,
              k.status AS key_status, k.body AS key_body
         FROM messages m JOIN responses s ON s.message_id = m.id
         JOIN idempotency_keys k ON k.agency_id = 'mse-hospitals' AND k.key = $2
        WHERE m.request_id = $1`,
      [requestId, `all-${requestId}`],
    );
    // Sealed under the case's own data key (docs/decisions/0024), never the master key directly.
    expect(row.rows[0]).toMatchObject({ state: 'responded', answered: true, kind: 'response', sealed: true, purges: true, key_status: 201 });
    expect(row.rows[0].key_id).toMatch(/^case:case_[0-9a-f]{32}$/);
    expect(row.rows[0].key_body).toEqual(r.body);
    // A response of a few kB stays in its row: no futile compression, no TOAST-table insert.
    const toast = await t.db.pool.query(
      `SELECT pg_relation_size(reltoastrelid)::int AS size, (SELECT attstorage FROM pg_attribute WHERE attrelid = 'responses'::regclass AND attname = 'ciphertext') AS storage
         FROM pg_class WHERE oid = 'responses'::regclass`,
    );
    expect(toast.rows[0]).toEqual({ size: 0, storage: 'e' });
    // Nothing of the research is stored in clear.
    const raw = await t.db.pool.query(`SELECT ciphertext FROM responses s JOIN messages m ON m.id = s.message_id WHERE m.request_id = $1`, [requestId]);
    expect(Buffer.from(raw.rows[0].ciphertext).toString('latin1')).not.toContain(ids.v1);
  });
});
