/**
 * The closed set of reason codes the policy engine gives. They are stable: the audit log, the
 * exchange and the UI branch on them, so renaming one is a breaking change.
 */

/** Why a whole message (one provider → recipient pair) is refused. */
export const DENY_REASONS = [
  'NO_AGREEMENT',
  'AGREEMENT_NOT_ACTIVE',
  'AGREEMENT_SUSPENDED',
  'ISA_NOT_YET_EFFECTIVE',
  'ISA_EXPIRED',
  'PROVIDER_NOT_SIGNATORY',
  'RECIPIENT_NOT_SIGNATORY',
  'PURPOSE_NOT_IN_ISA',
  'MARAC_THRESHOLD_NOT_MET',
  'NO_FLOW_FOR_PAIR',
  'SUBJECT_ROLE_NOT_ALLOWED',
  'NO_INTER_AREA_AGREEMENT',
  /** An IG officer removed the provider or the recipient from the agreement (every version). */
  'PARTY_REMOVED',
] as const;
export type DenyReason = (typeof DENY_REASONS)[number];

/** Why one field (or a whole subtree) of a released document was withheld. */
export const WITHHELD_REASONS = [
  /** No rule of the applicable flows releases the path (includes paths unknown to the catalog). */
  'NOT_IN_AGREEMENT',
  /** R3: special-category data about a subject with no usable Art 9 (or, for police, Sch 8) condition. */
  'NO_ART9_CONDITION',
  /** Art 10: criminal offence data about a subject with no usable Art 10 (or, for police, Sch 8) condition. */
  'NO_ART10_CONDITION',
  /** R3: the only condition offered was DPA 2018 Sch 1 para 18 for an adult without care and support needs. */
  'P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS',
  'GUARDRAIL_LOCATION',
  'GUARDRAIL_CLINICAL_NARRATIVE',
  'GUARDRAIL_CHILD_DOB',
  'GUARDRAIL_MENTAL_HEALTH',
  'GUARDRAIL_FREE_TEXT',
  /** Free text not scrubbed, for a recipient without LOC rights, while an address on the case is confidential. */
  'GUARDRAIL_LOCATION_IN_TEXT',
  'GUARDRAIL_TRANSFER_PAYLOAD',
  'MATCH_NOT_CONFIRMED',
  /** A list item outside the `window` of months. */
  'OUTSIDE_WINDOW',
  /** A list item beyond the `limit` (top n). */
  'OUTSIDE_LIMIT',
  /** The subject's role is not covered by any applicable flow. */
  'SUBJECT_ROLE_NOT_ALLOWED',
  /** The subject's consent or match status is not covered by any applicable flow's `when`. */
  'FLOW_CONDITION_NOT_MET',
  /** Two applicable flows release the same path differently: fail closed. */
  'FLOW_CONFLICT',
  /** The value does not have the type the catalog declares. */
  'TYPE_MISMATCH',
  /** A list operator's output could not be traced back to the input items: fail closed. */
  'OPERATOR_RESULT_UNTRACEABLE',
] as const;
export type EngineWithheldReason = (typeof WITHHELD_REASONS)[number];
/**
 * Withheld reasons also include the operators' drop reasons (INVALID_POSTCODE, DROPPED_BY_RULE,
 * OPERATOR_NOT_APPLICABLE, ...), which are UPPER_SNAKE strings owned by the operators module.
 */
export type WithheldReason = EngineWithheldReason | (string & {});

/** Warnings on a PERMIT: the message may move but someone should act. */
export const DECISION_WARNINGS = ['REVIEW_OVERDUE'] as const;
export type DecisionWarning = (typeof DECISION_WARNINGS)[number];

/** ruleId used when nothing released a path. */
export const DEFAULT_DENY_RULE = 'DEFAULT_DENY';

export function isDenyReason(v: unknown): v is DenyReason {
  return typeof v === 'string' && (DENY_REASONS as readonly string[]).includes(v);
}
