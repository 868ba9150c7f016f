import express, { type RequestHandler, type Router } from 'express';
import { OidcLoginRejected, OidcProviderUnavailable, type OidcClient } from '../identity/oidc/client.js';
import { clearCookie, readCookie, serializeCookie, type CookieSettings } from '../identity/people-cookies.js';
import { Unauthenticated } from '../errors.js';
import { InvalidReturnTo, LoginFailed } from '../identity/people-errors.js';
import { knownRoles, newToken, type PeopleSessions } from '../identity/people-sessions.js';
import type { PersonPrincipal } from '../identity/principal.js';

/**
 * People log-in routes (mount at the site root):
 *   GET  /login?returnTo=/path   start the OIDC flow (303 to the provider)
 *   GET  /auth/callback          the provider's redirect back: exchange the code, open a session
 *   POST /logout                 end the session (CSRF-protected), 303 to `afterLogoutPath`
 *   GET  /auth/session           JSON: the signed-in person and the CSRF token (401 when none),
 *                                for API clients and tests; same-origin only (no CORS)
 * Failures go to `next(err)` as GatewayErrors (LOGIN_FAILED 401, INVALID_RETURN_TO 400,
 * RATE_LIMITED 429, OIDC_PROVIDER_UNAVAILABLE 503) for the app's error handler to render.
 */

export interface SessionRoutesDeps {
  sessions: PeopleSessions;
  oidc: OidcClient;
  cookies: CookieSettings;
  /** Limits /login and /auth/callback per client. */
  loginLimiter: RequestHandler;
  authenticate: RequestHandler;
  csrfProtect: RequestHandler;
  afterLogoutPath: string;
  /** Seconds a started log-in may take; also the log-in cookie's Max-Age. */
  pendingLoginSeconds: number;
}

const MAX_RETURN_TO = 2048;

/**
 * Only a path on this site: starts with one `/`, no scheme, no host, no backslash (browsers read
 * `/\evil` as `//evil`), no control characters. Resolving against a dummy origin must keep it.
 */
export function safeReturnTo(raw: unknown): string | undefined {
  if (raw === undefined) return '/';
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_RETURN_TO) return undefined;
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) return undefined;
  const base = 'http://gateway.invalid';
  let u: URL;
  try {
    u = new URL(raw, base);
  } catch {
    return undefined;
  }
  if (u.origin !== base) return undefined;
  return u.pathname + u.search + u.hash;
}

function noStore(res: express.Response) {
  res.set('Cache-Control', 'no-store');
}

export function createSessionRoutes(deps: SessionRoutesDeps): Router {
  const { sessions, oidc, cookies } = deps;
  const router = express.Router();

  router.get('/login', deps.loginLimiter, async (req, res, next) => {
    try {
      noStore(res);
      const returnTo = safeReturnTo(req.query.returnTo);
      if (!returnTo) throw new InvalidReturnTo('returnTo must be a path on this site');
      const start = await oidc.startLogin();
      const browserToken = newToken();
      await sessions.savePending(start.state, browserToken, {
        nonce: start.nonce,
        codeVerifier: start.codeVerifier,
        returnTo,
      });
      res.append(
        'Set-Cookie',
        serializeCookie(cookies.loginName, browserToken, { secure: cookies.secure, maxAgeSeconds: deps.pendingLoginSeconds }),
      );
      res.redirect(303, start.url.href);
    } catch (err) {
      next(err);
    }
  });

  router.get('/auth/callback', deps.loginLimiter, async (req, res, next) => {
    noStore(res);
    res.append('Set-Cookie', clearCookie(cookies.loginName, cookies.secure));
    const fail = async (reason: string, actor?: PersonPrincipal, detail?: Record<string, string>) => {
      await sessions.recordLoginFailed(reason, actor, detail);
      return new LoginFailed('log-in failed', { reason });
    };
    try {
      const state = typeof req.query.state === 'string' ? req.query.state : undefined;
      const browserToken = readCookie(req.headers.cookie, cookies.loginName);
      const pending = state && browserToken ? await sessions.takePending(state, browserToken) : undefined;
      if (!pending) throw await fail('LOGIN_STATE_UNKNOWN');

      const q = req.originalUrl.indexOf('?');
      const query = q >= 0 ? req.originalUrl.slice(q + 1) : '';
      let identity;
      try {
        identity = await oidc.finishLogin(query, { state: state!, nonce: pending.nonce, codeVerifier: pending.codeVerifier });
      } catch (err) {
        if (err instanceof OidcLoginRejected) {
          const detail: Record<string, string> = {};
          if (err.providerError) detail.providerError = err.providerError;
          if (err.providerDescription) detail.providerDescription = err.providerDescription;
          throw await fail(err.reason ?? 'RESPONSE_INVALID', undefined, Object.keys(detail).length ? detail : undefined);
        }
        if (err instanceof OidcProviderUnavailable) {
          await sessions.recordLoginFailed('PROVIDER_UNAVAILABLE');
        }
        throw err;
      }

      const roles = knownRoles(identity.roles);
      if (roles.length === 0) {
        const who: PersonPrincipal = { kind: 'person', userId: identity.sub, displayName: identity.displayName, roles: [] };
        throw await fail('NO_ROLE', who);
      }
      const previous = readCookie(req.headers.cookie, cookies.sessionName);
      const { token } = await sessions.create(
        {
          userId: identity.sub,
          displayName: identity.displayName,
          roles,
          ...(identity.agencyId ? { agencyId: identity.agencyId } : {}),
        },
        previous,
      );
      res.append('Set-Cookie', serializeCookie(cookies.sessionName, token, { secure: cookies.secure }));
      res.redirect(303, pending.returnTo);
    } catch (err) {
      next(err);
    }
  });

  // Without a session there is nothing to end and nothing to protect: just clear the cookie.
  const csrfIfSignedIn: RequestHandler = (req, res, next) =>
    res.locals.principal ? deps.csrfProtect(req, res, next) : next();

  router.post('/logout', deps.authenticate, csrfIfSignedIn, async (req, res, next) => {
    try {
      noStore(res);
      const token = readCookie(req.headers.cookie, cookies.sessionName);
      if (token && res.locals.principal) await sessions.logout(token);
      res.append('Set-Cookie', clearCookie(cookies.sessionName, cookies.secure));
      res.redirect(303, deps.afterLogoutPath);
    } catch (err) {
      next(err);
    }
  });

  router.get('/auth/session', deps.authenticate, (_req, res, next) => {
    noStore(res);
    const person = res.locals.principal as PersonPrincipal | undefined;
    if (person?.kind !== 'person') return next(new Unauthenticated('not signed in'));
    res.json({
      userId: person.userId,
      displayName: person.displayName,
      roles: person.roles,
      ...(person.agencyId ? { agencyId: person.agencyId } : {}),
      csrfToken: res.locals.csrfToken as string,
    });
  });

  return router;
}
