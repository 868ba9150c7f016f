import type { AgencyPrincipal, PersonPrincipal } from '../identity/principal.js';
import type { AgencyDirectory, PartyRef } from './ports.js';
import { NotACoordinator } from './errors.js';

/** Who may act in the exchange: an agency (its certificate) or a coordinator person (OIDC) for their agency. */
export type ExchangeActor = AgencyPrincipal | PersonPrincipal;

/**
 * The agency an actor acts for. A person acts for the agency their identity provider names, and
 * only with the coordinator role; the audit event still records the person.
 */
export async function actingAgency(actor: ExchangeActor, agencies: AgencyDirectory): Promise<PartyRef> {
  if (actor.kind === 'agency') return { agencyId: actor.agencyId, agencyType: actor.agencyType };
  if (!actor.roles.includes('coordinator') || !actor.agencyId) throw new NotACoordinator('Only a coordinator can act for an agency here');
  const a = await agencies.getAgency(actor.agencyId);
  if (!a || a.disabled) throw new NotACoordinator('Your agency is not registered with the gateway');
  return { agencyId: a.id, agencyType: a.type };
}
