import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  hasValidNhsCheckDigit, isValidNhsNumber, nhsCheckDigit, normaliseNhsNumber, normaliseNhsNumberLoose,
  normalisePncId, normaliseUpn, parsePncId, pncCheckLetter, PNC_CHECK_LETTERS, UPN_CHECK_LETTERS,
} from '../src/index.js';

const digit = fc.integer({ min: 0, max: 9 });
const nineDigits = fc.array(digit, { minLength: 9, maxLength: 9 }).map((d) => d.join(''));

/** Ten digits with a valid check digit (nine digits whose check would be 10 are never issued). */
const nhsNumber = nineDigits
  .filter((n) => nhsCheckDigit(n) !== null)
  .map((n) => `${n}${nhsCheckDigit(n)}`);

/** Replace the character at `i` by a different digit (`by` 1..9 added mod 10). */
function changeDigit(s: string, i: number, by: number): string {
  const d = (Number(s[i]) + by) % 10;
  return s.slice(0, i) + String(d) + s.slice(i + 1);
}

describe('NHS number modulus 11 (property)', () => {
  it('accepts every valid number, in each written form', () => {
    fc.assert(fc.property(nhsNumber, (n) => {
      expect(hasValidNhsCheckDigit(n)).toBe(true);
      expect(normaliseNhsNumber(n)).toBe(n);
      expect(normaliseNhsNumber(`${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`)).toBe(n);
      expect(normaliseNhsNumber(`${n.slice(0, 3)}-${n.slice(3, 6)}-${n.slice(6)}`)).toBe(n);
      expect(normaliseNhsNumberLoose(` ${n.slice(0, 4)} ${n.slice(4, 7)}-${n.slice(7)} `)).toBe(n);
    }));
  });

  it('rejects a valid number with any one digit changed (weights 1..10 and changes 1..9 are never a multiple of 11)', () => {
    fc.assert(fc.property(nhsNumber, fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 9 }), (n, i, by) => {
      const changed = changeDigit(n, i, by);
      expect(hasValidNhsCheckDigit(changed)).toBe(false);
      expect(isValidNhsNumber(changed)).toBe(false);
      expect(normaliseNhsNumberLoose(changed)).toBeNull();
    }));
  });

  it('rejects a valid number with two different neighbouring digits swapped', () => {
    fc.assert(fc.property(nhsNumber, fc.integer({ min: 0, max: 8 }), (n, i) => {
      fc.pre(n[i] !== n[i + 1]);
      const swapped = n.slice(0, i) + n[i + 1] + n[i] + n.slice(i + 2);
      expect(hasValidNhsCheckDigit(swapped)).toBe(false);
    }));
  });
});

const yy = fc.integer({ min: 0, max: 99 }).map((y) => String(y).padStart(2, '0'));
const serial = fc.integer({ min: 0, max: 9_999_999 }).map((s) => String(s).padStart(7, '0'));
const pncId = fc.tuple(yy, serial).map(([y, s]) => `${y}/${s}${pncCheckLetter(y, s)}`);

describe('PNC id check letter (property)', () => {
  it('accepts every id whose letter is computed, with a four-digit year, a short serial, lower case or no slash', () => {
    fc.assert(fc.property(pncId, fc.constantFrom('19', '20'), (id, century) => {
      expect(parsePncId(id)?.canonical).toBe(id);
      expect(parsePncId(`${century}${id.toLowerCase()}`)?.canonical).toBe(id);
      const [y, rest] = id.split('/') as [string, string];
      expect(parsePncId(`${y}/${rest.replace(/^0+(?=\d)/, '')}`)?.canonical).toBe(id);
      expect(normalisePncId(`${y} ${rest}`)).toBe(id);
    }));
  });

  it('rejects an id with one digit of year or serial changed (powers of ten × 1..9 are never a multiple of 23)', () => {
    fc.assert(fc.property(pncId, fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 9 }), (id, k, by) => {
      const i = k < 2 ? k : k + 1; // skip the slash
      const changed = changeDigit(id, i, by);
      expect(parsePncId(changed)).toBeNull();
      expect(normalisePncId(changed)).toBeNull();
    }));
  });

  it('rejects an id with another check letter', () => {
    fc.assert(fc.property(pncId, fc.constantFrom(...PNC_CHECK_LETTERS), (id, letter) => {
      fc.pre(!id.endsWith(letter));
      expect(parsePncId(id.slice(0, -1) + letter)).toBeNull();
    }));
  });
});

const upnBody = fc.array(digit, { minLength: 12, maxLength: 12 }).map((d) => d.join(''));
function upnOf(body: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body[i]) * (i + 2);
  return `${UPN_CHECK_LETTERS[sum % 23]}${body}`;
}

describe('UPN check letter (property)', () => {
  it('accepts a computed UPN and rejects it with one digit changed (weights 2..13 and changes 1..9 are never a multiple of 23)', () => {
    fc.assert(fc.property(upnBody, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 9 }), (body, i, by) => {
      const upn = upnOf(body);
      expect(normaliseUpn(upn.toLowerCase())).toBe(upn);
      expect(normaliseUpn(changeDigit(upn, i, by))).toBeNull();
    }));
  });
});
