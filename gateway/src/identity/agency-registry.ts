import type pg from 'pg';
import type { AuditLog } from '../audit/types.js';
import { Forbidden, ValidationFailed, type ProblemDetail } from '../errors.js';
import { withTx, type Queryable } from '../store/db.js';
import {
  certificateStatus, DELIVERY_MODES, REVOCATION_REASONS,
  type Agency, type CertificateRecord, type CertificateStatus, type DeliveryMode, type FingerprintLookup,
  type RevocationReason,
} from './agency-types.js';
import { createAgencyCache } from './agency-cache.js';
import { createCertificateStatusCache, type CertificateStatusCache } from './certificate-status-cache.js';
import {
  AgencyExists, AgencyIsDisabled, AgencyNotDisabled, CsrAgencyMismatch, AgencyNotFound, CaKeyNotHere, CertificateAlreadyRevoked, CertificateNotFound,
} from './errors.js';
import { csrCommonName, issueFromCsr, type IssuedCertificate } from './pki/ca.js';
import { AGENCY_TYPES, type AgencyType, type Principal } from './principal.js';

/**
 * The agencies the gateway knows and the certificates that name them. Every change writes its
 * audit event in the same transaction (DESIGN invariant 4). Administration is for the gateway
 * itself (CLI, start-up seeding) and people with the `admin` role; never for an agency.
 */
export interface RegisterAgencyInput {
  id: string;
  name: string;
  type: AgencyType;
  deliveryMode: DeliveryMode;
  pushUrl?: string;
  maracArea?: string;
}

export interface IssuedAgencyCertificate extends IssuedCertificate {
  agencyId: string;
}

export interface AgencyRegistry {
  /** The CA certificate agency certificates chain to (for TLS `ca` and trusted-proxy checks). */
  readonly caCertPem: string;
  registerAgency(actor: Principal, input: RegisterAgencyInput): Promise<Agency>;
  issueCertificate(
    actor: Principal, agencyId: string, csrPem: string, opts?: { validDays?: number; notBefore?: Date },
  ): Promise<IssuedAgencyCertificate>;
  /** `serialOrFingerprint`: 32 hex digits (serial) or 64 (SHA-256 fingerprint); colons allowed. */
  revoke(actor: Principal, serialOrFingerprint: string, reason: RevocationReason): Promise<CertificateRecord>;
  disableAgency(actor: Principal, agencyId: string): Promise<Agency>;
  /** Undoes `disableAgency`: its unrevoked, unexpired certificates count again. */
  enableAgency(actor: Principal, agencyId: string): Promise<Agency>;
  /** Whether this process holds the CA key (development, embedded): otherwise issue with `npm run pki`. */
  readonly canIssue: boolean;
  /** Pass the caller's transaction client when inside one: never take a second connection. */
  getAgency(id: string, q?: Queryable): Promise<Agency | null>;
  /**
   * The same row, cached for the hot paths of the exchange (see agency-cache.ts for freshness). A
   * miss reads through `q`: pass the caller's transaction client when inside one.
   */
  lookupAgency(id: string, q?: Queryable): Promise<Agency | null>;
  listAgencies(): Promise<Agency[]>;
  listCertificates(agencyId?: string): Promise<CertificateRecord[]>;
  /** Authoritative (always reads the database), with the status as of now. */
  findByFingerprint(fingerprint: string): Promise<(FingerprintLookup & { status: CertificateStatus }) | null>;
  /** What the authenticator uses on every request: cached, see certificate-status-cache.ts. */
  lookupForAuth(fingerprint: string): Promise<FingerprintLookup | null>;
  /** LISTEN for identity changes made by other processes (call once at start-up). */
  listenForChanges(connectionString: string): Promise<void>;
  /**
   * Told (after commit) of every certificate this process issues, e.g. to resume push deliveries
   * parked while the agency had no valid certificate. Returns an unsubscribe function.
   */
  onCertificateIssued(listener: (agencyId: string) => void): () => void;
  close(): Promise<void>;
}

export interface AgencyRegistryOptions {
  pool: pg.Pool;
  audit: AuditLog;
  /** The key is needed only by a process that issues certificates. */
  ca: { certPem: string; keyPem?: string };
  defaultValidDays?: number;
  /** How long a certificate lookup may be reused; 0 = read the database on every request. */
  statusCacheTtlMs?: number;
  /** How long an agency row may be reused by `lookupAgency`; 0 = always read. Default 1 s. */
  agencyCacheTtlMs?: number;
}

const AGENCY_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
const SERIAL = /^[0-9a-f]{32}$/;
const FINGERPRINT = /^[0-9a-f]{64}$/;

export function createAgencyRegistry(opts: AgencyRegistryOptions): AgencyRegistry {
  const { pool, audit, ca } = opts;
  const defaultValidDays = opts.defaultValidDays ?? 365;
  const agencies = createAgencyCache({ ttlMs: opts.agencyCacheTtlMs ?? 1000 });
  const cache: CertificateStatusCache = createCertificateStatusCache({
    load: (fp) => loadByFingerprint(pool, fp),
    ttlMs: opts.statusCacheTtlMs ?? 1000,
    // `agency:<id>` drops that agency; a certificate change leaves agency rows alone; null (changes
    // possibly missed) drops them all.
    onChange: (payload) => {
      if (payload === null) agencies.invalidate();
      else if (payload.startsWith('agency:')) agencies.invalidate(payload.slice(7));
      else if (!payload.startsWith('cert:')) agencies.invalidate();
    },
  });
  const issuedListeners = new Set<(agencyId: string) => void>();
  const readAgency = async (id: string, q: Queryable): Promise<Agency | null> => {
    const res = await q.query<AgencyRow>('SELECT * FROM agencies WHERE id = $1', [id]);
    return res.rows[0] ? toAgency(res.rows[0]) : null;
  };

  return {
    caCertPem: ca.certPem,
    canIssue: typeof ca.keyPem === 'string' && ca.keyPem.length > 0,

    async registerAgency(actor, input) {
      assertAdministrator(actor);
      const clean = validateRegistration(input);
      return withTx(pool, async (tx) => {
        const res = await tx.query<AgencyRow>(
          `INSERT INTO agencies (id, name, type, delivery_mode, push_url, marac_area)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING *`,
          [clean.id, clean.name, clean.type, clean.deliveryMode, clean.pushUrl ?? null, clean.maracArea ?? null],
        );
        const row = res.rows[0];
        if (!row) throw new AgencyExists('an agency with this id already exists');
        await audit.append(tx, {
          action: 'AGENCY_REGISTERED',
          actor,
          agencyIds: [clean.id],
          detail: { agencyType: clean.type, deliveryMode: clean.deliveryMode },
        });
        return toAgency(row);
      });
    },

    async issueCertificate(actor, agencyId, csrPem, issueOpts = {}) {
      assertAdministrator(actor);
      if (!ca.keyPem) throw new CaKeyNotHere('this gateway process holds no CA key: issue with `npm run pki -- issue` where the CA key is kept');
      const caMaterial = { certPem: ca.certPem, keyPem: ca.keyPem };
      const issued = await withTx(pool, async (tx) => {
        const agency = await lockAgency(tx, agencyId);
        if (agency.disabledAt) throw new AgencyIsDisabled('the agency is disabled');
        const cn = csrCommonName(csrPem);
        if (cn !== undefined && cn !== agency.id) {
          throw new CsrAgencyMismatch(`the CSR was made for ${cn.slice(0, 63)}, not ${agency.id}`);
        }
        const issued = issueFromCsr(caMaterial, csrPem, {
          agencyId: agency.id,
          agencyType: agency.type,
          validDays: issueOpts.validDays ?? defaultValidDays,
          ...(issueOpts.notBefore ? { notBefore: issueOpts.notBefore } : {}),
        });
        await tx.query(
          `INSERT INTO agency_certificates (serial, agency_id, fingerprint256, cert_pem, not_before, not_after)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [issued.serialHex, agency.id, issued.fingerprint256, issued.certPem, issued.notBefore, issued.notAfter],
        );
        await audit.append(tx, {
          action: 'CERTIFICATE_ISSUED',
          actor,
          agencyIds: [agency.id],
          detail: {
            serial: issued.serialHex,
            fingerprint256: issued.fingerprint256,
            notAfter: issued.notAfter.toISOString(),
          },
        });
        return { ...issued, agencyId: agency.id };
      });
      for (const l of issuedListeners) {
        try {
          l(issued.agencyId);
        } catch {
          // A listener's failure is its own; the certificate is issued.
        }
      }
      return issued;
    },

    async revoke(actor, serialOrFingerprint, reason) {
      assertAdministrator(actor);
      if (!REVOCATION_REASONS.includes(reason)) {
        throw new ValidationFailed('unknown revocation reason', {
          problems: [{ path: 'reason', code: 'enum', message: `one of ${REVOCATION_REASONS.join(', ')}` }],
        });
      }
      const key = serialOrFingerprint.toLowerCase().replace(/:/g, '');
      const column = SERIAL.test(key) ? 'serial' : FINGERPRINT.test(key) ? 'fingerprint256' : null;
      if (!column) {
        throw new ValidationFailed('expected a 32-hex-digit serial or a 64-hex-digit SHA-256 fingerprint', {
          problems: [{ path: 'serialOrFingerprint', code: 'pattern', message: 'not a serial or fingerprint' }],
        });
      }
      const record = await withTx(pool, async (tx) => {
        const found = await tx.query<CertificateRow>(
          `SELECT * FROM agency_certificates WHERE ${column} = $1 FOR UPDATE`, [key],
        );
        const row = found.rows[0];
        if (!row) throw new CertificateNotFound('no such certificate');
        if (row.revoked_at) throw new CertificateAlreadyRevoked('the certificate is already revoked');
        const updated = await tx.query<CertificateRow>(
          `UPDATE agency_certificates SET revoked_at = now(), revocation_reason = $2
           WHERE serial = $1 RETURNING *`,
          [row.serial, reason],
        );
        await audit.append(tx, {
          action: 'CERTIFICATE_REVOKED',
          actor,
          agencyIds: [row.agency_id],
          // RFC 5280 names are camelCase; audit reason codes are UPPER_SNAKE.
          reasonCode: reason.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase(),
          detail: { serial: row.serial, fingerprint256: row.fingerprint256 },
        });
        return toCertificate(updated.rows[0]!);
      });
      // After commit and before returning: the next request in this process sees the revocation.
      cache.invalidate(record.fingerprint256);
      return record;
    },

    async disableAgency(actor, agencyId) {
      assertAdministrator(actor);
      const agency = await withTx(pool, async (tx) => {
        const current = await lockAgency(tx, agencyId);
        if (current.disabledAt) throw new AgencyIsDisabled('the agency is already disabled');
        const res = await tx.query<AgencyRow>(
          'UPDATE agencies SET disabled_at = now() WHERE id = $1 RETURNING *', [current.id],
        );
        await audit.append(tx, { action: 'AGENCY_DISABLED', actor, agencyIds: [current.id] });
        return toAgency(res.rows[0]!);
      });
      cache.invalidate();
      agencies.invalidate(agency.id);
      return agency;
    },

    async enableAgency(actor, agencyId) {
      assertAdministrator(actor);
      const agency = await withTx(pool, async (tx) => {
        const current = await lockAgency(tx, agencyId);
        if (!current.disabledAt) throw new AgencyNotDisabled('the agency is not disabled');
        const res = await tx.query<AgencyRow>(
          'UPDATE agencies SET disabled_at = NULL WHERE id = $1 RETURNING *', [current.id],
        );
        await audit.append(tx, { action: 'AGENCY_ENABLED', actor, agencyIds: [current.id] });
        return toAgency(res.rows[0]!);
      });
      cache.invalidate();
      agencies.invalidate(agency.id);
      return agency;
    },

    async getAgency(id, q = pool) {
      if (!AGENCY_ID.test(id)) return null;
      return readAgency(id, q);
    },

    async lookupAgency(id, q = pool) {
      if (!AGENCY_ID.test(id)) return null;
      return agencies.get(id, (key) => readAgency(key, q));
    },

    async listAgencies() {
      const res = await pool.query<AgencyRow>('SELECT * FROM agencies ORDER BY id');
      return res.rows.map(toAgency);
    },

    async listCertificates(agencyId) {
      const res = agencyId === undefined
        ? await pool.query<CertificateRow>('SELECT * FROM agency_certificates ORDER BY agency_id, issued_at')
        : await pool.query<CertificateRow>(
          'SELECT * FROM agency_certificates WHERE agency_id = $1 ORDER BY issued_at', [agencyId],
        );
      return res.rows.map(toCertificate);
    },

    async findByFingerprint(fingerprint) {
      const found = await loadByFingerprint(pool, fingerprint.toLowerCase().replace(/:/g, ''));
      return found ? { ...found, status: certificateStatus(found) } : null;
    },

    lookupForAuth(fingerprint) {
      return cache.get(fingerprint);
    },

    listenForChanges(connectionString) {
      return cache.listen(connectionString);
    },

    onCertificateIssued(listener) {
      issuedListeners.add(listener);
      return () => void issuedListeners.delete(listener);
    },

    close() {
      agencies.invalidate();
      return cache.close();
    },
  };
}

function assertAdministrator(actor: Principal): void {
  if (actor.kind === 'system') return;
  if (actor.kind === 'person' && actor.roles.includes('admin')) return;
  throw new Forbidden('only an administrator may change agencies or certificates');
}

/**
 * The gateway's own client certificate comes from the same CA with CN `marac-gateway`, and push
 * receivers (adapters/sdk/push-receiver.ts) trust a delivery by that CN: an agency registered
 * under that id would get a certificate that passes as the gateway.
 */
const RESERVED_AGENCY_IDS = new Set(['marac-gateway']);

function validateRegistration(input: RegisterAgencyInput): RegisterAgencyInput {
  const problems: ProblemDetail[] = [];
  const bad = (path: string, code: string, message: string) => problems.push({ path, code, message });
  const known = new Set(['id', 'name', 'type', 'deliveryMode', 'pushUrl', 'maracArea']);
  for (const k of Object.keys(input)) if (!known.has(k)) bad(k, 'additionalProperties', 'unknown field');
  if (typeof input.id !== 'string' || !AGENCY_ID.test(input.id)) {
    bad('id', 'pattern', 'lower-case letters, digits and hyphens, 2 to 63 characters, starting with a letter or digit');
  } else if (RESERVED_AGENCY_IDS.has(input.id)) {
    bad('id', 'reserved', 'this id names the gateway itself');
  }
  if (typeof input.name !== 'string' || input.name.trim().length === 0 || input.name.length > 200) {
    bad('name', 'length', 'a name of 1 to 200 characters is required');
  }
  if (!AGENCY_TYPES.includes(input.type)) bad('type', 'enum', `one of ${AGENCY_TYPES.join(', ')}`);
  if (!DELIVERY_MODES.includes(input.deliveryMode)) bad('deliveryMode', 'enum', 'pull or push');
  if (input.deliveryMode === 'push') {
    if (input.pushUrl === undefined) bad('pushUrl', 'required', 'push delivery needs an https URL');
    else if (!isPlainHttpsUrl(input.pushUrl)) bad('pushUrl', 'format', 'an https URL without credentials or fragment');
  } else if (input.pushUrl !== undefined) {
    bad('pushUrl', 'not_allowed', 'only push agencies have a push URL');
  }
  if (input.maracArea !== undefined && (typeof input.maracArea !== 'string' || !/^[\w .,'()-]{1,100}$/.test(input.maracArea))) {
    bad('maracArea', 'pattern', 'a short area name');
  }
  if (problems.length > 0) throw new ValidationFailed('agency registration is invalid', { problems });
  return { ...input, name: input.name.trim() };
}

function isPlainHttpsUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 2000) return false;
  try {
    const u = new URL(value);
    return u.protocol === 'https:' && u.username === '' && u.password === '' && u.hash === '' && u.hostname !== '';
  } catch {
    return false;
  }
}

async function lockAgency(tx: Queryable, agencyId: string): Promise<Agency> {
  if (typeof agencyId !== 'string' || !AGENCY_ID.test(agencyId)) throw new AgencyNotFound('no such agency');
  const res = await tx.query<AgencyRow>('SELECT * FROM agencies WHERE id = $1 FOR UPDATE', [agencyId]);
  if (!res.rows[0]) throw new AgencyNotFound('no such agency');
  return toAgency(res.rows[0]);
}

async function loadByFingerprint(db: Queryable, fingerprint: string): Promise<FingerprintLookup | null> {
  if (!FINGERPRINT.test(fingerprint)) return null;
  const res = await db.query<AgencyRow & { c_serial: string; c_fingerprint256: string; c_not_before: Date;
    c_not_after: Date; c_issued_at: Date; c_revoked_at: Date | null; c_revocation_reason: string | null }>(
    `SELECT a.*, c.serial AS c_serial, c.fingerprint256 AS c_fingerprint256, c.not_before AS c_not_before,
            c.not_after AS c_not_after, c.issued_at AS c_issued_at, c.revoked_at AS c_revoked_at,
            c.revocation_reason AS c_revocation_reason
       FROM agency_certificates c JOIN agencies a ON a.id = c.agency_id
      WHERE c.fingerprint256 = $1`,
    [fingerprint],
  );
  const r = res.rows[0];
  if (!r) return null;
  return {
    agency: toAgency(r),
    certificate: toCertificate({
      serial: r.c_serial, agency_id: r.id, fingerprint256: r.c_fingerprint256, not_before: r.c_not_before,
      not_after: r.c_not_after, issued_at: r.c_issued_at, revoked_at: r.c_revoked_at,
      revocation_reason: r.c_revocation_reason,
    }),
  };
}

interface AgencyRow {
  id: string;
  name: string;
  type: string;
  delivery_mode: string;
  push_url: string | null;
  marac_area: string | null;
  created_at: Date;
  disabled_at: Date | null;
}

interface CertificateRow {
  serial: string;
  agency_id: string;
  fingerprint256: string;
  not_before: Date;
  not_after: Date;
  issued_at: Date;
  revoked_at: Date | null;
  revocation_reason: string | null;
}

function toAgency(r: AgencyRow): Agency {
  return {
    id: r.id,
    name: r.name,
    type: r.type as AgencyType,
    deliveryMode: r.delivery_mode as DeliveryMode,
    pushUrl: r.push_url,
    maracArea: r.marac_area,
    createdAt: r.created_at,
    disabledAt: r.disabled_at,
  };
}

function toCertificate(r: CertificateRow): CertificateRecord {
  return {
    serialHex: r.serial,
    agencyId: r.agency_id,
    fingerprint256: r.fingerprint256,
    notBefore: r.not_before,
    notAfter: r.not_after,
    issuedAt: r.issued_at,
    revokedAt: r.revoked_at,
    revocationReason: r.revocation_reason as RevocationReason | null,
  };
}
