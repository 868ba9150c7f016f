/**
 * Reads an agreement's flows defensively (the document may have failed schema validation) into a
 * form both the validator and the compiler use: selectors resolved to party ids, conditions as
 * sets, release rules parsed and compiled, each with the problems found on the way.
 */
import type { AgencyType } from '../identity/principal.js';
import { catalogTree, isAtOrBelow, isValidPathSyntax, type CatalogNode, type CatalogTree } from './catalog-tree.js';
import { compilePipeline, parseRelease, type Pipeline } from './pipeline.js';
import {
  PURPOSES, SUBJECT_ROLES, type Direction, type FieldCatalog, type Party, type PartySelector, type Purpose,
  type SubjectRole, type ValidationProblem,
} from './types.js';

export interface AnalysedRule {
  path: string;
  /** JSON Pointer of the rule within the agreement. */
  pointer: string;
  node: CatalogNode | undefined;
  pipeline: Pipeline | undefined;
}

export interface AnalysedFlow {
  index: number;
  id: string;
  direction: Direction | undefined;
  from: PartySelector | undefined;
  to: PartySelector | undefined;
  fromIds: ReadonlySet<string>;
  toIds: ReadonlySet<string>;
  toTypes: ReadonlySet<AgencyType>;
  fromTypes: ReadonlySet<AgencyType>;
  purposes: ReadonlySet<Purpose>;
  roles: ReadonlySet<SubjectRole> | undefined;
  consent: ReadonlySet<string> | undefined;
  match: ReadonlySet<string> | undefined;
  rules: AnalysedRule[];
}

export interface AnalysedAgreement {
  parties: Map<string, Party>;
  purposes: ReadonlySet<Purpose>;
  flows: AnalysedFlow[];
  tree: CatalogTree;
}

export function analyseAgreement(doc: Record<string, unknown>, catalog: FieldCatalog, problems: ValidationProblem[]): AnalysedAgreement {
  const tree = catalogTree(catalog);
  const parties = new Map<string, Party>();
  for (const p of arr(doc.parties)) {
    if (isObj(p) && typeof p.agency === 'string' && typeof p.type === 'string' && !parties.has(p.agency)) {
      parties.set(p.agency, p as unknown as Party);
    }
  }
  const purposes = new Set(arr(doc.purposes).filter((p): p is Purpose => (PURPOSES as readonly unknown[]).includes(p)));
  const flows = arr(doc.flows).map((f, i) => analyseFlow(f, i, parties, purposes, tree, problems));
  return { parties, purposes, flows, tree };
}

function analyseFlow(
  raw: unknown, index: number, parties: Map<string, Party>, agreementPurposes: ReadonlySet<Purpose>,
  tree: CatalogTree, problems: ValidationProblem[],
): AnalysedFlow {
  const f = isObj(raw) ? raw : {};
  const at = `/flows/${index}`;
  const from = isObj(f.from) ? (f.from as PartySelector) : undefined;
  const to = isObj(f.to) ? (f.to as PartySelector) : undefined;
  const fromIds = resolveSelector(from, parties, `${at}/from`, problems);
  const toIds = resolveSelector(to, parties, `${at}/to`, problems);
  const flowPurposes = Array.isArray(f.purposes)
    ? new Set((f.purposes as unknown[]).filter((p): p is Purpose => (PURPOSES as readonly unknown[]).includes(p)))
    : new Set(agreementPurposes);
  const when = isObj(f.when) ? f.when : {};
  const set = <T>(v: unknown, allowed?: readonly T[]): ReadonlySet<T> | undefined =>
    Array.isArray(v) ? new Set((v as T[]).filter((x) => !allowed || allowed.includes(x))) : undefined;

  const rules: AnalysedRule[] = [];
  const release = isObj(f.release) ? f.release : {};
  for (const [path, spec] of Object.entries(release)) {
    const pointer = `${at}/release/${path.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!isValidPathSyntax(path)) {
      // The schema reports the bad key (INVALID_PATH); nothing more to say about it.
      rules.push({ path, pointer, node: undefined, pipeline: undefined });
      continue;
    }
    const node = tree.byPath(path);
    if (!node) problems.push({ path: pointer, code: 'UNKNOWN_FIELD_PATH', message: `${path} is not a field of any message schema` });
    const parsed = parseRelease(spec);
    let pipeline: Pipeline | undefined;
    if (!parsed.ok) {
      problems.push({ path: parsed.index === undefined ? pointer : `${pointer}/${parsed.index}`, code: 'INVALID_OPERATOR', message: parsed.message });
    } else {
      pipeline = compilePipeline(parsed.specs);
    }
    rules.push({ path, pointer, node, pipeline });
  }
  const typesOf = (ids: ReadonlySet<string>) => new Set([...ids].map((id) => parties.get(id)!.type));
  return {
    index,
    id: typeof f.id === 'string' ? f.id : `#${index}`,
    direction: f.direction === 'request' || f.direction === 'response' ? f.direction : undefined,
    from, to, fromIds, toIds,
    fromTypes: typesOf(fromIds),
    toTypes: typesOf(toIds),
    purposes: flowPurposes,
    roles: set<SubjectRole>(when.subjectRoles, SUBJECT_ROLES),
    consent: set<string>(when.consentStatus),
    match: set<string>(when.matchStatus),
    rules,
  };
}

function resolveSelector(sel: PartySelector | undefined, parties: Map<string, Party>, at: string, problems: ValidationProblem[]): Set<string> {
  const out = new Set<string>();
  if (!sel) return out;
  if (typeof sel.agency === 'string') {
    if (parties.has(sel.agency)) out.add(sel.agency);
    else problems.push({ path: `${at}/agency`, code: 'UNKNOWN_PARTY', message: `${sel.agency} is not a party to this agreement` });
  } else if (typeof sel.type === 'string') {
    for (const p of parties.values()) if (p.type === sel.type) out.add(p.agency);
    if (out.size === 0) problems.push({ path: `${at}/type`, code: 'NO_PARTY_MATCHES_SELECTOR', message: `no party is of type ${sel.type}` });
  } else if (sel.role === 'coordinator') {
    for (const p of parties.values()) if (p.role === 'coordinator') out.add(p.agency);
    if (out.size === 0) problems.push({ path: `${at}/role`, code: 'NO_PARTY_MATCHES_SELECTOR', message: 'no party has the coordinator role' });
  }
  return out;
}

/** The catalog nodes a rule releases under its own pipeline or, below a pass-through rule, as kept. */
export function affectedNodes(rule: AnalysedRule, flow: AnalysedFlow): { node: CatalogNode; inherited: boolean }[] {
  if (!rule.node || !rule.pipeline) return [];
  const out: { node: CatalogNode; inherited: boolean }[] = [{ node: rule.node, inherited: false }];
  if (!rule.pipeline.passThrough) return out;
  const ownPaths = flow.rules.filter((r) => r !== rule && r.node && isAtOrBelow(r.path, rule.path)).map((r) => r.path);
  const walk = (n: CatalogNode) => {
    const kids = [...n.children.values(), ...(n.item ? [n.item] : [])];
    for (const k of kids) {
      if (ownPaths.includes(k.path)) continue; // governed by its own rule
      out.push({ node: k, inherited: true });
      walk(k);
    }
  };
  walk(rule.node);
  return out;
}

export function setsOverlap<T>(a: ReadonlySet<T> | undefined, b: ReadonlySet<T> | undefined): boolean {
  if (!a || !b) return true; // unspecified = all
  for (const x of a) if (b.has(x)) return true;
  return false;
}

export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
