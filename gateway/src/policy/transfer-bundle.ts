/**
 * R10: what one MARAC coordinator may send another on a MARAC-to-MARAC transfer: the minutes
 * summary, the action plan, the risk basis and previous referral dates; never raw agency research.
 *
 * The message schemas have no transfer bundle yet, so the policy catalog adds these top-level
 * fields itself (only where the schemas' catalog does not already define the path). Tags follow
 * the canonical model: free text is FT, opinions OPN, police call-out counts CO.
 */
import type { FieldInfo } from './types.js';

const f = (path: string, type: FieldInfo['type'], sensitivity: FieldInfo['sensitivity'] = [], extra: Partial<FieldInfo> = {}): FieldInfo =>
  Object.freeze({ path, type, sensitivity, clinicalNarrative: false, ...extra });

export const TRANSFER_BUNDLE_FIELDS: readonly FieldInfo[] = [
  f('minutesSummary', 'string', ['OPN', 'FT']),
  f('actionPlan', 'array', [], { itemType: 'object' }),
  f('actionPlan[].description', 'string', ['FT']),
  f('actionPlan[].ownerAgencyId', 'string'),
  f('actionPlan[].dueBy', 'date'),
  f('actionPlan[].status', 'string', [], { enum: ['OPEN', 'DONE', 'NOT_POSSIBLE_CHANGE', 'NOT_DONE_AGENCY'] }),
  f('riskBasis', 'object'),
  f('riskBasis.criteria', 'array', [], {
    itemType: 'string', enum: ['VISIBLE_HIGH_RISK', 'PROFESSIONAL_JUDGEMENT', 'POTENTIAL_ESCALATION', 'REPEAT'],
  }),
  f('riskBasis.dashScore', 'integer', ['OPN']),
  f('riskBasis.policeCallouts12m', 'integer', ['CO']),
  f('riskBasis.riskLevel', 'string', ['OPN'], { enum: ['STANDARD', 'MEDIUM', 'HIGH'] }),
  f('lastMaracReferralDate', 'date'),
  f('previousReferralDates', 'array', [], { itemType: 'date' }),
  f('fromMaracArea', 'string'),
];
