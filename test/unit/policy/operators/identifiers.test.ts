import { describe, expect, it } from 'vitest';
import {
  hasValidNhsCheckDigit,
  isValidNhsNumber,
  isValidPncId,
  nhsCheckDigit,
  normaliseNhsNumber,
  parsePncId,
  pncCheckLetter,
} from '../../../../gateway/src/policy/operators/index.js';

describe('NHS number (mod 11)', () => {
  it('computes the check digit', () => {
    expect(nhsCheckDigit('943476591')).toBe(9);
    expect(nhsCheckDigit('401023213')).toBe(7);
    // remainder 0 → 11 → check digit 0
    expect(nhsCheckDigit('000000000')).toBe(0);
  });

  it('treats a computed check of 10 as never issued', () => {
    expect(nhsCheckDigit('123456789')).toBeNull();
    expect(hasValidNhsCheckDigit('1234567890')).toBe(false);
  });

  it('accepts valid numbers written with or without spaces or hyphens', () => {
    for (const s of ['9434765919', '943 476 5919', '943-476-5919', ' 4010232137 ']) {
      expect(isValidNhsNumber(s)).toBe(true);
    }
    expect(normaliseNhsNumber('943 476 5919')).toBe('9434765919');
  });

  it('rejects a wrong check digit, wrong length or letters', () => {
    for (const s of ['9434765918', '943476591', '94347659199', '943 476 591X', '943/476/5919', 'abcdefghij', '']) {
      expect(isValidNhsNumber(s)).toBe(false);
    }
    expect(nhsCheckDigit('94347659')).toBeNull();
  });
});

describe('PNC id (mod 23 check letter)', () => {
  it('computes the check letter over YY and the serial padded to seven digits', () => {
    expect(pncCheckLetter('89', '12345')).toBe('X');
    expect(pncCheckLetter('89', '0012345')).toBe('X');
    expect(pncCheckLetter('01', '0012345')).toBe('H');
    expect(pncCheckLetter('8', '1')).toBeNull();
    expect(pncCheckLetter('89', '12345678')).toBeNull();
  });

  it('parses short and long forms to one canonical form', () => {
    expect(parsePncId('89/12345X')?.canonical).toBe('89/0012345X');
    expect(parsePncId('89/0012345x')?.canonical).toBe('89/0012345X');
    expect(parsePncId('2001/0012345H')?.canonical).toBe('01/0012345H');
    expect(parsePncId('2001/12345H')).toEqual(parsePncId('01/0012345H'));
  });

  it('rejects a wrong check letter or a malformed id', () => {
    for (const s of ['89/12345K', '89-12345X', '89/12345', '89/123456789X', '189/12345X', '89/X', '']) {
      expect(isValidPncId(s)).toBe(false);
    }
  });
});
