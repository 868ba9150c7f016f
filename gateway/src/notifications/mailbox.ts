import { SMTPServer, type SMTPServerSession } from 'smtp-server';

/**
 * The development mailbox: a real SMTP server (the `smtp-server` package) in the gateway's
 * process, on loopback, that keeps what it is sent in memory for the /dev/mailbox page. The
 * gateway sends to it through nodemailer exactly as it would to an organisation's relay, so the
 * embedded default exercises the same path as production SMTP. Never started in production.
 *
 * A message is taken when the server answers 250 to it on a connection that is still open (RFC
 * 5321 §4.1.1.4: that reply is when the server takes responsibility); a sender that went away
 * before the reply has not handed it over. A message with a Message-ID already held is counted as
 * another transmission of the same message, not kept twice (the sender's idempotency reference).
 */

export interface MailboxMessage {
  messageId: string;
  /** X-MARAC-Reference (the outbox row id). */
  reference?: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  receivedAt: string;
  /** How many times this Message-ID was handed over (more than 1 only after an uncertain attempt). */
  transmissions: number;
}

export interface MailboxOptions {
  host?: string;
  /** 0: any free port. */
  port?: number;
  /** Messages kept (oldest dropped first). */
  limit?: number;
  /** Runs before a received message is taken (tests hold acceptance here). */
  beforeAccept?: (m: Omit<MailboxMessage, 'transmissions' | 'receivedAt'>) => Promise<void>;
  now?: () => Date;
}

export interface Mailbox {
  readonly port: number;
  /** smtp://127.0.0.1:<port> for nodemailer. */
  readonly url: string;
  /** Newest first. */
  messages(): MailboxMessage[];
  /** SMTP connections open now. */
  connections(): number;
  clear(): void;
  close(): Promise<void>;
}

function unfold(head: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return out;
}

function decodeWords(v: string): string {
  return v.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _cs: string, enc: string, data: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(data, 'base64').toString('utf8')
      : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
  );
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'quoted-printable': {
      const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
      return Buffer.from(bytes, 'latin1').toString('utf8');
    }
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

/** Headers and the text of a single-part message (what the gateway sends). */
export function parseMessage(raw: string): { headers: Map<string, string>; subject: string; text: string } {
  const at = raw.indexOf('\r\n\r\n');
  const headers = unfold(at >= 0 ? raw.slice(0, at) : raw);
  const body = at >= 0 ? raw.slice(at + 4) : '';
  return {
    headers,
    subject: decodeWords(headers.get('subject') ?? ''),
    text: decodeBody(body, headers.get('content-transfer-encoding')).replace(/\r\n/g, '\n').replace(/\n$/, ''),
  };
}

export async function startMailbox(o: MailboxOptions = {}): Promise<Mailbox> {
  const host = o.host ?? '127.0.0.1';
  const limit = o.limit ?? 500;
  const now = o.now ?? (() => new Date());
  const held = new Map<string, MailboxMessage>();
  const closedSessions = new Set<string>();
  const open = new Set<string>();

  function take(m: Omit<MailboxMessage, 'transmissions' | 'receivedAt'>): void {
    const known = held.get(m.messageId);
    if (known) {
      known.transmissions += 1;
      return;
    }
    held.set(m.messageId, { ...m, receivedAt: now().toISOString(), transmissions: 1 });
    while (held.size > limit) held.delete(held.keys().next().value as string);
  }

  const server = new SMTPServer({
    // Loopback only, no credentials: a development convenience that nothing outside can reach.
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    banner: 'MARAC development mailbox',
    size: 1024 * 1024,
    logger: false,
    onConnect(session: SMTPServerSession, callback: (err?: Error | null) => void) {
      open.add(session.id);
      callback();
    },
    onClose(session: SMTPServerSession) {
      closedSessions.add(session.id);
      if (closedSessions.size > 1000) closedSessions.delete(closedSessions.values().next().value as string);
      open.delete(session.id);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        void (async () => {
          const { headers, subject, text } = parseMessage(Buffer.concat(chunks).toString('utf8'));
          const message = {
            messageId: headers.get('message-id') ?? `<no-id-${session.id}-${chunks.length}@mailbox>`,
            ...(headers.get('x-marac-reference') ? { reference: headers.get('x-marac-reference')! } : {}),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject,
            text,
          };
          try {
            if (o.beforeAccept) await o.beforeAccept(message);
          } catch (err) {
            return callback(err as Error);
          }
          // The sender left before the answer: it has not handed the message over.
          if (closedSessions.has(session.id)) return callback(new Error('connection closed'));
          take(message);
          callback(null, 'Queued');
        })();
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    const s = server.listen(o.port ?? 0, host, () => resolve());
    s.once('error', reject);
  });
  const port = ((server as unknown as { server: { address(): { port: number } } }).server.address()).port;
  return {
    port,
    url: `smtp://${host}:${port}`,
    messages: () => [...held.values()].reverse(),
    connections: () => open.size,
    clear: () => held.clear(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
