/**
 * T1 (domain-marac.md §8): happy path, high risk. Dash 16, consent NOT_SOUGHT_UNSAFE, V relies on
 * DPA Sch 1 para 10 (and Sch 8 para 4 for police), C on para 18; police, the acute trust and
 * housing respond. Every view below is the exact document the API hands out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { sampleResponse } from '../exchange/fixtures.js';
import {
  CLOCK, answer, auditRows, caseBody, expectAuditFreeOf, openCase, pull, readPack, requestResearch, section, subjectOf, type Ids,
} from './world.js';

const RECIPIENTS = ['essex-police', 'mse-hospitals', 'chelmsford-housing', 'safe-steps-idva', 'essex-childrens-services'];

const LONG_SUMMARY =
  'Fictional sample: victim reports being pushed during an argument and called 07700 900123 from a neighbour\'s flat. ' +
  'Officers attended within twenty minutes; the suspect had left. The victim declined to give a statement at the scene ' +
  'but agreed to be contacted by the IDVA service the next morning about safety planning and a non-molestation order.';
// R4: scrubbed, then cut at the last word boundary within 280 characters. The number is V's own
// (the case's contact phone), so it goes as a location before the scrub sees it (issue 12).
const LONG_SUMMARY_RELEASED =
  'Fictional sample: victim reports being pushed during an argument and called [LOCATION] from a neighbour\'s flat. ' +
  'Officers attended within twenty minutes; the suspect had left. The victim declined to give a statement at the scene ' +
  'but agreed to be contacted by the IDVA service the…[cut]';

/** The sample police research, with a long summary, an incident outside the window and an open address. */
function policeResponse(ids: Ids) {
  const r = sampleResponse('response-police.json', ids);
  const v = r.subjectResults[0];
  v.subject.address.confidential = false;
  v.police.incidents[0].summary = LONG_SUMMARY;
  v.police.incidents.push({ date: '2025-10-05', type: 'INCIDENT', roleOfSubject: 'VICTIM', category: 'DA_ASSAULT', summary: 'Fictional sample: outside the window.', outcome: 'NFA' });
  return r;
}

function housingResponse(ids: Ids) {
  const r = sampleResponse('response-housing.json', ids);
  r.subjectResults[0].subject.address.confidential = false;
  return r;
}

describe('T1 happy path, high risk: every party answers and each sees only what its flows release', () => {
  let t: TestGateway;
  let caseId: string;
  let ids: Ids;
  let requestId: string;
  const pulled: Record<string, any> = {};

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis' });
    t.clock.set(CLOCK);
    // V's address is not confidential here (T7 covers the refuge): non-police, non-IDVA see the district.
    ({ caseId, ids } = await openCase(t, caseBody({ subjects: { v1: (s) => { s.address.confidential = false; } } })));
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('fans out to every recipient under essex-marat v1, one REQUEST_CREATED per pair naming its flows', async () => {
    const r = await requestResearch(t, caseId, RECIPIENTS);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    requestId = r.body.requestId;
    expect(r.body.refused).toEqual([]);
    expect(r.body.messages.map((m: any) => [m.recipient, m.agreementId, m.agreementVersion]).sort()).toEqual(
      RECIPIENTS.map((a) => [a, 'essex-marat', 1]).sort(),
    );
    const created = await auditRows(t, `action = 'REQUEST_CREATED' AND request_id = $1`, [requestId]);
    const byRecipient = Object.fromEntries(created.map((e) => [e.event.agencyIds.find((a: string) => a !== 'essex-marat'), e.event]));
    expect(Object.keys(byRecipient).sort()).toEqual([...RECIPIENTS].sort());
    for (const e of Object.values(byRecipient)) expect(e).toMatchObject({ decision: 'PERMIT', purpose: 'MARAC_RESEARCH', agreementId: 'essex-marat', agreementVersion: 1 });
    expect(byRecipient['essex-police'].ruleIds).toEqual(['request-police-adults', 'request-police-children']);
    expect(byRecipient['chelmsford-housing'].ruleIds).toEqual(['request-housing-adults', 'request-housing-children']);
    expect(byRecipient['mse-hospitals'].ruleIds).toEqual(['request-acute-health']);
  });

  it('R6 and R7 on the request: police and IDVA see V’s address, others the district; C’s date of birth as an age band outside children-facing services', async () => {
    for (const a of RECIPIENTS) pulled[a] = await pull(t, a, requestId);
    const subjects = (a: string) => Object.fromEntries(pulled[a].request.subjects.map((s: any) => [s.subjectId, s]));
    const fullAddress = { lines: ['1 Example Row', 'Testford'], postcode: 'CM2 9ZZ', uprn: '100000000001', confidential: false };
    const vNames = [{ given: ['Jane'], family: 'Sampleton', use: 'official' }, { given: ['Jane'], family: 'Fictitious', use: 'maiden' }];
    const cNames = [{ given: ['Lily'], family: 'Sampleton' }];

    expect(subjects('chelmsford-housing')).toEqual({
      [ids.v1]: {
        subjectId: ids.v1, role: 'VICTIM', names: vNames, dobs: ['1990-04-12'], sexOrGender: 'F',
        identifiers: [{ system: 'nhs-number', value: '******3713' }], address: 'CM2', relationshipToVictim: 'SELF',
      },
      [ids.p1]: {
        subjectId: ids.p1, role: 'PERPETRATOR', names: [{ given: ['Mark'], family: 'Sampleton', use: 'official' }], dobs: ['1987-09-30', '1987-03-09'],
        sexOrGender: 'M', identifiers: [{ system: 'nhs-number', value: '******7420' }, { system: 'pnc-id', value: '*******789Y' }], relationshipToVictim: 'EX_PARTNER',
      },
      [ids.c1]: {
        subjectId: ids.c1, role: 'CHILD', names: cNames, dobs: ['5-10'],
        identifiers: [{ system: 'nhs-number', value: '******4843' }, { system: 'la-child-id', value: '******0042' }], relationshipToVictim: 'CHILD_OF_VICTIM',
      },
    });
    expect(subjects('essex-police')[ids.v1]).toEqual({
      subjectId: ids.v1, role: 'VICTIM', names: vNames, dobs: ['1990-04-12'], sexOrGender: 'F',
      identifiers: [{ system: 'nhs-number', value: '9990013713', verified: true }], address: fullAddress,
      contact: { phone: '07700 900123', safeTimes: 'Weekdays 10:00-12:00', safeToLeaveMessage: false }, relationshipToVictim: 'SELF',
    });
    expect(subjects('essex-police')[ids.c1]).toMatchObject({ dobs: ['5-10'], identifiers: [{ system: 'nhs-number', value: '******4843' }, { system: 'la-child-id', value: '******0042' }] });
    expect(subjects('safe-steps-idva')[ids.v1]).toMatchObject({ address: fullAddress, contact: { phone: '07700 900123' } });
    for (const a of ['mse-hospitals', 'essex-childrens-services']) {
      expect(subjects(a)[ids.v1].address, a).toBe('CM2');
      expect(subjects(a)[ids.v1].contact, a).toBeUndefined();
      // Health and children's services match on the exact date of birth (R7; guardrail G-CHILD-DOB).
      expect(subjects(a)[ids.c1]).toMatchObject({ dobs: ['2020-07-01'], identifiers: [{ system: 'nhs-number', value: '9990054843' }, { system: 'la-child-id', value: 'LAC-000042' }] });
    }

    const delivered = await auditRows(t, `action = 'DELIVERED' AND request_id = $1`, [requestId]);
    expect(delivered).toHaveLength(RECIPIENTS.length);
    for (const e of delivered) {
      expect(e.decision).toBe('PERMIT_WITH_TRANSFORMS');
      expect(e.event.ruleIds.length).toBeGreaterThan(0);
    }
    const housing = delivered.find((e) => e.event.agencyIds.includes('chelmsford-housing'))!.event;
    expect(housing.fieldsTransformed).toEqual(expect.arrayContaining([
      { path: `${ids.v1}/subject.address`, op: 'postcode' },
      { path: `${ids.c1}/subject.dobs[0]`, op: 'ageBand' },
      { path: `${ids.v1}/subject.identifiers[0].value`, op: 'mask' },
    ]));
    expect(housing.fieldsWithheld).toEqual(expect.arrayContaining([{ path: `${ids.v1}/subject.contact`, reason: 'NOT_IN_AGREEMENT' }]));
  });

  it('police, the acute trust, housing and children’s services answer', async () => {
    const bodies: Record<string, unknown> = {
      'essex-police': policeResponse(ids),
      'mse-hospitals': sampleResponse('response-health.json', ids),
      'chelmsford-housing': housingResponse(ids),
      'essex-childrens-services': sampleResponse('response-childrens-social-care.json', ids),
    };
    for (const [agency, body] of Object.entries(bodies)) {
      const { response } = await answer(t, agency, requestId, ids, body as any, pulled[agency]);
      expect(response.status, `${agency}: ${JSON.stringify(response.body)}`).toBe(201);
      expect(response.body).toMatchObject({ requestId, state: 'responded', late: false });
    }
  });

  it('R4, R5, R6, R7: housing sees the police count and the three most recent incidents, cut, by month; no convictions; V’s address as district', async () => {
    const pack = await readPack(t, 'chelmsford-housing', caseId);
    const police = section(pack, 'essex-police');
    expect(police.release).toEqual({ released: true, agreementId: 'essex-marat', version: 1 });
    const v = subjectOf(police, ids.v1);
    expect(v.view).toEqual({
      subjectId: ids.v1,
      match: { status: 'MATCHED', confidence: 0.98, matchedOn: ['name', 'dob', 'postcode'] },
      knownToAgency: true,
      currentInvolvement: true,
      subject: { dateOfBirth: '35-49', address: 'CM2' },
      police: {
        incidentCount12m: 4,
        incidents: [
          { date: '2026-11', type: 'CRIME', roleOfSubject: 'VICTIM', category: 'DA_ASSAULT', summary: LONG_SUMMARY_RELEASED, outcome: 'ONGOING' },
          { date: '2026-09', type: 'INCIDENT', roleOfSubject: 'VICTIM', category: 'DA_VERBAL', summary: 'Fictional sample: verbal argument, neighbours called.', outcome: 'NFA' },
          { date: '2026-06', type: 'CRIME', roleOfSubject: 'VICTIM', category: 'STALKING', summary: 'Fictional sample: repeated unwanted messages.', outcome: 'CHARGED' },
        ],
      },
    });
    expect(LONG_SUMMARY_RELEASED.length).toBeLessThanOrEqual(280 + '…[cut]'.length);
    expect(v.withheld).toEqual(expect.arrayContaining([
      { path: 'police.incidents[3]', reason: 'OUTSIDE_LIMIT', by: 'policy' },
      { path: 'police.incidents[4]', reason: 'OUTSIDE_WINDOW', by: 'policy' },
      { path: 'police.incidents[0].crimeRef', reason: 'DROPPED_BY_RULE', by: 'policy' },
      { path: 'subject.names', reason: 'NOT_IN_AGREEMENT', by: 'policy' },
      { path: 'subject.contact', reason: 'NOT_IN_AGREEMENT', by: 'policy' },
      { path: 'police.officerInCharge', reason: 'NOT_IN_AGREEMENT', by: 'policy' },
    ]));
    expect(v.transformed).toEqual(expect.arrayContaining([
      { path: 'subject.dateOfBirth', op: 'ageBand' },
      { path: 'subject.address', op: 'postcode' },
      { path: 'police.incidents', op: 'window+limit' },
      { path: 'police.incidents[0].date', op: 'date' },
      { path: 'police.incidents[0].summary', op: 'scrub+truncate' },
    ]));

    const p = subjectOf(police, ids.p1);
    expect(p.view).toEqual({
      subjectId: ids.p1, match: { status: 'MATCHED', confidence: 1, matchedOn: ['pnc-id'] }, knownToAgency: true, currentInvolvement: true,
      police: { incidentCount12m: 4 },
    });
    expect(p.withheld).toEqual(expect.arrayContaining([
      { path: 'police.convictions', reason: 'DROPPED_BY_RULE', by: 'policy' },
      { path: 'police.bailConditions', reason: 'NOT_IN_AGREEMENT', by: 'policy' },
      { path: 'police.incidents', reason: 'LIVE_INVESTIGATION', by: 'agency' },
    ]));
    // The child is not found by police: only the match result moves.
    expect(subjectOf(police, ids.c1).view).toEqual({ subjectId: ids.c1, match: { status: 'NOT_FOUND', confidence: 0, matchedOn: [] } });

    // R1: housing learns only that health holds something, never what.
    const health = section(pack, 'mse-hospitals');
    expect(subjectOf(health, ids.v1).view).toEqual({
      subjectId: ids.v1, match: { status: 'MATCHED', confidence: 1, matchedOn: ['nhs-number'] }, knownToAgency: true, currentInvolvement: true,
      subject: { identifiers: [{ system: 'nhs-number', value: '******3713' }], dateOfBirth: '35-49' },
      health: true,
    });
    // A possible match releases nothing but the match result.
    expect(subjectOf(health, ids.p1).view).toEqual({ subjectId: ids.p1, match: { status: 'POSSIBLE', confidence: 0.6, matchedOn: ['name', 'dob'] } });

    // R7: the child's plan, the start date to the month, no worker contact.
    const csc = section(pack, 'essex-childrens-services');
    expect(subjectOf(csc, ids.c1).view).toEqual({
      subjectId: ids.c1, match: { status: 'MATCHED', confidence: 1, matchedOn: ['la-child-id'] }, knownToAgency: true, currentInvolvement: true,
      childrensSocialCare: {
        children: [{ subjectId: ids.c1, status: 'CPP', cpCategory: 'EMOTIONAL', planStart: '2026-01', s47Last12m: true, daFactorAtAssessment: true }],
        preBirthPlan: false,
      },
    });
    expect(section(pack, 'chelmsford-housing').release).toEqual({ released: false, reason: 'OWN_RESPONSE' });
  });

  it('R2: police see V’s ED attendances of the last 12 months, by month, as categories, no narrative or pregnancy', async () => {
    const pack = await readPack(t, 'essex-police', caseId);
    const health = section(pack, 'mse-hospitals');
    const v = subjectOf(health, ids.v1);
    expect(v.view).toEqual({
      subjectId: ids.v1, match: { status: 'MATCHED', confidence: 1, matchedOn: ['nhs-number'] }, knownToAgency: true, currentInvolvement: true,
      subject: { identifiers: [{ system: 'nhs-number', value: '******3713' }], dateOfBirth: '35-49' },
      health: {
        edAttendances12m: [
          { date: '2026-11', reasonCategory: 'ASSAULT', safeguardingConcernRaised: true },
          { date: '2026-07', reasonCategory: 'INJURY', safeguardingConcernRaised: false },
        ],
        injuriesConsistentWithAbuse: true,
      },
    });
    expect(v.withheld).toEqual(expect.arrayContaining([
      { path: 'health.edAttendances12m[2]', reason: 'OUTSIDE_WINDOW', by: 'policy' },
      { path: 'health.clinicalNarrative', reason: 'DROPPED_BY_RULE', by: 'policy' },
      { path: 'health.pregnancy', reason: 'NOT_IN_AGREEMENT', by: 'policy' },
    ]));
    expect(v.transformed).toEqual(expect.arrayContaining([
      { path: 'health.edAttendances12m', op: 'window' },
      { path: 'health.edAttendances12m[0].date', op: 'date' },
      { path: 'health.edAttendances12m[0].reasonCategory', op: 'categorise' },
    ]));
    // No flow from housing to police: the police are not even shown that housing was asked (issue 12 class 6).
    expect(pack.sections.map((x: any) => x.agencyId)).not.toContain('chelmsford-housing');
    const viewed = await auditRows(t, `action = 'VIEW_READ' AND case_id = $1`, [caseId]);
    expect(viewed.at(-1)!.event.sectionDecisions).toContainEqual(expect.objectContaining({ agencyId: 'chelmsford-housing', decision: 'DENY', reasonCode: 'NO_FLOW_FOR_PAIR' }));
  });

  it('the coordinator gets each agency’s research under its own flows', async () => {
    const pack = await readPack(t, 'essex-marat', caseId);
    expect(pack.refused).toEqual([]);
    const health = subjectOf(section(pack, 'mse-hospitals'), ids.v1);
    expect(health.view).toEqual({
      subjectId: ids.v1, match: { status: 'MATCHED', confidence: 1, matchedOn: ['nhs-number'] }, knownToAgency: true, currentInvolvement: true,
      subject: { identifiers: [{ system: 'nhs-number', value: '9990013713', verified: true }], dateOfBirth: '1990-04-12' },
      health: {
        registeredGpOdsCode: 'F81001',
        edAttendances12m: [
          { date: '2026-11', reasonCategory: 'ASSAULT', safeguardingConcernRaised: true },
          { date: '2026-07', reasonCategory: 'INJURY', safeguardingConcernRaised: false },
        ],
        injuriesConsistentWithAbuse: true,
        pregnancy: { pregnant: true, edd: '2027-04-20', maternityBooked: true },
        mentalHealth: { openToSecondaryMH: false, riskToSelf: false, riskToOthersConcern: false },
        substanceMisuseServiceOpen: false,
        communicationNeeds: { interpreterLanguage: 'pl' },
        childrenKnownToHVorSN: [{ subjectId: ids.c1 }],
        cpIsFlag: 'NONE',
      },
    });
    expect(health.withheld).toEqual(expect.arrayContaining([
      { path: 'health.clinicalNarrative', reason: 'DROPPED_BY_RULE', by: 'policy' },
      { path: 'health.diagnoses', reason: 'DROPPED_BY_RULE', by: 'policy' },
      { path: 'health.mentalHealth.diagnosis', reason: 'DROPPED_BY_RULE', by: 'policy' },
      { path: 'health.mentalHealth.diagnosis', reason: 'NOT_RELEVANT_TO_CURRENT_RISK', by: 'agency' },
    ]));

    const housing = subjectOf(section(pack, 'chelmsford-housing'), ids.v1);
    expect(housing.view).toEqual({
      subjectId: ids.v1, match: { status: 'MATCHED', confidence: 0.95, matchedOn: ['name', 'dob', 'uprn'] }, knownToAgency: true, currentInvolvement: true,
      subject: { address: 'CM2' },
      housing: {
        tenure: 'COUNCIL', landlordOrgId: 'testford-council', jointTenancyWithPerpetrator: true,
        // Pseudonymised: shows a shared property without revealing it.
        propertyUprn: expect.stringMatching(/^psn_[0-9a-f]{32}$/),
        asbCasesOpen: 0, rentArrearsBand: 'UNDER_500', sanctuaryScheme: { installed: true, date: '2026' },
        managementTransferRequested: true, homelessnessApplication: { status: 'OPEN', date: '2026-11-01' },
      },
    });

    const perp = subjectOf(section(pack, 'essex-police'), ids.p1);
    expect(perp.view.police).toEqual({
      incidentCount12m: 4,
      convictions: [
        { category: 'VIOLENCE', date: '2019-03-15', disposal: 'Community order (fictional sample)' },
        { category: 'DA', date: '2022-08-01', disposal: 'Suspended sentence (fictional sample)' },
      ],
      bailConditions: [{ conditions: ['NO_CONTACT_VICTIM', 'EXCLUSION_ZONE'], until: '2027-01-31' }],
      orders: [{ type: 'NMO', protectedPersonIds: [ids.v1, ids.c1], expires: '2027-06-30' }],
      markers: [{ type: 'VIOLENCE', date: '2019-03-15' }, { type: 'DA', date: '2022-08-01' }],
      firearmsCertificateHeld: false,
      mappa: { category: 2, level: 1 },
    });
    // IDVA was asked but has not answered.
    expect(section(pack, 'safe-steps-idva')).toMatchObject({ state: 'delivered', release: { released: false, reason: 'NO_RESPONSE' } });
  });

  it('audits each view with the rules that decided it, and the log holds paths only: no address, name, number or date of birth', async () => {
    const views = await auditRows(t, `action = 'VIEW_READ' AND case_id = $1`, [caseId]);
    const byViewer: Record<string, any> = Object.fromEntries(views.map((e) => [e.event.agencyIds[0] as string, e.event]));
    expect(Object.keys(byViewer).sort()).toEqual(['chelmsford-housing', 'essex-marat', 'essex-police']);
    for (const e of Object.values(byViewer)) expect(e.decision).toBe('PERMIT_WITH_TRANSFORMS');
    expect(byViewer['chelmsford-housing'].ruleIds).toEqual(expect.arrayContaining([
      'police-to-health-and-housing#police.incidents',
      'police-to-health-and-housing#police.convictions',
      'acute-health-to-housing#health',
      'childrens-services-to-housing#childrensSocialCare.children[].planStart',
    ]));
    expect(byViewer['essex-police'].ruleIds).toEqual(expect.arrayContaining(['acute-health-to-police#health.edAttendances12m']));
    expect(byViewer['chelmsford-housing'].fieldsWithheld).toEqual(expect.arrayContaining([
      { path: `essex-police/${ids.p1}/police.convictions`, reason: 'DROPPED_BY_RULE' },
    ]));
    expect(byViewer['chelmsford-housing'].fieldsTransformed).toEqual(expect.arrayContaining([
      { path: `essex-police/${ids.v1}/subject.address`, op: 'postcode' },
    ]));
    await expectAuditFreeOf(t, [
      // Whole phone numbers: a bare '07700' turns up by chance in the log's hex hashes.
      'CM2', '9ZZ', '100000000001', 'Example Row', 'Testford', '07700 900123', '07700900123', 'Sampleton', 'Jane', '1990-04-12', '9990013713', '19/0456789Y', 'LAC-000042',
    ]);
  });
});
