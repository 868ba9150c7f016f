import { describe, expect, it } from 'vitest';
import { agreementInstant, withinLastMonths } from '../../../gateway/src/policy/dates.js';

const londonHour = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', hourCycle: 'h23' });
const londonDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });

describe('agreement dates (remembered London offsets)', () => {
  it('a bare date is London midnight, in summer and winter and across the clock changes, however often asked', () => {
    expect(agreementInstant('2026-01-15')).toBe(Date.UTC(2026, 0, 15));
    expect(agreementInstant('2026-07-15')).toBe(Date.UTC(2026, 6, 14, 23));
    for (let round = 0; round < 2; round++) {
      for (let day = Date.UTC(2025, 0, 1); day < Date.UTC(2027, 0, 1); day += 86_400_000) {
        const text = new Date(day).toISOString().slice(0, 10);
        const h = Number(londonHour.format(new Date(day)));
        expect(agreementInstant(text), text).toBe(day - h * 3_600_000);
      }
    }
    expect(agreementInstant('2026-02-30')).toBeUndefined();
  });

  it('"within the last n months" uses London\'s date of now, including the hour after midnight in summer', () => {
    // 23:30 UTC on 31 March 2026 is already 1 April in London (BST).
    const now = new Date('2026-03-31T23:30:00Z');
    expect(londonDay.format(now)).toBe('2026-04-01');
    expect(withinLastMonths('2025-04-01', now, 12)).toBe(true);
    expect(withinLastMonths('2025-03-31', now, 12)).toBe(false);
    // The same hour asked again, and a winter evening where UTC and London agree.
    expect(withinLastMonths('2025-04-01', new Date('2026-03-31T23:59:59Z'), 12)).toBe(true);
    expect(withinLastMonths('2025-12-31', new Date('2026-12-31T23:30:00Z'), 12)).toBe(true);
    expect(withinLastMonths('2025-12-30', new Date('2026-12-31T23:30:00Z'), 12)).toBe(false);
    expect(withinLastMonths('2027-01-01', new Date('2026-12-31T23:30:00Z'), 12)).toBe(false);
  });
});
