import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCa, createCsr, issueFromCsr, issueServerCert, type CaMaterial } from '../identity/pki/ca.js';

export interface GatewayTls {
  ca: CaMaterial;
  serverCertPem: string;
  serverKeyPem: string;
  /** The gateway's own client identity, for push deliveries over mTLS. */
  clientCertPem: string;
  clientKeyPem: string;
}

/**
 * Loads the gateway's CA and certificates from the PKI folder, making any that are missing
 * (development: `npm run pki -- init-ca` does the same by hand for production).
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
  const ca: CaMaterial = { certPem: read('ca-cert.pem'), keyPem: read('ca-key.pem') };
  if (!existsSync(p('server-cert.pem'))) {
    const s = issueServerCert(ca, { hostnames });
    write('server-cert.pem', s.certPem);
    write('server-key.pem', s.keyPem);
    generated.push('server certificate');
  }
  if (!existsSync(p('gateway-client-cert.pem'))) {
    const csr = createCsr({ agencyId: 'marac-gateway' });
    const c = issueFromCsr(ca, csr.csrPem, { agencyId: 'marac-gateway', agencyType: 'MARAC_COORDINATOR', validDays: 825 });
    write('gateway-client-cert.pem', c.certPem);
    write('gateway-client-key.pem', csr.keyPem);
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
