import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog, createCheckpointer, generateSigningKey } from '../../../gateway/src/audit/index.js';
import { eventHash, GENESIS_HASH } from '../../../gateway/src/audit/event.js';
import { CompactRange, hashLeaf } from '../../../gateway/src/audit/merkle.js';
import { noteSignedBy, parseNote } from '../../../gateway/src/audit/note.js';
import type { AuditEvent } from '../../../gateway/src/audit/types.js';
import { createPool, withTx } from '../../../gateway/src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { AUDITOR, HMAC_KEY, POLICE, viewRead } from './helpers.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function allEvents(): Promise<{ seq: number; event: AuditEvent; canonical: string }[]> {
  const r = await db.pool.query<{ seq: string; canonical: string }>('SELECT seq, canonical FROM audit_events ORDER BY seq');
  return r.rows.map((row) => ({ seq: Number(row.seq), event: JSON.parse(row.canonical) as AuditEvent, canonical: row.canonical }));
}

/** Chain, hashes and tree rebuilt from what the database holds. */
async function checkLog(expected: number) {
  const rows = await allEvents();
  expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
  let prev = GENESIS_HASH;
  const range = CompactRange.empty();
  for (const r of rows) {
    expect(r.event.seq).toBe(r.seq);
    expect(r.event.prevHash).toBe(prev);
    expect(eventHash(r.event)).toBe(r.event.hash);
    range.append(hashLeaf(Buffer.from(r.canonical, 'utf8')));
    prev = r.event.hash;
  }
  const head = await db.pool.query<{ tree_size: string; head_hash: string; border: Buffer[] }>('SELECT tree_size, head_hash, border FROM audit_head');
  expect(Number(head.rows[0]!.tree_size)).toBe(expected);
  expect(head.rows[0]!.head_hash).toBe(prev);
  expect(CompactRange.fromState(expected, head.rows[0]!.border).root().equals(range.root())).toBe(true);
  return rows;
}

describe('audit log: append in the caller transaction, sequence after commit', () => {
  const audit = createAuditLog({ hmacKey: HMAC_KEY });

  it('commits the event with the state change, and a rollback leaves neither event nor seq gap', async () => {
    await withTx(db.pool, (tx) => audit.append(tx, viewRead(1)));
    await expect(
      withTx(db.pool, async (tx) => {
        await audit.append(tx, viewRead(2));
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    await withTx(db.pool, (tx) => audit.append(tx, viewRead(3)));
    await audit.flush(db.pool);
    const rows = await checkLog(2);
    expect(rows.map((r) => r.event.messageId)).toEqual(['msg_1', 'msg_3']);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM audit_pending')).rows[0].n).toBe(0);
  });

  it('stores actor, filter columns and canonical JSON that matches the schema fields', async () => {
    await withTx(db.pool, (tx) => audit.append(tx, { action: 'AUDIT_QUERIED', actor: AUDITOR, detail: { results: 0 } }));
    await audit.flush(db.pool);
    const r = await db.pool.query(`SELECT action, actor_kind, actor_id, agency_ids, subject_tokens, canonical FROM audit_events WHERE action = 'AUDIT_QUERIED'`);
    expect(r.rows[0]).toMatchObject({ action: 'AUDIT_QUERIED', actor_kind: 'person', actor_id: 'auditor-1', agency_ids: [], subject_tokens: [] });
    const ev = JSON.parse(r.rows[0].canonical);
    expect(ev.actor).toEqual({ kind: 'person', userId: 'auditor-1', roles: ['auditor'] });
    expect(JSON.stringify(ev)).not.toContain('Ada Auditor');
  });

  it('refuses an event that does not fit the schema, rolling the caller back (AUDIT_EVENT_INVALID)', async () => {
    const before = await allEvents();
    await expect(
      withTx(db.pool, (tx) => audit.append(tx, { ...viewRead(9), fieldsReleased: ['has a space'] })),
    ).rejects.toMatchObject({ code: 'AUDIT_EVENT_INVALID' });
    await expect(
      withTx(db.pool, (tx) => audit.append(tx, { ...viewRead(9), ...({ surprise: 1 } as object) })),
    ).rejects.toMatchObject({ code: 'AUDIT_EVENT_INVALID' });
    await expect(
      withTx(db.pool, (tx) => audit.append(tx, { ...viewRead(9), action: 'NOT_AN_ACTION' as never })),
    ).rejects.toMatchObject({ code: 'AUDIT_EVENT_INVALID' });
    await audit.flush(db.pool);
    expect(await allEvents()).toHaveLength(before.length);
  });

  it.each([
    ['an NHS number', { nhs: '943 476 5919' }, 'NHS_NUMBER'],
    ['a phone number', { contact: '07700 900123' }, 'PHONE_NUMBER'],
    ['a postcode', { where: 'CM1 1AA' }, 'POSTCODE'],
    ['an e-mail address', { who: 'victim@example.org' }, 'EMAIL'],
    ['a date of birth', { dob: '1990-04-01' }, 'DATE'],
    ['a UK date', { dob: '01/04/1990' }, 'DATE'],
  ])('refuses detail holding %s (AUDIT_PERSONAL_DATA)', async (_what, detail, kind) => {
    const err = await withTx(db.pool, (tx) => audit.append(tx, { ...viewRead(1), detail: detail as Record<string, string> })).catch((e) => e);
    expect(err).toMatchObject({ code: 'AUDIT_PERSONAL_DATA', problems: [{ code: kind }] });
  });

  it('accepts timestamps, hex serials and ordinary facts in detail', async () => {
    await withTx(db.pool, (tx) =>
      audit.append(tx, {
        action: 'CERTIFICATE_ISSUED',
        actor: POLICE,
        detail: { serial: '3f9a01234567890123456789abcdef01', notAfter: '2027-11-22T19:00:00.000Z', criteria: 'VISIBLE_HIGH_RISK,REPEAT', attempts: 3 },
      }),
    );
    await audit.flush(db.pool);
  });

  it('signs checkpoints over the tree and only when it grew', async () => {
    const keys = generateSigningKey();
    const cp = createCheckpointer({ pool: db.pool, signingKeyPem: keys.privateKeyPem, keyId: 'gateway-1', origin: 'marac-gateway' });
    const first = await cp.tick();
    const rows = await allEvents();
    expect(first).toMatchObject({ treeSize: rows.length, keyId: 'gateway-1' });
    const parsed = parseNote(first!.note)!;
    expect(parsed.body.origin).toBe('marac-gateway');
    expect(noteSignedBy(parsed, [createPublicKey(keys.publicKeyPem)])).toBe(true);
    expect(noteSignedBy(parsed, [createPublicKey(generateSigningKey().publicKeyPem)])).toBe(false);
    const range = CompactRange.empty();
    rows.forEach((r) => range.append(hashLeaf(Buffer.from(r.canonical, 'utf8'))));
    expect(first!.rootHash).toBe(range.root().toString('base64'));
    expect(await cp.tick()).toBeNull();
    expect(await cp.latest()).toEqual(first);
    expect(cp.publicKey().verifierKey).toMatch(/^gateway-1\+[0-9a-f]{8}\+/);
  });

  it('checkpointer without a key refuses to sign (CHECKPOINT_KEY_MISSING)', async () => {
    const cp = createCheckpointer({ pool: db.pool, keyId: 'gateway-1', origin: 'marac-gateway' });
    await expect(cp.tick()).rejects.toMatchObject({ code: 'CHECKPOINT_KEY_MISSING' });
  });
});

describe('background sequencer', () => {
  it('sequences shortly after commit without being asked, and signs every N events', async () => {
    const keys = generateSigningKey();
    const log = createAuditLog({ pool: db.pool, pollMs: 10 });
    const cp = createCheckpointer({ pool: db.pool, signingKeyPem: keys.privateKeyPem, keyId: 'gateway-1', origin: 'marac-gateway', integrate: () => log.flush() });
    log.checkpointEvery(10, cp);
    await log.start();
    try {
      const before = (await allEvents()).length;
      const signedBefore = (await cp.latest())?.treeSize ?? 0;
      for (let i = 0; i < 25; i++) await withTx(db.pool, (tx) => log.append(tx, viewRead(500 + i)));
      const deadline = Date.now() + 10_000;
      while ((await allEvents()).length < before + 25 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect((await allEvents()).length).toBe(before + 25);
      // Signing follows sequencing asynchronously: wait for it as for the events, then assert.
      while (((await cp.latest())?.treeSize ?? 0) < signedBefore + 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const latest = await cp.latest();
      expect(latest!.treeSize).toBeGreaterThanOrEqual(signedBefore + 10);
    } finally {
      await log.stop();
    }
  });
});

describe('one total order across processes', () => {
  it('8 writers × 200 events over 2 pools, each with its own sequencer: seq gapless, chain and tree intact', async () => {
    const start = (await allEvents()).length;
    const poolA = createPool(db.url, 6);
    const poolB = createPool(db.url, 6);
    const logA = createAuditLog({ pool: poolA, pollMs: 10 });
    const logB = createAuditLog({ pool: poolB, pollMs: 10 });
    await Promise.all([logA.start(), logB.start()]);
    try {
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          const pool = w % 2 === 0 ? poolA : poolB;
          const log = w % 2 === 0 ? logA : logB;
          for (let i = 0; i < 200; i++) {
            await withTx(pool, async (tx) => {
              await log.append(tx, viewRead(w * 1000 + i, { messageId: `w${w}_${i}` }));
            });
          }
        }),
      );
      await logA.flush();
      await logB.flush();
    } finally {
      await Promise.all([logA.stop(), logB.stop()]);
      await Promise.all([poolA.end(), poolB.end()]);
    }
    const rows = await checkLog(start + 1600);
    const ids = new Set(rows.slice(start).map((r) => r.event.messageId));
    expect(ids.size).toBe(1600);
    // Each writer's own events keep their commit order.
    for (let w = 0; w < 8; w++) {
      const mine = rows.filter((r) => r.event.messageId?.startsWith(`w${w}_`)).map((r) => Number(r.event.messageId!.split('_')[1]));
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
    const leaves = await db.pool.query<{ canonical: string; leaf_hash: Buffer }>('SELECT canonical, leaf_hash FROM audit_events');
    expect(leaves.rows.every((r) => r.leaf_hash.equals(hashLeaf(Buffer.from(r.canonical, 'utf8'))))).toBe(true);
    const levels = await db.pool.query<{ level: number }>('SELECT DISTINCT level FROM audit_tree_nodes ORDER BY level');
    expect(levels.rows.map((r) => r.level)).toEqual([4, 8]);
  });
});

describe('audit log: conditional rows carried by the caller\'s own statement', () => {
  let own: TestDatabase;
  beforeAll(async () => {
    own = await createTestDatabase();
  });
  afterAll(async () => {
    await own.drop();
  });
  const audit = createAuditLog({ hmacKey: HMAC_KEY });

  async function runWith(done: string[], rows: Parameters<typeof audit.appendRowsStatement>[0]): Promise<void> {
    const st = audit.appendRowsStatement(rows, 2, { cte: 'done', column: 'k' });
    await own.pool.query(`WITH done AS (SELECT unnest($1::text[]) AS k), ${st.cte} SELECT 1`, [done, ...st.values]);
    st.appended();
  }

  it('appends only the events whose key the statement returns, in the order given', async () => {
    const rows = [1, 2, 3, 4].map((i) => ({ row: audit.prepareRow(viewRead(100 + i)), key: `k${i}` }));
    await runWith(['k4', 'k1', 'k3'], rows);
    await audit.flush(own.pool);
    const r = await own.pool.query<{ message_id: string }>('SELECT message_id FROM audit_events ORDER BY seq');
    expect(r.rows.map((x) => x.message_id)).toEqual(['msg_101', 'msg_103', 'msg_104']);
    // Nothing returned, nothing appended; the same prepared row may be offered again (a batch retried alone).
    await runWith([], rows.slice(1, 2));
    await runWith(['k2'], rows.slice(1, 2));
    await audit.flush(own.pool);
    expect((await own.pool.query('SELECT count(*)::int AS n FROM audit_events')).rows[0].n).toBe(4);
  });

  it('checks each event when it is prepared, as append does (AUDIT_EVENT_INVALID, AUDIT_PERSONAL_DATA)', () => {
    expect(() => audit.prepareRow({ ...viewRead(9), fieldsReleased: ['has a space'] })).toThrow(expect.objectContaining({ code: 'AUDIT_EVENT_INVALID' }));
    expect(() => audit.prepareRow({ ...viewRead(9), detail: { contact: '07700 900123' } })).toThrow(expect.objectContaining({ code: 'AUDIT_PERSONAL_DATA' }));
  });

  it('refuses rows it did not prepare, and names that are not plain SQL names', () => {
    const forged = Object.freeze({ ts: new Date().toISOString() });
    expect(() => audit.appendRowsStatement([{ row: forged, key: 'k' }], 1, { cte: 'done', column: 'k' })).toThrow(/not prepared by this log/);
    const other = createAuditLog({ hmacKey: HMAC_KEY });
    const theirs = other.prepareRow(viewRead(7));
    expect(() => audit.appendRowsStatement([{ row: theirs, key: 'k' }], 1, { cte: 'done', column: 'k' })).toThrow(/not prepared by this log/);
    const mine = audit.prepareRow(viewRead(8));
    expect(() => audit.appendRowsStatement([{ row: mine, key: 'k' }], 1, { cte: 'done) x; DROP TABLE audit_events; --', column: 'k' })).toThrow();
    expect(() => audit.appendRowsStatement([{ row: mine, key: 'k' }], 1, { cte: 'done', column: 'k"' })).toThrow();
  });
});
