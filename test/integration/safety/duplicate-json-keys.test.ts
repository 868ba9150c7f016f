/**
 * Issue 12, class 6: the agency API (and the people API's JSON bodies) refuse JSON with a key
 * repeated in one object, at any depth and however the key is escaped, with 400
 * DUPLICATE_JSON_KEY, before anything is read or written. Malformed and hostile bodies never get a
 * 5xx.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Unauthenticated } from '../../../gateway/src/errors.js';
import { createAgreementRouter } from '../../../gateway/src/http/agreement-routes.js';
import { errorHandler, notFoundHandler } from '../../../gateway/src/http/problem.js';
import { silentLogger } from '../../../gateway/src/logger.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { agencyFetch } from '../../helpers/pki.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { alice, buildService, createAuditRecorder, sampleAgreement } from '../agreements/fixtures.js';
import { sampleCase } from '../exchange/fixtures.js';

const STABLE_CODE = /^[A-Z][A-Z0-9_]{2,63}$/;
const FAKE = {
  caseId: `case_${'a'.repeat(32)}`,
  requestId: `req_${'b'.repeat(32)}`,
  messageId: `msg_${'c'.repeat(32)}`,
};

/** The same document written with one key repeated, in the ways a client (or an attacker) might. */
function duplicateVariants(): { label: string; text: string }[] {
  const doc = JSON.stringify(sampleCase());
  const firstSubject = doc.indexOf('{"key":"v1"');
  const names = doc.indexOf('"family":"Sampleton"');
  return [
    { label: 'top level, last value would win', text: `${doc.slice(0, -1)},"maracArea":"southend"}` },
    { label: 'top level, escaped key', text: `${doc.slice(0, -1)},"\\u006daracArea":"southend"}` },
    { label: 'top level, every character escaped', text: `{"\\u0070\\u0075\\u0072\\u0070\\u006f\\u0073\\u0065":"MARAC_RESEARCH","purpose":"MARAC_TRANSFER"}` },
    { label: 'nested object', text: doc.replace('"dashScore":16', '"dashScore":16,"dashScore":2') },
    { label: 'array of objects', text: `${doc.slice(0, firstSubject + 1)}"role":"PERPETRATOR",${doc.slice(firstSubject + 1)}` },
    { label: 'object inside an array inside an object', text: `${doc.slice(0, names)}"family":"Other",${doc.slice(names)}` },
    { label: 'escaped solidus', text: '{"a/b":1,"a\\/b":2}' },
    { label: 'prototype key twice', text: '{"__proto__":{"x":1},"__proto__":{"y":1}}' },
    { label: 'whitespace and line breaks', text: '{\n  "purpose" : "MARAC_RESEARCH" ,\r\n\t"purpose":"MARAC_TRANSFER"\n}' },
  ];
}

describe('duplicate-json-keys: the agency API', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ queue: 'postgres', workers: false });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  const raw = (agency: string, path: string, text: string, headers: Record<string, string> = {}) =>
    agencyFetch(t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), t.creds.get(agency)!, path, {
      method: 'POST', body: text, headers: { 'content-type': 'application/json', 'idempotency-key': `dup-${Math.random()}`, ...headers },
    });

  const POST_ROUTES: { agency: string; path: string }[] = [
    { agency: 'essex-marat', path: '/v1/cases' },
    { agency: 'essex-marat', path: `/v1/cases/${FAKE.caseId}/research-requests` },
    { agency: 'essex-police', path: `/v1/inbox/${FAKE.messageId}/ack` },
    { agency: 'essex-police', path: `/v1/research-requests/${FAKE.requestId}/response` },
    { agency: 'essex-police', path: `/v1/research-requests/${FAKE.requestId}/decline` },
  ];

  async function counts() {
    const r = await t.db.pool.query(`SELECT (SELECT count(*) FROM cases)::int AS cases, (SELECT count(*) FROM audit_events)::int + (SELECT count(*) FROM audit_pending)::int AS events`);
    return r.rows[0];
  }

  it('refuses every variant on every POST route with 400 DUPLICATE_JSON_KEY, writing nothing', async () => {
    await t.gateway.audit.flush();
    const before = await counts();
    for (const route of POST_ROUTES) {
      for (const v of duplicateVariants()) {
        const res = await raw(route.agency, route.path, v.text);
        expect(res.status, `${route.path} ${v.label}`).toBe(400);
        expect(res.body?.code, `${route.path} ${v.label}`).toBe('DUPLICATE_JSON_KEY');
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        // Nothing of the body comes back.
        expect(res.text).not.toMatch(/Sampleton|southend|MARAC_TRANSFER/);
      }
    }
    await t.gateway.audit.flush();
    expect(await counts()).toEqual(before);
  });

  it('the same body without the repeat is accepted (the refusal is about the repeat, not the content)', async () => {
    const ok = await raw('essex-marat', '/v1/cases', JSON.stringify(sampleCase()));
    expect(ok.status, ok.text).toBe(201);
    const dup = await raw('essex-marat', '/v1/cases', `${JSON.stringify(sampleCase()).slice(0, -1)},"meetingDate":"2026-12-16"}`);
    expect(dup.body.code).toBe('DUPLICATE_JSON_KEY');
    // Equal keys in different objects are not repeats.
    const siblings = await raw('essex-marat', `/v1/cases/${ok.body.caseId}/research-requests`, JSON.stringify({ purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] }));
    expect(siblings.status, siblings.text).toBe(201);
  });

  it('never answers 5xx to random JSON with repeats at random depths, or to malformed bodies', async () => {
    const values = fc.jsonValue({ maxDepth: 4 });
    const withRepeat = fc.tuple(fc.dictionary(fc.string({ maxLength: 5 }), values, { minKeys: 1, maxKeys: 5 }), fc.nat(), fc.nat({ max: 4 }), fc.boolean())
      .map(([o, pick, depth, escape]) => {
        const keys = Object.keys(o);
        const k = keys[pick % keys.length]!;
        const key = escape ? `"${[...k].map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"` : JSON.stringify(k);
        let text = `${JSON.stringify(o).slice(0, -1)},${key}:null}`;
        for (let d = 0; d < depth; d++) text = d % 2 ? `{"x${d}":[${text}]}` : `{"y":1,"z${d}":${text}}`;
        return { text, dup: true };
      });
    const malformed = fc.tuple(values, fc.nat()).map(([v, cut]) => {
      const s = JSON.stringify({ v });
      return { text: s.slice(0, cut % s.length) + (cut % 3 === 0 ? '"' : cut % 3 === 1 ? '\\' : '{,}'), dup: false };
    });
    const hostile = fc.constantFrom(
      { text: '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000), dup: false },
      { text: `{"s":"${'\\'.repeat(10_001)}"}`, dup: false },
      { text: `{"s":"${'\\\\'.repeat(20_000)}","s":1}`, dup: true },
      { text: '[' + '{"k":1,"k":2},'.repeat(1000) + '{}]', dup: true },
      { text: '{"\\ud800":1,"\\ud800":2}', dup: true },
      { text: '{"\\u00zz":1}', dup: false },
    );
    await fc.assert(fc.asyncProperty(fc.oneof(withRepeat, malformed, hostile), fc.nat({ max: POST_ROUTES.length - 1 }), async (body, r) => {
      const route = POST_ROUTES[r]!;
      const res = await raw(route.agency, route.path, body.text);
      expect(res.status, `${route.path} ${body.text.slice(0, 80)}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${route.path} ${body.text.slice(0, 80)}`).toBeLessThan(500);
      expect(res.body?.code).toMatch(STABLE_CODE);
      if (body.dup) expect(res.body.code).toBe('DUPLICATE_JSON_KEY');
    }), { numRuns: 150 });
  });
});

describe('duplicate-json-keys: the people API (agreements)', () => {
  let db: TestDatabase;
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const clock = { now: new Date('2026-06-05T09:00:00Z') };
    const service = buildService(db.pool, createAuditRecorder(db.pool, () => clock.now), clock);
    const requireRole = (): RequestHandler => (req, res, next) => {
      if (req.get('x-test-user') !== 'alice') return next(new Unauthenticated('sign in first'));
      res.locals.principal = alice;
      next();
    };
    const app = express();
    app.use(createAgreementRouter({ service, requireRole }));
    app.use(notFoundHandler);
    app.use(errorHandler(silentLogger));
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await db?.drop();
  });

  const post = async (path: string, text: string) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': 'alice' }, body: text });
    return { status: res.status, body: await res.json().catch(() => undefined) as any };
  };

  it('refuses an agreement draft whose JSON repeats a key (top level, nested, escaped) and stores nothing', async () => {
    const doc = JSON.stringify(sampleAgreement());
    const variants = [
      `${doc.slice(0, -1)},"id":"other-agreement"}`,
      `${doc.slice(0, -1)},"\\u0069d":"other-agreement"}`,
      doc.replace('"parties":[{', '"parties":[{"agency":"essex-police",'),
    ];
    for (const text of variants) {
      const res = await post('/v1/agreements', text);
      expect(res.status, text.slice(0, 120)).toBe(400);
      expect(res.body.code).toBe('DUPLICATE_JSON_KEY');
    }
    expect((await db.pool.query('SELECT count(*)::int AS n FROM agreements')).rows[0].n).toBe(0);
    // Control: the same document once is accepted.
    expect((await post('/v1/agreements', doc)).status).toBe(201);
  });
});
