import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertLoopback, runLoad, runLoadInWorker, send, startLoadInWorker, type ClientCreds } from '../../../scripts/bench/load.js';
import { startBaselineServer, type BaselineServer } from '../../../scripts/bench/exchange-baseline.js';
import { createCsr, issueFromCsr } from '../../../gateway/src/identity/pki/ca.js';
import { listenHttps, makeTestPki, type TestPki } from '../../helpers/pki.js';

let pki: TestPki;
let police: ClientCreds;
let housing: ClientCreds;
let stranger: ClientCreds;
let server: { baseUrl: string; close(): Promise<void> };
const seen: { path: string; cn: string }[] = [];

function creds(p: TestPki, agencyId: string): ClientCreds {
  const csr = createCsr({ agencyId });
  const cert = issueFromCsr(p.ca, csr.csrPem, { agencyId, agencyType: 'POLICE', validDays: 1 });
  return { certPem: cert.certPem, keyPem: csr.keyPem, caPem: p.caPem };
}

beforeAll(async () => {
  pki = makeTestPki();
  police = creds(pki, 'essex-police');
  housing = creds(pki, 'chelmsford-housing');
  const other = makeTestPki({ commonName: 'Another CA' });
  stranger = { ...creds(other, 'essex-police'), caPem: pki.caPem };
  server = await listenHttps((req, res) => {
    const sock = req.socket as import('node:tls').TLSSocket;
    seen.push({ path: req.url ?? '', cn: String(sock.getPeerCertificate().subject?.CN ?? '') });
    req.resume();
    if (req.url === '/hang') return; // never answered
    req.on('end', () => {
      res.statusCode = req.url === '/fail' ? 500 : 201;
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
  }, pki);
});

afterAll(async () => {
  await server?.close();
});

describe('load generator', () => {
  it('refuses anything but https://127.0.0.1', () => {
    expect(() => assertLoopback('https://example.org')).toThrow(/127\.0\.0\.1/);
    expect(() => assertLoopback('http://127.0.0.1:1')).toThrow(/127\.0\.0\.1/);
    expect(() => assertLoopback('https://localhost:1')).toThrow(/127\.0\.0\.1/);
    expect(assertLoopback('https://127.0.0.1:8443').port).toBe('8443');
  });

  it('refuses an unbounded run and a silly connection count', async () => {
    await expect(runLoad({ baseUrl: server.baseUrl, connections: 1, creds: () => police, next: () => ({ path: '/' }) })).rejects.toThrow(/bounded/);
    await expect(runLoad({ baseUrl: server.baseUrl, connections: 0, requests: 1, creds: () => police, next: () => ({ path: '/' }) })).rejects.toThrow(/connections/);
  });

  it('sends exactly the request budget over N connections, each with its own certificate', async () => {
    seen.length = 0;
    const r = await runLoad({
      baseUrl: server.baseUrl, connections: 4, requests: 40,
      creds: (c) => (c % 2 === 0 ? police : housing),
      next: (c, seq) => ({ method: 'POST', path: `/c${c}/${seq}`, body: '{"a":1}' }),
    });
    expect(r).toMatchObject({ sent: 40, ok: 40, failed: 0, errors: 0, statuses: { 201: 40 } });
    expect(r.latencyMs.count).toBe(40);
    expect(r.throughput).toBeGreaterThan(0);
    expect(new Set(seen.map((s) => s.path)).size).toBe(40);
    for (const s of seen) expect(s.cn).toBe(/^\/c[02]\//.test(s.path) ? 'essex-police' : 'chelmsford-housing');
  });

  it('a connection stops when next() has no more work for it', async () => {
    const left = [3, 1];
    const r = await runLoad({
      baseUrl: server.baseUrl, connections: 2, requests: 100, creds: () => police,
      next: (c) => (left[c]!-- > 0 ? { path: `/q${c}` } : undefined),
    });
    expect(r.sent).toBe(4);
    expect(r.ok).toBe(4);
  });

  it('counts non-2xx answers and transport errors as failures with samples, and stops at the time budget', async () => {
    const bad = await runLoad({ baseUrl: server.baseUrl, connections: 2, requests: 6, creds: () => police, next: () => ({ path: '/fail' }) });
    expect(bad).toMatchObject({ ok: 0, failed: 6, statuses: { 500: 6 } });
    expect(bad.failures[0]).toEqual({ status: 500, body: '{"ok":true}' });
    expect(Number.isNaN(bad.latencyMs.p50)).toBe(true);

    const refused = await runLoad({ baseUrl: server.baseUrl, connections: 1, requests: 2, creds: () => ({ ...police, caPem: makeTestPki().caPem }), next: () => ({ path: '/' }) });
    expect(refused).toMatchObject({ ok: 0, failed: 2, errors: 2 });

    const timed = await runLoad({ baseUrl: server.baseUrl, connections: 2, durationMs: 200, creds: () => police, next: () => ({ path: '/t' }) });
    expect(timed.sent).toBeGreaterThan(0);
    expect(timed.elapsedMs).toBeGreaterThanOrEqual(200);
  });

  it('a scripted load runs on a worker thread and sends each listed request exactly once', async () => {
    seen.length = 0;
    const r = await runLoadInWorker({
      baseUrl: server.baseUrl,
      connections: [
        { creds: police, requests: [{ path: '/w/1' }, { method: 'POST', path: '/w/2', body: '{}' }] },
        { creds: housing, requests: [{ path: '/w/3' }] },
      ],
    });
    expect(r).toMatchObject({ sent: 3, ok: 3, failed: 0 });
    expect(seen.map((s) => `${s.cn}${s.path}`).sort()).toEqual(['chelmsford-housing/w/3', 'essex-police/w/1', 'essex-police/w/2']);
    await expect(runLoadInWorker({ baseUrl: 'https://10.0.0.1', connections: [] })).rejects.toThrow(/127\.0\.0\.1/);
  });

  it('a pausable worker load sends nothing while held, drops what is still waiting, and goes on over new connections', async () => {
    seen.length = 0;
    const load = startLoadInWorker({
      baseUrl: server.baseUrl, durationMs: 30_000, startPaused: true,
      connections: [
        { creds: police, requests: [{ path: '/p/1' }, { path: '/hang' }, { path: '/p/2' }] },
        { creds: housing, requests: [{ path: '/p/3' }, { path: '/hang' }] },
      ],
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(seen).toEqual([]);
    await load.resume();
    // Each connection sends in turn, so once both have reached /hang the client holds the answers
    // to /p/1 and /p/3: waiting on what the server saw is then enough, whatever the machine's load.
    const hung = () => seen.filter((x) => x.path === '/hang').length;
    for (let i = 0; i < 400 && hung() < 2; i++) await new Promise((r) => setTimeout(r, 25));
    await load.pause({ dropAfterMs: 0 });
    const sentWhileRunning = seen.length;
    expect(seen.map((x) => x.path).sort()).toEqual(['/hang', '/hang', '/p/1', '/p/3']);
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.length).toBe(sentWhileRunning);
    await load.resume();
    const r = await load.result;
    expect(r).toMatchObject({ sent: 5, ok: 3, failed: 0, errors: 0, aborted: 2 });
    expect(seen.map((x) => x.path)).toContain('/p/2');
  });

  it('onResponse sees every answer body', async () => {
    const bodies: string[] = [];
    await runLoad({ baseUrl: server.baseUrl, connections: 2, requests: 5, creds: () => police, next: () => ({ path: '/' }), onResponse: (_c, _s, b) => bodies.push(b) });
    expect(bodies).toEqual(Array(5).fill('{"ok":true}'));
  });
});

describe('exchange baseline server', () => {
  let base: BaselineServer;
  beforeAll(async () => {
    base = await startBaselineServer(pki.serverOptions);
  });
  afterAll(async () => {
    await base?.close();
  });

  const agentFor = (c: ClientCreds) => new https.Agent({ keepAlive: false, ca: c.caPem, cert: c.certPem, key: c.keyPem });
  const call = async (c: ClientCreds, method: string, path: string, body?: unknown) => {
    const r = await send(agentFor(c), new URL(base.baseUrl), { method, path, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }, 5_000);
    return { status: r.status, json: r.body ? JSON.parse(r.body) : undefined };
  };

  it('refuses a client certificate from another CA', async () => {
    const r = await call(stranger, 'GET', '/v1/inbox');
    expect(r.status).toBe(401);
    expect(r.json.code).toBe('CLIENT_CERT_REQUIRED');
  });

  it('answers an ingest post for an unknown request with 201 after parsing the body', async () => {
    const r = await call(police, 'POST', '/v1/research-requests/req_x/response', { subjectResults: [{}, {}] });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ state: 'responded', subjects: 2 });
    const malformed = await send(agentFor(police), new URL(base.baseUrl), { method: 'POST', path: '/v1/research-requests/req_x/response', body: '{nope' }, 5_000);
    expect(malformed.status).toBe(400);
  });

  it('runs the fan-out round trip: inbox per agency (by certificate CN), ack, respond, status', async () => {
    const rq = await call(police, 'POST', '/v1/cases/case_1/research-requests', { recipients: ['essex-police', 'chelmsford-housing'] });
    expect(rq.status).toBe(201);
    const inbox = await call(police, 'GET', '/v1/inbox');
    expect(inbox.json.messages).toHaveLength(1);
    const msg = inbox.json.messages[0];
    expect((await call(housing, 'POST', `/v1/inbox/${msg.messageId}/ack`)).status).toBe(404);
    expect((await call(police, 'POST', `/v1/inbox/${msg.messageId}/ack`)).json.state).toBe('acknowledged');
    expect((await call(police, 'POST', `/v1/research-requests/${rq.json.requestId}/response`, {})).status).toBe(201);
    const status = await call(police, 'GET', `/v1/research-requests/${rq.json.requestId}`);
    expect(Object.fromEntries(status.json.messages.map((m: any) => [m.recipient, m.state]))).toEqual({ 'essex-police': 'responded', 'chelmsford-housing': 'queued' });
  });

  it('a long-poll wakes when a message arrives for that agency', async () => {
    await call(housing, 'GET', '/v1/inbox'); // drain what earlier tests left
    const waiting = call(housing, 'GET', '/v1/inbox?wait=5');
    await new Promise((r) => setTimeout(r, 50));
    const rq = await call(police, 'POST', '/v1/cases/case_1/research-requests', { recipients: ['chelmsford-housing'] });
    const r = await waiting;
    expect(r.status).toBe(200);
    expect(r.json.messages.map((m: any) => m.requestId)).toEqual([rq.json.requestId]);
  });
});
