import type { AuditLog } from '../audit/types.js';
import { GatewayError } from '../errors.js';
import type { AgencyPrincipal, AgencyType, PersonPrincipal, PersonRole } from '../identity/principal.js';
import { withTx } from '../store/db.js';
import type pg from 'pg';
import type { AgencyDirectory } from './ports.js';

/**
 * A person acting for a partner agency (decision 0021): an agency researcher or representative
 * whose identity provider names a registered, enabled agency. The exchange services take it
 * where they take the agency's certificate principal (reading its inbox, answering), and the
 * audit log records the person, their roles and the agency (`actor.kind = person`, `agencyId`),
 * so an answer typed in the browser is told apart from an adapter's only in the log, never in
 * what the coordinator receives.
 */
export interface AgencyStaffPrincipal extends PersonPrincipal {
  agencyId: string;
  agencyType: AgencyType;
}

/** Who may answer for an agency: its system (certificate) or one of its staff (OIDC). */
export type AnsweringAgency = AgencyPrincipal | AgencyStaffPrincipal;

export type AgencyStaffRole = Extract<PersonRole, 'agency_researcher' | 'agency_representative'>;

export type NotLinkedReason = 'AGENCY_CLAIM_MISSING' | 'AGENCY_NOT_REGISTERED' | 'AGENCY_DISABLED';

/** The person's identity provider names no agency this gateway knows and has enabled. */
export class AgencyNotLinked extends GatewayError {
  readonly code = 'AGENCY_NOT_LINKED';
  readonly status = 403;
}

/**
 * The agency a person acts for, or why not. Decided on every request (not at sign-in), so an
 * agency disabled during a session stops its staff's next page.
 */
export async function resolveAgencyStaff(
  person: PersonPrincipal,
  agencies: AgencyDirectory,
): Promise<{ ok: true; staff: AgencyStaffPrincipal } | { ok: false; reason: NotLinkedReason }> {
  if (!person.agencyId) return { ok: false, reason: 'AGENCY_CLAIM_MISSING' };
  const a = await agencies.getAgency(person.agencyId);
  if (!a) return { ok: false, reason: 'AGENCY_NOT_REGISTERED' };
  if (a.disabled) return { ok: false, reason: 'AGENCY_DISABLED' };
  return { ok: true, staff: { ...person, agencyId: a.id, agencyType: a.type } };
}

/**
 * resolveAgencyStaff, with a refusal audited (ACCESS_DENIED, the reason code, the route pattern;
 * the claim's value is not logged when it names no agency: it is whatever the provider sent).
 */
export async function requireAgencyStaff(
  deps: { pool: pg.Pool; audit: AuditLog; agencies: AgencyDirectory },
  person: PersonPrincipal,
  route: string,
): Promise<AgencyStaffPrincipal> {
  const r = await resolveAgencyStaff(person, deps.agencies);
  if (r.ok) return r.staff;
  const { agencyId: _claim, ...withoutClaim } = person;
  await withTx(deps.pool, (tx) =>
    deps.audit.append(tx, {
      action: 'ACCESS_DENIED',
      // A claim naming no registered agency is not an agency id: the event records the person alone.
      actor: r.reason === 'AGENCY_DISABLED' ? person : withoutClaim,
      decision: 'DENY',
      reasonCode: r.reason,
      ...(r.reason === 'AGENCY_DISABLED' ? { agencyIds: [person.agencyId!] } : {}),
      detail: { route: route.slice(0, 200) },
    }),
  );
  throw new AgencyNotLinked(
    r.reason === 'AGENCY_CLAIM_MISSING'
      ? 'Your account does not say which agency you work for'
      : r.reason === 'AGENCY_DISABLED'
        ? 'Your agency is not currently enabled on this service'
        : 'Your agency is not registered with this service',
    { reason: r.reason },
  );
}
