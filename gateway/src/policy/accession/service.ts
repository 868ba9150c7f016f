/**
 * Accession (docs/decisions/0023-accession.md): a provider joins, or leaves, an agreement in force
 * without a new drafting round. Its IG lead (ig_officer with the agency claim) reads the terms for
 * its type and signs: who, when, which version and that version's digest. An IG officer of the
 * agreement (no agency claim, or the coordinating agency's) approves or refuses, never the
 * signatory. Approval derives a new version from the one signed, with the party added (or
 * removed), and puts it in force through the agreement lifecycle (validation, maker-checker,
 * activation and their audit events) in the same transaction as the accession's own event.
 */
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { AuditLog } from '../../audit/types.js';
import { ValidationFailed } from '../../errors.js';
import type { Agency } from '../../identity/agency-types.js';
import { AgencyIsDisabled, AgencyNotFound } from '../../identity/errors.js';
import type { PersonPrincipal, Principal, SystemPrincipal } from '../../identity/principal.js';
import { withTx, type Queryable } from '../../store/db.js';
import { actorId } from '../lifecycle/actor.js';
import { AgreementNotActive, AgreementNotFound, NotAParty } from '../lifecycle/errors.js';
import type { AgreementService } from '../lifecycle/service.js';
import * as repo from '../store/agreement-repo.js';
import type { Agreement, Party } from '../types.js';
import {
  AccessionAlreadyDecided, AccessionNotFound, AccessionPending, AccessionSelfDecision, AccessionTermsChanged, AlreadyAParty,
  CoordinatorCannotWithdraw, NoFlowsForType, NotAgencyIgLead, NotAgreementOfficer, PartyRemovalStanding,
} from './errors.js';
import { hasFlowsForType, termsFor, type AgreementTerms } from './terms.js';

export type AccessionKind = 'JOIN' | 'WITHDRAW';
export type AccessionStatus = 'REQUESTED' | 'APPROVED' | 'REFUSED';

export interface Accession {
  id: string;
  agreementId: string;
  agencyId: string;
  kind: AccessionKind;
  status: AccessionStatus;
  basedOnVersion: number;
  basedOnDigest: string;
  signedBy: string;
  signedByName: string;
  signedAt: Date;
  decidedBy: string | null;
  decidedByName: string | null;
  decidedAt: Date | null;
  refusalReason: string | null;
  resultingVersion: number | null;
}

export interface AccessionTermsView {
  agreementId: string;
  version: number;
  digest: string;
  status: string;
  isParty: boolean;
  isCoordinator: boolean;
  terms: AgreementTerms;
  /** The parties of the version in force (to name who receives what). */
  parties: Party[];
  /** The open request for this agency, if any. */
  open: Accession | null;
}

export interface AccessionServiceOptions {
  pool: pg.Pool;
  audit: AuditLog;
  agreements: Pick<AgreementService, 'deriveAndActivateTx'>;
  registry: { getAgency(id: string, q?: Queryable): Promise<Agency | null> };
  now: () => Date;
}

const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
const ACCESSION_ID = /^acc_[0-9a-f]{32}$/;
const DIGEST = /^[0-9a-f]{64}$/;
const MAX_REASON = 2000;
const MAKER: SystemPrincipal = { kind: 'system', component: 'accession' };

function digestOfReason(reason: string): string {
  return `sha256:${createHash('sha256').update(reason, 'utf8').digest('hex')}`;
}

/** The IG lead of an agency: ig_officer with the agency claim. */
export function igLeadAgency(p: Principal): string | undefined {
  return p.kind === 'person' && p.roles.includes('ig_officer') && p.agencyId ? p.agencyId : undefined;
}

/** An IG officer of this agreement: ig_officer without an agency claim, or of its coordinating party. */
export function isAgreementOfficer(p: Principal, doc: Pick<Agreement, 'parties'>): boolean {
  if (p.kind !== 'person' || !p.roles.includes('ig_officer')) return false;
  if (!p.agencyId) return true;
  return doc.parties.some((x) => x.agency === p.agencyId && x.role === 'coordinator');
}

export function createAccessionService(opts: AccessionServiceOptions) {
  const { pool, audit, agreements, registry, now } = opts;

  async function inForce(q: Queryable, id: string, lock: boolean): Promise<{ version: number; status: string; digest: string; doc: Agreement }> {
    if (!SLUG.test(id)) throw new AgreementNotFound(`No agreement ${id}`);
    if (lock && !(await repo.findAgreement(q, id, true))) throw new AgreementNotFound(`No agreement ${id}`);
    const f = await repo.findInForce(q, id);
    if (!f) {
      if (!(await repo.findAgreement(q, id))) throw new AgreementNotFound(`No agreement ${id}`);
      throw new AgreementNotActive(`Agreement ${id} has no version in force`);
    }
    const v = await repo.findVersion(q, id, f.version);
    return { version: f.version, status: f.status, digest: f.docDigest, doc: v!.doc as unknown as Agreement };
  }

  async function findOne(q: Queryable, agreementId: string, accessionId: string, lock = false): Promise<Accession> {
    if (!ACCESSION_ID.test(accessionId)) throw new AccessionNotFound('No such accession');
    const { rows } = await q.query<Row>(
      `SELECT * FROM agreement_accessions WHERE id = $1 AND agreement_id = $2${lock ? ' FOR UPDATE' : ''}`, [accessionId, agreementId],
    );
    if (!rows[0]) throw new AccessionNotFound('No such accession');
    return toAccession(rows[0]);
  }

  async function openFor(q: Queryable, agreementId: string, agencyId: string): Promise<Accession | null> {
    const { rows } = await q.query<Row>(
      `SELECT * FROM agreement_accessions WHERE agreement_id = $1 AND agency_id = $2 AND status = 'REQUESTED'`, [agreementId, agencyId],
    );
    return rows[0] ? toAccession(rows[0]) : null;
  }

  async function agencyOf(q: Queryable, agencyId: string): Promise<Agency> {
    const agency = await registry.getAgency(agencyId, q);
    if (!agency) throw new AgencyNotFound('Your agency is not registered with the gateway; ask the administrator to register it');
    return agency;
  }

  function decider(actor: Principal, a: Accession, doc: Agreement): PersonPrincipal {
    if (!isAgreementOfficer(actor, doc)) throw new NotAgreementOfficer('Only an IG officer of the agreement may decide an accession');
    if (actorId(actor) === a.signedBy) throw new AccessionSelfDecision('The person who signed an accession may not decide it');
    if (a.status !== 'REQUESTED') throw new AccessionAlreadyDecided(`This accession was already ${a.status.toLowerCase()}`);
    return actor as PersonPrincipal;
  }

  return {
    /** The agreement in force as it applies to the signed-in IG lead's agency. */
    async terms(actor: Principal, agreementId: string): Promise<AccessionTermsView> {
      const agencyId = igLeadAgency(actor);
      if (!agencyId) throw new NotAgencyIgLead('Only an agency IG lead (with the agency claim) reads the terms for their agency');
      const agency = await agencyOf(pool, agencyId);
      const f = await inForce(pool, agreementId, false);
      const party = f.doc.parties.find((p) => p.agency === agency.id);
      return {
        agreementId, version: f.version, digest: f.digest, status: f.status,
        isParty: !!party, isCoordinator: party?.role === 'coordinator',
        terms: termsFor(f.doc, agency.id, agency.type),
        parties: f.doc.parties,
        open: await openFor(pool, agreementId, agency.id),
      };
    },

    /** The IG lead signs: to join (JOIN) or leave (WITHDRAW) the version they read (its digest). */
    async request(actor: Principal, agreementId: string, input: { kind?: unknown; version?: unknown; digest?: unknown }): Promise<Accession> {
      const agencyId = igLeadAgency(actor);
      if (!agencyId) throw new NotAgencyIgLead('Only an agency IG lead (with the agency claim) signs for their agency');
      const person = actor as PersonPrincipal;
      const problems = [];
      if (input.kind !== 'JOIN' && input.kind !== 'WITHDRAW') problems.push({ path: '/kind', code: 'enum', message: 'JOIN or WITHDRAW' });
      if (typeof input.version !== 'number' || !Number.isSafeInteger(input.version) || input.version < 1) {
        problems.push({ path: '/version', code: 'type', message: 'the version read, a positive whole number' });
      }
      if (typeof input.digest !== 'string' || !DIGEST.test(input.digest)) problems.push({ path: '/digest', code: 'pattern', message: 'the SHA-256 digest of the version read' });
      if (problems.length) throw new ValidationFailed('Invalid accession', { problems });
      const kind = input.kind as AccessionKind;
      return withTx(pool, async (tx) => {
        const f = await inForce(tx, agreementId, true);
        if (f.status !== 'active') throw new AgreementNotActive(`Agreement ${agreementId} is ${f.status}; only an agreement in force can be acceded to`);
        if (f.version !== input.version || f.digest !== input.digest) {
          throw new AccessionTermsChanged('The agreement in force is not the version you read: read it again before signing');
        }
        const agency = await agencyOf(tx, agencyId);
        if (agency.disabledAt) throw new AgencyIsDisabled('Your agency is disabled');
        const party = f.doc.parties.find((p) => p.agency === agency.id);
        if (kind === 'JOIN') {
          if (party) throw new AlreadyAParty(`${agency.id} is already a party to ${agreementId}`);
          if (!hasFlowsForType(f.doc, agency.type)) throw new NoFlowsForType(`${agreementId} has no flows for agencies of type ${agency.type}`);
        } else {
          if (!party) throw new NotAParty(`${agency.id} is not a party to ${agreementId}`);
          if (party.role === 'coordinator') throw new CoordinatorCannotWithdraw('The coordinating party cannot withdraw from its own agreement');
        }
        if (await openFor(tx, agreementId, agency.id)) throw new AccessionPending('A request for your agency is already waiting for a decision');
        const id = `acc_${randomBytes(16).toString('hex')}`;
        const { rows } = await tx.query<Row>(
          `INSERT INTO agreement_accessions (id, agreement_id, agency_id, kind, status, based_on_version, based_on_digest, signed_by, signed_by_name, signed_at)
           VALUES ($1, $2, $3, $4, 'REQUESTED', $5, $6, $7, $8, $9) RETURNING *`,
          [id, agreementId, agency.id, kind, f.version, f.digest, actorId(person), person.displayName.slice(0, 200) || person.userId, now()],
        );
        await audit.append(tx, {
          action: 'ACCESSION_REQUESTED', actor, agreementId, agreementVersion: f.version, agencyIds: [agency.id],
          detail: { accessionId: id, kind, docDigest: f.digest },
        });
        return toAccession(rows[0]!);
      });
    },

    /** An agreement IG officer approves: a new version with (or without) the party is put in force. */
    async approve(actor: Principal, agreementId: string, accessionId: string): Promise<Accession> {
      return withTx(pool, async (tx) => {
        const f = await inForce(tx, agreementId, true);
        const a = await findOne(tx, agreementId, accessionId, true);
        const officer = decider(actor, a, f.doc);
        if (f.version !== a.basedOnVersion || f.digest !== a.basedOnDigest) {
          throw new AccessionTermsChanged('The agreement changed since this accession was signed: refuse it, and the provider signs the version in force');
        }
        if (f.status !== 'active') throw new AgreementNotActive(`Agreement ${agreementId} is ${f.status}`);
        // A new version lifts every standing removal: an accession must not undo a kill switch by the way.
        const removed = await repo.listRemovals(tx, agreementId);
        if (removed.length > 0) {
          throw new PartyRemovalStanding(`${removed.map((r) => r.agencyId).join(', ')} stands removed from ${agreementId}: restore it, or put a version without it in force, before approving`);
        }
        const agency = await agencyOf(tx, a.agencyId);
        const { version: _v, ...base } = structuredClone(f.doc) as Agreement & { version?: number };
        const parties: Party[] = a.kind === 'JOIN'
          ? [...base.parties.filter((p) => p.agency !== agency.id), { agency: agency.id, type: agency.type, name: agency.name }]
          : base.parties.filter((p) => p.agency !== agency.id);
        const derived = await agreements.deriveAndActivateTx(tx, MAKER, officer, { ...base, parties } as unknown as Record<string, unknown>);
        const { rows } = await tx.query<Row>(
          `UPDATE agreement_accessions SET status = 'APPROVED', decided_by = $2, decided_by_name = $3, decided_at = $4, resulting_version = $5
            WHERE id = $1 RETURNING *`,
          [a.id, actorId(officer), officer.displayName.slice(0, 200) || officer.userId, now(), derived.version],
        );
        await audit.append(tx, {
          action: a.kind === 'JOIN' ? 'ACCESSION_APPROVED' : 'ACCESSION_WITHDRAWN', actor, agreementId, agreementVersion: derived.version,
          agencyIds: [a.agencyId], detail: { accessionId: a.id, kind: a.kind, basedOnVersion: a.basedOnVersion },
        });
        return toAccession(rows[0]!);
      });
    },

    /** An agreement IG officer refuses, with a reason (kept in the register; the audit log has its digest). */
    async refuse(actor: Principal, agreementId: string, accessionId: string, reasonIn: unknown): Promise<Accession> {
      const reason = typeof reasonIn === 'string' ? reasonIn.trim() : '';
      if (reason === '' || reason.length > MAX_REASON) {
        throw new ValidationFailed(`Give the reason for refusing (up to ${MAX_REASON} characters)`, {
          problems: [{ path: '/reason', code: 'REASON_REQUIRED', message: 'the reason is recorded in the accession register' }],
        });
      }
      return withTx(pool, async (tx) => {
        const f = await inForce(tx, agreementId, true);
        const a = await findOne(tx, agreementId, accessionId, true);
        const officer = decider(actor, a, f.doc);
        const { rows } = await tx.query<Row>(
          `UPDATE agreement_accessions SET status = 'REFUSED', decided_by = $2, decided_by_name = $3, decided_at = $4, refusal_reason = $5
            WHERE id = $1 RETURNING *`,
          [a.id, actorId(officer), officer.displayName.slice(0, 200) || officer.userId, now(), reason],
        );
        await audit.append(tx, {
          action: 'ACCESSION_REFUSED', actor, agreementId, agreementVersion: a.basedOnVersion, agencyIds: [a.agencyId],
          detail: { accessionId: a.id, kind: a.kind, reasonDigest: digestOfReason(reason) },
        });
        return toAccession(rows[0]!);
      });
    },

    async get(agreementId: string, accessionId: string): Promise<Accession> {
      return findOne(pool, agreementId, accessionId);
    },

    /** The accession register: every request, oldest first. */
    async register(agreementId: string): Promise<Accession[]> {
      if (!SLUG.test(agreementId) || !(await repo.findAgreement(pool, agreementId))) throw new AgreementNotFound(`No agreement ${agreementId}`);
      const { rows } = await pool.query<Row>(
        'SELECT * FROM agreement_accessions WHERE agreement_id = $1 ORDER BY seq', [agreementId],
      );
      return rows.map(toAccession);
    },
  };
}

export type AccessionService = ReturnType<typeof createAccessionService>;

/** The register as CSV (RFC 4180), for the ISA's records. Cells that a spreadsheet would run as a formula are quoted with a leading apostrophe. */
export function registerCsv(rows: Accession[]): string {
  const cell = (v: unknown): string => {
    let s = v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const head = ['accession_id', 'agency_id', 'kind', 'status', 'based_on_version', 'based_on_digest', 'signed_by', 'signed_by_name', 'signed_at',
    'decided_by', 'decided_by_name', 'decided_at', 'refusal_reason', 'resulting_version'];
  const lines = [head.join(',')];
  for (const r of rows) {
    lines.push([r.id, r.agencyId, r.kind, r.status, r.basedOnVersion, r.basedOnDigest, r.signedBy, r.signedByName, r.signedAt,
      r.decidedBy, r.decidedByName, r.decidedAt, r.refusalReason, r.resultingVersion].map(cell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

interface Row {
  id: string; agreement_id: string; agency_id: string; kind: AccessionKind; status: AccessionStatus;
  based_on_version: number; based_on_digest: string; signed_by: string; signed_by_name: string; signed_at: Date;
  decided_by: string | null; decided_by_name: string | null; decided_at: Date | null; refusal_reason: string | null; resulting_version: number | null;
}

function toAccession(r: Row): Accession {
  return {
    id: r.id, agreementId: r.agreement_id, agencyId: r.agency_id, kind: r.kind, status: r.status,
    basedOnVersion: r.based_on_version, basedOnDigest: r.based_on_digest, signedBy: r.signed_by, signedByName: r.signed_by_name,
    signedAt: r.signed_at, decidedBy: r.decided_by, decidedByName: r.decided_by_name, decidedAt: r.decided_at,
    refusalReason: r.refusal_reason, resultingVersion: r.resulting_version,
  };
}

