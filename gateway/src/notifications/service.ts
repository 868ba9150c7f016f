import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { AuditLog } from '../audit/types.js';
import type { SystemPrincipal } from '../identity/principal.js';
import type { Logger } from '../logger.js';
import { withTx, type Queryable } from '../store/db.js';
import { absoluteLink, composeMessage } from './content.js';
import { deriveActionReminders, deriveFromEvent, londonDay, SOURCE_ACTIONS, type SourceEvent } from './derive.js';
// The mailbox needs smtp-server, a development dependency: loaded only for dev-smtp (dev-only.ts).
import type { Mailbox } from './mailbox.js';
import { loadDevOnly } from '../dev-only.js';
import { preferencesOf, recipientsFor, setPreferences, type TeamMailbox } from './people-directory.js';
import { createNotifyTransport, createSmtpTransport, TransportError, type Transport } from './transports.js';
import { isKind, type Derived, type NotificationKind } from './types.js';

/**
 * Notifications, derived from the audit log (docs/decisions/0022):
 *
 *   derive   sequenced events after the cursor → outbox rows (one per event and recipient), and
 *            the cursor moved, in one transaction: each event is turned into notifications once.
 *   sweep    open actions due soon or overdue → outbox rows keyed by action and due date.
 *   dispatch due rows claimed (a lease, SKIP LOCKED) → sent with the row id as the idempotency
 *            reference → marked sent with NOTIFICATION_SENT in one transaction; a failure is
 *            retried with backoff, given up with NOTIFICATION_FAILED.
 *
 * An attempt whose outcome is unknown (a stop or crash mid-send, a lost answer) leaves the row
 * `uncertain`: the next attempt first asks Notify whether it holds the reference, or re-sends the
 * same Message-ID over SMTP, which a receiver recognises as the same message.
 */

export type TransportKind = 'notify' | 'smtp' | 'dev-smtp' | 'off';

export interface NotificationsConfig {
  transport: TransportKind;
  notify?: { apiKey: string; baseUrl?: string; templateId: string; templates: Partial<Record<NotificationKind, string>> };
  smtpUrl?: string;
  from: string;
  teamMailboxes: TeamMailbox[];
  pollMs: number;
  maxAttempts: number;
  actionDueDays: number;
  timeoutMs: number;
  devSmtpPort: number;
}

export interface NotificationsDeps {
  pool: pg.Pool;
  audit: AuditLog;
  now: () => Date;
  logger: Logger;
  publicUrl: string;
  config: NotificationsConfig;
  /** How long a claimed row is this process's before another may take it (crashed sender). */
  leaseMs: number;
}

export interface DispatchResult {
  sent: number;
  failed: number;
  retrying: number;
}

export interface Notifications {
  readonly enabled: boolean;
  readonly transport: TransportKind;
  /** The development mailbox, when the transport is dev-smtp and the gateway is started. */
  mailbox(): Mailbox | undefined;
  start(): Promise<void>;
  derive(): Promise<number>;
  sweep(): Promise<number>;
  dispatch(): Promise<DispatchResult>;
  /** derive then dispatch: the periodic job. */
  tick(): Promise<DispatchResult & { derived: number }>;
  preferences(userId: string): Promise<Record<NotificationKind, boolean>>;
  setPreferences(userId: string, prefs: Partial<Record<NotificationKind, boolean>>): Promise<void>;
  /** Ends sends in progress (they stay to be sent again), and the dev mailbox. */
  stop(): Promise<void>;
}

const SYSTEM: SystemPrincipal = { kind: 'system', component: 'notifications' };
const EVENTS_PER_ROUND = 2000;
const CLAIM_BATCH = 50;
const MAX_BACKOFF_MS = 3_600_000;
const REASON = /^[A-Z][A-Z0-9_]{0,79}$/;

interface OutboxRow {
  id: string;
  kind: string;
  address: string;
  link_path: string;
  case_id: string | null;
  agency_id: string | null;
  recipient_key: string;
  attempts: number;
  uncertain: boolean;
}


function reasonOf(code: string): string {
  const c = code.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  return REASON.test(c) ? c : 'SEND_FAILED';
}

export function createNotifications(deps: NotificationsDeps): Notifications {
  const { pool, audit, now, logger, config } = deps;
  const enabled = config.transport !== 'off';
  const transportName = config.transport === 'notify' ? 'notify' : 'smtp';
  let transport: Transport | undefined;
  let mailbox: Mailbox | undefined;
  let stopping = false;
  const inFlight = new Set<Promise<unknown>>();

  async function insertOutbox(q: Queryable, derived: Derived[]): Promise<number> {
    let added = 0;
    for (const d of derived) {
      for (const r of await recipientsFor(q, d, config.teamMailboxes)) {
        const res = await q.query(
          `INSERT INTO notification_outbox (id, source_key, recipient_key, kind, address, link_path, case_id, agency_id, created_at, next_attempt_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (source_key, recipient_key) DO NOTHING`,
          [`ntf_${randomUUID().replaceAll('-', '')}`, d.sourceKey, r.key, d.kind, r.address, d.linkPath, d.caseId ?? null, d.agencyId, now()],
        );
        added += res.rowCount ?? 0;
      }
    }
    return added;
  }

  async function derive(): Promise<number> {
    if (!enabled) return 0;
    let total = 0;
    for (;;) {
      const r = await withTx(pool, async (tx) => {
        // One deriver at a time across instances; another that finds it busy leaves it.
        const c = await tx.query<{ last_seq: string }>('SELECT last_seq FROM notification_cursor WHERE id = 1 FOR UPDATE SKIP LOCKED');
        if (c.rowCount === 0) return { added: 0, more: false };
        const last = Number(c.rows[0]!.last_seq);
        const head = Number((await tx.query<{ tree_size: string }>('SELECT tree_size FROM audit_head WHERE id = 1')).rows[0]!.tree_size);
        const upTo = Math.min(head, last + EVENTS_PER_ROUND);
        if (upTo <= last) return { added: 0, more: false };
        const ev = await tx.query<{ seq: string; action: string; case_id: string | null; request_id: string | null; message_id: string | null; agency_ids: string[]; canonical: string }>(
          `SELECT seq, action, case_id, request_id, message_id, agency_ids, canonical FROM audit_events
            WHERE seq > $1 AND seq <= $2 AND action = ANY($3::text[]) ORDER BY seq`,
          [last, upTo, [...SOURCE_ACTIONS]],
        );
        let added = 0;
        for (const row of ev.rows) {
          const parsed = JSON.parse(row.canonical) as { ts?: string; decision?: string; detail?: Record<string, unknown>; actor?: { kind?: string; agencyId?: string; userId?: string } };
          const e: SourceEvent = {
            seq: Number(row.seq),
            action: row.action,
            caseId: row.case_id,
            requestId: row.request_id,
            messageId: row.message_id,
            agencyIds: row.agency_ids ?? [],
            ...(parsed.actor?.agencyId ? { actorAgencyId: parsed.actor.agencyId } : {}),
            ...(parsed.actor?.kind === 'person' && parsed.actor.userId ? { actorUserId: parsed.actor.userId } : {}),
            ...(parsed.decision ? { decision: parsed.decision } : {}),
            ...(parsed.ts ? { ts: parsed.ts } : {}),
            detail: parsed.detail ?? {},
          };
          added += await insertOutbox(tx, await deriveFromEvent(tx, e));
        }
        await tx.query('UPDATE notification_cursor SET last_seq = $1, updated_at = $2 WHERE id = 1', [upTo, now()]);
        return { added, more: upTo < head };
      });
      total += r.added;
      if (!r.more || stopping) return total;
    }
  }

  async function sweep(): Promise<number> {
    if (!enabled) return 0;
    return withTx(pool, async (tx) => insertOutbox(tx, await deriveActionReminders(tx, londonDay(now()), config.actionDueDays)));
  }

  async function claim(): Promise<OutboxRow[]> {
    const t = now();
    const r = await pool.query<OutboxRow>(
      `UPDATE notification_outbox o
          SET state = 'sending', attempts = o.attempts + 1, claimed_until = $2,
              -- A row whose lease ran out was being sent by a process that died: outcome unknown.
              uncertain = o.uncertain OR o.state = 'sending'
        WHERE o.id IN (SELECT id FROM notification_outbox
                        WHERE (state = 'pending' AND next_attempt_at <= $1) OR (state = 'sending' AND claimed_until < $1)
                        ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING o.id, o.kind, o.address, o.link_path, o.case_id, o.agency_id, o.recipient_key, o.attempts, o.uncertain`,
      [t, new Date(t.getTime() + deps.leaseMs), CLAIM_BATCH],
    );
    return r.rows;
  }

  function auditFields(row: OutboxRow) {
    return {
      actor: SYSTEM,
      ...(row.case_id ? { caseId: row.case_id } : {}),
      ...(row.agency_id ? { agencyIds: [row.agency_id] } : {}),
      decision: 'NONE' as const,
    };
  }

  async function markSent(row: OutboxRow, providerId: string | undefined, recovered: boolean): Promise<boolean> {
    return withTx(pool, async (tx) => {
      const u = await tx.query(
        `UPDATE notification_outbox SET state = 'sent', sent_at = $2, provider_id = $3, claimed_until = NULL, last_error_code = NULL
          WHERE id = $1 AND state = 'sending'`,
        [row.id, now(), providerId?.slice(0, 200) ?? null],
      );
      if ((u.rowCount ?? 0) === 0) return false;
      await audit.append(tx, {
        action: 'NOTIFICATION_SENT',
        ...auditFields(row),
        detail: { kind: row.kind, notificationId: row.id, recipient: row.recipient_key.startsWith('team:') ? 'team' : 'person', attempt: row.attempts, recovered, transport: transportName },
      });
      return true;
    });
  }

  async function markFailed(row: OutboxRow, err: TransportError): Promise<'failed' | 'retrying'> {
    const giveUp = err.outcome === 'permanent' || row.attempts >= config.maxAttempts;
    const code = reasonOf(err.code);
    return withTx(pool, async (tx) => {
      if (giveUp) {
        const u = await tx.query(
          `UPDATE notification_outbox SET state = 'failed', claimed_until = NULL, last_error_code = $2 WHERE id = $1 AND state = 'sending'`,
          [row.id, code],
        );
        if ((u.rowCount ?? 0) > 0) {
          await audit.append(tx, {
            action: 'NOTIFICATION_FAILED',
            ...auditFields(row),
            reasonCode: code,
            detail: { kind: row.kind, notificationId: row.id, attempt: row.attempts, transport: transportName },
          });
        }
        return 'failed';
      }
      // A stop returns the row at once (the next start sends it); otherwise back off.
      const delay = stopping ? 0 : Math.min(MAX_BACKOFF_MS, config.pollMs * 2 ** Math.max(0, row.attempts - 1));
      await tx.query(
        `UPDATE notification_outbox SET state = 'pending', claimed_until = NULL, last_error_code = $2,
            uncertain = uncertain OR $3, next_attempt_at = $4 WHERE id = $1 AND state = 'sending'`,
        [row.id, code, err.outcome === 'uncertain', new Date(now().getTime() + delay)],
      );
      return 'retrying';
    });
  }

  /** Hands a claimed row back without an attempt (a stop before its send began). */
  async function release(row: OutboxRow): Promise<'retrying'> {
    await pool.query(
      `UPDATE notification_outbox SET state = 'pending', claimed_until = NULL, attempts = attempts - 1 WHERE id = $1 AND state = 'sending'`,
      [row.id],
    );
    return 'retrying';
  }

  async function sendOne(row: OutboxRow): Promise<'sent' | 'failed' | 'retrying'> {
    const t = transport!;
    try {
      if (!isKind(row.kind)) throw new TransportError('unknown kind', 'UNKNOWN_KIND', 'permanent');
      if (row.uncertain && t.lookup) {
        const found = await t.lookup(row.id);
        if (found) return (await markSent(row, found.providerId, true)) ? 'sent' : 'retrying';
      }
      const link = absoluteLink(deps.publicUrl, row.link_path);
      const { subject, body } = composeMessage(row.kind, row.id, link);
      const res = await t.send({ reference: row.id, kind: row.kind, to: row.address, subject, body, link });
      return (await markSent(row, res.providerId, false)) ? 'sent' : 'retrying';
    } catch (err) {
      const e = err instanceof TransportError ? err : new TransportError((err as Error).message, 'INTERNAL', 'uncertain', { cause: err });
      if (!stopping) logger.warn('notification not sent', { notificationId: row.id, code: e.code, outcome: e.outcome, attempt: row.attempts });
      return markFailed(row, e);
    }
  }

  async function dispatch(): Promise<DispatchResult> {
    const out: DispatchResult = { sent: 0, failed: 0, retrying: 0 };
    if (!enabled || !transport) return out;
    while (!stopping) {
      const rows = await claim();
      if (rows.length === 0) break;
      for (const row of rows) {
        // A stop during the batch hands the rest back untouched by a send.
        const p = stopping ? release(row) : sendOne(row);
        inFlight.add(p);
        const r = await p.finally(() => inFlight.delete(p));
        out[r === 'sent' ? 'sent' : r === 'failed' ? 'failed' : 'retrying']++;
      }
    }
    return out;
  }

  return {
    enabled,
    transport: config.transport,
    mailbox: () => mailbox,
    async start() {
      if (!enabled || transport) return;
      stopping = false;
      const domain = new URL(deps.publicUrl).hostname || 'marac-gateway';
      switch (config.transport) {
        case 'notify':
          transport = createNotifyTransport({ ...config.notify!, timeoutMs: config.timeoutMs });
          break;
        case 'smtp':
          transport = createSmtpTransport({ url: config.smtpUrl!, from: config.from, timeoutMs: config.timeoutMs, domain });
          break;
        case 'dev-smtp':
          {
            const { startMailbox } = await loadDevOnly(() => import('./mailbox.js'), 'NOTIFICATIONS_TRANSPORT=dev-smtp (the development mailbox)');
            mailbox = await startMailbox({ port: config.devSmtpPort, now });
          }
          transport = createSmtpTransport({ url: mailbox.url, from: config.from, timeoutMs: config.timeoutMs, domain });
          logger.info('development mailbox started', { smtp: mailbox.url, page: '/dev/mailbox' });
          break;
      }
    },
    derive,
    sweep,
    dispatch,
    async tick() {
      const derived = await derive();
      return { derived, ...(await dispatch()) };
    },
    preferences: (userId) => preferencesOf(pool, userId),
    setPreferences: (userId, prefs) => setPreferences(pool, userId, prefs, now()),
    async stop() {
      stopping = true;
      // Closing the transport ends sends in progress; each settles as uncertain and is handed back.
      await transport?.close().catch(() => {});
      await Promise.allSettled([...inFlight]);
      transport = undefined;
      await mailbox?.close().catch(() => {});
      mailbox = undefined;
    },
  };
}
