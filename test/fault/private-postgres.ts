/**
 * A private PostgreSQL for fault tests (the embedded binaries, through gateway/src/dev/pg-runner.ts): its own data folder and a free port,
 * so a test can stop and restart it mid-run without touching the machine's shared server (other
 * test files use that one in parallel).
 *
 *   const pg = await startPrivatePostgres();
 *   const db = await pg.createDatabase();   // TestDatabase-shaped: pass to startTestGateway({ db })
 *   await pg.stop(); await pg.start();      // fast shutdown: every connection is cut
 *   await pg.destroy();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startPostgres, type RunningPostgres } from '../../gateway/src/dev/pg-runner.js';
import pg from 'pg';
import { createPool } from '../../gateway/src/store/db.js';
import { migrate } from '../../gateway/src/store/migrate.js';
import type { TestDatabase } from '../helpers/db.js';
import { freePort } from './private-redis.js';

export interface PrivatePostgres {
  port: number;
  adminUrl: string;
  createDatabase(): Promise<TestDatabase>;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const port = await freePort();
  // Wherever the temporary folder is: as root the runner moves what the postgres user cannot reach.
  const dir = mkdtempSync(path.join(tmpdir(), 'marac-fault-pg-'));
  const password = randomBytes(8).toString('hex');
  const log: string[] = [];
  let server: RunningPostgres | undefined;
  let dataDir = path.join(dir, 'pg');
  const start = async () => {
    if (server) return;
    server = await startPostgres({
      databaseDir: dataDir,
      user: 'postgres',
      password,
      port,
      initdbFlags: ['--no-sync'],
      // TCP on 127.0.0.1 only, no Unix socket (nothing shared with the machine's server), no fsync (test data).
      postgresFlags: ['-c', 'unix_socket_directories=', '-c', 'fsync=off', '-c', 'max_connections=200'],
      onLog: (m) => void (log.length < 200 && log.push(m)),
    });
    dataDir = server.databaseDir;
  };
  const stop = async () => {
    if (!server) return;
    await server.stop();
    server = undefined;
  };
  await start();
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  const pools: pg.Pool[] = [];

  return {
    port,
    adminUrl,
    start,
    stop,
    async createDatabase() {
      const name = `marac_fault_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = `postgres://postgres:${password}@127.0.0.1:${port}/${name}`;
      const pool = createPool(url, 10);
      pools.push(pool);
      await migrate(pool);
      // The whole server goes away in destroy(); dropping one database is only closing its pool.
      return { url, name, pool, drop: async () => void (await pool.end().catch(() => {})) };
    },
    async destroy() {
      await Promise.allSettled(pools.map((p) => p.end()));
      await stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
      if (!dataDir.startsWith(dir)) rmSync(path.dirname(dataDir), { recursive: true, force: true });
    },
  };
}
