import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { eventually, sampleCase, sampleResponse, subjectIds } from './fixtures.js';

const RECIPIENTS = ['essex-police', 'mse-hospitals', 'chelmsford-housing', 'safe-steps-idva', 'essex-childrens-services'];
const RESPONSE_FILE: Record<string, string> = {
  'essex-police': 'response-police.json',
  'mse-hospitals': 'response-health.json',
  'chelmsford-housing': 'response-housing.json',
  'safe-steps-idva': 'response-idva.json',
  'essex-childrens-services': 'response-childrens-social-care.json',
};

async function auditActions(t: TestGateway, where: string, params: unknown[]): Promise<string[]> {
  await t.gateway.audit.flush();
  const r = await t.db.pool.query(`SELECT action FROM audit_events WHERE ${where} ORDER BY seq`, params);
  return r.rows.map((x) => x.action);
}

describe.each(['redis', 'postgres'] as const)('research exchange end to end (queue backend: %s)', (queue) => {
  let t: TestGateway;
  let caseId: string;
  let ids: { v1: string; p1: string; c1: string };
  let requestId: string;

  beforeAll(async () => {
    t = await startTestGateway({ queue });
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    expect(c.status).toBe(201);
    caseId = c.body.caseId;
    ids = subjectIds(c.body);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('fans out to every allowed recipient and refuses a non-party with a reason code', async () => {
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, {
      purpose: 'MARAC_RESEARCH',
      recipients: [...RECIPIENTS, 'recovery-ltd'],
      lookbackMonths: 12,
    });
    expect(r.status).toBe(201);
    requestId = r.body.requestId;
    expect(r.body.messages.map((m: any) => m.recipient).sort()).toEqual([...RECIPIENTS].sort());
    expect(r.body.refused).toEqual([{ recipient: 'recovery-ltd', reason: expect.stringMatching(/NOT_SIGNATORY|NO_AGREEMENT/) }]);
    expect(await auditActions(t, 'request_id = $1', [requestId])).toEqual(
      expect.arrayContaining(['REQUEST_CREATED', 'REQUEST_REFUSED']),
    );
  });

  it('delivers through the inbox, redacted per recipient, and every agency answers', async () => {
    for (const agency of RECIPIENTS) {
      const inbox = await t.as(agency).get('/v1/inbox?wait=2');
      expect(inbox.status).toBe(200);
      const msg = inbox.body.messages.find((m: any) => m.requestId === requestId);
      expect(msg, agency).toBeDefined();
      expect(msg.request.subjects.map((s: any) => s.subjectId).sort()).toEqual(Object.values(ids).sort());
      const ack = await t.as(agency).post(`/v1/inbox/${msg.messageId}/ack`);
      expect(ack.status).toBe(200);
      expect(ack.body.state).toBe('acknowledged');
      const resp = await t.as(agency).post(
        `/v1/research-requests/${requestId}/response`,
        sampleResponse(RESPONSE_FILE[agency]!, ids),
        { 'Idempotency-Key': `resp-${msg.messageId}` },
      );
      expect(resp.status, JSON.stringify(resp.body)).toBe(201);
      expect(resp.body.state).toBe('responded');
    }
    // Housing must never see the victim's confidential address in the request it was sent.
    const status = await t.as('essex-marat').get(`/v1/research-requests/${requestId}`);
    expect(status.body.messages.every((m: any) => m.state === 'responded')).toBe(true);
  });

  it('builds the research pack for the coordinator with released, transformed and withheld fields', async () => {
    const pack = await t.as('essex-marat').get(`/v1/cases/${caseId}/research`);
    expect(pack.status).toBe(200);
    expect(pack.headers['cache-control']).toBe('no-store');
    expect(pack.body.sections).toHaveLength(RECIPIENTS.length);
    const released = pack.body.sections.filter((s: any) => s.release.released);
    expect(released.length).toBeGreaterThan(0);
    for (const s of released) {
      for (const subj of s.subjects) expect(Array.isArray(subj.withheld)).toBe(true);
    }
    expect(pack.body.refused).toEqual([{ requestId, agencyId: 'recovery-ltd', reason: expect.any(String) }]);
    const views = await auditActions(t, `case_id = $1 AND action = 'VIEW_READ'`, [caseId]);
    expect(views).toHaveLength(1);
  });

  it('exports the pack as a download, audited as PACK_EXPORTED, and the request decision cites the criterion met', async () => {
    const res = await t.as('essex-marat').get(`/v1/cases/${caseId}/research/export`);
    expect(res.status).toBe(200);
    expect(String(res.headers['content-disposition'])).toContain('attachment');
    expect(res.body.sections).toHaveLength(RECIPIENTS.length);
    expect(await auditActions(t, `case_id = $1 AND action = 'PACK_EXPORTED'`, [caseId])).toHaveLength(1);
    const created = await t.db.pool.query(`SELECT canonical FROM audit_events WHERE request_id = $1 AND action = 'REQUEST_CREATED' LIMIT 1`, [requestId]);
    expect(JSON.parse(created.rows[0].canonical).detail.criteriaMet.split(',')).toEqual(expect.arrayContaining(['VISIBLE_HIGH_RISK', 'POTENTIAL_ESCALATION']));
  });

  it('a retry with the same Idempotency-Key returns the first answer, never a duplicate', async () => {
    const agency = 'essex-police';
    const body = sampleResponse(RESPONSE_FILE[agency]!, ids);
    const msgId = (await t.as('essex-marat').get(`/v1/research-requests/${requestId}`)).body.messages.find((m: any) => m.recipient === agency).messageId;
    const before = await auditActions(t, `message_id = $1 AND action = 'RESPONSE_RECEIVED'`, [msgId]);
    const again = await t.as(agency).post(`/v1/research-requests/${requestId}/response`, body, { 'Idempotency-Key': `resp-${msgId}` });
    expect(again.status).toBe(201);
    expect(again.body.messageId).toBe(msgId);
    expect(await auditActions(t, `message_id = $1 AND action = 'RESPONSE_RECEIVED'`, [msgId])).toEqual(before);
    const otherBody = await t.as(agency).post(`/v1/research-requests/${requestId}/response`, { ...body, completedByRole: 'someone else' }, { 'Idempotency-Key': `resp-${msgId}` });
    expect(otherBody.status).toBe(422);
    expect(otherBody.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const newKey = await t.as(agency).post(`/v1/research-requests/${requestId}/response`, body, { 'Idempotency-Key': `another-${msgId}` });
    expect(newKey.status).toBe(409);
    expect(newKey.body.code).toBe('ALREADY_ANSWERED');
  });

  it('an agency cannot read or answer another agency\'s messages, and a non-party sees nothing of the case', async () => {
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['chelmsford-housing'] });
    expect(r.status).toBe(201);
    const housingMsg = r.body.messages[0].messageId;
    const asPolice = await t.as('essex-police').post(`/v1/research-requests/${r.body.requestId}/response`, sampleResponse('response-police.json', ids), { 'Idempotency-Key': 'police-tries-housing' });
    expect(asPolice.status).toBe(404);
    expect(asPolice.body.code).toBe('REQUEST_NOT_FOUND');
    const ackOther = await t.as('essex-police').post(`/v1/inbox/${housingMsg}/ack`);
    expect(ackOther.status).toBe(404);
    expect(ackOther.body.code).toBe('MESSAGE_NOT_FOUND');
    const statusOther = await t.as('kss-probation').get(`/v1/research-requests/${r.body.requestId}`);
    expect(statusOther.status).toBe(404);
    const packOther = await t.as('kss-probation').get(`/v1/cases/${caseId}/research`);
    expect(packOther.status).toBe(404);
    expect(packOther.body.code).toBe('CASE_NOT_FOUND');
    const foreignCoordinator = await t.as('southend-marac').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] });
    expect(foreignCoordinator.status).toBe(404);
  });

  it('marks open messages overdue at the deadline and accepts a late response, flagged late', async () => {
    const deadline = new Date(Date.now() + 1500).toISOString();
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['safe-steps-idva'], deadline });
    expect(r.status).toBe(201);
    const rid = r.body.requestId;
    const inbox = await t.as('safe-steps-idva').get('/v1/inbox?wait=2');
    expect(inbox.body.messages.some((m: any) => m.requestId === rid)).toBe(true);
    await eventually(async () => {
      const s = await t.as('essex-marat').get(`/v1/research-requests/${rid}`);
      return s.body.messages[0].state === 'overdue';
    });
    expect(await auditActions(t, `request_id = $1 AND action = 'OVERDUE'`, [rid])).toHaveLength(1);
    const late = await t.as('safe-steps-idva').post(`/v1/research-requests/${rid}/response`, sampleResponse('response-idva.json', ids), { 'Idempotency-Key': `late-${rid}` });
    expect(late.status).toBe(201);
    expect(late.body.late).toBe(true);
  });

  it('refuses a revoked certificate on the very next request', async () => {
    const creds = t.creds.get('essex-adult-social-care')!;
    expect((await t.as('essex-adult-social-care').get('/v1/inbox')).status).toBe(200);
    await t.gateway.registry.revoke({ kind: 'system', component: 'test' }, creds.serialHex, 'keyCompromise');
    const after = await t.as('essex-adult-social-care').get('/v1/inbox');
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('CLIENT_CERT_REVOKED');
  });
});
