import type { KeyObject } from 'node:crypto';
import { parseWitnessKey, verifiedCosignatures, type WitnessKey } from './cosignature.js';
import { GENESIS_HASH } from './event.js';
import { EMPTY_ROOT, verifyInclusion } from './merkle.js';
import { noteSignedBy, parseNote, parsePublicKey } from './note.js';
import {
  analyseLine,
  ChainState,
  KIND_BLOCK,
  KIND_EMPTY,
  KIND_EVENT_MALFORMED,
  KIND_OTHER,
  latin1Slice,
  latin1Write,
  R_END,
  R_OK,
  R_KIND,
  R_LINK,
  R_LEAF,
  R_PREV,
  R_SEQ,
  R_START,
  RECORD_BYTES,
  RecordBuffer,
  sha256Latin1,
} from './verify-line.js';

/**
 * Offline verification of an NDJSON audit export. Pure: bytes in, verdict out, no database, no
 * network; the gateway and `npm run audit:verify` share it.
 *
 * Export format (one JSON value per line):
 *   {"type":"header","format":"marac-audit-export","version":1,"origin":…,"mode":"full"|"filtered",…}   optional, first
 *   {"type":"checkpoint","treeSize":N,"rootHash":…,"ts":…,"keyId":…,"note":"<C2SP signed note>"}
 *   <event>   the event's RFC 8785 canonical JSON, byte for byte what was hashed: the Merkle leaf
 *   {"type":"proof","seq":s,"treeSize":N,"hashes":[…]}   filtered exports: inclusion of the event above
 *
 * A full export is checked completely: each event's hash, the chain, seq continuity from 1, the
 * RFC 6962 tree recomputed leaf by leaf, every checkpoint's signature and its root against the
 * recomputed root at its size (two checkpoints for one size with different roots is a fork), and
 * that no checkpoint promises more events than the export holds (tail truncation). Because every
 * checkpoint root is matched against the same recomputed tree, consecutive checkpoints are
 * consistent by construction; `trustedCheckpoints` (roots an auditor saw before) extends that to
 * earlier audits. With `witnessKeys`, a checkpoint cosigned by the witness(es) (in the export or
 * trusted) is one the export must reach and agree with, and `requireWitness` fails an export that
 * no witnessed checkpoint covers: only a witness can tell a log cut back, together with its own
 * checkpoints, from the real one (docs/decisions/0017).
 *
 * Two halves: verify-line.js analyses one line without state (where hash, prevHash and seq are;
 * whether the hash matches; the leaf hash; whether prevHash equals the hash of the event line
 * before it), and the core below judges the records in line order (seq, chain, tree,
 * checkpoints, proofs). `createExportVerifier` runs both on the calling thread for streams;
 * verify-file.ts runs the analysis on worker threads for files. Same records, same core, same
 * verdict (test/unit/audit/verify-file.test.ts holds them to it).
 *
 * Speed: event lines are never parsed or re-serialised. JCS puts `hash`, `prevHash` and `seq`
 * after every nested object, so they are found by byte search; the hash input (the line without
 * its `hash` member) is made by one in-place memmove; the leaf and node hashes use one-shot
 * SHA-256 with string output, which is much cheaper per call than Buffers.
 */
export type VerifyReason =
  | 'HASH_MISMATCH'
  | 'CHAIN_BROKEN'
  | 'SEQ_GAP'
  | 'SEQ_OUT_OF_ORDER'
  | 'EVENT_MALFORMED'
  | 'LINE_MALFORMED'
  | 'HEADER_INVALID'
  | 'CHECKPOINT_MALFORMED'
  | 'CHECKPOINT_ORIGIN_MISMATCH'
  | 'CHECKPOINT_SIGNATURE_INVALID'
  | 'CHECKPOINT_ROOT_MISMATCH'
  | 'CHECKPOINT_INCONSISTENT'
  | 'CHECKPOINT_MISPLACED'
  | 'NO_CHECKPOINT'
  | 'TRUNCATED'
  | 'PROOF_MISSING'
  | 'PROOF_INVALID'
  | 'WITNESS_MISSING'
  | 'WITNESS_STALE';

export type VerifyResult =
  | {
      ok: true;
      mode: 'full' | 'filtered';
      /** Events verified. */
      count: number;
      /** Checkpoints whose signature and root were verified. */
      checkpoints: number;
      /** Largest tree size covered by a verified checkpoint. */
      checkpointedSize: number;
      /** Events after the last checkpoint: hash and chain checked, not yet signed. */
      uncheckpointed: number;
      /** Base64 root of the recomputed tree (full mode). */
      rootHash: string | null;
      /**
       * The largest checkpoint cosigned by a quorum of the trusted witnesses that the export was
       * checked against (null when no witness keys were given).
       */
      witnessed: { treeSize: number; cosignedAt: string; witnesses: string[] } | null;
    }
  | { ok: false; seq: number; reason: VerifyReason; line: number; detail?: string };

export interface VerifyOptions {
  /** Trusted checkpoint keys: KeyObjects, PEM text or C2SP verifier keys. */
  publicKeys: (KeyObject | string)[];
  /** Expected origin; defaults to the header's, else the first checkpoint's. */
  origin?: string;
  /**
   * Tree heads the auditor holds independently of the export (an earlier audit, or
   * GET /v1/audit/checkpoints/latest fetched separately). The export must reach and agree with
   * each: this is what detects a tail cut off together with its checkpoints, and a fork. When a
   * signed `note` is given, its signature is checked too.
   */
  trustedCheckpoints?: { treeSize: number; rootHash: string; note?: string }[];
  /** Accept an export that holds events but no checkpoint (chain-only). Default false. */
  allowUncheckpointed?: boolean;
  /**
   * Witness keys (C2SP cosignature/v1 verifier keys). A witness refuses to cosign a log that was
   * cut back or forked, so a checkpoint it cosigned, here or in `trustedCheckpoints`, is a size
   * and root the export must reach and agree with, whatever the gateway now says.
   */
  witnessKeys?: (string | WitnessKey)[];
  /** Distinct witnesses whose cosignatures make a checkpoint witnessed (default 1). */
  witnessQuorum?: number;
  /**
   * Fail with WITNESS_MISSING unless a witnessed checkpoint was checked. Default: true when
   * `witnessKeys` are given. The CLI and the auditor's page require it unless told otherwise.
   */
  requireWitness?: boolean;
  /** Fail with WITNESS_STALE when the newest witnessed checkpoint's cosignature is older than this. */
  witnessMaxAgeSeconds?: number;
  /** The verifier's clock, for cosignature times (default: now). */
  now?: Date;
}

const NL = 10;

interface PendingCheckpoint {
  treeSize: number;
  root: string; // latin1
  line: number;
  trusted: boolean;
}

export interface ExportVerifier {
  /** Feeds raw bytes (any chunking). The verifier copies them; the caller may reuse the chunk. */
  push(chunk: Uint8Array | string): void;
  /** Zero-copy feeding: a region of at least `min` bytes to read into, then commit(n). */
  writable(min: number): Buffer;
  commit(n: number): void;
  /** Call at end of input. */
  end(): VerifyResult;
  /** The failure so far, if any (verification stops at the first). */
  failure(): VerifyResult | null;
}

/**
 * The stateful half of verification: takes the records of verify-line.ts in line order. `buf` is
 * the buffer the record's line came from (only read for header, checkpoint and proof lines).
 */
export interface VerifierCore {
  apply(buf: Buffer, rec: { bytes: Buffer; nums: Float64Array }, r: number): void;
  /** After a chunk: the hash its last event line claimed, for the next chunk's first event. */
  linkNext(hashHex: string): void;
  end(): VerifyResult;
  failure(): VerifyResult | null;
}

export function createVerifierCore(opts: VerifyOptions, tree: 'per-event' | 'blocks' = 'per-event'): VerifierCore {
  const keys: KeyObject[] = opts.publicKeys.map((k) => (typeof k === 'string' ? parsePublicKey(k).publicKey : k));
  if (keys.length === 0) throw new Error('at least one public key is needed to verify checkpoints');

  let lineNo = 0;
  let failed: VerifyResult | null = null;
  let done = false;

  let origin = opts.origin ?? null;
  let mode: 'full' | 'filtered' = 'full';
  let sawContent = false;

  // Full-mode state.
  let expectedSeq = 1;
  // The hash hex an event must link to when the analyser has not seen the line before it: the
  // genesis hash, then whatever linkNext reports at the end of each chunk.
  const lastHash = Buffer.from(GENESIS_HASH, 'latin1');
  let count = 0;
  // Leaves in the recomputed tree: equal to count per event; in 'blocks' mode it catches up with
  // count when a run's subtrees arrive, or leaf by leaf when a checkpoint needs the root sooner.
  let treeSize = 0;
  // Blocks mode: the record holding each accepted event's leaf in the current record buffer.
  let recs: { bytes: Buffer; nums: Float64Array } | null = null;
  let recsFirstLeaf = 0;
  let leafRecord = new Int32Array(1024);
  const nodeBuf = Buffer.alloc(65);
  let gap: { expected: number; got: number; line: number } | null = null;
  const pending: PendingCheckpoint[] = [];
  const verifiedRoots = new Map<number, string>();
  const signedSizes = new Set<number>();
  let checkpoints = 0;
  let checkpointedSize = 0;

  const witnessKeys: WitnessKey[] = (opts.witnessKeys ?? []).map((k) => (typeof k === 'string' ? parseWitnessKey(k) : k));
  const quorum = Math.max(1, opts.witnessQuorum ?? 1);
  const requireWitness = opts.requireWitness ?? witnessKeys.length > 0;
  if (requireWitness && witnessKeys.length === 0) throw new Error('a witnessed checkpoint is required but no witness key was given');
  const nowSeconds = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  let witnessed: { treeSize: number; time: number; witnesses: string[] } | null = null;

  /** Notes a checkpoint (already known to be signed by the log) as witnessed when a quorum cosigned it. */
  function noteWitnessed(parsed: NonNullable<ReturnType<typeof parseNote>>): void {
    if (witnessKeys.length === 0) return;
    const cos = verifiedCosignatures(parsed, witnessKeys, nowSeconds);
    const names = [...new Set(cos.map((c) => c.witness))];
    if (names.length < quorum) return;
    const time = Math.max(...cos.map((c) => c.time));
    const size = parsed.body.treeSize;
    if (!witnessed || size > witnessed.treeSize || (size === witnessed.treeSize && time > witnessed.time)) witnessed = { treeSize: size, time, witnesses: names };
  }

  /** A signed checkpoint from the export agreed with the recomputed tree at `size`. */
  function countSigned(size: number): void {
    if (signedSizes.has(size)) return;
    signedSizes.add(size);
    checkpoints++;
    if (size > checkpointedSize) checkpointedSize = size;
  }

  // Filtered-mode state.
  let lastSeq = 0;
  let awaitingProof: { seq: number; leaf: Buffer; line: number } | null = null;

  for (const t of opts.trustedCheckpoints ?? []) {
    const root = Buffer.from(t.rootHash, 'base64');
    if (!Number.isSafeInteger(t.treeSize) || t.treeSize < 1 || root.length !== 32) throw new Error('bad trusted checkpoint');
    if (t.note !== undefined) {
      const parsed = parseNote(t.note);
      if (!parsed || parsed.body.treeSize !== t.treeSize || !parsed.body.root.equals(root)) throw new Error('trusted checkpoint note does not match its fields');
      if (origin !== null && parsed.body.origin !== origin) {
        // A checkpoint (however witnessed) of another log says nothing about this one.
        failed = { ok: false, seq: t.treeSize, reason: 'CHECKPOINT_ORIGIN_MISMATCH', line: 0, detail: 'the trusted checkpoint is of another log' };
      } else if (!noteSignedBy(parsed, keys)) {
        failed = { ok: false, seq: t.treeSize, reason: 'CHECKPOINT_SIGNATURE_INVALID', line: 0, detail: 'the trusted checkpoint is not signed by these keys' };
      } else {
        origin ??= parsed.body.origin;
        noteWitnessed(parsed);
      }
    }
    addPending({ treeSize: t.treeSize, root: root.toString('latin1'), line: 0, trusted: true });
  }

  function fail(seq: number, reason: VerifyReason, detail?: string): void {
    failed = { ok: false, seq, reason, line: lineNo, ...(detail ? { detail } : {}) };
  }

  function addPending(p: PendingCheckpoint): void {
    let i = pending.length;
    while (i > 0 && pending[i - 1]!.treeSize > p.treeSize) i--;
    pending.splice(i, 0, p);
  }

  // The compact range: right-border subtree hashes as 32-char latin1 strings (what one-shot
  // SHA-256 returns cheapest). A parent is hashed from nodeBuf = 0x01 ‖ left ‖ right in one write.
  const stack: string[] = [];
  nodeBuf[0] = 1;

  /** Appends a perfect subtree of 2^level leaves; treeSize must be a multiple of its size. */
  function appendNode(level: number, hash: string): void {
    let h = hash;
    let idx = treeSize / 2 ** level;
    while (idx % 2 === 1) {
      latin1Write(nodeBuf, stack.pop()! + h, 1, 64);
      h = sha256Latin1(nodeBuf);
      idx = (idx - 1) / 2;
    }
    stack.push(h);
    treeSize += 2 ** level;
  }

  /** Blocks mode: appends accepted leaves one by one up to `size`, from the current records. */
  function catchUp(size: number): void {
    while (treeSize < size) {
      const k = treeSize - recsFirstLeaf;
      if (!recs || k < 0 || k >= leafRecord.length) throw new Error('audit verifier: leaf records missing (internal error)');
      const b = leafRecord[k]! * RECORD_BYTES;
      appendNode(0, latin1Slice(recs.bytes, b + R_LEAF, b + R_LEAF + 32));
    }
  }

  function block(bytes: Buffer, nums: Float64Array, r: number): void {
    if (mode !== 'full') return;
    const f = r * (RECORD_BYTES / 8);
    const level = nums[f + R_SEQ]!;
    const size = 2 ** level;
    const start = nums[f + R_START]! * size;
    const end = start + size;
    // Only over events already accepted; a block that does not line up follows a seq gap or a
    // rejected event, which the event checks report.
    if (end > count || end <= treeSize || start > treeSize) return;
    if (start === treeSize) {
      const b = r * RECORD_BYTES;
      appendNode(level, latin1Slice(bytes, b + R_LEAF, b + R_LEAF + 32));
    } else catchUp(end);
  }

  function currentRoot(): string {
    if (stack.length === 0) return EMPTY_ROOT.toString('latin1');
    let r = stack[stack.length - 1]!;
    for (let i = stack.length - 2; i >= 0; i--) {
      latin1Write(nodeBuf, stack[i]! + r, 1, 64);
      r = sha256Latin1(nodeBuf);
    }
    return r;
  }

  /** Checks every pending checkpoint whose size the recomputed tree has just reached. */
  function settlePending(): void {
    if (treeSize < count) catchUp(count);
    while (pending.length > 0 && pending[0]!.treeSize === count) {
      const p = pending.shift()!;
      const root = currentRoot();
      if (root !== p.root) {
        fail(p.treeSize, p.trusted ? 'CHECKPOINT_INCONSISTENT' : 'CHECKPOINT_ROOT_MISMATCH');
        return;
      }
      verifiedRoots.set(p.treeSize, p.root);
      if (!p.trusted) countSigned(p.treeSize);
    }
  }

  function sameAsLastHash(bytes: Buffer, at: number): boolean {
    for (let i = 0; i < 64; i++) if (bytes[at + i] !== lastHash[i]) return false;
    return true;
  }

  function eventRecord(line: Buffer, bytes: Buffer, nums: Float64Array, r: number): void {
    const b = r * RECORD_BYTES;
    const f = r * (RECORD_BYTES / 8);
    if (bytes[b + R_KIND] === KIND_EVENT_MALFORMED) {
      fail(mode === 'full' ? expectedSeq : lastSeq + 1, 'EVENT_MALFORMED', 'hash, prevHash or seq not where canonical JSON puts them');
      return;
    }
    const seq = nums[f + R_SEQ]!;

    if (mode === 'full') {
      if (gap) {
        fail(gap.expected, seq === gap.expected || seq < gap.got ? 'SEQ_OUT_OF_ORDER' : 'SEQ_GAP');
        return;
      }
      if (seq < expectedSeq) {
        fail(seq, 'SEQ_OUT_OF_ORDER', `seq ${seq} after ${expectedSeq - 1}`);
        return;
      }
      if (seq > expectedSeq) {
        // Deleted or moved? The next event tells: see the `gap` branch above.
        gap = { expected: expectedSeq, got: seq, line: lineNo };
        return;
      }
    } else if (seq <= lastSeq) {
      fail(seq, 'SEQ_OUT_OF_ORDER', `seq ${seq} after ${lastSeq}`);
      return;
    }

    // `| 0`: a float index would send every byte access down V8's slow keyed-load path.
    // The analyser checked the link to the event line before this one, unless it had not seen
    // one (2): then it is checked here against the hash this core was last told about.
    const link = bytes[b + R_LINK];
    const linked = link === 2 ? sameAsLastHash(line, nums[f + R_PREV]! | 0) : link === 1;
    const chainOk = mode === 'full' ? linked : seq !== lastSeq + 1 || lastSeq === 0 || linked;
    if (bytes[b + R_OK] !== 1) {
      fail(seq, 'HASH_MISMATCH');
      return;
    }
    if (mode === 'filtered' && awaitingProof) {
      fail(awaitingProof.seq, 'PROOF_MISSING');
      return;
    }
    if (!chainOk) {
      fail(seq, 'CHAIN_BROKEN');
      return;
    }

    if (mode === 'filtered') {
      lastSeq = seq;
      count++;
      awaitingProof = { seq, leaf: Buffer.from(bytes.subarray(b + R_LEAF, b + R_LEAF + 32)), line: lineNo };
      return;
    }

    if (tree === 'per-event') appendNode(0, latin1Slice(bytes, b + R_LEAF, b + R_LEAF + 32));
    else {
      const k = count - recsFirstLeaf;
      if (k >= leafRecord.length) {
        const bigger = new Int32Array(leafRecord.length * 2);
        bigger.set(leafRecord);
        leafRecord = bigger;
      }
      leafRecord[k] = r;
    }
    expectedSeq++;
    count++;
    if (pending.length > 0 && pending[0]!.treeSize === count) settlePending();
  }

  function checkpointLine(obj: Record<string, unknown>): void {
    const claimed = typeof obj.treeSize === 'number' ? obj.treeSize : mode === 'full' ? count : lastSeq;
    const parsed = typeof obj.note === 'string' ? parseNote(obj.note) : null;
    if (!parsed) return fail(claimed, 'CHECKPOINT_MALFORMED', 'not a signed note');
    const { body } = parsed;
    if (
      (obj.treeSize !== undefined && obj.treeSize !== body.treeSize) ||
      (obj.rootHash !== undefined && obj.rootHash !== body.root.toString('base64'))
    ) {
      return fail(body.treeSize, 'CHECKPOINT_MALFORMED', 'fields disagree with the signed note');
    }
    if (origin === null) origin = body.origin;
    else if (body.origin !== origin) return fail(body.treeSize, 'CHECKPOINT_ORIGIN_MISMATCH');
    if (!noteSignedBy(parsed, keys)) return fail(body.treeSize, 'CHECKPOINT_SIGNATURE_INVALID');
    if (body.treeSize === 0) return;
    noteWitnessed(parsed);

    const root = body.root.toString('latin1');
    const known = verifiedRoots.get(body.treeSize);
    if (known !== undefined) {
      if (known !== root) fail(body.treeSize, 'CHECKPOINT_INCONSISTENT', 'two signed roots for one tree size');
      else countSigned(body.treeSize);
      return;
    }
    const twin = pending.find((x) => x.treeSize === body.treeSize);
    if (twin) {
      if (twin.root !== root) fail(body.treeSize, 'CHECKPOINT_INCONSISTENT', 'two signed roots for one tree size');
      // A signed copy of a trusted head: it counts as a checkpoint once reached.
      else twin.trusted = false;
      return;
    }
    if (mode === 'filtered') {
      verifiedRoots.set(body.treeSize, root);
      countSigned(body.treeSize);
      return;
    }
    if (body.treeSize < count) return fail(body.treeSize, 'CHECKPOINT_MISPLACED', 'checkpoint after the events it covers');
    addPending({ treeSize: body.treeSize, root, line: lineNo, trusted: false });
    if (body.treeSize === count) settlePending();
  }

  function proofLine(obj: Record<string, unknown>): void {
    if (mode !== 'filtered' || !awaitingProof) return fail(typeof obj.seq === 'number' ? obj.seq : lastSeq, 'LINE_MALFORMED', 'proof without an event');
    const { seq, leaf } = awaitingProof;
    awaitingProof = null;
    const size = obj.treeSize;
    const hashes = obj.hashes;
    if (obj.seq !== seq || typeof size !== 'number' || !Array.isArray(hashes) || !hashes.every((x) => typeof x === 'string')) {
      return fail(seq, 'PROOF_INVALID', 'proof does not belong to the event above');
    }
    const root = verifiedRoots.get(size);
    if (root === undefined) return fail(seq, 'PROOF_INVALID', 'no verified checkpoint for the proof tree size');
    const ok = verifyInclusion(seq - 1, size, leaf, (hashes as string[]).map((x) => Buffer.from(x, 'base64')), Buffer.from(root, 'latin1'));
    if (!ok) fail(seq, 'PROOF_INVALID');
  }

  function headerLine(obj: Record<string, unknown>): void {
    if (sawContent || obj.format !== 'marac-audit-export' || obj.version !== 1 || (obj.mode !== 'full' && obj.mode !== 'filtered')) {
      return fail(0, 'HEADER_INVALID');
    }
    mode = obj.mode;
    if (typeof obj.origin === 'string') {
      if (origin !== null && origin !== obj.origin) return fail(0, 'CHECKPOINT_ORIGIN_MISMATCH');
      origin = obj.origin;
    }
  }

  function otherLine(buf: Buffer, s: number, e: number): void {
    let obj: unknown;
    try {
      obj = JSON.parse(buf.toString('utf8', s, e));
    } catch {
      return fail(mode === 'full' ? expectedSeq : lastSeq + 1, 'LINE_MALFORMED', 'not JSON');
    }
    const type = obj && typeof obj === 'object' && !Array.isArray(obj) ? (obj as { type?: unknown }).type : undefined;
    if (type === 'header') headerLine(obj as Record<string, unknown>);
    else if (type === 'checkpoint') checkpointLine(obj as Record<string, unknown>);
    else if (type === 'proof') proofLine(obj as Record<string, unknown>);
    // A JSON object without a type that is not a canonical event: a reformatted or forged event.
    else fail(mode === 'full' ? expectedSeq : lastSeq + 1, type === undefined ? 'EVENT_MALFORMED' : 'LINE_MALFORMED');
    sawContent = sawContent || type !== 'header';
  }

  return {
    apply(buf, rec, r) {
      if (failed || done) return;
      const kind = rec.bytes[r * RECORD_BYTES + R_KIND];
      if (tree === 'blocks' && rec !== recs) {
        // A new record buffer: every leaf of the last one is in the tree (blocks end each chunk).
        if (treeSize < count && gap === null) catchUp(count);
        recs = rec;
        recsFirstLeaf = count;
      }
      if (kind === KIND_BLOCK) return block(rec.bytes, rec.nums, r);
      lineNo++;
      if (kind === KIND_EMPTY) return;
      if (kind === KIND_OTHER) {
        const f = r * (RECORD_BYTES / 8);
        otherLine(buf, rec.nums[f + R_START]!, rec.nums[f + R_END]!);
        return;
      }
      sawContent = true;
      eventRecord(buf, rec.bytes, rec.nums, r);
    },

    end(): VerifyResult {
      done = true;
      if (failed) return failed;
      if (gap) {
        fail((gap as { expected: number }).expected, 'SEQ_GAP');
        return failed!;
      }
      if (awaitingProof) {
        fail((awaitingProof as { seq: number }).seq, 'PROOF_MISSING');
        return failed!;
      }
      if (mode === 'full') {
        if (treeSize < count) catchUp(count);
        const promised = pending.find((p) => !p.trusted) ?? pending[0];
        if (promised) {
          fail(count + 1, 'TRUNCATED', `a checkpoint covers ${promised.treeSize} events, the export has ${count}`);
          return failed!;
        }
        if (count > 0 && checkpoints === 0 && !opts.allowUncheckpointed) {
          fail(1, 'NO_CHECKPOINT', 'no signed checkpoint covers any event');
          return failed!;
        }
      }
      // Every witnessed checkpoint was matched against the export above (reached, same root).
      const w = witnessed as { treeSize: number; time: number; witnesses: string[] } | null;
      if (requireWitness && !w) {
        fail(count + 1, 'WITNESS_MISSING', 'no checkpoint cosigned by the trusted witness(es): fetch the latest witnessed checkpoint from the witness and give it');
        return failed!;
      }
      if (w && opts.witnessMaxAgeSeconds !== undefined && nowSeconds - w.time > opts.witnessMaxAgeSeconds) {
        fail(w.treeSize, 'WITNESS_STALE', `the newest witnessed checkpoint was cosigned ${nowSeconds - w.time} s ago`);
        return failed!;
      }
      return {
        ok: true,
        mode,
        count,
        checkpoints,
        checkpointedSize,
        uncheckpointed: mode === 'full' ? count - checkpointedSize : 0,
        rootHash: mode === 'full' ? Buffer.from(currentRoot(), 'latin1').toString('base64') : null,
        witnessed: witnessed
          ? { treeSize: (witnessed as { treeSize: number }).treeSize, cosignedAt: new Date((witnessed as { time: number }).time * 1000).toISOString(), witnesses: (witnessed as { witnesses: string[] }).witnesses }
          : null,
      };
    },

    linkNext(hashHex) {
      lastHash.write(hashHex, 0, 64, 'latin1');
    },

    failure: () => failed,
  };
}

/** Streaming verification on the caller's thread: lines are analysed as their LF arrives. */
export function createExportVerifier(opts: VerifyOptions): ExportVerifier {
  const core = createVerifierCore(opts);
  const rec = new RecordBuffer(1);
  rec.next();
  // One chain state for the whole stream: every event after the first is linked by the analyser.
  const chain = new ChainState();

  let buf = Buffer.allocUnsafe(1 << 22);
  // Byte 0 is headroom: every line has one byte before it, which becomes the 0x00 leaf prefix.
  let lineStart = 1;
  let fill = 1;
  let done = false;

  function processLine(s: number, e: number): void {
    analyseLine(buf, s, e, rec, 0, chain);
    core.apply(buf, rec, 0);
  }

  function drain(): void {
    let from = lineStart;
    while (!core.failure()) {
      const nl = buf.indexOf(NL, from);
      if (nl < 0 || nl >= fill) break;
      processLine(lineStart, nl);
      lineStart = nl + 1;
      from = lineStart;
    }
  }

  /** Makes room for `n` more bytes after the unprocessed tail (moving it to the front). */
  function reserve(n: number): void {
    if (fill + n <= buf.length) return;
    const rest = fill - lineStart;
    const need = 1 + rest + n;
    const target = need > buf.length ? Buffer.allocUnsafe(Math.max(need, buf.length * 2)) : buf;
    buf.copy(target, 1, lineStart, fill);
    buf = target;
    lineStart = 1;
    fill = 1 + rest;
  }

  return {
    push(chunk) {
      if (core.failure() || done) return;
      const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      reserve(data.length);
      buf.set(data, fill);
      fill += data.length;
      drain();
    },

    writable(min: number): Buffer {
      reserve(min);
      return buf.subarray(fill);
    },

    commit(n: number): void {
      if (core.failure() || done) return;
      fill += n;
      drain();
    },

    end(): VerifyResult {
      if (!done && !core.failure() && fill > lineStart) {
        // Last line without a trailing newline.
        processLine(lineStart, fill);
        lineStart = fill;
      }
      done = true;
      return core.end();
    },

    failure: () => core.failure(),
  };
}

/** Verifies an export given as chunks (a file stream, an HTTP response, an array of lines). */
export async function verifyExport(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  opts: VerifyOptions,
): Promise<VerifyResult> {
  const v = createExportVerifier(opts);
  for await (const chunk of source) {
    v.push(chunk);
    if (v.failure()) break;
  }
  return v.end();
}
