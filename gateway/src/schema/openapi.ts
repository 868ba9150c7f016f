/**
 * `schemas/openapi.yaml` refers to the JSON Schema files by relative path (`./case.schema.json`),
 * which is right on disk but not for a client fetching `/openapi.json`. This bundles it into ONE
 * self-contained document: every schema file is embedded under `components.schemas`, and every
 * `$ref` (the spec's and the schema files' own, relative to each file's `$id`) is rewritten to a
 * local pointer `#/components/schemas/<Name>/...`. The `$id`s are dropped: with them, a 2020-12
 * tool would resolve those local pointers against the schema file instead of the document, and
 * OpenAPI tools that ignore `$id` (code generators, Redoc) could not follow file references.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { DEFAULT_SCHEMAS_DIR, SCHEMA_BASE, schemaRegistry, type SchemaRegistry } from './registry.js';

export const OPENAPI_PATH = join(DEFAULT_SCHEMAS_DIR, 'openapi.yaml');

/** `payloads/police.schema.json` → `PolicePayload`; `research-request.schema.json` → `ResearchRequest`. */
export function componentName(file: string): string {
  const payload = file.startsWith('payloads/');
  const base = file.replace(/^payloads\//, '').replace(/\.schema\.json$/, '');
  const pascal = base.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  return payload ? `${pascal}Payload` : pascal;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function rewriteRefs(node: Json, map: (ref: string) => string): Json {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, map));
  if (node === null || typeof node !== 'object') return node;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === '$ref' && typeof v === 'string' ? map(v) : rewriteRefs(v, map);
  }
  return out;
}

/**
 * `then: true` and friends as `{}` (and `false` as `{ not: {} }`): the same meaning in 2020-12,
 * but OpenAPI tools expect an object where a subschema stands.
 */
const SUBSCHEMA_KEYWORDS = new Set(['if', 'then', 'else', 'not', 'contains', 'propertyNames']);
function booleanSubschemas(node: Json): Json {
  if (Array.isArray(node)) return node.map(booleanSubschemas);
  if (node === null || typeof node !== 'object') return node;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = SUBSCHEMA_KEYWORDS.has(k) && typeof v === 'boolean' ? (v ? {} : { not: {} }) : booleanSubschemas(v);
  }
  return out;
}

export function loadOpenApiDocument(
  opts: { path?: string; registry?: SchemaRegistry } = {},
): Record<string, unknown> {
  const registry = opts.registry ?? schemaRegistry();
  const doc = YAML.parse(readFileSync(opts.path ?? OPENAPI_PATH, 'utf8')) as { [k: string]: Json };

  const embedded: Record<string, Json> = {};
  for (const [id, schema] of registry.documents()) {
    if (!id.startsWith(SCHEMA_BASE)) continue;
    const name = componentName(id.slice(SCHEMA_BASE.length));
    const local = (ref: string): string => {
      const target = new URL(ref, id);
      const fragment = decodeURIComponent(target.hash.replace(/^#/, ''));
      target.hash = '';
      if (!target.href.startsWith(SCHEMA_BASE)) throw new Error(`${id} refers outside the schemas: ${ref}`);
      const into = target.href === id ? name : componentName(target.href.slice(SCHEMA_BASE.length));
      return `#/components/schemas/${into}${fragment ? fragment.replace(/^\/?/, '/') : ''}`;
    };
    const { $id: _id, $schema: _dialect, ...body } = booleanSubschemas(rewriteRefs(schema as Json, local)) as { [k: string]: Json };
    embedded[name] = body;
  }

  const bundled = rewriteRefs(doc, (ref) => {
    if (ref.startsWith('#')) return ref;
    const [file = '', fragment = ''] = ref.replace(/^\.\//, '').split('#');
    const name = componentName(file);
    if (!(name in embedded)) throw new Error(`openapi.yaml refers to a schema that is not loaded: ${ref}`);
    return `#/components/schemas/${name}${fragment.replace(/^\/?/, fragment ? '/' : '')}`;
  }) as { [k: string]: Json };

  const components = (bundled.components ?? {}) as { [k: string]: Json };
  const schemas = (components.schemas ?? {}) as { [k: string]: Json };
  for (const [name, schema] of Object.entries(embedded)) {
    if (name in schemas) throw new Error(`component name clash: ${name}`);
    schemas[name] = schema;
  }
  components.schemas = schemas;
  bundled.components = components;
  return bundled;
}
