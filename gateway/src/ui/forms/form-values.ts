/**
 * Reading urlencoded form bodies (`extended: false`: flat keys, repeated keys become arrays) and
 * collecting errors GOV.UK style: one message per field, the field id is the error summary's
 * link target, every problem reported at once.
 */

export type FormBody = Record<string, string | string[] | undefined>;

export interface FieldError {
  /** The id of the input to link to from the error summary (`#${field}`). */
  field: string;
  message: string;
}

export class FormErrors {
  private readonly list: FieldError[] = [];

  add(field: string, message: string): void {
    // One message per field: the first problem found is the one to fix first.
    if (!this.list.some((e) => e.field === field)) this.list.push({ field, message });
  }

  get items(): FieldError[] {
    return [...this.list];
  }

  get any(): boolean {
    return this.list.length > 0;
  }

  /** For govukErrorSummary. */
  summary(): { text: string; href: string }[] {
    return this.list.map((e) => ({ text: e.message, href: `#${e.field}` }));
  }

  /** field → { text } for each component's `errorMessage`. */
  byField(): Record<string, { text: string }> {
    return Object.fromEntries(this.list.map((e) => [e.field, { text: e.message }]));
  }
}

export function asBody(raw: unknown): FormBody {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  return raw as FormBody;
}

/** A single text value, trimmed; '' when absent. A repeated key takes the first value. */
export function text(body: FormBody, name: string, max = 4000): string {
  const v = body[name];
  const s = Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
  return s.trim().slice(0, max);
}

/** All values of a checkbox group, filtered to the allowed ones. */
export function checked(body: FormBody, name: string, allowed: readonly string[]): string[] {
  const v = body[name];
  const values = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return [...new Set(values.filter((x) => allowed.includes(x)))];
}

export function oneOf<T extends string>(body: FormBody, name: string, allowed: readonly T[]): T | undefined {
  const v = text(body, name, 100);
  return (allowed as readonly string[]).includes(v) ? (v as T) : undefined;
}

export type DateResult = { kind: 'empty' } | { kind: 'invalid'; message: string } | { kind: 'date'; iso: string };

/** GOV.UK date input: `${prefix}-day`, `-month`, `-year` → YYYY-MM-DD. */
export function dateInput(body: FormBody, prefix: string): DateResult {
  const parts = ['day', 'month', 'year'].map((p) => text(body, `${prefix}-${p}`, 10));
  const [d, m, y] = parts as [string, string, string];
  if (!d && !m && !y) return { kind: 'empty' };
  const missing = (['day', 'month', 'year'] as const).filter((_p, i) => !parts[i]);
  if (missing.length > 0) return { kind: 'invalid', message: `must include a ${missing.join(' and ')}` };
  if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(m) || !/^\d{4}$/.test(y)) return { kind: 'invalid', message: 'must be a real date' };
  const day = Number(d);
  const month = Number(m);
  const year = Number(y);
  const t = new Date(Date.UTC(year, month - 1, day));
  if (t.getUTCFullYear() !== year || t.getUTCMonth() !== month - 1 || t.getUTCDate() !== day || year < 1900 || year > 2100) {
    return { kind: 'invalid', message: 'must be a real date' };
  }
  return { kind: 'date', iso: `${y}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}` };
}

/** Values for re-showing a date input from an ISO date. */
export function dateParts(iso: string | undefined): { day: string; month: string; year: string } {
  const m = iso ? /^(\d{4})-(\d{2})-(\d{2})/.exec(iso) : null;
  return m ? { day: String(Number(m[3])), month: String(Number(m[2])), year: m[1]! } : { day: '', month: '', year: '' };
}

export type IntResult = { kind: 'empty' } | { kind: 'invalid' } | { kind: 'int'; value: number };

export function wholeNumber(body: FormBody, name: string, min: number, max: number): IntResult {
  const s = text(body, name, 20);
  if (!s) return { kind: 'empty' };
  if (!/^\d+$/.test(s)) return { kind: 'invalid' };
  const n = Number(s);
  return n >= min && n <= max ? { kind: 'int', value: n } : { kind: 'invalid' };
}

/** The London calendar date today, YYYY-MM-DD. */
export function londonToday(now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** `2026-12-15` at 17:00 London time → the instant, as ISO (BST-aware). */
export function londonTimeOn(isoDate: string, hour: number): string {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, m - 1, d, hour);
  // London is UTC or UTC+1: find the offset at that instant and correct for it.
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', hourCycle: 'h23' }).format(new Date(guess));
  const londonHour = Number(parts);
  const offsetHours = (londonHour - hour + 24) % 24;
  return new Date(guess - offsetHours * 3_600_000).toISOString();
}
