import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { sampleCase, sampleResponse, subjectIds } from '../integration/exchange/fixtures.js';

/**
 * Another agency's certificate on someone else's messages (read, ack, respond, decline, status,
 * pack), and replayed requests: the same Idempotency-Key gets the first answer and nothing more;
 * a response replayed onto another request, or by another agency, is refused.
 */
describe('cross-agency access and replays', () => {
  let t: TestGateway;
  let caseA: string;
  let caseB: string;
  let idsA: { v1: string; p1: string; c1: string };
  let idsB: { v1: string; p1: string; c1: string };
  /** Request of case A to police only; request of case A to police and housing; request of case B to police. */
  let policeOnly: { requestId: string; messageId: string };
  let shared: { requestId: string; police: string; housing: string };
  let otherCase: { requestId: string; messageId: string };

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis', workers: false });
    const a = await t.as('essex-marat').post('/v1/cases', sampleCase());
    const b = await t.as('essex-marat').post('/v1/cases', sampleCase());
    caseA = a.body.caseId;
    caseB = b.body.caseId;
    idsA = subjectIds(a.body);
    idsB = subjectIds(b.body);
    const r1 = await t.as('essex-marat').post(`/v1/cases/${caseA}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] });
    const r2 = await t.as('essex-marat').post(`/v1/cases/${caseA}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police', 'chelmsford-housing'] });
    const r3 = await t.as('essex-marat').post(`/v1/cases/${caseB}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] });
    policeOnly = { requestId: r1.body.requestId, messageId: r1.body.messages[0].messageId };
    const by = (r: typeof r2, who: string) => r.body.messages.find((m: { recipient: string }) => m.recipient === who).messageId;
    shared = { requestId: r2.body.requestId, police: by(r2, 'essex-police'), housing: by(r2, 'chelmsford-housing') };
    otherCase = { requestId: r3.body.requestId, messageId: r3.body.messages[0].messageId };
    expect((await t.as('essex-police').get('/v1/inbox?wait=0')).body.messages).toHaveLength(3);
    expect((await t.as('chelmsford-housing').get('/v1/inbox?wait=0')).body.messages).toHaveLength(1);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  async function counts(): Promise<string> {
    const r = await t.db.pool.query(`SELECT (SELECT count(*) FROM responses) x, (SELECT count(*) FROM idempotency_keys) k,
      (SELECT string_agg(id || ':' || state, ',' ORDER BY id) FROM messages) m,
      (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM audit_pending) a`);
    return JSON.stringify(r.rows[0]);
  }

  it('another agency cannot ack, answer, decline or read the status of police\'s messages, and learns nothing from trying', async () => {
    const tries: { who: string; run: () => Promise<{ status: number; body: any }>; status: number; code: string }[] = [];
    for (const who of ['chelmsford-housing', 'safe-steps-idva', 'recovery-ltd', 'southend-marac']) {
      const c = t.as(who);
      tries.push(
        { who, run: () => c.post(`/v1/inbox/${policeOnly.messageId}/ack`), status: 404, code: 'MESSAGE_NOT_FOUND' },
        { who, run: () => c.post(`/v1/inbox/${shared.police}/ack`), status: 404, code: 'MESSAGE_NOT_FOUND' },
        { who, run: () => c.post(`/v1/research-requests/${policeOnly.requestId}/response`, sampleResponse('response-police.json', idsA), { 'Idempotency-Key': `steal-${who}-1` }), status: 404, code: 'REQUEST_NOT_FOUND' },
        { who, run: () => c.post(`/v1/research-requests/${policeOnly.requestId}/decline`, { reason: 'NOT_KNOWN' }, { 'Idempotency-Key': `steal-${who}-2` }), status: 404, code: 'REQUEST_NOT_FOUND' },
        { who, run: () => c.get(`/v1/research-requests/${policeOnly.requestId}`), status: 404, code: 'REQUEST_NOT_FOUND' },
      );
    }
    for (const who of ['recovery-ltd', 'southend-marac', 'safe-steps-idva']) {
      tries.push({ who, run: () => t.as(who).get(`/v1/cases/${caseA}/research`), status: 404, code: 'CASE_NOT_FOUND' });
      tries.push({ who, run: () => t.as(who).get(`/v1/cases/${caseA}/research/export`), status: 404, code: 'CASE_NOT_FOUND' });
      tries.push({ who, run: () => t.as(who).post(`/v1/cases/${caseA}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] }), status: 404, code: 'CASE_NOT_FOUND' });
    }
    for (const x of tries) {
      const before = await counts();
      const r = await x.run();
      expect(r.status, `${x.who}: ${JSON.stringify(r.body)}`).toBe(x.status);
      expect(r.body.code).toBe(x.code);
      expect(await counts(), x.who).toBe(before);
    }
  });

  it('a recipient of a shared request sees only its own message in the status', async () => {
    const r = await t.as('chelmsford-housing').get(`/v1/research-requests/${shared.requestId}`);
    expect(r.status).toBe(200);
    expect(r.body.messages.map((m: { recipient: string }) => m.recipient)).toEqual(['chelmsford-housing']);
    expect(r.body.refused).toEqual([]);
    expect(JSON.stringify(r.body)).not.toContain(shared.police);
  });

  it('answering a shared request answers only the caller\'s own message', async () => {
    const r = await t.as('chelmsford-housing').post(`/v1/research-requests/${shared.requestId}/decline`, { reason: 'NOT_KNOWN' }, { 'Idempotency-Key': 'housing-decline-1' });
    expect(r.status).toBe(201);
    expect(r.body.messageId).toBe(shared.housing);
    const states = await t.db.pool.query('SELECT id, state FROM messages WHERE request_id = $1 ORDER BY id', [shared.requestId]);
    expect(Object.fromEntries(states.rows.map((x) => [x.id, x.state]))).toEqual({ [shared.police]: 'delivered', [shared.housing]: 'declined' });
  });

  it('a replay with the same Idempotency-Key returns the first answer and writes nothing more, reordered keys included', async () => {
    const body = sampleResponse('response-police.json', idsA);
    const first = await t.as('essex-police').post(`/v1/research-requests/${policeOnly.requestId}/response`, body, { 'Idempotency-Key': 'police-answer-0001' });
    expect(first.status).toBe(201);
    const after = await counts();
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    for (const b of [body, reordered, body]) {
      const again = await t.as('essex-police').post(`/v1/research-requests/${policeOnly.requestId}/response`, b, { 'Idempotency-Key': 'police-answer-0001' });
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
    }
    expect(await counts()).toBe(after);
    // One statement, one snapshot: an event is either still pending or sequenced, never both.
    const events = await t.db.pool.query(`SELECT (SELECT count(*) FROM audit_events WHERE action = 'RESPONSE_RECEIVED' AND message_id = $1)
      + (SELECT count(*) FROM audit_pending WHERE body LIKE '%RESPONSE_RECEIVED%' AND body LIKE '%' || $1 || '%') AS n`, [policeOnly.messageId]);
    expect(Number(events.rows[0].n)).toBe(1);
  });

  it('the same key with another body, or on another request, is refused; a fresh key cannot answer twice', async () => {
    const cases: { run: () => Promise<{ status: number; body: any }>; status: number; code: string }[] = [
      // Same key, changed body.
      { run: () => t.as('essex-police').post(`/v1/research-requests/${policeOnly.requestId}/response`, { ...sampleResponse('response-police.json', idsA), completedByRole: 'someone else' }, { 'Idempotency-Key': 'police-answer-0001' }), status: 422, code: 'IDEMPOTENCY_KEY_REUSED' },
      // Same key and body, replayed onto another request of the same agency.
      { run: () => t.as('essex-police').post(`/v1/research-requests/${shared.requestId}/response`, sampleResponse('response-police.json', idsA), { 'Idempotency-Key': 'police-answer-0001' }), status: 422, code: 'IDEMPOTENCY_KEY_REUSED' },
      // Same key turned into a decline.
      { run: () => t.as('essex-police').post(`/v1/research-requests/${policeOnly.requestId}/decline`, { reason: 'NOT_KNOWN' }, { 'Idempotency-Key': 'police-answer-0001' }), status: 422, code: 'IDEMPOTENCY_KEY_REUSED' },
      // A fresh key on the answered request.
      { run: () => t.as('essex-police').post(`/v1/research-requests/${policeOnly.requestId}/response`, sampleResponse('response-police.json', idsA), { 'Idempotency-Key': 'police-answer-0002' }), status: 409, code: 'ALREADY_ANSWERED' },
      { run: () => t.as('essex-police').post(`/v1/research-requests/${policeOnly.requestId}/decline`, { reason: 'NOT_KNOWN' }, { 'Idempotency-Key': 'police-answer-0003' }), status: 409, code: 'ALREADY_ANSWERED' },
      // Case A's research replayed onto case B's request: its subjects are not case B's.
      { run: () => t.as('essex-police').post(`/v1/research-requests/${otherCase.requestId}/response`, sampleResponse('response-police.json', idsA), { 'Idempotency-Key': 'police-answer-0004' }), status: 400, code: 'UNKNOWN_SUBJECT' },
      // Captured by another agency and replayed with its own certificate (same key, keys are per agency).
      { run: () => t.as('chelmsford-housing').post(`/v1/research-requests/${policeOnly.requestId}/response`, sampleResponse('response-police.json', idsA), { 'Idempotency-Key': 'police-answer-0001' }), status: 404, code: 'REQUEST_NOT_FOUND' },
    ];
    for (const [i, c] of cases.entries()) {
      const before = await counts();
      const r = await c.run();
      expect(r.status, `${i}: ${JSON.stringify(r.body)}`).toBe(c.status);
      expect(r.body.code, `${i}`).toBe(c.code);
      expect(await counts(), `${i}`).toBe(before);
    }
    // Case B's request is still open: the refused replay did not touch it.
    const st = await t.as('essex-police').get(`/v1/research-requests/${otherCase.requestId}`);
    expect(st.body.messages[0].state).toBe('delivered');
    const ok = await t.as('essex-police').post(`/v1/research-requests/${otherCase.requestId}/response`, sampleResponse('response-police.json', idsB), { 'Idempotency-Key': 'police-answer-0005' });
    expect(ok.status).toBe(201);
  });

  it('a party sees another agency\'s research only as the agreement releases it to that party', async () => {
    const r = await t.as('essex-police').post(`/v1/research-requests/${shared.requestId}/response`, sampleResponse('response-police.json', idsA), { 'Idempotency-Key': 'police-shared-0001' });
    expect(r.status).toBe(201);
    const housing = await t.as('chelmsford-housing').get(`/v1/cases/${caseA}/research`);
    expect(housing.status).toBe(200);
    const text = JSON.stringify(housing.body);
    // R4/R5/R6/R7 of the sample agreement: no crime references, no convictions, no exact dates of birth, no address beyond the district.
    for (const forbidden of ['42/12345/26', 'Community order', 'Suspended sentence', '1990-04-12', '1 Example Row', 'CM2 9ZZ', 'DC Example Officer', '2026-11-30']) {
      expect(text, forbidden).not.toContain(forbidden);
    }
    const own = housing.body.sections.filter((s: { agencyId: string }) => s.agencyId === 'chelmsford-housing');
    expect(own.every((s: { release: { released: boolean } }) => s.release.released === false)).toBe(true);
  });
});
