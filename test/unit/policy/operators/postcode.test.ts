import { describe, expect, it } from 'vitest';
import { compileOperator, isValidPostcode, parsePostcode } from '../../../../gateway/src/policy/operators/index.js';
import { reasonOf, valueOf } from './helpers.js';

describe('parsePostcode', () => {
  it.each([
    ['CM1 4XX', 'CM1', 'CM1 4'],
    ['SW1A 2AA', 'SW1A', 'SW1A 2'],
    ['EC1A 1BB', 'EC1A', 'EC1A 1'],
    ['W1A 0AX', 'W1A', 'W1A 0'],
    ['M1 1AE', 'M1', 'M1 1'],
    ['B33 8TH', 'B33', 'B33 8'],
    ['NE35 9PE', 'NE35', 'NE35 9'],
    ['NE3 5PE', 'NE3', 'NE3 5'],
    ['DN55 1PT', 'DN55', 'DN55 1'],
    ['GIR 0AA', 'GIR', 'GIR 0'],
  ])('%s → district %s, sector %s', (input, district, sector) => {
    const p = parsePostcode(input);
    expect(p?.district).toBe(district);
    expect(p?.sector).toBe(sector);
  });

  it('tolerates lower case, a missing space and extra whitespace', () => {
    expect(parsePostcode('cm1 4xx')?.normalised).toBe('CM1 4XX');
    expect(parsePostcode('CM14XX')?.normalised).toBe('CM1 4XX');
    expect(parsePostcode('ne359pe')?.normalised).toBe('NE35 9PE');
    expect(parsePostcode('  CM1    4XX  ')?.normalised).toBe('CM1 4XX');
    expect(parsePostcode('CM1\t4XX')?.normalised).toBe('CM1 4XX');
    expect(parsePostcode('CM1\u00A04XX')?.normalised).toBe('CM1 4XX');
    expect(parsePostcode('gir0aa')?.normalised).toBe('GIR 0AA');
  });

  it('splits by the inward code, not by character count', () => {
    // NE3 and NE35 are different districts: cutting characters would get one of them wrong.
    expect(parsePostcode('NE35PE')?.district).toBe('NE3');
    expect(parsePostcode('NE359PE')?.district).toBe('NE35');
  });

  it.each([
    ['', 'empty'],
    ['   ', 'blank'],
    ['BFPO 1234', 'BFPO'],
    ['BFPO1234', 'BFPO without space'],
    ['BF1 3AD', 'British Forces postcode'],
    ['CM1', 'district only'],
    ['CM1 4', 'sector only'],
    ['C M1 4XX', 'space inside the outward code'],
    ['CM1 4 XX', 'space inside the inward code'],
    ['CM1 4CX', 'C in the inward code'],
    ['CM1 4XI', 'I in the inward code'],
    ['QA1 1AA', 'Q first'],
    ['VA1 1AA', 'V first'],
    ['XM4 5HQ', 'X first'],
    ['AI1 1AA', 'I second'],
    ['AZ1 1AA', 'Z second'],
    ['A1I 1AA', 'I as A9A letter'],
    ['AB1C 1AA', 'C as AA9A letter'],
    ['ABC1 1AA', 'three-letter area'],
    ['A 1AA', 'no district digit'],
    ['CM123 4XX', 'three district digits'],
    ['CM1 44XX', 'long inward'],
    ['12345', 'digits'],
    ['ASCN 1ZZ', 'overseas territory'],
    ['CM1 4XX CM1 4XX', 'two postcodes'],
    ['CM1-4XX', 'hyphen'],
    ['ＣＭ１ ４ＸＸ', 'full-width'],
  ])('rejects %j (%s)', (input) => {
    expect(parsePostcode(input)).toBeNull();
    expect(isValidPostcode(input)).toBe(false);
  });
});

describe('postcode operator', () => {
  it('returns the district or the sector', () => {
    expect(valueOf({ postcode: 'district' }, 'CM1 4XX')).toBe('CM1');
    expect(valueOf({ postcode: 'sector' }, 'CM1 4XX')).toBe('CM1 4');
    expect(valueOf({ postcode: 'sector' }, 'sw1a2aa')).toBe('SW1A 2');
  });

  it('takes the postcode of an address object and releases nothing else from it', () => {
    const address = { uprn: '100023336956', postcode: 'SW1A 2AA', lines: ['10 Downing St'], confidential: true };
    expect(valueOf({ postcode: 'district' }, address)).toBe('SW1A');
  });

  it('drops an unparsable postcode with INVALID_POSTCODE', () => {
    expect(reasonOf({ postcode: 'district' }, 'BFPO 1234')).toBe('INVALID_POSTCODE');
    expect(reasonOf({ postcode: 'district' }, 'not a postcode')).toBe('INVALID_POSTCODE');
    expect(reasonOf({ postcode: 'district' }, { lines: ['1 High St'] })).toBe('INVALID_POSTCODE');
    expect(reasonOf({ postcode: 'district' }, { postcode: 12345 })).toBe('INVALID_POSTCODE');
  });

  it('drops values of the wrong type with OPERATOR_NOT_APPLICABLE', () => {
    for (const v of [42, true, null, ['CM1 4XX']]) {
      expect(reasonOf({ postcode: 'district' }, v)).toBe('OPERATOR_NOT_APPLICABLE');
    }
  });

  it('declares itself generalising and fits strings and address objects', () => {
    const op = compileOperator({ postcode: 'district' });
    expect(op).toMatchObject({ name: 'postcode', transforms: true, generalises: true });
    expect(op.accepts('string')).toBe(true);
    expect(op.accepts('object')).toBe(true);
    expect(op.accepts('number')).toBe(false);
    expect(op.accepts('array')).toBe(false);
  });
});
