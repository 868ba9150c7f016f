import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAs, type LoggedIn } from '../../helpers/oidc.js';
import { buildPeopleWorld, json, type PeopleWorld } from './world.js';

let w: PeopleWorld;
let coordinator: LoggedIn;
let auditor: LoggedIn;
beforeAll(async () => {
  w = await buildPeopleWorld();
  coordinator = await loginAs(w.appBase, 'coordinator@essex-marat');
  auditor = await loginAs(w.appBase, 'auditor');
});
afterAll(async () => {
  await w?.close();
});

describe('requireRole', () => {
  it('401 UNAUTHENTICATED for an API call without a session', async () => {
    const res = await fetch(`${w.appBase}/audit`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(401);
    expect((await json(res)).code).toBe('UNAUTHENTICATED');
  });

  it('sends a browser asking for a page to /login with returnTo', async () => {
    const res = await fetch(`${w.appBase}/cases?sort=deadline`, { headers: { accept: 'text/html,application/xhtml+xml' }, redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/login?returnTo=${encodeURIComponent('/cases?sort=deadline')}`);
  });

  it('403 FORBIDDEN_ROLE for the wrong role, audited as ACCESS_DENIED', async () => {
    const res = await fetch(`${w.appBase}/audit`, { headers: { cookie: coordinator.cookie } });
    expect(res.status).toBe(403);
    expect((await json(res)).code).toBe('FORBIDDEN_ROLE');
    const rows = await w.auditRows();
    expect(rows[rows.length - 1]).toMatchObject({
      action: 'ACCESS_DENIED',
      reason_code: 'FORBIDDEN_ROLE',
      actor: { userId: 'coordinator@essex-marat' },
      detail: { method: 'GET', route: '/audit', required: 'auditor' },
    });
  });

  it('lets the right role through', async () => {
    expect((await fetch(`${w.appBase}/audit`, { headers: { cookie: auditor.cookie } })).status).toBe(200);
    expect((await fetch(`${w.appBase}/cases`, { headers: { cookie: coordinator.cookie } })).status).toBe(200);
  });

  it('an unsafe request from the wrong role is 403 FORBIDDEN_ROLE before any CSRF check', async () => {
    const res = await fetch(`${w.appBase}/cases`, { method: 'POST', headers: { cookie: auditor.cookie } });
    expect(res.status).toBe(403);
    expect((await json(res)).code).toBe('FORBIDDEN_ROLE');
  });
});

describe('csrfProtect', () => {
  const post = (headers: Record<string, string>, body = '{}') =>
    fetch(`${w.appBase}/cases`, { method: 'POST', headers: { cookie: coordinator.cookie, ...headers }, body });

  it('accepts the token in the x-csrf-token header', async () => {
    const res = await post({ 'x-csrf-token': coordinator.csrfToken, 'content-type': 'application/json' });
    expect(res.status).toBe(201);
    expect((await json(res)).by).toBe('coordinator@essex-marat');
  });

  it('accepts the token in the _csrf form field from a same-origin form', async () => {
    const res = await post(
      { 'content-type': 'application/x-www-form-urlencoded', origin: w.appBase, 'sec-fetch-site': 'same-origin' },
      new URLSearchParams({ _csrf: coordinator.csrfToken, title: 'x' }).toString(),
    );
    expect(res.status).toBe(201);
  });

  it('refuses a missing token', async () => {
    const res = await post({ 'content-type': 'application/x-www-form-urlencoded' }, 'title=x');
    expect(res.status).toBe(403);
    const body = await json(res);
    expect(body.code).toBe('CSRF_FAILED');
    expect(body.reason).toBe('TOKEN_MISSING');
  });

  it('refuses a wrong token', async () => {
    const res = await post({ 'x-csrf-token': `${coordinator.csrfToken}x` });
    expect(res.status).toBe(403);
    expect((await json(res)).reason).toBe('TOKEN_MISMATCH');
  });

  it('refuses a cross-site Origin even with the right token', async () => {
    const res = await post({ 'x-csrf-token': coordinator.csrfToken, origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect((await json(res)).reason).toBe('ORIGIN_MISMATCH');
  });

  it('refuses Origin: null (sandboxed frames, some redirects)', async () => {
    const res = await post({ 'x-csrf-token': coordinator.csrfToken, origin: 'null' });
    expect(res.status).toBe(403);
  });

  it('refuses Sec-Fetch-Site cross-site and same-site even with the right token', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const res = await post({ 'x-csrf-token': coordinator.csrfToken, 'sec-fetch-site': site });
      expect(res.status, site).toBe(403);
      expect((await json(res)).reason).toBe('CROSS_SITE');
    }
  });
});
