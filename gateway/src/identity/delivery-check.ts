import type { Queryable } from '../store/db.js';
import { AgencyDisabled, ClientCertExpired, ClientCertRevoked, ClientCertUntrusted } from './errors.js';
import type { GatewayError } from '../errors.js';
import type { RequestHandler } from 'express';
import type { AgencyPrincipal } from './principal.js';

/**
 * Is this certificate (or this agency) still entitled to receive messages, as the database says
 * right now? Called inside the transaction that hands messages over (inbox batch, push delivery),
 * never through the authenticator's cache: a revocation committed by any gateway instance, the CLI
 * or an operator's UPDATE is seen by the very next hand-over, not after a cache TTL.
 *
 * The rows read are locked FOR SHARE, and revoke / disable take them FOR UPDATE: a hand-over and
 * a revocation are therefore strictly ordered. Once `revoke()` has returned, no hand-over that
 * checked the old status is still in flight (a push POST holding the lock delays the revocation
 * by at most the push timeout).
 *
 * Validity dates are judged on the wall clock, as the authenticator judges them, not on the
 * exchange's (possibly test-controlled) clock.
 */
export type HandOverStatus =
  | 'valid'
  | 'CERTIFICATE_REVOKED'
  | 'CERTIFICATE_EXPIRED'
  | 'AGENCY_DISABLED'
  | 'CERTIFICATE_UNKNOWN'
  /** Push: the agency holds no certificate that is unrevoked and within its dates. */
  | 'NO_VALID_CERTIFICATE';

export type HandOverRefusal = Exclude<HandOverStatus, 'valid'>;

/** Every refusal code, e.g. to find messages parked by one of them. */
export const HAND_OVER_REFUSALS: readonly HandOverRefusal[] = [
  'CERTIFICATE_REVOKED', 'CERTIFICATE_EXPIRED', 'AGENCY_DISABLED', 'CERTIFICATE_UNKNOWN', 'NO_VALID_CERTIFICATE',
];

/** The connection's own certificate (pull): the one the principal was authenticated with. */
export async function lockCertificateForHandOver(
  tx: Queryable, fingerprint: string, agencyId: string, at: Date = new Date(), lock = true,
): Promise<HandOverStatus> {
  const r = await tx.query<{ agency_id: string; revoked_at: Date | null; not_before: Date; not_after: Date; disabled_at: Date | null }>(
    `SELECT c.agency_id, c.revoked_at, c.not_before, c.not_after, a.disabled_at
       FROM agency_certificates c JOIN agencies a ON a.id = c.agency_id
      WHERE c.fingerprint256 = $1${lock ? ' FOR SHARE OF c, a' : ''}`,
    [fingerprint],
  );
  const row = r.rows[0];
  // A certificate that names another agency than the principal's is not this connection's.
  if (!row || row.agency_id !== agencyId) return 'CERTIFICATE_UNKNOWN';
  // Same order as certificateStatus(): revoked wins over expired, a bad certificate over a disabled agency.
  if (row.revoked_at) return 'CERTIFICATE_REVOKED';
  const t = at.getTime();
  if (t >= row.not_after.getTime() || t < row.not_before.getTime()) return 'CERTIFICATE_EXPIRED';
  if (row.disabled_at) return 'AGENCY_DISABLED';
  return 'valid';
}

/**
 * Push: the gateway connects to the agency, so no connection certificate exists; the agency must
 * still hold at least one certificate that would authenticate it now (unrevoked, in its dates),
 * and not be disabled. An agency whose certificates were all revoked receives nothing more.
 */
export async function lockAgencyForHandOver(tx: Queryable, agencyId: string, at: Date = new Date()): Promise<HandOverStatus> {
  const a = await tx.query<{ disabled_at: Date | null }>('SELECT disabled_at FROM agencies WHERE id = $1 FOR SHARE', [agencyId]);
  if (!a.rows[0]) return 'CERTIFICATE_UNKNOWN';
  if (a.rows[0].disabled_at) return 'AGENCY_DISABLED';
  const c = await tx.query<{ revoked_at: Date | null; not_before: Date; not_after: Date }>(
    `SELECT revoked_at, not_before, not_after FROM agency_certificates WHERE agency_id = $1 FOR SHARE`,
    [agencyId],
  );
  const t = at.getTime();
  if (c.rows.some((x) => !x.revoked_at && t >= x.not_before.getTime() && t < x.not_after.getTime())) return 'valid';
  // Say "revoked" when revocation is why nothing is left, so the operator knows what happened.
  if (c.rows.some((x) => x.revoked_at)) return 'CERTIFICATE_REVOKED';
  return 'NO_VALID_CERTIFICATE';
}

/** The 401 an in-flight request ends with, the same code the authenticator would give next time. */
export function handOverError(status: HandOverRefusal): GatewayError {
  switch (status) {
    case 'CERTIFICATE_REVOKED': return new ClientCertRevoked();
    case 'CERTIFICATE_EXPIRED': return new ClientCertExpired();
    case 'AGENCY_DISABLED': return new AgencyDisabled();
    default: return new ClientCertUntrusted();
  }
}

/**
 * Express middleware for agency routes that release research (the pack and its export): the
 * certificate the request was authenticated with is read again from the database, so a revocation
 * made on another instance is honoured at once, whatever this instance's authentication cache
 * still holds. A plain read (no lock): the answer is one response, not a stream of hand-overs.
 */
export function requireCurrentCertificate(db: Queryable): RequestHandler {
  return (_req, res, next) => {
    const p = res.locals.principal as AgencyPrincipal | undefined;
    if (!p || p.kind !== 'agency') return next();
    lockCertificateForHandOver(db, p.certFingerprint, p.agencyId, new Date(), false).then(
      (status) => next(status === 'valid' ? undefined : handOverError(status)),
      next,
    );
  };
}
