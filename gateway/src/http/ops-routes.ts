import { X509Certificate } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import client from 'prom-client';
import type pg from 'pg';
import { loadOpenApiDocument } from '../schema/openapi.js';
import type { WitnessReport } from '../audit/witnessing.js';
import { readAdapterHealth, type AdapterHealth } from '../exchange/agency-health.js';

export interface Metrics {
  registry: client.Registry;
  middleware: RequestHandler;
}

/** What the scrape-time gauges read besides the database. */
export interface MetricSources {
  /** The gateway's clock: ages and days to expiry are measured against it. */
  now?: () => Date;
  /** BullMQ queues by name (anything with getJobCounts). */
  queues?: Record<string, { getJobCounts(...types: string[]): Promise<Record<string, number>> }>;
  /** The gateway's own certificates (PEM) by kind: ca, server, push-client. */
  certificates?: Record<string, string>;
}

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed'] as const;
const DAY_MS = 86_400_000;

/**
 * Prometheus metrics: process defaults, HTTP by route and status, requests per agency, and gauges
 * read on scrape (one database round per scrape, shared by them): messages by state, delivery
 * attempts and dead letters, queue depth and failures per queue, audit sequencing lag, the last
 * signed checkpoint's age, and days to each certificate's expiry. No label ever holds a path,
 * an id of a case or a person: labels are route patterns, agency ids, queue names and states.
 */
export function createMetrics(pool: pg.Pool, sources: MetricSources = {}): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const now = sources.now ?? (() => new Date());
  const agencyRequests = new client.Counter({
    name: 'marac_agency_requests_total',
    help: 'Agency API requests by the agency their certificate names, and status class',
    labelNames: ['agency', 'status_class'] as const,
    registers: [registry],
  });
  registerStateMetrics(registry, pool, now);
  registerQueueMetrics(registry, sources.queues ?? {});
  registerCertificateMetrics(registry, pool, now, sources.certificates ?? {});
  registerAdapterHealthMetrics(registry, pool, now);
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
      const agency = (res.locals.principal as { agencyId?: string } | undefined)?.agencyId;
      if (agency) agencyRequests.inc({ agency, status_class: `${Math.floor(res.statusCode / 100)}xx` });
    });
    next();
  };
  return { registry, middleware };
}

/** Shares one in-flight read between the gauges of one scrape. */
function oncePerScrape<T>(read: () => Promise<T>): () => Promise<T | null> {
  let pending: Promise<T | null> | null = null;
  return () => {
    pending ??= read().catch(() => null).finally(() => setTimeout(() => (pending = null), 0));
    return pending;
  };
}

interface StateSnapshot {
  deliveries: { mode: string; attempts: number; deadLetters: number }[];
  pendingEvents: number;
  oldestPendingAt: Date | null;
  treeSize: number;
  checkpointSize: number;
  checkpointAt: Date | null;
}

function registerStateMetrics(registry: client.Registry, pool: pg.Pool, now: () => Date): void {
  const snapshot = oncePerScrape(async (): Promise<StateSnapshot> => {
    const [deliveries, pending, head, checkpoint] = await Promise.all([
      pool.query<{ mode: string; attempts: string; dead: number }>(
        `SELECT delivery_mode AS mode, COALESCE(sum(attempts), 0)::text AS attempts, count(*) FILTER (WHERE state = 'failed')::int AS dead
           FROM messages GROUP BY delivery_mode`),
      pool.query<{ n: number; oldest: Date | null }>('SELECT count(*)::int AS n, min(created_at) AS oldest FROM audit_pending'),
      pool.query<{ size: string }>('SELECT tree_size::text AS size FROM audit_head WHERE id = 1'),
      pool.query<{ size: string; ts: Date }>('SELECT tree_size::text AS size, ts FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1'),
    ]);
    return {
      deliveries: deliveries.rows.map((r) => ({ mode: r.mode, attempts: Number(r.attempts), deadLetters: r.dead })),
      pendingEvents: pending.rows[0]?.n ?? 0,
      oldestPendingAt: pending.rows[0]?.oldest ?? null,
      treeSize: Number(head.rows[0]?.size ?? 0),
      checkpointSize: Number(checkpoint.rows[0]?.size ?? 0),
      checkpointAt: checkpoint.rows[0]?.ts ?? null,
    };
  });
  const gauge = (name: string, help: string, set: (g: client.Gauge<string>, s: StateSnapshot) => void, labelNames: string[] = []) =>
    new client.Gauge({
      name, help, labelNames, registers: [registry],
      async collect() {
        const s = await snapshot();
        this.reset();
        if (s) set(this, s);
      },
    });
  gauge('marac_delivery_attempts', 'Delivery attempts recorded on stored messages, by delivery mode (all instances; use delta())', (g, s) => {
    for (const d of s.deliveries) g.set({ mode: d.mode }, d.attempts);
  }, ['mode']);
  gauge('marac_delivery_dead_letters', 'Messages dead-lettered after their last delivery attempt (state failed), by delivery mode', (g, s) => {
    for (const d of s.deliveries) g.set({ mode: d.mode }, d.deadLetters);
  }, ['mode']);
  gauge('marac_audit_pending_events', 'Audit events committed but not yet sequenced into the log', (g, s) => g.set(s.pendingEvents));
  gauge('marac_audit_sequencing_lag_seconds', 'Age of the oldest audit event waiting to be sequenced (0 when none waits)', (g, s) => {
    g.set(s.oldestPendingAt ? Math.max(0, (now().getTime() - s.oldestPendingAt.getTime()) / 1000) : 0);
  });
  gauge('marac_audit_unsigned_events', 'Sequenced audit events not yet covered by a signed checkpoint', (g, s) => g.set(Math.max(0, s.treeSize - s.checkpointSize)));
  gauge('marac_audit_checkpoint_age_seconds', 'Seconds since the latest signed checkpoint (absent until the first one)', (g, s) => {
    if (s.checkpointAt) g.set(Math.max(0, (now().getTime() - s.checkpointAt.getTime()) / 1000));
  });
}

function registerQueueMetrics(registry: client.Registry, queues: NonNullable<MetricSources['queues']>): void {
  const counts = oncePerScrape(() => Promise.all(Object.entries(queues).map(async ([name, q]) => ({ name, counts: await withTimeout(q.getJobCounts(...QUEUE_STATES), 2000) }))));
  new client.Gauge({
    name: 'marac_queue_jobs',
    help: 'Jobs in each queue by state (waiting, active, delayed, prioritized, waiting-children: depth; failed: failures kept for inspection)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const all = await counts();
      this.reset();
      for (const { name, counts: c } of all ?? []) for (const state of QUEUE_STATES) this.set({ queue: name, state }, c[state] ?? 0);
    },
  });
  new client.Gauge({
    name: 'marac_queue_depth',
    help: 'Jobs not yet finished in each queue (waiting, active, delayed, prioritized, waiting-children)',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      const all = await counts();
      this.reset();
      for (const { name, counts: c } of all ?? []) {
        this.set({ queue: name }, QUEUE_STATES.filter((s) => s !== 'failed').reduce((n, s) => n + (c[s] ?? 0), 0));
      }
    },
  });
}

function registerCertificateMetrics(registry: client.Registry, pool: pg.Pool, now: () => Date, own: Record<string, string>): void {
  // The gateway's own certificates are read once; agency certificates on every scrape.
  const ownExpiry = Object.entries(own).flatMap(([kind, pem]) => {
    try {
      return [{ kind, notAfter: new Date(new X509Certificate(pem).validTo) }];
    } catch {
      return []; // not a certificate: nothing to report (start-up has checked the ones it uses)
    }
  });
  const agencies = oncePerScrape(async () => (await pool.query<{ agency: string; not_after: Date }>(
    `SELECT agency_id AS agency, max(not_after) AS not_after FROM agency_certificates
      WHERE revoked_at IS NULL GROUP BY agency_id`)).rows);
  new client.Gauge({
    name: 'marac_certificate_expiry_days',
    help: 'Days until each certificate expires (negative once expired): the gateway\'s own by kind, and each agency\'s latest unrevoked one',
    labelNames: ['kind', 'subject'] as const,
    registers: [registry],
    async collect() {
      const t = now().getTime();
      this.reset();
      for (const c of ownExpiry) this.set({ kind: c.kind, subject: 'marac-gateway' }, round2((c.notAfter.getTime() - t) / DAY_MS));
      for (const a of (await agencies()) ?? []) this.set({ kind: 'agency', subject: a.agency }, round2((a.not_after.getTime() - t) / DAY_MS));
    },
  });
}

const round2 = (n: number) => Math.round(n * 100) / 100;

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

/** Adapter health per agency (issue 16, exchange/agency-health.ts): one query per scrape, labelled by agency id. */
function registerAdapterHealthMetrics(registry: client.Registry, pool: pg.Pool, now: () => Date): void {
  const snapshot = oncePerScrape(() => readAdapterHealth(pool, now()));
  const gauge = (name: string, help: string, value: (h: AdapterHealth) => number | null) =>
    new client.Gauge({
      name, help, labelNames: ['agency'], registers: [registry],
      async collect() {
        const rows = await snapshot();
        this.reset();
        for (const h of rows ?? []) {
          const v = value(h);
          if (v !== null) this.set({ agency: h.agencyId }, v);
        }
      },
    });
  gauge('marac_agency_last_contact_seconds', "Seconds since each agency's adapter last polled its inbox or took a message (absent: never)", (h) =>
    h.lastContactAt ? Math.max(0, (now().getTime() - h.lastContactAt.getTime()) / 1000) : null);
  gauge('marac_agency_backlog', 'Messages to each agency not yet answered (queued, delivered or acknowledged)', (h) => h.backlog);
  gauge('marac_agency_overdue', 'Messages to each agency not answered by their deadline', (h) => h.overdue);
  gauge('marac_agency_failed_deliveries', 'Deliveries to each agency dead-lettered in the last 30 days', (h) => h.failed30d);
}
