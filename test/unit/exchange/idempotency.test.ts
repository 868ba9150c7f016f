import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyHash } from '../../../gateway/src/exchange/idempotency.js';

/** The first implementation: stringify a deep copy with sorted keys. Stored keys hold its hashes. */
function reference(body: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canon)
      : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256').update(JSON.stringify(canon(body))).digest('hex');
}

const SAMPLES = path.resolve(import.meta.dirname, '../../fixtures/samples');

describe('idempotency body hash', () => {
  it('is the hash stored keys were made with, for every sample body', () => {
    for (const f of readdirSync(SAMPLES).filter((x) => x.endsWith('.json'))) {
      const body = JSON.parse(readFileSync(path.join(SAMPLES, f), 'utf8'));
      expect(bodyHash({ kind: 'response', requestId: 'req_x', body }), f).toBe(reference({ kind: 'response', requestId: 'req_x', body }));
    }
  });

  it('is the same as the first implementation for any JSON value (property)', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => bodyHash(v) === reference(v)), { numRuns: 2000 });
  });

  it('ignores key order, and nothing else', () => {
    expect(bodyHash({ a: 1, b: [{ y: 2, x: 1 }] })).toBe(bodyHash({ b: [{ x: 1, y: 2 }], a: 1 }));
    expect(bodyHash({ a: [1, 2] })).not.toBe(bodyHash({ a: [2, 1] }));
    expect(bodyHash({ a: '1' })).not.toBe(bodyHash({ a: 1 }));
    expect(bodyHash({ 'a"b': { '': null } })).toBe(reference({ 'a"b': { '': null } }));
  });
});
