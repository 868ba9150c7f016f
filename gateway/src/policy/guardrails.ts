/**
 * System-wide guardrails (`policies/guardrails.yaml`) that no agreement can override. Each has a
 * stable id, used as the ruleId in explanations, and a `kind` this module knows how to enforce.
 * An unknown kind, a missing core guardrail or a malformed parameter refuses to load: fail closed.
 *
 * Enforced twice: statically when an agreement is validated (GUARDRAIL_CONFLICT), and on every
 * field at run time, whatever validation said.
 */
import { parse as parseYaml } from 'yaml';
import { GatewayError } from '../errors.js';
import { AGENCY_TYPES, type AgencyType } from '../identity/principal.js';
import { isAtOrBelow, type CatalogNode, type CatalogTree } from './catalog-tree.js';
import { assessCriminalOffence, assessSpecialCategory, type SpecialCategoryRules } from './lawful-basis.js';
import type { Pipeline } from './pipeline.js';
import type { WithheldReason } from './reasons.js';
import { PURPOSES, SUBJECT_ROLES, type LawfulBasis, type Purpose, type SubjectFacts, type SubjectRole } from './types.js';

export class GuardrailsInvalid extends GatewayError {
  readonly code = 'GUARDRAILS_INVALID';
  readonly status = 500;
}

interface Base { id: string; title: string; rationale?: string }
export type Guardrail = Base & (
  | { kind: 'location'; protectedRoles: SubjectRole[]; allowedRecipients: AgencyType[] }
  | { kind: 'confidentialAddress'; allowedRecipients: AgencyType[]; replacement: string }
  | { kind: 'clinicalNarrative'; allowedRecipients: AgencyType[] }
  | { kind: 'matchConfirmed'; allowedPaths: string[] }
  | { kind: 'specialCategory'; sch8Recipients: AgencyType[]; safeguardingConditions: string[]; explicitConsentConditions: string[] }
  | { kind: 'criminalOffence'; sch8Recipients: AgencyType[]; safeguardingConditions: string[]; explicitConsentConditions: string[] }
  | { kind: 'childDob'; paths: string[]; allowedRecipients: AgencyType[] }
  | { kind: 'mentalHealthDiagnosis'; paths: string[]; allowedRecipients: AgencyType[] }
  | { kind: 'perpetratorMentalHealth'; under: string; flag: string; allowedRecipients: AgencyType[] }
  | { kind: 'transferNoPayload'; purposes: Purpose[]; paths: string[] }
  | { kind: 'freeText'; exemptRecipients: AgencyType[] }
  | { kind: 'locationInText'; allowedRecipients: AgencyType[] }
);
export type GuardrailKind = Guardrail['kind'];

export interface Guardrails {
  readonly version: number;
  readonly list: readonly Guardrail[];
  readonly specialCategory: SpecialCategoryRules & { id: string };
  /** Art 10 for `CO` fields, when guardrails.yaml defines it (the gateway's own file does). */
  readonly criminalOffence?: SpecialCategoryRules & { id: string };
  readonly matchConfirmed: { id: string; allowedPaths: ReadonlySet<string> };
}

const REQUIRED_KINDS: readonly GuardrailKind[] = ['location', 'clinicalNarrative', 'matchConfirmed', 'specialCategory'];

const PARAMS: Record<GuardrailKind, Record<string, 'roles' | 'agencies' | 'strings' | 'string' | 'purposes'>> = {
  location: { protectedRoles: 'roles', allowedRecipients: 'agencies' },
  confidentialAddress: { allowedRecipients: 'agencies', replacement: 'string' },
  clinicalNarrative: { allowedRecipients: 'agencies' },
  matchConfirmed: { allowedPaths: 'strings' },
  specialCategory: { sch8Recipients: 'agencies', safeguardingConditions: 'strings', explicitConsentConditions: 'strings' },
  criminalOffence: { sch8Recipients: 'agencies', safeguardingConditions: 'strings', explicitConsentConditions: 'strings' },
  childDob: { paths: 'strings', allowedRecipients: 'agencies' },
  mentalHealthDiagnosis: { paths: 'strings', allowedRecipients: 'agencies' },
  perpetratorMentalHealth: { under: 'string', flag: 'string', allowedRecipients: 'agencies' },
  transferNoPayload: { purposes: 'purposes', paths: 'strings' },
  freeText: { exemptRecipients: 'agencies' },
  locationInText: { allowedRecipients: 'agencies' },
};

/** Parses and checks guardrails.yaml. Throws GuardrailsInvalid listing every problem. */
export function loadGuardrails(yamlText: string): Guardrails {
  let doc: unknown;
  try {
    doc = parseYaml(yamlText);
  } catch (e) {
    throw new GuardrailsInvalid(`guardrails: not YAML: ${(e as Error).message}`);
  }
  const problems: string[] = [];
  if (!isObj(doc)) throw new GuardrailsInvalid('guardrails: expected a mapping with `version` and `guardrails`');
  for (const k of Object.keys(doc)) if (k !== 'version' && k !== 'guardrails') problems.push(`unknown key ${k}`);
  if (doc.version !== 1) problems.push('version must be 1');
  const raw = doc.guardrails;
  if (!Array.isArray(raw) || raw.length === 0) throw new GuardrailsInvalid('guardrails: `guardrails` must be a non-empty list');
  const list: Guardrail[] = [];
  const ids = new Set<string>();
  raw.forEach((g: unknown, i) => {
    const where = `guardrails[${i}]`;
    if (!isObj(g)) return void problems.push(`${where}: expected a mapping`);
    const kind = g.kind as GuardrailKind;
    const params = PARAMS[kind];
    if (typeof g.kind !== 'string' || !params) return void problems.push(`${where}: unknown kind ${String(g.kind)}`);
    if (typeof g.id !== 'string' || !/^[A-Z][A-Z0-9-]{1,63}$/.test(g.id)) problems.push(`${where}: id must be UPPER-KEBAB`);
    else if (ids.has(g.id)) problems.push(`${where}: duplicate id ${g.id}`);
    else ids.add(g.id);
    if (typeof g.title !== 'string' || g.title.length === 0) problems.push(`${where}: title is required`);
    if (g.rationale !== undefined && typeof g.rationale !== 'string') problems.push(`${where}: rationale must be text`);
    for (const k of Object.keys(g)) {
      if (!['id', 'kind', 'title', 'rationale'].includes(k) && !(k in params)) problems.push(`${where}: unknown key ${k}`);
    }
    for (const [k, t] of Object.entries(params)) {
      const v = g[k];
      const bad = (msg: string) => problems.push(`${where}.${k}: ${msg}`);
      if (t === 'string') { if (typeof v !== 'string' || v.length === 0) bad('text required'); continue; }
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) { bad('list of text required'); continue; }
      const allowed = t === 'roles' ? SUBJECT_ROLES : t === 'agencies' ? AGENCY_TYPES : t === 'purposes' ? PURPOSES : undefined;
      for (const x of v as string[]) if (allowed && !(allowed as readonly string[]).includes(x)) bad(`unknown value ${x}`);
    }
    list.push(g as unknown as Guardrail);
  });
  for (const kind of REQUIRED_KINDS) {
    if (!list.some((g) => g.kind === kind)) problems.push(`the ${kind} guardrail is required`);
  }
  for (const kind of ['specialCategory', 'criminalOffence', 'matchConfirmed'] as const) {
    if (list.filter((g) => g.kind === kind).length > 1) problems.push(`only one ${kind} guardrail may be defined`);
  }
  if (problems.length > 0) throw new GuardrailsInvalid(`guardrails: ${problems.join('; ')}`);

  const sc = list.find((g) => g.kind === 'specialCategory') as Extract<Guardrail, { kind: 'specialCategory' }>;
  const mc = list.find((g) => g.kind === 'matchConfirmed') as Extract<Guardrail, { kind: 'matchConfirmed' }>;
  const co = list.find((g) => g.kind === 'criminalOffence') as Extract<Guardrail, { kind: 'criminalOffence' }> | undefined;
  return deepFreeze({
    version: 1,
    list,
    specialCategory: {
      id: sc.id,
      sch8Recipients: new Set(sc.sch8Recipients),
      safeguardingConditions: new Set(sc.safeguardingConditions),
      explicitConsentConditions: new Set(sc.explicitConsentConditions),
    },
    matchConfirmed: { id: mc.id, allowedPaths: new Set(mc.allowedPaths) },
    ...(co ? {
      criminalOffence: {
        id: co.id,
        sch8Recipients: new Set(co.sch8Recipients),
        safeguardingConditions: new Set(co.safeguardingConditions),
        explicitConsentConditions: new Set(co.explicitConsentConditions),
      },
    } : {}),
  });
}

// ---- enforcement --------------------------------------------------------------------------------

/** What one guardrail does to the fields it covers, for one recipient and one subject. */
export type GuardMode =
  | { kind: 'off' }
  | { kind: 'blockAll'; reason: WithheldReason; ruleId: string }
  | { kind: 'blockUnlessGeneralised'; reason: WithheldReason; ruleId: string }
  | { kind: 'blockUnlessTextSafe'; reason: WithheldReason; ruleId: string }
  | { kind: 'replace'; value: string; ruleId: string };

export type GuardVerdict =
  | { kind: 'block'; reason: WithheldReason; ruleId: string }
  | { kind: 'replace'; value: string; ruleId: string };

const OFF: GuardMode = Object.freeze({ kind: 'off' });

export interface GuardFacts {
  recipientType: AgencyType;
  purpose: Purpose;
  subject: SubjectFacts;
  basis: Pick<LawfulBasis, 'article9' | 'part3Sch8'> & Partial<Pick<LawfulBasis, 'article10'>>;
  addressConfidential: boolean;
  /** Some subject of the case (not only this one) has a confidential address: free text may name it. */
  caseAddressConfidential?: boolean;
  /** Value of each perpetratorMentalHealth guardrail's flag in the document (index = guardrail index). */
  flagValue: (path: string) => unknown;
}

/** One mode per guardrail (same order as `guardrails.list`), computed once per redaction. */
export function guardModes(g: Guardrails, f: GuardFacts): GuardMode[] {
  return g.list.map((gr): GuardMode => {
    switch (gr.kind) {
      case 'location':
        return gr.protectedRoles.includes(f.subject.role) && !gr.allowedRecipients.includes(f.recipientType)
          ? { kind: 'blockUnlessGeneralised', reason: 'GUARDRAIL_LOCATION', ruleId: gr.id } : OFF;
      case 'confidentialAddress':
        return f.addressConfidential && !gr.allowedRecipients.includes(f.recipientType)
          ? { kind: 'replace', value: gr.replacement, ruleId: gr.id } : OFF;
      case 'clinicalNarrative':
        return gr.allowedRecipients.includes(f.recipientType)
          ? OFF : { kind: 'blockAll', reason: 'GUARDRAIL_CLINICAL_NARRATIVE', ruleId: gr.id };
      case 'specialCategory': {
        const a = assessSpecialCategory(f.subject, f.recipientType, f.basis, g.specialCategory);
        return a.ok ? OFF : { kind: 'blockAll', reason: a.reason, ruleId: gr.id };
      }
      case 'criminalOffence': {
        const a = assessCriminalOffence(f.subject, f.recipientType, { article10: f.basis.article10 ?? [], part3Sch8: f.basis.part3Sch8 }, g.criminalOffence!);
        return a.ok ? OFF : { kind: 'blockAll', reason: a.reason, ruleId: gr.id };
      }
      case 'childDob':
        return (f.subject.role === 'CHILD' || f.subject.mayBeChild === true || f.subject.isAdult !== true) && !gr.allowedRecipients.includes(f.recipientType)
          ? { kind: 'blockUnlessGeneralised', reason: 'GUARDRAIL_CHILD_DOB', ruleId: gr.id } : OFF;
      case 'mentalHealthDiagnosis':
        return gr.allowedRecipients.includes(f.recipientType)
          ? OFF : { kind: 'blockAll', reason: 'GUARDRAIL_MENTAL_HEALTH', ruleId: gr.id };
      case 'perpetratorMentalHealth':
        return f.subject.role === 'PERPETRATOR' && !gr.allowedRecipients.includes(f.recipientType) && f.flagValue(gr.flag) !== true
          ? { kind: 'blockAll', reason: 'GUARDRAIL_MENTAL_HEALTH', ruleId: gr.id } : OFF;
      case 'transferNoPayload':
        return gr.purposes.includes(f.purpose)
          ? { kind: 'blockAll', reason: 'GUARDRAIL_TRANSFER_PAYLOAD', ruleId: gr.id } : OFF;
      case 'freeText':
        return gr.exemptRecipients.includes(f.recipientType)
          ? OFF : { kind: 'blockUnlessTextSafe', reason: 'GUARDRAIL_FREE_TEXT', ruleId: gr.id };
      case 'locationInText':
        return (f.caseAddressConfidential || f.addressConfidential) && !gr.allowedRecipients.includes(f.recipientType)
          ? { kind: 'blockUnlessTextSafe', reason: 'GUARDRAIL_LOCATION_IN_TEXT', ruleId: gr.id } : OFF;
      case 'matchConfirmed':
        return OFF; // enforced on the document's top level, see redact.ts
    }
  });
}

export function verdictOf(mode: GuardMode, p: Pipeline): GuardVerdict | undefined {
  switch (mode.kind) {
    case 'off':
      return undefined;
    case 'blockAll':
      return { kind: 'block', reason: mode.reason, ruleId: mode.ruleId };
    case 'blockUnlessGeneralised':
      return p.generalises ? undefined : { kind: 'block', reason: mode.reason, ruleId: mode.ruleId };
    case 'blockUnlessTextSafe':
      return p.neutralisesText ? undefined : { kind: 'block', reason: mode.reason, ruleId: mode.ruleId };
    case 'replace':
      // A flag, a count or a constant cannot point at the address; anything else is replaced.
      return p.opaque ? undefined : { kind: 'replace', value: mode.value, ruleId: mode.ruleId };
  }
}

/** Does guardrail `gr` cover the field at `node` (by tag or by path)? */
export function covers(gr: Guardrail, node: CatalogNode): boolean {
  const tags = node.info.sensitivity;
  switch (gr.kind) {
    case 'location': case 'confidentialAddress':
      return tags.includes('LOC');
    case 'clinicalNarrative':
      return node.info.clinicalNarrative;
    case 'specialCategory':
      return tags.includes('SC');
    case 'criminalOffence': {
      // A payload tagged CO as a whole (probation, police) makes everything in it criminal
      // offence data: being on an offender manager's books says the person was convicted.
      for (let n: CatalogNode | undefined = node; n; n = n.parent) if (n.info.sensitivity.includes('CO')) return true;
      return false;
    }
    case 'freeText': case 'locationInText':
      return tags.includes('FT');
    case 'childDob': case 'mentalHealthDiagnosis': case 'transferNoPayload':
      return gr.paths.some((p) => isAtOrBelow(node.path, p));
    case 'perpetratorMentalHealth':
      return isAtOrBelow(node.path, gr.under);
    case 'matchConfirmed':
      return false;
  }
}

const coverage = new WeakMap<Guardrails, WeakMap<CatalogTree, readonly (readonly number[])[]>>();

/** For each catalog node, the indexes of the guardrails covering it (cached per tree). */
export function guardIndex(g: Guardrails, tree: CatalogTree): readonly (readonly number[])[] {
  let byTree = coverage.get(g);
  if (!byTree) coverage.set(g, (byTree = new WeakMap()));
  let idx = byTree.get(tree);
  if (!idx) {
    idx = tree.nodes.map((n) => g.list.flatMap((gr, i) => (covers(gr, n) ? [i] : [])));
    byTree.set(tree, idx);
  }
  return idx;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !(v instanceof Set) && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}
