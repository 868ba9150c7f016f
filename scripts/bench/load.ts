/**
 * A small, bounded, closed-loop HTTPS load generator. Each of N connections has its own keep-alive
 * agent (one socket, its own client certificate) and sends its next request as soon as the last
 * one answered, until the time budget or the request budget runs out, or `next` has no more work
 * for it. It only talks to 127.0.0.1. The same generator drives the gateway and every baseline, so
 * the ratio between them measures the servers, not the clients.
 *
 *   const r = await runLoad({ baseUrl, connections: 32, requests: 2000,
 *     creds: (c) => creds[c % creds.length], next: (c, seq) => ({ method: 'POST', path: '/x', body }) });
 *   r.throughput  // 2xx answers per second;  r.latencyMs.p95
 *
 * `runLoadInWorker` runs a scripted load (every request listed up front) on its own thread, so the
 * client's TLS and parsing work does not share an event loop with an in-process server under test.
 * `startLoadInWorker` does the same but can be paused and resumed (connections stay open), so a
 * test can alternate "with the load" and "without it" in short rounds.
 */
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { summarize, type LatencySummary } from './lib.js';

export interface ClientCreds {
  certPem: string;
  keyPem: string;
  caPem: string;
}

export interface LoadRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** Sent as is; give JSON as a string (serialise once, outside the timed loop). */
  body?: string | Buffer;
}

export interface LoadOptions {
  /** `https://127.0.0.1:<port>`; anything else is refused. */
  baseUrl: string;
  connections: number;
  /** The client certificate connection `conn` presents (e.g. round-robin over agencies). */
  creds: (conn: number) => ClientCreds;
  /** The next request for connection `conn` (`seq` counts all requests); undefined = this connection is done. */
  next: (conn: number, seq: number) => LoadRequest | undefined;
  /** Stop starting new requests after this long. At least one of durationMs / requests is required. */
  durationMs?: number;
  /** Stop after this many requests in total. */
  requests?: number;
  /** Which statuses count as success; default 2xx. */
  ok?: (status: number) => boolean;
  /** Per-request timeout; a timed-out request counts as an error. Default 30 s. */
  timeoutMs?: number;
  /** Stop starting requests after the first transport error (timeout, reset): the server is stuck. */
  stopOnError?: boolean;
  /** Sees every answer (e.g. to collect the ids a set-up run created). Not timed. */
  onResponse?: (conn: number, status: number, body: string) => void;
  /**
   * Asked before each request: a promise holds the connection (nothing in flight) until it
   * settles. The time budget still runs while held.
   */
  hold?: (conn: number) => Promise<void> | undefined;
  /** Told when a connection has finished (budget, time or `next` ran out), in flight nothing. */
  onDone?: (conn: number) => void;
  /** The signal each request is sent with: aborted, the request and its connection are dropped (counted in `aborted`). */
  signal?: () => AbortSignal | undefined;
  /** Told when a request of connection `conn` is on an open connection (for a new one: after its TLS handshake). */
  onConnected?: (conn: number) => void;
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  /** Transport errors (reset, timeout), counted in `failed` too. */
  errors: number;
  /** Requests dropped by the caller's signal (not failures). */
  aborted: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  /** Successful answers per second over the whole run. */
  throughput: number;
  /** Latency of the successful requests. */
  latencyMs: LatencySummary;
  /** The first few failures (status and a short body) to explain a bad run. */
  failures: { status: number; body: string }[];
}

/** Hard ceiling on any run, whatever the caller asks: a benchmark must end. */
const MAX_DURATION_MS = 10 * 60_000;

export function assertLoopback(baseUrl: string): URL {
  const u = new URL(baseUrl);
  if (u.protocol !== 'https:' || u.hostname !== '127.0.0.1') {
    throw new Error(`load generator only talks to https://127.0.0.1, not ${u.origin}`);
  }
  return u;
}

/** Connections whose TLS handshake has ended (see `onConnected`). */
const handshaken = new WeakSet<object>();

/** One HTTPS request over `agent`; resolves with the status and the body text. */
export function send(
  agent: https.Agent, base: URL, req: LoadRequest, timeoutMs: number,
  extra: { signal?: AbortSignal; onConnected?: () => void } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { accept: 'application/json', ...req.headers };
    if (req.body !== undefined) {
      headers['content-length'] = Buffer.byteLength(req.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    const r = https.request(
      {
        protocol: 'https:', hostname: base.hostname, port: base.port, path: req.path, method: req.method ?? (req.body === undefined ? 'GET' : 'POST'), headers, agent,
        ...(extra.signal ? { signal: extra.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`request timed out after ${timeoutMs} ms`)));
    r.on('error', reject);
    const connected = extra.onConnected;
    if (connected) {
      r.once('socket', (s) => {
        if (handshaken.has(s)) return connected();
        // A new connection: its 'socket' event comes (next tick) before its handshake can end.
        s.once('secureConnect', () => {
          handshaken.add(s);
          connected();
        });
      });
    }
    r.end(req.body);
  });
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const base = assertLoopback(opts.baseUrl);
  if (!Number.isInteger(opts.connections) || opts.connections < 1) throw new Error('connections must be a positive integer');
  if (opts.durationMs === undefined && opts.requests === undefined) throw new Error('give durationMs or requests: a load run must be bounded');
  const durationMs = Math.min(opts.durationMs ?? MAX_DURATION_MS, MAX_DURATION_MS);
  const budget = opts.requests ?? Number.POSITIVE_INFINITY;
  const isOk = opts.ok ?? ((s: number) => s >= 200 && s < 300);
  const timeoutMs = opts.timeoutMs ?? 30_000;

  const agents = Array.from({ length: opts.connections }, (_, c) => {
    const cr = opts.creds(c);
    return new https.Agent({ keepAlive: true, maxSockets: 1, ca: cr.caPem, cert: cr.certPem, key: cr.keyPem });
  });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const failures: { status: number; body: string }[] = [];
  let seq = 0;
  let ok = 0;
  let failed = 0;
  let errors = 0;
  let aborted = 0;
  let halted = false;
  const t0 = performance.now();
  const deadline = t0 + durationMs;

  async function loop(conn: number): Promise<void> {
    try {
      await run(conn);
    } finally {
      opts.onDone?.(conn);
    }
  }
  async function run(conn: number): Promise<void> {
    while (!halted && seq < budget && performance.now() < deadline) {
      const held = opts.hold?.(conn);
      if (held) {
        await held;
        continue;
      }
      const req = opts.next(conn, seq);
      if (!req) return;
      seq++;
      const start = performance.now();
      const signal = opts.signal?.();
      try {
        const onConnected = opts.onConnected;
        const res = await send(agents[conn]!, base, req, timeoutMs, {
          ...(signal ? { signal } : {}),
          ...(onConnected ? { onConnected: () => onConnected(conn) } : {}),
        });
        const ms = performance.now() - start;
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        opts.onResponse?.(conn, res.status, res.body);
        if (isOk(res.status)) {
          ok++;
          latencies.push(ms);
        } else {
          failed++;
          if (failures.length < 5) failures.push({ status: res.status, body: res.body.slice(0, 300) });
        }
      } catch (err) {
        if (signal?.aborted) {
          aborted++;
          continue;
        }
        failed++;
        errors++;
        if (opts.stopOnError) halted = true;
        statuses.error = (statuses.error ?? 0) + 1;
        if (failures.length < 5) failures.push({ status: 0, body: String((err as Error).message ?? err).slice(0, 300) });
      }
    }
  }

  try {
    await Promise.all(agents.map((_, c) => loop(c)));
  } finally {
    for (const a of agents) a.destroy();
  }
  const elapsedMs = performance.now() - t0;
  return {
    sent: seq,
    ok,
    failed,
    errors,
    aborted,
    statuses,
    elapsedMs,
    throughput: elapsedMs > 0 ? (ok * 1000) / elapsedMs : 0,
    latencyMs: summarize(latencies),
    failures,
  };
}

/** A load whose requests are all known up front: plain data, so it can run on another thread. */
export interface ScriptedLoad {
  baseUrl: string;
  /** One entry per connection: its certificate and the requests it sends, in order. */
  connections: { creds: ClientCreds; requests: LoadRequest[] }[];
  requests?: number;
  durationMs?: number;
  timeoutMs?: number;
  stopOnError?: boolean;
}

/** Messages between load.ts and load-worker.ts. */
export type WorkerCommand = { type: 'pause'; dropAfterMs: number } | { type: 'resume' } | { type: 'stop' };
export type WorkerReport = { type: 'paused' } | { type: 'flowing' } | { type: 'result'; result: LoadResult };

/** A scripted load running on a worker thread that can be held between requests. */
export interface PausableLoad {
  /**
   * Holds every connection before its next request and, `dropAfterMs` later, drops the requests
   * still waiting for an answer with their connections (counted in `aborted`). Resolves once no
   * request is in flight.
   */
  pause(opts: { dropAfterMs: number }): Promise<void>;
  /**
   * Lets the held connections go on; resolves once each has a request on an open connection and,
   * with `flowingAfterRefusal`, the server has refused one (it is limiting the load: a burst it
   * allows after a pause is spent).
   */
  resume(): Promise<void>;
  /** Ends the load (dropping the requests in flight) and resolves with its result. */
  stop(): Promise<LoadResult>;
  /** The result, when the load ends by itself (its budget) or is stopped. */
  readonly result: Promise<LoadResult>;
}

/** A scripted load to start paused, and when to call it flowing after a resume (PausableLoad). */
export type PausableLoadSpec = ScriptedLoad & { startPaused?: boolean; flowingAfterRefusal?: boolean };

function spawnLoadWorker(spec: PausableLoadSpec): Worker {
  assertLoopback(spec.baseUrl);
  // Workers do not inherit tsx's loader hooks in Node 20: register them, then load the entry.
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./load-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { eval: true, workerData: spec });
}

function resultOf(worker: Worker, onReport: (r: WorkerReport) => void = () => {}): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: WorkerReport) => {
      if (m.type !== 'result') return onReport(m);
      settled = true;
      resolve(m.result);
      void worker.terminate();
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`load worker exited with code ${code} before reporting`));
    });
  });
}

/**
 * Starts the scripted load on a worker thread, held (`startPaused`) or running. One pause or
 * resume at a time.
 */
export function startLoadInWorker(spec: PausableLoadSpec): PausableLoad {
  const worker = spawnLoadWorker(spec);
  const waiting: Partial<Record<'paused' | 'flowing', () => void>> = {};
  const result = resultOf(worker, (m) => {
    if (m.type === 'result') return;
    waiting[m.type]?.();
    delete waiting[m.type];
  });
  const ask = (c: WorkerCommand, until: 'paused' | 'flowing') => {
    const done = new Promise<void>((resolve, reject) => {
      waiting[until] = resolve;
      // The load ending (or failing) meanwhile: nothing is in flight any more.
      result.then(() => resolve(), reject);
    });
    worker.postMessage(c);
    return done;
  };
  return {
    result,
    pause: ({ dropAfterMs }) => ask({ type: 'pause', dropAfterMs }, 'paused'),
    resume: () => ask({ type: 'resume' }, 'flowing'),
    stop: () => {
      worker.postMessage({ type: 'stop' } satisfies WorkerCommand);
      return result;
    },
  };
}

/** Runs the scripted load on a worker thread (2xx = success) and resolves with its result. */
export async function runLoadInWorker(spec: ScriptedLoad): Promise<LoadResult> {
  return resultOf(spawnLoadWorker(spec));
}
