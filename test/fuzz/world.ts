/**
 * The world the agency-API fuzz runs in: one in-process gateway (workers off, so nothing moves
 * behind the test's back), keep-alive mTLS agents per agency, a coordinator case with a delivered
 * police message to answer, and the checks every reply must pass.
 */
import type https from 'node:https';
import fc from 'fast-check';
import { expect } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { agencyAgent } from '../helpers/pki.js';
import { INTERESTING_STRINGS, STABLE_CODE } from '../helpers/fuzz.js';
import { sampleCase, sampleResponse, subjectIds } from '../integration/exchange/fixtures.js';
import { send, type Reply } from './raw-http.js';

/** Refusals that are audited by design (invariant 4: every denial is logged): only audit rows may grow. */
export const AUDITED_DENIALS = new Set(['POLICY_DENIED', 'ALL_RECIPIENTS_REFUSED']);

export interface Target { requestId: string; messageId: string; caseId: string; ids: { v1: string; p1: string; c1: string } }

export interface FuzzWorld {
  t: TestGateway;
  base: string;
  call(agency: string, method: string, path: string, body?: string | Buffer, headers?: Record<string, string>): Promise<Reply>;
  counts(): Promise<{ data: string; audit: number }>;
  /** The coordinator's case (essex) and another coordinator's case (southend). */
  caseId: string;
  ids: { v1: string; p1: string; c1: string };
  otherCaseId: string;
  /** Ids the fuzz draws from: real ones of every kind and owner, so paths hit real rows. */
  known: { requests: string[]; messages: string[]; cases: string[] };
  /** A police message delivered and not yet answered (renewed when a run answers it). */
  target(agency?: string): Promise<Target>;
  invalidateTarget(agency: string): void;
  stop(): Promise<void>;
}

export async function startFuzzWorld(): Promise<FuzzWorld> {
  const t = await startTestGateway({ queue: 'redis', workers: false });
  const base = t.gateway.agencyUrl.replace('localhost', '127.0.0.1');
  const agents = new Map<string, https.Agent>();
  const agentFor = (a: string) => {
    let ag = agents.get(a);
    if (!ag) agents.set(a, (ag = agencyAgent(t.creds.get(a)!, { maxSockets: 4 })));
    return ag;
  };
  const call: FuzzWorld['call'] = (agency, method, path, body, headers) =>
    send(base, t.creds.get(agency)!, path, { method, agent: agentFor(agency), ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
  const json = (agency: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    call(agency, method, path, body === undefined ? undefined : JSON.stringify(body), { 'content-type': 'application/json', ...headers });

  const c = await json('essex-marat', 'POST', '/v1/cases', sampleCase());
  if (c.status !== 201) throw new Error(`world: case ${c.status} ${c.text}`);
  const other = await json('southend-marac', 'POST', '/v1/cases', sampleCase({ maracArea: 'southend' }));
  if (other.status !== 201) throw new Error(`world: other case ${other.status} ${other.text}`);
  const known = { requests: [] as string[], messages: [] as string[], cases: [c.body.caseId as string, other.body.caseId as string] };
  const targets = new Map<string, Target>();

  async function freshTarget(agency: string): Promise<Target> {
    const r = await json('essex-marat', 'POST', `/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: [agency] });
    if (r.status !== 201 || r.body.messages.length !== 1) throw new Error(`world: request ${r.status} ${r.text}`);
    const messageId = r.body.messages[0].messageId as string;
    known.requests.push(r.body.requestId);
    known.messages.push(messageId);
    for (let i = 0; i < 50; i++) {
      const got = await call(agency, 'GET', '/v1/inbox?wait=0');
      if (got.status !== 200) throw new Error(`world: inbox ${got.status} ${got.text}`);
      if (got.body.messages.some((m: { messageId: string }) => m.messageId === messageId)) {
        return { requestId: r.body.requestId, messageId, caseId: c.body.caseId, ids: subjectIds(c.body) };
      }
    }
    throw new Error('world: target never delivered');
  }

  const w: FuzzWorld = {
    t,
    base,
    call,
    async counts() {
      const r = await t.db.pool.query(`SELECT (SELECT count(*) FROM cases) c, (SELECT count(*) FROM research_requests) r,
        (SELECT count(*) FROM messages) m, (SELECT count(*) FROM responses) x, (SELECT count(*) FROM idempotency_keys) k,
        (SELECT count(*) FROM request_refusals) f, (SELECT count(*) FROM agencies) g,
        (SELECT string_agg(state, ',' ORDER BY id) FROM messages) s,
        (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM audit_pending) a`);
      const { a, ...data } = r.rows[0];
      return { data: JSON.stringify(data), audit: Number(a) };
    },
    caseId: c.body.caseId,
    ids: subjectIds(c.body),
    otherCaseId: other.body.caseId,
    known,
    async target(agency = 'essex-police') {
      let x = targets.get(agency);
      // A run that failed half-way may have answered it without saying so: check the state.
      const state = x && (await t.db.pool.query('SELECT state FROM messages WHERE id = $1', [x.messageId])).rows[0]?.state;
      if (!x || state !== 'delivered') targets.set(agency, (x = await freshTarget(agency)));
      return x;
    },
    invalidateTarget(agency) {
      targets.delete(agency);
    },
    async stop() {
      for (const a of agents.values()) a.destroy();
      await t.stop();
    },
  };
  // One answered message of another agency, so ids of every state are in the pool.
  const h = await w.target('chelmsford-housing');
  const ans = await json('chelmsford-housing', 'POST', `/v1/research-requests/${h.requestId}/response`, sampleResponse('response-housing.json', h.ids), { 'Idempotency-Key': 'world-housing-1' });
  if (ans.status !== 201) throw new Error(`world: housing response ${ans.status} ${ans.text}`);
  w.invalidateTarget('chelmsford-housing');
  return w;
}

/**
 * What every reply must satisfy: never a 5xx; a 4xx carries a stable code in problem+json and
 * wrote nothing (audited denials may add audit rows only); a body that can never be valid is refused.
 */
export async function expectSafeReply(w: FuzzWorld, label: string, reply: Reply, before: { data: string; audit: number }, mustReject: boolean): Promise<void> {
  const why = `${label} → ${reply.status} ${reply.text.slice(0, 300)}`;
  expect(reply.status, why).toBeGreaterThanOrEqual(200);
  expect(reply.status, why).toBeLessThan(500);
  if (reply.status >= 400) {
    expect(String(reply.headers['content-type']), why).toMatch(/^application\/problem\+json/);
    expect(reply.body?.code, why).toMatch(STABLE_CODE);
    expect(reply.body?.status, why).toBe(reply.status);
    const after = await w.counts();
    expect(after.data, `${why}: data written on rejection`).toBe(before.data);
    if (!AUDITED_DENIALS.has(reply.body.code)) expect(after.audit, `${why}: audit written on rejection`).toBe(before.audit);
  } else if (mustReject) {
    expect.fail(`${why}: a body that can never be valid was accepted`);
  }
}

// ---------------------------------------------------------------------------------------------
// Path parameters and headers
// ---------------------------------------------------------------------------------------------

const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);

function encodeSegment(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '?')) + '%ED%A0%80';
  }
}

/** A path segment for an id: real ids of every kind and owner, well-formed unknown ones, and hostile text. */
export function pathIdArbitrary(w: FuzzWorld): fc.Arbitrary<string> {
  const real = fc.nat().map((i) => {
    const all = [...w.known.cases, ...w.known.requests, ...w.known.messages];
    return all[i % all.length]!;
  });
  return fc.oneof(
    { weight: 3, arbitrary: real },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('case', 'req', 'msg', 'subj', 'abc', 'abcde'), hex32).map(([p, h]) => `${p}_${h}`) },
    { weight: 1, arbitrary: real.map((id) => id.toUpperCase()) },
    { weight: 1, arbitrary: real.map((id) => `${id}%00`) },
    { weight: 1, arbitrary: real.map((id) => `${id}'%20OR%20'1'='1`) },
    { weight: 2, arbitrary: fc.constantFrom(...INTERESTING_STRINGS).map(encodeSegment) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }).map(encodeSegment) },
    {
      weight: 2,
      arbitrary: fc.constantFrom('%ZZ', '%', '%2', '%00', '%2F', '%2e%2e', '..', '.', '%C0%AF', '%ED%A0%80', '%FF', ';', ',', '*', "'", '"',
        'case_00000000000000000000000000000000;DROP', '%27%3B%20DROP%20TABLE%20cases%3B--', 'a'.repeat(300), 'a'.repeat(8000), '%0d%0aSet-Cookie:%20x=1'),
    },
  );
}

/** Idempotency-Key header values Node will put on the wire (CR/LF ones go through rawTls in the security suite). */
export const idempotencyKeyArbitrary: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9._:-]{8,128}$/) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('', 'short', 'x'.repeat(129), 'x'.repeat(8000), "'; DROP TABLE idempotency_keys; --", 'key with spaces',
      'caf\u00e9-latin1-key', '\t\tpadded-key-1\t', 'a/b\\c?d#e-key', '../../../../etc', '__proto__', 'constructor-key-12'),
  },
);
