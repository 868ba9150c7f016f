/**
 * Issue 18: the embedded default starts from any checkout location. Run as root from a folder
 * other users cannot enter (root's home, a `mktemp -d` folder), PostgreSQL's unprivileged user
 * could reach neither the binaries in node_modules nor the data folder, and start-up crashed with
 * `spawn .../initdb EACCES`. Here both sit under a 0700 folder; the runner moves what it must and
 * says where, and a place it cannot use gives a clear error with a stable code.
 *
 * As an ordinary user the same calls must simply work (nothing to move): the test asserts
 * whichever applies.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPostgresUnavailable, platformNativeDir, reachable, startPostgres } from '../../../gateway/src/dev/pg-runner.js';
import { freePort } from '../../fault/private-redis.js';

const root = process.getuid?.() === 0;
const closed = mkdtempSync(path.join(tmpdir(), 'marac-closed-')); // mode 0700, like `mktemp -d`
const open = mkdtempSync(path.join(tmpdir(), 'marac-open-'));
chmodSync(open, 0o755);
const cleanup: string[] = [closed, open];

afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

async function query(port: number, sql: string): Promise<unknown[]> {
  const c = new pg.Client({ connectionString: `postgres://postgres:pw@127.0.0.1:${port}/postgres` });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('the embedded PostgreSQL from a folder others cannot enter', () => {
  it('the 0700 folder really is closed to the postgres user (as root)', () => {
    const pgUser = { uid: 101_001, gid: 101_001, groups: [] };
    expect(reachable(closed, pgUser, 'x')).toBe(false);
    expect(reachable(open, pgUser, 'x')).toBe(true);
  });

  it('starts with binaries and data under the closed folder, keeps data across a restart, stops cleanly', async () => {
    // A copy of the binaries inside the closed folder stands for a checkout under root's home.
    const nativeDir = path.join(closed, 'checkout', 'native');
    cpSync(platformNativeDir(), nativeDir, { recursive: true, verbatimSymlinks: true });
    const cacheRoot = path.join(open, 'cache');
    const dataRoot = path.join(open, 'lib');
    const port = await freePort();
    const opts = { databaseDir: path.join(closed, 'checkout', '.data', 'pg'), port, user: 'postgres', password: 'pw', nativeDir, cacheRoot, dataRoot, initdbFlags: ['--no-sync'], postgresFlags: ['-c', 'unix_socket_directories=', '-c', 'fsync=off'] };
    const logs: string[] = [];
    const first = await startPostgres({ ...opts, onLog: (l) => logs.push(l) });
    try {
      if (root) {
        expect(first.nativeDir.startsWith(cacheRoot)).toBe(true);
        expect(first.databaseDir.startsWith(dataRoot)).toBe(true);
        expect(logs.some((l) => l.startsWith('embedded PostgreSQL: binaries copied to'))).toBe(true);
        expect(logs.some((l) => l.startsWith('embedded PostgreSQL: data kept in'))).toBe(true);
      } else {
        expect(first.nativeDir).toBe(nativeDir);
        expect(first.databaseDir).toBe(opts.databaseDir);
      }
      await query(port, 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)');
    } finally {
      await first.stop();
    }
    const second = await startPostgres(opts);
    try {
      expect(second.databaseDir).toBe(first.databaseDir);
      expect(await query(port, 'SELECT n FROM kept')).toEqual([{ n: 7 }]);
    } finally {
      await second.stop();
    }
    await expect(query(port, 'SELECT 1')).rejects.toThrow();
  });

  it('a place it cannot use is a clear EMBEDDED_POSTGRES_UNAVAILABLE, not spawn EACCES', async () => {
    const nativeDir = path.join(closed, 'other', 'native');
    mkdirSync(path.join(nativeDir, 'bin'), { recursive: true }); // no binaries at all
    const err = await startPostgres({
      databaseDir: path.join(open, 'nowhere', 'pg'), port: await freePort(), user: 'postgres', password: 'pw', nativeDir,
      // As root: the copy target is inside the closed folder, so it stays unreachable.
      cacheRoot: path.join(closed, 'cache'), dataRoot: path.join(closed, 'lib'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddedPostgresUnavailable);
    expect((err as EmbeddedPostgresUnavailable).code).toBe('EMBEDDED_POSTGRES_UNAVAILABLE');
    expect(existsSync(path.join(open, 'nowhere', 'pg', 'PG_VERSION'))).toBe(false);
  });
});
