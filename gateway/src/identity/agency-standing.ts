import type { Agency, CertificateRecord } from './agency-types.js';

/**
 * Whether an agency can take part right now, as the administrator's agency list shows it: a
 * disabled agency, one with no certificate that would authenticate (none issued, all revoked or
 * expired), one whose last valid certificate expires within the warning window, or active.
 */
export type AgencyStanding =
  | { kind: 'disabled' }
  | { kind: 'no_valid_certificate' }
  | { kind: 'expiring'; days: number; notAfter: Date }
  | { kind: 'active'; days: number; notAfter: Date };

export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export function certificateValidAt(c: CertificateRecord, now: Date): boolean {
  return !c.revokedAt && c.notBefore.getTime() <= now.getTime() && now.getTime() < c.notAfter.getTime();
}

/** Whole days left (rounded up: "expires in 1 day" until the last moment). */
export function daysToExpiry(c: Pick<CertificateRecord, 'notAfter'>, now: Date): number {
  return Math.ceil((c.notAfter.getTime() - now.getTime()) / DAY_MS);
}

export function agencyStanding(agency: Agency, certs: readonly CertificateRecord[], now: Date, warnDays = EXPIRY_WARNING_DAYS): AgencyStanding {
  if (agency.disabledAt) return { kind: 'disabled' };
  const valid = certs.filter((c) => c.agencyId === agency.id && certificateValidAt(c, now));
  if (valid.length === 0) return { kind: 'no_valid_certificate' };
  const last = valid.reduce((a, b) => (b.notAfter.getTime() > a.notAfter.getTime() ? b : a));
  const days = daysToExpiry(last, now);
  return days <= warnDays ? { kind: 'expiring', days, notAfter: last.notAfter } : { kind: 'active', days, notAfter: last.notAfter };
}

/** Words and GOV.UK tag colour for a standing. */
export function standingTag(s: AgencyStanding): { text: string; classes: string } {
  switch (s.kind) {
    case 'disabled': return { text: 'Disabled', classes: 'govuk-tag--red' };
    case 'no_valid_certificate': return { text: 'No valid certificate', classes: 'govuk-tag--red' };
    case 'expiring': return { text: `Certificate expires in ${s.days} day${s.days === 1 ? '' : 's'}`, classes: 'govuk-tag--orange' };
    case 'active': return { text: 'Active', classes: 'govuk-tag--green' };
  }
}
