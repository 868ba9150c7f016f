import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, jarFetch, loginAs, runLoginFlow } from '../../helpers/oidc.js';
import { buildPeopleWorld, json, type PeopleWorld } from './world.js';

let w: PeopleWorld;
beforeAll(async () => {
  w = await buildPeopleWorld();
});
afterAll(async () => {
  await w?.close();
});

describe('log-in through the real OIDC flow', () => {
  it('gives each demo person the roles and agency the provider vouches for, and audits LOGIN', async () => {
    const cases = [
      ['coordinator@essex-marat', ['coordinator'], 'essex-marat'],
      ['ig.officer1', ['ig_officer'], undefined],
      ['ig.officer2', ['ig_officer'], undefined],
      ['auditor', ['auditor'], undefined],
      ['admin', ['admin'], undefined],
    ] as const;
    const before = (await w.auditRows()).length;
    for (const [username, roles, agency] of cases) {
      const s = await loginAs(w.appBase, username);
      expect(s.session.roles).toEqual([...roles]);
      const res = await fetch(`${w.appBase}/whoami`, { headers: { cookie: s.cookie } });
      expect(res.status).toBe(200);
      const p = await json(res);
      expect(p).toMatchObject({ kind: 'person', userId: username, roles: [...roles] });
      expect(p.agencyId).toBe(agency);
      expect(p.displayName).toMatch(/\S/);
    }
    const logins = (await w.auditRows()).slice(before).filter((r) => r.action === 'LOGIN');
    expect(logins.map((r) => r.actor.userId)).toEqual(cases.map((c) => c[0]));
  });

  it('sends the browser to the provider with PKCE S256, state and nonce', async () => {
    const jar = new CookieJar();
    const res = await jarFetch(jar, `${w.appBase}/login`);
    expect(res.status).toBe(303);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const to = new URL(res.headers.get('location')!);
    expect(to.origin).toBe(new URL(w.idp.issuer).origin);
    expect(to.searchParams.get('response_type')).toBe('code');
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(to.searchParams.get('state')).toBeTruthy();
    expect(to.searchParams.get('nonce')).toBeTruthy();
    expect(to.searchParams.get('scope')?.split(' ')).toContain('openid');
    expect(to.searchParams.get('prompt')).toBe('login');
  });

  it('sets the session cookie HttpOnly, SameSite=Lax, Path=/ (no Secure when not configured) and returns to returnTo', async () => {
    const trace = await runLoginFlow(w.appBase, 'auditor', { returnTo: '/audit?page=2' });
    expect(trace.final.status).toBe(303);
    expect(trace.final.headers.get('location')).toBe('/audit?page=2');
    const session = trace.final.headers.getSetCookie().find((c) => c.startsWith('marac_session='));
    expect(session).toBeDefined();
    const attrs = session!.split(';').map((a) => a.trim());
    expect(attrs).toContain('HttpOnly');
    expect(attrs).toContain('SameSite=Lax');
    expect(attrs).toContain('Path=/');
    expect(attrs).not.toContain('Secure');
    expect(attrs.some((a) => a.startsWith('Max-Age'))).toBe(false);
    // The token in the cookie is not what the table stores.
    const token = session!.split(';')[0]!.split('=')[1]!;
    const stored = await w.db.pool.query('SELECT 1 FROM people_sessions WHERE id = $1', [token]);
    expect(stored.rowCount).toBe(0);
  });

  it('refuses a returnTo that leaves the site (INVALID_RETURN_TO) and writes no pending log-in', async () => {
    for (const bad of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', 'cases', '/a\nb']) {
      const res = await fetch(`${w.appBase}/login?returnTo=${encodeURIComponent(bad)}`, { redirect: 'manual' });
      expect(res.status, bad).toBe(400);
      expect((await json(res)).code).toBe('INVALID_RETURN_TO');
      expect(res.headers.getSetCookie().some((c) => c.startsWith('marac_session-login='))).toBe(false);
    }
  });

  it('a second log-in in the same browser replaces the first session (no fixation)', async () => {
    const first = await loginAs(w.appBase, 'ig.officer1');
    const second = await loginAs(w.appBase, 'ig.officer2', { jar: first.jar });
    expect(second.cookie).not.toBe(first.cookie);
    expect((await fetch(`${w.appBase}/whoami`, { headers: { cookie: first.cookie } })).status).toBe(401);
    const who = await json(await fetch(`${w.appBase}/whoami`, { headers: { cookie: second.cookie } }));
    expect(who.userId).toBe('ig.officer2');
    const rotated = await w.db.pool.query("SELECT count(*)::int AS n FROM people_sessions WHERE revoked_reason = 'ROTATED'");
    expect(rotated.rows[0].n).toBeGreaterThanOrEqual(1);
  });

  it('answers GET /auth/session with 401 UNAUTHENTICATED when signed out', async () => {
    const res = await fetch(`${w.appBase}/auth/session`);
    expect(res.status).toBe(401);
    expect((await json(res)).code).toBe('UNAUTHENTICATED');
  });
});

describe('with secure cookies', () => {
  let s: PeopleWorld;
  beforeAll(async () => {
    s = await buildPeopleWorld({ cookieName: '__Host-marac', secureCookies: true });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('marks both cookies Secure and keeps the __Host- prefix on each', async () => {
    const start = await fetch(`${s.appBase}/login`, { redirect: 'manual' });
    const loginCookie = start.headers.getSetCookie().find((c) => c.startsWith('__Host-marac-login='));
    expect(loginCookie).toMatch(/; Secure/);
    expect(loginCookie).toMatch(/Max-Age=600/);
    const trace = await runLoginFlow(s.appBase, 'admin');
    const session = trace.final.headers.getSetCookie().find((c) => /^__Host-marac=[^;]/.test(c));
    expect(session).toMatch(/; Secure/);
    expect(session).toMatch(/Path=\//);
    expect(session).not.toMatch(/Domain=/);
  });
});
