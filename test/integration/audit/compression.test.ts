/** Migration 0008: audit bodies use lz4 where the server has it, in every partition, old or new. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

describe('audit body compression', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('audit_pending and every audit_events partition compress with lz4 when the server supports it', async () => {
    const lz4 = await db.pool.query(`SELECT 'lz4' = ANY(enumvals) AS ok FROM pg_settings WHERE name = 'default_toast_compression'`);
    const expected = lz4.rows[0]?.ok === true ? 'l' : '';
    // A partition made after the migration, as audit_ensure_partitions makes them.
    await db.pool.query(`SELECT audit_ensure_partitions(now() + interval '6 months', 2)`);
    const r = await db.pool.query<{ rel: string; c: string }>(
      `SELECT a.attrelid::regclass::text AS rel, a.attcompression::text AS c
         FROM pg_attribute a
        WHERE (a.attrelid = 'audit_pending'::regclass AND a.attname = 'body')
           OR (a.attname = 'canonical' AND a.attrelid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'audit_events'::regclass))`,
    );
    expect(r.rows.length).toBeGreaterThan(6);
    for (const row of r.rows) expect(row, row.rel).toMatchObject({ c: expected });
  });
});
