/**
 * Calendar dates for the operators. Dates in agency data are UK calendar dates, so an instant
 * (a date-time with an offset, or `ctx.now`) is turned into the date it was in Europe/London
 * before it is compared, banded or generalised: 23:30Z on 30 April is already 1 May in the UK.
 */
export interface CalendarDate {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31; absent for a year-month ("2019-03"). */
  day?: number;
}

const DATE_RE = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/;
const DATE_TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

function validYmd(y: number, m: number, d: number | undefined): boolean {
  if (y < 1 || m < 1 || m > 12) return false;
  return d === undefined || (d >= 1 && d <= daysInMonth(y, m));
}

/**
 * Parses "YYYY-MM", "YYYY-MM-DD" or an RFC 3339 date-time. A date-time with an offset is read as
 * an instant and converted to its London date; one without an offset is taken as written.
 * Anything else (including 2025-02-29 and 24:00) → null.
 */
export function parseCalendarDate(s: string): CalendarDate | null {
  if (s.length <= 10) {
    const m = DATE_RE.exec(s);
    if (!m) return null;
    const year = Number(m[1]);
    const month = Number(m[2]);
    const day = m[3] === undefined ? undefined : Number(m[3]);
    if (!validYmd(year, month, day)) return null;
    return day === undefined ? { year, month } : { year, month, day };
  }
  const m = DATE_TIME_RE.exec(s);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (!validYmd(year, month, day) || hour > 23 || minute > 59 || second > 60) return null;
  const offset = m[7];
  if (offset === undefined) return { year, month, day };
  let offsetMinutes = 0;
  if (offset !== 'Z' && offset !== 'z') {
    const digits = offset.replace(':', '');
    const oh = Number(digits.slice(1, 3));
    const om = Number(digits.slice(3, 5));
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (offset[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59)) - offsetMinutes * 60_000;
  return londonDate(new Date(utc));
}

/** Last Sunday of a month, as a UTC day-of-month. */
function lastSunday(year: number, month: number): number {
  const last = daysInMonth(year, month);
  const dow = new Date(Date.UTC(year, month - 1, last)).getUTCDay();
  return last - dow;
}

const londonFormatter = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/**
 * The calendar date in Europe/London at an instant. 1996–2099 follow the current rule (BST from
 * 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October), computed
 * directly because this runs per field on the hot path; other years ask ICU.
 */
export function londonDate(d: Date): CalendarDate {
  const t = d.getTime();
  const probe = new Date(t);
  const y = probe.getUTCFullYear();
  if (y >= 1996 && y <= 2099) {
    const bstStart = Date.UTC(y, 2, lastSunday(y, 3), 1);
    const bstEnd = Date.UTC(y, 9, lastSunday(y, 10), 1);
    const local = new Date(t >= bstStart && t < bstEnd ? t + 3_600_000 : t);
    return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() };
  }
  let year = 0;
  let month = 0;
  let day = 0;
  for (const p of londonFormatter.formatToParts(d)) {
    if (p.type === 'year') year = Number(p.value);
    else if (p.type === 'month') month = Number(p.value);
    else if (p.type === 'day') day = Number(p.value);
  }
  return { year, month, day };
}

let todayCacheTime = Number.NaN;
let todayCache: CalendarDate & { day: number } = { year: 0, month: 1, day: 1 };

/**
 * Today's London date at `now`, or null for an invalid Date. Every field of a message is redacted
 * with the same `now`, so the last answer is kept.
 */
export function londonToday(now: Date): (CalendarDate & { day: number }) | null {
  const t = now.getTime();
  if (Number.isNaN(t)) return null;
  if (t !== todayCacheTime) {
    const d = londonDate(now);
    todayCache = { year: d.year, month: d.month, day: d.day ?? 1 };
    todayCacheTime = t;
  }
  return todayCache;
}

/** Sortable number for a date; a year-month counts as the first of that month. */
export function dateKey(d: CalendarDate): number {
  return d.year * 10_000 + d.month * 100 + (d.day ?? 1);
}

/** n calendar months before d, the day clamped to the end of a shorter month (31 May − 3 = 28/29 Feb). */
export function subtractMonths(d: CalendarDate & { day: number }, n: number): CalendarDate & { day: number } {
  const total = d.year * 12 + (d.month - 1) - n;
  const year = Math.floor(total / 12);
  const month = (total % 12 + 12) % 12 + 1;
  return { year, month, day: Math.min(d.day, daysInMonth(year, month)) };
}

/**
 * Completed years from birth to `today`. A 29 February birthday is reached on 1 March in a common
 * year (the usual UK reading): comparing (month, day) pairs gives exactly that.
 */
export function ageOn(birth: CalendarDate & { day: number }, today: CalendarDate & { day: number }): number {
  const before = today.month < birth.month || (today.month === birth.month && today.day < birth.day);
  return today.year - birth.year - (before ? 1 : 0);
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
const pad4 = (n: number): string => String(n).padStart(4, '0');

export function formatYearMonth(d: CalendarDate): string {
  return `${pad4(d.year)}-${pad2(d.month)}`;
}
export function formatYear(d: CalendarDate): string {
  return pad4(d.year);
}
