import type { Tx } from '../store/db.js';
import type { CaseRow } from './case-service.js';
import type { StoredAnswer } from './idempotency.js';
import type { MessageRow } from './request-view.js';

/**
 * The SQL of answering a message (respond or decline), in as few round trips as the work allows:
 * on two cores shared with PostgreSQL, each statement costs both processes a wake-up, a parse and
 * a plan, and the answer path used to make eleven. Now one statement locks the message and reads
 * everything the checks and the decision need, and one writes every exchange row together with
 * the audit event the audit log prepared (AuditLog.appendStatement): BEGIN, two statements,
 * COMMIT. Both are named (prepared once per connection, planned once).
 */

export interface AnswerContext {
  m: MessageRow & { purpose: string };
  theCase: Pick<CaseRow, 'maracArea' | 'riskBasis' | 'subjectFacts'> & { tokens: string[] };
  /** The pinned agreement version's status and document digest, read now (a suspension counts at once). */
  agreement?: { status: string; docDigest: string };
  /** The first answer stored under this agency's Idempotency-Key, if any (whatever request it was for). */
  prior?: { requestHash: string; answer: StoredAnswer };
}

interface ContextRow extends MessageRow {
  purpose: string;
  marac_area: string;
  risk_basis: CaseRow['riskBasis'];
  subject_facts: CaseRow['subjectFacts'];
  subject_tokens: string[];
  idem_hash: string | null;
  idem_status: number | null;
  idem_body: Record<string, unknown> | null;
  agreement_status: string | null;
  agreement_digest: string | null;
}

/**
 * Locks the recipient's message for `requestId` (FOR UPDATE, as before: two answers to one message
 * queue here) and reads its request's purpose, the case facts, the idempotency row and the pinned
 * agreement version's current status. Undefined when this agency has no such message.
 *
 * The idempotency row is read with the statement's snapshot, taken before any wait for the lock:
 * a concurrent retry that committed while this one waited is not in it. The caller re-reads it
 * (findAnswer, a fresh snapshot) when the locked message turns out to be answered already.
 */
export async function lockForAnswer(tx: Tx, requestId: string, agencyId: string, key: string): Promise<AnswerContext | undefined> {
  const r = await tx.query<ContextRow>({
    name: 'exchange.answer.lock',
    text: `SELECT m.id, m.request_id, m.case_id, m.sender_agency_id, m.recipient_agency_id, m.delivery_mode,
                  m.agreement_id, m.agreement_version, m.state, m.deadline, m.attempts, r.purpose,
                  c.marac_area, c.risk_basis, c.subject_facts, c.subject_tokens,
                  k.request_hash AS idem_hash, k.status AS idem_status, k.body AS idem_body,
                  av.status AS agreement_status, av.doc_digest AS agreement_digest
             FROM messages m
             JOIN research_requests r ON r.id = m.request_id
             JOIN cases c ON c.id = m.case_id
             LEFT JOIN idempotency_keys k ON k.agency_id = $2 AND k.key = $3
             LEFT JOIN agreement_versions av ON av.agreement_id = m.agreement_id AND av.version = m.agreement_version
            WHERE m.request_id = $1 AND m.recipient_agency_id = $2
              FOR UPDATE OF m`,
    values: [requestId, agencyId, key],
  });
  const row = r.rows[0];
  if (!row) return undefined;
  const {
    purpose, marac_area, risk_basis, subject_facts, subject_tokens, idem_hash, idem_status, idem_body, agreement_status, agreement_digest,
    ...message
  } = row;
  return {
    m: { ...message, purpose },
    theCase: { maracArea: marac_area, riskBasis: risk_basis, subjectFacts: subject_facts, tokens: subject_tokens },
    ...(agreement_status !== null && agreement_digest !== null ? { agreement: { status: agreement_status, docDigest: agreement_digest } } : {}),
    ...(idem_hash !== null ? { prior: { requestHash: idem_hash, answer: { status: idem_status!, body: idem_body! } } } : {}),
  };
}

export interface AnswerWrite {
  messageId: string;
  requestId: string;
  responderAgencyId: string;
  kind: 'response' | 'decline';
  declineReason: string | null;
  /** key id, iv, tag, ciphertext of the sealed response; nulls for a decline. */
  sealed: [string | null, Buffer | null, Buffer | null, Buffer | null];
  late: boolean;
  receivedAt: Date;
  purgeAfter: Date;
  state: 'responded' | 'declined';
  idempotency: { key: string; requestHash: string; answer: StoredAnswer };
  caseId: string;
  /** Subjects whose address the answer marks confidential (T7); usually none. */
  confidentialSubjectIds: string[];
}

/** The answer's audit event as one more entry of the write's `WITH` list (AuditLog.appendStatement). */
export interface CarriedAuditEvent {
  cte: string;
  values: unknown[];
}

/** Where the carried audit event's parameters start: after the write's own 19. */
export const CARRIED_AUDIT_FIRST_PARAM = 20;

/** Which of `subjectIds` an answer would newly mark confidential, given the case facts. */
export function newlyConfidential(facts: CaseRow['subjectFacts'], subjectIds: string[]): string[] {
  return subjectIds.filter((id) => facts.some((f) => f.subjectId === id && f.addressConfidential !== true));
}

/**
 * The case's subject facts, read again under a row lock (NO KEY UPDATE, as the flag's UPDATE takes:
 * new messages for the case can still be created). Only when the lock statement's snapshot shows a
 * flag still to raise, i.e. about once per case: the audit event says whether this answer raised
 * one, and it is written in the same statement as the flag, so it must know beforehand. Flags are
 * only ever raised, so a flag seen raised needs no lock.
 */
export async function lockCaseFacts(tx: Tx, caseId: string): Promise<CaseRow['subjectFacts']> {
  const r = await tx.query<{ subject_facts: CaseRow['subjectFacts'] }>({
    name: 'exchange.answer.lock-case',
    text: 'SELECT subject_facts FROM cases WHERE id = $1 FOR NO KEY UPDATE',
    values: [caseId],
  });
  return r.rows[0]?.subject_facts ?? [];
}

/**
 * Stores the answer, moves the message to its final state, records the Idempotency-Key, raises
 * the case's confidential-address flags and, when given, appends the audit event, all in one
 * statement. Returns whether a flag was raised.
 *
 * T7: a responder (typically IDVA) that marks a subject's address confidential (refuge, temporary
 * accommodation) protects that subject's location in every later view of the case, whoever's
 * research or request it is in. It only ever raises protection, and in one UPDATE of the case row,
 * so two responses arriving together cannot lose a flag: the second waits for the first's row lock
 * and re-checks the EXISTS against the committed facts.
 */
export async function writeAnswer(tx: Tx, w: AnswerWrite, audit?: CarriedAuditEvent): Promise<{ addressMarkedConfidential: boolean }> {
  const r = await tx.query<{ address_marked: boolean }>({
    name: audit ? 'exchange.answer.write-with-audit' : 'exchange.answer.write',
    text: `WITH ${audit ? `${audit.cte}, ` : ''}response AS (
             INSERT INTO responses (message_id, request_id, responder_agency_id, kind, decline_reason, key_id, iv, tag, ciphertext,
                                    late, received_at, purge_after)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           ), message AS (
             UPDATE messages SET state = $13, answered_at = $11, late = $10, updated_at = $11 WHERE id = $1
           ), idempotency AS (
             INSERT INTO idempotency_keys (agency_id, key, request_hash, status, body) VALUES ($3, $14, $15, $16, $17)
           ), confidential AS (
             UPDATE cases SET subject_facts = (
                 SELECT jsonb_agg(CASE WHEN f->>'subjectId' = ANY($19::text[]) THEN f || '{"addressConfidential": true}'::jsonb ELSE f END ORDER BY i)
                   FROM jsonb_array_elements(subject_facts) WITH ORDINALITY AS x(f, i))
              WHERE id = $18 AND cardinality($19::text[]) > 0
                AND EXISTS (SELECT 1 FROM jsonb_array_elements(subject_facts) f
                             WHERE f->>'subjectId' = ANY($19::text[]) AND f->'addressConfidential' IS DISTINCT FROM 'true'::jsonb)
             RETURNING 1
           )
           SELECT EXISTS (SELECT 1 FROM confidential) AS address_marked`,
    values: [
      w.messageId, w.requestId, w.responderAgencyId, w.kind, w.declineReason, ...w.sealed, w.late, w.receivedAt, w.purgeAfter,
      w.state, w.idempotency.key, w.idempotency.requestHash, w.idempotency.answer.status, w.idempotency.answer.body,
      w.caseId, w.confidentialSubjectIds, ...(audit?.values ?? []),
    ],
  });
  return { addressMarkedConfidential: r.rows[0]?.address_marked === true };
}
