import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalString, compileOperator, pseudonym } from '../../../../gateway/src/policy/operators/index.js';
import { KEY, ctxAt, reasonOf, valueOf } from './helpers.js';

describe('keep / drop / replace', () => {
  it('keep releases the value untouched and is the only non-transforming operator', () => {
    const v = { a: [1, 2] };
    expect(valueOf('keep', v)).toBe(v);
    expect(compileOperator('keep')).toMatchObject({ name: 'keep', transforms: false, generalises: false });
    for (const op of ['drop', 'count', 'booleanise', 'pseudonymise', 'scrub'] as const) {
      expect(compileOperator(op).transforms).toBe(true);
    }
  });

  it('drop withholds anything with DROPPED_BY_RULE', () => {
    for (const v of ['x', 1, null, { a: 1 }, []]) expect(reasonOf('drop', v)).toBe('DROPPED_BY_RULE');
    expect(compileOperator('drop').generalises).toBe(true);
  });

  it('replace releases the constant whatever the value', () => {
    for (const v of ['10 Refuge Road, CM1 4XX', null, 5, { postcode: 'CM1 4XX' }]) {
      expect(valueOf({ replace: 'CONFIDENTIAL' }, v)).toBe('CONFIDENTIAL');
    }
    expect(compileOperator({ replace: 'CONFIDENTIAL' })).toMatchObject({ name: 'replace', generalises: true });
  });
});

describe('booleanise', () => {
  it.each([
    [true, true],
    [false, false],
    [1, true],
    [0, false],
    [Number.NaN, false],
    ['yes', true],
    ['', false],
    ['   ', false],
    [null, false],
    [[], false],
    [[{}], true],
    [[false], true],
    [{}, false],
    [{ openToSecondaryMH: false, riskToSelf: false }, false],
    [{ openToSecondaryMH: false, riskToSelf: true }, true],
    [{ pregnancy: { pregnant: false, edd: null } }, false],
    [{ pregnancy: { pregnant: true } }, true],
  ])('%j → %s', (v, expected) => {
    expect(valueOf('booleanise', v)).toBe(expected);
  });

  it('treats very deep nesting as present instead of recursing without end', () => {
    let deep: Record<string, unknown> = { x: false };
    for (let i = 0; i < 100; i++) deep = { next: deep };
    expect(valueOf('booleanise', deep)).toBe(true);
  });
});

describe('categorise', () => {
  const spec = { categorise: { map: { DA_ASSAULT: 'VIOLENCE', STALKING: 'HARASSMENT', '1': 'ONE', true: 'YES' } } };

  it('maps values, including numbers and booleans by their string form', () => {
    expect(valueOf(spec, 'DA_ASSAULT')).toBe('VIOLENCE');
    expect(valueOf(spec, 1)).toBe('ONE');
    expect(valueOf(spec, true)).toBe('YES');
  });

  it('uses the default for unmapped values, or drops them with UNMAPPED_VALUE', () => {
    expect(reasonOf(spec, 'CRIMINAL_DAMAGE')).toBe('UNMAPPED_VALUE');
    expect(valueOf({ categorise: { map: { A: 'X' }, default: 'OTHER' } }, 'B')).toBe('OTHER');
  });

  it('never maps through inherited properties', () => {
    for (const v of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(reasonOf(spec, v)).toBe('UNMAPPED_VALUE');
    }
  });

  it('drops non-scalars', () => {
    expect(reasonOf(spec, ['DA_ASSAULT'])).toBe('OPERATOR_NOT_APPLICABLE');
    expect(reasonOf(spec, null)).toBe('OPERATOR_NOT_APPLICABLE');
    expect(compileOperator(spec).accepts('array')).toBe(false);
  });
});

describe('pseudonymise', () => {
  it('is psn_ + the first 32 hex of HMAC-SHA256 over the canonical string', () => {
    const expected = createHmac('sha256', KEY).update('9434765919').digest('hex').slice(0, 32);
    expect(valueOf('pseudonymise', '9434765919')).toBe(`psn_${expected}`);
    expect(pseudonym('9434765919', KEY)).toMatch(/^psn_[0-9a-f]{32}$/);
  });

  it('is stable for the same key and differs across keys and values', () => {
    const other = Buffer.alloc(32, 7);
    expect(valueOf('pseudonymise', 'x')).toBe(valueOf('pseudonymise', 'x'));
    expect(valueOf('pseudonymise', 'x', ctxAt(undefined, other))).not.toBe(valueOf('pseudonymise', 'x'));
    expect(valueOf('pseudonymise', 'x')).not.toBe(valueOf('pseudonymise', 'y'));
  });

  it('canonicalises: NFC strings, sorted object keys', () => {
    expect(valueOf('pseudonymise', 'Jos\u00e9')).toBe(valueOf('pseudonymise', 'Jose\u0301'));
    expect(valueOf('pseudonymise', { b: 1, a: [2, { d: 1, c: 2 }] })).toBe(valueOf('pseudonymise', { a: [2, { c: 2, d: 1 }], b: 1 }));
    expect(canonicalString({ b: 1, a: 'x' })).toBe('{"a":"x","b":1}');
    expect(canonicalString(123)).toBe('123');
  });

  it('refuses to run without a key of at least 16 bytes: never an unkeyed hash', () => {
    expect(reasonOf('pseudonymise', 'x', ctxAt(undefined, Buffer.alloc(0)))).toBe('HMAC_KEY_MISSING');
    expect(reasonOf('pseudonymise', 'x', ctxAt(undefined, Buffer.from('short')))).toBe('HMAC_KEY_MISSING');
    expect(reasonOf('pseudonymise', 'x', { now: new Date(), hmacKey: undefined as unknown as Buffer })).toBe('HMAC_KEY_MISSING');
  });

  it('drops null', () => {
    expect(reasonOf('pseudonymise', null)).toBe('OPERATOR_NOT_APPLICABLE');
    expect(compileOperator('pseudonymise').generalises).toBe(true);
  });
});
