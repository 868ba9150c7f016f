/**
 * A meeting with an agenda, written straight into the tables of migration 0016 (the meeting
 * service owns scheduling; these tests are about what happens at and after the meeting).
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';

export const newMeetingId = () => `mtg_${randomUUID().replaceAll('-', '')}`;

/** The London calendar day `days` from now, YYYY-MM-DD. */
export function dayFromNow(days: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date(Date.now() + days * 86_400_000));
}

export async function seedMeeting(
  pool: pg.Pool,
  opts: { coordinator?: string; day: string; caseIds: string[]; status?: string },
): Promise<string> {
  const id = newMeetingId();
  await pool.query(
    `INSERT INTO meetings (id, coordinator_agency_id, marac_area, starts_at, chair, status, created_by)
     VALUES ($1, $2, 'essex', ($3::date + time '10:00') AT TIME ZONE 'Europe/London', 'Chair of the MARAC', $4, 'test')`,
    [id, opts.coordinator ?? 'essex-marat', opts.day, opts.status ?? 'PLANNED'],
  );
  for (const [i, caseId] of opts.caseIds.entries()) {
    await pool.query('INSERT INTO meeting_cases (meeting_id, case_id, position) VALUES ($1, $2, $3)', [id, caseId, i + 1]);
  }
  return id;
}
