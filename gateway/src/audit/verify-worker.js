// @ts-check
// Plain JavaScript for the same reason as verify-line.js: a worker thread starts in ~15 ms
// instead of ~170 ms with a TypeScript loader.
import { parentPort } from 'node:worker_threads';
import { analyseLines, RECORD_BYTES, RecordBuffer } from './verify-line.js';

/**
 * Worker thread of verify-file.ts: analyses the lines of one chunk of an export (the file's
 * bytes, read by the main thread and transferred) and sends back one record per line, plus the
 * Merkle subtrees over each run of events. Holds no state between chunks; the chain, the tree
 * and the checkpoints are judged on the main thread.
 *
 * In:  { id, chunk: ArrayBuffer, start, end }          (chunk transferred)
 * Out: { id, chunk, records: ArrayBuffer, count, lastHash }   (chunk and records transferred)
 */
const port = parentPort;
if (!port) throw new Error('verify-worker runs as a worker thread');

port.on('message', (/** @type {{ id: number; chunk: ArrayBuffer; start: number; end: number }} */ job) => {
  const buf = Buffer.from(job.chunk);
  // ~700 bytes per event line in practice; the buffer grows if lines are shorter.
  const out = new RecordBuffer(Math.ceil((job.end - job.start) / 512) + 8);
  const lastHash = analyseLines(buf, job.start, job.end, out, true);
  const whole = out.bytes.byteOffset === 0 && out.bytes.buffer instanceof ArrayBuffer;
  const records = whole ? out.bytes.buffer : out.bytes.buffer.slice(out.bytes.byteOffset, out.bytes.byteOffset + out.count * RECORD_BYTES);
  port.postMessage({ id: job.id, chunk: job.chunk, records, count: out.count, lastHash }, [job.chunk, /** @type {ArrayBuffer} */ (records)]);
});
