/** Accession and onboarding, the pure parts: terms per agency type, the register CSV, agency standing. */
import { describe, expect, it } from 'vitest';
import { agencyStanding, standingTag } from '../../../gateway/src/identity/agency-standing.js';
import type { Agency, CertificateRecord } from '../../../gateway/src/identity/agency-types.js';
import { igLeadAgency, isAgreementOfficer, registerCsv, type Accession } from '../../../gateway/src/policy/accession/service.js';
import { hasFlowsForType, opOf, termsFor } from '../../../gateway/src/policy/accession/terms.js';
import { essexDoc } from './helpers.js';

const NOW = new Date('2026-12-10T10:00:00Z');
const DAY = 86_400_000;
const agency = (over: Partial<Agency> = {}): Agency => ({
  id: 'colne-housing', name: 'Colne Housing Association', type: 'HOUSING', deliveryMode: 'pull', pushUrl: null, maracArea: null,
  createdAt: new Date('2026-01-01'), disabledAt: null, ...over,
});
const cert = (over: Partial<CertificateRecord> = {}): CertificateRecord => ({
  serialHex: '1'.repeat(32), agencyId: 'colne-housing', fingerprint256: 'a'.repeat(64), notBefore: new Date(NOW.getTime() - DAY),
  notAfter: new Date(NOW.getTime() + 200 * DAY), issuedAt: new Date(NOW.getTime() - DAY), revokedAt: null, revocationReason: null, ...over,
});

describe('agency standing', () => {
  it('says what is true: no certificate, only a revoked or expired one, expiring within 30 days, active, disabled', () => {
    expect(standingTag(agencyStanding(agency(), [], NOW)).text).toBe('No valid certificate');
    expect(standingTag(agencyStanding(agency(), [cert({ revokedAt: NOW, revocationReason: 'keyCompromise' })], NOW)).text).toBe('No valid certificate');
    expect(standingTag(agencyStanding(agency(), [cert({ notAfter: new Date(NOW.getTime() - 1) })], NOW)).text).toBe('No valid certificate');
    expect(standingTag(agencyStanding(agency(), [cert({ notBefore: new Date(NOW.getTime() + DAY) })], NOW)).text).toBe('No valid certificate');
    expect(standingTag(agencyStanding(agency(), [cert({ notAfter: new Date(NOW.getTime() + 30 * DAY) })], NOW)).text).toBe('Certificate expires in 30 days');
    expect(standingTag(agencyStanding(agency(), [cert({ notAfter: new Date(NOW.getTime() + 3_600_000) })], NOW)).text).toBe('Certificate expires in 1 day');
    expect(standingTag(agencyStanding(agency(), [cert({ notAfter: new Date(NOW.getTime() + 31 * DAY) })], NOW)).text).toBe('Active');
    // The latest valid certificate counts: a renewed agency is not warned about its old one.
    expect(agencyStanding(agency(), [cert({ notAfter: new Date(NOW.getTime() + 5 * DAY) }), cert({ serialHex: '2'.repeat(32) })], NOW).kind).toBe('active');
    expect(standingTag(agencyStanding(agency({ disabledAt: NOW }), [cert()], NOW)).text).toBe('Disabled');
    // Another agency's certificate never counts.
    expect(agencyStanding(agency(), [cert({ agencyId: 'someone-else' })], NOW).kind).toBe('no_valid_certificate');
  });
});

describe('terms for an agency type', () => {
  it('reads the housing flows of the sample agreement for a housing provider that is not yet a party', () => {
    const doc = essexDoc();
    const t = termsFor(doc, 'colne-housing', 'HOUSING');
    expect(t.sends.map((f) => f.other)).toContainEqual({ role: 'coordinator' });
    expect(t.requestsReceived.length).toBeGreaterThan(0);
    expect(t.requestsReceived.every((f) => f.other.role === 'coordinator')).toBe(true);
    expect(t.retentionDays).toBe(90);
    expect(t.lawfulBasis.article6).toBe('PUBLIC_TASK');
    expect(hasFlowsForType(doc, 'HOUSING')).toBe(true);
  });

  it('names operators and pipelines', () => {
    expect(opOf('keep')).toBe('keep');
    expect(opOf({ mask: { keepLast: 4 } })).toBe('mask');
    expect(opOf(['scrub', { truncate: 280 }])).toBe('scrub+truncate');
  });
});

describe('who is who', () => {
  const doc = { parties: [{ agency: 'essex-marat', type: 'MARAC_COORDINATOR' as const, role: 'coordinator' as const }] };
  const person = (agencyId?: string, roles: ('ig_officer' | 'coordinator')[] = ['ig_officer']) =>
    ({ kind: 'person' as const, userId: 'u', displayName: 'U', roles, ...(agencyId ? { agencyId } : {}) });
  it('an IG officer with an agency claim is its IG lead; without one, or of the coordinator, an officer of the agreement', () => {
    expect(igLeadAgency(person('colne-housing'))).toBe('colne-housing');
    expect(igLeadAgency(person())).toBeUndefined();
    expect(igLeadAgency(person('colne-housing', ['coordinator']))).toBeUndefined();
    expect(isAgreementOfficer(person(), doc)).toBe(true);
    expect(isAgreementOfficer(person('essex-marat'), doc)).toBe(true);
    expect(isAgreementOfficer(person('colne-housing'), doc)).toBe(false);
    expect(isAgreementOfficer(person(undefined, ['coordinator']), doc)).toBe(false);
  });
});

describe('register CSV', () => {
  it('quotes commas and quotes, and defuses cells a spreadsheet would run as formulas', () => {
    const a: Accession = {
      id: `acc_${'0'.repeat(32)}`, agreementId: 'essex-marat', agencyId: 'colne-housing', kind: 'JOIN', status: 'REFUSED', basedOnVersion: 1,
      basedOnDigest: 'f'.repeat(64), signedBy: 'user:ig@colne-housing', signedByName: 'Colne, "IG"', signedAt: NOW, decidedBy: 'user:ig.officer1',
      decidedByName: 'Indra', decidedAt: NOW, refusalReason: '=HYPERLINK("http://x")', resultingVersion: null,
    };
    const [head, row] = registerCsv([a]).split('\r\n');
    expect(head).toBe('accession_id,agency_id,kind,status,based_on_version,based_on_digest,signed_by,signed_by_name,signed_at,decided_by,decided_by_name,decided_at,refusal_reason,resulting_version');
    expect(row).toContain('"Colne, ""IG"""');
    expect(row).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(row).toContain('2026-12-10T10:00:00.000Z');
    expect(row!.endsWith(',')).toBe(true);
  });
});
