import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  generalisePostcode, isValidPostcode, nhsCheckDigit, nhsNumberDigits, normaliseNhsNumber, normaliseNhsNumberLoose,
  normalisePncId, normaliseUprn, parsePncId, parsePostcode, pncCheckLetter, pncIdShape, postcodeKey, postcodeKeySector,
  uprnDigits,
} from '../src/index.js';

describe('NHS number', () => {
  it('computes the Data Dictionary check digit, and none for numbers never issued', () => {
    expect(nhsCheckDigit('943476591')).toBe(9);
    expect(nhsCheckDigit('401023213')).toBe(7);
    expect(nhsCheckDigit('123456789')).toBeNull();
    expect(nhsCheckDigit('94347659')).toBeNull();
  });

  it('reads display forms strictly, agency exports loosely, and stored digits without a check', () => {
    expect(normaliseNhsNumber(' 943 476 5919 ')).toBe('9434765919');
    expect(normaliseNhsNumber('9434 765 919')).toBeNull();
    expect(normaliseNhsNumberLoose('9434 765-919')).toBe('9434765919');
    expect(normaliseNhsNumberLoose('9434765918')).toBeNull();
    expect(nhsNumberDigits('(943) 476.5918')).toBe('9434765918');
    expect(nhsNumberDigits('12345')).toBeNull();
  });
});

describe('PNC id', () => {
  it('computes the check letter over the two-digit year and the padded serial', () => {
    expect(pncCheckLetter('89', '12345')).toBe('X');
    expect(pncCheckLetter('01', '0012345')).toBe('H');
    expect(pncCheckLetter('8', '1')).toBeNull();
  });

  it('parses the written form, the export form, and the unchecked shape', () => {
    expect(parsePncId('1989/12345x')).toEqual({ yy: '89', serial: '0012345', checkLetter: 'X', canonical: '89/0012345X' });
    expect(parsePncId('8912345X')).toBeNull();
    expect(normalisePncId('89 0012345 X')).toBe('89/0012345X');
    expect(normalisePncId('8912345X')).toBe('89/0012345X');
    expect(normalisePncId('89/12345A')).toBeNull();
    expect(pncIdShape('89/12345A')).toBe('89/0012345A');
    expect(pncIdShape('not a pnc')).toBeNull();
  });
});

describe('postcode', () => {
  it('parses and generalises by outward code, never by cutting characters', () => {
    expect(parsePostcode('ne35 1aa')?.district).toBe('NE35');
    expect(generalisePostcode('NE3 5AA', 'district')).toBe('NE3');
    expect(generalisePostcode('cm14xx', 'sector')).toBe('CM1 4');
    expect(generalisePostcode('BF1 3AA', 'district')).toBeNull();
    expect(isValidPostcode('GIR 0AA')).toBe(true);
    expect(isValidPostcode('QM1 4XX')).toBe(false);
  });

  it('any parsed postcode parses again to itself, with or without its space, and its sector begins with its district', () => {
    const letter = fc.constantFrom(...'ABCDEFGHJKLMNPRSTUWYZ');
    const d = fc.integer({ min: 0, max: 9 }).map(String);
    const candidate = fc.tuple(letter, fc.option(letter, { nil: '' }), d, fc.option(d, { nil: '' }), d, letter, letter)
      .map(([a, b, c, e, f, g, h]) => `${a}${b}${c}${e} ${f}${g}${h}`);
    fc.assert(fc.property(candidate, (pc) => {
      const p = parsePostcode(pc);
      if (!p) return;
      expect(parsePostcode(p.normalised)).toEqual(p);
      expect(parsePostcode(p.normalised.replace(' ', '').toLowerCase())).toEqual(p);
      expect(p.sector.startsWith(`${p.district} `)).toBe(true);
    }));
  });

  it('gives matching keys for the shape, without the Royal Mail letter rules', () => {
    expect(postcodeKey(' cm1 4xx ')).toBe('CM14XX');
    expect(postcodeKey('QM1 4CC')).toBe('QM14CC');
    expect(postcodeKey('CM1')).toBeNull();
    expect(postcodeKeySector('CM14XX')).toBe('CM14');
  });
});

describe('UPRN', () => {
  it('keeps up to twelve digits without leading zeros', () => {
    expect(normaliseUprn('000100023336956')).toBeNull();
    expect(normaliseUprn(' 0100023336956 '.trim().slice(1))).toBe('100023336956');
    expect(normaliseUprn('0000')).toBeNull();
    expect(uprnDigits('UPRN 0010-0023')).toBe('100023');
  });
});
