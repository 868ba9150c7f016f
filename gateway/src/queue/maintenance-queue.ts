import type { Job, Queue, Worker } from 'bullmq';
import type pg from 'pg';
import type { Logger } from '../logger.js';
import { CASE_OPEN, type DeadlineService } from '../exchange/deadline-service.js';
import type { PushDelivery } from '../exchange/push-delivery.js';
import type { QueueBackend } from './backend.js';
import type { createDeliveryQueue } from './delivery-queue.js';

export const MAINTENANCE_QUEUE = 'maintenance';

export interface MaintenanceJob {
  readonly task: 'sweep' | 'purge' | 'checkpoint' | 'expire';
}

export interface MaintenanceDeps {
  pool: pg.Pool;
  deadlines: DeadlineService;
  delivery: PushDelivery;
  deliveryQueue: ReturnType<typeof createDeliveryQueue>;
  checkpoint?: () => Promise<unknown>;
  /** Marks agreement versions past their `expiresAt` as expired (decisions already refuse them by date). */
  expireAgreements?: () => Promise<number>;
  maxAttempts: number;
  logger: Logger;
}

/**
 * The outbox sweeper: a push message still `queued` with no live job (the process died between
 * commit and enqueue, or Redis lost it) gets its job back; one whose job gave up is dead-lettered.
 * Also marks overdue anything a missed timer left open (e.g. after a clock jump). A withdrawn or
 * closed case's messages wait as they are (its push jobs would hand nothing over, and were queued
 * again at every sweep); reopened, the case's queued messages are swept again.
 */
export async function sweep(d: MaintenanceDeps, olderThanMs = 2000): Promise<{ requeued: number; failed: number; overdue: number }> {
  const r = await d.pool.query(
    `SELECT id, attempts FROM messages m WHERE state = 'queued' AND delivery_mode = 'push'
        AND updated_at < now() - make_interval(secs => $1) AND ${CASE_OPEN} ORDER BY created_at LIMIT 500`,
    [olderThanMs / 1000],
  );
  let requeued = 0;
  let failed = 0;
  for (const m of r.rows) {
    const state = await d.deliveryQueue.state(m.id);
    if (state === undefined || state === 'completed' || state === 'unknown') {
      await d.deliveryQueue.add(m.id);
      requeued++;
    } else if (state === 'failed') {
      if (m.attempts >= d.maxAttempts) {
        await d.delivery.markFailed(m.id, 'MAX_ATTEMPTS');
        failed++;
      } else {
        await d.deliveryQueue.retry(m.id);
        requeued++;
      }
    }
  }
  const overdue = await d.deadlines.markOverdue();
  return { requeued, failed, overdue };
}

export interface MaintenanceSchedule {
  sweepMs: number;
  purgeMs: number;
  checkpointMs?: number;
  expireMs?: number;
}

export function createMaintenanceQueue(backend: QueueBackend) {
  const queue: Queue<MaintenanceJob> = backend.queue<MaintenanceJob>(MAINTENANCE_QUEUE);
  queue.on('error', () => {});
  const keep = { removeOnComplete: true, removeOnFail: { count: 100 } };
  const wanted = (opts: MaintenanceSchedule): [MaintenanceJob['task'], number][] => [
    ['sweep', opts.sweepMs],
    ['purge', opts.purgeMs],
    ...(opts.checkpointMs ? [['checkpoint', opts.checkpointMs] as [MaintenanceJob['task'], number]] : []),
    ...(opts.expireMs ? [['expire', opts.expireMs] as [MaintenanceJob['task'], number]] : []),
  ];
  const upsert = (task: MaintenanceJob['task'], every: number) =>
    queue.upsertJobScheduler(task, { every }, { name: task, data: { task }, opts: keep });
  return {
    queue,
    async schedule(opts: MaintenanceSchedule): Promise<void> {
      for (const [task, every] of wanted(opts)) await upsert(task, every);
    },
    /**
     * Re-creates any schedule the queue store lost (Redis restarted without persistence, failed
     * over to a replica that had not caught up, or evicted keys): without it the outbox sweeper
     * would stop until the next process restart, and messages whose jobs were lost would stay
     * queued for ever. Returns how many schedules it had to re-create.
     */
    async ensureScheduled(opts: MaintenanceSchedule): Promise<number> {
      let restored = 0;
      for (const [task, every] of wanted(opts)) {
        if (await queue.getJobScheduler(task)) continue;
        await upsert(task, every);
        restored++;
      }
      return restored;
    },
  };
}

export function startMaintenanceWorker(backend: QueueBackend, d: MaintenanceDeps): Worker<MaintenanceJob> {
  const worker = backend.worker<MaintenanceJob>(MAINTENANCE_QUEUE, async (job: Job<MaintenanceJob>) => {
    switch (job.data.task) {
      case 'sweep': return sweep(d);
      case 'purge': return d.deadlines.purgeExpired();
      case 'checkpoint': return d.checkpoint ? d.checkpoint() : null;
      case 'expire': return d.expireAgreements ? d.expireAgreements() : null;
    }
  }, { concurrency: 1 });
  worker.on('error', (err) => d.logger.warn('maintenance worker error', { err }));
  return worker;
}
