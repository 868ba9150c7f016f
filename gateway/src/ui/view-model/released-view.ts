import type { FieldCatalog } from '../../schema/catalog.js';
import { dedupeWords, describeCode, fieldLabel, operatorLabel, PAYLOAD_GROUPS } from '../labels.js';

/**
 * A released (or original) subject document as rows a person can read: grouped by top-level key
 * (match, subject, police, health, ...), one row per field, lists of records as small tables.
 * Each row says whether the catalog marks the field as opinion (`OPN`) and which operators the
 * agreement applied to it, so the page can label both.
 */

export type DisplayValue =
  | { kind: 'text'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; columns: { key: string; label: string; opinion: boolean }[]; rows: string[][] };

export interface DisplayRow {
  path: string;
  label: string;
  value: DisplayValue;
  opinion: boolean;
  /** Operator labels applied to this field or inside it, e.g. "date generalised". */
  ops: string[];
}

export interface DisplayGroup {
  key: string;
  heading: string;
  /** Fields shown as a summary list. */
  rows: DisplayRow[];
  /** Lists of records, each shown as a full-width table after the summary list. */
  tables: DisplayRow[];
}

const GROUP_HEADINGS = PAYLOAD_GROUPS;

/** `police.incidents[2].date` → `police.incidents[].date` (the catalog's form). */
export function catalogPath(path: string): string {
  return path.replace(/\[\d+\]/g, '[]');
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** `UNDER_500` → "Under 500": a code read as words (the code itself is kept for withheld reasons). */
const ACRONYMS = new Set([
  'DA', 'NFA', 'NMO', 'DVPO', 'DAPO', 'CPP', 'CIN', 'CLA', 'LAC', 'ED', 'GP', 'ASB', 'MAPPA', 'ROSH', 'IDVA', 'RSL', 'TA',
  'DVDS', 'UK', 'NHS', 'PNC', 'MH', 'EDD', 'HV', 'SN', 'AP', 'PSS', 'S47', 'S42', 'MARAC', 'NRPF', 'IOM', 'OASYS',
]);

export function humaniseCode(code: string): string {
  const described = describeCode(code);
  if (described !== code) return described;
  const words = code.split('_').map((w, i) => (ACRONYMS.has(w) ? w : i === 0 ? w.charAt(0) + w.slice(1).toLowerCase() : w.toLowerCase()));
  return words.join(' ');
}

/** Dates as people write them: "14 Sep 2026", a generalised month "April 2026", a year as is. */
function dateText(s: string): string | undefined {
  // Written out by hand: ICU versions disagree on short month names ("Sep" / "Sept").
  const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(s);
  const month = m ? MONTHS[Number(m[2]) - 1] : undefined;
  if (!m || !month) return undefined;
  return m[3] ? `${Number(m[3])} ${month.slice(0, 3)} ${m[1]}` : `${month} ${m[1]}`;
}

function isName(v: unknown): v is { given?: string[]; family: string; use?: string } {
  return isRecord(v) && typeof v.family === 'string' && Object.keys(v).every((k) => k === 'given' || k === 'family' || k === 'use');
}

export interface TextOptions {
  /** Internal subject ids → "Victim", "Child 2"... */
  subjects?: ReadonlyMap<string, string>;
}

export function scalarText(v: unknown, opts: TextOptions = {}): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? 'Yes' : 'No';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') {
    const subject = opts.subjects?.get(v);
    if (subject) return subject;
    if (/^[A-Z][A-Z0-9_]+$/.test(v)) return humaniseCode(v);
    return dateText(v) ?? v;
  }
  if (isName(v)) return `${[...(v.given ?? []), v.family].join(' ')}${v.use && v.use !== 'official' ? ` (${v.use})` : ''}`;
  if (Array.isArray(v)) return v.map((x) => scalarText(x, opts)).join(', ');
  if (typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${fieldLabel(k)}: ${scalarText(x, opts)}`).join('; ');
  }
  return String(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface ViewOptions extends TextOptions {
  catalog: Pick<FieldCatalog, 'get'>;
  transformed?: readonly { path: string; op: string }[];
}

function isOpinion(catalog: Pick<FieldCatalog, 'get'>, path: string): boolean {
  const info = catalog.get(catalogPath(path));
  return info?.sensitivity.includes('OPN') ?? false;
}

/** Operators applied to `path`, to one of its ancestors or, for lists and objects, inside it. */
function opsFor(path: string, transformed: readonly { path: string; op: string }[]): string[] {
  const out = new Set<string>();
  for (const t of transformed) {
    const related = t.path === path || path.startsWith(`${t.path}.`) || path.startsWith(`${t.path}[`)
      || t.path.startsWith(`${path}.`) || t.path.startsWith(`${path}[`);
    if (related && t.op !== 'keep') out.add(operatorLabel(t.op));
  }
  return [...out];
}

function rowsOf(value: unknown, path: string, labelPrefix: string, opts: ViewOptions, out: DisplayRow[]): void {
  const transformed = opts.transformed ?? [];
  const last = path.split('.').pop()!.replace(/\[\d+\]$/, '');
  const label = labelPrefix ? dedupeWords(`${labelPrefix}: ${fieldLabel(last).toLowerCase()}`) : fieldLabel(last);
  if (isRecord(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return;
    for (const [k, v] of entries) rowsOf(v, `${path}.${k}`, label, opts, out);
    return;
  }
  if (Array.isArray(value) && value.some(isRecord) && !value.every(isName)) {
    const keys = [...new Set(value.flatMap((item) => (isRecord(item) ? Object.keys(item) : [])))];
    out.push({
      path,
      label,
      opinion: isOpinion(opts.catalog, path),
      ops: opsFor(path, transformed),
      value: {
        kind: 'table',
        columns: keys.map((k) => ({ key: k, label: fieldLabel(k), opinion: isOpinion(opts.catalog, `${path}[].${k}`) })),
        rows: value.map((item) => keys.map((k) => (isRecord(item) ? scalarText(item[k], opts) : scalarText(item, opts)))),
      },
    });
    return;
  }
  if (Array.isArray(value)) {
    const items = value.map((x) => scalarText(x, opts));
    // A few short values read best on one line.
    const inline = items.length <= 6 && items.every((i) => i.length <= 24);
    out.push({
      path, label, opinion: isOpinion(opts.catalog, path), ops: opsFor(path, transformed),
      value: inline ? { kind: 'text', text: items.length ? items.join(', ') : 'None' } : { kind: 'list', items },
    });
    return;
  }
  out.push({ path, label, opinion: isOpinion(opts.catalog, path), ops: opsFor(path, transformed), value: { kind: 'text', text: scalarText(value, opts) } });
}

/** Text with an opinion flag (`agencyRiskSummary`): one row, labelled opinion when it says so. */
function isOpinionText(v: unknown): v is { text: unknown; isOpinion?: unknown } {
  return isRecord(v) && 'text' in v && Object.keys(v).every((k) => k === 'text' || k === 'isOpinion');
}

/** Top-level keys become groups; `subjectId` is an internal id and is left out. */
export function displayGroups(doc: Record<string, unknown>, opts: ViewOptions): DisplayGroup[] {
  const groups: DisplayGroup[] = [];
  const general: DisplayRow[] = [];
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'subjectId' || key === 'withheld') continue;
    const rows: DisplayRow[] = [];
    const heading = GROUP_HEADINGS[key] ?? fieldLabel(key);
    if (isOpinionText(value)) {
      rows.push({
        path: `${key}.text`,
        label: heading,
        opinion: value.isOpinion === true || isOpinion(opts.catalog, `${key}.text`),
        ops: opsFor(`${key}.text`, opts.transformed ?? []),
        value: { kind: 'text', text: scalarText(value.text, opts) },
      });
    } else if (isRecord(value)) {
      for (const [k, v] of Object.entries(value)) rowsOf(v, `${key}.${k}`, '', opts, rows);
    } else {
      rowsOf(value, key, '', opts, rows);
    }
    if (rows.length === 0) continue;
    // Scalars at the top level (knownToAgency, currentInvolvement) read best together.
    const isGeneral = !isRecord(value) && !(Array.isArray(value) && value.some(isRecord));
    if (isGeneral) {
      general.push(...rows);
      continue;
    }
    groups.push({
      key,
      heading,
      rows: rows.filter((r) => r.value.kind !== 'table'),
      tables: rows.filter((r) => r.value.kind === 'table'),
    });
  }
  if (general.length) {
    const at = groups.findIndex((g) => g.key !== 'match');
    groups.splice(at < 0 ? groups.length : at, 0, { key: '_general', heading: 'Summary', rows: general, tables: [] });
  }
  return groups;
}
