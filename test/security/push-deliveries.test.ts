import https from 'node:https';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPushReceiver, type PushReceiver } from '../../adapters/sdk/push-receiver.js';
import type { InboxMessage } from '../../adapters/sdk/types.js';
import { createCa, createCsr, issueFromCsr, issueServerCert } from '../../gateway/src/identity/pki/ca.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { makeAgencyCert, makeTestPki, TEST_ADMIN, type TestPki } from '../helpers/pki.js';
import { eventually, sampleCase } from '../integration/exchange/fixtures.js';

/**
 * Tampered push deliveries, both ends. The adapter's receiver takes deliveries only from the
 * gateway's client certificate: not from an agency certificate of the same CA, not from an
 * impostor CA or a self-signed certificate that carries the gateway's name, not from an expired
 * one; and no agency can be registered under the gateway's name to get such a certificate. The
 * gateway in turn delivers only to an endpoint whose server certificate chains to its CA and
 * names the host: an impostor endpoint receives nothing, and the message fails visibly.
 */
function selfSigned(cn: string): { certPem: string; keyPem: string } {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ shortName: 'CN', value: cn }]);
  cert.setIssuer([{ shortName: 'CN', value: cn }]);
  cert.setExtensions([{ name: 'extKeyUsage', clientAuth: true, serverAuth: true }, { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}

function clientCert(ca: { certPem: string; keyPem: string }, cn: string, opts: { validDays?: number; notBefore?: Date } = {}) {
  const csr = createCsr({ agencyId: cn });
  const c = issueFromCsr(ca, csr.csrPem, { agencyId: cn, agencyType: 'MARAC_COORDINATOR', validDays: opts.validDays ?? 5, ...(opts.notBefore ? { notBefore: opts.notBefore } : {}) });
  return { certPem: c.certPem, keyPem: csr.keyPem };
}

function message(n: number): InboxMessage {
  const hex = n.toString(16).padStart(32, '0');
  return {
    messageId: `msg_${hex}`, requestId: `req_${hex}`, kind: 'RESEARCH_REQUEST',
    request: { subjects: [{ subjectId: `subj_${hex}` }], requestedDomains: [], lookbackMonths: 12 },
  } as unknown as InboxMessage;
}

function deliver(url: string, caPem: string, client: { certPem: string; keyPem: string } | null, body: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: 'POST', agent: false, ca: caPem, headers: { 'content-type': 'application/json' },
      ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the adapter push receiver takes deliveries from the gateway only', () => {
  let pki: TestPki;
  let rx: PushReceiver;
  const accepted: string[] = [];

  beforeAll(async () => {
    pki = makeTestPki();
    const server = issueServerCert(pki.ca, { hostnames: ['127.0.0.1'], validDays: 5 });
    rx = await startPushReceiver({ runner: { accept: (m) => void accepted.push(m.messageId) }, certPem: server.certPem, keyPem: server.keyPem, caPem: pki.caPem });
  }, 60_000);
  afterAll(async () => {
    await rx?.close();
  });

  it('refuses every client that is not the gateway, and accepts the gateway', async () => {
    const impostorCa = createCa({ commonName: 'MARAC Gateway Test CA', validDays: 5 });
    const refusedAtTls: [string, { certPem: string; keyPem: string } | null][] = [
      ['no certificate', null],
      ['impostor CA, gateway name', clientCert(impostorCa, 'marac-gateway')],
      ['self-signed, gateway name', selfSigned('marac-gateway')],
      ['our CA, gateway name, expired', clientCert(pki.ca, 'marac-gateway', { validDays: 1, notBefore: new Date(Date.now() - 3 * 86_400_000) })],
    ];
    for (const [label, client] of refusedAtTls) {
      await expect(deliver(rx.url, pki.caPem, client, JSON.stringify(message(1))), label).rejects.toBeDefined();
    }
    for (const cn of ['essex-police', 'marac-gateway-2', 'MARAC-GATEWAY', 'marac-gateway.evil']) {
      const r = await deliver(rx.url, pki.caPem, clientCert(pki.ca, cn), JSON.stringify(message(2)));
      expect(r.status, cn).toBe(403);
      expect(r.body.code, cn).toBe('FORBIDDEN');
    }
    expect(accepted).toEqual([]);
    const ok = await deliver(rx.url, pki.caPem, clientCert(pki.ca, 'marac-gateway'), JSON.stringify(message(3)));
    expect(ok.status).toBe(202);
    expect(accepted).toEqual([message(3).messageId]);
  });
});

describe('the gateway delivers only to the real adapter endpoint', () => {
  let pki: TestPki;
  let t: TestGateway;
  const hits: Record<string, number> = { 'impostor-ca': 0, 'wrong-host': 0, 'self-signed': 0 };
  const servers: https.Server[] = [];

  async function impostor(name: string, cert: { certPem: string; keyPem: string }): Promise<string> {
    const s = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      hits[name]! += 1;
      req.resume();
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
    });
    s.listen(0, '127.0.0.1');
    await once(s, 'listening');
    servers.push(s);
    return `https://127.0.0.1:${(s.address() as AddressInfo).port}/deliveries`;
  }

  beforeAll(async () => {
    pki = makeTestPki();
    const impostorCa = createCa({ commonName: 'MARAC Gateway Test CA', validDays: 5 });
    const push = {
      'chelmsford-housing': await impostor('impostor-ca', issueServerCert(impostorCa, { hostnames: ['127.0.0.1'], validDays: 5 })),
      'kss-probation': await impostor('wrong-host', issueServerCert(pki.ca, { hostnames: ['adapter.example'], validDays: 5 })),
      'essex-childrens-services': await impostor('self-signed', selfSigned('127.0.0.1')),
    };
    t = await startTestGateway({ queue: 'redis', pki, push });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });

  it('an impostor endpoint receives nothing and the message fails, visibly', async () => {
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    const r = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, {
      purpose: 'MARAC_RESEARCH', recipients: ['chelmsford-housing', 'kss-probation', 'essex-childrens-services'],
    });
    expect(r.status).toBe(201);
    const status = await eventually(async () => {
      const s = await t.as('essex-marat').get(`/v1/research-requests/${r.body.requestId}`);
      return s.body.messages.every((m: { state: string }) => m.state === 'failed') ? s.body : undefined;
    }, 30_000);
    expect(status.messages).toHaveLength(3);
    for (const m of status.messages) expect(m.lastError, m.recipient).toEqual(expect.any(String));
    expect(hits).toEqual({ 'impostor-ca': 0, 'wrong-host': 0, 'self-signed': 0 });
  });

  it('no agency can be registered under the gateway\'s own name (its certificate would pass as the gateway)', async () => {
    await expect(makeAgencyCert(pki, t.gateway.registry, { id: 'marac-gateway', type: 'MARAC_COORDINATOR', mode: 'pull' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(t.gateway.registry.registerAgency(TEST_ADMIN, { id: 'marac-gateway', name: 'x', type: 'POLICE', deliveryMode: 'pull' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
