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

/**
 * The coordinator circulates a meeting's research packs or minutes over the agency API
 * (POST /v1/meetings/{meetingId}/circulate). Nothing reaches a partner before (decision 0033).
 * Minutes go out once the meeting has started: a PLANNED meeting is moved on first, straight in
 * its row (the meeting service's own step is tested with it). Returns the (case, agency) pairs.
 */
export async function circulate(
  pool: pg.Pool,
  coordinator: { post(path: string, body?: unknown): Promise<{ status: number; body: any }> },
  meetingId: string,
  kind: 'pack' | 'minutes',
): Promise<{ caseId: string; agencyId: string }[]> {
  if (kind === 'minutes') await pool.query(`UPDATE meetings SET status = 'IN_PROGRESS' WHERE id = $1 AND status = 'PLANNED'`, [meetingId]);
  const r = await coordinator.post(`/v1/meetings/${meetingId}/circulate`, { kind });
  if (r.status !== 200) throw new Error(`circulate ${kind}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.circulated;
}
