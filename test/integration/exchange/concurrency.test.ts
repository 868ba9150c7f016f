import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { agencyAgent, agencyFetch } from '../../helpers/pki.js';
import { sampleCase, sampleResponse, subjectIds } from './fixtures.js';

const FILES: Record<string, string> = {
  'essex-police': 'response-police.json', 'mse-hospitals': 'response-health.json', 'chelmsford-housing': 'response-housing.json',
  'safe-steps-idva': 'response-idva.json',
};

/**
 * Regression: work inside a transaction once took a second pool connection (agency and agreement
 * lookups), so 20+ concurrent answers held every connection while waiting for another one, and
 * the gateway hung for good. Many more concurrent requests than pool connections must all finish.
 */
describe('concurrent answers do not starve the connection pool', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis', workers: false });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('40 concurrent keep-alive responses over 4 agencies all get 201', async () => {
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    const ids = subjectIds(c.body);
    const agencies = Object.keys(FILES);
    const work: { agency: string; requestId: string }[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: agencies });
      expect(r.status).toBe(201);
      for (const a of agencies) work.push({ agency: a, requestId: r.body.requestId });
    }
    for (const a of agencies) {
      const got = new Set<string>();
      while (got.size < 10) {
        const inbox = await t.as(a).get('/v1/inbox');
        for (const m of inbox.body.messages) got.add(m.requestId);
        if (inbox.body.messages.length === 0) break;
      }
      expect(got.size).toBe(10);
    }
    const base = t.gateway.agencyUrl.replace('localhost', '127.0.0.1');
    const agents = Object.fromEntries(agencies.map((a) => [a, agencyAgent(t.creds.get(a)!, { maxSockets: 10 })]));
    const results = await Promise.all(work.map((w) =>
      agencyFetch(base, t.creds.get(w.agency)!, `/v1/research-requests/${w.requestId}/response`, {
        method: 'POST', body: sampleResponse(FILES[w.agency]!, ids), headers: { 'Idempotency-Key': `conc-${w.agency}-${w.requestId}` }, agent: agents[w.agency]!,
      })));
    for (const a of Object.values(agents)) a.destroy();
    expect(results.map((r) => r.status)).toEqual(work.map(() => 201));
  }, 120_000);
});
