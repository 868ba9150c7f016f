import type { Request, Response } from 'express';
import type { AgencyPrincipal } from '../identity/principal.js';
import { ValidationFailed } from '../errors.js';

/** Any of the gateway's ids: a three- or four-letter kind, an underscore, 32 hex digits. */
export const ANY_ID = /^[a-z]{3,4}_[0-9a-f]{32}$/;

/** The agency the mTLS authenticator put on the response (agency routers sit behind it). */
export function agencyOf(res: Response): AgencyPrincipal {
  return res.locals.principal as AgencyPrincipal;
}

/** A path parameter that must match `pattern`; anything else is a 400 before any service runs. */
export function idParam(req: Request, name: string, pattern: RegExp = ANY_ID): string {
  const v = req.params[name];
  if (typeof v !== 'string' || !pattern.test(v)) {
    throw new ValidationFailed(`Invalid ${name}`, { problems: [{ path: `path:${name}`, code: 'pattern', message: 'malformed id' }] });
  }
  return v;
}
