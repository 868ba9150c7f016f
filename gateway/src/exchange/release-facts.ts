/**
 * A subject's legal facts as they stand at the moment of a release (issue 12, class 2).
 *
 * Age, adult or child status, the Art 9 / Art 10 / Sch 8 conditions, care and support needs and
 * consent are judged from the case as it is NOW, never copied when the case was opened: a victim
 * of 17 sharing health data under DPA 2018 Sch 1 para 18 stops doing so on her 18th birthday
 * unless she has care and support needs, and a condition the coordinator withdraws stops the
 * next release. The case reader (case-service.ts) calls this on every read, so no release path
 * can see frozen facts; the guardrails then withhold with their own reason codes
 * (P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS, NO_ART9_CONDITION, NO_ART10_CONDITION).
 *
 * The plaintext `cases.subject_facts` column keeps only what does not depend on time (role,
 * conditions, consent status, the confidential-address flag). Dates of birth stay sealed: they are
 * read from the sealed subjects here and never leave this module.
 *
 * A subject recorded as CHILD who turns 18 keeps the CHILD role (the case's flows and the child
 * date-of-birth guardrail still protect them as a child), but is an adult in law: para 18 then
 * needs care and support needs, as for any adult. Both choices are the protective ones.
 * (docs/decisions/0015-legal-facts-at-release.md)
 */
import { withinLastMonths } from '../policy/dates.js';
import { THRESHOLD_DEFAULTS } from '../policy/threshold.js';
import type { RiskBasis, SubjectFacts } from './ports.js';

/** What the sealed box holds about one subject's legal position (see case-service.ts). */
export interface SealedLegalSubject {
  subjectId: string;
  role: SubjectFacts['role'];
  dobs?: string[];
  consent: { status: string; explicitForSpecialCategory?: boolean };
  legal: { art9Conditions?: string[]; art10Conditions?: string[]; part3Sch8?: string[]; careAndSupportNeeds: boolean };
}

/** The time-independent part, as stored in `cases.subject_facts`. Older rows also carry a frozen `isAdult`: ignored. */
export type StoredSubjectFacts = Omit<SubjectFacts, 'isAdult'> & { isAdult?: boolean };

const londonDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });

/** Age in whole years on the London calendar date of `at` (a birthday starts at midnight in England). */
export function ageOn(dob: string, at: Date): number {
  const [y, m, d] = londonDay.format(at).split('-').map(Number) as [number, number, number];
  const [by, bm, bd] = dob.split('-').map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

/**
 * Possibly an adult in law at `at`: any recorded date of birth makes them 18 or more. Without one,
 * a CHILD is taken to be a child and anyone else an adult, as the coordinator recorded them. When
 * recorded dates disagree the protective reading is taken each way: an adult for DPA Sch 1 para 18
 * (which then needs care and support needs) and, through `mayBeChildAt`, a child for the child
 * date-of-birth guardrail (decision 0015).
 */
export function isAdultAt(role: SubjectFacts['role'], dobs: readonly string[] | undefined, at: Date): boolean {
  if (!dobs || dobs.length === 0) return role !== 'CHILD';
  return dobs.some((dob) => ageOn(dob, at) >= 18);
}

/** Possibly a child at `at`: recorded as CHILD, or any recorded date of birth makes them under 18. */
export function mayBeChildAt(role: SubjectFacts['role'], dobs: readonly string[] | undefined, at: Date): boolean {
  return role === 'CHILD' || (dobs ?? []).some((dob) => ageOn(dob, at) < 18);
}

/** The facts the policy engine gets for one subject at `at`. No sealed record: no condition at all (fail closed). */
export function judgeSubjectFacts(stored: StoredSubjectFacts, sealed: SealedLegalSubject | undefined, at: Date): SubjectFacts {
  const { isAdult: _frozen, ...base } = stored;
  if (!sealed) {
    return { ...base, art9Conditions: [], art10Conditions: [], part3Sch8: [], careAndSupportNeeds: false, explicitConsentForSpecialCategory: false, isAdult: true, mayBeChild: true };
  }
  return {
    ...base,
    role: sealed.role,
    art9Conditions: sealed.legal.art9Conditions ?? [],
    art10Conditions: sealed.legal.art10Conditions ?? [],
    part3Sch8: sealed.legal.part3Sch8 ?? [],
    careAndSupportNeeds: sealed.legal.careAndSupportNeeds === true,
    consentStatus: sealed.consent.status,
    explicitConsentForSpecialCategory: sealed.consent.explicitForSpecialCategory === true,
    isAdult: isAdultAt(sealed.role, sealed.dobs, at),
    mayBeChild: mayBeChildAt(sealed.role, sealed.dobs, at),
  };
}

/**
 * The referral criteria as they stand at `at`: REPEAT (a referral within 12 months of the last)
 * holds only while the last referral is inside the window, whatever was ticked or inferred when
 * the case was opened. The threshold check (policy/threshold.ts) judges the date itself; this keeps
 * what recipients are told about the case in step with it.
 */
export function judgeRiskBasis(rb: RiskBasis, at: Date): RiskBasis {
  const repeat = typeof rb.lastMaracReferralDate === 'string'
    && withinLastMonths(rb.lastMaracReferralDate, at, THRESHOLD_DEFAULTS.repeatWithinMonths);
  const criteria = rb.criteria.filter((c) => c !== 'REPEAT');
  if (repeat) criteria.push('REPEAT');
  return { ...rb, criteria };
}

/**
 * DPA 2018 Sch 1 para 18 conditions recorded for an adult without care and support needs: refused
 * when they are recorded (case opened, legal facts edited). Sch 8 para 4 is left to the run-time
 * guardrail, which already refuses it for such an adult at each release.
 */
export function unavailableConditions(
  s: Pick<SealedLegalSubject, 'role' | 'dobs' | 'legal'>,
  at: Date,
): { list: 'art9Conditions' | 'art10Conditions'; condition: string }[] {
  if (!isAdultAt(s.role, s.dobs, at) || s.legal.careAndSupportNeeds) return [];
  const out: { list: 'art9Conditions' | 'art10Conditions'; condition: string }[] = [];
  for (const list of ['art9Conditions', 'art10Conditions'] as const) {
    for (const condition of s.legal[list] ?? []) if (condition === 'DPA_SCH1_P18') out.push({ list, condition });
  }
  return out;
}
