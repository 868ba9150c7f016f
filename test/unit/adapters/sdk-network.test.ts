/**
 * The SDK's networking against a fake gateway (an mTLS HTTPS server in this process): the client,
 * the pull runner (exactly-once answers, retries, journal), and the push receiver's checks.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import https from 'node:https';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenHttps, makeTestPki, type TestPki } from '../../helpers/pki.js';
import { createCsr, issueFromCsr, issueServerCert } from '../../../gateway/src/identity/pki/ca.js';
import { createGatewayClient, responseKey } from '../../../adapters/sdk/client.js';
import { createRunner, type RunnerEvent } from '../../../adapters/sdk/runner.js';
import { createFileJournal } from '../../../adapters/sdk/journal.js';
import { startPushReceiver } from '../../../adapters/sdk/push-receiver.js';
import { loadAgency, type LoadedAgency } from '../../../adapters/sdk/respond.js';
import { readDataDir } from '../../../adapters/sdk/data.js';
import { policeMapping } from '../../../adapters/police/map.js';
import { adapterByName } from '../../../adapters/catalog.js';
import { generatePopulation } from '../../../adapters/sdk/synthetic/population.js';
import { inboxSubjects, pickRichHousehold } from '../../../adapters/sdk/synthetic/cases.js';
import { ADAPTERS } from '../../../adapters/catalog.js';
import { readFileSync } from 'node:fs';
import { responseProblems } from '../../../adapters/sdk/validate.js';
import { loadAdapterConfig } from '../../../adapters/sdk/config.js';
import type { AgencyMapping } from '../../../adapters/sdk/mapping.js';
import type { InboxMessage } from '../../../adapters/sdk/types.js';

const hex = (n: number) => n.toString(16).padStart(32, '0');
const pop = generatePopulation();
const truths = Object.fromEntries(ADAPTERS.map((a) => [a.dataDir.split('/').filter(Boolean).slice(-2)[0]!, JSON.parse(readFileSync(join(a.dataDir, 'truth.json'), 'utf8'))]));
const household = pickRichHousehold(pop, truths);

function message(n: number): InboxMessage {
  return {
    messageId: `msg_${hex(n)}`, requestId: `req_${hex(n)}`, caseId: `case_${hex(n)}`, kind: 'RESEARCH_REQUEST', purpose: 'MARAC_RESEARCH', deadline: '2026-12-15T17:00:00Z',
    request: {
      purpose: 'MARAC_RESEARCH', meetingDate: '2026-12-16', deadline: '2026-12-15T17:00:00Z', lookbackMonths: 12,
      requestedDomains: ['DA_INCIDENTS', 'ORDERS_AND_BAIL', 'CONVICTIONS'], subjects: inboxSubjects(pop, household),
    },
  };
}

interface Fail { match: RegExp; status: number; code: string; times: number }

/** A fake gateway with just enough behaviour: inbox, acks, idempotent answers, injected failures. */
function fakeGateway() {
  const s = {
    queue: [] as InboxMessage[],
    redeliver: [] as InboxMessage[],
    acks: [] as string[],
    answers: new Map<string, { requestId: string; body: string; kind: string }>(),
    answered: new Set<string>(),
    calls: [] as string[],
    fails: [] as Fail[],
    clientCn: [] as string[],
  };
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' });
    res.end(JSON.stringify(body));
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const cn = (req.socket as TLSSocket).getPeerCertificate()?.subject?.CN;
    if (!cn) return send(res, 401, { code: 'UNAUTHENTICATED' });
    s.clientCn.push(String(cn));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '';
      s.calls.push(`${req.method} ${url.replace(/\?.*/, '')}`);
      const f = s.fails.find((x) => x.match.test(`${req.method} ${url}`) && x.times > 0);
      if (f) {
        f.times--;
        return send(res, f.status, { code: f.code });
      }
      if (req.method === 'GET' && url.startsWith('/v1/inbox')) {
        const messages = [...s.queue.splice(0), ...s.redeliver.splice(0)];
        return send(res, 200, { messages });
      }
      let m = /^\/v1\/inbox\/([^/]+)\/ack$/.exec(url);
      if (req.method === 'POST' && m) {
        s.acks.push(m[1]!);
        return send(res, 200, { messageId: m[1], state: 'acknowledged' });
      }
      m = /^\/v1\/research-requests\/([^/]+)\/(response|decline)$/.exec(url);
      if (req.method === 'POST' && m) {
        const key = String(req.headers['idempotency-key'] ?? '');
        const body = Buffer.concat(chunks).toString('utf8');
        const prior = s.answers.get(key);
        if (prior) return prior.body === body ? send(res, 201, { requestId: m[1], state: 'responded' }) : send(res, 422, { code: 'IDEMPOTENCY_KEY_REUSED' });
        if (s.answered.has(m[1]!)) return send(res, 409, { code: 'ALREADY_ANSWERED' });
        if (m[2] === 'response' && responseProblems(JSON.parse(body)).length) return send(res, 400, { code: 'VALIDATION_FAILED' });
        s.answers.set(key, { requestId: m[1]!, body, kind: m[2]! });
        s.answered.add(m[1]!);
        return send(res, 201, { requestId: m[1], messageId: 'x', state: m[2] === 'response' ? 'responded' : 'declined', late: false });
      }
      send(res, 404, { code: 'NOT_FOUND' });
    });
  };
  return { s, handler };
}

let pki: TestPki;
let agencyCert: { certPem: string; keyPem: string };
let gatewayCert: { certPem: string; keyPem: string };
let police: LoadedAgency;
const dirs: string[] = [];

beforeAll(() => {
  pki = makeTestPki();
  const a = createCsr({ agencyId: 'essex-police' });
  agencyCert = { certPem: issueFromCsr(pki.ca, a.csrPem, { agencyId: 'essex-police', agencyType: 'POLICE', validDays: 5 }).certPem, keyPem: a.keyPem };
  const g = createCsr({ agencyId: 'marac-gateway' });
  gatewayCert = { certPem: issueFromCsr(pki.ca, g.csrPem, { agencyId: 'marac-gateway', agencyType: 'MARAC_COORDINATOR', validDays: 5 }).certPem, keyPem: g.keyPem };
  police = loadAgency(policeMapping, readDataDir(adapterByName('police')!.dataDir));
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function world() {
  const g = fakeGateway();
  const srv = await listenHttps(g.handler, pki);
  const client = createGatewayClient({ baseUrl: srv.baseUrl, ...agencyCert, caPem: pki.caPem, timeoutMs: 3000 });
  return { ...g, srv, client, async close() { client.close(); await srv.close(); } };
}

describe('gateway client', () => {
  it('polls, acks and answers over mTLS with the agency certificate', async () => {
    const w = await world();
    w.s.queue.push(message(1));
    const msgs = await w.client.pollInbox(0);
    expect(msgs.map((m) => m.messageId)).toEqual([`msg_${hex(1)}`]);
    expect(w.s.clientCn).toContain('essex-police');
    expect(await w.client.ack(`msg_${hex(1)}`)).toEqual({ messageId: `msg_${hex(1)}`, state: 'acknowledged' });
    const r = await w.client.decline(`req_${hex(1)}`, { reason: 'NOT_KNOWN' }, 'dcl.test-key');
    expect(r.state).toBe('declined');
    await w.close();
  });

  it('maps problem+json to GatewayRejected with the code, and reports "already answered" as done', async () => {
    const w = await world();
    w.s.fails.push({ match: /inbox/, status: 403, code: 'AGENCY_DISABLED', times: 1 });
    await expect(w.client.pollInbox(0)).rejects.toMatchObject({ code: 'AGENCY_DISABLED', status: 403, retryable: false });
    w.s.answered.add(`req_${hex(2)}`);
    expect(await w.client.decline(`req_${hex(2)}`, { reason: 'OTHER' }, 'dcl.other-key')).toMatchObject({ alreadyAnswered: true });
    await w.close();
  });

  it('refuses a reply that is not the documented inbox shape', async () => {
    const w = await world();
    w.s.queue.push({ messageId: 'm', kind: 'SOMETHING_ELSE' } as unknown as InboxMessage);
    await expect(w.client.pollInbox(0)).rejects.toMatchObject({ code: 'UNEXPECTED_GATEWAY_REPLY' });
    await w.close();
  });

  it('reports an unreachable gateway, and refuses http URLs', async () => {
    const w = await world();
    const url = w.srv.baseUrl;
    await w.close();
    const c = createGatewayClient({ baseUrl: url, ...agencyCert, caPem: pki.caPem, timeoutMs: 1000 });
    await expect(c.pollInbox(0)).rejects.toMatchObject({ code: 'GATEWAY_UNREACHABLE' });
    c.close();
    expect(() => createGatewayClient({ baseUrl: 'http://127.0.0.1:1', ...agencyCert, caPem: pki.caPem })).toThrow(expect.objectContaining({ code: 'UNEXPECTED_GATEWAY_REPLY' }));
  });
});

describe('pull runner', () => {
  let events: RunnerEvent[] = [];
  afterEach(() => {
    events = [];
  });

  it('answers every message exactly once with a key derived from the message id, then acknowledges', async () => {
    const w = await world();
    w.s.queue.push(message(1), message(2), message(3));
    const runner = createRunner({ client: w.client, agency: police, waitSeconds: 0, backoff: { initialMs: 5, maxMs: 20 }, onEvent: (e) => events.push(e) });
    const loop = runner.runPull();
    await expect.poll(() => w.s.answered.size, { timeout: 5000 }).toBe(3);
    // Redelivered while answered: the idempotent key makes the second answer a no-op.
    w.s.redeliver.push(message(2));
    await expect.poll(() => events.filter((e) => e.type === 'answered').length, { timeout: 5000 }).toBe(4);
    await runner.stop();
    await loop;
    expect([...w.s.answers.keys()].sort()).toEqual([1, 2, 3].map((n) => responseKey(`msg_${hex(n)}`)).sort());
    expect(events.filter((e) => e.type === 'answered' && e.alreadyAnswered)).toHaveLength(1);
    // Answer first, acknowledge after (no journal): a crash in between leaves the message redeliverable.
    const i = w.s.calls.indexOf(`POST /v1/research-requests/req_${hex(1)}/response`);
    const j = w.s.calls.indexOf(`POST /v1/inbox/msg_${hex(1)}/ack`);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(j).toBeGreaterThan(i);
    const answered = events.find((e) => e.type === 'answered' && !e.alreadyAnswered);
    expect(answered).toMatchObject({ matched: expect.any(Number), withheld: expect.any(Number) });
    expect(JSON.stringify(events)).not.toContain(pop.byId.get(household.victimId)!.family);
    await w.close();
  });

  it('retries transient failures with backoff, and gives up on a refusal', async () => {
    const w = await world();
    w.s.fails.push({ match: /inbox/, status: 503, code: 'SERVICE_UNAVAILABLE', times: 2 });
    w.s.fails.push({ match: new RegExp(`req_${hex(1)}/response`), status: 502, code: 'BAD_GATEWAY', times: 1 });
    w.s.fails.push({ match: new RegExp(`req_${hex(2)}/response`), status: 403, code: 'POLICY_DENIED', times: 5 });
    w.s.queue.push(message(1), message(2));
    const runner = createRunner({ client: w.client, agency: police, waitSeconds: 0, backoff: { initialMs: 5, maxMs: 20 }, onEvent: (e) => events.push(e) });
    const loop = runner.runPull();
    await expect.poll(() => runner.stats.answered + runner.stats.gaveUp, { timeout: 5000 }).toBe(2);
    await runner.stop();
    await loop;
    expect(w.s.answered.has(`req_${hex(1)}`)).toBe(true);
    expect(events.filter((e) => e.type === 'retry').map((e) => (e as { code: string }).code)).toEqual(expect.arrayContaining(['SERVICE_UNAVAILABLE', 'BAD_GATEWAY']));
    expect(events.find((e) => e.type === 'gave-up')).toMatchObject({ requestId: `req_${hex(2)}`, code: 'POLICY_DENIED' });
    await w.close();
  });

  it('declines visibly instead of sending output the schema refuses', async () => {
    const w = await world();
    const broken: AgencyMapping<unknown> = {
      ...policeMapping, map: () => ({ sections: { police: { incidentCount12m: -1 } }, withheld: [], currentInvolvement: false }),
    } as AgencyMapping<unknown>;
    const agency = { ...police, mapping: broken } as LoadedAgency;
    w.s.queue.push(message(7));
    const runner = createRunner({ client: w.client, agency, waitSeconds: 0, onEvent: (e) => events.push(e) });
    const loop = runner.runPull();
    await expect.poll(() => runner.stats.declined, { timeout: 5000 }).toBe(1);
    await runner.stop();
    await loop;
    expect([...w.s.answers.values()][0]).toMatchObject({ kind: 'decline' });
    expect(JSON.parse([...w.s.answers.values()][0]!.body)).toMatchObject({ reason: 'OTHER' });
    expect(events.map((e) => e.type)).toContain('invalid-output');
    await w.close();
  });

  it('with a journal: journals, acknowledges, answers, forgets; and resumes what a crash left behind', async () => {
    const w = await world();
    const dir = mkdtempSync(join(tmpdir(), 'adapter-journal-'));
    dirs.push(dir);
    // A previous run journaled and acknowledged message 9, then died before answering.
    createFileJournal(dir).put(message(9));
    w.s.queue.push(message(10));
    const runner = createRunner({ client: w.client, agency: police, journal: createFileJournal(dir), waitSeconds: 0, onEvent: (e) => events.push(e) });
    const loop = runner.runPull();
    await expect.poll(() => w.s.answered.size, { timeout: 5000 }).toBe(2);
    await runner.stop();
    await loop;
    const ack = w.s.calls.indexOf(`POST /v1/inbox/msg_${hex(10)}/ack`);
    const answer = w.s.calls.indexOf(`POST /v1/research-requests/req_${hex(10)}/response`);
    expect(ack).toBeGreaterThanOrEqual(0);
    expect(answer).toBeGreaterThan(ack);
    expect(readdirSync(join(dir, 'inbox'))).toEqual([]);
    await w.close();
  });
});

describe('push receiver', () => {
  async function post(url: string, cert: { certPem: string; keyPem: string } | null, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }, method = 'POST') {
    return new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = https.request(url, { method, headers, ca: pki.caPem, agent: false, ...(cert ? { cert: cert.certPem, key: cert.keyPem } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('accepts a delivery from the gateway certificate (202) and answers it in the background', async () => {
    const w = await world();
    const runner = createRunner({ client: w.client, agency: police, backoff: { initialMs: 5, maxMs: 20 } });
    const server = issueServerCert(pki.ca, { hostnames: ['127.0.0.1'], validDays: 5 });
    const rx = await startPushReceiver({ runner, certPem: server.certPem, keyPem: server.keyPem, caPem: pki.caPem });
    // The gateway commits its delivery after our 202; until then an answer is "not answerable".
    w.s.fails.push({ match: /response/, status: 409, code: 'MESSAGE_NOT_ANSWERABLE', times: 1 });
    const r = await post(rx.url, gatewayCert, JSON.stringify(message(20)));
    expect(r).toEqual({ status: 202, body: { accepted: true, messageId: `msg_${hex(20)}` } });
    await runner.idle();
    expect(w.s.answered.has(`req_${hex(20)}`)).toBe(true);

    // An agency certificate from the same CA is trusted but is not the gateway.
    expect((await post(rx.url, agencyCert, JSON.stringify(message(21)))).body.code).toBe('FORBIDDEN');
    expect((await post(rx.url, gatewayCert, '{not json')).body.code).toBe('MALFORMED_JSON');
    expect((await post(rx.url, gatewayCert, JSON.stringify({ messageId: 'x' }))).body.code).toBe('VALIDATION_FAILED');
    expect((await post(rx.url, gatewayCert, 'x', { 'content-type': 'text/plain' })).body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect((await post(rx.url.replace('/deliveries', '/other'), gatewayCert, '{}')).body.code).toBe('NOT_FOUND');
    expect((await post(rx.url, gatewayCert, '', {}, 'GET')).body.code).toBe('METHOD_NOT_ALLOWED');
    expect((await post(rx.url, gatewayCert, JSON.stringify({ pad: 'x'.repeat(1_100_000) }))).body.code).toBe('PAYLOAD_TOO_LARGE');
    // No client certificate: the TLS handshake itself is refused.
    await expect(post(rx.url, null, JSON.stringify(message(22)))).rejects.toBeDefined();
    expect(w.s.answered.has(`req_${hex(21)}`)).toBe(false);
    await rx.close();
    await runner.stop();
    await w.close();
  });
});

describe('adapter configuration', () => {
  it('lists every problem at once', () => {
    let err: any;
    try {
      loadAdapterConfig(['--gateway', 'http://x', '--wait', '99', '--mode', 'carrier-pigeon', 'stray'], { dataDir: '/tmp' });
    } catch (e) {
      err = e;
    }
    expect(err?.code).toBe('ADAPTER_CONFIG_INVALID');
    expect(err.problems.map((p: any) => p.code).sort()).toEqual(['HTTPS_REQUIRED', 'UNEXPECTED_ARGUMENT', 'enum', 'range', 'required', 'required', 'required'].sort());
  });

  it('--check needs no gateway and keeps the default data directory', () => {
    expect(loadAdapterConfig(['--check'], { dataDir: '/data/x' })).toMatchObject({ check: true, dataDir: '/data/x', mode: 'pull', waitSeconds: 20 });
  });
});
