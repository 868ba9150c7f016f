/**
 * Issue 12 class 2 (legal-facts-at-release): the pure part. A subject's facts are judged at the
 * instant of a release, on the London calendar; what is stored in plaintext never decides.
 */
import { describe, expect, it } from 'vitest';
import {
  ageOn, isAdultAt, judgeRiskBasis, mayBeChildAt, judgeSubjectFacts, unavailableConditions, type SealedLegalSubject, type StoredSubjectFacts,
} from '../../../gateway/src/exchange/release-facts.js';

const stored: StoredSubjectFacts = {
  subjectId: 'subj_x', role: 'VICTIM', art9Conditions: ['DPA_SCH1_P10'], art10Conditions: [], part3Sch8: [],
  careAndSupportNeeds: true, consentStatus: 'GIVEN', explicitConsentForSpecialCategory: true, addressConfidential: true,
  // A row written before this change carried a frozen age: it must not count.
  isAdult: false,
};
const sealed = (over: Partial<SealedLegalSubject> = {}): SealedLegalSubject => ({
  subjectId: 'subj_x', role: 'VICTIM', dobs: ['2008-12-20'],
  consent: { status: 'NOT_SOUGHT_UNSAFE', explicitForSpecialCategory: false },
  legal: { art9Conditions: ['DPA_SCH1_P18'], art10Conditions: ['DPA_SCH1_P10'], part3Sch8: ['SCH8_P4'], careAndSupportNeeds: false },
  ...over,
});

describe('ageOn / isAdultAt (London calendar)', () => {
  it.each([
    ['2026-12-19T23:59:59Z', 17],
    ['2026-12-20T00:00:00Z', 18],
    ['2027-12-19T12:00:00Z', 18],
  ])('born 2008-12-20, at %s: %i', (at, age) => {
    expect(ageOn('2008-12-20', new Date(at))).toBe(age);
  });

  it('a birthday in British Summer Time starts at 23:00 UTC the day before', () => {
    expect(ageOn('2008-07-01', new Date('2026-06-30T22:59:00Z'))).toBe(17);
    expect(ageOn('2008-07-01', new Date('2026-06-30T23:00:00Z'))).toBe(18);
  });

  it('a leap-day birthday is reached on 1 March in other years', () => {
    expect(ageOn('2008-02-29', new Date('2026-02-28T12:00:00Z'))).toBe(17);
    expect(ageOn('2008-02-29', new Date('2026-03-01T12:00:00Z'))).toBe(18);
  });

  it('follows the date of birth whatever the role; without one, a CHILD is a child and anyone else an adult', () => {
    const at = new Date('2026-12-10T10:00:00Z');
    expect(isAdultAt('CHILD', ['2008-01-01'], at)).toBe(true);
    expect(isAdultAt('VICTIM', ['2010-01-01'], at)).toBe(false);
    expect(isAdultAt('CHILD', [], at)).toBe(false);
    expect(isAdultAt('PERPETRATOR', undefined, at)).toBe(true);
    // Dates that disagree: possibly an adult (para 18 then needs care and support needs) and
    // possibly a child (the child date-of-birth guardrail applies), whichever is recorded first.
    for (const dobs of [['2010-01-01', '1980-01-01'], ['1980-01-01', '2010-01-01'], ['2008-12-11', '2008-12-10']]) {
      expect(isAdultAt('PERPETRATOR', dobs, at), dobs.join()).toBe(true);
      expect(mayBeChildAt('PERPETRATOR', dobs, at), dobs.join()).toBe(true);
    }
    expect(mayBeChildAt('VICTIM', ['1980-01-01'], at)).toBe(false);
    expect(mayBeChildAt('VICTIM', undefined, at)).toBe(false);
    expect(mayBeChildAt('CHILD', ['2000-01-01'], at)).toBe(true);
    expect(mayBeChildAt('VICTIM', ['2008-12-11'], at)).toBe(true);
  });

  it('para 18 is unavailable for a subject any of whose dates makes her an adult without care and support needs', () => {
    const at = new Date('2026-12-10T10:00:00Z');
    const subject = (dobs: string[], careAndSupportNeeds = false) => ({ role: 'VICTIM' as const, dobs, legal: { art9Conditions: ['DPA_SCH1_P18'], careAndSupportNeeds } });
    expect(unavailableConditions(subject(['2009-06-01', '2008-06-01']), at)).toEqual([{ list: 'art9Conditions', condition: 'DPA_SCH1_P18' }]);
    expect(unavailableConditions(subject(['2009-06-01', '2008-06-01'], true), at)).toEqual([]);
    expect(unavailableConditions(subject(['2009-06-01', '2010-06-01']), at)).toEqual([]);
  });
});

describe('judgeSubjectFacts', () => {
  it('takes conditions, needs and consent from the sealed record and the age from now, never the stored copy', () => {
    const before = judgeSubjectFacts(stored, sealed(), new Date('2026-12-10T10:00:00Z'));
    expect(before).toEqual({
      subjectId: 'subj_x', role: 'VICTIM', art9Conditions: ['DPA_SCH1_P18'], art10Conditions: ['DPA_SCH1_P10'], part3Sch8: ['SCH8_P4'],
      careAndSupportNeeds: false, consentStatus: 'NOT_SOUGHT_UNSAFE', explicitConsentForSpecialCategory: false,
      addressConfidential: true, isAdult: false, mayBeChild: true,
    });
    expect(judgeSubjectFacts(stored, sealed(), new Date('2026-12-20T09:00:00Z'))).toMatchObject({ isAdult: true, mayBeChild: false });
  });

  it('keeps the confidential-address flag raised by an answer (stored only)', () => {
    expect(judgeSubjectFacts({ ...stored, addressConfidential: true }, sealed(), new Date()).addressConfidential).toBe(true);
  });

  it('fails closed without a sealed record: no condition, no needs, no explicit consent', () => {
    const f = judgeSubjectFacts(stored, undefined, new Date());
    expect(f).toMatchObject({ art9Conditions: [], art10Conditions: [], part3Sch8: [], careAndSupportNeeds: false, explicitConsentForSpecialCategory: false, isAdult: true, mayBeChild: true });
  });
});

describe('judgeRiskBasis: REPEAT only within 12 months of the last referral', () => {
  const rb = { criteria: ['VISIBLE_HIGH_RISK', 'REPEAT'], dashScore: 12, lastMaracReferralDate: '2025-12-20' };
  it.each([
    ['2026-12-10T10:00:00Z', ['VISIBLE_HIGH_RISK', 'REPEAT']],
    ['2026-12-20T10:00:00Z', ['VISIBLE_HIGH_RISK', 'REPEAT']],
    ['2026-12-21T10:00:00Z', ['VISIBLE_HIGH_RISK']],
  ])('at %s', (at, criteria) => {
    expect(judgeRiskBasis(rb, new Date(at)).criteria).toEqual(criteria);
  });

  it('adds REPEAT for a recent referral even when not ticked, and drops a ticked REPEAT without a date', () => {
    const at = new Date('2026-12-10T10:00:00Z');
    expect(judgeRiskBasis({ criteria: ['VISIBLE_HIGH_RISK'], lastMaracReferralDate: '2026-06-01' }, at).criteria).toEqual(['VISIBLE_HIGH_RISK', 'REPEAT']);
    expect(judgeRiskBasis({ criteria: ['REPEAT', 'PROFESSIONAL_JUDGEMENT'] }, at).criteria).toEqual(['PROFESSIONAL_JUDGEMENT']);
  });
});

describe('unavailableConditions', () => {
  const at = new Date('2026-12-20T10:00:00Z');
  it('para 18 under Art 9 and Art 10 for an adult without care and support needs', () => {
    expect(unavailableConditions(sealed({ legal: { art9Conditions: ['DPA_SCH1_P18'], art10Conditions: ['DPA_SCH1_P18'], careAndSupportNeeds: false } }), at))
      .toEqual([{ list: 'art9Conditions', condition: 'DPA_SCH1_P18' }, { list: 'art10Conditions', condition: 'DPA_SCH1_P18' }]);
  });
  it('none for a child, or for an adult with care and support needs', () => {
    expect(unavailableConditions(sealed(), new Date('2026-12-19T10:00:00Z'))).toEqual([]);
    expect(unavailableConditions(sealed({ legal: { art9Conditions: ['DPA_SCH1_P18'], careAndSupportNeeds: true } }), at)).toEqual([]);
  });
});
