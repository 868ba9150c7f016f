/**
 * The agreement lifecycle: draft → approved (by a second IG officer) → active → suspended /
 * expired; activating a version supersedes the one in force. Every change is one transaction that
 * also appends its audit event, so a failed change leaves neither row nor event.
 *
 * For the exchange, `releaseState`, `pinnedRelease`, `activeCompiled` and `compiledVersion`
 * re-read the status from the database on every call (a suspension takes effect on the next
 * message) and reuse cached compiled plans.
 *
 * The kill switch (issue 12): the version in force (the one activated last) speaks for the whole
 * agreement, so suspending or expiring it stops release under every version; any version that was
 * in force can also be suspended or expired on its own. Suspending and removing a party need a
 * reason and a confirmation; undoing either needs a second IG officer, as approval does.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { canonicalize } from '../../audit/jcs.js';
import { Forbidden } from '../../errors.js';
import type { AuditAction, AuditLog } from '../../audit/types.js';
import type { Principal, SystemPrincipal } from '../../identity/principal.js';
import { withTx, type Queryable, type Tx } from '../../store/db.js';
import { agreementInstant } from '../dates.js';
import {
  validateAgreement,
  type Agreement, type AgreementStatus, type CompiledAgreement, type FieldCatalog, type Guardrails, type ValidationProblem,
} from '../index.js';
import * as repo from '../store/agreement-repo.js';
import type { VersionRecord, VersionStatus, VersionSummary } from '../store/agreement-repo.js';
import { actorId, assertMayChangeAgreements } from './actor.js';
import { formatAgreement, readAgreementText, withoutVersion, asAgreementObject } from './codec.js';
import { createCompiledCache } from './compiled-cache.js';
import { diffAgreements, type AgreementDiff } from './diff.js';
import {
  AgreementIdInvalid, AgreementInvalid, AgreementNotActive, AgreementNotApproved, AgreementNotDraft, AgreementNotFound,
  AgreementNotSuspended, AgreementVersionNotFound, ConfirmationRequired, InvalidAgreementTransition, MakerCheckerViolation,
  NotAParty, PartyAlreadyRemoved, PartyNotRemoved, ReasonRequired,
} from './errors.js';
import { previewAgreement, type PreviewInput, type PreviewResult } from './preview.js';

export interface AgreementServiceOptions {
  pool: pg.Pool;
  audit: AuditLog;
  catalog: FieldCatalog;
  guardrails: Guardrails;
  now: () => Date;
  /** Key for pseudonyms shown in previews. Default: random per process (previews are illustrations). */
  previewHmacKey?: Buffer;
}

export interface AgreementListing {
  id: string;
  title: string;
  createdAt: Date;
  activeVersion: number | null;
  latestVersion: number;
  versions: VersionSummary[];
  /** Parties an IG officer removed (standing removals), on the single-agreement read. */
  removedParties?: repo.PartyRemoval[];
}

/** What a kill-switch action must carry: the officer's reason, and `confirm: true`. */
export interface KillSwitchInput {
  reason?: unknown;
  confirm?: unknown;
}

/** For the exchange: versions in force (any status) and removed parties, read now. */
export interface ReleaseState {
  inForce: CompiledAgreement[];
  removed: Map<string, Set<string>>;
}

export interface PinnedRelease {
  pinned?: CompiledAgreement;
  inForce?: CompiledAgreement;
  removed: Set<string>;
}

export interface SavedDraft {
  version: VersionRecord;
  /** Validation problems of the saved document: drafts may be saved with problems, not approved. */
  problems: ValidationProblem[];
}

export interface ValidationResult {
  agreementId: string;
  version: number;
  valid: boolean;
  problems: ValidationProblem[];
}

export interface SeedResult {
  file: string;
  agreementId: string;
  version: number | null;
  action: 'seeded' | 'skipped';
}

const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
const SEED_CREATOR: SystemPrincipal = { kind: 'system', component: 'policy-seed' };
/** The deployment's change control stands in for the second officer on seeded files. */
const SEED_APPROVER: SystemPrincipal = { kind: 'system', component: 'deployment' };

export function digestOf(doc: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalize(doc)).digest('hex');
}

/** Superseded versions only ever reach decide through a pin, where they still apply (DESIGN §5). */
function engineStatus(s: VersionStatus): AgreementStatus {
  return s === 'superseded' ? 'active' : s;
}

function checkId(doc: Record<string, unknown>, expected?: string): string {
  const id = doc.id;
  if (typeof id !== 'string' || !SLUG.test(id)) {
    throw new AgreementIdInvalid('The agreement needs an id: lower-case letters, digits and hyphens', {
      problems: [{ path: '/id', code: 'INVALID_ID', message: 'expected a slug such as essex-marat' }],
    });
  }
  if (expected !== undefined && id !== expected) {
    throw new AgreementIdInvalid(`The document's id is ${id}, not ${expected}`, {
      problems: [{ path: '/id', code: 'ID_MISMATCH', message: `must be ${expected}` }],
    });
  }
  return id;
}

function titleOf(doc: Record<string, unknown>, id: string): string {
  return typeof doc.title === 'string' && doc.title.trim() !== '' ? doc.title.slice(0, 200) : id;
}

function positiveInt(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 1;
}

const MAX_REASON = 2000;
const AGENCY = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** The reason and the confirmation a kill-switch action needs, checked before anything is read. */
function checkKillSwitch(input: KillSwitchInput | undefined, what: string): string {
  const reason = typeof input?.reason === 'string' ? input.reason.trim() : '';
  if (reason === '' || reason.length > MAX_REASON) {
    throw new ReasonRequired(`Give the reason to ${what} (up to ${MAX_REASON} characters)`, {
      problems: [{ path: '/reason', code: 'REASON_REQUIRED', message: 'the reason is recorded with the change' }],
    });
  }
  if (input?.confirm !== true) {
    throw new ConfirmationRequired(`Confirm that you mean to ${what}: sharing stops at once`, {
      problems: [{ path: '/confirm', code: 'CONFIRMATION_REQUIRED', message: 'must be true' }],
    });
  }
  return reason;
}

/** The audit log holds the reason's digest, never its words (free text may name people). */
function reasonDigest(reason: string): string {
  return `sha256:${createHash('sha256').update(reason, 'utf8').digest('hex')}`;
}

function checkAgency(agencyId: string): string {
  if (!AGENCY.test(agencyId)) throw new NotAParty(`No party ${agencyId}`);
  return agencyId;
}

export function createAgreementService(opts: AgreementServiceOptions) {
  const { pool, audit, catalog, guardrails, now } = opts;
  const previewKey = opts.previewHmacKey ?? randomBytes(32);
  const cache = createCompiledCache({ catalog, guardrails });

  async function event(tx: Tx, actor: Principal, action: AuditAction, id: string, version: number, detail?: Record<string, string | number | boolean | null>) {
    await audit.append(tx, { action, actor, agreementId: id, agreementVersion: version, ...(detail ? { detail } : {}) });
  }

  async function mustFind(q: Queryable, id: string, version: number, forUpdate = false): Promise<VersionRecord> {
    if (!positiveInt(version)) throw new AgreementVersionNotFound(`No version ${version} of agreement ${id}`);
    const v = await repo.findVersion(q, id, version, forUpdate);
    if (v) return v;
    if (!(await repo.findAgreement(q, id))) throw new AgreementNotFound(`No agreement ${id}`);
    throw new AgreementVersionNotFound(`No version ${version} of agreement ${id}`);
  }

  /** Docs of other agreements in force or approved: a version must not disagree with them on a shared flow. */
  async function otherAgreements(q: Queryable, id: string): Promise<Agreement[]> {
    const { rows } = await q.query<{ doc_text: string }>(
      `SELECT doc_text FROM agreement_versions WHERE agreement_id <> $1 AND status = 'active'`,
      [id],
    );
    return rows.map((r) => JSON.parse(r.doc_text) as Agreement);
  }

  async function problemsOf(q: Queryable, id: string, doc: Record<string, unknown>): Promise<ValidationProblem[]> {
    return validateAgreement(doc, { catalog, guardrails, existing: await otherAgreements(q, id) });
  }

  async function createDraftTx(tx: Tx, actor: Principal, raw: Record<string, unknown>): Promise<SavedDraft> {
    const doc = withoutVersion(asAgreementObject(raw));
    const id = checkId(doc);
    const at = now();
    const created = await repo.insertAgreementIfNew(tx, id, titleOf(doc, id), at);
    // Lock the agreement row: version numbers are handed out one at a time.
    await repo.findAgreement(tx, id, true);
    const version = await repo.nextVersionNumber(tx, id);
    await repo.insertDraft(tx, { agreementId: id, version, doc, docDigest: digestOf(doc), createdBy: actorId(actor), at });
    await event(tx, actor, 'AGREEMENT_CREATED', id, version, { newAgreement: created });
    const saved = await mustFind(tx, id, version);
    return { version: saved, problems: await problemsOf(tx, id, doc) };
  }

  async function approveTx(tx: Tx, actor: Principal, id: string, version: number): Promise<VersionRecord> {
    const who = actorId(actor);
    const v = await mustFind(tx, id, version, true);
    if (v.status !== 'draft') throw new AgreementNotDraft(`Version ${version} of ${id} is ${v.status}; only drafts can be approved`);
    if (v.authors.includes(who)) {
      throw new MakerCheckerViolation('A version must be approved by an IG officer who did not write or edit it');
    }
    const problems = await problemsOf(tx, id, v.doc);
    if (problems.length > 0) throw new AgreementInvalid(`Version ${version} of ${id} has ${problems.length} problem(s)`, { problems });
    await repo.markApproved(tx, id, version, who, now());
    await event(tx, actor, 'AGREEMENT_APPROVED', id, version);
    return mustFind(tx, id, version);
  }

  async function activateTx(tx: Tx, actor: Principal, id: string, version: number): Promise<VersionRecord> {
    // Lock the agreement first: two activations of the same agreement run one after the other.
    if (!(await repo.findAgreement(tx, id, true))) throw new AgreementNotFound(`No agreement ${id}`);
    const v = await mustFind(tx, id, version, true);
    if (v.status !== 'approved') throw new AgreementNotApproved(`Version ${version} of ${id} is ${v.status}; only approved versions can be activated`);
    // Catalog, guardrails or other agreements may have changed since approval: check again.
    const problems = await problemsOf(tx, id, v.doc);
    if (problems.length > 0) throw new AgreementInvalid(`Version ${version} of ${id} has ${problems.length} problem(s)`, { problems });
    await cache.get(id, version, v.docDigest, 'active', async () => v.doc);
    const at = now();
    const previous = await repo.findActive(tx, id, true);
    if (previous) await repo.markSuperseded(tx, id, previous.version, at);
    await repo.markActive(tx, id, version, actorId(actor), at);
    await repo.updateAgreementTitle(tx, id, titleOf(v.doc, id));
    // A new version, approved by a second officer, says afresh who the parties are.
    const lifted = await repo.liftRemovals(tx, id, 'NEW_VERSION', actorId(actor), at);
    await event(tx, actor, 'AGREEMENT_ACTIVATED', id, version, {
      supersededVersion: previous?.version ?? null, ...(lifted.length ? { removalsLifted: lifted.join(',') } : {}),
    });
    return mustFind(tx, id, version);
  }

  /**
   * An IG officer with an agency claim is that agency's IG lead: they sign accessions for it, but
   * change an agreement only if their agency coordinates it (docs/decisions/0023-accession.md).
   * Read from the version in force, else the latest; a new agreement from its own document.
   */
  async function assertOfficerOf(actor: Principal, id: string | undefined, doc?: Record<string, unknown>): Promise<void> {
    if (actor.kind !== 'person' || !actor.agencyId) return;
    let parties: unknown = doc?.parties;
    if (id !== undefined && SLUG.test(id) && (await repo.findAgreement(pool, id))) {
      const at = (await repo.findInForce(pool, id))?.version ?? (await repo.nextVersionNumber(pool, id)) - 1;
      parties = at >= 1 ? (await repo.readDoc(pool, id, at))?.parties : parties;
    }
    const coordinates = Array.isArray(parties)
      && parties.some((p) => p && typeof p === 'object' && (p as Record<string, unknown>).agency === actor.agencyId && (p as Record<string, unknown>).role === 'coordinator');
    if (!coordinates) throw new Forbidden('An agency IG lead changes an agreement only if their agency coordinates it; they accede to it instead');
  }

  const service = {
    /** Saves a new draft version (version 1 of a new agreement, or the next version of an existing one). */
    async createDraft(actor: Principal, doc: unknown): Promise<SavedDraft> {
      assertMayChangeAgreements(actor);
      const plain = asAgreementObject(doc);
      await assertOfficerOf(actor, typeof plain.id === 'string' ? plain.id : undefined, plain);
      return withTx(pool, (tx) => createDraftTx(tx, actor, plain));
    },

    /** Replaces a draft's document. The editor becomes a co-author (and so cannot approve it). */
    async editDraft(actor: Principal, id: string, version: number, doc: unknown): Promise<SavedDraft> {
      assertMayChangeAgreements(actor);
      await assertOfficerOf(actor, id);
      const plain = withoutVersion(asAgreementObject(doc));
      checkId(plain, id);
      return withTx(pool, async (tx) => {
        const current = await mustFind(tx, id, version, true);
        if (current.status !== 'draft') throw new AgreementNotDraft(`Version ${version} of ${id} is ${current.status}; only drafts can be edited`);
        const at = now();
        await repo.updateDraftDoc(tx, id, version, plain, digestOf(plain), actorId(actor), at);
        await event(tx, actor, 'AGREEMENT_CHANGED', id, version);
        return { version: await mustFind(tx, id, version), problems: await problemsOf(tx, id, plain) };
      });
    },

    async validate(actor: Principal, id: string, version: number): Promise<ValidationResult> {
      assertMayChangeAgreements(actor);
      await assertOfficerOf(actor, id);
      return withTx(pool, async (tx) => {
        const v = await mustFind(tx, id, version);
        const problems = await problemsOf(tx, id, v.doc);
        await event(tx, actor, 'AGREEMENT_VALIDATED', id, version, { valid: problems.length === 0, problemCount: problems.length });
        return { agreementId: id, version, valid: problems.length === 0, problems };
      });
    },

    async diff(id: string, fromVersion: number, toVersion: number): Promise<AgreementDiff> {
      const a = await mustFind(pool, id, fromVersion);
      const b = await mustFind(pool, id, toVersion);
      return diffAgreements(id, { version: a.version, doc: a.doc }, { version: b.version, doc: b.doc });
    },

    /** What each other party would receive from the sample response under this version. */
    async preview(id: string, version: number, sampleResponse: unknown, subjectFacts: unknown, extra: Omit<PreviewInput, 'sampleResponse' | 'subjectFacts'> = {}): Promise<PreviewResult> {
      const v = await mustFind(pool, id, version);
      const compiled = await cache.get(id, version, v.docDigest, engineStatus(v.status), async () => v.doc);
      if (!compiled) throw new AgreementVersionNotFound(`No version ${version} of agreement ${id}`);
      return previewAgreement(compiled, { sampleResponse, subjectFacts, ...extra }, { now: now(), hmacKey: previewKey });
    },

    /** Maker-checker: nobody who wrote the version may approve it; it must validate clean. */
    async approve(actor: Principal, id: string, version: number): Promise<VersionRecord> {
      assertMayChangeAgreements(actor);
      await assertOfficerOf(actor, id);
      return withTx(pool, (tx) => approveTx(tx, actor, id, version));
    },

    /** Puts an approved version in force; the version in force before it is superseded. */
    async activate(actor: Principal, id: string, version: number): Promise<VersionRecord> {
      assertMayChangeAgreements(actor);
      await assertOfficerOf(actor, id);
      return withTx(pool, (tx) => activateTx(tx, actor, id, version));
    },

    /**
     * Inside the caller's transaction (accession, docs/decisions/0023-accession.md): a new version
     * written by `maker` from `doc`, approved by `checker` (maker-checker, validation) and put in
     * force by `checker`, each step with its usual audit event. Any failure rolls back all of it.
     */
    async deriveAndActivateTx(tx: Tx, maker: Principal, checker: Principal, doc: Record<string, unknown>): Promise<VersionRecord> {
      assertMayChangeAgreements(maker);
      assertMayChangeAgreements(checker);
      const saved = await createDraftTx(tx, maker, doc);
      const { agreementId, version } = saved.version;
      await approveTx(tx, checker, agreementId, version);
      return activateTx(tx, checker, agreementId, version);
    },

    /**
     * Stops a version at once: the next message under it is refused. Suspending the version in
     * force stops the whole agreement (every version, pinned research included); a superseded
     * version can be suspended on its own. Needs a reason and `confirm: true`.
     */
    async suspend(actor: Principal, id: string, version: number, input?: KillSwitchInput): Promise<VersionRecord> {
      assertMayChangeAgreements(actor);
      await assertOfficerOf(actor, id);
      const reason = checkKillSwitch(input, 'suspend the agreement');
      return withTx(pool, async (tx) => {
        if (!(await repo.findAgreement(tx, id, true))) throw new AgreementNotFound(`No agreement ${id}`);
        const v = await mustFind(tx, id, version, true);
        if (v.status !== 'active' && v.status !== 'superseded') {
          throw new AgreementNotActive(`Version ${version} of ${id} is ${v.status}; only a version that is or was in force can be suspended`);
        }
        const inForce = await repo.findInForce(tx, id);
        await repo.markSuspended(tx, id, version, actorId(actor), now(), reason, v.status);
        await event(tx, actor, 'AGREEMENT_SUSPENDED', id, version, {
          reasonDigest: reasonDigest(reason), suspendedFrom: v.status, wholeAgreement: inForce?.version === version,
        });
        return mustFind(tx, id, version);
      });
    },

    /** Lifts a suspension. Maker-checker: never by the officer who suspended. */
    async resume(actor: Principal, id: string, version: number): Promise<VersionRecord> {
      assertMayChangeAgreements(actor);
      await assertOfficerOf(actor, id);
      const who = actorId(actor);
      return withTx(pool, async (tx) => {
        if (!(await repo.findAgreement(tx, id, true))) throw new AgreementNotFound(`No agreement ${id}`);
        const v = await mustFind(tx, id, version, true);
        if (v.status !== 'suspended') throw new AgreementNotSuspended(`Version ${version} of ${id} is ${v.status}; only a suspended version can be resumed`);
        if (v.suspendedBy === who) {
          throw new MakerCheckerViolation('A suspension must be lifted by an IG officer other than the one who suspended');
        }
        // Back to what it was, unless another version has been put in force meanwhile.
        const from = await repo.readSuspendedFrom(tx, id, version);
        const inForce = await repo.findInForce(tx, id);
        const to = from !== 'superseded' && inForce?.version === version ? 'active' : 'superseded';
        await repo.markResumed(tx, id, version, who, now(), to);
        await event(tx, actor, 'AGREEMENT_RESUMED', id, version, { resumedTo: to });
        return mustFind(tx, id, version);
      });
    },

    /**
     * Removes a party from the agreement at once (after a partner's breach, say): nothing is
     * released to or from it under any version until a second IG officer restores it or a new
     * version is activated. Needs a reason and `confirm: true`.
     */
    async removeParty(actor: Principal, id: string, agencyId: string, input?: KillSwitchInput): Promise<repo.PartyRemoval> {
      assertMayChangeAgreements(actor);
      await assertOfficerOf(actor, id);
      checkAgency(agencyId);
      const reason = checkKillSwitch(input, 'remove the party');
      return withTx(pool, async (tx) => {
        if (!(await repo.findAgreement(tx, id, true))) throw new AgreementNotFound(`No agreement ${id}`);
        if (!(await repo.isPartyOfAnyVersion(tx, id, agencyId))) throw new NotAParty(`${agencyId} is not a party of any version of ${id} put in force`);
        const at = now();
        if (!(await repo.insertRemoval(tx, id, agencyId, reason, actorId(actor), at))) {
          throw new PartyAlreadyRemoved(`${agencyId} is already removed from ${id}`);
        }
        const inForce = await repo.findInForce(tx, id);
        await audit.append(tx, {
          action: 'AGREEMENT_PARTY_REMOVED', actor, agreementId: id, ...(inForce ? { agreementVersion: inForce.version } : {}),
          agencyIds: [agencyId], detail: { reasonDigest: reasonDigest(reason) },
        });
        return (await repo.findStandingRemoval(tx, id, agencyId))!;
      });
    },

    /** Restores a removed party. Maker-checker: never by the officer who removed it. */
    async restoreParty(actor: Principal, id: string, agencyId: string): Promise<{ agreementId: string; agencyId: string; restored: true }> {
      assertMayChangeAgreements(actor);
      await assertOfficerOf(actor, id);
      checkAgency(agencyId);
      const who = actorId(actor);
      return withTx(pool, async (tx) => {
        if (!(await repo.findAgreement(tx, id, true))) throw new AgreementNotFound(`No agreement ${id}`);
        const removal = await repo.findStandingRemoval(tx, id, agencyId);
        if (!removal) throw new PartyNotRemoved(`${agencyId} is not removed from ${id}`);
        if (removal.removedBy === who) throw new MakerCheckerViolation('A removed party must be restored by an IG officer other than the one who removed it');
        await repo.liftRemovals(tx, id, 'RESTORED', who, now(), agencyId);
        const inForce = await repo.findInForce(tx, id);
        await audit.append(tx, {
          action: 'AGREEMENT_PARTY_RESTORED', actor, agreementId: id, ...(inForce ? { agreementVersion: inForce.version } : {}), agencyIds: [agencyId],
        });
        return { agreementId: id, agencyId, restored: true };
      });
    },

    /** Ends a version for good: approved, active, suspended or superseded (research pinned to it too). */
    async expire(actor: Principal, id: string, version: number): Promise<VersionRecord> {
      assertMayChangeAgreements(actor);
      await assertOfficerOf(actor, id);
      return withTx(pool, async (tx) => {
        const v = await mustFind(tx, id, version, true);
        if (v.status !== 'approved' && v.status !== 'active' && v.status !== 'suspended' && v.status !== 'superseded') {
          throw new InvalidAgreementTransition(`Version ${version} of ${id} is ${v.status}; it cannot be expired`);
        }
        await repo.markExpired(tx, id, version, actorId(actor), now());
        await event(tx, actor, 'AGREEMENT_EXPIRED', id, version);
        return mustFind(tx, id, version);
      });
    },

    /**
     * Marks as expired every approved, active, suspended or superseded version whose `expiresAt` has passed
     * (for a repeatable job; decisions already refuse them by date). Returns how many.
     */
    async expireDue(actor: Principal = { kind: 'system', component: 'agreement-expiry' }): Promise<number> {
      const { rows } = await pool.query<{ agreement_id: string; version: number; expires: string | null }>(
        `SELECT agreement_id, version, doc->>'expiresAt' AS expires FROM agreement_versions
          WHERE status IN ('approved', 'active', 'suspended', 'superseded')`,
      );
      const t = now().getTime();
      let n = 0;
      for (const r of rows) {
        const at = agreementInstant(r.expires);
        if (at === undefined || at > t) continue;
        try {
          await service.expire(actor, r.agreement_id, r.version);
          n++;
        } catch (e) {
          // Changed under us (suspended, expired by someone else): the next run sees the new state.
          if (!(e instanceof InvalidAgreementTransition)) throw e;
        }
      }
      return n;
    },

    async list(): Promise<AgreementListing[]> {
      const [agreements, versions] = await Promise.all([repo.listAgreements(pool), repo.listVersions(pool)]);
      const byId = new Map<string, VersionSummary[]>();
      for (const v of versions) {
        const list = byId.get(v.agreementId) ?? [];
        list.push(v);
        byId.set(v.agreementId, list);
      }
      return agreements.map((a) => {
        const vs = byId.get(a.id) ?? [];
        return {
          ...a,
          activeVersion: vs.find((v) => v.status === 'active')?.version ?? null,
          latestVersion: vs.reduce((m, v) => Math.max(m, v.version), 0),
          versions: vs,
        };
      });
    },

    /** One agreement with its version history. */
    async getAgreement(id: string): Promise<AgreementListing> {
      const a = await repo.findAgreement(pool, id);
      if (!a) throw new AgreementNotFound(`No agreement ${id}`);
      const [vs, removedParties] = await Promise.all([repo.listVersions(pool, id), repo.listRemovals(pool, id)]);
      return {
        ...a,
        activeVersion: vs.find((v) => v.status === 'active')?.version ?? null,
        latestVersion: vs.reduce((m, v) => Math.max(m, v.version), 0),
        versions: vs,
        removedParties,
      };
    },

    /** A version with its document; without a version, the active one, else the latest. */
    async get(id: string, version?: number): Promise<VersionRecord> {
      if (version !== undefined) return mustFind(pool, id, version);
      const active = await repo.findActive(pool, id);
      if (active) return mustFind(pool, id, active.version);
      const latest = await repo.nextVersionNumber(pool, id) - 1;
      if (latest < 1) throw new AgreementNotFound(`No agreement ${id}`);
      return mustFind(pool, id, latest);
    },

    /** Imports a YAML or JSON agreement file as a new draft. */
    async importFile(actor: Principal, text: string): Promise<SavedDraft> {
      assertMayChangeAgreements(actor);
      const doc = readAgreementText(text);
      await assertOfficerOf(actor, typeof doc.id === 'string' ? doc.id : undefined, doc);
      return withTx(pool, (tx) => createDraftTx(tx, actor, doc));
    },

    async exportVersion(id: string, version: number, format: 'yaml' | 'json'): Promise<string> {
      const v = await mustFind(pool, id, version);
      const header = `${id} version ${version} (${v.status}), sha256 ${v.docDigest}`;
      return formatAgreement(v.doc, version, format, header);
    },

    /** Every version in force, compiled. The status is read now; plans come from the cache. */
    /** `q`: the caller's transaction client when inside one (never take a second connection). */
    async activeCompiled(q: Queryable = pool): Promise<CompiledAgreement[]> {
      const keys = await repo.listActiveKeys(q);
      const out: CompiledAgreement[] = [];
      for (const k of keys) {
        const c = await cache.get(k.agreementId, k.version, k.docDigest, 'active', () => repo.readDoc(q, k.agreementId, k.version));
        if (c) out.push(c);
      }
      return out;
    },

    /**
     * For decisions not pinned to a version: every agreement's version in force, whatever its
     * status (a suspended one explains a refusal; only an active one permits), and the parties
     * removed from each. One statement; plans from the cache.
     */
    async releaseState(q: Queryable = pool): Promise<ReleaseState> {
      const rows = await repo.listInForce(q);
      const inForce: CompiledAgreement[] = [];
      const removed = new Map<string, Set<string>>();
      for (const r of rows) {
        const k = r.inForce;
        const c = await cache.get(k.agreementId, k.version, k.docDigest, engineStatus(k.status), () => repo.readDoc(q, k.agreementId, k.version));
        if (c) inForce.push(c);
        if (r.removed.length) removed.set(k.agreementId, new Set(r.removed));
      }
      return { inForce, removed };
    },

    /**
     * For a decision pinned to one version: that version, the agreement's version in force (whose
     * status and parties bind every version) and the removed parties, read now in one statement.
     * `current`: the pinned version's status as the caller read it in its own transaction.
     */
    async pinnedRelease(
      id: string, version: number, q: Queryable = pool,
      current?: { status: string; docDigest: string; release?: { inForce?: { version: number; status: string; docDigest: string }; removed: string[] } },
    ): Promise<PinnedRelease> {
      if (!positiveInt(version)) return { removed: new Set() };
      // The caller read the release state in its own statement (the answer path): no second read.
      const given = current?.release;
      const read = given
        ? { state: given.inForce && repo.VERSION_STATUSES.includes(given.inForce.status as VersionStatus)
          ? { inForce: { agreementId: id, version: given.inForce.version, status: given.inForce.status as VersionStatus, docDigest: given.inForce.docDigest }, removed: given.removed }
          : undefined }
        : await repo.readPinnedRelease(q, id, version);
      const known = current && repo.VERSION_STATUSES.includes(current.status as VersionStatus)
        ? { status: current.status as VersionStatus, docDigest: current.docDigest } : undefined;
      const p = current ? known : read.pinned;
      const pinned = p ? await cache.get(id, version, p.docDigest, engineStatus(p.status), () => repo.readDoc(q, id, version)) : undefined;
      const f = read.state?.inForce;
      const inForce = f
        ? (f.version === version && pinned ? pinned : await cache.get(id, f.version, f.docDigest, engineStatus(f.status), () => repo.readDoc(q, id, f.version)))
        : undefined;
      return { ...(pinned ? { pinned } : {}), ...(inForce ? { inForce } : {}), removed: new Set(read.state?.removed ?? []) };
    },

    /**
     * One version, compiled, carrying its status as of this call (for decisions pinned to it).
     * A superseded version is presented as active: it is only ever reached through a pin.
     */
    async compiledVersion(
      id: string, version: number, q: Queryable = pool, current?: { status: string; docDigest: string },
    ): Promise<CompiledAgreement | undefined> {
      if (!positiveInt(version)) return undefined;
      // `current`: the status the caller read in its own transaction just now (one round trip less
      // on the answer path); anything but a known status counts as no such version.
      const known = current && repo.VERSION_STATUSES.includes(current.status as VersionStatus)
        ? { status: current.status as VersionStatus, docDigest: current.docDigest } : undefined;
      const s = current ? known : await repo.readStatus(q, id, version);
      if (!s) return undefined;
      return cache.get(id, version, s.docDigest, engineStatus(s.status), () => repo.readDoc(q, id, version));
    },

    /**
     * The embedded default: imports `*.yaml|*.yml|*.json` from a directory (not guardrails) as
     * active versions. Only agreements the store has never seen are imported, so re-running is a
     * no-op and never overrides what IG officers have done since. A seeded file must validate clean.
     */
    async seedFromDirectory(dir: string): Promise<SeedResult[]> {
      const files = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/i.test(f) && !/^guardrails\./i.test(f)).sort();
      const results: SeedResult[] = [];
      for (const file of files) {
        const doc = withoutVersion(readAgreementText(await readFile(path.join(dir, file), 'utf8')));
        const id = checkId(doc);
        const result = await withTx(pool, async (tx): Promise<SeedResult> => {
          if (!(await repo.insertAgreementIfNew(tx, id, titleOf(doc, id), now()))) {
            return { file, agreementId: id, version: null, action: 'skipped' };
          }
          const problems = await problemsOf(tx, id, doc);
          if (problems.length > 0) throw new AgreementInvalid(`${file}: ${problems.length} problem(s)`, { problems });
          const at = now();
          await repo.insertSeeded(tx, {
            agreementId: id, version: 1, doc, docDigest: digestOf(doc),
            createdBy: actorId(SEED_CREATOR), approvedBy: actorId(SEED_APPROVER), at,
          });
          await event(tx, SEED_CREATOR, 'AGREEMENT_CREATED', id, 1, { seededFrom: file });
          await event(tx, SEED_APPROVER, 'AGREEMENT_APPROVED', id, 1, { seededFrom: file });
          await event(tx, SEED_APPROVER, 'AGREEMENT_ACTIVATED', id, 1, { seededFrom: file, supersededVersion: null });
          return { file, agreementId: id, version: 1, action: 'seeded' };
        });
        results.push(result);
      }
      return results;
    },

    /** How many compiled plans are cached (for metrics and tests). */
    cachedPlans: () => cache.size(),
  };
  return service;
}

export type AgreementService = ReturnType<typeof createAgreementService>;
