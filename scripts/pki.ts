/**
 * Gateway PKI and agency registry from the command line:
 *
 *   npm run pki -- init-ca --out <dir> [--cn <name>] [--days 3650]
 *   npm run pki -- server-cert --ca <dir> --host localhost [--host 127.0.0.1 ...] [--out <dir>] [--days 397]
 *   npm run pki -- gateway-client-cert --ca <dir> [--out <dir>] [--days 825]   (the gateway's push identity)
 *   npm run pki -- csr --agency <id> --out <dir>          (run by the agency: it keeps the key)
 *   npm run pki -- register-agency --id <id> --type <TYPE> --mode pull|push [--push-url <https url>]
 *                                  [--name <name>] [--area <marac area>]
 *   npm run pki -- issue --agency <id> --csr <file> --out <file> [--ca <dir>] [--days 365]
 *   npm run pki -- revoke --serial <serial or sha256 fingerprint> [--reason keyCompromise]
 *   npm run pki -- disable-agency --id <id>
 *   npm run pki -- enable-agency --id <id>
 *   npm run pki -- list [--json]
 *
 * Commands that touch the registry take the database from --database-url, else DATABASE_URL,
 * else (development) the embedded database `npm start` runs. Every change is audited in the
 * gateway's log with actor `system:pki-cli-<os user>`. The CA directory defaults to PKI_DIR
 * (`.data/pki`), holding ca-cert.pem and ca-key.pem (the same files `npm start` uses).
 *
 * Exit codes: 0 done; 1 refused (the gateway's error code is printed); 2 usage or configuration
 * error; 3 unexpected failure (e.g. the database is unreachable).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createAuditLog } from '../gateway/src/audit/index.js';
import { ConfigError, loadConfig } from '../gateway/src/config.js';
import { ensureDevKeys } from '../gateway/src/dev/dev-keys.js';
import { issueGatewayClientCert } from '../gateway/src/dev/dev-pki.js';
import { isGatewayError } from '../gateway/src/errors.js';
import { createAgencyRegistry, type AgencyRegistry } from '../gateway/src/identity/agency-registry.js';
import { REVOCATION_REASONS, type DeliveryMode, type RevocationReason } from '../gateway/src/identity/agency-types.js';
import { createCa, createCsr, issueServerCert } from '../gateway/src/identity/pki/ca.js';
import { AGENCY_TYPES, type AgencyType, type SystemPrincipal } from '../gateway/src/identity/principal.js';
import { createPool } from '../gateway/src/store/db.js';
import { migrate } from '../gateway/src/store/migrate.js';

export interface CliIo {
  env: Record<string, string | undefined>;
  cwd: string;
  out(line: string): void;
  err(line: string): void;
}

class UsageError extends Error {}

const USAGE = `usage: npm run pki -- <command> [options]
  init-ca          --out <dir> [--cn <name>] [--days 3650] [--force]
  server-cert      --ca <dir> --host <name> [--host <name>...] [--out <dir>] [--days 397] [--force]
  gateway-client-cert --ca <dir> [--out <dir>] [--days 825] [--force]
  csr              --agency <id> --out <dir> [--force]
  register-agency  --id <id> --type <${AGENCY_TYPES.join('|')}> --mode pull|push [--push-url <url>] [--name <name>] [--area <area>]
  issue            --agency <id> --csr <file> --out <file> [--ca <dir>] [--days 365] [--force]
  revoke           --serial <serial|fingerprint> [--reason ${REVOCATION_REASONS.join('|')}]
  disable-agency   --id <id>
  enable-agency    --id <id>
  list             [--json]
common: --database-url <url> (else DATABASE_URL)`;

const OPTIONS = {
  out: { type: 'string' }, cn: { type: 'string' }, days: { type: 'string' }, force: { type: 'boolean' },
  ca: { type: 'string' }, host: { type: 'string', multiple: true }, agency: { type: 'string' },
  id: { type: 'string' }, type: { type: 'string' }, mode: { type: 'string' }, 'push-url': { type: 'string' },
  name: { type: 'string' }, area: { type: 'string' }, csr: { type: 'string' }, serial: { type: 'string' },
  reason: { type: 'string' }, json: { type: 'boolean' }, 'database-url': { type: 'string' }, help: { type: 'boolean' },
} as const;

type Flags = ReturnType<typeof parse>['values'];

function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
}

export async function runPkiCli(argv: string[], io: CliIo): Promise<number> {
  let flags: Flags;
  let command: string | undefined;
  try {
    const parsed = parse(argv);
    flags = parsed.values;
    command = parsed.positionals[0];
    if (parsed.positionals.length > 1) throw new UsageError(`unexpected argument: ${parsed.positionals[1]}`);
  } catch (err) {
    io.err(`error: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (flags.help || !command) {
    (flags.help ? io.out : io.err)(USAGE);
    return flags.help ? 0 : 2;
  }
  try {
    switch (command) {
      case 'init-ca': return initCa(flags, io);
      case 'server-cert': return serverCert(flags, io);
      case 'gateway-client-cert': return gatewayClientCert(flags, io);
      case 'csr': return csr(flags, io);
      case 'register-agency':
      case 'issue':
      case 'revoke':
      case 'disable-agency':
      case 'enable-agency':
      case 'list':
        return await withRegistry(flags, io, command === 'issue', (registry, actor) => registryCommand(command!, flags, io, registry, actor));
      default:
        throw new UsageError(`unknown command: ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.err(err.message);
      return 2;
    }
    if (isGatewayError(err)) {
      io.err(`error ${err.code}: ${err.message}`);
      for (const p of err.problems ?? []) io.err(`  ${p.path}: ${p.message}`);
      return 1;
    }
    const code = (err as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '3D000' || code === '28P01') {
      io.err(`failed: cannot use the database (${code}); pass --database-url or set DATABASE_URL, or run \`npm start\` for the embedded one`);
    } else {
      io.err(`failed: ${(err as Error).message}`);
    }
    return 3;
  }
}

function initCa(f: Flags, io: CliIo): number {
  const dir = resolveDir(io, required(f.out, '--out'));
  const days = intFlag(f.days, 3650);
  const certFile = path.join(dir, 'ca-cert.pem');
  const keyFile = path.join(dir, 'ca-key.pem');
  refuseOverwrite([certFile, keyFile], f.force);
  const ca = createCa({ commonName: f.cn ?? 'MARAC Gateway CA', validDays: days });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, ca.keyPem, { mode: 0o600 });
  writeFileSync(certFile, ca.certPem, { mode: 0o644 });
  io.out(`CA created: ${certFile}\nCA key (keep it secret): ${keyFile}`);
  return 0;
}

function serverCert(f: Flags, io: CliIo): number {
  const caDir = resolveDir(io, required(f.ca, '--ca'));
  const hosts = f.host ?? [];
  if (hosts.length === 0) throw new UsageError('at least one --host is required');
  const outDir = f.out ? resolveDir(io, f.out) : caDir;
  const certFile = path.join(outDir, 'server-cert.pem');
  const keyFile = path.join(outDir, 'server-key.pem');
  refuseOverwrite([certFile, keyFile], f.force);
  const issued = issueServerCert(readCa(caDir), { hostnames: hosts, validDays: intFlag(f.days, 397) });
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, issued.keyPem, { mode: 0o600 });
  writeFileSync(certFile, issued.certPem, { mode: 0o644 });
  io.out(`server certificate for ${hosts.join(', ')}: ${certFile}\nserial ${issued.serialHex}\nsha256 ${issued.fingerprint256}`);
  return 0;
}

/** The gateway's client certificate for push deliveries, issued where the CA key is kept. */
function gatewayClientCert(f: Flags, io: CliIo): number {
  const caDir = resolveDir(io, required(f.ca, '--ca'));
  const outDir = f.out ? resolveDir(io, f.out) : caDir;
  const certFile = path.join(outDir, 'gateway-client-cert.pem');
  const keyFile = path.join(outDir, 'gateway-client-key.pem');
  refuseOverwrite([certFile, keyFile], f.force);
  const issued = issueGatewayClientCert(readCa(caDir), intFlag(f.days, 825));
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, issued.keyPem, { mode: 0o600 });
  writeFileSync(certFile, issued.certPem, { mode: 0o644 });
  io.out(`gateway client certificate (push deliveries): ${certFile}`);
  return 0;
}

function csr(f: Flags, io: CliIo): number {
  const agencyId = required(f.agency, '--agency');
  const dir = resolveDir(io, required(f.out, '--out'));
  const keyFile = path.join(dir, `${agencyId}-key.pem`);
  const csrFile = path.join(dir, `${agencyId}-csr.pem`);
  refuseOverwrite([keyFile, csrFile], f.force);
  const made = createCsr({ agencyId });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, made.keyPem, { mode: 0o600 });
  writeFileSync(csrFile, made.csrPem, { mode: 0o644 });
  io.out(`private key (keep it; never send it): ${keyFile}\nCSR (send to the gateway administrator): ${csrFile}`);
  return 0;
}

async function registryCommand(
  command: string, f: Flags, io: CliIo, registry: AgencyRegistry, actor: SystemPrincipal,
): Promise<number> {
  switch (command) {
    case 'register-agency': {
      const type = required(f.type, '--type');
      const agency = await registry.registerAgency(actor, {
        id: required(f.id, '--id'),
        name: f.name ?? required(f.id, '--id'),
        type: type as AgencyType,
        deliveryMode: required(f.mode, '--mode') as DeliveryMode,
        ...(f['push-url'] !== undefined ? { pushUrl: f['push-url'] } : {}),
        ...(f.area !== undefined ? { maracArea: f.area } : {}),
      });
      io.out(`agency registered: ${agency.id} (${agency.type}, ${agency.deliveryMode}${agency.pushUrl ? ` to ${agency.pushUrl}` : ''})`);
      return 0;
    }
    case 'issue': {
      const agencyId = required(f.agency, '--agency');
      const csrPem = readInput(io, required(f.csr, '--csr'));
      const outFile = path.resolve(io.cwd, required(f.out, '--out'));
      refuseOverwrite([outFile], f.force);
      const issued = await registry.issueCertificate(actor, agencyId, csrPem, f.days ? { validDays: intFlag(f.days, 365) } : {});
      mkdirSync(path.dirname(outFile), { recursive: true });
      writeFileSync(outFile, issued.certPem, { mode: 0o644 });
      io.out(`certificate for ${agencyId}: ${outFile}\nserial ${issued.serialHex}\nsha256 ${issued.fingerprint256}\nvalid until ${issued.notAfter.toISOString()}`);
      return 0;
    }
    case 'revoke': {
      const reason = (f.reason ?? 'unspecified') as RevocationReason;
      const record = await registry.revoke(actor, required(f.serial, '--serial'), reason);
      io.out(`revoked: serial ${record.serialHex} of ${record.agencyId} (${record.revocationReason}) at ${record.revokedAt?.toISOString()}`);
      return 0;
    }
    case 'disable-agency': {
      const agency = await registry.disableAgency(actor, required(f.id, '--id'));
      io.out(`agency disabled: ${agency.id}; none of its certificates authenticate any more`);
      return 0;
    }
    case 'enable-agency': {
      const agency = await registry.enableAgency(actor, required(f.id, '--id'));
      io.out(`agency enabled: ${agency.id}; its valid certificates authenticate again`);
      return 0;
    }
    default: { // list
      const agencies = await registry.listAgencies();
      const certs = await registry.listCertificates();
      const now = Date.now();
      const status = (c: (typeof certs)[number]) =>
        c.revokedAt ? `revoked (${c.revocationReason})` : c.notAfter.getTime() <= now ? 'expired'
          : c.notBefore.getTime() > now ? 'not yet valid' : 'valid';
      if (f.json) {
        io.out(JSON.stringify({
          agencies: agencies.map((a) => ({ ...a, certificates: certs.filter((c) => c.agencyId === a.id).map((c) => ({ ...c, status: status(c) })) })),
        }, null, 2));
        return 0;
      }
      if (agencies.length === 0) io.out('no agencies registered');
      for (const a of agencies) {
        io.out(`${a.id}  ${a.type}  ${a.deliveryMode}${a.pushUrl ? ` ${a.pushUrl}` : ''}${a.disabledAt ? '  DISABLED' : ''}  "${a.name}"`);
        for (const c of certs.filter((x) => x.agencyId === a.id)) {
          io.out(`    serial ${c.serialHex}  until ${c.notAfter.toISOString().slice(0, 10)}  ${status(c)}  sha256 ${c.fingerprint256}`);
        }
      }
      return 0;
    }
  }
}

/** Only `issue` reads the CA key (from --ca, else PKI_DIR); the other commands never touch it. */
async function withRegistry(
  f: Flags, io: CliIo, needsCaKey: boolean, fn: (r: AgencyRegistry, actor: SystemPrincipal) => Promise<number>,
): Promise<number> {
  let cfg = loadConfig(io.env, io.cwd);
  if (cfg.mode === 'development') cfg = { ...cfg, keys: ensureDevKeys(cfg).keys };
  const url = f['database-url'] ?? cfg.databaseUrl
    ?? (cfg.mode === 'development' ? `postgres://postgres:postgres@127.0.0.1:${cfg.embeddedPgPort}/marac` : undefined);
  if (!url) throw new UsageError('no database: pass --database-url or set DATABASE_URL');
  const caDir = f.ca ? resolveDir(io, f.ca) : cfg.pki.dir;
  const ca = needsCaKey ? readCa(caDir) : { certPem: '' };
  const pool = createPool(url, 2);
  const audit = createAuditLog({ hmacKey: cfg.keys.hmac });
  const actor: SystemPrincipal = { kind: 'system', component: `pki-cli-${safeUser()}`.slice(0, 64) };
  const registry = createAgencyRegistry({ pool, audit, ca, statusCacheTtlMs: 0 });
  try {
    await migrate(pool);
    const code = await fn(registry, actor);
    // Sequence our events into the tamper-evident log now (a running gateway would do it too).
    await audit.integrate(pool);
    return code;
  } finally {
    await registry.close();
    await pool.end();
  }
}

function readCa(dir: string): { certPem: string; keyPem: string } {
  const certFile = path.join(dir, 'ca-cert.pem');
  const keyFile = path.join(dir, 'ca-key.pem');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    throw new UsageError(`no CA in ${dir} (expected ca-cert.pem and ca-key.pem; create one with init-ca)`);
  }
  return { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
}

function readInput(io: CliIo, file: string): string {
  const p = path.resolve(io.cwd, file);
  if (!existsSync(p)) throw new UsageError(`file not found: ${file}`);
  return readFileSync(p, 'utf8');
}

function resolveDir(io: CliIo, dir: string): string {
  return path.resolve(io.cwd, dir);
}

function refuseOverwrite(files: string[], force: boolean | undefined): void {
  if (force) return;
  const existing = files.filter((f) => existsSync(f));
  if (existing.length) throw new UsageError(`refusing to overwrite ${existing.join(', ')} (use --force)`);
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

function intFlag(value: string | undefined, def: number): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`expected a positive whole number of days, got "${value}"`);
  return n;
}

function safeUser(): string {
  try {
    return userInfo().username.toLowerCase().replace(/[^a-z0-9-]/g, '') || 'unknown';
  } catch {
    return 'unknown';
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const code = await runPkiCli(process.argv.slice(2), {
    env: process.env, cwd: process.cwd(), out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`),
  });
  process.exitCode = code;
}
