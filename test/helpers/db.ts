import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPool } from '../../gateway/src/store/db.js';
import { migrate } from '../../gateway/src/store/migrate.js';

/** Base server URL for tests: DATABASE_URL's server, else the local PostgreSQL. */
export function adminUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export interface TestDatabase {
  url: string;
  name: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** Each test file gets its own freshly migrated database (style rule 8: each test builds its world). */
export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `marac_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = createPool(url, 10);
  if (opts.migrate !== false) await migrate(pool);
  return {
    url,
    name,
    pool,
    async drop() {
      await pool.end().catch(() => {});
      const a = new pg.Client({ connectionString: adminUrl() });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await a.end();
    },
  };
}
