import type { Job, Queue, Worker } from 'bullmq';
import type { Logger } from '../logger.js';
import type { DeadlineService } from '../exchange/deadline-service.js';
import type { QueueBackend } from './backend.js';

export const DEADLINE_QUEUE = 'deadlines';

export interface DeadlineJob {
  readonly requestId: string;
  readonly kind: 'reminder' | 'overdue';
}

export function createDeadlineQueue(backend: QueueBackend) {
  const queue: Queue<DeadlineJob> = backend.queue<DeadlineJob>(DEADLINE_QUEUE);
  queue.on('error', () => {});
  return {
    queue,
    async schedule(requestId: string, reminderAt: Date, deadline: Date): Promise<void> {
      const now = Date.now();
      const common = { attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: { age: 7 * 86_400 } };
      if (reminderAt.getTime() > now) {
        await queue.add('reminder', { requestId, kind: 'reminder' }, { ...common, jobId: `rem-${requestId}`, delay: reminderAt.getTime() - now });
      }
      await queue.add('overdue', { requestId, kind: 'overdue' }, { ...common, jobId: `due-${requestId}`, delay: Math.max(0, deadline.getTime() - now) });
    },
  };
}

export function startDeadlineWorker(backend: QueueBackend, deadlines: DeadlineService, logger: Logger): Worker<DeadlineJob> {
  const worker = backend.worker<DeadlineJob>(DEADLINE_QUEUE, async (job: Job<DeadlineJob>) => {
    if (job.data.kind === 'reminder') return deadlines.remind(job.data.requestId);
    return deadlines.markOverdue(job.data.requestId);
  }, { concurrency: 2 });
  worker.on('error', (err) => logger.warn('deadline worker error', { err }));
  return worker;
}
