import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { sample, sampleCase, sampleResponse, subjectIds } from './fixtures.js';

/**
 * Invariant 4: every API path that touches personal data writes exactly one audit event of the
 * right kind (per message it concerns), in the same transaction as the change; and the log never
 * holds an identifier, a name, a date of birth or a location.
 */
describe('audit: one event per access, same transaction, no personal data', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis', workers: false });
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function newEvents<T>(fn: () => Promise<T>): Promise<{ result: T; actions: string[] }> {
    await t.gateway.audit.flush();
    const before = (await t.db.pool.query('SELECT coalesce(max(seq), 0) AS s FROM audit_events')).rows[0].s;
    const result = await fn();
    await t.gateway.audit.flush();
    const r = await t.db.pool.query('SELECT action FROM audit_events WHERE seq > $1 ORDER BY seq', [before]);
    return { result, actions: r.rows.map((x) => x.action) };
  }

  it('each exchange path writes exactly its own event', async () => {
    const c = await newEvents(() => t.as('essex-marat').post('/v1/cases', sampleCase()));
    expect(c.actions).toEqual(['CASE_CREATED']);
    const caseId = c.result.body.caseId;
    const ids = subjectIds(c.result.body);

    const r = await newEvents(() => t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police', 'recovery-ltd'] }));
    expect(r.actions.sort()).toEqual(['REQUEST_CREATED', 'REQUEST_REFUSED']);
    const requestId = r.result.body.requestId;

    const inbox = await newEvents(() => t.as('essex-police').get('/v1/inbox'));
    expect(inbox.actions).toEqual(['DELIVERED']);
    const messageId = inbox.result.body.messages[0].messageId;

    const emptyInbox = await newEvents(() => t.as('essex-police').get('/v1/inbox'));
    expect(emptyInbox.actions).toEqual([]);

    expect((await newEvents(() => t.as('essex-police').post(`/v1/inbox/${messageId}/ack`))).actions).toEqual(['ACKNOWLEDGED']);
    expect((await newEvents(() => t.as('essex-police').post(`/v1/inbox/${messageId}/ack`))).actions).toEqual([]);

    const resp = await newEvents(() => t.as('essex-police').post(`/v1/research-requests/${requestId}/response`, sampleResponse('response-police.json', ids), { 'Idempotency-Key': 'audit-path-1' }));
    expect(resp.result.status).toBe(201);
    expect(resp.actions).toEqual(['RESPONSE_RECEIVED']);

    expect((await newEvents(() => t.as('essex-marat').get(`/v1/cases/${caseId}/research`))).actions).toEqual(['VIEW_READ']);

    const r2 = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['chelmsford-housing'] });
    await t.as('chelmsford-housing').get('/v1/inbox');
    const dec = await newEvents(() => t.as('chelmsford-housing').post(`/v1/research-requests/${r2.body.requestId}/decline`, sample('decline.json'), { 'Idempotency-Key': 'audit-path-2' }));
    expect(dec.actions).toEqual(['DECLINED']);

    const denied = await newEvents(() => t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['recovery-ltd'] }));
    expect(denied.result.status).toBe(403);
    expect(denied.result.body.code).toBe('ALL_RECIPIENTS_REFUSED');
    expect(denied.actions).toEqual(['REQUEST_REFUSED']);
  });

  it('if the audit write fails, the state change is rolled back with it', async () => {
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    const ids = subjectIds(c.body);
    const r = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['safe-steps-idva'] });
    await t.as('safe-steps-idva').get('/v1/inbox');
    // Fault injection: the audit store refuses exactly this kind of event.
    await t.db.pool.query(`CREATE FUNCTION fail_response_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.body LIKE '%"action":"RESPONSE_RECEIVED"%' THEN RAISE EXCEPTION 'audit down'; END IF; RETURN NEW; END $$`);
    await t.db.pool.query('CREATE TRIGGER fail_response_event BEFORE INSERT ON audit_pending FOR EACH ROW EXECUTE FUNCTION fail_response_event()');
    try {
      const resp = await t.as('safe-steps-idva').post(`/v1/research-requests/${r.body.requestId}/response`, sampleResponse('response-idva.json', ids), { 'Idempotency-Key': 'audit-fails-1' });
      expect(resp.status).toBe(500);
      const m = await t.db.pool.query('SELECT state FROM messages WHERE request_id = $1', [r.body.requestId]);
      expect(m.rows[0].state).toBe('delivered');
      const x = await t.db.pool.query('SELECT count(*)::int n FROM responses WHERE request_id = $1', [r.body.requestId]);
      expect(x.rows[0].n).toBe(0);
      const k = await t.db.pool.query(`SELECT count(*)::int n FROM idempotency_keys WHERE key = 'audit-fails-1'`);
      expect(k.rows[0].n).toBe(0);
    } finally {
      await t.db.pool.query('DROP TRIGGER fail_response_event ON audit_pending');
    }
    const retry = await t.as('safe-steps-idva').post(`/v1/research-requests/${r.body.requestId}/response`, sampleResponse('response-idva.json', ids), { 'Idempotency-Key': 'audit-fails-1' });
    expect(retry.status).toBe(201);
  });

  it('a pack spanning many research rounds is still one bounded audit event (paths collapsed), never a 5xx', async () => {
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    const ids = subjectIds(c.body);
    for (let i = 0; i < 30; i++) {
      const r = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] });
      await t.as('essex-police').get('/v1/inbox');
      const a = await t.as('essex-police').post(`/v1/research-requests/${r.body.requestId}/response`, sampleResponse('response-police.json', ids), { 'Idempotency-Key': `round-${i}-${r.body.requestId}` });
      expect(a.status).toBe(201);
    }
    const read = await newEvents(() => t.as('essex-marat').get(`/v1/cases/${c.body.caseId}/research`));
    expect(read.result.status).toBe(200);
    expect(read.result.body.sections).toHaveLength(30);
    expect(read.actions).toEqual(['VIEW_READ']);
    const ev = JSON.parse((await t.db.pool.query(`SELECT canonical FROM audit_events WHERE case_id = $1 AND action = 'VIEW_READ'`, [c.body.caseId])).rows[0].canonical);
    expect(ev.fieldsReleased.length).toBeGreaterThan(0);
    expect(ev.fieldsReleased.every((p: string) => !/\[\d+\]/.test(p))).toBe(true);
    expect(new Set(ev.fieldsReleased).size).toBe(ev.fieldsReleased.length);
  }, 120_000);

  it('the audit log holds no identifier, name, date of birth, postcode or address from the case or the responses', async () => {
    await t.gateway.audit.flush();
    const dump = JSON.stringify((await t.db.pool.query('SELECT * FROM audit_events')).rows);
    const c = sampleCase();
    const needles: string[] = [];
    for (const s of c.subjects) {
      for (const n of s.names) needles.push(n.family, ...n.given);
      needles.push(...s.dobs);
      for (const id of s.identifiers) needles.push(id.value);
      if (s.address) needles.push(s.address.postcode, ...(s.address.lines ?? []), s.address.uprn ?? '');
      if (s.contact?.phone) needles.push(s.contact.phone);
    }
    for (const needle of needles.filter((n) => n && n.length >= 4)) {
      expect(dump.includes(needle), `audit log contains "${needle}"`).toBe(false);
    }
    expect(dump).not.toMatch(/\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b/); // no postcode at all
  });
});
