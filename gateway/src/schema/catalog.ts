/**
 * The field catalog: every path an agreement may name, with its type and sensitivity tags, built
 * once by walking the JSON Schemas (following `$ref`s). The schemas stay the single source of truth;
 * the policy engine checks agreement paths against this and reads the tags for guardrails.
 *
 * Path syntax: relative to ONE subject result, dot-separated, `[]` for array items
 * (`health.edAttendances12m[].date`, `subject.address.postcode`, `match.status`). Envelope fields
 * use their own names (`agencyRiskSummary.text`, `proposedActions[].description`). The subject
 * fields a coordinator sends out with a request (case subjects) are merged in under `subject.*`.
 */
import type { AnySchemaObject } from 'ajv/dist/2020.js';
import type { AgencyType } from '../identity/principal.js';
import { SCHEMA_BASE, schemaRegistry, type SchemaRegistry } from './registry.js';

export type Sensitivity = 'ID' | 'SC' | 'CO' | 'LOC' | 'CHILD' | '3P' | 'OPN' | 'FT';
export const SENSITIVITIES: readonly Sensitivity[] = ['ID', 'SC', 'CO', 'LOC', 'CHILD', '3P', 'OPN', 'FT'];

export type FieldType = 'string' | 'date' | 'date-time' | 'number' | 'integer' | 'boolean' | 'object' | 'array';

export interface FieldInfo {
  path: string;
  type: FieldType;
  itemType?: FieldType;
  sensitivity: Sensitivity[];
  clinicalNarrative: boolean;
  enum?: readonly (string | number)[];
}

export interface FieldCatalog {
  get(path: string): FieldInfo | undefined;
  /** All catalogued paths, sorted. */
  paths(): string[];
  /** Payload key an agency type may send; undefined for agency types that send no payload. */
  payloadKeyFor(agencyType: AgencyType): string | undefined;
}

export const PAYLOAD_KEYS = [
  'police', 'health', 'housing', 'childrensSocialCare', 'adultSocialCare', 'probation', 'idva',
] as const;
export type PayloadKey = (typeof PAYLOAD_KEYS)[number];

const PAYLOAD_KEY_BY_AGENCY: Partial<Record<AgencyType, PayloadKey>> = {
  POLICE: 'police',
  HEALTH_ACUTE: 'health',
  HEALTH_PRIMARY: 'health',
  HEALTH_MENTAL: 'health',
  HOUSING: 'housing',
  CHILDRENS_SOCIAL_CARE: 'childrensSocialCare',
  ADULT_SOCIAL_CARE: 'adultSocialCare',
  PROBATION: 'probation',
  IDVA: 'idva',
};

export function payloadKeyFor(agencyType: AgencyType): PayloadKey | undefined {
  return PAYLOAD_KEY_BY_AGENCY[agencyType];
}

export function isSensitivity(v: unknown): v is Sensitivity {
  return typeof v === 'string' && (SENSITIVITIES as readonly string[]).includes(v);
}

/** A schema node with its `$ref` chain followed and the referring sites' tags unioned in. */
interface Resolved {
  node: AnySchemaObject;
  base: string;
  tags: Set<Sensitivity>;
  clinical: boolean;
}

export class SchemaWalker {
  constructor(private readonly docs: ReadonlyMap<string, AnySchemaObject>) {}

  /** Look up `<doc>#<json pointer>` among the loaded documents. */
  lookup(ref: string, base: string): { node: AnySchemaObject; base: string } {
    const url = new URL(ref, base);
    const hash = url.hash;
    url.hash = '';
    const doc = this.docs.get(url.href);
    if (!doc) throw new Error(`unresolvable $ref ${ref} from ${base}`);
    let node: unknown = doc;
    const pointer = decodeURIComponent(hash.replace(/^#/, ''));
    if (pointer !== '') {
      for (const raw of pointer.replace(/^\//, '').split('/')) {
        const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
        node = (node as Record<string, unknown> | undefined)?.[token];
      }
    }
    if (node === null || typeof node !== 'object') throw new Error(`unresolvable $ref ${ref} from ${base}`);
    return { node: node as AnySchemaObject, base: url.href };
  }

  resolve(node: AnySchemaObject, base: string): Resolved {
    const tags = new Set<Sensitivity>();
    let clinical = false;
    let merged: AnySchemaObject = node;
    let curBase = base;
    for (let hops = 0; ; hops++) {
      for (const t of (merged['x-sensitivity'] as unknown[] | undefined) ?? []) {
        if (!isSensitivity(t)) throw new Error(`unknown x-sensitivity tag ${String(t)}`);
        tags.add(t);
      }
      if (merged['x-clinical-narrative'] === true) clinical = true;
      if (typeof merged.$ref !== 'string') break;
      if (hops > 32) throw new Error(`$ref chain too deep at ${base}`);
      const { $ref, ...siblings } = merged;
      const target = this.lookup($ref as string, curBase);
      // Referrer's siblings win over the target (e.g. a tighter maxLength), tags are unioned above.
      merged = { ...target.node, ...siblings, 'x-sensitivity': target.node['x-sensitivity'] ?? [] };
      if (typeof target.node.$ref === 'string') merged.$ref = target.node.$ref;
      curBase = target.base;
    }
    return { node: merged, base: curBase, tags, clinical };
  }
}

function fieldType(node: AnySchemaObject, where: string): FieldType {
  const t = node.type;
  if (t === 'string') {
    if (node.format === 'date') return 'date';
    if (node.format === 'date-time') return 'date-time';
    return 'string';
  }
  if (t === 'number' || t === 'integer' || t === 'boolean' || t === 'object' || t === 'array') return t;
  if (t === undefined && 'const' in node) {
    const c: unknown = node.const;
    if (typeof c === 'boolean') return 'boolean';
    if (typeof c === 'string') return 'string';
    if (typeof c === 'number') return Number.isInteger(c) ? 'integer' : 'number';
  }
  throw new Error(`cannot catalog ${where}: unsupported schema type ${JSON.stringify(t)}`);
}

function enumOf(node: AnySchemaObject): (string | number)[] | undefined {
  if (Array.isArray(node.enum)) return node.enum as (string | number)[];
  if ('const' in node && (typeof node.const === 'string' || typeof node.const === 'number')) return [node.const];
  return undefined;
}

class CatalogBuilder {
  readonly fields = new Map<string, FieldInfo>();
  constructor(private readonly walker: SchemaWalker) {}

  /** Catalog `node` at `path` (when non-empty) and everything below it. */
  walk(node: AnySchemaObject, base: string, path: string, skip: ReadonlySet<string> = new Set()): void {
    const r = this.walker.resolve(node, base);
    const type = fieldType(r.node, path || '(root)');
    let info: FieldInfo = { path, type, sensitivity: [...r.tags], clinicalNarrative: r.clinical };
    const own = enumOf(r.node);
    if (own) info.enum = own;

    if (type === 'array') {
      if (!r.node.items || typeof r.node.items !== 'object') throw new Error(`array without items at ${path}`);
      const items = this.walker.resolve(r.node.items as AnySchemaObject, r.base);
      const itemType = fieldType(items.node, `${path}[]`);
      const tags = new Set([...r.tags, ...items.tags]);
      info = { ...info, itemType, sensitivity: [...tags], clinicalNarrative: r.clinical || items.clinical };
      const itemEnum = enumOf(items.node);
      if (itemEnum) info.enum = itemEnum;
      if (path) this.add(info);
      if (itemType === 'object') this.walkProperties(items, `${path}[]`, skip);
      return;
    }
    if (path) this.add(info);
    if (type === 'object') this.walkProperties(r, path, skip);
  }

  private walkProperties(r: Resolved, path: string, skip: ReadonlySet<string>): void {
    const props = (r.node.properties ?? {}) as Record<string, AnySchemaObject>;
    for (const [key, child] of Object.entries(props)) {
      if (path === '' && skip.has(key)) continue;
      this.walk(child, r.base, path ? `${path}.${key}` : key);
    }
  }

  private add(info: FieldInfo): void {
    info.sensitivity = SENSITIVITIES.filter((s) => info.sensitivity.includes(s));
    const prev = this.fields.get(info.path);
    if (!prev) {
      this.fields.set(info.path, info);
      return;
    }
    // The same path reached from the request side and the response side: must agree on type.
    if (prev.type !== info.type || prev.itemType !== info.itemType) {
      throw new Error(`catalog conflict at ${info.path}: ${prev.type} vs ${info.type}`);
    }
    const tags = new Set([...prev.sensitivity, ...info.sensitivity]);
    prev.sensitivity = SENSITIVITIES.filter((s) => tags.has(s));
    prev.clinicalNarrative ||= info.clinicalNarrative;
  }
}

export function buildFieldCatalog(registry: SchemaRegistry): FieldCatalog {
  const docs = registry.documents();
  const walker = new SchemaWalker(docs);
  const b = new CatalogBuilder(walker);
  const responseId = `${SCHEMA_BASE}research-response.schema.json`;
  const caseId = `${SCHEMA_BASE}case.schema.json`;
  const response = docs.get(responseId);
  const kase = docs.get(caseId);
  if (!response || !kase) throw new Error('research-response and case schemas are required for the catalog');

  // Envelope fields under their own names, then one subject result at the root.
  b.walk(response, responseId, '', new Set(['subjectResults', 'schemaVersion']));
  b.walk({ $ref: '#/$defs/SubjectResult' }, responseId, '');
  // What the coordinator sends out about each subject, under subject.* (its local key is not data).
  const subject = walker.lookup('#/$defs/CaseSubject', caseId);
  const subjectProps = (subject.node.properties ?? {}) as Record<string, AnySchemaObject>;
  for (const [key, child] of Object.entries(subjectProps)) {
    if (key === 'key') continue;
    b.walk(child, subject.base, `subject.${key}`);
  }

  const fields = b.fields;
  const sorted = [...fields.keys()].sort();
  for (const f of fields.values()) Object.freeze(f);
  return {
    get: (path) => fields.get(path),
    paths: () => [...sorted],
    payloadKeyFor,
  };
}

let cached: FieldCatalog | undefined;
/** The catalog over the repository's schemas, built once per process. */
export function fieldCatalog(): FieldCatalog {
  cached ??= buildFieldCatalog(schemaRegistry());
  return cached;
}
