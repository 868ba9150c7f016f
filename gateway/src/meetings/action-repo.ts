/**
 * SQL for the action plan (case_actions, case_action_updates; migration 0016). Plaintext columns
 * hold ids, dates and states; the description and the notes are sealed by the service.
 */
import type { Queryable } from '../store/db.js';
import type { Sealed } from '../store/sealed-box.js';
import type { ActionKind, ActionStatus } from './types.js';

export interface ActionRow {
  id: string;
  caseId: string;
  meetingId: string | null;
  kind: ActionKind;
  ownerAgencyId: string;
  dueOn: string;
  status: ActionStatus;
  sealed: Sealed;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
  coordinatorAgencyId: string;
}

export interface UpdateRow {
  id: string;
  actionId: string;
  at: Date;
  byAgencyId: string;
  byActor: string;
  status: ActionStatus;
  sealed: Sealed | null;
}

const COLUMNS = `a.id, a.case_id, a.meeting_id, a.kind, a.owner_agency_id, to_char(a.due_on, 'YYYY-MM-DD') AS due_on, a.status,
  a.sealed_key_id, a.sealed_iv, a.sealed_tag, a.sealed_ciphertext, a.created_by, a.created_at, a.updated_at, a.closed_at,
  c.coordinator_agency_id`;

/* eslint-disable @typescript-eslint/no-explicit-any */
function toRow(r: any): ActionRow {
  return {
    id: r.id,
    caseId: r.case_id,
    meetingId: r.meeting_id,
    kind: r.kind,
    ownerAgencyId: r.owner_agency_id,
    dueOn: r.due_on,
    status: r.status,
    sealed: { keyId: r.sealed_key_id, iv: r.sealed_iv, tag: r.sealed_tag, ciphertext: r.sealed_ciphertext },
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    closedAt: r.closed_at,
    coordinatorAgencyId: r.coordinator_agency_id,
  };
}

export async function insertAction(
  q: Queryable,
  a: { id: string; caseId: string; meetingId?: string; kind: ActionKind; ownerAgencyId: string; dueOn: string; sealed: Sealed; by: string; at: Date },
): Promise<void> {
  await q.query(
    `INSERT INTO case_actions (id, case_id, meeting_id, kind, owner_agency_id, due_on, status,
       sealed_key_id, sealed_iv, sealed_tag, sealed_ciphertext, created_by, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'OPEN', $7, $8, $9, $10, $11, $12, $12)`,
    [a.id, a.caseId, a.meetingId ?? null, a.kind, a.ownerAgencyId, a.dueOn, a.sealed.keyId, a.sealed.iv, a.sealed.tag, a.sealed.ciphertext, a.by, a.at],
  );
}

export async function findAction(q: Queryable, id: string, lock = false): Promise<ActionRow | undefined> {
  const { rows } = await q.query(
    `SELECT ${COLUMNS} FROM case_actions a JOIN cases c ON c.id = a.case_id WHERE a.id = $1${lock ? ' FOR NO KEY UPDATE OF a' : ''}`,
    [id],
  );
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** A case's actions, earliest due first. */
export async function actionsOfCase(q: Queryable, caseId: string): Promise<ActionRow[]> {
  const { rows } = await q.query(
    `SELECT ${COLUMNS} FROM case_actions a JOIN cases c ON c.id = a.case_id WHERE a.case_id = $1 ORDER BY a.due_on, a.created_at, a.id`,
    [caseId],
  );
  return rows.map(toRow);
}

/** An owner agency's actions: open ones first, then by due date. */
export async function actionsOwnedBy(q: Queryable, agencyId: string, openOnly: boolean, limit = 500): Promise<ActionRow[]> {
  const { rows } = await q.query(
    `SELECT ${COLUMNS} FROM case_actions a JOIN cases c ON c.id = a.case_id
      WHERE a.owner_agency_id = $1${openOnly ? " AND a.status = 'OPEN'" : ''}
      ORDER BY (a.status = 'OPEN') DESC, a.due_on, a.id LIMIT ${limit}`,
    [agencyId],
  );
  return rows.map(toRow);
}

export async function setStatus(q: Queryable, id: string, status: ActionStatus, at: Date): Promise<void> {
  await q.query(
    `UPDATE case_actions SET status = $2, updated_at = $3, closed_at = CASE WHEN $2 = 'OPEN' THEN NULL ELSE $3::timestamptz END WHERE id = $1`,
    [id, status, at],
  );
}

export async function insertUpdate(
  q: Queryable,
  u: { id: string; actionId: string; at: Date; byAgencyId: string; byActor: string; status: ActionStatus; sealed?: Sealed },
): Promise<void> {
  await q.query(
    `INSERT INTO case_action_updates (id, action_id, at, by_agency_id, by_actor, status, sealed_key_id, sealed_iv, sealed_tag, sealed_ciphertext)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [u.id, u.actionId, u.at, u.byAgencyId, u.byActor, u.status, u.sealed?.keyId ?? null, u.sealed?.iv ?? null, u.sealed?.tag ?? null, u.sealed?.ciphertext ?? null],
  );
}

/** Updates of many actions, oldest first per action. */
export async function updatesOf(q: Queryable, actionIds: string[]): Promise<Map<string, UpdateRow[]>> {
  const out = new Map<string, UpdateRow[]>();
  if (actionIds.length === 0) return out;
  const { rows } = await q.query(
    `SELECT id, action_id, at, by_agency_id, by_actor, status, sealed_key_id, sealed_iv, sealed_tag, sealed_ciphertext
       FROM case_action_updates WHERE action_id = ANY($1::text[]) ORDER BY at, id`,
    [actionIds],
  );
  for (const r of rows as any[]) {
    const list = out.get(r.action_id) ?? [];
    list.push({
      id: r.id, actionId: r.action_id, at: r.at, byAgencyId: r.by_agency_id, byActor: r.by_actor, status: r.status,
      sealed: r.sealed_key_id ? { keyId: r.sealed_key_id, iv: r.sealed_iv, tag: r.sealed_tag, ciphertext: r.sealed_ciphertext } : null,
    });
    out.set(r.action_id, list);
  }
  return out;
}
