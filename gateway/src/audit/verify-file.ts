import { closeSync, openSync, readSync } from 'node:fs';
import { createExportVerifier, type VerifyOptions, type VerifyResult } from './verify.js';

/**
 * Verifies an export file with synchronous reads in a tight loop: no streams, no workers, no
 * event-loop hops per chunk. Reads only the file; no database, no network.
 */
export function verifyExportFile(file: string, opts: VerifyOptions, chunkSize = 1 << 22): VerifyResult {
  const verifier = createExportVerifier(opts);
  const fd = openSync(file, 'r');
  try {
    for (;;) {
      // Read straight into the verifier's buffer: no second copy of the file.
      const room = verifier.writable(chunkSize);
      const n = readSync(fd, room, 0, room.length, null);
      if (n === 0) break;
      verifier.commit(n);
      if (verifier.failure()) break;
    }
  } finally {
    closeSync(fd);
  }
  return verifier.end();
}
