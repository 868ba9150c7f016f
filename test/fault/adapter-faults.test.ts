import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki } from '../helpers/pki.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { eventually, sampleCase, sampleResponse, subjectIds } from '../integration/exchange/fixtures.js';
import { startPushReceiver } from './traffic.js';

type Receiver = Awaited<ReturnType<typeof startPushReceiver>>;

/**
 * Push adapters that misbehave: never answer, answer 500, cut the connection, redirect, fail twice
 * then recover, answer 2xx with a body that is not JSON, or answer 2xx and then stream a body that
 * never ends. Each message ends delivered once or dead-lettered (failed, audited once, visible on
 * the case with the reason), and no adapter can wedge a delivery worker. A pull adapter that sends
 * invalid research is refused with a stable code and nothing is stored.
 */
describe('adapters that time out, fail, or answer nonsense', () => {
  const pki = makeTestPki();
  const receivers: Record<string, Receiver> = {};
  let t: TestGateway;
  let endless = true;

  beforeAll(async () => {
    let redirectTarget: Receiver | undefined;
    receivers['essex-police'] = await startPushReceiver(pki, () => 'hang');
    receivers['chelmsford-housing'] = await startPushReceiver(pki, () => 500);
    receivers['mse-hospitals'] = await startPushReceiver(pki, () => 'reset');
    receivers['safe-steps-idva'] = await startPushReceiver(pki, (_b, n) => (n <= 2 ? 503 : 202));
    receivers['essex-childrens-services'] = await startPushReceiver(pki, (body) => (res) => {
      receivers['essex-childrens-services']!.received.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('<html>not json at all');
    });
    // A redirect must never be followed: the research would go somewhere nobody vetted.
    redirectTarget = await startPushReceiver(pki, () => 202);
    receivers['redirect-target'] = redirectTarget;
    receivers['kss-probation'] = await startPushReceiver(pki, () => (res) => {
      res.writeHead(307, { location: redirectTarget!.url }).end();
    });
    // 200 at once, then a body trickled for ever (until the gateway hangs up).
    receivers['essex-adult-social-care'] = await startPushReceiver(pki, (body) => (res) => {
      receivers['essex-adult-social-care']!.received.push(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      if (!endless) return void res.end('{}');
      res.write('[');
      const tick = setInterval(() => (res.writableEnded || res.destroyed ? clearInterval(tick) : res.write('0,')), 50);
      res.on('close', () => clearInterval(tick));
    });
    const push = Object.fromEntries(Object.entries(receivers).filter(([a]) => a !== 'redirect-target').map(([a, r]) => [a, r.url]));
    t = await startTestGateway({
      queue: 'redis', pki, push,
      env: { DELIVERY_TIMEOUT_MS: '800', DELIVERY_MAX_ATTEMPTS: '3', DELIVERY_BACKOFF_MS: '100', SWEEP_INTERVAL_MS: '1000' },
    });
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
    await Promise.all(Object.values(receivers).map((r) => r.close()));
  });

  const stateOf = async (requestId: string) => {
    const s = await t.as('essex-marat').get(`/v1/research-requests/${requestId}`);
    return Object.fromEntries((s.body.messages as { recipient: string; state: string; lastError?: string; attempts: number }[]).map((m) => [m.recipient, m]));
  };
  const auditCount = async (messageId: string, action: string) =>
    (await t.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events WHERE message_id = $1 AND action = $2', [messageId, action])).rows[0]!.n;

  it('retries, then dead-letters with the reason, visible on the case; recovers or accepts where it should', async () => {
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    const recipients = ['essex-police', 'chelmsford-housing', 'mse-hospitals', 'safe-steps-idva', 'essex-childrens-services', 'kss-probation', 'essex-adult-social-care'];
    const r = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients });
    expect(r.status).toBe(201);
    expect(r.body.refused).toEqual([]);
    const rid = r.body.requestId;

    const final = await eventually(async () => {
      const s = await stateOf(rid);
      return recipients.every((a) => ['delivered', 'failed'].includes(s[a]!.state)) ? s : undefined;
    }, 40_000, 250);

    expect(final['essex-police']).toMatchObject({ state: 'failed', lastError: 'TIMEOUT' });
    expect(final['chelmsford-housing']).toMatchObject({ state: 'failed', lastError: 'HTTP_500' });
    expect(final['mse-hospitals']).toMatchObject({ state: 'failed', lastError: 'UNREACHABLE' });
    expect(final['kss-probation']).toMatchObject({ state: 'failed', lastError: 'HTTP_307' });
    expect(receivers['redirect-target']!.attempts).toEqual([]);
    for (const a of ['essex-police', 'chelmsford-housing', 'mse-hospitals', 'kss-probation']) {
      expect(final[a]!.attempts, `${a} attempts`).toBeGreaterThanOrEqual(3);
      expect(receivers[a]!.attempts.length, `${a} tried`).toBeGreaterThanOrEqual(3);
    }
    // Two refusals, then accepted: delivered once.
    expect(final['safe-steps-idva']!.state).toBe('delivered');
    expect(receivers['safe-steps-idva']!.attempts).toHaveLength(3);
    // A 2xx is the acknowledgement; what the adapter says in the body is not read.
    expect(final['essex-childrens-services']!.state).toBe('delivered');
    // 2xx then an endless body: the status is enough, and the gateway hangs up.
    expect(final['essex-adult-social-care']!.state).toBe('delivered');

    await t.gateway.audit.flush();
    const byAgency = Object.fromEntries(r.body.messages.map((m: { recipient: string; messageId: string }) => [m.recipient, m.messageId]));
    for (const a of ['essex-police', 'chelmsford-housing', 'mse-hospitals', 'kss-probation']) {
      expect(await auditCount(byAgency[a], 'DELIVERY_FAILED'), a).toBe(1);
      expect(await auditCount(byAgency[a], 'DELIVERED'), a).toBe(0);
    }
    for (const a of ['safe-steps-idva', 'essex-childrens-services', 'essex-adult-social-care']) {
      expect(await auditCount(byAgency[a], 'DELIVERED'), a).toBe(1);
      expect(await auditCount(byAgency[a], 'DELIVERY_FAILED'), a).toBe(0);
    }

    // Visible on the case, per agency, with the reason.
    const pack = await t.as('essex-marat').get(`/v1/cases/${c.body.caseId}/research`);
    expect(pack.status).toBe(200);
    const sections = Object.fromEntries(pack.body.sections.map((s: { agencyId: string }) => [s.agencyId, s]));
    expect(sections['essex-police']).toMatchObject({ state: 'failed', lastError: 'TIMEOUT' });
    expect(sections['chelmsford-housing']).toMatchObject({ state: 'failed', lastError: 'HTTP_500' });
    expect(sections['kss-probation']).toMatchObject({ state: 'failed', lastError: 'HTTP_307' });

    // A dead-lettered message cannot be answered; the sweeper leaves it dead.
    await t.gateway.sweepNow();
    expect((await stateOf(rid))['essex-police']!.state).toBe('failed');
  }, 90_000);

  it('an adapter streaming an endless body does not wedge delivery to it', async () => {
    // The first request's endless answer is over; two more messages still get through.
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    const first = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-adult-social-care'] });
    await eventually(async () => (await stateOf(first.body.requestId))['essex-adult-social-care']!.state === 'delivered', 20_000, 200);
    endless = false;
    const second = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-adult-social-care'] });
    await eventually(async () => (await stateOf(second.body.requestId))['essex-adult-social-care']!.state === 'delivered', 20_000, 200);
  }, 60_000);

  it('a pull adapter sending invalid research is refused with a stable code, nothing is stored, and it can answer properly', async () => {
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    const ids = subjectIds(c.body);
    const r = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['eput-mental-health'] });
    expect(r.status).toBe(201);
    const rid = r.body.requestId;
    const inbox = await t.as('eput-mental-health').get('/v1/inbox?wait=2');
    expect(inbox.body.messages.map((m: { requestId: string }) => m.requestId)).toContain(rid);

    const valid = sampleResponse('response-health.json', ids);
    const other = subjectIds((await t.as('essex-marat').post('/v1/cases', sampleCase())).body);
    const bad: [string, unknown, string][] = [
      ['an array, not an object', [], 'VALIDATION_FAILED'],
      ['unknown field', { ...valid, sneaky: true }, 'VALIDATION_FAILED'],
      ['no subject results', { ...valid, subjectResults: undefined }, 'VALIDATION_FAILED'],
      ['a subject of another case', sampleResponse('response-health.json', { v1: other.v1, p1: ids.p1, c1: ids.c1 }), 'UNKNOWN_SUBJECT'],
    ];
    for (const [i, [name, body, code]] of bad.entries()) {
      const res = await t.as('eput-mental-health').post(`/v1/research-requests/${rid}/response`, body, { 'Idempotency-Key': `bad-${i}-${rid}` });
      expect(res.status, name).toBe(400);
      expect(res.body.code, name).toBe(code);
      // Refused for the body, not for anything else about the call.
      expect(JSON.stringify(res.body.problems ?? []), name).not.toContain('Idempotency-Key');
    }
    const stored = await t.db.pool.query('SELECT 1 FROM responses r JOIN messages m ON m.id = r.message_id WHERE m.request_id = $1', [rid]);
    expect(stored.rowCount).toBe(0);
    expect((await stateOf(rid))['eput-mental-health']!.state).toBe('delivered');

    const ok = await t.as('eput-mental-health').post(`/v1/research-requests/${rid}/response`, valid, { 'Idempotency-Key': `good-${rid}` });
    expect(ok.status).toBe(201);
    await t.gateway.audit.flush();
    expect(await auditCount(r.body.messages[0].messageId, 'RESPONSE_RECEIVED')).toBe(1);
  }, 60_000);
});
