import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { GatewayError } from '../errors.js';
import { safeReturnTo } from '../http/session-routes.js';
import type { Logger } from '../logger.js';
import type { PageRenderer } from './render.js';

/**
 * Errors as GOV.UK-style HTML pages for people in a browser; API clients (the `/v1/` people APIs,
 * `/auth/session`) and anything that does not ask for HTML keep getting problem+json from the
 * gateway's own handler. No stack traces, no SQL, nothing the person typed is echoed back.
 */

export function isApiPath(path: string): boolean {
  return path.startsWith('/v1/') || path === '/auth/session' || path === '/openapi.json' || path === '/metrics';
}

function wantsHtml(req: Request): boolean {
  if (isApiPath(req.path)) return false;
  const accept = req.get('accept') ?? '';
  // Form posts and navigations send text/html; fetch() and curl do not unless asked.
  return accept.includes('text/html');
}

interface ErrorPage {
  title: string;
  paragraphs: string[];
  action?: { href: string; text: string };
}

function pageFor(err: GatewayError, req: Request): ErrorPage {
  const back = safeReturnTo(req.method === 'GET' ? req.originalUrl : '/') ?? '/';
  switch (err.code) {
    case 'UNAUTHENTICATED':
      return {
        title: 'You need to sign in',
        paragraphs: ['Your session has ended or you have not signed in yet.'],
        action: { href: `/login?returnTo=${encodeURIComponent(back)}`, text: 'Sign in' },
      };
    case 'LOGIN_FAILED':
      return {
        title: 'Sign-in failed',
        paragraphs: err.reason === 'NO_ROLE'
          ? ['Your account does not have a role in this service. Ask your administrator for access.']
          : ['We could not sign you in. This can happen if the password was wrong, the sign-in was cancelled or it took too long.'],
        action: { href: '/login', text: 'Try signing in again' },
      };
    case 'OIDC_PROVIDER_UNAVAILABLE':
      return { title: 'Sign-in is not available at the moment', paragraphs: ['The sign-in service could not be reached. Try again later.'] };
    case 'INVALID_RETURN_TO':
      return { title: 'There is a problem with the sign-in link', paragraphs: ['The page to return to must be on this site.'], action: { href: '/login', text: 'Sign in' } };
    case 'RATE_LIMITED':
      return { title: 'Too many attempts', paragraphs: ['Wait a few minutes, then try again.'] };
    case 'CSRF_FAILED':
      return {
        title: 'Your form could not be sent',
        paragraphs: [
          'For your security, forms only work from pages of this service and while your session lasts.',
          'Go back, reload the page and try again.',
        ],
      };
    case 'FORBIDDEN_ROLE':
    case 'FORBIDDEN':
    case 'NOT_A_COORDINATOR':
      return { title: 'You do not have access to this page', paragraphs: ['Your role does not allow this. If you think it should, ask your administrator.'] };
    default:
      break;
  }
  if (err.status === 404) {
    return { title: 'Page not found', paragraphs: ['If you typed the web address, check it is correct.', 'The case or record may not exist, or you may not have access to it.'] };
  }
  if (err.status >= 500) return { title: 'Sorry, there is a problem with the service', paragraphs: ['Try again later.'] };
  return { title: 'There is a problem with your request', paragraphs: [err.message] };
}

export function htmlErrorPages(render: PageRenderer, logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent || !wantsHtml(req)) return next(err);
    res.set('Cache-Control', 'no-store');
    if (err instanceof GatewayError) {
      const page = pageFor(err, req);
      const problems = err.status < 500 && err.code !== 'LOGIN_FAILED' ? err.problems : undefined;
      return render.page(res, 'errors/error.njk', { ...page, code: err.code, reason: err.reason, problems }, err.status);
    }
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') {
      return render.page(res, 'errors/error.njk', { title: 'The form is too large', paragraphs: ['Shorten what you entered and try again.'], code: 'PAYLOAD_TOO_LARGE' }, 413);
    }
    const id = randomUUID();
    logger.error('unhandled error on a page', { errorId: id, err });
    render.page(res, 'errors/error.njk', { ...pageFor({ status: 500, code: 'INTERNAL' } as GatewayError, req), code: 'INTERNAL', reason: id }, 500);
  };
}

/** Unknown pages: HTML 404 for browsers, the gateway's problem+json for everything else. */
export function htmlNotFound(render: PageRenderer): RequestHandler {
  return (req, res, next) => {
    if (!wantsHtml(req)) return next();
    res.set('Cache-Control', 'no-store');
    render.page(res, 'errors/error.njk', { title: 'Page not found', paragraphs: ['If you typed the web address, check it is correct.'], code: 'NOT_FOUND' }, 404);
  };
}
