import { ConfigError, loadConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { startEmbeddedPostgres } from './dev/embedded-postgres.js';
import { EmbeddedPostgresUnavailable } from './dev/pg-runner.js';
import { ensureDevKeys } from './dev/dev-keys.js';
import { GatewayPkiMissing, ensureGatewayPki, loadGatewayPki } from './dev/dev-pki.js';
import { seedDemoAgencies } from './dev/demo-agencies.js';
import { createGateway } from './app.js';
import { mountWeb } from './web.js';
import { startDemoAdapters } from './dev/demo-adapters.js';
import { startEmbeddedWitness } from './witness/embedded.js';
import { verifierKey } from './audit/note.js';
import { createPublicKey } from 'node:crypto';

/** How long one shutdown step may take before the next one runs anyway. */
const STOP_STEP_MS = 20_000;

interface StopStep {
  name: string;
  run: () => Promise<unknown>;
}

/**
 * Process entry: config → (embedded services in development) → wiring → servers and workers.
 *
 * Shutdown (SIGINT, SIGTERM) runs in the reverse order of start-up, each step bounded:
 *   demo adapters → the gateway (stop accepting requests, finish in-flight ones, close workers
 *   and queues, close pools and LISTEN connections) → the development OIDC provider → the
 *   embedded PostgreSQL, last, so nothing is connected to it when it stops.
 * A signal sent to the whole process group (Ctrl-C, `kill -TERM -<pgid>`) also reaches the
 * embedded postgres, which may go first; every pool and client has an error listener so that
 * costs nothing but a few failed queries (see store/db.ts, queue/backend.ts).
 */
async function main(): Promise<void> {
  let cfg;
  try {
    cfg = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(cfg.logLevel);

  // Filled in as things start; run from the top on the way down.
  const steps: StopStep[] = [];
  let requested: string | undefined;
  let running = false;
  let stopping: Promise<never> | undefined;
  const shutdown = (signal: string): Promise<never> => {
    stopping ??= runShutdown(steps, signal, logger);
    return stopping;
  };
  const onSignal = (signal: string) => {
    requested ??= signal;
    // During start-up the signal is acted on at the next step boundary (`checkpoint`).
    if (running) void shutdown(signal);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  const checkpoint = async () => {
    if (requested) await shutdown(requested);
  };

  let databaseUrl = cfg.databaseUrl;
  let migrationDatabaseUrl = cfg.migrationDatabaseUrl;
  if (!databaseUrl) {
    logger.info('no DATABASE_URL: starting the embedded PostgreSQL', { dataDir: cfg.dataDir, port: cfg.embeddedPgPort });
    let pg;
    try {
      pg = await startEmbeddedPostgres({ dataDir: cfg.dataDir, port: cfg.embeddedPgPort, onLog: (line) => {
        if (line.startsWith('embedded PostgreSQL:')) logger.warn(line);
      } });
    } catch (err) {
      if (err instanceof EmbeddedPostgresUnavailable) {
        process.stderr.write(`The embedded PostgreSQL could not start (${err.code}): ${err.message}\n`);
        await runSteps(steps, logger);
        process.exit(2);
      }
      throw err;
    }
    // Two roles, as in production: the gateway runs as one that cannot alter the audit log.
    databaseUrl = pg.url;
    migrationDatabaseUrl = pg.migrationUrl;
    steps.unshift({ name: 'embedded PostgreSQL', run: pg.stop });
    await checkpoint();
  }
  if (cfg.mode === 'development') {
    const dev = ensureDevKeys(cfg);
    cfg = { ...cfg, keys: dev.keys };
    if (dev.generated.length) logger.warn('development keys generated (never use these in production)', { files: dev.generated.join(',') });
  }
  let tls;
  if (cfg.mode === 'production') {
    // Production never makes PKI material: a new CA would lock out every agency. The CA key stays
    // offline with `npm run pki`; only the certificates and the server's own keys are read.
    try {
      tls = loadGatewayPki(cfg.pki.dir);
    } catch (err) {
      if (err instanceof GatewayPkiMissing) {
        process.stderr.write(`${err.message}\n`);
        await runSteps(steps, logger);
        process.exit(2);
      }
      throw err;
    }
  } else {
    const made = ensureGatewayPki(cfg.pki.dir);
    tls = made.tls;
    if (made.generated.length) logger.warn('gateway PKI material generated', { items: made.generated.join(','), dir: cfg.pki.dir });
  }

  if (cfg.witness.embedded && cfg.keys.auditSigningKeyPem) {
    // The embedded default's audit witness: its own key and state under .data/witness, on loopback.
    const logKey = verifierKey(cfg.keys.auditKeyId, createPublicKey(cfg.keys.auditSigningKeyPem));
    const w = await startEmbeddedWitness({ dataDir: cfg.dataDir, origin: 'marac-gateway', logKey, logger });
    steps.unshift({ name: 'embedded witness', run: w.stop });
    cfg = { ...cfg, witness: { ...cfg.witness, endpoints: [{ url: w.url, key: w.verifierKey }] } };
    logger.info('embedded audit witness started (development; in production the witness runs at another organisation)', { url: w.url, witness: w.verifierKey });
    await checkpoint();
  }

  const webStops: (() => Promise<unknown>)[] = [];
  const gateway = await createGateway({
    config: cfg,
    logger,
    databaseUrl,
    ...(migrationDatabaseUrl ? { migrationDatabaseUrl } : {}),
    tls,
    web: (app, g) => mountWeb(app, g, cfg, logger, webStops),
  });
  steps.unshift({ name: 'development OIDC provider', run: () => Promise.allSettled(webStops.map((s) => s())) });
  steps.unshift({ name: 'gateway', run: () => gateway.stop() });
  let creds;
  if (cfg.mode === 'development') {
    creds = await seedDemoAgencies(gateway.registry, cfg.pki.dir);
    const seeded = await gateway.agreements.seedFromDirectory(cfg.policiesDir);
    logger.info('demo agencies and sample agreements loaded', { agencies: creds.size, agreements: seeded.length });
  }
  await checkpoint();
  await gateway.start();
  await checkpoint();
  if (cfg.demo.adapters && creds) {
    const adapters = await startDemoAdapters({ gatewayUrl: gateway.agencyUrl, caPem: tls.ca.certPem, creds, logger, followUpSeconds: cfg.demo.followUpSeconds });
    steps.unshift({ name: 'demo adapters', run: adapters.stop });
  }
  running = true;
  await checkpoint();

  process.stdout.write([
    '',
    'MARAC gateway is running.',
    `  People (UI, agreements, audit):  ${gateway.webUrl}   (health: ${gateway.webUrl}/healthz)`,
    `  Agency API (mTLS):              ${gateway.agencyUrl}  (client certificates in ${cfg.pki.dir}/agencies/<agency>/)`,
    `  Operations (readiness, metrics): ${gateway.opsUrl}/readyz  ${gateway.opsUrl}/metrics`,
    cfg.oidc.devProvider ? '  Demo log-ins (password "demo"): coordinator@essex-marat, ig.officer1, ig.officer2, auditor, admin' : '',
    `  Try: npm run demo`,
    '',
  ].filter((l) => l !== '').join('\n') + '\n');
}

/** Runs every step in order, each bounded by STOP_STEP_MS; true when all of them finished. */
async function runSteps(steps: StopStep[], logger: Logger): Promise<boolean> {
  let clean = true;
  for (const step of steps) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STOP_STEP_MS);
    });
    const outcome = await Promise.race([step.run().then(() => 'done' as const, (err: unknown) => err), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      clean = false;
      logger.warn('shutdown step did not finish in time; going on', { step: step.name, ms: STOP_STEP_MS });
    } else if (outcome !== 'done') {
      clean = false;
      logger.warn('shutdown step failed; going on', { step: step.name, err: outcome });
    }
  }
  return clean;
}

async function runShutdown(steps: StopStep[], signal: string, logger: Logger): Promise<never> {
  logger.info('shutting down', { signal });
  const clean = await runSteps(steps, logger);
  logger.info('stopped', { clean });
  // Let the log lines reach a pipe before the process goes.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(clean ? 0 : 1);
}

main().catch((err) => {
  // One line, with the stable code when there is one (DEVELOPMENT_FEATURE_UNAVAILABLE...); no stack.
  const code = (err as { code?: unknown } | null)?.code;
  const tag = typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) ? ` (${code})` : '';
  process.stderr.write(`marac-gateway failed to start${tag}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
