/**
 * SQL for referrals and their repeat matches. Plain functions over a Queryable so the service runs
 * them inside its transaction, next to the audit append.
 */
import type { Queryable } from '../store/db.js';
import type { Sealed } from '../store/sealed-box.js';

export type ReferralStatus = 'SUBMITTED' | 'ACCEPTED' | 'RETURNED';

export interface ReferralRow {
  id: string;
  referringAgencyId: string;
  coordinatorAgencyId: string;
  maracArea: string;
  status: ReferralStatus;
  dashScore: number;
  criteriaClaimed: string[];
  sealed: Sealed;
  victimTokens: string[];
  submittedAt: Date;
  decidedAt: Date | null;
  decidedBy: string | null;
  caseId: string | null;
}

export interface MatchRow {
  caseId: string;
  caseArea: string;
  matchedOn: string[];
  caseOpenedAt: Date;
  status: 'PENDING' | 'CONFIRMED' | 'REJECTED';
  decidedAt: Date | null;
}

const COLUMNS = `id, referring_agency_id, coordinator_agency_id, marac_area, status, dash_score, criteria_claimed,
  sealed_key_id, sealed_iv, sealed_tag, sealed_ciphertext, victim_tokens, submitted_at, decided_at, decided_by, case_id`;

/* eslint-disable @typescript-eslint/no-explicit-any */
function toRow(r: any): ReferralRow {
  return {
    id: r.id,
    referringAgencyId: r.referring_agency_id,
    coordinatorAgencyId: r.coordinator_agency_id,
    maracArea: r.marac_area,
    status: r.status,
    dashScore: r.dash_score,
    criteriaClaimed: r.criteria_claimed,
    sealed: { keyId: r.sealed_key_id, iv: r.sealed_iv, tag: r.sealed_tag, ciphertext: r.sealed_ciphertext },
    victimTokens: r.victim_tokens,
    submittedAt: r.submitted_at,
    decidedAt: r.decided_at,
    decidedBy: r.decided_by,
    caseId: r.case_id,
  };
}

export async function insertReferral(q: Queryable, r: Omit<ReferralRow, 'status' | 'decidedAt' | 'decidedBy' | 'caseId'>): Promise<void> {
  await q.query(
    `INSERT INTO referrals (id, referring_agency_id, coordinator_agency_id, marac_area, status, dash_score, criteria_claimed,
       sealed_key_id, sealed_iv, sealed_tag, sealed_ciphertext, victim_tokens, submitted_at)
     VALUES ($1, $2, $3, $4, 'SUBMITTED', $5, $6, $7, $8, $9, $10, $11, $12)`,
    [r.id, r.referringAgencyId, r.coordinatorAgencyId, r.maracArea, r.dashScore, r.criteriaClaimed,
      r.sealed.keyId, r.sealed.iv, r.sealed.tag, r.sealed.ciphertext, r.victimTokens, r.submittedAt],
  );
}

export async function insertMatches(q: Queryable, referralId: string, matches: { caseId: string; caseArea: string; matchedOn: string[]; caseOpenedAt: Date }[]): Promise<void> {
  if (matches.length === 0) return;
  await q.query(
    `INSERT INTO referral_repeat_matches (referral_id, case_id, case_area, matched_on, case_opened_at)
     SELECT $1, m->>'caseId', m->>'caseArea', ARRAY(SELECT jsonb_array_elements_text(m->'matchedOn')), (m->>'caseOpenedAt')::timestamptz
       FROM jsonb_array_elements($2::jsonb) m`,
    [referralId, JSON.stringify(matches.map((m) => ({ ...m, caseOpenedAt: m.caseOpenedAt.toISOString() })))],
  );
}

export async function findReferral(q: Queryable, id: string, forUpdate = false): Promise<ReferralRow | undefined> {
  const { rows } = await q.query(`SELECT ${COLUMNS} FROM referrals WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ? toRow(rows[0]) : undefined;
}

export async function listMatches(q: Queryable, referralId: string, forUpdate = false): Promise<MatchRow[]> {
  const { rows } = await q.query(
    `SELECT case_id, case_area, matched_on, case_opened_at, status, decided_at FROM referral_repeat_matches
      WHERE referral_id = $1 ORDER BY case_opened_at DESC${forUpdate ? ' FOR UPDATE' : ''}`,
    [referralId],
  );
  return rows.map((r: any) => ({
    caseId: r.case_id, caseArea: r.case_area, matchedOn: r.matched_on, caseOpenedAt: r.case_opened_at, status: r.status, decidedAt: r.decided_at,
  }));
}

/** Matches of many referrals at once (the intake list). */
export async function matchesOf(q: Queryable, referralIds: string[]): Promise<Map<string, MatchRow[]>> {
  const out = new Map<string, MatchRow[]>();
  if (referralIds.length === 0) return out;
  const { rows } = await q.query(
    `SELECT referral_id, case_id, case_area, matched_on, case_opened_at, status, decided_at FROM referral_repeat_matches
      WHERE referral_id = ANY($1::text[]) ORDER BY case_opened_at DESC`,
    [referralIds],
  );
  for (const r of rows as any[]) {
    const list = out.get(r.referral_id) ?? [];
    list.push({ caseId: r.case_id, caseArea: r.case_area, matchedOn: r.matched_on, caseOpenedAt: r.case_opened_at, status: r.status, decidedAt: r.decided_at });
    out.set(r.referral_id, list);
  }
  return out;
}

export interface ListFilter {
  /** The coordinator's intake, or the referrer's own referrals. */
  side: 'coordinator' | 'referrer';
  agencyId: string;
  status?: ReferralStatus;
  limit: number;
  offset: number;
}

/** Oldest waiting first (first come, first decided); decided ones newest first. */
export async function listReferrals(q: Queryable, f: ListFilter): Promise<{ rows: ReferralRow[]; total: number }> {
  const column = f.side === 'coordinator' ? 'coordinator_agency_id' : 'referring_agency_id';
  const params: unknown[] = [f.agencyId];
  let where = `${column} = $1`;
  if (f.status) {
    params.push(f.status);
    where += ` AND status = $${params.length}`;
  }
  const order = f.status === 'SUBMITTED' ? 'submitted_at ASC, id' : 'coalesce(decided_at, submitted_at) DESC, id';
  const { rows } = await q.query(
    `SELECT ${COLUMNS}, count(*) OVER () AS total FROM referrals WHERE ${where} ORDER BY ${order} LIMIT ${f.limit} OFFSET ${f.offset}`,
    params,
  );
  let total = rows[0] ? Number(rows[0].total) : 0;
  if (rows.length === 0 && f.offset > 0) {
    total = Number((await q.query(`SELECT count(*) AS n FROM referrals WHERE ${where}`, params)).rows[0].n);
  }
  return { rows: rows.map(toRow), total };
}

export async function markDecided(
  q: Queryable,
  id: string,
  d: { status: 'ACCEPTED' | 'RETURNED'; at: Date; by: string; caseId?: string; sealed?: Sealed },
): Promise<void> {
  await q.query(
    `UPDATE referrals SET status = $2, decided_at = $3, decided_by = $4, case_id = $5,
            sealed_key_id = coalesce($6, sealed_key_id), sealed_iv = coalesce($7, sealed_iv),
            sealed_tag = coalesce($8, sealed_tag), sealed_ciphertext = coalesce($9, sealed_ciphertext)
      WHERE id = $1`,
    [id, d.status, d.at, d.by, d.caseId ?? null, d.sealed?.keyId ?? null, d.sealed?.iv ?? null, d.sealed?.tag ?? null, d.sealed?.ciphertext ?? null],
  );
}

export async function decideMatch(q: Queryable, referralId: string, caseId: string, status: 'CONFIRMED' | 'REJECTED', at: Date, by: string): Promise<void> {
  await q.query(
    'UPDATE referral_repeat_matches SET status = $3, decided_at = $4, decided_by = $5 WHERE referral_id = $1 AND case_id = $2',
    [referralId, caseId, status, at, by],
  );
}
