import { describe, expect, it } from 'vitest';
import {
  compareDobs, createMatcher, editDistance, isValidNhsNumber, isValidPncId, jaroWinkler, normaliseNhsNumber,
  normalisePncId, normaliseUpn, normaliseUprn, phoneticKey, type CandidatePerson,
} from '../matching/index.js';

describe('identifier validators', () => {
  it('accepts NHS numbers with a valid mod-11 check digit, in any spacing', () => {
    expect(normaliseNhsNumber('943 476 5919')).toBe('9434765919');
    expect(normaliseNhsNumber('999-000-0018')).toBe('9990000018');
    expect(isValidNhsNumber('9434765918')).toBe(false); // wrong check digit
    expect(isValidNhsNumber('999123456')).toBe(false); // 9 digits
    expect(isValidNhsNumber('9991234560')).toBe(false); // check digit would be 10: never issued
  });

  it('validates PNC ids by their mod-23 check letter and normalises the written forms', () => {
    expect(normalisePncId('89/0012345X')).toBe('89/0012345X');
    expect(normalisePncId('1989/0012345X')).toBe('89/0012345X');
    expect(normalisePncId('89/12345x')).toBe('89/0012345X');
    expect(normalisePncId('890012345X')).toBe('89/0012345X');
    expect(isValidPncId('89/0012345K')).toBe(false);
    expect(isValidPncId('89/0012345I')).toBe(false);
  });

  it('normalises UPRNs and UPNs', () => {
    expect(normaliseUprn('000100023336956')).toBe(null); // 15 digits
    expect(normaliseUprn('0100023336956'.slice(1))).toBe('100023336956');
    expect(normaliseUprn('abc')).toBe(null);
    expect(normaliseUpn('a12345 6789012')).toBe('A123456789012'); // sum 368, mod 23 = 0 → A
    expect(normaliseUpn('B123456789012')).toBe(null);
  });
});

describe('name and date primitives', () => {
  it('edit distance counts a transposition as one edit', () => {
    expect(editDistance('jhon', 'john')).toBe(1);
    expect(editDistance('smith', 'smyth')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('Jaro-Winkler rewards shared prefixes', () => {
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.961, 2);
    expect(jaroWinkler('abc', 'xyz')).toBe(0);
  });

  it('phonetic key groups names that sound alike', () => {
    expect(phoneticKey('Catherine')).toBe(phoneticKey('Kathryn'));
    expect(phoneticKey('Smith')).toBe(phoneticKey('Smyth'));
    expect(phoneticKey('Philips')).toBe(phoneticKey('Filips'));
    expect(phoneticKey('Smith')).not.toBe(phoneticKey('Jones'));
  });

  it('compares DOBs with swapped day/month, typos and alternatives', () => {
    expect(compareDobs(['1990-04-12'], ['1990-04-12'])).toMatchObject({ how: 'exact', alternative: false });
    expect(compareDobs(['1990-04-12'], ['1990-12-04'])).toMatchObject({ how: 'swapped' });
    expect(compareDobs(['1990-04-12'], ['1991-04-12'])).toMatchObject({ how: 'typo' });
    expect(compareDobs(['1990-04-12'], ['1990-04-21'])).toMatchObject({ how: 'typo' });
    expect(compareDobs(['1990-04-12'], ['1985-07-30'])).toMatchObject({ how: 'none', score: 0 });
    expect(compareDobs(['1990-04-12'], ['1985-07-30', '1990-04-12'])).toMatchObject({ how: 'exact', alternative: true });
    expect(compareDobs(['not-a-date'], ['1990-04-12'])).toBeNull();
  });
});

const people: CandidatePerson[] = [
  {
    recordId: 'R1', names: [{ given: ['Katherine', 'Anne'], family: 'Whitlock' }, { given: ['Katherine'], family: 'Penrose', use: 'maiden' }],
    dobs: ['1990-04-12'], sexOrGender: 'F', identifiers: [{ system: 'nhs-number', value: '9434765919' }], postcodes: ['CM1 4ZT'], uprns: ['990000000007'],
  },
  {
    recordId: 'R2', names: [{ given: ['Mark'], family: 'Grimshaw' }], dobs: ['1987-09-30', '1987-03-09'], sexOrGender: 'M',
    identifiers: [{ system: 'pnc-id', value: '89/0012345X' }],
  },
  // A namesake of R1 (same name, different DOB) and twins with the same DOB.
  { recordId: 'R3', names: [{ given: ['Katherine'], family: 'Whitlock' }], dobs: ['1962-11-02'], sexOrGender: 'F', identifiers: [] },
  { recordId: 'R4', names: [{ given: ['Jordan'], family: 'Lockwood' }], dobs: ['2012-06-05'], sexOrGender: 'M', identifiers: [] },
  { recordId: 'R5', names: [{ given: ['Jordan'], family: 'Lockwood' }], dobs: ['2012-06-05'], sexOrGender: 'M', identifiers: [] },
];
const m = createMatcher(people);

describe('createMatcher', () => {
  it('matches exactly on a valid strong identifier', () => {
    const r = m.match({ identifiers: [{ system: 'nhs-number', value: '943 476 5919' }], names: [{ given: ['Kate'], family: 'Whitlock' }], dobs: ['1990-04-12'] });
    expect(r).toMatchObject({ status: 'MATCHED', recordId: 'R1' });
    expect(r.matchedOn).toEqual(expect.arrayContaining(['nhs-number', 'name', 'dob']));
    expect(r.confidence).toBeGreaterThanOrEqual(0.99);
  });

  it('matches on identifier alone when the gateway redacted the demographics', () => {
    expect(m.match({ identifiers: [{ system: 'pnc-id', value: '1989/0012345X' }] })).toMatchObject({ status: 'MATCHED', recordId: 'R2', matchedOn: ['pnc-id'] });
  });

  it('ignores an identifier with a bad check digit instead of matching on it', () => {
    const r = m.match({ identifiers: [{ system: 'nhs-number', value: '9434765918' }] });
    expect(r.status).toBe('NOT_FOUND');
  });

  it('holds an identifier match back when name, DOB and sex all disagree', () => {
    const r = m.match({ identifiers: [{ system: 'nhs-number', value: '9434765919' }], names: [{ given: ['Tariq'], family: 'Khan' }], dobs: ['1955-01-01'], sexOrGender: 'M' });
    expect(r.status).toBe('POSSIBLE');
    expect(r.caveats).toContain('DEMOGRAPHICS_CONFLICT');
  });

  it('matches on exact name and DOB without identifiers, and prefers the right namesake', () => {
    expect(m.match({ names: [{ given: ['Katherine'], family: 'Whitlock' }], dobs: ['1990-04-12'] })).toMatchObject({ status: 'MATCHED', recordId: 'R1' });
    expect(m.match({ names: [{ given: ['Katherine'], family: 'Whitlock' }], dobs: ['1962-11-02'] })).toMatchObject({ status: 'MATCHED', recordId: 'R3' });
  });

  it('finds a person under an alias / maiden name and via alternative DOBs', () => {
    expect(m.match({ names: [{ given: ['Katherine'], family: 'Penrose' }], dobs: ['1990-04-12'], address: { postcode: 'cm14zt' } })).toMatchObject({ status: 'MATCHED', recordId: 'R1' });
    const r = m.match({ names: [{ given: ['Mark'], family: 'Grimshaw' }], dobs: ['1987-03-09'] });
    expect(r).toMatchObject({ status: 'MATCHED', recordId: 'R2' });
    expect(r.evidence).toContain('dob-alternative');
  });

  it('tolerates a typo or nickname, but needs an address to call it MATCHED', () => {
    const typo = m.match({ names: [{ given: ['Katherine'], family: 'Whitlok' }], dobs: ['1990-04-12'] });
    expect(typo).toMatchObject({ status: 'POSSIBLE', recordId: 'R1' });
    expect(typo.evidence).toContain('name-typo');
    const withAddress = m.match({ names: [{ given: ['Katherine'], family: 'Whitlok' }], dobs: ['1990-04-12'], address: { uprn: '990000000007' } });
    expect(withAddress).toMatchObject({ status: 'MATCHED', recordId: 'R1' });
    expect(withAddress.matchedOn).toContain('uprn');
    const nick = m.match({ names: [{ given: ['Kathy'], family: 'Whitlock' }], dobs: ['1990-04-12'] });
    expect(nick.recordId).toBe('R1');
    expect(nick.evidence).toContain('name-variant');
  });

  it('treats a swapped day and month as POSSIBLE, never MATCHED', () => {
    const r = m.match({ names: [{ given: ['Katherine'], family: 'Whitlock' }], dobs: ['1990-12-04'], address: { postcode: 'CM1 4ZT' } });
    expect(r).toMatchObject({ status: 'POSSIBLE', recordId: 'R1' });
    expect(r.evidence).toContain('dob-swapped');
  });

  it('never returns MATCHED on name-only evidence', () => {
    const r = m.match({ names: [{ given: ['Mark'], family: 'Grimshaw' }] });
    expect(r.status).toBe('POSSIBLE');
    expect(m.match({ names: [{ given: ['Mark'], family: 'Grimshaw' }], address: { postcode: 'CM1 4ZT' } }).status).toBe('POSSIBLE');
  });

  it('holds back an ambiguous demographic match (two records equally good)', () => {
    const r = m.match({ names: [{ given: ['Jordan'], family: 'Lockwood' }], dobs: ['2012-06-05'] });
    expect(r.status).toBe('POSSIBLE');
    expect(r.caveats).toContain('AMBIGUOUS');
  });

  it('does not match a different strong identifier even with the same name and DOB', () => {
    const r = m.match({ identifiers: [{ system: 'pnc-id', value: '99/9900001B' }], names: [{ given: ['Mark'], family: 'Grimshaw' }], dobs: ['1987-09-30'] });
    expect(r.status).not.toBe('MATCHED');
  });

  it('a sex conflict holds a demographic match back', () => {
    const r = m.match({ names: [{ given: ['Katherine'], family: 'Whitlock' }], dobs: ['1990-04-12'], sexOrGender: 'M' });
    expect(r.status).toBe('POSSIBLE');
  });

  it('returns NOT_FOUND for nobody like the subject, and for nothing to go on', () => {
    expect(m.match({ names: [{ given: ['Zachary'], family: 'Quayle' }], dobs: ['1970-01-01'] })).toEqual({ status: 'NOT_FOUND', confidence: 0, matchedOn: [], evidence: [] });
    expect(m.match({}).status).toBe('NOT_FOUND');
  });
});
