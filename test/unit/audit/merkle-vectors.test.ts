import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CompactRange, EMPTY_ROOT, consistencyProof, consistencyRanges, hashChildren, hashLeaf, inclusionProof, inclusionRanges,
  verifyConsistency, verifyInclusion, type NodeLookup,
} from '../../../gateway/src/audit/merkle.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/merkle');
const ref = JSON.parse(readFileSync(path.join(FIXTURES, 'reference-vectors.json'), 'utf8')) as {
  sha256SomeHash: string; sha256EmptyTreeHash: string;
  hasher: { desc: string; kind: string; data?: string; left?: string; right?: string; want: string }[];
  leaves: string[]; roots: string[];
  inclusionProofs: { leaf: number; size: number; proof: string[] }[];
  consistencyProofs: { size1: number; size2: number; proof: string[] }[];
  staticConsistency: { size1: number; size2: number; root1: string; root2: string; proof: string[]; desc: string; wantErr: boolean }[];
  staticInclusion: { index: number; size: number }[];
  proofShapes: { inclusion: number[][]; consistency: number[][] };
};
const hex = (s: string) => Buffer.from(s, 'hex');
const SOME = hex(ref.sha256SomeHash);
const EMPTY = hex(ref.sha256EmptyTreeHash);
const leafHashes = ref.leaves.map((l) => hashLeaf(hex(l)));
const roots = ref.roots.map(hex);

/** Every complete node of the 8-leaf reference tree, as the gateway would have stored them. */
const stored = new Map<string, Buffer>();
{
  const range = CompactRange.empty();
  for (const h of leafHashes) range.append(h, (level, index, hash) => stored.set(`${level}:${index}`, hash));
}
const lookup: NodeLookup = (level, index) => {
  const h = stored.get(`${level}:${index}`);
  if (!h) throw new Error(`missing node ${level}:${index}`);
  return h;
};

// The corruptions transparency-dev/merkle's cmd/proofgen derives from each good inclusion proof.
function corruptInclusion(index: number, size: number, proof: Buffer[], root: Buffer, leaf: Buffer) {
  const probes: { desc: string; index: number; size: number; root: Buffer; leaf: Buffer; proof: Buffer[] }[] = [
    { desc: 'leafIdx sub @1', index: index - 1, size, root, leaf, proof },
    { desc: 'leafIdx plus @1', index: index + 1, size, root, leaf, proof },
    { desc: 'leafIdx XOR @2', index: index ^ 2, size, root, leaf, proof },
    { desc: 'treeSize mul @2', index, size: size * 2, root, leaf, proof },
    { desc: 'treeSize div @2', index, size: Math.floor(size / 2), root, leaf, proof },
    { desc: 'wrong leaf', index, size, root, leaf: Buffer.from('WrongLeaf'), proof },
    { desc: 'empty root', index, size, root: EMPTY, leaf, proof },
    { desc: 'random root', index, size, root: SOME, leaf, proof },
    { desc: 'trailing garbage', index, size, root, leaf, proof: [...proof, Buffer.alloc(0)] },
    { desc: 'trailing root', index, size, root, leaf, proof: [...proof, root] },
    { desc: 'preceding garbage', index, size, root, leaf, proof: [Buffer.alloc(0), ...proof] },
    { desc: 'preceding root', index, size, root, leaf, proof: [root, ...proof] },
  ];
  proof.forEach((_, i) => {
    const wrong = proof.map((p) => Buffer.from(p));
    wrong[i]![0]! ^= 8;
    probes.push({ desc: `modified proof[${i}] bit @3`, index, size, root, leaf, proof: wrong });
  });
  if (proof.length > 0) probes.push({ desc: 'removed component', index, size, root, leaf, proof: proof.slice(0, -1) });
  if (proof.length > 1) probes.push({ desc: 'inserted component', index, size, root, leaf, proof: [proof[0]!, SOME, ...proof.slice(1)] });
  return probes;
}

function corruptConsistency(size1: number, size2: number, root1: Buffer, root2: Buffer, proof: Buffer[]) {
  const W = Buffer.from('WrongRoot');
  const probes: { desc: string; size1: number; size2: number; root1: Buffer; root2: Buffer; proof: Buffer[] }[] = [
    { desc: 'size1 sub @1', size1: size1 - 1, size2, root1, root2, proof },
    { desc: 'size1 plus @1', size1: size1 + 1, size2, root1, root2, proof },
    { desc: 'size1 XOR @2', size1: size1 ^ 2, size2, root1, root2, proof },
    { desc: 'size2 mul @2', size1, size2: size2 * 2, root1, root2, proof },
    { desc: 'size2 div @2', size1, size2: Math.floor(size2 / 2), root1, root2, proof },
    { desc: 'wrong root1', size1, size2, root1: W, root2, proof },
    { desc: 'wrong root2', size1, size2, root1, root2: W, proof },
    { desc: 'swapped roots', size1, size2, root1: root2, root2: root1, proof },
    { desc: 'empty proof', size1, size2, root1, root2, proof: [] },
    { desc: 'trailing garbage', size1, size2, root1, root2, proof: [...proof, Buffer.alloc(0)] },
    { desc: 'trailing root1', size1, size2, root1, root2, proof: [...proof, root1] },
    { desc: 'trailing root2', size1, size2, root1, root2, proof: [...proof, root2] },
    { desc: 'preceding garbage', size1, size2, root1, root2, proof: [Buffer.alloc(0), ...proof] },
    { desc: 'preceding root1', size1, size2, root1, root2, proof: [root1, ...proof] },
    { desc: 'preceding root2', size1, size2, root1, root2, proof: [root2, ...proof] },
    { desc: 'preceding proof @0', size1, size2, root1, root2, proof: [proof[0]!, ...proof] },
  ];
  if (proof.length > 0) probes.push({ desc: 'truncated proof', size1, size2, root1, root2, proof: proof.slice(0, -1) });
  proof.forEach((_, i) => {
    const wrong = proof.map((p) => Buffer.from(p));
    wrong[i]![0]! ^= 16;
    probes.push({ desc: `modified proof@${i} bit @4`, size1, size2, root1, root2, proof: wrong });
  });
  return probes;
}

describe('RFC 6962 hasher (rfc6962_test.go vectors)', () => {
  it.each(ref.hasher)('$desc', (v) => {
    const got = v.kind === 'empty' ? EMPTY_ROOT : v.kind === 'leaf' ? hashLeaf(hex(v.data!)) : hashChildren(hex(v.left!), hex(v.right!));
    expect(got.toString('hex')).toBe(v.want);
  });
  it('separates leaves from nodes (second-preimage resistance) and depends on order', () => {
    const a = hashLeaf(Buffer.from('Hello'));
    const b = hashLeaf(Buffer.from('World'));
    expect(hashChildren(a, b).equals(hashLeaf(Buffer.concat([a, b])))).toBe(false);
    expect(hashChildren(a, b).equals(hashChildren(b, a))).toBe(false);
  });
});

describe('tree roots and proofs against transparency-dev/merkle reference vectors', () => {
  it('compact range gives the reference root for every size 1..8', () => {
    const range = CompactRange.empty();
    expect(range.root().equals(EMPTY)).toBe(true);
    leafHashes.forEach((h, i) => {
      range.append(h);
      expect(range.root().toString('hex')).toBe(ref.roots[i]);
      const restored = CompactRange.fromState(range.size, range.state());
      expect(restored.root().equals(range.root())).toBe(true);
    });
  });

  it.each(ref.inclusionProofs)('inclusion proof leaf $leaf of $size: generated, verified, every corruption rejected', ({ leaf, size, proof }) => {
    const want = proof.map(hex);
    const index = leaf - 1;
    expect(inclusionProof(index, size, lookup).map((b) => b.toString('hex'))).toEqual(proof);
    expect(verifyInclusion(index, size, leafHashes[index]!, want, roots[size - 1]!)).toBe(true);
    const accepted = corruptInclusion(index, size, want, roots[size - 1]!, leafHashes[index]!)
      .filter((p) => verifyInclusion(p.index, p.size, p.leaf, p.proof, p.root))
      .map((p) => p.desc);
    expect(accepted).toEqual([]);
  });

  it.each(ref.consistencyProofs)('consistency proof $size1 → $size2: generated, verified, every corruption rejected', ({ size1, size2, proof }) => {
    const want = proof.map(hex);
    expect(consistencyProof(size1, size2, lookup).map((b) => b.toString('hex'))).toEqual(proof);
    expect(verifyConsistency(size1, size2, want, roots[size1 - 1]!, roots[size2 - 1]!)).toBe(true);
    if (want.length === 0) return;
    const accepted = corruptConsistency(size1, size2, roots[size1 - 1]!, roots[size2 - 1]!, want)
      .filter((p) => verifyConsistency(p.size1, p.size2, p.proof, p.root1, p.root2))
      .map((p) => p.desc);
    expect(accepted).toEqual([]);
  });

  it.each(ref.staticConsistency)('static consistency probe: $desc', (p) => {
    const val = (s: string) => (s === 'EMPTY' ? EMPTY : Buffer.from(s.replace('dont-care-', "don't care ")));
    expect(verifyConsistency(p.size1, p.size2, p.proof.map(val), val(p.root1), val(p.root2))).toBe(!p.wantErr);
  });

  it.each(ref.staticInclusion)('static inclusion probe index $index size $size is rejected', ({ index, size }) => {
    expect(verifyInclusion(index, size, SOME, [], Buffer.alloc(0))).toBe(false);
    expect(verifyInclusion(index, size, Buffer.alloc(0), [], EMPTY)).toBe(false);
    expect(verifyInclusion(index, size, SOME, [], EMPTY)).toBe(false);
  });

  it('single-entry tree: root equals the leaf hash and wrong sizes are refused', () => {
    const h = hashLeaf(Buffer.from('data'));
    expect(verifyInclusion(0, 1, h, [], h)).toBe(true);
    expect(verifyInclusion(0, 1, Buffer.alloc(0), [], h)).toBe(false);
    expect(verifyInclusion(0, 1, h, [], Buffer.alloc(0))).toBe(false);
    expect(verifyInclusion(0, 1, Buffer.alloc(0), [], Buffer.alloc(0))).toBe(false);
  });

  it.each(ref.proofShapes.inclusion)('inclusion proof for index %i in size %i has %i hashes (proof_test.go)', (index, size, n) => {
    expect(inclusionRanges(index!, size!)).toHaveLength(n!);
  });
  it.each(ref.proofShapes.consistency)('consistency proof %i → %i has %i hashes (proof_test.go)', (s1, s2, n) => {
    expect(consistencyRanges(s1!, s2!)).toHaveLength(n!);
  });
});

describe('copied testdata files (verbatim from transparency-dev/merkle)', () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = path.join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.json')) files.push(p);
    }
  };
  walk(path.join(FIXTURES, 'testdata'));
  const b64 = (s: string) => Buffer.from(s, 'base64');

  it('has both inclusion and consistency vectors', () => {
    expect(files.filter((f) => f.includes('/inclusion/')).length).toBeGreaterThanOrEqual(10);
    expect(files.filter((f) => f.includes('/consistency/')).length).toBeGreaterThanOrEqual(10);
  });

  it.each(files.map((f) => [path.relative(FIXTURES, f), f]))('%s', (_name, file) => {
    const v = JSON.parse(readFileSync(file, 'utf8'));
    const proof = ((v.proof ?? []) as string[]).map(b64);
    const ok = file.includes('/inclusion/')
      ? verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), proof, b64(v.root))
      : verifyConsistency(v.size1, v.size2, proof, b64(v.root1), b64(v.root2));
    expect(ok).toBe(!v.wantErr);
  });
});
