/**
 * UK Core STU2 profile checks (adapters/nhs/fhir/uk-core.ts) and the FHIR source's search plan
 * (adapters/nhs/fhir/source.ts): every synthetic resource passes; each rule catches what it is for;
 * problems name a rule and a path, never a value.
 */
import { describe, expect, it } from 'vitest';
import type { FhirResource } from 'fhir/r4.js';
import { checkUkCore, UK_CORE_PROFILES } from '../../../adapters/nhs/fhir/uk-core.js';
import { searchesFor, withheldFor } from '../../../adapters/nhs/fhir/source.js';
import { patientSearchParams } from '../../../adapters/nhs/fhir/client.js';
import { ukCoreResources } from '../../integration/adapters/fhir-fixtures.js';

const resources = ukCoreResources() as unknown as FhirResource[];
const patient = resources.find((r) => r.resourceType === 'Patient')!;
const of = <T extends FhirResource['resourceType']>(t: T) => structuredClone(resources.find((r) => r.resourceType === t && ('subject' in r ? (r as { subject?: { reference?: string } }).subject?.reference : (r as { patient?: { reference?: string } }).patient?.reference)))!;
const rules = (r: unknown, p?: string) => checkUkCore(r as FhirResource, p).problems.map((x) => x.rule);

describe('UK Core checks', () => {
  it('every synthetic resource passes the profile it claims', () => {
    const failing = resources.map((r) => checkUkCore(r)).filter((v) => v.problems.length);
    expect(failing).toEqual([]);
    expect(checkUkCore(patient).profile).toBe(UK_CORE_PROFILES.Patient);
    expect(resources.length).toBeGreaterThan(1000);
  });

  it('Patient: the NHS number is ten digits with a valid modulus 11 check digit, and is not echoed', () => {
    const nhs = (patient as any).identifier.find((i: any) => i.system === 'https://fhir.nhs.uk/Id/nhs-number').value as string;
    const p = structuredClone(patient) as any;
    const id = p.identifier.find((i: any) => i.system === 'https://fhir.nhs.uk/Id/nhs-number');
    id.value = `${nhs.slice(0, 9)}${(Number(nhs[9]) + 1) % 10}`;
    expect(rules(p)).toEqual(['nhs-number-check-digit']);
    expect(JSON.stringify(checkUkCore(p))).not.toContain(id.value);
    id.value = `${nhs.slice(0, 3)} ${nhs.slice(3)}`;
    expect(rules(p)).toEqual(['nhs-number-format']);
    id.value = nhs;
    p.identifier.push({ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhs });
    expect(rules(p)).toEqual(['nhs-number-cardinality']);
    p.identifier.pop();
    p.gender = 'F';
    p.birthDate = '1990-13-01';
    expect(rules(p).sort()).toEqual(['date-format', 'value-set']);
  });

  it('Encounter: status from its value set, class from v3 ActCode, the subject is the patient read', () => {
    const e = of('Encounter') as any;
    const own = e.subject.reference.slice('Patient/'.length);
    expect(rules(e, own)).toEqual([]);
    expect(rules({ ...e, status: 'done' }, own)).toEqual(['value-set']);
    expect(rules({ ...e, class: undefined }, own)).toEqual(['required']);
    expect(rules({ ...e, class: { system: 'http://example.org/cs', code: 'EMER' } }, own)).toEqual(['code-system']);
    expect(rules(e, 'someone-else')).toEqual(['subject-mismatch']);
    expect(rules({ ...e, period: { start: '2026-05-02T10:00:00Z', end: '2026-05-01T10:00:00Z' } }, own)).toEqual(['per-1']);
    expect(rules({ ...e, meta: { profile: [UK_CORE_PROFILES.Patient] } }, own)).toEqual(['profile-mismatch']);
  });

  it('Condition: clinical and verification status bindings, con-3, con-4, con-5, SNOMED CT codes', () => {
    const c = of('Condition') as any;
    expect(rules(c)).toEqual([]);
    expect(rules({ ...c, clinicalStatus: { coding: [{ system: 'http://example.org', code: 'active' }] } })).toEqual(['code-system']);
    expect(rules({ ...c, clinicalStatus: undefined })).toEqual(['con-3']);
    expect(rules({ ...c, abatementDateTime: '2026-01-01' })).toEqual(['con-4']);
    expect(rules({ ...c, verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'entered-in-error' }] } })).toEqual(['con-5']);
    expect(rules({ ...c, code: { coding: [{ system: 'http://example.org/local', code: 'X1' }] } })).toEqual(['code-system']);
    // Without a UK Core claim only base R4 rules apply (the local code system is allowed).
    expect(rules({ ...c, meta: undefined, code: { coding: [{ system: 'http://example.org/local', code: 'X1' }] } })).toEqual([]);
  });

  it('Observation, Flag, EpisodeOfCare: required elements, codings with their systems, obs-6', () => {
    const o = of('Observation') as any;
    expect(rules(o)).toEqual([]);
    expect(rules({ ...o, status: undefined })).toEqual(['required']);
    expect(rules({ ...o, dataAbsentReason: { text: 'x' } })).toEqual(['obs-6']);
    const f = of('Flag') as any;
    expect(rules(f)).toEqual([]);
    expect(rules({ ...f, code: { coding: [{ code: 'RISK_TO_SELF' }] } })).toEqual(['coding-system']);
    expect(rules({ ...f, subject: undefined })).toEqual(['required']);
    const ep = of('EpisodeOfCare') as any;
    expect(rules(ep)).toEqual([]);
    expect(rules({ ...ep, patient: { reference: 'Group/1' } })).toEqual(['reference-format']);
    expect(rules({ ...ep, id: 'has space' })).toEqual(['id-format']);
  });

  it('a failure becomes a withheld entry with a path and a note naming the type and rules only', () => {
    const v = checkUkCore({ ...(of('Encounter') as any), status: 'done' });
    expect(withheldFor(v)).toEqual({ fieldPath: 'health.edAttendances12m', reason: 'OTHER', note: 'An Encounter record failed its UK Core profile check (value-set) and was not sent; the trust will check it.' });
  });
});

describe('FHIR search plan', () => {
  it('NHS number first, then family and given apart with each date of birth and its day/month swap, then postcode', () => {
    const steps = searchesFor({ identifiers: [{ system: 'nhs-number', value: '9434765919' }, { system: 'pnc-id', value: '89/0012345X' }], names: [{ given: ['Jo'], family: 'Bloggs' }], dobs: ['1990-03-04'], postcode: 'CM12AB' });
    expect(steps).toEqual([
      { nhsNumber: '9434765919' },
      { family: 'Bloggs', birthDate: '1990-03-04' }, { given: 'Jo', birthDate: '1990-03-04' },
      { birthDate: '1990-03-04', postcode: 'CM12AB' },
      { family: 'Bloggs', birthDate: '1990-04-03' }, { given: 'Jo', birthDate: '1990-04-03' },
      { birthDate: '1990-04-03', postcode: 'CM12AB' },
    ]);
    expect(patientSearchParams(steps[0]!)).toEqual({ identifier: 'https://fhir.nhs.uk/Id/nhs-number|9434765919' });
  });

  it('without a date of birth only family with given; never a loose search', () => {
    expect(searchesFor({ identifiers: [], names: [{ given: ['Jo'], family: 'Bloggs' }, { family: 'Smith' }], dobs: [] })).toEqual([{ family: 'Bloggs', given: 'Jo' }]);
    expect(searchesFor({ identifiers: [], names: [], dobs: ['1990-03-04'], postcode: undefined as unknown as string })).toEqual([]);
    expect(patientSearchParams({ family: 'Smith' })).toBeNull();
    expect(patientSearchParams({ birthDate: '1990' })).toBeNull();
  });
});
