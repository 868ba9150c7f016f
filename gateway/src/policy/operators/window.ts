import { dateKey, londonToday, parseCalendarDate, subtractMonths } from './calendar.js';
import { readKey, splitKey } from './path.js';
import { DropReason, acceptsOnly, drop, notApplicable, value, type CompiledOperator } from './types.js';

/**
 * Keeps the items of a list whose `on` date falls within the last n calendar months up to and
 * including today (London date at ctx.now). The window starts on the same day n months back,
 * clamped to the end of a shorter month. Items without a readable date, and future-dated items,
 * are left out: membership must be certain. A year-month ("2025-03") counts as the 1st.
 */
export function windowOperator(months: number, on: string): CompiledOperator {
  const keys = splitKey(on);
  return {
    name: 'window',
    transforms: true,
    generalises: false,
    accepts: acceptsOnly('array'),
    apply(v, ctx) {
      if (!Array.isArray(v)) return notApplicable;
      const today = londonToday(ctx.now);
      if (!today) return drop(DropReason.OPERATOR_FAILED);
      const hi = dateKey(today);
      const lo = dateKey(subtractMonths(today, months));
      const kept: unknown[] = [];
      for (const item of v) {
        const raw = readKey(item, keys);
        if (typeof raw !== 'string') continue;
        const d = parseCalendarDate(raw);
        if (!d) continue;
        const k = dateKey(d);
        if (k >= lo && k <= hi) kept.push(item);
      }
      return value(kept);
    },
  };
}
