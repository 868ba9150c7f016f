/**
 * The slice of FHIR R4 (UK Core profiles) this adapter reads. Hand-written types for the handful
 * of elements used: a FHIR library would add a large dependency to read six resource types.
 */
export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
export const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
export const NHS_NUMBER_VERIFICATION_EXT = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus';
export const INTERPRETER_REQUIRED_EXT = 'http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired';
export const ACT_CODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
export const LOINC = 'http://loinc.org';
export const SNOMED = 'http://snomed.info/sct';
/** The (fictional) trust's local code systems. */
export const LOCAL_CS = 'https://fhir.fictional-trust.nhs.uk/CodeSystem';
export const ED_REASON_SYSTEM = `${LOCAL_CS}/ed-presenting-complaint`;
export const SERVICE_TYPE_SYSTEM = `${LOCAL_CS}/service-type`;
export const FLAG_CODE_SYSTEM = `${LOCAL_CS}/alert`;
export const FLAG_CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/flag-category';
export const LOINC_PREGNANCY_STATUS = '82810-3';
export const LOINC_EDD = '11778-8';
export const SNOMED_PREGNANT = '77386006';

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}
export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}
export interface Reference {
  reference?: string;
  type?: string;
  identifier?: { system?: string; value?: string };
}
export interface Period {
  start?: string;
  end?: string;
}
export interface Extension {
  url: string;
  valueBoolean?: boolean;
  valueCodeableConcept?: CodeableConcept;
  valueString?: string;
}

export interface Patient {
  resourceType: 'Patient';
  id: string;
  meta?: { profile?: string[] };
  extension?: Extension[];
  identifier?: { system?: string; value?: string; extension?: Extension[] }[];
  name?: { use?: 'usual' | 'official' | 'temp' | 'nickname' | 'anonymous' | 'old' | 'maiden'; family?: string; given?: string[] }[];
  gender?: 'male' | 'female' | 'other' | 'unknown';
  birthDate?: string;
  address?: { use?: string; line?: string[]; city?: string; postalCode?: string; period?: Period }[];
  generalPractitioner?: Reference[];
  communication?: { language: CodeableConcept; preferred?: boolean }[];
}

export interface Encounter {
  resourceType: 'Encounter';
  id: string;
  status: 'planned' | 'arrived' | 'triaged' | 'in-progress' | 'onleave' | 'finished' | 'cancelled' | 'entered-in-error' | 'unknown';
  class: Coding;
  subject: Reference;
  period?: Period;
  reasonCode?: CodeableConcept[];
}

export interface Condition {
  resourceType: 'Condition';
  id: string;
  clinicalStatus?: CodeableConcept;
  category?: CodeableConcept[];
  code?: CodeableConcept;
  subject: Reference;
  onsetDateTime?: string;
}

export interface Flag {
  resourceType: 'Flag';
  id: string;
  status: 'active' | 'inactive' | 'entered-in-error';
  category?: CodeableConcept[];
  code: CodeableConcept;
  subject: Reference;
  period?: Period;
  encounter?: Reference;
}

export interface EpisodeOfCare {
  resourceType: 'EpisodeOfCare';
  id: string;
  status: 'planned' | 'waitlist' | 'active' | 'onhold' | 'finished' | 'cancelled' | 'entered-in-error';
  type?: CodeableConcept[];
  patient: Reference;
  managingOrganization?: Reference;
  period?: Period;
}

export interface Observation {
  resourceType: 'Observation';
  id: string;
  status: 'registered' | 'preliminary' | 'final' | 'amended' | 'cancelled' | 'entered-in-error' | 'unknown';
  code: CodeableConcept;
  subject: Reference;
  effectiveDateTime?: string;
  valueCodeableConcept?: CodeableConcept;
  valueDateTime?: string;
}

export type Resource = Patient | Encounter | Condition | Flag | EpisodeOfCare | Observation;

export interface Bundle {
  resourceType: 'Bundle';
  id?: string;
  type: 'searchset' | 'collection' | 'transaction' | 'batch' | 'document' | 'history';
  total?: number;
  entry?: { fullUrl?: string; resource?: Resource | { resourceType: string; id?: string } }[];
}

export function hasCode(cc: CodeableConcept | CodeableConcept[] | undefined, system: string, code: string): boolean {
  const list = Array.isArray(cc) ? cc : cc ? [cc] : [];
  return list.some((c) => c.coding?.some((x) => x.system === system && x.code === code));
}

export function codeIn(cc: CodeableConcept | CodeableConcept[] | undefined, system: string): string | undefined {
  const list = Array.isArray(cc) ? cc : cc ? [cc] : [];
  for (const c of list) for (const x of c.coding ?? []) if (x.system === system && x.code) return x.code;
  return undefined;
}
