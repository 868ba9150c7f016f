import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPool } from '../../gateway/src/store/db.js';
import { migrate } from '../../gateway/src/store/migrate.js';

/** Base server URL for tests: DATABASE_URL's server, else the local PostgreSQL. */
export function adminUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/**
 * The login the gateway runs as in tests: a member of marac_app that owns nothing, like the
 * runtime role in production (SECURITY.md "Database roles"). Server-wide, made once.
 */
export const TEST_RUNTIME_ROLE = 'marac_gateway_test';

export interface TestDatabase {
  /** The owner's (a superuser's) URL: migrations, and tests that inspect or stage data. */
  url: string;
  /** The runtime role's URL (absent for an unmigrated database): what the gateway connects as. */
  runtimeUrl?: string;
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
  let runtimeUrl: string | undefined;
  if (opts.migrate !== false) {
    await migrate(pool);
    await ensureRuntimeRole(pool, name);
    const r = new URL(url);
    r.username = TEST_RUNTIME_ROLE;
    r.password = '';
    runtimeUrl = r.toString();
  }
  return {
    url,
    ...(runtimeUrl ? { runtimeUrl } : {}),
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

/**
 * Creates the runtime login if this server has none yet (in marac_app from the start: a separate
 * GRANT could race another test file's), and lets it create the queue schema in this database
 * (BullMQ's PostgreSQL backend makes `bullmq_<prefix>` itself).
 */
async function ensureRuntimeRole(pool: pg.Pool, database: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await pool.query(`DO $$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${TEST_RUNTIME_ROLE}') THEN
            CREATE ROLE ${TEST_RUNTIME_ROLE} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB IN ROLE marac_app;
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$`);
      break;
    } catch (err) {
      // "tuple concurrently updated" when two files create it at the same moment: try again.
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
    }
  }
  await pool.query(`GRANT CREATE ON DATABASE ${database} TO ${TEST_RUNTIME_ROLE}`);
}
