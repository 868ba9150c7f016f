/**
 * Who is acting. Identity only ever comes from cryptography: an agency from its client
 * certificate (mTLS), a person from the OIDC provider. Never from a request body.
 */
export { AGENCY_TYPES, type AgencyType } from '@marac/schemas';
import type { AgencyType } from '@marac/schemas';

/**
 * agency_researcher answers research for the agency the identity provider names (the agency
 * claim); agency_representative attends the meeting for it: reads the circulated pack and minutes,
 * updates its actions. Both need the agency claim; without it they are refused.
 */
export type PersonRole = 'coordinator' | 'ig_officer' | 'auditor' | 'admin' | 'agency_researcher' | 'agency_representative';
export const PERSON_ROLES: readonly PersonRole[] = ['coordinator', 'ig_officer', 'auditor', 'admin', 'agency_researcher', 'agency_representative'];

export interface AgencyPrincipal {
  kind: 'agency';
  agencyId: string;
  agencyType: AgencyType;
  /** SHA-256 fingerprint (hex, lower case) of the client certificate presented. */
  certFingerprint: string;
}

export interface PersonPrincipal {
  kind: 'person';
  /** The OIDC `sub`. */
  userId: string;
  displayName: string;
  roles: PersonRole[];
  /** The agency the person works for, when the identity provider says so (coordinators). */
  agencyId?: string;
}

/** The gateway itself, for work done by workers and timers (delivery, overdue marking, purge). */
export interface SystemPrincipal {
  kind: 'system';
  component: string;
}

export type Principal = AgencyPrincipal | PersonPrincipal | SystemPrincipal;
