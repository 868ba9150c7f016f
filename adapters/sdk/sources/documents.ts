/**
 * What the SQL and CSV sources share: the column mapping (which column holds which field), turning
 * a record's rows into one `CandidatePerson`, the per-record JSON document, and the helpers that
 * write an agency's people as rows (exports to a database or a CSV file, tests, benches).
 */
import { AdapterConfigInvalid, AgencyDataInvalid } from '../errors.js';
import { STRONG_SYSTEMS, normaliseIdentifier } from '../matching/identifiers.js';
import type { CandidatePerson, PersonName } from '../matching/types.js';

export type StrongSystem = 'nhs-number' | 'pnc-id' | 'la-child-id' | 'upn';

/** Which column holds each field. Every column but `recordId` is optional. */
export interface PeopleColumns {
  /** The agency's key of the person (several rows may share it: one per name, date of birth or address). */
  recordId: string;
  /** A column per identifier system, holding the normalised value (10-digit NHS number, `YYYY/NNNNNNNA` PNC id). */
  identifiers?: Partial<Record<StrongSystem, string>>;
  /** The first given name (the one searched on). */
  given?: string;
  /** Further given names, space-separated (scored, not searched). */
  otherGiven?: string;
  family?: string;
  /** `official`, `usual`, `alias`, `maiden`, `preferred`... (default `official`). */
  nameUse?: string;
  /** ISO date (a `date` column in SQL). */
  dob?: string;
  /** `F`/`M` (or `female`/`male`). */
  sex?: string;
  postcode?: string;
  uprn?: string;
}

const SQL_COLUMN = /^[a-z_][a-z0-9_]*$/;
const CSV_COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Problems with a column mapping. SQL column names must be plain lower-case identifiers (they are
 * quoted into statements); CSV header names letters, digits and _ in any case.
 */
export function columnProblems(c: unknown, where: string, extra: readonly string[] = [], kind: 'sql' | 'csv' = 'sql'): string[] {
  const COLUMN = kind === 'sql' ? SQL_COLUMN : CSV_COLUMN;
  const out: string[] = [];
  if (!c || typeof c !== 'object') return [`${where}: must be an object`];
  const cols = c as Record<string, unknown>;
  const check = (k: string, v: unknown) => {
    if (typeof v !== 'string' || !COLUMN.test(v)) out.push(`${where}.${k}: a column name of ${kind === 'sql' ? 'lower-case ' : ''}letters, digits and _`);
  };
  if (cols.recordId === undefined) out.push(`${where}.recordId: required`);
  for (const k of ['recordId', 'given', 'otherGiven', 'family', 'nameUse', 'dob', 'sex', 'postcode', 'uprn', ...extra]) if (cols[k] !== undefined) check(k, cols[k]);
  if (cols.identifiers !== undefined) {
    if (!cols.identifiers || typeof cols.identifiers !== 'object') out.push(`${where}.identifiers: must be an object`);
    else for (const [sys, v] of Object.entries(cols.identifiers)) {
      if (!(STRONG_SYSTEMS as readonly string[]).includes(sys)) out.push(`${where}.identifiers.${sys}: not one of ${STRONG_SYSTEMS.join(', ')}`);
      check(`identifiers.${sys}`, v);
    }
  }
  for (const k of Object.keys(cols)) if (!['recordId', 'identifiers', 'given', 'otherGiven', 'family', 'nameUse', 'dob', 'sex', 'postcode', 'uprn', ...extra].includes(k)) out.push(`${where}.${k}: unknown field`);
  return out;
}

export function assertColumns(c: unknown, where: string, extra: readonly string[] = [], kind: 'sql' | 'csv' = 'sql'): asserts c is PeopleColumns {
  const problems = columnProblems(c, where, extra, kind);
  if (problems.length) throw new AdapterConfigInvalid(`source configuration invalid: ${problems.join('; ')}`, { problems: problems.map((p) => ({ path: p.split(':')[0]!, code: 'INVALID', message: p })) });
}

type Row = Record<string, string | null | undefined>;

const val = (r: Row, col: string | undefined): string | undefined => {
  if (!col) return undefined;
  const v = r[col];
  return v === null || v === undefined || v.trim() === '' ? undefined : v.trim();
};

/** The rows of one record (same record id) as one candidate: every name, date of birth and address it has. */
export function candidateOf(rows: readonly Row[], c: PeopleColumns): CandidatePerson {
  const recordId = val(rows[0]!, c.recordId)!;
  const names: PersonName[] = [];
  const dobs: string[] = [];
  const postcodes: string[] = [];
  const uprns: string[] = [];
  const identifiers: { system: string; value: string }[] = [];
  let sexOrGender: string | undefined;
  const push = <T>(xs: T[], x: T | undefined, key: (t: T) => string = String) => {
    if (x !== undefined && !xs.some((y) => key(y) === key(x))) xs.push(x);
  };
  for (const r of rows) {
    const given = [val(r, c.given), ...(val(r, c.otherGiven)?.split(/\s+/) ?? [])].filter((g): g is string => !!g);
    const family = val(r, c.family);
    if (given.length || family) push(names, { given, ...(family ? { family } : {}), use: val(r, c.nameUse)?.toLowerCase() ?? 'official' }, (n) => JSON.stringify(n));
    const dob = val(r, c.dob)?.slice(0, 10);
    if (dob && /^\d{4}-\d{2}-\d{2}$/.test(dob)) push(dobs, dob);
    push(postcodes, val(r, c.postcode));
    push(uprns, val(r, c.uprn));
    sexOrGender ??= val(r, c.sex);
    for (const [sys, col] of Object.entries(c.identifiers ?? {})) {
      const v = val(r, col);
      const n = v ? normaliseIdentifier(sys, v) : null;
      if (n) push(identifiers, { system: sys, value: n }, (i) => `${i.system}:${i.value}`);
    }
  }
  // The official name first (the matcher treats later names as aliases).
  names.sort((a, b) => Number(b.use === 'official') - Number(a.use === 'official'));
  return { recordId, names, dobs, identifiers, postcodes, uprns, ...(sexOrGender ? { sexOrGender } : {}) };
}

/** Rows grouped by record id, in first-seen order. */
export function groupRows<R extends Row>(rows: readonly R[], recordIdColumn: string): Map<string, R[]> {
  const out = new Map<string, R[]>();
  for (const r of rows) {
    const id = val(r, recordIdColumn);
    if (!id) continue;
    const list = out.get(id);
    if (list) list.push(r);
    else out.set(id, [r]);
  }
  return out;
}

/** A record's document column as JSON. */
export function parseDocument(text: string | null | undefined, recordId: string): unknown {
  if (text === null || text === undefined || text === '') throw new AgencyDataInvalid(`record ${recordId.length > 40 ? 'id' : recordId} has no document`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AgencyDataInvalid('a record document is not valid JSON', { cause: e });
  }
}

/** The standard column names `peopleRows` writes (and the README's example views use). */
export const STANDARD_COLUMNS: Required<Omit<PeopleColumns, 'identifiers'>> & { identifiers: Record<StrongSystem, string> } = {
  recordId: 'record_id',
  identifiers: { 'nhs-number': 'nhs_number', 'pnc-id': 'pnc_id', 'la-child-id': 'la_child_id', upn: 'upn' },
  given: 'given', otherGiven: 'other_given', family: 'family', nameUse: 'name_use', dob: 'dob', sex: 'sex', postcode: 'postcode', uprn: 'uprn',
};

/**
 * A person as rows in the standard columns: one row per name, date of birth and address (each
 * row carries the identifiers and sex). The inverse of `candidateOf`.
 */
export function peopleRows(p: CandidatePerson): Record<string, string | null>[] {
  const s = STANDARD_COLUMNS;
  const ids = Object.fromEntries(Object.entries(s.identifiers).map(([sys, col]) => [col, p.identifiers.find((i) => i.system === sys)?.value ?? null]));
  const names = p.names.length ? p.names : [{ given: [], family: undefined, use: 'official' }];
  const n = Math.max(names.length, p.dobs.length, p.postcodes?.length ?? 0, p.uprns?.length ?? 0, 1);
  const rows: Record<string, string | null>[] = [];
  for (let i = 0; i < n; i++) {
    const nm = names[Math.min(i, names.length - 1)]!;
    rows.push({
      [s.recordId]: p.recordId,
      ...ids,
      [s.given]: nm.given?.[0] ?? null,
      [s.otherGiven]: nm.given && nm.given.length > 1 ? nm.given.slice(1).join(' ') : null,
      [s.family]: nm.family ?? null,
      [s.nameUse]: nm.use ?? 'official',
      [s.dob]: p.dobs[i] ?? p.dobs[0] ?? null,
      [s.sex]: p.sexOrGender ?? null,
      [s.postcode]: p.postcodes?.[i] ?? null,
      [s.uprn]: p.uprns?.[i] ?? null,
    });
  }
  return rows;
}

/**
 * Merges per-record slices of an agency export back into one export: arrays concatenated without
 * duplicates (an event two people are involved in is in both slices), other fields from `base`
 * then the first slice.
 */
export function mergeExportSlices<T extends object>(slices: readonly unknown[], base: Partial<T>): T {
  const out: Record<string, unknown> = { ...base };
  const seen = new Map<string, Set<string>>();
  for (const s of slices) {
    if (!s || typeof s !== 'object') throw new AgencyDataInvalid('a record document is not an object');
    for (const [k, v] of Object.entries(s)) {
      if (Array.isArray(v)) {
        const list = (out[k] as unknown[] | undefined) ?? [];
        const keys = seen.get(k) ?? new Set<string>();
        for (const item of v) {
          const key = JSON.stringify(item);
          if (!keys.has(key)) {
            keys.add(key);
            list.push(item);
          }
        }
        out[k] = list;
        seen.set(k, keys);
      } else if (out[k] === undefined || out[k] === '') out[k] = v;
    }
  }
  return out as T;
}

/**
 * A loaded export as rows in the standard columns plus `document` (the record's JSON document on
 * its first row): what a nightly CSV export or a staging table for the SQL source holds.
 */
export function exportRecords<Db>(mapping: { candidates(db: Db): CandidatePerson[]; document(db: Db, recordId: string): unknown }, db: Db): { header: string[]; rows: Record<string, string | null>[] } {
  const s = STANDARD_COLUMNS;
  const header = [s.recordId, ...Object.values(s.identifiers), s.given, s.otherGiven, s.family, s.nameUse, s.dob, s.sex, s.postcode, s.uprn, 'document'];
  const rows: Record<string, string | null>[] = [];
  for (const c of mapping.candidates(db)) {
    peopleRows(c).forEach((r, i) => rows.push({ ...r, document: i === 0 ? JSON.stringify(mapping.document(db, c.recordId)) : null }));
  }
  return { header, rows };
}
