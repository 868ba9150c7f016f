import { withTx } from '../store/db.js';
import type { SystemPrincipal } from '../identity/principal.js';
import type { ExchangeDeps } from './deps.js';

const SYSTEM: SystemPrincipal = { kind: 'system', component: 'deadlines' };
const OPEN_STATES = ['queued', 'delivered', 'acknowledged'];
/**
 * Messages of a withdrawn or closed case are not chased: nobody may answer them (decision 0032),
 * so a reminder or an overdue mark would only put the case back on someone's list. Reopened, the
 * case's requests are chased again (a reminder whose time passed meanwhile is not sent late).
 */
export const CASE_OPEN = `EXISTS (SELECT 1 FROM cases c WHERE c.id = m.case_id AND c.status = 'OPEN')`;

/**
 * Deadline work. Every job re-reads the rows and does nothing when the work is stale, so a job
 * that runs twice, late, or after the state moved on is harmless.
 */
export function createDeadlineService(deps: Pick<ExchangeDeps, 'pool' | 'audit' | 'now'>) {
  const { pool, audit } = deps;

  /** Marks every still-open message whose deadline has passed as overdue. Returns how many. */
  async function markOverdue(requestId?: string): Promise<number> {
    return withTx(pool, async (tx) => {
      const now = deps.now();
      const r = await tx.query(
        `SELECT id, request_id, case_id, sender_agency_id, recipient_agency_id, agreement_id, agreement_version
           FROM messages m WHERE state = ANY($1) AND deadline <= $2 ${requestId ? 'AND request_id = $3' : ''} AND ${CASE_OPEN}
           ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 500`,
        requestId ? [OPEN_STATES, now, requestId] : [OPEN_STATES, now],
      );
      for (const m of r.rows) {
        await tx.query(`UPDATE messages SET state = 'overdue', updated_at = $2 WHERE id = $1`, [m.id, now]);
        await audit.append(tx, {
          action: 'OVERDUE',
          actor: SYSTEM,
          caseId: m.case_id,
          requestId: m.request_id,
          messageId: m.id,
          agreementId: m.agreement_id,
          agreementVersion: m.agreement_version,
          decision: 'NONE',
          agencyIds: [m.sender_agency_id, m.recipient_agency_id],
        });
      }
      return r.rowCount ?? 0;
    });
  }

  /** Records a reminder for open messages of a request (once per message). */
  async function remind(requestId: string): Promise<number> {
    return withTx(pool, async (tx) => {
      const now = deps.now();
      const r = await tx.query(
        `SELECT id, request_id, case_id, sender_agency_id, recipient_agency_id FROM messages m
          WHERE request_id = $1 AND state = ANY($2) AND reminded_at IS NULL AND deadline > $3 AND ${CASE_OPEN} FOR UPDATE SKIP LOCKED`,
        [requestId, OPEN_STATES, now],
      );
      for (const m of r.rows) {
        await tx.query('UPDATE messages SET reminded_at = $2, updated_at = $2 WHERE id = $1', [m.id, now]);
        await audit.append(tx, {
          action: 'REMINDER_SENT',
          actor: SYSTEM,
          caseId: m.case_id,
          requestId: m.request_id,
          messageId: m.id,
          decision: 'NONE',
          agencyIds: [m.sender_agency_id, m.recipient_agency_id],
        });
      }
      return r.rowCount ?? 0;
    });
  }

  /** Deletes the sealed research whose agreement retention period has ended (invariant 7). */
  async function purgeExpired(): Promise<number> {
    return withTx(pool, async (tx) => {
      const now = deps.now();
      const r = await tx.query(
        `SELECT x.message_id, m.request_id, m.case_id, m.sender_agency_id, m.recipient_agency_id
           FROM responses x JOIN messages m ON m.id = x.message_id
          WHERE x.purged_at IS NULL AND x.purge_after <= $1 FOR UPDATE OF x SKIP LOCKED LIMIT 500`,
        [now],
      );
      for (const x of r.rows) {
        await tx.query('UPDATE responses SET key_id = NULL, iv = NULL, tag = NULL, ciphertext = NULL, purged_at = $2 WHERE message_id = $1', [x.message_id, now]);
        await audit.append(tx, {
          action: 'RESEARCH_PURGED',
          actor: { kind: 'system', component: 'retention' },
          caseId: x.case_id,
          requestId: x.request_id,
          messageId: x.message_id,
          decision: 'NONE',
          agencyIds: [x.sender_agency_id, x.recipient_agency_id],
        });
      }
      return r.rowCount ?? 0;
    });
  }

  return { markOverdue, remind, purgeExpired };
}

export type DeadlineService = ReturnType<typeof createDeadlineService>;
