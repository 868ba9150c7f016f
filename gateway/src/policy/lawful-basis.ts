/**
 * R3: special-category data about a subject moves only on a condition recorded for THAT subject
 * and relied on by the agreement. DPA 2018 Sch 1 para 18 (and its Part 3 mirror, Sch 8 para 4)
 * covers children and adults "at risk", which for an adult means care and support needs: a
 * capacitous adult victim without them cannot rely on it (domain-marac.md §3.2).
 */
import type { AgencyType } from '../identity/principal.js';
import type { LawfulBasis, SubjectFacts } from './types.js';

export interface SpecialCategoryRules {
  /** Recipient types that may rely on Part 3 Sch 8 conditions (competent authorities). */
  sch8Recipients: ReadonlySet<AgencyType>;
  /** Conditions that need a child, or an adult with care and support needs. */
  safeguardingConditions: ReadonlySet<string>;
  /** Conditions that need consent GIVEN with explicit consent for special-category data. */
  explicitConsentConditions: ReadonlySet<string>;
}

export type ConditionAssessment =
  | { ok: true; conditions: string[] }
  | { ok: false; reason: 'NO_ART9_CONDITION' | 'NO_ART10_CONDITION' | 'P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS'; rejected: { condition: string; reason: string }[] };

export function assessSpecialCategory(
  subject: SubjectFacts,
  recipientType: AgencyType,
  basis: Pick<LawfulBasis, 'article9' | 'part3Sch8'>,
  rules: SpecialCategoryRules,
): ConditionAssessment {
  return assess(subject.art9Conditions ?? [], basis.article9, subject, recipientType, basis.part3Sch8, rules, 'NO_ART9_CONDITION');
}

/**
 * Art 10 (criminal offence data, `CO` fields) the way Art 9 works for `SC`: a condition recorded
 * for THAT subject and relied on by the agreement (DPA 2018 s.10(5): the Sch 1 conditions), or,
 * for a competent authority, a Part 3 Sch 8 condition. Para 18 needs a child or an adult with
 * care and support needs here too.
 */
export function assessCriminalOffence(
  subject: SubjectFacts,
  recipientType: AgencyType,
  basis: Pick<LawfulBasis, 'article10' | 'part3Sch8'>,
  rules: SpecialCategoryRules,
): ConditionAssessment {
  return assess(subject.art10Conditions ?? [], basis.article10 ?? [], subject, recipientType, basis.part3Sch8, rules, 'NO_ART10_CONDITION');
}

function assess(
  recorded: readonly string[],
  relied: readonly string[],
  subject: SubjectFacts,
  recipientType: AgencyType,
  sch8Relied: readonly string[],
  rules: SpecialCategoryRules,
  missing: 'NO_ART9_CONDITION' | 'NO_ART10_CONDITION',
): ConditionAssessment {
  const offered: string[] = [];
  for (const c of recorded) if (relied.includes(c)) offered.push(c);
  if (rules.sch8Recipients.has(recipientType)) {
    for (const c of subject.part3Sch8 ?? []) if (sch8Relied.includes(c)) offered.push(c);
  }
  const accepted: string[] = [];
  const rejected: { condition: string; reason: string }[] = [];
  for (const c of offered) {
    if (rules.safeguardingConditions.has(c) && subject.isAdult && subject.careAndSupportNeeds !== true) {
      rejected.push({ condition: c, reason: 'P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS' });
    } else if (rules.explicitConsentConditions.has(c)
      && !(subject.consentStatus === 'GIVEN' && subject.explicitConsentForSpecialCategory === true)) {
      rejected.push({ condition: c, reason: 'NO_EXPLICIT_CONSENT' });
    } else {
      accepted.push(c);
    }
  }
  if (accepted.length > 0) return { ok: true, conditions: accepted };
  const p18 = rejected.some((r) => r.reason === 'P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS');
  return { ok: false, reason: p18 ? 'P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS' : missing, rejected };
}

/**
 * For the exchange, when a coordinator records conditions on a subject: which of them cannot
 * stand (so the UI can reject DPA_SCH1_P18 for an adult without care and support needs up front).
 */
export function rejectedSubjectConditions(
  subject: Pick<SubjectFacts, 'art9Conditions' | 'part3Sch8' | 'isAdult' | 'careAndSupportNeeds'>,
  rules: Pick<SpecialCategoryRules, 'safeguardingConditions'>,
): { condition: string; reason: 'P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS' }[] {
  if (!subject.isAdult || subject.careAndSupportNeeds) return [];
  return [...(subject.art9Conditions ?? []), ...(subject.part3Sch8 ?? [])]
    .filter((c) => rules.safeguardingConditions.has(c))
    .map((condition) => ({ condition, reason: 'P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS' as const }));
}
