/**
 * Push mode: a small HTTPS endpoint the gateway POSTs research requests to. Mutual TLS both ways:
 * the gateway must present a client certificate that chains to the agency's trusted CA and names
 * the gateway (CN), or the connection gets nothing. `POST /deliveries` with the inbox message shape
 * answers 202 once the message is held (journaled when durable) and answers it in the background:
 * the gateway keeps its delivery transaction open until the 202, so the answer cannot be sent
 * from inside this request.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { TLS_PROFILE } from '@marac/tls-profile';
import type { Runner } from './runner.js';
import type { InboxMessage } from './types.js';

export interface PushReceiverOptions {
  runner: Pick<Runner, 'accept'>;
  /** The receiver's own server certificate and key. */
  certPem: string;
  keyPem: string;
  /** CA the gateway's client certificate must chain to. */
  caPem: string;
  /** The common name the gateway's client certificate must carry. */
  gatewayId?: string;
  host?: string;
  port?: number;
  maxBodyBytes?: number;
}

export interface PushReceiver {
  url: string;
  close(): Promise<void>;
}

function problem(res: ServerResponse, status: number, code: string): void {
  const body = JSON.stringify({ type: 'about:blank', status, code });
  res.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function isMessage(m: unknown): m is InboxMessage {
  if (!m || typeof m !== 'object') return false;
  const x = m as Record<string, unknown>;
  const req = x.request as Record<string, unknown> | undefined;
  return typeof x.messageId === 'string' && /^[A-Za-z0-9_-]{1,80}$/.test(x.messageId) && typeof x.requestId === 'string' && x.kind === 'RESEARCH_REQUEST'
    && !!req && Array.isArray(req.subjects) && req.subjects.every((s) => s && typeof s === 'object' && typeof (s as { subjectId?: unknown }).subjectId === 'string')
    && Array.isArray(req.requestedDomains) && typeof req.lookbackMonths === 'number';
}

export async function startPushReceiver(opts: PushReceiverOptions): Promise<PushReceiver> {
  const gatewayId = opts.gatewayId ?? 'marac-gateway';
  const maxBody = opts.maxBodyBytes ?? 1_000_000;
  const server = https.createServer({
    cert: opts.certPem, key: opts.keyPem, ca: opts.caPem,
    requestCert: true, rejectUnauthorized: true, ...TLS_PROFILE,
  }, (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    // rejectUnauthorized already refused untrusted chains; the CN pins which trusted party may push.
    if (!socket.authorized || peer?.subject?.CN !== gatewayId) return problem(res, 403, 'FORBIDDEN');
    if (req.url !== '/deliveries') return problem(res, 404, 'NOT_FOUND');
    if (req.method !== 'POST') return problem(res, 405, 'METHOD_NOT_ALLOWED');
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return problem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      if (tooLarge) return problem(res, 413, 'PAYLOAD_TOO_LARGE');
      let msg: unknown;
      try {
        msg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return problem(res, 400, 'MALFORMED_JSON');
      }
      if (!isMessage(msg)) return problem(res, 400, 'VALIDATION_FAILED');
      try {
        opts.runner.accept(msg);
      } catch {
        return problem(res, 503, 'SERVICE_UNAVAILABLE');
      }
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ accepted: true, messageId: msg.messageId }));
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `https://${host}:${addr.port}/deliveries`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
