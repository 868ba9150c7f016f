import { hash as oneShotHash, type KeyObject } from 'node:crypto';
import { GENESIS_HASH } from './event.js';
import { verifyInclusion } from './merkle.js';
import { noteSignedBy, parseNote, parsePublicKey } from './note.js';

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
 * earlier audits.
 *
 * Speed: event lines are never parsed or re-serialised. JCS puts `hash`, `prevHash` and `seq`
 * after every nested object, so they are found by a backward byte search; the hash input (the
 * line without its `hash` member) is made by one in-place memmove; the leaf and node hashes use
 * one-shot SHA-256 with string output, which is much cheaper per call than Buffers.
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
  | 'PROOF_INVALID';

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
}

const NL = 10;
const CR = 13;
const HASH_MEMBER = Buffer.from(',"hash":"');
const PREV_MEMBER = Buffer.from(',"prevHash":"');
const MESSAGE_MEMBER = Buffer.from(',"messageId":"');
const SEQ_MEMBER = Buffer.from(',"seq":');
const EVENT_PREFIX = Buffer.from('{"action":"');
const HASH_MEMBER_LEN = HASH_MEMBER.length + 64 + 1; // ,"hash":"<64 hex>"

// Buffer's own latin1 fast paths (toString/write without the encoding dispatch), when present.
type Latin1Buffer = Buffer & { latin1Slice?(start: number, end: number): string; latin1Write?(s: string, offset: number, length: number): number };
function latin1Slice(b: Buffer, start: number, end: number): string {
  const f = (b as Latin1Buffer).latin1Slice;
  return f ? f.call(b, start, end) : b.toString('latin1', start, end);
}
function latin1Write(b: Buffer, s: string, offset: number, length: number): void {
  const f = (b as Latin1Buffer).latin1Write;
  if (f) f.call(b, s, offset, length);
  else b.write(s, offset, length, 'latin1');
}

function sha256Latin1(data: Uint8Array): string {
  return oneShotHash('sha256', data, 'binary');
}
function sha256Hex(data: Uint8Array): string {
  return oneShotHash('sha256', data, 'hex');
}

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

export function createExportVerifier(opts: VerifyOptions): ExportVerifier {
  const keys: KeyObject[] = opts.publicKeys.map((k) => (typeof k === 'string' ? parsePublicKey(k).publicKey : k));
  if (keys.length === 0) throw new Error('at least one public key is needed to verify checkpoints');

  let buf = Buffer.allocUnsafe(1 << 22);
  // Byte 0 is headroom: every line has one byte before it, which becomes the 0x00 leaf prefix.
  let lineStart = 1;
  let fill = 1;
  let lineNo = 0;
  let failed: VerifyResult | null = null;
  let done = false;

  let origin = opts.origin ?? null;
  let mode: 'full' | 'filtered' = 'full';
  let sawContent = false;

  // Full-mode state.
  let expectedSeq = 1;
  let lastHash = GENESIS_HASH;
  let count = 0;
  const nodeBuf = Buffer.alloc(65);
  let gap: { expected: number; got: number; line: number } | null = null;
  const pending: PendingCheckpoint[] = [];
  const verifiedRoots = new Map<number, string>();
  const signedSizes = new Set<number>();
  let checkpoints = 0;
  let checkpointedSize = 0;

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
      if (!noteSignedBy(parsed, keys)) {
        failed = { ok: false, seq: t.treeSize, reason: 'CHECKPOINT_SIGNATURE_INVALID', line: 0, detail: 'the trusted checkpoint is not signed by these keys' };
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

  function appendLeaf(leaf: string): void {
    let h = leaf;
    let idx = count;
    while (idx % 2 === 1) {
      latin1Write(nodeBuf, stack.pop()! + h, 1, 64);
      h = sha256Latin1(nodeBuf);
      idx = (idx - 1) / 2;
    }
    stack.push(h);
  }

  function currentRoot(): string {
    if (stack.length === 0) return Buffer.from('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex').toString('latin1');
    let r = stack[stack.length - 1]!;
    for (let i = stack.length - 2; i >= 0; i--) {
      latin1Write(nodeBuf, stack[i]! + r, 1, 64);
      r = sha256Latin1(nodeBuf);
    }
    return r;
  }

  /** Checks every pending checkpoint whose size the recomputed tree has just reached. */
  function settlePending(): void {
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

  function matchAt(at: number, needle: Buffer): boolean {
    for (let i = 0; i < needle.length; i++) if (buf[at + i] !== needle[i]) return false;
    return true;
  }

  function sameHex(at: number, hex: string): boolean {
    for (let i = 0; i < 64; i++) if (buf[at + i] !== hex.charCodeAt(i)) return false;
    return true;
  }

  // Where locate() found the chain fields (no object per event).
  let atHash = 0;
  let atPrev = 0;
  let atSeq = 0;

  /** Finds hash, prevHash and seq; false when the line is not laid out as canonical JSON. */
  function locate(s: number, e: number): boolean {
    const h = buf.lastIndexOf(HASH_MEMBER, e - 1);
    if (h < s || buf[h + HASH_MEMBER_LEN - 1] !== 34) return false;
    // JCS order after "hash": messageId?, prevHash, purpose?, reasonCode?, requestId?, ruleIds?, seq, ...
    let p = h + HASH_MEMBER_LEN;
    if (matchAt(p, MESSAGE_MEMBER)) {
      p += MESSAGE_MEMBER.length;
      while (p < e && buf[p] !== 34) p++;
      p++;
    }
    if (!matchAt(p, PREV_MEMBER) || buf[p + PREV_MEMBER.length + 64] !== 34) return false;
    const prev = p + PREV_MEMBER.length;
    // `,"seq":` follows within a few members (purpose, reasonCode, requestId, ruleIds): a short
    // forward scan beats a native search call here.
    let q = prev + 65;
    for (; q < e; q++) if (buf[q] === 44 && buf[q + 2] === 115 && matchAt(q, SEQ_MEMBER)) break;
    if (q >= e) return false;
    let i = q + SEQ_MEMBER.length;
    let seq = 0;
    const first = i;
    for (; i < e; i++) {
      const c = buf[i]!;
      if (c < 48 || c > 57) break;
      seq = seq * 10 + (c - 48);
    }
    if (i === first || i - first > 15 || buf[first] === 48 || (buf[i] !== 44 && buf[i] !== 125)) return false;
    atHash = h;
    atPrev = prev;
    atSeq = seq;
    return true;
  }

  function eventLine(s: number, e: number): void {
    if (!locate(s, e)) {
      fail(mode === 'full' ? expectedSeq : lastSeq + 1, 'EVENT_MALFORMED', 'hash, prevHash or seq not where canonical JSON puts them');
      return;
    }
    const h = atHash;
    const prev = atPrev;
    const seq = atSeq;

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

    const chainOk = mode === 'full' ? sameHex(prev, lastHash) : seq !== lastSeq + 1 || lastSeq === 0 || sameHex(prev, lastHash);
    const hashHex = latin1Slice(buf, h + HASH_MEMBER.length, h + HASH_MEMBER.length + 64);
    // Leaf = SHA-256(0x00 ‖ line): borrow the byte before the line for the prefix.
    buf[s - 1] = 0;
    const leaf = sha256Latin1(buf.subarray(s - 1, e));
    // Hash input = the line without its hash member: shift the part before it over the member.
    buf.copyWithin(s + HASH_MEMBER_LEN, s, h);
    if (sha256Hex(buf.subarray(s + HASH_MEMBER_LEN, e)) !== hashHex) {
      fail(seq, 'HASH_MISMATCH');
      return;
    }

    if (mode === 'filtered') {
      if (awaitingProof) {
        fail(awaitingProof.seq, 'PROOF_MISSING');
        return;
      }
      if (!chainOk) {
        fail(seq, 'CHAIN_BROKEN');
        return;
      }
      lastSeq = seq;
      lastHash = hashHex;
      count++;
      awaitingProof = { seq, leaf: Buffer.from(leaf, 'latin1'), line: lineNo };
      return;
    }

    if (!chainOk) {
      fail(seq, 'CHAIN_BROKEN');
      return;
    }
    appendLeaf(leaf);
    lastHash = hashHex;
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

  function otherLine(s: number, e: number): void {
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

  function isEventLine(s: number, e: number): boolean {
    if (e - s <= HASH_MEMBER_LEN) return false;
    for (let i = 0; i < EVENT_PREFIX.length; i++) if (buf[s + i] !== EVENT_PREFIX[i]) return false;
    return true;
  }

  function processLine(s: number, e: number): void {
    lineNo++;
    if (e > s && buf[e - 1] === CR) e--;
    if (e === s) return;
    if (isEventLine(s, e)) {
      sawContent = true;
      eventLine(s, e);
    } else otherLine(s, e);
  }

  function drain(): void {
    let from = lineStart;
    while (!failed) {
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
      if (failed || done) return;
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
      if (failed || done) return;
      fill += n;
      drain();
    },

    end(): VerifyResult {
      if (!done && !failed) {
        done = true;
        if (fill > lineStart) {
          // Last line without a trailing newline.
          processLine(lineStart, fill);
          lineStart = fill;
        }
      }
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
      return {
        ok: true,
        mode,
        count,
        checkpoints,
        checkpointedSize,
        uncheckpointed: mode === 'full' ? count - checkpointedSize : 0,
        rootHash: mode === 'full' ? Buffer.from(currentRoot(), 'latin1').toString('base64') : null,
      };
    },

    failure: () => failed,
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
