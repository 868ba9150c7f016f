import { withTx } from '../store/db.js';
import type { AgencyPrincipal } from '../identity/principal.js';
import { PolicyDenied } from '../errors.js';
import type { ExchangeDeps } from './deps.js';
import { policyCaseFacts } from './case-facts.js';
import { CARRIED_AUDIT_FIRST_PARAM, lockCaseFacts, lockForAnswer, newlyConfidential, writeAnswer } from './answer-store.js';
import type { AuditEventInput } from '../audit/types.js';
import { AlreadyAnswered, MessageNotAnswerable, PayloadNotForAgencyType, RequestNotFound, UnknownFieldPath, UnknownSubject } from './errors.js';
import { fieldCatalog } from '../schema/catalog.js';
import { bodyHash, findAnswer, isKeyTaken, replayOf, requireIdempotencyKey, type StoredAnswer } from './idempotency.js';
import { PAYLOAD_KEYS, TRANSFER_FIELDS, payloadKeyFor } from './ports.js';
import type { MessageRow } from './request-view.js';

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

export function createResponseService(deps: ExchangeDeps) {
  const { pool, audit, policy } = deps;

  function checkAnswerable(m: MessageRow): void {
    if (m.state === 'responded' || m.state === 'declined') throw new AlreadyAnswered('This request has already been answered');
    if (m.state === 'queued' || m.state === 'failed') throw new MessageNotAnswerable(`A ${m.state} message cannot be answered`);
  }

  async function answer(
    actor: AgencyPrincipal,
    requestId: string,
    rawKey: unknown,
    body: unknown,
    kind: 'response' | 'decline',
  ): Promise<StoredAnswer> {
    const key = requireIdempotencyKey(rawKey);
    deps.validate(kind === 'response' ? 'research-response' : 'decline', body);
    const hash = bodyHash({ kind, requestId, body });
    // What the audit event lists, worked out before the transaction: it depends on the body alone,
    // and nothing should hold a pooled connection and the message lock longer than it must.
    const listed = kind === 'response' ? listFields((body as { subjectResults: SubjectResultIn[] }).subjectResults) : undefined;

    const denied = await withTx(pool, async (tx): Promise<StoredAnswer | { deny: string; m: MessageRow; tokens: string[] }> => {
      const ctx = await lockForAnswer(tx, requestId, actor.agencyId, key);
      // Another agency's request looks exactly like a missing one.
      if (!ctx) throw new RequestNotFound('No such request');
      const { m, theCase } = ctx;
      // A retry of an answer committed while this one waited for the lock is not in the lock
      // statement's snapshot: look again before calling it a second answer.
      const replay = ctx.prior ? replayOf(ctx.prior, hash)
        : m.state === 'responded' || m.state === 'declined' ? await findAnswer(tx, actor.agencyId, key, hash) : undefined;
      if (replay) return replay;
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

        // The research may only be stored if it could lawfully reach the requester at all.
        const sender = await deps.agencies.getAgency(m.sender_agency_id, tx);
        const decision = sender
          ? await policy.decide({
            now,
            purpose: m.purpose,
            direction: 'response',
            from: { agencyId: actor.agencyId, agencyType: actor.agencyType },
            to: { agencyId: sender.id, agencyType: sender.type },
            caseFacts: policyCaseFacts(theCase),
            pinned: { agreementId: m.agreement_id, version: m.agreement_version, ...(ctx.agreement ? { current: ctx.agreement } : {}) },
          }, tx)
          : ({ effect: 'DENY', reason: 'UNKNOWN_AGENCY' } as const);
        if (decision.effect === 'DENY') return { deny: decision.reason, m, tokens: theCase.tokens };
        retention = decision.retentionDays;
        const box = deps.sealer.seal(body, m.id);
        sealed = [box.keyId, box.iv, box.tag, box.ciphertext];
        // A flag still to raise in the snapshot: read the facts again under the case row's lock, so
        // that what the audit event says is what the write does.
        if (newlyConfidential(theCase.subjectFacts, listed!.confidential).length > 0) {
          confidential = newlyConfidential(await lockCaseFacts(tx, m.case_id), listed!.confidential);
        }
      }
      retention ??= await policy.retentionDays(m.agreement_id, m.agreement_version, tx);
      const purgeAfter = new Date(now.getTime() + retention * 86_400_000);
      const declineReason = kind === 'decline' ? (body as { reason: string }).reason : null;
      const state = kind === 'response' ? 'responded' : 'declined';
      const stored: StoredAnswer = { status: 201, body: { requestId, messageId: m.id, state, late } };
      const event: AuditEventInput = {
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
      };
      // The event rides in the write statement (one round trip for both) when the log offers it.
      const carried = audit.appendStatement?.(event, CARRIED_AUDIT_FIRST_PARAM);
      const { addressMarkedConfidential } = await writeAnswer(tx, {
        messageId: m.id, requestId, responderAgencyId: actor.agencyId, kind, declineReason, sealed, late,
        receivedAt: now, purgeAfter, state, idempotency: { key, requestHash: hash, answer: stored },
        caseId: m.case_id, confidentialSubjectIds: confidential,
      }, carried);
      // The audit event must say what happened: under the case row's lock this cannot differ.
      if (addressMarkedConfidential !== confidential.length > 0) throw new Error('confidential-address flags changed under the case lock');
      if (carried) carried.appended();
      else await audit.append(tx, event);
      return stored;
    }).catch(async (err: unknown) => {
      // Another answer committed this key while this one was being made (nothing of this one was
      // written): answer as a retry would, the first answer or IDEMPOTENCY_KEY_REUSED, not a 5xx.
      const first = isKeyTaken(err) ? await findAnswer(pool, actor.agencyId, key, hash) : undefined;
      if (first) return first;
      throw err;
    });

    if ('deny' in denied) {
      await withTx(pool, (tx) =>
        audit.append(tx, {
          action: 'ACCESS_DENIED',
          actor,
          caseId: denied.m.case_id,
          requestId,
          messageId: denied.m.id,
          agreementId: denied.m.agreement_id,
          agreementVersion: denied.m.agreement_version,
          decision: 'DENY',
          reasonCode: denied.deny,
          subjectTokens: denied.tokens,
          agencyIds: [denied.m.sender_agency_id, denied.m.recipient_agency_id],
        }),
      );
      throw new PolicyDenied('The agreement does not allow this research to be shared', { reason: denied.deny });
    }
    return denied;
  }

  return {
    respond: (actor: AgencyPrincipal, requestId: string, key: unknown, body: unknown) => answer(actor, requestId, key, body, 'response'),
    decline: (actor: AgencyPrincipal, requestId: string, key: unknown, body: unknown) => answer(actor, requestId, key, body, 'decline'),
  };
}
