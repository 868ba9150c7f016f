import * as oidc from 'openid-client';
import { GatewayError } from '../../errors.js';

/**
 * The gateway as an OpenID Connect relying party (openid-client 6): authorisation code flow with
 * PKCE (S256), state and nonce, against any standard provider found by discovery.
 */

export interface OidcClientOptions {
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  /** Absolute URL of the gateway's `/auth/callback`, exactly as registered with the provider. */
  redirectUri: string;
  /** Claim holding the roles: an array of strings (or one space/comma separated string). A dotted
   * path reaches into an object claim, e.g. `realm_access.roles`. */
  roleClaim: string;
  /** Claim holding the person's agency id; dotted paths allowed. */
  agencyClaim: string;
  scopes: string[];
  /**
   * `prompt` sent on every authorisation request. Default `login`: the provider asks for credentials
   * even when it still has a session, so signing out of the gateway and back in on a shared
   * workstation never silently resumes the previous person.
   */
  prompt?: string | null;
  /** Plain-http issuers are refused unless this is set AND the issuer is on a loopback address. */
  allowInsecureLoopback?: boolean;
}

/** What the provider says about the person; roles are raw strings, the caller maps them. */
export interface OidcIdentity {
  sub: string;
  displayName: string;
  roles: string[];
  agencyId?: string;
  /** The `email` claim, when the provider gives one (notifications; see notifications/people-directory). */
  email?: string;
}

export interface LoginStart {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface LoginChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface OidcClient {
  startLogin(): Promise<LoginStart>;
  /**
   * `callbackQuery`: the raw query string the browser brought to the redirect URI (without `?`).
   * The URL is rebuilt from the configured redirect URI, never from the request's Host header.
   */
  finishLogin(callbackQuery: string, checks: LoginChecks): Promise<OidcIdentity>;
}

/** The configuration cannot be used (e.g. an http issuer that is not loopback). */
export class OidcConfigInvalid extends GatewayError {
  readonly code = 'OIDC_CONFIG_INVALID';
  readonly status = 500;
}

/** Discovery or the token endpoint could not be reached or answered nonsense. */
export class OidcProviderUnavailable extends GatewayError {
  readonly code = 'OIDC_PROVIDER_UNAVAILABLE';
  readonly status = 503;
}

/**
 * The authorisation response or the token exchange failed. `reason` is a stable code of ours:
 * PROVIDER_DENIED (the provider said access_denied), PROVIDER_ERROR (any other provider error),
 * TOKEN_EXCHANGE_FAILED, RESPONSE_INVALID (state, nonce, issuer, signature... checks), NO_ID_TOKEN,
 * USERINFO_FAILED. `providerError` / `providerDescription` keep the provider's own codes when they
 * have a safe token shape.
 */
export class OidcLoginRejected extends GatewayError {
  readonly code = 'LOGIN_FAILED';
  readonly status = 401;
  readonly providerError?: string;
  readonly providerDescription?: string;
  constructor(
    message: string,
    opts: { reason: string; cause?: unknown; providerError?: string; providerDescription?: string },
  ) {
    super(message, { reason: opts.reason, cause: opts.cause });
    if (opts.providerError) this.providerError = opts.providerError;
    if (opts.providerDescription) this.providerDescription = opts.providerDescription;
  }
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

export function readClaim(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path];
  let cur: unknown = claims;
  for (const part of path.split('.')) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export function rolesFromClaim(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  return [];
}

/** Codes from the provider are echoed into audit events, so keep only a safe token shape. */
function safeCode(s: unknown): string | undefined {
  return typeof s === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(s) ? s : undefined;
}

export function createOidcClient(opts: OidcClientOptions): OidcClient {
  const issuer = new URL(opts.issuerUrl);
  const insecure = issuer.protocol === 'http:';
  if (insecure && !(opts.allowInsecureLoopback && LOOPBACK.has(issuer.hostname))) {
    throw new OidcConfigInvalid('the OIDC issuer must use https (plain http only for a loopback dev provider)');
  }
  if (issuer.protocol !== 'http:' && issuer.protocol !== 'https:') {
    throw new OidcConfigInvalid('the OIDC issuer must be an http(s) URL');
  }
  const scope = [...new Set(['openid', ...opts.scopes])].join(' ');
  const prompt = opts.prompt === undefined ? 'login' : opts.prompt;

  // Discovered lazily and cached; a failed discovery is retried on the next log-in, so the gateway
  // can start before its provider.
  let configPromise: Promise<oidc.Configuration> | undefined;
  function config(): Promise<oidc.Configuration> {
    configPromise ??= oidc
      .discovery(issuer, opts.clientId, opts.clientSecret, oidc.ClientSecretBasic(opts.clientSecret), {
        execute: insecure ? [oidc.allowInsecureRequests] : [],
        timeout: 10,
      })
      .catch((err: unknown) => {
        configPromise = undefined;
        throw new OidcProviderUnavailable('OIDC discovery failed', { cause: err });
      });
    return configPromise;
  }

  return {
    async startLogin() {
      const cfg = await config();
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const params: Record<string, string> = {
        redirect_uri: opts.redirectUri,
        response_type: 'code',
        scope,
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      };
      if (prompt) params.prompt = prompt;
      return { url: oidc.buildAuthorizationUrl(cfg, params), state, nonce, codeVerifier };
    },

    async finishLogin(callbackQuery, checks) {
      const cfg = await config();
      const callbackUrl = new URL(opts.redirectUri);
      callbackUrl.search = callbackQuery;
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(cfg, callbackUrl, {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          idTokenExpected: true,
        });
      } catch (err) {
        if (err instanceof oidc.AuthorizationResponseError) {
          const providerError = safeCode(err.error);
          const providerDescription = safeCode(err.error_description);
          throw new OidcLoginRejected('the provider refused the log-in', {
            reason: err.error === 'access_denied' ? 'PROVIDER_DENIED' : 'PROVIDER_ERROR',
            cause: err,
            ...(providerError ? { providerError } : {}),
            ...(providerDescription ? { providerDescription } : {}),
          });
        }
        if (err instanceof oidc.ResponseBodyError) {
          throw new OidcLoginRejected('the token exchange failed', { reason: 'TOKEN_EXCHANGE_FAILED', cause: err });
        }
        const code = (err as { code?: string }).code;
        if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || code === 'OAUTH_RESPONSE_IS_NOT_JSON' || (err as Error).name === 'TypeError' && /fetch/i.test((err as Error).message)) {
          throw new OidcProviderUnavailable('the OIDC provider did not answer properly', { cause: err });
        }
        // State, nonce, issuer, signature, audience or expiry checks: the response is not trustworthy.
        throw new OidcLoginRejected('the authorisation response failed validation', { reason: 'RESPONSE_INVALID', cause: err });
      }

      const idClaims = tokens.claims();
      if (!idClaims) throw new OidcLoginRejected('no ID token', { reason: 'NO_ID_TOKEN' });
      let claims: Record<string, unknown> = { ...idClaims };
      // Providers that conform to the spec put scope-requested claims only in userinfo.
      const needsUserinfo =
        readClaim(claims, opts.roleClaim) === undefined ||
        readClaim(claims, 'name') === undefined ||
        readClaim(claims, opts.agencyClaim) === undefined;
      if (needsUserinfo && cfg.serverMetadata().userinfo_endpoint) {
        try {
          const info = await oidc.fetchUserInfo(cfg, tokens.access_token, idClaims.sub);
          // The ID token is signed; userinfo only fills gaps, it never overrides it.
          claims = { ...info, ...claims };
        } catch (err) {
          throw new OidcLoginRejected('userinfo failed', { reason: 'USERINFO_FAILED', cause: err });
        }
      }

      const agency = readClaim(claims, opts.agencyClaim);
      const name = readClaim(claims, 'name');
      const identity: OidcIdentity = {
        sub: idClaims.sub,
        displayName: typeof name === 'string' && name.trim() ? name.trim().slice(0, 200) : idClaims.sub,
        roles: rolesFromClaim(readClaim(claims, opts.roleClaim)),
      };
      if (typeof agency === 'string' && agency) identity.agencyId = agency;
      const email = readClaim(claims, 'email');
      if (typeof email === 'string' && email.length <= 254 && email.includes('@')) identity.email = email;
      return identity;
    },
  };
}
