import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * Applies `migrations/NNNN_name.sql` in lexical order, each in its own transaction, recording
 * them in `schema_migrations`. An advisory lock keeps two gateway instances from racing.
 */
export async function migrate(pool: pg.Pool): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock(726172616301)');
    // Only public: a schema named after this role (which a role with CREATE on the database could
    // make) must not shadow the tables these files name.
    await client.query('SET search_path TO public');
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name),
    );
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = await readFile(path.join(MIGRATIONS_DIR, file), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
        applied.push(file);
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`, { cause: err });
      }
    }
    if (applied.length > 0) await client.query(AUDIT_APPEND_ONLY_GRANTS);
    return applied;
  } finally {
    await client.query('RESET search_path').catch(() => {});
    await client.query('SELECT pg_advisory_unlock(726172616301)').catch(() => {});
    client.release();
  }
}

/**
 * After every run: no role but the owner may change an audit table, whatever default privileges
 * (migration 0015) gave a table a later migration created. Partitions included.
 */
const AUDIT_APPEND_ONLY_GRANTS = `DO $$
DECLARE
  t regclass;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'marac_app') THEN RETURN; END IF;
  FOR t IN SELECT c.oid::regclass FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relname LIKE 'audit\\_%'
  LOOP
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON %s FROM PUBLIC, marac_app', t);
  END LOOP;
END
$$`;

/** Migration files not yet applied to this database (read-only: the runtime role can run it). */
export async function pendingMigrations(q: Pick<pg.Pool, 'query'>): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
  const exists = await q.query<{ t: string | null }>(`SELECT to_regclass('public.schema_migrations')::text AS t`);
  if (!exists.rows[0]?.t) return files;
  const done = new Set((await q.query<{ name: string }>('SELECT name FROM public.schema_migrations')).rows.map((r) => r.name));
  return files.filter((f) => !done.has(f));
}
