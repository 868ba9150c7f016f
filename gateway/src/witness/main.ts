/**
 * The witness, as its own program: `npm run witness` (serve) or
 * `npm run witness -- keygen <key file> --name <witness name>` (make a key, print its verifier key).
 * Configuration: see config.ts. It needs only the logs' public keys; nothing of the gateway's.
 */
import { createLogger } from '../logger.js';
import { witnessKey } from '../audit/cosignature.js';
import { ensureWitnessKey, loadWitnessConfig, readWitnessKey } from './config.js';
import { startWitnessServer } from './server.js';
import { openFileStore } from './store.js';
import { createWitness } from './witness.js';

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'keygen') {
    const file = argv[1];
    const nameAt = argv.indexOf('--name');
    const name = nameAt > 0 ? argv[nameAt + 1] : undefined;
    if (!file || !name) {
      process.stderr.write('usage: npm run witness -- keygen <key file> --name <witness name>\n');
      process.exit(2);
    }
    const { key, generated } = ensureWitnessKey(file);
    process.stderr.write(generated ? `made ${file} (keep it on the witness host only)\n` : `${file} exists; its verifier key:\n`);
    process.stdout.write(`${witnessKey(name, key).verifierKey}\n`);
    return;
  }
  let cfg;
  try {
    cfg = loadWitnessConfig();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger(process.env.LOG_LEVEL ?? 'info');
  const store = openFileStore(cfg.stateFile);
  const witness = createWitness({
    name: cfg.name,
    privateKey: readWitnessKey(cfg.keyFile),
    logs: cfg.logs,
    store,
    onRefusal: (info) => logger.warn('refused a checkpoint: possible log misbehaviour, evidence kept in the state file', info),
  });
  const server = await startWitnessServer(witness, { host: cfg.host, port: cfg.port, logger });
  // The verifier key on stdout as well: the log redacts anything named like a key.
  logger.info('witness listening', { url: server.url, witness: witness.key.name, logs: cfg.logs.map((l) => l.origin).join(',') });
  process.stdout.write(`witness verifier key: ${witness.key.verifierKey}\n`);
  const stop = async () => {
    await server.close();
    store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`witness failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
