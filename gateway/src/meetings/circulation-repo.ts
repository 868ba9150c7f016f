/**
 * What the circulation reads (docs/decisions/0027): whether an agency is a party to a case, the
 * minutes and actions of a listing (unsealed), and the research answers of a case. Plain
 * functions over a Queryable. Sealing is the minutes and action services'; both open with the
 * labels of meetings/sealing.ts.
 */
import { caseKeyId, openerFor } from '../store/case-keys.js';
import type { Queryable } from '../store/db.js';
import type { Sealer } from '../store/sealed-box.js';
import { actionsOfCase, updatesOf } from './action-repo.js';
import { findMinutes } from './minutes-repo.js';
import { actionAad, actionNoteAad as noteAad, minutesAad } from './sealing.js';
import type { CaseAction, MinutesDocument } from './types.js';

/**
 * A party to a case, for circulation: an agency asked for research on it, owning one of its
 * actions, or recorded in the attendance of a meeting that listed it. Anyone else is told the
 * case does not exist.
 */
export async function isCaseParty(q: Queryable, caseId: string, agencyId: string): Promise<boolean> {
  const { rows } = await q.query(
    `SELECT (EXISTS (SELECT 1 FROM messages WHERE case_id = $1 AND recipient_agency_id = $2)
          OR EXISTS (SELECT 1 FROM case_actions WHERE case_id = $1 AND owner_agency_id = $2)
          OR EXISTS (SELECT 1 FROM meeting_cases mc JOIN meeting_attendance a ON a.meeting_id = mc.meeting_id
                      WHERE mc.case_id = $1 AND a.agency_id = $2)) AS party`,
    [caseId, agencyId],
  );
  return rows[0]?.party === true;
}

export interface ListingInfo {
  coordinatorAgencyId: string;
  status: string;
  startsAt: string;
  onAgenda: boolean;
}

export async function findMeetingListing(q: Queryable, meetingId: string, caseId: string): Promise<ListingInfo | undefined> {
  const { rows } = await q.query(
    `SELECT m.coordinator_agency_id, m.status, m.starts_at,
            EXISTS (SELECT 1 FROM meeting_cases mc WHERE mc.meeting_id = m.id AND mc.case_id = $2) AS on_agenda
       FROM meetings m WHERE m.id = $1`,
    [meetingId, caseId],
  );
  const r = rows[0];
  if (!r) return undefined;
  return { coordinatorAgencyId: r.coordinator_agency_id, status: r.status, startsAt: r.starts_at.toISOString(), onAgenda: r.on_agenda };
}

export async function readMinutes(q: Queryable, sealer: Sealer, meetingId: string, caseId: string): Promise<MinutesDocument | undefined> {
  const row = await findMinutes(q, meetingId, caseId);
  return row ? ((await openerFor(sealer, q, [row.sealed.keyId])).open(row.sealed, minutesAad(meetingId, caseId)) as MinutesDocument) : undefined;
}

/** The case's actions, unsealed, in the plan's order (due date, then creation); optionally one meeting's only. */
export async function readActions(q: Queryable, sealer: Sealer, caseId: string, meetingId?: string): Promise<CaseAction[]> {
  const rows = (await actionsOfCase(q, caseId)).filter((a) => meetingId === undefined || a.meetingId === meetingId);
  const updates = await updatesOf(q, rows.map((a) => a.id));
  // The case's own key (store/case-keys.ts); values from before 0021 open under the master key.
  const opener = await openerFor(sealer, q, [caseKeyId(caseId), ...rows.map((a) => a.sealed.keyId)]);
  return rows.map((a) => ({
    id: a.id,
    caseId: a.caseId,
    ...(a.meetingId ? { meetingId: a.meetingId } : {}),
    kind: a.kind,
    ownerAgencyId: a.ownerAgencyId,
    dueOn: a.dueOn,
    status: a.status,
    description: (opener.open(a.sealed, actionAad(a.id)) as { description: string }).description,
    updates: (updates.get(a.id) ?? []).map((u) => ({
      at: u.at.toISOString(),
      byAgencyId: u.byAgencyId,
      status: u.status,
      ...(u.sealed ? { note: (opener.open(u.sealed, noteAad(u.id)) as { note: string }).note } : {}),
    })),
  }));
}

export interface AnswerRow {
  messageId: string;
  requestId: string;
  recipientAgencyId: string;
  state: string;
  answeredAt: Date | null;
  askedAt: Date;
  agreementId: string;
  agreementVersion: number;
  answerKind: string | null;
  sealed: { keyId: string; iv: Buffer; tag: Buffer; ciphertext: Buffer } | undefined;
}

/** Every research message of the case with its answer (if any), oldest request first. */
export async function readAnswers(q: Queryable, caseId: string): Promise<AnswerRow[]> {
  const { rows } = await q.query(
    `SELECT m.id, m.request_id, m.recipient_agency_id, m.state, m.answered_at, m.agreement_id, m.agreement_version,
            r.created_at AS asked_at, x.kind AS answer_kind, x.key_id, x.iv, x.tag, x.ciphertext
       FROM messages m JOIN research_requests r ON r.id = m.request_id
       LEFT JOIN responses x ON x.message_id = m.id
      WHERE m.case_id = $1 ORDER BY r.created_at, m.request_id, m.recipient_agency_id`,
    [caseId],
  );
  return rows.map((m) => ({
    messageId: m.id,
    requestId: m.request_id,
    recipientAgencyId: m.recipient_agency_id,
    state: m.state,
    answeredAt: m.answered_at,
    askedAt: m.asked_at,
    agreementId: m.agreement_id,
    agreementVersion: m.agreement_version,
    answerKind: m.answer_kind,
    sealed: m.ciphertext ? { keyId: m.key_id, iv: m.iv, tag: m.tag, ciphertext: m.ciphertext } : undefined,
  }));
}

/**
 * Copies the minutes as they are now into circulated_minutes (the same sealed bytes: nothing is
 * unsealed to copy them; docs/decisions/0033) and returns their version, or undefined when none
 * were recorded. A version already copied is kept as it is.
 */
export async function snapshotMinutes(q: Queryable, meetingId: string, caseId: string, at: Date): Promise<number | undefined> {
  const { rows } = await q.query<{ version: number }>(
    `WITH cur AS (
       SELECT meeting_id, case_id, version, sealed_key_id, sealed_iv, sealed_tag, sealed_ciphertext
         FROM case_minutes WHERE meeting_id = $1 AND case_id = $2),
     ins AS (
       INSERT INTO circulated_minutes (meeting_id, case_id, version, sealed_key_id, sealed_iv, sealed_tag, sealed_ciphertext, circulated_at)
       SELECT meeting_id, case_id, version, sealed_key_id, sealed_iv, sealed_tag, sealed_ciphertext, $3 FROM cur
       ON CONFLICT (meeting_id, case_id, version) DO NOTHING)
     SELECT version FROM cur`,
    [meetingId, caseId, at],
  );
  return rows[0]?.version;
}

/** The version of the minutes circulated to the agency and when; undefined: not circulated to it (or before versions were kept). */
export async function circulatedMinutesOf(
  q: Queryable, meetingId: string, caseId: string, agencyId: string,
): Promise<{ version: number; at: Date } | undefined> {
  const { rows } = await q.query<{ minutes_version: number | null; circulated_at: Date }>(
    `SELECT minutes_version, circulated_at FROM meeting_circulations
      WHERE meeting_id = $1 AND case_id = $2 AND kind = 'minutes' AND agency_id = $3`,
    [meetingId, caseId, agencyId],
  );
  const r = rows[0];
  return r && r.minutes_version !== null ? { version: r.minutes_version, at: r.circulated_at } : undefined;
}

/** One circulated version of the minutes, unsealed (the same key and additional data as case_minutes). */
export async function readCirculatedMinutes(q: Queryable, sealer: Sealer, meetingId: string, caseId: string, version: number): Promise<MinutesDocument | undefined> {
  const { rows } = await q.query(
    `SELECT sealed_key_id, sealed_iv, sealed_tag, sealed_ciphertext FROM circulated_minutes
      WHERE meeting_id = $1 AND case_id = $2 AND version = $3`,
    [meetingId, caseId, version],
  );
  const r = rows[0] as { sealed_key_id: string; sealed_iv: Buffer; sealed_tag: Buffer; sealed_ciphertext: Buffer } | undefined;
  if (!r) return undefined;
  const sealed = { keyId: r.sealed_key_id, iv: r.sealed_iv, tag: r.sealed_tag, ciphertext: r.sealed_ciphertext };
  return (await openerFor(sealer, q, [sealed.keyId])).open(sealed, minutesAad(meetingId, caseId)) as MinutesDocument;
}

/** When the research pack of the case was last circulated to the agency (at any meeting); undefined: never. */
export async function packCirculatedAt(q: Queryable, caseId: string, agencyId: string): Promise<Date | undefined> {
  const { rows } = await q.query<{ at: Date | null }>(
    `SELECT max(circulated_at) AS at FROM meeting_circulations WHERE case_id = $1 AND agency_id = $2 AND kind = 'pack'`,
    [caseId, agencyId],
  );
  return rows[0]?.at ?? undefined;
}

/** The meetings whose minutes of the case were circulated to the agency (a version it may read). */
export async function minutesCirculatedTo(q: Queryable, caseId: string, agencyId: string): Promise<Set<string>> {
  const { rows } = await q.query<{ meeting_id: string }>(
    `SELECT meeting_id FROM meeting_circulations
      WHERE case_id = $1 AND agency_id = $2 AND kind = 'minutes' AND minutes_version IS NOT NULL`,
    [caseId, agencyId],
  );
  return new Set(rows.map((r) => r.meeting_id));
}

/** Records that the case's pack or minutes were circulated to the agency at the meeting (the minutes: which version). */
export async function recordCirculation(
  q: Queryable, c: { meetingId: string; caseId: string; kind: 'pack' | 'minutes'; agencyId: string; at: Date; minutesVersion?: number },
): Promise<void> {
  await q.query(
    `INSERT INTO meeting_circulations (meeting_id, case_id, kind, agency_id, circulated_at, minutes_version) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (meeting_id, case_id, kind, agency_id) DO UPDATE SET circulated_at = EXCLUDED.circulated_at, minutes_version = EXCLUDED.minutes_version`,
    [c.meetingId, c.caseId, c.kind, c.agencyId, c.at, c.minutesVersion ?? null],
  );
}
