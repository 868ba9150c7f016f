/**
 * The one place message bodies are validated. A single ajv (draft 2020-12) instance loads every
 * `schemas/**\/*.schema.json` file once; each named schema compiles on first use, so a broken file
 * owned by someone else (agreement, audit-event) fails only the callers of that schema.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction, type AnySchemaObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { GatewayError, ValidationFailed, type ProblemDetail } from '../errors.js';

const addFormats = addFormatsModule.default;

export const SCHEMA_BASE = 'https://marac-gateway.example/schemas/';

export type SchemaName = 'case' | 'case-legal-update' | 'research-request' | 'research-response' | 'decline' | 'agreement' | 'audit-event'
  | 'referral' | 'referral-accept' | 'referral-return' | 'referral-repeat-decision'
  | 'case-update' | 'case-withdraw' | 'case-close'
  | 'meeting' | 'meeting-update' | 'agenda-add' | 'agenda-order' | 'agenda-item-update' | 'attendance'
  | 'case-minutes' | 'case-action' | 'case-action-update';
export const SCHEMA_NAMES: readonly SchemaName[] = [
  'case', 'case-legal-update', 'research-request', 'research-response', 'decline', 'agreement', 'audit-event',
  'referral', 'referral-accept', 'referral-return', 'referral-repeat-decision',
  'case-update', 'case-withdraw', 'case-close',
  'meeting', 'meeting-update', 'agenda-add', 'agenda-order', 'agenda-item-update', 'attendance',
  'case-minutes', 'case-action', 'case-action-update',
];

/** A schema the caller asked for is not loaded or does not compile: a deployment fault, fail closed. */
export class SchemaNotAvailable extends GatewayError {
  readonly code = 'SCHEMA_NOT_AVAILABLE';
  readonly status = 500;
}

/** Keys that would let a body reach Object.prototype in careless code further down. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export interface SchemaRegistry {
  /** Every problem at once; empty array means valid. */
  validate(name: SchemaName, data: unknown): ProblemDetail[];
  /** Throws ValidationFailed (400) listing every problem. */
  assertValid(name: SchemaName, data: unknown): void;
  /** Raw loaded schema documents keyed by `$id` (read-only use: the catalog walks them). */
  documents(): ReadonlyMap<string, AnySchemaObject>;
  has(name: SchemaName): boolean;
}

export const DEFAULT_SCHEMAS_DIR = fileURLToPath(new URL('../../../schemas/', import.meta.url));

function listSchemaFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...listSchemaFiles(full));
    else if (entry.endsWith('.schema.json')) out.push(full);
  }
  return out;
}

export function createSchemaRegistry(opts: { schemasDir?: string } = {}): SchemaRegistry {
  const dir = opts.schemasDir ?? DEFAULT_SCHEMAS_DIR;
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addKeyword({ keyword: 'x-sensitivity', schemaType: 'array' });
  ajv.addKeyword({ keyword: 'x-clinical-narrative', schemaType: 'boolean' });

  const docs = new Map<string, AnySchemaObject>();
  for (const file of listSchemaFiles(dir)) {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as AnySchemaObject;
    if (typeof doc.$id !== 'string') throw new Error(`schema file without $id: ${file}`);
    docs.set(doc.$id, doc);
    ajv.addSchema(doc);
  }

  const compiled = new Map<SchemaName, ValidateFunction>();
  function validatorFor(name: SchemaName): ValidateFunction {
    const hit = compiled.get(name);
    if (hit) return hit;
    const id = `${SCHEMA_BASE}${name}.schema.json`;
    let fn: ValidateFunction | undefined;
    try {
      fn = ajv.getSchema(id);
    } catch (cause) {
      throw new SchemaNotAvailable(`schema ${name} does not compile`, { cause });
    }
    if (!fn) throw new SchemaNotAvailable(`schema ${name} is not loaded`);
    compiled.set(name, fn);
    return fn;
  }

  function validate(name: SchemaName, data: unknown): ProblemDetail[] {
    const fn = validatorFor(name);
    // The quick look first: every body is walked, and building each key's pointer is not free.
    const forbidden = hasForbiddenKey(data) ? findForbiddenKeys(data) : [];
    if (forbidden.length > 0) return forbidden;
    if (fn(data)) return [];
    return (fn.errors ?? []).map(toProblem);
  }

  return {
    validate,
    assertValid(name, data) {
      const problems = validate(name, data);
      if (problems.length > 0) throw new ValidationFailed(`${name} is not valid`, { problems });
    },
    documents: () => docs,
    has(name) {
      return docs.has(`${SCHEMA_BASE}${name}.schema.json`);
    },
  };
}

/** RFC 6901 escaping of one reference token. */
export function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Whether findForbiddenKeys would find anything, without building any path. Iterative too. */
export function hasForbiddenKey(data: unknown): boolean {
  const stack: unknown[] = [data];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (const v of value) stack.push(v);
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) return true;
      stack.push((value as Record<string, unknown>)[key]);
    }
  }
  return false;
}

/** Iterative, so a deeply nested body cannot blow the stack. */
export function findForbiddenKeys(data: unknown): ProblemDetail[] {
  const problems: ProblemDetail[] = [];
  const stack: Array<{ value: unknown; path: string }> = [{ value: data, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push({ value: v, path: `${path}/${i}` }));
      continue;
    }
    for (const key of Object.keys(value)) {
      const childPath = `${path}/${pointerToken(key)}`;
      if (FORBIDDEN_KEYS.has(key)) {
        problems.push({ path: childPath, code: 'FORBIDDEN_KEY', message: `key "${key}" is not allowed` });
        continue;
      }
      stack.push({ value: (value as Record<string, unknown>)[key], path: childPath });
    }
  }
  return problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * ajv reports `required` and `additionalProperties` at the parent object; point at the property
 * itself so a client can see which field is missing or unexpected.
 */
function toProblem(e: ErrorObject): ProblemDetail {
  let path = e.instancePath;
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    path = `${path}/${pointerToken(params.additionalProperty)}`;
  } else if (e.keyword === 'required' && typeof params.missingProperty === 'string') {
    path = `${path}/${pointerToken(params.missingProperty)}`;
  }
  return { path, code: e.keyword, message: e.message ?? e.keyword };
}

let defaultRegistry: SchemaRegistry | undefined;
/** The process-wide registry over the repository's `schemas/` (loaded once). */
export function schemaRegistry(): SchemaRegistry {
  defaultRegistry ??= createSchemaRegistry();
  return defaultRegistry;
}

export function validate(name: SchemaName, data: unknown): ProblemDetail[] {
  return schemaRegistry().validate(name, data);
}

export function assertValid(name: SchemaName, data: unknown): void {
  schemaRegistry().assertValid(name, data);
}
