/**
 * `mountWeb` as `main.ts` calls it: the development OIDC provider started from the config, a real
 * sign-in through it, and its stop function handed back for shutdown.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../../gateway/src/config.js';
import { silentLogger } from '../../../gateway/src/logger.js';
import { mountWeb } from '../../../gateway/src/web.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { loginAs } from '../../helpers/oidc.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

let t: TestGateway;
let base: string;
const stops: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = { WEB_PORT: String(port), PUBLIC_URL: base, DEV_OIDC: 'true', DEV_OIDC_PORT: '0', SESSION_COOKIE_NAME: 'marac_dev' };
  const cfg = loadConfig({ MARAC_MODE: 'development', SUBJECT_HMAC_KEY: randomBytes(32).toString('base64'), ...env });
  t = await startTestGateway({ queue: 'postgres', env, web: (app, g) => mountWeb(app, g, cfg, silentLogger, stops) });
});
afterAll(async () => {
  for (const stop of stops) await stop();
  await t?.stop();
});

it('starts the development provider and signs people in through it', async () => {
  expect(stops).toHaveLength(1);
  const officer = await loginAs(base, 'ig.officer2');
  expect(officer.cookie).toMatch(/^marac_dev=/);
  expect(officer.session).toMatchObject({ userId: 'ig.officer2', roles: ['ig_officer'] });
  const page = await fetch(`${base}/agreements`, { headers: { cookie: officer.cookie, accept: 'text/html' } });
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('Essex MARAT research sharing');
  const start = await fetch(`${base}/login`, { redirect: 'manual' });
  const provider = new URL(start.headers.get('location')!);
  expect(provider.hostname).toBe('127.0.0.1');
  expect(provider.searchParams.get('redirect_uri')).toBe(`${base}/auth/callback`);
  expect(provider.searchParams.get('code_challenge_method')).toBe('S256');
});
