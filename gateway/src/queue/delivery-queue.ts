import type { Job, Queue, Worker } from 'bullmq';
import type { Logger } from '../logger.js';
import type { PushDelivery } from '../exchange/push-delivery.js';
import { isGatewayError } from '../errors.js';
import type { QueueBackend } from './backend.js';

export const DELIVERY_QUEUE = 'delivery';

/** Job data carries ids only; the job re-reads the message and exits if it is stale. */
export interface DeliveryJob {
  readonly messageId: string;
}

export function createDeliveryQueue(backend: QueueBackend, opts: { maxAttempts: number; backoffMs: number }) {
  const queue: Queue<DeliveryJob> = backend.queue<DeliveryJob>(DELIVERY_QUEUE);
  queue.on('error', () => {});
  return {
    queue,
    /** Idempotent: jobId = messageId, so a re-add of a known message is a no-op. */
    async add(messageId: string): Promise<void> {
      await queue.add('push', { messageId }, {
        jobId: messageId,
        attempts: opts.maxAttempts,
        backoff: { type: 'exponential', delay: opts.backoffMs },
        removeOnComplete: { age: 3600, count: 10_000 },
        removeOnFail: { age: 7 * 86_400 },
      });
    },
    async state(messageId: string): Promise<string | undefined> {
      const job = await queue.getJob(messageId);
      return job ? await job.getState() : undefined;
    },
    /** Re-adds a job that ended failed/completed but whose message is still queued (sweeper). */
    async retry(messageId: string): Promise<void> {
      const job = await queue.getJob(messageId);
      if (job) await job.remove().catch(() => {});
      await this.add(messageId);
    },
  };
}

export function startDeliveryWorker(backend: QueueBackend, delivery: PushDelivery, logger: Logger, opts: { maxAttempts: number; concurrency?: number; lockMs?: number }): Worker<DeliveryJob> {
  const worker = backend.worker<DeliveryJob>(
    DELIVERY_QUEUE,
    async (job: Job<DeliveryJob>) => {
      try {
        return await delivery.deliver(job.data.messageId);
      } catch (err) {
        const code = isGatewayError(err) ? (err.reason ?? err.code) : 'INTERNAL';
        await delivery.recordAttemptError(job.data.messageId, code).catch(() => {});
        if (job.attemptsMade + 1 >= opts.maxAttempts) await delivery.markFailed(job.data.messageId, code);
        throw err;
      }
    },
    // A job whose worker died is taken over once its lock lapses (stalled-job check).
    { concurrency: opts.concurrency ?? 8, ...(opts.lockMs ? { lockDuration: opts.lockMs, stalledInterval: opts.lockMs } : {}) },
  );
  worker.on('error', (err) => logger.warn('delivery worker error', { err }));
  return worker;
}
