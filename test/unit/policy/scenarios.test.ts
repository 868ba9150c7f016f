/**
 * domain-marac.md §8 scenarios T1–T8 and T5b at engine level, on the common fixture
 * "isa-m-north v3" (effective 2025-01-01, review 2026-01-01, expires 2026-03-31). Meeting
 * 2025-06-18; victim V (adult, no care and support needs), perpetrator P, child C (6, on a CPP).
 */
import { describe, expect, it } from 'vitest';
import {
  decide, redact, rejectedSubjectConditions, type Agreement, type CaseFacts, type DecideInput,
} from '../../../gateway/src/policy/index.js';
import { HMAC_KEY, compile, facts, guardrails, mNorthDoc, party, permit, transferDoc } from './helpers.js';

const isa = compile(mNorthDoc(), 'active', 3);
const now = new Date('2025-06-05T09:12:00Z');
const COORD = party('mn-coordinator', 'MARAC_COORDINATOR');
const POLICE = party('mn-police', 'POLICE');
const ACUTE = party('mn-acute', 'HEALTH_ACUTE');
const HOUSING = party('mn-housing', 'HOUSING');
const IDVA = party('mn-idva', 'IDVA');
const RECOVERY = party('recovery-ltd', 'SUBSTANCE_MISUSE');
const t1Case: CaseFacts = { maracArea: 'm-north', riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 16 } };

const V = facts({ role: 'VICTIM', art9Conditions: ['DPA_SCH1_P10'], consentStatus: 'NOT_SOUGHT_UNSAFE' });
const P = facts({ role: 'PERPETRATOR', art9Conditions: ['DPA_SCH1_P10'] });
const C = facts({ role: 'CHILD', isAdult: false, art9Conditions: ['DPA_SCH1_P18'], consentStatus: 'NOT_SOUGHT_OTHER' });
const ctx = { now, hmacKey: HMAC_KEY };

function d(over: Partial<DecideInput>) {
  return decide({ agreements: [isa], now, purpose: 'MARAC_RESEARCH', direction: 'response', from: POLICE, to: COORD, caseFacts: t1Case, ...over });
}
const reasonsOf = (w: { path: string; reason: string }[]) => Object.fromEntries(w.map((x) => [x.path, x.reason]));

const matched = { status: 'MATCHED', confidence: 0.98, matchedOn: ['name', 'dob'] };
const longSummary = (n: number) => `Fictional incident ${n}: ${'the caller described a further argument and threats at the address; '.repeat(6)}`;
const policeV = {
  subjectId: 'subj_v', match: matched, knownToAgency: true, currentInvolvement: true,
  subject: { dateOfBirth: '1990-04-12', address: { lines: ['1 Example Row'], postcode: 'CM2 9ZZ', uprn: '100000000001', confidential: false } },
  police: {
    incidentCount12m: 4,
    incidents: [
      { date: '2025-05-30', type: 'CRIME', roleOfSubject: 'VICTIM', category: 'DA_ASSAULT', crimeRef: '42/1/25', summary: longSummary(1), outcome: 'ONGOING' },
      { date: '2025-03-14', type: 'INCIDENT', roleOfSubject: 'VICTIM', category: 'DA_VERBAL', summary: longSummary(2), outcome: 'NFA' },
      { date: '2024-12-02', type: 'CRIME', roleOfSubject: 'VICTIM', category: 'STALKING', crimeRef: '42/2/24', summary: longSummary(3), outcome: 'CHARGED' },
      { date: '2024-08-20', type: 'INCIDENT', roleOfSubject: 'VICTIM', category: 'DA_HARASSMENT', summary: longSummary(4), outcome: 'NFA' },
    ],
  },
  withheld: [],
};
const policeP = {
  subjectId: 'subj_p', match: { status: 'MATCHED', confidence: 1, matchedOn: ['pnc-id'] }, knownToAgency: true,
  police: { incidentCount12m: 4, convictions: [{ category: 'VIOLENCE', date: '2019-03-15', disposal: 'Community order' }] },
  withheld: [],
};
const acuteV = {
  subjectId: 'subj_v', match: { status: 'MATCHED', confidence: 1, matchedOn: ['nhs-number'] }, knownToAgency: true,
  health: {
    registeredGpOdsCode: 'F81001',
    edAttendances12m: [
      { date: '2025-05-31', reasonCategory: 'ASSAULT', safeguardingConcernRaised: true },
      { date: '2024-03-01', reasonCategory: 'INJURY' },
    ],
    pregnancy: { pregnant: true, edd: '2025-11-20', maternityBooked: true },
    clinicalNarrative: 'Fictional: bruising to forearm, NHS 9990013713.',
  },
  withheld: [],
};

describe('T1 happy path, high risk', () => {
  it('every provider → coordinator pair is permitted under isa-m-north v3', () => {
    for (const from of [POLICE, ACUTE, HOUSING]) {
      expect(permit(d({ from })).version).toBe(3);
    }
  });

  it('R4 + R6: housing sees the count, three most recent summaries truncated at month precision, no convictions, V address as district', () => {
    const dec = permit(d({ to: HOUSING }));
    expect(dec.flowIds).toEqual(['police-to-health-and-housing']);
    const v = redact(dec.plan, policeV, V, ctx);
    const cut = (n: number) => expect.stringMatching(new RegExp(`^Fictional incident ${n}: .*…\\[cut\\]$`));
    expect(v.view).toEqual({
      subjectId: 'subj_v', match: matched, knownToAgency: true, currentInvolvement: true,
      subject: { dateOfBirth: '35-49', address: 'CM2' },
      police: {
        incidentCount12m: 4,
        incidents: [
          { date: '2025-05', type: 'CRIME', roleOfSubject: 'VICTIM', category: 'DA_ASSAULT', summary: cut(1), outcome: 'ONGOING' },
          { date: '2025-03', type: 'INCIDENT', roleOfSubject: 'VICTIM', category: 'DA_VERBAL', summary: cut(2), outcome: 'NFA' },
          { date: '2024-12', type: 'CRIME', roleOfSubject: 'VICTIM', category: 'STALKING', summary: cut(3), outcome: 'CHARGED' },
        ],
      },
    });
    for (const i of (v.view.police as { incidents: { summary: string }[] }).incidents) expect(i.summary.length).toBeLessThanOrEqual(286);
    expect(reasonsOf(v.explanation.withheld)).toMatchObject({ 'police.incidents[3]': 'OUTSIDE_LIMIT', 'police.incidents[0].crimeRef': 'DROPPED_BY_RULE' });
    const p = redact(dec.plan, policeP, P, ctx);
    expect(p.view.police).toEqual({ incidentCount12m: 4 });
    expect(reasonsOf(p.explanation.withheld)['police.convictions']).toBe('DROPPED_BY_RULE');
    expect(v.explanation.ruleIds).toContain('police-to-health-and-housing#police.incidents');
  });

  it('R2: police see V’s ED attendances in the window, month precision, no narrative', () => {
    const dec = permit(d({ from: ACUTE, to: POLICE }));
    const { view } = redact(dec.plan, acuteV, V, ctx);
    expect(view.health).toEqual({ edAttendances12m: [{ date: '2025-05', reasonCategory: 'ASSAULT', safeguardingConcernRaised: true }] });
  });

  it('R7: the child’s date of birth reaches police as an age band', () => {
    const dec = permit(d({ direction: 'request', from: COORD, to: POLICE }));
    const child = { subjectId: 'subj_c', subject: { role: 'CHILD', names: [{ family: 'Doe' }], dobs: ['2019-02-10'], identifiers: [{ system: 'nhs-number', value: '9990054843' }] } };
    expect(redact(dec.plan, child, C, ctx).view).toEqual({
      subjectId: 'subj_c',
      subject: { role: 'CHILD', names: [{ family: 'Doe' }], dobs: ['5-10'], identifiers: [{ system: 'nhs-number', value: '******4843' }] },
    });
  });
});

describe('T2 no agreement with the recipient', () => {
  it('a request to Recovery Ltd is denied PROVIDER_NOT_SIGNATORY; the other recipients are still permitted', () => {
    expect(d({ direction: 'request', from: COORD, to: RECOVERY })).toMatchObject({ effect: 'DENY', reason: 'PROVIDER_NOT_SIGNATORY', agreementId: 'isa-m-north', version: 3 });
    for (const to of [POLICE, ACUTE, HOUSING, IDVA]) expect(d({ direction: 'request', from: COORD, to }).effect).toBe('PERMIT');
  });
});

describe('T3 expired agreement', () => {
  it('on 2026-04-02 every pair is denied ISA_EXPIRED: no partial release', () => {
    const later = new Date('2026-04-02T09:00:00Z');
    for (const [from, to, direction] of [[COORD, POLICE, 'request'], [POLICE, COORD, 'response'], [ACUTE, COORD, 'response']] as const) {
      expect(d({ now: later, from, to, direction })).toMatchObject({ effect: 'DENY', reason: 'ISA_EXPIRED' });
    }
  });
  it('after the review date but before expiry: permitted with REVIEW_OVERDUE', () => {
    expect(permit(d({ now: new Date('2026-01-15T09:00:00Z') })).warnings).toEqual(['REVIEW_OVERDUE']);
  });
});

describe('T4 purpose mismatch', () => {
  it('housing asking police for data for housing allocation is denied PURPOSE_NOT_IN_ISA', () => {
    expect(d({ direction: 'request', from: HOUSING, to: POLICE, purpose: 'HOUSING_ALLOCATION' })).toMatchObject({ effect: 'DENY', reason: 'PURPOSE_NOT_IN_ISA' });
  });
});

describe('T5 not high risk, and T5b', () => {
  it('T5: Dash 9, no rationale, 1 call-out, no prior referral → MARAC_THRESHOLD_NOT_MET', () => {
    const caseFacts = { maracArea: 'm-north', riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 9, policeCallouts12m: 1 } };
    expect(d({ caseFacts })).toMatchObject({ effect: 'DENY', reason: 'MARAC_THRESHOLD_NOT_MET' });
  });
  it('T5b: Dash 9 with professional judgement and a rationale → PERMIT citing the criterion', () => {
    const caseFacts = { maracArea: 'm-north', riskBasis: { criteria: ['PROFESSIONAL_JUDGEMENT'], dashScore: 9, professionalJudgementRationale: 'Escalating coercive control (fictional).' } };
    expect(permit(d({ caseFacts })).criteriaMet).toEqual(['PROFESSIONAL_JUDGEMENT']);
  });
  it('T5b: Dash 9 with a previous referral on 2024-11-02 (repeat within 12 months) → PERMIT citing REPEAT', () => {
    const caseFacts = { maracArea: 'm-north', riskBasis: { criteria: ['REPEAT'], dashScore: 9, lastMaracReferralDate: '2024-11-02' } };
    expect(permit(d({ caseFacts })).criteriaMet).toEqual(['REPEAT']);
  });
});

describe('T6 health data without an Art 9 condition', () => {
  const refused = facts({ role: 'VICTIM', consentStatus: 'REFUSED', art9Conditions: [] });
  it('health.* for V is withheld NO_ART9_CONDITION; the GP code is released', () => {
    const dec = permit(d({ from: ACUTE, to: COORD }));
    const { view, explanation } = redact(dec.plan, acuteV, refused, ctx);
    expect(view).toEqual({
      subjectId: 'subj_v', match: acuteV.match, knownToAgency: true,
      health: { registeredGpOdsCode: 'F81001' },
    });
    expect(explanation.withheld).toEqual(expect.arrayContaining([
      { path: 'health.edAttendances12m', reason: 'NO_ART9_CONDITION', ruleId: 'G-SPECIAL-CATEGORY' },
      { path: 'health.pregnancy', reason: 'NO_ART9_CONDITION', ruleId: 'G-SPECIAL-CATEGORY' },
      { path: 'health.clinicalNarrative', reason: 'DROPPED_BY_RULE', ruleId: 'acute-health-to-coordinator#health.clinicalNarrative' },
    ]));
  });
  it('DPA_SCH1_P18 for V (adult, no care and support needs) is rejected', () => {
    const p18 = facts({ role: 'VICTIM', consentStatus: 'REFUSED', art9Conditions: ['DPA_SCH1_P18'], careAndSupportNeeds: false });
    expect(rejectedSubjectConditions(p18, guardrails.specialCategory)).toEqual([{ condition: 'DPA_SCH1_P18', reason: 'P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS' }]);
    const dec = permit(d({ from: ACUTE, to: COORD }));
    const { view, explanation } = redact(dec.plan, acuteV, p18, ctx);
    expect(view.health).toEqual({ registeredGpOdsCode: 'F81001' });
    expect(reasonsOf(explanation.withheld)['health.pregnancy']).toBe('P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS');
  });
});

describe('T7 location-sensitive leak attempt', () => {
  const refugeV = {
    subjectId: 'subj_v',
    subject: { role: 'VICTIM', names: [{ family: 'Doe' }], dobs: ['1990-04-12'], address: { lines: ['Refuge, 9 Hidden Lane'], postcode: 'CM2 9ZZ', uprn: '100000000009', confidential: true } },
  };
  const requestTo = (to: typeof POLICE) => redact(permit(d({ direction: 'request', from: COORD, to })).plan, refugeV, { ...V, addressConfidential: true }, ctx);
  it('housing and health see CONFIDENTIAL; police and IDVA see the full address', () => {
    expect(requestTo(HOUSING).view.subject).toMatchObject({ address: 'CONFIDENTIAL' });
    expect(requestTo(ACUTE).view.subject).toMatchObject({ address: 'CONFIDENTIAL' });
    expect(requestTo(POLICE).view.subject).toMatchObject({ address: refugeV.subject.address });
    expect(requestTo(IDVA).view.subject).toMatchObject({ address: refugeV.subject.address });
  });
  it('the explanation (what the audit log records) holds paths only, never the postcode or UPRN', () => {
    for (const to of [HOUSING, ACUTE, POLICE, IDVA]) {
      const text = JSON.stringify(requestTo(to).explanation);
      expect(text).not.toMatch(/CM2|9ZZ|100000000009|Hidden Lane/);
    }
  });
});

describe('T8 repeat + MARAC-to-MARAC transfer', () => {
  const mSouth = party('ms-coordinator', 'MARAC_COORDINATOR');
  const interArea = (): Agreement => {
    const doc = transferDoc();
    doc.id = 'isa-mn-ms-transfer';
    doc.effectiveFrom = '2025-01-01';
    doc.reviewBy = '2026-01-01';
    doc.expiresAt = '2026-03-31';
    doc.parties = [
      { agency: 'mn-coordinator', type: 'MARAC_COORDINATOR', role: 'coordinator' },
      { agency: 'ms-coordinator', type: 'MARAC_COORDINATOR', role: 'coordinator' },
    ];
    doc.interArea = { maracAreas: ['m-north', 'm-south'] };
    const ids = { 'essex-marat': 'mn-coordinator', 'southend-marac': 'ms-coordinator' } as Record<string, string>;
    for (const f of doc.flows) {
      f.from = { agency: ids[f.from.agency!]! };
      f.to = { agency: ids[f.to.agency!]! };
    }
    return doc;
  };
  const transfer = compile(interArea(), 'active', 1);
  // Previous hearing at M-South on 2024-11-02; new incident 2025-05-30 in M-North.
  const repeatCase: CaseFacts = { maracArea: 'm-north', riskBasis: { criteria: ['REPEAT'], dashScore: 12, lastMaracReferralDate: '2024-11-02' } };
  const t = (over: Partial<DecideInput>) => decide({
    agreements: [isa, transfer], now, purpose: 'MARAC_TRANSFER', direction: 'request', from: COORD, to: mSouth, caseFacts: repeatCase, ...over,
  });
  const bundle = {
    subjectId: 'subj_v', fromMaracArea: 'm-south',
    minutesSummary: 'Fictional: heard 2024-11-02, IDVA allocated.',
    actionPlan: [{ description: 'Police to flag address (fictional).', ownerAgencyId: 'ms-police', dueBy: '2024-11-10', status: 'DONE' }],
    riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 15 },
    lastMaracReferralDate: '2024-11-02',
    police: { incidentCount12m: 3 },
    subject: { address: { postcode: 'SS1 1ZZ', confidential: true } },
  };
  it('the case qualifies as REPEAT and M-North may request the bundle', () => {
    expect(permit(t({})).criteriaMet).toEqual(['REPEAT']);
  });
  it('M-South releases minutes summary, action plan, risk basis and dates only (R10)', () => {
    const dec = permit(t({ direction: 'response', from: mSouth, to: COORD }));
    const { view, explanation } = redact(dec.plan, bundle, V, ctx);
    expect(view).toEqual({
      subjectId: 'subj_v', fromMaracArea: 'm-south', minutesSummary: 'Fictional: heard 2024-11-02, IDVA allocated.',
      actionPlan: bundle.actionPlan, riskBasis: bundle.riskBasis, lastMaracReferralDate: '2024-11-02',
    });
    expect(reasonsOf(explanation.withheld)).toEqual({ police: 'NOT_IN_AGREEMENT', subject: 'NOT_IN_AGREEMENT' });
  });
  it('pulling M-South agency research under the transfer is denied', () => {
    expect(t({ direction: 'response', from: party('ms-police', 'POLICE'), to: COORD })).toMatchObject({ effect: 'DENY', reason: 'NO_INTER_AREA_AGREEMENT' });
  });
  it('without an inter-area agreement: NO_INTER_AREA_AGREEMENT', () => {
    expect(t({ agreements: [isa] })).toMatchObject({ effect: 'DENY', reason: 'NO_INTER_AREA_AGREEMENT' });
  });
});
