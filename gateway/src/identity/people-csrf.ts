import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type RequestHandler } from 'express';
import { PayloadTooLarge, ValidationFailed } from '../errors.js';
import { CsrfFailed } from './people-errors.js';

/**
 * CSRF defence for unsafe requests, two independent checks, both required:
 * 1. the request comes from our own origin: `Sec-Fetch-Site` (when the browser sends it) must be
 *    `same-origin` or `none`, and `Origin` (when sent) must equal the gateway's public origin;
 * 2. it carries the session's synchroniser token in the `_csrf` form field or `x-csrf-token` header.
 * Requests from non-browser clients carry neither header and rely on the token alone.
 */

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function tokensEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export interface CsrfOptions {
  /** e.g. `https://gateway.example.org`. When absent, the request's own protocol and Host. */
  publicOrigin?: string;
  /** Where `authenticate` left the token. */
  tokenOf: (res: express.Response) => string | undefined;
}

function expectedOrigin(req: express.Request, publicOrigin?: string): string {
  return publicOrigin ?? `${req.protocol}://${req.get('host') ?? ''}`;
}

/** Returns a stable reason code, or undefined when the request passes the origin check. */
export function crossSiteReason(req: express.Request, publicOrigin?: string): string | undefined {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return 'CROSS_SITE';
  const origin = req.get('origin');
  if (origin !== undefined && origin !== expectedOrigin(req, publicOrigin)) return 'ORIGIN_MISMATCH';
  return undefined;
}

export function createCsrfProtect(opts: CsrfOptions): RequestHandler {
  // Forms post urlencoded; parse here so the check works whatever the app mounted before it.
  const parseForm = express.urlencoded({ extended: false, limit: '200kb' });
  const normalisedOrigin = opts.publicOrigin ? new URL(opts.publicOrigin).origin : undefined;

  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const crossSite = crossSiteReason(req, normalisedOrigin);
    if (crossSite) return next(new CsrfFailed('cross-site request refused', { reason: crossSite }));

    parseForm(req, res, (err?: unknown) => {
      if (err) {
        const tooLarge = (err as { type?: string }).type === 'entity.too.large';
        return next(tooLarge ? new PayloadTooLarge('form too large') : new ValidationFailed('form body could not be read'));
      }
      const expected = opts.tokenOf(res);
      if (!expected) return next(new CsrfFailed('no session to check the CSRF token against', { reason: 'NO_SESSION' }));
      const header = req.get('x-csrf-token');
      const body = req.body as Record<string, unknown> | undefined;
      const field = body && typeof body === 'object' ? body._csrf : undefined;
      const given = header ?? (typeof field === 'string' ? field : undefined);
      if (!given) return next(new CsrfFailed('CSRF token missing', { reason: 'TOKEN_MISSING' }));
      if (!tokensEqual(given, expected)) return next(new CsrfFailed('CSRF token does not match', { reason: 'TOKEN_MISMATCH' }));
      next();
    });
  };
}
