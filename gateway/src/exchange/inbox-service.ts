import { withTx, type Queryable, type Tx } from '../store/db.js';
import type { AgencyPrincipal, Principal } from '../identity/principal.js';
import type { ExchangeDeps } from './deps.js';
import { InvalidQuery, MessageNotFound } from './errors.js';
import { InvalidState } from '../errors.js';
import { createRequestViewBuilder, releaseEvent, type MessageRow, type RequestView } from './request-view.js';
import { createAgencyInbox } from './agency-inbox.js';
import { HAND_OVER_REFUSALS, handOverError, lockCertificateForHandOver, type HandOverRefusal } from '../identity/delivery-check.js';
import { contactRecorder } from './agency-health.js';

/** A delivered message not acknowledged within this time is offered again (adapter crashed). */
const REDELIVER_AFTER_SECONDS = 60;
const MAX_BATCH = 20;

/**
 * Whether the case is open, read now. Only an open case's requests are handed over and answered;
 * the answer path decides under the case row's lock (response-service.ts), this is what an inbox
 * shows.
 */
async function caseIsOpen(q: Queryable, caseId: string): Promise<boolean> {
  const r = await q.query<{ status: string }>({ name: 'exchange.inbox.case-status', text: 'SELECT status FROM cases WHERE id = $1', values: [caseId] });
  return r.rows[0]?.status === 'OPEN';
}

export function createInboxService(deps: ExchangeDeps & { inboxWait: (agencyId: string, ms: number, signal?: AbortSignal) => Promise<boolean> }) {
  const { pool, audit } = deps;
  // When each agency's adapter last collected its inbox (adapter health, agency-health.ts).
  const noteContact = contactRecorder(pool, deps.now);
  const views = createRequestViewBuilder(deps);

  /**
   * Marks one message delivered and audits what the recipient was shown, in one transaction.
   * Returns the view, or null when the policy now refuses (then the message fails, audited) or
   * when its case is no longer open: a withdrawn or closed case's request is not handed over (by
   * poll, push or the staff inbox) and stays as it is, to go out if the case is reopened. Its
   * answer would be refused (response-service.ts), and purged it is gone.
   */
  async function deliverOne(tx: Tx, m: MessageRow, actor: Principal): Promise<RequestView | null> {
    if (!(await caseIsOpen(tx, m.case_id))) return null;
    const built = await views.build(tx, m);
    const now = deps.now();
    if (!built.ok) {
      await tx.query(`UPDATE messages SET state = 'failed', last_error_code = $2, updated_at = $3 WHERE id = $1`, [m.id, built.decision.reason, now]);
      await audit.append(tx, {
        action: 'DELIVERY_FAILED',
        actor,
        caseId: m.case_id,
        requestId: m.request_id,
        messageId: m.id,
        agreementId: m.agreement_id,
        agreementVersion: m.agreement_version,
        decision: 'DENY',
        reasonCode: built.decision.reason,
        subjectTokens: built.subjectTokens,
        agencyIds: [m.sender_agency_id, m.recipient_agency_id],
      });
      return null;
    }
    // A refusal of an earlier hand-over (revoked certificate...) no longer describes the message.
    await tx.query(
      `UPDATE messages SET state = 'delivered', delivered_at = $2, attempts = attempts + 1, updated_at = $2,
              last_error_code = CASE WHEN last_error_code = ANY($3::text[]) THEN NULL ELSE last_error_code END
        WHERE id = $1`,
      [m.id, now, HAND_OVER_REFUSALS],
    );
    await audit.append(tx, releaseEvent('DELIVERED', actor, m, built, { mode: m.delivery_mode }));
    return built.view;
  }

  /**
   * One hand-over: the connection's certificate is re-read (and share-locked) from the database in
   * the transaction that marks messages delivered, so a certificate revoked, expired or whose agency
   * was disabled while a long-poll was open gets nothing more, whichever instance revoked it. What
   * was waiting stays queued for the agency, and the refusal is audited.
   */
  async function takeBatch(actor: AgencyPrincipal): Promise<RequestView[] | { refused: HandOverRefusal }> {
    return withTx(pool, async (tx) => {
      const status = await lockCertificateForHandOver(tx, actor.certFingerprint, actor.agencyId);
      const r = await tx.query<MessageRow>(
        `SELECT * FROM messages
          WHERE recipient_agency_id = $1 AND delivery_mode = 'pull'
            AND (state = 'queued' OR (state = 'delivered' AND delivered_at < $2::timestamptz - make_interval(secs => $3)))
            AND EXISTS (SELECT 1 FROM cases c WHERE c.id = messages.case_id AND c.status = 'OPEN')
          ORDER BY created_at LIMIT $4 FOR UPDATE SKIP LOCKED`,
        [actor.agencyId, deps.now(), REDELIVER_AFTER_SECONDS, MAX_BATCH],
      );
      if (status !== 'valid') {
        await refuseHandOver(tx, actor, status, r.rows);
        return { refused: status };
      }
      const out: RequestView[] = [];
      for (const m of r.rows) {
        const v = await deliverOne(tx, m, actor);
        if (v) out.push(v);
      }
      return out;
    });
  }

  /** Audits a refused hand-over: once for the poll, once per message left waiting (which stays as it was). */
  async function refuseHandOver(tx: Tx, actor: AgencyPrincipal, status: HandOverRefusal, waiting: MessageRow[]): Promise<void> {
    await audit.append(tx, {
      action: 'ACCESS_DENIED',
      actor,
      decision: 'DENY',
      reasonCode: status,
      agencyIds: [actor.agencyId],
      detail: { stage: 'inbox', waiting: waiting.length },
    });
    for (const m of waiting) {
      await audit.append(tx, {
        action: 'ACCESS_DENIED',
        actor,
        caseId: m.case_id,
        requestId: m.request_id,
        messageId: m.id,
        agreementId: m.agreement_id,
        agreementVersion: m.agreement_version,
        decision: 'DENY',
        reasonCode: status,
        agencyIds: [m.sender_agency_id, m.recipient_agency_id],
        detail: { stage: 'inbox', state: m.state },
      });
    }
    if (waiting.length > 0) {
      // Visible on the coordinator's status rows; the state is untouched (still queued or delivered).
      await tx.query(`UPDATE messages SET last_error_code = $2 WHERE id = ANY($1::text[])`, [waiting.map((m) => m.id), status]);
    }
  }

  /**
   * Long-poll. Every pass re-checks the connection's certificate (at least every 2 s, and on every
   * wake-up): a poll whose certificate was revoked while it waited ends with the same 401 and code
   * the authenticator gives its next request (CLIENT_CERT_REVOKED...), after auditing the refusal.
   */
  async function poll(actor: AgencyPrincipal, waitRaw: unknown, signal?: AbortSignal): Promise<{ messages: RequestView[] }> {
    const wait = waitRaw === undefined ? 0 : Number(waitRaw);
    if (!Number.isInteger(wait) || wait < 0 || wait > 30) throw new InvalidQuery('wait must be a whole number of seconds from 0 to 30');
    const until = Date.now() + wait * 1000;
    noteContact(actor.agencyId);
    for (;;) {
      const batch = await takeBatch(actor);
      if (!Array.isArray(batch)) throw handOverError(batch.refused);
      const messages = batch;
      const left = until - Date.now();
      if (messages.length > 0 || left <= 0 || signal?.aborted) return { messages };
      // Woken by NOTIFY on commit; the 2 s cap covers a missed notification (and bounds how long
      // a revoked certificate's poll stays open).
      await deps.inboxWait(actor.agencyId, Math.min(left, 2000), signal);
    }
  }

  async function ack(actor: AgencyPrincipal, messageId: string): Promise<{ messageId: string; state: string }> {
    return withTx(pool, async (tx) => {
      const r = await tx.query<MessageRow>('SELECT * FROM messages WHERE id = $1 AND recipient_agency_id = $2 FOR UPDATE', [messageId, actor.agencyId]);
      const m = r.rows[0];
      if (!m) throw new MessageNotFound('No such message');
      if (m.state === 'queued') throw new InvalidState('The message has not been delivered yet');
      if (m.state !== 'delivered') return { messageId, state: m.state }; // acks are idempotent
      const now = deps.now();
      await tx.query(`UPDATE messages SET state = 'acknowledged', acknowledged_at = $2, updated_at = $2 WHERE id = $1`, [messageId, now]);
      await audit.append(tx, {
        action: 'ACKNOWLEDGED',
        actor,
        caseId: m.case_id,
        requestId: m.request_id,
        messageId,
        agreementId: m.agreement_id,
        agreementVersion: m.agreement_version,
        decision: 'NONE',
        agencyIds: [m.sender_agency_id, m.recipient_agency_id],
      });
      return { messageId, state: 'acknowledged' };
    });
  }

  // The same inbox for the agency's staff in the browser (agency-inbox.ts, decision 0021).
  const staff = createAgencyInbox({ ...deps, inbox: { deliverOne } });

  return { poll, ack, deliverOne, staff };
}

export type InboxService = ReturnType<typeof createInboxService>;
