import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditLog } from '../../../gateway/src/audit/types.js';
import {
  createAgencyRegistry, type AgencyRegistry, type RegisterAgencyInput,
} from '../../../gateway/src/identity/agency-registry.js';
import type { RevocationReason } from '../../../gateway/src/identity/agency-types.js';
import { createCsr } from '../../../gateway/src/identity/pki/ca.js';
import type { Principal } from '../../../gateway/src/identity/principal.js';
import { createPool } from '../../../gateway/src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { createAuditLog } from '../../../gateway/src/audit/index.js';
import { makeAgencyCert, makeTestPki, TEST_ADMIN, type TestPki } from '../../helpers/pki.js';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('agency registry', () => {
  let db: TestDatabase;
  let pki: TestPki;
  let registry: AgencyRegistry;
  // The real audit log; nothing sequences in this test, so appended events wait in audit_pending.
  const audit = createAuditLog();
  const count = async (table: string) =>
    Number((await db.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  const events = async (): Promise<Record<string, unknown>[]> =>
    (await db.pool.query<{ body: string }>('SELECT body FROM audit_pending ORDER BY id')).rows.map((r) => JSON.parse(r.body));

  beforeAll(async () => {
    db = await createTestDatabase();
    pki = makeTestPki();
    registry = createAgencyRegistry({ pool: db.pool, audit, ca: pki.ca });
  });
  afterAll(async () => {
    await registry?.close();
    await db?.drop();
  });

  describe('registerAgency', () => {
    it('registers an agency and audits it', async () => {
      const admin: Principal = { kind: 'person', userId: 'u1', displayName: 'Admin', roles: ['admin'] };
      const agency = await registry.registerAgency(admin, {
        id: 'mse-hospitals', name: ' Mid and South Essex NHS FT ', type: 'HEALTH_ACUTE',
        deliveryMode: 'push', pushUrl: 'https://adapter.mse.example/marac', maracArea: 'Essex',
      });
      expect(agency).toMatchObject({
        id: 'mse-hospitals', name: 'Mid and South Essex NHS FT', type: 'HEALTH_ACUTE', deliveryMode: 'push',
        pushUrl: 'https://adapter.mse.example/marac', maracArea: 'Essex', disabledAt: null,
      });
      expect(await registry.getAgency('mse-hospitals')).toEqual(agency);
      expect((await registry.listAgencies()).map((a) => a.id)).toContain('mse-hospitals');
      expect((await events()).at(-1)).toMatchObject({
        action: 'AGENCY_REGISTERED', actor: { kind: 'person', userId: 'u1', roles: ['admin'] }, agencyIds: ['mse-hospitals'],
        detail: { agencyType: 'HEALTH_ACUTE', deliveryMode: 'push' },
      });
    });

    it('refuses a second agency with the same id', async () => {
      const input: RegisterAgencyInput = { id: 'dup-agency', name: 'Dup', type: 'IDVA', deliveryMode: 'pull' };
      await registry.registerAgency(TEST_ADMIN, input);
      const before = (await events()).length;
      expect(await codeOf(registry.registerAgency(TEST_ADMIN, { ...input, name: 'Other' }))).toBe('AGENCY_EXISTS');
      expect((await events()).length).toBe(before);
      expect((await registry.getAgency('dup-agency'))?.name).toBe('Dup');
    });

    const base: RegisterAgencyInput = { id: 'valid-id', name: 'Valid', type: 'POLICE', deliveryMode: 'pull' };
    const invalid: [string, Record<string, unknown>, string][] = [
      ['upper-case id', { id: 'Essex-Police' }, 'id'],
      ['one-character id', { id: 'x' }, 'id'],
      ['id starting with a hyphen', { id: '-police' }, 'id'],
      ['id of 64 characters', { id: 'a'.repeat(64) }, 'id'],
      ['id with a space', { id: 'essex police' }, 'id'],
      ['id that is not a string', { id: 42 }, 'id'],
      ['empty name', { name: '   ' }, 'name'],
      ['unknown type', { type: 'MI5' }, 'type'],
      ['unknown delivery mode', { deliveryMode: 'fax' }, 'deliveryMode'],
      ['push without URL', { deliveryMode: 'push' }, 'pushUrl'],
      ['push over http', { deliveryMode: 'push', pushUrl: 'http://adapter.example/' }, 'pushUrl'],
      ['push URL with credentials', { deliveryMode: 'push', pushUrl: 'https://u:p@adapter.example/' }, 'pushUrl'],
      ['push URL that is not a URL', { deliveryMode: 'push', pushUrl: 'adapter' }, 'pushUrl'],
      ['pull with a push URL', { pushUrl: 'https://adapter.example/' }, 'pushUrl'],
      ['unknown field', { agencyId: 'someone' }, 'agencyId'],
      ['marac area with markup', { maracArea: '<script>' }, 'maracArea'],
    ];
    it.each(invalid)('refuses %s with VALIDATION_FAILED and writes nothing', async (_label, change, path) => {
      const before = { agencies: await count('agencies'), events: (await events()).length };
      let err: { code?: string; problems?: { path: string }[] } | undefined;
      try {
        await registry.registerAgency(TEST_ADMIN, { ...base, ...change } as RegisterAgencyInput);
      } catch (e) {
        err = e as typeof err;
      }
      expect(err?.code).toBe('VALIDATION_FAILED');
      expect(err?.problems?.map((p) => p.path)).toContain(path);
      expect(await count('agencies')).toBe(before.agencies);
      expect((await events()).length).toBe(before.events);
    });

    it('lists every problem at once', async () => {
      try {
        await registry.registerAgency(TEST_ADMIN, { id: 'X', name: '', type: 'NOPE', deliveryMode: 'push' } as never);
        expect.unreachable();
      } catch (e) {
        expect((e as { problems: { path: string }[] }).problems.map((p) => p.path).sort())
          .toEqual(['id', 'name', 'pushUrl', 'type']);
      }
    });

    it('is refused to agencies and to people who are not administrators', async () => {
      const agency: Principal = { kind: 'agency', agencyId: 'essex-police', agencyType: 'POLICE', certFingerprint: 'f'.repeat(64) };
      const coordinator: Principal = { kind: 'person', userId: 'c', displayName: 'C', roles: ['coordinator', 'ig_officer'] };
      for (const actor of [agency, coordinator]) {
        expect(await codeOf(registry.registerAgency(actor, { ...base, id: 'sneaky' }))).toBe('FORBIDDEN');
        expect(await codeOf(registry.revoke(actor, '1'.repeat(32), 'unspecified'))).toBe('FORBIDDEN');
        expect(await codeOf(registry.issueCertificate(actor, 'mse-hospitals', createCsr({ agencyId: 'x' }).csrPem))).toBe('FORBIDDEN');
        expect(await codeOf(registry.disableAgency(actor, 'mse-hospitals'))).toBe('FORBIDDEN');
      }
      expect(await registry.getAgency('sneaky')).toBeNull();
    });

    it('writes nothing when the audit append fails (same transaction)', async () => {
      const failing: AuditLog = { append: async () => { throw new Error('audit unavailable'); } };
      const r = createAgencyRegistry({ pool: db.pool, audit: failing, ca: pki.ca });
      await expect(r.registerAgency(TEST_ADMIN, { ...base, id: 'never-written' })).rejects.toThrow('audit unavailable');
      expect(await registry.getAgency('never-written')).toBeNull();
      const { csrPem } = createCsr({ agencyId: 'mse-hospitals' });
      const certsBefore = await count('agency_certificates');
      await expect(r.issueCertificate(TEST_ADMIN, 'mse-hospitals', csrPem)).rejects.toThrow('audit unavailable');
      expect(await count('agency_certificates')).toBe(certsBefore);
    });
  });

  describe('issueCertificate', () => {
    it('stores the certificate and audits its serial and fingerprint', async () => {
      const { csrPem } = createCsr({ agencyId: 'mse-hospitals' });
      const issued = await registry.issueCertificate(TEST_ADMIN, 'mse-hospitals', csrPem, { validDays: 90 });
      expect(issued.agencyId).toBe('mse-hospitals');
      const row = (await db.pool.query('SELECT * FROM agency_certificates WHERE serial = $1', [issued.serialHex])).rows[0];
      expect(row).toMatchObject({ agency_id: 'mse-hospitals', fingerprint256: issued.fingerprint256, cert_pem: issued.certPem, revoked_at: null });
      expect((await events()).at(-1)).toMatchObject({
        action: 'CERTIFICATE_ISSUED', actor: TEST_ADMIN, agencyIds: ['mse-hospitals'],
        detail: { serial: issued.serialHex, fingerprint256: issued.fingerprint256, notAfter: issued.notAfter.toISOString() },
      });
      expect((await registry.listCertificates('mse-hospitals')).map((c) => c.serialHex)).toContain(issued.serialHex);
      expect(await registry.findByFingerprint(issued.fingerprint256)).toMatchObject({
        status: 'valid', agency: { id: 'mse-hospitals' }, certificate: { serialHex: issued.serialHex },
      });
    });

    it('refuses unknown agencies, bad CSRs and disabled agencies, writing nothing', async () => {
      const { csrPem } = createCsr({ agencyId: 'ghost' });
      const before = { certs: await count('agency_certificates'), events: (await events()).length };
      expect(await codeOf(registry.issueCertificate(TEST_ADMIN, 'ghost-agency', csrPem))).toBe('AGENCY_NOT_FOUND');
      expect(await codeOf(registry.issueCertificate(TEST_ADMIN, "x'; DROP TABLE agencies; --", csrPem))).toBe('AGENCY_NOT_FOUND');
      expect(await codeOf(registry.issueCertificate(TEST_ADMIN, 'mse-hospitals', 'not a csr'))).toBe('CSR_INVALID');
      await registry.registerAgency(TEST_ADMIN, { id: 'gone-agency', name: 'Gone', type: 'PROBATION', deliveryMode: 'pull' });
      await registry.disableAgency(TEST_ADMIN, 'gone-agency');
      expect((await events()).at(-1)).toMatchObject({ action: 'AGENCY_DISABLED', agencyIds: ['gone-agency'] });
      const afterDisable = (await events()).length;
      expect(await codeOf(registry.issueCertificate(TEST_ADMIN, 'gone-agency', csrPem))).toBe('AGENCY_IS_DISABLED');
      expect(await codeOf(registry.disableAgency(TEST_ADMIN, 'gone-agency'))).toBe('AGENCY_IS_DISABLED');
      expect(await count('agency_certificates')).toBe(before.certs);
      expect((await events()).length).toBe(afterDisable);
      expect(before.events + 2).toBe(afterDisable); // registered + disabled only
    });

    it('refuses to issue in a process that holds no CA key', async () => {
      const noKey = createAgencyRegistry({ pool: db.pool, audit, ca: { certPem: pki.caPem } });
      const { csrPem } = createCsr({ agencyId: 'mse-hospitals' });
      expect(await codeOf(noKey.issueCertificate(TEST_ADMIN, 'mse-hospitals', csrPem))).toBe('CA_KEY_NOT_AVAILABLE');
    });
  });

  describe('revoke', () => {
    it('revokes by serial, audits the reason, and reports the status', async () => {
      const creds = await makeAgencyCert(pki, registry, { id: 'essex-police', type: 'POLICE', mode: 'pull' });
      const record = await registry.revoke(TEST_ADMIN, creds.serialHex, 'keyCompromise');
      expect(record).toMatchObject({ serialHex: creds.serialHex, revocationReason: 'keyCompromise' });
      expect(record.revokedAt).toBeInstanceOf(Date);
      expect((await events()).at(-1)).toMatchObject({
        action: 'CERTIFICATE_REVOKED', actor: TEST_ADMIN, agencyIds: ['essex-police'], reasonCode: 'KEY_COMPROMISE',
        detail: { serial: creds.serialHex, fingerprint256: creds.fingerprint },
      });
      expect((await registry.findByFingerprint(creds.fingerprint))?.status).toBe('revoked');
      expect((await registry.lookupForAuth(creds.fingerprint))?.certificate.revokedAt).toBeInstanceOf(Date);
    });

    it('revokes by fingerprint written with colons in upper case (as openssl prints it)', async () => {
      const creds = await makeAgencyCert(pki, registry, { id: 'essex-police', type: 'POLICE', mode: 'pull' });
      const openssl = creds.fingerprint.toUpperCase().match(/../g)!.join(':');
      await registry.revoke(TEST_ADMIN, openssl, 'superseded');
      expect((await registry.findByFingerprint(openssl))?.status).toBe('revoked');
    });

    it('refuses unknown, malformed, already revoked and bad reasons with stable codes', async () => {
      const creds = await makeAgencyCert(pki, registry, { id: 'essex-police', type: 'POLICE', mode: 'pull' });
      const before = (await events()).length;
      expect(await codeOf(registry.revoke(TEST_ADMIN, '0'.repeat(32), 'unspecified'))).toBe('CERTIFICATE_NOT_FOUND');
      expect(await codeOf(registry.revoke(TEST_ADMIN, 'b'.repeat(64), 'unspecified'))).toBe('CERTIFICATE_NOT_FOUND');
      expect(await codeOf(registry.revoke(TEST_ADMIN, 'essex-police', 'unspecified'))).toBe('VALIDATION_FAILED');
      expect(await codeOf(registry.revoke(TEST_ADMIN, creds.serialHex, 'bored' as RevocationReason))).toBe('VALIDATION_FAILED');
      expect((await registry.findByFingerprint(creds.fingerprint))?.status).toBe('valid');
      expect((await events()).length).toBe(before);
      await registry.revoke(TEST_ADMIN, creds.serialHex, 'cessationOfOperation');
      expect(await codeOf(registry.revoke(TEST_ADMIN, creds.fingerprint, 'keyCompromise'))).toBe('CERTIFICATE_ALREADY_REVOKED');
      expect((await registry.findByFingerprint(creds.fingerprint))?.certificate.revocationReason).toBe('cessationOfOperation');
    });
  });

  describe('findByFingerprint', () => {
    it('reports expired, not-yet-valid and disabled-agency certificates, and null for unknown ones', async () => {
      const expired = await makeAgencyCert(pki, registry, {
        id: 'idva-essex', type: 'IDVA', mode: 'pull', notBefore: new Date('2020-01-01T00:00:00Z'), validDays: 1,
      });
      const early = await makeAgencyCert(pki, registry, {
        id: 'idva-essex', type: 'IDVA', mode: 'pull', notBefore: new Date(Date.now() + 3_600_000), validDays: 1,
      });
      const fine = await makeAgencyCert(pki, registry, { id: 'idva-essex', type: 'IDVA', mode: 'pull' });
      expect((await registry.findByFingerprint(expired.fingerprint))?.status).toBe('expired');
      expect((await registry.findByFingerprint(early.fingerprint))?.status).toBe('not_yet_valid');
      expect((await registry.findByFingerprint(fine.fingerprint))?.status).toBe('valid');
      await registry.disableAgency(TEST_ADMIN, 'idva-essex');
      expect((await registry.findByFingerprint(fine.fingerprint))?.status).toBe('agency_disabled');
      expect(await registry.findByFingerprint('c'.repeat(64))).toBeNull();
      expect(await registry.findByFingerprint('nonsense')).toBeNull();
    });
  });

  describe('change notifications across processes', () => {
    it('keeps listening after its connection is cut, and still hears revocations', async () => {
      const pool2 = createPool(db.url, 2);
      const other = createAgencyRegistry({ pool: pool2, audit, ca: { certPem: pki.caPem }, statusCacheTtlMs: 60_000 });
      try {
        await other.listenForChanges(db.url);
        const creds = await makeAgencyCert(pki, registry, { id: 'essex-police', type: 'POLICE', mode: 'pull' });
        expect((await other.lookupForAuth(creds.fingerprint))?.certificate.revokedAt).toBeNull();

        await db.pool.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE application_name = 'marac-gateway-identity-listen' AND datname = current_database()`,
        );
        await waitFor(async () => {
          const n = (await db.pool.query(
            `SELECT count(*) AS n FROM pg_stat_activity
              WHERE application_name = 'marac-gateway-identity-listen' AND datname = current_database()
                AND query ILIKE 'LISTEN%'`,
          )).rows[0].n;
          return Number(n) === 1;
        });
        // Cache the good status again after the reconnect, so only a notification can change it.
        expect((await other.lookupForAuth(creds.fingerprint))?.certificate.revokedAt).toBeNull();
        // Even a manual UPDATE by an operator reaches the other process (trigger + NOTIFY).
        await db.pool.query(
          `UPDATE agency_certificates SET revoked_at = now(), revocation_reason = 'keyCompromise' WHERE serial = $1`,
          [creds.serialHex],
        );
        await waitFor(async () => (await other.lookupForAuth(creds.fingerprint))?.certificate.revokedAt != null);
      } finally {
        await other.close();
        await pool2.end();
      }
    });
  });

  describe('lookupAgency (cached agency rows)', () => {
    const input = (id: string): RegisterAgencyInput => ({ id, name: 'Southend MARAT', type: 'MARAC_COORDINATOR', deliveryMode: 'pull' });

    it('serves a cached row, drops it at once when this process disables the agency, and hears changes made elsewhere', async () => {
      const pool2 = createPool(db.url, 2);
      // A long TTL: only the synchronous invalidation or the NOTIFY can make these lookups change.
      const other = createAgencyRegistry({ pool: pool2, audit, ca: pki.ca, agencyCacheTtlMs: 60_000 });
      try {
        await other.listenForChanges(db.url);
        await other.registerAgency(TEST_ADMIN, input('southend-marat'));
        expect((await other.lookupAgency('southend-marat'))?.type).toBe('MARAC_COORDINATOR');

        // A manual UPDATE (an operator, another gateway process): the trigger's NOTIFY drops the row.
        await db.pool.query(`UPDATE agencies SET type = 'IDVA' WHERE id = 'southend-marat'`);
        await waitFor(async () => (await other.lookupAgency('southend-marat'))?.type === 'IDVA');

        await other.disableAgency(TEST_ADMIN, 'southend-marat');
        expect((await other.lookupAgency('southend-marat'))?.disabledAt).not.toBeNull();
        // The authoritative read agrees.
        expect((await other.getAgency('southend-marat'))?.disabledAt).not.toBeNull();
      } finally {
        await other.close();
        await pool2.end();
      }
    });

    it('reads a miss through the client it is given (inside a transaction, that transaction)', async () => {
      const client = await db.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`INSERT INTO agencies (id, name, type, delivery_mode) VALUES ('tx-only-agency', 'Tx', 'IDVA', 'pull')`);
        // Uncommitted: only this transaction's client can see the row.
        expect(await registry.lookupAgency('tx-only-agency')).toBeNull();
        expect((await registry.lookupAgency('tx-only-agency', client))?.type).toBe('IDVA');
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      expect(await registry.lookupAgency('not an id')).toBeNull();
    });
  });
});

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}
