import { describe, expect, it } from 'vitest';
import { DENY_REASONS, compileAgreement, decide, withStatus, type DecideInput, type DenyReason } from '../../../gateway/src/policy/index.js';
import {
  COORD, HOUSING, IDVA, POLICE, RECOVERY, catalog, compile, essexDoc, guardrails, highRisk, party, permit, transferDoc,
} from './helpers.js';

const essex = compile(essexDoc(), 'active', 4);
const transfer = compile(transferDoc(), 'active', 1);
const now = new Date('2026-06-01T10:00:00Z');

function base(over: Partial<DecideInput> = {}): DecideInput {
  return {
    agreements: [essex], now, purpose: 'MARAC_RESEARCH', direction: 'response', from: POLICE, to: COORD,
    caseFacts: highRisk, ...over,
  };
}
const reasonOf = (input: DecideInput) => {
  const d = decide(input);
  return d.effect === 'DENY' ? d.reason : 'PERMIT';
};

describe('decide: permit', () => {
  it('permits a police response to the coordinator, naming agreement, version, flows and criteria', () => {
    const d = permit(decide(base()));
    expect(d).toMatchObject({ agreementId: 'essex-marat', version: 4, criteriaMet: ['VISIBLE_HIGH_RISK'] });
    expect(d.flowIds).toEqual(['police-to-coordinator-perpetrator', 'police-to-coordinator-others']);
    expect(d.warnings).toBeUndefined();
    expect(d.plan).toMatchObject({ agreementId: 'essex-marat', version: 4, purpose: 'MARAC_RESEARCH', direction: 'response' });
  });

  it('permits a request from the coordinator to a party', () => {
    const d = permit(decide(base({ direction: 'request', from: COORD, to: HOUSING })));
    expect(d.flowIds).toEqual(['request-housing-adults', 'request-housing-children']);
  });

  it('warns REVIEW_OVERDUE after reviewBy but before expiry', () => {
    const d = permit(decide(base({ now: new Date('2027-07-01T09:00:00Z') })));
    expect(d.warnings).toEqual(['REVIEW_OVERDUE']);
  });

  it('caches the plan per pair (same object for the same pair)', () => {
    const a = permit(decide(base()));
    const b = permit(decide(base()));
    expect(a.plan).toBe(b.plan);
  });

  it('prefers the later version when two active versions both permit', () => {
    const v5 = compile(essexDoc(), 'active', 5);
    expect(permit(decide(base({ agreements: [essex, v5] }))).version).toBe(5);
  });
});

describe('decide: every deny reason', () => {
  const cases: [DenyReason, DecideInput][] = [
    ['NO_AGREEMENT', base({ from: party('other-police', 'POLICE'), to: party('other-coord', 'MARAC_COORDINATOR') })],
    ['AGREEMENT_NOT_ACTIVE', base({ agreements: [withStatus(essex, 'approved')] })],
    ['AGREEMENT_SUSPENDED', base({ agreements: [withStatus(essex, 'suspended')] })],
    ['ISA_NOT_YET_EFFECTIVE', base({ now: new Date('2025-12-31T12:00:00Z') })],
    ['ISA_EXPIRED', base({ now: new Date('2027-12-31T00:00:00Z') })],
    ['PROVIDER_NOT_SIGNATORY', base({ direction: 'request', from: COORD, to: RECOVERY })],
    ['RECIPIENT_NOT_SIGNATORY', base({ from: POLICE, to: party('stranger-coord', 'MARAC_COORDINATOR') })],
    ['PURPOSE_NOT_IN_ISA', base({ purpose: 'HOUSING_ALLOCATION' })],
    ['MARAC_THRESHOLD_NOT_MET', base({ caseFacts: { maracArea: 'essex', riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 9, policeCallouts12m: 1 } } })],
    ['NO_FLOW_FOR_PAIR', base({ from: HOUSING, to: IDVA })],
    ['SUBJECT_ROLE_NOT_ALLOWED', base({ from: party('kss-probation', 'PROBATION'), to: IDVA, subjectRoles: ['PERPETRATOR', 'VICTIM'] })],
    ['NO_INTER_AREA_AGREEMENT', base({ purpose: 'MARAC_TRANSFER', direction: 'request', from: COORD, to: party('southend-marac', 'MARAC_COORDINATOR') })],
    ['PARTY_REMOVED', base({ removedParties: new Map([[essex.id, new Set([POLICE.agencyId])]]) })],
  ];

  it('covers the whole closed set of deny reasons', () => {
    expect(new Set(cases.map(([r]) => r))).toEqual(new Set(DENY_REASONS));
  });

  it.each(cases)('%s', (reason, input) => {
    const d = decide(input);
    expect(d.effect).toBe('DENY');
    if (d.effect === 'DENY') {
      expect(d.reason).toBe(reason);
      expect(d.detail.length).toBeGreaterThan(0);
    }
  });

  it('a draft agreement never permits (compile defaults to draft)', () => {
    const draft = compileAgreement(essexDoc(), { catalog, guardrails });
    expect(draft.status).toBe('draft');
    expect(reasonOf(base({ agreements: [draft] }))).toBe('AGREEMENT_NOT_ACTIVE');
  });

  it('an expired status denies even inside the dates', () => {
    expect(reasonOf(base({ agreements: [withStatus(essex, 'expired')] }))).toBe('ISA_EXPIRED');
  });

  it('expiry is the start of the expiry day, London time; effectiveFrom is inclusive', () => {
    expect(reasonOf(base({ now: new Date('2027-12-30T23:59:59Z') }))).toBe('PERMIT');
    expect(reasonOf(base({ now: new Date('2026-01-01T00:00:00Z') }))).toBe('PERMIT');
    expect(reasonOf(base({ now: new Date('2025-12-31T23:59:59Z') }))).toBe('ISA_NOT_YET_EFFECTIVE');
  });

  it('an agency listed under another type is not a signatory (fail closed)', () => {
    expect(reasonOf(base({ from: party('essex-police', 'HOUSING') }))).toBe('PROVIDER_NOT_SIGNATORY');
  });

  it('the refusal comes from the agreement naming both agencies, not from one naming only one of them', () => {
    expect(reasonOf(base({ agreements: [withStatus(essex, 'suspended'), transfer] }))).toBe('AGREEMENT_SUSPENDED');
    expect(reasonOf(base({ agreements: [transfer, withStatus(essex, 'draft')] }))).toBe('AGREEMENT_NOT_ACTIVE');
  });

  it('an invalid clock denies', () => {
    expect(reasonOf(base({ now: new Date('nope') }))).toBe('NO_AGREEMENT');
  });
});

describe('decide: pinning', () => {
  it('judges a response under the pinned version even when a newer one is active', () => {
    const v5 = compile(essexDoc(), 'active', 5);
    expect(permit(decide(base({ agreements: [essex, v5], pinned: { agreementId: 'essex-marat', version: 4 } }))).version).toBe(4);
  });

  it('a pinned version that has since been suspended denies (suspension applies to stored research)', () => {
    const v5 = compile(essexDoc(), 'active', 5);
    const d = decide(base({ agreements: [withStatus(essex, 'suspended'), v5], pinned: { agreementId: 'essex-marat', version: 4 } }));
    expect(d).toMatchObject({ effect: 'DENY', reason: 'AGREEMENT_SUSPENDED', agreementId: 'essex-marat', version: 4 });
  });

  it('a pinned version that is not loaded denies NO_AGREEMENT', () => {
    expect(reasonOf(base({ pinned: { agreementId: 'essex-marat', version: 9 } }))).toBe('NO_AGREEMENT');
  });
});

describe('decide: threshold (four criteria, each substantiated)', () => {
  const rb = (riskBasis: Record<string, unknown>) => base({ caseFacts: { maracArea: 'essex', riskBasis: riskBasis as never } });
  it.each([
    ['Dash 14 meets visible high risk', { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 14 }, ['VISIBLE_HIGH_RISK']],
    ['professional judgement with a rationale', { criteria: ['PROFESSIONAL_JUDGEMENT'], dashScore: 9, professionalJudgementRationale: 'recorded' }, ['PROFESSIONAL_JUDGEMENT']],
    ['3 call-outs meet potential escalation', { criteria: ['POTENTIAL_ESCALATION'], policeCallouts12m: 3 }, ['POTENTIAL_ESCALATION']],
    ['a referral 7 months ago is a repeat', { criteria: ['REPEAT'], lastMaracReferralDate: '2025-11-02' }, ['REPEAT']],
  ])('%s', (_n, riskBasis, met) => {
    expect(permit(decide(rb(riskBasis))).criteriaMet).toEqual(met);
  });
  it.each([
    ['Dash 13', { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 13 }],
    ['professional judgement ticked without a rationale', { criteria: ['PROFESSIONAL_JUDGEMENT'], professionalJudgementRationale: '  ' }],
    ['2 call-outs', { criteria: ['POTENTIAL_ESCALATION'], policeCallouts12m: 2 }],
    ['previous referral 13 months ago', { criteria: ['REPEAT'], lastMaracReferralDate: '2025-05-01' }],
    ['previous referral in the future', { criteria: ['REPEAT'], lastMaracReferralDate: '2026-07-01' }],
    ['no risk basis at all', undefined],
  ])('%s does not meet the threshold', (_n, riskBasis) => {
    expect(reasonOf(rb(riskBasis as never))).toBe('MARAC_THRESHOLD_NOT_MET');
  });
  it('a criterion the agreement does not accept does not count', () => {
    const doc = essexDoc();
    doc.caseThreshold = { criteria: ['VISIBLE_HIGH_RISK'] };
    const only = compile(doc);
    expect(reasonOf({ ...rb({ criteria: ['POTENTIAL_ESCALATION'], policeCallouts12m: 9 }), agreements: [only] })).toBe('MARAC_THRESHOLD_NOT_MET');
  });
  it('the agreement can set its own minimum Dash score', () => {
    const doc = essexDoc();
    doc.caseThreshold = { criteria: ['VISIBLE_HIGH_RISK'], minDashScore: 17 };
    expect(reasonOf({ ...base(), agreements: [compile(doc)] })).toBe('MARAC_THRESHOLD_NOT_MET');
  });
});

describe('decide: MARAC-to-MARAC transfer (R10)', () => {
  const southend = party('southend-marac', 'MARAC_COORDINATOR');
  const t = (over: Partial<DecideInput>) => base({
    agreements: [essex, transfer], purpose: 'MARAC_TRANSFER', direction: 'request', from: COORD, to: southend,
    caseFacts: { maracArea: 'essex', riskBasis: { criteria: ['REPEAT'], lastMaracReferralDate: '2025-11-02' } }, ...over,
  });
  it('permits under the inter-area agreement', () => {
    expect(permit(decide(t({}))).agreementId).toBe('essex-southend-transfer');
  });
  it('denies NO_INTER_AREA_AGREEMENT when the case area is not covered', () => {
    expect(reasonOf(t({ caseFacts: { maracArea: 'kent', riskBasis: { criteria: ['REPEAT'], lastMaracReferralDate: '2025-11-02' } } }))).toBe('NO_INTER_AREA_AGREEMENT');
  });
  it('denies a transfer between agencies without an inter-area agreement', () => {
    expect(reasonOf(t({ agreements: [essex] }))).toBe('NO_INTER_AREA_AGREEMENT');
  });
  it('the transfer agreement does not cover ordinary research', () => {
    expect(reasonOf(t({ purpose: 'MARAC_RESEARCH' }))).toBe('PURPOSE_NOT_IN_ISA');
  });
  it('a coordinator cannot pull agency research under the transfer purpose', () => {
    expect(reasonOf(t({ direction: 'response', from: POLICE, to: southend }))).toBe('NO_INTER_AREA_AGREEMENT');
  });
});
