/**
 * Judging a referral against its area's criteria (criteria-config.ts). Pure: the caller passes the
 * computed Dash score, the claims with their evidence, the repeat matches and the time.
 *
 * Each result carries its reason in words ("Dash score 10 is below 14 for visible high risk"),
 * shown to the coordinator at intake and to the referrer when a referral is returned. A referral
 * that meets no criterion cannot be accepted: no case is opened that no agency could research.
 */
import type { ProblemDetail } from '../errors.js';
import { withinLastMonths } from '../policy/dates.js';
import type { RiskBasis, RiskCriterion } from '../policy/types.js';
import type { Criterion } from './criteria-config.js';
import { DASH_VERSION } from './dash.js';

/** What the referrer claims, with the evidence its kind needs (schemas/referral.schema.json). */
export interface CriterionClaim {
  id: string;
  rationale?: string;
  policeCallouts12m?: number;
  confirmed?: boolean;
  lastMaracReferralDate?: string;
}

export interface RepeatLink {
  caseId: string;
  status: 'PENDING' | 'CONFIRMED' | 'REJECTED';
  /** When the earlier case was opened (ISO): the date of the last referral. */
  caseOpenedAt: string;
}

export interface CriterionResult {
  id: string;
  title: string;
  kind: Criterion['kind'];
  caseCriterion: RiskCriterion;
  claimed: boolean;
  met: boolean;
  reason: string;
}

const EVIDENCE: Record<Criterion['kind'], readonly string[]> = {
  dashScore: [],
  judgement: ['rationale'],
  policeCallouts: ['policeCallouts12m'],
  repeat: ['lastMaracReferralDate'],
  confirmation: ['confirmed', 'rationale'],
};

const blank = (s: string | undefined) => typeof s !== 'string' || s.trim().length === 0;

/**
 * Problems with the claims as submitted: a criterion the area does not have, one claimed twice,
 * missing evidence, or evidence that belongs to another kind. Paths point into `/criteria`.
 */
export function claimProblems(criteria: readonly Criterion[], claims: readonly CriterionClaim[], today: string): ProblemDetail[] {
  const problems: ProblemDetail[] = [];
  const seen = new Set<string>();
  claims.forEach((claim, i) => {
    const at = `/criteria/${i}`;
    const c = criteria.find((x) => x.id === claim.id);
    if (!c) {
      problems.push({ path: `${at}/id`, code: 'CRITERION_UNKNOWN', message: `not a referral criterion in this area (${criteria.map((x) => x.id).join(', ')})` });
      return;
    }
    if (seen.has(c.id)) problems.push({ path: `${at}/id`, code: 'CRITERION_DUPLICATE', message: 'each criterion can be claimed once' });
    seen.add(c.id);
    for (const k of Object.keys(claim)) {
      if (k !== 'id' && !EVIDENCE[c.kind].includes(k)) {
        problems.push({ path: `${at}/${k}`, code: 'EVIDENCE_NOT_FOR_CRITERION', message: `${c.title} does not take ${k}` });
      }
    }
    if ((c.kind === 'judgement' || (c.kind === 'confirmation' && c.requiresRationale)) && blank(claim.rationale)) {
      problems.push({ path: `${at}/rationale`, code: 'RATIONALE_REQUIRED', message: `${c.title} needs the reasons for it` });
    }
    if (c.kind === 'confirmation' && claim.confirmed !== true) {
      problems.push({ path: `${at}/confirmed`, code: 'CONFIRMATION_REQUIRED', message: `${c.title} needs its box ticked: ${c.confirm}` });
    }
    if (c.kind === 'policeCallouts' && claim.policeCallouts12m === undefined) {
      problems.push({ path: `${at}/policeCallouts12m`, code: 'CALLOUTS_REQUIRED', message: `${c.title} needs the number of police call-outs in the last ${c.withinMonths} months` });
    }
    if (c.kind === 'repeat' && claim.lastMaracReferralDate !== undefined && claim.lastMaracReferralDate > today) {
      problems.push({ path: `${at}/lastMaracReferralDate`, code: 'range', message: 'the last referral cannot be in the future' });
    }
  });
  return problems;
}

const LONDON_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });
/** The London calendar date of an instant, YYYY-MM-DD (a case opened at 00:30 BST is opened that day). */
export const londonDay = (iso: string): string => LONDON_DAY.format(new Date(iso));

const londonDate = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric' });

function judge(c: Criterion, claim: CriterionClaim | undefined, input: EvaluationInput): Omit<CriterionResult, 'id' | 'title' | 'kind' | 'caseCriterion' | 'claimed'> {
  const what = c.title.toLowerCase();
  switch (c.kind) {
    case 'dashScore':
      // The score speaks for itself: a high score meets the criterion whether it was ticked or not.
      return input.score >= c.minScore
        ? { met: true, reason: `Dash score ${input.score} is ${c.minScore} or more: ${what}` }
        : { met: false, reason: `Dash score ${input.score} is below ${c.minScore} for ${what}` };
    case 'judgement':
      return claim && !blank(claim.rationale)
        ? { met: true, reason: `${c.title}: the referrer gave their reasons` }
        : { met: false, reason: `${c.title} was not claimed` };
    case 'policeCallouts': {
      if (!claim || claim.policeCallouts12m === undefined) return { met: false, reason: `${c.title} was not claimed` };
      const n = claim.policeCallouts12m;
      const calls = `${n} police call-out${n === 1 ? '' : 's'} in ${c.withinMonths} months`;
      return n >= c.minCallouts
        ? { met: true, reason: `${calls}: ${c.minCallouts} or more for ${what}` }
        : { met: false, reason: `${calls} is below ${c.minCallouts} for ${what}` };
    }
    case 'repeat': {
      const inWindow = input.repeats.filter((r) => withinLastMonths(londonDay(r.caseOpenedAt), input.now, c.withinMonths));
      const confirmed = inWindow.filter((r) => r.status === 'CONFIRMED').sort((a, b) => b.caseOpenedAt.localeCompare(a.caseOpenedAt))[0];
      if (confirmed) {
        return { met: true, reason: `Repeat confirmed: an earlier case was opened on ${londonDate.format(new Date(confirmed.caseOpenedAt))}, within ${c.withinMonths} months` };
      }
      if (inWindow.some((r) => r.status === 'PENDING')) return { met: false, reason: 'A possible earlier case was found: confirm or reject the match' };
      return claim
        ? { met: false, reason: `The referrer says this is a repeat, but no earlier case within ${c.withinMonths} months has been confirmed` }
        : { met: false, reason: `No earlier case within ${c.withinMonths} months` };
    }
    case 'confirmation':
      return claim && claim.confirmed === true && (!c.requiresRationale || !blank(claim.rationale))
        ? { met: true, reason: `${c.title}: confirmed by the referrer with their reasons` }
        : { met: false, reason: `${c.title} was not claimed` };
  }
}

export interface EvaluationInput {
  score: number;
  claims: readonly CriterionClaim[];
  repeats: readonly RepeatLink[];
  now: Date;
}

/** Every criterion of the area, met or not, with its reason. */
export function evaluateCriteria(criteria: readonly Criterion[], input: EvaluationInput): CriterionResult[] {
  return criteria.map((c) => {
    const claim = input.claims.find((x) => x.id === c.id);
    return { id: c.id, title: c.title, kind: c.kind, caseCriterion: c.caseCriterion, claimed: !!claim, ...judge(c, claim, input) };
  });
}

/**
 * The risk basis of the case an accepted referral opens: only criteria met, each with the facts
 * the agreements' thresholds check (policy/threshold.ts). The reasons of professional judgement
 * and of an area's own criteria become the case's professional judgement rationale.
 */
export function caseRiskBasis(results: readonly CriterionResult[], input: EvaluationInput, criteria: readonly Criterion[]): RiskBasis {
  const met = results.filter((r) => r.met);
  const criteriaOut = [...new Set(met.map((r) => r.caseCriterion))];
  const rb: RiskBasis = { criteria: criteriaOut, dashScore: input.score, dashVersion: DASH_VERSION } as RiskBasis;
  const escalation = met.find((r) => r.kind === 'policeCallouts');
  if (escalation) rb.policeCallouts12m = input.claims.find((c) => c.id === escalation.id)?.policeCallouts12m;
  const repeat = met.find((r) => r.kind === 'repeat');
  if (repeat) {
    const windowMonths = (criteria.find((c) => c.id === repeat.id) as { withinMonths?: number } | undefined)?.withinMonths ?? 12;
    const last = input.repeats
      .filter((r) => r.status === 'CONFIRMED' && withinLastMonths(londonDay(r.caseOpenedAt), input.now, windowMonths))
      .map((r) => londonDay(r.caseOpenedAt)).sort().at(-1);
    if (last) rb.lastMaracReferralDate = last;
  }
  const reasons = met
    .filter((r) => r.caseCriterion === 'PROFESSIONAL_JUDGEMENT')
    .map((r) => {
      const why = input.claims.find((c) => c.id === r.id)?.rationale?.trim() ?? '';
      return r.kind === 'judgement' ? why : `${r.title}: ${why}`;
    })
    .filter(Boolean);
  if (reasons.length > 0) rb.professionalJudgementRationale = reasons.join('\n\n').slice(0, 4000);
  return rb;
}
