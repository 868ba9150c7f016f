import { hash as oneShotHash } from 'node:crypto';

/**
 * RFC 6962 / RFC 9162 Merkle tree over the audit log.
 *
 *   leaf hash = SHA-256(0x00 || data)          node hash = SHA-256(0x01 || left || right)
 *   MTH({}) = SHA-256("")                      MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n])), k = largest 2^i < n
 *
 * Sizes and indexes are plain numbers (exact up to 2^53) and are never used with bitwise
 * operators, which would truncate them to 32 bits.
 */
export const HASH_SIZE = 32;
export const EMPTY_ROOT: Buffer = Buffer.from('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex');

const nodeScratch = Buffer.alloc(1 + 2 * HASH_SIZE);

export function sha256(data: Uint8Array): Buffer {
  return oneShotHash('sha256', data, 'buffer') as unknown as Buffer;
}

export function hashLeaf(data: Uint8Array): Buffer {
  const input = Buffer.allocUnsafe(data.length + 1);
  input[0] = 0x00;
  input.set(data, 1);
  return sha256(input);
}

export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length === HASH_SIZE && right.length === HASH_SIZE) {
    nodeScratch[0] = 0x01;
    nodeScratch.set(left, 1);
    nodeScratch.set(right, 1 + HASH_SIZE);
    return sha256(nodeScratch);
  }
  // Only test vectors hash children of other sizes.
  return sha256(Buffer.concat([Buffer.of(0x01), left, right]));
}

function isOdd(n: number): boolean {
  return n % 2 === 1;
}
function half(n: number): number {
  return Math.floor(n / 2);
}
function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}
/** Largest power of two strictly less than n (n ≥ 2). */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
function validSize(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** A complete (perfect) subtree: `2^level` leaves starting at leaf `index * 2^level`. */
export interface NodeId {
  level: number;
  index: number;
}

/**
 * The right border of a tree: the roots of the perfect subtrees that make up [0, size), largest
 * first. Appending a leaf costs O(log n) hashes amortised O(1), and the root is O(log n): the
 * gateway keeps this in the database instead of re-reading the log (transparency-dev "compact
 * range" with begin = 0).
 */
export class CompactRange {
  private constructor(
    private sizeValue: number,
    private readonly nodes: Buffer[],
  ) {}

  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  static fromState(size: number, nodes: Uint8Array[]): CompactRange {
    if (!validSize(size)) throw new RangeError('bad tree size');
    let expected = 0;
    for (let s = size; s > 0; s = half(s)) if (isOdd(s)) expected++;
    if (nodes.length !== expected) throw new RangeError(`tree of size ${size} needs ${expected} border nodes, got ${nodes.length}`);
    if (nodes.some((n) => n.length !== HASH_SIZE)) throw new RangeError('border node of wrong length');
    return new CompactRange(size, nodes.map((n) => Buffer.from(n)));
  }

  get size(): number {
    return this.sizeValue;
  }

  /** Border nodes, largest subtree first (copy). */
  state(): Buffer[] {
    return this.nodes.map((n) => Buffer.from(n));
  }

  /**
   * Appends one leaf hash. `onNode` sees every node that becomes complete: the leaf itself at
   * level 0, then each parent it completes, so callers can persist them for proofs.
   */
  append(leafHash: Uint8Array, onNode?: (level: number, index: number, hash: Buffer) => void): void {
    if (leafHash.length !== HASH_SIZE) throw new RangeError('leaf hash must be 32 bytes');
    let hash: Buffer = Buffer.from(leafHash);
    let index = this.sizeValue;
    let level = 0;
    onNode?.(0, index, hash);
    while (isOdd(index)) {
      const left = this.nodes.pop()!;
      hash = hashChildren(left, hash);
      index = half(index);
      level++;
      onNode?.(level, index, hash);
    }
    this.nodes.push(hash);
    this.sizeValue++;
  }

  root(): Buffer {
    if (this.nodes.length === 0) return Buffer.from(EMPTY_ROOT);
    let r = this.nodes[this.nodes.length - 1]!;
    for (let i = this.nodes.length - 2; i >= 0; i--) r = hashChildren(this.nodes[i]!, r);
    return Buffer.from(r);
  }

  clone(): CompactRange {
    return new CompactRange(this.sizeValue, this.nodes.map((n) => Buffer.from(n)));
  }
}

/** MTH over leaf hashes (already hashed with hashLeaf). */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Buffer {
  const range = CompactRange.empty();
  for (const h of leafHashes) range.append(h);
  return range.root();
}

// ---------------------------------------------------------------------------------------------
// Proof construction. Proofs are built from complete subtree hashes only, which is what the
// gateway stores; a range [begin, end) that is not a complete subtree (the right border) is
// hashed from its complete parts.

/** The complete subtrees whose hashes MTH(D[begin:end]) is computed from (begin aligned). */
export function perfectDecomposition(begin: number, end: number): NodeId[] {
  const out: NodeId[] = [];
  let b = begin;
  while (b < end) {
    let size = 1;
    // Grow while the subtree stays aligned at b and inside [b, end).
    while (b % (size * 2) === 0 && b + size * 2 <= end) size *= 2;
    out.push({ level: Math.round(Math.log2(size)), index: b / size });
    b += size;
  }
  return out;
}

export type NodeLookup = (level: number, index: number) => Uint8Array;

/** MTH(D[begin:end]) from complete-node hashes. */
export function subtreeHash(begin: number, end: number, node: NodeLookup): Buffer {
  const parts = perfectDecomposition(begin, end).map((id) => Buffer.from(node(id.level, id.index)));
  if (parts.length === 0) return Buffer.from(EMPTY_ROOT);
  let r: Buffer = parts[parts.length - 1]!;
  for (let i = parts.length - 2; i >= 0; i--) r = hashChildren(parts[i]!, r);
  return r;
}

/** The ranges [begin, end) whose MTH forms the RFC 9162 inclusion path of leaf `index` in a tree of `size`. */
export function inclusionRanges(index: number, size: number): [number, number][] {
  if (!validSize(index) || !validSize(size) || index >= size) throw new RangeError('leaf index must be below the tree size');
  const out: [number, number][] = [];
  const walk = (m: number, begin: number, n: number): void => {
    if (n === 1) return;
    const k = largestPowerOfTwoBelow(n);
    if (m < k) {
      walk(m, begin, k);
      out.push([begin + k, begin + n]);
    } else {
      walk(m - k, begin + k, n - k);
      out.push([begin, begin + k]);
    }
  };
  walk(index, 0, size);
  return out;
}

/** The ranges whose MTH forms the RFC 9162 consistency proof from size1 to size2. */
export function consistencyRanges(size1: number, size2: number): [number, number][] {
  if (!validSize(size1) || !validSize(size2) || size1 > size2) throw new RangeError('size1 must not exceed size2');
  if (size1 === 0 || size1 === size2) return [];
  const out: [number, number][] = [];
  const walk = (m: number, begin: number, n: number, complete: boolean): void => {
    if (m === n) {
      if (!complete) out.push([begin, begin + n]);
      return;
    }
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      walk(m, begin, k, complete);
      out.push([begin + k, begin + n]);
    } else {
      walk(m - k, begin + k, n - k, false);
      out.push([begin, begin + k]);
    }
  };
  walk(size1, 0, size2, true);
  return out;
}

/** Every complete node a set of ranges needs, deduplicated, for one batched lookup. */
export function nodesForRanges(ranges: [number, number][]): NodeId[] {
  const seen = new Map<string, NodeId>();
  for (const [b, e] of ranges) for (const id of perfectDecomposition(b, e)) seen.set(`${id.level}:${id.index}`, id);
  return [...seen.values()];
}

export function inclusionProof(index: number, size: number, node: NodeLookup): Buffer[] {
  return inclusionRanges(index, size).map(([b, e]) => subtreeHash(b, e, node));
}

export function consistencyProof(size1: number, size2: number, node: NodeLookup): Buffer[] {
  return consistencyRanges(size1, size2).map(([b, e]) => subtreeHash(b, e, node));
}

// ---------------------------------------------------------------------------------------------
// Verification (RFC 9162 §2.1.3.2 and §2.1.4.2). Pure; also used by the offline verifier.

/** Root implied by an inclusion proof, or null when the proof cannot be valid for these sizes. */
export function rootFromInclusionProof(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[]): Buffer | null {
  if (!validSize(index) || !validSize(size) || index >= size) return null;
  if (leafHash.length !== HASH_SIZE || proof.some((p) => p.length !== HASH_SIZE)) return null;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leafHash);
  for (const p of proof) {
    if (sn === 0) return null;
    if (isOdd(fn) || fn === sn) {
      r = hashChildren(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : null;
}

export function verifyInclusion(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  const got = rootFromInclusionProof(index, size, leafHash, proof);
  return got !== null && equal(got, root);
}

export function verifyConsistency(size1: number, size2: number, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array): boolean {
  if (!validSize(size1) || !validSize(size2) || size2 < size1) return false;
  // A consistency proof from the empty tree proves nothing; refuse it rather than accept anything.
  if (size1 === 0) return false;
  if (size1 === size2) return proof.length === 0 && equal(root1, root2);
  if (proof.length === 0) return false;
  if (root1.length !== HASH_SIZE || root2.length !== HASH_SIZE || proof.some((p) => p.length !== HASH_SIZE)) return false;

  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(path[0]!);
  let sr: Buffer = Buffer.from(path[0]!);
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(fr, root1) && equal(sr, root2);
}
