import { isIP } from 'node:net';
import path from 'node:path';
import { parseWitnessKey } from './audit/cosignature.js';
import { parseAgencyLimitOverrides, type AgencyLimitsConfig } from './http/agency-limits.js';
import { SETTINGS, defaultFor, type Setting, type SettingName, type SettingOfType } from './settings.js';
import { parseTeamMailboxes } from './notifications/people-directory.js';
import type { NotificationsConfig } from './notifications/service.js';
import { isKind, type NotificationKind } from './notifications/types.js';

/**
 * The one config loader (medplum `config/loader.ts` style): every key typed, defaults explicit,
 * every problem collected and reported at once. Only this file reads the environment, and only
 * through the declarations in settings.ts (type, default, limits, meaning; docs/configuration.md
 * is generated from them), so a default or a range is written in one place.
 */
export type Mode = 'development' | 'production';

export interface GatewayConfig {
  mode: Mode;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** Folder for the embedded database, dev PKI and dev keys. */
  dataDir: string;
  /** Absent → the embedded PostgreSQL in `dataDir/pg` (development only). */
  databaseUrl?: string;
  /** The migration owner's URL; migrations run with it at start-up (the runtime role cannot). */
  migrationDatabaseUrl?: string;
  embeddedPgPort: number;
  /** Absent → BullMQ's PostgreSQL backend on the same database. */
  redisUrl?: string;
  queuePrefix: string;
  agencyApi: { host: string; port: number };
  /** Per-certificate rate, concurrency and long-poll limits, and the listener's connection cap. */
  agencyLimits: AgencyLimitsConfig;
  /**
   * trustedProxies: addresses (IP or CIDR) of reverse proxies in front of the web listener. Only a
   * request whose socket comes from one of them has its X-Forwarded-For believed (for the client
   * address the sign-in limiter keys on); empty = believe no one.
   */
  web: { host: string; port: number; publicUrl: string; trustedProxies: string[] };
  /** Sign-ins started per client address per window (failed callbacks are counted separately). */
  loginRateLimit: { windowMs: number; limit: number };
  /** The operations listener: /readyz and /metrics, kept off the public web listener. */
  ops: { host: string; port: number };
  pki: { dir: string };
  /** Trusted TLS-terminating proxy that forwards the client certificate in a header (off unless set). */
  trustedProxy?: { header: string; trustedCidrs: string[] };
  keys: {
    /** AES-256-GCM keys for research at rest: id → 32 bytes. */
    sealing: Record<string, Buffer>;
    currentSealingKeyId: string;
    /** HMAC key for subject tokens and the pseudonymise operator. */
    hmac: Buffer;
    /** Ed25519 private key (PEM) that signs audit checkpoints. */
    auditSigningKeyPem?: string;
    auditKeyId: string;
  };
  /** workerLockMs: how long a job may run before another worker may take it over (crashed worker). */
  delivery: { maxAttempts: number; backoffMs: number; timeoutMs: number; sweepIntervalMs: number; workerLockMs: number };
  deadlines: { workingDaysBefore: number; cutoffHour: number; reminderWorkingDaysBefore: number };
  checkpoint: { intervalMs: number; everyEvents: number };
  /**
   * Witnesses that cosign audit checkpoints (c2sp.org/tlog-witness): URL and verifier key each.
   * `embedded`: development with none configured, so main.ts starts one on loopback. `disabled`:
   * explicitly none (AUDIT_WITNESS_DISABLED=true), the only way production runs without one.
   */
  witness: { endpoints: { url: string; key: string }[]; embedded: boolean; disabled: boolean; timeoutMs: number; maxBackoffMs: number };
  oidc: {
    issuerUrl?: string;
    clientId: string;
    clientSecret?: string;
    roleClaim: string;
    agencyClaim: string;
    /** Run the in-process dev OIDC provider (development default; refused in production unless forced). */
    devProvider: boolean;
    devProviderPort: number;
    scopes: string[];
  };
  /** People's browser sessions. */
  sessions: { cookieName: string; secureCookies: boolean; idleMinutes: number; absoluteHours: number };
  policiesDir: string;
  demo: { adapters: boolean; followUpSeconds: number };
  /** How people are told (docs/decisions/0022): transport, its settings, team mailboxes, timing. */
  notifications: NotificationsConfig;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env, cwd = process.cwd()): GatewayConfig {
  const problems: string[] = [];
  // Mode-dependent defaults need the mode, which is the first thing read.
  let prod = false;
  /** `computed`: the default of a setting whose default depends on others (declared without one). */
  const str = (k: SettingName, computed?: string): string | undefined => {
    const v = env[k];
    if (v !== undefined && v !== '') return v;
    const d = defaultFor(k, prod);
    return d === undefined ? computed : String(d);
  };
  const int = (k: SettingOfType<'integer'>): number => {
    const { min = 0, max = Number.MAX_SAFE_INTEGER } = SETTINGS[k] as Setting;
    const def = defaultFor(k, prod) as number;
    const raw = env[k];
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${k} must be an integer from ${min} to ${max} (got "${raw}")`);
      return def;
    }
    return n;
  };
  const bool = (k: SettingOfType<'boolean'>): boolean => {
    const def = defaultFor(k, prod) as boolean;
    const raw = env[k];
    if (raw === undefined || raw === '') return def;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    problems.push(`${k} must be true or false (got "${raw}")`);
    return def;
  };
  // Addresses or CIDR blocks, comma-separated; anything else (names, "*", "true") is refused,
  // because trusting more than the proxy lets any client choose the address it is limited by.
  const cidrList = (k: SettingOfType<'list'>): string[] => {
    const items = (str(k) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    for (const item of items) {
      const [addr = '', prefix, extra] = item.split('/');
      const family = isIP(addr);
      const max = family === 4 ? 32 : 128;
      const okPrefix = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max);
      if (family === 0 || extra !== undefined || !okPrefix) problems.push(`${k}: "${item}" is not an IP address or CIDR block`);
      else if (prefix !== undefined && Number(prefix) === 0) problems.push(`${k}: "${item}" would trust every address`);
    }
    return items;
  };
  const url = (k: SettingOfType<'url'>): string | undefined => {
    const protocols = (SETTINGS[k] as Setting).protocols ?? [];
    const raw = str(k);
    if (raw === undefined) return undefined;
    try {
      const u = new URL(raw);
      if (!protocols.includes(u.protocol)) problems.push(`${k} must use ${protocols.join(' or ')} (got ${u.protocol})`);
    } catch {
      problems.push(`${k} is not a valid URL`);
    }
    return raw;
  };

  const modeRaw = str('MARAC_MODE');
  if (modeRaw !== 'development' && modeRaw !== 'production') problems.push(`MARAC_MODE must be development or production (got "${modeRaw}")`);
  const mode: Mode = modeRaw === 'production' ? 'production' : 'development';
  prod = mode === 'production';

  const logLevel = str('LOG_LEVEL') as GatewayConfig['logLevel'];
  if (!SETTINGS.LOG_LEVEL.values.includes(logLevel)) problems.push(`LOG_LEVEL must be ${SETTINGS.LOG_LEVEL.values.join(', ')} (got "${logLevel}")`);

  const dataDir = path.resolve(cwd, str('MARAC_DATA_DIR')!);
  const databaseUrl = url('DATABASE_URL');
  const migrationDatabaseUrl = url('MIGRATION_DATABASE_URL');
  const redisUrl = url('REDIS_URL');
  if (prod && !databaseUrl) problems.push('DATABASE_URL is required in production (the embedded database is for development)');

  // Keys: production must supply them; development generates them in dataDir (see dev-keys.ts), announced at start.
  const sealing: Record<string, Buffer> = {};
  const sealingRaw = str('SEALING_KEYS'); // "k1:base64,k2:base64"
  if (sealingRaw) {
    for (const part of sealingRaw.split(',')) {
      const [id, b64] = part.split(':');
      const buf = b64 ? Buffer.from(b64, 'base64') : Buffer.alloc(0);
      if (!id || buf.length !== 32) problems.push(`SEALING_KEYS entry "${id ?? ''}" must be <id>:<base64 of 32 bytes>`);
      else sealing[id] = buf;
    }
  } else if (prod) problems.push('SEALING_KEYS is required in production');
  const currentSealingKeyId = str('SEALING_KEY_ID', Object.keys(sealing)[0] ?? 'dev-1')!;
  if (sealingRaw && !sealing[currentSealingKeyId]) problems.push(`SEALING_KEY_ID "${currentSealingKeyId}" is not in SEALING_KEYS`);

  let hmac = Buffer.alloc(0);
  const hmacRaw = str('SUBJECT_HMAC_KEY');
  if (hmacRaw) {
    hmac = Buffer.from(hmacRaw, 'base64');
    if (hmac.length < 32) problems.push('SUBJECT_HMAC_KEY must be base64 of at least 32 bytes');
  } else if (prod) problems.push('SUBJECT_HMAC_KEY is required in production');

  const auditSigningKeyPem = str('AUDIT_SIGNING_KEY_PEM');
  if (prod && !auditSigningKeyPem) problems.push('AUDIT_SIGNING_KEY_PEM is required in production');
  if (auditSigningKeyPem && !auditSigningKeyPem.includes('PRIVATE KEY')) problems.push('AUDIT_SIGNING_KEY_PEM must be a PEM private key');

  const witnessUrls = (str('AUDIT_WITNESS_URLS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const witnessKeys = (str('AUDIT_WITNESS_KEYS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const witnessDisabled = bool('AUDIT_WITNESS_DISABLED');
  for (const [i, u] of witnessUrls.entries()) {
    try {
      if (!['http:', 'https:'].includes(new URL(u).protocol)) problems.push(`AUDIT_WITNESS_URLS entry ${i + 1} must be http(s)`);
    } catch {
      problems.push(`AUDIT_WITNESS_URLS entry ${i + 1} is not a URL`);
    }
  }
  for (const [i, k] of witnessKeys.entries()) {
    try {
      parseWitnessKey(k);
    } catch (err) {
      problems.push(`AUDIT_WITNESS_KEYS entry ${i + 1}: ${(err as Error).message}`);
    }
  }
  if (witnessUrls.length !== witnessKeys.length) problems.push('AUDIT_WITNESS_URLS and AUDIT_WITNESS_KEYS must list the same number of witnesses');
  if (witnessDisabled && witnessUrls.length > 0) problems.push('AUDIT_WITNESS_DISABLED=true contradicts AUDIT_WITNESS_URLS');
  if (prod && witnessUrls.length === 0 && !witnessDisabled) {
    problems.push('AUDIT_WITNESS_URLS and AUDIT_WITNESS_KEYS are required in production (a witness at another organisation), or AUDIT_WITNESS_DISABLED=true to run unwitnessed');
  }

  const issuerUrl = url('OIDC_ISSUER_URL');
  const devProvider = bool('DEV_OIDC');
  // Read (and checked) whatever the mode: a malformed value is reported, never silently unused.
  const devProviderInProduction = bool('DEV_OIDC_ALLOW_IN_PRODUCTION');
  if (prod && !issuerUrl && !devProvider) problems.push('OIDC_ISSUER_URL is required in production');
  if (prod && devProvider && !devProviderInProduction) {
    problems.push('DEV_OIDC is refused in production unless DEV_OIDC_ALLOW_IN_PRODUCTION=true');
  }
  if (issuerUrl && !str('OIDC_CLIENT_SECRET')) problems.push('OIDC_CLIENT_SECRET is required with OIDC_ISSUER_URL');

  const webPort = int('WEB_PORT');
  const webHost = str('WEB_HOST')!;
  const publicUrl = url('PUBLIC_URL') ?? `http://${webHost === '0.0.0.0' ? '127.0.0.1' : webHost}:${webPort}`;

  const webTrustedProxies = cidrList('WEB_TRUSTED_PROXIES');

  let trustedProxy: GatewayConfig['trustedProxy'];
  const proxyHeader = str('TRUSTED_PROXY_CERT_HEADER');
  if (proxyHeader) {
    const cidrs = (str('TRUSTED_PROXY_CIDRS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (cidrs.length === 0) problems.push('TRUSTED_PROXY_CIDRS is required with TRUSTED_PROXY_CERT_HEADER');
    trustedProxy = { header: proxyHeader.toLowerCase(), trustedCidrs: cidrs };
  }

  const notifications = readNotifications();
  function readNotifications(): NotificationsConfig {
    const transport = str('NOTIFICATIONS_TRANSPORT') as NotificationsConfig['transport'];
    if (!SETTINGS.NOTIFICATIONS_TRANSPORT.values.includes(transport)) {
      problems.push(`NOTIFICATIONS_TRANSPORT must be ${SETTINGS.NOTIFICATIONS_TRANSPORT.values.join(', ')} (got "${transport}")`);
    }
    if (prod && transport === 'dev-smtp') problems.push('NOTIFICATIONS_TRANSPORT=dev-smtp is refused in production (use notify or smtp)');
    const apiKey = str('NOTIFY_API_KEY');
    const templateId = str('NOTIFY_TEMPLATE_ID');
    const baseUrl = url('NOTIFY_BASE_URL');
    const templates: Partial<Record<NotificationKind, string>> = {};
    for (const part of (str('NOTIFY_TEMPLATE_IDS') ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
      const [kind, id] = part.split('=');
      if (!isKind(kind) || !id || !/^[0-9a-f-]{36}$/i.test(id)) problems.push(`NOTIFY_TEMPLATE_IDS: "${part}" is not <KIND>=<template id>`);
      else templates[kind] = id;
    }
    if (transport === 'notify') {
      if (!apiKey || apiKey.length < 74) problems.push('NOTIFY_API_KEY (the whole key, <name>-<service id>-<secret>) is required with NOTIFICATIONS_TRANSPORT=notify');
      if (!templateId) problems.push('NOTIFY_TEMPLATE_ID is required with NOTIFICATIONS_TRANSPORT=notify');
      if (prod && baseUrl && !baseUrl.startsWith('https:')) problems.push('NOTIFY_BASE_URL must be https in production');
    }
    const smtpUrl = url('SMTP_URL');
    if (transport === 'smtp' && !smtpUrl) problems.push('SMTP_URL is required with NOTIFICATIONS_TRANSPORT=smtp');
    return {
      transport,
      ...(transport === 'notify' && apiKey && templateId ? { notify: { apiKey, templateId, templates, ...(baseUrl ? { baseUrl } : {}) } } : {}),
      ...(smtpUrl ? { smtpUrl } : {}),
      from: str('NOTIFICATIONS_FROM')!,
      teamMailboxes: parseTeamMailboxes(str('NOTIFICATIONS_TEAM_MAILBOXES'), problems),
      pollMs: int('NOTIFICATIONS_POLL_MS'),
      maxAttempts: int('NOTIFICATIONS_MAX_ATTEMPTS'),
      actionDueDays: int('NOTIFICATIONS_ACTION_DUE_DAYS'),
      timeoutMs: int('NOTIFICATIONS_TIMEOUT_MS'),
      devSmtpPort: int('DEV_SMTP_PORT'),
    };
  }

  const cfg: GatewayConfig = {
    mode,
    logLevel,
    dataDir,
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(migrationDatabaseUrl ? { migrationDatabaseUrl } : {}),
    embeddedPgPort: int('EMBEDDED_PG_PORT'),
    ...(redisUrl ? { redisUrl } : {}),
    queuePrefix: str('QUEUE_PREFIX')!,
    agencyApi: { host: str('AGENCY_API_HOST')!, port: int('AGENCY_API_PORT') },
    agencyLimits: {
      defaults: {
        rate: int('AGENCY_RATE_PER_SECOND'),
        burst: int('AGENCY_RATE_BURST'),
        concurrent: int('AGENCY_MAX_CONCURRENT'),
        polls: int('AGENCY_MAX_LONG_POLLS'),
      },
      perAgency: parseAgencyLimitOverrides(str('AGENCY_LIMITS'), problems),
      maxConnections: int('AGENCY_MAX_CONNECTIONS'),
    },
    web: { host: webHost, port: webPort, publicUrl, trustedProxies: webTrustedProxies },
    loginRateLimit: {
      windowMs: int('LOGIN_RATE_WINDOW_SECONDS') * 1000,
      limit: int('LOGIN_RATE_LIMIT'),
    },
    ops: { host: str('OPS_HOST')!, port: int('OPS_PORT') },
    pki: { dir: path.resolve(cwd, str('PKI_DIR', path.join(dataDir, 'pki'))!) },
    ...(trustedProxy ? { trustedProxy } : {}),
    keys: {
      sealing,
      currentSealingKeyId,
      hmac,
      ...(auditSigningKeyPem ? { auditSigningKeyPem } : {}),
      auditKeyId: str('AUDIT_KEY_ID')!,
    },
    delivery: {
      maxAttempts: int('DELIVERY_MAX_ATTEMPTS'),
      backoffMs: int('DELIVERY_BACKOFF_MS'),
      timeoutMs: int('DELIVERY_TIMEOUT_MS'),
      sweepIntervalMs: int('SWEEP_INTERVAL_MS'),
      workerLockMs: int('WORKER_LOCK_MS'),
    },
    deadlines: {
      workingDaysBefore: int('DEADLINE_WORKING_DAYS_BEFORE'),
      cutoffHour: int('DEADLINE_CUTOFF_HOUR'),
      reminderWorkingDaysBefore: int('REMINDER_WORKING_DAYS_BEFORE'),
    },
    checkpoint: { intervalMs: int('CHECKPOINT_INTERVAL_MS'), everyEvents: int('CHECKPOINT_EVERY_EVENTS') },
    witness: {
      endpoints: witnessUrls.map((u, i) => ({ url: u, key: witnessKeys[i] ?? '' })),
      embedded: !prod && witnessUrls.length === 0 && !witnessDisabled,
      disabled: witnessDisabled,
      timeoutMs: int('AUDIT_WITNESS_TIMEOUT_MS'),
      maxBackoffMs: int('AUDIT_WITNESS_MAX_BACKOFF_MS'),
    },
    oidc: {
      ...(issuerUrl ? { issuerUrl } : {}),
      clientId: str('OIDC_CLIENT_ID')!,
      ...(str('OIDC_CLIENT_SECRET') ? { clientSecret: str('OIDC_CLIENT_SECRET')! } : {}),
      roleClaim: str('OIDC_ROLE_CLAIM')!,
      agencyClaim: str('OIDC_AGENCY_CLAIM')!,
      devProvider,
      devProviderPort: int('DEV_OIDC_PORT'),
      scopes: (str('OIDC_SCOPES')!).split(/\s+/).filter(Boolean),
    },
    sessions: {
      cookieName: str('SESSION_COOKIE_NAME')!,
      secureCookies: bool('SESSION_SECURE_COOKIES'),
      idleMinutes: int('SESSION_IDLE_MINUTES'),
      absoluteHours: int('SESSION_ABSOLUTE_HOURS'),
    },
    policiesDir: path.resolve(cwd, str('POLICIES_DIR')!),
    demo: { adapters: bool('DEMO_ADAPTERS'), followUpSeconds: int('DEMO_ADAPTER_FOLLOW_UP_SECONDS') },
    notifications,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return cfg;
}
