import { formatYear, formatYearMonth, parseCalendarDate } from './calendar.js';
import { DropReason, acceptsOnly, drop, notApplicable, value, type CompiledOperator } from './types.js';

/**
 * Generalises a date ("2025-04-03", "2025-04", or a date-time, read as a London date) to
 * "2025-04" or "2025". Plain `string` fields are accepted because partial dates ("2019-03") are
 * typed as strings in the message schemas; a string that is not a date is dropped.
 */
export function dateOperator(precision: 'year' | 'month'): CompiledOperator {
  return {
    name: 'date',
    transforms: true,
    generalises: precision === 'year',
    accepts: acceptsOnly('date', 'date-time', 'string'),
    apply(v) {
      if (typeof v !== 'string') return notApplicable;
      const d = parseCalendarDate(v);
      if (!d) return drop(DropReason.INVALID_DATE);
      return value(precision === 'year' ? formatYear(d) : formatYearMonth(d));
    },
  };
}
