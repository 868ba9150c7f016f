/**
 * UK Core STU2 profile checks for the six resource types the NHS adapter reads. A resource is
 * checked against every UK Core profile it claims in meta.profile (and against base R4's required
 * elements and required bindings whatever it claims); one that fails is never mapped nor sent: the
 * adapter lists it in the answer's `withheld` and in its health.
 *
 * This is not a StructureDefinition engine: it encodes, by hand, the constraints of those profiles
 * that matter for what the adapter shares (identifier systems and formats, the NHS number's
 * modulus 11 check digit, required elements and cardinalities, required value sets and the code
 * systems the mapping relies on, references to the patient searched for). The rule ids below are
 * this module's; where a rule is a FHIR invariant its key is named (e.g. con-4).
 * Problems carry a rule id and an element path, never a value.
 */
import type { Condition, Encounter, EpisodeOfCare, FhirResource, Flag, Observation, Patient } from 'fhir/r4.js';
import { hasValidNhsCheckDigit } from '@marac/uk-identifiers';
import { ACT_CODE_SYSTEM, LOINC, NHS_NUMBER_SYSTEM, NHS_NUMBER_VERIFICATION_EXT, SNOMED } from '../fhir.js';

export const UK_CORE = 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-';
export const UK_CORE_PROFILES = {
  Patient: `${UK_CORE}Patient`,
  Encounter: `${UK_CORE}Encounter`,
  Condition: `${UK_CORE}Condition`,
  EpisodeOfCare: `${UK_CORE}EpisodeOfCare`,
  Observation: `${UK_CORE}Observation`,
  Flag: `${UK_CORE}Flag`,
} as const;
export type CheckedType = keyof typeof UK_CORE_PROFILES;

const NHS_VERIFICATION_CS = 'https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland';
const CONDITION_CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const CONDITION_VER = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
const UK_CORE_CONDITION_CATEGORY = 'https://fhir.hl7.org.uk/CodeSystem/UKCore-ConditionCategory';
const FLAG_CATEGORY = 'http://terminology.hl7.org/CodeSystem/flag-category';

export interface ProfileProblem {
  rule: string;
  path: string;
}

export interface ProfileVerdict {
  resourceType: string;
  /** The UK Core profile checked against (absent: the resource claimed none; base R4 rules only). */
  profile?: string;
  problems: ProfileProblem[];
}

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const DATE = /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$/;
const DATETIME = /^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$/;

type Coding = { system?: string; code?: string };
type CC = { coding?: Coding[]; text?: string } | undefined;

class Checker {
  readonly problems: ProfileProblem[] = [];
  fail(rule: string, path: string) {
    this.problems.push({ rule, path });
  }
  required(v: unknown, path: string) {
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0) || v === '') this.fail('required', path);
    return v !== undefined && v !== null && v !== '';
  }
  oneOf(v: string | undefined, allowed: readonly string[], path: string) {
    if (v !== undefined && !allowed.includes(v)) this.fail('value-set', path);
  }
  date(v: string | undefined, path: string) {
    if (v !== undefined && !DATE.test(v)) this.fail('date-format', path);
  }
  dateTime(v: string | undefined, path: string) {
    if (v !== undefined && !DATETIME.test(v)) this.fail('datetime-format', path);
  }
  period(p: { start?: string; end?: string } | undefined, path: string) {
    if (!p) return;
    this.dateTime(p.start, `${path}.start`);
    this.dateTime(p.end, `${path}.end`);
    // per-1: start <= end
    if (p.start && p.end && p.start.slice(0, 10) > p.end.slice(0, 10)) this.fail('per-1', path);
  }
  /** Every coding has a system and a code (a code without its system means nothing). */
  codings(cc: CC, path: string) {
    (cc?.coding ?? []).forEach((c, i) => {
      if (!c.system) this.fail('coding-system', `${path}.coding[${i}].system`);
      if (!c.code) this.fail('coding-code', `${path}.coding[${i}].code`);
    });
    if (cc && !cc.coding?.length && !cc.text) this.fail('required', `${path}.coding`);
  }
  /** When a coding of `system` is present its code must be one of `codes` (a required binding). */
  bound(cc: CC, system: string, codes: readonly string[], path: string) {
    const hit = (cc?.coding ?? []).filter((c) => c.system === system);
    if (cc && !hit.length) this.fail('code-system', `${path}.coding`);
    for (const c of hit) if (!c.code || !codes.includes(c.code)) this.fail('value-set', `${path}.coding`);
  }
  patientRef(ref: { reference?: string } | undefined, patientId: string | undefined, path: string) {
    if (!this.required(ref?.reference, `${path}.reference`)) return;
    if (!/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(ref!.reference!)) this.fail('reference-format', `${path}.reference`);
    else if (patientId && ref!.reference !== `Patient/${patientId}`) this.fail('subject-mismatch', `${path}.reference`);
  }
}

function checkPatient(c: Checker, p: Patient, ukCore: boolean) {
  c.oneOf(p.gender, ['male', 'female', 'other', 'unknown'], 'Patient.gender');
  c.date(p.birthDate, 'Patient.birthDate');
  (p.identifier ?? []).forEach((id, i) => {
    const path = `Patient.identifier[${i}]`;
    if (!id.system) c.fail('identifier-system', `${path}.system`);
    if (!c.required(id.value, `${path}.value`)) return;
    if (id.system === NHS_NUMBER_SYSTEM) {
      // UK Core: an NHS number is ten digits, no spaces, with a valid modulus 11 check digit.
      if (!/^\d{10}$/.test(id.value!)) c.fail('nhs-number-format', `${path}.value`);
      else if (!hasValidNhsCheckDigit(id.value!)) c.fail('nhs-number-check-digit', `${path}.value`);
      const ver = id.extension?.find((x) => x.url === NHS_NUMBER_VERIFICATION_EXT);
      if (ukCore && ver) c.bound(ver.valueCodeableConcept, NHS_VERIFICATION_CS, ['01', '02', '03', '04', '05', '06', '07', '08'], `${path}.extension`);
    }
  });
  if (ukCore && (p.identifier ?? []).filter((i) => i.system === NHS_NUMBER_SYSTEM).length > 1) c.fail('nhs-number-cardinality', 'Patient.identifier');
  (p.name ?? []).forEach((n, i) => c.oneOf(n.use, ['usual', 'official', 'temp', 'nickname', 'anonymous', 'old', 'maiden'], `Patient.name[${i}].use`));
  (p.address ?? []).forEach((a, i) => c.period(a.period, `Patient.address[${i}].period`));
}

function checkEncounter(c: Checker, e: Encounter, pid: string | undefined) {
  c.required(e.status, 'Encounter.status');
  c.oneOf(e.status, ['planned', 'arrived', 'triaged', 'in-progress', 'onleave', 'finished', 'cancelled', 'entered-in-error', 'unknown'], 'Encounter.status');
  if (c.required(e.class, 'Encounter.class')) {
    if (e.class.system !== ACT_CODE_SYSTEM) c.fail('code-system', 'Encounter.class.system');
    if (!e.class.code) c.fail('required', 'Encounter.class.code');
  }
  c.patientRef(e.subject, pid, 'Encounter.subject');
  c.period(e.period, 'Encounter.period');
  (e.reasonCode ?? []).forEach((r, i) => c.codings(r, `Encounter.reasonCode[${i}]`));
}

function checkCondition(c: Checker, x: Condition, pid: string | undefined, ukCore: boolean) {
  c.patientRef(x.subject, pid, 'Condition.subject');
  if (x.clinicalStatus) c.bound(x.clinicalStatus, CONDITION_CLINICAL, ['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved'], 'Condition.clinicalStatus');
  if (x.verificationStatus) c.bound(x.verificationStatus, CONDITION_VER, ['unconfirmed', 'provisional', 'differential', 'confirmed', 'refuted', 'entered-in-error'], 'Condition.verificationStatus');
  const ver = x.verificationStatus?.coding?.find((k) => k.system === CONDITION_VER)?.code;
  const clin = x.clinicalStatus?.coding?.find((k) => k.system === CONDITION_CLINICAL)?.code;
  const problemList = (x.category ?? []).some((k) => k.coding?.some((cd) => cd.code === 'problem-list-item'));
  // con-3: clinicalStatus is present for a problem-list item that is not entered in error.
  if (problemList && ver !== 'entered-in-error' && !x.clinicalStatus) c.fail('con-3', 'Condition.clinicalStatus');
  // con-4: an abated condition is inactive, resolved or in remission.
  if ((x.abatementDateTime || x.abatementPeriod || x.abatementAge || x.abatementRange || x.abatementString) && clin && !['inactive', 'resolved', 'remission'].includes(clin)) c.fail('con-4', 'Condition.clinicalStatus');
  // con-5: no clinicalStatus on an entered-in-error condition.
  if (ver === 'entered-in-error' && x.clinicalStatus) c.fail('con-5', 'Condition.clinicalStatus');
  (x.category ?? []).forEach((k, i) => {
    c.codings(k, `Condition.category[${i}]`);
    if (ukCore && !(k.coding ?? []).some((cd) => cd.system === CONDITION_CATEGORY || cd.system === UK_CORE_CONDITION_CATEGORY || cd.system === SNOMED)) c.fail('code-system', `Condition.category[${i}]`);
  });
  if (x.code) {
    c.codings(x.code, 'Condition.code');
    if (ukCore && !(x.code.coding ?? []).some((cd) => cd.system === SNOMED)) c.fail('code-system', 'Condition.code');
  }
  c.dateTime(x.onsetDateTime, 'Condition.onsetDateTime');
}

function checkEpisode(c: Checker, e: EpisodeOfCare, pid: string | undefined) {
  c.required(e.status, 'EpisodeOfCare.status');
  c.oneOf(e.status, ['planned', 'waitlist', 'active', 'onhold', 'finished', 'cancelled', 'entered-in-error'], 'EpisodeOfCare.status');
  c.patientRef(e.patient, pid, 'EpisodeOfCare.patient');
  c.period(e.period, 'EpisodeOfCare.period');
  (e.type ?? []).forEach((t, i) => c.codings(t, `EpisodeOfCare.type[${i}]`));
}

function checkObservation(c: Checker, o: Observation, pid: string | undefined, ukCore: boolean) {
  c.required(o.status, 'Observation.status');
  c.oneOf(o.status, ['registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown'], 'Observation.status');
  if (c.required(o.code, 'Observation.code')) {
    c.codings(o.code, 'Observation.code');
    if (ukCore && !(o.code.coding ?? []).some((cd) => cd.system === SNOMED || cd.system === LOINC)) c.fail('code-system', 'Observation.code');
  }
  c.patientRef(o.subject, pid, 'Observation.subject');
  c.dateTime(o.effectiveDateTime, 'Observation.effectiveDateTime');
  c.dateTime(o.valueDateTime, 'Observation.valueDateTime');
  if (o.valueCodeableConcept) c.codings(o.valueCodeableConcept, 'Observation.valueCodeableConcept');
  // obs-6: dataAbsentReason only when there is no value.
  const hasValue = Object.keys(o).some((k) => k.startsWith('value'));
  if (o.dataAbsentReason && hasValue) c.fail('obs-6', 'Observation.dataAbsentReason');
}

function checkFlag(c: Checker, f: Flag, pid: string | undefined) {
  c.required(f.status, 'Flag.status');
  c.oneOf(f.status, ['active', 'inactive', 'entered-in-error'], 'Flag.status');
  if (c.required(f.code, 'Flag.code')) c.codings(f.code, 'Flag.code');
  c.patientRef(f.subject, pid, 'Flag.subject');
  c.period(f.period, 'Flag.period');
  (f.category ?? []).forEach((k, i) => {
    c.codings(k, `Flag.category[${i}]`);
    if (!(k.coding ?? []).some((cd) => cd.system === FLAG_CATEGORY) && k.coding?.length) c.fail('code-system', `Flag.category[${i}]`);
  });
  if (f.encounter?.reference && !/^Encounter\/[A-Za-z0-9\-.]{1,64}$/.test(f.encounter.reference)) c.fail('reference-format', 'Flag.encounter.reference');
}

/**
 * Checks one resource. `patientId` is the patient it was read for: any other subject is a problem
 * (a server that answers for the wrong patient must not put someone else's record in an answer).
 */
export function checkUkCore(res: FhirResource, patientId?: string): ProfileVerdict {
  const c = new Checker();
  const type = res.resourceType;
  const claimed = res.meta?.profile ?? [];
  const profile = (UK_CORE_PROFILES as Record<string, string | undefined>)[type];
  const ukCore = !!profile && claimed.some((p) => p.split('|')[0] === profile);
  // A UK Core profile for another resource type claimed here is itself a failure.
  for (const p of claimed) if (p.startsWith(UK_CORE) && p.split('|')[0] !== profile) c.fail('profile-mismatch', `${type}.meta.profile`);
  if (!res.id || !ID.test(res.id)) c.fail('id-format', `${type}.id`);
  switch (type) {
    case 'Patient': checkPatient(c, res, ukCore); break;
    case 'Encounter': checkEncounter(c, res, patientId); break;
    case 'Condition': checkCondition(c, res, patientId, ukCore); break;
    case 'EpisodeOfCare': checkEpisode(c, res, patientId); break;
    case 'Observation': checkObservation(c, res, patientId, ukCore); break;
    case 'Flag': checkFlag(c, res, patientId); break;
    default: c.fail('unexpected-type', type);
  }
  return { resourceType: type, ...(ukCore ? { profile } : {}), problems: c.problems };
}
