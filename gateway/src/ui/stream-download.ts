import type { Response } from 'express';

/**
 * Writes a download chunk by chunk, waiting for the socket to drain. Headers are already sent, so
 * a failure part-way cuts the response short: a truncated file must not pass for a complete export.
 */
export async function streamDownload(res: Response, chunks: AsyncIterable<string | Uint8Array>): Promise<void> {
  try {
    for await (const chunk of chunks) {
      if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
    }
    res.end();
  } catch (err) {
    res.destroy(err instanceof Error ? err : undefined);
  }
}
