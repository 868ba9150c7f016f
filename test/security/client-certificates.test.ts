import https from 'node:https';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, createCsr, issueFromCsr } from '../../gateway/src/identity/pki/ca.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { makeAgencyCert, TEST_ADMIN, type AgencyCreds } from '../helpers/pki.js';
import { sampleCase, sampleResponse, subjectIds } from '../integration/exchange/fixtures.js';
import { send } from '../fuzz/raw-http.js';

/**
 * Every agency endpoint refuses a client certificate it should not trust, with the stable code an
 * operator can act on, before anything is read or written: expired, not yet valid, revoked,
 * another CA (even one with our CA's name), self-signed, our CA's own certificate, a certificate
 * our CA signed that the registry never issued, a disabled agency, a forged proxy header.
 */
function selfSigned(commonName: string, organisation = 'MARAC_COORDINATOR'): { certPem: string; keyPem: string } {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  const subject = [{ shortName: 'CN', value: commonName }, { shortName: 'O', value: organisation }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([{ name: 'extKeyUsage', clientAuth: true }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}

describe('client certificates the gateway must not trust', () => {
  let t: TestGateway;
  let base: string;
  let paths: { method: string; path: string; body?: unknown; headers?: Record<string, string> }[];
  const bad = new Map<string, { creds: AgencyCreds | null; code: string }>();

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis', workers: false });
    base = t.gateway.agencyUrl.replace('localhost', '127.0.0.1');
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    const ids = subjectIds(c.body);
    const r = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] });
    await t.as('essex-police').get('/v1/inbox');
    const messageId = r.body.messages[0].messageId;
    paths = [
      { method: 'POST', path: '/v1/cases', body: sampleCase() },
      { method: 'POST', path: `/v1/cases/${c.body.caseId}/research-requests`, body: { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] } },
      { method: 'GET', path: '/v1/inbox?wait=0' },
      { method: 'POST', path: `/v1/inbox/${messageId}/ack` },
      { method: 'POST', path: `/v1/research-requests/${r.body.requestId}/response`, body: sampleResponse('response-police.json', ids), headers: { 'Idempotency-Key': 'cert-test-1' } },
      { method: 'POST', path: `/v1/research-requests/${r.body.requestId}/decline`, body: { reason: 'NOT_KNOWN' }, headers: { 'Idempotency-Key': 'cert-test-2' } },
      { method: 'GET', path: `/v1/research-requests/${r.body.requestId}` },
      { method: 'GET', path: `/v1/cases/${c.body.caseId}/research` },
      { method: 'GET', path: `/v1/cases/${c.body.caseId}/research/export` },
    ];

    const reg = t.gateway.registry;
    const day = 86_400_000;
    const as = (id: string, creds: { certPem: string; keyPem: string }): AgencyCreds =>
      ({ agencyId: id, certPem: creds.certPem, keyPem: creds.keyPem, fingerprint: '', serialHex: '', caPem: t.pki.caPem });
    bad.set('no certificate', { creds: null, code: 'CLIENT_CERT_REQUIRED' });
    for (const agency of ['essex-marat', 'essex-police']) {
      const type = agency === 'essex-marat' ? 'MARAC_COORDINATOR' : 'POLICE';
      bad.set(`${agency}: expired`, { creds: await makeAgencyCert(t.pki, reg, { id: agency, type, mode: 'pull', validDays: 1, notBefore: new Date(Date.now() - 3 * day) }), code: 'CLIENT_CERT_EXPIRED' });
      bad.set(`${agency}: not yet valid`, { creds: await makeAgencyCert(t.pki, reg, { id: agency, type, mode: 'pull', validDays: 5, notBefore: new Date(Date.now() + 2 * day) }), code: 'CLIENT_CERT_EXPIRED' });
      const revoked = await makeAgencyCert(t.pki, reg, { id: agency, type, mode: 'pull' });
      await reg.revoke(TEST_ADMIN, revoked.serialHex, 'keyCompromise');
      bad.set(`${agency}: revoked`, { creds: revoked, code: 'CLIENT_CERT_REVOKED' });
      const revokedExpired = await makeAgencyCert(t.pki, reg, { id: agency, type, mode: 'pull', validDays: 1, notBefore: new Date(Date.now() - 3 * day) });
      await reg.revoke(TEST_ADMIN, revokedExpired.serialHex, 'keyCompromise');
      bad.set(`${agency}: revoked and expired`, { creds: revokedExpired, code: 'CLIENT_CERT_REVOKED' });
      // Another CA, even one with exactly our CA's name, signs nothing we trust.
      const impostorCa = createCa({ commonName: 'MARAC Gateway Test CA', validDays: 30 });
      const csr = createCsr({ agencyId: agency });
      bad.set(`${agency}: CA with our CA's name`, { creds: as(agency, { certPem: issueFromCsr(impostorCa, csr.csrPem, { agencyId: agency, agencyType: type, validDays: 5 }).certPem, keyPem: csr.keyPem }), code: 'CLIENT_CERT_UNTRUSTED' });
      bad.set(`${agency}: self-signed`, { creds: as(agency, selfSigned(agency, type)), code: 'CLIENT_CERT_UNTRUSTED' });
      // Signed by our CA but never issued through the registry (a leaked CA key, a forged record).
      const stray = createCsr({ agencyId: agency });
      bad.set(`${agency}: signed by our CA, not in the registry`, { creds: as(agency, { certPem: issueFromCsr(t.pki.ca, stray.csrPem, { agencyId: agency, agencyType: type, validDays: 5 }).certPem, keyPem: stray.keyPem }), code: 'CLIENT_CERT_UNTRUSTED' });
    }
    bad.set("our CA's own certificate", { creds: as('ca', { certPem: t.pki.ca.certPem, keyPem: t.pki.ca.keyPem }), code: 'CLIENT_CERT_UNTRUSTED' });
    const gone = await makeAgencyCert(t.pki, reg, { id: 'closed-coordinator', type: 'MARAC_COORDINATOR', mode: 'pull', maracArea: 'essex' });
    await reg.disableAgency(TEST_ADMIN, 'closed-coordinator');
    bad.set('disabled agency', { creds: gone, code: 'AGENCY_DISABLED' });
  }, 180_000);
  afterAll(async () => {
    await t?.stop();
  });

  async function counts(): Promise<string> {
    const r = await t.db.pool.query(`SELECT (SELECT count(*) FROM cases) c, (SELECT count(*) FROM research_requests) r, (SELECT count(*) FROM responses) x,
      (SELECT string_agg(state, ',' ORDER BY id) FROM messages) m, (SELECT count(*) FROM idempotency_keys) k`);
    return JSON.stringify(r.rows[0]);
  }

  it('refuses each bad certificate on every endpoint with its stable code, and writes nothing', async () => {
    expect(bad.size).toBeGreaterThanOrEqual(15);
    for (const [label, { creds, code }] of bad) {
      for (const p of paths) {
        const before = await counts();
        const headers = { ...(p.body ? { 'content-type': 'application/json' } : {}), ...p.headers };
        const r = await send(base, creds, p.path, { method: p.method, headers, ...(p.body ? { body: JSON.stringify(p.body) } : {}), caPem: t.pki.caPem });
        expect(r.status, `${label} ${p.method} ${p.path}`).toBe(401);
        expect(r.body?.code, `${label} ${p.method} ${p.path}`).toBe(code);
        expect(await counts(), `${label} ${p.method} ${p.path}`).toBe(before);
      }
    }
  });

  it('a valid certificate of the same agency still works (the refusals were about the certificates)', async () => {
    const r = await t.as('essex-police').get('/v1/inbox?wait=0');
    expect(r.status).toBe(200);
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    expect(c.status).toBe(201);
  });

  it('a certificate revoked while in use is refused from then on, also on an open keep-alive connection', async () => {
    const creds = await makeAgencyCert(t.pki, t.gateway.registry, { id: 'essex-police', type: 'POLICE', mode: 'pull' });
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: creds.caPem, cert: creds.certPem, key: creds.keyPem });
    try {
      expect((await send(base, creds, '/v1/inbox?wait=0', { agent })).status).toBe(200);
      await t.gateway.registry.revoke(TEST_ADMIN, creds.serialHex, 'keyCompromise');
      const until = Date.now() + 10_000;
      let r = await send(base, creds, '/v1/inbox?wait=0', { agent });
      while (r.status === 200 && Date.now() < until) {
        await new Promise((res) => setTimeout(res, 100));
        r = await send(base, creds, '/v1/inbox?wait=0', { agent });
      }
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('CLIENT_CERT_REVOKED');
    } finally {
      agent.destroy();
    }
  });

  it('a forged client-certificate header is ignored when no trusted proxy is configured', async () => {
    const police = t.creds.get('essex-police')!;
    const forged = { 'x-ssl-client-cert': encodeURIComponent(police.certPem), 'x-client-cert': encodeURIComponent(police.certPem), 'x-forwarded-client-cert': `Hash=${police.fingerprint}` };
    const none = await send(base, null, '/v1/inbox?wait=0', { headers: forged, caPem: t.pki.caPem });
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('CLIENT_CERT_REQUIRED');
    const untrusted = await send(base, bad.get('essex-police: self-signed')!.creds, '/v1/inbox?wait=0', { headers: forged });
    expect(untrusted.status).toBe(401);
    expect(untrusted.body.code).toBe('CLIENT_CERT_UNTRUSTED');
  });

  it('identity never comes from a header or the body: a housing certificate claiming to be police is housing', async () => {
    const r = await t.as('chelmsford-housing').get('/v1/inbox?wait=0', { 'x-agency-id': 'essex-police', 'x-forwarded-for': '10.0.0.1', from: 'essex-police' });
    expect(r.status).toBe(200);
    const c = await t.as('chelmsford-housing').post('/v1/cases', { ...sampleCase(), coordinatorAgencyId: 'essex-marat' }, { 'x-agency-id': 'essex-marat' });
    expect(c.status).toBe(403);
    expect(c.body.code).toBe('NOT_A_COORDINATOR');
  });
});
