/**
 * @marac/schemas: the canonical JSON Schemas (draft 2020-12) of the MARAC gateway's messages, and
 * the one way to validate against them, shared by the gateway (gateway/src/schema/registry.ts
 * wraps it with its errors) and the adapter SDK (which checks its own output before sending).
 *
 * The schema files are the repository's `schemas/` folder; a packed copy of this package carries
 * them in its own `schemas/` (npm pack runs `prepack`), which is then preferred.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type AnySchemaObject, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule.default;

export const SCHEMA_BASE = 'https://marac-gateway.example/schemas/';

const PACKED = new URL('../schemas/', import.meta.url);
/** Where the schema files are: the packed copy beside this package, else the repository's `schemas/`. */
export const SCHEMAS_DIR = fileURLToPath(existsSync(PACKED) ? PACKED : new URL('../../../schemas/', import.meta.url));

/** One problem with an input: JSON Pointer, stable sub-code (ajv keyword or ours), message. */
export interface ProblemDetail {
  /** JSON Pointer (or dotted path) of the offending input, when there is one. */
  path: string;
  /** Stable sub-code, e.g. `required`, `additionalProperties`, `FORBIDDEN_KEY`. */
  code: string;
  message: string;
}

/** A schema asked for is not loaded or does not compile: a deployment fault, fail closed. */
export class SchemaUnavailable extends Error {
  readonly code = 'SCHEMA_NOT_AVAILABLE';
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'SchemaUnavailable';
  }
}

export interface SchemaValidator {
  /** Every problem at once; an empty array means valid. Throws SchemaUnavailable. */
  validate(name: string, data: unknown): ProblemDetail[];
  /** Raw loaded schema documents keyed by `$id` (read-only use). */
  documents(): ReadonlyMap<string, AnySchemaObject>;
  has(name: string): boolean;
}

function listSchemaFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...listSchemaFiles(full));
    else if (entry.endsWith('.schema.json')) out.push(full);
  }
  return out;
}

/**
 * A single ajv instance loads every `*.schema.json` below `schemasDir` once; each named schema
 * compiles on first use, so a broken file fails only the callers of that schema.
 */
export function createSchemaValidator(opts: { schemasDir?: string } = {}): SchemaValidator {
  const dir = opts.schemasDir ?? SCHEMAS_DIR;
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

  const compiled = new Map<string, ValidateFunction>();
  function validatorFor(name: string): ValidateFunction {
    const hit = compiled.get(name);
    if (hit) return hit;
    const id = `${SCHEMA_BASE}${name}.schema.json`;
    let fn: ValidateFunction | undefined;
    try {
      fn = ajv.getSchema(id);
    } catch (cause) {
      throw new SchemaUnavailable(`schema ${name} does not compile`, { cause });
    }
    if (!fn) throw new SchemaUnavailable(`schema ${name} is not loaded`);
    compiled.set(name, fn);
    return fn;
  }

  return {
    validate(name, data) {
      const fn = validatorFor(name);
      // The quick look first: every body is walked, and building each key's pointer is not free.
      const forbidden = hasForbiddenKey(data) ? findForbiddenKeys(data) : [];
      if (forbidden.length > 0) return forbidden;
      if (fn(data)) return [];
      return (fn.errors ?? []).map(toProblem);
    },
    documents: () => docs,
    has: (name) => docs.has(`${SCHEMA_BASE}${name}.schema.json`),
  };
}

/** Keys that would let a body reach Object.prototype in careless code further down. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

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

export { AGENCY_TYPES, isAgencyType, type AgencyType } from './agency-types.js';
