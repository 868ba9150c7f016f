/**
 * Adapter configuration: a JSON config file (optional) overlaid by command-line flags. Paths in a
 * config file are relative to the file. Every problem is reported at once.
 *
 *   --config <file>        JSON config (keys as below, camelCase)
 *   --gateway <url>        https://gateway:port                    (gateway)
 *   --cert/--key <file>    agency client certificate and key (PEM)  (cert, key)
 *   --ca <file>            CA for the gateway's certificate         (ca)
 *   --data <dir>           the agency export directory              (data)
 *   --mode pull|push       default pull                             (mode)
 *   --push-host/--push-port, --push-cert/--push-key   push receiver (push.host, push.port, push.cert, push.key)
 *   --gateway-id <cn>      CN the gateway's client certificate must carry in push mode (gatewayId)
 *   --state-dir <dir>      durable journal of received messages     (stateDir)
 *   --wait <seconds>       long-poll wait, 0..30, default 20        (waitSeconds)
 *   --role <text>          completedByRole on responses             (completedByRole)
 *   source (file only)     where the agency's people are searched (decision 0025): absent = the
 *                          export in --data served from memory; { "kind": "csv", "folder", "columns",
 *                          "pattern"? } or { "kind": "sql", "people", "records", "connectionString"? }
 *                          (the connection string may come from MARAC_SOURCE_DATABASE_URL instead)
 *   --health-port/--health-host  the adapter's own /healthz and /metrics (health.port, health.host;
 *                          default host 127.0.0.1; off unless a port is given)
 *   --once                 poll once, answer, exit
 *   --check                validate every record offline and exit (no gateway needed)
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AdapterConfigInvalid } from './errors.js';
import type { ProblemDetail } from '@marac/schemas';

export interface AdapterConfig {
  gateway?: string;
  certPem?: string;
  keyPem?: string;
  caPem?: string;
  dataDir: string;
  mode: 'pull' | 'push';
  push?: { host: string; port: number; certPem: string; keyPem: string };
  gatewayId: string;
  stateDir?: string;
  waitSeconds: number;
  completedByRole?: string;
  once: boolean;
  check: boolean;
  /** Extra flags an adapter reads itself (e.g. social care's --service). */
  extra: Record<string, string>;
  /** The source configuration (SQL or CSV), paths resolved; absent: the export in `dataDir`, in memory. */
  source?: Record<string, unknown> & { kind: 'sql' | 'csv' };
  /** The adapter's health listener (/healthz, /metrics), when a port is configured. */
  health?: { host: string; port: number };
}

type Raw = Record<string, unknown>;

const FLAG: Record<string, string> = {
  gateway: 'gateway', cert: 'cert', key: 'key', ca: 'ca', data: 'data', mode: 'mode', 'push-host': 'push.host', 'push-port': 'push.port',
  'push-cert': 'push.cert', 'push-key': 'push.key', 'gateway-id': 'gatewayId', 'state-dir': 'stateDir', wait: 'waitSeconds', role: 'completedByRole',
  'health-port': 'health.port', 'health-host': 'health.host',
};

export function parseArgs(argv: readonly string[]): { flags: Raw; bools: Set<string>; extra: Record<string, string>; problems: ProblemDetail[] } {
  const flags: Raw = {};
  const bools = new Set<string>();
  const extra: Record<string, string> = {};
  const problems: ProblemDetail[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--once' || a === '--check') {
      bools.add(a.slice(2));
      continue;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) {
      problems.push({ path: `argv[${i}]`, code: 'UNEXPECTED_ARGUMENT', message: `unexpected argument ${a}` });
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) {
      problems.push({ path: `--${m[1]}`, code: 'MISSING_VALUE', message: `--${m[1]} needs a value` });
      continue;
    }
    if (m[1] === 'config') flags.config = value;
    else if (FLAG[m[1]!]) flags[FLAG[m[1]!]!] = value;
    else extra[m[1]!] = value;
  }
  return { flags, bools, extra, problems };
}

function readPem(path: string | undefined, name: string, problems: ProblemDetail[], base: string): string | undefined {
  if (!path) return undefined;
  try {
    const pem = readFileSync(resolve(base, path), 'utf8');
    if (!pem.includes('-----BEGIN ')) problems.push({ path: name, code: 'NOT_PEM', message: `${name} is not a PEM file` });
    return pem;
  } catch {
    problems.push({ path: name, code: 'UNREADABLE', message: `cannot read ${name} file` });
    return undefined;
  }
}

export function loadAdapterConfig(argv: readonly string[], defaults: { dataDir: string; cwd?: string }): AdapterConfig {
  const cwd = defaults.cwd ?? process.cwd();
  const { flags, bools, extra, problems } = parseArgs(argv);
  let file: Raw = {};
  let fileBase = cwd;
  if (typeof flags.config === 'string') {
    fileBase = dirname(resolve(cwd, flags.config));
    try {
      file = JSON.parse(readFileSync(resolve(cwd, flags.config), 'utf8')) as Raw;
      if (!file || typeof file !== 'object' || Array.isArray(file)) throw new Error('not an object');
    } catch {
      problems.push({ path: '--config', code: 'UNREADABLE', message: 'config file missing or not a JSON object' });
      file = {};
    }
  }
  const filePush = (file.push && typeof file.push === 'object' ? file.push : {}) as Raw;
  // Flags win over the file; a flag's path is relative to cwd, a file's to the file.
  const pick = (flag: string, fileValue: unknown): { v: string | undefined; base: string } =>
    typeof flags[flag] === 'string' ? { v: flags[flag] as string, base: cwd } : { v: fileValue === undefined ? undefined : String(fileValue), base: fileBase };

  const check = bools.has('check');
  const gateway = pick('gateway', file.gateway);
  const cert = pick('cert', file.cert);
  const key = pick('key', file.key);
  const ca = pick('ca', file.ca);
  const data = pick('data', file.data);
  const mode = pick('mode', file.mode).v ?? 'pull';
  const wait = pick('waitSeconds', file.waitSeconds).v ?? '20';
  const stateDir = pick('stateDir', file.stateDir);
  const gatewayId = pick('gatewayId', file.gatewayId).v ?? 'marac-gateway';
  const role = pick('completedByRole', file.completedByRole).v;
  const fileHealth = (file.health && typeof file.health === 'object' ? file.health : {}) as Raw;
  const healthPort = pick('health.port', fileHealth.port).v;
  const healthHost = pick('health.host', fileHealth.host).v ?? '127.0.0.1';
  let health: AdapterConfig['health'];
  if (healthPort !== undefined) {
    const n = Number(healthPort);
    if (!Number.isInteger(n) || n < 0 || n > 65535) problems.push({ path: 'health.port', code: 'range', message: 'health port must be 0..65535' });
    else health = { host: healthHost, port: n };
  }

  if (mode !== 'pull' && mode !== 'push') problems.push({ path: 'mode', code: 'enum', message: 'mode must be pull or push' });
  const waitSeconds = Number(wait);
  if (!Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > 30) problems.push({ path: 'waitSeconds', code: 'range', message: 'wait must be 0..30 seconds' });
  if (!check) {
    if (!gateway.v) problems.push({ path: 'gateway', code: 'required', message: '--gateway is required' });
    else if (!/^https:\/\//.test(gateway.v)) problems.push({ path: 'gateway', code: 'HTTPS_REQUIRED', message: 'the gateway URL must be https' });
    for (const [name, p] of [['cert', cert], ['key', key], ['ca', ca]] as const) if (!p.v) problems.push({ path: name, code: 'required', message: `--${name} is required` });
  }
  const certPem = check ? undefined : readPem(cert.v, 'cert', problems, cert.base);
  const keyPem = check ? undefined : readPem(key.v, 'key', problems, key.base);
  const caPem = check ? undefined : readPem(ca.v, 'ca', problems, ca.base);

  let push: AdapterConfig['push'];
  if (mode === 'push' && !check) {
    const host = pick('push.host', filePush.host).v ?? '0.0.0.0';
    const port = Number(pick('push.port', filePush.port).v ?? '8444');
    if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push({ path: 'push.port', code: 'range', message: 'push port must be 0..65535' });
    const pc = pick('push.cert', filePush.cert);
    const pk = pick('push.key', filePush.key);
    if (!pc.v || !pk.v) problems.push({ path: 'push', code: 'required', message: 'push mode needs --push-cert and --push-key (the receiver\'s server certificate)' });
    const pushCert = readPem(pc.v, 'push.cert', problems, pc.base);
    const pushKey = readPem(pk.v, 'push.key', problems, pk.base);
    if (pushCert && pushKey) push = { host, port, certPem: pushCert, keyPem: pushKey };
  }
  const sourcePart = sourceOf(file.source, fileBase, problems);
  if (problems.length) throw new AdapterConfigInvalid(`adapter configuration has ${problems.length} problem(s)`, { problems });
  return {
    ...(gateway.v ? { gateway: gateway.v } : {}),
    ...(certPem ? { certPem } : {}),
    ...(keyPem ? { keyPem } : {}),
    ...(caPem ? { caPem } : {}),
    dataDir: data.v ? resolve(data.base, data.v) : defaults.dataDir,
    mode: mode as 'pull' | 'push',
    ...(push ? { push } : {}),
    gatewayId,
    ...(stateDir.v ? { stateDir: resolve(stateDir.base, stateDir.v) } : {}),
    waitSeconds,
    ...(role ? { completedByRole: role } : {}),
    once: bools.has('once'),
    check,
    ...sourcePart,
    ...(health ? { health } : {}),
    extra: { ...Object.fromEntries(Object.entries(file).filter(([k, v]) => typeof v === 'string' && !['gateway', 'cert', 'key', 'ca', 'data', 'mode', 'stateDir', 'gatewayId', 'completedByRole', 'source', 'health'].includes(k))) as Record<string, string>, ...extra },
  };
}

/** The config file's `source`: kind checked, a CSV folder resolved against the file, a SQL URL from the environment if absent. */
function sourceOf(raw: unknown, base: string, problems: ProblemDetail[]): { source?: AdapterConfig['source'] } {
  if (raw === undefined) return {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ path: 'source', code: 'type', message: 'source must be an object' });
    return {};
  }
  const src = { ...(raw as Record<string, unknown>) };
  if (src.kind === 'csv') {
    if (typeof src.folder === 'string') src.folder = resolve(base, src.folder);
  } else if (src.kind === 'sql') {
    src.connectionString ??= process.env.MARAC_SOURCE_DATABASE_URL;
  } else {
    problems.push({ path: 'source.kind', code: 'enum', message: 'source.kind must be csv or sql' });
    return {};
  }
  return { source: src as AdapterConfig['source'] };
}
