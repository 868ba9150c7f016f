/**
 * What a production-mode gateway needs, made at test time, for the compiled build
 * (test/integration/ops/production-build.test.ts) and the container image (container-image.test.ts):
 *
 * - a fresh database on the machine's PostgreSQL, NOT migrated: the gateway migrates it itself as
 *   the migration owner (MIGRATION_DATABASE_URL, the server's superuser here) and runs as the
 *   runtime role (DATABASE_URL = marac_gateway_test, a member of marac_app that owns nothing);
 * - the PKI made with the production tree's own CLI (`node --conditions=production dist/scripts/pki.js init-ca`,
 *   `server-cert`, `gateway-client-cert`), the CA key kept out of PKI_DIR as in production;
 * - a real OpenID provider (the development provider of the source tree, run by the test process)
 *   serving HTTPS on loopback with a certificate of that CA: production accepts only an https
 *   issuer, and the gateway trusts it through NODE_EXTRA_CA_CERTS;
 * - Redis (the machine's), keys generated for the run, no witness (AUDIT_WITNESS_DISABLED=true).
 *
 * `registerAgency` registers an agency and issues its certificate with the same CLI (`csr`,
 * `register-agency`, `issue`), as docs/operations.md §6 tells an operator to.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startDevOidcProvider, type DevOidcProvider } from '../../gateway/src/identity/oidc/dev-provider.js';
import { freePort } from '../fault/private-redis.js';
import { adminUrl, createTestDatabase, TEST_RUNTIME_ROLE, type TestDatabase } from './db.js';
import type { AgencyCreds } from './pki.js';

export interface ProductionWorld {
  /** The gateway's environment (production mode); the ports below are in it. */
  env: Record<string, string>;
  ports: { agency: number; web: number; ops: number };
  /** PKI_DIR: ca-cert.pem, server and gateway-client certificates and keys (no CA key). */
  pkiDir: string;
  /** The offline CA folder (ca-cert.pem, ca-key.pem). */
  caDir: string;
  db: TestDatabase;
  idp: DevOidcProvider;
  /** Registers `id` (pull) and issues it a certificate with the tree's pki CLI. */
  registerAgency(id: string): Promise<AgencyCreds>;
  close(): Promise<void>;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `node --conditions=production <script> ...args` from the tree (cwd = tree), with a clean
 * environment plus `env`. The condition picks the workspace packages' compiled dist/.
 */
export const NODE_PRODUCTION = ['--conditions=production'];

export function runNode(treeDir: string, args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_PRODUCTION, ...args], { cwd: treeDir, env: { ...baseEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A guard against a hung child only (never an assertion about speed).
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** PATH and HOME only: nothing of the test runner's (NODE_OPTIONS, VITEST_*, DATABASE_URL...). */
export function baseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8' };
}

export async function makeProductionWorld(treeDir: string): Promise<ProductionWorld> {
  const work = mkdtempSync(path.join(tmpdir(), 'marac-prod-world-'));
  chmodSync(work, 0o755);
  const caDir = path.join(work, 'ca');
  const pkiDir = path.join(work, 'pki');
  const cli = async (...args: string[]) => {
    const r = await runNode(treeDir, ['dist/scripts/pki.js', ...args], env);
    if (r.code !== 0) throw new Error(`pki ${args[0]} exited ${r.code}: ${r.stderr}`);
    return r;
  };

  const db = await createTestDatabase({ migrate: false });
  await ensureRuntimeRole(db.name);
  const runtime = new URL(db.url);
  runtime.username = TEST_RUNTIME_ROLE;
  runtime.password = '';

  const ports = { agency: await freePort(), web: await freePort(), ops: await freePort() };
  const publicUrl = `http://127.0.0.1:${ports.web}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const env: Record<string, string> = {
    MARAC_MODE: 'production',
    LOG_LEVEL: 'info',
    MARAC_DATA_DIR: path.join(work, 'data'),
    DATABASE_URL: runtime.toString(),
    MIGRATION_DATABASE_URL: db.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `prod${randomBytes(5).toString('hex')}`,
    SEALING_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    SEALING_KEY_ID: 'k1',
    SUBJECT_HMAC_KEY: randomBytes(32).toString('base64'),
    AUDIT_SIGNING_KEY_PEM: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    AUDIT_KEY_ID: 'gateway-prod-test',
    AUDIT_WITNESS_DISABLED: 'true',
    PKI_DIR: pkiDir,
    AGENCY_API_HOST: '127.0.0.1',
    AGENCY_API_PORT: String(ports.agency),
    WEB_HOST: '127.0.0.1',
    WEB_PORT: String(ports.web),
    OPS_HOST: '127.0.0.1',
    OPS_PORT: String(ports.ops),
    PUBLIC_URL: publicUrl,
    OIDC_CLIENT_ID: 'marac-gateway-prod-test',
    OIDC_CLIENT_SECRET: clientSecret,
    NOTIFICATIONS_TRANSPORT: 'off',
  };

  await cli('init-ca', '--out', caDir, '--cn', 'MARAC Production Test CA', '--days', '30');
  await cli('server-cert', '--ca', caDir, '--host', '127.0.0.1', '--host', 'localhost', '--out', pkiDir, '--days', '30');
  await cli('gateway-client-cert', '--ca', caDir, '--out', pkiDir, '--days', '30');
  cpSync(path.join(caDir, 'ca-cert.pem'), path.join(pkiDir, 'ca-cert.pem'));
  // The provider's certificate is issued by this CA: the gateway trusts it as it would an
  // organisation's private CA.
  env.NODE_EXTRA_CA_CERTS = path.join(pkiDir, 'ca-cert.pem');

  const idp = await startDevOidcProvider({
    port: 0,
    issuerHost: '127.0.0.1',
    clients: [{ client_id: env.OIDC_CLIENT_ID!, client_secret: clientSecret, redirect_uris: [`${publicUrl}/auth/callback`] }],
    production: false,
    tls: { certPem: readFileSync(path.join(pkiDir, 'server-cert.pem'), 'utf8'), keyPem: readFileSync(path.join(pkiDir, 'server-key.pem'), 'utf8') },
  });
  env.OIDC_ISSUER_URL = idp.issuer;

  return {
    env,
    ports,
    pkiDir,
    caDir,
    db,
    idp,
    async registerAgency(id) {
      const dir = path.join(work, 'agencies', id);
      mkdirSync(dir, { recursive: true });
      // The registry commands run as the migration owner: they may migrate (docs/operations.md §6).
      const asOwner = { DATABASE_URL: db.url };
      await cli('csr', '--agency', id, '--out', dir);
      const reg = await runNode(treeDir, ['dist/scripts/pki.js', 'register-agency', '--id', id, '--type', 'POLICE', '--mode', 'pull', '--name', id], { ...env, ...asOwner });
      if (reg.code !== 0) throw new Error(`pki register-agency exited ${reg.code}: ${reg.stderr}`);
      const certFile = path.join(dir, `${id}-cert.pem`);
      const issued = await runNode(treeDir, ['dist/scripts/pki.js', 'issue', '--agency', id, '--csr', path.join(dir, `${id}-csr.pem`), '--out', certFile, '--ca', caDir, '--days', '30'], { ...env, ...asOwner });
      if (issued.code !== 0) throw new Error(`pki issue exited ${issued.code}: ${issued.stderr}`);
      return {
        agencyId: id,
        certPem: readFileSync(certFile, 'utf8'),
        keyPem: readFileSync(path.join(dir, `${id}-key.pem`), 'utf8'),
        fingerprint: '',
        serialHex: '',
        caPem: readFileSync(path.join(pkiDir, 'ca-cert.pem'), 'utf8'),
      };
    },
    async close() {
      await idp.close().catch(() => {});
      await db.drop().catch(() => {});
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * The runtime login, as test/helpers/db.ts makes it for migrated databases, here before the
 * first migration (which would otherwise create marac_app itself): server-wide, made once.
 */
async function ensureRuntimeRole(database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`DO $$
          BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'marac_app') THEN CREATE ROLE marac_app NOLOGIN; END IF;
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${TEST_RUNTIME_ROLE}') THEN
              CREATE ROLE ${TEST_RUNTIME_ROLE} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB IN ROLE marac_app;
            END IF;
          EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
          END $$`);
        break;
      } catch (err) {
        // "tuple concurrently updated" when another file creates it at the same moment: try again.
        if (attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
      }
    }
    await admin.query(`GRANT CONNECT ON DATABASE ${database} TO ${TEST_RUNTIME_ROLE}`);
  } finally {
    await admin.end();
  }
}

export interface GatewayProcess {
  /** Resolves once the process printed "MARAC gateway is running."; rejects if it exits first. */
  running: Promise<void>;
  output(): { stdout: string; stderr: string };
  /** Sends `signal` (default SIGTERM) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Starts `cmd args` (the compiled gateway, or `podman run` of the image) and follows its output. */
export function startGatewayProcess(cmd: string, args: string[], opts: { cwd: string; env: Record<string, string> }): GatewayProcess {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...baseEnv(), ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const running = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (stdout.includes('MARAC gateway is running.')) resolve();
    };
    child.stdout.on('data', check);
    void exited.then((code) => reject(new Error(`${cmd} exited (${code}) before it was running:\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`)));
  });
  running.catch(() => {});
  return {
    running,
    exited,
    output: () => ({ stdout, stderr }),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      // A guard against a hung process only: the gateway bounds each shutdown step itself.
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Lines on stderr that are neither JSON log lines nor empty: a stack trace, an npm error... */
export function nonLogLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => {
    if (!line.trim()) return false;
    try {
      JSON.parse(line);
      return false;
    } catch {
      return true;
    }
  });
}
