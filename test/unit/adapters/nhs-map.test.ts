import { describe, expect, it } from 'vitest';
import { nhsMapping } from '../../../adapters/nhs/map.js';
import type { Bundle } from '../../../adapters/nhs/fhir.js';
import type { MapContext } from '../../../adapters/sdk/mapping.js';

const ASOF = '2026-11-01';

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
