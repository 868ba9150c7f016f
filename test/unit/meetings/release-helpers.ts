/**
 * The pure release functions (gateway/src/meetings/release.ts) over the real sample agreement,
 * guardrails and catalog: decide as the policy port does, redact through the engine.
 */
import { decide, redact, type CompiledAgreement } from '../../../gateway/src/policy/index.js';
import type { CaseLocations } from '../../../gateway/src/policy/location-context.js';
import type { AgencyType } from '../../../gateway/src/identity/principal.js';
import type { PolicyDecision, SubjectFacts } from '../../../gateway/src/exchange/ports.js';
import type { RedactFn } from '../../../gateway/src/meetings/release.js';
import { HMAC_KEY, compile, essexDoc, highRisk } from '../policy/helpers.js';

export const now = new Date('2026-12-10T10:00:00Z');
export const essex: CompiledAgreement = compile(essexDoc());
const doc = essexDoc();
export const partyOf = (t: AgencyType) => ({ agencyId: doc.parties.find((p) => p.type === t)!.agency, agencyType: t });
export const COORDINATOR = partyOf('MARAC_COORDINATOR');
export const PARTY_TYPES: AgencyType[] = [
  'POLICE', 'HEALTH_ACUTE', 'HEALTH_PRIMARY', 'HEALTH_MENTAL', 'HOUSING', 'CHILDRENS_SOCIAL_CARE', 'ADULT_SOCIAL_CARE', 'PROBATION', 'IDVA',
];
export const LOC_RIGHTS: ReadonlySet<AgencyType> = new Set(['POLICE', 'IDVA']);

export function decideFor(to: { agencyId: string; agencyType: AgencyType }, agreement: CompiledAgreement = essex, from = COORDINATOR): PolicyDecision {
  const d = decide({ agreements: [agreement], now, purpose: 'MARAC_ACTION_REVIEW', direction: 'response', from, to, caseFacts: highRisk });
  if (d.effect === 'DENY') return { effect: 'DENY', reason: d.reason, ...(d.agreementId ? { agreementId: d.agreementId, version: d.version } : {}) };
  return { effect: 'PERMIT', agreementId: d.agreementId, version: d.version, flowIds: d.flowIds, plan: d.plan };
}

export const engineRedact: RedactFn = (decision, d, facts, at, locations?: CaseLocations) =>
  redact(decision.plan as Parameters<typeof redact>[0], d, facts, { now: at, hmacKey: HMAC_KEY, ...(locations ? { locations } : {}) });

export function subject(id: string, role: SubjectFacts['role'], over: Partial<SubjectFacts> = {}): SubjectFacts {
  return {
    subjectId: id, role, art9Conditions: ['DPA_SCH1_P10'], art10Conditions: ['DPA_SCH1_P10'], part3Sch8: ['SCH8_P4'],
    careAndSupportNeeds: false, consentStatus: 'NOT_SOUGHT_UNSAFE', isAdult: true, ...over,
  };
}
