/**
 * Circulation (docs/decisions/0027): the minutes, actions and research pack of a case as ONE
 * partner agency may see them under MARAC_ACTION_REVIEW. Thin: reads, one decision per
 * provider → recipient pair, the pure release (release.ts), and one audit event per release in
 * the same transaction as the reads.
 *
 * Who is the recipient: an agency's certificate, or a person of that agency with the
 * agency_representative role; or, when the case's own coordinator produces a document or a
 * preview for a partner, the partner it names. An agency that is no party to the case (or a
 * meeting that does not list it) is told there is no such case (or minutes): not even that it
 * exists. Refusals are audited (ACCESS_DENIED) all the same.
 */
import { openerFor } from '../store/case-keys.js';
import type pg from 'pg';
import { GatewayError } from '../errors.js';
import { withTx, type Tx } from '../store/db.js';
import type { Sealer } from '../store/sealed-box.js';
import type { AuditDecision, AuditLog, SectionDecision } from '../audit/types.js';
import type { AgencyPrincipal, PersonPrincipal } from '../identity/principal.js';
import { createCaseReader } from '../exchange/case-service.js';
import { policyCaseFacts } from '../exchange/case-facts.js';
import { caseLocationContext, withResponseDocuments } from '../exchange/case-locations.js';
import { CaseNotFound } from '../exchange/errors.js';
import type { AgencyDirectory, Explanation, PartyRef, PolicyPort, SubjectFacts } from '../exchange/ports.js';
import { digest, mergeExplanations } from '../exchange/request-view.js';
import {
  circulatedMinutesOf, findMeetingListing, isCaseParty, minutesCirculatedTo, packCirculatedAt, readActions, readAnswers,
  readCirculatedMinutes, recordCirculation, snapshotMinutes,
} from './circulation-repo.js';
import {
  CIRCULATION_PURPOSE, ownAnswer, releaseActions, releaseAnswer, releaseMinutes, type AnswerBody, type CirculatedSubject,
} from './release.js';
import type { CaseAction, ReleasedMinutes } from './types.js';

/** No such meeting, not listing the case, cancelled, or not this agency's to read: one answer for all. */
export class MinutesNotFound extends GatewayError {
  readonly code = 'MINUTES_NOT_FOUND';
  readonly status = 404;
}

/**
 * A party to the case asking for minutes the coordinator has not circulated to it (yet, or since
 * versions were kept): docs/decisions/0033. Told to a party only; a stranger still gets 404.
 */
export class MinutesNotCirculated extends GatewayError {
  readonly code = 'MINUTES_NOT_CIRCULATED';
  readonly status = 409;
}

/** A party to the case asking for the research pack before the coordinator has circulated it to it (0033). */
export class PackNotCirculated extends GatewayError {
  readonly code = 'PACK_NOT_CIRCULATED';
  readonly status = 409;
}

export interface CirculationDeps {
  pool: pg.Pool;
  audit: AuditLog;
  policy: PolicyPort;
  agencies: AgencyDirectory;
  sealer: Sealer;
  now(): Date;
}

export type CirculationActor = AgencyPrincipal | PersonPrincipal;

/** How a release is recorded: an agency reading it (default), the coordinator circulating it, or a document made of it. */
export type CirculationAudit = 'VIEW_READ' | 'CIRCULATED' | 'DOCUMENT_PRODUCED';

export interface CirculationOptions {
  /** The case's coordinator only: the partner agency to release for (documents, previews). */
  recipientAgencyId?: string;
  audit?: CirculationAudit;
  /** Small non-personal facts added to the audit event's detail (a document's format). */
  detail?: Record<string, string | number | boolean>;
  /**
   * The coordinator circulating this release at a meeting (meeting-circulation.ts, with audit
   * CIRCULATED and the partner as recipientAgencyId): the release IS the circulation, recorded in
   * meeting_circulations in the release's transaction; the minutes released are the version saved
   * now, kept as circulated (docs/decisions/0033). Without it a release is only ever of what was
   * circulated to the recipient.
   */
  circulate?: { meetingId: string };
}

/** How the release went for this recipient, as the documents and pages say it. */
export type ReleaseState =
  | { released: true; agreementId: string; version: number; warnings?: string[] }
  | { released: false; reason: string };

export interface CirculatedMinutes extends ReleasedMinutes {
  purpose: typeof CIRCULATION_PURPOSE;
  meeting: { id: string; startsAt: string; status: string };
  /** Whether minutes were recorded for the case at the meeting at all. */
  recorded: boolean;
  /** The version of the minutes circulated to the recipient and when: what it is shown, whatever was saved since. */
  circulated: { version: number; at: string };
  release: ReleaseState;
  generatedAt: string;
}

export interface CirculatedSection {
  requestId: string;
  agencyId: string;
  agencyType?: string;
  /** The recipient's own answer, given back in full. */
  own: boolean;
  state: string;
  askedAt: string;
  answeredAt: string | null;
  release: ReleaseState | { released: false; reason: 'OWN_RESPONSE' };
  subjects: CirculatedSubject[];
  envelope?: Record<string, unknown>;
}

export interface CirculatedPack {
  caseId: string;
  recipientAgencyId: string;
  purpose: typeof CIRCULATION_PURPOSE;
  meetingDate: string;
  /** When the pack was last circulated to the recipient: rounds asked after it wait for the next circulation. */
  circulatedAt: string;
  /** Latest request first (a document puts earlier rounds in an annex). */
  sections: CirculatedSection[];
  generatedAt: string;
}

export interface CirculatedActions {
  caseId: string;
  recipientAgencyId: string;
  actions: Partial<CaseAction>[];
  withheld: { path: string; reason: string }[];
  release: ReleaseState;
  generatedAt: string;
}

const stateOf = (d: { decision: AuditDecision; reasonCode?: string; agreement?: { agreementId: string; version: number; warnings?: string[] } }): ReleaseState =>
  d.decision === 'DENY' || !d.agreement
    ? { released: false, reason: d.reasonCode ?? 'NO_AGREEMENT' }
    : { released: true, agreementId: d.agreement.agreementId, version: d.agreement.version, ...(d.agreement.warnings?.length ? { warnings: d.agreement.warnings } : {}) };

export function createCirculationService(deps: CirculationDeps) {
  const { pool, audit, policy, sealer } = deps;
  const cases = createCaseReader(deps);

  /** The acting agency, or the partner a case's coordinator names; undefined: nobody this case releases to. */
  async function recipientOf(actor: CirculationActor, coordinatorAgencyId: string, opts: CirculationOptions): Promise<PartyRef | undefined> {
    const acting = actor.kind === 'agency' ? actor.agencyId : actor.agencyId;
    if (!acting) return undefined;
    const coordinatorActing = acting === coordinatorAgencyId && (actor.kind === 'agency' || actor.roles.includes('coordinator'));
    if (opts.recipientAgencyId !== undefined) {
      if (!coordinatorActing) return undefined;
      const a = await deps.agencies.getAgency(opts.recipientAgencyId);
      return a && !a.disabled ? { agencyId: a.id, agencyType: a.type } : undefined;
    }
    if (actor.kind === 'person' && !actor.roles.includes('agency_representative')) return undefined;
    if (actor.kind === 'agency') return { agencyId: actor.agencyId, agencyType: actor.agencyType };
    const a = await deps.agencies.getAgency(acting);
    return a && !a.disabled ? { agencyId: a.id, agencyType: a.type } : undefined;
  }

  async function refuse(actor: CirculationActor, caseId: string, agencyId: string | undefined, what: string): Promise<void> {
    await withTx(pool, (tx) => audit.append(tx, {
      action: 'ACCESS_DENIED', actor, caseId, purpose: CIRCULATION_PURPOSE, decision: 'DENY', reasonCode: 'NOT_A_PARTY',
      ...(agencyId ? { agencyIds: [agencyId] } : {}), detail: { stage: 'circulation', what },
    }));
  }

  /** A party asking for what was not circulated to it: audited in the transaction that found it so (0033). */
  async function notCirculated(tx: Tx, actor: CirculationActor, caseId: string, agencyId: string, what: string, meetingId?: string): Promise<void> {
    await audit.append(tx, {
      action: 'ACCESS_DENIED', actor, caseId, purpose: CIRCULATION_PURPOSE, decision: 'DENY', reasonCode: 'NOT_CIRCULATED',
      agencyIds: [agencyId], detail: { stage: 'circulation', what, ...(meetingId ? { meetingId } : {}) },
    });
  }

  /** The case and its recipient, or a refusal (audited) that looks like a missing case. */
  async function scope(actor: CirculationActor, caseId: string, opts: CirculationOptions, what: string, notFound: () => Error) {
    const theCase = await cases.getCase(pool, caseId).catch((e) => {
      if (e instanceof CaseNotFound) throw notFound();
      throw e;
    });
    const recipient = await recipientOf(actor, theCase.coordinatorAgencyId, opts);
    if (!recipient || recipient.agencyId === theCase.coordinatorAgencyId || !(await isCaseParty(pool, caseId, recipient.agencyId))) {
      await refuse(actor, caseId, recipient?.agencyId, what);
      throw notFound();
    }
    const coordinator = await deps.agencies.getAgency(theCase.coordinatorAgencyId);
    if (!coordinator) throw notFound();
    return { theCase, recipient, coordinator: { agencyId: coordinator.id, agencyType: coordinator.type } as PartyRef };
  }

  async function decideFor(coordinator: PartyRef, recipient: PartyRef, caseFacts: ReturnType<typeof policyCaseFacts>, now: Date) {
    return policy.decide({ now, purpose: CIRCULATION_PURPOSE, direction: 'response', from: coordinator, to: recipient, caseFacts });
  }

  async function record(tx: Tx, e: {
    actor: CirculationActor; action: CirculationAudit; caseId: string; recipient: string; tokens: string[];
    decision: AuditDecision; reasonCode?: string; agreement?: { agreementId: string; version: number };
    parts: { subjectId: string; explanation: Explanation }[]; view: unknown; sections: SectionDecision[]; detail: Record<string, string | number | boolean>;
  }) {
    const merged = mergeExplanations(e.parts, { collapse: true });
    await audit.append(tx, {
      action: e.action, actor: e.actor, caseId: e.caseId, purpose: CIRCULATION_PURPOSE, decision: e.decision,
      ...(e.reasonCode ? { reasonCode: e.reasonCode } : {}),
      ...(e.agreement ? { agreementId: e.agreement.agreementId, agreementVersion: e.agreement.version } : {}),
      sectionDecisions: e.sections,
      ruleIds: merged.ruleIds,
      fieldsReleased: merged.fieldsReleased,
      fieldsTransformed: merged.fieldsTransformed,
      fieldsWithheld: merged.fieldsWithheld,
      viewDigest: digest(e.view),
      subjectTokens: e.tokens,
      agencyIds: [e.recipient],
      detail: e.detail,
    });
  }

  /**
   * The minutes of a case at a meeting, with the actions agreed there, as the recipient may see
   * them: the version circulated to it (docs/decisions/0033), never a later save. Before the
   * coordinator has circulated them to it, a party is told MINUTES_NOT_CIRCULATED (409, audited);
   * a stranger still gets MINUTES_NOT_FOUND. Circulating (opts.circulate) releases the version
   * saved now, keeps it, and records the circulation, all in one transaction with its event.
   */
  async function minutesFor(actor: CirculationActor, meetingId: string, caseId: string, opts: CirculationOptions = {}): Promise<CirculatedMinutes> {
    const notFound = () => new MinutesNotFound('No such minutes');
    const { theCase, recipient, coordinator } = await scope(actor, caseId, opts, 'minutes', notFound);
    const listing = await findMeetingListing(pool, meetingId, caseId);
    if (!listing || !listing.onAgenda || listing.status === 'CANCELLED' || listing.coordinatorAgencyId !== theCase.coordinatorAgencyId
      || (opts.circulate && opts.circulate.meetingId !== meetingId)) {
      await refuse(actor, caseId, recipient.agencyId, 'minutes');
      throw notFound();
    }
    const now = deps.now();
    const out = await withTx(pool, async (tx): Promise<CirculatedMinutes | undefined> => {
      let circulated: { version: number; at: Date } | undefined;
      if (opts.circulate) {
        const version = await snapshotMinutes(tx, meetingId, caseId, now);
        if (version === undefined) return undefined;
        circulated = { version, at: now };
      } else {
        circulated = await circulatedMinutesOf(tx, meetingId, caseId, recipient.agencyId);
      }
      if (!circulated) {
        await notCirculated(tx, actor, caseId, recipient.agencyId, 'minutes', meetingId);
        return undefined;
      }
      const minutes = await readCirculatedMinutes(tx, sealer, meetingId, caseId, circulated.version);
      const actions = await readActions(tx, sealer, caseId, meetingId);
      const decision = await decideFor(coordinator, recipient, policyCaseFacts(theCase), now);
      const locations = decision.effect === 'PERMIT' ? caseLocationContext(theCase.sealed, theCase.subjectFacts) : undefined;
      const r = releaseMinutes({
        decision, redact: policy.redact, now, recipientAgencyId: recipient.agencyId, subjects: theCase.subjectFacts,
        ...(locations ? { locations } : {}), caseId, meetingId, minutes, actions,
      });
      const view: CirculatedMinutes = {
        ...r.released,
        purpose: CIRCULATION_PURPOSE,
        meeting: { id: meetingId, startsAt: listing.startsAt, status: listing.status },
        recorded: minutes !== undefined,
        circulated: { version: circulated.version, at: circulated.at.toISOString() },
        release: stateOf(r),
        generatedAt: now.toISOString(),
      };
      if (opts.circulate) {
        await recordCirculation(tx, { meetingId, caseId, kind: 'minutes', agencyId: recipient.agencyId, at: now, minutesVersion: circulated.version });
      }
      await record(tx, {
        actor, action: opts.audit ?? 'VIEW_READ', caseId, recipient: recipient.agencyId, tokens: theCase.tokens,
        decision: r.decision, ...(r.reasonCode ? { reasonCode: r.reasonCode } : {}), ...(r.agreement ? { agreement: r.agreement } : {}),
        parts: [{ subjectId: 'minutes', explanation: r.explanation }],
        view: { minutes: view.minutes, actions: view.actions },
        sections: [{ agencyId: theCase.coordinatorAgencyId, requestId: meetingId, decision: r.decision, ...(r.reasonCode ? { reasonCode: r.reasonCode } : {}) }],
        detail: {
          kind: 'minutes', recorded: view.recorded, minutesVersion: circulated.version, actions: actions.length, actionsReleased: view.actions.length, ...opts.detail,
        },
      });
      return view;
    });
    if (!out) {
      if (opts.circulate) throw notFound();
      throw new MinutesNotCirculated(opts.recipientAgencyId
        ? 'These minutes have not been circulated to that agency yet: circulate them first'
        : 'These minutes have not been circulated to your agency yet');
    }
    return out;
  }

  /**
   * Every action of the case as the recipient may see them: its own in full as soon as assigned;
   * another agency's once the minutes of the meeting it was agreed at have been circulated to the
   * recipient (one agreed outside any meeting is in no minutes: released as it is). 0033.
   */
  async function actionsFor(actor: CirculationActor, caseId: string, opts: CirculationOptions = {}): Promise<CirculatedActions> {
    const { theCase, recipient, coordinator } = await scope(actor, caseId, opts, 'actions', () => new CaseNotFound('No such case'));
    const now = deps.now();
    return withTx(pool, async (tx) => {
      const all = await readActions(tx, sealer, caseId);
      const circulatedAt = await minutesCirculatedTo(tx, caseId, recipient.agencyId);
      const actions = all.filter((a) => a.ownerAgencyId === recipient.agencyId || a.meetingId === undefined || circulatedAt.has(a.meetingId));
      const decision = await decideFor(coordinator, recipient, policyCaseFacts(theCase), now);
      const locations = decision.effect === 'PERMIT' ? caseLocationContext(theCase.sealed, theCase.subjectFacts) : undefined;
      const r = releaseActions({ decision, redact: policy.redact, now, recipientAgencyId: recipient.agencyId, subjects: theCase.subjectFacts, ...(locations ? { locations } : {}), actions });
      const out: CirculatedActions = { caseId, recipientAgencyId: recipient.agencyId, actions: r.actions, withheld: r.withheld, release: stateOf(r), generatedAt: now.toISOString() };
      await record(tx, {
        actor, action: opts.audit ?? 'VIEW_READ', caseId, recipient: recipient.agencyId, tokens: theCase.tokens,
        decision: r.decision, ...(r.reasonCode ? { reasonCode: r.reasonCode } : {}), ...(r.agreement ? { agreement: r.agreement } : {}),
        parts: [{ subjectId: 'actions', explanation: r.explanation }], view: out.actions, sections: [],
        detail: { kind: 'actions', actions: all.length, actionsNotCirculated: all.length - actions.length, actionsReleased: out.actions.length, ...opts.detail },
      });
      return out;
    });
  }

  /**
   * The research pack as circulated to the recipient: every other agency's answer released onward
   * under MARAC_ACTION_REVIEW (pinned to the version its request was made under, like any
   * response), the recipient's own answer in full. An answer the agreement does not release to
   * it is left out entirely, not even its row (that the agency was asked is withheld too), and
   * audited as a DENY section. Only once the coordinator has circulated the pack to the
   * recipient (PACK_NOT_CIRCULATED before, 409, audited), and only the rounds asked by the last
   * time it was: a later round waits for its own circulation (docs/decisions/0033).
   */
  async function packFor(actor: CirculationActor, caseId: string, opts: CirculationOptions = {}): Promise<CirculatedPack> {
    const { theCase, recipient } = await scope(actor, caseId, opts, 'pack', () => new CaseNotFound('No such case'));
    const now = deps.now();
    const out = await withTx(pool, async (tx): Promise<CirculatedPack | undefined> => {
      const cutoff = opts.circulate ? now : await packCirculatedAt(tx, caseId, recipient.agencyId);
      if (!cutoff) {
        await notCirculated(tx, actor, caseId, recipient.agencyId, 'pack');
        return undefined;
      }
      const caseFacts = policyCaseFacts(theCase);
      const byId = new Map<string, SubjectFacts>(theCase.subjectFacts.map((f) => [f.subjectId, f]));
      const caseLocations = caseLocationContext(theCase.sealed, theCase.subjectFacts);
      const sections: CirculatedSection[] = [];
      const sectionDecisions: SectionDecision[] = [];
      const parts: { subjectId: string; explanation: Explanation }[] = [];
      const agreements = new Set<string>();
      const answers = (await readAnswers(tx, caseId)).filter((m) => m.askedAt.getTime() <= cutoff.getTime());
      // The case's own key (store/case-keys.ts); research from before 0021 opens under the master key.
      const opener = await openerFor(sealer, tx, answers.map((m) => m.sealed?.keyId));
      for (const m of answers) {
        const own = m.recipientAgencyId === recipient.agencyId;
        const provider = own ? undefined : await deps.agencies.getAgency(m.recipientAgencyId);
        const base = {
          requestId: m.requestId, agencyId: m.recipientAgencyId, ...(own ? { agencyType: recipient.agencyType } : provider ? { agencyType: provider.type } : {}),
          own, state: m.state, askedAt: m.askedAt.toISOString(), answeredAt: m.answeredAt?.toISOString() ?? null,
        };
        const body = m.answerKind === 'response' && m.sealed ? opener.open(m.sealed, m.messageId) as AnswerBody : undefined;
        if (own) {
          const mine = body ? ownAnswer(body, byId) : { subjects: [] };
          sections.push({ ...base, release: { released: false, reason: 'OWN_RESPONSE' }, ...mine });
          sectionDecisions.push({ agencyId: m.recipientAgencyId, requestId: m.requestId, decision: 'NONE', reasonCode: 'OWN_RESPONSE' });
          continue;
        }
        if (!provider) {
          sectionDecisions.push({ agencyId: m.recipientAgencyId, requestId: m.requestId, decision: 'DENY', reasonCode: 'UNKNOWN_AGENCY' });
          continue;
        }
        const decision = await policy.decide({
          now, purpose: CIRCULATION_PURPOSE, direction: 'response', from: { agencyId: provider.id, agencyType: provider.type }, to: recipient, caseFacts,
          pinned: { agreementId: m.agreementId, version: m.agreementVersion },
        });
        if (decision.effect !== 'PERMIT') {
          sectionDecisions.push({ agencyId: m.recipientAgencyId, requestId: m.requestId, decision: 'DENY', reasonCode: decision.reason });
          continue;
        }
        agreements.add(`${decision.agreementId}@${decision.version}`);
        if (!body) {
          sections.push({ ...base, release: stateOf({ decision: 'PERMIT', agreement: decision }), subjects: [] });
          sectionDecisions.push({ agencyId: m.recipientAgencyId, requestId: m.requestId, decision: 'NONE', reasonCode: 'NO_RESPONSE' });
          continue;
        }
        const r = releaseAnswer({
          decision, redact: policy.redact, now, recipientAgencyId: recipient.agencyId, subjects: theCase.subjectFacts, subjectsById: byId,
          locations: withResponseDocuments(caseLocations, body.subjectResults ?? []), body,
        });
        parts.push(...r.parts.map((p) => ({ subjectId: `${m.recipientAgencyId}/${p.subjectId}`, explanation: p.explanation })));
        sections.push({ ...base, release: stateOf(r), subjects: r.subjects, ...(r.envelope ? { envelope: r.envelope } : {}) });
        sectionDecisions.push({ agencyId: m.recipientAgencyId, requestId: m.requestId, decision: r.decision });
      }
      // Latest request first.
      sections.sort((a, b) => (a.askedAt < b.askedAt ? 1 : a.askedAt > b.askedAt ? -1 : 0));
      const pack: CirculatedPack = {
        caseId, recipientAgencyId: recipient.agencyId, purpose: CIRCULATION_PURPOSE, meetingDate: theCase.meetingDate,
        circulatedAt: cutoff.toISOString(), sections, generatedAt: now.toISOString(),
      };
      const released = sectionDecisions.filter((d) => d.decision === 'PERMIT' || d.decision === 'PERMIT_WITH_TRANSFORMS').length;
      const refused = sectionDecisions.filter((d) => d.decision === 'DENY');
      const reasons = new Set(refused.map((d) => d.reasonCode!));
      const overall: AuditDecision = refused.length > 0
        ? (released === 0 ? 'DENY' : 'PERMIT_WITH_TRANSFORMS')
        : parts.some((p) => p.explanation.transformed.length || p.explanation.withheld.length) ? 'PERMIT_WITH_TRANSFORMS' : released > 0 ? 'PERMIT' : 'NONE';
      if (opts.circulate) await recordCirculation(tx, { meetingId: opts.circulate.meetingId, caseId, kind: 'pack', agencyId: recipient.agencyId, at: now });
      await record(tx, {
        actor, action: opts.audit ?? 'VIEW_READ', caseId, recipient: recipient.agencyId, tokens: theCase.tokens, decision: overall,
        ...(reasons.size > 0 ? { reasonCode: reasons.size === 1 ? [...reasons][0]! : 'SECTIONS_REFUSED' } : {}),
        parts, view: pack.sections, sections: sectionDecisions,
        detail: { kind: 'circulated-pack', sections: sections.length, sectionsReleased: released, sectionsRefused: refused.length, agreements: [...agreements].join(','), ...opts.detail },
      });
      return pack;
    });
    if (!out) {
      throw new PackNotCirculated(opts.recipientAgencyId
        ? 'The research pack has not been circulated to that agency yet: circulate it first'
        : 'The research pack has not been circulated to your agency yet');
    }
    return out;
  }

  return { minutesFor, actionsFor, packFor };
}

export type CirculationService = ReturnType<typeof createCirculationService>;
