/**
 * The transfers table (migration 0022_transfers.sql): plain functions over a Queryable. Ids,
 * areas, states, reason codes and times in plain columns; the released bundle sealed.
 */
import type { Queryable } from '../store/db.js';
import type { Sealed } from '../store/sealed-box.js';

export type TransferStatus = 'OFFERED' | 'ACCEPTED' | 'REFUSED' | 'WITHDRAWN';

export interface TransferRow {
  id: string;
  fromCaseId: string;
  fromCoordinatorAgencyId: string;
  fromMaracArea: string;
  toCoordinatorAgencyId: string;
  toMaracArea: string;
  agreementId: string;
  agreementVersion: number;
  status: TransferStatus;
  sealed: Sealed;
  refusalReason: string | null;
  toCaseId: string | null;
  offeredAt: Date;
  decidedAt: Date | null;
}

const COLUMNS = `id, from_case_id, from_coordinator_agency_id, from_marac_area, to_coordinator_agency_id, to_marac_area,
  agreement_id, agreement_version, status, bundle_key_id, bundle_iv, bundle_tag, bundle_ciphertext,
  refusal_reason, to_case_id, offered_at, decided_at`;

function toRow(r: Record<string, any>): TransferRow {
  return {
    id: r.id,
    fromCaseId: r.from_case_id,
    fromCoordinatorAgencyId: r.from_coordinator_agency_id,
    fromMaracArea: r.from_marac_area,
    toCoordinatorAgencyId: r.to_coordinator_agency_id,
    toMaracArea: r.to_marac_area,
    agreementId: r.agreement_id,
    agreementVersion: r.agreement_version,
    status: r.status,
    sealed: { keyId: r.bundle_key_id, iv: r.bundle_iv, tag: r.bundle_tag, ciphertext: r.bundle_ciphertext },
    refusalReason: r.refusal_reason,
    toCaseId: r.to_case_id,
    offeredAt: r.offered_at,
    decidedAt: r.decided_at,
  };
}

export async function findTransfer(q: Queryable, id: string, lock = false): Promise<TransferRow | undefined> {
  const { rows } = await q.query(`SELECT ${COLUMNS} FROM transfers WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** An offer still open, or a transfer accepted, of this case to this coordinator. */
export async function findLive(q: Queryable, caseId: string, toAgencyId: string): Promise<TransferRow | undefined> {
  const { rows } = await q.query(
    `SELECT ${COLUMNS} FROM transfers WHERE from_case_id = $1 AND to_coordinator_agency_id = $2 AND status IN ('OFFERED', 'ACCEPTED')`,
    [caseId, toAgencyId],
  );
  return rows[0] ? toRow(rows[0]) : undefined;
}

export async function insertTransfer(q: Queryable, t: Omit<TransferRow, 'status' | 'refusalReason' | 'toCaseId' | 'decidedAt'> & { offeredBy: string }): Promise<void> {
  await q.query(
    `INSERT INTO transfers (id, from_case_id, from_coordinator_agency_id, from_marac_area, to_coordinator_agency_id, to_marac_area,
       agreement_id, agreement_version, bundle_key_id, bundle_iv, bundle_tag, bundle_ciphertext, offered_by, offered_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
    [t.id, t.fromCaseId, t.fromCoordinatorAgencyId, t.fromMaracArea, t.toCoordinatorAgencyId, t.toMaracArea,
      t.agreementId, t.agreementVersion, t.sealed.keyId, t.sealed.iv, t.sealed.tag, t.sealed.ciphertext, t.offeredBy, t.offeredAt],
  );
}

/** From OFFERED only: false when someone decided first. */
export async function decideTransfer(
  q: Queryable,
  id: string,
  d: { status: Exclude<TransferStatus, 'OFFERED'>; by: string; at: Date; toCaseId?: string; refusalReason?: string },
): Promise<boolean> {
  const r = await q.query(
    `UPDATE transfers SET status = $2, decided_by = $3, decided_at = $4, to_case_id = $5, refusal_reason = $6
      WHERE id = $1 AND status = 'OFFERED'`,
    [id, d.status, d.by, d.at, d.toCaseId ?? null, d.refusalReason ?? null],
  );
  return (r.rowCount ?? 0) === 1;
}

/** An agency's transfers, newest first: offers it received, or offers it made. */
export async function listTransfers(
  q: Queryable,
  agencyId: string,
  direction: 'incoming' | 'outgoing',
  status: TransferStatus | undefined,
  limit: number,
  offset: number,
): Promise<{ total: number; rows: TransferRow[] }> {
  const col = direction === 'incoming' ? 'to_coordinator_agency_id' : 'from_coordinator_agency_id';
  const where = `${col} = $1${status ? ' AND status = $2' : ''}`;
  const params: unknown[] = status ? [agencyId, status] : [agencyId];
  const total = await q.query(`SELECT count(*)::int AS n FROM transfers WHERE ${where}`, params);
  const { rows } = await q.query(
    `SELECT ${COLUMNS} FROM transfers WHERE ${where} ORDER BY offered_at DESC, id LIMIT ${Number(limit)} OFFSET ${Number(offset)}`,
    params,
  );
  return { total: total.rows[0].n, rows: rows.map(toRow) };
}

/** The transfers a case is part of: offered from it, or the one it was opened from. */
export async function transfersOfCase(q: Queryable, caseId: string): Promise<TransferRow[]> {
  const { rows } = await q.query(
    `SELECT ${COLUMNS} FROM transfers WHERE from_case_id = $1 OR to_case_id = $1 ORDER BY offered_at DESC, id`,
    [caseId],
  );
  return rows.map(toRow);
}
