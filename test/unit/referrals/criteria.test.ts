import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultReferralCriteria, loadReferralCriteria, ReferralCriteriaInvalid, SAFELIVES_DEFAULTS } from '../../../gateway/src/referrals/criteria-config.js';
import { caseRiskBasis, claimProblems, evaluateCriteria } from '../../../gateway/src/referrals/criteria.js';

const NOW = new Date('2026-12-07T10:00:00Z');
const problemsOf = (yaml: string): string => {
  try {
    loadReferralCriteria(yaml);
  } catch (e) {
    expect(e).toBeInstanceOf(ReferralCriteriaInvalid);
    return (e as Error).message;
  }
  throw new Error('expected the file to be refused');
};

describe('referral criteria configuration', () => {
  it('the shipped file loads: the SafeLives four everywhere, Essex adds two, Southend counts five call-outs', () => {
    const c = loadReferralCriteria(readFileSync('policies/referrals/criteria.yaml', 'utf8'));
    expect(c.forArea('anywhere').map((x) => x.id)).toEqual(['VISIBLE_HIGH_RISK', 'PROFESSIONAL_JUDGEMENT', 'POTENTIAL_ESCALATION', 'REPEAT']);
    expect(c.forArea('essex').map((x) => x.id)).toContain('HARMFUL_PRACTICES');
    expect(c.forArea('Essex').map((x) => x.id)).toContain('ADULT_FAMILY_VIOLENCE');
    expect(c.forArea('southend').find((x) => x.id === 'POTENTIAL_ESCALATION')).toMatchObject({ minCallouts: 5, withinMonths: 12 });
    expect(c.forArea('essex').find((x) => x.id === 'VISIBLE_HIGH_RISK')).toMatchObject({ minScore: 14 });
  });

  it('without a file, the SafeLives defaults', () => {
    expect(defaultReferralCriteria().forArea('x')).toEqual(SAFELIVES_DEFAULTS);
    expect(SAFELIVES_DEFAULTS.find((c) => c.kind === 'dashScore')).toMatchObject({ minScore: 14 });
    expect(SAFELIVES_DEFAULTS.find((c) => c.kind === 'policeCallouts')).toMatchObject({ minCallouts: 3, withinMonths: 12 });
  });

  it('an area can remove a criterion and add one that needs a named box and reasons', () => {
    const c = loadReferralCriteria(`version: 1
areas:
  tower-hamlets:
    remove: [POTENTIAL_ESCALATION]
    add:
      - { id: HARMFUL_PRACTICES, kind: confirmation, title: Harmful practices, confirm: At risk from a harmful practice }`);
    const list = c.forArea('Tower Hamlets');
    expect(list.map((x) => x.id)).toEqual(['VISIBLE_HIGH_RISK', 'PROFESSIONAL_JUDGEMENT', 'REPEAT', 'HARMFUL_PRACTICES']);
    expect(list.at(-1)).toMatchObject({ kind: 'confirmation', requiresRationale: true, caseCriterion: 'PROFESSIONAL_JUDGEMENT' });
  });

  it('lists every problem at once', () => {
    const defaults = problemsOf(`version: 1
criteria:
  - { id: lower, kind: dashScore, title: X, minScore: 30 }
  - { id: JUDGE, kind: telepathy, title: Y }`);
    for (const p of ['criteria[0].id', 'criteria[0].minScore: a whole number from 1 to 24', 'criteria[1].kind']) expect(defaults).toContain(p);
    const msg = problemsOf(`version: 2
extra: 1
areas:
  Bad Area: {}
  essex:
    override:
      NOPE: { minScore: 3 }
      VISIBLE_HIGH_RISK: { kind: judgement, minCallouts: 2 }
    remove: [GHOST]
    add:
      - { id: X1, kind: confirmation, title: X1 }
      - { id: X2, kind: dashScore, title: Second score, minScore: 10 }`);
    for (const p of [
      'version must be 1', 'unknown key extra',
      'areas.Bad Area: an area name', 'areas.essex.override.NOPE: no such criterion', 'areas.essex.override.VISIBLE_HIGH_RISK.kind: an override cannot change the kind',
      'areas.essex.override.VISIBLE_HIGH_RISK.minCallouts: not a setting of a dashScore criterion', 'areas.essex.remove: no criterion GHOST',
      'areas.essex.add[0].confirm', 'areas.essex: only one dashScore criterion per area',
    ]) expect(msg).toContain(p);
  });

  it.each([
    ['not YAML', 'version: [1'],
    ['a list', '- 1'],
    ['a duplicate id', 'version: 1\ncriteria:\n  - { id: A1, kind: judgement, title: A }\n  - { id: A1, kind: judgement, title: B }'],
    ['no criteria left', 'version: 1\nareas:\n  x1:\n    remove: [VISIBLE_HIGH_RISK, PROFESSIONAL_JUDGEMENT, POTENTIAL_ESCALATION, REPEAT]'],
    ['a case criterion that is not one of the four', 'version: 1\nareas:\n  x1:\n    add: [{ id: Z1, kind: confirmation, title: Z, confirm: z, caseCriterion: MADE_UP }]'],
    ['call-outs of zero', 'version: 1\nareas:\n  x1:\n    override: { POTENTIAL_ESCALATION: { minCallouts: 0 } }'],
  ])('refuses %s', (_n, yaml) => {
    expect(() => loadReferralCriteria(yaml)).toThrow(ReferralCriteriaInvalid);
  });
});

describe('judging a referral', () => {
  const criteria = SAFELIVES_DEFAULTS;
  const judge = (score: number, claims: any[] = [], repeats: any[] = []) => evaluateCriteria(criteria, { score, claims, repeats, now: NOW });
  const reason = (rs: ReturnType<typeof judge>, id: string) => rs.find((r) => r.id === id)!;

  it('visible high risk from the score, claimed or not, with the reason in words', () => {
    expect(reason(judge(14), 'VISIBLE_HIGH_RISK')).toMatchObject({ met: true, claimed: false, reason: 'Dash score 14 is 14 or more: visible high risk' });
    expect(reason(judge(13, [{ id: 'VISIBLE_HIGH_RISK' }]), 'VISIBLE_HIGH_RISK')).toMatchObject({ met: false, claimed: true, reason: 'Dash score 13 is below 14 for visible high risk' });
    expect(reason(judge(10), 'VISIBLE_HIGH_RISK').reason).toBe('Dash score 10 is below 14 for visible high risk');
  });

  it('potential escalation at the count, and in words below it', () => {
    expect(reason(judge(0, [{ id: 'POTENTIAL_ESCALATION', policeCallouts12m: 3 }]), 'POTENTIAL_ESCALATION').met).toBe(true);
    expect(reason(judge(0, [{ id: 'POTENTIAL_ESCALATION', policeCallouts12m: 2 }]), 'POTENTIAL_ESCALATION'))
      .toMatchObject({ met: false, reason: '2 police call-outs in 12 months is below 3 for potential escalation' });
  });

  it('repeat only once confirmed, and only within 12 months', () => {
    const recent = { caseId: 'case_a', status: 'CONFIRMED', caseOpenedAt: '2026-06-01T10:00:00Z' };
    expect(reason(judge(0, [], [recent]), 'REPEAT').met).toBe(true);
    expect(reason(judge(0, [], [{ ...recent, status: 'PENDING' }]), 'REPEAT').met).toBe(false);
    expect(reason(judge(0, [], [{ ...recent, status: 'REJECTED' }]), 'REPEAT').met).toBe(false);
    expect(reason(judge(0, [], [{ ...recent, caseOpenedAt: '2025-11-01T10:00:00Z' }]), 'REPEAT').met).toBe(false);
  });

  it('the case risk basis carries what the agreements check, and only criteria met', () => {
    const claims = [{ id: 'POTENTIAL_ESCALATION', policeCallouts12m: 5 }, { id: 'PROFESSIONAL_JUDGEMENT', rationale: 'Stalking and threats to kill.' }];
    const repeats = [{ caseId: 'case_a', status: 'CONFIRMED' as const, caseOpenedAt: '2026-06-01T23:30:00Z' }];
    const input = { score: 12, claims, repeats, now: NOW };
    const rb = caseRiskBasis(evaluateCriteria(criteria, input), input, criteria);
    expect(rb.criteria.sort()).toEqual(['POTENTIAL_ESCALATION', 'PROFESSIONAL_JUDGEMENT', 'REPEAT']);
    expect(rb).toMatchObject({ dashScore: 12, policeCallouts12m: 5, professionalJudgementRationale: 'Stalking and threats to kill.' });
    // 23:30 UTC on 1 June is 2 June in London (BST).
    expect(rb.lastMaracReferralDate).toBe('2026-06-02');
  });

  it('claims: unknown, twice, missing or foreign evidence, future dates', () => {
    const codes = claimProblems(criteria, [
      { id: 'NOPE' }, { id: 'PROFESSIONAL_JUDGEMENT' }, { id: 'PROFESSIONAL_JUDGEMENT', rationale: 'x' },
      { id: 'POTENTIAL_ESCALATION' }, { id: 'VISIBLE_HIGH_RISK', rationale: 'x' }, { id: 'REPEAT', lastMaracReferralDate: '2027-01-01' },
    ], '2026-12-07').map((p) => `${p.path} ${p.code}`);
    expect(codes).toEqual([
      '/criteria/0/id CRITERION_UNKNOWN', '/criteria/1/rationale RATIONALE_REQUIRED', '/criteria/2/id CRITERION_DUPLICATE',
      '/criteria/3/policeCallouts12m CALLOUTS_REQUIRED', '/criteria/4/rationale EVIDENCE_NOT_FOR_CRITERION', '/criteria/5/lastMaracReferralDate range',
    ]);
  });
});
