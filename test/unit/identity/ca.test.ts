import { createPrivateKey, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createCa, createCsr, fingerprint256, issueFromCsr, issueServerCert, loadCa, type CaMaterial,
} from '../../../gateway/src/identity/pki/ca.js';
import type { AgencyType } from '../../../gateway/src/identity/principal.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

/** Flips one bit inside the CSR's signature: the request still parses but no longer verifies. */
function tamper(csrPem: string): string {
  const der = Buffer.from(csrPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  der[der.length - 5]! ^= 0x01;
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----\n`;
}

describe('gateway CA', () => {
  let ca: CaMaterial;
  let caX509: X509Certificate;
  beforeAll(() => {
    ca = createCa({ commonName: 'Unit CA', validDays: 10 });
    caX509 = new X509Certificate(ca.certPem);
  });

  it('creates a self-signed CA certificate allowed to sign certificates and CRLs', () => {
    expect(caX509.ca).toBe(true);
    expect(caX509.subject).toContain('CN=Unit CA');
    expect(caX509.verify(caX509.publicKey)).toBe(true);
    const forgeCert = forge.pki.certificateFromPem(ca.certPem);
    const ku = forgeCert.getExtension('keyUsage') as { keyCertSign?: boolean; cRLSign?: boolean };
    expect(ku.keyCertSign).toBe(true);
    expect(ku.cRLSign).toBe(true);
    expect(() => loadCa(ca)).not.toThrow();
  });

  it('issues a server certificate with DNS and IP names, chained to the CA', () => {
    const s = issueServerCert(ca, { hostnames: ['localhost', '127.0.0.1'] });
    const x = new X509Certificate(s.certPem);
    expect(x.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(x.checkHost('localhost')).toBe('localhost');
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x.checkIssued(caX509) && x.verify(caX509.publicKey)).toBe(true);
    expect(x.ca).toBe(false);
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(x.checkPrivateKey(createPrivateKey(s.keyPem))).toBe(true);
  });

  it('issues an agency certificate naming the registered agency whatever the CSR asks for', () => {
    const { csrPem } = createCsr({ agencyId: 'someone-else' });
    const issued = issueFromCsr(ca, csrPem, { agencyId: 'essex-police', agencyType: 'POLICE', validDays: 30 });
    const x = new X509Certificate(issued.certPem);
    expect(x.subject.split('\n').sort()).toEqual(['CN=essex-police', 'O=POLICE']);
    expect(x.subjectAltName).toBe('URI:urn:marac:agency:essex-police');
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(x.ca).toBe(false);
    expect(x.checkIssued(caX509) && x.verify(caX509.publicKey)).toBe(true);
    expect(issued.serialHex).toMatch(/^[0-7][0-9a-f]{31}$/);
    expect(x.serialNumber.toLowerCase()).toBe(issued.serialHex);
    expect(issued.fingerprint256).toBe(x.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(fingerprint256(issued.certPem)).toBe(issued.fingerprint256);
    expect(issued.notAfter.getTime() - issued.notBefore.getTime()).toBe(30 * 86_400_000);
  });

  it('ignores extensions the CSR requests (no CA flag, no extra names)', () => {
    const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
    const csr = forge.pki.createCertificationRequest();
    csr.publicKey = keys.publicKey;
    csr.setSubject([{ shortName: 'CN', value: 'nhs-trust' }]);
    csr.setAttributes([{
      name: 'extensionRequest',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'subjectAltName', altNames: [{ type: 6, value: 'urn:marac:agency:nhs-trust' }] },
      ],
    }]);
    csr.sign(keys.privateKey, forge.md.sha256.create());
    const issued = issueFromCsr(ca, forge.pki.certificationRequestToPem(csr), {
      agencyId: 'idva-service', agencyType: 'IDVA', validDays: 5,
    });
    const x = new X509Certificate(issued.certPem);
    expect(x.ca).toBe(false);
    expect(x.subjectAltName).toBe('URI:urn:marac:agency:idva-service');
    expect(x.subject).toContain('CN=idva-service');
  });

  it('gives every certificate a distinct random serial', () => {
    const { csrPem } = createCsr({ agencyId: 'a1' });
    const serials = new Set<string>();
    for (let i = 0; i < 10; i++) {
      serials.add(issueFromCsr(ca, csrPem, { agencyId: 'a1', agencyType: 'HOUSING', validDays: 1 }).serialHex);
    }
    expect(serials.size).toBe(10);
  });

  it('honours an explicit notBefore (used to make expired certificates in tests)', () => {
    const { csrPem } = createCsr({ agencyId: 'old' });
    const notBefore = new Date('2020-01-01T00:00:00Z');
    const issued = issueFromCsr(ca, csrPem, { agencyId: 'old', agencyType: 'PROBATION', validDays: 1, notBefore });
    expect(new Date(new X509Certificate(issued.certPem).validTo).getTime()).toBe(Date.parse('2020-01-02T00:00:00Z'));
  });

  describe('refusals', () => {
    const opts = { agencyId: 'essex-police', agencyType: 'POLICE' as AgencyType, validDays: 30 };

    it('refuses a CSR whose signature does not verify', () => {
      const { csrPem } = createCsr({ agencyId: 'x1' });
      expect(codeOf(() => issueFromCsr(ca, tamper(csrPem), opts))).toBe('CSR_INVALID');
    });

    it('refuses text that is not a CSR', () => {
      expect(codeOf(() => issueFromCsr(ca, 'hello', opts))).toBe('CSR_INVALID');
      expect(codeOf(() => issueFromCsr(ca, ca.certPem, opts))).toBe('CSR_INVALID');
    });

    it('refuses a CSR for a key shorter than 2048 bits', () => {
      const keys = forge.pki.rsa.generateKeyPair({ bits: 1024 });
      const csr = forge.pki.createCertificationRequest();
      csr.publicKey = keys.publicKey;
      csr.setSubject([{ shortName: 'CN', value: 'weak' }]);
      csr.sign(keys.privateKey, forge.md.sha256.create());
      expect(codeOf(() => issueFromCsr(ca, forge.pki.certificationRequestToPem(csr), opts))).toBe('CSR_INVALID');
    });

    it('refuses bad validity and unknown agency types', () => {
      const { csrPem } = createCsr({ agencyId: 'x2' });
      expect(codeOf(() => issueFromCsr(ca, csrPem, { ...opts, validDays: 0 }))).toBe('VALIDATION_FAILED');
      expect(codeOf(() => issueFromCsr(ca, csrPem, { ...opts, validDays: 1.5 }))).toBe('VALIDATION_FAILED');
      expect(codeOf(() => issueFromCsr(ca, csrPem, { ...opts, agencyType: 'MI5' as AgencyType }))).toBe('VALIDATION_FAILED');
    });

    it('refuses CA material that is not a CA or whose key does not match', () => {
      const other = createCa({ commonName: 'Other', validDays: 1 });
      const server = issueServerCert(ca, { hostnames: ['localhost'] });
      const { csrPem } = createCsr({ agencyId: 'x3' });
      expect(codeOf(() => issueFromCsr({ certPem: ca.certPem, keyPem: other.keyPem }, csrPem, opts))).toBe('CA_INVALID');
      expect(codeOf(() => issueFromCsr({ certPem: server.certPem, keyPem: server.keyPem }, csrPem, opts))).toBe('CA_INVALID');
      expect(codeOf(() => issueFromCsr({ certPem: 'nope', keyPem: 'nope' }, csrPem, opts))).toBe('CA_INVALID');
    });
  });
});
