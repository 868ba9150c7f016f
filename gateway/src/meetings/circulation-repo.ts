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
