import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { agencyFetch } from '../../helpers/pki.js';
import { sampleCase, sampleResponse, subjectIds } from './fixtures.js';

/**
 * Every bad input gets a 4xx with a stable code, never a 5xx, and writes nothing: the table runs
 * each case and checks the row and audit counts did not move.
 */
describe('bad input is refused with a stable code and nothing is written', () => {
  let t: TestGateway;
  let caseId: string;
  let requestId: string;
  let housingMessage: string;
  let ids: { v1: string; p1: string; c1: string };

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis', workers: false });
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    caseId = c.body.caseId;
    ids = subjectIds(c.body);
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police', 'chelmsford-housing'] });
    requestId = r.body.requestId;
    housingMessage = r.body.messages.find((m: any) => m.recipient === 'chelmsford-housing').messageId;
    await t.as('essex-police').get('/v1/inbox');
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function counts(): Promise<string> {
    const r = await t.db.pool.query(`SELECT (SELECT count(*) FROM cases) c, (SELECT count(*) FROM research_requests) r,
      (SELECT count(*) FROM messages) m, (SELECT count(*) FROM responses) x, (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM audit_pending) a,
      (SELECT count(*) FROM idempotency_keys) k`);
    return JSON.stringify(r.rows[0]);
  }

  const raw = (agency: string, path: string, body: string, headers: Record<string, string>) =>
    agencyFetch(t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), t.creds.get(agency)!, path, { method: 'POST', body, headers });

  const cases: { name: string; run: () => Promise<{ status: number; body: any }>; status: number; code: string }[] = [
    { name: 'malformed JSON', run: () => raw('essex-marat', '/v1/cases', '{"maracArea": ', { 'content-type': 'application/json' }), status: 400, code: 'MALFORMED_JSON' },
    { name: 'wrong content type', run: () => raw('essex-marat', '/v1/cases', 'maracArea=x', { 'content-type': 'application/x-www-form-urlencoded' }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'oversized body', run: () => raw('essex-marat', '/v1/cases', JSON.stringify({ pad: 'x'.repeat(600_000) }), { 'content-type': 'application/json' }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
    { name: 'schema violation (missing subjects)', run: () => t.as('essex-marat').post('/v1/cases', { ...sampleCase(), subjects: undefined }), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'unknown field', run: () => t.as('essex-marat').post('/v1/cases', { ...sampleCase(), agencyId: 'essex-police' }), status: 400, code: 'VALIDATION_FAILED' },
    { name: '__proto__ key', run: () => raw('essex-marat', '/v1/cases', JSON.stringify(sampleCase()).replace('{', '{"__proto__":{"admin":true},'), { 'content-type': 'application/json' }), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'constructor key nested', run: () => raw('essex-marat', '/v1/cases', JSON.stringify(sampleCase()).replace('"riskBasis":{', '"riskBasis":{"constructor":{"prototype":1},'), { 'content-type': 'application/json' }), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'invalid date', run: () => t.as('essex-marat').post('/v1/cases', sampleCase({ meetingDate: '2026-02-30' })), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'P18 for an adult without care needs', run: () => {
      const c = sampleCase();
      c.subjects[0].legal.art9Conditions = ['DPA_SCH1_P18'];
      return t.as('essex-marat').post('/v1/cases', c);
    }, status: 400, code: 'LEGAL_CONDITION_REJECTED' },
    { name: 'non-coordinator opens a case', run: () => t.as('essex-police').post('/v1/cases', sampleCase()), status: 403, code: 'NOT_A_COORDINATOR' },
    { name: 'malformed case id', run: () => t.as('essex-marat').post('/v1/cases/not-an-id/research-requests', { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] }), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'unknown case', run: () => t.as('essex-marat').post('/v1/cases/case_00000000000000000000000000000000/research-requests', { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] }), status: 404, code: 'CASE_NOT_FOUND' },
    { name: 'request: unknown purpose', run: () => t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'HOUSING_ALLOCATION', recipients: ['essex-police'] }), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'response without Idempotency-Key', run: () => t.as('essex-police').post(`/v1/research-requests/${requestId}/response`, sampleResponse('response-police.json', ids)), status: 400, code: 'IDEMPOTENCY_KEY_REQUIRED' },
    { name: 'response: unknown subject', run: () => {
      const b = sampleResponse('response-police.json', ids);
      b.subjectResults[0].subjectId = 'subj_00000000000000000000000000000000';
      return t.as('essex-police').post(`/v1/research-requests/${requestId}/response`, b, { 'Idempotency-Key': 'bad-subject-1' });
    }, status: 400, code: 'UNKNOWN_SUBJECT' },
    { name: 'response: payload of another agency type', run: () => t.as('essex-police').post(`/v1/research-requests/${requestId}/response`, sampleResponse('response-health.json', ids), { 'Idempotency-Key': 'wrong-payload-1' }), status: 400, code: 'PAYLOAD_NOT_FOR_AGENCY_TYPE' },
    { name: 'response: a transfer bundle from a non-coordinator', run: () => t.as('essex-police').post(`/v1/research-requests/${requestId}/response`, { ...sampleResponse('response-police.json', ids), minutesSummary: 'x' }, { 'Idempotency-Key': 'transfer-bad-1' }), status: 400, code: 'PAYLOAD_NOT_FOR_AGENCY_TYPE' },
    { name: 'response: schema violation', run: () => t.as('essex-police').post(`/v1/research-requests/${requestId}/response`, { schemaVersion: '1.0', subjectResults: 'nope' }, { 'Idempotency-Key': 'schema-bad-1' }), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'response to a message not yet delivered', run: () => t.as('chelmsford-housing').post(`/v1/research-requests/${requestId}/response`, sampleResponse('response-housing.json', ids), { 'Idempotency-Key': 'too-early-1' }), status: 409, code: 'MESSAGE_NOT_ANSWERABLE' },
    { name: 'ack of another agency\'s message', run: () => t.as('essex-police').post(`/v1/inbox/${housingMessage}/ack`), status: 404, code: 'MESSAGE_NOT_FOUND' },
    { name: 'inbox wait out of range', run: () => t.as('essex-police').get('/v1/inbox?wait=31'), status: 400, code: 'INVALID_QUERY' },
    { name: 'inbox wait not a number', run: () => t.as('essex-police').get('/v1/inbox?wait=abc'), status: 400, code: 'INVALID_QUERY' },
    { name: 'decline with unknown reason', run: () => t.as('essex-police').post(`/v1/research-requests/${requestId}/decline`, { reason: 'BORED' }, { 'Idempotency-Key': 'decline-bad-1' }), status: 400, code: 'VALIDATION_FAILED' },
    { name: 'unknown route', run: () => t.as('essex-police').get('/v1/nothing-here'), status: 404, code: 'NOT_FOUND' },
  ];

  it.each(cases)('$name → $status $code', async ({ run, status, code }) => {
    const before = await counts();
    const res = await run();
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body?.code).toBe(code);
    expect(await counts()).toBe(before);
  });

  it('no client certificate → 401 CLIENT_CERT_REQUIRED', async () => {
    const res = await agencyFetch(t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), null, '/v1/inbox', { caPem: t.pki.caPem });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('CLIENT_CERT_REQUIRED');
  });
});
