import { withTx } from '../store/db.js';
import { actingAgency, type ExchangeActor } from './acting-agency.js';
import type { ExchangeDeps } from './deps.js';
import { LegalConditionRejected, NotACoordinator, CaseNotFound } from './errors.js';
import { newId } from './ids.js';
import { ValidationFailed } from '../errors.js';
import { EARLIEST_DATE, latestDate, outsideDateWindow } from './date-window.js';
import type { RiskBasis, SubjectFacts } from './ports.js';

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
  consent: { status: string; explicitForSpecialCategory?: boolean; rationale?: string };
  legal: { art9Conditions?: string[]; art10Conditions?: string[]; part3Sch8?: string[]; careAndSupportNeeds: boolean };
}

export interface CaseInput {
  maracArea: string;
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
}

export interface CaseRow {
  id: string;
  coordinatorAgencyId: string;
  maracArea: string;
  meetingDate: string;
  riskBasis: RiskBasis;
  subjectFacts: SubjectFacts[];
  createdAt: string;
}

export function ageAt(dob: string, at: Date): number {
  const [y, m, d] = dob.split('-').map(Number) as [number, number, number];
  let age = at.getUTCFullYear() - y;
  const beforeBirthday = at.getUTCMonth() + 1 < m || (at.getUTCMonth() + 1 === m && at.getUTCDate() < d);
  if (beforeBirthday) age -= 1;
  return age;
}

function monthsBetween(from: string, to: Date): number {
  const f = new Date(`${from}T00:00:00Z`);
  return (to.getUTCFullYear() - f.getUTCFullYear()) * 12 + (to.getUTCMonth() - f.getUTCMonth()) - (to.getUTCDate() < f.getUTCDate() ? 1 : 0);
}

export function createCaseService(deps: ExchangeDeps) {
  const { pool, audit, sealer } = deps;

  async function createCase(actor: ExchangeActor, body: unknown): Promise<{ caseId: string; subjects: { key: string; subjectId: string; role: string }[]; riskBasis: RiskBasis }> {
    const acting = await actingAgency(actor, deps.agencies);
    if (acting.agencyType !== 'MARAC_COORDINATOR') throw new NotACoordinator('Only a MARAC coordinator agency can open a case');
    deps.validate('case', body);
    const input = body as CaseInput;
    const now = deps.now();
    if (outsideDateWindow(input.meetingDate, now)) {
      throw new ValidationFailed('case is not valid', {
        problems: [{ path: '/meetingDate', code: 'range', message: `must be from ${EARLIEST_DATE} to ${latestDate(now)}` }],
      });
    }

    const problems = [];
    const facts: SubjectFacts[] = [];
    const sealed: SealedSubjects = { subjects: [] };
    const keys = new Set<string>();
    for (const [i, s] of input.subjects.entries()) {
      if (keys.has(s.key)) problems.push({ path: `/subjects/${i}/key`, code: 'DUPLICATE_SUBJECT_KEY', message: 'subject keys must be unique' });
      keys.add(s.key);
      const dob = s.dobs?.[0];
      const isAdult = s.role === 'CHILD' ? false : dob ? ageAt(dob, now) >= 18 : true;
      const art9 = s.legal.art9Conditions ?? [];
      // DPA 2018 Sch 1 para 18 covers children and adults at risk (care and support needs) only.
      if (art9.includes('DPA_SCH1_P18') && isAdult && !s.legal.careAndSupportNeeds) {
        problems.push({
          path: `/subjects/${i}/legal/art9Conditions`,
          code: 'P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS',
          message: 'DPA 2018 Sch 1 para 18 needs a child or an adult with care and support needs',
        });
      }
      const subjectId = newId('subj');
      facts.push({
        subjectId,
        role: s.role,
        art9Conditions: art9,
        art10Conditions: s.legal.art10Conditions ?? [],
        part3Sch8: s.legal.part3Sch8 ?? [],
        careAndSupportNeeds: s.legal.careAndSupportNeeds,
        consentStatus: s.consent.status,
        isAdult,
        explicitConsentForSpecialCategory: s.consent.explicitForSpecialCategory === true,
        addressConfidential: (s.address as { confidential?: boolean } | undefined)?.confidential === true,
      });
      sealed.subjects.push({ ...s, subjectId });
    }
    if (problems.length > 0) throw new LegalConditionRejected('A lawful-basis condition does not hold for a subject', { problems });

    // A further referral within 12 months of the last is a MARAC repeat, whatever the form said.
    const riskBasis: RiskBasis = { ...input.riskBasis };
    const rationale = riskBasis.professionalJudgementRationale;
    delete riskBasis.professionalJudgementRationale;
    if (rationale) sealed.professionalJudgementRationale = rationale;
    const criteria = new Set(riskBasis.criteria);
    if (riskBasis.lastMaracReferralDate && monthsBetween(riskBasis.lastMaracReferralDate, now) < 12) criteria.add('REPEAT');
    if (rationale) (riskBasis as RiskBasis & { hasRationale?: boolean }).hasRationale = true;
    riskBasis.criteria = [...criteria];

    const caseId = newId('case');
    const box = sealer.seal(sealed, caseId);
    const tokens = [...new Set(sealed.subjects.flatMap((s) => deps.subjectTokens(s)))];

    await withTx(pool, async (tx) => {
      await tx.query(
        `INSERT INTO cases (id, coordinator_agency_id, marac_area, meeting_date, is_emergency, risk_basis, subject_facts,
           subjects_key_id, subjects_iv, subjects_tag, subjects_ciphertext, subject_tokens, created_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
        [caseId, acting.agencyId, input.maracArea, input.meetingDate, input.isEmergency ?? false, riskBasis, JSON.stringify(facts),
          box.keyId, box.iv, box.tag, box.ciphertext, tokens, now],
      );
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

  /** The acting coordinator's cases, newest first: statuses and deadlines only, nothing personal. */
  async function listCases(actor: ExchangeActor, opts: { limit?: number } = {}) {
    const acting = await actingAgency(actor, deps.agencies);
    const r = await pool.query(
      `SELECT c.id, c.marac_area, to_char(c.meeting_date, 'YYYY-MM-DD') AS meeting_date, c.risk_basis->'criteria' AS criteria, c.created_at,
              min(m.deadline) FILTER (WHERE m.state IN ('queued','delivered','acknowledged')) AS next_deadline,
              count(m.id)::int AS messages,
              count(m.id) FILTER (WHERE m.state IN ('responded','declined'))::int AS answered,
              count(m.id) FILTER (WHERE m.state = 'overdue')::int AS overdue,
              count(m.id) FILTER (WHERE m.state = 'failed')::int AS failed
         FROM cases c LEFT JOIN messages m ON m.case_id = c.id
        WHERE c.coordinator_agency_id = $1
        GROUP BY c.id ORDER BY c.meeting_date, c.created_at DESC LIMIT $2`,
      [acting.agencyId, Math.min(opts.limit ?? 100, 500)],
    );
    return r.rows.map((x) => ({
      caseId: x.id as string,
      maracArea: x.marac_area as string,
      meetingDate: x.meeting_date as string,
      criteria: x.criteria as string[],
      createdAt: (x.created_at as Date).toISOString(),
      nextDeadline: x.next_deadline ? (x.next_deadline as Date).toISOString() : null,
      messages: x.messages as number,
      answered: x.answered as number,
      overdue: x.overdue as number,
      failed: x.failed as number,
    }));
  }

  return { createCase, listCases };
}

/** Reads and unseals cases. Used by the other exchange services. */
export function createCaseReader(deps: Pick<ExchangeDeps, 'pool' | 'sealer'>) {
  async function getCase(q: import('../store/db.js').Queryable, caseId: string): Promise<CaseRow & { tokens: string[] }> {
    const r = await q.query(
      `SELECT id, coordinator_agency_id, marac_area, to_char(meeting_date, 'YYYY-MM-DD') AS meeting_date, risk_basis,
              subject_facts, subject_tokens, created_at FROM cases WHERE id = $1`,
      [caseId],
    );
    const row = r.rows[0];
    if (!row) throw new CaseNotFound('No such case');
    return {
      id: row.id,
      coordinatorAgencyId: row.coordinator_agency_id,
      maracArea: row.marac_area,
      meetingDate: row.meeting_date,
      riskBasis: row.risk_basis,
      subjectFacts: row.subject_facts,
      createdAt: row.created_at.toISOString(),
      tokens: row.subject_tokens,
    };
  }

  async function getSealedSubjects(q: import('../store/db.js').Queryable, caseId: string): Promise<SealedSubjects> {
    const r = await q.query('SELECT subjects_key_id, subjects_iv, subjects_tag, subjects_ciphertext FROM cases WHERE id = $1', [caseId]);
    const row = r.rows[0];
    if (!row) throw new CaseNotFound('No such case');
    return deps.sealer.open(
      { keyId: row.subjects_key_id, iv: row.subjects_iv, tag: row.subjects_tag, ciphertext: row.subjects_ciphertext },
      caseId,
    ) as SealedSubjects;
  }

  return { getCase, getSealedSubjects };
}
