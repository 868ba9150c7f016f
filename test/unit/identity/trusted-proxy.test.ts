import type { IncomingMessage } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FingerprintLookup } from '../../../gateway/src/identity/agency-types.js';
import { createAgencyAuthentication } from '../../../gateway/src/identity/mtls.js';
import { createCa, createCsr, issueFromCsr, type CaMaterial } from '../../../gateway/src/identity/pki/ca.js';

/** A request as it reaches the authenticator from a plain-TCP proxy hop (no TLS on the socket). */
function fakeRequest(remoteAddress: string, headers: Record<string, string | string[]>): IncomingMessage {
  return { socket: { remoteAddress }, headers: { ...headers } } as unknown as IncomingMessage;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('trusted-proxy mode (unit)', () => {
  let ca: CaMaterial;
  let certPem: string;
  let known: FingerprintLookup;
  const registry = {
    caCertPem: '',
    lookupForAuth: async (fp: string) => (fp === known.certificate.fingerprint256 ? known : null),
  };

  beforeAll(() => {
    ca = createCa({ commonName: 'Proxy unit CA', validDays: 5 });
    registry.caCertPem = ca.certPem;
    const issued = issueFromCsr(ca, createCsr({ agencyId: 'essex-police' }).csrPem, {
      agencyId: 'essex-police', agencyType: 'POLICE', validDays: 5,
    });
    certPem = issued.certPem;
    known = {
      agency: {
        id: 'essex-police', name: 'Essex Police', type: 'POLICE', deliveryMode: 'pull', pushUrl: null,
        maracArea: null, createdAt: new Date(), disabledAt: null,
      },
      certificate: {
        serialHex: issued.serialHex, agencyId: 'essex-police', fingerprint256: issued.fingerprint256,
        notBefore: issued.notBefore, notAfter: issued.notAfter, issuedAt: new Date(), revokedAt: null, revocationReason: null,
      },
    };
  });

  const auth = (trustedCidrs: string[]) =>
    createAgencyAuthentication({ registry, trustedProxy: { header: 'X-SSL-Client-Cert', trustedCidrs } });

  it('accepts the forwarded certificate from an IPv4-mapped IPv6 proxy address and from an IPv6 range', async () => {
    const header = { 'x-ssl-client-cert': encodeURIComponent(certPem) };
    expect((await auth(['10.0.0.0/8'])(fakeRequest('::ffff:10.1.2.3', header))).agencyId).toBe('essex-police');
    expect((await auth(['fd00::/8'])(fakeRequest('fd12::7', header))).agencyId).toBe('essex-police');
  });

  it('ignores the header from any other address', async () => {
    const header = { 'x-ssl-client-cert': encodeURIComponent(certPem) };
    expect(await codeOf(auth(['10.0.0.0/8'])(fakeRequest('::ffff:11.1.2.3', header)))).toBe('CLIENT_CERT_REQUIRED');
    expect(await codeOf(auth(['10.0.0.5'])(fakeRequest('10.0.0.6', header)))).toBe('CLIENT_CERT_REQUIRED');
    expect(await codeOf(auth(['fd00::/8'])(fakeRequest('fe80::1', header)))).toBe('CLIENT_CERT_REQUIRED');
  });

  it('refuses a duplicated header rather than pick one', async () => {
    const req = fakeRequest('10.0.0.5', { 'x-ssl-client-cert': [encodeURIComponent(certPem), encodeURIComponent(certPem)] });
    expect(await codeOf(auth(['10.0.0.5/32'])(req))).toBe('CLIENT_CERT_UNTRUSTED');
  });

  it('removes the header so later handlers never see a client-supplied copy', async () => {
    const req = fakeRequest('192.0.2.1', { 'x-ssl-client-cert': 'anything' });
    await codeOf(auth(['10.0.0.5'])(req));
    expect(req.headers['x-ssl-client-cert']).toBeUndefined();
  });

  it('refuses a configuration that is not an address or CIDR', () => {
    expect(() => auth(['proxy.internal'])).toThrow(/not an IP address/);
    expect(() => auth(['10.0.0.0/33'])).toThrow(/bad prefix/);
  });
});
