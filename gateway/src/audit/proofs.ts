import type { Queryable } from '../store/db.js';
import { ProofRangeInvalid, ProofUnavailable } from './errors.js';
import {
  consistencyRanges, hashChildren, inclusionRanges, nodesForRanges, subtreeHash, type NodeId, type NodeLookup,
} from './merkle.js';
import { readHead, TILE_HEIGHT } from './sequencer.js';

/**
 * Inclusion and consistency proofs from the stored tree: a couple of queries fetch the O(log n)
 * nodes a proof needs, whatever the size of the log.
 */
export interface InclusionProof {
  seq: number;
  leafIndex: number;
  treeSize: number;
  /** Base64 of SHA-256(0x00 ‖ canonical event). */
  leafHash: string;
  /** Base64 sibling hashes, leaf level first (RFC 9162 inclusion path). */
  hashes: string[];
}

export interface ConsistencyProof {
  from: number;
  to: number;
  hashes: string[];
}

const MAX_SIZE = Number.MAX_SAFE_INTEGER;

function checkSize(n: unknown, name: string): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > MAX_SIZE) {
    throw new ProofRangeInvalid(`${name} must be a positive integer`, { reason: `${name.toUpperCase()}_INVALID` });
  }
  return n;
}

/**
 * A lookup for the complete nodes `ids`. Only leaf hashes (in audit_events) and inner nodes at
 * every TILE_HEIGHT-th level are stored; a node in between is hashed from the at most
 * 2^(TILE_HEIGHT-1) stored nodes or leaves below it. One query per kind, whatever the log size.
 */
export async function loadNodes(q: Queryable, ids: NodeId[]): Promise<NodeLookup> {
  const stored = new Map<string, Buffer>();
  const leafSeqs = new Set<number>();
  const innerWanted = new Map<string, NodeId>();
  const plans = ids.map((id) => {
    const base = id.level - (id.level % TILE_HEIGHT);
    const span = 2 ** (id.level - base);
    const first = id.index * span;
    for (let i = first; i < first + span; i++) {
      if (base === 0) leafSeqs.add(i + 1);
      else innerWanted.set(`${base}:${i}`, { level: base, index: i });
    }
    return { id, base, first, span };
  });
  if (leafSeqs.size > 0) {
    const r = await q.query<{ seq: string; leaf_hash: Buffer }>('SELECT seq, leaf_hash FROM audit_events WHERE seq = ANY($1::bigint[])', [[...leafSeqs]]);
    for (const row of r.rows) stored.set(`0:${Number(row.seq) - 1}`, row.leaf_hash);
  }
  if (innerWanted.size > 0) {
    const want = [...innerWanted.values()];
    const r = await q.query<{ level: number; idx: string; hash: Buffer }>(
      'SELECT level, idx, hash FROM audit_tree_nodes WHERE (level, idx) IN (SELECT * FROM unnest($1::smallint[], $2::bigint[]))',
      [want.map((i) => i.level), want.map((i) => i.index)],
    );
    for (const row of r.rows) stored.set(`${row.level}:${Number(row.idx)}`, row.hash);
  }
  const computed = new Map<string, Buffer>();
  for (const { id, base, first, span } of plans) {
    let layer: Buffer[] = [];
    for (let i = first; i < first + span; i++) {
      const h = stored.get(`${base}:${i}`);
      if (!h) throw new ProofUnavailable('The log does not have those entries yet', { reason: 'TREE_TOO_SMALL' });
      layer.push(h);
    }
    while (layer.length > 1) {
      const up: Buffer[] = [];
      for (let i = 0; i < layer.length; i += 2) up.push(hashChildren(layer[i]!, layer[i + 1]!));
      layer = up;
    }
    computed.set(`${id.level}:${id.index}`, layer[0]!);
  }
  return (level, index) => {
    const h = computed.get(`${level}:${index}`);
    if (!h) throw new ProofUnavailable('Missing tree node', { reason: 'TREE_TOO_SMALL' });
    return h;
  };
}

async function currentSize(q: Queryable): Promise<number> {
  return (await readHead(q)).treeSize;
}

/** Proof that event `seq` is in the tree of `treeSize` events (default: the current tree). */
export async function inclusionProof(q: Queryable, seqIn: unknown, treeSizeIn?: unknown): Promise<InclusionProof> {
  const seq = checkSize(seqIn, 'seq');
  const size = await currentSize(q);
  const treeSize = treeSizeIn === undefined ? size : checkSize(treeSizeIn, 'treeSize');
  if (seq > treeSize) throw new ProofRangeInvalid('seq must not exceed treeSize', { reason: 'SEQ_BEYOND_TREE' });
  if (treeSize > size) throw new ProofUnavailable('The log is not that big yet', { reason: 'TREE_TOO_SMALL' });
  const ranges = inclusionRanges(seq - 1, treeSize);
  const lookup = await loadNodes(q, nodesForRanges([...ranges, [seq - 1, seq]]));
  return {
    seq,
    leafIndex: seq - 1,
    treeSize,
    leafHash: Buffer.from(lookup(0, seq - 1)).toString('base64'),
    hashes: ranges.map(([b, e]) => subtreeHash(b, e, lookup).toString('base64')),
  };
}

/** Proof that the tree of `to` events extends the tree of `from` events. */
export async function consistencyProof(q: Queryable, fromIn: unknown, toIn: unknown): Promise<ConsistencyProof> {
  const from = checkSize(fromIn, 'from');
  const to = checkSize(toIn, 'to');
  if (from > to) throw new ProofRangeInvalid('from must not exceed to', { reason: 'FROM_AFTER_TO' });
  const size = await currentSize(q);
  if (to > size) throw new ProofUnavailable('The log is not that big yet', { reason: 'TREE_TOO_SMALL' });
  const ranges = consistencyRanges(from, to);
  const lookup = await loadNodes(q, nodesForRanges(ranges));
  return { from, to, hashes: ranges.map(([b, e]) => subtreeHash(b, e, lookup).toString('base64')) };
}

/** Inclusion proofs for many events against one tree size, with one node query. */
export async function inclusionProofs(q: Queryable, seqs: number[], treeSize: number): Promise<Map<number, string[]>> {
  const all = seqs.map((s) => [s, inclusionRanges(s - 1, treeSize)] as const);
  const lookup = await loadNodes(q, nodesForRanges(all.flatMap(([, r]) => r)));
  return new Map(all.map(([s, r]) => [s, r.map(([b, e]) => subtreeHash(b, e, lookup).toString('base64'))]));
}
