import type { FieldCatalog } from '../../schema/catalog.js';
import { describeCode, fieldLabel, OPERATORS } from '../labels.js';

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
  rows: DisplayRow[];
}

const GROUP_HEADINGS: Record<string, string> = {
  match: 'Match',
  subject: 'Person details',
  police: 'Police',
  health: 'Health',
  housing: 'Housing',
  childrensSocialCare: "Children's social care",
  adultSocialCare: 'Adult social care',
  probation: 'Probation',
  idva: 'IDVA',
  agencyRiskSummary: 'Agency risk summary',
  proposedActions: 'Proposed actions',
};

/** `police.incidents[2].date` → `police.incidents[].date` (the catalog's form). */
export function catalogPath(path: string): string {
  return path.replace(/\[\d+\]/g, '[]');
}

function scalarText(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? 'Yes' : 'No';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return /^[A-Z][A-Z0-9_]+$/.test(v) ? describeCode(v) : v;
  if (Array.isArray(v)) return v.map(scalarText).join(', ');
  if (typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${fieldLabel(k)}: ${scalarText(x)}`).join('; ');
  }
  return String(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface ViewOptions {
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
    if (related && t.op !== 'keep') out.add(OPERATORS[t.op] ?? t.op);
  }
  return [...out];
}

function rowsOf(value: unknown, path: string, labelPrefix: string, opts: ViewOptions, out: DisplayRow[]): void {
  const transformed = opts.transformed ?? [];
  const last = path.split('.').pop()!.replace(/\[\d+\]$/, '');
  const label = labelPrefix ? `${labelPrefix}: ${fieldLabel(last).toLowerCase()}` : fieldLabel(last);
  if (isRecord(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return;
    for (const [k, v] of entries) rowsOf(v, `${path}.${k}`, label, opts, out);
    return;
  }
  if (Array.isArray(value) && value.some(isRecord)) {
    const keys = [...new Set(value.flatMap((item) => (isRecord(item) ? Object.keys(item) : [])))];
    out.push({
      path,
      label,
      opinion: isOpinion(opts.catalog, path),
      ops: opsFor(path, transformed),
      value: {
        kind: 'table',
        columns: keys.map((k) => ({ key: k, label: fieldLabel(k), opinion: isOpinion(opts.catalog, `${path}[].${k}`) })),
        rows: value.map((item) => keys.map((k) => (isRecord(item) ? scalarText(item[k]) : scalarText(item)))),
      },
    });
    return;
  }
  if (Array.isArray(value)) {
    out.push({ path, label, opinion: isOpinion(opts.catalog, path), ops: opsFor(path, transformed), value: { kind: 'list', items: value.map(scalarText) } });
    return;
  }
  out.push({ path, label, opinion: isOpinion(opts.catalog, path), ops: opsFor(path, transformed), value: { kind: 'text', text: scalarText(value) } });
}

/** Top-level keys become groups; `subjectId` is an internal id and is left out. */
export function displayGroups(doc: Record<string, unknown>, opts: ViewOptions): DisplayGroup[] {
  const groups: DisplayGroup[] = [];
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'subjectId' || key === 'withheld') continue;
    const rows: DisplayRow[] = [];
    if (isRecord(value)) {
      for (const [k, v] of Object.entries(value)) rowsOf(v, `${key}.${k}`, '', opts, rows);
    } else {
      rowsOf(value, key, '', opts, rows);
    }
    if (rows.length === 0) continue;
    const heading = GROUP_HEADINGS[key] ?? fieldLabel(key);
    // Scalars at the top level (knownToAgency, currentInvolvement) read best together.
    const general = !isRecord(value) && !(Array.isArray(value) && value.some(isRecord));
    const target = general ? groups.find((g) => g.key === '_general') : undefined;
    if (target) target.rows.push(...rows);
    else groups.push({ key: general ? '_general' : key, heading: general ? 'Summary' : heading, rows });
  }
  return groups;
}
