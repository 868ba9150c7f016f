import express, { type ErrorRequestHandler } from 'express';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../../gateway/src/audit/index.js';
import { createAgencyRegistry, type AgencyRegistry } from '../../../gateway/src/identity/agency-registry.js';
import { createAgencyAuthenticator, type TrustedProxyOptions } from '../../../gateway/src/identity/mtls.js';
import { createCsr, issueFromCsr } from '../../../gateway/src/identity/pki/ca.js';
import { createPool } from '../../../gateway/src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import {
  agencyAgent, agencyFetch, listenHttps, makeAgencyCert, makeTestPki, TEST_ADMIN,
  type AgencyCreds, type TestPki,
} from '../../helpers/pki.js';

/** A trivial agency API behind the authenticator, with the problem+json mapping the app uses. */
function appFor(registry: Pick<AgencyRegistry, 'lookupForAuth' | 'caCertPem'>, trustedProxy?: TrustedProxyOptions): express.Express {
  const app = express();
  app.use(createAgencyAuthenticator({ registry, ...(trustedProxy ? { trustedProxy } : {}) }));
  app.get('/whoami', (req, res) => {
    res.json({ principal: res.locals.principal, forwardedHeader: req.headers['x-ssl-client-cert'] ?? null });
  });
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    res.status(err.status ?? 500).type('application/problem+json')
      .json({ status: err.status ?? 500, code: err.code ?? 'INTERNAL', detail: err.message });
  };
  app.use(onError);
  return app;
}

function selfSigned(commonName: string): { certPem: string; keyPem: string } {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ shortName: 'CN', value: commonName }, { shortName: 'O', value: 'POLICE' }]);
  cert.setIssuer([{ shortName: 'CN', value: commonName }, { shortName: 'O', value: 'POLICE' }]);
  cert.setExtensions([{ name: 'extKeyUsage', clientAuth: true }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}

describe('agency mTLS authentication over real TLS', () => {
  let db: TestDatabase;
  let pki: TestPki;
  let registry: AgencyRegistry;
  let server: Awaited<ReturnType<typeof listenHttps>>;
  let police: AgencyCreds;
  let housing: AgencyCreds;
  const audit = createAuditLog();

  beforeAll(async () => {
    db = await createTestDatabase();
    pki = makeTestPki();
    registry = createAgencyRegistry({ pool: db.pool, audit, ca: pki.ca });
    police = await makeAgencyCert(pki, registry, { id: 'essex-police', type: 'POLICE', mode: 'pull' });
    housing = await makeAgencyCert(pki, registry, {
      id: 'colchester-housing', type: 'HOUSING', mode: 'push', pushUrl: 'https://housing.example/marac',
    });
    server = await listenHttps(appFor(registry), pki);
  });
  afterAll(async () => {
    await server?.close();
    await registry?.close();
    await db?.drop();
  });

  it('accepts a valid certificate and names the agency it was issued to', async () => {
    const res = await agencyFetch(server.baseUrl, police, '/whoami');
    expect(res.status).toBe(200);
    expect(res.body.principal).toEqual({
      kind: 'agency', agencyId: 'essex-police', agencyType: 'POLICE', certFingerprint: police.fingerprint,
    });
  });

  it('refuses a connection without a client certificate', async () => {
    const res = await agencyFetch(server.baseUrl, null, '/whoami', { caPem: pki.caPem });
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe('CLIENT_CERT_REQUIRED');
  });

  it('refuses a revoked certificate on the very next request, even on an open keep-alive connection', async () => {
    const creds = await makeAgencyCert(pki, registry, { id: 'essex-police', type: 'POLICE', mode: 'pull' });
    const agent = agencyAgent(creds, { maxSockets: 1 });
    try {
      expect((await agencyFetch(server.baseUrl, creds, '/whoami', { agent })).status).toBe(200);
      await registry.revoke(TEST_ADMIN, creds.serialHex, 'keyCompromise');
      const after = await agencyFetch(server.baseUrl, creds, '/whoami', { agent });
      expect(after.status).toBe(401);
      expect(after.body.code).toBe('CLIENT_CERT_REVOKED');
      // The agency's other certificate is unaffected.
      expect((await agencyFetch(server.baseUrl, police, '/whoami')).status).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  it('refuses an expired certificate and a not-yet-valid one', async () => {
    const expired = await makeAgencyCert(pki, registry, {
      id: 'essex-police', type: 'POLICE', mode: 'pull', notBefore: new Date('2020-01-01T00:00:00Z'), validDays: 1,
    });
    const early = await makeAgencyCert(pki, registry, {
      id: 'essex-police', type: 'POLICE', mode: 'pull', notBefore: new Date(Date.now() + 86_400_000), validDays: 1,
    });
    for (const creds of [expired, early]) {
      const res = await agencyFetch(server.baseUrl, creds, '/whoami');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('CLIENT_CERT_EXPIRED');
    }
  });

  it('reports an expired certificate that was also revoked as revoked', async () => {
    const creds = await makeAgencyCert(pki, registry, {
      id: 'essex-police', type: 'POLICE', mode: 'pull', notBefore: new Date('2021-01-01T00:00:00Z'), validDays: 1,
    });
    await registry.revoke(TEST_ADMIN, creds.fingerprint, 'superseded');
    expect((await agencyFetch(server.baseUrl, creds, '/whoami')).body.code).toBe('CLIENT_CERT_REVOKED');
  });

  it('refuses a certificate from another CA naming a registered agency', async () => {
    const otherPki = makeTestPki({ commonName: 'Impostor CA' });
    const { keyPem, csrPem } = createCsr({ agencyId: 'essex-police' });
    const forged = issueFromCsr(otherPki.ca, csrPem, { agencyId: 'essex-police', agencyType: 'POLICE', validDays: 5 });
    const res = await agencyFetch(server.baseUrl, { ...police, certPem: forged.certPem, keyPem }, '/whoami');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('CLIENT_CERT_UNTRUSTED');
  });

  it('refuses a self-signed certificate', async () => {
    const self = selfSigned('essex-police');
    const res = await agencyFetch(server.baseUrl, { ...police, ...self }, '/whoami');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('CLIENT_CERT_UNTRUSTED');
  });

  it('refuses a certificate signed by our CA that the registry never recorded', async () => {
    const { keyPem, csrPem } = createCsr({ agencyId: 'essex-police' });
    const unrecorded = issueFromCsr(pki.ca, csrPem, { agencyId: 'essex-police', agencyType: 'POLICE', validDays: 5 });
    const res = await agencyFetch(server.baseUrl, { ...police, certPem: unrecorded.certPem, keyPem }, '/whoami');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('CLIENT_CERT_UNTRUSTED');
  });

  it('a CSR asking for another agency\'s name is refused (CSR_AGENCY_MISMATCH) and nothing is issued', async () => {
    await registry.registerAgency(TEST_ADMIN, { id: 'mallory-housing', name: 'Mallory', type: 'HOUSING', deliveryMode: 'pull' });
    const { csrPem } = createCsr({ agencyId: 'essex-police' });
    const err = await registry.issueCertificate(TEST_ADMIN, 'mallory-housing', csrPem).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('CSR_AGENCY_MISMATCH');
    expect(await registry.listCertificates('mallory-housing')).toEqual([]);
  });

  it('refuses every certificate of a disabled agency', async () => {
    const creds = await makeAgencyCert(pki, registry, { id: 'closed-service', type: 'IDVA', mode: 'pull' });
    expect((await agencyFetch(server.baseUrl, creds, '/whoami')).status).toBe(200);
    await registry.disableAgency(TEST_ADMIN, 'closed-service');
    const res = await agencyFetch(server.baseUrl, creds, '/whoami');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('AGENCY_DISABLED');
  });

  it('gives every authentication failure the same generic message', async () => {
    const none = await agencyFetch(server.baseUrl, null, '/whoami', { caPem: pki.caPem });
    const self = await agencyFetch(server.baseUrl, { ...police, ...selfSigned('x') }, '/whoami');
    expect(none.body.detail).toBe(self.body.detail);
    expect(none.body.detail).not.toMatch(/police|revok|expir|\bCA\b/i);
  });

  it('fails closed with a retryable 503 when the registry cannot be read', async () => {
    const broken = { caCertPem: pki.caPem, lookupForAuth: async () => { throw new Error('connection refused'); } };
    const s = await listenHttps(appFor(broken), pki);
    try {
      const res = await agencyFetch(s.baseUrl, police, '/whoami');
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('SERVICE_UNAVAILABLE');
      expect(res.text).not.toContain('connection refused');
    } finally {
      await s.close();
    }
  });

  describe('trusted-proxy header', () => {
    const forwarded = (creds: { certPem: string }) => ({ 'x-ssl-client-cert': encodeURIComponent(creds.certPem) });

    it('is ignored when the mode is off', async () => {
      const anon = await agencyFetch(server.baseUrl, null, '/whoami', { caPem: pki.caPem, headers: forwarded(police) });
      expect(anon.status).toBe(401);
      expect(anon.body.code).toBe('CLIENT_CERT_REQUIRED');
      // A housing connection claiming to be police through the header stays housing.
      const res = await agencyFetch(server.baseUrl, housing, '/whoami', { headers: forwarded(police) });
      expect(res.body.principal.agencyId).toBe('colchester-housing');
    });

    it('is ignored, and hidden from the routes, when it comes from an address that is not the proxy', async () => {
      const s = await listenHttps(appFor(registry, { header: 'x-ssl-client-cert', trustedCidrs: ['10.0.0.0/8', 'fd00::/8'] }), pki);
      try {
        const anon = await agencyFetch(s.baseUrl, null, '/whoami', { caPem: pki.caPem, headers: forwarded(police) });
        expect(anon.body.code).toBe('CLIENT_CERT_REQUIRED');
        const res = await agencyFetch(s.baseUrl, housing, '/whoami', { headers: forwarded(police) });
        expect(res.body.principal.agencyId).toBe('colchester-housing');
        expect(res.body.forwardedHeader).toBeNull();
      } finally {
        await s.close();
      }
    });

    it('from the configured proxy, authenticates the forwarded certificate after checking it against the CA', async () => {
      const s = await listenHttps(appFor(registry, { header: 'X-SSL-Client-Cert', trustedCidrs: ['127.0.0.1'] }), pki);
      try {
        const asProxy = (headers: Record<string, string>) =>
          agencyFetch(s.baseUrl, null, '/whoami', { caPem: pki.caPem, headers });
        const ok = await asProxy(forwarded(police));
        expect(ok.status).toBe(200);
        expect(ok.body.principal).toMatchObject({ agencyId: 'essex-police', certFingerprint: police.fingerprint });
        expect(ok.body.forwardedHeader).toBeNull();

        const otherPki = makeTestPki({ commonName: 'Impostor CA' });
        const { csrPem } = createCsr({ agencyId: 'essex-police' });
        const forged = issueFromCsr(otherPki.ca, csrPem, { agencyId: 'essex-police', agencyType: 'POLICE', validDays: 5 });
        expect((await asProxy(forwarded(forged))).body.code).toBe('CLIENT_CERT_UNTRUSTED');
        expect((await asProxy(forwarded(selfSigned('essex-police')))).body.code).toBe('CLIENT_CERT_UNTRUSTED');
        expect((await asProxy({ 'x-ssl-client-cert': 'not%20a%20certificate' })).body.code).toBe('CLIENT_CERT_UNTRUSTED');
        expect((await asProxy({ 'x-ssl-client-cert': '%E0%A4%A' })).body.code).toBe('CLIENT_CERT_UNTRUSTED');
        expect((await asProxy(forwarded({ certPem: pki.caPem }))).body.code).toBe('CLIENT_CERT_UNTRUSTED');
        expect((await asProxy(forwarded({ certPem: pki.server.certPem }))).body.code).toBe('CLIENT_CERT_UNTRUSTED');

        const expired = await makeAgencyCert(pki, registry, {
          id: 'essex-police', type: 'POLICE', mode: 'pull', notBefore: new Date('2020-01-01T00:00:00Z'), validDays: 1,
        });
        expect((await asProxy(forwarded(expired))).body.code).toBe('CLIENT_CERT_EXPIRED');

        const revoked = await makeAgencyCert(pki, registry, { id: 'essex-police', type: 'POLICE', mode: 'pull' });
        expect((await asProxy(forwarded(revoked))).status).toBe(200);
        await registry.revoke(TEST_ADMIN, revoked.serialHex, 'keyCompromise');
        expect((await asProxy(forwarded(revoked))).body.code).toBe('CLIENT_CERT_REVOKED');

        // No header from the proxy: fall back to the connection's own certificate (or none).
        expect((await asProxy({})).body.code).toBe('CLIENT_CERT_REQUIRED');
        expect((await agencyFetch(s.baseUrl, housing, '/whoami')).body.principal.agencyId).toBe('colchester-housing');
      } finally {
        await s.close();
      }
    });
  });

  it('a revocation made by another gateway process takes effect here without waiting for the cache to expire', async () => {
    // Second "process": its own pool, a cache that would otherwise hold entries for a minute,
    // and a LISTEN connection for change notifications.
    const pool2 = createPool(db.url, 4);
    const registry2 = createAgencyRegistry({ pool: pool2, audit, ca: { certPem: pki.caPem }, statusCacheTtlMs: 60_000 });
    await registry2.listenForChanges(db.url);
    const s2 = await listenHttps(appFor(registry2), pki);
    try {
      const creds = await makeAgencyCert(pki, registry, { id: 'essex-police', type: 'POLICE', mode: 'pull' });
      expect((await agencyFetch(s2.baseUrl, creds, '/whoami')).status).toBe(200);
      await registry.revoke(TEST_ADMIN, creds.serialHex, 'keyCompromise');
      const started = Date.now();
      let code: string | undefined;
      while (Date.now() - started < 5_000) {
        code = (await agencyFetch(s2.baseUrl, creds, '/whoami')).body?.code;
        if (code === 'CLIENT_CERT_REVOKED') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(code).toBe('CLIENT_CERT_REVOKED');
    } finally {
      await s2.close();
      await registry2.close();
      await pool2.end();
    }
  });
});
