/**
 * The meetings tables (migration 0016) and the reads the agenda needs. SQL only: the service
 * decides, checks and audits. The agenda with every flag is one query; the meeting with its
 * attendance and the agencies offered is another.
 */
import type { Queryable } from '../store/db.js';
import type { Attendance, AttendanceStatus, ListingOutcome, Meeting, MeetingStatus } from './types.js';

export interface MeetingRow extends Meeting {
  createdAt: string;
  updatedAt: string;
}

const MEETING_COLS = `m.id, m.coordinator_agency_id, m.marac_area, m.starts_at, m.chair, m.venue, m.status, m.created_at, m.updated_at`;

function meetingOf(x: Record<string, unknown>): MeetingRow {
  return {
    id: x.id as string,
    coordinatorAgencyId: x.coordinator_agency_id as string,
    maracArea: x.marac_area as string,
    startsAt: (x.starts_at as Date).toISOString(),
    chair: x.chair as string,
    ...(x.venue ? { venue: x.venue as string } : {}),
    status: x.status as MeetingStatus,
    createdAt: (x.created_at as Date).toISOString(),
    updatedAt: (x.updated_at as Date).toISOString(),
  };
}

/** The meeting if it is this coordinator's (another's looks missing), locked for a change when asked. */
export async function findMeeting(q: Queryable, meetingId: string, coordinatorAgencyId: string, lock = false): Promise<MeetingRow | undefined> {
  const r = await q.query(`SELECT ${MEETING_COLS} FROM meetings m WHERE m.id = $1 AND m.coordinator_agency_id = $2${lock ? ' FOR UPDATE' : ''}`, [meetingId, coordinatorAgencyId]);
  return r.rows[0] ? meetingOf(r.rows[0]) : undefined;
}

export async function insertMeeting(q: Queryable, m: Meeting & { createdBy: string; at: Date }): Promise<void> {
  await q.query(
    `INSERT INTO meetings (id, coordinator_agency_id, marac_area, starts_at, chair, venue, status, created_by, created_at, updated_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9)`,
    [m.id, m.coordinatorAgencyId, m.maracArea, m.startsAt, m.chair, m.venue ?? null, m.status, m.createdBy, m.at],
  );
}

export async function updateMeeting(q: Queryable, id: string, m: Pick<Meeting, 'startsAt' | 'chair' | 'status'> & { venue: string | null }, at: Date): Promise<void> {
  await q.query('UPDATE meetings SET starts_at = $2, chair = $3, venue = $4, status = $5, updated_at = $6 WHERE id = $1', [id, m.startsAt, m.chair, m.venue, m.status, at]);
}

export async function touchMeeting(q: Queryable, id: string, at: Date): Promise<void> {
  await q.query('UPDATE meetings SET updated_at = $2 WHERE id = $1', [id, at]);
}

/** A coordinator's meetings with how many cases each lists: upcoming (from `today`, soonest first) and past (latest first). */
export async function listMeetings(q: Queryable, coordinatorAgencyId: string, today: string, pastLimit: number) {
  const r = await q.query(
    `SELECT ${MEETING_COLS}, (SELECT count(*)::int FROM meeting_cases mc WHERE mc.meeting_id = m.id) AS cases,
            (m.starts_at AT TIME ZONE 'Europe/London')::date >= $2::date AS upcoming
       FROM meetings m
      WHERE m.coordinator_agency_id = $1
        AND ((m.starts_at AT TIME ZONE 'Europe/London')::date >= $2::date
             OR m.id IN (SELECT id FROM meetings p WHERE p.coordinator_agency_id = $1 AND (p.starts_at AT TIME ZONE 'Europe/London')::date < $2::date
                          ORDER BY p.starts_at DESC LIMIT $3))
      ORDER BY m.starts_at`,
    [coordinatorAgencyId, today, pastLimit],
  );
  const all = r.rows.map((x) => ({ ...meetingOf(x), cases: x.cases as number, upcoming: x.upcoming === true }));
  return { upcoming: all.filter((m) => m.upcoming), past: all.filter((m) => !m.upcoming).reverse() };
}

/** The agenda's case ids in position order (locked with the meeting by the caller). */
export async function agendaOrder(q: Queryable, meetingId: string): Promise<string[]> {
  const r = await q.query('SELECT case_id FROM meeting_cases WHERE meeting_id = $1 ORDER BY position', [meetingId]);
  return r.rows.map((x) => x.case_id as string);
}

export async function insertListing(q: Queryable, meetingId: string, caseId: string, position: number, slotMinutes: number): Promise<void> {
  await q.query('INSERT INTO meeting_cases (meeting_id, case_id, position, slot_minutes) VALUES ($1,$2,$3,$4)', [meetingId, caseId, position, slotMinutes]);
}

export async function deleteListing(q: Queryable, meetingId: string, caseId: string): Promise<void> {
  await q.query('DELETE FROM meeting_cases WHERE meeting_id = $1 AND case_id = $2', [meetingId, caseId]);
}

/** Positions 1..n in the given order (the unique constraint is deferred to commit, so swaps pass). */
export async function writeOrder(q: Queryable, meetingId: string, order: readonly string[]): Promise<void> {
  if (order.length === 0) return;
  await q.query(
    `UPDATE meeting_cases mc SET position = o.position
       FROM unnest($2::text[]) WITH ORDINALITY AS o(case_id, position)
      WHERE mc.meeting_id = $1 AND mc.case_id = o.case_id AND mc.position <> o.position`,
    [meetingId, order],
  );
}

export async function findListing(q: Queryable, meetingId: string, caseId: string) {
  const r = await q.query('SELECT position, slot_minutes, outcome FROM meeting_cases WHERE meeting_id = $1 AND case_id = $2', [meetingId, caseId]);
  const x = r.rows[0];
  return x ? { position: x.position as number, slotMinutes: x.slot_minutes as number, outcome: x.outcome as ListingOutcome } : undefined;
}

export async function updateListing(q: Queryable, meetingId: string, caseId: string, v: { slotMinutes: number; outcome: ListingOutcome; heardAt: Date | null }): Promise<void> {
  await q.query(
    'UPDATE meeting_cases SET slot_minutes = $3, outcome = $4, heard_at = $5 WHERE meeting_id = $1 AND case_id = $2',
    [meetingId, caseId, v.slotMinutes, v.outcome, v.heardAt],
  );
}

/** The case's coordinator and status, locked against a concurrent close while it is listed. */
export async function caseForListing(q: Queryable, caseId: string): Promise<{ coordinatorAgencyId: string; status: string } | undefined> {
  const r = await q.query('SELECT coordinator_agency_id, status FROM cases WHERE id = $1 FOR SHARE', [caseId]);
  const x = r.rows[0];
  return x ? { coordinatorAgencyId: x.coordinator_agency_id, status: x.status } : undefined;
}

export async function upsertAttendance(q: Queryable, meetingId: string, a: Attendance, at: Date): Promise<void> {
  await q.query(
    `INSERT INTO meeting_attendance (meeting_id, agency_id, status, representative, information_sent, information_received_on, recorded_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7)
     ON CONFLICT (meeting_id, agency_id) DO UPDATE SET status = EXCLUDED.status, representative = EXCLUDED.representative,
       information_sent = EXCLUDED.information_sent, information_received_on = EXCLUDED.information_received_on, recorded_at = EXCLUDED.recorded_at`,
    [meetingId, a.agencyId, a.status, a.representative ?? null, a.informationSent, a.informationReceivedOn ?? null, at],
  );
}

/**
 * The agencies a coordinator's meetings offer: the parties (other than the coordinator) of its
 * active MARAC agreements (research or action review), less any party an IG officer removed.
 */
export const PARTIES_SQL = `SELECT coalesce(array_agg(DISTINCT p->>'agency' ORDER BY p->>'agency'), '{}') FROM agreement_versions av
      CROSS JOIN LATERAL jsonb_array_elements(av.doc->'parties') p
     WHERE av.status = 'active'
       AND av.doc->'parties' @> jsonb_build_array(jsonb_build_object('agency', $COORD::text))
       AND (av.doc->'purposes' ? 'MARAC_RESEARCH' OR av.doc->'purposes' ? 'MARAC_ACTION_REVIEW')
       AND p->>'agency' <> $COORD::text
       AND NOT EXISTS (SELECT 1 FROM agreement_party_removals r
                        WHERE r.agreement_id = av.agreement_id AND r.agency_id = p->>'agency' AND r.lifted_at IS NULL)`;

export async function partiesOf(q: Queryable, coordinatorAgencyId: string): Promise<string[]> {
  const r = await q.query(`SELECT (${PARTIES_SQL.replaceAll('$COORD', '$1')}) AS parties`, [coordinatorAgencyId]);
  return r.rows[0].parties as string[];
}

/** Query 1 of the agenda read: the meeting, its attendance and the agencies offered. */
export async function meetingWithAttendance(q: Queryable, meetingId: string, coordinatorAgencyId: string) {
  const r = await q.query(
    `SELECT ${MEETING_COLS},
            (SELECT coalesce(json_agg(json_build_object('agencyId', a.agency_id, 'status', a.status, 'representative', a.representative,
                      'informationSent', a.information_sent, 'informationReceivedOn', to_char(a.information_received_on, 'YYYY-MM-DD'))
                      ORDER BY a.agency_id), '[]'::json)
               FROM meeting_attendance a WHERE a.meeting_id = m.id) AS attendance,
            (${PARTIES_SQL.replaceAll('$COORD', '$2')}) AS parties
       FROM meetings m WHERE m.id = $1 AND m.coordinator_agency_id = $2`,
    [meetingId, coordinatorAgencyId],
  );
  const x = r.rows[0];
  if (!x) return undefined;
  const attendance = (x.attendance as { agencyId: string; status: AttendanceStatus; representative: string | null; informationSent: boolean; informationReceivedOn: string | null }[])
    .map((a): Attendance => ({
      agencyId: a.agencyId,
      status: a.status,
      ...(a.representative ? { representative: a.representative } : {}),
      informationSent: a.informationSent,
      ...(a.informationReceivedOn ? { informationReceivedOn: a.informationReceivedOn } : {}),
    }));
  return { meeting: meetingOf(x), attendance, parties: x.parties as string[] };
}

export interface AgendaQueryRow {
  caseId: string;
  position: number;
  slotMinutes: number;
  outcome: ListingOutcome;
  riskBasis: Record<string, unknown> & { criteria: string[] };
  repeatConfirmed: boolean;
  overdueActions: number;
  actionsDueForReview: number;
  outstandingResearch: number;
  caseStatus: string;
  meetingDate: string;
  sealed?: { keyId: string; iv: Buffer; tag: Buffer; ciphertext: Buffer };
}

/**
 * Query 2 of the agenda read: every listing in order with its flags' counts, by index per case
 * (meeting_cases pkey, case_actions (case_id, due_on), messages (case_id), referrals (case_id)).
 * `today` and `meetingDay` are London dates. The sealed columns only when references are wanted.
 */
export async function agendaRows(q: Queryable, meetingId: string, today: string, meetingDay: string, withSealed: boolean): Promise<AgendaQueryRow[]> {
  const r = await q.query(
    `SELECT mc.case_id, mc.position, mc.slot_minutes, mc.outcome, c.risk_basis, c.status AS case_status,
            to_char(c.meeting_date, 'YYYY-MM-DD') AS meeting_date,
            ${withSealed ? 'c.subjects_key_id, c.subjects_iv, c.subjects_tag, c.subjects_ciphertext,' : ''}
            EXISTS (SELECT 1 FROM referrals rf JOIN referral_repeat_matches rm ON rm.referral_id = rf.id
                     WHERE rf.case_id = c.id AND rm.status = 'CONFIRMED') AS repeat_confirmed,
            act.overdue, act.review, msg.outstanding
       FROM meeting_cases mc
       JOIN cases c ON c.id = mc.case_id
       LEFT JOIN LATERAL (
         SELECT count(*) FILTER (WHERE a.due_on < $2::date)::int AS overdue,
                count(*) FILTER (WHERE a.due_on <= $3::date)::int AS review
           FROM case_actions a WHERE a.case_id = c.id AND a.status = 'OPEN') act ON true
       LEFT JOIN LATERAL (
         SELECT count(*)::int AS outstanding FROM messages m
          WHERE m.case_id = c.id AND m.state NOT IN ('responded', 'declined')) msg ON true
      WHERE mc.meeting_id = $1
      ORDER BY mc.position`,
    [meetingId, today, meetingDay],
  );
  return r.rows.map((x) => ({
    caseId: x.case_id,
    position: x.position,
    slotMinutes: x.slot_minutes,
    outcome: x.outcome,
    riskBasis: x.risk_basis,
    repeatConfirmed: x.repeat_confirmed === true,
    overdueActions: x.overdue ?? 0,
    actionsDueForReview: x.review ?? 0,
    outstandingResearch: x.outstanding ?? 0,
    caseStatus: x.case_status,
    meetingDate: x.meeting_date,
    ...(withSealed ? { sealed: { keyId: x.subjects_key_id, iv: x.subjects_iv, tag: x.subjects_tag, ciphertext: x.subjects_ciphertext } } : {}),
  }));
}

/** The meetings a case is listed at (the case page's "Listed at"), soonest first; undefined when the case is not this coordinator's. */
export async function listingsOfCase(q: Queryable, caseId: string, coordinatorAgencyId: string) {
  const r = await q.query(
    `SELECT m.id, m.starts_at, m.status, mc.position, mc.outcome
       FROM cases c
       LEFT JOIN meeting_cases mc ON mc.case_id = c.id
       LEFT JOIN meetings m ON m.id = mc.meeting_id AND m.coordinator_agency_id = $2
      WHERE c.id = $1 AND c.coordinator_agency_id = $2
      ORDER BY m.starts_at`,
    [caseId, coordinatorAgencyId],
  );
  if (r.rows.length === 0) return undefined;
  return r.rows.filter((x) => x.id).map((x) => ({
    meetingId: x.id as string, startsAt: (x.starts_at as Date).toISOString(), status: x.status as MeetingStatus, position: x.position as number, outcome: x.outcome as ListingOutcome,
  }));
}

/** The coordinator's open cases not yet on this meeting (the add-a-case form), most recent meeting date first. */
export async function openCasesNotListed(q: Queryable, coordinatorAgencyId: string, meetingId: string, limit: number) {
  const r = await q.query(
    `SELECT c.id, to_char(c.meeting_date, 'YYYY-MM-DD') AS meeting_date, c.subjects_key_id, c.subjects_iv, c.subjects_tag, c.subjects_ciphertext
       FROM cases c
      WHERE c.coordinator_agency_id = $1 AND c.status = 'OPEN'
        AND NOT EXISTS (SELECT 1 FROM meeting_cases mc WHERE mc.meeting_id = $2 AND mc.case_id = c.id)
      ORDER BY c.meeting_date DESC, c.created_at DESC LIMIT $3`,
    [coordinatorAgencyId, meetingId, limit],
  );
  return r.rows.map((x) => ({
    caseId: x.id as string,
    meetingDate: x.meeting_date as string,
    sealed: { keyId: x.subjects_key_id, iv: x.subjects_iv, tag: x.subjects_tag, ciphertext: x.subjects_ciphertext },
  }));
}
