import type { Job, Queue, Worker } from 'bullmq';
import type { Logger } from '../logger.js';
import type { CasePurge } from '../exchange/case-purge.js';
import type { QueueBackend } from './backend.js';

export const RETENTION_QUEUE = 'retention';

/**
 * `scan` (scheduled) finds the cases that may be due and adds one `case` job each (job id
 * `purge-<caseId>`, so a case is queued once however many scans see it), then purges returned
 * referrals and old idempotency rows. A `case` job re-reads the case under its lock and does
 * nothing if it is open, reopened, still within retention or already purged.
 */
export type RetentionJob = { readonly task: 'scan' } | { readonly task: 'case'; readonly caseId: string };

const KEEP = { removeOnComplete: true, removeOnFail: { count: 100 } };

export function createRetentionQueue(backend: QueueBackend) {
  const queue: Queue<RetentionJob> = backend.queue<RetentionJob>(RETENTION_QUEUE);
  queue.on('error', () => {});
  return {
    queue,
    async schedule(everyMs: number): Promise<void> {
      await queue.upsertJobScheduler('scan', { every: everyMs }, { name: 'scan', data: { task: 'scan' }, opts: KEEP });
    },
    /** Re-creates the schedule if the queue store lost it; true if it had to. */
    async ensureScheduled(everyMs: number): Promise<boolean> {
      if (await queue.getJobScheduler('scan')) return false;
      await this.schedule(everyMs);
      return true;
    },
    async addCase(caseId: string): Promise<void> {
      await queue.add('case', { task: 'case', caseId }, { ...KEEP, jobId: `purge-${caseId}`, attempts: 5, backoff: { type: 'exponential', delay: 5000 } });
    },
  };
}

/** One scan, in-process: what the scheduled job does (tests and operators' one-off runs). */
export async function scanOnce(purge: CasePurge, addCase: (caseId: string) => Promise<void>) {
  const cases = await purge.dueCases();
  for (const id of cases) await addCase(id);
  const referrals = await purge.purgeReturnedReferrals();
  const idempotencyRows = await purge.purgeIdempotency();
  return { casesQueued: cases.length, referrals, idempotencyRows };
}

export function startRetentionWorker(
  backend: QueueBackend, purge: CasePurge, retentionQueue: ReturnType<typeof createRetentionQueue>, logger: Logger,
): Worker<RetentionJob> {
  const worker = backend.worker<RetentionJob>(RETENTION_QUEUE, async (job: Job<RetentionJob>) => {
    const data = job.data;
    if (data.task === 'scan') return scanOnce(purge, (id) => retentionQueue.addCase(id));
    const outcome = await purge.purgeCase(data.caseId);
    return outcome.purged ? { purged: true } : { purged: false, reason: outcome.reason };
  }, { concurrency: 1 });
  worker.on('error', (err) => logger.warn('retention worker error', { err }));
  return worker;
}
