import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../gateway/src/store/migrations');

function databaseUrl(name: string): string {
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

let template: Promise<string> | undefined;

/**
 * A database migrated once and copied for each test file (CREATE DATABASE … TEMPLATE), rather than
 * every file running every migration: 0.65 s a file here, on some 250 files a run. Named by a hash
 * of the migration files and the month, so a changed migration makes a new one; made under a
 * fresh name and renamed into place, so a run killed half-way leaves nothing that looks finished.
 */
function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
    // The month too: migration 0003 makes the audit partitions around the month it runs in.
    const h = createHash('sha256').update(new Date().toISOString().slice(0, 7));
    for (const f of files) h.update(f).update('\0').update(await readFile(path.join(MIGRATIONS_DIR, f))).update('\0');
    const name = `marac_tpl_${h.digest('hex').slice(0, 16)}`;
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    try {
      await admin.query('SELECT pg_advisory_lock(726172616302)');
      const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) {
        const wip = `${name}_wip_${randomBytes(4).toString('hex')}`;
        await admin.query(`CREATE DATABASE ${wip}`);
        const pool = createPool(databaseUrl(wip), 2);
        try {
          await migrate(pool);
        } finally {
          await pool.end();
        }
        await admin.query(`ALTER DATABASE ${wip} RENAME TO ${name}`);
      }
      return name;
    } finally {
      await admin.query('SELECT pg_advisory_unlock(726172616302)').catch(() => {});
      await admin.end();
    }
  })();
  template.catch(() => {
    template = undefined;
  });
  return template;
}

/** Each test file gets its own freshly migrated database (style rule 8: each test builds its world). */
export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `marac_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const from = opts.migrate !== false ? await migratedTemplate() : undefined;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(from ? `CREATE DATABASE ${name} TEMPLATE ${from}` : `CREATE DATABASE ${name}`);
  await admin.end();
  const url = databaseUrl(name);
  const pool = createPool(url, 10);
  let runtimeUrl: string | undefined;
  if (opts.migrate !== false) {
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
