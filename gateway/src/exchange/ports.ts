import type { AgencyType } from '../identity/principal.js';
import type { Queryable } from '../store/db.js';

/**
 * What the exchange needs from its neighbours, as narrow interfaces. The composition root
 * (app.ts) adapts the policy engine, the agreement store and the agency registry to these.
 */
export interface SubjectFacts {
  subjectId: string;
  role: 'VICTIM' | 'PERPETRATOR' | 'CHILD' | 'OTHER_ADULT_AT_RISK';
  art9Conditions: string[];
  art10Conditions: string[];
  part3Sch8: string[];
  careAndSupportNeeds: boolean;
  consentStatus: string;
  isAdult: boolean;
  /** Recorded as CHILD or any date of birth under 18 (release-facts.ts); absent: judged from isAdult. */
  mayBeChild?: boolean;
  explicitConsentForSpecialCategory?: boolean;
  /** The subject's address is confidential (refuge, temporary accommodation). */
  addressConfidential?: boolean;
}

// The case facts and parties are the policy engine's own shapes: one definition, used by both.
export type { RiskBasis, CaseFacts, PartyRef } from '../policy/types.js';
import type { CaseFacts, PartyRef } from '../policy/types.js';
import type { CaseLocations } from '../policy/location-context.js';

/**
 * The pinned version's status and digest as the caller read them in its own statement, and, when
 * read in the same statement, the agreement's version in force and its removed parties (then the
 * policy port reads nothing more: the answer path decides with no round trip of its own).
 */
export interface PinnedCurrent {
  status: string;
  docDigest: string;
  release?: { inForce?: { version: number; status: string; docDigest: string }; removed: string[] };
}

export interface DecideInput {
  now: Date;
  purpose: string;
  direction: 'request' | 'response';
  from: PartyRef;
  to: PartyRef;
  caseFacts: CaseFacts;
  /**
   * The agreement version the message is pinned to. `current`: its status and document digest as
   * the caller just read them in its transaction (the answer path reads them with the message
   * lock), so the port need not read them again; without it the port reads them through `q`.
   */
  pinned?: { agreementId: string; version: number; current?: PinnedCurrent };
  /** Roles of the subjects the message is about; each must be covered by a flow. */
  subjectRoles?: SubjectFacts['role'][];
}

export type PolicyDecision =
  | { effect: 'PERMIT'; agreementId: string; version: number; flowIds: string[]; warnings?: string[]; plan: unknown; retentionDays?: number; criteriaMet?: string[] }
  | { effect: 'DENY'; reason: string; agreementId?: string; version?: number; detail?: string };

export type PermitDecision = Extract<PolicyDecision, { effect: 'PERMIT' }>;

export interface Explanation {
  released: { path: string; ruleId?: string }[];
  transformed: { path: string; op: string; ruleId?: string }[];
  withheld: { path: string; reason: string; ruleId?: string }[];
}

/**
 * Every lookup takes an optional `q`: inside a transaction, pass the transaction's client. A
 * second connection taken from the pool while holding one deadlocks the pool under load.
 */
export interface PolicyPort {
  decide(input: DecideInput, q?: Queryable): Promise<PolicyDecision>;
  /**
   * `locations`: what locates the case's subjects (case-locations.ts), built once per request or
   * pack read and passed to every redaction of it, so free text is cleared of locations too.
   */
  redact(decision: PermitDecision, doc: Record<string, unknown>, facts: SubjectFacts, now: Date, locations?: CaseLocations): {
    view: Record<string, unknown>;
    explanation: Explanation;
  };
  /** Retention period of an agreement version, in days. */
  retentionDays(agreementId: string, version: number, q?: Queryable): Promise<number>;
}

export interface AgencyInfo {
  id: string;
  type: AgencyType;
  deliveryMode: 'pull' | 'push';
  pushUrl?: string;
  disabled: boolean;
  /** The MARAC area a coordinator agency is registered for: a case's area comes from here, never from a body. */
  maracArea?: string;
}

export interface AgencyDirectory {
  getAgency(id: string, q?: Queryable): Promise<AgencyInfo | undefined>;
}

/** Enqueue work after commit (transactional outbox: the row is the truth, the job a nudge). */
export interface ExchangeJobs {
  enqueueDelivery(messageId: string): Promise<void>;
  scheduleDeadline(requestId: string, reminderAt: Date, deadline: Date): Promise<void>;
}

// Which payload an agency type may send is the schema catalog's: one table for the whole gateway.
export { payloadKeyFor, PAYLOAD_KEYS } from '../schema/catalog.js';

/** R10: the MARAC-to-MARAC transfer bundle; only a coordinator may send these response fields. */
export const TRANSFER_FIELDS = ['minutesSummary', 'actionPlan', 'riskBasis', 'lastMaracReferralDate', 'previousReferralDates', 'fromMaracArea'] as const;
