/**
 * The decision for one message (one provider → recipient pair, one purpose, one direction).
 * Checks run in a fixed order and the first failure denies with a stable reason:
 *
 *   status → in date → party removed → provider signatory → recipient signatory → purpose
 *   → inter-area scope → case threshold → a flow for the pair → subject roles
 *
 * The kill switch: given `inForce`, status and dates are first those of the agreement's version in
 * force (suspending or expiring it stops every version, pinned ones included), then the pinned
 * version's own; both agencies must be parties of the version in force as well as of the pinned
 * one, and not removed from the agreement by an IG officer.
 *
 * "Provider" is the agency whose research is at stake: the addressee of a request, the sender of
 * a response. With several candidate agreements, a permit from any wins (the latest in force);
 * otherwise the denial comes from the candidate naming both agencies, if any, that got furthest:
 * it explains best why nothing applies.
 */
import type { AgencyType } from '../identity/principal.js';
import { CORE, type CompiledAgreement, type CompiledFlow } from './compile.js';
import { makePlan, type RedactionPlan } from './plan.js';
import type { DecisionWarning, DenyReason } from './reasons.js';
import { criteriaMet } from './threshold.js';
import type { CaseFacts, DenyDecision, Direction, PartyRef, PartySelector, Purpose, RiskCriterion, SubjectRole } from './types.js';

export interface DecideInput {
  /** Candidate agreement versions, each with its current status. */
  agreements: readonly CompiledAgreement[];
  now: Date;
  purpose: string;
  direction: Direction;
  from: PartyRef;
  to: PartyRef;
  caseFacts: CaseFacts;
  /** The version in force when the request was made: responses are judged under it. */
  pinned?: { agreementId: string; version: number };
  /** Roles of the subjects the message is about; each must be covered by a flow (P5). */
  subjectRoles?: readonly SubjectRole[];
  /**
   * Per agreement id, its version in force now (the one activated last, whatever its status).
   * When given, an agreement with no entry has no version in force and releases nothing.
   */
  inForce?: ReadonlyMap<string, CompiledAgreement>;
  /** Per agreement id, agencies an IG officer removed from it: nothing to or from them, any version. */
  removedParties?: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface PermitDecision {
  effect: 'PERMIT';
  agreementId: string;
  version: number;
  flowIds: string[];
  plan: RedactionPlan;
  /** The referral criteria the case met under this agreement. */
  criteriaMet: RiskCriterion[];
  warnings?: DecisionWarning[];
}

export type Decision = PermitDecision | DenyDecision;

const STAGES: DenyReason[] = [
  'AGREEMENT_NOT_ACTIVE', 'AGREEMENT_SUSPENDED', 'ISA_EXPIRED', 'ISA_NOT_YET_EFFECTIVE', 'PARTY_REMOVED',
  'PROVIDER_NOT_SIGNATORY', 'RECIPIENT_NOT_SIGNATORY', 'PURPOSE_NOT_IN_ISA', 'NO_INTER_AREA_AGREEMENT',
  'MARAC_THRESHOLD_NOT_MET', 'NO_FLOW_FOR_PAIR', 'SUBJECT_ROLE_NOT_ALLOWED',
];
const stageOf = (r: DenyReason) => STAGES.indexOf(r);

export function decide(input: DecideInput): Decision {
  const now = input.now.getTime();
  if (Number.isNaN(now)) return deny('NO_AGREEMENT', 'no valid clock reading');
  const transfer = input.purpose === 'MARAC_TRANSFER';
  let candidates: readonly CompiledAgreement[];
  if (input.pinned) {
    const { agreementId, version } = input.pinned;
    const pinned = input.agreements.find((a) => a.id === agreementId && a.version === version);
    if (!pinned) return deny('NO_AGREEMENT', `pinned agreement ${agreementId} v${version} is not available`);
    candidates = [pinned];
  } else {
    candidates = input.agreements.filter((a) => {
      const parties = a[CORE].parties;
      return parties.has(input.from.agencyId) || parties.has(input.to.agencyId);
    });
    if (transfer) {
      const inter = candidates.filter((a) => a[CORE].interAreas && a[CORE].parties.has(input.from.agencyId) && a[CORE].parties.has(input.to.agencyId));
      if (inter.length === 0) return deny('NO_INTER_AREA_AGREEMENT', 'no inter-area agreement covers both MARACs');
      candidates = inter;
    }
    if (candidates.length === 0) return deny('NO_AGREEMENT', 'no agreement names either agency');
  }

  let best: PermitDecision | undefined;
  let bestAgreement: CompiledAgreement | undefined;
  let worst: DenyDecision | undefined;
  let worstRank = -1;
  for (const a of candidates) {
    const d = evaluate(a, input, now);
    if (d.effect === 'PERMIT') {
      if (!best || bestAgreement === undefined || prefer(a, bestAgreement)) {
        best = d;
        bestAgreement = a;
      }
    } else {
      const rank = relevance(a, input) + stageOf(d.reason);
      if (!worst || rank > worstRank) {
        worst = d;
        worstRank = rank;
      }
    }
  }
  return best ?? worst!;
}

/** An agreement naming both agencies explains a refusal better than one naming only one of them. */
function relevance(a: CompiledAgreement, input: DecideInput): number {
  const parties = a[CORE].parties;
  return parties.has(input.from.agencyId) && parties.has(input.to.agencyId) ? 100 : 0;
}

/** Later effective date first, then higher version, then id: deterministic. */
function prefer(a: CompiledAgreement, b: CompiledAgreement): boolean {
  if (a.effectiveFromMs !== b.effectiveFromMs) return a.effectiveFromMs > b.effectiveFromMs;
  if (a.id === b.id) return a.version > b.version;
  return a.id < b.id;
}

interface PairEntry {
  flows: CompiledFlow[];
  plan: RedactionPlan | undefined;
}

/** Status and dates of one version: the first refusal, if any. */
function lifecycleDeny(a: CompiledAgreement, now: number, ref: { agreementId: string; version: number }, which: string): DenyDecision | undefined {
  if (a.status === 'suspended') return deny('AGREEMENT_SUSPENDED', `the agreement is suspended (${which})`, ref);
  if (a.status === 'expired') return deny('ISA_EXPIRED', `the agreement has been expired (${which})`, ref);
  if (a.status !== 'active') return deny('AGREEMENT_NOT_ACTIVE', `the agreement is ${String(a.status)}, not active (${which})`, ref);
  if (now < a.effectiveFromMs) return deny('ISA_NOT_YET_EFFECTIVE', `in force from ${a.doc.effectiveFrom} (${which})`, ref);
  if (now >= a.expiresAtMs) return deny('ISA_EXPIRED', `expired at ${a.doc.expiresAt} (${which})`, ref);
  return undefined;
}

function evaluate(a: CompiledAgreement, input: DecideInput, now: number): Decision {
  const ref = { agreementId: a.id, version: a.version };
  // The agreement as a whole first: a suspended or expired version in force stops every version.
  const current = input.inForce ? input.inForce.get(a.id) : a;
  if (!current) return deny('AGREEMENT_NOT_ACTIVE', `${a.id} has no version in force`, ref);
  const pinnedOlder = current.version !== a.version;
  const whole = pinnedOlder ? lifecycleDeny(current, now, ref, `version ${current.version} in force`) : undefined;
  if (whole) return whole;
  const own = lifecycleDeny(a, now, ref, `version ${a.version}`);
  if (own) return own;

  const core = a[CORE];
  const provider = input.direction === 'request' ? input.to : input.from;
  const recipient = input.direction === 'request' ? input.from : input.to;
  const removed = input.removedParties?.get(a.id);
  if (removed?.has(provider.agencyId) || removed?.has(recipient.agencyId)) {
    const who = removed.has(provider.agencyId) ? provider.agencyId : recipient.agencyId;
    return deny('PARTY_REMOVED', `${who} was removed from ${a.id} by an IG officer`, ref);
  }
  const inForceParties = current[CORE].parties;
  if (!isParty(core.parties.get(provider.agencyId)?.type, provider.agencyType)) {
    return deny('PROVIDER_NOT_SIGNATORY', `${provider.agencyId} is not a party to ${a.id}`, ref);
  }
  if (pinnedOlder && !isParty(inForceParties.get(provider.agencyId)?.type, provider.agencyType)) {
    return deny('PROVIDER_NOT_SIGNATORY', `${provider.agencyId} is not a party to the version of ${a.id} in force`, ref);
  }
  if (!isParty(core.parties.get(recipient.agencyId)?.type, recipient.agencyType)) {
    return deny('RECIPIENT_NOT_SIGNATORY', `${recipient.agencyId} is not a party to ${a.id}`, ref);
  }
  if (pinnedOlder && !isParty(inForceParties.get(recipient.agencyId)?.type, recipient.agencyType)) {
    return deny('RECIPIENT_NOT_SIGNATORY', `${recipient.agencyId} is not a party to the version of ${a.id} in force`, ref);
  }
  if (!core.purposes.has(input.purpose as Purpose)) {
    return deny('PURPOSE_NOT_IN_ISA', `${input.purpose} is not a purpose of ${a.id}`, ref);
  }
  if (input.purpose === 'MARAC_TRANSFER' && !(core.interAreas?.has(input.caseFacts?.maracArea))) {
    return deny('NO_INTER_AREA_AGREEMENT', `${a.id} does not cover MARAC area ${String(input.caseFacts?.maracArea)}`, ref);
  }
  const met = criteriaMet(core.threshold, input.caseFacts?.riskBasis, input.now);
  if (met.length === 0) return deny('MARAC_THRESHOLD_NOT_MET', 'no referral criterion accepted by the agreement is met', ref);

  const key = `${input.direction}|${input.purpose}|${input.from.agencyId}|${input.from.agencyType}|${input.to.agencyId}|${input.to.agencyType}`;
  let entry = core.pairs.get(key) as PairEntry | undefined;
  if (!entry) {
    const flows = core.flows.filter((f) => f.direction === input.direction && f.purposes.has(input.purpose as Purpose)
      && selects(f.from, input.from, core.parties) && selects(f.to, input.to, core.parties));
    entry = { flows, plan: undefined };
    core.pairs.set(key, entry);
  }
  if (entry.flows.length === 0) {
    return deny('NO_FLOW_FOR_PAIR', `no ${input.direction} flow from ${input.from.agencyId} to ${input.to.agencyId} for ${input.purpose}`, ref);
  }
  if (input.subjectRoles) {
    const missing = input.subjectRoles.filter((r) => !entry!.flows.some((f) => !f.roles || f.roles.has(r)));
    if (missing.length > 0) return deny('SUBJECT_ROLE_NOT_ALLOWED', `no flow covers subject role ${missing.join(', ')}`, ref);
  }
  // The plan depends only on the pair, never on the status: safe to share between status copies.
  entry.plan ??= makePlan(a, entry.flows, input.purpose as Purpose, input.direction, input.from, input.to);
  const decision: PermitDecision = {
    effect: 'PERMIT',
    agreementId: a.id,
    version: a.version,
    flowIds: [...entry.plan.flowIds],
    plan: entry.plan,
    criteriaMet: met,
  };
  if (now >= a.reviewByMs) decision.warnings = ['REVIEW_OVERDUE'];
  return decision;
}

function isParty(partyType: AgencyType | undefined, actual: AgencyType): boolean {
  // A party listed under another type is not this agency: fail closed.
  return partyType !== undefined && partyType === actual;
}

function selects(sel: PartySelector, who: PartyRef, parties: ReadonlyMap<string, { type: AgencyType; role?: string }>): boolean {
  if (sel.agency !== undefined) return sel.agency === who.agencyId;
  if (sel.type !== undefined) return sel.type === who.agencyType;
  if (sel.role !== undefined) return parties.get(who.agencyId)?.role === sel.role;
  return false;
}

function deny(reason: DenyReason, detail: string, ref?: { agreementId: string; version: number }): DenyDecision {
  return { effect: 'DENY', reason, detail, ...(ref ?? {}) };
}
