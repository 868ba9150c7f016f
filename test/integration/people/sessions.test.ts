import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs } from '../../helpers/oidc.js';
import { buildPeopleWorld, json, type PeopleWorld } from './world.js';

let w: PeopleWorld;
beforeAll(async () => {
  w = await buildPeopleWorld({ idleMinutes: 30, absoluteHours: 2 });
});
afterAll(async () => {
  await w?.close();
});

function whoami(cookie: string) {
  return fetch(`${w.appBase}/whoami`, { headers: { cookie } });
}

function logout(cookie: string, csrfToken?: string) {
  const body = csrfToken ? new URLSearchParams({ _csrf: csrfToken }).toString() : '';
  return fetch(`${w.appBase}/logout`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
}

describe('log-out', () => {
  it('revokes the session, clears the cookie and audits LOGOUT', async () => {
    const s = await loginAs(w.appBase, 'coordinator@essex-marat');
    expect((await whoami(s.cookie)).status).toBe(200);
    const res = await logout(s.cookie, s.csrfToken);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    expect(res.headers.getSetCookie().some((c) => c.startsWith('marac_session=;') && c.includes('Max-Age=0'))).toBe(true);
    const after = await whoami(s.cookie);
    expect(after.status).toBe(401);
    expect((await json(after)).code).toBe('UNAUTHENTICATED');
    const rows = await w.auditRows();
    expect(rows[rows.length - 1]).toMatchObject({ action: 'LOGOUT', actor: { userId: 'coordinator@essex-marat' } });
  });

  it('without the CSRF token is refused (403 CSRF_FAILED) and the session lives on', async () => {
    const s = await loginAs(w.appBase, 'auditor');
    const res = await logout(s.cookie);
    expect(res.status).toBe(403);
    expect((await json(res)).code).toBe('CSRF_FAILED');
    expect((await whoami(s.cookie)).status).toBe(200);
  });

  it('with no session just clears the cookie', async () => {
    const res = await logout('marac_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(res.status).toBe(303);
  });
});

describe('time-outs (gateway clock injected)', () => {
  it('ends a session left idle longer than idleMinutes', async () => {
    const s = await loginAs(w.appBase, 'auditor');
    w.clock.advanceMinutes(29);
    expect((await whoami(s.cookie)).status).toBe(200);
    // Activity at 29 minutes moved the idle window on.
    w.clock.advanceMinutes(29);
    expect((await whoami(s.cookie)).status).toBe(200);
    w.clock.advanceMinutes(31);
    const res = await whoami(s.cookie);
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie().some((c) => c.startsWith('marac_session=;'))).toBe(true);
  });

  it('ends a session absoluteHours after log-in however active it is', async () => {
    const s = await loginAs(w.appBase, 'auditor');
    for (let i = 0; i < 5; i++) {
      w.clock.advanceMinutes(20);
      expect((await whoami(s.cookie)).status).toBe(200);
    }
    // 100 minutes in; the absolute limit is 120.
    w.clock.advanceMinutes(19);
    expect((await whoami(s.cookie)).status).toBe(200);
    w.clock.advanceMinutes(2);
    expect((await whoami(s.cookie)).status).toBe(401);
  });
});

describe('a session cookie is only ever its own person', () => {
  it('a tampered cookie is not a session (401), and never someone else\'s', async () => {
    const a = await loginAs(w.appBase, 'ig.officer1');
    const b = await loginAs(w.appBase, 'ig.officer2');
    const [name, value] = a.cookie.split('=') as [string, string];
    const flipped = value.slice(0, -1) + (value.endsWith('A') ? 'B' : 'A');
    for (const cookie of [`${name}=${flipped}`, `${name}=${value}x`, `${name}=`, `${name}=${value}; ${b.cookie}`]) {
      const res = await whoami(cookie);
      expect(res.status, cookie).toBe(401);
      expect((await json(res)).code).toBe('UNAUTHENTICATED');
    }
    expect((await json(await whoami(a.cookie))).userId).toBe('ig.officer1');
    expect((await json(await whoami(b.cookie))).userId).toBe('ig.officer2');
  });

  it('one person\'s CSRF token does not work with another person\'s session', async () => {
    const a = await loginAs(w.appBase, 'coordinator@essex-marat');
    const other = await loginAs(w.appBase, 'admin');
    const res = await fetch(`${w.appBase}/cases`, {
      method: 'POST',
      headers: { cookie: a.cookie, 'x-csrf-token': other.csrfToken, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect((await json(res)).code).toBe('CSRF_FAILED');
  });
});

describe('purgeEnded', () => {
  it('deletes sessions that ended long enough ago and keeps live ones', async () => {
    const live = await loginAs(w.appBase, 'admin');
    const ended = await loginAs(w.appBase, 'auditor');
    expect((await logout(ended.cookie, ended.csrfToken)).status).toBe(303);
    w.clock.advanceMinutes(25 * 60);
    const live2 = await loginAs(w.appBase, 'admin');
    const purged = await w.people.sessions.purgeEnded(24);
    expect(purged).toBeGreaterThanOrEqual(2);
    const left = await w.db.pool.query<{ user_id: string }>('SELECT user_id FROM people_sessions');
    expect(left.rows.map((r) => r.user_id)).toEqual(['admin']);
    expect((await whoami(live2.cookie)).status).toBe(200);
    expect((await whoami(live.cookie)).status).toBe(401);
  });
});
