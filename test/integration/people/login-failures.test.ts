import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOidcClient } from '../../../gateway/src/identity/oidc/client.js';
import { DEMO_USERS } from '../../../gateway/src/identity/oidc/demo-users.js';
import { CookieJar, jarFetch, runLoginFlow } from '../../helpers/oidc.js';
import { buildPeopleWorld, json, type PeopleWorld } from './world.js';

let w: PeopleWorld;
beforeAll(async () => {
  w = await buildPeopleWorld({}, {
    users: [...DEMO_USERS, { username: 'no.role', password: 'demo', name: 'Nora Norole', roles: [] }],
  });
});
afterAll(async () => {
  await w?.close();
});

async function sessionCount(): Promise<number> {
  const r = await w.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM people_sessions');
  return r.rows[0]!.n;
}

async function lastAudit() {
  const rows = await w.auditRows();
  return rows[rows.length - 1]!;
}

describe('failed log-ins', () => {
  it('a wrong password opens no session and is audited as LOGIN_FAILED', async () => {
    const before = await sessionCount();
    const trace = await runLoginFlow(w.appBase, 'auditor', { password: 'not-the-password' });
    expect(trace.final.status).toBe(401);
    const body = await json(trace.final);
    expect(body.code).toBe('LOGIN_FAILED');
    expect(body.reason).toBe('PROVIDER_DENIED');
    expect(trace.final.headers.getSetCookie().some((c) => /^marac_session=[^;]/.test(c))).toBe(false);
    expect(await sessionCount()).toBe(before);
    const ev = await lastAudit();
    expect(ev.action).toBe('LOGIN_FAILED');
    expect(ev.reason_code).toBe('PROVIDER_DENIED');
    expect(ev.detail).toEqual({ providerError: 'access_denied', providerDescription: 'invalid_credentials' });
    expect(JSON.stringify(ev)).not.toContain('not-the-password');
  });

  it('an unknown username fails the same way', async () => {
    const trace = await runLoginFlow(w.appBase, 'nobody@nowhere');
    expect(trace.final.status).toBe(401);
    expect((await lastAudit()).reason_code).toBe('PROVIDER_DENIED');
  });

  it('a person the provider knows but with no gateway role gets no session (NO_ROLE)', async () => {
    const before = await sessionCount();
    const trace = await runLoginFlow(w.appBase, 'no.role');
    expect(trace.final.status).toBe(401);
    expect((await json(trace.final)).reason).toBe('NO_ROLE');
    expect(await sessionCount()).toBe(before);
    const ev = await lastAudit();
    expect(ev).toMatchObject({ action: 'LOGIN_FAILED', reason_code: 'NO_ROLE', actor: { kind: 'person', userId: 'no.role', roles: [] } });
  });

  it('a callback replayed in another browser (no log-in cookie) is refused: LOGIN_STATE_UNKNOWN', async () => {
    const jar = new CookieJar();
    const trace = await runLoginFlow(w.appBase, 'auditor', { jar, stopBeforeCallback: true });
    const callbackUrl = trace.visited[trace.visited.length - 1]!;
    expect(new URL(callbackUrl).pathname).toBe('/auth/callback');
    const replay = await fetch(callbackUrl, { redirect: 'manual' });
    expect(replay.status).toBe(401);
    expect((await json(replay)).reason).toBe('LOGIN_STATE_UNKNOWN');
    expect((await lastAudit()).reason_code).toBe('LOGIN_STATE_UNKNOWN');
    // The attempt did not use up the real browser's log-in.
    const genuine = await jarFetch(jar, callbackUrl);
    expect(genuine.status).toBe(303);
  });

  it('a callback used twice in the same browser works once only', async () => {
    const jar = new CookieJar();
    const first = await runLoginFlow(w.appBase, 'auditor', { jar });
    expect(first.final.status).toBe(303);
    const callbackUrl = first.visited[first.visited.length - 1]!;
    // Put the (now cleared) log-in cookie back, as an attacker replaying the whole request would.
    const again = await jarFetch(jar, callbackUrl);
    expect(again.status).toBe(401);
    expect((await json(again)).reason).toBe('LOGIN_STATE_UNKNOWN');
  });

  it('a callback with a tampered state is refused', async () => {
    const jar = new CookieJar();
    const start = await jarFetch(jar, `${w.appBase}/login`);
    const authUrl = new URL(start.headers.get('location')!);
    const res = await jarFetch(jar, `${w.appBase}/auth/callback?code=abc&state=${authUrl.searchParams.get('state')}x`);
    expect(res.status).toBe(401);
    expect((await json(res)).code).toBe('LOGIN_FAILED');
  });

  it('a forged code with the right state fails the token exchange and opens no session', async () => {
    const jar = new CookieJar();
    const start = await jarFetch(jar, `${w.appBase}/login`);
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const before = await sessionCount();
    const res = await jarFetch(
      jar,
      `${w.appBase}/auth/callback?code=forged&state=${encodeURIComponent(state)}&iss=${encodeURIComponent(w.idp.issuer)}`,
    );
    expect(res.status).toBe(401);
    expect((await json(res)).reason).toBe('TOKEN_EXCHANGE_FAILED');
    expect(await sessionCount()).toBe(before);
    expect((await lastAudit()).reason_code).toBe('TOKEN_EXCHANGE_FAILED');
  });
});

describe('log-in rate limit', () => {
  let limited: PeopleWorld;
  beforeAll(async () => {
    limited = await buildPeopleWorld({ loginRateLimit: { windowMs: 60_000, limit: 3 } });
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('answers 429 RATE_LIMITED once the limit is used up', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await fetch(`${limited.appBase}/login`, { redirect: 'manual' })).status);
    expect(codes).toEqual([303, 303, 303, 429]);
    const res = await fetch(`${limited.appBase}/login`, { redirect: 'manual' });
    expect(res.status).toBe(429);
    expect((await json(res)).code).toBe('RATE_LIMITED');
  });

  it('callbacks do not use up the sign-in limit; failed callbacks have a limit of their own', async () => {
    // The /login limit is used up by the test above; a callback is judged on its own count.
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${limited.appBase}/auth/callback?state=x&code=y`, { redirect: 'manual' });
      codes.push(res.status);
      if (res.status === 429) expect((await json(res)).code).toBe('RATE_LIMITED');
    }
    expect(codes).toEqual([401, 401, 401, 429]);
  });
});

describe('provider unreachable', () => {
  let down: PeopleWorld;
  beforeAll(async () => {
    down = await buildPeopleWorld({
      oidc: createOidcClient({
        issuerUrl: 'http://127.0.0.1:1', clientId: 'c', clientSecret: 's', redirectUri: 'http://127.0.0.1:2/auth/callback',
        roleClaim: 'marac_roles', agencyClaim: 'agency', scopes: ['openid'], allowInsecureLoopback: true,
      }),
    });
  });
  afterAll(async () => {
    await down?.close();
  });

  it('answers /login with 503 OIDC_PROVIDER_UNAVAILABLE and stores nothing', async () => {
    const res = await fetch(`${down.appBase}/login`, { redirect: 'manual' });
    expect(res.status).toBe(503);
    expect((await json(res)).code).toBe('OIDC_PROVIDER_UNAVAILABLE');
    const pending = await down.db.pool.query('SELECT 1 FROM people_login_pending');
    expect(pending.rowCount).toBe(0);
  });
});

describe('LOGIN is written in the same transaction as the session', () => {
  let broken: PeopleWorld;
  beforeAll(async () => {
    broken = await buildPeopleWorld({
      audit: {
        async append(_tx, e) {
          if (e.action === 'LOGIN') throw new Error('audit unavailable');
          return { seq: 0, hash: 'x' };
        },
      },
    });
  });
  afterAll(async () => {
    await broken?.close();
  });

  it('when the audit write fails, no session exists and no cookie is set', async () => {
    const trace = await runLoginFlow(broken.appBase, 'auditor');
    expect(trace.final.status).toBe(500);
    expect(trace.final.headers.getSetCookie().some((c) => /^marac_session=[^;]/.test(c))).toBe(false);
    const n = await broken.db.pool.query('SELECT 1 FROM people_sessions');
    expect(n.rowCount).toBe(0);
  });
});
