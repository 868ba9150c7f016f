import { createHash } from 'node:crypto';
import type { Queryable } from '../store/db.js';
import { AuditCursorInvalid, AuditQueryInvalid } from './errors.js';
import { canonicalize } from './jcs.js';
import { detectPersonalData } from './pii-guard.js';
import type { AuditAction, AuditDecision, AuditEvent } from './types.js';

/** Filters an auditor may combine (all ANDed). Identifiers are never filters: subjects are tokens. */
export interface AuditFilters {
  /** Inclusive lower bound on the event time (ISO date or date-time). */
  from?: string | Date;
  /** Exclusive upper bound on the event time. */
  to?: string | Date;
  /** Actor id: an agency id, a person's user id or a system component. */
  actor?: string;
  /** An agency concerned (sender or recipient). */
  agency?: string;
  caseId?: string;
  requestId?: string;
  /** A subject token (tok_…), computed from what the auditor typed by tokenForQuery. */
  subjectToken?: string;
  action?: AuditAction | AuditAction[];
  decision?: AuditDecision;
  reason?: string;
}

export interface NormalisedFilters {
  from?: string;
  to?: string;
  actor?: string;
  agency?: string;
  caseId?: string;
  requestId?: string;
  subjectToken?: string;
  actions?: string[];
  decision?: string;
  reason?: string;
}

export type SortOrder = 'asc' | 'desc';

export interface QueryPage {
  events: AuditEvent[];
  /** Opaque; pass back for the next page. Null on the last page. */
  nextCursor: string | null;
}

export const AUDIT_ACTIONS: readonly AuditAction[] = [
  'CASE_CREATED', 'CASE_UPDATED', 'CASE_WITHDRAWN', 'CASE_CLOSED', 'CASE_REOPENED', 'REFERRAL_SUBMITTED', 'REFERRAL_VIEWED', 'REFERRAL_ACCEPTED', 'REFERRAL_RETURNED', 'REFERRAL_REPEAT_CONFIRMED', 'REFERRAL_REPEAT_REJECTED', 'REQUEST_CREATED', 'REQUEST_REFUSED', 'DELIVERED', 'DELIVERY_FAILED', 'ACKNOWLEDGED', 'RESPONSE_RECEIVED',
  'VIEW_READ', 'PACK_EXPORTED', 'DECLINED', 'OVERDUE', 'REMINDER_SENT', 'RESEARCH_PURGED', 'AGREEMENT_CREATED',
  'AGREEMENT_CHANGED', 'AGREEMENT_VALIDATED', 'AGREEMENT_APPROVED', 'AGREEMENT_ACTIVATED', 'AGREEMENT_SUSPENDED',
  'AGREEMENT_EXPIRED', 'AGREEMENT_RESUMED', 'AGREEMENT_PARTY_REMOVED', 'AGREEMENT_PARTY_RESTORED', 'CERTIFICATE_ISSUED', 'CERTIFICATE_REVOKED', 'AGENCY_REGISTERED', 'AGENCY_DISABLED', 'LOGIN',
  'LOGIN_FAILED', 'LOGOUT', 'ACCESS_DENIED', 'AUDIT_QUERIED', 'AUDIT_EXPORTED',
  'MEETING_SCHEDULED', 'MEETING_UPDATED', 'MEETING_CANCELLED', 'AGENDA_CHANGED', 'ATTENDANCE_RECORDED', 'MINUTES_RECORDED', 'ACTION_CREATED', 'ACTION_UPDATED', 'CIRCULATED', 'DOCUMENT_PRODUCED', 'DATA_RETURN_PRODUCED', 'RESEARCH_DRAFT_SAVED', 'NOTIFICATION_SENT', 'NOTIFICATION_FAILED', 'ACCESSION_REQUESTED', 'ACCESSION_APPROVED', 'ACCESSION_REFUSED', 'ACCESSION_WITHDRAWN', 'AGENCY_ENABLED', 'CASE_PURGED', 'CASE_TRANSFERRED', 'TRANSFER_ACCEPTED', 'TRANSFER_REFUSED',
];
const DECISIONS = ['PERMIT', 'PERMIT_WITH_TRANSFORMS', 'DENY', 'NONE'];
const ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const ACTOR = /^[^\s\u0000-\u001f]{1,255}$/;
const AGENCY = /^[a-z0-9][a-z0-9-]{1,62}$/;
const REASON = /^[A-Z][A-Z0-9_]{0,79}$/;
const TOKEN = /^tok_[0-9a-f]{32}$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;
export const MAX_PAGE = 500;

function invalid(reason: string, message: string): never {
  throw new AuditQueryInvalid(message, { reason });
}

function toTime(v: string | Date, reason: string): string {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) invalid(reason, 'Not a valid time');
    return v.toISOString();
  }
  if (typeof v !== 'string' || !(DATE_ONLY.test(v) || DATE_TIME.test(v))) invalid(reason, 'Give a date (YYYY-MM-DD) or an ISO date-time');
  const d = new Date(DATE_ONLY.test(v) ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(d.getTime())) invalid(reason, 'Not a valid time');
  // Year 0000 (or an offset that crosses into it or past 9999) is no PostgreSQL timestamp.
  const year = d.getUTCFullYear();
  if (year < 1 || year > 9999) invalid(reason, 'Give a time between the years 0001 and 9999');
  return d.toISOString();
}

/** Checks every filter; AuditQueryInvalid (400) with a reason code for the first bad one. */
export function normaliseFilters(f: AuditFilters): NormalisedFilters {
  const out: NormalisedFilters = {};
  if (f.from !== undefined) out.from = toTime(f.from, 'FROM_INVALID');
  if (f.to !== undefined) out.to = toTime(f.to, 'TO_INVALID');
  if (out.from && out.to && out.from >= out.to) invalid('RANGE_EMPTY', '`from` must be before `to`');
  if (f.actor !== undefined) out.actor = ACTOR.test(f.actor) ? f.actor : invalid('ACTOR_INVALID', 'Not an actor id');
  // An id that looks like personal data names nothing in the log (every event passed the same
  // guard), and the query's own audit event would refuse it: a 400, not a 500.
  const id = (re: RegExp, v: string) => re.test(v) && detectPersonalData(v) === null;
  if (f.agency !== undefined) out.agency = id(AGENCY, f.agency) ? f.agency : invalid('AGENCY_INVALID', 'Not an agency id');
  if (f.caseId !== undefined) out.caseId = id(ID, f.caseId) ? f.caseId : invalid('CASE_INVALID', 'Not a case id');
  if (f.requestId !== undefined) out.requestId = id(ID, f.requestId) ? f.requestId : invalid('REQUEST_INVALID', 'Not a request id');
  if (f.subjectToken !== undefined) out.subjectToken = TOKEN.test(f.subjectToken) ? f.subjectToken : invalid('SUBJECT_TOKEN_INVALID', 'Not a subject token');
  if (f.action !== undefined) {
    const list = Array.isArray(f.action) ? f.action : [f.action];
    if (list.length === 0 || list.length > AUDIT_ACTIONS.length) invalid('ACTION_INVALID', 'Give one or more actions');
    for (const a of list) if (!AUDIT_ACTIONS.includes(a)) invalid('ACTION_UNKNOWN', 'Unknown action');
    out.actions = [...new Set(list)].sort();
  }
  if (f.decision !== undefined) out.decision = DECISIONS.includes(f.decision) ? f.decision : invalid('DECISION_UNKNOWN', 'Unknown decision');
  if (f.reason !== undefined) out.reason = id(REASON, f.reason) ? f.reason : invalid('REASON_INVALID', 'Not a reason code');
  return out;
}

/** WHERE clause and parameters for normalised filters (parameters numbered from `first`). */
export function whereClause(f: NormalisedFilters, first = 1): { sql: string; params: unknown[] } {
  const conds: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${first + params.length - 1}`;
  };
  if (f.from) conds.push(`ts >= ${p(f.from)}::timestamptz`);
  if (f.to) conds.push(`ts < ${p(f.to)}::timestamptz`);
  if (f.actor) conds.push(`actor_id = ${p(f.actor)}`);
  if (f.agency) conds.push(`agency_ids @> ARRAY[${p(f.agency)}::text]`);
  if (f.caseId) conds.push(`case_id = ${p(f.caseId)}`);
  if (f.requestId) conds.push(`request_id = ${p(f.requestId)}`);
  if (f.subjectToken) conds.push(`subject_tokens @> ARRAY[${p(f.subjectToken)}::text]`);
  if (f.actions) conds.push(f.actions.length === 1 ? `action = ${p(f.actions[0])}` : `action = ANY(${p(f.actions)}::text[])`);
  if (f.decision) conds.push(`decision = ${p(f.decision)}`);
  if (f.reason) conds.push(`reason_code = ${p(f.reason)}`);
  return { sql: conds.length ? conds.join(' AND ') : 'TRUE', params };
}

function filterFingerprint(f: NormalisedFilters, order: SortOrder): string {
  return createHash('sha256').update(canonicalize({ f, order })).digest('base64url').slice(0, 16);
}

export function encodeCursor(seq: number, f: NormalisedFilters, order: SortOrder): string {
  return Buffer.from(JSON.stringify({ v: 1, s: seq, k: filterFingerprint(f, order) })).toString('base64url');
}

export function decodeCursor(cursor: string, f: NormalisedFilters, order: SortOrder): number {
  let parsed: { v?: unknown; s?: unknown; k?: unknown };
  try {
    if (typeof cursor !== 'string' || cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('shape');
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new AuditCursorInvalid('The cursor is not one this gateway issued', { reason: 'CURSOR_MALFORMED' });
  }
  if (parsed.v !== 1 || typeof parsed.s !== 'number' || !Number.isSafeInteger(parsed.s) || parsed.s < 0) {
    throw new AuditCursorInvalid('The cursor is not one this gateway issued', { reason: 'CURSOR_MALFORMED' });
  }
  if (parsed.k !== filterFingerprint(f, order)) {
    throw new AuditCursorInvalid('The cursor belongs to a different query', { reason: 'CURSOR_FILTER_MISMATCH' });
  }
  return parsed.s;
}

/**
 * One page of events matching `filters`, newest first by default. Keyset pagination on seq, so
 * pages stay fast and stable while the log grows.
 */
export async function queryEvents(
  q: Queryable,
  filters: AuditFilters,
  cursor?: string | null,
  limit = 50,
  order: SortOrder = 'desc',
): Promise<QueryPage> {
  if (order !== 'asc' && order !== 'desc') invalid('ORDER_INVALID', 'order is asc or desc');
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) invalid('LIMIT_INVALID', `limit is 1 to ${MAX_PAGE}`);
  const f = normaliseFilters(filters);
  const where = whereClause(f);
  let sql = `SELECT canonical FROM audit_events WHERE ${where.sql}`;
  const params = [...where.params];
  if (cursor) {
    params.push(decodeCursor(cursor, f, order));
    sql += ` AND seq ${order === 'desc' ? '<' : '>'} $${params.length}`;
  }
  params.push(limit + 1);
  sql += ` ORDER BY seq ${order === 'desc' ? 'DESC' : 'ASC'} LIMIT $${params.length}`;
  const r = await q.query<{ canonical: string }>(sql, params);
  const events = r.rows.slice(0, limit).map((row) => JSON.parse(row.canonical) as AuditEvent);
  const more = r.rows.length > limit;
  return { events, nextCursor: more ? encodeCursor(events[events.length - 1]!.seq, f, order) : null };
}
