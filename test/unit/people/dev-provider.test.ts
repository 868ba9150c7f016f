import { describe, expect, it } from 'vitest';
import { json } from '../../helpers/oidc.js';
import { startDevOidcProvider } from '../../../gateway/src/identity/oidc/dev-provider.js';

const clients = [{ client_id: 'c', client_secret: 's', redirect_uris: ['http://127.0.0.1:9/auth/callback'] }];

describe('development OIDC provider', () => {
  it('refuses to start in production mode (DEV_OIDC_IN_PRODUCTION)', async () => {
    await expect(startDevOidcProvider({ port: 0, clients, production: true })).rejects.toMatchObject({
      code: 'DEV_OIDC_IN_PRODUCTION',
    });
  });

  it('starts in production mode only when explicitly allowed, and publishes discovery with PKCE S256', async () => {
    const idp = await startDevOidcProvider({ port: 0, clients, production: true, allowInProduction: true });
    try {
      expect(idp.issuer).toBe(`http://127.0.0.1:${idp.port}`);
      const meta = await json(await fetch(`${idp.issuer}/.well-known/openid-configuration`));
      expect(meta.issuer).toBe(idp.issuer);
      expect(meta.code_challenge_methods_supported).toEqual(['S256']);
      expect(meta.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'marac']));
      expect(meta.claims_supported).toEqual(expect.arrayContaining(['marac_roles', 'agency', 'name']));
    } finally {
      await idp.close();
    }
  });

  it('refuses an authorisation request without PKCE', async () => {
    const idp = await startDevOidcProvider({ port: 0, clients, production: false });
    try {
      const u = new URL(`${idp.issuer}/auth`);
      u.search = new URLSearchParams({
        client_id: 'c', response_type: 'code', scope: 'openid', redirect_uri: clients[0]!.redirect_uris[0]!, state: 'abc',
      }).toString();
      const res = await fetch(u, { redirect: 'manual' });
      const to = new URL(res.headers.get('location')!);
      expect(to.searchParams.get('error')).toBe('invalid_request');
      expect(to.searchParams.get('error_description')).toMatch(/PKCE/);
    } finally {
      await idp.close();
    }
  });
});
