import type { RequestHandler } from 'express';

/**
 * Response headers of the agency API, the set the OWASP REST Security Cheat Sheet gives for JSON
 * APIs: its clients are agency adapters, never browsers, so helmet's browser-page headers (COOP,
 * Origin-Agent-Cluster, X-DNS-Prefetch-Control, X-Download-Options, ...) only lengthened every
 * answer, and helmet rebuilt them on every request through a dozen middleware calls. Nothing the
 * API returns may be cached anywhere: inbox messages and research packs carry case data.
 */
export const API_SECURITY_HEADERS: readonly (readonly [string, string])[] = Object.freeze([
  ['Cache-Control', 'no-store'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
]);

export const apiSecurityHeaders: RequestHandler = (_req, res, next) => {
  for (const [name, value] of API_SECURITY_HEADERS) res.setHeader(name, value);
  next();
};
