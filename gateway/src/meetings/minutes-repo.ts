/**
 * SQL for the minutes of a case at a meeting (table case_minutes, migration 0016). Plain functions
 * over a Queryable so the service runs them in its transaction, next to the audit append.
 */
import type { Queryable } from '../store/db.js';
import type { Sealed } from '../store/sealed-box.js';
import type { MeetingStatus } from './types.js';

export interface CaseRef {
  coordinatorAgencyId: string;
  subjectTokens: string[];
}

export interface ListingRef {
  coordinatorAgencyId: string;
  status: MeetingStatus;
  /** The meeting's London calendar day, YYYY-MM-DD. */
  meetingDay: string;
  onAgenda: boolean;
}

export interface MinutesRow {
  sealed: Sealed;
  version: number;
  recordedBy: string;
  recordedAt: Date;
  updatedAt: Date;
}

export async function findCaseRef(q: Queryable, caseId: string): Promise<CaseRef | undefined> {
  const { rows } = await q.query('SELECT coordinator_agency_id, subject_tokens FROM cases WHERE id = $1', [caseId]);
  const r = rows[0] as { coordinator_agency_id: string; subject_tokens: string[] } | undefined;
  return r ? { coordinatorAgencyId: r.coordinator_agency_id, subjectTokens: r.subject_tokens } : undefined;
}

/** The meeting and whether the case is listed at it; `lock` takes the listing row for the save. */
export async function findListing(q: Queryable, meetingId: string, caseId: string, lock = false): Promise<ListingRef | undefined> {
  const { rows } = await q.query(
    `SELECT m.coordinator_agency_id, m.status, to_char(m.starts_at AT TIME ZONE 'Europe/London', 'YYYY-MM-DD') AS day,
            EXISTS (SELECT 1 FROM meeting_cases mc WHERE mc.meeting_id = m.id AND mc.case_id = $2) AS on_agenda
       FROM meetings m WHERE m.id = $1`,
    [meetingId, caseId],
  );
  const r = rows[0] as { coordinator_agency_id: string; status: MeetingStatus; day: string; on_agenda: boolean } | undefined;
  if (!r) return undefined;
  if (lock && r.on_agenda) {
    await q.query('SELECT 1 FROM meeting_cases WHERE meeting_id = $1 AND case_id = $2 FOR NO KEY UPDATE', [meetingId, caseId]);
  }
  return { coordinatorAgencyId: r.coordinator_agency_id, status: r.status, meetingDay: r.day, onAgenda: r.on_agenda };
}

export async function findMinutes(q: Queryable, meetingId: string, caseId: string): Promise<MinutesRow | undefined> {
  const { rows } = await q.query(
    `SELECT sealed_key_id, sealed_iv, sealed_tag, sealed_ciphertext, version, recorded_by, recorded_at, updated_at
       FROM case_minutes WHERE meeting_id = $1 AND case_id = $2`,
    [meetingId, caseId],
  );
  /* eslint-disable-next-line @typescript-eslint/no-explicit-any */
  const r = rows[0] as any;
  if (!r) return undefined;
  return {
    sealed: { keyId: r.sealed_key_id, iv: r.sealed_iv, tag: r.sealed_tag, ciphertext: r.sealed_ciphertext },
    version: r.version,
    recordedBy: r.recorded_by,
    recordedAt: r.recorded_at,
    updatedAt: r.updated_at,
  };
}

/** Meetings (id, day) at which the case's minutes were recorded, newest first. */
export async function minutedMeetings(q: Queryable, caseId: string): Promise<{ meetingId: string; version: number }[]> {
  const { rows } = await q.query(
    `SELECT cm.meeting_id, cm.version FROM case_minutes cm JOIN meetings m ON m.id = cm.meeting_id
      WHERE cm.case_id = $1 ORDER BY m.starts_at DESC`,
    [caseId],
  );
  return (rows as { meeting_id: string; version: number }[]).map((r) => ({ meetingId: r.meeting_id, version: r.version }));
}

export async function insertMinutes(q: Queryable, m: { meetingId: string; caseId: string; sealed: Sealed; by: string; at: Date }): Promise<void> {
  await q.query(
    `INSERT INTO case_minutes (meeting_id, case_id, sealed_key_id, sealed_iv, sealed_tag, sealed_ciphertext, version, recorded_by, recorded_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $8)`,
    [m.meetingId, m.caseId, m.sealed.keyId, m.sealed.iv, m.sealed.tag, m.sealed.ciphertext, m.by, m.at],
  );
}

/** Saves over `expectedVersion` only: 0 rows when someone else saved first. */
export async function updateMinutes(
  q: Queryable,
  m: { meetingId: string; caseId: string; sealed: Sealed; by: string; at: Date; expectedVersion: number },
): Promise<boolean> {
  const r = await q.query(
    `UPDATE case_minutes SET sealed_key_id = $3, sealed_iv = $4, sealed_tag = $5, sealed_ciphertext = $6,
            version = version + 1, recorded_by = $7, updated_at = $8
      WHERE meeting_id = $1 AND case_id = $2 AND version = $9`,
    [m.meetingId, m.caseId, m.sealed.keyId, m.sealed.iv, m.sealed.tag, m.sealed.ciphertext, m.by, m.at, m.expectedVersion],
  );
  return (r.rowCount ?? 0) === 1;
}
