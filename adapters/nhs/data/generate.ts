/**
 * Generates the synthetic acute trust data as FHIR R4 (UK Core) Bundles, one searchset Bundle per
 * patient as a `Patient/$everything` would return. Run: `npx tsx adapters/nhs/data/generate.ts`.
 */
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { generatePopulation, type HouseholdStory, type Population, type SynthPerson } from '../../sdk/synthetic/population.js';
import { addDays, addMonths, ageOn, createRng, randomDateBetween, type Rng } from '../../sdk/synthetic/prng.js';
import { recordIdentity } from '../../sdk/synthetic/noise.js';
import { background, householdPeople, keyMaker } from '../../sdk/synthetic/pick.js';
import { writeDataSet, type GeneratedDataSet, type Truth } from '../../sdk/synthetic/output.js';
import { GP_PRACTICES } from '../../sdk/synthetic/vocab.js';
import {
  ACT_CODE_SYSTEM, ED_REASON_SYSTEM, FLAG_CATEGORY_SYSTEM, FLAG_CODE_SYSTEM, INTERPRETER_REQUIRED_EXT, LOINC, LOINC_EDD,
  LOINC_PREGNANCY_STATUS, NHS_NUMBER_SYSTEM, NHS_NUMBER_VERIFICATION_EXT, ODS_SYSTEM, SERVICE_TYPE_SYSTEM, SNOMED, SNOMED_PREGNANT,
  type Bundle, type Condition, type Encounter, type EpisodeOfCare, type Flag, type Observation, type Patient, type Resource,
} from '../fhir.js';

const TRUST_ODS = 'Y9TRU';
const ED_REASONS = {
  ASSAULT: 'Assault', INJURY_FALL: 'Injury - fall', INJURY_OTHER: 'Injury - other', OVERDOSE: 'Overdose / poisoning',
  SELF_HARM: 'Self-harm', CHEST_PAIN: 'Chest pain', ABDO_PAIN: 'Abdominal pain', BREATHING: 'Breathing difficulty', ALCOHOL_INTOX: 'Alcohol intoxication',
} as const;
type EdReason = keyof typeof ED_REASONS;
const CONDITIONS = [['35489007', 'Depressive disorder'], ['197480006', 'Anxiety disorder'], ['38341003', 'Hypertensive disorder'], ['195967001', 'Asthma'], ['44054006', 'Diabetes mellitus type 2']] as const;

interface Ctx {
  rng: Rng;
  anchor: string;
  ids: { enc: () => string; flag: () => string; eoc: () => string; obs: () => string; cond: () => string };
}

function patientResource(p: SynthPerson, id: string, r: Rng): { patient: Patient; distortions: string[] } {
  // The NHS number is traced against PDS, so it is nearly always present; names still vary.
  const rec = recordIdentity(r, p, { nickname: 0.04, typoFamily: 0.02, typoGiven: 0.02, swappedDob: 0.01, aliasAsMain: 0.02, dropMiddle: 0.2 });
  const patient: Patient = {
    resourceType: 'Patient',
    id,
    meta: { profile: ['https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient'] },
    identifier: [
      ...(r.chance(0.98) ? [{
        system: NHS_NUMBER_SYSTEM, value: p.nhsNumber,
        extension: [{ url: NHS_NUMBER_VERIFICATION_EXT, valueCodeableConcept: { coding: [{ system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland', code: '01', display: 'Number present and verified' }] } }],
      }] : []),
      { system: 'https://fhir.fictional-trust.nhs.uk/Id/pas-identifier', value: `PAS${id.slice(4)}` },
    ],
    name: [
      { use: 'official', family: rec.family, given: rec.given },
      ...rec.aliases.map((a) => ({ use: a.use === 'maiden' ? 'maiden' as const : a.use === 'preferred' ? 'nickname' as const : 'old' as const, family: a.family!, given: a.given ?? rec.given })),
    ],
    gender: p.sex === 'F' ? 'female' : 'male',
    birthDate: rec.dob,
    address: [{ use: 'home', line: p.address.lines, city: p.address.town, postalCode: p.address.postcode }],
    generalPractitioner: [{ type: 'Organization', identifier: { system: ODS_SYSTEM, value: r.pick(GP_PRACTICES) } }],
  };
  if (p.interpreterLanguage) {
    patient.communication = [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: p.interpreterLanguage }] }, preferred: true }];
    patient.extension = [{ url: INTERPRETER_REQUIRED_EXT, valueBoolean: true }];
  }
  return { patient, distortions: rec.distortions };
}

function ed(c: Ctx, pid: string, date: string, reason: EdReason): Encounter {
  const hour = String(c.rng.int(0, 23)).padStart(2, '0');
  return {
    resourceType: 'Encounter', id: c.ids.enc(), status: 'finished',
    class: { system: ACT_CODE_SYSTEM, code: 'EMER', display: 'emergency' },
    subject: { reference: `Patient/${pid}` },
    period: { start: `${date}T${hour}:${String(c.rng.int(0, 59)).padStart(2, '0')}:00Z`, end: `${date}T${hour}:59:00Z` },
    reasonCode: [{ coding: [{ system: ED_REASON_SYSTEM, code: reason, display: ED_REASONS[reason] }] }],
  };
}

function flag(c: Ctx, pid: string, code: string, display: string, start: string, extra: Partial<Flag> = {}): Flag {
  return {
    resourceType: 'Flag', id: c.ids.flag(), status: 'active',
    category: [{ coding: [{ system: FLAG_CATEGORY_SYSTEM, code: 'safety', display: 'Safety' }] }],
    code: { coding: [{ system: FLAG_CODE_SYSTEM, code, display }] },
    subject: { reference: `Patient/${pid}` }, period: { start }, ...extra,
  };
}

function episode(c: Ctx, pid: string, code: string, display: string, start: string, active: boolean): EpisodeOfCare {
  return {
    resourceType: 'EpisodeOfCare', id: c.ids.eoc(), status: active ? 'active' : 'finished',
    type: [{ coding: [{ system: SERVICE_TYPE_SYSTEM, code, display }] }],
    patient: { reference: `Patient/${pid}` },
    managingOrganization: { identifier: { system: ODS_SYSTEM, value: TRUST_ODS } },
    period: active ? { start } : { start, end: addMonths(start, c.rng.int(2, 10)) },
  };
}

function attendances(c: Ctx, pid: string, n: number, weights: readonly (readonly [EdReason, number])[]): Encounter[] {
  return Array.from({ length: n }, () => ed(c, pid, randomDateBetween(c.rng, addMonths(c.anchor, -30), addDays(c.anchor, -1)), c.rng.pickWeighted(weights))).sort((a, b) => a.period!.start!.localeCompare(b.period!.start!));
}

function clinical(c: Ctx, p: SynthPerson, pid: string, story: HouseholdStory | undefined): Resource[] {
  const r = c.rng;
  const out: Resource[] = [];
  const age = ageOn(p.dob, c.anchor);
  if (p.role === 'VICTIM' && story) {
    const n = story.severity === 1 ? r.int(0, 1) : story.severity === 2 ? r.int(0, 3) : r.int(1, 5);
    const encs = attendances(c, pid, n, [['ASSAULT', 4], ['INJURY_FALL', 2], ['INJURY_OTHER', 2], ['OVERDOSE', story.victimMentalHealth ? 2 : 0], ['SELF_HARM', story.victimMentalHealth ? 2 : 0], ['CHEST_PAIN', 1], ['ABDO_PAIN', 1]]);
    out.push(...encs);
    for (const e of encs) {
      const code = e.reasonCode![0]!.coding![0]!.code;
      if ((code === 'ASSAULT' || code?.startsWith('INJURY')) && r.chance(0.6)) {
        out.push(flag(c, pid, 'SAFEGUARDING_CONCERN', 'Safeguarding concern raised', e.period!.start!.slice(0, 10), { encounter: { reference: `Encounter/${e.id}` } }));
        if (r.chance(0.5)) out.push(flag(c, pid, 'INJURIES_CONSISTENT_WITH_ABUSE', 'Injuries consistent with abuse', e.period!.start!.slice(0, 10), { encounter: { reference: `Encounter/${e.id}` } }));
      }
    }
    if (story.severity >= 2 && r.chance(0.5)) out.push(flag(c, pid, 'MARAC', 'MARAC case - do not disclose to patient-facing apps', randomDateBetween(r, addMonths(c.anchor, -12), c.anchor)));
    if (story.victimPregnant) {
      const edd = randomDateBetween(r, addDays(c.anchor, 20), addMonths(c.anchor, 8));
      out.push(
        { resourceType: 'Observation', id: c.ids.obs(), status: 'final', code: { coding: [{ system: LOINC, code: LOINC_PREGNANCY_STATUS, display: 'Pregnancy status' }] }, subject: { reference: `Patient/${pid}` }, effectiveDateTime: `${addMonths(edd, -7)}T10:00:00Z`, valueCodeableConcept: { coding: [{ system: SNOMED, code: SNOMED_PREGNANT, display: 'Pregnant' }] } } satisfies Observation,
        { resourceType: 'Observation', id: c.ids.obs(), status: 'final', code: { coding: [{ system: LOINC, code: LOINC_EDD, display: 'Delivery date Estimated' }] }, subject: { reference: `Patient/${pid}` }, effectiveDateTime: `${addMonths(edd, -7)}T10:00:00Z`, valueDateTime: edd } satisfies Observation,
      );
      if (r.chance(0.8)) out.push(episode(c, pid, 'MATERNITY', 'Maternity', addMonths(edd, -7), true));
    }
    if (story.victimMentalHealth) {
      if (r.chance(0.6)) out.push(episode(c, pid, 'MH_SECONDARY', 'Secondary mental health services', randomDateBetween(r, addMonths(c.anchor, -24), c.anchor), r.chance(0.6)));
      if (r.chance(0.5)) out.push(flag(c, pid, 'RISK_TO_SELF', 'Risk to self', randomDateBetween(r, addMonths(c.anchor, -12), c.anchor)));
    }
  } else if (p.role === 'PERPETRATOR' && story) {
    out.push(...attendances(c, pid, r.int(0, 2), [['INJURY_OTHER', 3], ['ALCOHOL_INTOX', story.perpSubstanceMisuse ? 3 : 1], ['CHEST_PAIN', 1], ['OVERDOSE', story.perpSubstanceMisuse ? 1 : 0]]));
    if (story.perpMentalHealth) {
      out.push(episode(c, pid, 'MH_SECONDARY', 'Secondary mental health services', randomDateBetween(r, addMonths(c.anchor, -36), c.anchor), r.chance(0.5)));
      if (r.chance(0.4)) out.push(flag(c, pid, 'RISK_TO_OTHERS', 'Risk to others', randomDateBetween(r, addMonths(c.anchor, -12), c.anchor)));
    }
    if (story.perpSubstanceMisuse && r.chance(0.5)) out.push(episode(c, pid, 'SUBSTANCE_MISUSE', 'Substance misuse service', randomDateBetween(r, addMonths(c.anchor, -18), c.anchor), r.chance(0.6)));
  } else if (p.role === 'CHILD' && story) {
    out.push(...attendances(c, pid, r.int(0, 2), [['INJURY_FALL', 3], ['INJURY_OTHER', 1], ['BREATHING', 2], ['ABDO_PAIN', 1]]));
    if (age < 5) out.push(episode(c, pid, 'HEALTH_VISITING', 'Health visiting', addDays(p.dob, 14), true));
    else if (age <= 17 && r.chance(0.3)) out.push(episode(c, pid, 'SCHOOL_NURSING', 'School nursing', randomDateBetween(r, addMonths(c.anchor, -24), c.anchor), true));
    if (story.childrenStatus === 'CPP' && r.chance(0.85)) out.push(flag(c, pid, 'CPIS_CPP', 'CP-IS: child protection plan', randomDateBetween(r, addMonths(c.anchor, -12), c.anchor)));
    if (story.childrenStatus === 'CLA' && r.chance(0.85)) out.push(flag(c, pid, 'CPIS_LAC', 'CP-IS: looked after child', randomDateBetween(r, addMonths(c.anchor, -12), c.anchor)));
  } else {
    out.push(...attendances(c, pid, r.int(0, 2), [['INJURY_FALL', 2], ['CHEST_PAIN', 2], ['BREATHING', 1], ['ABDO_PAIN', 1]]));
  }
  // Problem-list conditions: clinical detail the adapter never shares outside health.
  if (age >= 16) {
    for (const [code, display] of r.sample(CONDITIONS, r.pickWeighted([[0, 4], [1, 3], [2, 1]] as const))) {
      out.push({
        resourceType: 'Condition', id: c.ids.cond(), clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
        code: { coding: [{ system: SNOMED, code, display }] }, subject: { reference: `Patient/${pid}` },
        onsetDateTime: `${randomDateBetween(r, addMonths(c.anchor, -120), c.anchor)}T00:00:00Z`,
      } satisfies Condition);
    }
  }
  return out;
}

export function generateNhsData(pop: Population): GeneratedDataSet {
  const rng = createRng(`${pop.seed}:nhs`);
  const patientKey = keyMaker('pat');
  const ids = { enc: keyMaker('enc'), flag: keyMaker('flag'), eoc: keyMaker('eoc'), obs: keyMaker('obs'), cond: keyMaker('cond') };
  const truth: Truth = { generatedBy: 'adapters/nhs/data/generate.ts', seed: pop.seed, anchor: pop.anchor, records: {} };
  const bundles: Bundle[] = [];
  const add = (p: SynthPerson, story: HouseholdStory | undefined) => {
    const r = rng.fork(p.personId);
    const pid = patientKey();
    const { patient, distortions } = patientResource(p, pid, r);
    const resources: Resource[] = [patient, ...clinical({ rng: r, anchor: pop.anchor, ids }, p, pid, story)];
    bundles.push({
      resourceType: 'Bundle', id: `everything-${pid}`, type: 'searchset', total: resources.length,
      entry: resources.map((res) => ({ fullUrl: `https://fhir.fictional-trust.nhs.uk/R4/${res.resourceType}/${res.id}`, resource: res })),
    });
    truth.records[pid] = { personId: p.personId, distortions };
  };
  for (const hp of householdPeople(pop)) {
    const s = hp.household.story;
    if (rng.chance(0.85)) add(hp.victim, s);
    if (rng.chance(0.55)) add(hp.perpetrator, s);
    for (const c of hp.children) if (rng.chance(0.75)) add(c, s);
    for (const o of hp.otherAdults) add(o, s);
  }
  for (const p of background(pop)) if (rng.chance(0.45)) add(p, undefined);
  return { files: { 'fhir-bundles.json': bundles }, truth };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(writeDataSet(dirname(fileURLToPath(import.meta.url)), generateNhsData(generatePopulation())).join('\n'));
}
