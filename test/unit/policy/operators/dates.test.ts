import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { londonDate, parseCalendarDate, subtractMonths } from '../../../../gateway/src/policy/operators/calendar.js';
import { compileOperator } from '../../../../gateway/src/policy/operators/index.js';
import { ctxAt, reasonOf, valueOf } from './helpers.js';

describe('calendar', () => {
  it('parses dates, year-months and date-times strictly', () => {
    expect(parseCalendarDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
    expect(parseCalendarDate('2019-03')).toEqual({ year: 2019, month: 3 });
    for (const bad of ['2025-02-29', '2025-04-31', '2025-13-01', '2025-00-10', '2025-1-1', '25-01-01', '2025', 'yesterday', '2025-06-05T24:00:00Z', '2025-06-05T10:60Z']) {
      expect(parseCalendarDate(bad)).toBeNull();
    }
  });

  it('reads a date-time with an offset as the London date at that instant', () => {
    // 23:30Z on 30 April is 00:30 BST on 1 May.
    expect(parseCalendarDate('2025-04-30T23:30:00Z')).toEqual({ year: 2025, month: 5, day: 1 });
    // In winter London is on UTC.
    expect(parseCalendarDate('2025-01-31T23:30:00Z')).toEqual({ year: 2025, month: 1, day: 31 });
    expect(parseCalendarDate('2025-01-31T23:30:00-02:00')).toEqual({ year: 2025, month: 2, day: 1 });
    expect(parseCalendarDate('2025-06-05T00:30:00+02:00')).toEqual({ year: 2025, month: 6, day: 4 });
    // Without an offset the date is taken as written.
    expect(parseCalendarDate('2025-04-30T23:30:00')).toEqual({ year: 2025, month: 4, day: 30 });
  });

  it('switches to BST at 01:00 UTC on the last Sunday of March and back in October', () => {
    expect(londonDate(new Date('2025-03-30T00:59:59Z')).day).toBe(30);
    expect(londonDate(new Date('2025-03-29T23:30:00Z')).day).toBe(29);
    expect(londonDate(new Date('2025-10-25T23:30:00Z')).day).toBe(26);
    expect(londonDate(new Date('2025-10-26T23:30:00Z')).day).toBe(26);
  });

  it('agrees with ICU Europe/London at any instant (property)', () => {
    const fmt = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2090, 0, 1) }), (t) => {
        const d = londonDate(new Date(t));
        const iso = `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
        expect(iso).toBe(fmt.format(new Date(t)));
      }),
      { numRuns: 2000 },
    );
  });

  it('subtracts months, clamping to the end of a shorter month', () => {
    expect(subtractMonths({ year: 2025, month: 5, day: 31 }, 3)).toEqual({ year: 2025, month: 2, day: 28 });
    expect(subtractMonths({ year: 2024, month: 5, day: 31 }, 3)).toEqual({ year: 2024, month: 2, day: 29 });
    expect(subtractMonths({ year: 2025, month: 1, day: 15 }, 1)).toEqual({ year: 2024, month: 12, day: 15 });
    expect(subtractMonths({ year: 2025, month: 6, day: 5 }, 12)).toEqual({ year: 2024, month: 6, day: 5 });
    expect(subtractMonths({ year: 2024, month: 2, day: 29 }, 12)).toEqual({ year: 2023, month: 2, day: 28 });
  });
});

describe('date operator', () => {
  it('generalises to month or year', () => {
    expect(valueOf({ date: 'month' }, '2025-04-03')).toBe('2025-04');
    expect(valueOf({ date: 'year' }, '2025-04-03')).toBe('2025');
    expect(valueOf({ date: 'month' }, '2019-03')).toBe('2019-03');
    expect(valueOf({ date: 'year' }, '2019-03')).toBe('2019');
  });

  it('handles month ends, leap days and year ends', () => {
    expect(valueOf({ date: 'month' }, '2024-02-29')).toBe('2024-02');
    expect(valueOf({ date: 'month' }, '2025-01-31')).toBe('2025-01');
    expect(valueOf({ date: 'year' }, '2024-12-31')).toBe('2024');
    // New Year's Eve 23:30 in New York is 04:30 on 1 January in London.
    expect(valueOf({ date: 'year' }, '2024-12-31T23:30:00-05:00')).toBe('2025');
    expect(valueOf({ date: 'month' }, '2025-05-31T23:30:00Z')).toBe('2025-06');
  });

  it('drops impossible dates with INVALID_DATE and other types with OPERATOR_NOT_APPLICABLE', () => {
    expect(reasonOf({ date: 'month' }, '2025-02-29')).toBe('INVALID_DATE');
    expect(reasonOf({ date: 'month' }, '31/01/2025')).toBe('INVALID_DATE');
    expect(reasonOf({ date: 'year' }, '')).toBe('INVALID_DATE');
    expect(reasonOf({ date: 'year' }, 20250403)).toBe('OPERATOR_NOT_APPLICABLE');
    expect(reasonOf({ date: 'year' }, null)).toBe('OPERATOR_NOT_APPLICABLE');
  });

  it('only year counts as generalising', () => {
    expect(compileOperator({ date: 'year' }).generalises).toBe(true);
    expect(compileOperator({ date: 'month' }).generalises).toBe(false);
    expect(compileOperator({ date: 'month' }).accepts('date-time')).toBe(true);
    expect(compileOperator({ date: 'month' }).accepts('number')).toBe(false);
  });
});

describe('ageBand operator', () => {
  const bands = { ageBand: [0, 5, 11, 16, 18] };
  const adult = { ageBand: [0, 5, 11, 16, 18, 25, 35, 50, 65] };

  it('labels bands with inclusive ranges and an open top band', () => {
    expect(valueOf(bands, 0)).toBe('0-4');
    expect(valueOf(bands, 4)).toBe('0-4');
    expect(valueOf(bands, 5)).toBe('5-10');
    expect(valueOf(bands, 10)).toBe('5-10');
    expect(valueOf(bands, 11)).toBe('11-15');
    expect(valueOf(bands, 16)).toBe('16-17');
    expect(valueOf(bands, 17)).toBe('16-17');
    expect(valueOf(bands, 18)).toBe('18+');
    expect(valueOf(adult, 64)).toBe('50-64');
    expect(valueOf(adult, 65)).toBe('65+');
    expect(valueOf(adult, 104)).toBe('65+');
    expect(valueOf({ ageBand: [16, 17, 18] }, 16)).toBe('16');
  });

  it('computes age from a date of birth at ctx.now, exactly at the birthday boundary', () => {
    const ctx = ctxAt('2025-06-05T09:00:00Z');
    expect(valueOf(bands, '2020-06-05', ctx)).toBe('5-10'); // fifth birthday today
    expect(valueOf(bands, '2020-06-06', ctx)).toBe('0-4'); // fifth birthday tomorrow
    expect(valueOf(bands, '2007-06-05', ctx)).toBe('18+');
    expect(valueOf(bands, '2007-06-06', ctx)).toBe('16-17');
    expect(valueOf(bands, '2025-06-05', ctx)).toBe('0-4'); // born today
  });

  it('uses the London date: just after midnight BST the birthday has arrived', () => {
    // 23:30Z on 4 June is 00:30 BST on 5 June.
    expect(valueOf(bands, '2020-06-05', ctxAt('2025-06-04T23:30:00Z'))).toBe('5-10');
    expect(valueOf(bands, '2020-06-05', ctxAt('2025-06-04T22:30:00Z'))).toBe('0-4');
  });

  it('treats a 29 February birthday as reached on 1 March in a common year', () => {
    const dob = '2020-02-29';
    expect(valueOf(bands, dob, ctxAt('2025-02-28T12:00:00Z'))).toBe('0-4');
    expect(valueOf(bands, dob, ctxAt('2025-03-01T12:00:00Z'))).toBe('5-10');
    // In a leap year the birthday is 29 February itself.
    expect(valueOf(bands, '2019-02-28', ctxAt('2024-02-28T12:00:00Z'))).toBe('5-10');
    expect(valueOf(bands, '2008-02-29', ctxAt('2024-02-28T12:00:00Z'))).toBe('11-15');
    expect(valueOf(bands, '2008-02-29', ctxAt('2024-02-29T12:00:00Z'))).toBe('16-17');
  });

  it('accepts a date-time of birth and an age as a number', () => {
    expect(valueOf(bands, '2020-06-05T00:00:00Z', ctxAt('2025-06-05T09:00:00Z'))).toBe('5-10');
    expect(valueOf(bands, 4.9)).toBe('0-4');
  });

  it('drops with a reason what it cannot band', () => {
    expect(reasonOf(bands, '2026-01-01')).toBe('INVALID_AGE');
    expect(reasonOf(bands, -1)).toBe('INVALID_AGE');
    expect(reasonOf(bands, Number.NaN)).toBe('INVALID_AGE');
    expect(reasonOf(bands, Number.POSITIVE_INFINITY)).toBe('INVALID_AGE');
    expect(reasonOf({ ageBand: [18, 25] }, 17)).toBe('AGE_BELOW_BANDS');
    expect(reasonOf(bands, '2019-02-29')).toBe('INVALID_DATE');
    expect(reasonOf(bands, '2019-03')).toBe('INVALID_DATE');
    expect(reasonOf(bands, 'five')).toBe('INVALID_DATE');
    expect(reasonOf(bands, true)).toBe('OPERATOR_NOT_APPLICABLE');
    expect(reasonOf(bands, ['2020-01-01'])).toBe('OPERATOR_NOT_APPLICABLE');
    expect(reasonOf(bands, '2020-01-01', ctxAt(new Date(Number.NaN)))).toBe('OPERATOR_FAILED');
  });

  it('never returns the exact age or date (generalises)', () => {
    const op = compileOperator(bands);
    expect(op).toMatchObject({ name: 'ageBand', transforms: true, generalises: true });
    expect(op.accepts('date')).toBe(true);
    expect(op.accepts('integer')).toBe(true);
    expect(op.accepts('boolean')).toBe(false);
  });
});
