import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentArbitrary, fuzzRuns, fuzzSeed, hostileBodyArbitrary, STABLE_CODE } from '../helpers/fuzz.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { agencyAgent } from '../helpers/pki.js';
import { sampleReferral } from '../integration/referrals/fixtures.js';
import { send } from './raw-http.js';

/**
 * Schema-driven fuzzing of the referral routes: hostile bodies (built from valid referrals by one
 * mutation each), generated documents, and hostile accept / return / repeat-decision bodies. Never
 * a 5xx; every 4xx is problem+json with a stable code and wrote nothing (rows or audit).
 * FUZZ_RUNS scales the run counts; FUZZ_SEED replays one.
 */
let t: TestGateway;
let base: string;
let referralId: string;
let n = 0;
const agents = new Map<string, ReturnType<typeof agencyAgent>>();

const call = (agency: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) => {
  if (!agents.has(agency)) agents.set(agency, agencyAgent(t.creds.get(agency)!, { maxSockets: 4 }));
  return send(base, t.creds.get(agency)!, path, { method, agent: agents.get(agency)!, ...(body !== undefined ? { body } : {}), headers });
};

async function counts(): Promise<string> {
  const r = await t.db.pool.query(`SELECT (SELECT count(*) FROM referrals) r, (SELECT count(*) FROM referrals WHERE status <> 'SUBMITTED') d,
    (SELECT count(*) FROM referral_repeat_matches) m, (SELECT count(*) FROM cases) c, (SELECT count(*) FROM idempotency_keys) k,
    (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM audit_pending) a`);
  return JSON.stringify(r.rows[0]);
}

async function expectSafe(label: string, reply: { status: number; body: any; text: string; headers: Record<string, unknown> }, before: string, mustReject: boolean) {
  const why = `${label} → ${reply.status} ${reply.text.slice(0, 300)}`;
  expect(reply.status, why).toBeLessThan(500);
  if (reply.status >= 400) {
    expect(String(reply.headers['content-type']), why).toMatch(/^application\/problem\+json/);
    expect(reply.body?.code, why).toMatch(STABLE_CODE);
    expect(await counts(), `${why}: written on rejection`).toBe(before);
  } else if (mustReject) {
    expect.fail(`${why}: a body that can never be valid was accepted`);
  }
}

beforeAll(async () => {
  t = await startTestGateway({ queue: 'redis', workers: false });
  base = t.gateway.agencyUrl.replace('localhost', '127.0.0.1');
  const r = await call('essex-police', 'POST', '/v1/referrals', JSON.stringify(sampleReferral({ yes: 16 })), { 'content-type': 'application/json', 'idempotency-key': 'fuzz-seed-referral' });
  referralId = r.body.referralId;
}, 120_000);
afterAll(async () => {
  for (const a of agents.values()) a.destroy();
  await t?.stop();
});

const valid = fc.constant(null).map(() => sampleReferral({ yes: 16, criteria: [{ id: 'PROFESSIONAL_JUDGEMENT', rationale: 'Fuzz.' }] }));

describe('referral routes under fuzzing', () => {
  it('POST /v1/referrals: hostile bodies', async () => {
    await fc.assert(fc.asyncProperty(hostileBodyArbitrary('referral', valid), async (h) => {
      const before = await counts();
      const reply = await call('essex-police', 'POST', '/v1/referrals', h.body, { ...h.headers, 'idempotency-key': `fuzz-${process.pid}-${n++}` });
      await expectSafe(h.label, reply, before, h.mustReject);
    }), { numRuns: fuzzRuns(150), ...fuzzSeed() });
  }, 600_000);

  it('POST /v1/referrals: generated documents are accepted or refused with a stable code', async () => {
    const seen = new Set<number>();
    await fc.assert(fc.asyncProperty(documentArbitrary('referral'), fc.constantFrom('essex-police', 'mse-hospitals', 'recovery-ltd', 'essex-marat'), async (doc, agency) => {
      const before = await counts();
      const reply = await call(agency, 'POST', '/v1/referrals', JSON.stringify(doc), { 'content-type': 'application/json', 'idempotency-key': `fuzz-${process.pid}-${n++}` });
      seen.add(reply.status);
      await expectSafe(`generated referral from ${agency}`, reply, before, false);
    }), { numRuns: fuzzRuns(100), ...fuzzSeed() });
    expect([...seen].some((s) => s >= 400)).toBe(true);
  }, 600_000);

  it('accept, return and repeat decisions: hostile bodies and paths', async () => {
    const bodies = fc.oneof(
      hostileBodyArbitrary('referral-accept', fc.constant({ meetingDate: '2027-01-20' })),
      hostileBodyArbitrary('referral-return', fc.constant({ reason: 'Fuzz reason.' })),
      hostileBodyArbitrary('referral-repeat-decision', fc.constant({ decision: 'REJECT' })),
    );
    const paths = fc.constantFrom(
      `/v1/referrals/${referralId}/accept`, `/v1/referrals/${referralId}/return`,
      `/v1/referrals/${referralId}/repeat-matches/case_00000000000000000000000000000000`,
      '/v1/referrals/ref_00000000000000000000000000000000/accept', '/v1/referrals/%2e%2e/accept', '/v1/referrals/ref_%00/return',
    );
    await fc.assert(fc.asyncProperty(bodies, paths, fc.constantFrom('essex-marat', 'essex-police', 'southend-marac'), async (h, path, agency) => {
      const before = await counts();
      const reply = await call(agency, 'POST', path, h.body, h.headers);
      // A valid accept or return may legitimately succeed once; everything else must be a clean refusal.
      if (reply.status < 400) return;
      await expectSafe(`${h.label} at ${path} as ${agency}`, reply, before, h.mustReject);
    }), { numRuns: fuzzRuns(150), ...fuzzSeed() });
  }, 600_000);

  it('GET /v1/referrals: hostile queries', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), async (status, page) => {
      const reply = await call('essex-marat', 'GET', `/v1/referrals?status=${encodeURIComponent(status)}&page=${encodeURIComponent(page)}`);
      expect(reply.status, reply.text).toBeLessThan(500);
      if (reply.status >= 400) expect(reply.body.code).toMatch(STABLE_CODE);
    }), { numRuns: fuzzRuns(100), ...fuzzSeed() });
  }, 600_000);
});
