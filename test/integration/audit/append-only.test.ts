import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog, createCheckpointer, generateSigningKey } from '../../../gateway/src/audit/index.js';
import { withTx } from '../../../gateway/src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { HMAC_KEY, viewRead } from './helpers.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  const audit = createAuditLog({ hmacKey: HMAC_KEY });
  // Enough events for stored tree nodes (every 16 leaves): row triggers fire only on rows.
  for (let i = 0; i < 20; i++) await withTx(db.pool, (tx) => audit.append(tx, viewRead(i)));
  await audit.flush(db.pool);
  const keys = generateSigningKey();
  await createCheckpointer({ pool: db.pool, signingKeyPem: keys.privateKeyPem, keyId: 'gateway-1', origin: 'marac-gateway' }).tick();
});
afterAll(async () => {
  await db.drop();
});

/** Runs `sql` as the application role, in a transaction that is always rolled back. */
async function asApp(sql: string): Promise<unknown> {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL ROLE marac_app');
    return await client.query(sql);
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    client.release();
  }
}
async function asOwner(sql: string): Promise<unknown> {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    return await client.query(sql);
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    client.release();
  }
}
const PERMISSION_DENIED = { code: '42501' };

describe('the audit tables are append-only', () => {
  const month = new Date().toISOString().slice(0, 7).replace('-', '_');
  const statements: [string, string][] = [
    ['UPDATE audit_events', `UPDATE audit_events SET action = 'LOGIN' WHERE seq = 1`],
    ['DELETE FROM audit_events', 'DELETE FROM audit_events WHERE seq = 1'],
    ['TRUNCATE audit_events', 'TRUNCATE audit_events'],
    ['TRUNCATE a monthly partition', `TRUNCATE audit_events_${month}`],
    ['UPDATE audit_tree_nodes', 'UPDATE audit_tree_nodes SET idx = idx + 1000'],
    ['DELETE FROM audit_tree_nodes', 'DELETE FROM audit_tree_nodes'],
    ['TRUNCATE audit_tree_nodes', 'TRUNCATE audit_tree_nodes'],
    ['UPDATE audit_checkpoints', `UPDATE audit_checkpoints SET note = 'x'`],
    ['DELETE FROM audit_checkpoints', 'DELETE FROM audit_checkpoints'],
    // CASCADE: the witnesses' cosignatures (0013) refer to the checkpoints, so a plain TRUNCATE
    // would stop at the foreign key before any trigger ran; with CASCADE both tables' triggers refuse.
    ['TRUNCATE audit_checkpoints', 'TRUNCATE audit_checkpoints CASCADE'],
    ['TRUNCATE audit_cosignatures', 'TRUNCATE audit_cosignatures'],
    ['DELETE FROM audit_head', 'DELETE FROM audit_head'],
  ];

  it.each(statements)('as marac_app: %s fails with permission denied', async (_name, sql) => {
    await expect(asApp(sql)).rejects.toMatchObject(PERMISSION_DENIED);
  });

  it.each(statements)('even as the table owner (trigger): %s fails', async (_name, sql) => {
    await expect(asOwner(sql)).rejects.toMatchObject(PERMISSION_DENIED);
  });

  it('the owner trigger names the operation', async () => {
    await expect(asOwner('DELETE FROM audit_events')).rejects.toThrow(/append-only: DELETE on audit_events/);
  });

  // Since migration 0015 the sequencer deletes pending rows and moves the head only through
  // audit_advance_head (test/security/least-privilege.test.ts runs the whole flow as the runtime role).
  it('marac_app can read and append, lock the head and keep the partitions ahead', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE marac_app');
      const r = await client.query('SELECT count(*)::int AS n FROM audit_events');
      expect(r.rows[0].n).toBe(20);
      await client.query(`INSERT INTO audit_pending (ts, body) VALUES (now(), '{}')`);
      await client.query('SELECT * FROM audit_lock_head(true)');
      await client.query(`SELECT audit_ensure_partitions(now(), 2)`);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('marac_app cannot create or drop tables in the audit schema objects it does not own', async () => {
    await expect(asApp(`DROP TABLE audit_events_${month}`)).rejects.toMatchObject({ code: '42501' });
    await expect(asApp('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only')).rejects.toMatchObject({ code: '42501' });
  });

  it('keeps monthly partitions ahead and routes events by time', async () => {
    const r = await db.pool.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'audit_events'::regclass`);
    expect(r.rows[0].n).toBeGreaterThanOrEqual(5);
    const where = await db.pool.query(`SELECT tableoid::regclass::text AS part FROM audit_events LIMIT 1`);
    expect(where.rows[0].part).toBe(`audit_events_${month}`);
  });
});
