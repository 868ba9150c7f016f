import { ageOn, londonToday, parseCalendarDate } from './calendar.js';
import { DropReason, acceptsOnly, drop, notApplicable, value, type CompiledOperator, type OpResult } from './types.js';

/** "0-4", "5-10", ..., "65+" for lower bounds [0, 5, ..., 65]. */
export function bandLabels(bounds: readonly number[]): string[] {
  return bounds.map((lo, i) => {
    const next = bounds[i + 1];
    if (next === undefined) return `${lo}+`;
    return next - 1 === lo ? String(lo) : `${lo}-${next - 1}`;
  });
}

/** Index of the band holding `age`, or -1 below the first bound. */
export function bandIndex(bounds: readonly number[], age: number): number {
  let idx = -1;
  for (let i = 0; i < bounds.length; i++) {
    if (age >= (bounds[i] as number)) idx = i;
    else break;
  }
  return idx;
}

/**
 * Releases an age band instead of a date of birth (age in completed years at ctx.now, London
 * date) or instead of an age. Bounds are lower bounds, ascending; the top band is open.
 * An age below the first bound is dropped rather than given a made-up band.
 */
export function ageBandOperator(bounds: readonly number[]): CompiledOperator {
  const frozen = Object.freeze([...bounds]);
  const labels = bandLabels(frozen).map((label) => value(label));
  const band = (age: number): OpResult => {
    if (!Number.isFinite(age) || age < 0) return drop(DropReason.INVALID_AGE);
    const i = bandIndex(frozen, Math.floor(age));
    return i < 0 ? drop(DropReason.AGE_BELOW_BANDS) : (labels[i] as OpResult);
  };
  return {
    name: 'ageBand',
    transforms: true,
    generalises: true,
    accepts: acceptsOnly('date', 'date-time', 'string', 'number', 'integer'),
    apply(v, ctx) {
      if (typeof v === 'number') return band(v);
      if (typeof v !== 'string') return notApplicable;
      const dob = parseCalendarDate(v);
      if (!dob || dob.day === undefined) return drop(DropReason.INVALID_DATE);
      const today = londonToday(ctx.now);
      if (!today) return drop(DropReason.OPERATOR_FAILED);
      return band(ageOn({ year: dob.year, month: dob.month, day: dob.day }, today));
    },
  };
}
