import { randomUUID } from 'node:crypto';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';
import { logContext, type Logger } from '../logger.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * What a proxy's id may look like (UUIDs, W3C trace ids, most load balancers' ids). Anything else
 * is replaced: the id goes into every log line, so it must not carry text a client chose freely.
 */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:=-]{1,128}$/;

export type Listener = 'agency' | 'web' | 'ops';

export interface RequestContextOptions {
  listener: Listener;
  logger: Logger;
  /** Addresses (IP or CIDR) whose X-Request-Id is kept; from anyone else a fresh id is made. */
  trustedProxies: readonly string[];
  /** Level of the per-request line (the operations listener's probes and scrapes go at debug). */
  level?: 'info' | 'debug';
}

/**
 * First middleware of every listener: gives the request an id (the trusted proxy's, or a new
 * UUID), returns it in `X-Request-Id`, runs the rest of the request inside a log context so every
 * line logged for it carries `requestId`, and writes one line when the response ends.
 *
 * The line names the route PATTERN (`/v1/cases/:caseId/research`), never the URL: paths and
 * query strings can carry search terms about people. No address, agent or body either.
 */
export function requestContext(o: RequestContextOptions): RequestHandler {
  const trusted = addressMatcher(o.trustedProxies);
  const level = o.level ?? 'info';
  return (req, res, next) => {
    const offered = req.headers['x-request-id'];
    const id = typeof offered === 'string' && ACCEPTABLE_ID.test(offered) && trusted(req.socket.remoteAddress) ? offered : randomUUID();
    res.locals.requestId = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    const started = process.hrtime.bigint();
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const agency = (res.locals.principal as { agencyId?: string } | undefined)?.agencyId;
      // An adapter's long-poll that ends without a hitch is its heartbeat (nine adapters wrote 27
      // lines a minute at info): debug, unless it failed.
      const quiet = level === 'debug' || (req.method === 'GET' && req.path === '/v1/inbox' && res.statusCode < 400);
      logContext.run({ requestId: id }, () => o.logger.log(quiet ? 'debug' : level, 'request', {
        listener: o.listener,
        method: req.method,
        route: routePattern(req),
        status: res.statusCode,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        ...(res.writableFinished ? {} : { aborted: true }),
        ...(agency ? { agency } : {}),
      }));
    };
    res.once('finish', done);
    res.once('close', done);
    logContext.run({ requestId: id }, next);
  };
}

/** The request id of this response (set by `requestContext`), if any. */
export function requestIdOf(res: Response): string | undefined {
  const id = res.locals?.requestId;
  return typeof id === 'string' ? id : undefined;
}

/** The matched route's pattern with its mount point, or `unmatched`: never the concrete path. */
export function routePattern(req: Request): string {
  const path = req.route?.path as unknown;
  if (path === undefined) return 'unmatched';
  return `${req.baseUrl}${Array.isArray(path) ? path.join('|') : String(path)}`;
}

export function addressMatcher(cidrs: readonly string[]): (address: string | undefined) => boolean {
  if (cidrs.length === 0) return () => false;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [addr = '', prefixText] = cidr.trim().split('/');
    const type = isIPv4(addr) ? 'ipv4' : isIPv6(addr) ? 'ipv6' : null;
    if (!type) continue; // config.ts has refused it already
    const max = type === 'ipv4' ? 32 : 128;
    list.addSubnet(addr, prefixText === undefined ? max : Number(prefixText), type);
  }
  return (address) => {
    if (!address) return false;
    const v4 = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : null;
    if (v4) return list.check(v4, 'ipv4');
    return isIPv4(address) ? list.check(address, 'ipv4') : isIPv6(address) && list.check(address, 'ipv6');
  };
}
