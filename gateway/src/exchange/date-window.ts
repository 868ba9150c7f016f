/**
 * The dates a case or request may carry. The formats allow years 0000 to 9999; PostgreSQL has no
 * year 0, and every distinct year a deadline touches makes the bank-holiday calendar compute and
 * keep that year (about 6 kB each: the whole range is some 60 MB a client could make the process
 * hold). MARACs began in 2003, and nobody schedules a meeting or a deadline years ahead, so
 * anything outside [2000-01-01, now + 5 years] is a typo or an attack: a 400.
 */
export const EARLIEST_DATE = '2000-01-01';
export const MAX_YEARS_AHEAD = 5;

/** The latest date allowed at `now`, as YYYY-MM-DD. */
export function latestDate(now: Date): string {
  const d = new Date(now.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + MAX_YEARS_AHEAD);
  return d.toISOString().slice(0, 10);
}

/** True when a YYYY-MM-DD date (or the UTC date of an instant) is outside the window at `now`. */
export function outsideDateWindow(date: string | Date, now: Date): boolean {
  const day = typeof date === 'string' ? date.slice(0, 10) : date.toISOString().slice(0, 10);
  return day < EARLIEST_DATE || day > latestDate(now);
}
