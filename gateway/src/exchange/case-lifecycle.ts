import { withTx, type Tx } from '../store/db.js';
import { ValidationFailed, type ProblemDetail } from '../errors.js';
import { actingAgency, type ExchangeActor } from './acting-agency.js';
import type { ExchangeDeps } from './deps.js';
import { CaseNotFound, NotACoordinator } from './errors.js';
import { CaseAlreadyOpen, CaseNotOpen, CaseSubjectUnknown } from './case-errors.js';
import { EARLIEST_DATE, latestDate, outsideDateWindow } from './date-window.js';
import { judgeRiskBasis, type StoredSubjectFacts } from './release-facts.js';
import { storedFacts, type SealedSubjects } from './case-service.js';
import type { CaseStatus } from './case-search.js';
import type { RiskBasis } from './ports.js';
import { refreshReturnFacts } from '../reporting/return-facts.js';
import { caseKeyId, sealerFor } from '../store/case-keys.js';

/**
 * A case after it opens: edited (audited, with a reason), withdrawn, closed with an outcome, and
 * reopened. Only an open case is edited or researched; every change re-seals the case, recomputes
 * its tokens and writes its audit event in the same transaction. Reasons are sealed with the case;
 * audit events carry field names, states and the outcome code, never a value.
 */

export type CaseSchema = 'case-update' | 'case-withdraw' | 'case-close';

export interface CaseLifecycleDeps extends ExchangeDeps {
  /** Throws ValidationFailed listing every problem. */
  validateCase(schema: CaseSchema, data: unknown): void;
}

/** SafeLives-style outcomes a coordinator closes a case with. */
export const CASE_OUTCOMES = ['HEARD_ACTIONS_COMPLETE', 'HEARD_NO_ACTIONS', 'TRANSFERRED_OUT', 'NO_FURTHER_ACTION', 'DUPLICATE'] as const;
export type CaseOutcome = (typeof CASE_OUTCOMES)[number];

type SubjectEditField = 'names' | 'dobs' | 'sexOrGender' | 'identifiers' | 'address' | 'contact' | 'relationshipToVictim';
const SUBJECT_FIELDS: readonly SubjectEditField[] = ['names', 'dobs', 'sexOrGender', 'identifiers', 'address', 'contact', 'relationshipToVictim'];

export interface CaseUpdateInput {
  reason: string;
  meetingDate?: string;
  isEmergency?: boolean;
  externalRef?: string;
  riskBasis?: RiskBasis;
  subjects?: ({ subjectId: string; remove?: ('address' | 'contact')[] } & Partial<Record<SubjectEditField, unknown>>)[];
}

interface LockedCase {
  coordinator_agency_id: string;
  meeting_date: string;
  is_emergency: boolean;
  risk_basis: RiskBasis;
  subject_facts: StoredSubjectFacts[];
  subject_tokens: string[];
  status: CaseStatus;
  outcome: string | null;
  subjects_key_id: string;
  subjects_iv: Buffer;
  subjects_tag: Buffer;
  subjects_ciphertext: Buffer;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function createCaseLifecycle(deps: CaseLifecycleDeps) {
  const { pool, audit, sealer } = deps;

  /** The case locked for change, its coordinator checked: another agency's case looks missing. */
  async function lock(tx: Tx, actor: ExchangeActor, caseId: string) {
    const acting = await actingAgency(actor, deps.agencies);
    const r = await tx.query(
      `SELECT coordinator_agency_id, to_char(meeting_date, 'YYYY-MM-DD') AS meeting_date, is_emergency, risk_basis, subject_facts,
              subject_tokens, status, outcome, subjects_key_id, subjects_iv, subjects_tag, subjects_ciphertext
         FROM cases WHERE id = $1 FOR NO KEY UPDATE`,
      [caseId],
    );
    const row = r.rows[0] as LockedCase | undefined;
    if (!row || row.coordinator_agency_id !== acting.agencyId) throw new CaseNotFound('No such case');
    if (acting.agencyType !== 'MARAC_COORDINATOR') throw new NotACoordinator('Only the case coordinator can change a case');
    // The case's own key (store/case-keys.ts): opens its values, seals the new ones.
    const caseSealer = await sealerFor(sealer, tx, caseKeyId(caseId));
    const sealed = caseSealer.open({ keyId: row.subjects_key_id, iv: row.subjects_iv, tag: row.subjects_tag, ciphertext: row.subjects_ciphertext }, caseId) as SealedSubjects;
    return { acting, row, sealed, caseSealer };
  }

  const by = (actor: ExchangeActor) => (actor.kind === 'person' ? actor.userId : actor.agencyId);

  async function updateCase(actor: ExchangeActor, caseId: string, body: unknown) {
    deps.validateCase('case-update', body);
    const input = body as CaseUpdateInput;
    const now = deps.now();
    if (input.meetingDate !== undefined && outsideDateWindow(input.meetingDate, now)) {
      throw new ValidationFailed('case update is not valid', {
        problems: [{ path: '/meetingDate', code: 'range', message: `must be from ${EARLIEST_DATE} to ${latestDate(now)}` }],
      });
    }
    const seen = new Set<string>();
    const repeated: ProblemDetail[] = [];
    (input.subjects ?? []).forEach((s, i) => {
      if (seen.has(s.subjectId)) repeated.push({ path: `/subjects/${i}/subjectId`, code: 'DUPLICATE_SUBJECT', message: 'each subject once' });
      seen.add(s.subjectId);
      for (const f of s.remove ?? []) {
        if (s[f] !== undefined) repeated.push({ path: `/subjects/${i}/remove`, code: 'REMOVE_AND_REPLACE', message: `${f} is both replaced and removed` });
      }
    });
    if (repeated.length > 0) throw new CaseSubjectUnknown('A subject is named twice or a detail both replaced and removed', { problems: repeated });

    return withTx(pool, async (tx) => {
      const { acting, row, sealed, caseSealer } = await lock(tx, actor, caseId);
      if (row.status !== 'OPEN') throw new CaseNotOpen(`This case is ${row.status.toLowerCase()}: reopen it to edit it`, { reason: row.status });

      const unknown = (input.subjects ?? []).map((s, i) => ({ s, i })).filter(({ s }) => !sealed.subjects.some((x) => x.subjectId === s.subjectId));
      if (unknown.length > 0) {
        throw new CaseSubjectUnknown('No such subject in this case', {
          problems: unknown.map(({ i }) => ({ path: `/subjects/${i}/subjectId`, code: 'CASE_SUBJECT_UNKNOWN', message: 'not a subject of this case' })),
        });
      }

      const changed = new Set<string>();
      const subjectIds = new Set<string>();
      let meetingDate = row.meeting_date;
      let isEmergency = row.is_emergency;
      let riskBasis: RiskBasis = row.risk_basis;
      if (input.meetingDate !== undefined && input.meetingDate !== row.meeting_date) {
        meetingDate = input.meetingDate;
        changed.add('meetingDate');
      }
      if (input.isEmergency !== undefined && input.isEmergency !== row.is_emergency) {
        isEmergency = input.isEmergency;
        changed.add('isEmergency');
      }
      if (input.externalRef !== undefined && input.externalRef !== sealed.externalRef) {
        sealed.externalRef = input.externalRef;
        changed.add('externalRef');
      }
      if (input.riskBasis !== undefined) {
        // As at opening: the rationale is sealed, the criteria judged (REPEAT only within 12 months).
        const next: RiskBasis = { ...input.riskBasis };
        const rationale = next.professionalJudgementRationale;
        delete next.professionalJudgementRationale;
        if (rationale) (next as RiskBasis & { hasRationale?: boolean }).hasRationale = true;
        next.criteria = judgeRiskBasis(next, now).criteria;
        for (const k of new Set([...Object.keys(row.risk_basis), ...Object.keys(next)])) {
          if (!same((row.risk_basis as unknown as Record<string, unknown>)[k], (next as unknown as Record<string, unknown>)[k])) changed.add(`riskBasis.${k}`);
        }
        if ((rationale ?? null) !== (sealed.professionalJudgementRationale ?? null)) changed.add('riskBasis.professionalJudgementRationale');
        if (rationale) sealed.professionalJudgementRationale = rationale;
        else delete sealed.professionalJudgementRationale;
        changed.delete('riskBasis.hasRationale');
        riskBasis = next;
      }
      let facts = row.subject_facts;
      for (const edit of input.subjects ?? []) {
        const subject = sealed.subjects.find((x) => x.subjectId === edit.subjectId)!;
        const target = subject as unknown as Record<string, unknown>;
        for (const f of SUBJECT_FIELDS) {
          if (edit[f] === undefined || same(target[f], edit[f])) continue;
          target[f] = edit[f];
          changed.add(`subjects.${f}`);
          subjectIds.add(edit.subjectId);
        }
        for (const f of edit.remove ?? []) {
          if (target[f] === undefined) continue;
          delete target[f];
          changed.add(`subjects.${f}`);
          subjectIds.add(edit.subjectId);
        }
        if (subjectIds.has(edit.subjectId)) {
          // A confidential flag the answers raised stays raised; a new confidential address raises it.
          facts = facts.map((f) => (f.subjectId === edit.subjectId
            ? storedFacts(edit.subjectId, subject, f.addressConfidential === true || (subject.address as { confidential?: boolean } | undefined)?.confidential === true)
            : f));
        }
      }

      if (changed.size === 0) return { caseId, changed: [] as string[], status: row.status };
      const fields = [...changed].sort();
      (sealed.caseChanges ??= []).push({ at: now.toISOString(), by: by(actor), fields, reason: input.reason });
      const box = caseSealer.seal(sealed, caseId);
      const tokens = [...new Set(sealed.subjects.flatMap((s) => deps.subjectTokens(s)))].sort();
      await tx.query(
        `UPDATE cases SET meeting_date = $2, is_emergency = $3, risk_basis = $4, subject_facts = $5,
                subjects_key_id = $6, subjects_iv = $7, subjects_tag = $8, subjects_ciphertext = $9,
                subject_tokens = $10, search_tokens = $11, updated_at = $12
          WHERE id = $1`,
        [caseId, meetingDate, isEmergency, riskBasis, JSON.stringify(facts), box.keyId, box.iv, box.tag, box.ciphertext,
          tokens, deps.caseSearch.forCase(sealed), now],
      );
      // The data return's coarse flags (reporting/return-facts.ts), in the same transaction.
      await refreshReturnFacts(tx, sealer, caseId);
      await audit.append(tx, {
        action: 'CASE_UPDATED',
        actor,
        caseId,
        decision: 'NONE',
        // Old and new tokens: an auditor finds the change by the identifiers before and after it.
        subjectTokens: [...new Set([...row.subject_tokens, ...tokens])],
        agencyIds: [acting.agencyId],
        // Field names only, never values; the reason is sealed with the case.
        detail: { fields: fields.join(','), subjectIds: [...subjectIds].sort().join(',') || null, reasonRecorded: true },
      });
      return { caseId, changed: fields, status: row.status };
    });
  }

  async function changeStatus(
    actor: ExchangeActor, caseId: string, to: CaseStatus,
    opts: { outcome?: CaseOutcome; reason?: string; action: 'CASE_WITHDRAWN' | 'CASE_CLOSED' | 'CASE_REOPENED' },
  ) {
    const now = deps.now();
    return withTx(pool, async (tx) => {
      const { acting, row, sealed, caseSealer } = await lock(tx, actor, caseId);
      if (to === 'OPEN' && row.status === 'OPEN') throw new CaseAlreadyOpen('This case is already open');
      if (to !== 'OPEN' && row.status !== 'OPEN') {
        throw new CaseNotOpen(`This case is already ${row.status.toLowerCase()}: reopen it first`, { reason: row.status });
      }
      (sealed.statusChanges ??= []).push({
        at: now.toISOString(), by: by(actor), to,
        ...(opts.outcome ? { outcome: opts.outcome } : {}),
        ...(opts.reason ? { reason: opts.reason } : {}),
      });
      const box = caseSealer.seal(sealed, caseId);
      await tx.query(
        `UPDATE cases SET status = $2, outcome = $3, status_changed_at = $4, updated_at = $4,
                subjects_key_id = $5, subjects_iv = $6, subjects_tag = $7, subjects_ciphertext = $8
          WHERE id = $1`,
        [caseId, to, opts.outcome ?? null, now, box.keyId, box.iv, box.tag, box.ciphertext],
      );
      await audit.append(tx, {
        action: opts.action,
        actor,
        caseId,
        decision: 'NONE',
        subjectTokens: row.subject_tokens,
        agencyIds: [acting.agencyId],
        detail: { from: row.status, to, ...(opts.outcome ? { outcome: opts.outcome } : {}), reasonRecorded: Boolean(opts.reason) },
      });
      return { caseId, status: to, outcome: opts.outcome ?? null, statusChangedAt: now.toISOString() };
    });
  }

  async function withdrawCase(actor: ExchangeActor, caseId: string, body: unknown) {
    deps.validateCase('case-withdraw', body);
    return changeStatus(actor, caseId, 'WITHDRAWN', { reason: (body as { reason: string }).reason, action: 'CASE_WITHDRAWN' });
  }

  async function closeCase(actor: ExchangeActor, caseId: string, body: unknown) {
    deps.validateCase('case-close', body);
    const b = body as { outcome: CaseOutcome; note?: string };
    return changeStatus(actor, caseId, 'CLOSED', { outcome: b.outcome, ...(b.note ? { reason: b.note } : {}), action: 'CASE_CLOSED' });
  }

  async function reopenCase(actor: ExchangeActor, caseId: string, body: unknown) {
    deps.validateCase('case-withdraw', body);
    return changeStatus(actor, caseId, 'OPEN', { reason: (body as { reason: string }).reason, action: 'CASE_REOPENED' });
  }

  /** What the edit form starts from: the case as recorded (the coordinator's own case only). */
  /** The case's details to fill the edit form: showing them is an access, audited with it. */
  async function editable(actor: ExchangeActor, caseId: string) {
    return withTx(pool, async (tx) => {
      const { acting, row, sealed } = await lock(tx, actor, caseId);
      await audit.append(tx, {
        action: 'VIEW_READ',
        actor,
        caseId,
        decision: 'PERMIT',
        subjectTokens: row.subject_tokens,
        agencyIds: [acting.agencyId],
        // That the edit form showed who the case is about (and to how many people), never what.
        detail: { view: 'case-edit-form', caseDetailsShown: true, subjectsShown: sealed.subjects.length },
      });
      return {
        caseId,
        status: row.status,
        outcome: row.outcome,
        meetingDate: row.meeting_date,
        isEmergency: row.is_emergency,
        riskBasis: { ...row.risk_basis, ...(sealed.professionalJudgementRationale ? { professionalJudgementRationale: sealed.professionalJudgementRationale } : {}) },
        externalRef: sealed.externalRef,
        subjects: sealed.subjects,
      };
    });
  }

  return { updateCase, withdrawCase, closeCase, reopenCase, editable };
}
export type CaseLifecycle = ReturnType<typeof createCaseLifecycle>;
