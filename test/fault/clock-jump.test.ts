import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { sampleCase, sampleResponse, subjectIds } from '../integration/exchange/fixtures.js';
import { exportEvents } from '../../gateway/src/audit/export.js';
import { verifyExport } from '../../gateway/src/audit/verify.js';

/**
 * The gateway's clock jumps (a VM resumed, NTP corrected, or simply a long weekend with the timer
 * jobs lost): first past a request deadline, then past the agreement's expiry (2027-12-31 in
 * policies/essex-marat.yaml). The sweeper marks what is overdue exactly once, late answers are
 * accepted and flagged, and once the agreement has expired nothing more moves under it.
 */
describe('a clock jump past a deadline and past the agreement\'s expiry', () => {
  let t: TestGateway;
  const audited = async (where: string, params: unknown[]) => {
    await t.gateway.audit.flush();
    return (await t.db.pool.query(`SELECT action, reason_code, message_id FROM audit_events WHERE ${where} ORDER BY seq`, params)).rows;
  };
  const states = async (requestId: string) => {
    const s = await t.as('essex-marat').get(`/v1/research-requests/${requestId}`);
    expect(s.status).toBe(200);
    return Object.fromEntries((s.body.messages as { recipient: string; state: string; late: boolean }[]).map((m) => [m.recipient, m]));
  };

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'postgres' });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('past the deadline: open messages become overdue once, a late answer is accepted and flagged', async () => {
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    const ids = subjectIds(c.body);
    const r = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, {
      purpose: 'MARAC_RESEARCH', recipients: ['essex-police', 'mse-hospitals', 'safe-steps-idva'],
    });
    expect(r.status).toBe(201);
    const rid = r.body.requestId;
    const deadline = new Date(r.body.deadline);
    expect(deadline.getTime()).toBeGreaterThan(Date.now());

    // Police answers in time; health has it but has not answered; the IDVA never collected it.
    await t.as('essex-police').get('/v1/inbox');
    expect((await t.as('essex-police').post(`/v1/research-requests/${rid}/response`, sampleResponse('response-police.json', ids), { 'Idempotency-Key': `ontime-${rid}` })).status).toBe(201);
    await t.as('mse-hospitals').get('/v1/inbox');

    // Before the deadline the sweeper leaves everything alone.
    await t.gateway.sweepNow();
    expect((await states(rid))['mse-hospitals']!.state).toBe('delivered');

    t.clock.set(new Date(deadline.getTime() + 3_600_000));
    await t.gateway.sweepNow();
    await t.gateway.sweepNow(); // twice: still one OVERDUE per message
    const s = await states(rid);
    expect(s['essex-police']).toMatchObject({ state: 'responded', late: false });
    expect(s['mse-hospitals']!.state).toBe('overdue');
    expect(s['safe-steps-idva']!.state).toBe('overdue');
    const overdue = await audited(`request_id = $1 AND action = 'OVERDUE'`, [rid]);
    expect(overdue.map((e) => e.message_id).sort()).toEqual(
      r.body.messages.filter((m: { recipient: string }) => m.recipient !== 'essex-police').map((m: { messageId: string }) => m.messageId).sort(),
    );

    const late = await t.as('mse-hospitals').post(`/v1/research-requests/${rid}/response`, sampleResponse('response-health.json', ids), { 'Idempotency-Key': `late-${rid}` });
    expect(late.status).toBe(201);
    expect(late.body).toMatchObject({ state: 'responded', late: true });
    expect((await states(rid))['mse-hospitals']).toMatchObject({ state: 'responded', late: true });
    const pack = await t.as('essex-marat').get(`/v1/cases/${c.body.caseId}/research`);
    expect(pack.status).toBe(200);
    const health = pack.body.sections.find((x: { agencyId: string }) => x.agencyId === 'mse-hospitals');
    expect(health).toMatchObject({ state: 'responded', late: true, release: { released: true } });
  });

  it('past the agreement\'s expiry: requests refused ISA_EXPIRED, nothing released, nothing delivered or stored', async () => {
    t.clock.real();
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    const ids = subjectIds(c.body);
    // Answered before expiry (police); delivered and open (probation); never collected (housing).
    const r = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, {
      purpose: 'MARAC_RESEARCH', recipients: ['essex-police', 'kss-probation', 'chelmsford-housing'], deadline: '2028-06-30T12:00:00Z',
    });
    expect(r.status).toBe(201);
    const rid = r.body.requestId;
    const msg = Object.fromEntries(r.body.messages.map((m: { recipient: string; messageId: string }) => [m.recipient, m.messageId]));
    await t.as('essex-police').get('/v1/inbox');
    expect((await t.as('essex-police').post(`/v1/research-requests/${rid}/response`, sampleResponse('response-police.json', ids), { 'Idempotency-Key': `before-${rid}` })).status).toBe(201);
    await t.as('kss-probation').get('/v1/inbox');
    const packBefore = await t.as('essex-marat').get(`/v1/cases/${c.body.caseId}/research`);
    expect(packBefore.body.sections.find((x: { agencyId: string }) => x.agencyId === 'essex-police').release.released).toBe(true);

    t.clock.set('2028-01-10T10:00:00Z');

    // A new request: refused, with the reason, audited, and nothing created.
    const refused = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('ALL_RECIPIENTS_REFUSED');
    expect(refused.body.reason).toBe('ISA_EXPIRED');
    const requests = await t.db.pool.query('SELECT count(*)::int AS n FROM research_requests WHERE case_id = $1', [c.body.caseId]);
    expect(requests.rows[0].n).toBe(1);
    const refusals = await audited(`case_id = $1 AND action = 'REQUEST_REFUSED'`, [c.body.caseId]);
    expect(refusals.map((e) => e.reason_code)).toEqual(['ISA_EXPIRED']);

    // The pack: the stored research is no longer released to anyone.
    const pack = await t.as('essex-marat').get(`/v1/cases/${c.body.caseId}/research`);
    expect(pack.status).toBe(200);
    const police = pack.body.sections.find((x: { agencyId: string }) => x.agencyId === 'essex-police');
    expect(police.release).toEqual({ released: false, reason: 'ISA_EXPIRED' });
    expect(police.subjects).toEqual([]);

    // An open message can no longer be answered: refused, audited, nothing stored.
    const answer = await t.as('kss-probation').post(`/v1/research-requests/${rid}/response`, sampleResponse('response-probation.json', ids), { 'Idempotency-Key': `after-${rid}` });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'POLICY_DENIED', reason: 'ISA_EXPIRED' });
    expect((await t.db.pool.query('SELECT 1 FROM responses WHERE message_id = $1', [msg['kss-probation']])).rowCount).toBe(0);
    expect((await audited(`message_id = $1 AND action = 'ACCESS_DENIED'`, [msg['kss-probation']])).map((e) => e.reason_code)).toEqual(['ISA_EXPIRED']);

    // A message not yet collected is not handed over: it fails, with the reason, visibly.
    const inbox = await t.as('chelmsford-housing').get('/v1/inbox');
    expect(inbox.status).toBe(200);
    expect(inbox.body.messages.map((m: { messageId: string }) => m.messageId)).not.toContain(msg['chelmsford-housing']);
    const s = await states(rid);
    expect(s['chelmsford-housing']).toMatchObject({ state: 'failed', lastError: 'ISA_EXPIRED' });
    expect(s['kss-probation']!.state).toBe('delivered');
    expect((await audited(`message_id = $1 AND action = 'DELIVERY_FAILED'`, [msg['chelmsford-housing']])).map((e) => e.reason_code)).toEqual(['ISA_EXPIRED']);

    // Events stamped across the jump still form one verifiable log.
    t.clock.real();
    await t.gateway.audit.flush();
    await t.gateway.checkpointer.tick();
    const lines: string[] = [];
    for await (const chunk of exportEvents(t.db.pool, {}, 'ndjson', { origin: 'marac-gateway' })) lines.push(chunk);
    expect(await verifyExport(lines, { publicKeys: [t.gateway.checkpointer.publicKey().publicKeyPem], origin: 'marac-gateway' })).toMatchObject({ ok: true });
  });
});
