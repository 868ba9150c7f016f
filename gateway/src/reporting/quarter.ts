/**
 * Calendar quarters as the SafeLives return counts them: Q1 January–March … Q4 October–December,
 * in London time (a meeting at 00:30 BST on 1 July is in Q3). Written `2026-Q3`. Pure.
 */
import { QuarterInvalid } from './errors.js';

export interface Quarter {
  year: number;
  q: 1 | 2 | 3 | 4;
  /** `2026-Q3` */
  id: string;
  /** First day, YYYY-MM-DD. */
  firstDay: string;
  /** Last day, YYYY-MM-DD. */
  lastDay: string;
  /** The day after the last (exclusive end), YYYY-MM-DD. */
  endDay: string;
}

const QUARTER = /^(\d{4})-Q([1-4])$/;
const pad = (n: number) => String(n).padStart(2, '0');

export function quarterOf(year: number, q: 1 | 2 | 3 | 4): Quarter {
  const startMonth = (q - 1) * 3 + 1;
  const next = q === 4 ? { y: year + 1, m: 1 } : { y: year, m: startMonth + 3 };
  const last = new Date(Date.UTC(next.y, next.m - 1, 1) - 86_400_000);
  return {
    year, q, id: `${year}-Q${q}`,
    firstDay: `${year}-${pad(startMonth)}-01`,
    lastDay: last.toISOString().slice(0, 10),
    endDay: `${next.y}-${pad(next.m)}-01`,
  };
}

/** `2026-Q3` → the quarter; anything else (or a year outside 2000–2100) → QUARTER_INVALID. */
export function parseQuarter(text: unknown): Quarter {
  const m = typeof text === 'string' ? QUARTER.exec(text) : null;
  const year = m ? Number(m[1]) : NaN;
  if (!m || year < 2000 || year > 2100) {
    throw new QuarterInvalid('quarter must be written like 2026-Q3', {
      problems: [{ path: 'query:quarter', code: 'QUARTER_INVALID', message: 'a year and quarter, like 2026-Q3' }],
    });
  }
  return quarterOf(year, Number(m[2]) as 1 | 2 | 3 | 4);
}

const LONDON = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The quarter a moment falls in, in London. */
export function quarterAt(at: Date): Quarter {
  const [y, m] = LONDON.format(at).split('-').map(Number) as [number, number];
  return quarterOf(y, (Math.floor((m - 1) / 3) + 1) as 1 | 2 | 3 | 4);
}

export function previousQuarter(q: Quarter): Quarter {
  return q.q === 1 ? quarterOf(q.year - 1, 4) : quarterOf(q.year, (q.q - 1) as 1 | 2 | 3);
}

/** The last `n` quarters up to and including the one `at` is in, newest first (the page's picker). */
export function recentQuarters(at: Date, n = 8): Quarter[] {
  const out: Quarter[] = [quarterAt(at)];
  while (out.length < n) out.push(previousQuarter(out[out.length - 1]!));
  return out;
}

/** `2026-Q3` → "July to September 2026". */
export function quarterLabel(q: Quarter): string {
  const names = ['January to March', 'April to June', 'July to September', 'October to December'];
  return `${names[q.q - 1]} ${q.year}`;
}

const LONDON_CLOCK = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

/** London's offset from UTC at an instant, in minutes (0 in GMT, 60 in BST). */
function londonOffsetMinutes(ms: number): number {
  const p = Object.fromEntries(LONDON_CLOCK.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute));
  return Math.round((wall - Math.floor(ms / 60_000) * 60_000) / 60_000);
}

/**
 * A London calendar day's start as an instant: midnight in London (GMT or BST), so quarter
 * bounds can be compared with timestamptz columns. Clocks change at 01:00 UTC, never at midnight,
 * so the offset an hour either side settles it.
 */
export function londonMidnight(day: string): Date {
  const utcMidnight = Date.parse(`${day}T00:00:00Z`);
  let t = utcMidnight - londonOffsetMinutes(utcMidnight) * 60_000;
  t = utcMidnight - londonOffsetMinutes(t) * 60_000;
  return new Date(t);
}

/** The quarter as the half-open interval of instants [from, to). */
export function quarterBounds(q: Quarter): { from: Date; to: Date } {
  return { from: londonMidnight(q.firstDay), to: londonMidnight(q.endDay) };
}
