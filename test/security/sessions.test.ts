import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, jarFetch, loginAs, runLoginFlow } from '../helpers/oidc.js';
import { startWebWorld, type WebWorld } from '../integration/web/world.js';

/**
 * Cross-checks of the people web from the outside (the UI and people-auth suites test their own
 * mechanisms): session fixation with a planted cookie, login CSRF with an attacker's callback URL,
 * and the JSON-API CSRF vector of a "simple" cross-site request (text/plain, no token).
 */
describe('sessions and CSRF, from an attacker\'s side', () => {
  let w: WebWorld;
  beforeAll(async () => {
    w = await startWebWorld({ queue: 'redis', workers: false });
  }, 120_000);
  afterAll(async () => {
    await w?.close();
  });

  const whoIs = async (cookie: string) => {
    const r = await fetch(`${w.base}/auth/session`, { headers: { cookie } });
    return r.status === 200 ? ((await r.json()) as { userId: string }).userId : r.status;
  };
  const sessionCookie = (jar: CookieJar) => jar.get(w.base, 'marac_session');

  it('a session id planted before log-in is never the one the victim ends up with', async () => {
    const attacker = await loginAs(w.base, 'coordinator@essex-marat');
    const attackerValue = attacker.cookie.split('=').slice(1).join('=');
    for (const planted of [attackerValue, 'A'.repeat(43), 'fixated-session-id']) {
      const jar = new CookieJar();
      jar.store(w.base, new Response(null, { headers: { 'set-cookie': `marac_session=${planted}; Path=/` } }));
      const victim = await loginAs(w.base, 'ig.officer1', { jar });
      expect(sessionCookie(jar)).not.toBe(planted);
      expect(victim.cookie).not.toContain(planted);
      expect(await whoIs(victim.cookie)).toBe('ig.officer1');
      // The planted value did not become the victim's session.
      expect(await whoIs(`marac_session=${planted}`)).not.toBe('ig.officer1');
    }
  });

  it('an attacker\'s finished sign-in (callback URL) cannot be replayed in the victim\'s browser', async () => {
    const attacker = await runLoginFlow(w.base, 'auditor', { stopBeforeCallback: true });
    const callback = attacker.visited.at(-1)!;
    expect(new URL(callback).pathname).toBe('/auth/callback');
    // A victim with no pending sign-in, and one with a sign-in of her own in progress.
    const fresh = new CookieJar();
    const pending = new CookieJar();
    await jarFetch(pending, `${w.base}/login`);
    for (const jar of [fresh, pending]) {
      const res = await jarFetch(jar, callback);
      expect(res.status, await res.text()).toBeGreaterThanOrEqual(400);
      expect(sessionCookie(jar)).toBeUndefined();
    }
    // The attacker's own browser still completes it (the refusal was about the binding).
    const own = await jarFetch(attacker.jar, callback);
    expect(own.status).toBe(303);
    expect(await whoIs(`marac_session=${sessionCookie(attacker.jar)}`)).toBe('auditor');
  });

  it('a cross-site "simple" request to the people API (text/plain, no token) changes nothing', async () => {
    const officer = await loginAs(w.base, 'ig.officer1');
    const count = async () => (await w.t.db.pool.query('SELECT count(*)::int n FROM agreement_versions')).rows[0].n as number;
    const before = await count();
    const variants: Record<string, string>[] = [
      { 'content-type': 'text/plain', origin: 'https://evil.example' },
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      { 'content-type': 'application/json', origin: 'null' },
    ];
    for (const headers of variants) {
      const r = await fetch(`${w.base}/v1/agreements`, {
        method: 'POST', redirect: 'manual',
        headers: { cookie: officer.cookie, accept: 'application/json', ...headers },
        body: JSON.stringify({ id: 'csrf-attack', title: 'x' }),
      });
      expect(r.status, JSON.stringify(headers)).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(((await r.json()) as { code: string }).code).toMatch(/^[A-Z][A-Z0-9_]+$/);
    }
    expect(await count()).toBe(before);
  });
});
