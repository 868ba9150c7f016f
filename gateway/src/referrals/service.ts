/**
 * Referrals: from any party agency (API) or the coordinator's own staff (web form) to the area
 * coordinator's intake list, then accepted into a case or returned with a reason.
 *
 * The referral is stored sealed (subjects, Dash answers, equality data, the referrer's contact);
 * the Dash score is computed, never typed; the criteria are the area's (criteria-config.ts) and
 * are judged with reasons in words. Acceptance opens the case through the case service in the
 * same transaction (enlist.ts), and only when a criterion is met that an agreement in force
 * accepts: never a case no agency could research. Every step writes its audit event in its
 * transaction; the events hold ids, codes and counts, never a name, a date of birth or a reason.
 */
import { openerFor, referralKeyId, sealerFor } from '../store/case-keys.js';
import type { Sealer } from '../store/sealed-box.js';
import { randomUUID } from 'node:crypto';
import { withTx, type Queryable } from '../store/db.js';
import { ValidationFailed, type ProblemDetail } from '../errors.js';
import { actingAgency, type ExchangeActor } from '../exchange/acting-agency.js';
import { createCaseService, type CaseInput, type CaseSubjectInput } from '../exchange/case-service.js';
import type { ExchangeDeps } from '../exchange/deps.js';
import { LegalConditionRejected, NotACoordinator } from '../exchange/errors.js';
import { EARLIEST_DATE, latestDate, outsideDateWindow } from '../exchange/date-window.js';
import { unavailableConditions } from '../exchange/release-facts.js';
import { bodyHash, findAnswer, isKeyTaken, requireIdempotencyKey, type StoredAnswer } from '../exchange/idempotency.js';
import { criteriaMet, resolveThreshold } from '../policy/threshold.js';
import type { PartyRef } from '../exchange/ports.js';
import { agreementsInForce, coordinatorsFor, linkedAreas } from './area-agreements.js';
import { areaKey, type ReferralCriteria } from './criteria-config.js';
import { caseRiskBasis, claimProblems, evaluateCriteria, londonDay, type CriterionClaim, type CriterionResult, type RepeatLink } from './criteria.js';
import { dashScore, type DashInput } from './dash.js';
import { savepointPool } from './enlist.js';
import {
  MaracAreaRequired, NotAReferralParty, NotTheCoordinator, ReferralAlreadyDecided, ReferralCriterionInvalid, ReferralNotFound,
  ReferralThresholdNotMet, RepeatMatchAlreadyDecided, RepeatMatchNotFound, RepeatMatchUndecided,
} from './errors.js';
import { findRepeatCandidates, labelledTokens } from './repeat.js';
import * as repo from './repo.js';
import { refreshReturnFacts } from '../reporting/return-facts.js';
import type { TokenSubject } from '../audit/subject-tokens.js';

export type ReferralSchema = 'referral' | 'referral-accept' | 'referral-return' | 'referral-repeat-decision';

export interface ReferralDeps {
  exchange: ExchangeDeps;
  criteria: ReferralCriteria;
  /** Throws ValidationFailed listing every problem. */
  validate(schema: ReferralSchema, data: unknown): void;
}

export interface ReferralInput {
  maracArea?: string;
  externalRef?: string;
  referrer: { name: string; role: string; phone?: string; email?: string };
  subjects: CaseSubjectInput[];
  dash: DashInput;
  criteria: CriterionClaim[];
  victimAwareOfReferral?: boolean;
  equality?: Record<string, string | number>;
}

/** What the sealed box holds. */
export interface SealedReferral extends Omit<ReferralInput, 'maracArea'> {
  returnReason?: string;
}

/** How far back repeat detection looks when the area has no repeat criterion of its own. */
const DEFAULT_REPEAT_MONTHS = 12;
const ID = /^ref_[0-9a-f]{32}$/;
const PAGE_SIZE = 50;

const newReferralId = () => `ref_${randomUUID().replaceAll('-', '')}`;

function monthsBefore(now: Date, months: number): Date {
  const d = new Date(now.getTime());
  d.setUTCMonth(d.getUTCMonth() - months);
  // A day's margin: withinLastMonths (London calendar) has the final word on each match.
  return new Date(d.getTime() - 86_400_000);
}

export function createReferralService(deps: ReferralDeps) {
  const { pool, audit, sealer, agencies } = deps.exchange;
  const now = () => deps.exchange.now();

  // Each referral has its own data key (`referral:<id>`, store/case-keys.ts), destroyed when the
  // case it became is purged or, if returned, at the end of retention.
  const open = (row: repo.ReferralRow, opener: Pick<Sealer, 'open'>) => opener.open(row.sealed, row.id) as SealedReferral;
  const openerOf = (q: Queryable, rows: repo.ReferralRow[]) => openerFor(sealer, q, rows.map((r) => r.sealed.keyId));
  const by = (actor: ExchangeActor) => (actor.kind === 'person' ? actor.userId : actor.agencyId);
  const repeatMonths = (area: string) => {
    const c = deps.criteria.forArea(area).find((x) => x.kind === 'repeat');
    return c && c.kind === 'repeat' ? c.withinMonths : DEFAULT_REPEAT_MONTHS;
  };

  function evaluate(row: repo.ReferralRow, sealed: SealedReferral, matches: repo.MatchRow[], at: Date): CriterionResult[] {
    const repeats: RepeatLink[] = matches.map((m) => ({ caseId: m.caseId, status: m.status, caseOpenedAt: m.caseOpenedAt.toISOString() }));
    return evaluateCriteria(deps.criteria.forArea(row.maracArea), { score: row.dashScore, claims: sealed.criteria, repeats, now: at });
  }

  /** The area (and its coordinator) a referral goes to: named in the body, or the only one linked. */
  async function routeFor(acting: PartyRef, named: string | undefined, at: Date) {
    const inForce = await agreementsInForce(pool, at);
    const links = await coordinatorsFor(acting.agencyId, inForce, agencies);
    if (named !== undefined) {
      const link = links.find((l) => l.maracArea === areaKey(named));
      if (!link) throw new NotAReferralParty('Your agency shares no agreement in force with that area’s MARAC coordinator');
      return { link, inForce };
    }
    if (links.length === 1) return { link: links[0]!, inForce };
    if (links.length === 0) throw new NotAReferralParty('Your agency shares no agreement in force with any MARAC coordinator');
    throw new MaracAreaRequired('Your agency works with more than one MARAC area: say which one in maracArea', {
      problems: [{ path: '/maracArea', code: 'required', message: `one of ${links.map((l) => l.maracArea).join(', ')}` }],
    });
  }

  function inputProblems(input: ReferralInput, criteria: ReturnType<ReferralCriteria['forArea']>, at: Date): ProblemDetail[] {
    const today = londonDay(at.toISOString());
    const problems: ProblemDetail[] = [];
    if (input.dash.completedOn > today || outsideDateWindow(input.dash.completedOn, at)) {
      problems.push({ path: '/dash/completedOn', code: 'range', message: `a date from ${EARLIEST_DATE} to today` });
    }
    const keys = new Set<string>();
    input.subjects.forEach((s, i) => {
      if (keys.has(s.key)) problems.push({ path: `/subjects/${i}/key`, code: 'DUPLICATE_SUBJECT_KEY', message: 'subject keys must be unique' });
      keys.add(s.key);
      for (const d of s.dobs ?? []) if (d > today || d < '1900-01-01') problems.push({ path: `/subjects/${i}/dobs`, code: 'range', message: 'a date of birth in the past' });
      const decided = s.consent.decidedAt;
      if (decided && (decided > today || outsideDateWindow(decided, at))) {
        problems.push({ path: `/subjects/${i}/consent/decidedAt`, code: 'range', message: `a date from ${EARLIEST_DATE} to today` });
      }
    });
    return problems.concat(claimProblems(criteria, input.criteria, today));
  }

  /**
   * A referral from an agency (or the coordinator's own staff). `idempotencyKey`: required from
   * agencies, so a retried POST never makes a second referral; the web form has none.
   */
  async function submit(actor: ExchangeActor, body: unknown, idempotencyKey?: unknown): Promise<StoredAnswer> {
    const acting = await actingAgency(actor, agencies);
    const key = actor.kind === 'agency' ? requireIdempotencyKey(idempotencyKey) : undefined;
    // The schema first: hashing walks the body recursively, and only a checked body is shallow.
    deps.validate('referral', body);
    const hash = bodyHash({ kind: 'referral', body });
    if (key) {
      const prior = await findAnswer(pool, acting.agencyId, key, hash);
      if (prior) return prior;
    }
    const input = body as ReferralInput;
    const at = now();
    const { link, inForce } = await routeFor(acting, input.maracArea, at);
    const criteria = deps.criteria.forArea(link.maracArea);

    const problems = inputProblems(input, criteria, at);
    const criterionProblems = problems.filter((p) => p.path.startsWith('/criteria/'));
    if (problems.length > criterionProblems.length) throw new ValidationFailed('referral is not valid', { problems: problems.filter((p) => !p.path.startsWith('/criteria/')) });
    if (criterionProblems.length > 0) throw new ReferralCriterionInvalid('A claimed criterion does not hold as sent', { problems: criterionProblems });
    const legal = input.subjects.flatMap((s, i) => unavailableConditions(s, at).map((u) => ({
      path: `/subjects/${i}/legal/${u.list}`,
      code: 'P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS',
      message: 'DPA 2018 Sch 1 para 18 needs a child or an adult with care and support needs',
    })));
    if (legal.length > 0) throw new LegalConditionRejected('A lawful-basis condition does not hold for a subject', { problems: legal });

    const score = dashScore(input.dash.answers);
    const victim = input.subjects.find((s) => s.role === 'VICTIM')!;
    const victimTokens = labelledTokens(deps.exchange.subjectTokens, victim as TokenSubject);
    const areas = linkedAreas(link.maracArea, inForce);
    const candidates = await findRepeatCandidates(pool, victimTokens, areas, monthsBefore(at, repeatMonths(link.maracArea)));
    const { maracArea: _named, ...rest } = input;
    const sealedRecord: SealedReferral = rest;
    const id = newReferralId();
    const allTokens = [...new Set(input.subjects.flatMap((s) => deps.exchange.subjectTokens(s)))].sort();
    const results = evaluateCriteria(criteria, {
      score, claims: input.criteria, now: at,
      repeats: candidates.map((c) => ({ caseId: c.caseId, status: 'PENDING' as const, caseOpenedAt: c.caseOpenedAt.toISOString() })),
    });
    const answer: StoredAnswer = {
      status: 201,
      body: {
        referralId: id,
        status: 'SUBMITTED',
        maracArea: link.maracArea,
        dashScore: score,
        criteria: results.map(({ id: cid, title, claimed, met, reason }) => ({ id: cid, title, claimed, met, reason })),
        meetsCriteria: results.some((r) => r.met),
        possibleRepeat: candidates.length > 0,
      },
    };

    try {
      await withTx(pool, async (tx) => {
        await repo.insertReferral(tx, {
          id, referringAgencyId: acting.agencyId, coordinatorAgencyId: link.coordinatorAgencyId, maracArea: link.maracArea,
          dashScore: score, criteriaClaimed: input.criteria.map((c) => c.id), sealed: (await sealerFor(sealer, tx, referralKeyId(id))).seal(sealedRecord, id),
          victimTokens: [...victimTokens.keys()].sort(), submittedAt: at,
        });
        await repo.insertMatches(tx, id, candidates);
        await audit.append(tx, {
          action: 'REFERRAL_SUBMITTED',
          actor,
          decision: 'NONE',
          subjectTokens: allTokens,
          agencyIds: [...new Set([acting.agencyId, link.coordinatorAgencyId])],
          detail: {
            referralId: id,
            subjects: input.subjects.length,
            criteriaClaimed: input.criteria.map((c) => c.id).join(','),
            criteriaMet: results.filter((r) => r.met).map((r) => r.id).join(','),
            possibleRepeats: candidates.length,
          },
        });
        if (key) {
          await tx.query('INSERT INTO idempotency_keys (agency_id, key, request_hash, status, body) VALUES ($1, $2, $3, $4, $5)',
            [acting.agencyId, key, hash, answer.status, answer.body]);
        }
      });
    } catch (err) {
      // The same key sent twice at once: the first committed; replay its answer.
      if (key && isKeyTaken(err)) {
        const first = await findAnswer(pool, acting.agencyId, key, hash);
        if (first) return first;
      }
      throw err;
    }
    return answer;
  }

  /** The coordinator's intake list, or the referrer's own referrals. Nothing personal in either. */
  async function list(actor: ExchangeActor, opts: { status?: unknown; page?: unknown } = {}) {
    const acting = await actingAgency(actor, agencies);
    const status = opts.status === undefined || opts.status === '' ? undefined : String(opts.status);
    if (status !== undefined && !['SUBMITTED', 'ACCEPTED', 'RETURNED'].includes(status)) {
      throw new ValidationFailed('Unknown status', { problems: [{ path: 'query:status', code: 'enum', message: 'SUBMITTED, ACCEPTED or RETURNED' }] });
    }
    const pageText = opts.page === undefined || opts.page === '' ? '1' : String(opts.page);
    if (!/^[1-9]\d{0,5}$/.test(pageText)) {
      throw new ValidationFailed('Invalid page', { problems: [{ path: 'query:page', code: 'minimum', message: 'a page number from 1' }] });
    }
    const page = Number(pageText);
    const side = acting.agencyType === 'MARAC_COORDINATOR' ? 'coordinator' : 'referrer';
    const { rows, total } = await repo.listReferrals(pool, {
      side, agencyId: acting.agencyId, ...(status ? { status: status as repo.ReferralStatus } : {}), limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE,
    });
    const matches = await repo.matchesOf(pool, rows.map((r) => r.id));
    const opener = await openerOf(pool, rows);
    const at = now();
    return {
      page,
      pageSize: PAGE_SIZE,
      total,
      referrals: rows.map((r) => {
        const m = matches.get(r.id) ?? [];
        const results = evaluate(r, open(r, opener), m, at);
        return {
          referralId: r.id,
          status: r.status,
          referringAgencyId: r.referringAgencyId,
          maracArea: r.maracArea,
          dashScore: r.dashScore,
          criteriaMet: results.filter((x) => x.met).map((x) => x.id),
          meetsCriteria: results.some((x) => x.met),
          repeat: { pending: m.filter((x) => x.status === 'PENDING').length, confirmed: m.filter((x) => x.status === 'CONFIRMED').length },
          submittedAt: r.submittedAt.toISOString(),
          decidedAt: r.decidedAt?.toISOString() ?? null,
          ...(side === 'coordinator' && r.caseId ? { caseId: r.caseId } : {}),
        };
      }),
    };
  }

  async function mustFind(q: Queryable, id: string, forUpdate = false) {
    if (!ID.test(id)) throw new ReferralNotFound('No such referral');
    const row = await repo.findReferral(q, id, forUpdate);
    if (!row) throw new ReferralNotFound('No such referral');
    return row;
  }

  /** The referral's coordinator may decide on it; its referrer is told so; anyone else sees nothing. */
  function assertCoordinator(acting: PartyRef, row: repo.ReferralRow): void {
    if (acting.agencyType === 'MARAC_COORDINATOR' && acting.agencyId === row.coordinatorAgencyId) return;
    if (acting.agencyId === row.referringAgencyId) throw new NotTheCoordinator('Only the area’s MARAC coordinator decides on a referral');
    throw new ReferralNotFound('No such referral');
  }

  /**
   * One referral: all of it for its coordinator; its status, the criteria with their reasons and
   * any return reason for its referrer. Either read is audited (it unseals personal data).
   */
  async function get(actor: ExchangeActor, id: string) {
    const acting = await actingAgency(actor, agencies);
    return withTx(pool, async (tx) => {
      const row = await mustFind(tx, id);
      const isCoordinator = acting.agencyType === 'MARAC_COORDINATOR' && acting.agencyId === row.coordinatorAgencyId;
      if (!isCoordinator && acting.agencyId !== row.referringAgencyId) throw new ReferralNotFound('No such referral');
      const sealed = open(row, await openerOf(tx, [row]));
      const matches = await repo.listMatches(tx, id);
      const results = evaluate(row, sealed, matches, now());
      await audit.append(tx, {
        action: 'REFERRAL_VIEWED',
        actor,
        decision: 'NONE',
        ...(isCoordinator && row.caseId ? { caseId: row.caseId } : {}),
        agencyIds: [...new Set([acting.agencyId, row.referringAgencyId])],
        detail: { referralId: id, view: isCoordinator ? 'coordinator' : 'referrer' },
      });
      const common = {
        referralId: row.id,
        status: row.status,
        maracArea: row.maracArea,
        referringAgencyId: row.referringAgencyId,
        submittedAt: row.submittedAt.toISOString(),
        decidedAt: row.decidedAt?.toISOString() ?? null,
        dashScore: row.dashScore,
        criteria: results.map(({ id: cid, title, kind, claimed, met, reason }) => ({ id: cid, title, kind, claimed, met, reason })),
        meetsCriteria: results.some((r) => r.met),
        ...(row.status === 'RETURNED' ? { returnReason: sealed.returnReason ?? '' } : {}),
      };
      if (!isCoordinator) return common;
      const { returnReason: _r, ...content } = sealed;
      return {
        ...common,
        ...(row.caseId ? { caseId: row.caseId } : {}),
        repeatMatches: matches.map((m) => ({
          caseId: m.caseId,
          maracArea: m.caseArea,
          matchedOn: m.matchedOn,
          caseOpenedAt: m.caseOpenedAt.toISOString(),
          status: m.status,
          decidedAt: m.decidedAt?.toISOString() ?? null,
        })),
        referral: content,
      };
    });
  }

  /** Opens the case (same transaction), listed for the meeting date, linked to the referral. */
  async function accept(actor: ExchangeActor, id: string, body: unknown) {
    const acting = await actingAgency(actor, agencies);
    deps.validate('referral-accept', body);
    const { meetingDate, isEmergency } = body as { meetingDate: string; isEmergency?: boolean };
    const at = now();
    const today = londonDay(at.toISOString());
    if (meetingDate < today || outsideDateWindow(meetingDate, at)) {
      throw new ValidationFailed('accept is not valid', { problems: [{ path: '/meetingDate', code: 'range', message: `a date from today to ${latestDate(at)}` }] });
    }
    const inForce = await agreementsInForce(pool, at);
    const undecided = (pending: { caseId: string }[]) => new RepeatMatchUndecided('Confirm or reject the possible earlier case before accepting', {
      problems: pending.map((m) => ({ path: `repeatMatches/${m.caseId}`, code: 'PENDING', message: 'confirm or reject this match' })),
    });
    const accepted = await withTx(pool, async (tx) => {
      const row = await mustFind(tx, id, true);
      assertCoordinator(acting, row);
      if (row.status !== 'SUBMITTED') throw new ReferralAlreadyDecided(`This referral was already ${row.status.toLowerCase()}`);
      const matches = await repo.listMatches(tx, id);
      if (matches.some((m) => m.status === 'PENDING')) throw undecided(matches.filter((m) => m.status === 'PENDING'));
      const sealed = open(row, await openerOf(tx, [row]));
      // Repeats were looked for when the referral arrived. A case for the same victim opened since
      // (another referral accepted meanwhile, a case opened by hand) would make this a second case
      // for one person: it becomes a possible match the coordinator decides on first, kept
      // (committed) while this acceptance is refused.
      const victim = sealed.subjects.find((s) => s.role === 'VICTIM');
      const known = new Set(matches.map((m) => m.caseId));
      const fresh = victim
        ? (await findRepeatCandidates(tx, labelledTokens(deps.exchange.subjectTokens, victim as TokenSubject), linkedAreas(row.maracArea, inForce),
          monthsBefore(at, repeatMonths(row.maracArea)))).filter((c) => !known.has(c.caseId))
        : [];
      if (fresh.length > 0) {
        await repo.insertMatches(tx, id, fresh);
        return { fresh };
      }
      const criteria = deps.criteria.forArea(row.maracArea);
      const repeats: RepeatLink[] = matches.map((m) => ({ caseId: m.caseId, status: m.status, caseOpenedAt: m.caseOpenedAt.toISOString() }));
      const input = { score: row.dashScore, claims: sealed.criteria, repeats, now: at };
      const results = evaluateCriteria(criteria, input);
      if (!results.some((r) => r.met)) {
        throw new ReferralThresholdNotMet('The referral meets no referral criterion', {
          problems: results.map((r) => ({ path: `criteria/${r.id}`, code: 'NOT_MET', message: r.reason })),
        });
      }
      const riskBasis = caseRiskBasis(results, input, criteria);
      // Never a case that cannot be researched: an agreement in force with this coordinator must
      // accept the case on the criteria it meets (the same check every research request makes).
      const researchable = inForce.some((a) => a.doc.purposes?.includes('MARAC_RESEARCH')
        && a.doc.parties?.some((p) => p.agency === acting.agencyId && p.role === 'coordinator')
        && criteriaMet(resolveThreshold(a.doc.caseThreshold), riskBasis, at).length > 0);
      if (!researchable) {
        throw new ReferralThresholdNotMet('No agreement in force accepts a case on the criteria this referral meets', {
          problems: [{ path: 'criteria', code: 'NO_AGREEMENT_ACCEPTS', message: `criteria met: ${riskBasis.criteria.join(', ')}` }],
        });
      }
      const caseBody: CaseInput = { meetingDate, ...(isEmergency ? { isEmergency } : {}), riskBasis, subjects: sealed.subjects };
      const cases = createCaseService({ ...deps.exchange, pool: savepointPool(tx) });
      const opened = await cases.createCase(actor, caseBody);
      await repo.markDecided(tx, id, { status: 'ACCEPTED', at, by: by(actor), caseId: opened.caseId });
      // The data return's flags now with the referral's equality data and referring agency.
      await refreshReturnFacts(tx, sealer, opened.caseId);
      await audit.append(tx, {
        action: 'REFERRAL_ACCEPTED',
        actor,
        caseId: opened.caseId,
        decision: 'NONE',
        agencyIds: [...new Set([acting.agencyId, row.referringAgencyId])],
        detail: {
          referralId: id,
          criteria: riskBasis.criteria.join(','),
          repeatOf: matches.filter((m) => m.status === 'CONFIRMED').map((m) => m.caseId).join(',') || null,
        },
      });
      return { referralId: id, status: 'ACCEPTED', caseId: opened.caseId, meetingDate, criteria: riskBasis.criteria };
    });
    if ('fresh' in accepted && accepted.fresh) throw undecided(accepted.fresh);
    return accepted;
  }

  /** Back to the referrer with the reason (sealed; the referrer can read it, the audit log cannot). */
  async function returnReferral(actor: ExchangeActor, id: string, body: unknown) {
    const acting = await actingAgency(actor, agencies);
    deps.validate('referral-return', body);
    const reason = (body as { reason: string }).reason.trim();
    const at = now();
    return withTx(pool, async (tx) => {
      const row = await mustFind(tx, id, true);
      assertCoordinator(acting, row);
      if (row.status !== 'SUBMITTED') throw new ReferralAlreadyDecided(`This referral was already ${row.status.toLowerCase()}`);
      const referralSealer = await sealerFor(sealer, tx, referralKeyId(id));
      const sealed = { ...open(row, referralSealer), returnReason: reason };
      await repo.markDecided(tx, id, { status: 'RETURNED', at, by: by(actor), sealed: referralSealer.seal(sealed, id) });
      await audit.append(tx, {
        action: 'REFERRAL_RETURNED',
        actor,
        decision: 'NONE',
        agencyIds: [...new Set([acting.agencyId, row.referringAgencyId])],
        detail: { referralId: id, reasonRecorded: true },
      });
      return { referralId: id, status: 'RETURNED' };
    });
  }

  /** The coordinator confirms (a repeat, linked to the earlier case) or rejects a possible match. */
  async function decideRepeat(actor: ExchangeActor, id: string, caseId: string, body: unknown) {
    const acting = await actingAgency(actor, agencies);
    deps.validate('referral-repeat-decision', body);
    const decision = (body as { decision: 'CONFIRM' | 'REJECT' }).decision;
    const at = now();
    return withTx(pool, async (tx) => {
      const row = await mustFind(tx, id, true);
      assertCoordinator(acting, row);
      if (row.status !== 'SUBMITTED') throw new ReferralAlreadyDecided(`This referral was already ${row.status.toLowerCase()}`);
      const match = (await repo.listMatches(tx, id)).find((m) => m.caseId === caseId);
      if (!match) throw new RepeatMatchNotFound('No such possible repeat for this referral');
      if (match.status !== 'PENDING') throw new RepeatMatchAlreadyDecided(`This match was already ${match.status.toLowerCase()}`);
      const status = decision === 'CONFIRM' ? 'CONFIRMED' : 'REJECTED';
      await repo.decideMatch(tx, id, caseId, status, at, by(actor));
      await audit.append(tx, {
        action: decision === 'CONFIRM' ? 'REFERRAL_REPEAT_CONFIRMED' : 'REFERRAL_REPEAT_REJECTED',
        actor,
        caseId,
        decision: 'NONE',
        subjectTokens: row.victimTokens,
        agencyIds: [acting.agencyId],
        detail: { referralId: id, matchedOn: match.matchedOn.join(',') },
      });
      const results = evaluate(row, open(row, await openerOf(tx, [row])), (await repo.listMatches(tx, id)), at);
      return { referralId: id, caseId, status, criteria: results.map(({ id: cid, met, reason }) => ({ id: cid, met, reason })) };
    });
  }

  return { submit, list, get, accept, returnReferral, decideRepeat, criteriaFor: (area: string) => deps.criteria.forArea(area) };
}

export type ReferralService = ReturnType<typeof createReferralService>;

/** A coordinator person or agency, for the pages that only the intake side has. */
export function assertCoordinatorAgency(acting: PartyRef): void {
  if (acting.agencyType !== 'MARAC_COORDINATOR') throw new NotACoordinator('Only a MARAC coordinator has an intake list');
}
