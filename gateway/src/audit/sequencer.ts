import type pg from 'pg';
import type { Queryable } from '../store/db.js';
import { AuditStateCorrupt } from './errors.js';
import { GENESIS_HASH, sequenceEvent, type UnsequencedEvent } from './event.js';
import { hash as oneShotHash } from 'node:crypto';
import { CompactRange } from './merkle.js';

/**
 * Moves committed pending events into the tamper-evident log, one batch per transaction:
 *
 *   lock audit_head (FOR UPDATE) → read pending rows in id order → seq = head + 1..., chain
 *   prevHash → hash, leaf into the compact range (keeping leaf hashes and every 4th tree level) → insert
 *   events and nodes → delete the pending rows → move the head → commit.
 *
 * The head row lock is the single total order across every gateway process and pool; whoever
 * holds it integrates, the others skip (SKIP LOCKED) or wait (flush). A crash anywhere rolls the
 * whole batch back, so seq stays gapless and the chain, the tree and the head always agree.
 */
/** Inner tree nodes are stored at levels 4, 8, 12, … (see proofs.ts). */
export const TILE_HEIGHT = 4;

export interface HeadState {
  treeSize: number;
  headHash: string;
  border: Buffer[];
}

export interface BatchResult {
  /** Events integrated in this batch (0 when nothing was pending). */
  integrated: number;
  /** Another process held the head lock (only with wait = false). */
  busy: boolean;
  treeSize: number;
}

type HeadRow = { tree_size: string; head_hash: string; border: Buffer[] | null };

interface PendingRow {
  id: string;
  body: string;
}

function parseHead(row: HeadRow): HeadState {
  const treeSize = Number(row.tree_size);
  if (!Number.isSafeInteger(treeSize) || !/^[0-9a-f]{64}$/.test(row.head_hash)) throw new AuditStateCorrupt('audit head row is malformed');
  if (treeSize === 0 && row.head_hash !== GENESIS_HASH) throw new AuditStateCorrupt('empty log with a non-genesis head');
  return { treeSize, headHash: row.head_hash, border: row.border ?? [] };
}

const HEAD_SELECT = 'SELECT tree_size, head_hash, border FROM audit_head WHERE id = 1';

// The runtime role may not UPDATE audit_head, which SELECT ... FOR UPDATE needs: the lock and the
// move of the head go through SECURITY DEFINER functions (migration 0015) that only go forward.
const HEAD_LOCK_WAIT = 'SELECT tree_size, head_hash, border FROM audit_lock_head(true)';
const HEAD_LOCK_SKIP = 'SELECT tree_size, head_hash, border FROM audit_lock_head(false)';

/** The head, optionally locked FOR UPDATE (waiting for whoever holds it). */
export async function readHead(q: Queryable, lock: 'none' | 'wait' = 'none'): Promise<HeadState> {
  const r = await q.query<HeadRow>(lock === 'wait' ? HEAD_LOCK_WAIT : HEAD_SELECT);
  if (r.rowCount === 0) throw new AuditStateCorrupt('audit head row is missing');
  return parseHead(r.rows[0]!);
}

/** The head locked FOR UPDATE, or null when another sequencer holds it. */
export async function tryLockHead(q: Queryable): Promise<HeadState | null> {
  const r = await q.query<HeadRow>(HEAD_LOCK_SKIP);
  return r.rowCount === 0 ? null : parseHead(r.rows[0]!);
}

const INSERT_EVENTS = `
  INSERT INTO audit_events (seq, ts, action, decision, reason_code, case_id, request_id, message_id, agreement_id,
    agreement_version, actor_kind, actor_id, agency_ids, subject_tokens, hash, prev_hash, canonical, leaf_hash)
  SELECT e.seq, e.ts, e.action, e.decision, e.reason_code, e.case_id, e.request_id, e.message_id, e.agreement_id,
    e.agreement_version, e.actor_kind, e.actor_id,
    -- unnest would flatten text[][]; each row's list travels as one array literal instead.
    e.agency_ids::text[], e.subject_tokens::text[],
    e.hash, e.prev_hash, e.canonical, decode(e.leaf_hash, 'hex')
  -- The canonical texts travel as one JSON array: escaping them for a text[] literal costs more.
  FROM ROWS FROM (unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::text[], $10::int[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[]),
    json_array_elements_text($17::json), unnest($18::text[]))
    AS e(seq, ts, action, decision, reason_code, case_id, request_id, message_id, agreement_id, agreement_version,
      actor_kind, actor_id, agency_ids, subject_tokens, hash, prev_hash, canonical, leaf_hash)`;

const INSERT_NODES = `
  INSERT INTO audit_tree_nodes (level, idx, hash)
  SELECT n.level, n.idx, decode(n.hash, 'hex') FROM unnest($1::smallint[], $2::bigint[], $3::text[]) AS n(level, idx, hash)`;

/** A text[] literal; elements are quoted so no value can change the array's shape. */
function arrayLiteral(items: readonly string[] | undefined): string {
  if (!items || items.length === 0) return '{}';
  return `{${items.map((x) => `"${x.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

function actorId(actor: UnsequencedEvent['actor']): string {
  switch (actor.kind) {
    case 'agency':
      return actor.agencyId;
    case 'person':
      return actor.userId;
    case 'system':
      return actor.component;
  }
}

/** A batch of pending events given their place in the log: what integrateBatch writes. */
interface SequencedBatch {
  cols: {
    seq: number[]; ts: string[]; action: string[]; decision: (string | null)[]; reason: (string | null)[]; caseId: (string | null)[];
    requestId: (string | null)[]; messageId: (string | null)[]; agreementId: (string | null)[]; agreementVersion: (number | null)[];
    actorKind: string[]; actorId: string[]; agencyIds: string[]; subjectTokens: string[]; hash: string[]; prevHash: string[];
    canonical: string[]; leaf: string[];
  };
  nodeLevel: number[];
  nodeIdx: number[];
  nodeHash: string[];
  /** Tree size and head hash after the batch. */
  seq: number;
  headHash: string;
  /** The tree's right border after the batch (CompactRange state). */
  border: Buffer[];
}

/**
 * Gives pending events, in order, their seq, chain hashes, leaves and the tree nodes to keep.
 * Pure (the CPU-bound half of sequencing): integrateBatch runs it between reading the pending rows
 * and writing the result, under the head lock.
 */
function sequenceRows(head: HeadState, rows: readonly PendingRow[]): SequencedBatch {
  let range: CompactRange;
  try {
    range = CompactRange.fromState(head.treeSize, head.border);
  } catch (err) {
    throw new AuditStateCorrupt('audit tree border does not match the tree size', { cause: err });
  }
  const cols: SequencedBatch['cols'] = {
    seq: [], ts: [], action: [], decision: [], reason: [], caseId: [], requestId: [], messageId: [], agreementId: [], agreementVersion: [],
    actorKind: [], actorId: [], agencyIds: [], subjectTokens: [], hash: [], prevHash: [], canonical: [], leaf: [],
  };
  const nodeLevel: number[] = [];
  const nodeIdx: number[] = [];
  const nodeHash: string[] = [];
  // Leaves go with their event; of the inner nodes only every TILE_HEIGHT-th level is kept.
  const onNode = (level: number, index: number, hash: Buffer) => {
    if (level === 0) cols.leaf.push(hash.toString('hex'));
    else if (level % TILE_HEIGHT === 0) {
      nodeLevel.push(level);
      nodeIdx.push(index);
      nodeHash.push(hash.toString('hex'));
    }
  };

  let prevHash = head.headHash;
  let seq = head.treeSize;
  for (const row of rows) {
    let prepared: UnsequencedEvent;
    try {
      prepared = JSON.parse(row.body) as UnsequencedEvent;
    } catch (err) {
      throw new AuditStateCorrupt(`pending audit event ${row.id} is not JSON`, { cause: err });
    }
    seq += 1;
    const { event, canonical } = sequenceEvent(prepared, seq, prevHash);
    // U+0000 encodes as the single byte 0x00: this is SHA-256(0x00 ‖ UTF-8 canonical).
    range.append(oneShotHash('sha256', `\u0000${canonical}`, 'buffer') as unknown as Buffer, onNode);
    cols.seq.push(seq);
    cols.ts.push(event.ts);
    cols.action.push(event.action);
    cols.decision.push(event.decision ?? null);
    cols.reason.push(event.reasonCode ?? null);
    cols.caseId.push(event.caseId ?? null);
    cols.requestId.push(event.requestId ?? null);
    cols.messageId.push(event.messageId ?? null);
    cols.agreementId.push(event.agreementId ?? null);
    cols.agreementVersion.push(event.agreementVersion ?? null);
    cols.actorKind.push(event.actor.kind);
    cols.actorId.push(actorId(event.actor));
    cols.agencyIds.push(arrayLiteral(event.agencyIds));
    cols.subjectTokens.push(arrayLiteral(event.subjectTokens));
    cols.hash.push(event.hash);
    cols.prevHash.push(prevHash);
    cols.canonical.push(canonical);
    prevHash = event.hash;
  }
  return { cols, nodeLevel, nodeIdx, nodeHash, seq, headHash: prevHash, border: range.state() };
}

/**
 * Integrates up to `batchSize` pending events in one transaction on `client`.
 * With `wait`, blocks for the head lock; otherwise returns busy when someone else holds it.
 */
export async function integrateBatch(client: pg.PoolClient, batchSize: number, wait: boolean): Promise<BatchResult> {
  await client.query('BEGIN');
  try {
    const head = wait ? await readHead(client, 'wait') : await tryLockHead(client);
    if (!head) {
      await client.query('ROLLBACK');
      return { integrated: 0, busy: true, treeSize: -1 };
    }
    const pending = await client.query<PendingRow>('SELECT id, body FROM audit_pending ORDER BY id LIMIT $1', [batchSize]);
    if (pending.rowCount === 0) {
      await client.query('ROLLBACK');
      return { integrated: 0, busy: false, treeSize: head.treeSize };
    }
    const { cols, nodeLevel, nodeIdx, nodeHash, seq, headHash, border } = sequenceRows(head, pending.rows);

    await client.query(INSERT_EVENTS, [
      cols.seq, cols.ts, cols.action, cols.decision, cols.reason, cols.caseId, cols.requestId, cols.messageId,
      cols.agreementId, cols.agreementVersion, cols.actorKind, cols.actorId, cols.agencyIds, cols.subjectTokens,
      cols.hash, cols.prevHash, JSON.stringify(cols.canonical), cols.leaf,
    ]);
    if (nodeLevel.length > 0) await client.query(INSERT_NODES, [nodeLevel, nodeIdx, nodeHash]);
    // Deletes the pending rows and moves the head, after checking the batch is in the log.
    await client.query('SELECT audit_advance_head($1, $2, $3, $4::bytea[], $5::bigint[])', [
      head.treeSize,
      seq,
      headHash,
      border,
      pending.rows.map((r) => r.id),
    ]);
    await client.query('COMMIT');
    return { integrated: pending.rows.length, busy: false, treeSize: seq };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
