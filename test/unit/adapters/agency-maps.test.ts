/**
 * Mapping facts for housing, social care, probation and IDVA on small hand-made exports, so each
 * rule (current tenancy, arrears band, CP status, victim-relevant conditions, latest DASH...) is
 * checked against values known in advance.
 */
import { describe, expect, it } from 'vitest';
import type { MapContext } from '../../../adapters/sdk/mapping.js';
import { housingMapping } from '../../../adapters/housing/map.js';
import { adultSocialCareMapping, childrensSocialCareMapping } from '../../../adapters/social-care/map.js';
import { probationMapping } from '../../../adapters/probation/map.js';
import { idvaMapping } from '../../../adapters/idva/map.js';
import type { HousingExport } from '../../../adapters/housing/native.js';
import type { SocialCareExport } from '../../../adapters/social-care/native.js';
import type { ProbationExport } from '../../../adapters/probation/native.js';
import type { IdvaExport } from '../../../adapters/idva/native.js';

const ASOF = '2026-11-01';
const ctx = (over: Partial<MapContext>): MapContext => ({
  asOf: ASOF, lookbackMonths: 12, domains: new Set(['TENANCY', 'CHILDREN_STATUS', 'ADULT_SOCIAL_CARE', 'SUPERVISION', 'VICTIM_VIEWS']),
  subjectId: 'subj_v', role: 'VICTIM', subjectIdOf: () => undefined, others: [], ...over,
});

describe('housing', () => {
  const exp: HousingExport = {
    format: 'HOUSING-EXPORT', version: '1.0', exportedAt: '',
    people: [
      { personRef: 'V', forenames: 'Ada', surname: 'Quayle', formerSurnames: ['Penrose'], dateOfBirth: '1990-01-02', gender: 'F' },
      { personRef: 'P', forenames: 'Bob', surname: 'Quayle', formerSurnames: [], dateOfBirth: '1988-03-04', gender: 'M' },
    ],
    properties: [{ uprn: '990000000001', addressLines: ['1 Row'], postcode: 'CM1 4ZT', propertyType: 'FLAT' }, { uprn: '990000000002', addressLines: ['Refuge'], postcode: 'CM2 1ZA', propertyType: 'HOSTEL_ROOM' }],
    tenancies: [
      { tenancyRef: 'T1', uprn: '990000000001', tenancyType: 'SECURE', landlordType: 'COUNCIL', landlordOrgId: 'council', startDate: '2015-01-01', endDate: '2026-09-01', tenantRefs: ['V', 'P'], householdMembers: [] },
      { tenancyRef: 'T2', uprn: '990000000002', tenancyType: 'REFUGE_LICENCE', landlordType: 'REFUGE_PROVIDER', landlordOrgId: 'refuge', startDate: '2026-09-01', tenantRefs: ['V'], householdMembers: [] },
      { tenancyRef: 'T3', uprn: '990000000001', tenancyType: 'SECURE', landlordType: 'COUNCIL', landlordOrgId: 'council', startDate: '2026-09-02', tenantRefs: ['P'], householdMembers: [] },
    ],
    rentAccounts: [{ tenancyRef: 'T2', arrears: 0, asOf: ASOF }, { tenancyRef: 'T3', arrears: 2500, asOf: ASOF }],
    asbCases: [{ caseRef: 'A1', openedOn: '2026-05-01', category: 'HARASSMENT', parties: [{ personRef: 'P', role: 'ALLEGED_PERPETRATOR' }] }, { caseRef: 'A2', openedOn: '2025-01-01', closedOn: '2025-03-01', category: 'NOISE', parties: [{ personRef: 'P', role: 'ALLEGED_PERPETRATOR' }] }],
    sanctuaryInstallations: [{ uprn: '990000000001', personRef: 'V', referredOn: '2026-06-01', installedOn: '2026-07-01' }],
    homelessnessApplications: [{ applicationRef: 'H1', personRef: 'V', appliedOn: '2026-08-20', reason: 'DOMESTIC_ABUSE', status: 'ACCEPTED' }, { applicationRef: 'H0', personRef: 'V', appliedOn: '2019-01-01', reason: 'OTHER', status: 'CLOSED' }],
    transferRequests: [],
  };
  const db = housingMapping.load({ 'housing-export.json': exp });

  it('describes the tenancy in force today (the refuge), not the old joint tenancy', () => {
    const m = housingMapping.map(db, 'V', ctx({ others: [{ subjectId: 'subj_p', role: 'PERPETRATOR', recordId: 'P' }] }));
    expect(m.sections.housing).toEqual({
      tenure: 'REFUGE', landlordOrgId: 'refuge', propertyUprn: '990000000002', jointTenancyWithPerpetrator: false, rentArrearsBand: 'NONE',
      sanctuaryScheme: { installed: true, date: '2026-07-01' }, homelessnessApplication: { status: 'ACCEPTED', date: '2026-08-20' },
    });
    expect(m.withheld).toEqual([expect.objectContaining({ fieldPath: 'housing.homelessnessApplication', reason: 'NOT_RELEVANT_TO_CURRENT_RISK' })]);
  });

  it('bands arrears and counts only open ASB cases', () => {
    const h = housingMapping.map(db, 'P', ctx({ role: 'PERPETRATOR', subjectId: 'subj_p' })).sections.housing!;
    expect(h.rentArrearsBand).toBe('OVER_2000');
    expect(h.asbCasesOpen).toBe(1);
    expect(h.jointTenancyWithPerpetrator).toBeUndefined();
  });

  it('finds a tenant by a former surname', () => {
    const people = housingMapping.candidates(db);
    expect(people.find((p) => p.recordId === 'V')!.names.map((n) => n.family)).toEqual(['Quayle', 'Penrose']);
  });
});

describe('social care', () => {
  const exp: SocialCareExport = {
    format: 'SOCIAL-CARE-EXPORT', version: '1.0', localAuthority: 'x', exportedAt: '',
    children: [
      { childId: 'FIC000001', forename: 'Kit', surname: 'Quayle', dateOfBirth: '2019-05-05', sex: 'M', referrals: [], assessments: [{ completedOn: '2026-03-01', factors: ['3B'] }], s47Enquiries: [{ startedOn: '2026-02-20', outcome: 'ICPC' }], cpPlans: [{ startDate: '2026-03-10', category: 'EMOTIONAL' }], cinPlans: [], lookedAfter: [], earlyHelp: [], allocatedWorker: { name: 'A', team: 'CP team', phone: '01632 960001' } },
      { childId: 'FIC000002', forename: 'Lu', surname: 'Quayle', dateOfBirth: '2012-05-05', sex: 'F', referrals: [], assessments: [], s47Enquiries: [], cpPlans: [], cinPlans: [{ startDate: '2019-01-01', endDate: '2019-06-01' }], lookedAfter: [], earlyHelp: [] },
    ],
    involvedAdults: [{ adultRef: 'CSA-1', forename: 'Ada', surname: 'Quayle', formerSurnames: [], dateOfBirth: '1990-01-02', sex: 'F', children: [{ childId: 'FIC000001', relationship: 'MOTHER' }, { childId: 'FIC000002', relationship: 'MOTHER' }], preBirth: { startedOn: '2026-10-01', edd: '2027-02-01', plan: 'UNBORN_CPP' } }],
    adults: [{ adultId: 'ASC-1', forename: 'Ada', surname: 'Quayle', formerSurnames: [], dateOfBirth: '1990-01-02', sex: 'F', careAndSupportNeeds: true, services: [], s42Enquiries: [{ openedOn: '2026-09-01', concernType: 'DOMESTIC_ABUSE' }, { openedOn: '2020-01-01', closedOn: '2020-02-01', concernType: 'FINANCIAL', outcome: 'NO_FURTHER_ACTION' }], capacityAssessments: [{ date: '2026-10-01', decision: 'x', lacksCapacity: false }] }],
  };
  const db = childrensSocialCareMapping.load({ 'social-care-export.json': exp });

  it('gives a child its current status, plan and assessment facts', () => {
    const m = childrensSocialCareMapping.map(db, 'FIC000001', ctx({ role: 'CHILD', subjectId: 'subj_c1' }));
    expect(m.sections.childrensSocialCare).toEqual({ children: [{ subjectId: 'subj_c1', status: 'CPP', cpCategory: 'EMOTIONAL', planStart: '2026-03-10', s47Last12m: true, daFactorAtAssessment: true, allocatedWorkerContact: 'CP team, 01632 960001' }] });
    expect(childrensSocialCareMapping.map(db, 'FIC000002', ctx({ role: 'CHILD', subjectId: 'subj_c2' })).sections.childrensSocialCare?.children?.[0]?.status).toBe('NONE');
  });

  it('describes, for a parent, only the children who are subjects, and the pre-birth plan', () => {
    const m = childrensSocialCareMapping.map(db, 'CSA-1', ctx({ others: [{ subjectId: 'subj_c1', role: 'CHILD', recordId: 'FIC000001' }] }));
    expect(m.sections.childrensSocialCare?.children?.map((c) => c.subjectId)).toEqual(['subj_c1']);
    expect(m.sections.childrensSocialCare?.preBirthPlan).toBe(true);
    expect(m.withheld).toEqual([expect.objectContaining({ fieldPath: 'childrensSocialCare.children', reason: 'THIRD_PARTY' })]);
  });

  it('matches a child on the local child id', () => {
    const agency = { m: childrensSocialCareMapping.candidates(db) };
    expect(agency.m.find((c) => c.recordId === 'FIC000001')!.identifiers).toContainEqual({ system: 'la-child-id', value: 'FIC000001' });
  });

  it('gives adults\' services care needs, the current s42 enquiry and capacity', () => {
    const m = adultSocialCareMapping.map(db, 'ASC-1', ctx({}));
    expect(m.sections.adultSocialCare).toEqual({ careAndSupportNeeds: true, s42Enquiry: { status: 'OPEN' }, capacityConcerns: false });
    expect(m.withheld).toEqual([expect.objectContaining({ fieldPath: 'adultSocialCare.s42Enquiry' })]);
    expect(m.currentInvolvement).toBe(true);
  });
});

describe('probation', () => {
  const exp: ProbationExport = {
    format: 'PROBATION-EXPORT', version: '1.0', region: 'x', exportedAt: '',
    cases: [{
      crn: 'Z900001', forename: 'Bob', surname: 'Quayle', aliases: [], dateOfBirth: '1988-03-04', sex: 'M', pncId: '89/0012345X',
      events: [{ eventNumber: 1, offenceCategory: 'DA_VIOLENCE', offenceDescription: 'x', sentenceType: 'LICENCE', startDate: '2026-01-01', active: true }],
      requirements: [{ code: 'NO_CONTACT_NAMED', startDate: '2026-01-01' }, { code: 'BBR', startDate: '2026-01-01' }, { code: 'UNPAID_WORK', startDate: '2026-01-01' }],
      registrations: [], rosh: { assessedOn: '2026-02-01', overall: 'HIGH', knownAdult: 'HIGH', children: 'MEDIUM', public: 'LOW', staff: 'LOW' },
      oasysScores: { ogrs3: 77, ovp: 60, ogp: 50 }, contacts: { last3mAttended: 2, last3mMissed: 3 },
      breaches: [{ date: '2026-09-01', type: 'RECALL', outcome: 'Recalled' }], offenderManager: { name: 'G. P', team: 'Team', phone: '01632 960002' },
    }, {
      crn: 'Z900002', forename: 'Old', surname: 'Case', aliases: [], dateOfBirth: '1970-01-01', sex: 'M',
      events: [{ eventNumber: 1, offenceCategory: 'DRUGS', offenceDescription: 'x', sentenceType: 'COMMUNITY_ORDER', startDate: '2018-01-01', endDate: '2019-01-01', active: false }],
      requirements: [], registrations: [], contacts: { last3mAttended: 0, last3mMissed: 0 }, breaches: [], offenderManager: { name: 'x', team: 'y', phone: '01632 960003' },
    }],
  };
  const db = probationMapping.load({ 'probation-export.json': exp });

  it('shares RoSH, victim-relevant conditions, engagement and the latest recall; never OASys scores', () => {
    const m = probationMapping.map(db, 'Z900001', ctx({ role: 'PERPETRATOR' }));
    expect(m.sections.probation).toEqual({
      supervisionType: 'LICENCE', offenceCategory: 'DA_VIOLENCE', roshLevel: 'HIGH', roshTo: ['KNOWN_ADULT'],
      victimRelevantConditions: ['NO_CONTACT', 'DA_PROGRAMME'], engagement: 'POOR', breachOrRecallAction: 'Recalled on 2026-09-01',
      offenderManagerContact: 'G. P, Team, 01632 960002',
    });
    expect(JSON.stringify(m.sections)).not.toMatch(/ogrs|77/);
    expect(m.withheld).toEqual([expect.objectContaining({ fieldPath: 'probation.victimRelevantConditions', reason: 'NOT_RELEVANT_TO_CURRENT_RISK' })]);
  });

  it('says only NONE for someone supervised in the past', () => {
    expect(probationMapping.map(db, 'Z900002', ctx({ role: 'PERPETRATOR' }))).toEqual({ sections: { probation: { supervisionType: 'NONE' } }, withheld: [], currentInvolvement: false });
  });
});

describe('idva', () => {
  const exp: IdvaExport = {
    format: 'IDVA-EXPORT', version: '1.0', service: 'x', exportedAt: '',
    clients: [{
      clientRef: 'IDV-1', firstName: 'Ada', lastName: 'Quayle', otherNames: [], dateOfBirth: '1990-01-02', gender: 'F', referral: { date: '2026-08-01', source: 'POLICE' }, status: 'OPEN',
      contactAttempts: [{ date: '2026-08-02', method: 'PHONE', outcome: 'NO_ANSWER' }, { date: '2026-08-05', method: 'PHONE', outcome: 'CONTACTED' }],
      dash: [{ date: '2024-01-01', score: 9, version: 'SAFELIVES_24Q' }, { date: '2026-08-05', score: 17, version: 'SAFELIVES_24Q' }],
      views: 'I want to feel safe at home.', wantsFromMarac: 'Sanctuary measures.', safetyPlan: { inPlace: true },
      safeContact: { phone: '07700 900123', safeTimes: 'Weekdays 10:00-12:00', safeToLeaveMessage: false }, immigration: { nrpf: false }, interpreterLanguage: 'pl',
    }],
  };
  const db = idvaMapping.load({ 'idva-export.json': exp });

  it('shares contact, the victim\'s words, the latest DASH in the window and safe contact', () => {
    expect(idvaMapping.map(db, 'IDV-1', ctx({})).sections.idva).toEqual({
      victimContacted: { contacted: true, date: '2026-08-05' }, victimViews: 'I want to feel safe at home.', victimWantsFromMarac: 'Sanctuary measures.',
      dashScore: 17, safetyPlanInPlace: true, safeContact: { phone: '07700 900123', safeTimes: 'Weekdays 10:00-12:00', safeToLeaveMessage: false },
      immigrationNrpf: false, interpreterLanguage: 'pl',
    });
  });

  it('shares nothing about a client matched in another role', () => {
    const m = idvaMapping.map(db, 'IDV-1', ctx({ role: 'PERPETRATOR' }));
    expect(m.sections).toEqual({});
    expect(m.withheld[0]).toMatchObject({ reason: 'THIRD_PARTY' });
  });

  it('rejects an export of the wrong format', () => {
    expect(() => idvaMapping.load({ 'idva-export.json': { format: 'OTHER' } })).toThrow(expect.objectContaining({ code: 'AGENCY_DATA_INVALID' }));
  });
});
