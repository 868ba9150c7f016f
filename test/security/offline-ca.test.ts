/**
 * The offline CA (issue 17, item 3). In production start-up never makes PKI material: with the CA
 * key kept offline (as docs/operations.md advises) the gateway starts from the certificates and
 * its own keys alone, and a missing or mismatched file stops it with the list of what is wrong,
 * instead of a new CA silently written over `ca-cert.pem` (which locked every agency out).
 * Development keeps generating what is missing.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayPkiMissing, ensureGatewayPki, issueGatewayClientCert, loadGatewayPki } from '../../gateway/src/dev/dev-pki.js';
import { createCa, issueServerCert } from '../../gateway/src/identity/pki/ca.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'marac-offline-ca-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** What an operator copies to the gateway host: everything but the CA key. */
function productionPkiDir(): string {
  const dir = tempDir();
  const ca = createCa({ commonName: 'Offline test CA', validDays: 30 });
  const server = issueServerCert(ca, { hostnames: ['localhost', '127.0.0.1'], validDays: 30 });
  const client = issueGatewayClientCert(ca, 30);
  writeFileSync(path.join(dir, 'ca-cert.pem'), ca.certPem);
  writeFileSync(path.join(dir, 'server-cert.pem'), server.certPem);
  writeFileSync(path.join(dir, 'server-key.pem'), server.keyPem);
  writeFileSync(path.join(dir, 'gateway-client-cert.pem'), client.certPem);
  writeFileSync(path.join(dir, 'gateway-client-key.pem'), client.keyPem);
  return dir;
}

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayPkiMissing);
    expect((err as GatewayPkiMissing).code).toBe('GATEWAY_PKI_MISSING');
    return (err as GatewayPkiMissing).problems;
  }
  throw new Error('expected GATEWAY_PKI_MISSING');
}

describe('loading the PKI folder in production', () => {
  it('needs no CA key, and generates nothing', () => {
    const dir = productionPkiDir();
    const before = snapshot(dir);
    const tls = loadGatewayPki(dir);
    expect(tls.ca.keyPem).toBeUndefined();
    expect(tls.ca.certPem).toBe(before['ca-cert.pem']);
    expect(snapshot(dir)).toEqual(before);
  });

  it.each(['ca-cert.pem', 'server-cert.pem', 'server-key.pem', 'gateway-client-cert.pem', 'gateway-client-key.pem'])(
    'refuses to start without %s, naming it, and writes nothing',
    (file) => {
      const dir = productionPkiDir();
      unlinkSync(path.join(dir, file));
      const before = snapshot(dir);
      const problems = problemsOf(() => loadGatewayPki(dir));
      expect(problems.join('\n')).toContain(`${file} is missing`);
      expect(snapshot(dir)).toEqual(before);
    },
  );

  it('lists every missing file at once, with how to make it', () => {
    const dir = tempDir();
    const problems = problemsOf(() => loadGatewayPki(dir));
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/ca-cert\.pem is missing \(npm run pki -- init-ca/);
    expect(problems.join('\n')).toMatch(/server-cert\.pem is missing \(npm run pki -- server-cert/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a server key that does not belong to its certificate, a certificate from another CA, and garbage', () => {
    const dir = productionPkiDir();
    const other = createCa({ commonName: 'Some other CA', validDays: 30 });
    const foreign = issueServerCert(other, { hostnames: ['localhost'], validDays: 30 });
    writeFileSync(path.join(dir, 'server-key.pem'), foreign.keyPem);
    writeFileSync(path.join(dir, 'gateway-client-cert.pem'), issueGatewayClientCert(other, 30).certPem);
    expect(problemsOf(() => loadGatewayPki(dir)).join('\n')).toMatch(/server-key\.pem does not belong to server-cert\.pem[\s\S]*gateway-client-cert\.pem was not issued by the CA/);

    const garbage = productionPkiDir();
    writeFileSync(path.join(garbage, 'ca-cert.pem'), 'not a certificate');
    writeFileSync(path.join(garbage, 'server-key.pem'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    const problems = problemsOf(() => loadGatewayPki(garbage)).join('\n');
    expect(problems).toContain('ca-cert.pem is not a PEM certificate');
    expect(problems).toContain('server-key.pem is not a PEM private key');
  });

  it('refuses a CA certificate that is not a CA', () => {
    const dir = productionPkiDir();
    writeFileSync(path.join(dir, 'ca-cert.pem'), readFileSync(path.join(dir, 'server-cert.pem'), 'utf8'));
    expect(problemsOf(() => loadGatewayPki(dir)).join('\n')).toContain('ca-cert.pem is not a CA certificate');
  });
});

describe('development keeps generating what is missing', () => {
  it('makes a CA, a server certificate and the push client certificate in an empty folder, then reuses them', () => {
    const dir = tempDir();
    const first = ensureGatewayPki(dir);
    expect(first.generated).toEqual(['ca', 'server certificate', 'gateway client certificate']);
    expect(first.tls.ca.keyPem).toContain('PRIVATE KEY');
    const again = ensureGatewayPki(dir);
    expect(again.generated).toEqual([]);
    expect(again.tls.ca.certPem).toBe(first.tls.ca.certPem);
  });
});

describe('the gateway process in production', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });

  function env(pkiDir: string): Record<string, string> {
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(REDIS_URL|NODE_OPTIONS|VITEST.*)$/.test(k)) base[k] = v;
    return {
      ...base,
      MARAC_MODE: 'production',
      // Production runs as the runtime role and migrates as the owner (it refuses a superuser).
      DATABASE_URL: db.runtimeUrl!,
      MIGRATION_DATABASE_URL: db.url,
      PKI_DIR: pkiDir,
      MARAC_DATA_DIR: tempDir(),
      SEALING_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      SEALING_KEY_ID: 'k1',
      SUBJECT_HMAC_KEY: randomBytes(32).toString('base64'),
      AUDIT_SIGNING_KEY_PEM: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      DEV_OIDC: 'true',
      DEV_OIDC_ALLOW_IN_PRODUCTION: 'true',
      DEV_OIDC_PORT: '0',
      // Production requires a witness or saying there is none (issue 17 item 2); not this test's subject.
      AUDIT_WITNESS_DISABLED: 'true',
      AGENCY_API_PORT: '0',
      WEB_PORT: '0',
      OPS_PORT: '0',
      QUEUE_PREFIX: `ca${randomBytes(4).toString('hex')}`,
      LOG_LEVEL: 'warn',
    };
  }

  function run(pkiDir: string, untilRunning: boolean): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/main.ts'], { env: env(pkiDir), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (untilRunning && stdout.includes('MARAC gateway is running.')) child.kill('SIGTERM');
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    return once(child, 'exit').then(([code]) => {
      clearTimeout(timer);
      return { code: code as number | null, stdout, stderr };
    });
  }

  it('starts without the CA key and leaves the PKI folder as it was', async () => {
    const dir = productionPkiDir();
    const before = snapshot(dir);
    const out = await run(dir, true);
    expect(out.stdout, out.stderr).toContain('MARAC gateway is running.');
    expect(out.code, out.stderr).toBe(0);
    expect(snapshot(dir)).toEqual(before);
    expect(out.stderr).not.toContain('gateway PKI material generated');
  }, 180_000);

  it('stops with exit code 2 and the list of missing files, generating nothing', async () => {
    const dir = productionPkiDir();
    unlinkSync(path.join(dir, 'server-key.pem'));
    unlinkSync(path.join(dir, 'gateway-client-key.pem'));
    const before = snapshot(dir);
    const out = await run(dir, false);
    expect(out.code).toBe(2);
    expect(out.stdout).not.toContain('MARAC gateway is running.');
    expect(out.stderr).toContain('server-key.pem is missing');
    expect(out.stderr).toContain('gateway-client-key.pem is missing');
    expect(out.stderr).toContain('nothing was generated');
    expect(snapshot(dir)).toEqual(before);
  }, 180_000);
});
