import type { Queryable } from '../store/db.js';

/**
 * The "grep test" helper: does the audit log (or an export) contain any of a set of personal
 * values? Used after scenario runs with the scenario's own test data. Each value is searched in
 * the forms it could take in text: NHS numbers with and without spaces, dates of birth in ISO and
 * UK order, postcodes with and without the space, names in any case.
 */
export interface PersonalValues {
  nhsNumbers?: string[];
  names?: string[];
  datesOfBirth?: string[];
  postcodes?: string[];
  addressLines?: string[];
  phones?: string[];
  other?: string[];
}

export function leakNeedles(v: PersonalValues): string[] {
  const out = new Set<string>();
  for (const n of v.nhsNumbers ?? []) {
    const d = n.replace(/\D/g, '');
    out.add(d);
    if (d.length === 10) out.add(`${d.slice(0, 3)} ${d.slice(3, 6)} ${d.slice(6)}`);
  }
  for (const dob of v.datesOfBirth ?? []) {
    out.add(dob);
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dob);
    if (m) out.add(`${m[3]}/${m[2]}/${m[1]}`);
  }
  for (const p of v.postcodes ?? []) {
    out.add(p);
    out.add(p.replace(/\s+/g, ''));
  }
  for (const p of v.phones ?? []) {
    out.add(p);
    out.add(p.replace(/\D/g, ''));
  }
  // Names shorter than 4 letters would match field paths and codes by accident.
  for (const n of [...(v.names ?? []), ...(v.addressLines ?? []), ...(v.other ?? [])]) if (n.trim().length >= 4) out.add(n.trim());
  return [...out].filter((x) => x.length >= 4);
}

/** Which needles occur in `text` (case-insensitive). */
export function findLeaksInText(text: string, needles: string[]): string[] {
  const lower = text.toLowerCase();
  return needles.filter((n) => lower.includes(n.toLowerCase()));
}

/** Events (by seq) whose stored canonical JSON contains a needle, and pending events that do. */
export async function findLeaks(q: Queryable, needles: string[]): Promise<{ seq: number | null; needle: string }[]> {
  if (needles.length === 0) return [];
  const patterns = needles.map((n) => `%${n.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const r = await q.query<{ seq: string | null; needle: string }>(
    `SELECT e.seq, p.needle FROM audit_events e JOIN unnest($1::text[], $2::text[]) AS p(needle, pattern) ON e.canonical ILIKE p.pattern
     UNION ALL
     SELECT NULL, p.needle FROM audit_pending a JOIN unnest($1::text[], $2::text[]) AS p(needle, pattern) ON a.body ILIKE p.pattern`,
    [needles, patterns],
  );
  return r.rows.map((row) => ({ seq: row.seq === null ? null : Number(row.seq), needle: row.needle }));
}
