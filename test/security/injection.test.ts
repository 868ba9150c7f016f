import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { sampleCase, sampleResponse, subjectIds } from '../integration/exchange/fixtures.js';
import { rawTls, send } from '../fuzz/raw-http.js';

/**
 * SQL-injection and header-injection strings in every id, query and header: refused with a stable
 * code (or, in free text, stored sealed and harmless), never reflected into a response header,
 * never a 5xx; the tables are all still there afterwards.
 */
const SQL = [
  "'; DROP TABLE cases; --", "' OR '1'='1", "1; DELETE FROM messages", "case_' UNION SELECT * FROM agencies --",
  "\\'; TRUNCATE audit_events; --", 'req_00000000000000000000000000000000\' OR 1=1 --', '$1', '%', '_', "'||pg_sleep(5)||'",
];
const CRLF = ['\r\nSet-Cookie: sid=evil', '\nLocation: https://evil.example', '%0d%0aSet-Cookie:%20sid=evil', '\u010d\u010aSet-Cookie: x=1'];

describe('injection strings in ids, queries, headers and free text', () => {
  let t: TestGateway;
  let base: string;
  let caseId: string;
  let requestId: string;
  let ids: { v1: string; p1: string; c1: string };

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis', workers: false });
    base = t.gateway.agencyUrl.replace('localhost', '127.0.0.1');
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    caseId = c.body.caseId;
    ids = subjectIds(c.body);
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] });
    requestId = r.body.requestId;
    await t.as('essex-police').get('/v1/inbox?wait=0');
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  async function snapshot(): Promise<string> {
    const r = await t.db.pool.query(`SELECT (SELECT count(*) FROM cases) c, (SELECT count(*) FROM research_requests) r, (SELECT count(*) FROM responses) x,
      (SELECT string_agg(state, ',' ORDER BY id) FROM messages) m, (SELECT count(*) FROM agencies) g, (SELECT count(*) FROM idempotency_keys) k,
      (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM audit_pending) a`);
    return JSON.stringify(r.rows[0]);
  }

  function noInjectedHeaders(headers: Record<string, string | string[] | undefined>, why: string) {
    expect(headers['set-cookie'], why).toBeUndefined();
    expect(headers.location, why).toBeUndefined();
    for (const [k, v] of Object.entries(headers)) expect(`${k}: ${String(v)}`, why).not.toMatch(/evil|sid=/i);
  }

  it('every id path parameter refuses SQL and CRLF text with 400 VALIDATION_FAILED and writes nothing', async () => {
    const routes: { as: string; method: string; path: (id: string) => string; param: string; body?: unknown; key?: boolean }[] = [
      { as: 'essex-marat', method: 'POST', path: (id) => `/v1/cases/${id}/research-requests`, param: 'caseId', body: { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] } },
      { as: 'essex-marat', method: 'GET', path: (id) => `/v1/cases/${id}/research`, param: 'caseId' },
      { as: 'essex-marat', method: 'GET', path: (id) => `/v1/cases/${id}/research/export`, param: 'caseId' },
      { as: 'essex-police', method: 'POST', path: (id) => `/v1/inbox/${id}/ack`, param: 'messageId' },
      { as: 'essex-police', method: 'GET', path: (id) => `/v1/research-requests/${id}`, param: 'requestId' },
      { as: 'essex-police', method: 'POST', path: (id) => `/v1/research-requests/${id}/response`, param: 'requestId', body: sampleResponse('response-police.json', ids), key: true },
      { as: 'essex-police', method: 'POST', path: (id) => `/v1/research-requests/${id}/decline`, param: 'requestId', body: { reason: 'NOT_KNOWN' }, key: true },
    ];
    for (const route of routes) {
      for (const s of [...SQL, ...CRLF]) {
        const before = await snapshot();
        const seg = s.startsWith('%') && s.length > 1 ? s : encodeURIComponent(s);
        const r = await send(base, t.creds.get(route.as)!, route.path(seg), {
          method: route.method,
          headers: { ...(route.body ? { 'content-type': 'application/json' } : {}), ...(route.key ? { 'Idempotency-Key': 'inject-key-0001' } : {}) },
          ...(route.body ? { body: JSON.stringify(route.body) } : {}),
        });
        const why = `${route.method} ${route.path(seg)} → ${r.status} ${r.text.slice(0, 200)}`;
        expect(r.status, why).toBe(400);
        expect(r.body?.code, why).toBe('VALIDATION_FAILED');
        expect(r.body.problems, why).toEqual([expect.objectContaining({ path: `path:${route.param}` })]);
        noInjectedHeaders(r.headers, why);
        expect(await snapshot(), why).toBe(before);
      }
    }
  });

  it('the inbox wait query refuses SQL text with 400 INVALID_QUERY', async () => {
    for (const s of SQL) {
      const r = await t.as('essex-police').get(`/v1/inbox?wait=${encodeURIComponent(s)}`);
      expect(r.status, s).toBe(400);
      expect(r.body.code).toBe('INVALID_QUERY');
    }
    const twice = await t.as('essex-police').get('/v1/inbox?wait=0&wait=1%3B%20DROP%20TABLE%20messages');
    expect(twice.status).toBe(400);
    expect(twice.body.code).toBe('INVALID_QUERY');
  });

  it('an Idempotency-Key with SQL text is refused before any work; with CR/LF it never becomes a response header', async () => {
    for (const s of SQL) {
      const before = await snapshot();
      const r = await t.as('essex-police').post(`/v1/research-requests/${requestId}/decline`, { reason: 'NOT_KNOWN' }, { 'Idempotency-Key': s });
      expect(r.status, s).toBe(400);
      expect(r.body.code).toBe('VALIDATION_FAILED');
      expect(await snapshot()).toBe(before);
    }
    // Node's client will not write CR/LF in a header; a raw socket does. The line break ends the
    // header, so "Set-Cookie" arrives as a request header of its own: harmless, never echoed.
    const police = t.creds.get('essex-police')!;
    const body = JSON.stringify({ reason: 'NOT_KNOWN' });
    for (const inj of CRLF.slice(0, 2)) {
      const before = await snapshot();
      const raw = await rawTls(base, police, `POST /v1/research-requests/${requestId}/decline HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n`
        + `Idempotency-Key: short${inj}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      expect(raw.status, raw.head).toBe(400);
      expect(raw.head, inj).not.toMatch(/set-cookie|location|evil/i);
      // CRLF splits it into two headers (the key is then too short); a bare LF is not HTTP at all.
      expect(['VALIDATION_FAILED', 'MALFORMED_REQUEST']).toContain(JSON.parse(raw.body).code);
      expect(await snapshot()).toBe(before);
    }
  });

  it('requests Node cannot parse get a 4xx with a stable code in problem+json, and the process carries on', async () => {
    const police = t.creds.get('essex-police')!;
    const attempts: [string, number, string][] = [
      ['GET /v1/inbox?wait=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bad: a\u0000b\r\nConnection: close\r\n\r\n', 400, 'MALFORMED_REQUEST'],
      ['GET /v1/inbox?wait=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bad: a\rb\r\nConnection: close\r\n\r\n', 400, 'MALFORMED_REQUEST'],
      // Request smuggling shape: both framings at once.
      ['POST /v1/cases HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n', 400, 'MALFORMED_REQUEST'],
      ['POST /v1/cases HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: -1\r\nConnection: close\r\n\r\n{}', 400, 'MALFORMED_REQUEST'],
      [`GET /v1/inbox?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
      ['GARBAGE\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ];
    for (const [a, status, code] of attempts) {
      const before = await snapshot();
      const r = await rawTls(base, police, a);
      const why = `${JSON.stringify(a.slice(0, 80))} → ${r.head.split('\r\n')[0]} ${r.body.slice(0, 200)}`;
      expect(r.status, why).toBe(status);
      expect(r.head, why).toMatch(/^content-type: application\/problem\+json/im);
      expect(JSON.parse(r.body).code, why).toBe(code);
      expect(await snapshot(), why).toBe(before);
    }
    // CR/LF inside the request line: whatever Node makes of it, nothing is set on the client.
    const split = await rawTls(base, police, 'GET /v1/inbox?wait=0\r\nSet-Cookie: x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(split.status).toBeLessThan(500);
    expect(split.head).not.toMatch(/^set-cookie/im);
    expect((await t.as('essex-police').get('/v1/inbox?wait=0')).status).toBe(200);
  });

  it('a forged Host or forwarding header is never reflected', async () => {
    const r = await rawTls(base, t.creds.get('essex-police')!, 'GET /v1/nothing-here HTTP/1.1\r\nHost: evil.example\r\nX-Forwarded-Host: evil.example\r\n'
      + 'X-Forwarded-Proto: http\r\nConnection: close\r\n\r\n');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body).code).toBe('NOT_FOUND');
    expect(`${r.head}\n${r.body}`).not.toContain('evil');
  });

  it('SQL text in free-text fields is stored sealed: accepted, no table damaged, not readable in the database', async () => {
    const c = sampleCase();
    c.subjects[0].names[0].family = "Robert'); DROP TABLE cases; --";
    c.subjects[0].consent.rationale = "'; DELETE FROM audit_events; --";
    const created = await t.as('essex-marat').post('/v1/cases', c);
    expect(created.status).toBe(201);
    const body = sampleResponse('response-police.json', ids);
    body.subjectResults[0].police.incidents[0].summary = "x'; UPDATE messages SET state = 'responded'; --";
    const r = await t.as('essex-police').post(`/v1/research-requests/${requestId}/response`, body, { 'Idempotency-Key': 'sql-in-free-text-1' });
    expect(r.status).toBe(201);
    const tables = await t.db.pool.query(`SELECT count(*)::int n FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('cases','messages','audit_events','responses')`);
    expect(tables.rows[0].n).toBe(4);
    const plain = await t.db.pool.query(`SELECT (SELECT count(*) FROM cases WHERE cases::text LIKE '%DROP TABLE%') + (SELECT count(*) FROM responses WHERE responses::text LIKE '%UPDATE messages%')
      + (SELECT count(*) FROM audit_events WHERE canonical LIKE '%DROP TABLE%' OR canonical LIKE '%DELETE FROM%') + (SELECT count(*) FROM audit_pending WHERE body LIKE '%DROP TABLE%') AS n`);
    expect(Number(plain.rows[0].n)).toBe(0);
    const others = await t.db.pool.query(`SELECT count(*)::int n FROM messages WHERE state = 'responded'`);
    expect(others.rows[0].n).toBe(1);
  });
});
