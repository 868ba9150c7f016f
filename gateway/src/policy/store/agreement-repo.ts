/**
 * SQL for agreements and their versions. Plain functions over a Queryable so the lifecycle
 * service can run them inside its own transaction, next to the audit append.
 */
import type { Queryable } from '../../store/db.js';

export type VersionStatus = 'draft' | 'approved' | 'active' | 'suspended' | 'expired' | 'superseded';
export const VERSION_STATUSES: readonly VersionStatus[] = ['draft', 'approved', 'active', 'suspended', 'expired', 'superseded'];

/** A version without its document: what lists and status checks need. */
export interface VersionSummary {
  agreementId: string;
  version: number;
  status: VersionStatus;
  docDigest: string;
  createdBy: string;
  createdAt: Date;
  authors: string[];
  updatedAt: Date;
  approvedBy: string | null;
  approvedAt: Date | null;
  activatedBy: string | null;
  activatedAt: Date | null;
  suspendedBy: string | null;
  suspendedAt: Date | null;
  expiredBy: string | null;
  expiredAt: Date | null;
  supersededAt: Date | null;
  /** Why it was suspended (IG officers' words; kept here, only its digest goes to the audit log). */
  suspendReason: string | null;
  resumedBy: string | null;
  resumedAt: Date | null;
}

export interface VersionRecord extends VersionSummary {
  doc: Record<string, unknown>;
}

export interface AgreementRow {
  id: string;
  title: string;
  createdAt: Date;
}

const SUMMARY_COLUMNS = `agreement_id, version, status, doc_digest, created_by, created_at, authors, updated_at,
  approved_by, approved_at, activated_by, activated_at, suspended_by, suspended_at, expired_by, expired_at, superseded_at,
  suspend_reason, resumed_by, resumed_at`;

interface VersionRow {
  agreement_id: string;
  version: number;
  status: VersionStatus;
  doc_digest: string;
  created_by: string;
  created_at: Date;
  authors: string[];
  updated_at: Date;
  approved_by: string | null;
  approved_at: Date | null;
  activated_by: string | null;
  activated_at: Date | null;
  suspended_by: string | null;
  suspended_at: Date | null;
  expired_by: string | null;
  expired_at: Date | null;
  superseded_at: Date | null;
  suspend_reason: string | null;
  resumed_by: string | null;
  resumed_at: Date | null;
  doc_text?: string;
}

function toSummary(r: VersionRow): VersionSummary {
  return {
    agreementId: r.agreement_id,
    version: r.version,
    status: r.status,
    docDigest: r.doc_digest,
    createdBy: r.created_by,
    createdAt: r.created_at,
    authors: r.authors,
    updatedAt: r.updated_at,
    approvedBy: r.approved_by,
    approvedAt: r.approved_at,
    activatedBy: r.activated_by,
    activatedAt: r.activated_at,
    suspendedBy: r.suspended_by,
    suspendedAt: r.suspended_at,
    expiredBy: r.expired_by,
    expiredAt: r.expired_at,
    supersededAt: r.superseded_at,
    suspendReason: r.suspend_reason,
    resumedBy: r.resumed_by,
    resumedAt: r.resumed_at,
  };
}

function toRecord(r: VersionRow): VersionRecord {
  return { ...toSummary(r), doc: JSON.parse(r.doc_text ?? '{}') as Record<string, unknown> };
}

export async function findAgreement(q: Queryable, id: string, forUpdate = false): Promise<AgreementRow | undefined> {
  const { rows } = await q.query<{ id: string; title: string; created_at: Date }>(
    `SELECT id, title, created_at FROM agreements WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  const r = rows[0];
  return r && { id: r.id, title: r.title, createdAt: r.created_at };
}

export async function listAgreements(q: Queryable): Promise<AgreementRow[]> {
  const { rows } = await q.query<{ id: string; title: string; created_at: Date }>(
    'SELECT id, title, created_at FROM agreements ORDER BY id',
  );
  return rows.map((r) => ({ id: r.id, title: r.title, createdAt: r.created_at }));
}

/** Inserts the agreement row if it is new; returns true if it was created. */
export async function insertAgreementIfNew(q: Queryable, id: string, title: string, at: Date): Promise<boolean> {
  const { rowCount } = await q.query(
    'INSERT INTO agreements (id, title, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
    [id, title, at],
  );
  return rowCount === 1;
}

export async function updateAgreementTitle(q: Queryable, id: string, title: string): Promise<void> {
  await q.query('UPDATE agreements SET title = $2 WHERE id = $1', [id, title]);
}

export async function nextVersionNumber(q: Queryable, id: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    'SELECT COALESCE(MAX(version), 0)::int + 1 AS n FROM agreement_versions WHERE agreement_id = $1',
    [id],
  );
  return rows[0]?.n ?? 1;
}

export interface NewVersion {
  agreementId: string;
  version: number;
  doc: Record<string, unknown>;
  docDigest: string;
  createdBy: string;
  at: Date;
}

export async function insertDraft(q: Queryable, v: NewVersion): Promise<void> {
  await q.query(
    `INSERT INTO agreement_versions (agreement_id, version, doc, doc_text, doc_digest, status, created_by, created_at, authors, updated_at)
     VALUES ($1, $2, $3::text::jsonb, $3::text, $4, 'draft', $5, $6, ARRAY[$5::text], $6)`,
    [v.agreementId, v.version, JSON.stringify(v.doc), v.docDigest, v.createdBy, v.at],
  );
}

export async function findVersion(q: Queryable, id: string, version: number, forUpdate = false): Promise<VersionRecord | undefined> {
  const { rows } = await q.query<VersionRow>(
    `SELECT ${SUMMARY_COLUMNS}, doc_text FROM agreement_versions WHERE agreement_id = $1 AND version = $2${forUpdate ? ' FOR UPDATE' : ''}`,
    [id, version],
  );
  return rows[0] && toRecord(rows[0]);
}

export async function findVersionSummary(q: Queryable, id: string, version: number): Promise<VersionSummary | undefined> {
  const { rows } = await q.query<VersionRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM agreement_versions WHERE agreement_id = $1 AND version = $2`,
    [id, version],
  );
  return rows[0] && toSummary(rows[0]);
}

export async function listVersions(q: Queryable, id?: string): Promise<VersionSummary[]> {
  const { rows } = id === undefined
    ? await q.query<VersionRow>(`SELECT ${SUMMARY_COLUMNS} FROM agreement_versions ORDER BY agreement_id, version`)
    : await q.query<VersionRow>(`SELECT ${SUMMARY_COLUMNS} FROM agreement_versions WHERE agreement_id = $1 ORDER BY version`, [id]);
  return rows.map(toSummary);
}

export async function findActive(q: Queryable, id: string, forUpdate = false): Promise<VersionSummary | undefined> {
  const { rows } = await q.query<VersionRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM agreement_versions WHERE agreement_id = $1 AND status = 'active'${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] && toSummary(rows[0]);
}

/** Active versions, id + version + digest only: the hot path re-reads this on every message. */
export async function listActiveKeys(q: Queryable): Promise<{ agreementId: string; version: number; docDigest: string }[]> {
  const { rows } = await q.query<{ agreement_id: string; version: number; doc_digest: string }>(
    `SELECT agreement_id, version, doc_digest FROM agreement_versions WHERE status = 'active' ORDER BY agreement_id`,
  );
  return rows.map((r) => ({ agreementId: r.agreement_id, version: r.version, docDigest: r.doc_digest }));
}

export async function readStatus(q: Queryable, id: string, version: number): Promise<{ status: VersionStatus; docDigest: string } | undefined> {
  const { rows } = await q.query<{ status: VersionStatus; doc_digest: string }>(
    'SELECT status, doc_digest FROM agreement_versions WHERE agreement_id = $1 AND version = $2',
    [id, version],
  );
  const r = rows[0];
  return r && { status: r.status, docDigest: r.doc_digest };
}

export async function readDoc(q: Queryable, id: string, version: number): Promise<Record<string, unknown> | undefined> {
  const { rows } = await q.query<{ doc_text: string }>(
    'SELECT doc_text FROM agreement_versions WHERE agreement_id = $1 AND version = $2',
    [id, version],
  );
  const r = rows[0];
  return r && (JSON.parse(r.doc_text) as Record<string, unknown>);
}

export async function updateDraftDoc(
  q: Queryable,
  id: string,
  version: number,
  doc: Record<string, unknown>,
  docDigest: string,
  editor: string,
  at: Date,
): Promise<void> {
  await q.query(
    `UPDATE agreement_versions
        SET doc = $3::text::jsonb, doc_text = $3::text, doc_digest = $4, updated_at = $6,
            authors = CASE WHEN $5 = ANY (authors) THEN authors ELSE array_append(authors, $5::text) END
      WHERE agreement_id = $1 AND version = $2 AND status = 'draft'`,
    [id, version, JSON.stringify(doc), docDigest, editor, at],
  );
}

export async function markApproved(q: Queryable, id: string, version: number, by: string, at: Date): Promise<void> {
  await q.query(
    `UPDATE agreement_versions SET status = 'approved', approved_by = $3, approved_at = $4, updated_at = $4
      WHERE agreement_id = $1 AND version = $2`,
    [id, version, by, at],
  );
}

export async function markActive(q: Queryable, id: string, version: number, by: string, at: Date): Promise<void> {
  await q.query(
    `UPDATE agreement_versions SET status = 'active', activated_by = $3, activated_at = $4, updated_at = $4
      WHERE agreement_id = $1 AND version = $2`,
    [id, version, by, at],
  );
}

export async function markSuperseded(q: Queryable, id: string, version: number, at: Date): Promise<void> {
  await q.query(
    `UPDATE agreement_versions SET status = 'superseded', superseded_at = $3, updated_at = $3
      WHERE agreement_id = $1 AND version = $2`,
    [id, version, at],
  );
}

/** `from`: what a resume returns it to. The last resume is cleared: it belonged to the last suspension. */
export async function markSuspended(q: Queryable, id: string, version: number, by: string, at: Date, reason: string, from: 'active' | 'superseded'): Promise<void> {
  await q.query(
    `UPDATE agreement_versions SET status = 'suspended', suspended_by = $3, suspended_at = $4, updated_at = $4,
            suspend_reason = $5, suspended_from = $6, resumed_by = NULL, resumed_at = NULL
      WHERE agreement_id = $1 AND version = $2`,
    [id, version, by, at, reason, from],
  );
}

/** What a suspended version returns to ('active' or 'superseded'; null for a suspension made before 0010). */
export async function readSuspendedFrom(q: Queryable, id: string, version: number): Promise<'active' | 'superseded' | null> {
  const { rows } = await q.query<{ suspended_from: 'active' | 'superseded' | null }>(
    'SELECT suspended_from FROM agreement_versions WHERE agreement_id = $1 AND version = $2',
    [id, version],
  );
  return rows[0]?.suspended_from ?? null;
}

export async function markResumed(q: Queryable, id: string, version: number, by: string, at: Date, to: 'active' | 'superseded'): Promise<void> {
  await q.query(
    `UPDATE agreement_versions SET status = $5, resumed_by = $3, resumed_at = $4, updated_at = $4,
            superseded_at = CASE WHEN $5 = 'superseded' THEN COALESCE(superseded_at, $4) ELSE superseded_at END
      WHERE agreement_id = $1 AND version = $2`,
    [id, version, by, at, to],
  );
}

/** The version activated most recently, whatever its status now: it speaks for the agreement. */
export async function findInForce(q: Queryable, id: string, forUpdate = false): Promise<VersionSummary | undefined> {
  const { rows } = await q.query<VersionRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM agreement_versions WHERE agreement_id = $1 AND activated_at IS NOT NULL
      ORDER BY activated_at DESC, version DESC LIMIT 1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] && toSummary(rows[0]);
}

export interface ReleaseKey {
  agreementId: string;
  version: number;
  status: VersionStatus;
  docDigest: string;
}

/** What a release decision needs about each agreement: its version in force and the parties removed from it. */
export interface ReleaseState {
  inForce: ReleaseKey;
  removed: string[];
}

const IN_FORCE_ROWS = `SELECT DISTINCT ON (v.agreement_id) v.agreement_id, v.version, v.status, v.doc_digest,
       ARRAY(SELECT r.agency_id FROM agreement_party_removals r WHERE r.agreement_id = v.agreement_id AND r.lifted_at IS NULL ORDER BY r.agency_id) AS removed
  FROM agreement_versions v WHERE v.activated_at IS NOT NULL`;

interface ReleaseRow { agreement_id: string; version: number; status: VersionStatus; doc_digest: string; removed: string[] }
const toRelease = (r: ReleaseRow): ReleaseState => ({
  inForce: { agreementId: r.agreement_id, version: r.version, status: r.status, docDigest: r.doc_digest },
  removed: r.removed,
});

/**
 * The in-force row of the agreement named by `idExpr` (an SQL expression), as a lateral join
 * aliased `f` (columns agreement_id, version, status, doc_digest, removed): for statements of
 * other stores that read it together with their own rows (the answer path's single read).
 */
export const inForceLateral = (idExpr: string) =>
  `LEFT JOIN LATERAL (${IN_FORCE_ROWS} AND v.agreement_id = ${idExpr} ORDER BY v.agreement_id, v.activated_at DESC, v.version DESC LIMIT 1) f ON true`;

/** Every agreement's version in force (active, suspended or expired) with its removed parties: one statement. */
export async function listInForce(q: Queryable): Promise<ReleaseState[]> {
  const { rows } = await q.query<ReleaseRow>(`${IN_FORCE_ROWS} ORDER BY v.agreement_id, v.activated_at DESC, v.version DESC`);
  return rows.map(toRelease);
}

/**
 * For a decision pinned to one version: that version's status and digest, the agreement's version
 * in force and its removed parties, in one statement.
 */
export async function readPinnedRelease(q: Queryable, id: string, version: number): Promise<{
  pinned?: { status: VersionStatus; docDigest: string };
  state?: ReleaseState;
}> {
  const { rows } = await q.query<ReleaseRow & { p_status: VersionStatus | null; p_digest: string | null }>(
    `SELECT p.status AS p_status, p.doc_digest AS p_digest, f.*
       FROM (SELECT 1) one
       LEFT JOIN agreement_versions p ON p.agreement_id = $1 AND p.version = $2
       LEFT JOIN LATERAL (${IN_FORCE_ROWS} AND v.agreement_id = $1 ORDER BY v.agreement_id, v.activated_at DESC, v.version DESC LIMIT 1) f ON true`,
    [id, version],
  );
  const r = rows[0];
  if (!r) return {};
  return {
    ...(r.p_status && r.p_digest ? { pinned: { status: r.p_status, docDigest: r.p_digest } } : {}),
    ...(r.agreement_id ? { state: toRelease(r) } : {}),
  };
}

export interface PartyRemoval {
  agreementId: string;
  agencyId: string;
  reason: string;
  removedBy: string;
  removedAt: Date;
}

export async function listRemovals(q: Queryable, id: string): Promise<PartyRemoval[]> {
  const { rows } = await q.query<{ agreement_id: string; agency_id: string; reason: string; removed_by: string; removed_at: Date }>(
    `SELECT agreement_id, agency_id, reason, removed_by, removed_at FROM agreement_party_removals
      WHERE agreement_id = $1 AND lifted_at IS NULL ORDER BY agency_id`,
    [id],
  );
  return rows.map((r) => ({ agreementId: r.agreement_id, agencyId: r.agency_id, reason: r.reason, removedBy: r.removed_by, removedAt: r.removed_at }));
}

/** Returns false if the party is already removed (the standing-removal index). */
export async function insertRemoval(q: Queryable, id: string, agencyId: string, reason: string, by: string, at: Date): Promise<boolean> {
  const { rowCount } = await q.query(
    `INSERT INTO agreement_party_removals (agreement_id, agency_id, reason, removed_by, removed_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (agreement_id, agency_id) WHERE lifted_at IS NULL DO NOTHING`,
    [id, agencyId, reason, by, at],
  );
  return rowCount === 1;
}

export async function findStandingRemoval(q: Queryable, id: string, agencyId: string): Promise<PartyRemoval | undefined> {
  const { rows } = await q.query<{ agreement_id: string; agency_id: string; reason: string; removed_by: string; removed_at: Date }>(
    `SELECT agreement_id, agency_id, reason, removed_by, removed_at FROM agreement_party_removals
      WHERE agreement_id = $1 AND agency_id = $2 AND lifted_at IS NULL FOR UPDATE`,
    [id, agencyId],
  );
  const r = rows[0];
  return r && { agreementId: r.agreement_id, agencyId: r.agency_id, reason: r.reason, removedBy: r.removed_by, removedAt: r.removed_at };
}

/** Lifts the standing removal of one party (`agencyId`), or of every party; returns the agencies lifted. */
export async function liftRemovals(q: Queryable, id: string, how: 'RESTORED' | 'NEW_VERSION', by: string, at: Date, agencyId?: string): Promise<string[]> {
  const { rows } = await q.query<{ agency_id: string }>(
    `UPDATE agreement_party_removals SET lifted_by = $3, lifted_at = $4, lifted_how = $2
      WHERE agreement_id = $1 AND lifted_at IS NULL AND ($5::text IS NULL OR agency_id = $5) RETURNING agency_id`,
    [id, how, by, at, agencyId ?? null],
  );
  return rows.map((r) => r.agency_id).sort();
}

export async function markExpired(q: Queryable, id: string, version: number, by: string, at: Date): Promise<void> {
  await q.query(
    `UPDATE agreement_versions SET status = 'expired', expired_by = $3, expired_at = $4, updated_at = $4
      WHERE agreement_id = $1 AND version = $2`,
    [id, version, by, at],
  );
}

/** Seeded versions arrive already approved and active (the deployment's change control is the checker). */
export async function insertSeeded(q: Queryable, v: NewVersion & { approvedBy: string }): Promise<void> {
  await q.query(
    `INSERT INTO agreement_versions (agreement_id, version, doc, doc_text, doc_digest, status, created_by, created_at, authors,
                                     updated_at, approved_by, approved_at, activated_by, activated_at)
     VALUES ($1, $2, $3::text::jsonb, $3::text, $4, 'active', $5, $6, ARRAY[$5::text], $6, $7, $6, $7, $6)`,
    [v.agreementId, v.version, JSON.stringify(v.doc), v.docDigest, v.createdBy, v.at, v.approvedBy],
  );
}

/** Whether the agency is a party of any version of the agreement that was ever put in force. */
export async function isPartyOfAnyVersion(q: Queryable, id: string, agencyId: string): Promise<boolean> {
  const { rows } = await q.query(
    `SELECT 1 FROM agreement_versions WHERE agreement_id = $1 AND activated_at IS NOT NULL
        AND doc->'parties' @> jsonb_build_array(jsonb_build_object('agency', $2::text)) LIMIT 1`,
    [id, agencyId],
  );
  return rows.length > 0;
}
