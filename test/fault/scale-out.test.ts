import net from 'node:net';
import { once } from 'node:events';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { agencyFetch } from '../helpers/pki.js';
import { exportEvents } from '../../gateway/src/audit/export.js';
import { verifyExport } from '../../gateway/src/audit/verify.js';
import { sampleCase, sampleResponse, subjectIds } from '../integration/exchange/fixtures.js';

/** A small round-robin TCP proxy: TLS passes through, so mTLS is end to end with each gateway. */
async function roundRobin(ports: number[]) {
  let next = 0;
  const hits = ports.map(() => 0);
  const server = net.createServer((client) => {
    const i = next++ % ports.length;
    hits[i]!++;
    const upstream = net.connect(ports[i]!, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`, hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const AGENCIES = ['essex-police', 'mse-hospitals', 'chelmsford-housing', 'safe-steps-idva', 'essex-childrens-services'];
const FILES: Record<string, string> = {
  'essex-police': 'response-police.json', 'mse-hospitals': 'response-health.json', 'chelmsford-housing': 'response-housing.json',
  'safe-steps-idva': 'response-idva.json', 'essex-childrens-services': 'response-childrens-social-care.json',
};

/**
 * Scale-out: two gateway instances on one Postgres and one Redis, each with its own checkpoint
 * key, behind a round-robin proxy. Every message is delivered once, the audit log keeps one
 * total order, and checkpoints signed by either instance verify with the published keys.
 */
describe('two gateway instances behind a round-robin proxy', () => {
  let a: TestGateway;
  let b: TestGateway;
  let proxy: Awaited<ReturnType<typeof roundRobin>>;

  beforeAll(async () => {
    a = await startTestGateway({ queue: 'redis' });
    const keyB = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    b = await startTestGateway({
      queue: 'redis', db: a.db, seed: false, creds: a.creds, sharedTls: a.tls,
      sharedEnv: { ...a.env, AUDIT_SIGNING_KEY_PEM: keyB, AUDIT_KEY_ID: 'gateway-2' },
    });
    const port = (u: string) => Number(new URL(u).port);
    proxy = await roundRobin([port(a.gateway.agencyUrl), port(b.gateway.agencyUrl)]);
  }, 120_000);
  afterAll(async () => {
    proxy?.close();
    await b?.stop();
    await a?.stop();
  });

  const call = (agency: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    agencyFetch(proxy.url, a.creds.get(agency)!, path, { ...(body !== undefined ? { method: 'POST', body } : {}), ...(headers ? { headers } : {}) });

  it('runs an exchange through both instances: each message delivered once, one audit order, checkpoints from both verify', async () => {
    const requests: { requestId: string; ids: { v1: string; p1: string; c1: string } }[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await call('essex-marat', '/v1/cases', sampleCase());
      expect(c.status).toBe(201);
      const r = await call('essex-marat', `/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: AGENCIES });
      expect(r.status).toBe(201);
      requests.push({ requestId: r.body.requestId, ids: subjectIds(c.body) });
    }
    for (const agency of AGENCIES) {
      const seen = new Set<string>();
      for (let round = 0; round < 6 && seen.size < requests.length; round++) {
        const inbox = await call(agency, '/v1/inbox?wait=1');
        expect(inbox.status).toBe(200);
        for (const m of inbox.body.messages) {
          expect(seen.has(m.messageId), `${m.messageId} delivered twice`).toBe(false);
          seen.add(m.messageId);
          const req = requests.find((x) => x.requestId === m.requestId)!;
          const resp = await call(agency, `/v1/research-requests/${m.requestId}/response`, sampleResponse(FILES[agency]!, req.ids), { 'Idempotency-Key': `so-${m.messageId}` });
          expect(resp.status).toBe(201);
        }
      }
      expect(seen.size).toBe(requests.length);
    }
    expect(proxy.hits[0]).toBeGreaterThan(0);
    expect(proxy.hits[1]).toBeGreaterThan(0);

    await a.gateway.audit.flush();
    await b.gateway.audit.flush();
    const delivered = await a.db.pool.query(`SELECT message_id, count(*)::int n FROM audit_events WHERE action = 'DELIVERED' GROUP BY message_id`);
    expect(delivered.rows).toHaveLength(requests.length * AGENCIES.length);
    expect(delivered.rows.every((r) => r.n === 1)).toBe(true);

    await a.gateway.checkpointer.tick();
    // One more event, then the other instance signs.
    const caseOfFirst = (await a.db.pool.query('SELECT case_id FROM research_requests WHERE id = $1', [requests[0]!.requestId])).rows[0].case_id;
    expect((await call('essex-marat', `/v1/cases/${caseOfFirst}/research`)).status).toBe(200);
    await b.gateway.audit.flush();
    await b.gateway.checkpointer.tick();
    const keys = await a.db.pool.query('SELECT DISTINCT key_id FROM audit_checkpoints');
    expect(keys.rows.map((r) => r.key_id).sort()).toEqual(['gateway-1', 'gateway-2']);

    const lines: string[] = [];
    for await (const chunk of exportEvents(a.db.pool, {}, 'ndjson', { origin: 'marac-gateway' })) lines.push(chunk);
    const result = await verifyExport(lines, {
      publicKeys: [a.gateway.checkpointer.publicKey().publicKeyPem, b.gateway.checkpointer.publicKey().publicKeyPem],
      origin: 'marac-gateway',
    });
    expect(result).toMatchObject({ ok: true });
    // And with only one instance's key, the other's checkpoints do not verify.
    const oneKey = await verifyExport(lines, { publicKeys: [a.gateway.checkpointer.publicKey().publicKeyPem], origin: 'marac-gateway' });
    expect(oneKey.ok).toBe(false);
  }, 120_000);
});
