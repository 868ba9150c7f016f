import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GatewayConfig } from '../config.js';

/**
 * Development keys, made once in `<dataDir>/keys` and reused. Only ever called when the config
 * has no key of its own and the mode is development; the caller announces it in the log.
 */
export function ensureDevKeys(cfg: GatewayConfig): { generated: string[]; keys: GatewayConfig['keys'] } {
  const dir = path.join(cfg.dataDir, 'keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const generated: string[] = [];
  const file = (name: string, make: () => string): string => {
    const p = path.join(dir, name);
    if (!existsSync(p)) {
      writeFileSync(p, make(), { mode: 0o600 });
      generated.push(name);
    }
    return readFileSync(p, 'utf8');
  };
  const keys = { ...cfg.keys };
  if (Object.keys(keys.sealing).length === 0) {
    keys.sealing = { 'dev-1': Buffer.from(file('sealing-dev-1.b64', () => randomBytes(32).toString('base64')).trim(), 'base64') };
    keys.currentSealingKeyId = 'dev-1';
  }
  if (keys.hmac.length === 0) keys.hmac = Buffer.from(file('subject-hmac.b64', () => randomBytes(32).toString('base64')).trim(), 'base64');
  if (!keys.auditSigningKeyPem) {
    keys.auditSigningKeyPem = file('audit-signing.pem', () =>
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  }
  return { generated, keys };
}
