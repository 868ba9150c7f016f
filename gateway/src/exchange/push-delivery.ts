import https from 'node:https';
import { withTx, type Tx } from '../store/db.js';
import { GatewayError } from '../errors.js';
import { TLS_PROFILE } from '../tls-profile.js';
import type { SystemPrincipal } from '../identity/principal.js';
import type { ExchangeDeps } from './deps.js';
import type { InboxService } from './inbox-service.js';
import type { MessageRow } from './request-view.js';
import { HAND_OVER_REFUSALS, lockAgencyForHandOver, type HandOverRefusal } from '../identity/delivery-check.js';

const WORKER: SystemPrincipal = { kind: 'system', component: 'push-delivery' };

export class PushDeliveryFailed extends GatewayError {
  readonly code = 'PUSH_DELIVERY_FAILED';
  readonly status = 502;
}

export interface PushTls {
  certPem: string;
  keyPem: string;
  caPem: string;
}

/** How much of an adapter's answer body is drained before the connection is dropped instead. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** POSTs JSON over mutual TLS: the gateway proves itself with its own client certificate. */
export function createPushClient(tls: PushTls, timeoutMs: number) {
  const agent = new https.Agent({ ...TLS_PROFILE, cert: tls.certPem, key: tls.keyPem, ca: tls.caPem, keepAlive: true, maxSockets: 16 });
  return {
    /**
     * The adapter's answer is its status code. Its body is never read, and neither a slow answer
     * nor an endless body may hold a delivery worker (and the message's row lock) past
     * `timeoutMs`: one deadline covers connecting, sending and the status line; a body still
     * flowing after it is cut off.
     */
    post(url: string, body: unknown): Promise<void> {
      return new Promise((resolve, reject) => {
        const data = Buffer.from(JSON.stringify(body));
        let settled = false;
        const settle = (err?: Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          if (err) reject(err);
          else resolve();
        };
        const req = https.request(url, {
          method: 'POST',
          agent,
          timeout: timeoutMs,
          headers: { 'content-type': 'application/json', 'content-length': data.length },
        }, (res) => {
          const s = res.statusCode ?? 0;
          if (s >= 200 && s < 300) settle();
          else settle(new PushDeliveryFailed(`adapter answered ${s}`, { reason: `HTTP_${s}` }));
          // Drain a short body so the connection can be reused; drop it if it is long or slow.
          let bytes = 0;
          const cut = setTimeout(() => res.destroy(), timeoutMs);
          cut.unref();
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (bytes > MAX_ANSWER_BYTES) res.destroy();
          });
          res.on('close', () => clearTimeout(cut));
          res.on('error', () => {});
        });
        const deadline = setTimeout(() => req.destroy(new PushDeliveryFailed('adapter timed out', { reason: 'TIMEOUT' })), timeoutMs);
        deadline.unref();
        req.on('timeout', () => req.destroy(new PushDeliveryFailed('adapter timed out', { reason: 'TIMEOUT' })));
        req.on('error', (e) => settle(e instanceof PushDeliveryFailed ? e : new PushDeliveryFailed('adapter unreachable', { reason: 'UNREACHABLE', cause: e })));
        req.end(data);
      });
    },
    close: () => agent.destroy(),
  };
}

export type PushClient = ReturnType<typeof createPushClient>;

export function createPushDelivery(deps: ExchangeDeps & { inbox: InboxService; push: PushClient }) {
  const { pool, audit } = deps;

  /**
   * Delivers one queued push message. Stale jobs (message no longer queued) exit quietly. The row
   * lock is held across the POST so the DELIVERED event commits only if the adapter took it.
   *
   * Before anything is built or sent, the recipient must still hold a certificate that would
   * authenticate it now and not be disabled (read and share-locked in this transaction, see
   * identity/delivery-check.ts). Otherwise the message is parked: it stays queued for the agency,
   * the refusal is audited (once per message and reason, not on every re-check), and the job ends
   * without a retry: nothing is sent until a new certificate is issued (resumeParked).
   */
  async function deliver(messageId: string): Promise<'delivered' | 'stale' | 'denied' | 'parked'> {
    return withTx(pool, async (tx) => {
      const r = await tx.query<MessageRow>(`SELECT * FROM messages WHERE id = $1 FOR UPDATE`, [messageId]);
      const m = r.rows[0];
      if (!m || m.state !== 'queued' || m.delivery_mode !== 'push') return 'stale';
      const entitled = await lockAgencyForHandOver(tx, m.recipient_agency_id);
      if (entitled !== 'valid') {
        await park(tx, m, entitled);
        return 'parked';
      }
      const agency = await deps.agencies.getAgency(m.recipient_agency_id, tx);
      if (!agency?.pushUrl) throw new PushDeliveryFailed('agency has no push endpoint', { reason: 'NO_PUSH_URL' });
      const view = await deps.inbox.deliverOne(tx, m, WORKER);
      if (!view) return 'denied';
      await deps.push.post(agency.pushUrl, view);
      return 'delivered';
    });
  }

  async function park(tx: Tx, m: MessageRow & { last_error_code?: string | null }, reason: HandOverRefusal): Promise<void> {
    if (m.last_error_code === reason) return; // already parked, and audited, for this reason
    await tx.query(`UPDATE messages SET last_error_code = $2, updated_at = $3 WHERE id = $1`, [m.id, reason, deps.now()]);
    await audit.append(tx, {
      action: 'ACCESS_DENIED',
      actor: WORKER,
      caseId: m.case_id,
      requestId: m.request_id,
      messageId: m.id,
      agreementId: m.agreement_id,
      agreementVersion: m.agreement_version,
      decision: 'DENY',
      reasonCode: reason,
      agencyIds: [m.sender_agency_id, m.recipient_agency_id],
      detail: { stage: 'push', state: m.state },
    });
  }

  /**
   * Push messages of `agencyId` parked for want of a valid certificate (call when it is issued one):
   * their ids, for the caller to put back on the delivery queue. Each is checked again on delivery.
   */
  async function parkedFor(agencyId: string): Promise<string[]> {
    const r = await pool.query<{ id: string }>(
      `SELECT id FROM messages WHERE recipient_agency_id = $1 AND state = 'queued' AND delivery_mode = 'push'
          AND last_error_code = ANY($2::text[]) ORDER BY created_at`,
      [agencyId, HAND_OVER_REFUSALS],
    );
    return r.rows.map((x) => x.id);
  }

  async function recordAttemptError(messageId: string, code: string): Promise<void> {
    await pool.query(`UPDATE messages SET attempts = attempts + 1, last_error_code = $2, updated_at = now() WHERE id = $1 AND state = 'queued'`, [messageId, code]);
  }

  /** Dead letter: the message is failed, visibly, on the case. */
  async function markFailed(messageId: string, code: string): Promise<void> {
    await withTx(pool, async (tx) => {
      const r = await tx.query<MessageRow>(`SELECT * FROM messages WHERE id = $1 FOR UPDATE`, [messageId]);
      const m = r.rows[0];
      if (!m || m.state !== 'queued') return;
      await tx.query(`UPDATE messages SET state = 'failed', last_error_code = $2, updated_at = $3 WHERE id = $1`, [messageId, code, deps.now()]);
      await audit.append(tx, {
        action: 'DELIVERY_FAILED',
        actor: WORKER,
        caseId: m.case_id,
        requestId: m.request_id,
        messageId,
        agreementId: m.agreement_id,
        agreementVersion: m.agreement_version,
        decision: 'NONE',
        reasonCode: code,
        agencyIds: [m.sender_agency_id, m.recipient_agency_id],
        detail: { attempts: m.attempts },
      });
    });
  }

  return { deliver, recordAttemptError, markFailed, parkedFor };
}

export type PushDelivery = ReturnType<typeof createPushDelivery>;
