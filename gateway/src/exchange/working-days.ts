/**
 * England & Wales working days (Monday to Friday, not a public or bank holiday, substitute days
 * included), for research deadlines. Pure: no clock, no I/O.
 *
 * Everything works on calendar dates as they are in England. A `Date` argument means "the London
 * calendar date at that instant" (23:30 UTC on 31 March during BST is already 1 April); a string
 * argument must be `YYYY-MM-DD`. Results are `YYYY-MM-DD` strings, except `defaultDeadline`, which
 * is an instant.
 */
import Holidays from 'date-holidays';
import { GatewayError } from '../errors.js';

export class InvalidDateInput extends GatewayError {
  readonly code = 'INVALID_DATE_INPUT';
  readonly status = 400;
}

const LONDON = 'Europe/London';
const DAY_MS = 86_400_000;
const holidays = new Holidays('GB', 'ENG');
const holidaysByYear = new Map<number, ReadonlySet<string>>();

function bankHolidays(year: number): ReadonlySet<string> {
  let set = holidaysByYear.get(year);
  if (!set) {
    set = new Set(
      holidays
        .getHolidays(year)
        .filter((h) => h.type === 'public' || h.type === 'bank')
        .map((h) => h.date.slice(0, 10)),
    );
    holidaysByYear.set(year, set);
  }
  return set;
}

const londonDateFmt = new Intl.DateTimeFormat('en-CA', {
  timeZone: LONDON, year: 'numeric', month: '2-digit', day: '2-digit',
});

/** Calendar date → days since the epoch (UTC midnight), the unit all stepping is done in. */
function toDayNumber(date: Date | string): number {
  let iso: string;
  if (date instanceof Date) {
    if (Number.isNaN(date.getTime())) throw new InvalidDateInput('invalid Date');
    iso = londonDateFmt.format(date);
  } else {
    iso = date;
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new InvalidDateInput(`not a YYYY-MM-DD date: ${JSON.stringify(iso)}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new InvalidDateInput(`no such date: ${iso}`);
  }
  return ms / DAY_MS;
}

function fromDayNumber(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function isWorkingDayNumber(day: number): boolean {
  const d = new Date(day * DAY_MS);
  const dow = d.getUTCDay();
  if (dow === 0 || dow === 6) return false;
  return !bankHolidays(d.getUTCFullYear()).has(fromDayNumber(day));
}

export function isWorkingDay(date: Date | string): boolean {
  return isWorkingDayNumber(toDayNumber(date));
}

function checkCount(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || Math.abs(n) > 100_000) throw new InvalidDateInput(`${what} must be an integer`);
}

/**
 * The date `n` working days after (n > 0) or before (n < 0) `date`; the start date itself never
 * counts. `n = 0` returns the date unchanged, working day or not.
 */
export function addWorkingDays(date: Date | string, n: number): string {
  checkCount(n, 'n');
  let day = toDayNumber(date);
  const step = n < 0 ? -1 : 1;
  for (let left = Math.abs(n); left > 0; ) {
    day += step;
    if (isWorkingDayNumber(day)) left--;
  }
  return fromDayNumber(day);
}

/**
 * Signed count of working days in (from, to] when to is later, minus the count in (to, from] when
 * it is earlier. For working days a and b: addWorkingDays(a, workingDaysBetween(a, b)) === b.
 */
export function workingDaysBetween(from: Date | string, to: Date | string): number {
  const a = toDayNumber(from);
  const b = toDayNumber(to);
  const [lo, hi, sign] = a <= b ? [a, b, 1] : [b, a, -1];
  let count = 0;
  for (let day = lo + 1; day <= hi; day++) if (isWorkingDayNumber(day)) count++;
  return sign * count;
}

// Building an Intl.DateTimeFormat costs far more than using one (it loads the zone's rules): one
// per time zone, made on first use.
const wallClockFormats = new Map<string, Intl.DateTimeFormat>();
function wallClockFormat(timeZone: string): Intl.DateTimeFormat {
  let f = wallClockFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    wallClockFormats.set(timeZone, f);
  }
  return f;
}

/** Minutes to add to UTC to get wall-clock time in `timeZone` at `instant`. */
function offsetMinutes(instant: number, timeZone: string): number {
  const parts = wallClockFormat(timeZone).formatToParts(new Date(instant));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((wall - Math.floor(instant / 1000) * 1000) / 60_000);
}

/** The instant at which the wall clock in `timeZone` reads `day` at `hour`:00. */
function wallClockToInstant(day: number, hour: number, timeZone: string): Date {
  const wall = day * DAY_MS + hour * 3_600_000;
  // Two passes settle the offset even when the guess falls on the other side of a clock change.
  let instant = wall - offsetMinutes(wall, timeZone) * 60_000;
  instant = wall - offsetMinutes(instant, timeZone) * 60_000;
  return new Date(instant);
}

export interface DeadlineOptions {
  /** How many working days before the meeting research is due (1 = the working day before). */
  workingDaysBefore: number;
  /** Hour of the day, London time, 0..23. */
  cutoffHour: number;
  timeZone: 'Europe/London';
}

/** Default research deadline: `workingDaysBefore` working days before the meeting, at the cutoff hour London time. */
export function defaultDeadline(meetingDate: string, opts: DeadlineOptions): Date {
  if (!Number.isSafeInteger(opts.workingDaysBefore) || opts.workingDaysBefore < 0 || opts.workingDaysBefore > 60) {
    throw new InvalidDateInput('workingDaysBefore must be an integer between 0 and 60');
  }
  if (!Number.isInteger(opts.cutoffHour) || opts.cutoffHour < 0 || opts.cutoffHour > 23) {
    throw new InvalidDateInput('cutoffHour must be an integer between 0 and 23');
  }
  if (opts.timeZone !== LONDON) throw new InvalidDateInput('only Europe/London is supported');
  const day = toDayNumber(addWorkingDays(meetingDate, -opts.workingDaysBefore));
  return wallClockToInstant(day, opts.cutoffHour, opts.timeZone);
}
