import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { presentPaths } from '../../../gateway/src/exchange/response-service.js';

/** The first implementation: what the audit log's fieldsReleased lists have always been. */
function reference(doc: unknown, prefix = ''): string[] {
  if (Array.isArray(doc)) return doc.length ? [...new Set(doc.flatMap((x) => reference(x, `${prefix}[]`)))] : [prefix];
  if (doc && typeof doc === 'object') {
    return Object.entries(doc).flatMap(([k, v]) => reference(v, prefix ? `${prefix}.${k}` : k));
  }
  return prefix ? [prefix] : [];
}

const SAMPLES = path.resolve(import.meta.dirname, '../../fixtures/samples');

describe('presentPaths', () => {
  it('lists the paths of a response, arrays as [] once each, in first-seen order', () => {
    expect(presentPaths({ police: { incidents: [{ summary: 'x', date: 'y' }, { summary: 'z', officer: {} }], markers: [] }, n: null }))
      .toEqual(['police.incidents[].summary', 'police.incidents[].date', 'police.markers', 'n']);
    expect(presentPaths([[1], [2, 3]], 'a')).toEqual(['a[][]']);
    expect(presentPaths('x')).toEqual([]);
  });

  it('gives exactly what the first implementation gave, for every sample and any JSON (property)', () => {
    for (const f of readdirSync(SAMPLES).filter((x) => x.endsWith('.json'))) {
      const doc = JSON.parse(readFileSync(path.join(SAMPLES, f), 'utf8'));
      expect(presentPaths(doc), f).toEqual(reference(doc));
    }
    fc.assert(fc.property(fc.jsonValue(), fc.constantFrom('', 'p'), (v, prefix) => {
      expect(presentPaths(v, prefix)).toEqual(reference(v, prefix));
    }), { numRuns: 2000 });
  });
});
