import { describe, expect, it } from 'vitest';
import {
  addWorkingDays, defaultDeadline, InvalidDateInput, isWorkingDay, workingDaysBetween,
} from '../../../gateway/src/exchange/working-days.js';

const london = { workingDaysBefore: 1, cutoffHour: 17, timeZone: 'Europe/London' as const };

describe('isWorkingDay', () => {
  it.each([
    ['2026-12-25', false], // Christmas Day (Friday)
    ['2026-12-26', false], // Saturday
    ['2026-12-28', false], // Boxing Day substitute (Monday)
    ['2026-12-29', true],
    ['2027-01-01', false], // New Year's Day
    ['2027-03-26', false], // Good Friday
    ['2027-03-29', false], // Easter Monday
    ['2027-03-30', true],
    ['2026-04-06', false], // Easter Monday 2026
    ['2026-05-04', false], // Early May bank holiday
    ['2026-08-31', false], // Summer bank holiday (England, not Scotland)
    ['2026-11-22', false], // Sunday
    ['2026-11-23', true], // Monday
  ])('%s → %s', (d, expected) => {
    expect(isWorkingDay(d)).toBe(expected);
  });

  it('reads a Date as its London calendar date', () => {
    // 23:30 UTC on Thu 2 April 2026 is 00:30 BST on Good Friday.
    expect(isWorkingDay(new Date('2026-04-02T23:30:00Z'))).toBe(false);
    expect(isWorkingDay(new Date('2026-04-02T22:30:00Z'))).toBe(true);
    // In winter London is on UTC: 23:30 UTC on Thu 24 Dec is still Thursday.
    expect(isWorkingDay(new Date('2026-12-24T23:30:00Z'))).toBe(true);
  });
});

describe('addWorkingDays', () => {
  it('skips Christmas, Boxing Day substitute and New Year', () => {
    expect(addWorkingDays('2026-12-24', 1)).toBe('2026-12-29');
    expect(addWorkingDays('2026-12-24', 4)).toBe('2027-01-04');
    expect(addWorkingDays('2027-01-04', -4)).toBe('2026-12-24');
  });

  it('skips the Easter weekend both ways', () => {
    expect(addWorkingDays('2027-03-25', 1)).toBe('2027-03-30');
    expect(addWorkingDays('2027-03-30', -1)).toBe('2027-03-25');
  });

  it('goes from a Monday back to the previous Friday', () => {
    expect(addWorkingDays('2026-11-23', -1)).toBe('2026-11-20');
  });

  it('treats n = 0 as identity and never counts the start day', () => {
    expect(addWorkingDays('2026-12-25', 0)).toBe('2026-12-25');
    expect(addWorkingDays('2026-11-21', 1)).toBe('2026-11-23'); // Saturday + 1 → Monday
    expect(addWorkingDays('2026-11-21', -1)).toBe('2026-11-20'); // Saturday - 1 → Friday
  });

  it('crosses year boundaries over long spans', () => {
    // 2027: 261 weekdays less 8 weekday bank holidays (incl. the 27 and 28 Dec substitutes).
    expect(workingDaysBetween('2026-12-31', '2027-12-31')).toBe(253);
    expect(addWorkingDays('2026-12-31', 253)).toBe('2027-12-31');
  });

  it('rejects bad dates and counts with INVALID_DATE_INPUT', () => {
    for (const f of [
      () => addWorkingDays('2026-02-30', 1),
      () => addWorkingDays('16/12/2026', 1),
      () => addWorkingDays(new Date('nope'), 1),
      () => addWorkingDays('2026-12-01', 1.5),
      () => addWorkingDays('2026-12-01', Number.NaN),
    ]) {
      expect(f).toThrow(InvalidDateInput);
      try {
        f();
      } catch (e) {
        expect((e as InvalidDateInput).code).toBe('INVALID_DATE_INPUT');
      }
    }
  });
});

describe('workingDaysBetween', () => {
  it('is signed', () => {
    expect(workingDaysBetween('2026-11-20', '2026-11-23')).toBe(1);
    expect(workingDaysBetween('2026-11-23', '2026-11-20')).toBe(-1);
    expect(workingDaysBetween('2026-11-23', '2026-11-23')).toBe(0);
    expect(workingDaysBetween('2026-12-24', '2027-01-04')).toBe(4);
    expect(workingDaysBetween('2027-01-04', '2026-12-24')).toBe(-4);
  });

  it('round-trips with addWorkingDays on working days', () => {
    const days = ['2026-11-23', '2026-12-24', '2027-01-04', '2027-03-25', '2027-03-30', '2027-06-01'];
    for (const a of days) for (const b of days) expect(addWorkingDays(a, workingDaysBetween(a, b))).toBe(b);
  });
});

describe('defaultDeadline', () => {
  it('Monday meeting → previous Friday at 17:00 London (GMT in winter)', () => {
    expect(defaultDeadline('2026-11-23', london).toISOString()).toBe('2026-11-20T17:00:00.000Z');
  });

  it('uses BST in summer', () => {
    // Wednesday 17 June 2026 meeting → Tuesday 16 June 17:00 BST = 16:00 UTC.
    expect(defaultDeadline('2026-06-17', london).toISOString()).toBe('2026-06-16T16:00:00.000Z');
  });

  it('BST starts over the weekend: Monday meeting after the change, deadline Friday in GMT', () => {
    // Clocks go forward on Sunday 29 March 2026.
    expect(defaultDeadline('2026-03-30', london).toISOString()).toBe('2026-03-27T17:00:00.000Z');
    expect(defaultDeadline('2026-03-31', london).toISOString()).toBe('2026-03-30T16:00:00.000Z');
  });

  it('BST ends over the weekend: Friday deadline in BST, Monday in GMT', () => {
    // Clocks go back on Sunday 25 October 2026.
    expect(defaultDeadline('2026-10-26', london).toISOString()).toBe('2026-10-23T16:00:00.000Z');
    expect(defaultDeadline('2026-10-27', london).toISOString()).toBe('2026-10-26T17:00:00.000Z');
  });

  it('skips Christmas and Easter', () => {
    expect(defaultDeadline('2026-12-29', london).toISOString()).toBe('2026-12-24T17:00:00.000Z');
    expect(defaultDeadline('2027-03-30', london).toISOString()).toBe('2027-03-25T17:00:00.000Z');
  });

  it('honours a configurable number of working days and cutoff hour', () => {
    expect(defaultDeadline('2026-11-25', { ...london, workingDaysBefore: 3, cutoffHour: 12 }).toISOString())
      .toBe('2026-11-20T12:00:00.000Z');
    expect(defaultDeadline('2026-11-25', { ...london, workingDaysBefore: 0, cutoffHour: 9 }).toISOString())
      .toBe('2026-11-25T09:00:00.000Z');
  });

  it('rejects bad options and dates', () => {
    expect(() => defaultDeadline('2026-11-25', { ...london, cutoffHour: 24 })).toThrow(InvalidDateInput);
    expect(() => defaultDeadline('2026-11-25', { ...london, workingDaysBefore: -1 })).toThrow(InvalidDateInput);
    expect(() => defaultDeadline('2026-11-31', london)).toThrow(InvalidDateInput);
    expect(() => defaultDeadline('2026-11-25', { ...london, timeZone: 'UTC' as 'Europe/London' })).toThrow(InvalidDateInput);
  });
});
