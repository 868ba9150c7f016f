import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { createExportVerifier, createVerifierCore, type VerifyOptions, type VerifyResult } from './verify.js';
import { recordViews } from './verify-line.js';

/** Messages to and from verify-worker.js. */
interface ChunkJob {
  id: number;
  /** The chunk's bytes, transferred (not shared: V8 copies within shared memory byte by byte). */
  chunk: ArrayBuffer;
  start: number;
  end: number;
}
interface ChunkDone {
  id: number;
  /** The chunk, transferred back: header, checkpoint and proof lines are parsed from it. */
  chunk: ArrayBuffer;
  records: ArrayBuffer;
  count: number;
  /** The hash the chunk's last event line claimed: the next chunk's first event links to it. */
  lastHash: string | null;
}

export interface VerifyFileOptions {
  /**
   * Threads hashing lines (the main thread keeps the chain, tree and checkpoints). Default: the
   * machine's parallelism, at most 8; 1 verifies on the calling thread only.
   */
  threads?: number;
  /** Bytes read per chunk handed to a worker. */
  chunkBytes?: number;
  /** Files smaller than this are verified on the calling thread (starting workers costs ~50 ms). */
  parallelFromBytes?: number;
}

const NL = 10;

/**
 * Verifies an export file: reads only the file; no database, no network. Large files are split
 * into chunks at line ends and the per-line work (two SHA-256 over every event line) is spread
 * over worker threads; the verdict is the same as `verifyExport` on the same bytes, because both
 * feed the same records to the same state machine in line order.
 */
export async function verifyExportFile(file: string, opts: VerifyOptions, fileOpts: VerifyFileOptions = {}): Promise<VerifyResult> {
  const threads = Math.max(1, Math.min(8, Math.floor(fileOpts.threads ?? availableParallelism())));
  const chunkBytes = Math.max(1024, fileOpts.chunkBytes ?? 4 << 20);
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (threads === 1 || size < (fileOpts.parallelFromBytes ?? 32 << 20)) return verifyOnThisThread(fd, opts);
    return await verifyOnWorkers(fd, opts, threads, chunkBytes);
  } finally {
    closeSync(fd);
  }
}

/** Synchronous reads straight into the verifier's buffer, in a tight loop. */
function verifyOnThisThread(fd: number, opts: VerifyOptions): VerifyResult {
  const verifier = createExportVerifier(opts);
  for (;;) {
    const room = verifier.writable(1 << 22);
    const n = readSync(fd, room, 0, room.length, null);
    if (n === 0) break;
    verifier.commit(n);
    if (verifier.failure()) break;
  }
  return verifier.end();
}

interface InFlight {
  done: Promise<ChunkDone>;
}

async function verifyOnWorkers(fd: number, opts: VerifyOptions, threads: number, chunkBytes: number): Promise<VerifyResult> {
  const core = createVerifierCore(opts, 'blocks');
  // execArgv []: the worker is plain JavaScript; inheriting tsx's loader flags would cost ~200 ms
  // of start-up per thread (docs/decisions/0008-verifier-worker-threads.md).
  const workers = Array.from({ length: threads }, () => new Worker(new URL('./verify-worker.js', import.meta.url), { execArgv: [] }));
  const waiting = new Map<number, { resolve: (d: ChunkDone) => void; reject: (e: unknown) => void }>();
  let workerError: unknown = null;
  for (const w of workers) {
    w.on('message', (d: ChunkDone) => {
      waiting.get(d.id)?.resolve(d);
      waiting.delete(d.id);
    });
    const stop = (err: unknown) => {
      workerError ??= err;
      for (const p of waiting.values()) p.reject(err);
      waiting.clear();
    };
    w.on('error', stop);
    // A worker that exits with chunks outstanding would otherwise leave the verdict waiting forever.
    w.on('exit', (code) => {
      if (waiting.size > 0) stop(new Error(`audit verifier worker stopped (exit code ${code})`));
    });
  }

  const queue: InFlight[] = [];
  let nextId = 0;
  let carry: Buffer = Buffer.alloc(0);
  let eof = false;
  // Chunk buffers come back from the workers and are read into again: no 4 MB allocation (and
  // garbage) per chunk.
  const spare: ArrayBuffer[] = [];

  /** Reads the next chunk (whole lines, plus the carried partial line) and hands it to a worker. */
  function dispatch(): void {
    for (;;) {
      const want = 1 + carry.length + chunkBytes;
      const chunk = spare.length > 0 && spare[spare.length - 1]!.byteLength >= want ? spare.pop()! : new ArrayBuffer(want);
      // Byte 0 is headroom for the first line's 0x00 leaf prefix.
      const buf = Buffer.from(chunk);
      carry.copy(buf, 1);
      const n = readSync(fd, buf, 1 + carry.length, chunkBytes, null);
      const fill = 1 + carry.length + n;
      let end: number;
      if (n === 0) {
        eof = true;
        if (carry.length === 0) return;
        end = fill; // last line without a newline
        carry = Buffer.alloc(0);
      } else {
        const nl = buf.lastIndexOf(NL, fill - 1);
        if (nl < 1) {
          // One line longer than the chunk so far: read on with a bigger buffer.
          carry = Buffer.from(buf.subarray(1, fill));
          continue;
        }
        end = nl + 1;
        carry = Buffer.from(buf.subarray(end, fill));
      }
      if (workerError) throw workerError;
      const id = nextId++;
      const job: ChunkJob = { id, chunk, start: 1, end };
      const done = new Promise<ChunkDone>((resolve, reject) => waiting.set(id, { resolve, reject }));
      // Awaited in order later; until then a worker failure must not count as unhandled.
      done.catch(() => {});
      workers[id % threads]!.postMessage(job, [chunk]);
      queue.push({ done });
      return;
    }
  }

  try {
    // Two chunks per worker in flight: one being hashed, one ready.
    while (!eof && queue.length < 2 * threads) dispatch();
    while (queue.length > 0 && !core.failure()) {
      const head = queue.shift()!;
      const d = await head.done;
      if (!eof) dispatch();
      const rec = recordViews(d.records);
      const buf = Buffer.from(d.chunk);
      for (let r = 0; r < d.count && !core.failure(); r++) core.apply(buf, rec, r);
      if (d.lastHash !== null) core.linkNext(d.lastHash);
      spare.push(d.chunk);
    }
    return core.end();
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
