import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';
import type { AgencyType } from '../principal.js';
import { AGENCY_TYPES } from '../principal.js';
import { ValidationFailed } from '../../errors.js';
import { CaInvalid, CsrInvalid } from '../errors.js';

/**
 * The gateway's own certificate authority, built with node-forge. Pure functions over PEM strings:
 * no I/O, no state. Keys are RSA 2048 (forge has no usable ECDSA certificate support); forge
 * delegates key generation to Node's native `generateKeyPairSync`, so it is fast.
 *
 * What an issued agency certificate says is decided HERE, never by the CSR: the CSR only proves
 * possession of the private key. Subject, SAN, EKU and validity come from the registry.
 */

const pki = forge.pki;
const KEY_BITS = 2048;
const DAY_MS = 86_400_000;
/** Back-date notBefore a little so a peer whose clock is slightly behind still accepts the cert. */
const CLOCK_SKEW_MS = 5 * 60_000;
export const AGENCY_URN_PREFIX = 'urn:marac:agency:';
const MIN_CSR_KEY_BITS = 2048;

export interface CaMaterial {
  certPem: string;
  keyPem: string;
}

export interface IssuedCertificate {
  certPem: string;
  /** Lower-case hex, 32 characters (128 bits, top bit clear so the INTEGER stays positive). */
  serialHex: string;
  /** SHA-256 of the certificate DER, lower-case hex without separators. */
  fingerprint256: string;
  notBefore: Date;
  notAfter: Date;
}

export interface KeyAndCsr {
  keyPem: string;
  csrPem: string;
}

export function createCa(opts: { commonName: string; validDays: number; organisation?: string }): CaMaterial {
  if (!opts.commonName) throw new CaInvalid('CA common name is required');
  assertValidDays(opts.validDays);
  const keys = pki.rsa.generateKeyPair({ bits: KEY_BITS, e: 0x10001 });
  const cert = pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerialHex();
  setValidity(cert, new Date(Date.now() - CLOCK_SKEW_MS), opts.validDays);
  const subject = [
    { shortName: 'CN', value: opts.commonName },
    { shortName: 'O', value: opts.organisation ?? 'MARAC Gateway' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: pki.certificateToPem(cert), keyPem: pki.privateKeyToPem(keys.privateKey) };
}

/** Certificate for the gateway's own HTTPS listener (serverAuth), with DNS and IP SANs. */
export function issueServerCert(
  ca: CaMaterial,
  opts: { hostnames: string[]; validDays?: number },
): { certPem: string; keyPem: string; serialHex: string; fingerprint256: string } {
  if (opts.hostnames.length === 0) throw new CaInvalid('at least one hostname is required');
  const { caCert, caKey } = loadCa(ca);
  const keys = pki.rsa.generateKeyPair({ bits: KEY_BITS, e: 0x10001 });
  const cert = pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerialHex();
  setValidity(cert, new Date(Date.now() - CLOCK_SKEW_MS), opts.validDays ?? 397);
  cert.setSubject([{ shortName: 'CN', value: opts.hostnames[0]! }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: opts.hostnames.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return {
    certPem: pki.certificateToPem(cert),
    keyPem: pki.privateKeyToPem(keys.privateKey),
    serialHex: cert.serialNumber,
    fingerprint256: fingerprintOf(cert),
  };
}

/** A fresh key pair and a CSR naming the agency. For tests and the CLI (an agency keeps the key). */
export function createCsr(opts: { agencyId: string }): KeyAndCsr {
  const keys = pki.rsa.generateKeyPair({ bits: KEY_BITS, e: 0x10001 });
  const csr = pki.createCertificationRequest();
  csr.publicKey = keys.publicKey;
  csr.setSubject([{ shortName: 'CN', value: opts.agencyId }]);
  csr.sign(keys.privateKey, forge.md.sha256.create());
  return { keyPem: pki.privateKeyToPem(keys.privateKey), csrPem: pki.certificationRequestToPem(csr) };
}

/**
 * Issues an agency client certificate from a CSR. The CSR's signature must verify (proof of
 * possession); everything else it asks for (subject, extensions) is ignored.
 */
export function issueFromCsr(
  ca: CaMaterial,
  csrPem: string,
  opts: { agencyId: string; agencyType: AgencyType; validDays: number; notBefore?: Date },
): IssuedCertificate {
  if (!AGENCY_TYPES.includes(opts.agencyType)) throw new ValidationFailed('unknown agency type');
  assertValidDays(opts.validDays);
  const publicKey = verifiedCsrPublicKey(csrPem);
  const { caCert, caKey } = loadCa(ca);
  const cert = pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerialHex();
  setValidity(cert, opts.notBefore ?? new Date(Date.now() - CLOCK_SKEW_MS), opts.validDays);
  cert.setSubject([
    { shortName: 'CN', value: opts.agencyId },
    { shortName: 'O', value: opts.agencyType },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 6, value: `${AGENCY_URN_PREFIX}${opts.agencyId}` }] },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return {
    certPem: pki.certificateToPem(cert),
    serialHex: cert.serialNumber,
    fingerprint256: fingerprintOf(cert),
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
  };
}

/**
 * The common name a CSR asks for (undefined when it names none). Issuing ignores it, but the
 * registry refuses a CSR made for another agency: it is the wrong file, or someone else's key.
 */
export function csrCommonName(csrPem: string): string | undefined {
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = pki.certificationRequestFromPem(csrPem);
  } catch (err) {
    throw new CsrInvalid('CSR is not a valid PEM RSA certification request', { cause: err });
  }
  const cn = csr.subject.getField('CN') as { value?: unknown } | null;
  return typeof cn?.value === 'string' ? cn.value : undefined;
}

/** SHA-256 of a certificate's DER, lower-case hex: the same value the authenticator computes. */
export function fingerprint256(certPem: string): string {
  return fingerprintOf(pki.certificateFromPem(certPem));
}

/** Parses and checks CA material: a CA certificate whose key matches the private key. */
export function loadCa(ca: CaMaterial): { caCert: forge.pki.Certificate; caKey: forge.pki.rsa.PrivateKey } {
  let caCert: forge.pki.Certificate;
  let caKey: forge.pki.rsa.PrivateKey;
  try {
    caCert = pki.certificateFromPem(ca.certPem);
    caKey = pki.privateKeyFromPem(ca.keyPem);
  } catch (err) {
    throw new CaInvalid('CA certificate or key is not valid PEM', { cause: err });
  }
  const bc = caCert.getExtension('basicConstraints') as { cA?: boolean } | null;
  if (!bc?.cA) throw new CaInvalid('certificate is not a CA');
  const pub = caCert.publicKey as forge.pki.rsa.PublicKey;
  if (pub.n.compareTo(caKey.n) !== 0 || pub.e.compareTo(caKey.e) !== 0) {
    throw new CaInvalid('CA key does not match the CA certificate');
  }
  return { caCert, caKey };
}

function verifiedCsrPublicKey(csrPem: string): forge.pki.rsa.PublicKey {
  let csr: forge.pki.CertificateSigningRequest;
  try {
    csr = pki.certificationRequestFromPem(csrPem);
  } catch (err) {
    // forge parses RSA keys only, so an EC CSR also lands here.
    throw new CsrInvalid('CSR is not a valid PEM RSA certification request', { cause: err });
  }
  let ok = false;
  try {
    ok = csr.verify();
  } catch {
    ok = false;
  }
  if (!ok) throw new CsrInvalid('CSR signature does not verify');
  const key = csr.publicKey as forge.pki.rsa.PublicKey | null;
  if (!key || key.n.bitLength() < MIN_CSR_KEY_BITS) throw new CsrInvalid('CSR key is too small');
  return key;
}

function fingerprintOf(cert: forge.pki.Certificate): string {
  const der = forge.asn1.toDer(pki.certificateToAsn1(cert)).getBytes();
  return createHash('sha256').update(Buffer.from(der, 'binary')).digest('hex');
}

/** 128-bit random serial; the top bit is cleared (DER INTEGER must be positive) and the first byte
 *  kept non-zero so the encoding stays minimal and always 16 bytes. */
function randomSerialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) || 0x01;
  return b.toString('hex');
}

function setValidity(cert: forge.pki.Certificate, notBefore: Date, validDays: number): void {
  cert.validity.notBefore = new Date(Math.floor(notBefore.getTime() / 1000) * 1000);
  cert.validity.notAfter = new Date(cert.validity.notBefore.getTime() + validDays * DAY_MS);
}

function assertValidDays(days: number): void {
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    throw new ValidationFailed('validDays must be an integer between 1 and 3650');
  }
}
