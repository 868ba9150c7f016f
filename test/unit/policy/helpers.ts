import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fieldCatalog } from '../../../gateway/src/schema/catalog.js';
import {
  compileAgreement, decide, loadGuardrails, parseAgreementText, redact,
  type Agreement, type AgreementStatus, type CaseFacts, type CompiledAgreement, type Decision, type FieldCatalog,
  type FieldInfo, type PartyRef, type PermitDecision, type SubjectFacts,
} from '../../../gateway/src/policy/index.js';
import type { AgencyType } from '../../../gateway/src/identity/principal.js';

const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));

export const guardrailsText = readFileSync(root('policies/guardrails.yaml'), 'utf8');
export const guardrails = loadGuardrails(guardrailsText);
export const catalog = fieldCatalog();
export const HMAC_KEY = Buffer.alloc(32, 7);

export function loadAgreement(path: string): Agreement {
  return parseAgreementText(readFileSync(root(path), 'utf8')) as Agreement;
}
export const essexDoc = () => loadAgreement('policies/essex-marat.yaml');
export const transferDoc = () => loadAgreement('policies/inter-area-transfer.yaml');
export const mNorthDoc = () => loadAgreement('test/unit/policy/fixtures/isa-m-north-v3.yaml');

export function compile(doc: Agreement, status: AgreementStatus = 'active', version = doc.version ?? 1, cat: FieldCatalog = catalog): CompiledAgreement {
  return compileAgreement(doc, { catalog: cat, guardrails, status, version });
}

export function sample(name: string): Record<string, any> {
  return JSON.parse(readFileSync(root(`test/fixtures/samples/${name}.json`), 'utf8'));
}

export const party = (agencyId: string, agencyType: AgencyType): PartyRef => ({ agencyId, agencyType });

export const highRisk: CaseFacts = { maracArea: 'essex', riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 16 } };

export function facts(over: Partial<SubjectFacts> = {}): SubjectFacts {
  return {
    role: 'VICTIM',
    art9Conditions: ['DPA_SCH1_P10'],
    art10Conditions: ['DPA_SCH1_P10'],
    careAndSupportNeeds: false,
    consentStatus: 'NOT_SOUGHT_UNSAFE',
    isAdult: true,
    ...over,
  };
}

export function permit(d: Decision): PermitDecision {
  if (d.effect !== 'PERMIT') throw new Error(`expected PERMIT, got ${d.reason}: ${d.detail}`);
  return d;
}

/** decide + redact in one go (response direction unless told). */
export function release(opts: {
  agreement: CompiledAgreement; from: PartyRef; to: PartyRef; doc: Record<string, unknown>; subject?: Partial<SubjectFacts>;
  now: Date; direction?: 'request' | 'response'; purpose?: string; caseFacts?: CaseFacts;
}) {
  const d = permit(decide({
    agreements: [opts.agreement], now: opts.now, purpose: opts.purpose ?? 'MARAC_RESEARCH',
    direction: opts.direction ?? 'response', from: opts.from, to: opts.to, caseFacts: opts.caseFacts ?? highRisk,
  }));
  const r = redact(d.plan, opts.doc, facts(opts.subject), { now: opts.now, hmacKey: HMAC_KEY });
  // Tests dig into views freely.
  return { decision: d, view: r.view as Record<string, any>, explanation: r.explanation };
}

/** A small catalog for engine-semantics tests, independent of the message schemas. */
export function smallCatalog(extra: FieldInfo[] = []): FieldCatalog {
  const f = (path: string, type: FieldInfo['type'], sensitivity: FieldInfo['sensitivity'] = [], more: Partial<FieldInfo> = {}): FieldInfo =>
    ({ path, type, sensitivity, clinicalNarrative: false, ...more });
  const fields: FieldInfo[] = [
    f('subjectId', 'string'),
    f('match', 'object'),
    f('match.status', 'string', [], { enum: ['MATCHED', 'POSSIBLE', 'NOT_FOUND'] }),
    f('knownToAgency', 'boolean'),
    f('subject', 'object', ['ID']),
    f('subject.dateOfBirth', 'date', ['ID']),
    f('subject.dobs', 'array', ['ID'], { itemType: 'date' }),
    f('subject.address', 'object', ['LOC']),
    f('subject.address.postcode', 'string', ['LOC']),
    f('subject.address.confidential', 'boolean'),
    f('subject.notes', 'string', ['FT']),
    f('items', 'array', [], { itemType: 'object' }),
    f('items[].date', 'date'),
    f('items[].kind', 'string', [], { enum: ['A', 'B', 'C'] }),
    f('items[].text', 'string'),
    f('items[].rank', 'integer'),
    f('tags', 'array', [], { itemType: 'string' }),
    f('health', 'object', ['SC']),
    f('health.flag', 'boolean', ['SC']),
    f('health.narrative', 'string', ['SC', 'FT'], { clinicalNarrative: true }),
    f('plain', 'object'),
    f('plain.a', 'string'),
    f('plain.b', 'integer'),
    ...extra,
  ];
  const byPath = new Map(fields.map((x) => [x.path, x]));
  return { get: (p) => byPath.get(p), paths: () => [...byPath.keys()].sort() };
}

/** A minimal agreement over the small catalog, coordinator ← police, with the given release map. */
export function tinyAgreement(release: Record<string, unknown>, over: Partial<Agreement> = {}): Agreement {
  return {
    id: 'tiny',
    title: 'Tiny agreement for engine tests',
    effectiveFrom: '2026-01-01',
    reviewBy: '2027-01-01',
    expiresAt: '2027-12-31',
    retentionDays: 30,
    parties: [
      { agency: 'coord', type: 'MARAC_COORDINATOR', role: 'coordinator' },
      { agency: 'police', type: 'POLICE' },
      { agency: 'housing', type: 'HOUSING' },
      { agency: 'idva', type: 'IDVA' },
      { agency: 'acute', type: 'HEALTH_ACUTE' },
    ],
    purposes: ['MARAC_RESEARCH'],
    lawfulBasis: { article6: 'PUBLIC_TASK', article9: ['DPA_SCH1_P10', 'DPA_SCH1_P18'], article10: ['DPA_SCH1_P10'], part3Sch8: ['SCH8_P4'], statutoryGateways: [] },
    caseThreshold: { criteria: ['VISIBLE_HIGH_RISK', 'PROFESSIONAL_JUDGEMENT', 'POTENTIAL_ESCALATION', 'REPEAT'] },
    flows: [{ id: 'f1', from: { type: 'POLICE' }, to: { role: 'coordinator' }, direction: 'response', release: release as never }],
    ...over,
  };
}

export const POLICE = party('essex-police', 'POLICE');
export const COORD = party('essex-marat', 'MARAC_COORDINATOR');
export const HOUSING = party('chelmsford-housing', 'HOUSING');
export const ACUTE = party('mse-hospitals', 'HEALTH_ACUTE');
export const GP = party('essex-gp-federation', 'HEALTH_PRIMARY');
export const MH = party('eput-mental-health', 'HEALTH_MENTAL');
export const CSC = party('essex-childrens-services', 'CHILDRENS_SOCIAL_CARE');
export const ASC = party('essex-adult-social-care', 'ADULT_SOCIAL_CARE');
export const PROBATION = party('kss-probation', 'PROBATION');
export const IDVA = party('safe-steps-idva', 'IDVA');
export const RECOVERY = party('recovery-ltd', 'SUBSTANCE_MISUSE');

export { redact, decide };
