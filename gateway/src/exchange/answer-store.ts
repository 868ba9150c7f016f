import type { Queryable, Tx } from '../store/db.js';
import type { AuditLog, PreparedAuditRow } from '../audit/types.js';
import type { CaseRow } from './case-service.js';
import type { StoredAnswer } from './idempotency.js';
import type { MessageRow } from './request-view.js';
import { inForceLateral } from '../policy/store/agreement-repo.js';
import { caseKeyColumns, caseKeyIdSql, keyRowOf, type CaseKeyColumns, type CaseKeyRow } from '../store/case-keys.js';

/**
 * The SQL of answering a message (respond or decline), in as few round trips as the work allows:
 * on two cores shared with PostgreSQL, each statement costs both processes a wake-up, a parse and
 * a plan, and the answer path used to make eleven.
 *
 * Optimistic first (two statements, no explicit transaction, no connection held while Node
 * decides): one read of everything the checks and the decision need (readForAnswers), then one
 * statement that makes the change only if the message is still in the state that was read and
 * the pinned agreement's status is still the one decided on, writing every exchange row together
 * with the audit event (writeAnswersIfUnchanged): a single statement is a transaction of its own,
 * so the rows and their event commit together or not at all. When it finds the message changed,
 * or when the answer raises a confidential-address flag (the audit event must know beforehand
 * whether this answer raised it), the answer is made again under locks: BEGIN, lockForAnswer,
 * writeAnswer, COMMIT. All statements are named (prepared once per connection, planned once).
 *
 * The read also brings the case's status (only an open case's requests are answered) and the
 * case's data key row (keystore.case_keys), so sealing the response under the case's own key
 * (decision 0024) needs no round trip of its own: the key is used only because this read saw it
 * live (store/case-keys.ts, sealerFromRow; decision 0032).
 */

export interface AnswerContext {
  m: MessageRow & { purpose: string };
  theCase: Pick<CaseRow, 'maracArea' | 'riskBasis' | 'subjectFacts'> & { tokens: string[] };
  /**
   * The pinned agreement version's status and document digest, and the agreement's version in force
   * with its removed parties (which bind every version), read now: a suspension counts at once.
   */
  agreement?: { status: string; docDigest: string; release: { inForce?: { version: number; status: string; docDigest: string }; removed: string[] } };
  /** The requester's agency type (read with the message: no lookup of its own), if it is registered. */
  senderType?: string;
  /** The first answer stored under this agency's Idempotency-Key, if any (whatever request it was for). */
  prior?: { requestHash: string; answer: StoredAnswer };
  /** The case's status as read: OPEN, WITHDRAWN or CLOSED (only an open case's requests are answered). */
  caseStatus: string;
  /** The case's data key row as read with the rest (absent: the case has no key yet, from before migration 0021). */
  caseKey?: CaseKeyRow;
}

interface ContextRow extends MessageRow, CaseKeyColumns {
  case_status: string;
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
  inforce_version: number | null;
  inforce_status: string | null;
  inforce_digest: string | null;
  inforce_removed: string[] | null;
  sender_type: string | null;
}

/** What an answer reads: the message, its request's purpose, the case facts, the key's row, the agreement's status. */
const CONTEXT_COLUMNS = `m.id, m.request_id, m.case_id, m.sender_agency_id, m.recipient_agency_id, m.delivery_mode,
                  m.agreement_id, m.agreement_version, m.state, m.deadline, m.attempts, r.purpose,
                  c.marac_area, c.risk_basis, c.subject_facts, c.subject_tokens, c.status AS case_status,
                  ${caseKeyColumns('ck')},
                  k.request_hash AS idem_hash, k.status AS idem_status, k.body AS idem_body,
                  av.status AS agreement_status, av.doc_digest AS agreement_digest,
                  f.version AS inforce_version, f.status AS inforce_status, f.doc_digest AS inforce_digest, f.removed AS inforce_removed,
                  sa.type AS sender_type`;

/** The joins from `messages m` to the rest of CONTEXT_COLUMNS, for the given agency and key expressions. */
const contextJoins = (agency: string, key: string) => `JOIN research_requests r ON r.id = m.request_id
             JOIN cases c ON c.id = m.case_id
             LEFT JOIN keystore.case_keys ck ON ck.key_id = ${caseKeyIdSql('m.case_id')}
             LEFT JOIN idempotency_keys k ON k.agency_id = ${agency} AND k.key = ${key}
             LEFT JOIN agreement_versions av ON av.agreement_id = m.agreement_id AND av.version = m.agreement_version
             ${inForceLateral('m.agreement_id')}
             LEFT JOIN agencies sa ON sa.id = m.sender_agency_id`;

/** Which answer a batched read is for: the certificate's agency, the request and the key. */
export interface AnswerKey {
  requestId: string;
  agencyId: string;
  key: string;
}

/**
 * Reads, for each key, the recipient's message for the request with its request's purpose, the
 * case facts, the idempotency row and the pinned agreement version's current status, without
 * locking anything: the first step of the optimistic answer (see writeAnswersIfUnchanged). One
 * statement for a batch of answers (store/micro-batch.ts); undefined where that agency has no
 * such message.
 */
export async function readForAnswers(q: Queryable, keys: readonly AnswerKey[]): Promise<(AnswerContext | undefined)[]> {
  const r = await q.query<ContextRow & { i: string }>({
    name: 'exchange.answer.read-many',
    text: `SELECT q.i, ${CONTEXT_COLUMNS}
             FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS q(request_id, agency_id, key, i)
             JOIN messages m ON m.request_id = q.request_id AND m.recipient_agency_id = q.agency_id
             ${contextJoins('q.agency_id', 'q.key')}`,
    values: [keys.map((k) => k.requestId), keys.map((k) => k.agencyId), keys.map((k) => k.key)],
  });
  const out: (AnswerContext | undefined)[] = keys.map(() => undefined);
  for (const { i, ...row } of r.rows) {
    const at = Number(i) - 1;
    const want = keys[at];
    // Each row must answer the key it is matched to: never one agency's message for another's.
    if (!want || row.request_id !== want.requestId || row.recipient_agency_id !== want.agencyId) throw new Error('answer read: a row does not match its key');
    out[at] = toContext(row);
  }
  return out;
}

/**
 * The same read, locking the message (FOR UPDATE: two answers to one message queue here), for the
 * answers the optimistic path hands over, with the case row already locked (lockCase): the case's
 * status and facts read here hold until the transaction ends. Undefined when this agency has no
 * such message.
 *
 * The idempotency row is read with the statement's snapshot, taken before any wait for the lock:
 * a concurrent retry that committed while this one waited is not in it. The caller re-reads it
 * (findAnswer, a fresh snapshot) when the locked message turns out to be answered already.
 */
export async function lockForAnswer(tx: Tx, requestId: string, agencyId: string, key: string): Promise<AnswerContext | undefined> {
  const r = await tx.query<ContextRow>({
    name: 'exchange.answer.lock',
    text: `SELECT ${CONTEXT_COLUMNS}
             FROM messages m
             ${contextJoins('$2', '$3')}
            WHERE m.request_id = $1 AND m.recipient_agency_id = $2
              FOR UPDATE OF m`,
    values: [requestId, agencyId, key],
  });
  return r.rows[0] ? toContext(r.rows[0]) : undefined;
}

function toContext(row: ContextRow): AnswerContext {
  const {
    purpose, marac_area, risk_basis, subject_facts, subject_tokens, idem_hash, idem_status, idem_body, agreement_status, agreement_digest,
    inforce_version, inforce_status, inforce_digest, inforce_removed, sender_type, case_status,
    ck_key_id, ck_wrapped_key_id, ck_wrapped_iv, ck_wrapped_tag, ck_wrapped_ciphertext,
    ...message
  } = row;
  const caseKey = keyRowOf({ ck_key_id, ck_wrapped_key_id, ck_wrapped_iv, ck_wrapped_tag, ck_wrapped_ciphertext });
  const release = {
    ...(inforce_version !== null && inforce_status !== null && inforce_digest !== null
      ? { inForce: { version: inforce_version, status: inforce_status, docDigest: inforce_digest } } : {}),
    removed: inforce_removed ?? [],
  };
  return {
    m: { ...message, purpose },
    theCase: { maracArea: marac_area, riskBasis: risk_basis, subjectFacts: subject_facts, tokens: subject_tokens },
    ...(agreement_status !== null && agreement_digest !== null ? { agreement: { status: agreement_status, docDigest: agreement_digest, release } } : {}),
    ...(sender_type !== null ? { senderType: sender_type } : {}),
    ...(idem_hash !== null ? { prior: { requestHash: idem_hash, answer: { status: idem_status!, body: idem_body! } } } : {}),
    caseStatus: case_status,
    ...(caseKey ? { caseKey } : {}),
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
 * The case row locked (NO KEY UPDATE: the lock a withdrawal, a close, an edit and the
 * confidential-address flag's UPDATE take; new messages for the case can still be created) for the
 * locked path, BEFORE the message's lock (lockForAnswer): every path that locks both takes the case
 * first (the batched write's share lock, the purge). While it is held the case cannot be withdrawn,
 * closed or purged, and its facts cannot change, so what lockForAnswer then reads of the case is
 * what holds at the write: an answer is stored only while the case is open, and the audit event
 * knows beforehand whether the answer raises a flag (written in the same statement as the flag).
 * Returns false when there is no such case (purged).
 */
export async function lockCase(tx: Tx, caseId: string): Promise<boolean> {
  const r = await tx.query({ name: 'exchange.answer.lock-case', text: 'SELECT 1 FROM cases WHERE id = $1 FOR NO KEY UPDATE', values: [caseId] });
  return (r.rowCount ?? 0) > 0;
}

/** The case of the agency's message for a request (it never changes), read to lock the case first. */
export async function caseOfAnswer(q: Queryable, requestId: string, agencyId: string): Promise<string | undefined> {
  const r = await q.query<{ case_id: string }>({
    name: 'exchange.answer.case-of',
    text: 'SELECT case_id FROM messages WHERE request_id = $1 AND recipient_agency_id = $2',
    values: [requestId, agencyId],
  });
  return r.rows[0]?.case_id;
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

/** What the optimistic write requires to be unchanged since the read. */
export interface AnswerPrecondition {
  /** The message's state as read. */
  state: string;
  /** The pinned agreement version's status as read (null: no such version row). */
  agreementStatus: string | null;
}

/** One answer of a batched conditional write, with its audit event prepared by the log. */
export interface ConditionalAnswer {
  write: AnswerWrite;
  pre: AnswerPrecondition;
  event: PreparedAuditRow;
}

/** Appends the audit rows of the answers written (AuditLog.appendRowsStatement). */
export type AuditRowsStatement = NonNullable<AuditLog['appendRowsStatement']>;

/**
 * The optimistic answer's write, for a batch of answers in one statement (its own transaction):
 * for each answer whose message is still in the state read, whose case is still open and whose
 * pinned agreement version still has the status read, stores the answer, moves the message to its
 * final state, records the Idempotency-Key and appends its audit event; the others write nothing
 * and come back false. Another answer, an overdue sweep or a suspension committed since the read
 * is such a change; one still in flight is waited for (the UPDATE's row lock) and then re-checked.
 *
 * The case's status is read under a share lock of the case row, taken before the message's (every
 * path that locks both takes the case first: the locked answer, the purge): a withdrawal or close
 * (NO KEY UPDATE) in flight is waited for and then seen, and one that comes later waits for this
 * statement. So no answer is stored once the case's withdrawal or close has committed.
 *
 * Never raises confidential-address flags: such answers take the locked path. Any error (a key
 * taken meanwhile fails the statement with 23505, see isKeyTaken) fails the whole batch and writes
 * nothing. The answers must be for distinct messages and distinct keys.
 */
export async function writeAnswersIfUnchanged(q: Queryable, items: readonly ConditionalAnswer[], auditRows: AuditRowsStatement): Promise<boolean[]> {
  if (items.some((x) => x.write.confidentialSubjectIds.length > 0)) {
    throw new Error('writeAnswersIfUnchanged: confidential-address flags are raised under the case lock');
  }
  const w = items.map((x) => x.write);
  // Ciphertexts travel as one binary parameter cut by length (a bytea[] literal would double them in hex).
  const sealedLengths = w.map((x) => x.sealed[3]?.length ?? -1);
  const audit = auditRows(items.map((x) => ({ row: x.event, key: x.write.messageId })), 22, { cte: 'message', column: 'id' });
  const r = await q.query<{ id: string }>({
    name: 'exchange.answer.write-many',
    text: `WITH x AS MATERIALIZED (
             SELECT x.*, substring($9::bytea FROM (sum(greatest(x.len, 0)) OVER (ORDER BY x.ord) - greatest(x.len, 0) + 1)::int
                                                FOR greatest(x.len, 0)) AS cut
               FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::bytea[],
                           $10::int[], $11::boolean[], $12::timestamptz[], $13::timestamptz[], $14::text[], $15::text[], $16::text[],
                           $17::text[], $18::text[], $19::int[])
                    WITH ORDINALITY AS x(message_id, request_id, responder, kind, decline_reason, key_id, iv, tag, len, late,
                                         received_at, purge_after, state, idem_key, idem_hash, expected_state, agreement_status, idem_status, ord)
           ), open_case AS MATERIALIZED (
             SELECT c.id FROM cases c WHERE c.id = ANY($21::text[]) AND c.status = 'OPEN' FOR SHARE
           ), idem_body AS (
             SELECT b.body, b.ord FROM jsonb_array_elements($20::jsonb) WITH ORDINALITY AS b(body, ord)
           ), message AS (
             UPDATE messages m SET state = x.state, answered_at = x.received_at, late = x.late, updated_at = x.received_at
               FROM x
              WHERE m.id = x.message_id AND m.state = x.expected_state
                AND m.case_id IN (SELECT id FROM open_case)
                AND (SELECT av.status FROM agreement_versions av
                      WHERE av.agreement_id = m.agreement_id AND av.version = m.agreement_version) IS NOT DISTINCT FROM x.agreement_status
             RETURNING m.id
           ), response AS (
             INSERT INTO responses (message_id, request_id, responder_agency_id, kind, decline_reason, key_id, iv, tag, ciphertext,
                                    late, received_at, purge_after)
             SELECT x.message_id, x.request_id, x.responder, x.kind, x.decline_reason, x.key_id, x.iv, x.tag,
                    CASE WHEN x.len < 0 THEN NULL ELSE x.cut END, x.late, x.received_at, x.purge_after
               FROM x JOIN message ON message.id = x.message_id
           ), idempotency AS (
             INSERT INTO idempotency_keys (agency_id, key, request_hash, status, body)
             SELECT x.responder, x.idem_key, x.idem_hash, x.idem_status, b.body
               FROM x JOIN message ON message.id = x.message_id JOIN idem_body b ON b.ord = x.ord
           ), ${audit.cte}
           SELECT id FROM message`,
    values: [
      w.map((x) => x.messageId), w.map((x) => x.requestId), w.map((x) => x.responderAgencyId), w.map((x) => x.kind),
      w.map((x) => x.declineReason), w.map((x) => x.sealed[0]), w.map((x) => x.sealed[1]), w.map((x) => x.sealed[2]),
      Buffer.concat(w.flatMap((x) => (x.sealed[3] ? [x.sealed[3]] : []))),
      sealedLengths, w.map((x) => x.late), w.map((x) => x.receivedAt), w.map((x) => x.purgeAfter), w.map((x) => x.state),
      w.map((x) => x.idempotency.key), w.map((x) => x.idempotency.requestHash),
      items.map((x) => x.pre.state), items.map((x) => x.pre.agreementStatus), w.map((x) => x.idempotency.answer.status),
      JSON.stringify(w.map((x) => x.idempotency.answer.body)), [...new Set(w.map((x) => x.caseId))],
      ...audit.values,
    ],
  });
  const written = new Set(r.rows.map((row) => row.id));
  if (written.size > 0) audit.appended();
  return w.map((x) => written.has(x.messageId));
}
