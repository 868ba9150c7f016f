/**
 * Gateways in child processes (test/fault/gateway-child.ts), for faults that need SIGKILL, and the
 * shared world (keys, TLS) two instances must agree on, made up front so the child can boot while
 * the in-process instance is still seeding (process start-up dominates these tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCsr, issueFromCsr } from '../../gateway/src/identity/pki/ca.js';
import type { GatewayTls } from '../../gateway/src/dev/dev-pki.js';
import { makeTestPki, type AgencyCreds, type TestPki } from '../helpers/pki.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestGateway } from '../helpers/gateway.js';
import { freePort } from './private-redis.js';

/** Keys, queue prefix and TLS for a world of several gateway instances (same as test/helpers/gateway.ts makes). */
export function sharedWorld(pki: TestPki, extra: Record<string, string> = {}): { env: Record<string, string>; tls: GatewayTls } {
  const gw = createCsr({ agencyId: 'marac-gateway' });
  const client = issueFromCsr(pki.ca, gw.csrPem, { agencyId: 'marac-gateway', agencyType: 'MARAC_COORDINATOR', validDays: 30 });
  const env: Record<string, string> = {
    QUEUE_PREFIX: `f${randomBytes(5).toString('hex')}`,
    SEALING_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    SEALING_KEY_ID: 'k1',
    SUBJECT_HMAC_KEY: randomBytes(32).toString('base64'),
    AUDIT_SIGNING_KEY_PEM: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    ...extra,
  };
  const tls: GatewayTls = { ca: pki.ca, serverCertPem: pki.server.certPem, serverKeyPem: pki.server.keyPem, clientCertPem: client.certPem, clientKeyPem: gw.keyPem };
  return { env, tls };
}

export interface ChildGateway {
  /** Resolves with the agency API URL (https://127.0.0.1:port) once the child is serving. */
  ready: Promise<string>;
  pid: number;
  kill(): Promise<void>;
}

/**
 * Starts a gateway (with workers) in a child process on `databaseUrl` with `env` (merged over the
 * test defaults). The operations listener (readyz, metrics) is on `opsPort` when given.
 */
export function spawnChildGateway(opts: {
  env: Record<string, string>; databaseUrl: string; tls: GatewayTls; webPort?: number; opsPort?: number;
  /** Each SIGUSR2 to the child moves its clock this many milliseconds forward (gateway-child.ts). */
  clockStepMs?: number;
}): ChildGateway {
  const dir = mkdtempSync(path.join(tmpdir(), 'marac-child-'));
  const specFile = path.join(dir, 'spec.json');
  const env = {
    MARAC_MODE: 'development', LOG_LEVEL: 'error', DEV_OIDC: 'false', DEMO_ADAPTERS: 'false',
    ...opts.env, AGENCY_API_PORT: '0', WEB_PORT: String(opts.webPort ?? 0), OPS_PORT: String(opts.opsPort ?? 0),
  };
  writeFileSync(specFile, JSON.stringify({ env, databaseUrl: opts.databaseUrl, tls: opts.tls, ...(opts.clockStepMs ? { clockStepMs: opts.clockStepMs } : {}) }));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'test/fault/gateway-child.ts'], {
    env: { ...process.env, GATEWAY_CHILD_SPEC: specFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let alive = true;
  const exited = once(child, 'exit').then(() => {
    alive = false;
    rmSync(dir, { recursive: true, force: true });
  });
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /READY (\S+)/.exec(d.toString());
      if (m) resolve(m[1]!.replace('localhost', '127.0.0.1'));
    });
    child.once('exit', (code) => reject(new Error(`gateway child exited before it was ready (${code})`)));
  });
  ready.catch(() => {});
  return {
    ready,
    pid: child.pid!,
    async kill() {
      if (alive) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Resident set size of a process in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) / 1024;
}

export interface ChildWorld {
  db: TestDatabase;
  pki: TestPki;
  creds: Map<string, AgencyCreds>;
  gateway: ChildGateway;
  agencyUrl: string;
  /** The operations listener: /readyz, /metrics. */
  opsUrl: string;
  rssMb(): number;
  /** V8 heap in use, from the child's own /metrics. */
  heapUsedMb(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A seeded world (database, PKI, demo agencies with certificates, the sample agreements) served by
 * ONE gateway in a child process, so that what is measured of it (RSS, heap) is the gateway's
 * alone and not the load generator's. The seeding instance runs in this process and is stopped
 * before the child starts.
 */
export async function startChildWorld(opts: { queue?: 'redis' | 'postgres'; env?: Record<string, string> } = {}): Promise<ChildWorld> {
  const pki = makeTestPki();
  const db = await createTestDatabase();
  const queue = opts.queue ?? 'redis';
  const world = sharedWorld(pki, { ...(queue === 'redis' ? { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' } : {}), ...opts.env });
  const seed = await startTestGateway({ queue, pki, db, sharedEnv: world.env, sharedTls: world.tls, workers: false });
  await seed.stop();
  const opsPort = await freePort();
  const gateway = spawnChildGateway({ env: world.env, databaseUrl: db.url, tls: world.tls, opsPort });
  let agencyUrl: string;
  try {
    agencyUrl = await gateway.ready;
  } catch (err) {
    await db.drop();
    throw err;
  }
  const opsUrl = `http://127.0.0.1:${opsPort}`;
  return {
    db,
    pki,
    creds: seed.creds,
    gateway,
    agencyUrl,
    opsUrl,
    rssMb: () => rssMb(gateway.pid),
    async heapUsedMb() {
      const text = await (await fetch(`${opsUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      const m = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
      if (!m) throw new Error('no nodejs_heap_size_used_bytes in /metrics');
      return Number(m[1]) / 1024 / 1024;
    },
    async stop() {
      await gateway.kill();
      await db.drop();
    },
  };
}
