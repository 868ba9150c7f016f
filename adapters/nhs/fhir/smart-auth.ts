/**
 * SMART Backend Services (SMART App Launch 2.x, "backend services"): OAuth 2 client credentials
 * with a signed JWT client assertion, as NHS England's FHIR APIs expect.
 *
 *   1. discovery: GET {fhirBase}/.well-known/smart-configuration gives the token endpoint and the
 *      signing algorithms it accepts;
 *   2. the assertion: a JWT signed with the client's private key (RS384 for an RSA key, ES384 for a
 *      P-384 key), iss = sub = client id, aud = the token endpoint, a fresh jti, exp at most five
 *      minutes ahead;
 *   3. POST grant_type=client_credentials, client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer,
 *      client_assertion, scope; the access token is kept until shortly before it expires.
 *
 * node:crypto only (no JOSE library): one signature and one base64url encoding.
 */
import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { FhirAuthFailed, FhirConfigInvalid, FhirUnreachable } from './errors.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** SMART's ceiling for an assertion's lifetime. */
export const MAX_ASSERTION_SECONDS = 300;

export type SigningAlg = 'RS384' | 'ES384';

export interface SmartAuthOptions {
  /** The FHIR base URL; discovery is {fhirBase}/.well-known/smart-configuration. */
  fhirBase: string;
  /** The client id the service registered for this adapter (NHS England: the application's API key). */
  clientId: string;
  /** PEM (PKCS#8 or PKCS#1/SEC1) private key whose public half (JWKS) is registered with the service. */
  privateKeyPem: string;
  /** Key id of the registered public key (the JWT header's `kid`). */
  kid: string;
  /** Scopes to ask for, space-separated (default: read access to the resource types this adapter reads). */
  scope?: string;
  /** Skip discovery and use this token endpoint (NHS England publishes it per environment). */
  tokenEndpoint?: string;
  /** Assertion lifetime in seconds (1..300, default 300). */
  assertionSeconds?: number;
  /** A token is renewed this many seconds before it expires (default 30). */
  renewBeforeSeconds?: number;
  timeoutMs?: number;
  /** Clock in ms since the epoch (tests move it). */
  now?: () => number;
  fetch?: typeof fetch;
}

export const DEFAULT_SCOPE = ['Patient', 'Encounter', 'Condition', 'EpisodeOfCare', 'Observation', 'Flag'].map((r) => `system/${r}.rs`).join(' ');

export interface SmartConfiguration {
  token_endpoint: string;
  token_endpoint_auth_methods_supported?: string[];
  token_endpoint_auth_signing_alg_values_supported?: string[];
  grant_types_supported?: string[];
  scopes_supported?: string[];
}

export interface AccessToken {
  value: string;
  /** ms since the epoch, on the adapter's clock. */
  expiresAt: number;
  scope?: string;
}

export interface SmartAuth {
  /** A valid access token: the cached one, or a new one from the token endpoint. */
  token(signal?: AbortSignal): Promise<string>;
  /** Forget the cached token (the FHIR server said 401: it was revoked or expired early). */
  invalidate(): void;
  readonly stats: { tokensIssued: number; discoveries: number };
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** The algorithm a key signs with: RS384 for RSA (2048 bits or more), ES384 for an EC P-384 key. */
export function algFor(key: KeyObject): SigningAlg {
  if (key.asymmetricKeyType === 'rsa') {
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new FhirConfigInvalid('the RSA key must be 2048 bits or more');
    return 'RS384';
  }
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'secp384r1') return 'ES384';
  throw new FhirConfigInvalid('the private key must be RSA (RS384) or EC P-384 (ES384)');
}

export interface AssertionClaims {
  iss: string;
  sub: string;
  aud: string;
  jti: string;
  iat: number;
  exp: number;
}

/** A signed client assertion (compact JWS). */
export function signClientAssertion(o: { clientId: string; tokenEndpoint: string; key: KeyObject; kid: string; nowMs: number; lifetimeSeconds?: number; jti?: string }): string {
  const lifetime = o.lifetimeSeconds ?? MAX_ASSERTION_SECONDS;
  if (!(lifetime > 0 && lifetime <= MAX_ASSERTION_SECONDS)) throw new FhirConfigInvalid('the assertion lifetime must be 1..300 seconds');
  const alg = algFor(o.key);
  const iat = Math.floor(o.nowMs / 1000);
  const claims: AssertionClaims = { iss: o.clientId, sub: o.clientId, aud: o.tokenEndpoint, jti: o.jti ?? randomUUID(), iat, exp: iat + lifetime };
  const input = `${b64url(JSON.stringify({ alg, typ: 'JWT', kid: o.kid }))}.${b64url(JSON.stringify(claims))}`;
  // ES384 in a JWS is the raw r‖s pair (IEEE P1363), not DER.
  const sig = sign('sha384', Buffer.from(input), alg === 'ES384' ? { key: o.key, dsaEncoding: 'ieee-p1363' } : o.key);
  return `${input}.${b64url(sig)}`;
}

/** Loopback may be plain http (tests, a local proxy); anything else must be https. */
export function assertSafeUrl(url: string, what: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new FhirConfigInvalid(`${what} is not a URL`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) throw new FhirConfigInvalid(`${what} must use https`);
  return u;
}

export function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const t = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, t]) : t;
}

export function createSmartAuth(o: SmartAuthOptions): SmartAuth {
  const doFetch = o.fetch ?? fetch;
  const now = o.now ?? Date.now;
  const timeoutMs = o.timeoutMs ?? 15_000;
  const renewMs = (o.renewBeforeSeconds ?? 30) * 1000;
  const base = assertSafeUrl(o.fhirBase, 'the FHIR base URL').toString().replace(/\/+$/, '');
  let key: KeyObject;
  try {
    key = createPrivateKey(o.privateKeyPem);
  } catch (e) {
    throw new FhirConfigInvalid('the private key is not a readable PEM key', { cause: e });
  }
  const alg = algFor(key);
  let tokenEndpoint = o.tokenEndpoint ? assertSafeUrl(o.tokenEndpoint, 'the token endpoint').toString() : undefined;
  let cached: AccessToken | undefined;
  let pending: Promise<AccessToken> | undefined;
  const stats = { tokensIssued: 0, discoveries: 0 };

  async function discover(signal?: AbortSignal): Promise<string> {
    if (tokenEndpoint) return tokenEndpoint;
    let res: Response;
    try {
      res = await doFetch(`${base}/.well-known/smart-configuration`, { headers: { accept: 'application/json' }, signal: withTimeout(signal, timeoutMs) });
    } catch (e) {
      throw new FhirUnreachable('SMART configuration could not be fetched', { cause: e });
    }
    if (!res.ok) throw new FhirUnreachable(`SMART configuration answered ${res.status}`);
    const cfg = (await res.json().catch(() => null)) as SmartConfiguration | null;
    if (!cfg || typeof cfg.token_endpoint !== 'string') throw new FhirUnreachable('SMART configuration has no token_endpoint');
    const algs = cfg.token_endpoint_auth_signing_alg_values_supported;
    if (algs && !algs.includes(alg)) throw new FhirConfigInvalid(`the token endpoint does not accept ${alg} assertions (it accepts ${algs.join(', ')})`);
    const methods = cfg.token_endpoint_auth_methods_supported;
    if (methods && !methods.includes('private_key_jwt')) throw new FhirConfigInvalid('the token endpoint does not accept private_key_jwt');
    stats.discoveries++;
    tokenEndpoint = assertSafeUrl(cfg.token_endpoint, 'the discovered token endpoint').toString();
    return tokenEndpoint;
  }

  async function fetchToken(signal?: AbortSignal): Promise<AccessToken> {
    const endpoint = await discover(signal);
    const assertion = signClientAssertion({ clientId: o.clientId, tokenEndpoint: endpoint, key, kid: o.kid, nowMs: now(), lifetimeSeconds: o.assertionSeconds ?? MAX_ASSERTION_SECONDS });
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      scope: o.scope ?? DEFAULT_SCOPE,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    });
    const asked = now();
    let res: Response;
    try {
      res = await doFetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body, signal: withTimeout(signal, timeoutMs) });
    } catch (e) {
      throw new FhirUnreachable('the token endpoint could not be reached', { cause: e });
    }
    const json = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    if (!res.ok) {
      const err = typeof json?.error === 'string' ? json.error : undefined;
      if (res.status === 400 || res.status === 401 || res.status === 403) {
        throw new FhirAuthFailed(res.status, err, `the token endpoint refused the client (${res.status}${err ? ` ${err}` : ''})`);
      }
      throw new FhirUnreachable(`the token endpoint answered ${res.status}`);
    }
    if (!json || typeof json.access_token !== 'string' || typeof json.token_type !== 'string' || json.token_type.toLowerCase() !== 'bearer') {
      throw new FhirAuthFailed(res.status, 'invalid_response', 'the token endpoint answered without a bearer access token');
    }
    const expiresIn = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 300;
    stats.tokensIssued++;
    return { value: json.access_token, expiresAt: asked + expiresIn * 1000, ...(typeof json.scope === 'string' ? { scope: json.scope } : {}) };
  }

  return {
    stats,
    async token(signal) {
      if (cached && now() < cached.expiresAt - renewMs) return cached.value;
      // Concurrent callers share one token request.
      pending ??= fetchToken(signal).finally(() => {
        pending = undefined;
      });
      cached = await pending;
      return cached.value;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
