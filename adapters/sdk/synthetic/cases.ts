/**
 * Cases built from the synthetic population, as a MARAC coordinator would enter them: the
 * household's victim, perpetrator and children with the names, dates of birth and identifiers the
 * coordinator knows. Used by the demo, the end-to-end tests and the benchmark, so a research round
 * over the synthetic data finds real (fictional) records in every adapter.
 */
import type { Household, Population, SynthPerson } from './population.js';
import type { Truth } from './output.js';
import type { RequestSubject, SubjectRole } from '../types.js';

export interface CaseSubjectBody {
  key: string;
  role: SubjectRole;
  names: { given: string[]; family: string; use: 'official' | 'alias' | 'maiden' | 'preferred' }[];
  dobs: string[];
  sexOrGender: 'F' | 'M';
  identifiers: { system: 'nhs-number' | 'pnc-id' | 'la-child-id'; value: string; verified?: boolean }[];
  address?: { lines: string[]; postcode: string; uprn: string; confidential: boolean };
  relationshipToVictim: string;
  consent: { status: string; explicitForSpecialCategory: boolean; rationale?: string; decidedBy?: string; decidedAt?: string };
  legal: { art9Conditions: string[]; art10Conditions?: string[]; part3Sch8?: string[]; careAndSupportNeeds: boolean };
}

function names(p: SynthPerson): CaseSubjectBody['names'] {
  return [
    { given: p.given, family: p.family, use: 'official' },
    ...p.aliases.map((a) => ({ given: a.given ?? p.given, family: a.family ?? p.family, use: (a.use === 'maiden' ? 'maiden' : a.use === 'preferred' ? 'preferred' : 'alias') as 'maiden' | 'preferred' | 'alias' })),
  ];
}

/** Sharing without consent needs who decided and when (the case schema requires both). */
const DECIDED = { decidedBy: 'Synthetic MARAC coordinator', decidedAt: '2026-01-05' } as const;

/** The subjects of a household's case (victim `v1`, perpetrator `p1`, children `c1`, `c2`...). */
export function caseSubjects(pop: Population, h: Household, opts: { maxChildren?: number } = {}): CaseSubjectBody[] {
  const get = (id: string) => pop.byId.get(id)!;
  const v = get(h.victimId);
  const p = get(h.perpetratorId);
  const s = h.story;
  const subjects: CaseSubjectBody[] = [
    {
      key: 'v1', role: 'VICTIM', names: names(v), dobs: [v.dob], sexOrGender: v.sex,
      identifiers: [{ system: 'nhs-number', value: v.nhsNumber, verified: true }, ...(v.pncId ? [{ system: 'pnc-id' as const, value: v.pncId }] : [])],
      address: { lines: [...v.address.lines, v.address.town], postcode: v.address.postcode, uprn: v.address.uprn, confidential: v.addressConfidential },
      relationshipToVictim: 'SELF',
      consent: { status: 'NOT_SOUGHT_UNSAFE', explicitForSpecialCategory: false, rationale: 'Asking would alert the perpetrator (synthetic case).', ...DECIDED },
      legal: { art9Conditions: ['DPA_SCH1_P10'], art10Conditions: ['DPA_SCH1_P10'], part3Sch8: ['SCH8_P4'], careAndSupportNeeds: s.victimHasCareNeeds },
    },
    {
      key: 'p1', role: 'PERPETRATOR', names: names(p), dobs: [p.dob, ...p.altDobs.filter((d) => d !== p.dob)].slice(0, 5), sexOrGender: p.sex,
      identifiers: [{ system: 'nhs-number', value: p.nhsNumber }, ...(p.pncId ? [{ system: 'pnc-id' as const, value: p.pncId }] : [])],
      relationshipToVictim: s.relationship,
      consent: { status: 'NOT_SOUGHT_UNSAFE', explicitForSpecialCategory: false, rationale: 'Seeking his consent would put the victim at risk (synthetic case).', ...DECIDED },
      legal: { art9Conditions: ['DPA_SCH1_P10'], art10Conditions: ['DPA_SCH1_P10'], part3Sch8: ['SCH8_P4'], careAndSupportNeeds: false },
    },
  ];
  h.childIds.slice(0, opts.maxChildren ?? 4).forEach((id, i) => {
    const c = get(id);
    subjects.push({
      key: `c${i + 1}`, role: 'CHILD', names: names(c), dobs: [c.dob], sexOrGender: c.sex,
      identifiers: [{ system: 'nhs-number', value: c.nhsNumber }, ...(c.laChildId ? [{ system: 'la-child-id' as const, value: c.laChildId }] : [])],
      relationshipToVictim: 'CHILD_OF_VICTIM',
      consent: { status: 'NOT_SOUGHT_OTHER', explicitForSpecialCategory: false, rationale: 'A child; shared to safeguard them (synthetic case).', ...DECIDED },
      legal: { art9Conditions: ['DPA_SCH1_P18'], art10Conditions: ['DPA_SCH1_P10'], careAndSupportNeeds: false },
    });
  });
  return subjects;
}

/** A `POST /v1/cases` body for a household. */
export function caseBody(pop: Population, h: Household, opts: { maracArea?: string; meetingDate: string; maxChildren?: number }): Record<string, unknown> {
  const s = h.story;
  return {
    maracArea: opts.maracArea ?? 'essex',
    meetingDate: opts.meetingDate,
    isEmergency: false,
    externalRef: `SYN-${h.householdId}`,
    riskBasis: {
      criteria: s.severity >= 2 ? ['VISIBLE_HIGH_RISK'] : ['PROFESSIONAL_JUDGEMENT'],
      ...(s.severity >= 2 ? { dashScore: 12 + s.severity * 2, dashVersion: 'SAFELIVES_24Q' } : { professionalJudgementRationale: 'Escalating pattern reported by the IDVA (synthetic case).' }),
    },
    subjects: caseSubjects(pop, h, opts),
  };
}

/** Subjects as an inbox message shows them (for unit tests that do not go through a gateway). */
export function inboxSubjects(pop: Population, h: Household, opts: { maxChildren?: number } = {}): RequestSubject[] {
  return caseSubjects(pop, h, opts).map(({ key, role, names: n, dobs, sexOrGender, identifiers, address }) => ({
    subjectId: `subj_${key}`, role, names: n, dobs, sexOrGender, identifiers, ...(address ? { address } : {}),
  }));
}

/**
 * A household the seven agencies all know something about: victim, perpetrator and at least two
 * children; the children known to children's services, the victim to police, health, housing, IDVA
 * and adults' services (care and support needs), the perpetrator to probation.
 */
export function pickRichHousehold(pop: Population, truths: Record<string, Truth>): Household {
  const held = (name: string) => new Set(Object.values(truths[name]?.records ?? {}).map((r) => r.personId));
  const police = held('police'), nhs = held('nhs'), housing = held('housing'), sc = held('social-care'), probation = held('probation'), idva = held('idva');
  const rich = pop.households.filter((h) =>
    h.childIds.length >= 2 && h.story.victimHasCareNeeds && h.story.perpOnProbation
    && police.has(h.victimId) && police.has(h.perpetratorId) && nhs.has(h.victimId) && housing.has(h.victimId)
    && idva.has(h.victimId) && probation.has(h.perpetratorId) && sc.has(h.victimId) && h.childIds.slice(0, 2).every((c) => sc.has(c)));
  const h = rich[0] ?? pop.households.find((x) => x.childIds.length >= 2 && police.has(x.victimId));
  if (!h) throw new Error('no household with two children in the synthetic data');
  return h;
}
