import type { Job, Queue, Worker } from 'bullmq';
import type { Logger } from '../logger.js';
import type { Notifications } from '../notifications/service.js';
import type { QueueBackend } from './backend.js';

export const NOTIFICATION_QUEUE = 'notifications';

/**
 * No ids in the data: each run re-reads the audit log after the stored cursor and the outbox's due
 * rows, so a run that is repeated, late or lost changes nothing (the next one does the work).
 */
export interface NotificationJob {
  readonly task: 'dispatch' | 'sweep';
}

export interface NotificationSchedule {
  /** Derive from new audit events and send what is due. */
  dispatchMs: number;
  /** Look for actions due or overdue (keyed by action and due date, so running often is harmless). */
  sweepMs: number;
}

export function createNotificationQueue(backend: QueueBackend) {
  const queue: Queue<NotificationJob> = backend.queue<NotificationJob>(NOTIFICATION_QUEUE);
  queue.on('error', () => {});
  const keep = { removeOnComplete: true, removeOnFail: { count: 100 } };
  const wanted = (s: NotificationSchedule): [NotificationJob['task'], number][] => [['dispatch', s.dispatchMs], ['sweep', s.sweepMs]];
  const upsert = (task: NotificationJob['task'], every: number) =>
    queue.upsertJobScheduler(`notifications-${task}`, { every }, { name: task, data: { task }, opts: keep });
  return {
    queue,
    async schedule(s: NotificationSchedule): Promise<void> {
      for (const [task, every] of wanted(s)) await upsert(task, every);
    },
    /** Re-creates a schedule the queue store lost (see maintenance-queue.ts). */
    async ensureScheduled(s: NotificationSchedule): Promise<number> {
      let restored = 0;
      for (const [task, every] of wanted(s)) {
        if (await queue.getJobScheduler(`notifications-${task}`)) continue;
        await upsert(task, every);
        restored++;
      }
      return restored;
    },
  };
}

export function startNotificationWorker(backend: QueueBackend, notifications: Notifications, logger: Logger): Worker<NotificationJob> {
  const worker = backend.worker<NotificationJob>(NOTIFICATION_QUEUE, async (job: Job<NotificationJob>) => {
    if (job.data.task === 'sweep') {
      const added = await notifications.sweep();
      return { added, ...(await notifications.dispatch()) };
    }
    return notifications.tick();
  }, { concurrency: 1 });
  worker.on('error', (err) => logger.warn('notification worker error', { err }));
  return worker;
}
