import net from 'node:net';
import nodemailer from 'nodemailer';
import { NotifyClient } from 'notifications-node-client';
import type { NotificationKind, OutgoingMessage } from './types.js';

/**
 * Where notifications go: GOV.UK Notify (its official client) or any SMTP server (nodemailer;
 * the development default is the in-process mailbox). Every send carries the outbox row's id as
 * its idempotency reference: Notify's `reference`, and the SMTP Message-ID.
 */

export interface SendResult {
  providerId?: string;
}

/** How an attempt failed: `permanent` never succeeds on retry; `uncertain` may have been delivered. */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly outcome: 'permanent' | 'transient' | 'uncertain',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface Transport {
  readonly name: 'notify' | 'smtp';
  send(m: OutgoingMessage): Promise<SendResult>;
  /** Whether a message with this reference was already accepted (only where the provider can say). */
  lookup?(reference: string): Promise<SendResult | undefined>;
  /** Ends open connections; sends in progress fail (as uncertain). */
  close(): Promise<void>;
}

export interface NotifyOptions {
  apiKey: string;
  /** Default https://api.notifications.service.gov.uk. */
  baseUrl?: string;
  /** The template for every kind unless overridden; personalisation: subject, body, link, reference. */
  templateId: string;
  templates?: Partial<Record<NotificationKind, string>>;
  timeoutMs: number;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new TransportError('timed out', 'TIMEOUT', 'uncertain')), ms);
    t.unref();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

function notifyError(err: unknown): TransportError {
  if (err instanceof TransportError) return err;
  const status = (err as { response?: { status?: number } }).response?.status;
  if (status === undefined) return new TransportError('Notify did not answer', 'NOTIFY_UNREACHABLE', 'uncertain', { cause: err });
  // 400 (a bad template, address or personalisation) and 403 (a bad key) will not change on retry.
  if (status === 400 || status === 403) return new TransportError(`Notify refused the message (${status})`, `NOTIFY_${status}`, 'permanent', { cause: err });
  return new TransportError(`Notify failed (${status})`, `NOTIFY_${status}`, status === 429 ? 'transient' : 'uncertain', { cause: err });
}

export function createNotifyTransport(o: NotifyOptions): Transport {
  const client = o.baseUrl ? new NotifyClient(o.baseUrl, o.apiKey) : new NotifyClient(o.apiKey);
  let closed = false;
  return {
    name: 'notify',
    async send(m) {
      if (closed) throw new TransportError('transport closed', 'CLOSED', 'transient');
      try {
        const res = await withTimeout(
          client.sendEmail(o.templates?.[m.kind] ?? o.templateId, m.to, {
            personalisation: { subject: m.subject, body: m.body, link: m.link, reference: m.reference },
            reference: m.reference,
          }),
          o.timeoutMs,
        );
        const id = (res.data as { id?: unknown }).id;
        return typeof id === 'string' ? { providerId: id } : {};
      } catch (err) {
        throw notifyError(err);
      }
    },
    async lookup(reference) {
      try {
        const res = await withTimeout(client.getNotifications('email', undefined, reference), o.timeoutMs);
        const list = (res.data as { notifications?: { id?: string; reference?: string }[] }).notifications ?? [];
        const found = list.find((n) => n.reference === reference);
        return found ? (typeof found.id === 'string' ? { providerId: found.id } : {}) : undefined;
      } catch (err) {
        throw notifyError(err);
      }
    },
    async close() {
      closed = true;
    },
  };
}

export interface SmtpOptions {
  url: string;
  from: string;
  timeoutMs: number;
  /** Message-ID domain (the right-hand side of `<reference@domain>`). */
  domain: string;
}

export function messageIdFor(reference: string, domain: string): string {
  return `<${reference}@${domain}>`;
}

export function createSmtpTransport(o: SmtpOptions): Transport {
  // The gateway opens each connection itself (nodemailer's getSocket) so that close() can end the
  // ones still in use: a stop does not wait on a server that is slow to accept. nodemailer then
  // speaks SMTP over it as usual, TLS included (smtps, or STARTTLS when offered).
  const sockets = new Set<net.Socket>();
  let closed = false;
  const u = new URL(o.url);
  const secure = u.protocol === 'smtps:';
  const transporter = nodemailer.createTransport({
    host: u.hostname,
    port: u.port ? Number(u.port) : secure ? 465 : 25,
    secure,
    ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
    connectionTimeout: o.timeoutMs,
    greetingTimeout: o.timeoutMs,
    socketTimeout: o.timeoutMs,
    getSocket(opts: { host?: string; port?: number }, callback: (err: Error | null, socket?: { connection: net.Socket }) => void) {
      if (closed) return callback(new TransportError('transport closed', 'CLOSED', 'transient'));
      const sock = net.connect({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 25 });
      sockets.add(sock);
      sock.once('close', () => sockets.delete(sock));
      const fail = (err: Error) => callback(err);
      sock.once('error', fail);
      sock.once('connect', () => {
        sock.off('error', fail);
        callback(null, { connection: sock });
      });
    },
  } as never);
  return {
    name: 'smtp',
    async send(m) {
      try {
        const info = await transporter.sendMail({
          from: o.from,
          to: m.to,
          subject: m.subject,
          text: m.body,
          messageId: messageIdFor(m.reference, o.domain),
          headers: { 'X-MARAC-Reference': m.reference },
        });
        return { providerId: String(info.messageId ?? messageIdFor(m.reference, o.domain)) };
      } catch (err) {
        if (err instanceof TransportError) throw err;
        const e = err as { responseCode?: number; code?: string; command?: string };
        if (typeof e.responseCode === 'number' && e.responseCode >= 500) {
          throw new TransportError(`the SMTP server refused the message (${e.responseCode})`, `SMTP_${e.responseCode}`, 'permanent', { cause: err });
        }
        if (typeof e.responseCode === 'number' && e.responseCode >= 400) {
          throw new TransportError(`the SMTP server deferred the message (${e.responseCode})`, `SMTP_${e.responseCode}`, 'transient', { cause: err });
        }
        // No connection at all: nothing can have been taken. A connection lost later (nodemailer
        // reports any unexpected close as ECONNECTION) may have been lost just after the server
        // took the message: uncertain, sent again under the same Message-ID.
        const before = ['ECONNREFUSED', 'EDNS', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH'].includes(String(e.code)) ||
          ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH'].includes(String((err as { cause?: { code?: string } }).cause?.code));
        throw new TransportError('the SMTP exchange did not complete', (e.code ?? 'SMTP_CONNECTION').slice(0, 40), before ? 'transient' : 'uncertain', { cause: err });
      }
    },
    async close() {
      closed = true;
      for (const s of sockets) s.destroy();
      transporter.close();
    },
  };
}
