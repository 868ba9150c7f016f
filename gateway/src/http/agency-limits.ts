import type { RequestHandler, Response } from 'express';
import { GatewayError } from '../errors.js';
import { sendProblem } from './problem.js';

/**
 * Per-certificate limits on the agency API, so that one agency (a runaway adapter, a stolen
 * certificate) cannot take the gateway's time from the others: a token bucket for the request
 * rate, a cap on requests in progress, and a separate cap on inbox long-polls. A long-poll holds
 * its slot for up to 30 s doing nothing, so it does not count against the in-progress cap (an
 * adapter's poll would otherwise starve its own answers), but it has its own small cap.
 *
 * O(1) per request: one Map lookup and a few arithmetic operations, no I/O; a refused request
 * waits in its certificate's queue and is answered from a timer (one per certificate with
 * refusals waiting). State is per process (each instance limits what it serves).
 */
export interface AgencyLimitValues {
  /** Sustained requests per second (token refill rate). */
  rate: number;
  /** Bucket size: requests allowed at once above the rate. */
  burst: number;
  /** Requests in progress at once, long-polls excluded. */
  concurrent: number;
  /** Long-polls open at once. */
  polls: number;
}

export interface AgencyLimitsConfig {
  defaults: AgencyLimitValues;
  /** Per-agency overrides (by agency id). */
  perAgency: Record<string, Partial<AgencyLimitValues>>;
  /** Open connections the agency listener accepts at once. */
  maxConnections: number;
}

export class AgencyRateLimited extends GatewayError {
  readonly code = 'AGENCY_RATE_LIMITED';
  readonly status = 429;
}
export class AgencyConcurrencyLimited extends GatewayError {
  readonly code = 'AGENCY_CONCURRENCY_LIMITED';
  readonly status = 429;
}
export class AgencyLongPollLimited extends GatewayError {
  readonly code = 'AGENCY_LONG_POLL_LIMITED';
  readonly status = 429;
}

const LIMIT_KEYS: Record<string, keyof AgencyLimitValues> = { rate: 'rate', burst: 'burst', concurrent: 'concurrent', polls: 'polls' };
const AGENCY_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Parses AGENCY_LIMITS: `<agency-id>:<key>=<n>,...;...`. Problems are returned (config.ts reports
 * them with the rest), never thrown.
 */
export function parseAgencyLimitOverrides(raw: string | undefined, problems: string[]): Record<string, Partial<AgencyLimitValues>> {
  const out: Record<string, Partial<AgencyLimitValues>> = {};
  for (const entry of (raw ?? '').split(';').map((s) => s.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? entry : entry.slice(0, colon).trim();
    if (colon < 0 || !AGENCY_ID.test(id)) {
      problems.push(`AGENCY_LIMITS: "${entry.slice(0, 80)}" must be <agency-id>:<key>=<n>,...`);
      continue;
    }
    if (out[id]) problems.push(`AGENCY_LIMITS: agency "${id}" is listed twice`);
    const values: Partial<AgencyLimitValues> = {};
    const pairs = entry.slice(colon + 1).split(',').map((s) => s.trim()).filter(Boolean);
    if (pairs.length === 0) problems.push(`AGENCY_LIMITS: agency "${id}" sets no limit`);
    for (const pair of pairs) {
      const [k = '', v, extra] = pair.split('=').map((s) => s.trim());
      const key = Object.hasOwn(LIMIT_KEYS, k) ? LIMIT_KEYS[k] : undefined;
      const n = Number(v);
      if (!key || extra !== undefined || !/^\d{1,7}$/.test(v ?? '') || n < 1) {
        problems.push(`AGENCY_LIMITS: "${pair.slice(0, 40)}" for "${id}" must be rate, burst, concurrent or polls = an integer from 1 to 9999999`);
        continue;
      }
      values[key] = n;
    }
    out[id] = values;
  }
  return out;
}

interface Bucket {
  limits: AgencyLimitValues;
  tokens: number;
  /** ms (monotonic) of the last refill. */
  at: number;
  active: number;
  polls: number;
  /** Refusals waiting to be answered, oldest first (see Refusal). */
  refusals: Refusal[];
  /** ms (monotonic) the last refusal was answered. */
  refusedAt: number;
  refusing: ReturnType<typeof setTimeout> | undefined;
}

export interface AgencyLimiter {
  /** After authentication: `res.locals.principal` names the certificate. */
  middleware: RequestHandler;
  /** Requests in progress, long-polls open and refusals waiting, per certificate (metrics, tests). */
  snapshot(): { key: string; active: number; polls: number; refusing: number }[];
}

/**
 * Tokens a request costs. A research pack (or its export) is redacted for the reader on every
 * read, the most CPU any request takes; counting it as several keeps an agency's pack reads to a
 * fraction of its request rate.
 */
const PACK_READ = /^\/v1\/cases\/[^/]+\/research(\/export)?$/;
export const PACK_READ_COST = 5;
function costOf(method: string, path: string): number {
  return method === 'GET' && PACK_READ.test(path) ? PACK_READ_COST : 1;
}

/**
 * A refused request is answered after a delay of up to its Retry-After (never more than this): a
 * client that ignores 429 and retries at once on a kept-alive connection would otherwise make the
 * gateway answer thousands of 429s a second, at the other agencies' expense.
 */
const REFUSAL_DELAY_MS = 1000;

/**
 * And one certificate's refusals are answered one at a time, no faster than its own request rate
 * (docs/decisions/0031). The delay alone bounds refusals per connection, so a client with many
 * connections (the listener's cap is for all agencies together) could still make the gateway
 * answer hundreds of 429s a second, all due at the same moment if sent together: on a busy
 * machine that was most of the event loop, and another agency's request waited behind it. Paced,
 * a flood costs the gateway its admitted requests plus at most its rate in refusals a second,
 * however many connections it opens; the flooder's refusals wait in a queue (each holds only its
 * connection), and one whose client has gone is dropped without being answered.
 */
interface Refusal {
  res: Response;
  err: GatewayError;
  /** ms (monotonic): not answered before. */
  notBefore: number;
  gone: boolean;
}

/** A long-poll is `GET /v1/inbox` asking to wait: `wait` present and not zero. */
function isLongPoll(method: string, path: string, query: Record<string, unknown>): boolean {
  if (method !== 'GET' || path !== '/v1/inbox') return false;
  const w = query.wait;
  return typeof w === 'string' && w !== '' && Number(w) !== 0;
}

export function createAgencyLimiter(cfg: AgencyLimitsConfig, now: () => number = () => performance.now()): AgencyLimiter {
  const buckets = new Map<string, Bucket>();
  const limitsFor = (agencyId: string): AgencyLimitValues => ({ ...cfg.defaults, ...cfg.perAgency[agencyId] });

  /**
   * Answers the certificate's next refusal when it is due and the last one is 1/rate s old, and
   * sets a timer for the one after. The refusal is answered here, with the problem+json the error
   * handler would write: passing it down the chain would walk every router of the agency API to
   * reach that handler, most of what a refusal costs.
   */
  const drain = (b: Bucket) => {
    b.refusing = undefined;
    while (b.refusals.length > 0 && b.refusals[0]!.gone) b.refusals.shift();
    const head = b.refusals[0];
    if (!head) return;
    const t = now();
    const due = Math.max(head.notBefore, b.refusedAt + 1000 / b.limits.rate);
    if (due > t) {
      b.refusing = setTimeout(drain, due - t, b);
      b.refusing.unref();
      return;
    }
    b.refusals.shift();
    b.refusedAt = t;
    if (!head.res.headersSent) sendProblem(head.res, head.err);
    if (b.refusals.length > 0) drain(b);
  };

  const refuse = (b: Bucket, res: Response, err: GatewayError, retryAfterS: number, delayS: number) => {
    // More refusals waiting than the listener takes connections: only pipelining on a connection
    // can do that, and nothing legitimate needs it.
    if (b.refusals.length >= cfg.maxConnections) {
      res.socket?.destroy();
      return;
    }
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfterS))));
    const r: Refusal = { res, err, notBefore: now() + Math.min(REFUSAL_DELAY_MS, Math.max(0, delayS * 1000)), gone: false };
    res.once('close', () => {
      r.gone = true;
    });
    b.refusals.push(r);
    if (!b.refusing) drain(b);
  };

  const middleware: RequestHandler = (req, res, next) => {
    const principal = res.locals.principal as { agencyId: string; certFingerprint: string } | undefined;
    // The authenticator runs first and refuses anyone without a certificate; nothing to key on.
    if (!principal) return next();
    const key = principal.certFingerprint;
    let b = buckets.get(key);
    const t = now();
    if (!b) {
      const limits = limitsFor(principal.agencyId);
      b = { limits, tokens: limits.burst, at: t, active: 0, polls: 0, refusals: [], refusedAt: -Infinity, refusing: undefined };
      buckets.set(key, b);
    }
    const { rate, burst, concurrent, polls } = b.limits;
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * rate);
    b.at = t;
    const cost = costOf(req.method, req.path);
    if (b.tokens < cost) {
      const wait = (cost - b.tokens) / rate;
      return refuse(b, res, new AgencyRateLimited('Too many requests from this certificate; retry after the time in Retry-After'), wait, wait);
    }
    const poll = isLongPoll(req.method, req.path, req.query as Record<string, unknown>);
    if (poll ? b.polls >= polls : b.active >= concurrent) {
      return poll
        ? refuse(b, res, new AgencyLongPollLimited(`At most ${polls} inbox long-polls may be open at once per certificate`), 1, 1)
        : refuse(b, res, new AgencyConcurrencyLimited(`At most ${concurrent} requests may be in progress at once per certificate`), 1, 0.1);
    }
    b.tokens -= cost;
    const bucket = b;
    if (poll) bucket.polls++;
    else bucket.active++;
    // 'close' follows both a finished response and a dropped connection, once.
    res.once('close', () => {
      if (poll) bucket.polls--;
      else bucket.active--;
    });
    next();
  };

  return {
    middleware,
    snapshot: () => [...buckets].map(([key, b]) => ({ key, active: b.active, polls: b.polls, refusing: b.refusals.filter((r) => !r.gone).length })),
  };
}
