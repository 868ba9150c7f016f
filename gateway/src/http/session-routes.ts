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
 *                                (only failed callbacks count towards its own limit)
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
  /** Limits /login per client. */
  loginLimiter: RequestHandler;
  /**
   * Limits failed /auth/callback answers per client. A real sign-in is one /login and one
   * callback; counting both halved the limit, and a callback is only useful with the state the
   * matching /login saved, so only failures (forged or replayed callbacks) are counted.
   */
  callbackLimiter: RequestHandler;
  authenticate: RequestHandler;
  csrfProtect: RequestHandler;
  afterLogoutPath: string;
  /** Seconds a started log-in may take; also the log-in cookie's Max-Age. */
  pendingLoginSeconds: number;
}

const MAX_RETURN_TO = 2048;
/** Times `returnTo` is percent-decoded when looking for hidden characters (%252F is %2F twice). */
const DECODE_ROUNDS = 3;

/**
 * Only a path on this site. Browsers, proxies and the URL parser each normalise a location in their
 * own way (`/.//x` and `/\x` both become `//x`, a host), so the value is held to a narrow form
 * rather than a list of known tricks:
 *   - printable ASCII only (no spaces, tabs, controls or Unicode look-alikes), at most 2048;
 *   - one `/` then a character that is neither `/` nor `\`;
 *   - no backslash, and no `%` escape of `/`, `\`, a control or a space, even encoded again;
 *     escapes must be well formed, and the path must decode to ASCII;
 *   - after the URL parser resolves dot segments, still a path on the dummy origin, still one
 *     `/` then neither `/` nor `\`. That normalised form is what the browser is sent.
 */
export function safeReturnTo(raw: unknown): string | undefined {
  if (raw === undefined) return '/';
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_RETURN_TO) return undefined;
  if (!PRINTABLE_ASCII.test(raw) || !SINGLE_SLASH_PATH.test(raw)) return undefined;
  if (!escapesAreHarmless(raw)) return undefined;
  const base = 'http://gateway.invalid';
  let u: URL;
  try {
    u = new URL(raw, base);
  } catch {
    return undefined;
  }
  if (u.origin !== base) return undefined;
  const out = u.pathname + u.search + u.hash;
  return SINGLE_SLASH_PATH.test(out) && PRINTABLE_ASCII.test(out) && out.length <= MAX_RETURN_TO ? out : undefined;
}

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
/** `/` alone, or `/` followed by anything but `/` and `\`; never a backslash anywhere. */
const SINGLE_SLASH_PATH = /^\/(?:[^/\\][^\\]*)?$/;
// A `%` must start a well-formed escape (browsers and proxies disagree about the rest).
const BAD_ESCAPE = /%(?![0-9a-f]{2})/i;
// Escapes that hide a separator, a control or a space (any layer of encoding).
const HIDDEN = /%(?:2f|5c|[01][0-9a-f]|7f|20)/i;
// eslint-disable-next-line no-control-regex
// biome-ignore lint/suspicious/noMisleadingCharacterClass: each code point is refused on its own, combining or not
const DECODED_BAD = /[\u0000-\u001f\u007f-\u00a0\\\u00ad\u061c\u115f\u1160\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\uffff]/u;

function escapesAreHarmless(raw: string): boolean {
  const hashAt = raw.indexOf('#');
  const queryAt = raw.indexOf('?');
  const pathEnd = Math.min(...[hashAt, queryAt, raw.length].filter((i) => i >= 0));
  let path = raw.slice(0, pathEnd);
  let rest = raw.slice(pathEnd);
  for (let round = 0; round < DECODE_ROUNDS; round++) {
    if (BAD_ESCAPE.test(path) || HIDDEN.test(path)) return false;
    if (BAD_ESCAPE.test(rest) || /%(?:5c|[01][0-9a-f]|7f)/i.test(rest)) return false;
    if (!path.includes('%') && !rest.includes('%')) break;
    try {
      path = decodeURIComponent(path);
      rest = decodeURIComponent(rest);
    } catch {
      return false; // not UTF-8
    }
    // The path must be plain ASCII once decoded; the query may carry text (a search), never
    // invisible or separator characters.
    if (!PRINTABLE_ASCII.test(path) || DECODED_BAD.test(rest)) return false;
    if (round === DECODE_ROUNDS - 1 && (path.includes('%') || rest.includes('%'))) return false;
  }
  return true;
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

  router.get('/auth/callback', deps.callbackLimiter, async (req, res, next) => {
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
          ...(identity.email ? { email: identity.email } : {}),
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
