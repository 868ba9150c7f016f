/**
 * PKI for tests: a CA and server certificate made at test time, agency certificates issued
 * through the real registry, and an HTTPS client that presents them.
 *
 *   const pki = makeTestPki();
 *   const registry = createAgencyRegistry({ pool: db.pool, audit: createAuditLog(), ca: pki.ca });
 *   const police = await makeAgencyCert(pki, registry, { id: 'essex-police', type: 'POLICE', mode: 'pull' });
 *   const { baseUrl, close } = await listenHttps(app, pki);     // app behind createAgencyAuthenticator
 *   const res = await agencyFetch(baseUrl, police, '/v1/inbox');  // res.status, res.body (parsed JSON)
 *   const anon = await agencyFetch(baseUrl, null, '/v1/inbox');   // no client certificate
 *
 * Key generation is native (about 0.1 s per key), so make one PKI per test file in `beforeAll`.
 */
import { once } from 'node:events';
import type { RequestListener } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { AgencyRegistry } from '../../gateway/src/identity/agency-registry.js';
import type { DeliveryMode } from '../../gateway/src/identity/agency-types.js';
import { httpsServerOptions } from '../../gateway/src/identity/mtls.js';
import { createCa, createCsr, issueServerCert, type CaMaterial } from '../../gateway/src/identity/pki/ca.js';
import type { AgencyType, SystemPrincipal } from '../../gateway/src/identity/principal.js';

export interface TestPki {
  ca: CaMaterial;
  /** The CA certificate (clients trust it; the server asks for client certs chaining to it). */
  caPem: string;
  /** Server certificate for 127.0.0.1 and localhost. */
  server: { certPem: string; keyPem: string };
  /** Options for `https.createServer` with mTLS (see identity/mtls.ts). */
  serverOptions: https.ServerOptions;
}

/** What a client needs to call the gateway as an agency. */
export interface AgencyCreds {
  agencyId: string;
  certPem: string;
  keyPem: string;
  /** SHA-256 of the certificate DER, lower-case hex: `AgencyPrincipal.certFingerprint`. */
  fingerprint: string;
  serialHex: string;
  /** CA the client uses to check the gateway's server certificate. */
  caPem: string;
}

/** The actor for administrative calls made by tests (registering agencies, issuing, revoking). */
export const TEST_ADMIN: SystemPrincipal = { kind: 'system', component: 'test' };

export function makeTestPki(opts: { commonName?: string } = {}): TestPki {
  const ca = createCa({ commonName: opts.commonName ?? 'MARAC Gateway Test CA', validDays: 30 });
  const server = issueServerCert(ca, { hostnames: ['localhost', '127.0.0.1'], validDays: 30 });
  return {
    ca,
    caPem: ca.certPem,
    server: { certPem: server.certPem, keyPem: server.keyPem },
    serverOptions: httpsServerOptions({ caPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem }),
  };
}

/**
 * Registers the agency (unless it already exists) and issues it a certificate from a fresh CSR.
 * `validDays`/`notBefore` let a test make an expired certificate.
 */
export async function makeAgencyCert(
  pki: TestPki,
  registry: AgencyRegistry,
  a: {
    id: string; type: AgencyType; mode: DeliveryMode; pushUrl?: string; name?: string; maracArea?: string;
    validDays?: number; notBefore?: Date;
  },
): Promise<AgencyCreds> {
  if (!(await registry.getAgency(a.id))) {
    await registry.registerAgency(TEST_ADMIN, {
      id: a.id, name: a.name ?? a.id, type: a.type, deliveryMode: a.mode,
      ...(a.pushUrl !== undefined ? { pushUrl: a.pushUrl } : {}),
      ...(a.maracArea !== undefined ? { maracArea: a.maracArea } : {}),
    });
  }
  const { keyPem, csrPem } = createCsr({ agencyId: a.id });
  const issued = await registry.issueCertificate(TEST_ADMIN, a.id, csrPem, {
    ...(a.validDays !== undefined ? { validDays: a.validDays } : {}),
    ...(a.notBefore !== undefined ? { notBefore: a.notBefore } : {}),
  });
  return {
    agencyId: a.id, certPem: issued.certPem, keyPem, fingerprint: issued.fingerprint256,
    serialHex: issued.serialHex, caPem: pki.caPem,
  };
}

/** Starts an HTTPS (mTLS) server on 127.0.0.1 on a free port. `close()` also drops keep-alive sockets. */
export async function listenHttps(
  handler: RequestListener, pki: TestPki,
): Promise<{ baseUrl: string; server: https.Server; close(): Promise<void> }> {
  const server = https.createServer(pki.serverOptions, handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `https://127.0.0.1:${port}`,
    server,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** A keep-alive agent presenting the agency's certificate (for load tests and long-polls). */
export function agencyAgent(creds: AgencyCreds, opts: { keepAlive?: boolean; maxSockets?: number } = {}): https.Agent {
  return new https.Agent({
    ca: creds.caPem, cert: creds.certPem, key: creds.keyPem,
    keepAlive: opts.keepAlive ?? true, maxSockets: opts.maxSockets ?? 32,
  });
}

export interface AgencyResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON when the response is JSON (incl. problem+json), else undefined. */
  body: any;
  text: string;
}

/**
 * One HTTPS request as `creds` (or with no client certificate when `creds` is null; pass a
 * `caPem` then through `init.caPem`). A plain-object `body` is sent as JSON; a string as is.
 * `headers` are sent verbatim (e.g. `Idempotency-Key`, a forged `x-ssl-client-cert`).
 */
export function agencyFetch(
  baseUrl: string,
  creds: AgencyCreds | null,
  path: string,
  init: {
    method?: string; headers?: Record<string, string>; body?: unknown; caPem?: string; agent?: https.Agent;
  } = {},
): Promise<AgencyResponse> {
  const url = new URL(path, baseUrl);
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  let payload: string | undefined;
  if (init.body !== undefined) {
    payload = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  const caPem = creds?.caPem ?? init.caPem;
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: init.method ?? (payload === undefined ? 'GET' : 'POST'),
      headers,
      ...(init.agent
        ? { agent: init.agent }
        : { agent: false, ...(caPem ? { ca: caPem } : {}), ...(creds ? { cert: creds.certPem, key: creds.keyPem } : {}) }),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        if (/json/.test(String(res.headers['content-type'] ?? ''))) {
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}
