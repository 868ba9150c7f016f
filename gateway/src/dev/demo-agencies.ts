import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AgencyRegistry } from '../identity/agency-registry.js';
import { createCsr, fingerprint256 } from '../identity/pki/ca.js';
import type { AgencyType, SystemPrincipal } from '../identity/principal.js';

/** The demo partnership: the parties of `policies/essex-marat.yaml`, plus a non-party and a second MARAC. */
export const DEMO_AGENCIES: { id: string; name: string; type: AgencyType; maracArea?: string }[] = [
  { id: 'essex-marat', name: 'Essex MARAT coordinator', type: 'MARAC_COORDINATOR', maracArea: 'essex' },
  { id: 'essex-police', name: 'Essex Police', type: 'POLICE' },
  { id: 'mse-hospitals', name: 'Mid and South Essex Hospitals', type: 'HEALTH_ACUTE' },
  { id: 'essex-gp-federation', name: 'Essex GP Federation', type: 'HEALTH_PRIMARY' },
  { id: 'eput-mental-health', name: 'Essex Partnership University Trust', type: 'HEALTH_MENTAL' },
  { id: 'chelmsford-housing', name: 'Chelmsford City Council Housing', type: 'HOUSING' },
  { id: 'essex-childrens-services', name: "Essex Children's Services", type: 'CHILDRENS_SOCIAL_CARE' },
  { id: 'essex-adult-social-care', name: 'Essex Adult Social Care', type: 'ADULT_SOCIAL_CARE' },
  { id: 'kss-probation', name: 'Probation Service (KSS)', type: 'PROBATION' },
  { id: 'safe-steps-idva', name: 'Safe Steps IDVA service', type: 'IDVA' },
  { id: 'recovery-ltd', name: 'Recovery Ltd (not a party)', type: 'SUBSTANCE_MISUSE' },
  { id: 'southend-marac', name: 'Southend MARAC coordinator', type: 'MARAC_COORDINATOR', maracArea: 'southend' },
];

const SEEDER: SystemPrincipal = { kind: 'system', component: 'demo-seed' };

export interface AgencyCredentials {
  certPem: string;
  keyPem: string;
}

/**
 * Registers the demo agencies (pull mode) and gives each a certificate kept under
 * `<pkiDir>/agencies/<id>/`, so demo adapters and curl can act as them. Idempotent.
 */
export async function seedDemoAgencies(registry: AgencyRegistry, pkiDir: string): Promise<Map<string, AgencyCredentials>> {
  const out = new Map<string, AgencyCredentials>();
  for (const a of DEMO_AGENCIES) {
    if (!(await registry.getAgency(a.id))) {
      await registry.registerAgency(SEEDER, { id: a.id, name: a.name, type: a.type, deliveryMode: 'pull', ...(a.maracArea ? { maracArea: a.maracArea } : {}) });
    }
    const dir = path.join(pkiDir, 'agencies', a.id);
    const certFile = path.join(dir, 'cert.pem');
    const keyFile = path.join(dir, 'key.pem');
    const known = existsSync(certFile) && existsSync(keyFile)
      && (await registry.findByFingerprint(fingerprint256(readFileSync(certFile, 'utf8'))))?.status === 'valid';
    if (!known) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const csr = createCsr({ agencyId: a.id });
      const issued = await registry.issueCertificate(SEEDER, a.id, csr.csrPem);
      writeFileSync(keyFile, csr.keyPem, { mode: 0o600 });
      writeFileSync(certFile, issued.certPem);
    }
    out.set(a.id, { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') });
  }
  return out;
}
