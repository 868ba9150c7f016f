import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger.js';
import { AuditStateCorrupt } from './errors.js';
import { sequenceRows, type HeadState, type PendingRow, type SequencedBatch } from './sequencer.js';

/**
 * Runs the CPU-bound half of sequencing (parse, canonicalise, hash the chain, fold the tree:
 * sequenceRows) on a worker thread, so that the gateway's event loop, which also serves the
 * agency API, spends on each event only the copying of its text there and back. The main thread
 * keeps the transaction, the head lock and every write, so nothing about the log's guarantees
 * depends on the worker: a batch it fails is rolled back and retried like any other.
 *
 * A worker that cannot start or dies is logged and replaced by the same computation on the main
 * thread; a fresh worker is tried a minute later.
 */
export interface SequencerThread {
  sequence(head: HeadState, rows: readonly PendingRow[]): Promise<SequencedBatch>;
  /** Batches computed on the worker and on the main thread so far. */
  counts(): { inThread: number; onMainThread: number };
  close(): Promise<void>;
}

const RETRY_MS = 60_000;

type Reply = { id: number; batch: SequencedBatch } | { id: number; error: { name: string; message: string; code?: string } };

export function createSequencerThread(opts: { logger?: Logger } = {}): SequencerThread {
  let worker: Worker | null = null;
  let retryAt = 0;
  let nextId = 1;
  const done = { inThread: 0, onMainThread: 0 };
  const onMain = (head: HeadState, rows: readonly PendingRow[]): SequencedBatch => {
    done.onMainThread += 1;
    return sequenceRows(head, rows);
  };
  const waiting = new Map<number, { resolve(b: SequencedBatch): void; reject(e: unknown): void }>();

  function failAll(err: unknown): void {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  }

  function start(): Worker {
    const w = new Worker(new URL('./sequencer-worker.mjs', import.meta.url), { execArgv: [], stdout: false, stderr: false });
    w.unref();
    w.on('message', (m: Reply) => {
      const p = waiting.get(m.id);
      if (!p) return;
      waiting.delete(m.id);
      if ('error' in m) p.reject(m.error.code === 'AUDIT_STATE_CORRUPT' ? new AuditStateCorrupt(m.error.message) : new Error(`${m.error.name}: ${m.error.message}`));
      else p.resolve(revive(m.batch));
    });
    w.on('error', (err) => {
      opts.logger?.warn('audit sequencer thread failed; sequencing on the main thread for a minute', { err });
      if (worker === w) worker = null;
      retryAt = Date.now() + RETRY_MS;
      failAll(err);
    });
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      failAll(new Error(`audit sequencer thread exited (${code})`));
    });
    return w;
  }

  return {
    async sequence(head, rows) {
      if (!worker && Date.now() < retryAt) return onMain(head, rows);
      worker ??= start();
      const w = worker;
      const id = nextId++;
      try {
        const batch = await new Promise<SequencedBatch>((resolve, reject) => {
          waiting.set(id, { resolve, reject });
          w.postMessage({ id, head, rows });
        });
        done.inThread += 1;
        return batch;
      } catch (err) {
        // The log's own verdicts stand; a broken thread does not stop sequencing.
        if (err instanceof AuditStateCorrupt) throw err;
        return onMain(head, rows);
      }
    },
    counts: () => ({ ...done }),
    async close() {
      const w = worker;
      worker = null;
      failAll(new Error('audit sequencer thread closed'));
      if (w) await w.terminate();
    },
  };
}

/** Buffers arrive as plain Uint8Arrays. */
function revive(b: SequencedBatch): SequencedBatch {
  return { ...b, border: b.border.map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength)) };
}
