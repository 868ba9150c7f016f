import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CompactRange, consistencyProof, hashChildren, hashLeaf, inclusionProof, perfectDecomposition, rootFromInclusionProof, rootFromLeafHashes,
  verifyConsistency, verifyInclusion, type NodeLookup,
} from '../../../gateway/src/audit/merkle.js';

/** The RFC 6962 definition, written the slow obvious way, to check the fast structures against. */
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return hashChildren(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

function buildTree(n: number) {
  const leaves = Array.from({ length: n }, (_, i) => hashLeaf(Buffer.from(`event-${i}`)));
  const nodes = new Map<string, Buffer>();
  const range = CompactRange.empty();
  const roots: Buffer[] = [];
  for (const l of leaves) {
    range.append(l, (level, index, hash) => nodes.set(`${level}:${index}`, hash));
    roots.push(range.root());
  }
  const lookup: NodeLookup = (level, index) => nodes.get(`${level}:${index}`)!;
  return { leaves, roots, lookup, range };
}

describe('Merkle tree', () => {
  it('compact range root equals the recursive definition for every size up to 70', () => {
    const { leaves, roots } = buildTree(70);
    for (let n = 1; n <= 70; n++) expect(roots[n - 1]!.equals(mth(leaves.slice(0, n)))).toBe(true);
    expect(rootFromLeafHashes(leaves).equals(mth(leaves))).toBe(true);
  });

  it('every inclusion proof in trees up to 40 verifies, and fails for the neighbour leaf', () => {
    const { leaves, roots, lookup } = buildTree(40);
    for (let size = 1; size <= 40; size++) {
      for (let i = 0; i < size; i++) {
        const proof = inclusionProof(i, size, lookup);
        expect(verifyInclusion(i, size, leaves[i]!, proof, roots[size - 1]!)).toBe(true);
        if (size > 1) expect(verifyInclusion(i, size, leaves[(i + 1) % size]!, proof, roots[size - 1]!)).toBe(false);
      }
    }
  });

  it('every consistency proof between sizes up to 40 verifies, and fails against a forked tree', () => {
    const { roots, lookup } = buildTree(40);
    const fork = buildTree(40);
    for (let s2 = 1; s2 <= 40; s2++) {
      for (let s1 = 1; s1 <= s2; s1++) {
        const proof = consistencyProof(s1, s2, lookup);
        expect(verifyConsistency(s1, s2, proof, roots[s1 - 1]!, roots[s2 - 1]!)).toBe(true);
      }
    }
    // A log that rewrote leaf 3 cannot prove it extends what an auditor saw at size 5.
    const forkedLeaves = fork.leaves.slice();
    forkedLeaves[3] = hashLeaf(Buffer.from('rewritten'));
    const forked = CompactRange.empty();
    const forkNodes = new Map<string, Buffer>();
    forkedLeaves.forEach((l) => forked.append(l, (lv, ix, h) => forkNodes.set(`${lv}:${ix}`, h)));
    const forkProof = consistencyProof(5, 40, (lv, ix) => forkNodes.get(`${lv}:${ix}`)!);
    expect(verifyConsistency(5, 40, forkProof, roots[4]!, forked.root())).toBe(false);
  });

  it('decomposes ranges into aligned complete subtrees', () => {
    expect(perfectDecomposition(0, 7)).toEqual([{ level: 2, index: 0 }, { level: 1, index: 2 }, { level: 0, index: 6 }]);
    expect(perfectDecomposition(8, 16)).toEqual([{ level: 3, index: 1 }]);
    expect(perfectDecomposition(4, 7)).toEqual([{ level: 1, index: 2 }, { level: 0, index: 6 }]);
  });

  it('handles indexes above 2^32 without 32-bit truncation', () => {
    const size = 2 ** 33 + 5;
    // Only the shape matters: the last leaf's path is [2^33, 2^33+4) then [0, 2^33).
    const fake: NodeLookup = (level, index) => createHash('sha256').update(`${level}:${index}`).digest();
    const proof = inclusionProof(size - 1, size, fake);
    expect(proof).toHaveLength(2);
    const leaf = fake(0, size - 1);
    const root = rootFromInclusionProof(size - 1, size, leaf, proof);
    expect(root).not.toBeNull();
    expect(verifyInclusion(size - 1, size, leaf, proof, root!)).toBe(true);
    expect(verifyInclusion(size - 2, size, leaf, proof, root!)).toBe(false);
  });

  it('refuses border state of the wrong shape', () => {
    const h = hashLeaf(Buffer.from('x'));
    expect(() => CompactRange.fromState(3, [h])).toThrow(RangeError);
    expect(() => CompactRange.fromState(2, [h, h])).toThrow(RangeError);
    expect(() => CompactRange.fromState(1, [Buffer.alloc(3)])).toThrow(RangeError);
  });

  it('random trees: proofs verify, tampered leaves do not (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), (n, a, b) => {
        const { leaves, roots, lookup } = buildTree(n);
        const i = a % n;
        const s1 = (b % n) + 1;
        expect(verifyInclusion(i, n, leaves[i]!, inclusionProof(i, n, lookup), roots[n - 1]!)).toBe(true);
        expect(verifyInclusion(i, n, hashLeaf(Buffer.from('forged')), inclusionProof(i, n, lookup), roots[n - 1]!)).toBe(false);
        expect(verifyConsistency(s1, n, consistencyProof(s1, n, lookup), roots[s1 - 1]!, roots[n - 1]!)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

