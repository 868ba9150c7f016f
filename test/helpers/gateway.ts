/**
 * A whole gateway for integration tests: its own database, its own queue prefix (Redis or the
 * Postgres backend), a PKI made at test time, the demo agencies with certificates, and the real
 * sample agreements from `policies/`.
 *
 *   const t = await startTestGateway({ queue: 'redis' });
 *   const res = await t.as('essex-marat').post('/v1/cases', body);
 *   t.clock.set('2026-03-01T10:00:00Z');      // the gateway's clock (default: real time)
 *   await t.stop();
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createGateway, type Gateway } from '../../gateway/src/app.js';
import { loadConfig } from '../../gateway/src/config.js';
import { silentLogger, type Logger } from '../../gateway/src/logger.js';
import { DEMO_AGENCIES } from '../../gateway/src/dev/demo-agencies.js';
import { createCsr, issueFromCsr } from '../../gateway/src/identity/pki/ca.js';
import type { DeliveryMode } from '../../gateway/src/identity/agency-types.js';
import type { GatewayTls } from '../../gateway/src/dev/dev-pki.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { agencyFetch, makeAgencyCert, makeTestPki, type AgencyCreds, type AgencyResponse, type TestPki } from './pki.js';

export interface TestClock {
  now(): Date;
  set(iso: string | Date): void;
  advance(ms: number): void;
  real(): void;
}

export function createTestClock(): TestClock {
  let fixed: Date | undefined;
  let offset = 0;
  return {
    now: () => (fixed ? new Date(fixed.getTime() + offset) : new Date(Date.now() + offset)),
    set(iso) {
      fixed = new Date(iso);
      offset = 0;
    },
    advance(ms) {
      offset += ms;
    },
    real() {
      fixed = undefined;
      offset = 0;
    },
  };
}

export interface AgencyClient {
  get(path: string, headers?: Record<string, string>): Promise<AgencyResponse>;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<AgencyResponse>;
  creds: AgencyCreds;
}

export interface TestGateway {
  gateway: Gateway;
  /** What another gateway process needs to join the same world (same DB, queue prefix, keys, TLS). */
  env: Record<string, string>;
  tls: GatewayTls;
  db: TestDatabase;
  pki: TestPki;
  clock: TestClock;
  creds: Map<string, AgencyCreds>;
  as(agencyId: string): AgencyClient;
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  queue?: 'redis' | 'postgres';
  /** Agencies delivered by push, with their adapter URL. */
  push?: Record<string, string>;
  env?: Record<string, string>;
  workers?: boolean;
  web?: Parameters<typeof createGateway>[0]['web'];
  /** Reuse a PKI made by the test (e.g. for push receivers that must share the CA). */
  pki?: TestPki;
  /** Reuse an existing database (a second gateway instance on the same data). */
  db?: TestDatabase;
  queuePrefix?: string;
  /** Skip registering agencies and seeding agreements (a second instance of an existing world). */
  seed?: boolean;
  creds?: Map<string, AgencyCreds>;
  /** Keys and TLS of an existing world (a second instance must share them). */
  sharedEnv?: Record<string, string>;
  sharedTls?: GatewayTls;
  /** The gateway's logger (default: silent); tests that read the log pass a capturing one. */
  logger?: Logger;
}

export async function startTestGateway(opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const db = opts.db ?? (await createTestDatabase());
  const pki = opts.pki ?? makeTestPki();
  const clock = createTestClock();
  const gwCsr = opts.sharedTls ? undefined : createCsr({ agencyId: 'marac-gateway' });
  const gwClient = gwCsr ? issueFromCsr(pki.ca, gwCsr.csrPem, { agencyId: 'marac-gateway', agencyType: 'MARAC_COORDINATOR', validDays: 30 }) : undefined;
  const signing = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const queue = opts.queue ?? 'redis';
  const env: Record<string, string> = {
    MARAC_MODE: 'development',
    LOG_LEVEL: 'error',
    AGENCY_API_PORT: '0',
    WEB_PORT: '0',
    OPS_PORT: '0',
    QUEUE_PREFIX: opts.queuePrefix ?? `t${randomBytes(5).toString('hex')}`,
    ...(queue === 'redis' ? { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' } : {}),
    SEALING_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    SEALING_KEY_ID: 'k1',
    SUBJECT_HMAC_KEY: randomBytes(32).toString('base64'),
    AUDIT_SIGNING_KEY_PEM: signing,
    DELIVERY_BACKOFF_MS: '100',
    DELIVERY_MAX_ATTEMPTS: '3',
    DELIVERY_TIMEOUT_MS: '2000',
    SWEEP_INTERVAL_MS: '1000',
    DEV_OIDC: 'false',
    DEMO_ADAPTERS: 'false',
    // Notifications add NOTIFICATION_SENT events and a mailbox to every world; their own tests turn them on.
    NOTIFICATIONS_TRANSPORT: 'off',
    // Tests drive one agency far harder than any adapter; the agency limits get their own test
    // (test/security/agency-fairness.test.ts), which sets them.
    AGENCY_RATE_PER_SECOND: '1000000',
    AGENCY_RATE_BURST: '1000000',
    AGENCY_MAX_CONCURRENT: '100000',
    AGENCY_MAX_LONG_POLLS: '10000',
    AGENCY_MAX_CONNECTIONS: '100000',
    ...opts.sharedEnv,
    ...opts.env,
  };
  const config = loadConfig(env);
  const tls: GatewayTls = opts.sharedTls ?? { ca: pki.ca, serverCertPem: pki.server.certPem, serverKeyPem: pki.server.keyPem, clientCertPem: gwClient!.certPem, clientKeyPem: gwCsr!.keyPem };
  const gateway = await createGateway({
    config,
    logger: opts.logger ?? silentLogger,
    // The gateway runs as the runtime role (no UPDATE/DELETE on the audit log, owns nothing);
    // migrations as the owner.
    databaseUrl: db.runtimeUrl ?? db.url,
    migrationDatabaseUrl: db.url,
    tls,
    now: clock.now,
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
    ...(opts.web ? { web: opts.web } : {}),
  });
  const creds = opts.creds ?? new Map<string, AgencyCreds>();
  if (opts.seed !== false) for (const a of DEMO_AGENCIES) {
    const pushUrl = opts.push?.[a.id];
    const mode: DeliveryMode = pushUrl ? 'push' : 'pull';
    creds.set(a.id, await makeAgencyCert(pki, gateway.registry, { id: a.id, name: a.name, type: a.type, mode, ...(pushUrl ? { pushUrl } : {}), ...(a.maracArea ? { maracArea: a.maracArea } : {}) }));
  }
  if (opts.seed !== false) await gateway.agreements.seedFromDirectory(config.policiesDir);
  await gateway.start();
  const base = gateway.agencyUrl.replace('localhost', '127.0.0.1');

  return {
    gateway,
    env,
    tls,
    db,
    pki,
    clock,
    creds,
    as(agencyId) {
      const c = creds.get(agencyId);
      if (!c) throw new Error(`no test credentials for ${agencyId}`);
      return {
        creds: c,
        get: (path, headers) => agencyFetch(base, c, path, { ...(headers ? { headers } : {}) }),
        post: (path, body, headers) => agencyFetch(base, c, path, { method: 'POST', ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) }),
      };
    },
    async stop() {
      await gateway.stop().catch(() => {});
      // A second instance on someone else's database leaves it for its owner to drop.
      if (!opts.db) await db.drop();
    },
  };
}
