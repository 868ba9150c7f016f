/**
 * Clean shutdown of `npm start` (issue 17, item 8). The signal goes to the whole process group, as
 * a terminal's Ctrl-C or `kill -TERM -<pgid>` (systemd, Docker) sends it: the embedded PostgreSQL
 * gets it too and may stop before the gateway has closed its connections, which used to crash
 * Node with an unhandled `pg` error event (57P01). The gateway must still stop in order and exit
 * 0 with nothing on stderr that looks like a crash.
 *
 * Runs the real `npm start` (embedded PostgreSQL, BullMQ on PostgreSQL, demo adapters, development
 * OIDC) in a temporary data folder. The first start runs initdb; the second reuses the folder.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'marac-shutdown-'));
// initdb runs as an unprivileged `postgres` user when the tests run as root: it must reach the folder.
chmodSync(dataDir, 0o755);

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `npm start` in its own process group; once it says it is running, `signal` goes to the group. */
async function startAndStop(signal: NodeJS.Signals, pgPort: number): Promise<Run> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(DATABASE_URL|REDIS_URL|NODE_OPTIONS|VITEST.*)$/.test(k)) env[k] = v;
  Object.assign(env, {
    MARAC_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort),
    AGENCY_API_PORT: '0', WEB_PORT: '0', OPS_PORT: '0', DEV_OIDC_PORT: '0', LOG_LEVEL: 'info',
  });
  const child = spawn('npm', ['start'], { cwd: process.cwd(), env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  try {
    // Embedded start: initdb and migrations take tens of seconds on a loaded machine.
    const deadline = Date.now() + 240_000;
    while (!stdout.includes('MARAC gateway is running.')) {
      if (child.exitCode !== null) throw new Error(`npm start exited early (${child.exitCode}):\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    // Let the workers, long-polling demo adapters and LISTEN connections settle into their loops.
    await new Promise((r) => setTimeout(r, 2000));
    process.kill(-child.pid!, signal);
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 90_000);
    const [code, sig] = await exited;
    clearTimeout(timer);
    return { code, signal: sig, stdout, stderr };
  } catch (err) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    throw err;
  }
}

/**
 * Lines on stderr that are not the gateway's own JSON log lines or a library's one-line notice: a
 * stack trace, an unhandled 'error' event, an npm error... (Log lines may report what the
 * database going away interrupted: postgres refuses new connections as soon as it is signalled.)
 */
function crashLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => {
    if (!line.trim() || /^oidc-provider WARNING/.test(line)) return false;
    try {
      JSON.parse(line);
      return false;
    } catch {
      return true;
    }
  });
}

async function portClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('npm start stops cleanly when its process group is signalled', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s: exit code 0, no stack trace, the embedded PostgreSQL stopped', async (signal) => {
    const pgPort = await freePort();
    const run = await startAndStop(signal, pgPort);
    expect(crashLines(run.stderr), run.stderr).toEqual([]);
    expect(run.stderr).not.toMatch(/\n\s+at \S+ \(|57P01|Unhandled|uncaught/i);
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
    // Every shutdown step finished (none failed or timed out).
    expect(run.stdout).toMatch(/"clean":true,"level":"info","message":"stopped"/);
    expect(await portClosed(pgPort)).toBe(true);
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  }, 360_000);
});
