/**
 * Wire-level clients for hostile-input tests: `send` takes a Buffer body (invalid UTF-8, gzip) and
 * any headers Node lets through; `rawTls` writes bytes Node's HTTP client refuses to write (CR/LF
 * inside a header, a broken request line) straight onto a TLS socket.
 */
import https from 'node:https';
import tls from 'node:tls';
import type { AgencyCreds } from '../helpers/pki.js';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

export function send(
  baseUrl: string,
  creds: AgencyCreds | null,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: https.Agent; caPem?: string } = {},
): Promise<Reply> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: url.hostname,
      port: url.port,
      // Sent verbatim: URL parsing would normalise the very paths we want to try.
      path,
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { accept: 'application/json', ...init.headers, ...(init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}) },
      ...(init.agent
        ? { agent: init.agent }
        : { agent: false, ca: creds?.caPem ?? init.caPem, ...(creds ? { cert: creds.certPem, key: creds.keyPem } : {}) }),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        if (/json/.test(String(res.headers['content-type'] ?? ''))) {
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

export interface RawReply {
  /** Status from the first response line, 0 when the server closed without answering. */
  status: number;
  head: string;
  body: string;
}

/** Writes `bytes` on a fresh mTLS connection and reads until the server closes or `timeoutMs` (send `Connection: close`). */
export function rawTls(baseUrl: string, creds: AgencyCreds | null, bytes: string | Buffer, opts: { caPem?: string; timeoutMs?: number } = {}): Promise<RawReply> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: url.hostname,
      port: Number(url.port),
      ca: creds?.caPem ?? opts.caPem,
      servername: 'localhost',
      ...(creds ? { cert: creds.certPem, key: creds.keyPem } : {}),
    }, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), opts.timeoutMs ?? 5000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // Done once the head and Content-Length bytes of body are in (the server may keep the socket).
      const all = Buffer.concat(chunks);
      const cut = all.indexOf('\r\n\r\n');
      const len = cut < 0 ? null : /\r\ncontent-length: *(\d+)/i.exec(all.subarray(0, cut).toString('latin1'))?.[1];
      if (len !== null && len !== undefined && all.length - cut - 4 >= Number(len)) {
        clearTimeout(timer);
        finish();
        socket.destroy();
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      if (chunks.length) finish();
      else reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      finish();
    });
    let done = false;
    function finish() {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('utf8');
      const cut = text.indexOf('\r\n\r\n');
      const head = cut < 0 ? text : text.slice(0, cut);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      resolve({ status: m ? Number(m[1]) : 0, head, body: cut < 0 ? '' : text.slice(cut + 4) });
    }
  });
}
