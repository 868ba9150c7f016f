/**
 * The public web listener from an attacker's side (issue 17, item 4):
 *   - open redirect after sign-in: every form of `returnTo` that a browser, a proxy or the URL
 *     parser could turn into another origin is refused with INVALID_RETURN_TO, and what is
 *     accepted always lands on this site;
 *   - the sign-in limiter keys on the client address a TRUSTED proxy forwards (and on nothing a
 *     client can choose), does not count the OIDC callback, and lets an office sign in;
 *   - /readyz and /metrics are on the operations listener, not the public one.
 * Each world is the real wiring: config from the environment → `mountWeb` (development provider).
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../gateway/src/config.js';
import { safeReturnTo } from '../../gateway/src/http/session-routes.js';
import { silentLogger } from '../../gateway/src/logger.js';
import { mountWeb } from '../../gateway/src/web.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { CookieJar, loginAs, runLoginFlow } from '../helpers/oidc.js';
import { propertyRuns } from '../helpers/property-runs.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface World {
  t: TestGateway;
  base: string;
  close(): Promise<void>;
}

/** A gateway whose web side is built by `mountWeb` from the config, as `npm start` does. */
async function startWorld(env: Record<string, string>): Promise<World> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const all = { WEB_PORT: String(port), PUBLIC_URL: base, DEV_OIDC: 'true', DEV_OIDC_PORT: '0', ...env };
  const cfg = loadConfig({ MARAC_MODE: 'development', SUBJECT_HMAC_KEY: randomBytes(32).toString('base64'), ...all });
  const stops: (() => Promise<unknown>)[] = [];
  const t = await startTestGateway({ queue: 'postgres', workers: false, env: all, web: (app, g) => mountWeb(app, g, cfg, silentLogger, stops) });
  return {
    t,
    base,
    async close() {
      await t.stop();
      for (const stop of stops) await stop().catch(() => {});
    },
  };
}

async function codeOf(res: Response): Promise<string | undefined> {
  const text = await res.text();
  try {
    return (JSON.parse(text) as { code?: string }).code;
  } catch {
    return /INVALID_RETURN_TO|RATE_LIMITED/.exec(text)?.[0];
  }
}

const startLogin = (w: World, headers: Record<string, string> = {}) =>
  fetch(`${w.base}/login`, { redirect: 'manual', headers: { accept: 'application/json', ...headers } });

/** Every way we know of to leave the site, or to smuggle something past a proxy, via returnTo. */
const HOSTILE_RETURN_TO: string[] = [
  // Another origin outright.
  'https://evil.example/', 'http://evil.example', 'HTTPS://evil.example', 'http:evil.example', 'https:/evil.example',
  'https:\\\\evil.example', 'ftp://evil.example', '//evil.example', '///evil.example', '////evil.example',
  '//evil.example@127.0.0.1', '//127.0.0.1@evil.example',
  // Schemes that run code or carry content.
  'javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox', 'blob:https://evil.example/x',
  // Not a path at all.
  '', 'evil.example', 'cases', '.', '..', '?next=/', '#frag', ' /cases', '/cases ', '\t/cases',
  // Dot segments that the URL parser (and browsers) fold into `//host`.
  '/.//evil.example/phish', '/..//evil.example', '/./..//evil.example', '/a/../..//evil.example', '/a/..//evil.example',
  '/%2e//evil.example', '/%2E%2E//evil.example', '/.%2e//evil.example', '/%2e%2e/%2e%2e//evil.example', '/./\\evil.example',
  // Backslashes, which browsers read as slashes.
  '/\\evil.example', '/\\/evil.example', '\\\\evil.example', '\\/evil.example', '/\\\\evil.example', '/cases\\..\\..\\evil',
  // Encoded slashes and backslashes, once, twice and three times.
  '/%2F/evil.example', '/%2fevil.example', '/%2F%2Fevil.example', '/cases%2F..%2F..%2F%2Fevil', '/%5Cevil.example',
  '/%5c%5cevil.example', '/%252F%252Fevil.example', '/%25252F/evil.example', '/%255C/evil.example', '/%2e%2e%2f%2e%2e%2fevil',
  // Controls, whitespace and header injection.
  '/\t/evil.example', '/%09/evil.example', '/\n/evil.example', '/%0a/evil.example', '/%0d%0aSet-Cookie:%20x=y',
  '/a\r\nLocation: //evil.example', '/%00', '/\u0000', '/\u007f', '/%7f', '/%20/evil.example', '/ /evil.example', '/%2509',
  // Unicode look-alikes and invisible characters, raw and encoded.
  '/\uff0fevil.example', '/\uff3cevil.example', '/\u2215evil.example', '/\u2044evil.example', '/\u3002evil.example',
  '/\u200b/evil.example', '/\u202e/evil.example', '/\u00a0/evil.example', '/\u3000/evil.example',
  '/%EF%BC%8Fevil.example', '/%EF%BC%BCevil.example', '/%E2%80%8B/evil.example', '/%E2%80%AE', '/%C2%A0',
  // Malformed escapes and overlong UTF-8 (an old way to spell `/`).
  '/%', '/%2', '/%zz', '/%C0%AF/evil.example', '/%E0%80%AF', '/%ff',
  // Over-long values.
  `/${'a'.repeat(2048)}`, `/cases?q=${'x'.repeat(3000)}`,
];

/** Paths on this site, and where the browser must end up for each. */
const SAFE_RETURN_TO: [string, string][] = [
  ['/', '/'],
  ['/cases', '/cases'],
  ['/cases?sort=deadline', '/cases?sort=deadline'],
  ['/audit?page=2#top', '/audit?page=2#top'],
  ['/cases/../audit', '/audit'],
  // A query or fragment cannot change the origin, whatever it holds.
  ['/cases?next=//evil.example', '/cases?next=//evil.example'],
  ['/agreements/essex-marat/versions/2', '/agreements/essex-marat/versions/2'],
];

function staysOnSite(location: string): boolean {
  const site = 'https://marac.example';
  return new URL(location, site).origin === site && /^\/(?![/\\])/.test(location);
}

describe('returnTo (open redirect after sign-in)', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({});
  }, 120_000);
  afterAll(async () => {
    await w?.close();
  });

  // First: every /login below counts towards the same address's limit.
  it('lets a whole office behind one address start 150 sign-ins in a window with the default limit', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 150; i++) statuses.add((await startLogin(w)).status);
    expect([...statuses]).toEqual([303]);
  });

  it('refuses every hostile form with 400 INVALID_RETURN_TO, sent encoded or raw, and starts no sign-in', async () => {
    const failures: string[] = [];
    for (const bad of HOSTILE_RETURN_TO) {
      const urls = [`${w.base}/login?returnTo=${encodeURIComponent(bad)}`];
      // As typed in an address bar (what the example did), when fetch can send it at all
      // and the server would read the same value (no `%`, which the query parser decodes).
      if (!/[\s\u0000-\u001f\u007f#%&+]/.test(bad) && bad.length < 2048) urls.push(`${w.base}/login?returnTo=${bad}`);
      for (const url of urls) {
        let res: Response;
        try {
          res = await fetch(url, { redirect: 'manual', headers: { accept: 'application/json' } });
        } catch {
          continue; // fetch itself refused to send it
        }
        const code = await codeOf(res);
        const ok = res.status === 400 && code === 'INVALID_RETURN_TO' && res.headers.get('location') === null
          && !res.headers.getSetCookie().some((c) => c.startsWith('marac_session-login='));
        if (!ok) failures.push(`${JSON.stringify(bad)} via ${url === urls[0] ? 'encoded' : 'raw'} → ${res.status} ${code ?? ''} ${res.headers.get('location') ?? ''}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('refuses a repeated returnTo (ambiguous) with INVALID_RETURN_TO', async () => {
    const res = await fetch(`${w.base}/login?returnTo=/cases&returnTo=//evil.example`, { redirect: 'manual', headers: { accept: 'application/json' } });
    expect(res.status).toBe(400);
    expect(await codeOf(res)).toBe('INVALID_RETURN_TO');
  });

  it('after a real sign-in, a safe returnTo lands on that path of this site', async () => {
    const jar = new CookieJar();
    for (const [returnTo, expected] of SAFE_RETURN_TO) {
      const trace = await runLoginFlow(w.base, 'auditor', { returnTo, jar });
      expect(trace.final.status, returnTo).toBe(303);
      const location = trace.final.headers.get('location')!;
      expect(location, returnTo).toBe(expected);
      expect(staysOnSite(location), location).toBe(true);
    }
  });

  it('the exact example from the issue ends on this site or nowhere', async () => {
    const res = await fetch(`${w.base}/login?returnTo=/.//evil.example/phish`, { redirect: 'manual', headers: { accept: 'application/json' } });
    expect(res.status).toBe(400);
    expect(await codeOf(res)).toBe('INVALID_RETURN_TO');
  });

  it('whatever safeReturnTo accepts stays on this site, also after a proxy decodes it once (property)', () => {
    const tokens = ['/', '/', '/', '.', '..', '\\', '%', '%2e', '%2E', '%2f', '%2F', '%5c', '%25', '%09', 'evil.example', 'a', '?', '#',
      ':', '@', ' ', '\t', '\n', '\uff0f', '\u3002', '\u200b', 'https:', 'javascript:'];
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.constantFrom(...tokens), { minLength: 1, maxLength: 10 }), (leadingSlash, parts) => {
        const raw = (leadingSlash ? '/' : '') + parts.join('');
        const out = safeReturnTo(raw);
        if (out === undefined) return;
        expect(staysOnSite(out), `${JSON.stringify(raw)} → ${out}`).toBe(true);
        const pathPart = out.split(/[?#]/)[0]!;
        let decoded = pathPart;
        try {
          decoded = decodeURIComponent(pathPart);
        } catch {
          return;
        }
        expect(/^\/(?![/\\])/.test(decoded) && !decoded.includes('\\'), `${JSON.stringify(raw)} decodes to ${decoded}`).toBe(true);
      }),
      { numRuns: propertyRuns(20_000) },
    );
  });

  it('answers /healthz and /openapi.json publicly, but not /readyz or /metrics (operations listener only)', async () => {
    expect((await fetch(`${w.base}/healthz`)).status).toBe(200);
    expect((await fetch(`${w.base}/openapi.json`)).status).toBe(200);
    for (const p of ['/readyz', '/metrics', '/metrics?x=1', '/readyz/']) {
      const res = await fetch(`${w.base}${p}`, { headers: { accept: 'application/json' } });
      expect(res.status, p).toBe(404);
      expect(((await res.json()) as { code?: string }).code, p).toBe('NOT_FOUND');
    }
  });

  it('serves /readyz and /metrics on the operations listener, on 127.0.0.1', async () => {
    const ops = w.t.gateway.opsUrl;
    expect(ops).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ops).not.toBe(w.base);
    const ready = await fetch(`${ops}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { postgres: 'ok', queue: 'ok' } });
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    expect(metrics).toContain('marac_http_request_duration_seconds');
    expect(metrics).toContain('nodejs_heap_size_used_bytes');
    // Nothing else is served there.
    const other = await fetch(`${ops}/login`, { redirect: 'manual' });
    expect(other.status).toBe(404);
  });

});

describe('the sign-in limiter behind a trusted reverse proxy', () => {
  let w: World;
  beforeAll(async () => {
    // The test client on 127.0.0.1 plays the proxy.
    w = await startWorld({ WEB_TRUSTED_PROXIES: '127.0.0.1', LOGIN_RATE_LIMIT: '3' });
  }, 120_000);
  afterAll(async () => {
    await w?.close();
  });

  it('keys on the forwarded client address: one client using up its limit locks out no one else', async () => {
    const a = { 'x-forwarded-for': '203.0.113.10' };
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await startLogin(w, a)).status);
    expect(codes).toEqual([303, 303, 303, 429]);
    const limited = await startLogin(w, a);
    expect(limited.status).toBe(429);
    expect(await codeOf(limited)).toBe('RATE_LIMITED');
    expect((await startLogin(w, { 'x-forwarded-for': '203.0.113.11' })).status).toBe(303);
    expect((await startLogin(w, { 'x-forwarded-for': '2001:db8::1' })).status).toBe(303);
  });

  it('a client cannot escape by putting another address in front of the one the proxy appends', async () => {
    for (let i = 0; i < 3; i++) expect((await startLogin(w, { 'x-forwarded-for': '203.0.113.20' })).status).toBe(303);
    for (const spoof of ['198.51.100.1', '198.51.100.2, 10.0.0.1', 'unknown']) {
      const res = await startLogin(w, { 'x-forwarded-for': `${spoof}, 203.0.113.20` });
      expect(res.status, spoof).toBe(429);
    }
  });

  it('real sign-ins are counted once (the callback is not): three sign-ins fit a limit of three', async () => {
    // No X-Forwarded-For: these come from the proxy's own address, a key no other test uses.
    for (const user of ['auditor', 'ig.officer1', 'admin']) {
      const who = await loginAs(w.base, user);
      expect(who.session.userId).toBe(user);
    }
    const fourth = await startLogin(w);
    expect(fourth.status).toBe(429);
    expect(await codeOf(fourth)).toBe('RATE_LIMITED');
  });

  it('failed callbacks (forged or replayed) are limited on their own count', async () => {
    const xff = { 'x-forwarded-for': '203.0.113.30' };
    const codes = [];
    for (let i = 0; i < 4; i++) {
      codes.push((await fetch(`${w.base}/auth/callback?state=forged&code=x`, { redirect: 'manual', headers: { accept: 'application/json', ...xff } })).status);
    }
    expect(codes).toEqual([401, 401, 401, 429]);
    // ...which does not stop that client starting a sign-in.
    expect((await startLogin(w, xff)).status).toBe(303);
  });
});

describe('the sign-in limiter without a trusted proxy', () => {
  let w: World;
  beforeAll(async () => {
    // A proxy is configured, but the test client (127.0.0.1) is not it.
    w = await startWorld({ WEB_TRUSTED_PROXIES: '10.20.30.40,fd00::/8', LOGIN_RATE_LIMIT: '3' });
  }, 120_000);
  afterAll(async () => {
    await w?.close();
  });

  it('ignores X-Forwarded-For from anyone else, so rotating it does not escape the limit', async () => {
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await startLogin(w, { 'x-forwarded-for': `203.0.113.${100 + i}` })).status);
    expect(codes).toEqual([303, 303, 303, 429, 429]);
  });
});

describe('WEB_TRUSTED_PROXIES, OPS_HOST and OPS_PORT settings', () => {
  it('accept addresses and CIDR blocks', () => {
    const cfg = loadConfig({ WEB_TRUSTED_PROXIES: '10.0.0.5, 10.1.0.0/16,fd00::/8,::1', OPS_PORT: '9100' });
    expect(cfg.web.trustedProxies).toEqual(['10.0.0.5', '10.1.0.0/16', 'fd00::/8', '::1']);
    expect(cfg.ops).toEqual({ host: '127.0.0.1', port: 9100 });
  });

  it('default to trusting no proxy and an operations listener on 127.0.0.1', () => {
    const cfg = loadConfig({});
    expect(cfg.web.trustedProxies).toEqual([]);
    expect(cfg.ops.host).toBe('127.0.0.1');
    expect(cfg.loginRateLimit.limit).toBeGreaterThanOrEqual(100);
  });

  it.each(['*', 'true', 'loopback', 'proxy.example', '0.0.0.0/0', '::/0', '10.0.0.0/33', '10.0.0.0/8/1', '10.0.0.0/x', '300.1.1.1'])(
    'refuse %s (CONFIG_INVALID naming WEB_TRUSTED_PROXIES)',
    (value) => {
      let err: unknown;
      try {
        loadConfig({ WEB_TRUSTED_PROXIES: value });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).code).toBe('CONFIG_INVALID');
      expect((err as ConfigError).problems.join('\n')).toContain('WEB_TRUSTED_PROXIES');
    },
  );

  it.each([['OPS_PORT', '70000'], ['LOGIN_RATE_LIMIT', '0'], ['LOGIN_RATE_WINDOW_SECONDS', 'soon']])('refuse %s=%s', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
  });
});
