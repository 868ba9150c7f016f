/**
 * TLS on every TLS endpoint (issue 17, item 6): TLS 1.2 with ECDHE and AEAD suites only, and TLS
 * 1.3. Checked from outside with Node's own TLS client offering exactly one suite or version at a
 * time: the agency API, an adapter's push receiver, and both clients (the gateway's push client
 * and the adapter SDK's gateway client) against a server that offers only weak suites.
 */
import https from 'node:https';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushClient } from '../../gateway/src/exchange/push-delivery.js';
import { createGatewayClient } from '../../adapters/sdk/client.js';
import { startPushReceiver, type PushReceiver } from '../../adapters/sdk/push-receiver.js';
import { createCsr, issueFromCsr } from '../../gateway/src/identity/pki/ca.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

type Outcome = { ok: true; protocol: string | null; cipher: string } | { ok: false; error: string };

/** One handshake offering only what `offer` allows; never throws. */
function handshake(port: number, caPem: string, offer: tls.ConnectionOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    let socket: tls.TLSSocket;
    try {
      socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: caPem, ...offer });
    } catch (err) {
      resolve({ ok: false, error: `client could not offer it: ${(err as Error).message}` });
      return;
    }
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, error: 'timeout' });
    }, 5000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const out: Outcome = { ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name };
      socket.end();
      resolve(out);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, error: (err as NodeJS.ErrnoException).code ?? err.message });
    });
  });
}

/** Weak offers: each must fail the handshake. `@SECLEVEL=0` lets the client offer legacy suites at all. */
const REFUSED: [string, tls.ConnectionOptions][] = [
  ['AES128-SHA (RSA key exchange, CBC, SHA-1)', { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA' }],
  ['AES256-SHA (RSA key exchange, CBC, SHA-1)', { maxVersion: 'TLSv1.2', ciphers: 'AES256-SHA' }],
  ['AES128-GCM-SHA256 (no forward secrecy)', { maxVersion: 'TLSv1.2', ciphers: 'AES128-GCM-SHA256' }],
  ['AES256-GCM-SHA384 (no forward secrecy)', { maxVersion: 'TLSv1.2', ciphers: 'AES256-GCM-SHA384' }],
  ['AES128-SHA256 (no forward secrecy, CBC)', { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA256' }],
  ['DES-CBC3-SHA (3DES)', { maxVersion: 'TLSv1.2', ciphers: 'DES-CBC3-SHA@SECLEVEL=0' }],
  ['ECDHE-RSA-AES128-SHA (CBC, SHA-1)', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-SHA' }],
  ['ECDHE-RSA-AES256-SHA384 (CBC)', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-SHA384' }],
  ['ECDHE-RSA-AES128-SHA256 (CBC)', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-SHA256' }],
  ['DHE-RSA-AES128-GCM-SHA256 (finite-field DH)', { maxVersion: 'TLSv1.2', ciphers: 'DHE-RSA-AES128-GCM-SHA256' }],
  ['TLS 1.0', { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }],
  ['TLS 1.1', { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }],
];

const ACCEPTED: [string, tls.ConnectionOptions, string, string][] = [
  ['ECDHE-RSA-AES128-GCM-SHA256 on TLS 1.2', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }, 'TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256'],
  ['ECDHE-RSA-AES256-GCM-SHA384 on TLS 1.2', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' }, 'TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384'],
  ['ECDHE-RSA-CHACHA20-POLY1305 on TLS 1.2', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-CHACHA20-POLY1305' }, 'TLSv1.2', 'ECDHE-RSA-CHACHA20-POLY1305'],
  ['TLS 1.3', { minVersion: 'TLSv1.3' }, 'TLSv1.3', 'TLS_'],
];

/** A TLS 1.2 client that offers weak suites first must still get an ECDHE AEAD suite. */
const WEAK_FIRST = 'AES128-SHA:AES256-SHA:AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256';

function checkEndpoint(name: string, endpoint: () => { port: number; caPem: string; client?: tls.ConnectionOptions }) {
  describe(name, () => {
    it.each(REFUSED)('refuses %s', async (_label, offer) => {
      const { port, caPem, client } = endpoint();
      const out = await handshake(port, caPem, { ...client, ...offer });
      expect(out.ok, JSON.stringify(out)).toBe(false);
    });

    it.each(ACCEPTED)('accepts %s', async (_label, offer, protocol, cipher) => {
      const { port, caPem, client } = endpoint();
      const out = await handshake(port, caPem, { ...client, ...offer });
      expect(out).toMatchObject({ ok: true, protocol });
      expect((out as { cipher: string }).cipher.startsWith(cipher)).toBe(true);
    });

    it('picks an ECDHE AEAD suite for a client that prefers weak ones', async () => {
      const { port, caPem, client } = endpoint();
      const out = await handshake(port, caPem, { ...client, maxVersion: 'TLSv1.2', ciphers: WEAK_FIRST });
      expect(out).toMatchObject({ ok: true, protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256' });
    });
  });
}

let t: TestGateway;
let receiver: PushReceiver;
beforeAll(async () => {
  t = await startTestGateway({ queue: 'postgres', workers: false });
  const adapter = t.creds.get('essex-police')!;
  const serverCert = t.pki.server;
  receiver = await startPushReceiver({
    runner: { accept: async () => undefined } as never,
    certPem: serverCert.certPem,
    keyPem: serverCert.keyPem,
    caPem: adapter.caPem,
  });
}, 120_000);
afterAll(async () => {
  await receiver?.close();
  await t?.stop();
});

checkEndpoint('the agency API', () => ({ port: Number(new URL(t.gateway.agencyUrl).port), caPem: t.pki.caPem }));
// The receiver insists on a client certificate in the handshake: present one, so only the suite decides.
checkEndpoint('an adapter\'s push receiver', () => {
  const c = t.creds.get('essex-police')!;
  return { port: Number(new URL(receiver.url).port), caPem: t.pki.caPem, client: { cert: c.certPem, key: c.keyPem } };
});

describe('the clients refuse a server that offers only weak suites', () => {
  let weak: https.Server;
  let strong: https.Server;
  let weakUrl: string;
  let strongUrl: string;
  beforeAll(async () => {
    const handler: Parameters<typeof https.createServer>[1] = (_req, res) => {
      res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
    };
    const base = { cert: t.pki.server.certPem, key: t.pki.server.keyPem, ca: t.pki.caPem, requestCert: true, rejectUnauthorized: false };
    weak = https.createServer({ ...base, maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA:AES256-SHA:AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA' }, handler);
    strong = https.createServer({ ...base }, handler);
    for (const s of [weak, strong]) {
      s.listen(0, '127.0.0.1');
      await once(s, 'listening');
    }
    weakUrl = `https://localhost:${(weak.address() as AddressInfo).port}`;
    strongUrl = `https://localhost:${(strong.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of [weak, strong]) {
      s?.closeAllConnections();
      s?.close();
    }
  });

  it('the gateway\'s push client', async () => {
    const csr = createCsr({ agencyId: 'marac-gateway' });
    const cert = issueFromCsr(t.pki.ca, csr.csrPem, { agencyId: 'marac-gateway', agencyType: 'MARAC_COORDINATOR', validDays: 1 });
    const push = createPushClient({ certPem: cert.certPem, keyPem: csr.keyPem, caPem: t.pki.caPem }, 3000);
    try {
      await expect(push.post(`${strongUrl}/deliveries`, { ping: 1 })).resolves.toBeUndefined();
      await expect(push.post(`${weakUrl}/deliveries`, { ping: 1 })).rejects.toMatchObject({ code: 'PUSH_DELIVERY_FAILED', reason: 'UNREACHABLE' });
    } finally {
      push.close();
    }
  });

  it('the adapter SDK\'s gateway client', async () => {
    const MESSAGE_ID = `msg_${'0'.repeat(32)}`;
    const police = t.creds.get('essex-police')!;
    const opts = { certPem: police.certPem, keyPem: police.keyPem, caPem: police.caPem, timeoutMs: 3000 };
    const weakClient = createGatewayClient({ ...opts, baseUrl: weakUrl });
    const strongClient = createGatewayClient({ ...opts, baseUrl: strongUrl });
    try {
      // Whatever the stand-in server answers, the strong one is reached and the weak one is not.
      const reached = await strongClient.ack(MESSAGE_ID).then(() => 'answered', (e: { code?: string }) => e.code);
      expect(reached).not.toBe('GATEWAY_UNREACHABLE');
      await expect(weakClient.ack(MESSAGE_ID)).rejects.toMatchObject({ code: 'GATEWAY_UNREACHABLE' });
    } finally {
      weakClient.close();
      strongClient.close();
    }
  });
});
