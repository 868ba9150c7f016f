import type { Queryable } from '../store/db.js';
import type { Derived } from './types.js';

/**
 * From audit events to notifications: who is told of what. Pure reading: the event's ids and, where
 * the event alone does not say which agency is the recipient (agency ids are sorted in the event),
 * the row it names (a message, a referral, an action). Nothing here reads a sealed column.
 */

/** The actions notifications are derived from. */
export const SOURCE_ACTIONS = ['REQUEST_CREATED', 'REMINDER_SENT', 'OVERDUE', 'REFERRAL_SUBMITTED', 'CIRCULATED', 'ACTION_CREATED'] as const;

/**
 * Pages the links point to, by opaque id only: never a name, a date or a reference a person typed.
 * Each is a GET page route registered with the page router (test/unit/notifications/links.test.ts
 * checks every one): the agency staff pages (ui/agency-staff-pages.ts, agency-rep-pages.ts), the
 * coordinator's case and referral pages. An action has no page of its own: the representative's
 * actions page, at that action's heading. A person who follows a link signs in first.
 */
export const LINKS = {
  agencyRequest: (requestId: string) => `/agency/requests/${encodeURIComponent(requestId)}/answer`,
  coordinatorCase: (caseId: string) => `/cases/${encodeURIComponent(caseId)}`,
  referral: (referralId: string) => `/referrals/${encodeURIComponent(referralId)}`,
  agencyCase: (caseId: string) => `/agency/cases/${encodeURIComponent(caseId)}`,
  agencyAction: (actionId: string) => `/agency/actions#action-${encodeURIComponent(actionId)}`,
} as const;

export interface SourceEvent {
  seq: number;
  action: string;
  caseId: string | null;
  requestId: string | null;
  messageId: string | null;
  agencyIds: string[];
  /** The acting person's or agency's agency, when the actor has one. */
  actorAgencyId?: string;
  /** The acting person, who is not told of their own act. */
  actorUserId?: string;
  decision?: string;
  /** The event's time (ISO). */
  ts?: string;
  detail: Record<string, unknown>;
}

/** YYYY-MM-DD in London. */
export function londonDay(d: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 && v.length <= 128 ? v : undefined);

async function messageParties(q: Queryable, messageId: string): Promise<{ sender: string; recipient: string; caseId: string } | undefined> {
  const r = await q.query<{ sender_agency_id: string; recipient_agency_id: string; case_id: string }>(
    'SELECT sender_agency_id, recipient_agency_id, case_id FROM messages WHERE id = $1',
    [messageId],
  );
  const m = r.rows[0];
  return m ? { sender: m.sender_agency_id, recipient: m.recipient_agency_id, caseId: m.case_id } : undefined;
}

/** The notifications one audit event gives rise to (before recipients are looked up). */
export async function deriveFromEvent(q: Queryable, e: SourceEvent): Promise<Derived[]> {
  const out = await derivedOf(q, e);
  return e.actorUserId ? out.map((d) => ({ ...d, notUserId: e.actorUserId! })) : out;
}

async function derivedOf(q: Queryable, e: SourceEvent): Promise<Derived[]> {
  const key = `seq:${e.seq}`;
  switch (e.action) {
    case 'REQUEST_CREATED':
    case 'REMINDER_SENT': {
      if (!e.messageId || !e.requestId) return [];
      const m = await messageParties(q, e.messageId);
      if (!m) return [];
      const kind = e.action === 'REQUEST_CREATED' ? 'REQUEST_NEW' : 'DEADLINE_NEAR';
      return [{ sourceKey: key, kind, agencyId: m.recipient, roles: ['agency_researcher'], linkPath: LINKS.agencyRequest(e.requestId), caseId: m.caseId }];
    }
    case 'OVERDUE': {
      if (!e.messageId || !e.requestId) return [];
      const m = await messageParties(q, e.messageId);
      if (!m) return [];
      return [
        { sourceKey: key, kind: 'ANSWER_OVERDUE', agencyId: m.recipient, roles: ['agency_researcher'], linkPath: LINKS.agencyRequest(e.requestId), caseId: m.caseId },
        { sourceKey: key, kind: 'ANSWER_OVERDUE', agencyId: m.sender, roles: ['coordinator'], linkPath: LINKS.coordinatorCase(m.caseId), caseId: m.caseId },
      ];
    }
    case 'REFERRAL_SUBMITTED': {
      const referralId = str(e.detail.referralId);
      if (!referralId) return [];
      const r = await q.query<{ coordinator_agency_id: string }>('SELECT coordinator_agency_id FROM referrals WHERE id = $1', [referralId]);
      const coordinator = r.rows[0]?.coordinator_agency_id;
      if (!coordinator) return [];
      return [{ sourceKey: key, kind: 'REFERRAL_RECEIVED', agencyId: coordinator, roles: ['coordinator'], linkPath: LINKS.referral(referralId) }];
    }
    case 'CIRCULATED': {
      // One event per recipient agency and document (circulation-service.ts: detail.kind is
      // circulated-pack, minutes or actions). Nothing released, nothing to tell. The minutes and
      // the actions circulated together, or the same document again that day, are one message.
      if (e.decision === 'DENY' || !e.caseId) return [];
      const what = str(e.detail.kind) ?? str(e.detail.what) ?? '';
      const kind = /minute|action/i.test(what) ? 'MINUTES_CIRCULATED' : 'PACK_CIRCULATED';
      const day = e.ts ? londonDay(new Date(e.ts)) : `seq${e.seq}`;
      return e.agencyIds
        .filter((a) => a !== e.actorAgencyId)
        .map((agencyId) => ({
          sourceKey: `circulated:${kind}:${e.caseId}:${agencyId}:${day}`,
          kind,
          agencyId,
          roles: ['agency_representative'] as const,
          linkPath: LINKS.agencyCase(e.caseId!),
          caseId: e.caseId!,
        }));
    }
    case 'ACTION_CREATED': {
      const actionId = str(e.detail.actionId);
      if (!actionId) return [];
      const r = await q.query<{ owner_agency_id: string; case_id: string }>('SELECT owner_agency_id, case_id FROM case_actions WHERE id = $1', [actionId]);
      const a = r.rows[0];
      if (!a) return [];
      return [{ sourceKey: key, kind: 'ACTION_ASSIGNED', agencyId: a.owner_agency_id, roles: ['agency_representative'], linkPath: LINKS.agencyAction(actionId), caseId: a.case_id }];
    }
    default:
      return [];
  }
}

/**
 * Open actions due within `dueDays` days of `today` (London date, YYYY-MM-DD) or already past due.
 * Keyed by action, kind and due date: a sweep that runs again, or on another instance, adds
 * nothing; an action whose due date moves is told of again for the new date.
 */
export async function deriveActionReminders(q: Queryable, today: string, dueDays: number): Promise<Derived[]> {
  const r = await q.query<{ id: string; case_id: string; owner_agency_id: string; due_on: string; overdue: boolean }>(
    `SELECT id, case_id, owner_agency_id, to_char(due_on, 'YYYY-MM-DD') AS due_on, due_on < $1::date AS overdue
       FROM case_actions
      WHERE status = 'OPEN' AND due_on <= $1::date + $2::int
      ORDER BY due_on, id LIMIT 5000`,
    [today, dueDays],
  );
  return r.rows.map((a) => {
    const kind = a.overdue ? 'ACTION_OVERDUE' : 'ACTION_DUE';
    return {
      sourceKey: `${kind === 'ACTION_OVERDUE' ? 'action-overdue' : 'action-due'}:${a.id}:${a.due_on}`,
      kind,
      agencyId: a.owner_agency_id,
      roles: ['agency_representative'],
      linkPath: LINKS.agencyAction(a.id),
      caseId: a.case_id,
    } satisfies Derived;
  });
}
