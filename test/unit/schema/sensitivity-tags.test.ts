/**
 * Every leaf of every message schema must say how sensitive it is: an untagged field would slip
 * past the guardrails. Walks the raw schema files (following $refs) and fails on any untagged leaf.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEMAS_DIR, schemaRegistry } from '../../../gateway/src/schema/registry.js';
import { SchemaWalker, SENSITIVITIES, fieldCatalog } from '../../../gateway/src/schema/catalog.js';

const OWNED_BY_OTHERS = new Set(['agreement.schema.json', 'audit-event.schema.json']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const full = join(dir, e);
    if (statSync(full).isDirectory()) return files(full);
    return e.endsWith('.schema.json') && !OWNED_BY_OTHERS.has(e) ? [full] : [];
  });
}

const walker = new SchemaWalker(schemaRegistry().documents());

/** Paths (JSON-Pointer-ish, into the schema) of leaves with no x-sensitivity anywhere on their $ref chain. */
function untaggedLeaves(node: any, base: string, at: string, out: string[], depth = 0): void {
  if (depth > 40) throw new Error(`too deep at ${at}`);
  const tagged = (n: any) => Array.isArray(n['x-sensitivity']);
  // Is there a tag on the referring site or anywhere on its $ref chain?
  let hasTag = tagged(node);
  let cur = node;
  let curBase = base;
  while (typeof cur.$ref === 'string') {
    const t = walker.lookup(cur.$ref, curBase);
    cur = t.node;
    curBase = t.base;
    hasTag ||= tagged(cur);
  }
  const r = walker.resolve(node, base);
  const type = r.node.type;
  if (type === 'object') {
    for (const [k, child] of Object.entries(r.node.properties ?? {})) untaggedLeaves(child, r.base, `${at}/${k}`, out, depth + 1);
    return;
  }
  if (type === 'array') {
    const items = walker.resolve(r.node.items, r.base);
    if (items.node.type === 'object') {
      untaggedLeaves(r.node.items, r.base, `${at}[]`, out, depth + 1);
      return;
    }
    // An array of scalars is a leaf: tag it on the array (or its items).
    if (!hasTag && items.tags.size === 0 && !Array.isArray(r.node.items['x-sensitivity'])) out.push(at);
    return;
  }
  if (!hasTag) out.push(at);
}

describe('x-sensitivity on every leaf', () => {
  const schemaFiles = files(DEFAULT_SCHEMAS_DIR);

  it('finds the message and payload schemas', () => {
    const names = schemaFiles.map((f) => relative(DEFAULT_SCHEMAS_DIR, f)).sort();
    expect(names).toEqual(expect.arrayContaining([
      'case.schema.json', 'common.schema.json', 'decline.schema.json', 'research-request.schema.json',
      'research-response.schema.json', 'payloads/police.schema.json', 'payloads/health.schema.json',
      'payloads/housing.schema.json', 'payloads/childrens-social-care.schema.json',
      'payloads/adult-social-care.schema.json', 'payloads/probation.schema.json', 'payloads/idva.schema.json',
    ]));
  });

  it.each(files(DEFAULT_SCHEMAS_DIR).filter((f) => !f.endsWith('common.schema.json')).map((f) => [relative(DEFAULT_SCHEMAS_DIR, f), f]))(
    '%s has no untagged leaf',
    (_name, file) => {
      const doc = JSON.parse(readFileSync(file, 'utf8'));
      const out: string[] = [];
      untaggedLeaves(doc, doc.$id, '', out);
      expect(out).toEqual([]);
    },
  );

  it('every common $def leaf property is tagged', () => {
    const common = schemaRegistry().documents().get('https://marac-gateway.example/schemas/common.schema.json')!;
    const out: string[] = [];
    for (const [name, def] of Object.entries(common.$defs as Record<string, any>)) {
      if (def.type === 'object') untaggedLeaves(def, common.$id as string, `#/$defs/${name}`, out);
    }
    expect(out).toEqual([]);
  });

  it('uses only the eight known tags', () => {
    const bad: string[] = [];
    const visit = (n: unknown, at: string) => {
      if (Array.isArray(n)) return n.forEach((v, i) => visit(v, `${at}/${i}`));
      if (n === null || typeof n !== 'object') return;
      for (const [k, v] of Object.entries(n)) {
        if (k === 'x-sensitivity') {
          if (!Array.isArray(v) || v.some((t) => !SENSITIVITIES.includes(t))) bad.push(at);
        } else if (k === 'x-clinical-narrative') {
          if (v !== true) bad.push(`${at}/${k}`);
        } else visit(v, `${at}/${k}`);
      }
    };
    for (const f of files(DEFAULT_SCHEMAS_DIR)) visit(JSON.parse(readFileSync(f, 'utf8')), relative(DEFAULT_SCHEMAS_DIR, f));
    expect(bad).toEqual([]);
  });

  it('the walker catches an untagged leaf', () => {
    const out: string[] = [];
    untaggedLeaves(
      { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string', 'x-sensitivity': [] },
        c: { type: 'array', items: { type: 'string' } } } },
      'https://marac-gateway.example/schemas/x.schema.json', '', out,
    );
    expect(out).toEqual(['/a', '/c']);
  });

  it('every payload leaf in the catalog carries at least the payload-level expectations', () => {
    const cat = fieldCatalog();
    // Every health path except the GP practice code and the CP-IS flag is special category.
    const health = cat.paths().filter((p) => p.startsWith('health.'));
    const notSc = health.filter((p) => !cat.get(p)!.sensitivity.includes('SC'));
    expect(notSc.sort()).toEqual(['health.cpIsFlag', 'health.registeredGpOdsCode']);
    // Every police path is criminal-offence data except the address alert (LOC) and the OIC (3P).
    const police = cat.paths().filter((p) => p.startsWith('police.'));
    const notCo = police.filter((p) => !cat.get(p)!.sensitivity.includes('CO'));
    expect(notCo.sort()).toEqual([
      'police.addressAlertPlaced', 'police.officerInCharge', 'police.officerInCharge.contact', 'police.officerInCharge.name',
    ]);
    for (const p of cat.paths().filter((x) => x.startsWith('childrensSocialCare'))) {
      expect(cat.get(p)!.sensitivity, p).toContain('CHILD');
    }
  });
});
