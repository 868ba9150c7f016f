import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCa, createCsr, issueFromCsr, issueServerCert } from '../identity/pki/ca.js';

export interface GatewayTls {
  /** The CA's certificate; its key only where certificates are issued (development, `npm run pki`). */
  ca: { certPem: string; keyPem?: string };
  serverCertPem: string;
  serverKeyPem: string;
  /** The gateway's own client identity, for push deliveries over mTLS. */
  clientCertPem: string;
  clientKeyPem: string;
}

/** What the running gateway reads from the PKI folder, and how an operator makes each file. */
export const GATEWAY_PKI_FILES = [
  { file: 'ca-cert.pem', kind: 'certificate', make: 'npm run pki -- init-ca --out $PKI_DIR (on the offline CA machine; copy only ca-cert.pem here)' },
  { file: 'server-cert.pem', kind: 'certificate', make: 'npm run pki -- server-cert --ca <offline CA dir> --host <name> --out $PKI_DIR' },
  { file: 'server-key.pem', kind: 'key', make: 'made with server-cert.pem' },
  { file: 'gateway-client-cert.pem', kind: 'certificate', make: 'npm run pki -- gateway-client-cert --ca <offline CA dir> --out $PKI_DIR' },
  { file: 'gateway-client-key.pem', kind: 'key', make: 'made with gateway-client-cert.pem' },
] as const;

/** Production start-up found the PKI folder incomplete or inconsistent; nothing was generated. */
export class GatewayPkiMissing extends Error {
  readonly code = 'GATEWAY_PKI_MISSING';
  constructor(readonly dir: string, readonly problems: string[]) {
    super(
      `The gateway's PKI material in ${dir} is incomplete; nothing was generated (production never makes a CA or keys):\n`
      + problems.map((p) => `  - ${p}`).join('\n')
      + '\nThe CA key (ca-key.pem) is not needed here: keep it offline where `npm run pki` issues certificates.',
    );
  }
}

/**
 * Production: reads the certificates and the gateway's own keys, never the CA key, and generates
 * nothing. A new CA made over a missing file would silently lock out every agency, so anything
 * missing, unreadable or not matching stops start-up with the full list.
 */
export function loadGatewayPki(dir: string): GatewayTls {
  const problems: string[] = [];
  const text: Record<string, string> = {};
  for (const f of GATEWAY_PKI_FILES) {
    const p = path.join(dir, f.file);
    if (!existsSync(p)) {
      problems.push(`${f.file} is missing (${f.make})`);
      continue;
    }
    try {
      text[f.file] = readFileSync(p, 'utf8');
    } catch (err) {
      problems.push(`${f.file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const cert = (file: string): X509Certificate | undefined => {
    if (text[file] === undefined) return undefined;
    try {
      return new X509Certificate(text[file]!);
    } catch {
      problems.push(`${file} is not a PEM certificate`);
      return undefined;
    }
  };
  const key = (file: string) => {
    if (text[file] === undefined) return undefined;
    try {
      return createPrivateKey(text[file]!);
    } catch {
      problems.push(`${file} is not a PEM private key`);
      return undefined;
    }
  };
  const ca = cert('ca-cert.pem');
  if (ca && !ca.ca) problems.push('ca-cert.pem is not a CA certificate');
  for (const [c, k] of [['server-cert.pem', 'server-key.pem'], ['gateway-client-cert.pem', 'gateway-client-key.pem']] as const) {
    const certificate = cert(c);
    const privateKey = key(k);
    if (certificate && privateKey && !certificate.checkPrivateKey(privateKey)) problems.push(`${k} does not belong to ${c}`);
    if (certificate && ca && !certificate.checkIssued(ca)) problems.push(`${c} was not issued by the CA in ca-cert.pem`);
  }
  if (problems.length > 0) throw new GatewayPkiMissing(dir, problems);
  return {
    ca: { certPem: text['ca-cert.pem']! },
    serverCertPem: text['server-cert.pem']!,
    serverKeyPem: text['server-key.pem']!,
    clientCertPem: text['gateway-client-cert.pem']!,
    clientKeyPem: text['gateway-client-key.pem']!,
  };
}

/**
 * Development only: loads the gateway's CA and certificates from the PKI folder, making any that
 * are missing (`npm run pki -- init-ca` does the same by hand for production).
 */
export function ensureGatewayPki(dir: string, hostnames = ['localhost', '127.0.0.1']): { tls: GatewayTls; generated: string[] } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const generated: string[] = [];
  const p = (n: string) => path.join(dir, n);
  const read = (n: string) => readFileSync(p(n), 'utf8');
  const write = (n: string, s: string) => writeFileSync(p(n), s, { mode: n.endsWith('key.pem') ? 0o600 : 0o644 });

  if (!existsSync(p('ca-cert.pem')) || !existsSync(p('ca-key.pem'))) {
    const ca = createCa({ commonName: 'MARAC Gateway development CA', validDays: 3650 });
    write('ca-cert.pem', ca.certPem);
    write('ca-key.pem', ca.keyPem);
    generated.push('ca');
  }
  const ca = { certPem: read('ca-cert.pem'), keyPem: read('ca-key.pem') };
  if (!existsSync(p('server-cert.pem'))) {
    const s = issueServerCert(ca, { hostnames });
    write('server-cert.pem', s.certPem);
    write('server-key.pem', s.keyPem);
    generated.push('server certificate');
  }
  if (!existsSync(p('gateway-client-cert.pem'))) {
    const c = issueGatewayClientCert(ca);
    write('gateway-client-cert.pem', c.certPem);
    write('gateway-client-key.pem', c.keyPem);
    generated.push('gateway client certificate');
  }
  return {
    tls: {
      ca,
      serverCertPem: read('server-cert.pem'),
      serverKeyPem: read('server-key.pem'),
      clientCertPem: read('gateway-client-cert.pem'),
      clientKeyPem: read('gateway-client-key.pem'),
    },
    generated,
  };
}

/** The gateway's own client certificate for push deliveries (adapters pin CN=marac-gateway). */
export function issueGatewayClientCert(ca: { certPem: string; keyPem: string }, validDays = 825): { certPem: string; keyPem: string } {
  const csr = createCsr({ agencyId: 'marac-gateway' });
  const c = issueFromCsr(ca, csr.csrPem, { agencyId: 'marac-gateway', agencyType: 'MARAC_COORDINATOR', validDays });
  return { certPem: c.certPem, keyPem: csr.keyPem };
}
