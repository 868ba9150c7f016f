/**
 * Applies a redaction plan to one document (a subject result, a request's subject details, an
 * envelope or a transfer bundle) for one subject. Builds a NEW view containing only what the
 * plan releases; the input is never mutated. Default deny throughout:
 *
 * - a key the catalog does not know, or no applicable rule releases → NOT_IN_AGREEMENT;
 * - a value of the wrong type or outside its enum → TYPE_MISMATCH (nothing smuggled in a flag);
 * - an operator that cannot apply → dropped with the operator's reason;
 * - every guardrail is checked again on every released node, whatever validation said.
 *
 * Explanation paths are concrete, with indexes as in the source document.
 */
import type { OperatorContext } from './operators/index.js';
import { isPrimitiveType, type CatalogNode } from './catalog-tree.js';
import { ExplanationBuilder } from './explain.js';
import { guardModes, verdictOf, type GuardMode, type GuardVerdict } from './guardrails.js';
import { applyPipeline, type Pipeline } from './pipeline.js';
import { PLAN, programFor, selectFlows, type NodeRule, type Program, type RedactionPlan } from './plan.js';
import { DEFAULT_DENY_RULE } from './reasons.js';
import { locationNet, type CaseLocations, type LocationNet } from './location-context.js';
import { filterGuardedDescendants } from './guard-filter.js';
import { scrubLocationText } from './location-text/index.js';
import type { CatalogTree } from './catalog-tree.js';
import type { Explanation, SubjectFacts } from './types.js';

export type SubjectResultLike = Record<string, unknown>;
export type RequestSubjectLike = Record<string, unknown>;

export interface RedactContext {
  now: Date;
  hmacKey: Buffer;
  /**
   * What locates the subjects of the case (issue 12): every released free-text value is cleared
   * of the locations this recipient may not hold. Build it once per case and request, and pass
   * the same object to every redaction of that request (its compiled lexicons are cached on it).
   * Without it only the document's own locations are known.
   */
  locations?: CaseLocations;
}

export class NotARedactionPlan extends Error {}

const NOTHING = Symbol('nothing');
type Out = unknown;

interface Run {
  readonly program: Program;
  readonly modes: readonly GuardMode[];
  readonly guardIdx: readonly (readonly number[])[];
  readonly op: OperatorContext;
  readonly exp: ExplanationBuilder;
  /** Location-in-text net for this recipient, if it lacks LOC rights for something on the case. */
  readonly loc: LocationNet | undefined;
  /** Per catalog node: 2 free text (both nets), 1 other free-form text (the case's own locations), 0 none. */
  readonly textKind: Uint8Array;
}

/**
 * The parts of an agency's result for one subject: about the matched record, so withheld until
 * the match is confirmed (also when `match` is missing). Envelope fields (agencyRiskSummary,
 * proposedActions) are the agency's own summary, not the record.
 */
const SUBJECT_RESULT_KEYS = new Set([
  'match', 'knownToAgency', 'currentInvolvement', 'subject', 'withheld',
  'police', 'health', 'housing', 'childrensSocialCare', 'adultSocialCare', 'probation', 'idva',
]);

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Keys the explanation may repeat verbatim; anything else is a value in disguise (e.g. an address used as a key). */
const SAFE_KEY = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

export function redact(
  plan: RedactionPlan,
  doc: SubjectResultLike | RequestSubjectLike,
  subject: SubjectFacts,
  ctx: RedactContext,
): { view: Record<string, unknown>; explanation: Explanation } {
  const pc = plan?.[PLAN];
  if (!pc) throw new NotARedactionPlan('redact() needs the plan of a PERMIT decision');
  const exp = new ExplanationBuilder(plan.agreementId, plan.version);
  const view: Record<string, unknown> = {};
  if (!isPlainObject(doc)) {
    exp.withhold('', 'TYPE_MISMATCH', DEFAULT_DENY_RULE);
    return { view, explanation: exp.build() };
  }
  const keys = Object.keys(doc);
  const matchStatus = plan.direction === 'response' ? readMatchStatus(doc) : undefined;
  const sel = selectFlows(pc.flows, subject, matchStatus);
  if (!sel.ok) {
    for (const k of keys) exp.withhold(safeKey('', k), sel.reason, DEFAULT_DENY_RULE);
    return { view, explanation: exp.build() };
  }
  const core = pc.core;
  const addressConfidential = subject.addressConfidential === true || docAddressConfidential(doc);
  const loc = locationNet({
    guardrails: core.guardrails, tree: core.tree, recipientType: pc.recipientType, locations: ctx.locations,
    subject: { role: subject.role, addressConfidential }, doc,
  });
  const modes = guardModes(core.guardrails, {
    recipientType: pc.recipientType,
    purpose: plan.purpose,
    subject,
    basis: core.basis,
    addressConfidential,
    caseAddressConfidential: loc.anyConfidential,
    flagValue: (path) => readPath(doc, path),
  });
  const run: Run = {
    program: programFor(pc, sel),
    modes,
    guardIdx: core.guardIdx,
    op: { now: ctx.now, hmacKey: ctx.hmacKey },
    exp,
    loc: loc.net,
    textKind: textKinds(core.tree),
  };
  // Nothing but the match result about a subject the agency has not positively matched.
  const mc = core.guardrails.matchConfirmed;
  // Transfer bundles pass between coordinators and carry no match; their payloads have their own guardrail.
  const gateMatch = plan.direction === 'response' && matchStatus !== 'MATCHED' && plan.purpose !== 'MARAC_TRANSFER';
  const root = core.tree.root;
  for (const key of keys) {
    const path = safeKey('', key);
    if (gateMatch && SUBJECT_RESULT_KEYS.has(key) && !mc.allowedPaths.has(key)) {
      exp.withhold(path, 'MATCH_NOT_CONFIRMED', mc.id);
      continue;
    }
    const child = root.children.get(key);
    if (!child) {
      exp.withhold(path, 'NOT_IN_AGREEMENT', DEFAULT_DENY_RULE);
      continue;
    }
    const r = visit(child, doc[key], path, undefined, run);
    if (r !== NOTHING) view[key] = r;
  }
  return { view, explanation: exp.build() };
}

function visit(node: CatalogNode, value: unknown, path: string, inherited: NodeRule | undefined, run: Run): Out {
  const own = run.program.rules[node.id];
  if (own !== undefined && 'conflict' in own) {
    run.exp.withhold(path, 'FLOW_CONFLICT', run.program.conflictIds.get(node.id));
    return NOTHING;
  }
  const rule = own ?? inherited;
  if (rule === undefined) {
    if (!run.program.below[node.id]) {
      run.exp.withhold(path, 'NOT_IN_AGREEMENT', DEFAULT_DENY_RULE);
      return NOTHING;
    }
    return descend(node, value, path, undefined, false, run);
  }
  const p = rule.pipeline;
  if (p.isDrop) {
    run.exp.withhold(path, 'DROPPED_BY_RULE', rule.ruleId);
    return NOTHING;
  }
  if (!fitsShape(node, value)) {
    run.exp.withhold(path, 'TYPE_MISMATCH', rule.ruleId);
    return NOTHING;
  }
  const g = guard(node, p, run);
  if (g) {
    if (g.kind === 'block') {
      run.exp.withhold(path, g.reason, g.ruleId);
      return NOTHING;
    }
    run.exp.transform(path, 'replace', g.ruleId);
    return g.value;
  }
  if (!p.passThrough) {
    // An aggregate of a parent (booleanise, count...) must not reveal what a guardrail withholds below it.
    const below = filterGuardedDescendants(node, value, path, p, run.modes, run.guardIdx);
    if (below.kind !== 'unchanged') {
      for (const x of below.removed) run.exp.withhold(x.path, x.reason, x.ruleId);
      if (below.kind === 'empty') {
        run.exp.withhold(path, below.removed[0]!.reason, below.removed[0]!.ruleId);
        return NOTHING;
      }
      for (const x of below.replaced) run.exp.transform(x.path, 'replace', x.ruleId);
      value = below.value;
    }
    // Locations go BEFORE the pipeline, so a truncation cannot cut one in half and leave a
    // fragment no matcher knows; and again after it, on what actually leaves.
    const text = run.loc !== undefined && run.textKind[node.id]! > 0;
    const before = text ? clearLocations(node.id, value, run) : undefined;
    const r = applyPipeline(p, before ? before.value : value, run.op);
    if (r.kind === 'drop') {
      run.exp.withhold(path, r.reason, rule.ruleId);
      return NOTHING;
    }
    run.exp.transform(path, p.name, rule.ruleId);
    if (!text) return r.value;
    const after = clearLocations(node.id, r.value, run);
    if (before?.removed || after.removed) run.exp.transform(path, LOCATION_OP, run.loc!.ruleId);
    return after.value;
  }
  const t = node.info.type;
  if (t !== 'object' && t !== 'array') return releaseLeaf(node, value, path, rule, run);
  if (t === 'array' && isPrimitiveType(node.info.itemType) && !run.program.below[node.id] && p.isKeep) {
    // A list of primitives kept whole: one entry for the list.
    return releaseLeaf(node, value, path, rule, run);
  }
  if (t === 'array' && !p.isKeep) return releaseList(node, value as unknown[], path, rule, run);
  return descend(node, value, path, rule.inheritable, true, run);
}

function releaseLeaf(node: CatalogNode, value: unknown, path: string, rule: NodeRule, run: Run): Out {
  if (!fitsLeaf(node, value)) {
    run.exp.withhold(path, 'TYPE_MISMATCH', rule.ruleId);
    return NOTHING;
  }
  run.exp.release(path, rule.ruleId);
  if (run.loc !== undefined && run.textKind[node.id]! > 0) {
    const c = clearLocations(node.id, value, run);
    if (c.removed) run.exp.transform(path, LOCATION_OP, run.loc.ruleId);
    return Array.isArray(c.value) ? c.value.slice() : c.value;
  }
  return Array.isArray(value) ? value.slice() : value;
}

/** The `op` that explanations and audit events give a path that had location text removed. */
export const LOCATION_OP = 'locationText';

/** Location text out of a string or a list of strings; anything else passes untouched. */
function clearLocations(nodeId: number, v: unknown, run: Run): { value: unknown; removed: boolean } {
  const net = run.loc!;
  const opts = { addressShapes: net.shapes && run.textKind[nodeId] === 2 };
  if (typeof v === 'string') {
    const r = scrubLocationText(v, net.lexicon, opts);
    return { value: r.text, removed: r.removed };
  }
  if (Array.isArray(v) && v.some((x) => typeof x === 'string')) {
    let removed = false;
    const out = v.map((x) => {
      if (typeof x !== 'string') return x;
      const r = scrubLocationText(x, net.lexicon, opts);
      removed ||= r.removed;
      return r.text;
    });
    return { value: out, removed };
  }
  return { value: v, removed: false };
}

const textKindCache = new WeakMap<CatalogTree, Uint8Array>();

/** The gateway's own record ids and catalogued paths ("subjectId", "ownerAgencyId", "fieldPath"): never text. */
const GATEWAY_ID_FIELD = /(?:Id|Ids|fieldPath)$/;

/**
 * Which fields can carry a location as text. Free text (FT) and special-category text (a
 * diagnosis) get both nets. Every other string but enums, LOC fields (the location guardrails'
 * business) and the gateway's record ids gets the case's own locations only: third parties'
 * lines, names, identifiers' values ("local": 64 characters of letters, digits and spaces),
 * roles and references; the shape net would eat legitimate references there, but nothing
 * legitimate in them equals a protected address (decision 0010, second review).
 */
function textKinds(tree: CatalogTree): Uint8Array {
  let k = textKindCache.get(tree);
  if (k) return k;
  k = new Uint8Array(tree.nodes.length);
  for (const n of tree.nodes) {
    const tags = n.info.sensitivity;
    const stringy = n.info.type === 'string' || (n.info.type === 'array' && n.info.itemType === 'string');
    if (!stringy) continue;
    if (tags.includes('FT')) k[n.id] = 2;
    else if (n.enumSet || tags.includes('LOC') || GATEWAY_ID_FIELD.test(n.info.path)) continue;
    // Special-category text outside FT ("diagnosis", 500 characters) gets both nets; every other
    // string that is not an enum, a LOC field or a record id (names, identifiers' values, a role,
    // a reference) the case's own locations: a "local" identifier may hold "9 Quarry Row CM19 4QD".
    else if (tags.includes('SC') || n.info.clinicalNarrative) k[n.id] = 2;
    else k[n.id] = 1;
  }
  textKindCache.set(tree, k);
  return k;
}

/** window / limit: filter the list, say which items went and why, then release the rest item by item. */
function releaseList(node: CatalogNode, list: unknown[], path: string, rule: NodeRule, run: Run): Out {
  let cur = list.map((item, index) => ({ item, index }));
  for (const op of rule.pipeline.ops) {
    if (op.name === 'keep') continue;
    const r = op.apply(cur.map((x) => x.item), run.op);
    if (r.kind === 'drop') {
      run.exp.withhold(path, r.reason, rule.ruleId);
      return NOTHING;
    }
    if (!Array.isArray(r.value)) {
      run.exp.withhold(path, 'OPERATOR_RESULT_UNTRACEABLE', rule.ruleId);
      return NOTHING;
    }
    // List operators return the very items they keep; trace each back to its source position
    // (a queue per item, so repeated primitive values map in order). Linear in the list length.
    const positions = new Map<unknown, number[]>();
    cur.forEach((x, j) => {
      const q = positions.get(x.item);
      if (q) q.push(j);
      else positions.set(x.item, [j]);
    });
    const used = new Uint8Array(cur.length);
    const next: typeof cur = [];
    for (const out of r.value) {
      const k = positions.get(out)?.shift() ?? -1;
      if (k < 0) {
        run.exp.withhold(path, 'OPERATOR_RESULT_UNTRACEABLE', rule.ruleId);
        return NOTHING;
      }
      used[k] = 1;
      next.push(cur[k]!);
    }
    const reason = op.name === 'window' ? 'OUTSIDE_WINDOW' : op.name === 'limit' ? 'OUTSIDE_LIMIT' : 'DROPPED_BY_RULE';
    for (let j = 0; j < cur.length; j++) if (!used[j]) run.exp.withhold(`${path}[${cur[j]!.index}]`, reason, rule.ruleId);
    cur = next;
  }
  run.exp.transform(path, rule.pipeline.name, rule.ruleId);
  const item = node.item!;
  const out: unknown[] = [];
  for (const { item: v, index } of cur) {
    const r = visit(item, v, `${path}[${index}]`, rule.inheritable, run);
    if (r !== NOTHING) out.push(r);
  }
  return out;
}

function descend(node: CatalogNode, value: unknown, path: string, inherited: NodeRule | undefined, released: boolean, run: Run): Out {
  if (node.info.type === 'object') {
    if (!isPlainObject(value)) {
      run.exp.withhold(path, 'TYPE_MISMATCH', inherited?.ruleId ?? DEFAULT_DENY_RULE);
      return NOTHING;
    }
    const out: Record<string, unknown> = {};
    let any = false;
    for (const key of Object.keys(value)) {
      const child = node.children.get(key);
      const cp = safeKey(path, key);
      if (!child) {
        run.exp.withhold(cp, 'NOT_IN_AGREEMENT', DEFAULT_DENY_RULE);
        continue;
      }
      const r = visit(child, value[key], cp, inherited, run);
      if (r !== NOTHING) {
        out[key] = r;
        any = true;
      }
    }
    return any ? out : NOTHING;
  }
  if (node.info.type === 'array') {
    if (!Array.isArray(value)) {
      run.exp.withhold(path, 'TYPE_MISMATCH', inherited?.ruleId ?? DEFAULT_DENY_RULE);
      return NOTHING;
    }
    const item = node.item!;
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      const r = visit(item, value[i], `${path}[${i}]`, inherited, run);
      if (r !== NOTHING) out.push(r);
    }
    return out.length > 0 || released ? out : NOTHING;
  }
  run.exp.withhold(path, 'NOT_IN_AGREEMENT', DEFAULT_DENY_RULE);
  return NOTHING;
}

/** Blocks win over replacements; the first guardrail (in guardrails.yaml order) names the reason. */
function guard(node: CatalogNode, p: Pipeline, run: Run): GuardVerdict | undefined {
  const idx = run.guardIdx[node.id]!;
  let replace: GuardVerdict | undefined;
  for (let i = 0; i < idx.length; i++) {
    const v = verdictOf(run.modes[idx[i]!]!, p);
    if (!v) continue;
    if (v.kind === 'block') return v;
    replace ??= v;
  }
  return replace;
}

function fitsShape(node: CatalogNode, v: unknown): boolean {
  switch (node.info.type) {
    case 'object': return isPlainObject(v);
    case 'array': return Array.isArray(v);
    default: return v !== null && v !== undefined && typeof v !== 'object';
  }
}

function fitsLeaf(node: CatalogNode, v: unknown): boolean {
  if (node.info.type === 'array') {
    if (!Array.isArray(v)) return false;
    const t = node.info.itemType;
    return v.every((x) => fitsPrimitive(t, x) && (!node.enumSet || node.enumSet.has(x as string)));
  }
  return fitsPrimitive(node.info.type, v) && (!node.enumSet || node.enumSet.has(v as string));
}

function fitsPrimitive(t: string | undefined, v: unknown): boolean {
  switch (t) {
    case 'string': return typeof v === 'string';
    // A date field carries a date, never text smuggled past the schema.
    case 'date': return typeof v === 'string' && DATE.test(v);
    case 'date-time': return typeof v === 'string' && DATE_TIME.test(v);
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'boolean': return typeof v === 'boolean';
    default: return false;
  }
}

function safeKey(parent: string, key: string): string {
  const k = SAFE_KEY.test(key) ? key : '<invalid-key>';
  return parent ? `${parent}.${k}` : k;
}

function readMatchStatus(doc: Record<string, unknown>): string | undefined {
  const m = doc.match;
  return isPlainObject(m) && typeof m.status === 'string' ? m.status : undefined;
}

function docAddressConfidential(doc: Record<string, unknown>): boolean {
  const s = doc.subject;
  if (!isPlainObject(s)) return false;
  const a = s.address;
  return isPlainObject(a) && a.confidential === true;
}

function readPath(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const k of path.split('.')) {
    if (!isPlainObject(cur) || !Object.hasOwn(cur, k)) return undefined;
    cur = cur[k];
  }
  return cur;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
