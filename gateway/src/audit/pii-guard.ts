/**
 * Last line of defence for DESIGN invariant 4: the audit log holds paths, decisions and keyed
 * tokens, never an identifier, a name, a date of birth or a location. Callers are trusted to pass
 * the right things; this check catches the bug where someone passes a value instead. It is
 * deliberately blunt: a false positive fails the caller's transaction loudly (and gets fixed),
 * a false negative would put a victim's details in an append-only log forever.
 *
 * Names cannot be recognised by pattern; the schema keeps free text short and the field list
 * fixed, and the grep test over scenario runs checks the test data's names never appear.
 */
export type PersonalDataKind = 'NHS_NUMBER' | 'PHONE_NUMBER' | 'POSTCODE' | 'EMAIL' | 'DATE' | 'PNC_ID';

// A run of digits that may be spaced or dashed, not glued to other word characters.
const DIGIT_RUN = /(?<![\w+])\+?\(?\d[\d ()-]{6,}\d(?![\w])/g;
// UK postcode (full, with or without the space), standing alone.
const POSTCODE = /(?<![A-Za-z0-9])(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])/i;
const EMAIL = /[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[A-Za-z]{2,}/;
// A bare calendar date (ISO, UK numeric or spelled month). A full timestamp (date T time) is
// allowed: dates of birth are never written with a time, deadlines and expiries are.
const ISO_DATE = /(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w-])/;
const NUMERIC_DATE = /(?<![\w/.-])\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})(?![\w/.-])/;
const SPELLED_DATE = /(?<![\w])\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+\d{2,4}(?![\w])/i;
// Police National Computer id: YY/NNNNNNNL (or a four-digit year).
const PNC = /(?<![\w/])(?:\d{2}|\d{4})\/\d{1,7}[A-Z](?![\w/])/i;

function digitsOnly(s: string): string {
  return s.replace(/\D/g, '');
}

// Cheap hints first: most values (codes, paths, ids) fail them and skip the full patterns.
const POSTCODE_HINT = /\d ?[A-Za-z]{2}/;
const DATE_HINT = /\d[-/.]\d/;
const SPELLED_HINT = /\d(?:st|nd|rd|th)?\s+[A-Za-z]{3}/;

/** The kind of personal data `value` looks like, or null. */
export function detectPersonalData(value: string): PersonalDataKind | null {
  let digits = 0;
  let at = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 64) at = true;
  }
  if (at && EMAIL.test(value)) return 'EMAIL';
  if (digits === 0) return null;
  if (POSTCODE_HINT.test(value) && POSTCODE.test(value)) return 'POSTCODE';
  if (digits >= 3 && DATE_HINT.test(value) && (ISO_DATE.test(value) || NUMERIC_DATE.test(value))) return 'DATE';
  if (digits >= 3 && SPELLED_HINT.test(value) && SPELLED_DATE.test(value)) return 'DATE';
  if (digits >= 3 && value.includes('/') && PNC.test(value)) return 'PNC_ID';
  if (digits >= 10) {
    for (const m of value.matchAll(DIGIT_RUN)) {
      const run = digitsOnly(m[0]);
      if (run.length === 10) return 'NHS_NUMBER';
      if (run.length >= 10 && run.length <= 13) return 'PHONE_NUMBER';
    }
  }
  return null;
}

/** The same check for a number: a 10-digit integer is an NHS number or a phone number without its 0. */
export function detectPersonalNumber(value: number): PersonalDataKind | null {
  if (!Number.isInteger(value)) return null;
  const digits = String(Math.abs(value));
  if (digits.length === 10) return 'NHS_NUMBER';
  if (digits.length >= 11 && digits.length <= 12 && digits.startsWith('44')) return 'PHONE_NUMBER';
  return null;
}

export interface PersonalDataFinding {
  path: string;
  kind: PersonalDataKind;
}

// Events repeat the same short strings over and over (field paths such as
// `subj_…/police.incidents[].summary`, reason codes, agency ids): the ones found clean are
// remembered so the patterns run once per string, not once per event. Only clean verdicts are
// kept (a string that looks personal is checked every time), bounded in count and length.
const KNOWN_CLEAN_MAX = 20_000;
const KNOWN_CLEAN_MAX_LENGTH = 256;
const knownClean = new Set<string>();

function looksPersonal(value: string): boolean {
  if (knownClean.has(value)) return false;
  if (detectPersonalData(value) !== null) return true;
  if (value.length <= KNOWN_CLEAN_MAX_LENGTH) {
    if (knownClean.size >= KNOWN_CLEAN_MAX) knownClean.clear();
    knownClean.add(value);
  }
  return false;
}

/**
 * True when anything under `value` (outside `skip`) looks like personal data. The common path
 * for clean events: no paths are built and nothing is allocated per value.
 */
export function hasPersonalData(value: unknown, skip: ReadonlySet<string> = new Set(), path = ''): boolean {
  if (typeof value === 'string') return looksPersonal(value);
  if (typeof value === 'number') return detectPersonalNumber(value) !== null;
  if (Array.isArray(value)) {
    for (const v of value) if (hasPersonalData(v, skip, path)) return true;
    return false;
  }
  if (value && typeof value === 'object') {
    for (const k in value) {
      if (!Object.hasOwn(value, k)) continue;
      const child = path ? `${path}/${k}` : `/${k}`;
      // Only top-level subtrees are ever skipped; below the top the path is not needed.
      if (path === '' && skip.has(child)) continue;
      if (looksPersonal(k) || hasPersonalData((value as Record<string, unknown>)[k], skip, path === '' ? child : path)) return true;
    }
  }
  return false;
}

/**
 * Every string and number under `value`, except the subtrees named in `skip` (JSON-pointer-ish
 * dotted paths such as `actor`), checked. Returns the findings (paths only, never the value).
 */
export function scanForPersonalData(value: unknown, skip: ReadonlySet<string> = new Set(), path = ''): PersonalDataFinding[] {
  if (skip.has(path)) return [];
  if (typeof value === 'string') {
    const kind = detectPersonalData(value);
    return kind ? [{ path: path || '/', kind }] : [];
  }
  if (typeof value === 'number') {
    const kind = detectPersonalNumber(value);
    return kind ? [{ path: path || '/', kind }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => scanForPersonalData(v, skip, `${path}/${i}`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => {
      const keyKind = detectPersonalData(k);
      const here: PersonalDataFinding[] = keyKind ? [{ path: `${path}/${k}`, kind: keyKind }] : [];
      return [...here, ...scanForPersonalData(v, skip, `${path}/${k}`)];
    });
  }
  return [];
}
