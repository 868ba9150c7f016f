/**
 * Gateways in child processes (test/fault/gateway-child.ts), for faults that need SIGKILL, and the
 * shared world (keys, TLS) two instances must agree on, made up front so the child can boot while
 * the in-process instance is still seeding (process start-up dominates these tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCsr, issueFromCsr } from '../../gateway/src/identity/pki/ca.js';
import type { GatewayTls } from '../../gateway/src/dev/dev-pki.js';
import type { TestPki } from '../helpers/pki.js';

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
  kill(): Promise<void>;
}

/** Starts a gateway (with workers) in a child process on `databaseUrl` with `env` (merged over the test defaults). */
export function spawnChildGateway(opts: { env: Record<string, string>; databaseUrl: string; tls: GatewayTls }): ChildGateway {
  const dir = mkdtempSync(path.join(tmpdir(), 'marac-child-'));
  const specFile = path.join(dir, 'spec.json');
  const env = {
    MARAC_MODE: 'development', LOG_LEVEL: 'error', DEV_OIDC: 'false', DEMO_ADAPTERS: 'false',
    ...opts.env, AGENCY_API_PORT: '0', WEB_PORT: '0',
  };
  writeFileSync(specFile, JSON.stringify({ env, databaseUrl: opts.databaseUrl, tls: opts.tls }));
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
    async kill() {
      if (alive) child.kill('SIGKILL');
      await exited;
    },
  };
}
