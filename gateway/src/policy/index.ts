/**
 * The policy engine's public API. Pure: no I/O, no Express, no database, no environment.
 *
 *   const guardrails = loadGuardrails(readFileSync('policies/guardrails.yaml', 'utf8'));
 *   const compiled = compileAgreement(doc, { catalog: fieldCatalog(), guardrails, status: 'active', version: 3 });
 *   const d = decide({ agreements: [compiled], now, purpose, direction, from, to, caseFacts });
 *   if (d.effect === 'PERMIT') {
 *     const { view, explanation } = redact(d.plan, subjectResult, subjectFacts, { now, hmacKey });
 *   }
 */
export { parseAgreementText, exportAgreement, AgreementUnreadable, type AgreementFormat } from './agreement.js';
export {
  compileAgreement, withStatus, AgreementInvalid,
  type CompiledAgreement, type CompileOptions, type CompiledFlow,
} from './compile.js';
export { decide, type DecideInput, type Decision, type PermitDecision } from './decide.js';
export { redact, NotARedactionPlan, type RedactContext, type SubjectResultLike, type RequestSubjectLike } from './redact.js';
export { explainText, explainDecision } from './explain.js';
export { loadGuardrails, GuardrailsInvalid, type Guardrails, type Guardrail, type GuardrailKind } from './guardrails.js';
export { validateAgreement, type ValidateOptions } from './validate.js';
export { assessSpecialCategory, rejectedSubjectConditions, type ConditionAssessment } from './lawful-basis.js';
export { criteriaMet, THRESHOLD_DEFAULTS } from './threshold.js';
export { TRANSFER_BUNDLE_FIELDS } from './transfer-bundle.js';
export { MINUTES_FIELDS } from './minutes-fields.js';
export type { RedactionPlan } from './plan.js';
export {
  DENY_REASONS, WITHHELD_REASONS, DECISION_WARNINGS, DEFAULT_DENY_RULE, isDenyReason,
  type DenyReason, type WithheldReason, type DecisionWarning,
} from './reasons.js';
export type {
  Agreement, AgreementStatus, CaseFacts, CaseThreshold, DenyDecision, Direction, Explanation, FieldCatalog, FieldInfo,
  Flow, FlowConditions, LawfulBasis, Party, PartyRef, PartySelector, Purpose, ReleaseSpec, RiskBasis, RiskCriterion,
  SubjectFacts, SubjectRole, ValidationProblem,
} from './types.js';
