/**
 * The agency types of the MARAC gateway's agreements: the one home of the list, shared by the
 * gateway (principals, guardrails, the agency register) and the adapter SDK. The agreement
 * schema's `AgencyType` enum names the same values; a test keeps them equal.
 */
export const AGENCY_TYPES = [
  'MARAC_COORDINATOR', 'POLICE', 'HEALTH_ACUTE', 'HEALTH_PRIMARY', 'HEALTH_MENTAL', 'HOUSING',
  'CHILDRENS_SOCIAL_CARE', 'ADULT_SOCIAL_CARE', 'PROBATION', 'IDVA', 'SUBSTANCE_MISUSE',
] as const;

export type AgencyType = (typeof AGENCY_TYPES)[number];

export function isAgencyType(value: unknown): value is AgencyType {
  return typeof value === 'string' && (AGENCY_TYPES as readonly string[]).includes(value);
}
