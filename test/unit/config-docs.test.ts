import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../gateway/src/config.js';
import { SETTINGS, defaultFor, type Setting, type SettingName } from '../../gateway/src/settings.js';
import { CONFIGURATION_DOC, ENV_EXAMPLE, renderConfigurationDoc, renderEnvExample } from '../../scripts/docs-config.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const declared = Object.entries(SETTINGS) as [SettingName, Setting][];

/** Loads a configuration, recording every variable the loader looks at. */
function readsOf(env: Record<string, string>): { read: Set<string>; problems: string[] } {
  const read = new Set<string>();
  const spy = new Proxy(env, {
    get(target, key) {
      if (typeof key === 'string') read.add(key);
      return target[key as string];
    },
  });
  try {
    loadConfig(spy, '/srv');
    return { read, problems: [] };
  } catch (err) {
    if (err instanceof ConfigError) return { read, problems: err.problems };
    throw err;
  }
}

function problemsFor(env: Record<string, string>): string[] {
  return readsOf(env).problems;
}

describe('configuration documentation is generated from the declarations', () => {
  it('docs/configuration.md is what `npm run docs:config` writes (run it after changing a setting)', () => {
    expect(readFileSync(CONFIGURATION_DOC, 'utf8')).toBe(renderConfigurationDoc());
  });

  it('.env.example is what `npm run docs:config` writes', () => {
    expect(readFileSync(ENV_EXAMPLE, 'utf8')).toBe(renderEnvExample());
  });

  it('every declared setting has its row, type, default and meaning in the document and a line in .env.example', () => {
    const doc = renderConfigurationDoc();
    const example = renderEnvExample();
    for (const [name, _s] of declared) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
      expect(row, name).toBeDefined();
      const cells = row!.split(/(?<!\\)\|/).map((c) => c.trim());
      expect(cells[2], `${name} type`).not.toBe('');
      expect(cells[3], `${name} default`).not.toBe('');
      expect(cells[5]!.length, `${name} meaning`).toBeGreaterThan(10);
      const d = defaultFor(name, false);
      if (d !== undefined && d !== '') expect(cells[3], `${name} default`).toContain(String(d));
      expect(example).toMatch(new RegExp(`^# ${name}=`, 'm'));
    }
  });

  it('secrets never get a value in .env.example', () => {
    const example = renderEnvExample();
    for (const [name, s] of declared) if (s.type === 'secret') expect(example).toMatch(new RegExp(`^# ${name}=$`, 'm'));
  });
});

describe('the loader reads exactly the declared settings', () => {
  it('reads nothing that is not declared, and every declaration is read', () => {
    const read = new Set<string>();
    const worlds: Record<string, string>[] = [
      {},
      { MARAC_MODE: 'production' },
      { TRUSTED_PROXY_CERT_HEADER: 'x-client-cert', OIDC_ISSUER_URL: 'https://login.example.org' },
    ];
    for (const env of worlds) for (const k of readsOf(env).read) read.add(k);
    const names = new Set<string>(declared.map(([n]) => n));
    expect([...read].filter((k) => !names.has(k)), 'read but not declared').toEqual([]);
    expect([...names].filter((k) => !read.has(k)), 'declared but never read').toEqual([]);
  });

  it('integer settings use the declared limits: one past either end is refused with the key, the ends are accepted', () => {
    for (const [name, s] of declared) {
      if (s.type !== 'integer') continue;
      for (const bad of [s.max! + 1, s.min! - 1, 1.5, 'ten']) {
        expect(problemsFor({ [name]: String(bad) }).some((p) => p.startsWith(`${name} `)), `${name}=${bad}`).toBe(true);
      }
      for (const ok of [s.min!, s.max!]) {
        expect(problemsFor({ [name]: String(ok) }).some((p) => p.includes(name)), `${name}=${ok}`).toBe(false);
      }
    }
  });

  it('boolean, enum and URL settings refuse what their declaration does not allow, naming the key', () => {
    for (const [name, s] of declared) {
      let bad: string | undefined;
      if (s.type === 'boolean') bad = 'maybe';
      else if (s.type === 'enum') bad = 'loud';
      else if (s.type === 'url') bad = 'ftp://example.org/';
      if (bad === undefined) continue;
      expect(problemsFor({ [name]: bad }).some((p) => p.includes(name)), `${name}=${bad}`).toBe(true);
      // An invalid value is reported alongside every other problem, not instead of them.
      const p = problemsFor({ [name]: bad, AGENCY_API_PORT: 'eighty' });
      expect(p.some((x) => x.includes('AGENCY_API_PORT'))).toBe(true);
    }
  });

  it('the declared defaults are the ones in force when nothing is set, in each mode', () => {
    const dev = loadConfig({}, '/srv');
    expect(dev.agencyApi.port).toBe(SETTINGS.AGENCY_API_PORT.default);
    expect(dev.ops.port).toBe(SETTINGS.OPS_PORT.default);
    expect(dev.delivery.maxAttempts).toBe(SETTINGS.DELIVERY_MAX_ATTEMPTS.default);
    expect(dev.loginRateLimit.windowMs).toBe(SETTINGS.LOGIN_RATE_WINDOW_SECONDS.default * 1000);
    expect(dev.sessions.cookieName).toBe(SETTINGS.SESSION_COOKIE_NAME.default.development);
    expect(dev.oidc.devProvider).toBe(SETTINGS.DEV_OIDC.default.development);
    expect(dev.demo.adapters).toBe(SETTINGS.DEMO_ADAPTERS.default.development);
    expect(dev.oidc.scopes.join(' ')).toBe(SETTINGS.OIDC_SCOPES.default);
  });

  it('nothing in the gateway or the adapters reads process.env except config.ts (and the separate witness program)', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(dir)) {
        const full = path.join(dir, f);
        if (statSync(full).isDirectory()) {
          if (f !== 'dist' && f !== 'node_modules') walk(full); // build output and installed packages are not our source
        } else if (/\.(ts|js|mjs)$/.test(f) && readFileSync(full, 'utf8').includes('process.env')) offenders.push(path.relative(ROOT, full));
      }
    };
    walk(path.join(ROOT, 'gateway', 'src'));
    walk(path.join(ROOT, 'adapters'));
    // The adapters' own loader (a separate program) reads its source's secret from the environment.
    const loaders = new Set(['gateway/src/config.ts', 'adapters/sdk/config.ts']);
    expect(offenders.filter((f) => !loaders.has(f) && !f.startsWith('gateway/src/witness/')).sort()).toEqual([]);
  });
});
