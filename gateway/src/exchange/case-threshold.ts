import { GatewayError, type ProblemDetail } from '../errors.js';
import { withinLastMonths } from '../policy/dates.js';
import { criteriaMet, resolveThreshold, THRESHOLD_DEFAULTS } from '../policy/threshold.js';
import type { RiskBasis, RiskCriterion } from '../policy/types.js';

/**
 * The MARAC threshold checked when a case is opened: a case that meets none of the four SafeLives
 * criteria would be refused by every agency (MARAC_THRESHOLD_NOT_MET) with nothing researched, so
 * it is refused here instead, with each criterion's reason in words. The rules are the policy
 * engine's own (policy/threshold.ts), so what opens here is what a research request accepts.
 */
export class ThresholdNotMet extends GatewayError {
  readonly code = 'THRESHOLD_NOT_MET';
  readonly status = 422;
}

const ALL: RiskCriterion[] = ['VISIBLE_HIGH_RISK', 'PROFESSIONAL_JUDGEMENT', 'POTENTIAL_ESCALATION', 'REPEAT'];
const DEFAULTS = resolveThreshold({ criteria: ALL });

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Why a criterion the referral claims (or gives evidence for) is not met, in words. */
function notMetReasons(rb: RiskBasis, now: Date): ProblemDetail[] {
  const ticked = new Set(Array.isArray(rb.criteria) ? rb.criteria : []);
  const out: ProblemDetail[] = [];
  const { minDashScore, minPoliceCallouts12m, repeatWithinMonths } = THRESHOLD_DEFAULTS;
  if (ticked.has('VISIBLE_HIGH_RISK') || rb.dashScore !== undefined) {
    out.push({
      path: '/riskBasis/dashScore', code: 'NOT_MET',
      message: rb.dashScore === undefined
        ? 'Visible high risk needs a Dash score'
        : `Dash score ${rb.dashScore} is below ${minDashScore} for visible high risk`,
    });
  }
  if (ticked.has('PROFESSIONAL_JUDGEMENT')) {
    out.push({ path: '/riskBasis/professionalJudgementRationale', code: 'NOT_MET', message: 'Professional judgement needs the reasons for it' });
  }
  if (ticked.has('POTENTIAL_ESCALATION') || rb.policeCallouts12m !== undefined) {
    out.push({
      path: '/riskBasis/policeCallouts12m', code: 'NOT_MET',
      message: rb.policeCallouts12m === undefined
        ? 'Potential escalation needs the number of police call-outs in the last 12 months'
        : `${plural(rb.policeCallouts12m, 'police call-out')} in 12 months is below ${minPoliceCallouts12m} for potential escalation`,
    });
  }
  if (ticked.has('REPEAT') || rb.lastMaracReferralDate !== undefined) {
    out.push({
      path: '/riskBasis/lastMaracReferralDate', code: 'NOT_MET',
      message: rb.lastMaracReferralDate === undefined || withinLastMonths(rb.lastMaracReferralDate, now, repeatWithinMonths)
        ? 'A repeat needs the date of the last MARAC referral'
        : `The last MARAC referral, on ${rb.lastMaracReferralDate}, is more than ${repeatWithinMonths} months ago: not a repeat`,
    });
  }
  if (out.length === 0) out.push({ path: '/riskBasis/criteria', code: 'NOT_MET', message: 'No referral criterion was given' });
  return out;
}

/** Throws ThresholdNotMet unless at least one criterion holds on the facts given. */
export function assertThresholdMet(rb: RiskBasis, now: Date): void {
  if (criteriaMet(DEFAULTS, rb, now).length > 0) return;
  throw new ThresholdNotMet('The case meets no MARAC referral criterion, so no agency could research it', { problems: notMetReasons(rb, now) });
}
