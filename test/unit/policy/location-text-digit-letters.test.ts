/**
 * Digits standing in for letters (decision 0010, third review): "B1rch Wa1k", "Qu4rry R0w",
 * "L4rkspur House". Both nets read the word as a reader does; codes and times stay.
 */
import { describe, expect, it } from 'vitest';
import { digitFold, digitsAsLetters } from '../../../gateway/src/policy/location-text/digit-letters.js';
import { EMPTY_LEXICON, LOCATION_PLACEHOLDER, compileLexicon, scrubLocationText } from '../../../gateway/src/policy/location-text/index.js';
import { tokenize } from '../../../gateway/src/policy/location-text/normalise.js';

const CASE = compileLexicon([
  { addressLines: ['Larkspur House', '9 Quarry Row', 'Harlow'], postcode: 'CM19 4QD' },
  { addressLines: ['30 Birch Walk', 'Chelmsford'], postcode: 'CM2 6LA' },
  { addressLines: ['Flat 2, 14 Elm Road', 'Basildon'] },
]);
const caseNet = (s: string) => scrubLocationText(s, CASE, { addressShapes: false }).text;
const shapeNet = (s: string) => scrubLocationText(s, EMPTY_LEXICON, { addressShapes: true }).text;

describe('digits for letters: the case-aware net', () => {
  it.each([
    ['she is at 9 Qu4rry R0w now', 'Qu4rry'],
    ['seen at Qu4rry Row', 'Qu4rry'],
    ['staying at L4rkspur House', 'L4rkspur'],
    ['staying at Larksp0r House', 'Larksp0r'],
    ['moved to 30 B1rch Wa1k last week', 'B1rch'],
    ['moved to 30 8irch W4lk', '8irch'],
    ['lives at 14 3lm R0ad', '3lm'],
    ['BIRCH WA1K, flat 30', 'WA1K'],
  ])('%s', (text, leaked) => {
    const out = caseNet(text);
    expect(out).toContain(LOCATION_PLACEHOLDER);
    expect(out).not.toContain(leaked);
  });
});

describe('digits for letters: the address-shape net (a street the case never held)', () => {
  it.each([
    ['she lives at 12 Acacia R0ad', 'Acacia'],
    ['she lives at 12 Ac4cia Road', 'Ac4cia'],
    ['went to 7 Ma1n 5treet', 'Ma1n'],
    ['at 40 Ros3 Cr3scent', 'Ros3'],
    ['the r3fuge in Harlow', 'Harlow'],
    ['Flat 3, 22 Mi11 L4ne', 'Mi11'],
  ])('%s', (text, leaked) => {
    const out = shapeNet(text);
    expect(out).toContain(LOCATION_PLACEHOLDER);
    expect(out).not.toContain(leaked);
  });
});

describe('digits for letters: what stays', () => {
  it.each([
    'seen on the 3rd at 10pm and again at 12noon',
    'crime ref 42/10000/26, PC 1234 attended',
    'DASH score 16, 4 children, 2nd referral in 12 months',
    'reviewed by DC5 Smith on 2026-11-02',
    'B12 injection given; follow-up in 3wks',
  ])('%s', (text) => {
    expect(shapeNet(text)).toBe(text);
    expect(caseNet(text)).toBe(text);
  });

  it('reads a mixed word once, with the first reading kept for its numbers', () => {
    const t = digitsAsLetters(tokenize('30 B1rch Wa1k, CM19 4QD'))!;
    // A postcode stays as it is: the first reading has it.
    expect(t.raw).toEqual(['30', 'birch', 'waik', 'cm', '19', '4', 'qd']);
    expect(t.folded).toEqual([undefined, '81rch', 'w41k', undefined, undefined, undefined, undefined]);
    expect(t.num).toEqual([true, false, false, false, true, true, false]);
    // Not a postcode: read as words ("4sh Grove" is Ash Grove).
    expect(digitsAsLetters(tokenize('at 4sh Grove'))!.folded).toEqual([undefined, '45h', undefined]);
    // Nothing mixed: no second reading.
    expect(digitsAsLetters(tokenize('30a Birch Walk, 12 B'))).toBeUndefined();
  });

  it('folds the letters a digit can stand for, whichever it was', () => {
    expect(digitFold('walk')).toBe(digitFold('wa1k'));
    expect(digitFold('mill')).toBe(digitFold('m1ll'));
    expect(digitFold('quarry')).toBe(digitFold('qu4rry'));
    expect(digitFold('street')).toBe(digitFold('5tr337'));
    expect(digitFold('birch')).not.toBe(digitFold('perch'));
  });
});
