import { describe, expect, it } from 'vitest';
import { compileOperator, parseOperator, type OperatorSpec } from '../../../../gateway/src/policy/operators/index.js';

const VALID: OperatorSpec[] = [
  'keep',
  'drop',
  'count',
  'booleanise',
  'pseudonymise',
  'scrub',
  { mask: { keepLast: 4 } },
  { mask: { keepLast: 0 } },
  { date: 'year' },
  { date: 'month' },
  { ageBand: [0, 5, 11, 16, 18] },
  { ageBand: [65] },
  { postcode: 'district' },
  { postcode: 'sector' },
  { truncate: 280 },
  { window: { months: 12, on: 'date' } },
  { window: { months: 12, on: 'outcome.date' } },
  { limit: { top: 3, by: 'date' } },
  { limit: { top: 3, by: 'date', order: 'asc' } },
  { categorise: { map: { A: 'X' } } },
  { categorise: { map: {}, default: 'OTHER' } },
  { replace: 'CONFIDENTIAL' },
  { replace: '' },
];

describe('parseOperator', () => {
  it.each(VALID.map((s) => [JSON.stringify(s), s] as const))('accepts %s unchanged', (_label, spec) => {
    const r = parseOperator(spec);
    expect(r).toEqual({ ok: true, spec });
    expect(compileOperator(spec).apply).toBeTypeOf('function');
  });

  it.each([
    ['unknown name', 'erase', 'unknown operator'],
    ['vocabulary name with a hint', 'postcodeDistrict', '{ postcode: district }'],
    ['countOnly hint', 'countOnly', 'count'],
    ['parameterised name alone', 'mask', 'needs parameters'],
    ['bare name with parameters', { keep: true }, 'takes no parameters'],
    ['two keys', { mask: { keepLast: 4 }, date: 'year' }, 'exactly one key'],
    ['empty object', {}, 'exactly one key'],
    ['null', null, 'an operator is'],
    ['number', 4, 'an operator is'],
    ['array', ['keep'], 'an operator is'],
    ['mask without keepLast', { mask: {} }, 'mask.keepLast'],
    ['mask negative', { mask: { keepLast: -1 } }, 'mask.keepLast'],
    ['mask fraction', { mask: { keepLast: 1.5 } }, 'mask.keepLast'],
    ['mask extra key', { mask: { keepLast: 4, char: '#' } }, 'unknown parameter'],
    ['mask as number', { mask: 4 }, 'mask: expected'],
    ['date day', { date: 'day' }, 'date:'],
    ['ageBand empty', { ageBand: [] }, 'ageBand'],
    ['ageBand descending', { ageBand: [0, 18, 5] }, 'strictly ascending'],
    ['ageBand duplicate', { ageBand: [0, 5, 5] }, 'strictly ascending'],
    ['ageBand negative', { ageBand: [-1, 5] }, 'ageBand[0]'],
    ['ageBand string', { ageBand: ['0-4'] }, 'ageBand[0]'],
    ['postcode area', { postcode: 'area' }, 'postcode:'],
    ['truncate zero', { truncate: 0 }, 'truncate'],
    ['truncate string', { truncate: '280' }, 'truncate'],
    ['window without on', { window: { months: 12 } }, 'window.on'],
    ['window bad on', { window: { months: 12, on: 'a..b' } }, 'window.on'],
    ['window zero months', { window: { months: 0, on: 'date' } }, 'window.months'],
    ['limit zero', { limit: { top: 0, by: 'date' } }, 'limit.top'],
    ['limit no by', { limit: { top: 3 } }, 'limit.by'],
    ['limit bad order', { limit: { top: 3, by: 'date', order: 'newest' } }, 'limit.order'],
    ['categorise no map', { categorise: { default: 'X' } }, 'categorise.map'],
    ['categorise non-string category', { categorise: { map: { A: 1 } } }, 'categorise.map.A'],
    ['categorise bad default', { categorise: { map: {}, default: 3 } }, 'categorise.default'],
    ['replace non-string', { replace: 1 }, 'replace'],
  ])('rejects %s', (_label, raw, fragment) => {
    const r = parseOperator(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(fragment);
  });

  it('does not share arrays or objects with the raw input', () => {
    const bounds = [0, 5];
    const r = parseOperator({ ageBand: bounds });
    bounds.push(1);
    expect(r).toEqual({ ok: true, spec: { ageBand: [0, 5] } });
  });
});

describe('compileOperator', () => {
  it('refuses a hand-built spec that would not parse, with code INVALID_OPERATOR', () => {
    expect(() => compileOperator({ ageBand: [18, 5] })).toThrow(expect.objectContaining({ code: 'INVALID_OPERATOR' }));
    expect(() => compileOperator('erase' as OperatorSpec)).toThrow(expect.objectContaining({ code: 'INVALID_OPERATOR' }));
  });

  it('names each operator as it appears in the audit event', () => {
    const names = VALID.map((s) => compileOperator(s).name);
    expect(new Set(names)).toEqual(
      new Set(['keep', 'drop', 'count', 'booleanise', 'pseudonymise', 'scrub', 'mask', 'date', 'ageBand', 'postcode', 'truncate', 'window', 'limit', 'categorise', 'replace']),
    );
  });
});
