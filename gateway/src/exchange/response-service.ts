import { withTx, type Queryable } from '../store/db.js';
import { CaseKeyDestroyed, caseKeyId, sealerFromRow } from '../store/case-keys.js';
import type { AgencyPrincipal } from '../identity/principal.js';
import type { AnsweringAgency } from './agency-staff.js';
import { PolicyDenied } from '../errors.js';
import type { ExchangeDeps } from './deps.js';
import { policyCaseFacts } from './case-facts.js';
import {
  CARRIED_AUDIT_FIRST_PARAM, caseOfAnswer, lockCase, lockForAnswer, newlyConfidential, readForAnswers, writeAnswer, writeAnswersIfUnchanged,
  type AnswerContext, type AnswerKey, type AnswerWrite, type AuditRowsStatement, type ConditionalAnswer,
} from './answer-store.js';
import { createMicroBatcher } from '../store/micro-batch.js';
import type { AuditEventInput } from '../audit/types.js';
import { AlreadyAnswered, MessageNotAnswerable, PayloadNotForAgencyType, RequestNotFound, UnknownFieldPath, UnknownSubject } from './errors.js';
import { CaseNotOpen } from './case-errors.js';
import { fieldCatalog } from '../schema/catalog.js';
import { bodyHash, findAnswer, isKeyTaken, replayOf, requireIdempotencyKey, type StoredAnswer } from './idempotency.js';
import { PAYLOAD_KEYS, TRANSFER_FIELDS, payloadKeyFor } from './ports.js';
import type { MessageRow } from './request-view.js';
import type { CaseRow } from './case-service.js';

interface SubjectResultIn {
  subjectId: string;
  withheld?: { fieldPath: string; reason: string }[];
  [k: string]: unknown;
}

/** Field paths present in a document, with `[]` for array items: what arrived, never its values. */
export function presentPaths(doc: unknown, prefix = ''): string[] {
  const out: string[] = [];
  collectPaths(doc, prefix, out);
  return out;
}

/**
 * presentPaths into one array (it runs on every answer): an array's items contribute each path
 * once, in first-seen order; an empty array is its own path; an empty object contributes none.
 */
function collectPaths(doc: unknown, prefix: string, out: string[]): void {
  if (Array.isArray(doc)) {
    if (doc.length === 0) {
      out.push(prefix);
      return;
    }
    const start = out.length;
    const item = `${prefix}[]`;
    for (const x of doc) collectPaths(x, item, out);
    if (out.length - start > 1) {
      const unique = [...new Set(out.slice(start))];
      out.length = start;
      out.push(...unique);
    }
    return;
  }
  if (doc && typeof doc === 'object') {
    for (const k of Object.keys(doc)) collectPaths((doc as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  if (prefix) out.push(prefix);
}

/**
 * What a response lists for the audit event (paths present, fields withheld and why, never a
 * value), and the subjects whose address it marks confidential (T7; the flag is raised in
 * answer-store.ts).
 */
function listFields(results: SubjectResultIn[]): { fields: string[]; withheld: { path: string; reason: string }[]; confidential: string[] } {
  return {
    fields: results.flatMap((sr) => {
      const { withheld: _w, subjectId, ...rest } = sr;
      return presentPaths(rest).map((p) => `${subjectId}/${p}`);
    }),
    withheld: results.flatMap((sr) => (sr.withheld ?? []).map((w) => ({ path: `${sr.subjectId}/${w.fieldPath}`, reason: w.reason }))),
    confidential: results
      .filter((sr) => (sr.subject as { address?: { confidential?: unknown } } | undefined)?.address?.confidential === true)
      .map((sr) => sr.subjectId),
  };
}

/**
 * A withheld field path must name a catalogued field: it goes into the audit log, so free text
 * there (an NHS number, a postcode) would be personal data in an append-only log. Adapters name
 * array items by index (`police.incidents[3].summary`); the catalog says `[]`. Indices stay below
 * the schemas' 500-item arrays.
 */
export function isCataloguedFieldPath(path: string): boolean {
  const generic = path.replace(/\[\d{1,3}\]/g, '[]').replace(/\[\]$/, '');
  return fieldCatalog().get(generic) !== undefined;
}

/** One answer as it arrived: everything worked out before any database access. */
interface AnswerRequest {
  /** The agency's system (certificate) or one of its staff in the browser (decision 0021). */
  actor: AnsweringAgency;
  requestId: string;
  key: string;
  hash: string;
  body: unknown;
  kind: 'response' | 'decline';
  /** What the audit event lists (responses only). */
  listed?: ReturnType<typeof listFields>;
}

/**
 * The answer is refused: the policy refused the response (answered 403), or the case is no longer
 * open (`caseStatus`, answered 409 CASE_NOT_OPEN). Audited in a transaction of its own; nothing
 * else is written.
 */
interface Denied {
  deny: string;
  m: MessageRow;
  tokens: string[];
  caseStatus?: string;
}

/** The write an answer makes, its audit event and what the agency is told. */
interface AnswerPlan {
  write: AnswerWrite;
  event: AuditEventInput;
  stored: StoredAnswer;
}

/** The optimistic path cannot finish this answer: make it again under locks. */
const TAKE_LOCKS = Symbol('take locks');
/** This answer cannot share the batch's statement: it makes its own. */
const ALONE = Symbol('alone');

export function createResponseService(deps: ExchangeDeps) {
  const { pool, audit, policy } = deps;

  function checkAnswerable(m: MessageRow): void {
    if (m.state === 'responded' || m.state === 'declined') throw new AlreadyAnswered('This request has already been answered');
    if (m.state === 'queued' || m.state === 'failed') throw new MessageNotAnswerable(`A ${m.state} message cannot be answered`);
  }

  /**
   * Works out what an answer does from what was read: the stored first answer for a retry, a
   * denial, or the write and its audit event. `lockedFacts` gives the case facts as read under the
   * case row's lock (the locked path); without it, an answer that would raise a confidential-address
   * flag returns TAKE_LOCKS.
   */
  async function plan(
    a: AnswerRequest,
    ctx: AnswerContext,
    q: Queryable,
    lockedFacts?: () => Promise<CaseRow['subjectFacts']>,
  ): Promise<StoredAnswer | Denied | AnswerPlan | typeof TAKE_LOCKS> {
    const { actor, requestId, kind, body, listed } = a;
    const { m, theCase } = ctx;
    // A retry of an answer committed after the read's snapshot is not in it: look again before
    // calling it a second answer.
    const replay = ctx.prior ? replayOf(ctx.prior, a.hash)
      : m.state === 'responded' || m.state === 'declined' ? await findAnswer(q, actor.agencyId, a.key, a.hash) : undefined;
    if (replay) return replay;
    // A withdrawn or closed case's requests are no longer answered (nor, once it is purged, found at
    // all). A retry of an answer made while it was open was replayed above: it writes nothing.
    if (ctx.caseStatus !== 'OPEN') return { deny: `CASE_${ctx.caseStatus}`, caseStatus: ctx.caseStatus, m, tokens: theCase.tokens };
    checkAnswerable(m);
    const now = deps.now();
    const late = now.getTime() > new Date(m.deadline).getTime();

    let sealed: [string | null, Buffer | null, Buffer | null, Buffer | null] = [null, null, null, null];
    let confidential: string[] = [];
    let retention: number | undefined;
    if (kind === 'response') {
      const resp = body as { subjectResults: SubjectResultIn[] };
      const allowedKey = payloadKeyFor(actor.agencyType);
      const known = new Set(theCase.subjectFacts.map((f) => f.subjectId));
      const problems = [];
      for (const [i, sr] of resp.subjectResults.entries()) {
        if (!known.has(sr.subjectId)) problems.push({ path: `/subjectResults/${i}/subjectId`, code: 'UNKNOWN_SUBJECT', message: 'not a subject of this case' });
        for (const k of PAYLOAD_KEYS) {
          if (sr[k] !== undefined && k !== allowedKey) {
            throw new PayloadNotForAgencyType(`A ${actor.agencyType} agency cannot send a ${k} payload`, {
              problems: [{ path: `/subjectResults/${i}/${k}`, code: 'PAYLOAD_NOT_FOR_AGENCY_TYPE', message: `expected ${allowedKey ?? 'no payload'}` }],
            });
          }
        }
      }
      if (problems.length) throw new UnknownSubject('A subject result names a subject not in this case', { problems });
      if (actor.agencyType !== 'MARAC_COORDINATOR') {
        const transfer = TRANSFER_FIELDS.filter((k) => (body as Record<string, unknown>)[k] !== undefined);
        if (transfer.length) {
          throw new PayloadNotForAgencyType('Only a MARAC coordinator sends a transfer bundle', {
            problems: transfer.map((k) => ({ path: `/${k}`, code: 'PAYLOAD_NOT_FOR_AGENCY_TYPE', message: 'transfer field from a non-coordinator' })),
          });
        }
      }
      const badPaths = resp.subjectResults.flatMap((sr, i) => (sr.withheld ?? []).flatMap((w, j) => (isCataloguedFieldPath(w.fieldPath)
        ? []
        : [{ path: `/subjectResults/${i}/withheld/${j}/fieldPath`, code: 'UNKNOWN_FIELD_PATH', message: 'not a field of the research response' }])));
      if (badPaths.length) throw new UnknownFieldPath('A withheld field path names no known field', { problems: badPaths });

      // A flag still to raise in the snapshot: read the facts again under the case row's lock, so
      // that what the audit event says is what the write does. Flags are only ever raised, so a
      // flag seen raised needs no lock.
      if (newlyConfidential(theCase.subjectFacts, listed!.confidential).length > 0) {
        if (!lockedFacts) return TAKE_LOCKS;
        confidential = newlyConfidential(await lockedFacts(), listed!.confidential);
      }

      // The research may only be stored if it could lawfully reach the requester at all. The
      // requester's type came with the read: deciding needs no round trip, so answers arriving
      // together stay together for the write.
      const sender = ctx.senderType ? { id: m.sender_agency_id, type: ctx.senderType as AgencyPrincipal['agencyType'] } : undefined;
      const decision = sender
        ? await policy.decide({
          now,
          purpose: m.purpose,
          direction: 'response',
          from: { agencyId: actor.agencyId, agencyType: actor.agencyType },
          to: { agencyId: sender.id, agencyType: sender.type },
          caseFacts: policyCaseFacts(theCase),
          pinned: { agreementId: m.agreement_id, version: m.agreement_version, ...(ctx.agreement ? { current: ctx.agreement } : {}) },
        }, q)
        : ({ effect: 'DENY', reason: 'UNKNOWN_AGENCY' } as const);
      if (decision.effect === 'DENY') return { deny: decision.reason, m, tokens: theCase.tokens };
      retention = decision.retentionDays;
      // Under the case's own key, from the key row read with the message: no round trip of its own.
      let caseSealer;
      try {
        caseSealer = await sealerFromRow(deps.sealer, q, caseKeyId(m.case_id), ctx.caseKey);
      } catch (err) {
        // The case was purged since the read: made again under locks, it finds nothing to answer.
        if (err instanceof CaseKeyDestroyed && !lockedFacts) return TAKE_LOCKS;
        throw err;
      }
      const box = caseSealer.seal(body, m.id);
      sealed = [box.keyId, box.iv, box.tag, box.ciphertext];
    }
    retention ??= await policy.retentionDays(m.agreement_id, m.agreement_version, q);
    const purgeAfter = new Date(now.getTime() + retention * 86_400_000);
    const declineReason = kind === 'decline' ? (body as { reason: string }).reason : null;
    const state = kind === 'response' ? 'responded' : 'declined';
    const stored: StoredAnswer = { status: 201, body: { requestId, messageId: m.id, state, late } };
    return {
      stored,
      write: {
        messageId: m.id, requestId, responderAgencyId: actor.agencyId, kind, declineReason, sealed, late,
        receivedAt: now, purgeAfter, state, idempotency: { key: a.key, requestHash: a.hash, answer: stored },
        caseId: m.case_id, confidentialSubjectIds: confidential,
      },
      event: {
        action: kind === 'response' ? 'RESPONSE_RECEIVED' : 'DECLINED',
        actor,
        caseId: m.case_id,
        requestId,
        messageId: m.id,
        agreementId: m.agreement_id,
        agreementVersion: m.agreement_version,
        decision: 'NONE',
        ...(listed ? { fieldsReleased: listed.fields, fieldsWithheld: listed.withheld } : { reasonCode: declineReason! }),
        subjectTokens: theCase.tokens,
        agencyIds: [m.sender_agency_id, m.recipient_agency_id],
        detail: { late, ...(confidential.length > 0 ? { addressMarkedConfidential: true } : {}) },
      },
    };
  }

  // Answers arriving together share their statements (store/micro-batch.ts): one read for all,
  // then one conditional write for all.
  const reads = createMicroBatcher((keys: AnswerKey[]) => readForAnswers(pool, keys));
  const writes = audit.appendRowsStatement ? batchedWrites(audit.appendRowsStatement) : undefined;

  function batchedWrites(auditRows: AuditRowsStatement) {
    const alone = async (item: ConditionalAnswer): Promise<boolean> => (await writeAnswersIfUnchanged(pool, [item], auditRows))[0]!;
    const batcher = createMicroBatcher(async (items: ConditionalAnswer[]): Promise<(boolean | typeof ALONE)[]> => {
      // Two answers to one message, or under one key, would fail the statement for all: the later
      // ones go on their own (after this batch has taken its row locks, they see its result).
      const messages = new Set<string>();
      const keys = new Set<string>();
      const together: ConditionalAnswer[] = [];
      const slots = items.map((x) => {
        const key = JSON.stringify([x.write.responderAgencyId, x.write.idempotency.key]);
        if (messages.has(x.write.messageId) || keys.has(key)) return ALONE;
        messages.add(x.write.messageId);
        keys.add(key);
        together.push(x);
        return together.length - 1;
      });
      let written: boolean[];
      try {
        written = await writeAnswersIfUnchanged(pool, together, auditRows);
      } catch (err) {
        // One answer's conflict fails the whole statement: each answer tries again alone, and the
        // error (if it is still one) is then its own.
        if (together.length > 1) return items.map(() => ALONE);
        throw err;
      }
      return slots.map((slot) => (slot === ALONE ? ALONE : written[slot]!));
    });
    return async (item: ConditionalAnswer): Promise<boolean> => {
      const r = await batcher.call(item);
      return r === ALONE ? alone(item) : r;
    };
  }

  /**
   * The common case in two statements, shared with the answers arriving at the same time, and no
   * explicit transaction (answer-store.ts): read, decide with no connection held, then one
   * conditional write carrying the audit events. TAKE_LOCKS when something changed in between or
   * the answer needs the case lock.
   */
  async function answerOptimistically(a: AnswerRequest): Promise<StoredAnswer | Denied | typeof TAKE_LOCKS> {
    if (!writes || !audit.prepareRow) return TAKE_LOCKS;
    const ctx = await reads.call({ requestId: a.requestId, agencyId: a.actor.agencyId, key: a.key });
    // Another agency's request looks exactly like a missing one.
    if (!ctx) throw new RequestNotFound('No such request');
    const p = await plan(a, ctx, pool);
    if (p === TAKE_LOCKS || !('write' in p)) return p;
    const written = await writes({
      write: p.write,
      pre: { state: ctx.m.state, agreementStatus: ctx.agreement?.status ?? null },
      event: audit.prepareRow(p.event),
    });
    return written ? p.stored : TAKE_LOCKS;
  }

  /**
   * The answer under the case row's lock and then the message's (in that order, as every path that
   * locks both), in one transaction: while they are held the case cannot be withdrawn, closed or
   * purged, and confidential-address flags are raised under the case's lock.
   */
  function answerUnderLocks(a: AnswerRequest): Promise<StoredAnswer | Denied> {
    return withTx(pool, async (tx) => {
      const caseId = await caseOfAnswer(tx, a.requestId, a.actor.agencyId);
      if (!caseId || !(await lockCase(tx, caseId))) throw new RequestNotFound('No such request');
      const ctx = await lockForAnswer(tx, a.requestId, a.actor.agencyId, a.key);
      if (!ctx) throw new RequestNotFound('No such request');
      // Read under the case's lock: these are the facts the write will find.
      const facts = ctx.theCase.subjectFacts;
      const p = await plan(a, ctx, tx, async () => facts);
      if (p === TAKE_LOCKS) throw new Error('answer plan asked for locks it holds');
      if (!('write' in p)) return p;
      // The event rides in the write statement (one round trip for both) when the log offers it.
      const carried = audit.appendStatement?.(p.event, CARRIED_AUDIT_FIRST_PARAM);
      const { addressMarkedConfidential } = await writeAnswer(tx, p.write, carried);
      // The audit event must say what happened: under the case row's lock this cannot differ.
      if (addressMarkedConfidential !== p.write.confidentialSubjectIds.length > 0) throw new Error('confidential-address flags changed under the case lock');
      if (carried) carried.appended();
      else await audit.append(tx, p.event);
      return p.stored;
    });
  }

  async function answer(
    actor: AnsweringAgency,
    requestId: string,
    rawKey: unknown,
    body: unknown,
    kind: 'response' | 'decline',
  ): Promise<StoredAnswer> {
    const key = requireIdempotencyKey(rawKey);
    deps.validate(kind === 'response' ? 'research-response' : 'decline', body);
    const a: AnswerRequest = {
      actor, requestId, key, body, kind,
      hash: bodyHash({ kind, requestId, body }),
      // What the audit event lists depends on the body alone: worked out before any database access.
      ...(kind === 'response' ? { listed: listFields((body as { subjectResults: SubjectResultIn[] }).subjectResults) } : {}),
    };
    // Another answer committed this key while this one was being made (nothing of this one was
    // written): answer as a retry would, the first answer or IDEMPOTENCY_KEY_REUSED, not a 5xx.
    const keyTaken = async (err: unknown): Promise<StoredAnswer> => {
      const first = isKeyTaken(err) ? await findAnswer(pool, actor.agencyId, key, a.hash) : undefined;
      if (first) return first;
      throw err;
    };
    const optimistic = await answerOptimistically(a).catch(keyTaken);
    const outcome = optimistic === TAKE_LOCKS ? await answerUnderLocks(a).catch(keyTaken) : optimistic;

    if ('deny' in outcome) {
      await withTx(pool, (tx) =>
        audit.append(tx, {
          action: 'ACCESS_DENIED',
          actor,
          caseId: outcome.m.case_id,
          requestId,
          messageId: outcome.m.id,
          agreementId: outcome.m.agreement_id,
          agreementVersion: outcome.m.agreement_version,
          decision: 'DENY',
          reasonCode: outcome.deny,
          subjectTokens: outcome.tokens,
          agencyIds: [outcome.m.sender_agency_id, outcome.m.recipient_agency_id],
        }),
      );
      if (outcome.caseStatus) {
        throw new CaseNotOpen(`This case is ${outcome.caseStatus.toLowerCase()}: its research requests are no longer answered`, { reason: outcome.caseStatus });
      }
      throw new PolicyDenied('The agreement does not allow this research to be shared', { reason: outcome.deny });
    }
    return outcome;
  }

  return {
    respond: (actor: AnsweringAgency, requestId: string, key: unknown, body: unknown) => answer(actor, requestId, key, body, 'response'),
    decline: (actor: AnsweringAgency, requestId: string, key: unknown, body: unknown) => answer(actor, requestId, key, body, 'decline'),
  };
}
