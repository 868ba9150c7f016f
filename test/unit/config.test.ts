import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { witnessKey } from '../../gateway/src/audit/cosignature.js';
import { verifierKey } from '../../gateway/src/audit/note.js';
import { ConfigError, loadConfig } from '../../gateway/src/config.js';

const WITNESS_KEY = witnessKey('witness.auditors.example/w1', generateKeyPairSync('ed25519').publicKey).verifierKey;

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/tmp');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('config loader', () => {
  it('the embedded default needs no environment at all', () => {
    const cfg = loadConfig({}, '/srv/marac');
    expect(cfg.mode).toBe('development');
    expect(cfg.databaseUrl).toBeUndefined();
    expect(cfg.redisUrl).toBeUndefined();
    expect(cfg.dataDir).toBe('/srv/marac/.data');
    expect(cfg.agencyApi.port).toBe(8443);
    expect(cfg.oidc.devProvider).toBe(true);
    expect(cfg.web.publicUrl).toBe('http://127.0.0.1:3000');
  });

  it('production without its keys and services stops, listing every problem at once', () => {
    const p = problems({ MARAC_MODE: 'production' });
    expect(p).toEqual(expect.arrayContaining([
      expect.stringContaining('DATABASE_URL'),
      expect.stringContaining('SEALING_KEYS'),
      expect.stringContaining('SUBJECT_HMAC_KEY'),
      expect.stringContaining('AUDIT_SIGNING_KEY_PEM'),
      expect.stringContaining('OIDC_ISSUER_URL'),
      expect.stringContaining('AUDIT_WITNESS_URLS'),
    ]));
    expect(p.length).toBeGreaterThanOrEqual(6);
  });

  it('bad values are reported with their key, all together', () => {
    const p = problems({
      MARAC_MODE: 'staging', AGENCY_API_PORT: 'eighty', DELIVERY_MAX_ATTEMPTS: '0', DATABASE_URL: 'mysql://x', REDIS_URL: 'not a url',
      SEALING_KEYS: 'k1:c2hvcnQ=', LOG_LEVEL: 'loud', DEV_OIDC: 'maybe', TRUSTED_PROXY_CERT_HEADER: 'x-ssl-client-cert',
    });
    for (const key of ['MARAC_MODE', 'AGENCY_API_PORT', 'DELIVERY_MAX_ATTEMPTS', 'DATABASE_URL', 'REDIS_URL', 'SEALING_KEYS', 'LOG_LEVEL', 'DEV_OIDC', 'TRUSTED_PROXY_CIDRS']) {
      expect(p.some((x) => x.includes(key)), key).toBe(true);
    }
  });

  it('a complete production configuration loads', () => {
    const cfg = loadConfig({
      MARAC_MODE: 'production',
      DATABASE_URL: 'postgres://marac@db/marac',
      REDIS_URL: 'redis://cache:6379/2',
      SEALING_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')},k2:${Buffer.alloc(32, 2).toString('base64')}`,
      SEALING_KEY_ID: 'k2',
      SUBJECT_HMAC_KEY: Buffer.alloc(32, 3).toString('base64'),
      AUDIT_SIGNING_KEY_PEM: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----',
      OIDC_ISSUER_URL: 'https://login.example.org',
      OIDC_CLIENT_SECRET: 's3cret',
      DEV_OIDC: 'false',
      AUDIT_WITNESS_URLS: 'https://witness.auditors.example',
      AUDIT_WITNESS_KEYS: WITNESS_KEY,
    }, '/srv');
    expect(cfg.witness).toMatchObject({ endpoints: [{ url: 'https://witness.auditors.example', key: WITNESS_KEY }], embedded: false, disabled: false });
    expect(cfg.keys.currentSealingKeyId).toBe('k2');
    expect(Object.keys(cfg.keys.sealing)).toEqual(['k1', 'k2']);
    expect(cfg.sessions.secureCookies).toBe(true);
    expect(cfg.sessions.cookieName).toBe('__Host-marac');
    expect(cfg.demo.adapters).toBe(false);
  });

  it('audit witnesses: development embeds one, production needs one or an explicit opt-out, bad lists are refused', () => {
    expect(loadConfig({}, '/srv').witness).toMatchObject({ embedded: true, disabled: false, endpoints: [] });
    expect(loadConfig({ AUDIT_WITNESS_DISABLED: 'true' }, '/srv').witness).toMatchObject({ embedded: false, disabled: true });
    const logKey = verifierKey('gateway-1', generateKeyPairSync('ed25519').publicKey);
    const envs: Record<string, string>[] = [
      { AUDIT_WITNESS_URLS: 'https://w.example' },
      { AUDIT_WITNESS_KEYS: WITNESS_KEY },
      { AUDIT_WITNESS_URLS: 'https://a.example,https://b.example', AUDIT_WITNESS_KEYS: WITNESS_KEY },
      { AUDIT_WITNESS_URLS: 'ftp://w.example', AUDIT_WITNESS_KEYS: WITNESS_KEY },
      { AUDIT_WITNESS_URLS: 'not a url', AUDIT_WITNESS_KEYS: WITNESS_KEY },
      { AUDIT_WITNESS_URLS: 'https://w.example', AUDIT_WITNESS_KEYS: 'junk' },
      // A log (checkpoint) key is not a witness key.
      { AUDIT_WITNESS_URLS: 'https://w.example', AUDIT_WITNESS_KEYS: logKey },
      { AUDIT_WITNESS_URLS: 'https://w.example', AUDIT_WITNESS_KEYS: WITNESS_KEY, AUDIT_WITNESS_DISABLED: 'true' },
    ];
    for (const env of envs) expect(problems(env).some((p) => p.includes('AUDIT_WITNESS')), JSON.stringify(env)).toBe(true);
  });
});
