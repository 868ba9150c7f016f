/**
 * Retention of whole cases (issue 17 item 7; docs/decisions/0024-retention-case-keys.md).
 *
 * A case CLOSED or WITHDRAWN for longer than its agreements' retention (the longest
 * `retentionDays` of the agreement versions its research went under; with no research, of the
 * agreements in force its coordinator is party to) is purged in one transaction: its data key and
 * its referrals' keys are destroyed, and every row about it is deleted (research requests,
 * messages, responses, drafts, refusals, minutes, actions and their updates, agenda listings,
 * referrals and repeat matches, transfers it offered, notifications, idempotency rows naming it).
 * What stays is a `purged_cases` row (ids and dates) and the audit log, untouched, with one
 * CASE_PURGED event (ids and counts). An open case is never purged.
 *
 * Returned referrals go the same way at the end of their retention (from the day they were
 * returned), and idempotency rows older than `idempotencyDays` whatever they name.
 *
 * Every step re-reads the state under a lock and does nothing when it is no longer due, so a job
 * that runs twice, concurrently or late is harmless.
 */
import type pg from 'pg';
import { withTx, type Queryable, type Tx } from '../store/db.js';
import type { AuditLog } from '../audit/types.js';
import type { SystemPrincipal } from '../identity/principal.js';
import { caseKeyId, referralKeyId, type CaseKeys } from '../store/case-keys.js';
import type { PolicyPort } from './ports.js';

const RETENTION: SystemPrincipal = { kind: 'system', component: 'retention' };
const DAY_MS = 86_400_000;
/** No agreement records a shorter period (the agreement form accepts 1 to 3650 days). */
const MIN_RETENTION_DAYS = 1;

export interface CasePurgeDeps {
  pool: pg.Pool;
  audit: AuditLog;
  policy: Pick<PolicyPort, 'retentionDays'>;
  caseKeys: CaseKeys;
  now(): Date;
  /** Idempotency rows are kept this long (they replay a retried request's first answer). */
  idempotencyDays?: number;
}

export type PurgeOutcome =
  | { purged: true; caseId: string; counts: Record<string, number> }
  | { purged: false; caseId: string; reason: 'NOT_FOUND' | 'OPEN' | 'WITHIN_RETENTION' };

export function createCasePurge(deps: CasePurgeDeps) {
  const { pool, audit } = deps;

  /** The case's retention in days: the longest of its research's agreements, else of its coordinator's. */
  async function retentionDaysOf(q: Queryable, caseId: string, coordinatorAgencyId: string): Promise<number> {
    const used = await q.query<{ agreement_id: string; agreement_version: number }>(
      'SELECT DISTINCT agreement_id, agreement_version FROM messages WHERE case_id = $1',
      [caseId],
    );
    let pairs = used.rows.map((r) => [r.agreement_id, r.agreement_version] as const);
    if (pairs.length === 0) {
      // No research was asked for: the agreements in force (last activated version) that name the coordinator.
      const r = await q.query<{ agreement_id: string; version: number }>(
        `SELECT DISTINCT ON (v.agreement_id) v.agreement_id, v.version FROM agreement_versions v
          WHERE v.activated_at IS NOT NULL AND v.status = 'active'
            AND EXISTS (SELECT 1 FROM jsonb_array_elements(v.doc->'parties') p WHERE p->>'agency' = $1)
          ORDER BY v.agreement_id, v.activated_at DESC, v.version DESC`,
        [coordinatorAgencyId],
      );
      pairs = r.rows.map((x) => [x.agreement_id, x.version] as const);
    }
    let days = 0;
    for (const [id, version] of pairs) days = Math.max(days, await deps.policy.retentionDays(id, version, q));
    // Nothing names a period: the policy's own default for an unknown agreement.
    if (days === 0) days = await deps.policy.retentionDays('', 0, q);
    return Math.max(days, MIN_RETENTION_DAYS);
  }

  /** The cases that may be due (ended at least the shortest possible retention ago), oldest first. */
  async function dueCases(limit = 200): Promise<string[]> {
    const cutoff = new Date(deps.now().getTime() - MIN_RETENTION_DAYS * DAY_MS);
    const r = await pool.query<{ id: string }>(
      `SELECT id FROM cases WHERE status IN ('WITHDRAWN', 'CLOSED') AND status_changed_at <= $1
        ORDER BY status_changed_at, id LIMIT $2`,
      [cutoff, limit],
    );
    return r.rows.map((x) => x.id);
  }

  async function purgeCase(caseId: string): Promise<PurgeOutcome> {
    return withTx(pool, async (tx) => {
      const now = deps.now();
      // The lock a reopen (case-lifecycle) takes too: a purge and a reopen do not interleave.
      const c = await tx.query<{ coordinator_agency_id: string; status: string; status_changed_at: Date | null; created_at: Date }>(
        'SELECT coordinator_agency_id, status, status_changed_at, created_at FROM cases WHERE id = $1 FOR UPDATE',
        [caseId],
      );
      const row = c.rows[0];
      if (!row) return { purged: false, caseId, reason: 'NOT_FOUND' };
      if (row.status === 'OPEN' || !row.status_changed_at) return { purged: false, caseId, reason: 'OPEN' };
      const days = await retentionDaysOf(tx, caseId, row.coordinator_agency_id);
      if (row.status_changed_at.getTime() + days * DAY_MS > now.getTime()) return { purged: false, caseId, reason: 'WITHIN_RETENTION' };

      const ids = await idsOf(tx, caseId);
      // Crypto-shredding first: whatever of the case survives anywhere no longer opens.
      const keysDestroyed = await deps.caseKeys.destroy(tx, [caseKeyId(caseId), ...ids.referrals.map(referralKeyId)], now);
      const counts = await deleteRows(tx, caseId, ids);
      await tx.query(
        `INSERT INTO purged_cases (case_id, coordinator_agency_id, status, created_at, status_changed_at, retention_days, purged_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [caseId, row.coordinator_agency_id, row.status, row.created_at, row.status_changed_at, days, now],
      );
      const all = { ...counts, keysDestroyed };
      await audit.append(tx, {
        action: 'CASE_PURGED',
        actor: RETENTION,
        caseId,
        decision: 'NONE',
        agencyIds: [row.coordinator_agency_id],
        detail: { retentionDays: days, ...all },
      });
      return { purged: true, caseId, counts: all };
    });
  }

  /** Returned referrals past retention (from the day they were returned): key destroyed, rows deleted. */
  async function purgeReturnedReferrals(limit = 200): Promise<number> {
    const cutoff = new Date(deps.now().getTime() - MIN_RETENTION_DAYS * DAY_MS);
    const r = await pool.query<{ id: string }>(
      `SELECT id FROM referrals WHERE status = 'RETURNED' AND decided_at <= $1 ORDER BY decided_at, id LIMIT $2`,
      [cutoff, limit],
    );
    let purged = 0;
    for (const { id } of r.rows) {
      purged += await withTx(pool, async (tx) => {
        const now = deps.now();
        const x = await tx.query<{ coordinator_agency_id: string; referring_agency_id: string; decided_at: Date }>(
          `SELECT coordinator_agency_id, referring_agency_id, decided_at FROM referrals WHERE id = $1 AND status = 'RETURNED' FOR UPDATE SKIP LOCKED`,
          [id],
        );
        const ref = x.rows[0];
        if (!ref) return 0;
        const days = await retentionDaysOf(tx, '', ref.coordinator_agency_id);
        if (ref.decided_at.getTime() + days * DAY_MS > now.getTime()) return 0;
        await deps.caseKeys.destroy(tx, [referralKeyId(id)], now);
        await tx.query(`DELETE FROM idempotency_keys WHERE body->>'referralId' = $1`, [id]);
        await tx.query('DELETE FROM referral_repeat_matches WHERE referral_id = $1', [id]);
        await tx.query('DELETE FROM referrals WHERE id = $1', [id]);
        await audit.append(tx, {
          action: 'CASE_PURGED',
          actor: RETENTION,
          decision: 'NONE',
          agencyIds: [ref.coordinator_agency_id, ref.referring_agency_id],
          detail: { referralId: id, retentionDays: days, referrals: 1, keysDestroyed: 1 },
        });
        return 1;
      });
    }
    return purged;
  }

  /** Idempotency rows older than `idempotencyDays` (default 30): a retry that late gets a fresh answer. */
  async function purgeIdempotency(): Promise<number> {
    const days = deps.idempotencyDays ?? 30;
    const r = await pool.query('DELETE FROM idempotency_keys WHERE created_at < $1', [new Date(deps.now().getTime() - days * DAY_MS)]);
    return r.rowCount ?? 0;
  }

  return { dueCases, purgeCase, purgeReturnedReferrals, purgeIdempotency, retentionDaysOf };
}

export type CasePurge = ReturnType<typeof createCasePurge>;

interface CaseIds {
  requests: string[];
  messages: string[];
  referrals: string[];
  actions: string[];
}

async function idsOf(tx: Tx, caseId: string): Promise<CaseIds> {
  const col = async (sql: string) => (await tx.query<{ id: string }>(sql, [caseId])).rows.map((r) => r.id);
  return {
    requests: await col('SELECT id FROM research_requests WHERE case_id = $1'),
    messages: await col('SELECT id FROM messages WHERE case_id = $1'),
    referrals: await col('SELECT id FROM referrals WHERE case_id = $1'),
    actions: await col('SELECT id FROM case_actions WHERE case_id = $1'),
  };
}

/** Deletes every row about the case, children first. Returns counts per kind (no ids, no content). */
async function deleteRows(tx: Tx, caseId: string, ids: CaseIds): Promise<Record<string, number>> {
  const del = async (sql: string, params: unknown[]) => (await tx.query(sql, params)).rowCount ?? 0;
  const counts: Record<string, number> = {};
  counts.idempotencyRows = await del(
    `DELETE FROM idempotency_keys WHERE body->>'caseId' = $1 OR body->>'requestId' = ANY($2)
        OR body->>'messageId' = ANY($3) OR body->>'referralId' = ANY($4)`,
    [caseId, ids.requests, ids.messages, ids.referrals],
  );
  counts.drafts = await del('DELETE FROM research_drafts WHERE message_id = ANY($1)', [ids.messages]);
  counts.responses = await del('DELETE FROM responses WHERE message_id = ANY($1)', [ids.messages]);
  counts.actionUpdates = await del('DELETE FROM case_action_updates WHERE action_id = ANY($1)', [ids.actions]);
  counts.actions = await del('DELETE FROM case_actions WHERE case_id = $1', [caseId]);
  counts.minutes = await del('DELETE FROM case_minutes WHERE case_id = $1', [caseId]);
  counts.listings = await del('DELETE FROM meeting_cases WHERE case_id = $1', [caseId]);
  counts.repeatMatches = await del('DELETE FROM referral_repeat_matches WHERE case_id = $1 OR referral_id = ANY($2)', [caseId, ids.referrals]);
  counts.referrals = await del('DELETE FROM referrals WHERE case_id = $1', [caseId]);
  counts.messages = await del('DELETE FROM messages WHERE case_id = $1', [caseId]);
  counts.refusals = await del('DELETE FROM request_refusals WHERE request_id = ANY($1)', [ids.requests]);
  counts.requests = await del('DELETE FROM research_requests WHERE case_id = $1', [caseId]);
  counts.notifications = await del('DELETE FROM notification_outbox WHERE case_id = $1', [caseId]);
  if (await tableExists(tx, 'transfers')) counts.transfers = await del('DELETE FROM transfers WHERE from_case_id = $1', [caseId]);
  counts.cases = await del('DELETE FROM cases WHERE id = $1', [caseId]);
  return counts;
}

async function tableExists(q: Queryable, name: string): Promise<boolean> {
  const r = await q.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`public.${name}`]);
  return r.rows[0]?.t != null;
}
