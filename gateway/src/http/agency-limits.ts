import type { RequestHandler, Response } from 'express';
import { GatewayError } from '../errors.js';

/**
 * Per-certificate limits on the agency API, so that one agency (a runaway adapter, a stolen
 * certificate) cannot take the gateway's time from the others: a token bucket for the request
 * rate, a cap on requests in progress, and a separate cap on inbox long-polls. A long-poll holds
 * its slot for up to 30 s doing nothing, so it does not count against the in-progress cap (an
 * adapter's poll would otherwise starve its own answers), but it has its own small cap.
 *
 * O(1) per request: one Map lookup and a few arithmetic operations; no timers, no I/O. State is
 * per process (each instance limits what it serves).
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
}

export interface AgencyLimiter {
  /** After authentication: `res.locals.principal` names the certificate. */
  middleware: RequestHandler;
  /** Requests in progress and long-polls open, per certificate (metrics, tests). */
  snapshot(): { key: string; active: number; polls: number }[];
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
 * A refused request is answered after this long (at most its Retry-After): a client that ignores
 * 429 and retries at once on a kept-alive connection would otherwise make the gateway answer
 * thousands of 429s a second, at the other agencies' expense. The connection cap bounds how many
 * refused requests can be waiting.
 */
const REFUSAL_DELAY_MS = 1000;

/** A long-poll is `GET /v1/inbox` asking to wait: `wait` present and not zero. */
function isLongPoll(method: string, path: string, query: Record<string, unknown>): boolean {
  if (method !== 'GET' || path !== '/v1/inbox') return false;
  const w = query.wait;
  return typeof w === 'string' && w !== '' && Number(w) !== 0;
}

export function createAgencyLimiter(cfg: AgencyLimitsConfig, now: () => number = () => performance.now()): AgencyLimiter {
  const buckets = new Map<string, Bucket>();
  const limitsFor = (agencyId: string): AgencyLimitValues => ({ ...cfg.defaults, ...cfg.perAgency[agencyId] });

  const refuse = (res: Response, retryAfterS: number, err: GatewayError) => {
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfterS))));
    return err;
  };
  const later = (next: (err: GatewayError) => void, err: GatewayError, retryAfterS: number) => {
    setTimeout(() => next(err), Math.min(REFUSAL_DELAY_MS, Math.max(0, retryAfterS * 1000))).unref();
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
      b = { limits, tokens: limits.burst, at: t, active: 0, polls: 0 };
      buckets.set(key, b);
    }
    const { rate, burst, concurrent, polls } = b.limits;
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * rate);
    b.at = t;
    const cost = costOf(req.method, req.path);
    if (b.tokens < cost) {
      const wait = (cost - b.tokens) / rate;
      return later(next, refuse(res, wait, new AgencyRateLimited('Too many requests from this certificate; retry after the time in Retry-After')), wait);
    }
    const poll = isLongPoll(req.method, req.path, req.query as Record<string, unknown>);
    if (poll ? b.polls >= polls : b.active >= concurrent) {
      return later(
        next,
        poll
          ? refuse(res, 1, new AgencyLongPollLimited(`At most ${polls} inbox long-polls may be open at once per certificate`))
          : refuse(res, 1, new AgencyConcurrencyLimited(`At most ${concurrent} requests may be in progress at once per certificate`)),
        poll ? 1 : 0.1,
      );
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
    snapshot: () => [...buckets].map(([key, b]) => ({ key, active: b.active, polls: b.polls })),
  };
}
