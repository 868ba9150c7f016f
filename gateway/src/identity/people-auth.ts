import type { RequestHandler, Request, Response, Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type pg from 'pg';
import type { AuditLog } from '../audit/types.js';
import { RateLimited, Unauthenticated } from '../errors.js';
import { createSessionRoutes, safeReturnTo } from '../http/session-routes.js';
import { withTx } from '../store/db.js';
import type { OidcClient } from './oidc/client.js';
import { clearCookie, readCookie, type CookieSettings } from './people-cookies.js';
import { createCsrfProtect } from './people-csrf.js';
import { ForbiddenRole, PeopleAuthConfigInvalid } from './people-errors.js';
import { createPeopleSessions, type PeopleSessions } from './people-sessions.js';
import { PERSON_ROLES, type PersonPrincipal, type PersonRole } from './principal.js';

/**
 * People authentication for the web service: OIDC log-in, Postgres sessions, roles and CSRF.
 *
 *   const people = createPeopleAuth({ pool, audit, oidc, cookieName: '__Host-marac', secureCookies: true,
 *                                     idleMinutes: 30, absoluteHours: 10 });
 *   app.use(people.authenticate);           // sets res.locals.principal / csrfToken when signed in
 *   app.use(people.router);                 // /login, /auth/callback, /logout (mount at the root)
 *   app.get('/cases', people.requireRole('coordinator'), handler);
 *   app.post('/cases', people.requireRole('coordinator'), people.csrfProtect, handler);
 *
 * A person is who the OIDC provider says they are: the principal comes only from a session created
 * by a verified authorisation-code exchange, never from anything the browser sends.
 */

export interface PeopleAuthOptions {
  pool: pg.Pool;
  audit: AuditLog;
  oidc: OidcClient;
  /** Use a `__Host-` name in production (requires secureCookies). */
  cookieName: string;
  secureCookies: boolean;
  idleMinutes: number;
  absoluteHours: number;
  now?: () => Date;
  /** The gateway's public origin for the CSRF Origin check (needed behind a TLS proxy). */
  publicOrigin?: string;
  /**
   * Sign-ins started (GET /login) per client address per window, and separately failed callbacks.
   * Default DEFAULT_LOGIN_RATE_LIMIT.
   */
  loginRateLimit?: { windowMs: number; limit: number };
  /** Where log-out sends the browser. Default `/`. */
  afterLogoutPath?: string;
  /** Minutes a started log-in may take at the provider. Default 10. */
  pendingLoginMinutes?: number;
}

export interface PeopleAuth {
  router: Router;
  authenticate: RequestHandler;
  requireRole(...roles: PersonRole[]): RequestHandler;
  csrfProtect: RequestHandler;
  sessions: PeopleSessions;
}

/** The signed-in person, when `authenticate` found a live session. */
export function personOf(res: Response): PersonPrincipal | undefined {
  const p = res.locals.principal as { kind?: string } | undefined;
  return p?.kind === 'person' ? (p as PersonPrincipal) : undefined;
}

function wantsHtmlPage(req: Request): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && (req.get('accept') ?? '').includes('text/html');
}

/**
 * 300 sign-ins per 5 minutes per client address: a whole office behind one NAT address signing
 * in at 9 o'clock stays well under it, while a script hammering /login (each starts a pending
 * sign-in row) is stopped after one a second on average. Passwords are guessed at the identity
 * provider, which has its own limits, not here.
 */
export const DEFAULT_LOGIN_RATE_LIMIT = { windowMs: 5 * 60_000, limit: 300 } as const;

const COOKIE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function createPeopleAuth(opts: PeopleAuthOptions): PeopleAuth {
  if (!COOKIE_NAME.test(opts.cookieName)) throw new PeopleAuthConfigInvalid('cookieName must be a plain token');
  if (opts.cookieName.startsWith('__Host-') && !opts.secureCookies) {
    throw new PeopleAuthConfigInvalid('a __Host- cookie needs secureCookies');
  }
  if (!(opts.idleMinutes > 0) || !(opts.absoluteHours > 0)) {
    throw new PeopleAuthConfigInvalid('idleMinutes and absoluteHours must be positive');
  }
  const afterLogoutPath = opts.afterLogoutPath ?? '/';
  if (safeReturnTo(afterLogoutPath) !== afterLogoutPath) throw new PeopleAuthConfigInvalid('afterLogoutPath must be a path');

  const now = opts.now ?? (() => new Date());
  const pendingLoginMinutes = opts.pendingLoginMinutes ?? 10;
  const sessions = createPeopleSessions({
    pool: opts.pool,
    audit: opts.audit,
    now,
    idleMinutes: opts.idleMinutes,
    absoluteHours: opts.absoluteHours,
    pendingLoginMinutes,
  });
  const cookies: CookieSettings = {
    sessionName: opts.cookieName,
    // `__Host-` must stay the prefix, so the log-in cookie gets a suffix instead.
    loginName: `${opts.cookieName}-login`,
    secure: opts.secureCookies,
  };

  const authenticate: RequestHandler = async (req, res, next) => {
    try {
      if (personOf(res)) return next();
      const token = readCookie(req.headers.cookie, cookies.sessionName);
      if (!token) return next();
      const session = await sessions.lookup(token);
      if (!session) {
        // Ended, revoked or forged: forget it so the browser stops sending it.
        res.append('Set-Cookie', clearCookie(cookies.sessionName, cookies.secure));
        return next();
      }
      res.locals.principal = session.principal;
      res.locals.csrfToken = session.csrfToken;
      next();
    } catch (err) {
      next(err);
    }
  };

  function requireRole(...roles: PersonRole[]): RequestHandler {
    if (roles.length === 0 || roles.some((r) => !PERSON_ROLES.includes(r))) {
      throw new PeopleAuthConfigInvalid('requireRole needs one or more known roles');
    }
    const allowed = new Set<PersonRole>(roles);
    return async (req, res, next) => {
      try {
        const person = personOf(res);
        if (!person) {
          const back = safeReturnTo(req.originalUrl);
          if (wantsHtmlPage(req) && back) {
            res.set('Cache-Control', 'no-store');
            return res.redirect(303, `/login?returnTo=${encodeURIComponent(back)}`);
          }
          return next(new Unauthenticated('sign in first'));
        }
        if (person.roles.some((r) => allowed.has(r))) return next();
        // The route pattern, not the URL, so nothing a person typed lands in the log.
        const route = `${req.baseUrl}${typeof req.route?.path === 'string' ? req.route.path : ''}` || '(middleware)';
        await withTx(opts.pool, (tx) =>
          opts.audit.append(tx, {
            action: 'ACCESS_DENIED',
            actor: person,
            reasonCode: 'FORBIDDEN_ROLE',
            detail: { method: req.method, route: route.slice(0, 200), required: [...allowed].join(',') },
          }),
        );
        next(new ForbiddenRole('your role may not use this'));
      } catch (err) {
        next(err);
      }
    };
  }

  const csrfProtect = createCsrfProtect({
    ...(opts.publicOrigin ? { publicOrigin: opts.publicOrigin } : {}),
    tokenOf: (res) => (personOf(res) ? (res.locals.csrfToken as string | undefined) : undefined),
  });

  const windowMs = opts.loginRateLimit?.windowMs ?? DEFAULT_LOGIN_RATE_LIMIT.windowMs;
  const limit = opts.loginRateLimit?.limit ?? DEFAULT_LOGIN_RATE_LIMIT.limit;
  const limiterOptions = {
    windowMs,
    limit,
    standardHeaders: 'draft-8' as const,
    legacyHeaders: false,
    // The key is `req.ip`: the socket's address, or the client address a trusted proxy forwarded
    // (the web app's `trust proxy` setting, from WEB_TRUSTED_PROXIES). Without a trusted proxy
    // X-Forwarded-For is ignored on purpose, so the library's warning about it is noise.
    validate: { xForwardedForHeader: false },
    handler: ((_req, _res, next) => next(new RateLimited('too many log-in attempts; wait and try again'))) as RequestHandler,
  };
  const loginLimiter = rateLimit(limiterOptions);
  const callbackLimiter = rateLimit({ ...limiterOptions, skipSuccessfulRequests: true });

  const router = createSessionRoutes({
    sessions,
    oidc: opts.oidc,
    cookies,
    loginLimiter,
    callbackLimiter,
    authenticate,
    csrfProtect,
    afterLogoutPath,
    pendingLoginSeconds: pendingLoginMinutes * 60,
  });

  return { router, authenticate, requireRole, csrfProtect, sessions };
}
