/**
 * The baseline for the exchange benchmarks: a bare Express app on HTTPS with the gateway's own TLS
 * options (same server certificate, same client-certificate CA), offering the agency API's
 * research endpoints with the work the gateway does taken out: no registry, policy, schema
 * validation, database, encryption or audit. Requests and messages live in memory; the caller's
 * agency is the CN of its client certificate. It parses the same JSON bodies with the same limit.
 *
 * Only for benchmarks: it trusts any certificate chaining to the CA and keeps everything forever.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import express, { type Request, type Response } from 'express';

export interface BaselineServer {
  baseUrl: string;
  close(): Promise<void>;
}

interface Message {
  messageId: string;
  requestId: string;
  caseId: string;
  recipient: string;
  state: 'queued' | 'delivered' | 'acknowledged' | 'responded';
}

const id = (p: string) => `${p}_${randomBytes(16).toString('hex')}`;

export function createBaselineApp(): express.Express {
  const messages = new Map<string, Message>();
  const byRequest = new Map<string, Message[]>();
  const waiters = new Map<string, Set<() => void>>();
  const agencyOfSocket = new WeakMap<object, string>();

  function agency(req: Request): string {
    const sock = req.socket as TLSSocket;
    let a = agencyOfSocket.get(sock);
    if (a === undefined) {
      a = String(sock.getPeerCertificate().subject?.CN ?? '');
      agencyOfSocket.set(sock, a);
    }
    return a;
  }

  function wake(recipient: string): void {
    for (const w of waiters.get(recipient) ?? []) w();
  }

  function take(recipient: string): Message[] {
    const out: Message[] = [];
    for (const m of messages.values()) {
      if (m.recipient === recipient && m.state === 'queued') {
        m.state = 'delivered';
        out.push(m);
        if (out.length === 20) break;
      }
    }
    return out;
  }

  const app = express();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    if (!(req.socket as TLSSocket).authorized) return void res.status(401).json({ code: 'CLIENT_CERT_REQUIRED' });
    next();
  });
  app.use(express.json({ limit: '512kb', strict: true, type: 'application/json' }));

  app.post('/v1/cases', (req, res) => {
    const subjects = (req.body?.subjects ?? []) as { key: string }[];
    res.status(201).json({ caseId: id('case'), subjects: subjects.map((s) => ({ key: s.key, subjectId: id('subj') })) });
  });

  app.post('/v1/cases/:caseId/research-requests', (req, res) => {
    const requestId = id('req');
    const list: Message[] = ((req.body?.recipients ?? []) as string[]).map((recipient) => ({
      messageId: id('msg'), requestId, caseId: String(req.params.caseId), recipient, state: 'queued',
    }));
    byRequest.set(requestId, list);
    for (const m of list) messages.set(m.messageId, m);
    for (const m of list) wake(m.recipient);
    res.status(201).json({ requestId, messages: list.map((m) => ({ messageId: m.messageId, recipient: m.recipient })), refused: [] });
  });

  app.get('/v1/inbox', async (req: Request, res: Response) => {
    const me = agency(req);
    const wait = Math.min(Number(req.query.wait ?? 0) || 0, 30) * 1000;
    let got = take(me);
    if (got.length === 0 && wait > 0) {
      await new Promise<void>((resolve) => {
        const set = waiters.get(me) ?? new Set();
        waiters.set(me, set);
        const done = () => {
          clearTimeout(timer);
          set.delete(done);
          resolve();
        };
        const timer = setTimeout(done, wait);
        set.add(done);
        res.on('close', done);
      });
      got = take(me);
    }
    res.json({ messages: got.map((m) => ({ messageId: m.messageId, requestId: m.requestId, caseId: m.caseId, kind: 'RESEARCH_REQUEST' })) });
  });

  app.post('/v1/inbox/:messageId/ack', (req, res) => {
    const m = messages.get(String(req.params.messageId));
    if (!m || m.recipient !== agency(req)) return void res.status(404).json({ code: 'MESSAGE_NOT_FOUND' });
    if (m.state === 'delivered') m.state = 'acknowledged';
    res.json({ messageId: m.messageId, state: m.state });
  });

  app.get('/v1/research-requests/:requestId', (req, res) => {
    const list = byRequest.get(String(req.params.requestId));
    if (!list) return void res.status(404).json({ code: 'REQUEST_NOT_FOUND' });
    res.json({ requestId: req.params.requestId, messages: list.map((m) => ({ messageId: m.messageId, recipient: m.recipient, state: m.state })) });
  });

  // The ingest baseline posts to request ids this server never made: it parses the body and
  // answers 201 all the same. For its own requests it records the answer.
  app.post('/v1/research-requests/:requestId/response', (req, res) => {
    const me = agency(req);
    const m = byRequest.get(String(req.params.requestId))?.find((x) => x.recipient === me);
    if (m) m.state = 'responded';
    const subjects = Array.isArray(req.body?.subjectResults) ? req.body.subjectResults.length : 0;
    res.status(201).json({ requestId: req.params.requestId, messageId: m?.messageId ?? null, state: 'responded', subjects });
  });

  return app;
}

/** Listens on 127.0.0.1 (free port) with the given mTLS options, e.g. the test PKI's `serverOptions`. */
export async function startBaselineServer(tls: https.ServerOptions): Promise<BaselineServer> {
  const server = https.createServer(tls, createBaselineApp());
  server.keepAliveTimeout = 35_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `https://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
