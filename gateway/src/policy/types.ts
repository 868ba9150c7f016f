/**
 * Shapes of the policy engine's inputs and outputs. Agreements are data written by IG officers
 * (validated by `schemas/agreement.schema.json`); everything else is what the exchange passes in.
 */
import type { AgencyType } from '../identity/principal.js';
import type { OperatorSpec } from './operators/index.js';
import type { WithheldReason, DenyReason, DecisionWarning } from './reasons.js';

export type Purpose = 'MARAC_RESEARCH' | 'MARAC_ACTION_REVIEW' | 'MARAC_TRANSFER';
export const PURPOSES: readonly Purpose[] = ['MARAC_RESEARCH', 'MARAC_ACTION_REVIEW', 'MARAC_TRANSFER'];
export type Direction = 'request' | 'response';
export type SubjectRole = 'VICTIM' | 'PERPETRATOR' | 'CHILD' | 'OTHER_ADULT_AT_RISK';
export const SUBJECT_ROLES: readonly SubjectRole[] = ['VICTIM', 'PERPETRATOR', 'CHILD', 'OTHER_ADULT_AT_RISK'];
export type ConsentStatus = 'GIVEN' | 'REFUSED' | 'NOT_SOUGHT_UNSAFE' | 'NOT_SOUGHT_OTHER' | 'LACKS_CAPACITY';
export type MatchStatus = 'MATCHED' | 'POSSIBLE' | 'NOT_FOUND';
export type RiskCriterion = 'VISIBLE_HIGH_RISK' | 'PROFESSIONAL_JUDGEMENT' | 'POTENTIAL_ESCALATION' | 'REPEAT';
export const RISK_CRITERIA: readonly RiskCriterion[] = [
  'VISIBLE_HIGH_RISK', 'PROFESSIONAL_JUDGEMENT', 'POTENTIAL_ESCALATION', 'REPEAT',
];
export type AgreementStatus = 'draft' | 'approved' | 'active' | 'suspended' | 'expired';

// ---- the agreement document --------------------------------------------------------------------

export interface Party {
  agency: string;
  type: AgencyType;
  role?: 'coordinator';
  name?: string;
  /** This party's own Art 6 basis; default: the agreement's `lawfulBasis.article6`. */
  article6?: string;
  /** A public authority acting in its tasks (default by type, see validate.ts). */
  publicAuthority?: boolean;
}

/** Exactly one key: a specific agency, any party of a type, or the party with a role. */
export interface PartySelector {
  agency?: string;
  type?: AgencyType;
  role?: 'coordinator';
}

export interface FlowConditions {
  subjectRoles?: SubjectRole[];
  consentStatus?: ConsentStatus[];
  matchStatus?: MatchStatus[];
}

/** One operator, or a pipeline applied left to right (e.g. `[scrub, {truncate: 280}]`). */
export type ReleaseSpec = OperatorSpec | OperatorSpec[];

export interface Flow {
  id: string;
  description?: string;
  from: PartySelector;
  to: PartySelector;
  /** Defaults to every purpose of the agreement. */
  purposes?: Purpose[];
  direction: Direction;
  when?: FlowConditions;
  release: Record<string, ReleaseSpec>;
}

export interface LawfulBasis {
  article6: string;
  article9: string[];
  article10: string[];
  part3Sch8: string[];
  statutoryGateways: string[];
}

export interface CaseThreshold {
  criteria: RiskCriterion[];
  /** VISIBLE_HIGH_RISK: Dash RIC "yes" answers needed (default 14). */
  minDashScore?: number;
  /** POTENTIAL_ESCALATION: police call-outs in the last 12 months (default 3). */
  minPoliceCallouts12m?: number;
  /** REPEAT: months since the last MARAC referral (default 12). */
  repeatWithinMonths?: number;
}

export interface Agreement {
  id: string;
  version?: number;
  title: string;
  description?: string;
  effectiveFrom: string;
  reviewBy: string;
  expiresAt: string;
  retentionDays: number;
  parties: Party[];
  purposes: Purpose[];
  lawfulBasis: LawfulBasis;
  caseThreshold: CaseThreshold;
  interArea?: { maracAreas: string[] };
  flows: Flow[];
}

// ---- the field catalog (built by gateway/src/schema/catalog.ts) --------------------------------

export type Sensitivity = 'ID' | 'SC' | 'CO' | 'LOC' | 'CHILD' | '3P' | 'OPN' | 'FT';
export type FieldType = 'string' | 'date' | 'date-time' | 'number' | 'integer' | 'boolean' | 'object' | 'array';

export interface FieldInfo {
  path: string;
  type: FieldType;
  itemType?: FieldType;
  sensitivity: readonly Sensitivity[];
  clinicalNarrative: boolean;
  enum?: readonly (string | number)[];
}

/** Structural: the schemas module's catalog fits, and tests can pass a small one. */
export interface FieldCatalog {
  get(path: string): FieldInfo | undefined;
  paths(): string[];
  payloadKeyFor?(agencyType: AgencyType): string | undefined;
}

// ---- decision inputs ---------------------------------------------------------------------------

export interface RiskBasis {
  criteria: string[];
  dashScore?: number;
  policeCallouts12m?: number;
  lastMaracReferralDate?: string;
  professionalJudgementRationale?: string;
}

export interface CaseFacts {
  maracArea: string;
  riskBasis: RiskBasis;
}

export interface PartyRef {
  agencyId: string;
  agencyType: AgencyType;
}

/** What the engine needs to know about the subject a document is about (per subject, never per case). */
export interface SubjectFacts {
  role: SubjectRole;
  art9Conditions: readonly string[];
  /** Part 3 Sch 8 conditions: police recipients may rely on these for sensitive processing. */
  part3Sch8?: readonly string[];
  art10Conditions?: readonly string[];
  careAndSupportNeeds: boolean;
  consentStatus: string;
  /** Explicit consent recorded for special-category data (only then is EXPLICIT_CONSENT usable). */
  explicitConsentForSpecialCategory?: boolean;
  /** Possibly an adult in law (any recorded date of birth 18 or more): para 18 then needs care and support needs. */
  isAdult: boolean;
  /**
   * Possibly a child (recorded as CHILD, or any recorded date of birth under 18): the child
   * date-of-birth guardrail applies. Absent: a subject who is not an adult is a child.
   */
  mayBeChild?: boolean;
  /** The subject's address is confidential (refuge, TA): LOC fields become "CONFIDENTIAL" outside IDVA/police. */
  addressConfidential?: boolean;
}

// ---- outputs -----------------------------------------------------------------------------------

export interface Explanation {
  agreementId: string;
  version: number;
  /** Paths are concrete (`health.edAttendances12m[2].date`), indexes as in the source document. */
  released: { path: string; ruleId: string }[];
  transformed: { path: string; op: string; ruleId: string }[];
  withheld: { path: string; reason: WithheldReason; ruleId?: string }[];
  /** Every rule and guardrail that did something, sorted: for the audit event. */
  ruleIds: string[];
}

export interface ValidationProblem {
  /** JSON Pointer within the agreement, e.g. `/flows/2/release/health.pregnancy`. */
  path: string;
  code: string;
  message: string;
  /** The guardrail involved, for GUARDRAIL_CONFLICT. */
  guardrailId?: string;
}

export type DenyDecision = {
  effect: 'DENY';
  reason: DenyReason;
  agreementId?: string;
  version?: number;
  detail: string;
};

export type { DenyReason, DecisionWarning, WithheldReason };
