import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parsePublicKey } from '../audit/note.js';
import type { WitnessedLogConfig } from './witness.js';

export interface WitnessConfig {
  name: string;
  keyFile: string;
  stateFile: string;
  host: string;
  port: number;
  logs: WitnessedLogConfig[];
}

/**
 * The witness's own settings; it shares nothing with the gateway's configuration (it runs at
 * another organisation). Every problem is reported at once.
 *
 *   WITNESS_NAME        key name in cosignatures, e.g. witness.auditors.example/w1
 *   WITNESS_KEY_FILE    Ed25519 private key (PKCS#8 PEM), made with `npm run witness -- keygen`
 *   WITNESS_STATE_FILE  where it remembers each log's last cosigned checkpoint
 *   WITNESS_HOST/PORT   listener (127.0.0.1:7380; put TLS in front when it leaves the host)
 *   WITNESS_LOGS        "<origin> <log verifier key>" entries, separated by commas or newlines
 */
export function loadWitnessConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): WitnessConfig {
  const problems: string[] = [];
  const get = (k: string) => (env[k] === undefined || env[k] === '' ? undefined : env[k]);
  const name = get('WITNESS_NAME') ?? '';
  if (!/^[^\s+\u2014]+$/.test(name)) problems.push('WITNESS_NAME is required: one word without spaces or +, e.g. witness.auditors.example/w1');
  const keyFile = get('WITNESS_KEY_FILE');
  if (!keyFile) problems.push('WITNESS_KEY_FILE is required (npm run witness -- keygen <file> --name <name>)');
  const stateFile = get('WITNESS_STATE_FILE');
  if (!stateFile) problems.push('WITNESS_STATE_FILE is required (a file only the witness writes)');
  const port = Number(get('WITNESS_PORT') ?? '7380');
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push('WITNESS_PORT must be a port number');
  const logs: WitnessedLogConfig[] = [];
  for (const entry of (get('WITNESS_LOGS') ?? '').split(/[,\n]/).map((s) => s.trim()).filter(Boolean)) {
    const [origin, key, extra] = entry.split(/\s+/);
    try {
      if (!origin || !key || extra !== undefined) throw new Error('expected "<origin> <verifier key>"');
      parsePublicKey(key);
      const existing = logs.find((l) => l.origin === origin);
      if (existing) existing.keys.push(key);
      else logs.push({ origin, keys: [key] });
    } catch (err) {
      problems.push(`WITNESS_LOGS entry "${entry.slice(0, 40)}": ${(err as Error).message}`);
    }
  }
  if (logs.length === 0 && !problems.some((p) => p.startsWith('WITNESS_LOGS'))) problems.push('WITNESS_LOGS is required: which logs to witness, with their keys');
  if (problems.length) throw new Error(`Invalid witness configuration:\n  - ${problems.join('\n  - ')}`);
  return {
    name,
    keyFile: path.resolve(cwd, keyFile!),
    stateFile: path.resolve(cwd, stateFile!),
    host: get('WITNESS_HOST') ?? '127.0.0.1',
    port,
    logs,
  };
}

export function readWitnessKey(file: string): KeyObject {
  const key = createPrivateKey(readFileSync(file, 'utf8'));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 private key`);
  return key;
}

/** Makes a witness key file (0600) if there is none; returns the key. */
export function ensureWitnessKey(file: string): { key: KeyObject; generated: boolean } {
  if (existsSync(file)) return { key: readWitnessKey(file), generated: false };
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  return { key: createPrivateKey(pem), generated: true };
}
