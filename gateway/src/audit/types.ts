import type { Tx } from '../store/db.js';
import type { Principal } from '../identity/principal.js';

/** Every action the audit log records. Stable strings: they are part of the export format. */
export type AuditAction =
  | 'CASE_CREATED'
  | 'CASE_UPDATED'
  | 'CASE_WITHDRAWN'
  | 'CASE_CLOSED'
  | 'CASE_REOPENED'
  | 'REFERRAL_SUBMITTED'
  | 'REFERRAL_VIEWED'
  | 'REFERRAL_ACCEPTED'
  | 'REFERRAL_RETURNED'
  | 'REFERRAL_REPEAT_CONFIRMED'
  | 'REFERRAL_REPEAT_REJECTED'
  | 'REQUEST_CREATED'
  | 'REQUEST_REFUSED'
  | 'DELIVERED'
  | 'DELIVERY_FAILED'
  | 'ACKNOWLEDGED'
  | 'RESPONSE_RECEIVED'
  | 'VIEW_READ'
  | 'PACK_EXPORTED'
  | 'DECLINED'
  | 'OVERDUE'
  | 'REMINDER_SENT'
  | 'RESEARCH_PURGED'
  | 'AGREEMENT_CREATED'
  | 'AGREEMENT_CHANGED'
  | 'AGREEMENT_VALIDATED'
  | 'AGREEMENT_APPROVED'
  | 'AGREEMENT_ACTIVATED'
  | 'AGREEMENT_SUSPENDED'
  | 'AGREEMENT_EXPIRED'
  | 'AGREEMENT_RESUMED'
  | 'AGREEMENT_PARTY_REMOVED'
  | 'AGREEMENT_PARTY_RESTORED'
  | 'CERTIFICATE_ISSUED'
  | 'CERTIFICATE_REVOKED'
  | 'AGENCY_REGISTERED'
  | 'AGENCY_DISABLED'
  | 'LOGIN'
  | 'LOGIN_FAILED'
  | 'LOGOUT'
  | 'ACCESS_DENIED'
  | 'AUDIT_QUERIED'
  | 'AUDIT_EXPORTED'
  | 'MEETING_SCHEDULED'
  | 'MEETING_UPDATED'
  | 'MEETING_CANCELLED'
  | 'AGENDA_CHANGED'
  | 'ATTENDANCE_RECORDED'
  | 'MINUTES_RECORDED'
  | 'ACTION_CREATED'
  | 'ACTION_UPDATED'
  | 'CIRCULATED'
  | 'DOCUMENT_PRODUCED'
  | 'DATA_RETURN_PRODUCED'
  | 'RESEARCH_DRAFT_SAVED'
  | 'NOTIFICATION_SENT'
  | 'NOTIFICATION_FAILED'
  | 'ACCESSION_REQUESTED'
  | 'ACCESSION_APPROVED'
  | 'ACCESSION_REFUSED'
  | 'ACCESSION_WITHDRAWN'
  | 'AGENCY_ENABLED'
  | 'CASE_PURGED'
  | 'CASE_TRANSFERRED'
  | 'TRANSFER_ACCEPTED'
  | 'TRANSFER_REFUSED';

export type AuditDecision = 'PERMIT' | 'PERMIT_WITH_TRANSFORMS' | 'DENY' | 'NONE';

/** One section of a multi-section release (a pack read or export) as the audit log records it. */
export interface SectionDecision {
  agencyId: string;
  requestId: string;
  decision: AuditDecision;
  reasonCode?: string;
}

/**
 * What a caller hands to `AuditLog.append`. Paths and decisions only: never a released value,
 * an identifier, a name, a date of birth or a location (DESIGN invariant 4).
 */
export interface AuditEventInput {
  action: AuditAction;
  actor: Principal;
  caseId?: string;
  requestId?: string;
  messageId?: string;
  agreementId?: string;
  agreementVersion?: number;
  purpose?: string;
  decision?: AuditDecision;
  reasonCode?: string;
  ruleIds?: string[];
  fieldsReleased?: string[];
  fieldsTransformed?: { path: string; op: string }[];
  fieldsWithheld?: { path: string; reason: string }[];
  /** SHA-256 hex of the canonical released view, when a view was released. */
  viewDigest?: string;
  /** Keyed HMAC tokens of normalised subject identifiers (see audit/subject-tokens). */
  subjectTokens?: string[];
  /** Agency ids concerned (sender/recipient), for the auditor's agency filter. */
  agencyIds?: string[];
  /**
   * Per section of a read, export or document (one responding agency's research on one request):
   * what this reader was given, and why not. Agency ids and reason codes only.
   */
  sectionDecisions?: SectionDecision[];
  /** Small, non-personal extra facts (e.g. { late: true }, { attempt: 3 }). */
  detail?: Record<string, string | number | boolean | null>;
}

/**
 * What `append` hands back. The real log queues the event in the caller's transaction and the
 * sequencer gives it `seq` and `hash` moments after commit (see docs/decisions/0003), so only
 * `ts` is known at append time; fakes may fill `seq`/`hash` directly.
 */
export interface AppendedEvent {
  pendingId?: string;
  ts?: string;
  seq?: number;
  hash?: string;
}

/** The one way anything writes to the audit log: inside the caller's transaction. */
export interface AuditLog {
  append(tx: Tx, event: AuditEventInput): Promise<AppendedEvent>;
  /**
   * The same append, carried by the caller's own statement so that a state change and its event
   * cost one round trip: the event is prepared and checked now (throws as `append` would), and
   * `cte` is its INSERT as one entry of a `WITH` list, with its parameters numbered from
   * `firstParam`. The caller runs the statement in its transaction and then calls `appended()`.
   * Optional: a log without it is used through `append`.
   */
  appendStatement?(event: AuditEventInput, firstParam: number): { cte: string; values: unknown[]; appended(): AppendedEvent };
  /**
   * Conditional appends for a statement that makes several changes, each only if its own
   * condition holds (a batch of answers, say): `prepareRow` checks and prepares one event now
   * (throws as `append` would); `appendRowsStatement` then gives the `WITH` entry that inserts the
   * rows whose `key` is returned by the `column` of the earlier entry `onlyIfKeyIn.cte`, in the
   * order given, with its parameters numbered from `firstParam`. Only rows this log prepared are
   * accepted. The caller runs the statement on its own (a transaction of its own) and then calls
   * `appended()`. Optional, as appendStatement.
   */
  prepareRow?(event: AuditEventInput): PreparedAuditRow;
  appendRowsStatement?(
    rows: readonly { row: PreparedAuditRow; key: string }[],
    firstParam: number,
    onlyIfKeyIn: { cte: string; column: string },
  ): { cte: string; values: unknown[]; appended(): void };
}

/** An audit event checked and prepared by the log for a conditional append (AuditLog.prepareRow). */
export interface PreparedAuditRow {
  readonly ts: string;
}

export type AuditActor =
  | { kind: 'agency'; agencyId: string; certFingerprint: string }
  | { kind: 'person'; userId: string; roles: string[]; agencyId?: string }
  | { kind: 'system'; component: string };

/** An event as stored, hashed and exported (schemas/audit-event.schema.json). */
export interface AuditEvent extends Omit<AuditEventInput, 'actor'> {
  v: 1;
  seq: number;
  ts: string;
  actor: AuditActor;
  prevHash: string;
  hash: string;
}

/** A signed tree head as stored and exported. */
export interface Checkpoint {
  treeSize: number;
  /** Base64 (standard) of the 32-byte RFC 6962 root. */
  rootHash: string;
  ts: string;
  keyId: string;
  /** The complete C2SP signed note (body, blank line, signature lines). */
  note: string;
}
