/**
 * The sequencer's worker thread: computes batches (sequenceRows) for the main thread, which keeps
 * the transaction, the head lock and every write. Holds no state between batches.
 */
import { parentPort } from 'node:worker_threads';
import { sequenceRows, type HeadState, type PendingRow } from './sequencer.js';

interface Request {
  id: number;
  head: { treeSize: number; headHash: string; border: Uint8Array[] };
  rows: PendingRow[];
}

parentPort!.on('message', ({ id, head, rows }: Request) => {
  try {
    const h: HeadState = { ...head, border: head.border.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)) };
    parentPort!.postMessage({ id, batch: sequenceRows(h, rows) });
  } catch (err) {
    const e = err as { name?: string; message?: string; code?: string };
    parentPort!.postMessage({ id, error: { name: e.name ?? 'Error', message: e.message ?? String(err), code: e.code } });
  }
});
