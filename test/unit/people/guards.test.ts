import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { safeReturnTo } from '../../../gateway/src/http/session-routes.js';
import { createOidcClient, readClaim, rolesFromClaim } from '../../../gateway/src/identity/oidc/client.js';
import { createPeopleAuth } from '../../../gateway/src/identity/people-auth.js';
import { clearCookie, readCookie, serializeCookie } from '../../../gateway/src/identity/people-cookies.js';
import { tokensEqual } from '../../../gateway/src/identity/people-csrf.js';
import { knownRoles, tokenHash } from '../../../gateway/src/identity/people-sessions.js';
import type { OidcClient } from '../../../gateway/src/identity/oidc/client.js';

describe('safeReturnTo', () => {
  it.each([
    [undefined, '/'],
    ['/', '/'],
    ['/cases?sort=deadline', '/cases?sort=deadline'],
    ['/cases/../audit', '/audit'],
    ['/a#b', '/a#b'],
  ])('accepts %s', (raw, expected) => {
    expect(safeReturnTo(raw)).toBe(expected);
  });

  it.each([
    'https://evil.example/',
    '//evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    'cases',
    '',
    '/a\tb',
    '/a\r\nSet-Cookie: x=y',
    `/${'a'.repeat(3000)}`,
    ['/a', '/b'],
  ])('refuses %s', (raw) => {
    expect(safeReturnTo(raw)).toBeUndefined();
  });
});

describe('cookies', () => {
  const token = 'A'.repeat(43);
  it('reads our cookie among others', () => {
    expect(readCookie(`a=1; marac_session=${token}; b=2`, 'marac_session')).toBe(token);
    expect(readCookie(undefined, 'marac_session')).toBeUndefined();
  });
  it('trusts neither of two cookies with our name', () => {
    expect(readCookie(`marac_session=${token}; marac_session=${'B'.repeat(43)}`, 'marac_session')).toBeUndefined();
  });
  it('ignores values that are not tokens', () => {
    expect(readCookie('marac_session=short', 'marac_session')).toBeUndefined();
    expect(readCookie(`marac_session=${token}%00`, 'marac_session')).toBeUndefined();
  });
  it('serialises with HttpOnly, SameSite=Lax, Path=/ and Secure when asked', () => {
    expect(serializeCookie('n', 'v', { secure: true })).toBe('n=v; Path=/; HttpOnly; SameSite=Lax; Secure');
    expect(serializeCookie('n', 'v', { secure: false, maxAgeSeconds: 600 })).toBe('n=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=600');
    expect(clearCookie('n', false)).toContain('Max-Age=0');
  });
});

describe('claims and roles', () => {
  it('reads flat and dotted claims', () => {
    expect(readClaim({ marac_roles: ['auditor'] }, 'marac_roles')).toEqual(['auditor']);
    expect(readClaim({ realm_access: { roles: ['admin'] } }, 'realm_access.roles')).toEqual(['admin']);
    expect(readClaim({ realm_access: ['x'] }, 'realm_access.roles')).toBeUndefined();
  });
  it('accepts arrays and space/comma separated strings, nothing else', () => {
    expect(rolesFromClaim(['a', 1, 'b'])).toEqual(['a', 'b']);
    expect(rolesFromClaim('a b,c')).toEqual(['a', 'b', 'c']);
    expect(rolesFromClaim({ a: 1 })).toEqual([]);
  });
  it('keeps only known roles, once each', () => {
    expect(knownRoles(['auditor', 'root', 'auditor', 'ig_officer'])).toEqual(['auditor', 'ig_officer']);
  });
  it('hashes tokens to 64 hex characters and compares CSRF tokens exactly', () => {
    expect(tokenHash('x')).toMatch(/^[0-9a-f]{64}$/);
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abd')).toBe(false);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
  });
});

describe('configuration guards', () => {
  const base = {
    clientId: 'c', clientSecret: 's', redirectUri: 'https://gw.example/auth/callback',
    roleClaim: 'marac_roles', agencyClaim: 'agency', scopes: ['openid'],
  };
  it('refuses a plain-http issuer that is not loopback, even when insecure loopback is allowed', () => {
    expect(() => createOidcClient({ ...base, issuerUrl: 'http://idp.example' , allowInsecureLoopback: true })).toThrow(
      expect.objectContaining({ code: 'OIDC_CONFIG_INVALID' }),
    );
  });
  it('refuses a loopback http issuer unless allowed', () => {
    expect(() => createOidcClient({ ...base, issuerUrl: 'http://127.0.0.1:4000' })).toThrow(
      expect.objectContaining({ code: 'OIDC_CONFIG_INVALID' }),
    );
    expect(() => createOidcClient({ ...base, issuerUrl: 'http://127.0.0.1:4000', allowInsecureLoopback: true })).not.toThrow();
    expect(() => createOidcClient({ ...base, issuerUrl: 'https://idp.example' })).not.toThrow();
  });

  const fakeOidc: OidcClient = {
    startLogin: () => Promise.reject(new Error('unused')),
    finishLogin: () => Promise.reject(new Error('unused')),
  };
  // Never connects: the pool is only handed over.
  const pool = new pg.Pool({ connectionString: 'postgres://unused@127.0.0.1:1/unused' });
  const audit = { append: () => Promise.reject(new Error('unused')) };
  const ok = { pool, audit, oidc: fakeOidc, cookieName: 'marac_session', secureCookies: false, idleMinutes: 30, absoluteHours: 10 };

  it.each([
    [{ cookieName: '__Host-marac', secureCookies: false }],
    [{ cookieName: 'bad name;' }],
    [{ idleMinutes: 0 }],
    [{ absoluteHours: -1 }],
    [{ afterLogoutPath: 'https://evil.example' }],
  ])('createPeopleAuth refuses %o (PEOPLE_AUTH_CONFIG_INVALID)', (bad) => {
    expect(() => createPeopleAuth({ ...ok, ...bad })).toThrow(expect.objectContaining({ code: 'PEOPLE_AUTH_CONFIG_INVALID' }));
  });

  it('requireRole needs at least one known role', () => {
    const people = createPeopleAuth({ ...ok, cookieName: '__Host-marac', secureCookies: true });
    expect(() => people.requireRole()).toThrow(expect.objectContaining({ code: 'PEOPLE_AUTH_CONFIG_INVALID' }));
    expect(() => people.requireRole('root' as never)).toThrow(expect.objectContaining({ code: 'PEOPLE_AUTH_CONFIG_INVALID' }));
    expect(() => people.requireRole('auditor')).not.toThrow();
  });
});
