import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startEmbeddedPostgres } from './dev/embedded-postgres.js';
import { ensureDevKeys } from './dev/dev-keys.js';
import { ensureGatewayPki } from './dev/dev-pki.js';
import { seedDemoAgencies } from './dev/demo-agencies.js';
import { createGateway } from './app.js';
import { mountWeb } from './web.js';
import { startDemoAdapters } from './dev/demo-adapters.js';

/** Process entry: config → (embedded services in development) → wiring → servers and workers. */
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
  const stops: (() => Promise<unknown>)[] = [];

  let databaseUrl = cfg.databaseUrl;
  if (!databaseUrl) {
    logger.info('no DATABASE_URL: starting the embedded PostgreSQL', { dataDir: cfg.dataDir, port: cfg.embeddedPgPort });
    const pg = await startEmbeddedPostgres({ dataDir: cfg.dataDir, port: cfg.embeddedPgPort });
    databaseUrl = pg.url;
    stops.push(pg.stop);
  }
  if (cfg.mode === 'development') {
    const dev = ensureDevKeys(cfg);
    cfg = { ...cfg, keys: dev.keys };
    if (dev.generated.length) logger.warn('development keys generated (never use these in production)', { files: dev.generated.join(',') });
  }
  const { tls, generated } = ensureGatewayPki(cfg.pki.dir);
  if (generated.length) logger.warn('gateway PKI material generated', { items: generated.join(','), dir: cfg.pki.dir });

  const gateway = await createGateway({
    config: cfg,
    logger,
    databaseUrl,
    tls,
    web: (app, g) => mountWeb(app, g, cfg, logger, stops),
  });
  let creds;
  if (cfg.mode === 'development') {
    creds = await seedDemoAgencies(gateway.registry, cfg.pki.dir);
    const seeded = await gateway.agreements.seedFromDirectory(cfg.policiesDir);
    logger.info('demo agencies and sample agreements loaded', { agencies: creds.size, agreements: seeded.length });
  }
  await gateway.start();
  stops.unshift(() => gateway.stop());
  if (cfg.demo.adapters && creds) {
    const adapters = await startDemoAdapters({ gatewayUrl: gateway.agencyUrl, caPem: tls.ca.certPem, creds, logger });
    stops.unshift(adapters.stop);
  }

  process.stdout.write([
    '',
    'MARAC gateway is running.',
    `  People (UI, agreements, audit):  ${gateway.webUrl}   (health: ${gateway.webUrl}/healthz)`,
    `  Agency API (mTLS):              ${gateway.agencyUrl}  (client certificates in ${cfg.pki.dir}/agencies/<agency>/)`,
    cfg.oidc.devProvider ? '  Demo log-ins (password "demo"): coordinator@essex-marat, ig.officer1, ig.officer2, auditor, admin' : '',
    `  Try: npm run demo`,
    '',
  ].filter((l) => l !== '').join('\n') + '\n');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    for (const stop of stops) await stop().catch((err) => logger.warn('shutdown step failed', { err }));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`marac-gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
