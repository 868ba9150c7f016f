import { isIP } from 'node:net';
import path from 'node:path';

/**
 * The one config loader (medplum `config/loader.ts` style): every key typed, defaults explicit,
 * every problem collected and reported at once. Only this file reads the environment.
 */
export type Mode = 'development' | 'production';

export interface GatewayConfig {
  mode: Mode;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** Folder for the embedded database, dev PKI and dev keys. */
  dataDir: string;
  /** Absent → the embedded PostgreSQL in `dataDir/pg` (development only). */
  databaseUrl?: string;
  embeddedPgPort: number;
  /** Absent → BullMQ's PostgreSQL backend on the same database. */
  redisUrl?: string;
  queuePrefix: string;
  agencyApi: { host: string; port: number };
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
  demo: { adapters: boolean };
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
  const str = (k: string, def?: string): string | undefined => {
    const v = env[k];
    return v === undefined || v === '' ? def : v;
  };
  const int = (k: string, def: number, min: number, max: number): number => {
    const raw = str(k);
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${k} must be an integer from ${min} to ${max} (got "${raw}")`);
      return def;
    }
    return n;
  };
  const bool = (k: string, def: boolean): boolean => {
    const raw = str(k);
    if (raw === undefined) return def;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    problems.push(`${k} must be true or false (got "${raw}")`);
    return def;
  };
  // Addresses or CIDR blocks, comma-separated; anything else (names, "*", "true") is refused,
  // because trusting more than the proxy lets any client choose the address it is limited by.
  const cidrList = (k: string): string[] => {
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
  const url = (k: string, protocols: string[]): string | undefined => {
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

  const modeRaw = str('MARAC_MODE', 'development');
  if (modeRaw !== 'development' && modeRaw !== 'production') problems.push(`MARAC_MODE must be development or production (got "${modeRaw}")`);
  const mode: Mode = modeRaw === 'production' ? 'production' : 'development';
  const prod = mode === 'production';

  const logLevel = str('LOG_LEVEL', 'info') as GatewayConfig['logLevel'];
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel)) problems.push(`LOG_LEVEL must be error, warn, info or debug`);

  const dataDir = path.resolve(cwd, str('MARAC_DATA_DIR', '.data')!);
  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);
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

  const issuerUrl = url('OIDC_ISSUER_URL', ['https:', 'http:']);
  const devProvider = bool('DEV_OIDC', !prod);
  if (prod && !issuerUrl && !devProvider) problems.push('OIDC_ISSUER_URL is required in production');
  if (prod && devProvider && !bool('DEV_OIDC_ALLOW_IN_PRODUCTION', false)) {
    problems.push('DEV_OIDC is refused in production unless DEV_OIDC_ALLOW_IN_PRODUCTION=true');
  }
  if (issuerUrl && !str('OIDC_CLIENT_SECRET')) problems.push('OIDC_CLIENT_SECRET is required with OIDC_ISSUER_URL');

  const webPort = int('WEB_PORT', 3000, 0, 65535);
  const webHost = str('WEB_HOST', '127.0.0.1')!;
  const publicUrl = url('PUBLIC_URL', ['http:', 'https:']) ?? `http://${webHost === '0.0.0.0' ? '127.0.0.1' : webHost}:${webPort}`;

  const webTrustedProxies = cidrList('WEB_TRUSTED_PROXIES');

  let trustedProxy: GatewayConfig['trustedProxy'];
  const proxyHeader = str('TRUSTED_PROXY_CERT_HEADER');
  if (proxyHeader) {
    const cidrs = (str('TRUSTED_PROXY_CIDRS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (cidrs.length === 0) problems.push('TRUSTED_PROXY_CIDRS is required with TRUSTED_PROXY_CERT_HEADER');
    trustedProxy = { header: proxyHeader.toLowerCase(), trustedCidrs: cidrs };
  }

  const cfg: GatewayConfig = {
    mode,
    logLevel,
    dataDir,
    ...(databaseUrl ? { databaseUrl } : {}),
    embeddedPgPort: int('EMBEDDED_PG_PORT', 54329, 1024, 65535),
    ...(redisUrl ? { redisUrl } : {}),
    queuePrefix: str('QUEUE_PREFIX', 'marac')!,
    agencyApi: { host: str('AGENCY_API_HOST', '127.0.0.1')!, port: int('AGENCY_API_PORT', 8443, 0, 65535) },
    web: { host: webHost, port: webPort, publicUrl, trustedProxies: webTrustedProxies },
    loginRateLimit: {
      windowMs: int('LOGIN_RATE_WINDOW_SECONDS', 300, 1, 86_400) * 1000,
      limit: int('LOGIN_RATE_LIMIT', 300, 1, 1_000_000),
    },
    ops: { host: str('OPS_HOST', '127.0.0.1')!, port: int('OPS_PORT', 9464, 0, 65535) },
    pki: { dir: path.resolve(cwd, str('PKI_DIR', path.join(dataDir, 'pki'))!) },
    ...(trustedProxy ? { trustedProxy } : {}),
    keys: {
      sealing,
      currentSealingKeyId,
      hmac,
      ...(auditSigningKeyPem ? { auditSigningKeyPem } : {}),
      auditKeyId: str('AUDIT_KEY_ID', 'gateway-1')!,
    },
    delivery: {
      maxAttempts: int('DELIVERY_MAX_ATTEMPTS', 6, 1, 100),
      backoffMs: int('DELIVERY_BACKOFF_MS', 1000, 10, 600_000),
      timeoutMs: int('DELIVERY_TIMEOUT_MS', 10_000, 100, 120_000),
      sweepIntervalMs: int('SWEEP_INTERVAL_MS', 5_000, 100, 3_600_000),
      workerLockMs: int('WORKER_LOCK_MS', 30_000, 1_000, 600_000),
    },
    deadlines: {
      workingDaysBefore: int('DEADLINE_WORKING_DAYS_BEFORE', 1, 0, 20),
      cutoffHour: int('DEADLINE_CUTOFF_HOUR', 17, 0, 23),
      reminderWorkingDaysBefore: int('REMINDER_WORKING_DAYS_BEFORE', 1, 0, 10),
    },
    checkpoint: { intervalMs: int('CHECKPOINT_INTERVAL_MS', 1000, 100, 3_600_000), everyEvents: int('CHECKPOINT_EVERY_EVENTS', 1000, 1, 1_000_000) },
    oidc: {
      ...(issuerUrl ? { issuerUrl } : {}),
      clientId: str('OIDC_CLIENT_ID', 'marac-gateway')!,
      ...(str('OIDC_CLIENT_SECRET') ? { clientSecret: str('OIDC_CLIENT_SECRET')! } : {}),
      roleClaim: str('OIDC_ROLE_CLAIM', 'marac_roles')!,
      agencyClaim: str('OIDC_AGENCY_CLAIM', 'agency')!,
      devProvider,
      devProviderPort: int('DEV_OIDC_PORT', 3001, 0, 65535),
      scopes: (str('OIDC_SCOPES', 'openid profile marac')!).split(/\s+/).filter(Boolean),
    },
    sessions: {
      cookieName: str('SESSION_COOKIE_NAME', prod ? '__Host-marac' : 'marac_session')!,
      secureCookies: bool('SESSION_SECURE_COOKIES', prod),
      idleMinutes: int('SESSION_IDLE_MINUTES', 30, 1, 24 * 60),
      absoluteHours: int('SESSION_ABSOLUTE_HOURS', 10, 1, 24 * 7),
    },
    policiesDir: path.resolve(cwd, str('POLICIES_DIR', 'policies')!),
    demo: { adapters: bool('DEMO_ADAPTERS', !prod) },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return cfg;
}
