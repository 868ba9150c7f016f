import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEMAS_DIR } from '../../../gateway/src/schema/registry.js';
import { componentName, loadOpenApiDocument, OPENAPI_PATH } from '../../../gateway/src/schema/openapi.js';

const raw = YAML.parse(readFileSync(OPENAPI_PATH, 'utf8'));

function pointer(doc: unknown, frag: string): unknown {
  if (frag === '' || frag === '/') return doc;
  let node: any = doc;
  for (const t of frag.replace(/^\//, '').split('/')) {
    const key = decodeURIComponent(t).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

/** Every `$ref` with the base URI in force where it appears (`$id` changes the base). */
function refs(node: unknown, base: string, out: { ref: string; base: string; at: string }[] = [], at = ''): typeof out {
  if (Array.isArray(node)) node.forEach((n, i) => refs(n, base, out, `${at}/${i}`));
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    const here = typeof o.$id === 'string' ? new URL(o.$id, base).href : base;
    for (const [k, v] of Object.entries(o)) {
      if (k === '$ref' && typeof v === 'string') out.push({ ref: v, base: here, at });
      else refs(v, here, out, `${at}/${k}`);
    }
  }
  return out;
}

describe('openapi.yaml', () => {
  it('parses as OpenAPI 3.1', () => {
    expect(raw.openapi).toBe('3.1.0');
    expect(raw.info.title).toBeTruthy();
  });

  it('describes every route of the agency, people and ops APIs', () => {
    const expected: [string, string][] = [
      ['/v1/cases', 'post'], ['/v1/cases/{caseId}/research-requests', 'post'], ['/v1/inbox', 'get'],
      ['/v1/inbox/{messageId}/ack', 'post'], ['/v1/research-requests/{requestId}/response', 'post'],
      ['/v1/research-requests/{requestId}/decline', 'post'], ['/v1/research-requests/{requestId}', 'get'],
      ['/v1/cases/{caseId}/research', 'get'], ['/v1/agreements', 'get'], ['/v1/agreements', 'post'],
      ['/v1/audit/events', 'get'], ['/v1/audit/export', 'get'], ['/v1/audit/checkpoints/latest', 'get'],
      ['/v1/audit/proofs/inclusion', 'get'], ['/v1/audit/proofs/consistency', 'get'],
      ['/healthz', 'get'], ['/readyz', 'get'], ['/metrics', 'get'],
    ];
    for (const [path, method] of expected) expect(raw.paths[path]?.[method], `${method} ${path}`).toBeDefined();
  });

  it('every $ref in the file resolves (internal pointers and schema files on disk)', () => {
    const all = refs(raw, 'file:///openapi.yaml');
    expect(all.length).toBeGreaterThan(50);
    for (const { ref, at } of all) {
      const [file, frag = ''] = ref.split('#');
      if (!file) {
        expect(pointer(raw, frag), `${ref} at ${at}`).toBeDefined();
        continue;
      }
      const full = join(DEFAULT_SCHEMAS_DIR, file);
      expect(existsSync(full), `${ref} at ${at}`).toBe(true);
      expect(pointer(JSON.parse(readFileSync(full, 'utf8')), frag), `${ref} at ${at}`).toBeDefined();
    }
  });

  it('request bodies of the agency API are the message schemas', () => {
    const body = (p: string) => raw.paths[p].post.requestBody.content['application/json'].schema.$ref;
    expect(body('/v1/cases')).toBe('./case.schema.json');
    expect(body('/v1/cases/{caseId}/research-requests')).toBe('./research-request.schema.json');
    expect(body('/v1/research-requests/{requestId}/response')).toBe('./research-response.schema.json');
    expect(body('/v1/research-requests/{requestId}/decline')).toBe('./decline.schema.json');
  });

  it('answers need an Idempotency-Key; agency routes use mutual TLS', () => {
    for (const p of ['/v1/research-requests/{requestId}/response', '/v1/research-requests/{requestId}/decline']) {
      const params = raw.paths[p].parameters.map((x: { $ref: string }) => pointer(raw, x.$ref.slice(1)));
      expect(params).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }));
    }
    expect(raw.components.securitySchemes.agencyCertificate.type).toBe('mutualTLS');
    expect(raw.security).toEqual([{ agencyCertificate: [] }]);
  });

  it('every error response is application/problem+json with the Problem schema', () => {
    const problem = raw.components.schemas.Problem;
    expect(problem.required).toEqual(['type', 'title', 'status', 'code']);
    expect(Object.keys(problem.properties)).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'code', 'detail', 'problems', 'reason']),
    );
    for (const [path, item] of Object.entries<any>(raw.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (method === 'parameters' || method === 'servers') continue;
        for (const [status, resp] of Object.entries<any>(op.responses)) {
          if (Number(status) < 400 || path === '/readyz') continue;
          const r = resp.$ref ? pointer(raw, resp.$ref.slice(1)) as any : resp;
          expect(r.content['application/problem+json'].schema.$ref, `${method} ${path} ${status}`)
            .toBe('#/components/schemas/Problem');
        }
      }
    }
  });
});

describe('bundled openapi document (served at /openapi.json)', () => {
  const bundled = loadOpenApiDocument();
  const base = 'https://marac-gateway.example/openapi.json';

  it('names embedded schemas predictably', () => {
    expect(componentName('case.schema.json')).toBe('Case');
    expect(componentName('research-response.schema.json')).toBe('ResearchResponse');
    expect(componentName('payloads/childrens-social-care.schema.json')).toBe('ChildrensSocialCarePayload');
  });

  it('is one self-contained document: every $ref (the schema files\' own too) is a local pointer that resolves, no $id left', () => {
    const schemas = (bundled.components as any).schemas as Record<string, any>;
    expect(Object.keys(schemas).length).toBeGreaterThanOrEqual(12);
    for (const s of Object.values(schemas)) expect(s.$id).toBeUndefined();
    const all = refs(bundled, base);
    expect(all.length).toBeGreaterThan(100);
    for (const { ref, base: b, at } of all) {
      expect(ref.startsWith('#/'), `${ref} at ${at}`).toBe(true);
      expect(b, `${ref} at ${at}`).toBe(base);
      expect(pointer(bundled, decodeURIComponent(ref.slice(1))), `${ref} at ${at}`).toBeDefined();
    }
    // A schema file's reference to another file lands on the embedded copy.
    expect(JSON.stringify(schemas.ResearchResponse)).toContain('#/components/schemas/Common/$defs/');
    expect((bundled.paths as any)['/v1/cases'].post.requestBody.content['application/json'].schema.$ref)
      .toBe('#/components/schemas/Case');
  });

  it('is JSON-serialisable', () => {
    expect(JSON.parse(JSON.stringify(bundled))).toEqual(bundled);
  });
});
