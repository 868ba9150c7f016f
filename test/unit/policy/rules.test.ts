/**
 * The ten rules of domain-marac.md §7, each against the sample Essex agreement (R10 against the
 * inter-area transfer agreement), asserting the released view and the reasons.
 */
import { describe, expect, it } from 'vitest';
import { decide, redact } from '../../../gateway/src/policy/index.js';
import {
  ACUTE, COORD, CSC, HMAC_KEY, HOUSING, IDVA, MH, POLICE, PROBATION, compile, essexDoc, facts, party, permit, release,
  sample, transferDoc,
} from './helpers.js';

const essex = compile(essexDoc());
const now = new Date('2026-12-12T10:00:00Z');
const common = (sr: Record<string, any>) => ({
  subjectId: sr.subjectId, match: sr.match, knownToAgency: sr.knownToAgency, currentInvolvement: sr.currentInvolvement,
});
const healthVictim = sample('response-health').subjectResults[0];
const policeSample = sample('response-police');
const policeVictim = policeSample.subjectResults[0];
const policePerp = policeSample.subjectResults[1];
const reasons = (w: { path: string; reason: string }[]) => Object.fromEntries(w.map((x) => [x.path, x.reason]));

describe('R1: health clinical detail never goes to housing; housing learns a vulnerability is known', () => {
  it('acute → housing: `health: true`, nothing clinical', () => {
    const { view } = release({ agreement: essex, from: ACUTE, to: HOUSING, doc: healthVictim, now });
    expect(view).toEqual({
      ...common(healthVictim),
      subject: { identifiers: [{ system: 'nhs-number', value: '******3713' }], dateOfBirth: '35-49' },
      health: true,
    });
  });
  it('no health agency has a flow giving housing more', () => {
    for (const from of [ACUTE, party('essex-gp-federation', 'HEALTH_PRIMARY'), MH]) {
      const { view } = release({ agreement: essex, from, to: HOUSING, doc: healthVictim, now });
      expect(view.health).toBe(true);
    }
  });
});

describe('R2: police see ED attendances of the last 12 months, month precision, categories, no narrative', () => {
  it('acute → police', () => {
    const { view, explanation } = release({ agreement: essex, from: ACUTE, to: POLICE, doc: healthVictim, now });
    expect(view.health).toEqual({
      edAttendances12m: [
        { date: '2026-11', reasonCategory: 'ASSAULT', safeguardingConcernRaised: true },
        { date: '2026-07', reasonCategory: 'INJURY', safeguardingConcernRaised: false },
      ],
      injuriesConsistentWithAbuse: true,
    });
    expect(reasons(explanation.withheld)).toMatchObject({
      'health.edAttendances12m[2]': 'OUTSIDE_WINDOW',
      'health.clinicalNarrative': 'DROPPED_BY_RULE',
      'health.pregnancy': 'NOT_IN_AGREEMENT',
      'health.diagnoses': 'NOT_IN_AGREEMENT',
    });
    expect(JSON.stringify(view)).not.toContain('bruising');
  });
  it('reasons outside the category list become OTHER', () => {
    const doc = { ...healthVictim, health: { edAttendances12m: [{ date: '2026-12-01', reasonCategory: 'OTHER' }] } };
    expect(release({ agreement: essex, from: ACUTE, to: POLICE, doc, now }).view.health).toEqual({
      edAttendances12m: [{ date: '2026-12', reasonCategory: 'OTHER' }],
    });
  });
});

describe('R3: special-category data only with an Art 9 condition for that subject', () => {
  it('no condition: health withheld NO_ART9_CONDITION, the GP code (not special category) released', () => {
    const { view, explanation } = release({ agreement: essex, from: ACUTE, to: COORD, doc: healthVictim, now, subject: { art9Conditions: [], consentStatus: 'REFUSED' } });
    // cpIsFlag is a child-protection flag (CHILD), not special category.
    expect(view.health).toEqual({ registeredGpOdsCode: 'F81001', cpIsFlag: 'NONE' });
    const r = reasons(explanation.withheld);
    for (const p of ['health.edAttendances12m', 'health.injuriesConsistentWithAbuse', 'health.pregnancy', 'health.communicationNeeds']) {
      expect(r[p]).toBe('NO_ART9_CONDITION');
    }
  });
  it('para 18 for an adult without care and support needs is rejected', () => {
    const { view, explanation } = release({ agreement: essex, from: ACUTE, to: COORD, doc: healthVictim, now, subject: { art9Conditions: ['DPA_SCH1_P18'] } });
    expect(view.health).toEqual({ registeredGpOdsCode: 'F81001', cpIsFlag: 'NONE' });
    expect(reasons(explanation.withheld)['health.pregnancy']).toBe('P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS');
  });
  it('with DPA_SCH1_P10 the coordinator gets the agreed health view', () => {
    const { view } = release({ agreement: essex, from: ACUTE, to: COORD, doc: healthVictim, now });
    expect(view.health).toEqual({
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
      childrenKnownToHVorSN: [{ subjectId: 'subj_child' }],
      cpIsFlag: 'NONE',
    });
  });
});

describe('R4: non-criminal-justice agencies get a count and the three most recent incidents, truncated', () => {
  it('police → housing: count, 3 most recent at month precision, summaries scrubbed and cut at 280, no crime refs', () => {
    const long = `${'Fictional sample: a long account of the incident with details. '.repeat(8)}Call 07700 900123.`;
    const doc = structuredClone(policeVictim);
    doc.police.incidents[0].summary = long;
    const { view, explanation } = release({ agreement: essex, from: POLICE, to: HOUSING, doc, now });
    expect(view.police.incidentCount12m).toBe(4);
    expect(view.police.incidents.map((i: any) => i.date)).toEqual(['2026-11', '2026-09', '2026-06']);
    expect(view.police.incidents[0].summary.length).toBeLessThanOrEqual(280 + '…[cut]'.length);
    expect(view.police.incidents[0].summary).toMatch(/…\[cut\]$/);
    expect(JSON.stringify(view)).not.toMatch(/crimeRef|42\/12345|07700/);
    expect(reasons(explanation.withheld)['police.incidents[3]']).toBe('OUTSIDE_LIMIT');
  });
  it('police → children’s services: full dates, three most recent', () => {
    const { view } = release({ agreement: essex, from: POLICE, to: CSC, doc: policeVictim, now });
    expect(view.police.incidents.map((i: any) => i.date)).toEqual(['2026-11-30', '2026-09-14', '2026-06-02']);
  });
});

describe('R5: convictions as categories to probation, IDVA and CSC; none to housing or health', () => {
  const perp = { role: 'PERPETRATOR' as const };
  it.each([[CSC], [IDVA], [PROBATION]])('police → %o: categories and year only', (to) => {
    const { view } = release({ agreement: essex, from: POLICE, to, doc: policePerp, now, subject: perp });
    expect(view.police.convictions).toEqual([{ category: 'VIOLENCE', date: '2019' }, { category: 'DA', date: '2022' }]);
  });
  it.each([[HOUSING], [ACUTE]])('police → %o: no conviction data', (to) => {
    const { view, explanation } = release({ agreement: essex, from: POLICE, to, doc: policePerp, now, subject: perp });
    expect(view.police.convictions).toBeUndefined();
    expect(reasons(explanation.withheld)['police.convictions']).toBe('DROPPED_BY_RULE');
  });
});

describe('R6: victim address and safe contact only to IDVA and police; others see the postcode district or CONFIDENTIAL', () => {
  const caseSubject = { subjectId: 'subj_victim', subject: { role: 'VICTIM', names: [{ family: 'Sampleton' }], dobs: ['1990-04-12'], address: { lines: ['1 Example Row'], postcode: 'CM2 9ZZ', confidential: false } } };
  const request = (to: ReturnType<typeof party>, doc: Record<string, unknown>) =>
    release({ agreement: essex, from: COORD, to, doc, now, direction: 'request' });
  it('police and IDVA get the address; housing gets the postcode district', () => {
    expect(request(POLICE, caseSubject).view.subject.address).toEqual(caseSubject.subject.address);
    expect(request(IDVA, caseSubject).view.subject.address).toEqual(caseSubject.subject.address);
    expect(request(HOUSING, caseSubject).view.subject.address).toBe('CM2');
  });
  it('a confidential (refuge) address shows as CONFIDENTIAL outside IDVA and police', () => {
    const refuge = structuredClone(caseSubject);
    refuge.subject.address.confidential = true;
    expect(request(HOUSING, refuge).view.subject.address).toBe('CONFIDENTIAL');
    expect(request(ACUTE, refuge).view.subject.address).toBe('CONFIDENTIAL');
    expect(request(POLICE, refuge).view.subject.address).toEqual(refuge.subject.address);
  });
  it('IDVA safe contact: police get it (scrubbed safe times); the coordinator learns only whether a message may be left', () => {
    const idva = sample('response-idva').subjectResults[0];
    const toPolice = release({ agreement: essex, from: IDVA, to: POLICE, doc: idva, now }).view;
    expect(toPolice.idva.safeContact).toEqual({ phone: '07700 900456', safeTimes: 'Tuesdays after 14:00', safeToLeaveMessage: false });
    const toCoord = release({ agreement: essex, from: IDVA, to: COORD, doc: idva, now }).view;
    expect(toCoord.idva.safeContact).toEqual({ safeToLeaveMessage: false });
    expect(JSON.stringify(toCoord)).not.toMatch(/900456|Tuesdays|Refuge address/);
  });
});

describe("R7: children's exact dates of birth only to children-facing services; others see an age band", () => {
  const child = { subjectId: 'subj_child', subject: { role: 'CHILD', names: [{ family: 'Sampleton' }], dobs: ['2020-07-01'], identifiers: [{ system: 'nhs-number', value: '9990054843' }] } };
  const childFacts = { role: 'CHILD' as const, isAdult: false, art9Conditions: ['DPA_SCH1_P18'] };
  it('request to police: age band and last four of identifiers', () => {
    const { view } = release({ agreement: essex, from: COORD, to: POLICE, doc: child, now, direction: 'request', subject: childFacts });
    expect(view.subject).toMatchObject({ dobs: ['5-10'], identifiers: [{ system: 'nhs-number', value: '******4843' }] });
  });
  it("request to children's services and acute health: the exact date", () => {
    for (const to of [CSC, ACUTE]) {
      const { view } = release({ agreement: essex, from: COORD, to, doc: child, now, direction: 'request', subject: childFacts });
      expect(view.subject.dobs).toEqual(['2020-07-01']);
    }
  });
  it("children's services → police: status kept, dates of birth banded", () => {
    const doc = { ...sample('response-childrens-social-care').subjectResults[0], subject: { dateOfBirth: '2020-07-01' } };
    const { view } = release({ agreement: essex, from: CSC, to: POLICE, doc, now, subject: childFacts });
    expect(view.subject).toEqual({ dateOfBirth: '5-10' });
    expect(view.childrensSocialCare).toEqual({
      children: [{ subjectId: 'subj_child', status: 'CPP', cpCategory: 'EMOTIONAL', planStart: '2026-01', s47Last12m: true, daFactorAtAssessment: true }],
      preBirthPlan: false,
    });
  });
});

describe('R8: probation shares the risk-of-harm level and the conditions that protect the victim, nothing else', () => {
  const probation = sample('response-probation').subjectResults[0];
  it('probation → IDVA', () => {
    const { view, explanation } = release({ agreement: essex, from: PROBATION, to: IDVA, doc: probation, now, subject: { role: 'PERPETRATOR' } });
    expect(view.probation).toEqual({ supervisionType: 'LICENCE', roshLevel: 'HIGH', victimRelevantConditions: ['NO_CONTACT', 'EXCLUSION_ZONE', 'DA_PROGRAMME'] });
    expect(reasons(explanation.withheld)).toMatchObject({ 'probation.engagement': 'DROPPED_BY_RULE', 'probation.breachOrRecallAction': 'DROPPED_BY_RULE' });
  });
});

describe('R9: mental-health diagnoses never leave health; flags only; a perpetrator’s only with a risk-to-others concern', () => {
  const mh = (riskToOthersConcern: boolean) => ({
    subjectId: 's', match: { status: 'MATCHED', confidence: 1, matchedOn: ['nhs-number'] }, knownToAgency: true,
    health: { mentalHealth: { openToSecondaryMH: true, riskToSelf: false, riskToOthersConcern, diagnosis: 'Fictional diagnosis' }, diagnoses: ['X'] },
  });
  it('victim: flags to police, diagnosis withheld', () => {
    const { view, explanation } = release({ agreement: essex, from: MH, to: POLICE, doc: mh(false), now });
    expect(view.health).toEqual({ mentalHealth: { openToSecondaryMH: true, riskToSelf: false, riskToOthersConcern: false } });
    expect(reasons(explanation.withheld)).toMatchObject({ 'health.mentalHealth.diagnosis': 'DROPPED_BY_RULE', 'health.diagnoses': 'DROPPED_BY_RULE' });
  });
  it('perpetrator without a risk-to-others concern: nothing about mental health', () => {
    const { view, explanation } = release({ agreement: essex, from: MH, to: POLICE, doc: mh(false), now, subject: { role: 'PERPETRATOR' } });
    expect(view.health).toBeUndefined();
    expect(reasons(explanation.withheld)['health.mentalHealth.openToSecondaryMH']).toBe('GUARDRAIL_MENTAL_HEALTH');
  });
  it('perpetrator with a risk-to-others concern: the flags', () => {
    const { view } = release({ agreement: essex, from: MH, to: POLICE, doc: mh(true), now, subject: { role: 'PERPETRATOR' } });
    expect(view.health).toEqual({ mentalHealth: { openToSecondaryMH: true, riskToSelf: false, riskToOthersConcern: true } });
  });
});

describe('R10: MARAC-to-MARAC transfer carries minutes, action plan, risk basis and referral dates only', () => {
  const transfer = compile(transferDoc());
  const southend = party('southend-marac', 'MARAC_COORDINATOR');
  const caseFacts = { maracArea: 'essex', riskBasis: { criteria: ['REPEAT'], lastMaracReferralDate: '2026-03-02' } };
  const bundle = {
    subjectId: 'subj_victim',
    fromMaracArea: 'southend',
    minutesSummary: 'Fictional sample: case heard 2026-03-02; refuge place found; call 07700 900123.',
    actionPlan: [{ description: 'IDVA to support with housing (fictional).', ownerAgencyId: 'southend-idva', dueBy: '2026-03-20', status: 'DONE' }],
    riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 17 },
    lastMaracReferralDate: '2026-03-02',
    police: { incidentCount12m: 6 },
    health: { clinicalNarrative: 'x' },
  };
  it('the bundle is released; raw agency research never is', () => {
    const d = permit(decide({ agreements: [essex, transfer], now, purpose: 'MARAC_TRANSFER', direction: 'response', from: southend, to: COORD, caseFacts }));
    const { view, explanation } = redact(d.plan, bundle, facts(), { now, hmacKey: HMAC_KEY });
    expect(view).toEqual({
      subjectId: 'subj_victim',
      fromMaracArea: 'southend',
      minutesSummary: 'Fictional sample: case heard 2026-03-02; refuge place found; call [PHONE].',
      actionPlan: [{ description: 'IDVA to support with housing (fictional).', ownerAgencyId: 'southend-idva', dueBy: '2026-03-20', status: 'DONE' }],
      riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 17 },
      lastMaracReferralDate: '2026-03-02',
    });
    expect(reasons(explanation.withheld)).toEqual({ police: 'NOT_IN_AGREEMENT', health: 'NOT_IN_AGREEMENT' });
  });
  it('even an agreement that tried to forward payloads would not (G-TRANSFER-NO-PAYLOAD)', () => {
    const doc = transferDoc();
    (doc.flows[2]!.release as Record<string, unknown>)['police.incidentCount12m'] = 'keep';
    const leaky = compile(doc);
    expect(leaky.problems.map((p) => p.code)).toContain('GUARDRAIL_CONFLICT');
    const d = permit(decide({ agreements: [leaky], now, purpose: 'MARAC_TRANSFER', direction: 'response', from: southend, to: COORD, caseFacts }));
    const { view, explanation } = redact(d.plan, bundle, facts(), { now, hmacKey: HMAC_KEY });
    expect(view.police).toBeUndefined();
    expect(reasons(explanation.withheld)['police.incidentCount12m']).toBe('GUARDRAIL_TRANSFER_PAYLOAD');
  });
});
