import { closeSync, openSync, readSync } from 'node:fs';
import { createExportVerifier, type VerifyOptions, type VerifyResult } from './verify.js';

/**
 * Verifies an export file with synchronous reads in a tight loop: no streams, no workers, no
 * event-loop hops per chunk. Reads only the file; no database, no network.
 */
export function verifyExportFile(file: string, opts: VerifyOptions, chunkSize = 1 << 22): VerifyResult {
  const verifier = createExportVerifier(opts);
  const fd = openSync(file, 'r');
  const chunk = Buffer.allocUnsafe(chunkSize);
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunkSize, null);
      if (n === 0) break;
      verifier.push(chunk.subarray(0, n));
      if (verifier.failure()) break;
    }
  } finally {
    closeSync(fd);
  }
  return verifier.end();
}
