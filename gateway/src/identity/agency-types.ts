import type { AgencyType } from './principal.js';

/** How the gateway hands messages to an agency: the adapter long-polls (`pull`) or we POST (`push`). */
export type DeliveryMode = 'pull' | 'push';
export const DELIVERY_MODES: readonly DeliveryMode[] = ['pull', 'push'];

export interface Agency {
  id: string;
  name: string;
  type: AgencyType;
  deliveryMode: DeliveryMode;
  /** Set exactly when deliveryMode is `push`. */
  pushUrl: string | null;
  maracArea: string | null;
  createdAt: Date;
  disabledAt: Date | null;
}

export interface CertificateRecord {
  serialHex: string;
  agencyId: string;
  fingerprint256: string;
  notBefore: Date;
  notAfter: Date;
  issuedAt: Date;
  revokedAt: Date | null;
  revocationReason: RevocationReason | null;
}

/** RFC 5280 CRLReason names we accept (the ones that make sense for an end-entity certificate). */
export type RevocationReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'privilegeWithdrawn';
export const REVOCATION_REASONS: readonly RevocationReason[] = [
  'unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn',
];

/**
 * Whether a certificate may authenticate right now. Order matters: a revoked certificate is
 * reported as revoked even if it has also expired, and a disabled agency trumps a good certificate.
 */
export type CertificateStatus = 'valid' | 'revoked' | 'expired' | 'not_yet_valid' | 'agency_disabled';

export interface FingerprintLookup {
  agency: Agency;
  certificate: CertificateRecord;
}

export function certificateStatus(found: FingerprintLookup, now: Date = new Date()): CertificateStatus {
  const { agency, certificate } = found;
  if (certificate.revokedAt) return 'revoked';
  if (now.getTime() >= certificate.notAfter.getTime()) return 'expired';
  if (now.getTime() < certificate.notBefore.getTime()) return 'not_yet_valid';
  if (agency.disabledAt) return 'agency_disabled';
  return 'valid';
}
