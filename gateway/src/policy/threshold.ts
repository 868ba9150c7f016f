/**
 * The MARAC referral threshold (domain-marac.md §1.2): a case qualifies on any criterion the
 * agreement accepts AND the case facts substantiate. A criterion merely ticked does not count:
 * visible high risk needs the Dash score, professional judgement a recorded rationale, potential
 * escalation the call-out count, repeat a previous referral within the window.
 */
import { withinLastMonths } from './dates.js';
import type { CaseThreshold, RiskBasis, RiskCriterion } from './types.js';

export const THRESHOLD_DEFAULTS = { minDashScore: 14, minPoliceCallouts12m: 3, repeatWithinMonths: 12 } as const;

export type ResolvedThreshold = { criteria: ReadonlySet<RiskCriterion> } & {
  minDashScore: number; minPoliceCallouts12m: number; repeatWithinMonths: number;
};

export function resolveThreshold(t: CaseThreshold): ResolvedThreshold {
  return {
    criteria: new Set(t.criteria),
    minDashScore: t.minDashScore ?? THRESHOLD_DEFAULTS.minDashScore,
    minPoliceCallouts12m: t.minPoliceCallouts12m ?? THRESHOLD_DEFAULTS.minPoliceCallouts12m,
    repeatWithinMonths: t.repeatWithinMonths ?? THRESHOLD_DEFAULTS.repeatWithinMonths,
  };
}

/** The criteria this case meets under this agreement (empty: threshold not met). */
export function criteriaMet(t: ResolvedThreshold, rb: RiskBasis | undefined, now: Date): RiskCriterion[] {
  if (!rb || typeof rb !== 'object') return [];
  const met: RiskCriterion[] = [];
  if (t.criteria.has('VISIBLE_HIGH_RISK') && isInt(rb.dashScore) && rb.dashScore >= t.minDashScore) {
    met.push('VISIBLE_HIGH_RISK');
  }
  if (t.criteria.has('PROFESSIONAL_JUDGEMENT') && Array.isArray(rb.criteria) && rb.criteria.includes('PROFESSIONAL_JUDGEMENT')
    && typeof rb.professionalJudgementRationale === 'string' && rb.professionalJudgementRationale.trim().length > 0) {
    met.push('PROFESSIONAL_JUDGEMENT');
  }
  if (t.criteria.has('POTENTIAL_ESCALATION') && isInt(rb.policeCallouts12m) && rb.policeCallouts12m >= t.minPoliceCallouts12m) {
    met.push('POTENTIAL_ESCALATION');
  }
  if (t.criteria.has('REPEAT') && typeof rb.lastMaracReferralDate === 'string'
    && withinLastMonths(rb.lastMaracReferralDate, now, t.repeatWithinMonths)) {
    met.push('REPEAT');
  }
  return met;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}
