/**
 * The per-certificate limiter's refusals (http/agency-limits.ts, decision 0031): answered by the
 * limiter as problem+json with Retry-After, one certificate's no faster than its rate however many
 * connections it uses, another certificate's not held behind them, and a refusal whose client has
 * gone dropped without an answer. Plain HTTP on loopback; a header stands in for the certificate.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgencyLimiter, type AgencyLimiter } from '../../../gateway/src/http/agency-limits.js';
import { errorHandler } from '../../../gateway/src/http/problem.js';
import { silentLogger } from '../../../gateway/src/logger.js';

let server: http.Server;
let port: number;
let limiter: AgencyLimiter;
const release: (() => void)[] = [];
/** When each refusal was written, by agency (server side, so no client delay in it). */
const refusedAt: Record<string, number[]> = {};

beforeAll(async () => {
  limiter = createAgencyLimiter({
    defaults: { rate: 1000, burst: 1000, concurrent: 100, polls: 4 },
    perAgency: { paced: { rate: 4, burst: 1 }, slow: { rate: 1, burst: 1 }, single: { concurrent: 1 } },
    maxConnections: 512,
  });
  const app = express();
  app.use((req, res, next) => {
    const agencyId = String(req.headers['x-agency']);
    res.locals.principal = { agencyId, certFingerprint: `fp-${agencyId}` };
    const json = res.json.bind(res);
    res.json = (body) => {
      if (res.statusCode === 429) (refusedAt[agencyId] ??= []).push(performance.now());
      return json(body);
    };
    next();
  });
  app.use(limiter.middleware);
  app.get('/hold', (_req, res) => void release.push(() => res.json({ ok: true })));
  app.get('/', (_req, res) => void res.json({ ok: true }));
  app.use(errorHandler(silentLogger));
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const r of release) r();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: Record<string, unknown> }

/** One request on its own connection; `onRequest` gets the request (to drop it). */
function get(agency: string, path = '/', onRequest?: (r: http.ClientRequest) => void): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const r = http.get({ host: '127.0.0.1', port, path, agent: false, headers: { 'x-agency': agency } }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }));
    });
    r.on('error', reject);
    onRequest?.(r);
  });
}

const waitFor = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(cond()).toBe(true);
};
const waiting = (agency: string) => limiter.snapshot().find((s) => s.key === `fp-${agency}`)?.refusing ?? 0;

describe('refusals', () => {
  it("one certificate's refusals come no faster than its rate, whatever its connections; another certificate is not held behind them", async () => {
    const answers = Promise.all(Array.from({ length: 6 }, () => get('paced')));
    await waitFor(() => waiting('paced') >= 4);
    expect((await get('other')).status).toBe(200);
    const all = await answers;
    const refused = all.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(4);
    for (const r of refused) {
      expect(r.body).toMatchObject({ status: 429, code: 'AGENCY_RATE_LIMITED' });
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // rate 4: at least 250 ms between two refusals of the certificate.
    const times = refusedAt.paced!;
    expect(times.length).toBe(refused.length);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(249);
  });

  it('a refusal whose client has gone is dropped, unanswered', async () => {
    // rate 1, burst 1: the first takes the token; the next two, sent within the second, wait.
    expect((await get('slow')).status).toBe(200);
    let dropped: http.ClientRequest | undefined;
    const gone = get('slow', '/', (r) => {
      dropped = r;
    }).catch((err: Error) => err);
    const kept = get('slow');
    await waitFor(() => waiting('slow') === 2);
    dropped!.destroy();
    await waitFor(() => waiting('slow') === 1);
    expect((await kept).status).toBe(429);
    expect(await gone).toBeInstanceOf(Error);
    expect(waiting('slow')).toBe(0);
    expect(refusedAt.slow).toHaveLength(1);
  });

  it('beyond the requests in progress: AGENCY_CONCURRENCY_LIMITED with Retry-After', async () => {
    const held = get('single', '/hold');
    await waitFor(() => release.length === 1);
    const refused = await get('single');
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('AGENCY_CONCURRENCY_LIMITED');
    expect(refused.headers['retry-after']).toBe('1');
    release.shift()!();
    expect((await held).status).toBe(200);
    expect((await get('single')).status).toBe(200);
  });
});
