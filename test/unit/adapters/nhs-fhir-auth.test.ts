/**
 * SMART Backend Services client assertion and token handling (adapters/nhs/fhir/smart-auth.ts):
 * the JWT's header, claims and signature (RS384 and ES384), the limits on keys and lifetimes, and
 * the token cache against a token endpoint stand-in (a fetch function answering like one).
 */
import { describe, expect, it } from 'vitest';
import { generateKeyPairSync, verify } from 'node:crypto';
import { algFor, CLIENT_ASSERTION_TYPE, createSmartAuth, signClientAssertion } from '../../../adapters/nhs/fhir/smart-auth.js';
import { FhirAuthFailed, FhirConfigInvalid } from '../../../adapters/nhs/fhir/errors.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
const TOKEN_URL = 'https://auth.example.nhs.uk/oauth2/token';
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

describe('client assertion', () => {
  it('RS384: header and claims as SMART Backend Services asks, signature verifies with the public key', () => {
    const now = Date.UTC(2026, 11, 7, 10, 0, 0);
    const jwt = signClientAssertion({ clientId: 'client-1', tokenEndpoint: TOKEN_URL, key: rsa.privateKey, kid: 'k1', nowMs: now });
    const [h, c, s] = jwt.split('.') as [string, string, string];
    expect(decode(h)).toEqual({ alg: 'RS384', typ: 'JWT', kid: 'k1' });
    const claims = decode(c);
    expect(claims).toMatchObject({ iss: 'client-1', sub: 'client-1', aud: TOKEN_URL, iat: now / 1000, exp: now / 1000 + 300 });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(verify('sha384', Buffer.from(`${h}.${c}`), rsa.publicKey, Buffer.from(s, 'base64url'))).toBe(true);
    expect(verify('sha384', Buffer.from(`${h}.${c}x`), rsa.publicKey, Buffer.from(s, 'base64url'))).toBe(false);
  });

  it('ES384 (P-384): a raw r‖s signature of 96 bytes, as JWS wants', () => {
    const jwt = signClientAssertion({ clientId: 'client-1', tokenEndpoint: TOKEN_URL, key: ec.privateKey, kid: 'k2', nowMs: Date.now(), lifetimeSeconds: 60 });
    const [h, c, s] = jwt.split('.') as [string, string, string];
    expect(decode(h).alg).toBe('ES384');
    expect(decode(c).exp - decode(c).iat).toBe(60);
    expect(Buffer.from(s, 'base64url')).toHaveLength(96);
    expect(verify('sha384', Buffer.from(`${h}.${c}`), { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))).toBe(true);
  });

  it('a fresh jti each time', () => {
    const jtis = new Set(Array.from({ length: 20 }, () => decode(signClientAssertion({ clientId: 'c', tokenEndpoint: TOKEN_URL, key: rsa.privateKey, kid: 'k', nowMs: 0 }).split('.')[1]!).jti));
    expect(jtis.size).toBe(20);
  });

  it('refuses lifetimes over five minutes, short RSA keys and other curves', () => {
    expect(() => signClientAssertion({ clientId: 'c', tokenEndpoint: TOKEN_URL, key: rsa.privateKey, kid: 'k', nowMs: 0, lifetimeSeconds: 301 })).toThrow(FhirConfigInvalid);
    expect(() => algFor(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey)).toThrow(/2048/);
    expect(() => algFor(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey)).toThrow(FhirConfigInvalid);
    expect(() => algFor(generateKeyPairSync('ed25519').privateKey)).toThrow(FhirConfigInvalid);
  });
});

describe('token cache and discovery', () => {
  function endpoint(o: { status?: number; expiresIn?: number; algs?: string[] } = {}) {
    const calls: { url: string; form?: URLSearchParams }[] = [];
    const f = (async (url: string | URL, init?: RequestInit) => {
      const u = String(url);
      if (u.endsWith('/.well-known/smart-configuration')) {
        calls.push({ url: u });
        return Response.json({ token_endpoint: TOKEN_URL, token_endpoint_auth_methods_supported: ['private_key_jwt'], token_endpoint_auth_signing_alg_values_supported: o.algs ?? ['RS384', 'ES384'] });
      }
      const form = new URLSearchParams(String(init?.body));
      calls.push({ url: u, form });
      if (o.status) return Response.json({ error: 'invalid_client' }, { status: o.status });
      return Response.json({ access_token: `t${calls.length}`, token_type: 'bearer', expires_in: o.expiresIn ?? 300 });
    }) as typeof fetch;
    return { f, calls };
  }
  const base = { fhirBase: 'https://fhir.example.nhs.uk/R4', clientId: 'client-1', privateKeyPem: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), kid: 'k1' };

  it('discovers once, posts client_credentials with a jwt-bearer assertion for the token endpoint, caches the token until shortly before expiry', async () => {
    const { f, calls } = endpoint();
    let now = 1_000_000;
    const auth = createSmartAuth({ ...base, fetch: f, now: () => now });
    const first = await auth.token();
    expect(await auth.token()).toBe(first);
    expect(calls.map((c) => c.url)).toEqual(['https://fhir.example.nhs.uk/R4/.well-known/smart-configuration', TOKEN_URL]);
    const form = calls[1]!.form!;
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('client_assertion_type')).toBe(CLIENT_ASSERTION_TYPE);
    expect(decode(form.get('client_assertion')!.split('.')[1]!).aud).toBe(TOKEN_URL);
    expect(form.get('scope')).toContain('system/Patient.rs');
    now += 269_000; // still 31 s to go: cached
    expect(await auth.token()).toBe(first);
    now += 2_000; // inside the 30 s renewal margin: a new one
    expect(await auth.token()).not.toBe(first);
    expect(auth.stats).toEqual({ tokensIssued: 2, discoveries: 1 });
    auth.invalidate();
    await auth.token();
    expect(auth.stats.tokensIssued).toBe(3);
  });

  it('concurrent callers share one token request', async () => {
    const { f, calls } = endpoint();
    const auth = createSmartAuth({ ...base, fetch: f, tokenEndpoint: TOKEN_URL });
    const tokens = await Promise.all([auth.token(), auth.token(), auth.token()]);
    expect(new Set(tokens).size).toBe(1);
    expect(calls).toHaveLength(1);
  });

  it('a refused assertion is FHIR_AUTH_FAILED with the status and the OAuth error', async () => {
    const { f } = endpoint({ status: 401 });
    const err = await createSmartAuth({ ...base, fetch: f }).token().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FhirAuthFailed);
    expect(err).toMatchObject({ code: 'FHIR_AUTH_FAILED', status: 401, oauthError: 'invalid_client' });
  });

  it('an endpoint that does not take the key\'s algorithm, or a plain-http server elsewhere than loopback, is a configuration error', async () => {
    const { f } = endpoint({ algs: ['ES384'] });
    await expect(createSmartAuth({ ...base, fetch: f }).token()).rejects.toMatchObject({ code: 'FHIR_CONFIG_INVALID' });
    expect(() => createSmartAuth({ ...base, fhirBase: 'http://fhir.example.nhs.uk/R4' })).toThrow(/https/);
    expect(() => createSmartAuth({ ...base, privateKeyPem: 'not a key' })).toThrow(FhirConfigInvalid);
  });
});
