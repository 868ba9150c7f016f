/**
 * Preview: a sample response put through one agreement version, as every other party would see
 * it, side by side with the original. Pure: the service hands in the compiled version.
 *
 * The provider is the sample's `respondingOrg`. Each other party is tried as the recipient with
 * the engine's own decide + redact, so the preview shows exactly what the exchange would release
 * (or the reason it would refuse). The compiled copy is marked active for the preview only.
 */
import {
  decide, redact, withStatus,
  type CaseFacts, type CompiledAgreement, type Explanation, type Purpose, type SubjectFacts, type SubjectRole,
} from '../index.js';
import { PreviewInputInvalid } from './errors.js';

export interface PreviewInput {
  /** A research response envelope: respondingOrg, subjectResults[], optional agencyRiskSummary / proposedActions. */
  sampleResponse: unknown;
  /** Facts per subjectId, or one set of facts for every subject. */
  subjectFacts: unknown;
  /** The responding party's agency id; default: the sample's respondingOrg (orgId, else agencyType). */
  provider?: string;
  /** Default: the agreement's first purpose (MARAC_RESEARCH when it has it). */
  purpose?: string;
  /** Default: a case meeting every referral criterion, so the preview shows the field rules. */
  caseFacts?: CaseFacts;
}

export interface PreviewSubject {
  subjectId: string;
  role: SubjectRole;
  original: Record<string, unknown>;
  view: Record<string, unknown>;
  explanation: Explanation;
}

export type PreviewRecipient = {
  agencyId: string;
  agencyType: string;
} & (
  | { decision: 'PERMIT'; flowIds: string[]; subjects: PreviewSubject[]; envelope?: { original: Record<string, unknown>; view: Record<string, unknown>; explanation: Explanation } }
  | { decision: 'DENY'; reason: string; detail?: string }
);

export interface PreviewResult {
  agreementId: string;
  version: number;
  purpose: string;
  /** The clock the preview ran at (now, or the agreement's start if now is outside its dates). */
  at: string;
  provider: { agencyId: string; agencyType: string };
  recipients: PreviewRecipient[];
}

const ROLES: readonly SubjectRole[] = ['VICTIM', 'PERPETRATOR', 'CHILD', 'OTHER_ADULT_AT_RISK'];

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function readFacts(v: unknown, where: string): SubjectFacts {
  const bad = (m: string) => new PreviewInputInvalid(`${where}: ${m}`, { problems: [{ path: where, code: 'INVALID_SUBJECT_FACTS', message: m }] });
  if (!isObj(v)) throw bad('expected an object');
  if (!ROLES.includes(v.role as SubjectRole)) throw bad(`role must be one of ${ROLES.join(', ')}`);
  if (!strings(v.art9Conditions)) throw bad('art9Conditions must be a list of strings');
  for (const k of ['art10Conditions', 'part3Sch8'] as const) if (v[k] !== undefined && !strings(v[k])) throw bad(`${k} must be a list of strings`);
  if (typeof v.careAndSupportNeeds !== 'boolean') throw bad('careAndSupportNeeds must be true or false');
  if (typeof v.isAdult !== 'boolean') throw bad('isAdult must be true or false');
  if (typeof v.consentStatus !== 'string') throw bad('consentStatus must be a string');
  for (const k of ['explicitConsentForSpecialCategory', 'addressConfidential'] as const) {
    if (v[k] !== undefined && typeof v[k] !== 'boolean') throw bad(`${k} must be true or false`);
  }
  return v as unknown as SubjectFacts;
}

function factsFor(subjectFacts: unknown, subjectId: string): SubjectFacts {
  if (isObj(subjectFacts) && 'role' in subjectFacts) return readFacts(subjectFacts, '/subjectFacts');
  if (isObj(subjectFacts) && Object.hasOwn(subjectFacts, subjectId)) return readFacts(subjectFacts[subjectId], `/subjectFacts/${subjectId}`);
  throw new PreviewInputInvalid(`no subject facts for ${subjectId}`, {
    problems: [{ path: '/subjectFacts', code: 'MISSING_SUBJECT_FACTS', message: `no facts for subject ${subjectId}` }],
  });
}

/** A case that meets every referral criterion: the preview is about field rules, not the threshold. */
function anyCase(now: Date): CaseFacts {
  return {
    maracArea: '',
    riskBasis: {
      criteria: ['VISIBLE_HIGH_RISK', 'PROFESSIONAL_JUDGEMENT', 'POTENTIAL_ESCALATION', 'REPEAT'],
      dashScore: 24,
      policeCallouts12m: 99,
      lastMaracReferralDate: now.toISOString().slice(0, 10),
      professionalJudgementRationale: 'preview',
    },
  };
}

export function previewAgreement(compiled: CompiledAgreement, input: PreviewInput, opts: { now: Date; hmacKey: Buffer }): PreviewResult {
  const sample = input.sampleResponse;
  if (!isObj(sample) || !Array.isArray(sample.subjectResults)) {
    throw new PreviewInputInvalid('sampleResponse must be a research response with subjectResults[]', {
      problems: [{ path: '/sampleResponse', code: 'INVALID_SAMPLE', message: 'expected an object with subjectResults[]' }],
    });
  }
  const a = withStatus(compiled, 'active');
  const parties = a.doc.parties;
  const org = isObj(sample.respondingOrg) ? sample.respondingOrg : {};
  const provider = input.provider !== undefined
    ? parties.find((p) => p.agency === input.provider)
    : parties.find((p) => p.agency === org.orgId)
      ?? (typeof org.agencyType === 'string' ? parties.find((p) => p.type === org.agencyType) : undefined);
  if (!provider) {
    throw new PreviewInputInvalid('the sample response comes from no party of this agreement', {
      problems: [{
        path: input.provider !== undefined ? '/provider' : '/sampleResponse/respondingOrg',
        code: 'PROVIDER_NOT_A_PARTY',
        message: 'provider (or respondingOrg.orgId / agencyType) must name a party of the agreement',
      }],
    });
  }
  const purposes = a.doc.purposes as readonly string[];
  const purpose = input.purpose ?? (purposes.includes('MARAC_RESEARCH') ? 'MARAC_RESEARCH' : purposes[0] ?? 'MARAC_RESEARCH');
  // Preview at now when the agreement is in force then; otherwise at its first moment.
  const nowMs = opts.now.getTime();
  const at = nowMs >= a.effectiveFromMs && nowMs < a.expiresAtMs ? opts.now : new Date(a.effectiveFromMs);
  const caseFacts = input.caseFacts ?? anyCase(at);

  const subjectResults = sample.subjectResults.map((sr, i) => {
    if (!isObj(sr) || typeof sr.subjectId !== 'string') {
      throw new PreviewInputInvalid(`subjectResults[${i}] needs a subjectId`, {
        problems: [{ path: `/sampleResponse/subjectResults/${i}`, code: 'INVALID_SAMPLE', message: 'expected an object with subjectId' }],
      });
    }
    return { sr, facts: factsFor(input.subjectFacts, sr.subjectId) };
  });
  const envDoc: Record<string, unknown> = {};
  if (sample.agencyRiskSummary !== undefined) envDoc.agencyRiskSummary = sample.agencyRiskSummary;
  if (sample.proposedActions !== undefined) envDoc.proposedActions = sample.proposedActions;
  const envFacts = subjectResults.find((s) => s.facts.role === 'VICTIM')?.facts ?? subjectResults[0]?.facts;

  const from = { agencyId: provider.agency, agencyType: provider.type };
  const recipients: PreviewRecipient[] = [];
  for (const party of parties) {
    if (party.agency === provider.agency) continue;
    const to = { agencyId: party.agency, agencyType: party.type };
    const d = decide({ agreements: [a], now: at, purpose, direction: 'response', from, to, caseFacts });
    if (d.effect === 'DENY') {
      recipients.push({ ...to, decision: 'DENY', reason: d.reason, ...(d.detail ? { detail: d.detail } : {}) });
      continue;
    }
    const ctx = { now: at, hmacKey: opts.hmacKey };
    const subjects: PreviewSubject[] = subjectResults.map(({ sr, facts }) => {
      const { withheld: _agencyWithheld, ...doc } = sr;
      const { view, explanation } = redact(d.plan, doc, facts, ctx);
      return { subjectId: sr.subjectId as string, role: facts.role, original: sr, view, explanation };
    });
    const rec: PreviewRecipient = { ...to, decision: 'PERMIT', flowIds: d.flowIds, subjects };
    if (Object.keys(envDoc).length > 0 && envFacts) {
      const r = redact(d.plan, envDoc, envFacts, ctx);
      rec.envelope = { original: envDoc, view: r.view, explanation: r.explanation };
    }
    recipients.push(rec);
  }
  return { agreementId: a.id, version: a.version, purpose: purpose as Purpose, at: at.toISOString(), provider: from, recipients };
}
