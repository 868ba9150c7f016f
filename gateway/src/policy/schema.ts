/**
 * The agreement JSON Schema, compiled once. Schema errors become ValidationProblems with a JSON
 * Pointer into the agreement and a stable code `SCHEMA_<KEYWORD>`.
 */
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import agreementSchema from '../../../schemas/agreement.schema.json' with { type: 'json' };
import type { ValidationProblem } from './types.js';

const addFormats = addFormatsModule.default;

const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
addFormats(ajv);
const validateFn = ajv.compile(agreementSchema);

export function schemaProblems(doc: unknown): ValidationProblem[] {
  if (validateFn(doc)) return [];
  const out: ValidationProblem[] = [];
  const seen = new Set<string>();
  for (const e of validateFn.errors ?? []) {
    // A bad release key yields a `pattern` error and a `propertyNames` error: keep the latter.
    if (e.schemaPath.includes('/propertyNames/')) continue;
    const p = toProblem(e);
    const key = `${p.path}|${p.code}|${p.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(p);
    }
  }
  return dropOperatorNoise(out);
}

function toProblem(e: ErrorObject): ValidationProblem {
  let path = e.instancePath;
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required' && typeof params.missingProperty === 'string') path += `/${escape(params.missingProperty)}`;
  if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    path += `/${escape(params.additionalProperty)}`;
  }
  if (e.keyword === 'propertyNames' && typeof params.propertyName === 'string') {
    path += `/${escape(params.propertyName)}`;
    return { path, code: 'INVALID_PATH', message: 'not a field path: dot-separated names, `[]` after a list (e.g. health.edAttendances12m[].date)' };
  }
  const code = `SCHEMA_${e.keyword.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
  const allowed = Array.isArray(params.allowedValues) ? `: ${(params.allowedValues as unknown[]).join(', ')}` : '';
  return { path: path || '/', code, message: `${e.message ?? 'invalid'}${allowed}` };
}

/** Operators under `release` are checked (with a precise message) by the validator itself. */
const RELEASE_VALUE = /^\/flows\/\d+\/release\/[^/]+(\/|$)/;

function dropOperatorNoise(problems: ValidationProblem[]): ValidationProblem[] {
  return problems.filter((p) => !RELEASE_VALUE.test(p.path) || p.code === 'INVALID_PATH');
}

function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
