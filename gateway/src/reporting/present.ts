/** The data return as the API answers it, and agency-type names in words. Pure. */
import { AGENCY_TYPES } from '../ui/labels.js';
import type { DataReturn } from './data-return.js';

export function agencyTypeLabel(t: string): string {
  if (t === 'NONE') return 'No referral recorded (opened by the coordinator)';
  return AGENCY_TYPES[t] ?? t.replaceAll('_', ' ').toLowerCase().replace(/^./, (x) => x.toUpperCase());
}

export function dataReturnJson(r: DataReturn) {
  return {
    maracArea: r.maracArea,
    coordinatorAgencyId: r.coordinatorAgencyId,
    quarter: r.quarter.id,
    periodStart: r.quarter.firstDay,
    periodEnd: r.quarter.lastDay,
    casesDiscussed: r.casesDiscussed,
    repeatCases: r.repeatCases,
    childrenInHouseholds: r.childrenInHouseholds,
    victimsAged16To17: r.victimsAged16To17,
    victimsBme: r.victimsBme,
    victimsLgbt: r.victimsLgbt,
    victimsDisabled: r.victimsDisabled,
    victimsMale: r.victimsMale,
    byReferringAgencyType: r.byReferringAgencyType,
  };
}
