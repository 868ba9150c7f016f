/**
 * MARAC-to-MARAC transfers (R10; docs/decisions/0029-transfers.md). A coordinator offers a case to
 * another area's coordinator; the gateway builds the bundle from the case (bundle.ts) and releases
 * it through the policy engine under the inter-area agreement (purpose MARAC_TRANSFER): the bundle
 * under the transfer response flow, the subjects under the transfer request flow, free text
 * cleared of the case's locations exactly as research free text is. The receiver reads the
 * released bundle, then accepts (a case opens in its area, linked to the original, in the same
 * transaction) or refuses with a reason code.
 *
 * Every step writes its audit event in the transaction of its change (CASE_TRANSFERRED,
 * TRANSFER_ACCEPTED on both cases, TRANSFER_REFUSED, VIEW_READ); a transfer the agreement does not
 * allow is refused with the engine's reason code, audited, and nothing else written. Ids, codes
 * and paths only in the audit log.
 */
import { randomUUID } from 'node:crypto';
import { caseKeyId, openerFor, sealerFor } from '../store/case-keys.js';
import { withTx, type Queryable, type Tx } from '../store/db.js';
import type { AuditDecision } from '../audit/types.js';
import { ValidationFailed } from '../errors.js';
import { actingAgency, type ExchangeActor } from '../exchange/acting-agency.js';
import { createCaseReader, createCaseService } from '../exchange/case-service.js';
import { CaseNotOpen } from '../exchange/case-errors.js';
import { policyCaseFacts } from '../exchange/case-facts.js';
import { caseLocationContext } from '../exchange/case-locations.js';
import type { ExchangeDeps } from '../exchange/deps.js';
import { CaseNotFound, NotACoordinator, UnknownRecipient } from '../exchange/errors.js';
import type { Explanation, PartyRef, PolicyDecision, SubjectFacts } from '../exchange/ports.js';
import { digest, mergeExplanations } from '../exchange/request-view.js';
import { readActions, readMinutes } from '../meetings/circulation-repo.js';
import { minutedMeetings } from '../meetings/minutes-repo.js';
import { caseWideSubject } from '../meetings/release.js';
import { agreementsInForce } from '../referrals/area-agreements.js';
import { savepointPool } from '../referrals/enlist.js';
import { buildTransferBundle, caseBodyFromTransfer, type ReleasedSubject, type TransferAcceptInput } from './bundle.js';
import { TransferAlreadyDecided, TransferAlreadyOffered, TransferNotAllowed, TransferNotFound, TransferSubjectsNotReleased } from './errors.js';
import { decideTransfer, findLive, findTransfer, insertTransfer, listTransfers, transfersOfCase, type TransferRow, type TransferStatus } from './repo.js';

export const TRANSFER_PURPOSE = 'MARAC_TRANSFER';
export const REFUSAL_REASONS = ['NOT_IN_OUR_AREA', 'ALREADY_KNOWN', 'INSUFFICIENT_INFORMATION', 'VICTIM_NOT_RESIDENT', 'OTHER'] as const;
const STATUSES: readonly TransferStatus[] = ['OFFERED', 'ACCEPTED', 'REFUSED', 'WITHDRAWN'];
const PAGE_SIZE = 25;

export type TransferSchema = 'transfer-offer' | 'transfer-accept' | 'transfer-refuse';

export interface TransferDeps {
  exchange: ExchangeDeps;
  /** Throws ValidationFailed (400) listing every problem. */
  validate(name: TransferSchema, data: unknown): void;
}

/** What is sealed on the row: the bundle and the subjects as released to the receiver, and how. */
interface SealedTransfer {
  bundle: Record<string, unknown>;
  subjects: ReleasedSubject[];
  withheld: { path: string; reason: string }[];
  transformed: { path: string; op: string }[];
}

export interface TransferSummary {
  transferId: string;
  status: TransferStatus;
  fromCoordinatorAgencyId: string;
  fromMaracArea: string;
  toCoordinatorAgencyId: string;
  toMaracArea: string;
  agreementId: string;
  agreementVersion: number;
  offeredAt: string;
  decidedAt: string | null;
  refusalReason: string | null;
  /** The sender's own case (outgoing only). */
  fromCaseId?: string;
  /** The case opened in the receiving area (receiver only, once accepted). */
  toCaseId?: string;
}

export type ReleaseState = { released: true; agreementId: string; version: number } | { released: false; reason: string };

export interface TransferView extends TransferSummary {
  /** The receiver only: the bundle and subjects as released to it, and what was withheld or transformed. */
  release?: ReleaseState;
  bundle?: Record<string, unknown>;
  subjects?: ReleasedSubject[];
  withheld?: { path: string; reason: string }[];
  transformed?: { path: string; op: string }[];
}

const aad = (id: string) => `transfer:${id}`;
const by = (actor: ExchangeActor) => (actor.kind === 'person' ? actor.userId : actor.agencyId);
const londonDay = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);

export function createTransferService(deps: TransferDeps) {
  const x = deps.exchange;
  const { pool, audit, policy, sealer, agencies } = x;
  const cases = createCaseReader(x);

  async function coordinator(actor: ExchangeActor): Promise<PartyRef> {
    const acting = await actingAgency(actor, agencies);
    if (acting.agencyType !== 'MARAC_COORDINATOR') throw new NotACoordinator('Only a MARAC coordinator agency transfers cases');
    return acting;
  }

  /**
   * The two decisions of a transfer, bundle (response flow) first: the receiver learns nothing
   * unless both permit. With `pinned`, judged under the version the offer was made under (and the
   * version in force now: a suspended agreement stops it).
   */
  async function decideBoth(q: Queryable | undefined, from: PartyRef, to: PartyRef, theCase: Awaited<ReturnType<typeof cases.getCase>>, now: Date, pinned?: { agreementId: string; version: number }) {
    const caseFacts = policyCaseFacts(theCase);
    const bundle = await policy.decide({ now, purpose: TRANSFER_PURPOSE, direction: 'response', from, to, caseFacts, ...(pinned ? { pinned } : {}) }, q);
    if (bundle.effect !== 'PERMIT') return { ok: false as const, deny: bundle };
    const subjects = await policy.decide({
      now, purpose: TRANSFER_PURPOSE, direction: 'request', from, to, caseFacts,
      subjectRoles: theCase.subjectFacts.map((f) => f.role), pinned: { agreementId: bundle.agreementId, version: bundle.version },
    }, q);
    if (subjects.effect !== 'PERMIT') return { ok: false as const, deny: subjects };
    return { ok: true as const, bundle, subjects };
  }

  async function refusedByPolicy(actor: ExchangeActor, e: { caseId: string; from: string; to: string; reason: string; deny?: PolicyDecision; tokens?: string[]; stage: string; transferId?: string }) {
    const d = e.deny?.effect === 'DENY' ? e.deny : undefined;
    await withTx(pool, (tx) => audit.append(tx, {
      action: 'TRANSFER_REFUSED', actor, caseId: e.caseId, purpose: TRANSFER_PURPOSE, decision: 'DENY', reasonCode: e.reason,
      ...(d?.agreementId && d.version !== undefined ? { agreementId: d.agreementId, agreementVersion: d.version } : {}),
      ...(e.tokens ? { subjectTokens: e.tokens } : {}),
      agencyIds: [...new Set([e.from, e.to])],
      detail: { stage: e.stage, by: 'policy', ...(e.transferId ? { transferId: e.transferId } : {}) },
    }));
  }

  /** Offers the case to another area's coordinator: builds, releases and seals the bundle. */
  async function offer(actor: ExchangeActor, caseId: string, body: unknown): Promise<TransferSummary> {
    const from = await coordinator(actor);
    deps.validate('transfer-offer', body);
    const toId = (body as { toCoordinatorAgencyId: string }).toCoordinatorAgencyId;
    const now = x.now();
    const theCase = await cases.getCase(pool, caseId, now);
    if (theCase.coordinatorAgencyId !== from.agencyId) throw new CaseNotFound('No such case');
    if (theCase.status !== 'OPEN') throw new CaseNotOpen(`This case is ${theCase.status.toLowerCase()}: reopen it to transfer it`, { reason: theCase.status });

    const receiver = toId === from.agencyId ? undefined : await agencies.getAgency(toId);
    if (!receiver || receiver.disabled) {
      const reason = toId === from.agencyId ? 'SAME_MARAC' : 'UNKNOWN_AGENCY';
      await refusedByPolicy(actor, { caseId, from: from.agencyId, to: toId, reason, tokens: theCase.tokens, stage: 'offer' });
      throw new UnknownRecipient('No other MARAC coordinator with that id', {
        reason, problems: [{ path: '/toCoordinatorAgencyId', code: reason, message: 'not another registered MARAC coordinator' }],
      });
    }
    const to: PartyRef = { agencyId: receiver.id, agencyType: receiver.type };
    const decided = await decideBoth(undefined, from, to, theCase, now);
    if (!decided.ok) {
      const reason = decided.deny.effect === 'DENY' ? decided.deny.reason : 'NO_AGREEMENT';
      await refusedByPolicy(actor, { caseId, from: from.agencyId, to: to.agencyId, reason, deny: decided.deny, tokens: theCase.tokens, stage: 'offer' });
      throw new TransferNotAllowed('The inter-area agreement does not allow this transfer', { reason });
    }
    if (await findLive(pool, caseId, to.agencyId)) throw new TransferAlreadyOffered('This case is already offered to (or accepted by) that MARAC');

    // The bundle from the case: latest minutes, the action plan, risk basis, referral dates.
    const latest = (await minutedMeetings(pool, caseId))[0];
    const minutes = latest ? await readMinutes(pool, sealer, latest.meetingId, caseId) : undefined;
    const meetingDay = latest
      ? (await pool.query(`SELECT to_char(starts_at AT TIME ZONE 'Europe/London', 'YYYY-MM-DD') AS day FROM meetings WHERE id = $1`, [latest.meetingId])).rows[0]?.day
      : undefined;
    const actions = await readActions(pool, sealer, caseId);
    const doc = buildTransferBundle({
      maracArea: theCase.maracArea,
      referredOn: londonDay(new Date(theCase.createdAt)),
      riskBasis: theCase.riskBasis,
      ...(minutes && meetingDay ? { latestMinutes: { meetingDay, minutes } } : {}),
      actions,
    });

    // The release: the bundle under the case-wide strictest facts, each subject under its own,
    // every free text cleared of the case's locations (as research free text is).
    const locations = caseLocationContext(theCase.sealed, theCase.subjectFacts);
    const parts: { subjectId: string; explanation: Explanation }[] = [];
    const released = policy.redact(decided.bundle, doc as unknown as Record<string, unknown>, caseWideSubject(theCase.subjectFacts), now, locations);
    parts.push({ subjectId: 'bundle', explanation: released.explanation });
    const subjects: ReleasedSubject[] = [];
    for (const s of theCase.sealed.subjects) {
      const facts = theCase.subjectFacts.find((f) => f.subjectId === s.subjectId) as SubjectFacts;
      const { key: _k, subjectId, consent: _c, legal: _l, ...details } = s;
      const r = policy.redact(decided.subjects, { subjectId, subject: { ...details, role: s.role } }, facts, now, locations);
      parts.push({ subjectId, explanation: r.explanation });
      const v = (r.view.subject ?? {}) as Record<string, unknown>;
      subjects.push({
        subjectId, role: s.role,
        ...(Array.isArray(v.names) ? { names: v.names } : {}),
        ...(Array.isArray(v.dobs) ? { dobs: v.dobs as string[] } : {}),
      });
    }
    const flat = (p: { subjectId: string; explanation: Explanation }, k: 'withheld' | 'transformed') =>
      p.explanation[k].map((e) => ({ path: p.subjectId === 'bundle' ? e.path : `subjects[${p.subjectId}].${e.path}`, ...('reason' in e ? { reason: e.reason } : { op: (e as { op: string }).op }) }));
    const content: SealedTransfer = {
      bundle: released.view,
      subjects,
      withheld: parts.flatMap((p) => flat(p, 'withheld')) as SealedTransfer['withheld'],
      transformed: parts.flatMap((p) => flat(p, 'transformed')) as SealedTransfer['transformed'],
    };
    const id = `trf_${randomUUID().replaceAll('-', '')}`;
    const merged = mergeExplanations(parts, { collapse: true });
    const decision: AuditDecision = content.withheld.length > 0 || content.transformed.length > 0 ? 'PERMIT_WITH_TRANSFORMS' : 'PERMIT';
    await withTx(pool, async (tx) => {
      await insertTransfer(tx, {
        id, fromCaseId: caseId, fromCoordinatorAgencyId: from.agencyId, fromMaracArea: theCase.maracArea,
        toCoordinatorAgencyId: to.agencyId, toMaracArea: receiver.maracArea ?? to.agencyId,
        agreementId: decided.bundle.agreementId, agreementVersion: decided.bundle.version,
        sealed: (await sealerFor(sealer, tx, caseKeyId(caseId))).seal(content, aad(id)), offeredAt: now, offeredBy: by(actor),
      }).catch((err: { code?: string }) => {
        if (err.code === '23505') throw new TransferAlreadyOffered('This case is already offered to (or accepted by) that MARAC');
        throw err;
      });
      await audit.append(tx, {
        action: 'CASE_TRANSFERRED', actor, caseId, purpose: TRANSFER_PURPOSE, decision,
        agreementId: decided.bundle.agreementId, agreementVersion: decided.bundle.version,
        ruleIds: merged.ruleIds, fieldsReleased: merged.fieldsReleased, fieldsTransformed: merged.fieldsTransformed, fieldsWithheld: merged.fieldsWithheld,
        viewDigest: digest({ bundle: content.bundle, subjects: content.subjects }),
        subjectTokens: theCase.tokens, agencyIds: [from.agencyId, to.agencyId],
        detail: { transferId: id, toMaracArea: receiver.maracArea ?? null, subjects: subjects.length, actions: actions.length, minutes: minutes !== undefined },
      });
    });
    return summary((await findTransfer(pool, id))!, from.agencyId);
  }

  function summary(t: TransferRow, viewer: string): TransferSummary {
    return {
      transferId: t.id,
      status: t.status,
      fromCoordinatorAgencyId: t.fromCoordinatorAgencyId,
      fromMaracArea: t.fromMaracArea,
      toCoordinatorAgencyId: t.toCoordinatorAgencyId,
      toMaracArea: t.toMaracArea,
      agreementId: t.agreementId,
      agreementVersion: t.agreementVersion,
      offeredAt: t.offeredAt.toISOString(),
      decidedAt: t.decidedAt ? t.decidedAt.toISOString() : null,
      refusalReason: t.refusalReason,
      ...(viewer === t.fromCoordinatorAgencyId ? { fromCaseId: t.fromCaseId } : {}),
      ...(viewer === t.toCoordinatorAgencyId && t.toCaseId ? { toCaseId: t.toCaseId } : {}),
    };
  }

  /** The transfer, or a refusal (audited) that looks like a missing one. */
  async function mine(actor: ExchangeActor, acting: PartyRef, id: string, q: Queryable = pool, lock = false): Promise<TransferRow> {
    const t = /^trf_[0-9a-f]{32}$/.test(id) ? await findTransfer(q, id, lock) : undefined;
    if (!t || (t.fromCoordinatorAgencyId !== acting.agencyId && t.toCoordinatorAgencyId !== acting.agencyId)) {
      if (t) {
        await withTx(pool, (tx) => audit.append(tx, {
          action: 'ACCESS_DENIED', actor, caseId: t.fromCaseId, purpose: TRANSFER_PURPOSE, decision: 'DENY', reasonCode: 'NOT_A_PARTY',
          agencyIds: [acting.agencyId], detail: { stage: 'transfer', transferId: t.id },
        }));
      }
      throw new TransferNotFound('No such transfer');
    }
    return t;
  }

  async function list(actor: ExchangeActor, query: Record<string, unknown> = {}) {
    const acting = await coordinator(actor);
    const problems = [];
    const direction = query.direction ?? 'incoming';
    if (direction !== 'incoming' && direction !== 'outgoing') problems.push({ path: 'query:direction', code: 'enum', message: 'incoming or outgoing' });
    const status = query.status;
    if (status !== undefined && !STATUSES.includes(status as TransferStatus)) problems.push({ path: 'query:status', code: 'enum', message: STATUSES.join(', ') });
    const page = query.page === undefined ? 1 : Number(query.page);
    if (!Number.isInteger(page) || page < 1 || page > 10_000 || (typeof query.page === 'string' && !/^\d+$/.test(query.page))) {
      problems.push({ path: 'query:page', code: 'range', message: 'a whole number from 1' });
    }
    if (problems.length > 0) throw new ValidationFailed('Invalid query', { problems });
    const r = await listTransfers(pool, acting.agencyId, direction as 'incoming' | 'outgoing', status as TransferStatus | undefined, PAGE_SIZE, (page - 1) * PAGE_SIZE);
    return { direction, items: r.rows.map((t) => summary(t, acting.agencyId)), total: r.total, page, pageSize: PAGE_SIZE, pages: Math.max(1, Math.ceil(r.total / PAGE_SIZE)) };
  }

  /**
   * One transfer. The sender sees its state; the receiver also sees the released bundle, judged
   * again now under the version it was offered under (a suspended agreement releases nothing),
   * audited VIEW_READ.
   */
  async function get(actor: ExchangeActor, id: string): Promise<TransferView> {
    const acting = await coordinator(actor);
    const t = await mine(actor, acting, id);
    const out: TransferView = summary(t, acting.agencyId);
    if (acting.agencyId !== t.toCoordinatorAgencyId) return out;
    const now = x.now();
    const theCase = await cases.getCase(pool, t.fromCaseId, now).catch((e) => {
      if (e instanceof CaseNotFound) return undefined;
      throw e;
    });
    const sender = await agencies.getAgency(t.fromCoordinatorAgencyId);
    const decided = theCase && sender
      ? await decideBoth(undefined, { agencyId: sender.id, agencyType: sender.type }, acting, theCase, now, { agreementId: t.agreementId, version: t.agreementVersion })
      : { ok: false as const, deny: { effect: 'DENY' as const, reason: 'CASE_NOT_FOUND' } };
    if (!decided.ok) {
      const reason = decided.deny.effect === 'DENY' ? decided.deny.reason : 'NO_AGREEMENT';
      out.release = { released: false, reason };
      await withTx(pool, (tx) => audit.append(tx, {
        action: 'VIEW_READ', actor, caseId: t.fromCaseId, purpose: TRANSFER_PURPOSE, decision: 'DENY', reasonCode: reason,
        agreementId: t.agreementId, agreementVersion: t.agreementVersion, agencyIds: [t.fromCoordinatorAgencyId, t.toCoordinatorAgencyId],
        ...(theCase ? { subjectTokens: theCase.tokens } : {}), detail: { kind: 'transfer', transferId: t.id },
      }));
      return out;
    }
    const content = (await openerFor(sealer, pool, [t.sealed.keyId])).open(t.sealed, aad(t.id)) as SealedTransfer;
    Object.assign(out, {
      release: { released: true, agreementId: t.agreementId, version: t.agreementVersion },
      bundle: content.bundle, subjects: content.subjects, withheld: content.withheld, transformed: content.transformed,
    });
    await withTx(pool, (tx) => audit.append(tx, {
      action: 'VIEW_READ', actor, caseId: t.fromCaseId, purpose: TRANSFER_PURPOSE,
      decision: content.withheld.length > 0 || content.transformed.length > 0 ? 'PERMIT_WITH_TRANSFORMS' : 'PERMIT',
      agreementId: t.agreementId, agreementVersion: t.agreementVersion,
      fieldsWithheld: content.withheld, fieldsTransformed: content.transformed,
      viewDigest: digest({ bundle: content.bundle, subjects: content.subjects }),
      subjectTokens: theCase!.tokens, agencyIds: [t.fromCoordinatorAgencyId, t.toCoordinatorAgencyId],
      detail: { kind: 'transfer', transferId: t.id },
    }));
    return out;
  }

  /** Receiver only, while offered: checks shared by accept and refuse (refusals by policy audited). */
  async function openOffer(actor: ExchangeActor, acting: PartyRef, id: string, q: Tx): Promise<TransferRow> {
    const t = await mine(actor, acting, id, q, true);
    if (t.toCoordinatorAgencyId !== acting.agencyId) throw new TransferNotFound('No such transfer');
    if (t.status !== 'OFFERED') throw new TransferAlreadyDecided(`This transfer was already ${t.status.toLowerCase()}`, { reason: t.status });
    return t;
  }

  /**
   * Accepts: a case opens in the receiver's area (through the case service, in this transaction)
   * about the subjects as released, with the released risk basis and the original referral date
   * (so the gateway judges it a repeat), linked to the original; audited on both cases.
   */
  async function accept(actor: ExchangeActor, id: string, body: unknown) {
    const acting = await coordinator(actor);
    deps.validate('transfer-accept', body);
    const input = body as TransferAcceptInput;
    const now = x.now();
    // The agreement must still allow it (judged before the transaction: a refusal is audited and kept).
    const pre = await mine(actor, acting, id);
    if (pre.toCoordinatorAgencyId !== acting.agencyId) throw new TransferNotFound('No such transfer');
    if (pre.status !== 'OFFERED') throw new TransferAlreadyDecided(`This transfer was already ${pre.status.toLowerCase()}`, { reason: pre.status });
    const original = await cases.getCase(pool, pre.fromCaseId, now).catch(() => undefined);
    const sender = await agencies.getAgency(pre.fromCoordinatorAgencyId);
    const decided = original && sender
      ? await decideBoth(undefined, { agencyId: sender.id, agencyType: sender.type }, acting, original, now, { agreementId: pre.agreementId, version: pre.agreementVersion })
      : { ok: false as const, deny: { effect: 'DENY' as const, reason: 'CASE_NOT_FOUND' } };
    if (!decided.ok) {
      const reason = decided.deny.effect === 'DENY' ? decided.deny.reason : 'NO_AGREEMENT';
      await refusedByPolicy(actor, { caseId: pre.fromCaseId, from: pre.fromCoordinatorAgencyId, to: acting.agencyId, reason, deny: decided.deny, ...(original ? { tokens: original.tokens } : {}), stage: 'accept', transferId: pre.id });
      throw new TransferNotAllowed('The inter-area agreement no longer allows this transfer', { reason });
    }
    const content = (await openerFor(sealer, pool, [pre.sealed.keyId])).open(pre.sealed, aad(pre.id)) as SealedTransfer;
    const { body: caseBody, missing } = caseBodyFromTransfer(content.bundle, content.subjects, input);
    if (missing.length > 0) {
      throw new TransferSubjectsNotReleased('A subject\'s names were not released to your area: no case can be opened about them', {
        problems: missing.map((i) => ({ path: `subjects/${i}/names`, code: 'NOT_RELEASED', message: 'names withheld by the inter-area agreement' })),
      });
    }
    return withTx(pool, async (tx) => {
      const t = await openOffer(actor, acting, id, tx);
      const opened = await createCaseService({ ...x, pool: savepointPool(tx, 'transfer_case') }).createCase(actor, caseBody);
      if (!(await decideTransfer(tx, t.id, { status: 'ACCEPTED', by: by(actor), at: now, toCaseId: opened.caseId }))) {
        throw new TransferAlreadyDecided('This transfer was decided by someone else first');
      }
      const both = [t.fromCoordinatorAgencyId, t.toCoordinatorAgencyId];
      const tokens = (await tx.query('SELECT subject_tokens FROM cases WHERE id = $1', [opened.caseId])).rows[0]?.subject_tokens ?? [];
      for (const [caseId, other] of [[opened.caseId, t.fromCaseId], [t.fromCaseId, opened.caseId]] as const) {
        await audit.append(tx, {
          action: 'TRANSFER_ACCEPTED', actor, caseId, purpose: TRANSFER_PURPOSE, decision: 'NONE',
          agreementId: t.agreementId, agreementVersion: t.agreementVersion, subjectTokens: caseId === opened.caseId ? tokens : original!.tokens,
          agencyIds: both, detail: { transferId: t.id, [caseId === opened.caseId ? 'fromCaseId' : 'toCaseId']: other },
        });
      }
      return { transferId: t.id, status: 'ACCEPTED' as const, toCaseId: opened.caseId, fromMaracArea: t.fromMaracArea, riskBasis: opened.riskBasis, subjects: opened.subjects };
    });
  }

  /** Refuses with a reason code: the sending area sees it; the original case is unchanged. */
  async function refuse(actor: ExchangeActor, id: string, body: unknown) {
    const acting = await coordinator(actor);
    deps.validate('transfer-refuse', body);
    const { reason } = body as { reason: (typeof REFUSAL_REASONS)[number] };
    const now = x.now();
    return withTx(pool, async (tx) => {
      const t = await openOffer(actor, acting, id, tx);
      await decideTransfer(tx, t.id, { status: 'REFUSED', by: by(actor), at: now, refusalReason: reason });
      const tokens = (await tx.query('SELECT subject_tokens FROM cases WHERE id = $1', [t.fromCaseId])).rows[0]?.subject_tokens;
      await audit.append(tx, {
        action: 'TRANSFER_REFUSED', actor, caseId: t.fromCaseId, purpose: TRANSFER_PURPOSE, decision: 'NONE', reasonCode: reason,
        agreementId: t.agreementId, agreementVersion: t.agreementVersion, ...(tokens ? { subjectTokens: tokens } : {}),
        agencyIds: [t.fromCoordinatorAgencyId, t.toCoordinatorAgencyId], detail: { stage: 'receiver', by: 'receiver', transferId: t.id },
      });
      return { transferId: t.id, status: 'REFUSED' as const, refusalReason: reason };
    });
  }

  /**
   * The other areas this case may be transferred to now: the coordinators of inter-area agreements
   * in force naming the case's area, each judged by the engine as an offer would be. Refused ones
   * come with the engine's reason (the page explains why none is offered).
   */
  async function destinations(actor: ExchangeActor, caseId: string) {
    const from = await coordinator(actor);
    const now = x.now();
    const theCase = await cases.getCase(pool, caseId, now);
    if (theCase.coordinatorAgencyId !== from.agencyId) throw new CaseNotFound('No such case');
    const ids = new Set<string>();
    for (const a of await agreementsInForce(pool, now)) {
      if (!a.doc.purposes?.includes(TRANSFER_PURPOSE) || !a.doc.interArea) continue;
      if (!a.doc.parties?.some((p) => p.agency === from.agencyId)) continue;
      for (const p of a.doc.parties ?? []) if (p.agency && p.agency !== from.agencyId && p.type === 'MARAC_COORDINATOR') ids.add(p.agency);
    }
    const allowed: { agencyId: string; maracArea: string }[] = [];
    const refused: { agencyId: string; maracArea: string | null; reason: string }[] = [];
    for (const id of [...ids].sort()) {
      const a = await agencies.getAgency(id);
      if (!a || a.disabled) continue;
      const d = await decideBoth(undefined, from, { agencyId: a.id, agencyType: a.type }, theCase, now);
      if (d.ok) allowed.push({ agencyId: a.id, maracArea: a.maracArea ?? a.id });
      else refused.push({ agencyId: a.id, maracArea: a.maracArea ?? null, reason: d.deny.effect === 'DENY' ? d.deny.reason : 'NO_AGREEMENT' });
    }
    return { caseId, maracArea: theCase.maracArea, status: theCase.status, allowed, refused };
  }

  /** For the case page: transfers offered from this case, and the one it was opened from. */
  async function linksOfCase(actor: ExchangeActor, caseId: string) {
    const acting = await coordinator(actor);
    const rows = await transfersOfCase(pool, caseId);
    return {
      outgoing: rows.filter((t) => t.fromCaseId === caseId && t.fromCoordinatorAgencyId === acting.agencyId).map((t) => summary(t, acting.agencyId)),
      incoming: rows.filter((t) => t.toCaseId === caseId && t.toCoordinatorAgencyId === acting.agencyId).map((t) => summary(t, acting.agencyId)),
    };
  }

  return { offer, list, get, accept, refuse, destinations, linksOfCase };
}

export type TransferService = ReturnType<typeof createTransferService>;
