import type { CaseRow, SealedSubjects } from './case-service.js';
import { ageOn } from './release-facts.js';

/**
 * Who a case is about, as its own coordinator may see it on the case page and in the pack: read
 * from the sealed subjects, with the facts judged now (age today, para 18 usable or not). A
 * confidential address is never shown, only that it is confidential: the page is read, printed
 * and downloaded in meetings, and the address stays sealed for the agencies the agreements allow.
 * Only the coordinator's pack carries this (pack-service.ts), audited with the read.
 */

export interface CaseDetailsSubject {
  subjectId: string;
  role: string;
  names: { given?: string[]; family: string; use?: string }[];
  dobs: string[];
  /** Whole years today (the first date of birth), when one is known. */
  ageNow?: number;
  isAdult: boolean;
  sexOrGender?: string;
  relationshipToVictim?: string;
  identifiers: { system: string; value: string }[];
  address: { confidential: true } | { confidential: false; lines: string[]; postcode?: string } | null;
  consent: { status: string; explicitForSpecialCategory: boolean; rationale?: string; decidedBy?: string; decidedAt?: string };
  legal: { art9Conditions: string[]; art10Conditions: string[]; part3Sch8: string[]; careAndSupportNeeds: boolean };
}

export interface CaseDetails {
  localReference?: string;
  dashScore?: number;
  policeCallouts12m?: number;
  lastMaracReferralDate?: string;
  /** As judged now (REPEAT lapses 12 months after the last referral). */
  criteria: string[];
  hasProfessionalJudgementRationale: boolean;
  professionalJudgementRationale?: string;
  subjects: CaseDetailsSubject[];
}

const ROLE_ORDER = ['VICTIM', 'PERPETRATOR', 'CHILD', 'OTHER_ADULT_AT_RISK'];

function isName(v: unknown): v is { given?: string[]; family: string; use?: string } {
  return typeof v === 'object' && v !== null && typeof (v as { family?: unknown }).family === 'string';
}

function addressOf(a: unknown): CaseDetailsSubject['address'] {
  if (typeof a !== 'object' || a === null) return null;
  const x = a as { lines?: unknown; postcode?: unknown; confidential?: unknown };
  if (x.confidential === true) return { confidential: true };
  const lines = Array.isArray(x.lines) ? x.lines.filter((l): l is string => typeof l === 'string') : [];
  return { confidential: false, lines, ...(typeof x.postcode === 'string' ? { postcode: x.postcode } : {}) };
}

export function caseDetails(theCase: Pick<CaseRow, 'riskBasis' | 'subjectFacts'>, sealed: SealedSubjects & { externalRef?: string }, now: Date): CaseDetails {
  const facts = new Map(theCase.subjectFacts.map((f) => [f.subjectId, f]));
  const rb = theCase.riskBasis as CaseRow['riskBasis'] & { hasRationale?: boolean };
  const subjects = sealed.subjects
    .map((s): CaseDetailsSubject => {
      const f = facts.get(s.subjectId);
      const dobs = Array.isArray(s.dobs) ? s.dobs : [];
      return {
        subjectId: s.subjectId,
        role: s.role,
        names: (Array.isArray(s.names) ? s.names : []).filter(isName),
        dobs,
        ...(dobs[0] ? { ageNow: ageOn(dobs[0], now) } : {}),
        isAdult: f?.isAdult ?? true,
        ...(s.sexOrGender ? { sexOrGender: s.sexOrGender } : {}),
        ...(s.relationshipToVictim ? { relationshipToVictim: s.relationshipToVictim } : {}),
        identifiers: (s.identifiers ?? []).map((i) => ({ system: i.system, value: i.value })),
        // The flag the answers may have raised since (answer-store.ts) counts as well as the form's.
        address: f?.addressConfidential ? { confidential: true } : addressOf(s.address),
        consent: {
          status: s.consent.status,
          explicitForSpecialCategory: s.consent.explicitForSpecialCategory === true,
          ...(s.consent.rationale ? { rationale: s.consent.rationale } : {}),
          ...(s.consent.decidedBy ? { decidedBy: s.consent.decidedBy } : {}),
          ...(s.consent.decidedAt ? { decidedAt: s.consent.decidedAt } : {}),
        },
        legal: {
          art9Conditions: s.legal.art9Conditions ?? [],
          art10Conditions: s.legal.art10Conditions ?? [],
          part3Sch8: s.legal.part3Sch8 ?? [],
          careAndSupportNeeds: s.legal.careAndSupportNeeds === true,
        },
      };
    })
    .sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role));
  return {
    ...(sealed.externalRef ? { localReference: sealed.externalRef } : {}),
    ...(rb.dashScore !== undefined ? { dashScore: rb.dashScore } : {}),
    ...(rb.policeCallouts12m !== undefined ? { policeCallouts12m: rb.policeCallouts12m } : {}),
    ...(rb.lastMaracReferralDate ? { lastMaracReferralDate: rb.lastMaracReferralDate } : {}),
    criteria: rb.criteria,
    hasProfessionalJudgementRationale: !!sealed.professionalJudgementRationale,
    ...(sealed.professionalJudgementRationale ? { professionalJudgementRationale: sealed.professionalJudgementRationale } : {}),
    subjects,
  };
}
