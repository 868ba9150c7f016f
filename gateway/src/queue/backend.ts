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

export interface QueueBackend {
  kind: 'redis' | 'postgres';
  queue<T>(name: string, opts?: Omit<QueueOptions, 'connection'>): Queue<T>;
  worker<T>(name: string, processor: Processor<T>, opts?: Omit<WorkerOptions, 'connection'>): Worker<T>;
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
      queue: <T>(name: string, o: Omit<QueueOptions, 'connection'> = {}) => new Queue<T>(name, { ...o, connection, prefix: opts.prefix }),
      worker: <T>(name: string, p: Processor<T>, o: Omit<WorkerOptions, 'connection'> = {}) =>
        new Worker<T>(name, p, { ...o, connection, prefix: opts.prefix }),
    };
  }
  if (!opts.postgresUrl) throw new Error('queue backend needs a Redis URL or a PostgreSQL URL');
  const schema = opts.prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase();
  const connection = { connectionString: opts.postgresUrl, schema: `bullmq_${schema}`, migrate: true, max: 4 };
  return {
    kind: 'postgres',
    queue: <T>(name: string, o: Omit<QueueOptions, 'connection'> = {}) =>
      new Queue<T>(name, { ...o, connection } as QueueOptions, createPostgresBackend),
    worker: <T>(name: string, p: Processor<T>, o: Omit<WorkerOptions, 'connection'> = {}) =>
      new Worker<T>(name, p, { ...o, connection } as WorkerOptions, createPostgresBackend),
  };
}
