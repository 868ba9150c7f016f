/**
 * Adapter health as the gateway sees it (issue 16), for administrators and metrics: per agency,
 * the last contact (its last inbox poll, or the last message delivered to it, acknowledged or
 * answered), the backlog (messages not yet answered), those past their deadline, dead-lettered
 * deliveries in the last 30 days and the last delivery error code. Ids, counts, codes and times
 * only.
 */
import type pg from 'pg';

type Queryable = Pick<pg.Pool, 'query'>;

export interface AdapterHealth {
  agencyId: string;
  lastContactAt: Date | null;
  /** Messages queued, delivered or acknowledged: not yet answered. */
  backlog: number;
  /** Not answered and past the deadline (or marked overdue). */
  overdue: number;
  /** Deliveries dead-lettered (state failed) in the last 30 days. */
  failed30d: number;
  lastErrorCode: string | null;
  lastErrorAt: Date | null;
}

/** Notes an agency's poll; at most once every `minIntervalMs` per agency and process (a poll must stay cheap). */
export function contactRecorder(pool: Queryable, now: () => Date, minIntervalMs = 5_000): (agencyId: string) => void {
  const noted = new Map<string, number>();
  return (agencyId) => {
    const t = now();
    if ((noted.get(agencyId) ?? -Infinity) > t.getTime() - minIntervalMs) return;
    noted.set(agencyId, t.getTime());
    void pool.query(
      `INSERT INTO agency_contacts (agency_id, last_poll_at) VALUES ($1, $2)
       ON CONFLICT (agency_id) DO UPDATE SET last_poll_at = GREATEST(agency_contacts.last_poll_at, EXCLUDED.last_poll_at)`,
      [agencyId, t],
    ).catch(() => noted.delete(agencyId));
  };
}

/** Every registered agency's adapter health (or one agency's), ordered by agency id. */
export async function readAdapterHealth(db: Queryable, now: Date, agencyId?: string): Promise<AdapterHealth[]> {
  const r = await db.query<{ id: string; last_contact: Date | null; backlog: number; overdue: number; failed: number; last_error_code: string | null; last_error_at: Date | null }>(
    `WITH m AS (
       SELECT recipient_agency_id AS agency_id,
              count(*) FILTER (WHERE state IN ('queued', 'delivered', 'acknowledged'))::int AS backlog,
              count(*) FILTER (WHERE state = 'overdue' OR (state IN ('queued', 'delivered', 'acknowledged') AND deadline < $1))::int AS overdue,
              count(*) FILTER (WHERE state = 'failed' AND updated_at > $1 - interval '30 days')::int AS failed,
              GREATEST(max(delivered_at), max(acknowledged_at), max(answered_at)) AS last_message
         FROM messages WHERE ($2::text IS NULL OR recipient_agency_id = $2) GROUP BY recipient_agency_id),
     e AS (
       SELECT DISTINCT ON (recipient_agency_id) recipient_agency_id AS agency_id, last_error_code, updated_at
         FROM messages WHERE last_error_code IS NOT NULL AND ($2::text IS NULL OR recipient_agency_id = $2)
        ORDER BY recipient_agency_id, updated_at DESC)
     SELECT a.id, GREATEST(c.last_poll_at, m.last_message) AS last_contact,
            COALESCE(m.backlog, 0) AS backlog, COALESCE(m.overdue, 0) AS overdue, COALESCE(m.failed, 0) AS failed,
            e.last_error_code, e.updated_at AS last_error_at
       FROM agencies a
       LEFT JOIN m ON m.agency_id = a.id
       LEFT JOIN e ON e.agency_id = a.id
       LEFT JOIN agency_contacts c ON c.agency_id = a.id
      WHERE ($2::text IS NULL OR a.id = $2)
      ORDER BY a.id`,
    [now, agencyId ?? null],
  );
  return r.rows.map((x) => ({
    agencyId: x.id, lastContactAt: x.last_contact, backlog: x.backlog, overdue: x.overdue, failed30d: x.failed, lastErrorCode: x.last_error_code, lastErrorAt: x.last_error_at,
  }));
}
