import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { schemaRegistry, type SchemaName } from '../../gateway/src/schema/registry.js';
import { documentArbitrary, fuzzRuns, fuzzSeed, hostileBodyArbitrary } from '../helpers/fuzz.js';

/**
 * The generator is only worth something if what it calls valid IS valid (and what it calls a
 * certain rejection is rejected): checked here against the gateway's own ajv registry.
 */
const NAMES: SchemaName[] = ['case', 'research-request', 'research-response', 'decline'];

describe('schema-driven generator', () => {
  it.each(NAMES)('%s: every generated document passes the real schema (both date modes)', (name) => {
    const reg = schemaRegistry();
    for (const dates of ['realistic', 'any'] as const) {
      fc.assert(fc.property(documentArbitrary(name, { dates }), (doc) => {
        expect(reg.validate(name, doc), JSON.stringify(doc).slice(0, 400)).toEqual([]);
      }), { numRuns: fuzzRuns(200, 0.5), ...fuzzSeed() });
    }
  }, Math.max(60_000, fuzzRuns(200) * 100));

  it.each(NAMES)('%s: a mutation marked mustReject never yields a valid document', (name) => {
    const reg = schemaRegistry();
    fc.assert(fc.property(hostileBodyArbitrary(name, documentArbitrary(name)), (h) => {
      if (!h.mustReject || typeof h.body !== 'string' || !/^application\/json$/.test(h.headers['content-type'] ?? '') || h.headers['content-encoding']) return;
      if (Buffer.byteLength(h.body) > 512 * 1024) return; // refused for its size before parsing
      let parsed: unknown;
      try {
        parsed = JSON.parse(h.body);
      } catch {
        return; // not JSON: refused by the parser
      }
      if (parsed === null || typeof parsed !== 'object') return; // strict JSON bodies are objects or arrays
      expect(reg.validate(name, parsed), h.label).not.toEqual([]);
    }), { numRuns: fuzzRuns(200), ...fuzzSeed() });
  }, Math.max(60_000, fuzzRuns(200) * 100));

  it('overrides replace a subtree and null removes an optional property', () => {
    const arb = documentArbitrary('research-request', { overrides: { '/recipients': fc.constant(['essex-police']), '/deadline': null } });
    for (const doc of fc.sample(arb, 50)) {
      expect(doc.recipients).toEqual(['essex-police']);
      expect(doc).not.toHaveProperty('deadline');
    }
  });
});
