import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { ensureWitnessKey } from './config.js';
import { startWitnessServer, type WitnessLogger } from './server.js';
import { openFileStore } from './store.js';
import { createWitness } from './witness.js';

export interface EmbeddedWitness {
  url: string;
  verifierKey: string;
  generatedKey: boolean;
  stop(): Promise<void>;
}

/**
 * The embedded default's witness (`npm start` with no AUDIT_WITNESS_URLS): the same witness code
 * on a loopback port, with a development key and its own state file under `<dataDir>/witness/`.
 * It is a separate key and separate storage from the gateway's, but on the same machine: it shows
 * the mechanism and catches a database restored or cut back under a running system; it is not the
 * independence a production witness at another organisation gives (docs/operations.md).
 */
export async function startEmbeddedWitness(opts: {
  dataDir: string;
  origin: string;
  logKey: KeyObject | string;
  port?: number;
  logger?: WitnessLogger;
}): Promise<EmbeddedWitness> {
  const dir = path.join(opts.dataDir, 'witness');
  const { key, generated } = ensureWitnessKey(path.join(dir, 'witness-key.pem'));
  const store = openFileStore(path.join(dir, 'state.json'));
  const witness = createWitness({
    name: 'localhost/marac-dev-witness',
    privateKey: key,
    logs: [{ origin: opts.origin, keys: [opts.logKey] }],
    store,
    ...(opts.logger ? { onRefusal: (info) => opts.logger!.warn('witness refused a checkpoint', info) } : {}),
  });
  const server = await startWitnessServer(witness, { host: '127.0.0.1', port: opts.port ?? 0, ...(opts.logger ? { logger: opts.logger } : {}) });
  return {
    url: server.url,
    verifierKey: witness.key.verifierKey,
    generatedKey: generated,
    async stop() {
      await server.close();
      store.close();
    },
  };
}
