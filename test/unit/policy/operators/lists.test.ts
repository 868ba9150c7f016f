import { describe, expect, it } from 'vitest';
import { compileOperator } from '../../../../gateway/src/policy/operators/index.js';
import { ctxAt, reasonOf, valueOf } from './helpers.js';

const attendances = [
  { date: '2025-06-05', reasonCategory: 'INJURY' },
  { date: '2025-06-06', reasonCategory: 'FUTURE' },
  { date: '2024-06-05', reasonCategory: 'ASSAULT' },
  { date: '2024-06-04', reasonCategory: 'OLD' },
  { date: '2025-01-10T14:00:00Z', reasonCategory: 'SELF_HARM' },
  { date: 'unknown', reasonCategory: 'BAD_DATE' },
  { reasonCategory: 'NO_DATE' },
  'not an object',
  null,
];

describe('window operator', () => {
  it('keeps items dated within the last n months up to today, in order', () => {
    const out = valueOf({ window: { months: 12, on: 'date' } }, attendances) as { reasonCategory: string }[];
    expect(out.map((i) => i.reasonCategory)).toEqual(['INJURY', 'ASSAULT', 'SELF_HARM']);
  });

  it('starts the window on the same day n months back, clamped at month end', () => {
    const items = ['2025-02-27', '2025-02-28', '2025-03-01'].map((date) => ({ date }));
    const out = valueOf({ window: { months: 1, on: 'date' } }, items, ctxAt('2025-03-31T12:00:00Z'));
    expect(out).toEqual([{ date: '2025-02-28' }, { date: '2025-03-01' }]);
    const leap = ['2024-02-28', '2024-02-29'].map((date) => ({ date }));
    expect(valueOf({ window: { months: 1, on: 'date' } }, leap, ctxAt('2024-03-30T12:00:00Z'))).toEqual([{ date: '2024-02-29' }]);
  });

  it('counts a year-month as the first of the month (membership must be certain)', () => {
    const items = [{ date: '2024-06' }, { date: '2024-07' }];
    expect(valueOf({ window: { months: 12, on: 'date' } }, items)).toEqual([{ date: '2024-07' }]);
  });

  it('reads a dotted key and ignores inherited properties', () => {
    const items = [{ outcome: { date: '2025-05-01' } }, Object.create({ date: '2025-05-01' }) as object];
    expect(valueOf({ window: { months: 3, on: 'outcome.date' } }, items)).toEqual([items[0]]);
    expect(valueOf({ window: { months: 3, on: 'date' } }, items)).toEqual([]);
  });

  it('drops non-lists with OPERATOR_NOT_APPLICABLE', () => {
    expect(reasonOf({ window: { months: 12, on: 'date' } }, { date: '2025-06-01' })).toBe('OPERATOR_NOT_APPLICABLE');
    expect(reasonOf({ window: { months: 12, on: 'date' } }, '2025-06-01')).toBe('OPERATOR_NOT_APPLICABLE');
  });

  it('does not mutate its input', () => {
    const input = structuredClone(attendances);
    valueOf({ window: { months: 12, on: 'date' } }, input);
    expect(input).toEqual(attendances);
  });
});

describe('limit operator', () => {
  const incidents = [
    { date: '2025-01-02', n: 1 },
    { date: '2025-05-30', n: 2 },
    { n: 3 },
    { date: '2024-11-11', n: 4 },
    { date: '2025-03-15', n: 5 },
    { date: '2025-05-30', n: 6 },
  ];

  it('keeps the top n by key, most recent first by default, ties in original order', () => {
    const out = valueOf({ limit: { top: 3, by: 'date' } }, incidents) as { n: number }[];
    expect(out.map((i) => i.n)).toEqual([2, 6, 5]);
  });

  it('orders ascending on request and always puts items without the key last', () => {
    const asc = valueOf({ limit: { top: 6, by: 'date', order: 'asc' } }, incidents) as { n: number }[];
    expect(asc.map((i) => i.n)).toEqual([4, 1, 5, 2, 6, 3]);
    const desc = valueOf({ limit: { top: 6, by: 'date', order: 'desc' } }, incidents) as { n: number }[];
    expect(desc.map((i) => i.n)).toEqual([2, 6, 5, 1, 4, 3]);
  });

  it('orders numbers numerically', () => {
    const items = [{ s: 9 }, { s: 10 }, { s: 2 }];
    expect(valueOf({ limit: { top: 2, by: 's' } }, items)).toEqual([{ s: 10 }, { s: 9 }]);
  });

  it('returns fewer items when the list is short, and an empty list for an empty one', () => {
    expect(valueOf({ limit: { top: 3, by: 'date' } }, [{ date: '2025-01-01' }])).toEqual([{ date: '2025-01-01' }]);
    expect(valueOf({ limit: { top: 3, by: 'date' } }, [])).toEqual([]);
  });

  it('drops non-lists with OPERATOR_NOT_APPLICABLE', () => {
    expect(reasonOf({ limit: { top: 3, by: 'date' } }, 'x')).toBe('OPERATOR_NOT_APPLICABLE');
  });
});

describe('count operator', () => {
  it('releases the length of a list only', () => {
    expect(valueOf('count', [1, 2, 3, 4])).toBe(4);
    expect(valueOf('count', [])).toBe(0);
    expect(reasonOf('count', 4)).toBe('OPERATOR_NOT_APPLICABLE');
    expect(reasonOf('count', { a: 1 })).toBe('OPERATOR_NOT_APPLICABLE');
    const op = compileOperator('count');
    expect(op).toMatchObject({ name: 'count', generalises: true });
    expect(op.accepts('array')).toBe(true);
    expect(op.accepts('integer')).toBe(false);
  });
});
