import { Router, type RequestHandler } from 'express';
import client from 'prom-client';
import type pg from 'pg';
import { loadOpenApiDocument } from '../schema/openapi.js';
import type { WitnessReport } from '../audit/witnessing.js';

export interface Metrics {
  registry: client.Registry;
  middleware: RequestHandler;
}

/** Prometheus metrics: process defaults, HTTP by route and status, messages by state (read on scrape). */
export function createMetrics(pool: pg.Pool): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const http = new client.Histogram({
    name: 'marac_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['listener', 'method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30],
    registers: [registry],
  });
  new client.Gauge({
    name: 'marac_messages',
    help: 'Messages by state',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const r = await pool.query('SELECT state, count(*)::int AS n FROM messages GROUP BY state').catch(() => ({ rows: [] as { state: string; n: number }[] }));
      this.reset();
      for (const row of r.rows) this.set({ state: row.state }, row.n);
    },
  });
  const middleware: RequestHandler = (req, res, next) => {
    const end = http.startTimer();
    res.on('finish', () => {
      // The route pattern, never the concrete path: ids must not become label values.
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      end({ listener: String(req.socket.localPort ?? ''), method: req.method, route: `${req.baseUrl}${route}`, status: String(res.statusCode) });
    });
    next();
  };
  return { registry, middleware };
}

export interface OpsDeps {
  pool: pg.Pool;
  metrics: Metrics;
  queuePing: () => Promise<void>;
  /** How far the audit log is witnessed. Reported, never a readiness failure: the gateway works on. */
  witness?: () => Promise<WitnessReport>;
}

/** Gauges read from the witness report on scrape (one report per scrape, shared by the gauges). */
function registerWitnessMetrics(registry: client.Registry, report: () => Promise<WitnessReport>): void {
  let pending: Promise<WitnessReport | null> | null = null;
  const once = () => {
    pending ??= report().catch(() => null).finally(() => setTimeout(() => (pending = null), 0));
    return pending;
  };
  new client.Gauge({
    name: 'marac_audit_witness_up',
    help: '1 when the witness cosigned on the last attempt (or has not been asked yet), 0 when unreachable or refusing',
    labelNames: ['witness'] as const,
    registers: [registry],
    async collect() {
      const r = await once();
      this.reset();
      for (const w of r?.witnesses ?? []) this.set({ witness: w.witness }, w.state === 'ok' || w.state === 'unknown' ? 1 : 0);
    },
  });
  new client.Gauge({
    name: 'marac_audit_unwitnessed_seconds',
    help: 'Seconds the oldest checkpoint not yet cosigned by a witness has waited (0 when the latest is witnessed)',
    registers: [registry],
    async collect() {
      const r = await once();
      if (r) this.set(r.lagSeconds);
    },
  });
  new client.Gauge({
    name: 'marac_audit_unwitnessed_events',
    help: 'Audit events signed in a checkpoint but not yet covered by a witnessed checkpoint',
    registers: [registry],
    async collect() {
      const r = await once();
      if (r) this.set(r.unwitnessedEvents);
    },
  });
}

/**
 * The operations listener (OPS_HOST:OPS_PORT, 127.0.0.1 by default): liveness, readiness and
 * Prometheus metrics. Readiness names the dependencies that are down and metrics describe the
 * traffic and the process, so neither belongs on the public web listener.
 */
export function createOpsRouter(d: OpsDeps): Router {
  const r = Router();
  if (d.witness) registerWitnessMetrics(d.metrics.registry, d.witness);
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const checks: Record<string, 'ok' | 'fail'> = {};
    await d.pool.query('SELECT 1').then(() => (checks.postgres = 'ok'), () => (checks.postgres = 'fail'));
    await withTimeout(d.queuePing(), 2000).then(() => (checks.queue = 'ok'), () => (checks.queue = 'fail'));
    const ok = Object.values(checks).every((v) => v === 'ok');
    // The witness is reported beside the checks: while it is away the gateway must go on serving.
    const witness = d.witness ? await withTimeout(d.witness(), 2000).catch(() => null) : undefined;
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ready' : 'not-ready',
      checks,
      ...(witness !== undefined ? { witness: witness ?? { status: 'unknown' } } : {}),
    });
  });
  r.get('/metrics', async (_req, res) => {
    res.type(d.metrics.registry.contentType).send(await d.metrics.registry.metrics());
  });
  return r;
}

/** What the public web listener says about itself: that it is up, and the API description. */
export function createPublicInfoRouter(): Router {
  const r = Router();
  let openapi: unknown;
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/openapi.json', (_req, res) => {
    openapi ??= loadOpenApiDocument();
    res.json(openapi);
  });
  return r;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error('timeout')), ms).unref())]);
}
