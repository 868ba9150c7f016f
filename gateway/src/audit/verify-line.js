// @ts-check
// Plain JavaScript on purpose: this module is what the verifier's worker threads run, and Node 20
// cannot start a TypeScript worker without a loader thread that costs ~150 ms of CPU per worker
// (docs/decisions/0008-verifier-worker-threads.md). Type-checked through JSDoc (tsc checks it).
import { hash as oneShotHash } from 'node:crypto';

/**
 * The per-line half of export verification: what one line of an NDJSON export says, found
 * without parsing it. The only thing carried from line to line is the hash the last event line
 * claimed (ChainState). `analyseLine` runs on the calling thread for streams and `analyseLines`
 * on worker threads for files (verify-file.ts); the verdict (seq order, chain, tree, checkpoints)
 * is reached in verify.ts from the records written here alone, so both paths judge identically.
 *
 * For an event line: its seq, prevHash and hash members (JCS puts them after every nested object),
 * whether SHA-256 of the line without its hash member equals that hash, its RFC 6962 leaf hash
 * SHA-256(0x00 ‖ line), and whether its prevHash is the hash the event line before it claimed.
 * The line is modified in place: the byte before it becomes the 0x00 prefix and the part before
 * the hash member is moved over it (prevHash, after it, stays put). Other lines (header,
 * checkpoint, proof) are left untouched for the caller to parse.
 */

/** One record per line, RECORD_BYTES apart; numbers first (Float64Array view), then bytes. */
export const RECORD_BYTES = 96;
const F64_PER_RECORD = RECORD_BYTES / 8;
export const R_START = 0; // f64 index: line start
export const R_END = 1; // f64 index: line end, without CR/LF
export const R_SEQ = 2; // f64 index: the event's seq
export const R_PREV = 3; // f64 index: where the event's prevHash hex is in the line's buffer
export const R_KIND = 32; // byte offsets from here on
export const R_OK = 33; // event: 1 when its hash matched
/** Event: its prevHash equals the hash of the event line before it (1) or not (0); 2 when that line was not seen here. */
export const R_LINK = 34;
export const R_LEAF = 64; // 32 bytes: leaf hash

export const KIND_EMPTY = 0;
export const KIND_EVENT = 1;
/** Starts like an event but hash, prevHash or seq are not where canonical JSON puts them. */
export const KIND_EVENT_MALFORMED = 2;
export const KIND_OTHER = 3;
/**
 * Not a line: a perfect Merkle subtree over leaves the preceding event records hold, found by a
 * worker (level in R_SEQ, index at that level in R_START, hash in R_LEAF). Lets the main thread
 * append whole subtrees instead of hashing every node itself; see VerifierCore.apply.
 */
export const KIND_BLOCK = 4;

const NL = 10;
const CR = 13;
const HASH_MEMBER = Buffer.from(',"hash":"');
const PREV_MEMBER = Buffer.from(',"prevHash":"');
const MESSAGE_MEMBER = Buffer.from(',"messageId":"');
const SEQ_MEMBER = Buffer.from(',"seq":');
const EVENT_PREFIX = Buffer.from('{"action":"');
const HASH_MEMBER_LEN = HASH_MEMBER.length + 64 + 1; // ,"hash":"<64 hex>"

// Buffer's own latin1 fast paths (toString/write without the encoding dispatch), when present.
/** @typedef {Buffer & { latin1Slice?(start: number, end: number): string; latin1Write?(s: string, offset: number, length: number): number }} Latin1Buffer */

/**
 * @param {Buffer} b
 * @param {number} start
 * @param {number} end
 * @returns {string}
 */
export function latin1Slice(b, start, end) {
  const f = /** @type {Latin1Buffer} */ (b).latin1Slice;
  return f ? f.call(b, start, end) : b.toString('latin1', start, end);
}

/**
 * @param {Buffer} b
 * @param {string} s
 * @param {number} offset
 * @param {number} length
 */
export function latin1Write(b, s, offset, length) {
  const f = /** @type {Latin1Buffer} */ (b).latin1Write;
  if (f) f.call(b, s, offset, length);
  else b.write(s, offset, length, 'latin1');
}

/** One-shot SHA-256 with string output: much cheaper per call than Buffer output. */
/**
 * @param {Uint8Array} data
 * @returns {string}
 */
export function sha256Latin1(data) {
  return oneShotHash('sha256', data, 'binary');
}
/**
 * @param {Uint8Array} data
 * @returns {string}
 */
function sha256Hex(data) {
  return oneShotHash('sha256', data, 'hex');
}

/** Records written into one growable buffer, with a Float64Array view over the same memory. */
export class RecordBuffer {
  /** @param {number} capacity records */
  constructor(capacity) {
    /** @type {number} */
    this.count = 0;
    /** @type {Buffer} */
    this.bytes = Buffer.alloc(Math.max(1, capacity) * RECORD_BYTES);
    /** @type {Float64Array} */
    this.nums = new Float64Array(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length / 8);
  }

  /** Index of a fresh record at the end, growing when full. */
  /** @returns {number} */
  next() {
    if ((this.count + 1) * RECORD_BYTES > this.bytes.length) {
      const bigger = Buffer.alloc(this.bytes.length * 2);
      this.bytes.copy(bigger, 0, 0, this.count * RECORD_BYTES);
      this.bytes = bigger;
      this.nums = new Float64Array(bigger.buffer, bigger.byteOffset, bigger.length / 8);
    }
    return this.count++;
  }
}

/** Views over records received from a worker (a transferred ArrayBuffer). */
/**
 * @param {ArrayBuffer} ab
 * @returns {{ bytes: Buffer; nums: Float64Array }}
 */
export function recordViews(ab) {
  return { bytes: Buffer.from(ab), nums: new Float64Array(ab) };
}

/**
 * @param {Buffer} buf
 * @param {number} at
 * @param {Buffer} needle
 */
function matchAt(buf, at, needle) {
  for (let i = 0; i < needle.length; i++) if (buf[at + i] !== needle[i]) return false;
  return true;
}

/**
 * @param {Buffer} buf
 * @param {number} s
 * @param {number} e
 */
function isEventLine(buf, s, e) {
  if (e - s <= HASH_MEMBER_LEN) return false;
  return matchAt(buf, s, EVENT_PREFIX);
}

/**
 * The top-level `,"hash":"` member: the first in the line. The event schema has no nested `hash`
 * member and a string cannot hold an unescaped quote, so in a canonical event there is exactly
 * one; a forged line with another is judged by the member found here, whose value must then be
 * the SHA-256 of the rest of the line, and its leaf must still match the signed tree. A forward
 * native search is several times cheaper than a backward one (lastIndexOf) here.
 */
/**
 * @param {Buffer} buf
 * @param {number} s
 * @param {number} e
 */
function findHashMember(buf, s, e) {
  const h = buf.indexOf(HASH_MEMBER, s);
  return h >= 0 && h + HASH_MEMBER_LEN <= e ? h : -1;
}

/**
 * Analyses the line buf[s, e) (no LF) into record r. Needs one writable byte before s (the
 * preceding LF, or headroom at the start of a buffer). Returns the leaf hash (latin1) of an event
 * line whose fields were found, else null.
 */
/**
 * What the analyser remembers from one line to the next: the hash the last event line claimed
 * (64 hex chars), against which the next event's prevHash is checked. A fresh state (no previous
 * event) makes the next event's link 2: the caller checks it against what it remembers itself.
 */
export class ChainState {
  constructor() {
    /** @type {string | null} */
    this.lastHash = null;
  }
}

/**
 * @param {Buffer} buf
 * @param {number} s
 * @param {number} e
 * @param {RecordBuffer} out
 * @param {number} r
 * @param {ChainState} chain
 * @returns {string | null}
 */
export function analyseLine(buf, s, e, out, r, chain) {
  if (e > s && buf[e - 1] === CR) e--;
  const nums = out.nums;
  const bytes = out.bytes;
  const f = r * F64_PER_RECORD;
  const b = r * RECORD_BYTES;
  nums[f + R_START] = s;
  nums[f + R_END] = e;
  if (e === s) {
    bytes[b + R_KIND] = KIND_EMPTY;
    return null;
  }
  if (!isEventLine(buf, s, e)) {
    bytes[b + R_KIND] = KIND_OTHER;
    return null;
  }

  const h = findHashMember(buf, s, e);
  if (h < s || buf[h + HASH_MEMBER_LEN - 1] !== 34) {
    bytes[b + R_KIND] = KIND_EVENT_MALFORMED;
    return null;
  }
  // JCS order after "hash": messageId?, prevHash, purpose?, reasonCode?, requestId?, ruleIds?, seq, ...
  let p = h + HASH_MEMBER_LEN;
  if (matchAt(buf, p, MESSAGE_MEMBER)) {
    p += MESSAGE_MEMBER.length;
    while (p < e && buf[p] !== 34) p++;
    p++;
  }
  if (!matchAt(buf, p, PREV_MEMBER) || buf[p + PREV_MEMBER.length + 64] !== 34) {
    bytes[b + R_KIND] = KIND_EVENT_MALFORMED;
    return null;
  }
  const prev = p + PREV_MEMBER.length;
  // `,"seq":` follows within a few members (purpose, reasonCode, requestId, ruleIds): a short
  // forward scan beats a native search call here.
  let q = buf.indexOf(SEQ_MEMBER, prev + 65);
  if (q < 0 || q > e) q = e;
  let seq = 0;
  let i = q + SEQ_MEMBER.length;
  const first = i;
  if (q < e) {
    for (; i < e; i++) {
      const c = /** @type {number} */ (buf[i]);
      if (c < 48 || c > 57) break;
      seq = seq * 10 + (c - 48);
    }
  }
  if (q >= e || i === first || i - first > 15 || buf[first] === 48 || (buf[i] !== 44 && buf[i] !== 125)) {
    bytes[b + R_KIND] = KIND_EVENT_MALFORMED;
    return null;
  }

  bytes[b + R_KIND] = KIND_EVENT;
  nums[f + R_SEQ] = seq;
  nums[f + R_PREV] = prev;
  const hashAt = h + HASH_MEMBER.length;
  const claimed = latin1Slice(buf, hashAt, hashAt + 64);
  // Leaf = SHA-256(0x00 ‖ line): borrow the byte before the line for the prefix.
  buf[s - 1] = 0;
  // Plain Uint8Array views: Buffer#subarray goes through a JS constructor that costs as much.
  const leaf = sha256Latin1(new Uint8Array(buf.buffer, buf.byteOffset + s - 1, e - s + 1));
  latin1Write(bytes, leaf, b + R_LEAF, 32);
  // Hash input = the line without its hash member: shift the part before it over the member
  // (prevHash, after the member, stays where it is).
  buf.copyWithin(s + HASH_MEMBER_LEN, s, h);
  const computed = sha256Hex(new Uint8Array(buf.buffer, buf.byteOffset + s + HASH_MEMBER_LEN, e - s - HASH_MEMBER_LEN));
  bytes[b + R_OK] = computed === claimed ? 1 : 0;
  const last = chain.lastHash;
  if (last === null) bytes[b + R_LINK] = 2;
  else {
    bytes[b + R_LINK] = latin1Slice(buf, prev, prev + 64) === last ? 1 : 0;
  }
  chain.lastHash = claimed;
  return leaf;
}

/**
 * Analyses every line in buf[start, end): lines end at LF; a last line without one ends at `end`.
 * buf[start - 1] must be writable headroom.
 *
 * With `blocks`, runs of event lines with consecutive seqs are also merged into perfect subtrees
 * (leaf index = seq - 1), emitted as KIND_BLOCK records after the run: before the next non-event
 * line (so a checkpoint line finds the tree complete) and at the end of the chunk. The main thread
 * only uses a block once it has accepted every event the block covers.
 */
/**
 * @param {Buffer} buf
 * @param {number} start
 * @param {number} end
 * @param {RecordBuffer} out
 * @param {boolean} [blocks]
 * @returns {string | null} the hash the chunk's last event line claimed, if any
 */
export function analyseLines(buf, start, end, out, blocks = false) {
  const run = blocks ? new Run(out) : null;
  const chain = new ChainState();
  let s = start;
  while (s < end) {
    let nl = buf.indexOf(NL, s);
    if (nl < 0 || nl >= end) nl = end;
    if (run && run.open() && !isEventLine(buf, s, nl)) run.flush();
    const r = out.next();
    const leaf = analyseLine(buf, s, nl, out, r, chain);
    if (run && leaf !== null) run.add(/** @type {number} */ (out.nums[r * F64_PER_RECORD + R_SEQ]), leaf);
    s = nl + 1;
  }
  run?.flush();
  return chain.lastHash;
}

/** The right border of the subtrees over one run of consecutive leaves (as in merkle.ts). */
class Run {
  /** @param {RecordBuffer} out */
  constructor(out) {
    this.out = out;
    // A stack of at most 64 subtrees (one per level), kept in fixed arrays: no allocation per leaf.
    this.levels = new Int32Array(64);
    this.indexes = new Float64Array(64);
    /** @type {string[]} */
    this.hashes = new Array(64).fill('');
    this.size = 0;
    this.lastSeq = -1;
    this.node = Buffer.alloc(65);
    this.node[0] = 1;
  }

  open() {
    return this.size > 0;
  }

  /**
   * @param {number} seq
   * @param {string} leaf
   */
  add(seq, leaf) {
    if (this.size > 0 && seq !== this.lastSeq + 1) this.flush();
    this.lastSeq = seq;
    const { levels, indexes, hashes, node } = this;
    let t = this.size;
    let level = 0;
    let index = seq - 1;
    let hash = leaf;
    // Merge with the subtree below while it is this one's left sibling.
    while (t > 0 && levels[t - 1] === level && index % 2 === 1 && indexes[t - 1] === index - 1) {
      t--;
      latin1Write(node, /** @type {string} */ (hashes[t]), 1, 32);
      latin1Write(node, hash, 33, 32);
      hash = sha256Latin1(node);
      level++;
      index = (index - 1) / 2;
    }
    levels[t] = level;
    indexes[t] = index;
    hashes[t] = hash;
    this.size = t + 1;
  }

  flush() {
    const { out, levels, indexes, hashes } = this;
    for (let i = 0; i < this.size; i++) {
      const r = out.next();
      const f = r * F64_PER_RECORD;
      const b = r * RECORD_BYTES;
      out.bytes[b + R_KIND] = KIND_BLOCK;
      out.nums[f + R_SEQ] = /** @type {number} */ (levels[i]);
      out.nums[f + R_START] = /** @type {number} */ (indexes[i]);
      latin1Write(out.bytes, /** @type {string} */ (hashes[i]), b + R_LEAF, 32);
    }
    this.size = 0;
    this.lastSeq = -1;
  }
}
