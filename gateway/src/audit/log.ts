import type pg from 'pg';
import type { Logger } from '../logger.js';
import type { Tx } from '../store/db.js';
import { prepareEvent } from './event.js';
import { integrateBatch, type BatchResult } from './sequencer.js';
import { createSubjectTokens, type HmacKey, type SubjectTokens } from './subject-tokens.js';
import type { AppendedEvent, AuditEventInput, AuditLog, PreparedAuditRow } from './types.js';
import { GatewayError } from '../errors.js';

/** The sequencer has been down longer than allowed: refuse state changes rather than leave them unsigned. */
export class AuditUnavailable extends GatewayError {
  readonly code = 'AUDIT_UNAVAILABLE';
  readonly status = 503;
}

export interface AuditLogOptions {
  /** Key for subject tokens (exposed as `tokens` for the query side). */
  hmacKey?: HmacKey;
  now?: () => Date;
  /** Pool the sequencer uses. Without it, call `integrate(pool)` / `flush(pool)` yourself. */
  pool?: pg.Pool;
  /** Events per sequencer transaction (default 1000). */
  batchSize?: number;
  /** Idle polling interval of the background sequencer (default 200 ms). */
  pollMs?: number;
  /**
   * How long the sequencer lets events gather before the next batch while they trickle in
   * (default 50 ms). Each batch is one commit; under load, fewer and larger batches leave more
   * room for the transactions being audited. A full batch is followed at once.
   */
  gatherMs?: number;
  /** Signs a checkpoint as soon as this many events are unsigned (with `checkpointer`). */
  checkpointEvery?: number;
  checkpointer?: { tick(): Promise<unknown> };
  logger?: Logger;
  /**
   * Fail closed: once the background sequencer has been failing this long, `append` refuses
   * (503 AUDIT_UNAVAILABLE) so no state change goes unrecorded in the signed log for longer
   * (X-Road stops processing when its message log cannot be time-stamped). Default 5 minutes.
   */
  maxSequencerOutageMs?: number;
}

export interface AuditHealth {
  /** Background sequencer running in this process. */
  running: boolean;
  /** When the sequencer started failing without a success since (ISO), or null. */
  failingSince: string | null;
  /** When this process last sequenced a batch (ISO), or null. */
  lastSequencedAt: string | null;
  /** Events committed but not yet in the log, as seen now (needs a pool). */
  pending?: number;
}

export interface AuditLogHandle extends AuditLog {
  prepareRow: NonNullable<AuditLog['prepareRow']>;
  appendRowsStatement: NonNullable<AuditLog['appendRowsStatement']>;
  /** Integrates everything pending now; skips if another process is integrating. Returns events integrated. */
  integrate(pool?: pg.Pool): Promise<number>;
  /** Waits until every event committed before the call is in the log (takes the head lock). */
  flush(pool?: pg.Pool): Promise<void>;
  /** Signs a checkpoint whenever `events` more have been sequenced (the checkpointer is usually built after the log). */
  checkpointEvery(events: number, checkpointer: { tick(): Promise<unknown> }): void;
  /** Starts the background sequencer on `pool` (and keeps monthly partitions ahead). */
  start(): Promise<void>;
  /** For readiness checks and metrics. */
  health(): Promise<AuditHealth>;
  stop(): Promise<void>;
  tokens?: SubjectTokens;
}

const PARTITION_MONTHS_AHEAD = 3;
const SQL_NAME = /^[a-z_][a-z0-9_]*$/;
const PARTITION_REFRESH_MS = 6 * 3600_000;

/**
 * The audit log. `append` writes the event in the caller's transaction (DESIGN invariant 4): a
 * rolled-back state change leaves no event and takes no sequence number. Sequencing (seq, hash
 * chain, Merkle tree) happens moments after commit in `integrate`, under one lock for every
 * gateway process: see docs/decisions/0003-audit-partitioning.md for why it is not done inside
 * the caller's transaction (it would serialise every commit of the gateway behind one lock).
 */
export function createAuditLog(opts: AuditLogOptions = {}): AuditLogHandle {
  const now = opts.now ?? (() => new Date());
  const batchSize = opts.batchSize ?? 1000;
  const pollMs = opts.pollMs ?? 200;
  const gatherMs = opts.gatherMs ?? 50;
  const logger = opts.logger;
  const tokens = opts.hmacKey && opts.hmacKey.length > 0 ? createSubjectTokens(opts.hmacKey) : undefined;

  let stopped = true;
  let timer: NodeJS.Timeout | null = null;
  let timerDue = 0;
  let running: Promise<number> | null = null;
  let lastNudge = 0;
  let failures = 0;
  let unsigned = 0;
  let partitionsCheckedAt = 0;
  let failingSince: number | null = null;
  let lastSequencedAt: number | null = null;
  const maxOutageMs = opts.maxSequencerOutageMs ?? 300_000;
  let signer = opts.checkpointer;
  let signEvery = opts.checkpointEvery ?? 0;
  /** Bodies of rows prepared by prepareRow and not yet used, by row. */
  const preparedRows = new WeakMap<PreparedAuditRow, string>();

  function poolOf(pool?: pg.Pool): pg.Pool {
    const p = pool ?? opts.pool;
    if (!p) throw new Error('audit log: no pool given for sequencing');
    return p;
  }

  async function ensurePartitions(pool: pg.Pool): Promise<void> {
    await pool.query('SELECT audit_ensure_partitions($1, $2)', [now(), PARTITION_MONTHS_AHEAD]);
    partitionsCheckedAt = Date.now();
  }

  async function runBatches(pool: pg.Pool, wait: boolean): Promise<number> {
    const client = await pool.connect();
    let total = 0;
    try {
      for (;;) {
        const r: BatchResult = await integrateBatch(client, batchSize, wait);
        total += r.integrated;
        if (r.busy || r.integrated < batchSize) break;
      }
    } finally {
      client.release();
    }
    if (total > 0 && signer && signEvery > 0) {
      unsigned += total;
      if (unsigned >= signEvery) {
        unsigned = 0;
        await signer.tick().catch((err) => logger?.error('audit checkpoint failed', { err }));
      }
    }
    return total;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    const due = Date.now() + delayMs;
    if (timer && timerDue <= due) return;
    if (timer) clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(tick, delayMs);
    timer.unref();
  }

  function tick(): void {
    timer = null;
    if (stopped || running) return;
    const pool = poolOf();
    running = (async () => {
      if (Date.now() - partitionsCheckedAt > PARTITION_REFRESH_MS) await ensurePartitions(pool);
      return runBatches(pool, false);
    })();
    running
      .then((n) => {
        failures = 0;
        failingSince = null;
        if (n > 0) lastSequencedAt = Date.now();
        // Keep draining while there is work; poll fast for a while after appends, then idle.
        // A full batch means a backlog: go again at once. Otherwise let events accumulate for a
        // few milliseconds: each batch costs a commit, and small batches under load add up.
        schedule(n >= batchSize ? 0 : n > 0 ? gatherMs : Date.now() - lastNudge < 1000 ? 20 : pollMs);
      })
      .catch((err) => {
        failures++;
        failingSince ??= Date.now();
        logger?.error('audit sequencer failed', { err, failures });
        schedule(Math.min(30_000, pollMs * 2 ** Math.min(failures, 8)));
      })
      .finally(() => {
        running = null;
      });
  }

  /** Checks and prepares an event for an INSERT into audit_pending (ts, body), run by the caller. */
  function carried(input: AuditEventInput, firstParam: number) {
    if (failingSince !== null && Date.now() - failingSince > maxOutageMs) {
      throw new AuditUnavailable('The audit log cannot record events right now', { reason: 'SEQUENCER_DOWN' });
    }
    const event = prepareEvent(input, now());
    return {
      cte: `audit_append AS (INSERT INTO audit_pending (ts, body) VALUES ($${firstParam}, $${firstParam + 1}))`,
      values: [event.ts, JSON.stringify(event)],
      appended(): AppendedEvent {
        lastNudge = Date.now();
        // The caller has not committed yet; look again shortly after it probably has.
        schedule(gatherMs);
        return { ts: event.ts };
      },
    };
  }

  return {
    tokens,

    async append(tx: Tx, input: AuditEventInput): Promise<AppendedEvent> {
      const { values, appended } = carried(input, 1);
      // Named: prepared once per connection, as every state change in the gateway comes through here.
      await tx.query({ name: 'audit.append', text: 'INSERT INTO audit_pending (ts, body) VALUES ($1, $2)', values });
      return appended();
    },

    appendStatement(input: AuditEventInput, firstParam: number) {
      return carried(input, firstParam);
    },

    prepareRow(input: AuditEventInput): PreparedAuditRow {
      const { values } = carried(input, 1);
      const row: PreparedAuditRow = Object.freeze({ ts: values[0] as string });
      preparedRows.set(row, values[1] as string);
      return row;
    },

    appendRowsStatement(rows, firstParam, onlyIfKeyIn) {
      if (!SQL_NAME.test(onlyIfKeyIn.cte) || !SQL_NAME.test(onlyIfKeyIn.column)) throw new Error('audit log: not a WITH entry or column name');
      const bodies = rows.map(({ row }) => {
        const body = preparedRows.get(row);
        // A row this log did not check would bypass the event checks. (A row may be used again: a
        // batch that failed as a whole is retried item by item.)
        if (body === undefined) throw new Error('audit log: a row not prepared by this log');
        return body;
      });
      const [ts, keys, body] = [`$${firstParam}`, `$${firstParam + 1}`, `$${firstParam + 2}`];
      return {
        // The bodies travel as one JSON array: escaping each for a text[] literal costs more.
        cte: `audit_append AS (
                INSERT INTO audit_pending (ts, body)
                SELECT e.ts, b.body
                  FROM unnest(${ts}::timestamptz[], ${keys}::text[]) WITH ORDINALITY AS e(ts, key, ord)
                  JOIN json_array_elements_text(${body}::json) WITH ORDINALITY AS b(body, ord) ON b.ord = e.ord
                 WHERE e.key IN (SELECT ${onlyIfKeyIn.column} FROM ${onlyIfKeyIn.cte})
                 ORDER BY e.ord)`,
        values: [rows.map((r) => r.row.ts), rows.map((r) => r.key), JSON.stringify(bodies)],
        appended(): void {
          lastNudge = Date.now();
          schedule(gatherMs);
        },
      };
    },

    async integrate(pool?: pg.Pool): Promise<number> {
      return runBatches(poolOf(pool), false);
    },

    async flush(pool?: pg.Pool): Promise<void> {
      const p = poolOf(pool);
      const r = await p.query<{ max: string | null }>('SELECT max(id) AS max FROM audit_pending');
      const upTo = r.rows[0]?.max;
      if (upTo === null || upTo === undefined) return;
      for (;;) {
        await runBatches(p, true);
        const left = await p.query('SELECT 1 FROM audit_pending WHERE id <= $1 LIMIT 1', [upTo]);
        if (left.rowCount === 0) return;
      }
    },

    async health(): Promise<AuditHealth> {
      const out: AuditHealth = {
        running: !stopped,
        failingSince: failingSince === null ? null : new Date(failingSince).toISOString(),
        lastSequencedAt: lastSequencedAt === null ? null : new Date(lastSequencedAt).toISOString(),
      };
      if (opts.pool) {
        const r = await opts.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_pending');
        out.pending = r.rows[0]!.n;
      }
      return out;
    },

    checkpointEvery(events: number, checkpointer: { tick(): Promise<unknown> }): void {
      signEvery = events;
      signer = checkpointer;
    },

    async start(): Promise<void> {
      const pool = poolOf();
      await ensurePartitions(pool);
      stopped = false;
      schedule(0);
    },

    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (running) await running.catch(() => 0);
    },
  };
}
