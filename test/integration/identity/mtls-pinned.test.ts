/**
 * The agency server reads each connection's client certificate once (pinPeerPerConnection), which
 * is only sound because the connection cannot renegotiate: the attempt must cost the client its
 * connection, and revocation must still apply on the very next request of an open connection.
 */
import { once } from 'node:events';
import tls from 'node:tls';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../../gateway/src/audit/index.js';
import { createAgencyRegistry, type AgencyRegistry } from '../../../gateway/src/identity/agency-registry.js';
import { createAgencyAuthenticator, pinPeerPerConnection } from '../../../gateway/src/identity/mtls.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { agencyAgent, agencyFetch, listenHttps, makeAgencyCert, makeTestPki, TEST_ADMIN, type AgencyCreds, type TestPki } from '../../helpers/pki.js';

describe('client certificate pinned per connection', () => {
  let db: TestDatabase;
  let pki: TestPki;
  let registry: AgencyRegistry;
  let server: Awaited<ReturnType<typeof listenHttps>>;
  let police: AgencyCreds;
  let housing: AgencyCreds;

  beforeAll(async () => {
    db = await createTestDatabase();
    pki = makeTestPki();
    registry = createAgencyRegistry({ pool: db.pool, audit: createAuditLog(), ca: pki.ca });
    police = await makeAgencyCert(pki, registry, { id: 'essex-police', type: 'POLICE', mode: 'pull' });
    housing = await makeAgencyCert(pki, registry, { id: 'chelmsford-housing', type: 'HOUSING', mode: 'pull' });
    const app = express();
    app.use(createAgencyAuthenticator({ registry }));
    app.get('/whoami', (_req, res) => void res.json(res.locals.principal));
    app.use(((err, _req, res, _next) => void res.status(err.status ?? 500).json({ code: err.code ?? 'INTERNAL' })) as express.ErrorRequestHandler);
    server = await listenHttps(app, pki);
    pinPeerPerConnection(server.server);
  });
  afterAll(async () => {
    await server?.close();
    await registry?.close();
    await db?.drop();
  });

  /** One raw HTTP/1.1 request on an open TLS socket; resolves with the status line. */
  async function request(socket: tls.TLSSocket): Promise<string> {
    socket.write('GET /whoami HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    return chunk.toString('latin1').split('\r\n')[0]!;
  }

  it('each connection answers as the agency of its own certificate', async () => {
    const [a, b] = await Promise.all([agencyFetch(server.baseUrl, police, '/whoami'), agencyFetch(server.baseUrl, housing, '/whoami')]);
    expect(a.body).toMatchObject({ agencyId: 'essex-police', certFingerprint: police.fingerprint });
    expect(b.body).toMatchObject({ agencyId: 'chelmsford-housing', certFingerprint: housing.fingerprint });
  });

  it('a TLS 1.2 client that tries to renegotiate loses its connection; a new one works', async () => {
    const { port } = new URL(server.baseUrl);
    const socket = tls.connect({ host: '127.0.0.1', port: Number(port), ca: police.caPem, cert: police.certPem, key: police.keyPem, maxVersion: 'TLSv1.2', servername: 'localhost' });
    await once(socket, 'secureConnect');
    try {
      expect(await request(socket)).toBe('HTTP/1.1 200 OK');
      const closed = once(socket, 'close');
      socket.on('error', () => {});
      socket.renegotiate({ rejectUnauthorized: true }, () => {});
      await closed;
      expect(socket.destroyed).toBe(true);
    } finally {
      socket.destroy();
    }
    expect((await agencyFetch(server.baseUrl, police, '/whoami')).status).toBe(200);
  });

  it('still refuses a revoked certificate on the very next request of an open connection', async () => {
    const creds = await makeAgencyCert(pki, registry, { id: 'essex-police', type: 'POLICE', mode: 'pull' });
    const agent = agencyAgent(creds, { maxSockets: 1 });
    try {
      expect((await agencyFetch(server.baseUrl, creds, '/whoami', { agent })).status).toBe(200);
      await registry.revoke(TEST_ADMIN, creds.serialHex, 'keyCompromise');
      const after = await agencyFetch(server.baseUrl, creds, '/whoami', { agent });
      expect(after.status).toBe(401);
      expect(after.body.code).toBe('CLIENT_CERT_REVOKED');
    } finally {
      agent.destroy();
    }
  });
});
