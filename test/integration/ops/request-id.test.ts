/**
 * The request-id middleware on its own Express app over real HTTP: which offered ids are kept
 * (only a trusted proxy's, only well-formed), and that every line logged while the request is
 * handled (after awaits, after the body is parsed, in the error handler) carries its id.
 */
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { Writable } from 'node:stream';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../../gateway/src/logger.js';
import { errorHandler, notFoundHandler } from '../../../gateway/src/http/problem.js';
import { addressMatcher, requestContext } from '../../../gateway/src/http/request-id.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function capture(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  let raw = '';
  const stream = new Writable({
    write(c, _e, done) {
      raw += c.toString();
      done();
    },
  });
  return { logger: createLogger('debug', { stream }), lines: () => raw.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

async function serve(trustedProxies: string[], logger: Logger): Promise<string> {
  const app = express();
  app.use(requestContext({ listener: 'web', logger, trustedProxies }));
  app.use(express.json());
  app.post('/work/:thing', async (req, res) => {
    logger.info('before await');
    await new Promise((r) => setTimeout(r, 5));
    logger.warn('after await', { count: Object.keys(req.body ?? {}).length });
    res.json({ ok: true });
  });
  app.get('/boom', async () => {
    await new Promise((r) => setImmediate(r));
    throw new Error('broke on "Jane Sampleton"');
  });
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  const server = http.createServer(app);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('X-Request-Id', () => {
  it('a trusted proxy\'s well-formed id is kept; malformed ones are replaced even from it', async () => {
    const { logger } = capture();
    const base = await serve(['127.0.0.1'], logger);
    for (const good of ['3f2b8c1e-1111-4222-8333-944445555666', 'Root=1-67891233-abcdef012345678912345678', 'abc.def:01']) {
      const r = await fetch(`${base}/nowhere`, { headers: { 'x-request-id': good } });
      expect(r.headers.get('x-request-id')).toBe(good);
      expect(((await r.json()) as { requestId: string }).requestId).toBe(good);
    }
    for (const bad of ['has space', 'semi;colon', 'x'.repeat(129), 'new\tline', '<script>']) {
      const r = await fetch(`${base}/nowhere`, { headers: { 'x-request-id': bad } });
      expect(r.headers.get('x-request-id')).not.toBe(bad);
      expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('from an address outside the trusted list (or with none configured) the offered id is replaced', async () => {
    for (const trusted of [[], ['10.0.0.0/8'], ['::2']]) {
      const { logger } = capture();
      const base = await serve(trusted, logger);
      const r = await fetch(`${base}/nowhere`, { headers: { 'x-request-id': 'proxy-id-1' } });
      expect(r.headers.get('x-request-id')).not.toBe('proxy-id-1');
    }
  });

  it('matches addresses and CIDR blocks, IPv4-mapped IPv6 included', () => {
    const m = addressMatcher(['10.1.0.0/16', '192.0.2.7', '2001:db8::/32']);
    expect(m('10.1.200.3')).toBe(true);
    expect(m('::ffff:10.1.0.1')).toBe(true);
    expect(m('192.0.2.7')).toBe(true);
    expect(m('2001:db8::1')).toBe(true);
    expect(m('10.2.0.1')).toBe(false);
    expect(m('192.0.2.8')).toBe(false);
    expect(m(undefined)).toBe(false);
    expect(addressMatcher([])('127.0.0.1')).toBe(false);
  });
});

describe('log lines of one request', () => {
  it('carry its id after awaits and body parsing, and the request line comes last with the route pattern', async () => {
    const { logger, lines } = capture();
    const base = await serve([], logger);
    const [a, b] = await Promise.all([
      fetch(`${base}/work/one?name=Jane`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 1 }) }),
      fetch(`${base}/work/two`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ b: 2 }) }),
    ]);
    const ids = [a.headers.get('x-request-id'), b.headers.get('x-request-id')];
    await expect.poll(() => lines().filter((l) => l.message === 'request').length).toBe(2);
    for (const id of ids) {
      const mine = lines().filter((l) => l.requestId === id);
      expect(mine.map((l) => l.message)).toEqual(['before await', 'after await', 'request']);
      expect(mine[2]).toMatchObject({ method: 'POST', route: '/work/:thing', status: 200, listener: 'web' });
    }
    expect(JSON.stringify(lines())).not.toContain('Jane');
  });

  it('an unhandled error is logged with the request id, the problem document repeats it, and quoted values are dropped from the message', async () => {
    const { logger, lines } = capture();
    const base = await serve([], logger);
    const r = await fetch(`${base}/boom`);
    expect(r.status).toBe(500);
    const body = (await r.json()) as { code: string; requestId: string; instance: string };
    expect(body.code).toBe('INTERNAL');
    expect(body.requestId).toBe(r.headers.get('x-request-id'));
    await expect.poll(() => lines().some((l) => l.message === 'request')).toBe(true);
    const err = lines().find((l) => l.message === 'unhandled error')!;
    expect(err.requestId).toBe(body.requestId);
    expect(err.errorId).toBe(body.instance);
    expect(JSON.stringify(lines())).not.toContain('Sampleton');
    expect(lines().find((l) => l.message === 'request' && l.requestId === body.requestId)).toMatchObject({ status: 500, route: '/boom' });
  });

  it('a request the client abandons is still logged once, marked aborted', async () => {
    const { logger, lines } = capture();
    const app = express();
    app.use(requestContext({ listener: 'agency', logger, trustedProxies: [] }));
    let arrived!: () => void;
    const handling = new Promise<void>((r) => (arrived = r));
    // Answers only once the client has gone: no timing involved.
    app.get('/slow', (_req, res) => {
      arrived();
      res.once('close', () => res.end());
    });
    const server = http.createServer(app);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const ac = new AbortController();
    const p = fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`, { signal: ac.signal }).catch(() => null);
    await handling;
    ac.abort();
    await p;
    await expect.poll(() => lines().filter((l) => l.message === 'request').length).toBe(1);
    const req = lines().filter((l) => l.message === 'request');
    expect(req[0]).toMatchObject({ aborted: true, route: '/slow', listener: 'agency' });
  });
});
