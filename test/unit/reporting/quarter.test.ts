import { describe, expect, it } from 'vitest';
import { londonMidnight, parseQuarter, previousQuarter, quarterAt, quarterBounds, quarterLabel, recentQuarters } from '../../../gateway/src/reporting/quarter.js';
import { GatewayError } from '../../../gateway/src/errors.js';

describe('quarters', () => {
  it('parses 2026-Q3 into July to September', () => {
    const q = parseQuarter('2026-Q3');
    expect(q).toMatchObject({ year: 2026, q: 3, id: '2026-Q3', firstDay: '2026-07-01', lastDay: '2026-09-30', endDay: '2026-10-01' });
    expect(quarterLabel(q)).toBe('July to September 2026');
  });

  it('knows the last day of each quarter, leap years included', () => {
    expect(parseQuarter('2028-Q1').lastDay).toBe('2028-03-31');
    expect(parseQuarter('2026-Q2').lastDay).toBe('2026-06-30');
    expect(parseQuarter('2026-Q4')).toMatchObject({ lastDay: '2026-12-31', endDay: '2027-01-01' });
  });

  it.each(['', '2026-Q5', '2026-Q0', '2026Q3', '26-Q3', '2026-q3', ' 2026-Q3', '1999-Q1', '2101-Q1', '2026-Q3&x'])('refuses %j with QUARTER_INVALID', (text) => {
    let err: unknown;
    try {
      parseQuarter(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('QUARTER_INVALID');
    expect((err as GatewayError).status).toBe(400);
  });

  it('refuses a non-string (a repeated query parameter arrives as an array)', () => {
    expect(() => parseQuarter(['2026-Q3', '2026-Q4'])).toThrow(expect.objectContaining({ code: 'QUARTER_INVALID' }));
    expect(() => parseQuarter(undefined)).toThrow(expect.objectContaining({ code: 'QUARTER_INVALID' }));
  });

  it('bounds a quarter in London time: BST in summer, GMT in winter', () => {
    const q3 = quarterBounds(parseQuarter('2026-Q3'));
    expect(q3.from.toISOString()).toBe('2026-06-30T23:00:00.000Z');
    expect(q3.to.toISOString()).toBe('2026-09-30T23:00:00.000Z');
    const q1 = quarterBounds(parseQuarter('2027-Q1'));
    expect(q1.from.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    // 1 April 2027 is in BST (clocks go forward on 28 March).
    expect(q1.to.toISOString()).toBe('2027-03-31T23:00:00.000Z');
    expect(londonMidnight('2026-10-25').toISOString()).toBe('2026-10-24T23:00:00.000Z');
  });

  it('puts a moment in its London quarter', () => {
    expect(quarterAt(new Date('2026-06-30T23:30:00Z')).id).toBe('2026-Q3');
    expect(quarterAt(new Date('2026-06-30T22:59:59Z')).id).toBe('2026-Q2');
    expect(quarterAt(new Date('2026-12-31T23:59:59Z')).id).toBe('2026-Q4');
    expect(quarterAt(new Date('2027-01-01T00:00:00Z')).id).toBe('2027-Q1');
  });

  it('steps back across a year and lists recent quarters newest first', () => {
    expect(previousQuarter(parseQuarter('2027-Q1')).id).toBe('2026-Q4');
    expect(recentQuarters(new Date('2026-12-07T10:00:00Z'), 5).map((q) => q.id)).toEqual(['2026-Q4', '2026-Q3', '2026-Q2', '2026-Q1', '2025-Q4']);
  });
});

describe('midnight on the days the clocks change', () => {
  it('is BST midnight on the autumn change day and GMT midnight on the spring one', () => {
    expect(londonMidnight('2026-03-29').toISOString()).toBe('2026-03-29T00:00:00.000Z');
    expect(londonMidnight('2026-03-30').toISOString()).toBe('2026-03-29T23:00:00.000Z');
    expect(londonMidnight('2026-10-26').toISOString()).toBe('2026-10-26T00:00:00.000Z');
  });
});
