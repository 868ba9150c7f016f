import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Browser-facing security headers. The Content-Security-Policy allows scripts, styles, fonts and
 * images from this origin only, plus the one inline script GOV.UK Frontend's template writes (it
 * carries a fresh nonce per response). No 'unsafe-inline', no third parties, no framing.
 */

/** A fresh nonce per response, for `cspNonce` in the templates. Must run before `pageHeaders`. */
export const cspNonce: RequestHandler = (_req, res, next) => {
  res.locals.cspNonce = randomBytes(18).toString('base64');
  next();
};

export function pageHeaders(opts: { hsts: boolean }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'", (_req: IncomingMessage, res: ServerResponse) => `'nonce-${(res as unknown as { locals: { cspNonce: string } }).locals.cspNonce}'`],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        manifestSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    // Nothing leaves for other sites (paths hold ids). Not `no-referrer`: Chromium then sends
    // `Origin: null` on our own form posts, which the CSRF origin check must refuse.
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: opts.hsts ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
}

/**
 * Pages may show personal data: never stored by the browser or a proxy, so the back button after
 * signing out on a shared computer shows nothing.
 */
export const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  res.set('Pragma', 'no-cache');
  next();
};
