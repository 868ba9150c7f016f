import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPkiCli } from '../../../scripts/pki.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

describe('pki CLI', () => {
  let db: TestDatabase;
  let dir: string;
  let env: Record<string, string>;

  /** Runs one command in-process and captures what it prints. */
  async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runPkiCli(argv, { env, cwd: dir, out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(path.join(tmpdir(), 'marac-pki-cli-'));
    env = { DATABASE_URL: db.url, MARAC_DATA_DIR: path.join(dir, 'data') };
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('walks through CA, server certificate, agency registration, CSR, issue, list and revoke', async () => {
    const init = await cli('init-ca', '--out', 'ca', '--cn', 'CLI Test CA');
    expect(init.code).toBe(0);
    const caPem = readFileSync(path.join(dir, 'ca/ca-cert.pem'), 'utf8');
    expect(new X509Certificate(caPem).ca).toBe(true);
    expect(statSync(path.join(dir, 'ca/ca-key.pem')).mode & 0o777).toBe(0o600);

    const server = await cli('server-cert', '--ca', 'ca', '--host', 'localhost', '--host', '127.0.0.1');
    expect(server.code).toBe(0);
    expect(new X509Certificate(readFileSync(path.join(dir, 'ca/server-cert.pem'))).subjectAltName)
      .toBe('DNS:localhost, IP Address:127.0.0.1');

    expect((await cli('register-agency', '--id', 'essex-police', '--type', 'POLICE', '--mode', 'pull', '--name', 'Essex Police')).code).toBe(0);
    const csr = await cli('csr', '--agency', 'essex-police', '--out', 'agency');
    expect(csr.code).toBe(0);
    expect(statSync(path.join(dir, 'agency/essex-police-key.pem')).mode & 0o777).toBe(0o600);

    const issue = await cli('issue', '--agency', 'essex-police', '--csr', 'agency/essex-police-csr.pem', '--out', 'agency/cert.pem', '--ca', 'ca');
    expect(issue.code).toBe(0);
    const cert = new X509Certificate(readFileSync(path.join(dir, 'agency/cert.pem')));
    expect(cert.subject).toContain('CN=essex-police');
    expect(cert.verify(new X509Certificate(caPem).publicKey)).toBe(true);
    const serial = cert.serialNumber.toLowerCase();
    expect(issue.out).toContain(serial);

    const list = await cli('list');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/essex-police\s+POLICE\s+pull/);
    expect(list.out).toMatch(new RegExp(`serial ${serial} .* valid`));
    const json = JSON.parse((await cli('list', '--json')).out);
    expect(json.agencies[0].certificates[0]).toMatchObject({ serialHex: serial, status: 'valid' });

    expect((await cli('revoke', '--serial', serial, '--reason', 'keyCompromise')).code).toBe(0);
    expect((await cli('list')).out).toMatch(new RegExp(`serial ${serial} .* revoked \\(keyCompromise\\)`));
    const again = await cli('revoke', '--serial', serial);
    expect(again.code).toBe(1);
    expect(again.err).toContain('CERTIFICATE_ALREADY_REVOKED');

    const rows = await db.pool.query('SELECT revoked_at FROM agency_certificates WHERE serial = $1', [serial]);
    expect(rows.rows[0].revoked_at).toBeInstanceOf(Date);

    // Each change is in the tamper-evident log (sequenced by the CLI itself), with the CLI as actor.
    const events = await db.pool.query<{ action: string; actor_kind: string; actor_id: string; reason_code: string | null }>(
      'SELECT action, actor_kind, actor_id, reason_code FROM audit_events ORDER BY seq',
    );
    expect(events.rows.map((e) => e.action)).toEqual(['AGENCY_REGISTERED', 'CERTIFICATE_ISSUED', 'CERTIFICATE_REVOKED']);
    expect(events.rows.every((e) => e.actor_kind === 'system' && e.actor_id.startsWith('pki-cli-'))).toBe(true);
    expect(events.rows[2]!.reason_code).toBe('KEY_COMPROMISE');
    expect((await db.pool.query('SELECT count(*)::int AS n FROM audit_pending')).rows[0].n).toBe(0);
  });

  it('reports refusals with the gateway error code and exit code 1', async () => {
    await cli('register-agency', '--id', 'dup-agency', '--type', 'IDVA', '--mode', 'pull');
    const dup = await cli('register-agency', '--id', 'dup-agency', '--type', 'IDVA', '--mode', 'pull');
    expect(dup.code).toBe(1);
    expect(dup.err).toContain('AGENCY_EXISTS');
    const push = await cli('register-agency', '--id', 'push-agency', '--type', 'HOUSING', '--mode', 'push');
    expect(push.code).toBe(1);
    expect(push.err).toContain('VALIDATION_FAILED');
    expect(push.err).toContain('pushUrl');
    const ghost = await cli('revoke', '--serial', '0'.repeat(32));
    expect(ghost.code).toBe(1);
    expect(ghost.err).toContain('CERTIFICATE_NOT_FOUND');
    expect((await cli('disable-agency', '--id', 'dup-agency')).code).toBe(0);
    expect((await cli('list')).out).toMatch(/dup-agency .*DISABLED/);
    const enabled = await cli('enable-agency', '--id', 'dup-agency');
    expect(enabled.code).toBe(0);
    expect((await cli('list')).out).not.toMatch(/dup-agency .*DISABLED/);
    const again = await cli('enable-agency', '--id', 'dup-agency');
    expect(again.code).toBe(1);
    expect(again.err).toContain('AGENCY_NOT_DISABLED');
  });

  it('refuses bad usage with exit code 2 and writes nothing', async () => {
    expect((await cli()).code).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('init-ca')).err).toContain('--out is required');
    expect((await cli('init-ca', '--out', 'x', '--bogus')).code).toBe(2);
    const overwrite = await cli('init-ca', '--out', 'ca');
    expect(overwrite.code).toBe(2);
    expect(overwrite.err).toContain('refusing to overwrite');
    const noCa = await cli('issue', '--agency', 'essex-police', '--csr', 'agency/essex-police-csr.pem', '--out', 'x.pem', '--ca', 'nowhere');
    expect(noCa.code).toBe(2);
    expect(existsSync(path.join(dir, 'x.pem'))).toBe(false);
    expect((await cli('server-cert', '--ca', 'ca', '--out', 'srv2')).err).toContain('--host');
    expect((await cli('init-ca', '--out', 'ca3', '--days', 'ten')).code).toBe(2);
    expect((await cli('--help')).code).toBe(0);
  });

  it('exits 3 with a clear message when the database cannot be reached', async () => {
    const down = await cli('list', '--database-url', 'postgres://postgres@127.0.0.1:1/nowhere');
    expect(down.code).toBe(3);
    expect(down.err).toContain('cannot use the database (ECONNREFUSED)');
  });

  it('runs as a script with the documented exit codes', async () => {
    const run = promisify(execFile);
    const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
    const failed = await run(tsx, [path.join(ROOT, 'scripts/pki.ts'), 'frobnicate'], { cwd: dir }).catch((e) => e);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('unknown command');
    const ok = await run(tsx, [path.join(ROOT, 'scripts/pki.ts'), 'csr', '--agency', 'safe-steps-idva', '--out', 'script'], { cwd: dir });
    expect(ok.stdout).toContain('safe-steps-idva-csr.pem');
    expect(existsSync(path.join(dir, 'script/safe-steps-idva-key.pem'))).toBe(true);
  });
});
