import { withTx, type Queryable } from '../store/db.js';
import { actingAgency, type ExchangeActor } from './acting-agency.js';
import type { ExchangeDeps } from './deps.js';
import { LegalConditionRejected, MaracAreaNotRegistered, MaracAreaNotYours, NotACoordinator, CaseNotFound, SubjectNotFound } from './errors.js';
import { newId } from './ids.js';
import { ValidationFailed, type ProblemDetail } from '../errors.js';
import { EARLIEST_DATE, latestDate, outsideDateWindow } from './date-window.js';
import type { RiskBasis, SubjectFacts } from './ports.js';
import { judgeRiskBasis, judgeSubjectFacts, unavailableConditions, type StoredSubjectFacts } from './release-facts.js';
import { assertThresholdMet } from './case-threshold.js';
import { backfillSearchTokens, parseCaseQuery, queryCases, type CaseQuery, type CaseStatus } from './case-search.js';
import { refreshReturnFacts } from '../reporting/return-facts.js';
import { caseKeyId, openerFor, sealerFor } from '../store/case-keys.js';

export interface CaseSubjectInput {
  key: string;
  role: SubjectFacts['role'];
  names: unknown[];
  dobs?: string[];
  identifiers?: { system: string; value: string }[];
  address?: unknown;
  contact?: unknown;
  relationshipToVictim?: string;
  sexOrGender?: string;
  consent: { status: string; explicitForSpecialCategory?: boolean; rationale?: string; decidedBy?: string; decidedAt?: string };
  legal: { art9Conditions?: string[]; art10Conditions?: string[]; part3Sch8?: string[]; careAndSupportNeeds: boolean };
}

export interface CaseInput {
  /** Optional: the area is the coordinator agency's registered one. */
  maracArea?: string;
  meetingDate: string;
  isEmergency?: boolean;
  riskBasis: RiskBasis;
  subjects: CaseSubjectInput[];
  externalRef?: string;
}

/** The sealed part of a case: everything identifying, per subject id. */
export interface SealedSubjects {
  subjects: (Omit<CaseSubjectInput, 'key'> & { subjectId: string; key: string })[];
  professionalJudgementRationale?: string;
  /** The coordinator's local reference (searchable through its keyed token only). */
  externalRef?: string;
  /** Each edit of the case (case-lifecycle.ts): when, by whom, which fields and why. */
  caseChanges?: { at: string; by: string; fields: string[]; reason: string }[];
  /** Each withdrawal, close and reopen, with its reason (personal: sealed). */
  statusChanges?: { at: string; by: string; to: CaseStatus; outcome?: string; reason?: string }[];
  /** Each change of a subject's legal facts: when, by whom, which fields and why (the reason is personal: sealed). */
  legalChanges?: { subjectId: string; at: string; by: string; fields: string[]; reason: string }[];
}

/** The body of PATCH /v1/cases/{caseId}/subjects/{subjectId}/legal. */
export interface LegalUpdateInput {
  reason: string;
  careAndSupportNeeds?: boolean;
  art9Conditions?: string[];
  art10Conditions?: string[];
  part3Sch8?: string[];
  consent?: CaseSubjectInput['consent'];
}

export interface CaseRow {
  id: string;
  coordinatorAgencyId: string;
  maracArea: string;
  meetingDate: string;
  /** As it stands at the read (release-facts.ts): REPEAT only within 12 months of the last referral. */
  riskBasis: RiskBasis;
  /** Judged at the read (release-facts.ts), never as they were when the case was opened. */
  subjectFacts: SubjectFacts[];
  createdAt: string;
  /** OPEN, WITHDRAWN or CLOSED (with `outcome`): only an open case can be researched or edited. */
  status: CaseStatus;
  outcome: string | null;
}

/** Case-insensitive, spaces as hyphens: a registration "North Essex" is the body's "north-essex". */
function sameArea(a: string, b: string): boolean {
  const norm = (x: string) => x.trim().toLowerCase().replace(/\s+/g, '-');
  return norm(a) === norm(b);
}

/** Sharing without consent: the decision cannot be dated after today, nor before the date window. */
function consentProblems(consent: CaseSubjectInput['consent'] | undefined, at: string, now: Date): ProblemDetail[] {
  const d = consent?.decidedAt;
  if (!d) return [];
  const today = now.toISOString().slice(0, 10);
  if (d > today || outsideDateWindow(d, now)) {
    return [{ path: `${at}/decidedAt`, code: 'range', message: `a date from ${EARLIEST_DATE} to today` }];
  }
  return [];
}

/** The time-independent facts kept in plaintext (`cases.subject_facts`): no date of birth, no age. */
export function storedFacts(subjectId: string, s: Pick<CaseSubjectInput, 'role' | 'consent' | 'legal' | 'address'>, addressConfidential?: boolean): StoredSubjectFacts {
  return {
    subjectId,
    role: s.role,
    art9Conditions: s.legal.art9Conditions ?? [],
    art10Conditions: s.legal.art10Conditions ?? [],
    part3Sch8: s.legal.part3Sch8 ?? [],
    careAndSupportNeeds: s.legal.careAndSupportNeeds,
    consentStatus: s.consent.status,
    explicitConsentForSpecialCategory: s.consent.explicitForSpecialCategory === true,
    addressConfidential: addressConfidential ?? (s.address as { confidential?: boolean } | undefined)?.confidential === true,
  };
}

/** The search terms that name a person (the rest filter by state and date). */
const PERSON_TERMS = ['givenName', 'familyName', 'dob', 'nhsNumber', 'pncId'] as const;

const LEGAL_FIELDS = ['careAndSupportNeeds', 'art9Conditions', 'art10Conditions', 'part3Sch8'] as const;

function isParsed(q: Record<string, unknown> | CaseQuery): q is CaseQuery {
  return Array.isArray((q as CaseQuery).statuses) && typeof (q as CaseQuery).page === 'number';
}

export function createCaseService(deps: ExchangeDeps) {
  const { pool, audit, sealer } = deps;

  async function createCase(actor: ExchangeActor, body: unknown): Promise<{ caseId: string; subjects: { key: string; subjectId: string; role: string }[]; riskBasis: RiskBasis }> {
    const acting = await actingAgency(actor, deps.agencies);
    if (acting.agencyType !== 'MARAC_COORDINATOR') throw new NotACoordinator('Only a MARAC coordinator agency can open a case');
    deps.validate('case', body);
    const input = body as CaseInput;
    const now = deps.now();
    const dateProblems: ProblemDetail[] = [];
    if (outsideDateWindow(input.meetingDate, now)) {
      dateProblems.push({ path: '/meetingDate', code: 'range', message: `must be from ${EARLIEST_DATE} to ${latestDate(now)}` });
    }
    input.subjects.forEach((s, i) => dateProblems.push(...consentProblems(s.consent, `/subjects/${i}/consent`, now)));
    if (dateProblems.length > 0) throw new ValidationFailed('case is not valid', { problems: dateProblems });
    // Never a case that every agency would refuse unresearched (THRESHOLD_NOT_MET, reasons in words).
    assertThresholdMet(input.riskBasis, now);

    // The area is the coordinator's registration: a body cannot open a case in another MARAC's area.
    const registered = (await deps.agencies.getAgency(acting.agencyId))?.maracArea;
    if (!registered) {
      throw new MaracAreaNotRegistered('Your agency has no MARAC area in its registration', {
        problems: [{ path: '/maracArea', code: 'MARAC_AREA_NOT_REGISTERED', message: 'ask the gateway administrator to register your area' }],
      });
    }
    if (input.maracArea !== undefined && !sameArea(input.maracArea, registered)) {
      throw new MaracAreaNotYours('A case can only be opened in your own MARAC area', {
        problems: [{ path: '/maracArea', code: 'MARAC_AREA_NOT_YOURS', message: 'not the area your agency is registered for' }],
      });
    }

    const problems = [];
    const facts: StoredSubjectFacts[] = [];
    const sealed: SealedSubjects = { subjects: [], ...(input.externalRef ? { externalRef: input.externalRef } : {}) };
    const keys = new Set<string>();
    for (const [i, s] of input.subjects.entries()) {
      if (keys.has(s.key)) problems.push({ path: `/subjects/${i}/key`, code: 'DUPLICATE_SUBJECT_KEY', message: 'subject keys must be unique' });
      keys.add(s.key);
      // DPA 2018 Sch 1 para 18 covers children and adults at risk (care and support needs) only:
      // judged on the subject's age today (a CHILD aged 18 by their date of birth is an adult).
      for (const u of unavailableConditions(s, now)) {
        problems.push({
          path: `/subjects/${i}/legal/${u.list}`,
          code: 'P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS',
          message: 'DPA 2018 Sch 1 para 18 needs a child or an adult with care and support needs',
        });
      }
      const subjectId = newId('subj');
      facts.push(storedFacts(subjectId, s));
      sealed.subjects.push({ ...s, subjectId });
    }
    if (problems.length > 0) throw new LegalConditionRejected('A lawful-basis condition does not hold for a subject', { problems });

    // A further referral within 12 months of the last is a MARAC repeat, whatever the form said.
    const riskBasis: RiskBasis = { ...input.riskBasis };
    const rationale = riskBasis.professionalJudgementRationale;
    delete riskBasis.professionalJudgementRationale;
    if (rationale) sealed.professionalJudgementRationale = rationale;
    if (rationale) (riskBasis as RiskBasis & { hasRationale?: boolean }).hasRationale = true;
    riskBasis.criteria = judgeRiskBasis(riskBasis, now).criteria;

    const caseId = newId('case');
    const tokens = [...new Set(sealed.subjects.flatMap((s) => deps.subjectTokens(s)))];
    const searchTokens = deps.caseSearch.forCase(sealed);

    await withTx(pool, async (tx) => {
      // The case's own data key, made in the transaction that opens the case (store/case-keys.ts).
      const box = (await sealerFor(sealer, tx, caseKeyId(caseId))).seal(sealed, caseId);
      await tx.query(
        `INSERT INTO cases (id, coordinator_agency_id, marac_area, meeting_date, is_emergency, risk_basis, subject_facts,
           subjects_key_id, subjects_iv, subjects_tag, subjects_ciphertext, subject_tokens, search_tokens, created_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
        [caseId, acting.agencyId, registered, input.meetingDate, input.isEmergency ?? false, riskBasis, JSON.stringify(facts),
          box.keyId, box.iv, box.tag, box.ciphertext, tokens, searchTokens, now],
      );
      // The data return's coarse flags (reporting/return-facts.ts), in the same transaction.
      await refreshReturnFacts(tx, sealer, caseId);
      await audit.append(tx, {
        action: 'CASE_CREATED',
        actor,
        caseId,
        decision: 'NONE',
        subjectTokens: tokens,
        agencyIds: [acting.agencyId],
        detail: { subjects: facts.length, criteria: riskBasis.criteria.join(',') },
      });
    });
    return {
      caseId,
      subjects: sealed.subjects.map((s) => ({ key: s.key, subjectId: s.subjectId, role: s.role })),
      riskBasis,
    };
  }

  /** The audit tokens of the person a search names, as the log holds them for a case's subjects. */
  function searchedTokens(q: CaseQuery): string[] {
    const identifiers = [
      ...(q.nhsNumber ? [{ system: 'nhs-number', value: q.nhsNumber }] : []),
      ...(q.pncId ? [{ system: 'pnc-id', value: q.pncId }] : []),
    ];
    return deps.subjectTokens({
      ...(q.familyName ? { names: [{ family: q.familyName, ...(q.givenName ? { given: [q.givenName] } : {}) }] } : {}),
      ...(q.dob ? { dobs: [q.dob] } : {}),
      identifiers,
    });
  }

  /**
   * The acting coordinator's cases, a page at a time with the total (no silent cap): upcoming
   * meetings first, filtered and searched (case-search.ts). Statuses, deadlines and the local
   * reference only: who a case is about is read on the case page (an audited view).
   * `query` is the raw query string (checked whole) or an already parsed CaseQuery.
   */
  async function listCases(actor: ExchangeActor, query: Record<string, unknown> | CaseQuery = {}) {
    const acting = await actingAgency(actor, deps.agencies);
    if (acting.agencyType !== 'MARAC_COORDINATOR') throw new NotACoordinator('Only a MARAC coordinator agency has cases');
    const q = isParsed(query) ? query : parseCaseQuery(query);
    const now = deps.now();
    await backfillSearchTokens(pool, sealer, deps.caseSearch, acting.agencyId);
    const today = now.toISOString().slice(0, 10);
    const terms = PERSON_TERMS.filter((k) => q[k] !== undefined && q[k] !== '');
    // A search for a person is an access to personal data (who looked for whom is a subject
    // access request's first question): audited with the subject tokens of what was searched
    // for and the terms used, never their values, in the transaction that reads the results.
    const { total, rows } = terms.length === 0
      ? await queryCases(pool, acting.agencyId, q, deps.caseSearch.forQuery(q), today)
      : await withTx(pool, async (tx) => {
        const found = await queryCases(tx, acting.agencyId, q, deps.caseSearch.forQuery(q), today);
        await audit.append(tx, {
          action: 'VIEW_READ',
          actor,
          decision: 'NONE',
          subjectTokens: searchedTokens(q),
          agencyIds: [acting.agencyId],
          detail: { view: 'case-search', terms: terms.join(','), results: found.total },
        });
        return found;
      });
    const opener = await openerFor(sealer, pool, rows.map((x) => x.sealed.subjects_key_id));
    return {
      items: rows.map((x) => {
        const sealed = opener.open({ keyId: x.sealed.subjects_key_id, iv: x.sealed.subjects_iv, tag: x.sealed.subjects_tag, ciphertext: x.sealed.subjects_ciphertext }, x.id) as SealedSubjects;
        return {
          caseId: x.id,
          ...(sealed.externalRef ? { externalRef: sealed.externalRef } : {}),
          maracArea: x.maracArea,
          meetingDate: x.meetingDate,
          status: x.status,
          outcome: x.outcome,
          repeat: x.repeat,
          criteria: judgeRiskBasis(x.riskBasis as unknown as RiskBasis, now).criteria,
          createdAt: x.createdAt.toISOString(),
          nextDeadline: x.nextDeadline ? x.nextDeadline.toISOString() : null,
          messages: x.messages,
          answered: x.answered,
          overdue: x.overdue,
          failed: x.failed,
        };
      }),
      total,
      page: q.page,
      pageSize: q.pageSize,
      pages: Math.max(1, Math.ceil(total / q.pageSize)),
    };
  }

  /** One case of the acting coordinator by id (another agency's case looks missing): state and dates, nothing personal. */
  async function caseSummary(actor: ExchangeActor, caseId: string) {
    const acting = await actingAgency(actor, deps.agencies);
    const r = await pool.query(
      `SELECT id, coordinator_agency_id, marac_area, to_char(meeting_date, 'YYYY-MM-DD') AS meeting_date, status, outcome
         FROM cases WHERE id = $1`,
      [caseId],
    );
    const row = r.rows[0];
    if (!row || row.coordinator_agency_id !== acting.agencyId) throw new CaseNotFound('No such case');
    return { caseId: row.id as string, maracArea: row.marac_area as string, meetingDate: row.meeting_date as string, status: row.status as CaseStatus, outcome: row.outcome as string | null };
  }

  /**
   * The coordinator records a change in a subject's legal facts (care and support needs, Art 9 /
   * Art 10 / Sch 8 conditions, consent). The next release judges the new facts; a basis that no
   * longer holds withholds the data with its reason code. A para 18 condition newly recorded for
   * an adult without care and support needs is refused, as when a case is opened; one already
   * recorded stays on record (withheld at release) so the history is not rewritten.
   */
  async function updateLegal(actor: ExchangeActor, caseId: string, subjectId: string, body: unknown) {
    const acting = await actingAgency(actor, deps.agencies);
    deps.validate('case-legal-update', body);
    const input = body as LegalUpdateInput;
    const now = deps.now();
    const dated = consentProblems(input.consent, '/consent', now);
    if (dated.length > 0) throw new ValidationFailed('legal update is not valid', { problems: dated });

    return withTx(pool, async (tx) => {
      // The answer path raises confidential-address flags under the same lock (answer-store.ts).
      const r = await tx.query(
        `SELECT coordinator_agency_id, subject_facts, subject_tokens, subjects_key_id, subjects_iv, subjects_tag, subjects_ciphertext
           FROM cases WHERE id = $1 FOR NO KEY UPDATE`,
        [caseId],
      );
      const row = r.rows[0];
      // Another agency's case looks exactly like a missing one.
      if (!row || row.coordinator_agency_id !== acting.agencyId) throw new CaseNotFound('No such case');
      if (acting.agencyType !== 'MARAC_COORDINATOR') throw new NotACoordinator('Only the case coordinator can change legal facts');
      const caseSealer = await sealerFor(sealer, tx, caseKeyId(caseId));
      const sealed = caseSealer.open(
        { keyId: row.subjects_key_id, iv: row.subjects_iv, tag: row.subjects_tag, ciphertext: row.subjects_ciphertext }, caseId,
      ) as SealedSubjects;
      const subject = sealed.subjects.find((x) => x.subjectId === subjectId);
      if (!subject) throw new SubjectNotFound('No such subject in this case');

      const before = structuredClone(subject);
      const changed: string[] = [];
      for (const k of LEGAL_FIELDS) {
        if (input[k] === undefined) continue;
        if (JSON.stringify(subject.legal[k] ?? (k === 'careAndSupportNeeds' ? false : [])) !== JSON.stringify(input[k])) changed.push(`legal.${k}`);
        (subject.legal as Record<string, unknown>)[k] = input[k];
      }
      if (input.consent) {
        for (const k of new Set([...Object.keys(subject.consent), ...Object.keys(input.consent)])) {
          const was = (subject.consent as Record<string, unknown>)[k];
          const is = (input.consent as Record<string, unknown>)[k];
          if (JSON.stringify(was) !== JSON.stringify(is)) changed.push(`consent.${k}`);
        }
        subject.consent = { ...input.consent };
      }
      // Only a condition this change adds is refused: one already on record stays (withheld at release).
      const previously = new Set(LEGAL_FIELDS.flatMap((k) => (Array.isArray(before.legal[k]) ? (before.legal[k] as string[]).map((c) => `${k}:${c}`) : [])));
      const refused = unavailableConditions(subject, now).filter((u) => !previously.has(`${u.list}:${u.condition}`));
      if (refused.length > 0) {
        throw new LegalConditionRejected('A lawful-basis condition does not hold for the subject', {
          problems: refused.map((u) => ({
            path: `/${u.list}`, code: 'P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS',
            message: 'DPA 2018 Sch 1 para 18 needs a child or an adult with care and support needs',
          })),
        });
      }

      const by = actor.kind === 'person' ? actor.userId : actor.agencyId;
      if (changed.length > 0) {
        (sealed.legalChanges ??= []).push({ subjectId, at: now.toISOString(), by, fields: changed, reason: input.reason });
        const box = caseSealer.seal(sealed, caseId);
        const stored = (row.subject_facts as StoredSubjectFacts[]).map((f) => (f.subjectId === subjectId
          ? storedFacts(subjectId, subject, f.addressConfidential === true)
          : f));
        await tx.query(
          `UPDATE cases SET subject_facts = $2, subjects_key_id = $3, subjects_iv = $4, subjects_tag = $5, subjects_ciphertext = $6 WHERE id = $1`,
          [caseId, JSON.stringify(stored), box.keyId, box.iv, box.tag, box.ciphertext],
        );
        await audit.append(tx, {
          action: 'CASE_UPDATED',
          actor,
          caseId,
          decision: 'NONE',
          subjectTokens: row.subject_tokens,
          agencyIds: [acting.agencyId],
          // Field names only: the values (conditions, needs, consent) are special-category facts.
          detail: { subjectId, fields: changed.join(','), reasonRecorded: true },
        });
      }
      const facts = judgeSubjectFacts(storedFacts(subjectId, subject), subject, now);
      return {
        caseId,
        subjectId,
        changed,
        // Recorded but not usable today: the data they would carry is withheld at release.
        unavailable: unavailableConditions(subject, now).map((u) => ({ path: `/${u.list}`, condition: u.condition, reason: 'P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS' })),
        isAdult: facts.isAdult,
      };
    });
  }

  return { createCase, listCases, caseSummary, updateLegal };
}

/**
 * Reads and unseals cases. Used by the other exchange services. Every read judges the subjects'
 * legal facts and the referral criteria as of `at` (default: now): there is no way to read the
 * facts as they were when the case was opened (release-facts.ts).
 */
export function createCaseReader(deps: Pick<ExchangeDeps, 'pool' | 'sealer' | 'now'>) {
  async function open(q: Queryable, row: { subjects_key_id: string; subjects_iv: Buffer; subjects_tag: Buffer; subjects_ciphertext: Buffer }, caseId: string): Promise<SealedSubjects> {
    return (await openerFor(deps.sealer, q, [row.subjects_key_id])).open(
      { keyId: row.subjects_key_id, iv: row.subjects_iv, tag: row.subjects_tag, ciphertext: row.subjects_ciphertext },
      caseId,
    ) as SealedSubjects;
  }

  /**
   * The case with its facts judged at `at`, and the sealed subjects it opened to judge them
   * (`sealed`: for the caller's own release work, never to be sent anywhere as it is), so no
   * release path reads and opens the same row twice.
   */
  async function getCase(q: Queryable, caseId: string, at: Date = deps.now()): Promise<CaseRow & { tokens: string[]; sealed: SealedSubjects }> {
    const r = await q.query(
      `SELECT id, coordinator_agency_id, marac_area, to_char(meeting_date, 'YYYY-MM-DD') AS meeting_date, risk_basis,
              subject_facts, subject_tokens, created_at, status, outcome, subjects_key_id, subjects_iv, subjects_tag, subjects_ciphertext
         FROM cases WHERE id = $1`,
      [caseId],
    );
    const row = r.rows[0];
    if (!row) throw new CaseNotFound('No such case');
    const sealed = await open(q, row, caseId);
    const byId = new Map(sealed.subjects.map((s) => [s.subjectId, s]));
    return {
      id: row.id,
      coordinatorAgencyId: row.coordinator_agency_id,
      maracArea: row.marac_area,
      meetingDate: row.meeting_date,
      riskBasis: judgeRiskBasis(row.risk_basis, at),
      subjectFacts: (row.subject_facts as StoredSubjectFacts[]).map((f) => judgeSubjectFacts(f, byId.get(f.subjectId), at)),
      createdAt: row.created_at.toISOString(),
      status: row.status,
      outcome: row.outcome,
      tokens: row.subject_tokens,
      sealed,
    };
  }

  return { getCase };
}
