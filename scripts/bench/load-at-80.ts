/**
 * Latency and memory at 80% of the measured maximum (issue 7, "Load"):
 *
 * - `exchange.p99_ms_at_load`: the maximum throughput of response ingest is measured first
 *   (closed loop, 32 connections, same generator as `exchange.ingest`); then responses are sent
 *   OPEN LOOP at 80% of that rate (a fixed arrival schedule that does not slow down when the
 *   server does; over the same 32 connections) and the p99 latency is reported, measured from
 *   each request's scheduled time so queueing, in the server or in the client, is not hidden. Baseline: the bare Express baseline (exchange-baseline.ts) at the same
 *   rate with the same bodies, mean of a run before and a run after the gateway.
 * - `gateway.rss_mb_at_load`: peak resident memory of the gateway process during that run.
 *   Baseline: the same process idle, after start-up, before any load.
 *
 * The gateway and the baseline each run in a child process (RSS is the gateway's alone, and
 * neither shares an event loop with the generator); the generator runs here.
 *
 *   npm run bench -- exchange.p99      (once lib.ts AREAS lists this module)
 *   npx tsx scripts/bench/load-at-80.ts   (prints the JSON lines directly)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startChildWorld, type ChildWorld } from '../../test/fault/child-gateway.js';
import { jsonLine, machineInfo, machineLabel, mean, ratioOf, round, summarize, type BenchResult, type LatencySummary } from './lib.js';
import { assertLoopback, runLoad, send, type ClientCreds, type LoadRequest } from './load.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SAMPLES = path.join(ROOT, 'test/fixtures/samples');
const COORDINATOR = 'essex-marat';
const AGENCIES: Record<string, string> = {
  'essex-police': 'response-police.json',
  'mse-hospitals': 'response-health.json',
  'chelmsford-housing': 'response-housing.json',
  'safe-steps-idva': 'response-idva.json',
  'essex-childrens-services': 'response-childrens-social-care.json',
  'kss-probation': 'response-probation.json',
};
const AGENCY_IDS = Object.keys(AGENCIES);

export interface LoadAt80Options {
  prefix?: string;
  connections?: number;
  warmup?: number;
  /** Responses sent closed-loop to find the maximum throughput. */
  maxMeasured?: number;
  /** Fraction of the maximum to run at. */
  fraction?: number;
  /** Length of each open-loop run. */
  seconds?: number;
}

const DEFAULTS = { connections: 32, warmup: 200, maxMeasured: 1500, fraction: 0.8, seconds: 15 };

interface Answer {
  agency: string;
  requestId: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Per-agency keep-alive agents (client certificates) for one server. */
function agents(creds: (a: string) => ClientCreds, maxSockets: number): Map<string, https.Agent> {
  return new Map([COORDINATOR, ...AGENCY_IDS].map((a) => {
    const c = creds(a);
    return [a, new https.Agent({ keepAlive: true, maxSockets, ca: c.caPem, cert: c.certPem, key: c.keyPem })];
  }));
}

async function call(baseUrl: string, agent: https.Agent, req: LoadRequest, want: number): Promise<any> {
  const res = await send(agent, assertLoopback(baseUrl), req, 30_000);
  if (res.status !== want) throw new Error(`${req.method ?? 'GET'} ${req.path}: expected ${want}, got ${res.status} ${res.body.slice(0, 300)}`);
  return res.body ? JSON.parse(res.body) : undefined;
}

/** The sample responses with the case's real subject ids, serialised once. */
function bodies(created: { subjects: { key: string; subjectId: string }[] }): Map<string, string> {
  const by = Object.fromEntries(created.subjects.map((s) => [s.key, s.subjectId]));
  return new Map(AGENCY_IDS.map((a) => [a, JSON.stringify(JSON.parse(readFileSync(path.join(SAMPLES, AGENCIES[a]!), 'utf8')
    .replaceAll('subj_victim', by.v1!).replaceAll('subj_perp', by.p1!).replaceAll('subj_child', by.c1!)))]));
}

/** At least `count` answerable messages: fan-outs to the six agencies, then collected from each inbox. */
async function prepare(w: ChildWorld, ag: Map<string, https.Agent>, caseId: string, count: number): Promise<Answer[]> {
  const fanOuts = Math.ceil(count / AGENCY_IDS.length);
  const made: string[] = [];
  const body = JSON.stringify({ purpose: 'MARAC_RESEARCH', recipients: AGENCY_IDS, lookbackMonths: 12 });
  const r = await runLoad({
    baseUrl: w.agencyUrl, connections: 8, requests: fanOuts, creds: () => w.creds.get(COORDINATOR)!,
    next: () => ({ method: 'POST', path: `/v1/cases/${caseId}/research-requests`, body }),
    onResponse: (_c, status, text) => void (status === 201 && made.push(JSON.parse(text).requestId)),
  });
  if (r.ok !== fanOuts) throw new Error(`setup: ${r.ok} of ${fanOuts} fan-outs: ${JSON.stringify(r.failures)}`);
  await Promise.all(AGENCY_IDS.map(async (a) => {
    for (;;) {
      const inbox = await call(w.agencyUrl, ag.get(a)!, { path: '/v1/inbox' }, 200);
      if (inbox.messages.length === 0) break;
    }
  }));
  return made.flatMap((requestId) => AGENCY_IDS.map((agency) => ({ agency, requestId })));
}

function responseRequest(a: Answer, body: Map<string, string>): LoadRequest {
  return { method: 'POST', path: `/v1/research-requests/${a.requestId}/response`, headers: { 'idempotency-key': `load80-${a.requestId}-${a.agency}` }, body: body.get(a.agency)! };
}

/** Closed loop, `connections` at once, each connection answering as one agency: the maximum rate. */
async function closedLoop(baseUrl: string, creds: (a: string) => ClientCreds, work: Answer[], body: Map<string, string>, connections: number) {
  const agencyOf = (c: number) => AGENCY_IDS[c % AGENCY_IDS.length]!;
  const queues: Answer[][] = Array.from({ length: connections }, () => []);
  for (const a of AGENCY_IDS) {
    const conns = queues.map((_, c) => c).filter((c) => agencyOf(c) === a);
    work.filter((x) => x.agency === a).forEach((x, i) => queues[conns[i % conns.length]!]!.push(x));
  }
  return runLoad({
    baseUrl, connections, requests: work.length, timeoutMs: 30_000,
    creds: (c) => creds(agencyOf(c)),
    next: (c) => {
      const a = queues[c]!.shift();
      return a ? responseRequest(a, body) : undefined;
    },
  });
}

interface OpenLoopResult {
  sent: number;
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  latencyMs: LatencySummary;
  /** Achieved send rate (requests/s). */
  rate: number;
}

/**
 * Open loop: request i is due at t0 + i/rate whatever happened to the earlier ones; its latency
 * runs from that due time to the answer (client-side queueing included, coordinated omission
 * avoided). `onTick` runs every 250 ms during the run (e.g. to sample memory).
 */
async function openLoop(
  baseUrl: string, creds: (a: string) => ClientCreds, work: Answer[], body: Map<string, string>, rate: number, connections: number, onTick?: () => void,
): Promise<OpenLoopResult> {
  const base = assertLoopback(baseUrl);
  // The same number of connections as the maximum was measured with: a request due while all of
  // its agency's sockets are busy waits in the client, and that wait counts in its latency.
  const ag = agents(creds, Math.ceil(connections / AGENCY_IDS.length));
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  const inflight: Promise<void>[] = [];
  const t0 = performance.now();
  const ticker = onTick ? setInterval(onTick, 250) : undefined;
  try {
    let i = 0;
    while (i < work.length) {
      const now = performance.now();
      for (; i < work.length && t0 + (i * 1000) / rate <= now; i++) {
        const due = t0 + (i * 1000) / rate;
        const a = work[i]!;
        inflight.push(send(ag.get(a.agency)!, base, responseRequest(a, body), 30_000).then(
          (res) => {
            statuses[res.status] = (statuses[res.status] ?? 0) + 1;
            if (res.status >= 200 && res.status < 300) {
              ok++;
              latencies.push(performance.now() - due);
            } else failed++;
          },
          () => {
            statuses.error = (statuses.error ?? 0) + 1;
            failed++;
          },
        ));
      }
      const next = t0 + (i * 1000) / rate - performance.now();
      if (next > 0) await sleep(Math.max(1, Math.floor(next)));
    }
    const sentFor = performance.now() - t0;
    await Promise.all(inflight);
    return { sent: work.length, ok, failed, statuses, latencyMs: summarize(latencies), rate: (work.length * 1000) / sentFor };
  } finally {
    if (ticker) clearInterval(ticker);
    for (const a of ag.values()) a.destroy();
  }
}

/** The baseline server in its own process. */
async function startBaselineChild(w: ChildWorld): Promise<{ baseUrl: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'marac-baseline-'));
  const spec = path.join(dir, 'spec.json');
  writeFileSync(spec, JSON.stringify({ caPem: w.pki.caPem, serverCertPem: w.pki.server.certPem, serverKeyPem: w.pki.server.keyPem }));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/bench/baseline-child.ts')], {
    cwd: ROOT, env: { ...process.env, BASELINE_CHILD_SPEC: spec }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /READY (\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`baseline child exited (${code})`)));
  });
  return {
    baseUrl,
    async stop() {
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function run(opts: LoadAt80Options = {}): Promise<BenchResult[]> {
  const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as typeof DEFAULTS;
  const prefix = opts.prefix ?? '';
  const wantP99 = 'exchange.p99_ms_at_load'.startsWith(prefix);
  const wantRss = 'gateway.rss_mb_at_load'.startsWith(prefix);
  if (!wantP99 && !wantRss) return [];

  const w = await startChildWorld({ queue: 'redis' });
  const baseline = await startBaselineChild(w);
  const creds = (a: string) => w.creds.get(a)!;
  const ag = agents(creds, 8);
  try {
    await sleep(2000);
    const idleRss = w.rssMb();
    const theCase = { ...JSON.parse(readFileSync(path.join(SAMPLES, 'case.json'), 'utf8')), maracArea: 'essex' };
    const c = await call(w.agencyUrl, ag.get(COORDINATOR)!, { method: 'POST', path: '/v1/cases', body: JSON.stringify(theCase) }, 201);
    const body = bodies(c);

    console.error(`load-at-80: preparing ${o.warmup + o.maxMeasured} answerable messages …`);
    const first = await prepare(w, ag, c.caseId, o.warmup + o.maxMeasured);
    await closedLoop(w.agencyUrl, creds, first.slice(0, o.warmup), body, o.connections);
    const max = await closedLoop(w.agencyUrl, creds, first.slice(o.warmup), body, o.connections);
    if (max.ok === 0) throw new Error(`load-at-80: the gateway accepted nothing: ${JSON.stringify(max.failures)}`);
    const rate = max.throughput * o.fraction;
    const count = Math.ceil(rate * o.seconds);
    console.error(`load-at-80: max ${round(max.throughput, 1)}/s; preparing ${count} more for ${o.seconds} s at ${round(rate, 1)}/s …`);
    // Each fan-out gives one answer per agency, so the arrival stream cycles through all six.
    const work = await prepare(w, ag, c.caseId, count);

    const before = await openLoop(baseline.baseUrl, creds, work, body, rate, o.connections);
    const rss: number[] = [];
    const gw = await openLoop(w.agencyUrl, creds, work, body, rate, o.connections, () => {
      try {
        rss.push(w.rssMb());
      } catch {
        // the process is gone; the run will show failures
      }
    });
    const after = await openLoop(baseline.baseUrl, creds, work, body, rate, o.connections);
    if (gw.failed > 0) console.error('load-at-80: gateway failures', gw.statuses);

    const out: BenchResult[] = [];
    if (wantP99) {
      const value = round(gw.latencyMs.p99, 1);
      const b = round(mean([before.latencyMs.p99, after.latencyMs.p99]), 1);
      out.push({
        name: 'exchange.p99_ms_at_load',
        value,
        unit: 'ms',
        baseline: b,
        ratio: ratioOf(value, b),
        note: `open loop at ${round(rate, 1)} responses/s = ${Math.round(o.fraction * 100)}% of the measured max ${round(max.throughput, 1)}/s (closed loop, ${o.connections} connections), `
          + `${gw.ok}/${gw.sent} ok over ${o.seconds} s; gateway p50 ${round(gw.latencyMs.p50, 1)} ms, p95 ${round(gw.latencyMs.p95, 1)} ms; `
          + `baseline = bare Express at the same rate, p99 before ${round(before.latencyMs.p99, 1)} ms / after ${round(after.latencyMs.p99, 1)} ms`,
      });
    }
    if (wantRss) {
      const peak = rss.length ? Math.max(...rss) : Number.NaN;
      out.push({
        name: 'gateway.rss_mb_at_load',
        value: round(peak, 1),
        unit: 'MB',
        baseline: round(idleRss, 1),
        ratio: ratioOf(round(peak, 1), round(idleRss, 1)),
        note: `peak RSS of the gateway process during the ${o.seconds} s run at ${round(rate, 1)} responses/s (mean ${round(mean(rss), 1)} MB, ${rss.length} samples); baseline = the same process idle after start-up`,
      });
    }
    return out;
  } finally {
    for (const a of ag.values()) a.destroy();
    await baseline.stop();
    await w.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const prefix = process.argv.slice(2).find((a) => a !== '--') ?? '';
  run({ prefix }).then(
    (rs) => {
      for (const r of rs) {
        process.stdout.write(`${jsonLine(r)}\n`);
        console.error(`${r.name}: ${r.note ?? ''}`);
      }
      console.error(`machine: ${machineLabel(machineInfo())}`);
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
