import type { Queryable } from '../store/db.js';
import { csvCell } from './export.js';
import { encodeCursor, normaliseFilters, queryEvents, type AuditFilters } from './query.js';
import type { AuditAction, AuditEvent } from './types.js';

/**
 * The disclosure log: what one agency received, read from the audit log alone (paths, rules and
 * decisions, never a value). After a partner's breach the IG officer needs it for the ICO report;
 * an auditor answering a subject access request needs the same rows for one person.
 *
 * An event is a release to an agency when it is one of RELEASE_ACTIONS and that agency is its
 * recipient. Every release path records the recipient in `agencyIds` (docs/decisions/0034):
 *  - one agency id: the recipient (pack reads and exports, documents, circulation, meeting reads);
 *  - two (a research request's delivery or a person's read of it, `releaseEvent`): sender and
 *    recipient; the recipient is the actor (its certificate, or a person of it), or, for a push
 *    delivery made by the gateway's worker, the one that did not send the request (the actor of
 *    the REQUEST_CREATED event for the same message).
 * Refusals (decision DENY) are kept: after a party is removed they show the kill switch working.
 */

export const RELEASE_ACTIONS: readonly AuditAction[] = ['DELIVERED', 'VIEW_READ', 'PACK_EXPORTED', 'DOCUMENT_PRODUCED', 'CIRCULATED'];
/** Refusals of a release to an agency: its reads refused, deliveries refused, requests to it refused. */
export const REFUSAL_ACTIONS: readonly AuditAction[] = ['ACCESS_DENIED', 'DELIVERY_FAILED', 'REQUEST_REFUSED'];
/** Everything the disclosure log reads. */
export const DISCLOSURE_ACTIONS: readonly AuditAction[] = [...RELEASE_ACTIONS, ...REFUSAL_ACTIONS];

export interface DisclosureRange {
  /** Inclusive, ISO date or date-time. */
  from?: string;
  /** Exclusive, ISO date or date-time. */
  to?: string;
}

/** One event as the disclosure log and the readable report show it. */
export interface DisclosureRow {
  seq: number;
  ts: string;
  action: string;
  /** Who did it: a person's user id, an agency id or a gateway component. */
  actor: string;
  actorKind: string;
  /** The agency the person acted for, when the actor is a person of an agency. */
  actorAgency?: string;
  /** The agency that received the release, when the event is one (see recipientOf). */
  recipient?: string;
  caseId?: string;
  requestId?: string;
  /** Which page or API read it was (`detail.view`: owner-actions, meeting-agenda…), when recorded. */
  view?: string;
  agreement?: string;
  purpose?: string;
  decision?: string;
  reason?: string;
  rules: string[];
  released: string[];
  transformed: { path: string; op: string }[];
  withheld: { path: string; reason: string }[];
  hash: string;
}

function actorAgencyOf(e: AuditEvent): string | undefined {
  if (e.actor.kind === 'agency') return e.actor.agencyId;
  if (e.actor.kind === 'person') return e.actor.agencyId;
  return undefined;
}

/**
 * The recipient of a release event, or undefined when the event is no release. `senders` maps a
 * message id to the agency that sent it (only needed for deliveries made by the gateway itself).
 */
export function recipientOf(e: AuditEvent, senders: ReadonlyMap<string, string> = new Map()): string | undefined {
  const refusal = REFUSAL_ACTIONS.includes(e.action);
  if (!RELEASE_ACTIONS.includes(e.action) && !(refusal && e.decision === 'DENY')) return undefined;
  const ids = e.agencyIds ?? [];
  const acting = actorAgencyOf(e);
  // A request refused at fan-out: the coordinator asked, the other agency would have received.
  if (e.action === 'REQUEST_REFUSED') {
    const others = ids.filter((a) => a !== acting);
    return others.length === 1 ? others[0] : undefined;
  }
  if (ids.length === 1) return ids[0];
  if (acting && ids.includes(acting)) return acting;
  if (e.actor.kind === 'system' && e.messageId) {
    const sender = senders.get(e.messageId);
    const others = sender ? ids.filter((a) => a !== sender) : [];
    if (others.length === 1) return others[0];
  }
  return undefined;
}

export function disclosureRow(e: AuditEvent, recipient?: string): DisclosureRow {
  const actor = e.actor.kind === 'person' ? e.actor.userId : e.actor.kind === 'agency' ? e.actor.agencyId : e.actor.component;
  const actorAgency = e.actor.kind === 'person' ? e.actor.agencyId : undefined;
  return {
    seq: e.seq,
    ts: e.ts,
    action: e.action,
    actor,
    actorKind: e.actor.kind,
    ...(actorAgency ? { actorAgency } : {}),
    ...(recipient ? { recipient } : {}),
    ...(e.caseId ? { caseId: e.caseId } : {}),
    ...(e.requestId ? { requestId: e.requestId } : {}),
    ...(typeof e.detail?.view === 'string' ? { view: e.detail.view } : typeof e.detail?.document === 'string' ? { view: e.detail.document } : {}),
    ...(e.agreementId ? { agreement: `${e.agreementId}${e.agreementVersion ? ` v${e.agreementVersion}` : ''}` } : {}),
    ...(e.purpose ? { purpose: e.purpose } : {}),
    ...(e.decision ? { decision: e.decision } : {}),
    ...(e.reasonCode ? { reason: e.reasonCode } : {}),
    rules: e.ruleIds ?? [],
    released: e.fieldsReleased ?? [],
    transformed: e.fieldsTransformed ?? [],
    withheld: e.fieldsWithheld ?? [],
    hash: e.hash,
  };
}

/** Senders of the messages of pushed deliveries among `events` (message id → agency id). */
export async function sendersOf(q: Queryable, events: AuditEvent[]): Promise<Map<string, string>> {
  const pushed = events.filter((e) => e.actor.kind === 'system' && (e.action === 'DELIVERED' || e.action === 'DELIVERY_FAILED') && e.messageId && e.requestId);
  if (pushed.length === 0) return new Map();
  const r = await q.query<{ message_id: string; canonical: string }>(
    `SELECT message_id, canonical FROM audit_events
      WHERE action = 'REQUEST_CREATED' AND request_id = ANY($1::text[]) AND message_id = ANY($2::text[])`,
    [[...new Set(pushed.map((e) => e.requestId!))], [...new Set(pushed.map((e) => e.messageId!))]],
  );
  const out = new Map<string, string>();
  for (const row of r.rows) {
    const sender = actorAgencyOf(JSON.parse(row.canonical) as AuditEvent);
    if (sender) out.set(row.message_id, sender);
  }
  return out;
}

function filtersFor(agencyId: string, range: DisclosureRange): AuditFilters {
  return { agency: agencyId, action: [...DISCLOSURE_ACTIONS], ...(range.from ? { from: range.from } : {}), ...(range.to ? { to: range.to } : {}) };
}

const BATCH = 500;

/**
 * One page of what `agencyId` received, newest first. The cursor is the audit query's own (the
 * last event shown), so pages stay stable while the log grows. AuditQueryInvalid for a bad range.
 */
export async function disclosurePage(
  q: Queryable,
  agencyId: string,
  range: DisclosureRange,
  cursor: string | null,
  limit = 25,
  /** Which rows to show (default all): the page shows only releases unless asked for everything. */
  keep: (r: DisclosureRow) => boolean = () => true,
): Promise<{ rows: DisclosureRow[]; nextCursor: string | null }> {
  const filters = filtersFor(agencyId, range);
  const normalised = normaliseFilters(filters);
  const rows: DisclosureRow[] = [];
  let next = cursor;
  for (;;) {
    const page = await queryEvents(q, filters, next, BATCH, 'desc');
    const senders = await sendersOf(q, page.events);
    for (const e of page.events) {
      if (recipientOf(e, senders) !== agencyId) continue;
      const row = disclosureRow(e, agencyId);
      if (!keep(row)) continue;
      rows.push(row);
      if (rows.length === limit) {
        const more = e !== page.events[page.events.length - 1] || page.nextCursor !== null;
        return { rows, nextCursor: more ? encodeCursor(e.seq, normalised, 'desc') : null };
      }
    }
    if (!page.nextCursor) return { rows, nextCursor: null };
    next = page.nextCursor;
  }
}

/** Every release to `agencyId` in the range, oldest first (for the summary and the exports). */
export async function* disclosuresTo(q: Queryable, agencyId: string, range: DisclosureRange): AsyncGenerator<DisclosureRow, void, undefined> {
  const filters = filtersFor(agencyId, range);
  let cursor: string | null = null;
  for (;;) {
    const page = await queryEvents(q, filters, cursor, BATCH, 'asc');
    const senders = await sendersOf(q, page.events);
    for (const e of page.events) if (recipientOf(e, senders) === agencyId) yield disclosureRow(e, agencyId);
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}

/** Whether a row released anything: a refusal, or a read that showed nothing (an empty list), did not. */
export function releasedSomething(r: DisclosureRow): boolean {
  return r.decision !== 'DENY' && (r.released.length > 0 || r.transformed.length > 0);
}

export interface DisclosureSummary {
  events: number;
  /** Events that released at least one field. */
  released: number;
  /** Permitted reads that released no field (an empty list, a page with nothing for it). */
  empty: number;
  refused: number;
  cases: number;
  first?: string;
  last?: string;
  /** Agreement versions the releases were made under ("essex-marat v1"), sorted. */
  agreements: string[];
  /** Refusal reasons with their counts, most frequent first. */
  refusals: { reason: string; count: number }[];
}

export async function disclosureSummary(q: Queryable, agencyId: string, range: DisclosureRange): Promise<DisclosureSummary> {
  const cases = new Set<string>();
  const agreements = new Set<string>();
  const refusals = new Map<string, number>();
  const s: DisclosureSummary = { events: 0, released: 0, empty: 0, refused: 0, cases: 0, agreements: [], refusals: [] };
  for await (const r of disclosuresTo(q, agencyId, range)) {
    s.events++;
    s.first ??= r.ts;
    s.last = r.ts;
    if (r.decision === 'DENY') {
      s.refused++;
      const reason = r.reason ?? 'UNSPECIFIED';
      refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
      continue;
    }
    if (!releasedSomething(r)) {
      s.empty++;
      continue;
    }
    s.released++;
    if (r.caseId) cases.add(r.caseId);
    if (r.agreement) agreements.add(r.agreement);
  }
  s.cases = cases.size;
  s.agreements = [...agreements].sort();
  s.refusals = [...refusals].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return s;
}

/** The readable report's columns: one row per event, field paths and rules, never a value. */
export const REPORT_HEADER = [
  'seq', 'time', 'action', 'view', 'actor_kind', 'actor', 'actor_agency', 'recipient_agency', 'case_id', 'request_id', 'agreement', 'purpose',
  'decision', 'reason_code', 'rules', 'fields_released', 'fields_transformed', 'fields_withheld', 'event_hash',
].join(',');

export function reportLine(r: DisclosureRow): string {
  return [
    r.seq, r.ts, r.action, r.view, r.actorKind, r.actor, r.actorAgency, r.recipient, r.caseId, r.requestId, r.agreement, r.purpose,
    r.decision, r.reason, r.rules.join(' '), r.released.join(' '),
    r.transformed.map((t) => `${t.path}:${t.op}`).join(' '), r.withheld.map((w) => `${w.path}:${w.reason}`).join(' '), r.hash,
  ].map(csvCell).join(',');
}

/** The readable report (CSV) of `rows`: a header line, then one line per event. */
export async function* reportCsv(rows: AsyncIterable<DisclosureRow>): AsyncGenerator<string, void, undefined> {
  yield `${REPORT_HEADER}\r\n`;
  let chunk = '';
  for await (const r of rows) {
    chunk += `${reportLine(r)}\r\n`;
    if (chunk.length > 64_000) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** Every event matching `filters`, oldest first, as report rows (the auditor's readable export). */
export async function* reportRows(q: Queryable, filters: AuditFilters): AsyncGenerator<DisclosureRow, void, undefined> {
  let cursor: string | null = null;
  for (;;) {
    const page = await queryEvents(q, filters, cursor, BATCH, 'asc');
    const senders = await sendersOf(q, page.events);
    for (const e of page.events) yield disclosureRow(e, recipientOf(e, senders));
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}
