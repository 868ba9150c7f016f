/**
 * The adapter's own health, for the agency's administrators and monitoring (issue 16): a small
 * HTTP listener, on 127.0.0.1 unless configured otherwise, with
 *
 *   GET /healthz   JSON: the runner's last contact with the gateway, backlog, counts and last
 *                  errors (codes), and the source's own health (last contact, errors, searches);
 *                  200 when the last contact with the gateway and the source's last success are
 *                  more recent than their last failures, else 503;
 *   GET /metrics   the same as Prometheus text (no client library needed).
 *
 * Ids, counts, codes and times only: nothing here can carry personal data.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Runner } from './runner.js';
import type { SourceHealth } from './source.js';

export interface AdapterHealth {
  adapter: string;
  status: 'ok' | 'degraded';
  runner: Runner['stats'];
  source?: SourceHealth;
}

export function adapterHealth(name: string, runner: Runner, source?: { health?(): SourceHealth }): AdapterHealth {
  const r = runner.stats;
  const s = source?.health?.();
  const lastRunnerError = r.lastErrors.at(-1)?.at;
  const lastSourceError = s?.errors.at(-1)?.at;
  const runnerOk = !lastRunnerError || (!!r.lastContactAt && r.lastContactAt >= lastRunnerError);
  const sourceOk = !lastSourceError || (!!s?.lastSuccessAt && s.lastSuccessAt >= lastSourceError);
  return { adapter: name, status: runnerOk && sourceOk ? 'ok' : 'degraded', runner: { ...r, lastErrors: [...r.lastErrors] }, ...(s ? { source: s } : {}) };
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const secs = (iso: string | undefined) => (iso ? Date.parse(iso) / 1000 : 0);

/** Prometheus text exposition (version 0.0.4) of an adapter's health. */
export function healthMetrics(h: AdapterHealth): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: [Record<string, string>, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) {
      const l = Object.entries({ adapter: h.adapter, ...labels }).map(([k, x]) => `${k}="${esc(x)}"`).join(',');
      lines.push(`${name}{${l}} ${Number.isFinite(v) ? v : 0}`);
    }
  };
  const r = h.runner;
  metric('marac_adapter_up', 'gauge', '1 when the adapter\'s last contacts with the gateway and its source succeeded, 0 when degraded', [[{}, h.status === 'ok' ? 1 : 0]]);
  metric('marac_adapter_last_contact_timestamp_seconds', 'gauge', 'Unix time of the last successful exchange with the gateway (0: none yet)', [[{}, secs(r.lastContactAt)]]);
  metric('marac_adapter_backlog', 'gauge', 'Messages received and not yet answered, declined or given up', [[{}, r.backlog]]);
  metric('marac_adapter_messages_total', 'counter', 'Messages by outcome', [
    [{ outcome: 'received' }, r.received], [{ outcome: 'answered' }, r.answered], [{ outcome: 'declined' }, r.declined], [{ outcome: 'gave_up' }, r.gaveUp],
  ]);
  metric('marac_adapter_retries_total', 'counter', 'Retries (gateway and source)', [[{}, r.retries]]);
  metric('marac_adapter_source_errors_total', 'counter', 'Searches or reads of the agency\'s system that failed or timed out', [[{}, r.sourceErrors]]);
  if (h.source) {
    const s = h.source;
    metric('marac_adapter_source_last_success_timestamp_seconds', 'gauge', 'Unix time of the source\'s last successful search or read (0: none yet)', [[{ kind: s.kind }, secs(s.lastSuccessAt)]]);
    metric('marac_adapter_source_searches_total', 'counter', 'Search pages asked of the source', [[{ kind: s.kind }, s.searches]]);
    metric('marac_adapter_source_reads_total', 'counter', 'Record reads asked of the source', [[{ kind: s.kind }, s.reads]]);
    const byCode = new Map<string, number>();
    for (const e of s.errors) byCode.set(e.code, (byCode.get(e.code) ?? 0) + 1);
    metric('marac_adapter_source_recent_errors', 'gauge', 'The source\'s recent errors (last 20) by code', [...byCode].map(([code, n]) => [{ kind: s.kind, code }, n]));
    if (s.records !== undefined) metric('marac_adapter_source_records', 'gauge', 'Records the source holds (in-memory and CSV sources)', [[{ kind: s.kind }, s.records]]);
  }
  return `${lines.join('\n')}\n`;
}

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

export async function startHealthServer(o: { name: string; runner: Runner; source?: { health?(): SourceHealth }; host?: string; port?: number }): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const h = adapterHealth(o.name, o.runner, o.source);
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(h.status === 'ok' ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(h));
    } else if (req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
      res.end(healthMetrics(h));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    url: `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
