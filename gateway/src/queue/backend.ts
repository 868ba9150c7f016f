import { Queue, Worker, createPostgresBackend, type Processor, type WorkerOptions, type QueueOptions } from 'bullmq';
import pg from 'pg';

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

const ignore = () => {};

/**
 * A pg client whose lost connection is never an unhandled 'error' event, even after a library
 * strips its listeners: BullMQ's close() calls removeAllListeners() on its LISTEN client and then
 * end(), so a database stopping at the same moment (Ctrl-C reaches the embedded postgres too)
 * crashed the process with 57P01 during an orderly shutdown.
 */
class QuietClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', ignore);
  }

  override removeAllListeners(event?: string | symbol): this {
    super.removeAllListeners(event);
    if (event === undefined || event === 'error') this.on('error', ignore);
    return this;
  }
}

/**
 * BullMQ's PostgreSQL backend builds its pool from our config (`Client: QuietClient` covers the
 * pooled clients) but its dedicated LISTEN client from the pg module's own `Client`, with no way
 * to pass another. So the module's `Client` becomes QuietClient for the process. Every other pg
 * client in the gateway already listens for errors (store/db.ts, the LISTEN connections); this
 * only makes that the rule for code we do not control.
 */
function quietPgClients(): void {
  const mod = pg as unknown as { Client: typeof pg.Client };
  if (mod.Client !== QuietClient) mod.Client = QuietClient;
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
  quietPgClients();
  const schema = opts.prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase();
  // BullMQ builds its own pg.Pool from this config and listens for errors only on the pool (idle
  // clients) and its LISTEN client. A client checked out for a query when the database goes away
  // (restart, failover, or the embedded server stopping first on Ctrl-C) would emit an 'error'
  // nobody listens to, which crashes the process: `Client` gives every pooled client a listener.
  // The query itself still fails, and BullMQ retries or reports it.
  const connection = { connectionString: opts.postgresUrl, schema: `bullmq_${schema}`, migrate: true, max: 4, Client: QuietClient };
  return {
    kind: 'postgres',
    queue: <T>(name: string, o: Omit<QueueOptions, 'connection'> = {}) =>
      new Queue(name, { ...o, connection } as never, createPostgresBackend) as unknown as AnyQueue<T>,
    worker: <T>(name: string, p: Processor<T>, o: Omit<WorkerOptions, 'connection'> = {}) =>
      new Worker(name, p as Processor, { ...o, connection } as never, createPostgresBackend) as unknown as AnyWorker<T>,
  };
}
