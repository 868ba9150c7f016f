/**
 * Agreement dates as instants. A bare date ("2026-01-01") means the start of that day in
 * Europe/London, because that is what an IG officer in England means by it; a date-time is
 * taken as written (it must carry an offset).
 */
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

const londonHour = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', hourCycle: 'h23' });

/** Epoch ms, or undefined when the text is not a real date / date-time. */
export function agreementInstant(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = DATE_RE.exec(text);
  if (m) {
    const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
    const utc = Date.UTC(y, mo - 1, d);
    const back = new Date(utc);
    if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
    // London is UTC+0 or UTC+1; clocks change at 01:00 UTC, so local midnight is never ambiguous.
    const hourAtUtcMidnight = londonHourAt(utc);
    return hourAtUtcMidnight === 0 ? utc : utc - hourAtUtcMidnight * 3_600_000;
  }
  if (!DATE_TIME_RE.test(text)) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return undefined;
  // Reject impossible calendar parts Date.parse would roll over (e.g. 2026-02-30T00:00Z).
  const day = text.slice(0, 10);
  return agreementInstant(day) === undefined ? undefined : ms;
}

/** Calendar months between a YYYY-MM-DD date and `now` (London dates): is `date` within the last n months? */
export function withinLastMonths(date: string, now: Date, months: number): boolean {
  const m = DATE_RE.exec(date);
  if (!m) return false;
  const when = agreementInstant(date);
  if (when === undefined || when > now.getTime()) return false;
  const parts = londonParts(now);
  // Same day n months back, clamped to the end of a shorter month.
  let y = parts.year, mo = parts.month - months;
  while (mo < 1) { mo += 12; y -= 1; }
  const last = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  const d = Math.min(parts.day, last);
  const lo = `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  return date >= lo;
}

const londonDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });

function londonParts(now: Date): { year: number; month: number; day: number } {
  // London's offset only ever changes on a UTC hour boundary: the date is the same all hour.
  const hour = Math.floor(now.getTime() / 3_600_000);
  const hit = londonDayByHour.get(hour);
  if (hit) return hit;
  const [y, m, d] = londonDay.format(now).split('-').map(Number);
  const parts = Object.freeze({ year: y!, month: m!, day: d! });
  remember(londonDayByHour, hour, parts);
  return parts;
}

/**
 * Intl formatting costs microseconds and every decision asks for the same few days and hours
 * (agreement dates, now), so the answers are kept: they never change. Bounded; the oldest go first.
 */
const londonHourByUtcMidnight = new Map<number, number>();
const londonDayByHour = new Map<number, { year: number; month: number; day: number }>();
const MEMO_MAX = 4096;

function remember<K, V>(memo: Map<K, V>, key: K, value: V): void {
  if (memo.size >= MEMO_MAX) memo.delete(memo.keys().next().value as K);
  memo.set(key, value);
}

function londonHourAt(utcMidnight: number): number {
  let h = londonHourByUtcMidnight.get(utcMidnight);
  if (h === undefined) {
    h = Number(londonHour.format(new Date(utcMidnight)));
    remember(londonHourByUtcMidnight, utcMidnight, h);
  }
  return h;
}
