import https from 'node:https';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../../helpers/pki.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { eventually, sampleCase, sampleResponse, subjectIds } from './fixtures.js';

/** A push adapter's receiver: HTTPS that only accepts the gateway's client certificate. */
async function startReceiver(pki: TestPki, behaviour: () => number) {
  const received: any[] = [];
  const peers: string[] = [];
  const server = https.createServer({ ...pki.serverOptions, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      peers.push(String((req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN ?? ''));
      const status = behaviour();
      if (status < 300) received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(status).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/deliveries`,
    received,
    peers,
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

describe.each(['redis', 'postgres'] as const)('push delivery over mTLS (queue backend: %s)', (queue) => {
  let t: TestGateway;
  let ok: Awaited<ReturnType<typeof startReceiver>>;
  let broken: Awaited<ReturnType<typeof startReceiver>>;
  const pki = makeTestPki();

  beforeAll(async () => {
    // The receivers use their own server certificate; the gateway must trust the same CA, so the
    // test gateway is built on this PKI.
    ok = await startReceiver(pki, () => 202);
    broken = await startReceiver(pki, () => 500);
    t = await startTestGateway({ queue, pki, push: { 'essex-police': ok.url, 'chelmsford-housing': broken.url } });
  });
  afterAll(async () => {
    await t?.stop();
    await ok?.close();
    await broken?.close();
  });

  it('delivers once with the gateway\'s client certificate, then the agency answers through the API', async () => {
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    const ids = subjectIds(c.body);
    const r = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] });
    expect(r.status).toBe(201);
    const rid = r.body.requestId;
    await eventually(async () => ok.received.some((m) => m.requestId === rid));
    expect(ok.received.filter((m) => m.requestId === rid)).toHaveLength(1);
    expect(ok.peers.at(-1)).toBe('marac-gateway');
    const status = await eventually(async () => {
      const s = await t.as('essex-marat').get(`/v1/research-requests/${rid}`);
      return s.body.messages[0].state === 'delivered' ? s : undefined;
    });
    expect(status.body.messages[0].state).toBe('delivered');
    const resp = await t.as('essex-police').post(`/v1/research-requests/${rid}/response`, sampleResponse('response-police.json', ids), { 'Idempotency-Key': `push-${rid}` });
    expect(resp.status).toBe(201);
    await t.gateway.audit.flush();
    const delivered = await t.db.pool.query(`SELECT count(*)::int n FROM audit_events WHERE request_id = $1 AND action = 'DELIVERED'`, [rid]);
    expect(delivered.rows[0].n).toBe(1);
  });

  it('retries with backoff, then dead-letters: the failure is visible on the case and audited', async () => {
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    const r = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['chelmsford-housing'] });
    const rid = r.body.requestId;
    const s = await eventually(async () => {
      const x = await t.as('essex-marat').get(`/v1/research-requests/${rid}`);
      return x.body.messages[0].state === 'failed' ? x : undefined;
    }, 20_000);
    expect(s.body.messages[0].lastError).toBe('HTTP_500');
    expect(s.body.messages[0].attempts).toBeGreaterThanOrEqual(3);
    const pack = await t.as('essex-marat').get(`/v1/cases/${c.body.caseId}/research`);
    expect(pack.body.sections[0]).toMatchObject({ agencyId: 'chelmsford-housing', state: 'failed', lastError: 'HTTP_500' });
    await t.gateway.audit.flush();
    const ev = await t.db.pool.query(`SELECT count(*)::int n FROM audit_events WHERE request_id = $1 AND action = 'DELIVERY_FAILED'`, [rid]);
    expect(ev.rows[0].n).toBe(1);
  });
});
