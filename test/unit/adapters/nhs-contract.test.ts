import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readDataDir } from '../../../adapters/sdk/data.js';
import { loadAgency } from '../../../adapters/sdk/respond.js';
import { mapEveryRecord } from '../../../adapters/sdk/self-check.js';
import { nhsMapping } from '../../../adapters/nhs/map.js';
import type { Bundle } from '../../../adapters/nhs/fhir.js';
import type { MapContext } from '../../../adapters/sdk/mapping.js';

const dir = fileURLToPath(new URL('../../../adapters/nhs/data/', import.meta.url));
const files = readDataDir(dir);
const agency = loadAgency(nhsMapping, files);
const ASOF = '2026-11-01';

describe('nhs adapter contract', () => {
  it('has at least 200 patients, each in a Bundle', () => {
    expect((files['fhir-bundles.json'] as Bundle[]).length).toBeGreaterThanOrEqual(200);
    expect(agency.db.patients.size).toBe((files['fhir-bundles.json'] as Bundle[]).length);
  });

  it('maps every patient to a response that validates against the schema', () => {
    const results = mapEveryRecord(agency, { asOf: ASOF });
    const bad = results.filter((r) => r.problems.length);
    expect(bad.slice(0, 3).map((b) => ({ id: b.recordId, problems: b.problems.slice(0, 3) }))).toEqual([]);
    // The data exercises the payload: some patients have ED attendances, pregnancies, MH flags.
    const health = results.map((r) => r.response.subjectResults[0]!.health ?? {});
    expect(health.filter((h) => h.edAttendances12m?.length).length).toBeGreaterThan(20);
    expect(health.filter((h) => h.pregnancy?.pregnant).length).toBeGreaterThan(3);
    expect(health.filter((h) => h.mentalHealth?.openToSecondaryMH).length).toBeGreaterThan(5);
    expect(health.every((h) => h.clinicalNarrative === undefined && h.diagnoses === undefined)).toBe(true);
  });
});

const P = 'Patient/p1';
const tiny: Bundle[] = [{
  resourceType: 'Bundle', type: 'searchset', entry: [
    { resource: { resourceType: 'Patient', id: 'p1', identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765919' }], name: [{ use: 'official', family: 'Quayle', given: ['Ada'] }], gender: 'female', birthDate: '1990-01-02', generalPractitioner: [{ identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'Y90001' } }], communication: [{ language: { coding: [{ code: 'pl' }] } }], extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired', valueBoolean: true }] } },
    // In window: assault with a safeguarding concern; self-harm; out of window: an old fall; a non-ED encounter.
    { resource: { resourceType: 'Encounter', id: 'e1', status: 'finished', class: { code: 'EMER' }, subject: { reference: P }, period: { start: '2026-10-20T10:00:00Z' }, reasonCode: [{ coding: [{ system: 'https://fhir.fictional-trust.nhs.uk/CodeSystem/ed-presenting-complaint', code: 'ASSAULT' }] }] } },
    { resource: { resourceType: 'Encounter', id: 'e2', status: 'finished', class: { code: 'EMER' }, subject: { reference: P }, period: { start: '2026-02-01T10:00:00Z' }, reasonCode: [{ coding: [{ system: 'https://fhir.fictional-trust.nhs.uk/CodeSystem/ed-presenting-complaint', code: 'SELF_HARM' }] }] } },
    { resource: { resourceType: 'Encounter', id: 'e3', status: 'finished', class: { code: 'EMER' }, subject: { reference: P }, period: { start: '2025-06-01T10:00:00Z' }, reasonCode: [{ coding: [{ system: 'https://fhir.fictional-trust.nhs.uk/CodeSystem/ed-presenting-complaint', code: 'INJURY_FALL' }] }] } },
    { resource: { resourceType: 'Encounter', id: 'e4', status: 'finished', class: { code: 'AMB' }, subject: { reference: P }, period: { start: '2026-10-01T10:00:00Z' } } },
    { resource: { resourceType: 'Flag', id: 'f1', status: 'active', code: { coding: [{ system: 'https://fhir.fictional-trust.nhs.uk/CodeSystem/alert', code: 'SAFEGUARDING_CONCERN' }] }, subject: { reference: P }, encounter: { reference: 'Encounter/e1' } } },
    { resource: { resourceType: 'Observation', id: 'o1', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '82810-3' }] }, subject: { reference: P }, effectiveDateTime: '2026-06-01T00:00:00Z', valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '77386006' }] } } },
    { resource: { resourceType: 'Observation', id: 'o2', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '11778-8' }] }, subject: { reference: P }, valueDateTime: '2027-01-15' } },
    { resource: { resourceType: 'EpisodeOfCare', id: 'm1', status: 'active', type: [{ coding: [{ system: 'https://fhir.fictional-trust.nhs.uk/CodeSystem/service-type', code: 'MATERNITY' }] }], patient: { reference: P }, period: { start: '2026-06-01' } } },
    { resource: { resourceType: 'Condition', id: 'c1', subject: { reference: P }, code: { coding: [{ system: 'http://snomed.info/sct', code: '35489007' }] } } },
  ],
}, {
  resourceType: 'Bundle', type: 'searchset', entry: [
    { resource: { resourceType: 'Patient', id: 'k1', name: [{ use: 'official', family: 'Quayle', given: ['Kit'] }], birthDate: '2024-01-01' } },
    { resource: { resourceType: 'EpisodeOfCare', id: 'h1', status: 'active', type: [{ coding: [{ system: 'https://fhir.fictional-trust.nhs.uk/CodeSystem/service-type', code: 'HEALTH_VISITING' }] }], patient: { reference: 'Patient/k1' }, period: { start: '2024-01-15' } } },
    { resource: { resourceType: 'Flag', id: 'f2', status: 'active', code: { coding: [{ system: 'https://fhir.fictional-trust.nhs.uk/CodeSystem/alert', code: 'CPIS_CPP' }] }, subject: { reference: 'Patient/k1' } } },
  ],
}];

describe('nhs mapping facts', () => {
  const db = nhsMapping.load({ 'fhir-bundles.json': tiny });
  const ctx = (over: Partial<MapContext> = {}): MapContext => ({
    asOf: ASOF, lookbackMonths: 12, domains: new Set(['HEALTH_ATTENDANCES', 'PREGNANCY', 'MENTAL_HEALTH']), subjectId: 'subj_v', role: 'VICTIM',
    subjectIdOf: () => undefined, others: [{ subjectId: 'subj_c', role: 'CHILD', recordId: 'k1' }], ...over,
  });

  it('counts ED attendances in the last 12 months only (EMER class), with safeguarding concerns', () => {
    const h = nhsMapping.map(db, 'p1', ctx()).sections.health!;
    expect(h.edAttendances12m).toEqual([
      { date: '2026-10-20', reasonCategory: 'ASSAULT', safeguardingConcernRaised: true },
      { date: '2026-02-01', reasonCategory: 'SELF_HARM', safeguardingConcernRaised: false },
    ]);
    expect(h.injuriesConsistentWithAbuse).toBe(false);
    expect(h.registeredGpOdsCode).toBe('Y90001');
    expect(h.communicationNeeds).toEqual({ interpreterLanguage: 'pl' });
  });

  it('reports pregnancy with EDD and maternity booking, and risk to self from self-harm attendances', () => {
    const m = nhsMapping.map(db, 'p1', ctx());
    expect(m.sections.health?.pregnancy).toEqual({ pregnant: true, edd: '2027-01-15', maternityBooked: true });
    expect(m.sections.health?.mentalHealth).toEqual({ openToSecondaryMH: false, riskToSelf: true, riskToOthersConcern: false });
    expect(m.withheld.map((w) => w.fieldPath)).toEqual(['health.diagnoses', 'health.mentalHealth.diagnosis']);
    expect(m.currentInvolvement).toBe(true);
  });

  it('names children of the request known to health visiting, and the CP-IS flag for a child', () => {
    expect(nhsMapping.map(db, 'p1', ctx()).sections.health?.childrenKnownToHVorSN).toEqual([{ subjectId: 'subj_c' }]);
    expect(nhsMapping.map(db, 'k1', ctx({ role: 'CHILD', subjectId: 'subj_c', others: [] })).sections.health?.cpIsFlag).toBe('CPP');
  });

  it('shares only the domains asked for', () => {
    const h = nhsMapping.map(db, 'p1', ctx({ domains: new Set(['PREGNANCY']) })).sections.health!;
    expect(h.edAttendances12m).toBeUndefined();
    expect(h.mentalHealth).toBeUndefined();
    expect(h.pregnancy?.pregnant).toBe(true);
  });

  it('rejects a data file that is not a list of Bundles', () => {
    expect(() => nhsMapping.load({ 'fhir-bundles.json': { resourceType: 'Bundle' } })).toThrow(expect.objectContaining({ code: 'AGENCY_DATA_INVALID' }));
  });
});
