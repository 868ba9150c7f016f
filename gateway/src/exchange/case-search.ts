import { createHmac, hkdfSync } from 'node:crypto';
import { openerFor } from '../store/case-keys.js';
import { normaliseNamePart, normaliseNhsNumber, normalisePncId, type HmacKey } from '../audit/subject-tokens.js';
import { hasValidNhsCheckDigit } from '@marac/uk-identifiers';
import type { Queryable } from '../store/db.js';
import type { Sealer } from '../store/sealed-box.js';
import { CaseQueryInvalid } from './case-errors.js';
import { EARLIEST_DATE } from './date-window.js';

/**
 * Finding a case by who it is about without a plaintext index. Each case carries keyed tokens
 * (HMAC-SHA-256) of its subjects' normalised names, dates of birth and identifiers and of its local
 * reference, in `cases.search_tokens`; a search computes the same tokens from what was typed and
 * asks for cases holding all of them (`@>`, GIN). Without the key nobody can test a guessed name
 * or date of birth against the column.
 *
 * The key is derived (HKDF) from the subject-token key, so search tokens never equal the audit
 * log's: an export of the log cannot be joined to the cases table. The normalisers are the audit
 * log's (subject-tokens.ts), so "Smith-Jones" and "smith jones" meet on the same token.
 *
 * Name and date of birth belong to one subject: the combined tokens (family+dob, given+family+dob)
 * make "Sampleton born 1990-04-12" miss a case where Sampleton is the perpetrator born in 1987
 * and the victim (another family name) was born in 1990.
 */

export type SearchKind = 'ref' | 'nhs' | 'pnc' | 'family' | 'given-family' | 'family-dob' | 'name-dob' | 'dob';

export interface SearchSubject {
  names?: { given?: string[]; family: string }[];
  dobs?: string[];
  identifiers?: { system: string; value: string }[];
}

export interface CaseStatusFilter {
  statuses: CaseStatus[];
}
export type CaseStatus = 'OPEN' | 'WITHDRAWN' | 'CLOSED';
export const CASE_STATUSES: readonly CaseStatus[] = ['OPEN', 'WITHDRAWN', 'CLOSED'];

export interface CaseQuery {
  ref?: string;
  givenName?: string;
  familyName?: string;
  dob?: string;
  nhsNumber?: string;
  pncId?: string;
  statuses: CaseStatus[];
  meetingFrom?: string;
  meetingTo?: string;
  repeat?: boolean;
  overdue?: boolean;
  page: number;
  pageSize: number;
}

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;
const MAX_PAGE = 100_000;

export function normaliseRef(value: string): string {
  return value.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

function isoDate(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (!m) return null;
  const d = new Date(`${value.trim()}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value.trim() ? null : value.trim();
}

function firstWord(value: string): string {
  return value.trim().split(/\s+/)[0] ?? '';
}

export function createCaseSearchTokens(rootKey: HmacKey) {
  const root = typeof rootKey === 'string' ? Buffer.from(rootKey, 'utf8') : Buffer.from(rootKey);
  // A key of its own for search (key separation): a search token is never an audit token.
  const key = Buffer.from(hkdfSync('sha256', root, Buffer.alloc(0), 'marac-gateway/case-search/v1', 32));

  function token(kind: SearchKind, normalised: string): string {
    return `cst_${createHmac('sha256', key).update(`${kind}:${normalised}`, 'utf8').digest('hex').slice(0, 32)}`;
  }

  /** Every search token of a case: its local reference and each subject's names, dates of birth and identifiers. */
  function forCase(c: { externalRef?: string | undefined; subjects: readonly unknown[] }): string[] {
    const out = new Set<string>();
    if (c.externalRef) {
      const r = normaliseRef(c.externalRef);
      if (r) out.add(token('ref', r));
    }
    for (const s of c.subjects as SearchSubject[]) {
      for (const id of s.identifiers ?? []) {
        if (id.system === 'nhs-number') {
          const n = normaliseNhsNumber(id.value);
          if (n) out.add(token('nhs', n));
        } else if (id.system === 'pnc-id') {
          const n = normalisePncId(id.value);
          if (n) out.add(token('pnc', n));
        }
      }
      const dobs = (s.dobs ?? []).map(isoDate).filter((d): d is string => d !== null);
      for (const d of dobs) out.add(token('dob', d));
      for (const name of s.names ?? []) {
        const f = normaliseNamePart(name.family ?? '');
        if (!f) continue;
        out.add(token('family', f));
        const g = normaliseNamePart(firstWord(name.given?.[0] ?? ''));
        if (g) out.add(token('given-family', `${g}|${f}`));
        for (const d of dobs) {
          out.add(token('family-dob', `${f}|${d}`));
          if (g) out.add(token('name-dob', `${g}|${f}|${d}`));
        }
      }
    }
    return [...out].sort();
  }

  /** The tokens a case must hold to match the query (all of them); empty when it names nobody. */
  function forQuery(q: Pick<CaseQuery, 'ref' | 'givenName' | 'familyName' | 'dob' | 'nhsNumber' | 'pncId'>): string[] {
    const out: string[] = [];
    if (q.ref) out.push(token('ref', normaliseRef(q.ref)));
    if (q.nhsNumber) out.push(token('nhs', normaliseNhsNumber(q.nhsNumber)!));
    if (q.pncId) out.push(token('pnc', normalisePncId(q.pncId)!));
    const f = q.familyName ? normaliseNamePart(q.familyName) : '';
    const g = q.givenName ? normaliseNamePart(firstWord(q.givenName)) : '';
    if (f && g && q.dob) out.push(token('name-dob', `${g}|${f}|${q.dob}`));
    else if (f && q.dob) out.push(token('family-dob', `${f}|${q.dob}`));
    else if (f && g) out.push(token('given-family', `${g}|${f}`));
    else if (f) out.push(token('family', f));
    else if (q.dob) out.push(token('dob', q.dob));
    return out;
  }

  return { forCase, forQuery };
}
export type CaseSearchTokens = ReturnType<typeof createCaseSearchTokens>;

const QUERY_KEYS = new Set(['ref', 'givenName', 'familyName', 'dob', 'nhsNumber', 'pncId', 'status', 'meetingFrom', 'meetingTo', 'repeat', 'overdue', 'page', 'pageSize']);

function invalid(reason: string, param: string, message: string): never {
  throw new CaseQueryInvalid(message, { reason, problems: [{ path: `query:${param}`, code: reason, message }] });
}

/**
 * The list's query string, checked whole: an unknown or repeated parameter, a malformed date or
 * an NHS number with a wrong check digit is a 400 with a stable reason, never "no cases found".
 */
export function parseCaseQuery(raw: Record<string, unknown>): CaseQuery {
  const q: CaseQuery = { statuses: [], page: 1, pageSize: DEFAULT_PAGE_SIZE };
  for (const k of Object.keys(raw)) {
    if (!QUERY_KEYS.has(k)) invalid('UNKNOWN_PARAMETER', k, `Unknown search parameter ${k}`);
  }
  const one = (k: string): string | undefined => {
    const v = raw[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') invalid('PARAMETER_REPEATED', k, `Give ${k} once, as text`);
    const t = v.trim();
    if (t.length > 100) invalid('PARAMETER_TOO_LONG', k, `${k} is too long`);
    return t === '' ? undefined : t;
  };
  const ref = one('ref');
  if (ref !== undefined) {
    if (!normaliseRef(ref)) invalid('REF_INVALID', 'ref', 'A local reference has letters or digits');
    q.ref = ref;
  }
  const given = one('givenName');
  const family = one('familyName');
  if (given !== undefined && !normaliseNamePart(given)) invalid('NAME_INVALID', 'givenName', 'A given name has letters');
  if (family !== undefined && !normaliseNamePart(family)) invalid('NAME_INVALID', 'familyName', 'A family name has letters');
  // A given name alone would list half the area's Janes: it narrows a family name.
  if (given !== undefined && family === undefined) invalid('FAMILY_NAME_REQUIRED', 'familyName', 'Give the family name with the given name');
  if (given !== undefined) q.givenName = given;
  if (family !== undefined) q.familyName = family;
  const dob = one('dob');
  if (dob !== undefined) {
    const d = isoDate(dob);
    if (!d || d < '1900-01-01') invalid('DATE_INVALID', 'dob', 'A date of birth is a real date, YYYY-MM-DD');
    q.dob = d;
  }
  const nhs = one('nhsNumber');
  if (nhs !== undefined) {
    const n = normaliseNhsNumber(nhs);
    if (!n || !/^[\d\s-]+$/.test(nhs) || !hasValidNhsCheckDigit(n)) invalid('NHS_NUMBER_INVALID', 'nhsNumber', 'An NHS number is 10 digits with a valid check digit, like 943 476 5919');
    q.nhsNumber = n;
  }
  const pnc = one('pncId');
  if (pnc !== undefined) {
    if (!normalisePncId(pnc)) invalid('PNC_ID_INVALID', 'pncId', 'A PNC id looks like YY/NNNNNNNL');
    q.pncId = pnc;
  }
  // Status may repeat (?status=OPEN&status=CLOSED) or be a comma list.
  const st = raw.status;
  if (st !== undefined) {
    const list = (Array.isArray(st) ? st : [st]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [null]));
    for (const v of list) {
      const s = typeof v === 'string' ? v.trim().toUpperCase() : '';
      if (!CASE_STATUSES.includes(s as CaseStatus)) invalid('STATUS_INVALID', 'status', 'A status is OPEN, WITHDRAWN or CLOSED');
      if (!q.statuses.includes(s as CaseStatus)) q.statuses.push(s as CaseStatus);
    }
  }
  for (const k of ['meetingFrom', 'meetingTo'] as const) {
    const v = one(k);
    if (v === undefined) continue;
    const d = isoDate(v);
    if (!d || d < EARLIEST_DATE) invalid('DATE_INVALID', k, `${k} is a real date, YYYY-MM-DD, from ${EARLIEST_DATE}`);
    q[k] = d;
  }
  if (q.meetingFrom && q.meetingTo && q.meetingFrom > q.meetingTo) invalid('DATE_RANGE_INVERTED', 'meetingTo', 'The end of the meeting range is before its start');
  for (const k of ['repeat', 'overdue'] as const) {
    const v = one(k);
    if (v === undefined) continue;
    if (v !== 'true' && v !== 'false') invalid('FLAG_INVALID', k, `${k} is true or false`);
    q[k] = v === 'true';
  }
  const int = (k: 'page' | 'pageSize', max: number) => {
    const v = one(k);
    if (v === undefined) return;
    if (!/^\d{1,6}$/.test(v) || Number(v) < 1 || Number(v) > max) invalid('PAGE_INVALID', k, `${k} is a whole number from 1 to ${max}`);
    q[k] = Number(v);
  };
  int('page', MAX_PAGE);
  int('pageSize', MAX_PAGE_SIZE);
  return q;
}

export function namesSomebody(q: CaseQuery): boolean {
  return Boolean(q.ref || q.familyName || q.dob || q.nhsNumber || q.pncId);
}

/** The date 12 months before `today` (YYYY-MM-DD): a referral after it makes the case a repeat. */
function repeatCutoff(today: string): string {
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  return `${String(y - 1).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export interface CaseListRow {
  id: string;
  maracArea: string;
  meetingDate: string;
  status: CaseStatus;
  outcome: string | null;
  repeat: boolean;
  riskBasis: Record<string, unknown> & { criteria: string[] };
  createdAt: Date;
  nextDeadline: Date | null;
  messages: number;
  answered: number;
  overdue: number;
  failed: number;
  sealed: { subjects_key_id: string; subjects_iv: Buffer; subjects_tag: Buffer; subjects_ciphertext: Buffer };
}

/**
 * One page of a coordinator's cases: upcoming meetings first (soonest first), then past meetings
 * (latest first), newest case first within a day. `tokens` (all must be held) come from forQuery.
 */
export async function queryCases(db: Queryable, coordinatorAgencyId: string, q: CaseQuery, tokens: string[], today: string): Promise<{ total: number; rows: CaseListRow[] }> {
  const where = ['c.coordinator_agency_id = $1'];
  const params: unknown[] = [coordinatorAgencyId, today, repeatCutoff(today)];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (tokens.length > 0) add('c.search_tokens @> ?::text[]', tokens);
  if (q.statuses.length > 0) add('c.status = ANY(?::text[])', q.statuses);
  if (q.meetingFrom) add('c.meeting_date >= ?::date', q.meetingFrom);
  if (q.meetingTo) add('c.meeting_date <= ?::date', q.meetingTo);
  const repeatSql = `((c.risk_basis->>'lastMaracReferralDate') > $3
      OR EXISTS (SELECT 1 FROM referrals r JOIN referral_repeat_matches rm ON rm.referral_id = r.id
                  WHERE r.case_id = c.id AND rm.status = 'CONFIRMED'))`;
  if (q.repeat !== undefined) where.push(q.repeat ? repeatSql : `NOT ${repeatSql}`);
  const overdueSql = `EXISTS (SELECT 1 FROM messages mo WHERE mo.case_id = c.id AND mo.state = 'overdue')`;
  if (q.overdue !== undefined) where.push(q.overdue ? overdueSql : `NOT ${overdueSql}`);
  const whereSql = where.join(' AND ');

  // One round trip: the page (with the total from a window count) first, then its message counts
  // and repeat links for those rows only. $2 (today) and $3 (the repeat cut-off) are always typed.
  const order = (p: string) => `(${p}meeting_date < $2::date), CASE WHEN ${p}meeting_date >= $2::date THEN ${p}meeting_date END ASC,
                 ${p}meeting_date DESC, ${p}created_at DESC, ${p}id`;
  params.push(q.pageSize, (q.page - 1) * q.pageSize);
  const r = await db.query(
    `WITH page AS (
       SELECT c.id, c.marac_area, c.meeting_date, c.status, c.outcome, c.risk_basis, c.created_at,
              c.subjects_key_id, c.subjects_iv, c.subjects_tag, c.subjects_ciphertext, count(*) OVER () AS total
         FROM cases c
        WHERE ${whereSql} AND $3::text IS NOT NULL
        ORDER BY ${order('c.')}
        LIMIT $${params.length - 1} OFFSET $${params.length})
     SELECT c.*, to_char(c.meeting_date, 'YYYY-MM-DD') AS meeting_day, ${repeatSql} AS repeat,
            agg.next_deadline, agg.messages, agg.answered, agg.overdue, agg.failed
       FROM page c
       LEFT JOIN LATERAL (
         SELECT min(m.deadline) FILTER (WHERE m.state IN ('queued','delivered','acknowledged')) AS next_deadline,
                count(m.id)::int AS messages,
                count(m.id) FILTER (WHERE m.state IN ('responded','declined'))::int AS answered,
                count(m.id) FILTER (WHERE m.state = 'overdue')::int AS overdue,
                count(m.id) FILTER (WHERE m.state = 'failed')::int AS failed
           FROM messages m WHERE m.case_id = c.id) agg ON true
      ORDER BY ${order('c.')}`,
    params,
  );
  let total = r.rows.length > 0 ? Number(r.rows[0].total) : 0;
  // Past the last page: still say how many there are.
  if (r.rows.length === 0 && q.page > 1) {
    total = Number((await db.query(`SELECT count(*)::int AS n FROM cases c WHERE ${whereSql} AND $2::date IS NOT NULL AND $3::text IS NOT NULL`, params.slice(0, -2))).rows[0].n);
  }
  return {
    total,
    rows: r.rows.map((x) => ({
      id: x.id,
      maracArea: x.marac_area,
      meetingDate: x.meeting_day,
      status: x.status,
      outcome: x.outcome,
      repeat: x.repeat === true,
      riskBasis: x.risk_basis,
      createdAt: x.created_at,
      nextDeadline: x.next_deadline,
      messages: x.messages,
      answered: x.answered,
      overdue: x.overdue,
      failed: x.failed,
      sealed: { subjects_key_id: x.subjects_key_id, subjects_iv: x.subjects_iv, subjects_tag: x.subjects_tag, subjects_ciphertext: x.subjects_ciphertext },
    })),
  };
}

/**
 * Cases from before migration 0014 have no search tokens (a migration cannot compute an HMAC):
 * the first list or search by their coordinator computes them, in batches, before it runs.
 */
export async function backfillSearchTokens(db: Queryable, sealer: Sealer, tokens: CaseSearchTokens, coordinatorAgencyId: string): Promise<number> {
  let done = 0;
  for (;;) {
    const r = await db.query(
      `SELECT id, subjects_key_id, subjects_iv, subjects_tag, subjects_ciphertext FROM cases
        WHERE coordinator_agency_id = $1 AND search_tokens IS NULL LIMIT 200`,
      [coordinatorAgencyId],
    );
    if (r.rows.length === 0) return done;
    const opener = await openerFor(sealer, db, r.rows.map((row) => row.subjects_key_id as string));
    for (const row of r.rows) {
      const sealed = opener.open({ keyId: row.subjects_key_id, iv: row.subjects_iv, tag: row.subjects_tag, ciphertext: row.subjects_ciphertext }, row.id) as
        { externalRef?: string; subjects: SearchSubject[] };
      // Only if still untokenised: an edit that got there first wrote fresher tokens.
      await db.query('UPDATE cases SET search_tokens = $2 WHERE id = $1 AND search_tokens IS NULL', [row.id, tokens.forCase(sealed)]);
      done++;
    }
  }
}
