import { Queue, Worker, createPostgresBackend, type Processor, type WorkerOptions, type QueueOptions } from 'bullmq';

/**
 * BullMQ behind one code path: Redis (ioredis) when a Redis URL is configured, BullMQ 6's
 * PostgreSQL backend otherwise (the embedded default). Nothing above this file knows which.
 */
export interface QueueBackendOptions {
  redisUrl?: string;
  postgresUrl?: string;
  /** Redis key prefix, or PostgreSQL schema for the Postgres backend. Each test run uses its own. */
  prefix: string;
}

/** Data type only: BullMQ's backend generics differ per backend and do not matter above here. */
export type AnyQueue<T> = Queue<T>;
export type AnyWorker<T> = Worker<T>;

export interface QueueBackend {
  kind: 'redis' | 'postgres';
  queue<T>(name: string, opts?: Omit<QueueOptions, 'connection'>): AnyQueue<T>;
  worker<T>(name: string, processor: Processor<T>, opts?: Omit<WorkerOptions, 'connection'>): AnyWorker<T>;
}

function redisConnection(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // Workers block on Redis; BullMQ requires this so commands wait out a Redis restart.
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
  };
}

export function createQueueBackend(opts: QueueBackendOptions): QueueBackend {
  if (opts.redisUrl) {
    const connection = redisConnection(opts.redisUrl);
    return {
      kind: 'redis',
      queue: <T>(name: string, o: Omit<QueueOptions, 'connection'> = {}) =>
        new Queue(name, { ...o, connection, prefix: opts.prefix } as QueueOptions) as unknown as AnyQueue<T>,
      worker: <T>(name: string, p: Processor<T>, o: Omit<WorkerOptions, 'connection'> = {}) =>
        new Worker(name, p as Processor, { ...o, connection, prefix: opts.prefix } as WorkerOptions) as unknown as AnyWorker<T>,
    };
  }
  if (!opts.postgresUrl) throw new Error('queue backend needs a Redis URL or a PostgreSQL URL');
  const schema = opts.prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase();
  const connection = { connectionString: opts.postgresUrl, schema: `bullmq_${schema}`, migrate: true, max: 4 };
  return {
    kind: 'postgres',
    queue: <T>(name: string, o: Omit<QueueOptions, 'connection'> = {}) =>
      new Queue(name, { ...o, connection } as never, createPostgresBackend) as unknown as AnyQueue<T>,
    worker: <T>(name: string, p: Processor<T>, o: Omit<WorkerOptions, 'connection'> = {}) =>
      new Worker(name, p as Processor, { ...o, connection } as never, createPostgresBackend) as unknown as AnyWorker<T>,
  };
}
