/** Dates in documents as the pages write them (London calendar; see ui/render.ts). */

const LONDON_DATE = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric' });
const LONDON_DATE_TIME = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric', hour: 'numeric', minute: '2-digit', hourCycle: 'h12',
});

/** "16 December 2026" for a YYYY-MM-DD date or an instant. */
export function docDate(v: string | Date | null | undefined): string {
  if (!v) return '';
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return LONDON_DATE.format(new Date(`${v}T12:00:00Z`));
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? String(v) : LONDON_DATE.format(d);
}

/** "16 December 2026, 5:00pm". */
export function docDateTime(v: string | Date | null | undefined): string {
  if (!v) return '';
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  return LONDON_DATE_TIME.format(d).replace(' am', 'am').replace(' pm', 'pm').replace(/ at /, ', ');
}

/** A file name with no personal data: the kind, the case or meeting id, the recipient agency id. */
export function documentFilename(kind: 'research-pack' | 'minutes', ids: string[], recipientAgencyId: string, ext: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '');
  return `${kind}-${ids.map(safe).join('-')}-for-${safe(recipientAgencyId)}.${ext}`;
}
