import type pg from 'pg';
import { CHECKPOINT_COLUMNS, rowToCheckpoint } from './checkpoint.js';
import { AuditQueryInvalid } from './errors.js';
import { inclusionProofs } from './proofs.js';
import { normaliseFilters, whereClause, type AuditFilters, type NormalisedFilters } from './query.js';
import { readHead } from './sequencer.js';
import type { Checkpoint } from './types.js';

export type ExportFormat = 'ndjson' | 'csv';

export interface ExportOptions {
  /** Log identity written in the header (the checkpoints' origin). */
  origin?: string;
  /** Signs the current head first, so the whole export is covered by a checkpoint. */
  checkpointer?: { tick(): Promise<unknown> };
  /** Keep at most one in-line checkpoint per this many events (default 1000). */
  checkpointEvery?: number;
  /** Rows per FETCH from the server-side cursor (default 1000). */
  fetchSize?: number;
}

interface Row {
  seq: string;
  ts: Date;
  action: string;
  actor_kind: string;
  actor_id: string;
  decision: string | null;
  reason_code: string | null;
  case_id: string | null;
  request_id: string | null;
  agreement_id: string | null;
  agreement_version: number | null;
  hash: string;
  canonical: string;
}

const COLUMNS = 'seq, ts, action, actor_kind, actor_id, decision, reason_code, case_id, request_id, agreement_id, agreement_version, hash, canonical';

function isEmpty(f: NormalisedFilters): boolean {
  return Object.keys(f).length === 0;
}

function checkpointLine(c: Checkpoint): string {
  return JSON.stringify({ type: 'checkpoint', treeSize: c.treeSize, rootHash: c.rootHash, ts: c.ts, keyId: c.keyId, note: c.note });
}

const CSV_HEADER = 'type,seq,ts,action,actor_kind,actor_id,decision,reason_code,case_id,request_id,agreement_id,agreement_version,hash,json';

/** RFC 4180 quoting, and a leading quote against spreadsheet formula injection. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = v instanceof Date ? v.toISOString() : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function csvEvent(r: Row): string {
  return [
    'event', r.seq, r.ts, r.action, r.actor_kind, r.actor_id, r.decision, r.reason_code, r.case_id, r.request_id,
    r.agreement_id, r.agreement_version, r.hash, r.canonical,
  ].map(csvCell).join(',');
}

function csvCheckpoint(c: Checkpoint): string {
  return ['checkpoint', c.treeSize, c.ts, '', '', c.keyId, '', '', '', '', '', '', c.rootHash, checkpointLine(c)].map(csvCell).join(',');
}

/**
 * Streams an export: NDJSON (what `npm run audit:verify` checks) or CSV (for reading; the `json`
 * column holds the same canonical event). Rows come through a server-side cursor in a
 * repeatable-read snapshot, so memory stays flat whatever the size of the log.
 *
 * Without filters: the whole log up to the head, with the latest checkpoint first (it promises
 * the size, so a cut-off tail is detected) and a thinned series of checkpoints in line. With
 * filters: the matching events up to the latest checkpoint, each followed by its inclusion proof
 * against that checkpoint ("filtered" mode: proves each event is in the signed log, not that
 * nothing else matched).
 */
export async function* exportEvents(
  pool: pg.Pool,
  filters: AuditFilters,
  format: ExportFormat,
  opts: ExportOptions = {},
): AsyncGenerator<string, void, undefined> {
  if (format !== 'ndjson' && format !== 'csv') throw new AuditQueryInvalid('format is ndjson or csv', { reason: 'FORMAT_INVALID' });
  const f = normaliseFilters(filters);
  const full = isEmpty(f);
  const every = opts.checkpointEvery ?? 1000;
  const fetchSize = opts.fetchSize ?? 1000;
  if (opts.checkpointer) await opts.checkpointer.tick();

  const client = await pool.connect();
  let open = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    open = true;
    const head = await readHead(client);
    const latestRow = await client.query(`SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1`);
    const latest = latestRow.rows[0] ? rowToCheckpoint(latestRow.rows[0]) : null;
    const upTo = full ? head.treeSize : (latest?.treeSize ?? 0);

    // Thinned in-line checkpoints: the largest in each block of `every` events, and the latest.
    const inline: Checkpoint[] = full
      ? (
          await client.query(
            `SELECT DISTINCT ON (tree_size / $1) ${CHECKPOINT_COLUMNS} FROM audit_checkpoints
             WHERE tree_size <= $2 ORDER BY tree_size / $1, tree_size DESC`,
            [every, upTo],
          )
        ).rows.map(rowToCheckpoint)
      : [];
    if (latest && full && !inline.some((c) => c.treeSize === latest.treeSize)) inline.push(latest);
    inline.sort((a, b) => a.treeSize - b.treeSize);

    if (format === 'ndjson') {
      yield `${JSON.stringify({
        type: 'header',
        format: 'marac-audit-export',
        version: 1,
        ...(opts.origin ? { origin: opts.origin } : {}),
        mode: full ? 'full' : 'filtered',
        ...(full ? {} : { filters: f }),
        treeSize: upTo,
      })}\n`;
      if (latest) yield `${checkpointLine(latest)}\n`;
    } else {
      yield `${CSV_HEADER}\r\n`;
      if (latest) yield `${csvCheckpoint(latest)}\r\n`;
    }

    const where = whereClause(f, 2);
    await client.query(
      `DECLARE audit_export NO SCROLL CURSOR FOR SELECT ${COLUMNS} FROM audit_events
       WHERE seq <= $1 AND ${where.sql} ORDER BY seq`,
      [upTo, ...where.params],
    );
    let next = 0;
    for (;;) {
      const page = await client.query<Row>(`FETCH ${fetchSize} FROM audit_export`);
      if (page.rowCount === 0) break;
      const proofs = format === 'ndjson' && !full && latest ? await inclusionProofs(client, page.rows.map((r) => Number(r.seq)), latest.treeSize) : null;
      let chunk = '';
      for (const r of page.rows) {
        const seq = Number(r.seq);
        if (format === 'ndjson') {
          chunk += `${r.canonical}\n`;
          if (proofs) chunk += `${JSON.stringify({ type: 'proof', seq, treeSize: latest!.treeSize, hashes: proofs.get(seq) })}\n`;
        } else chunk += `${csvEvent(r)}\r\n`;
        while (full && next < inline.length && inline[next]!.treeSize <= seq) {
          // The latest checkpoint already went first; the verifier accepts it again in place.
          const c = inline[next++]!;
          if (c.treeSize === seq) chunk += format === 'ndjson' ? `${checkpointLine(c)}\n` : `${csvCheckpoint(c)}\r\n`;
        }
      }
      yield chunk;
    }
    await client.query('CLOSE audit_export');
    await client.query('COMMIT');
    open = false;
  } finally {
    if (open) await client.query('ROLLBACK').catch(() => {});
    client.release();
  }
}
