import http from 'node:http';
import { GatewayError } from '../errors.js';
import { WitnessBodyTooLarge, WitnessConflict } from './errors.js';
import { MAX_BODY_BYTES } from './protocol.js';
import type { Witness } from './witness.js';

export interface WitnessServer {
  server: http.Server;
  /** http://host:port, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

export interface WitnessLogger {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
}

/**
 * The witness's HTTP face, plain node:http (the witness is meant to run on its own, at another
 * organisation, with as little code as possible between the network and its key):
 *
 *   POST /add-checkpoint          c2sp.org/tlog-witness: cosignature line(s), or 400/403/404/409/422
 *   GET  /latest?origin=<origin>  the latest checkpoint it cosigned for that log (monitoring: an
 *                                 auditor fetches it here, not from the log it checks)
 *   GET  /key                     this witness's verifier key
 *   GET  /healthz
 *
 * Refusals are text: a stable code on the first line; a 409's body is the witness's size, as the
 * protocol requires.
 */
export function createWitnessHandler(witness: Witness, logger?: WitnessLogger): http.RequestListener {
  return (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const url = new URL(req.url ?? '/', 'http://witness.invalid');
    const text = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.statusCode = status;
      res.setHeader('Content-Type', type);
      res.end(body);
    };
    const fail = (err: unknown) => {
      if (err instanceof WitnessConflict) return text(409, `${err.size}\n`, 'text/x.tlog.size');
      if (err instanceof GatewayError) return text(err.status, `${err.code}\n${err.message}\n`);
      logger?.warn('witness request failed', { err: err instanceof Error ? err.message : String(err) });
      return text(500, 'WITNESS_INTERNAL\n');
    };

    if (url.pathname === '/add-checkpoint') {
      if (req.method !== 'POST') return text(405, 'METHOD_NOT_ALLOWED\n');
      const chunks: Buffer[] = [];
      let size = 0;
      let tooBig = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) tooBig = true;
        else chunks.push(c);
      });
      req.on('end', () => {
        if (tooBig) return fail(new WitnessBodyTooLarge('Request body too large'));
        try {
          const line = witness.addCheckpoint(Buffer.concat(chunks).toString('utf8'));
          text(200, line);
        } catch (err) {
          fail(err);
        }
      });
      req.on('error', () => res.destroy());
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'METHOD_NOT_ALLOWED\n');
    if (url.pathname === '/latest') {
      const origin = url.searchParams.get('origin') ?? '';
      const note = witness.latest(origin);
      return note ? text(200, note) : text(404, 'WITNESS_NOTHING_COSIGNED\nThis witness has cosigned nothing for that log\n');
    }
    if (url.pathname === '/key') return text(200, `${witness.key.verifierKey}\n`);
    if (url.pathname === '/healthz') return text(200, '{"status":"ok"}', 'application/json');
    return text(404, 'NOT_FOUND\n');
  };
}

export function startWitnessServer(witness: Witness, opts: { host?: string; port?: number; logger?: WitnessLogger } = {}): Promise<WitnessServer> {
  const server = http.createServer(createWitnessHandler(witness, opts.logger));
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  const host = opts.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      const port = (server.address() as { port: number }).port;
      const h = host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
      resolve({
        server,
        url: `http://${h}:${port}`,
        close: () => new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
      });
    });
  });
}
