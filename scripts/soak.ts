/**
 * `npm run soak -- --minutes N [--rate R] [--sample-seconds S] [--max-slope M] [--warmup-seconds W]`
 *
 * Steady exchange traffic against one gateway in a child process, for N minutes (default 1):
 * the coordinator fans a research request out to six pull agencies R times a second (default 2;
 * a new case every 20 requests so no research pack grows without bound), and each agency
 * long-polls its inbox, acknowledges and answers. After a warm-up of W seconds (default 60: JIT,
 * pools, caches and V8's first heap growth are not a leak) the N measured minutes begin. Every S
 * seconds (default 2) the gateway process's RSS and V8 heap are sampled and printed as one JSON
 * line (warm-up samples are printed too, marked, and left out of the verdict).
 *
 * Verdict (last JSON line): the slope of RSS over the second half of the run, a robust
 * Theil–Sen estimate in MB per minute; "flat" when it is at most M (default 3). The run also
 * checks the exchange itself: no 5xx, and every message answered within 30 s of the traffic
 * stopping. Exit code 0 = flat and correct, 1 = memory grows or the exchange misbehaved,
 * 2 = could not run.
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startChildWorld, type ChildWorld } from '../test/fault/child-gateway.js';
import { percentile, round } from './bench/lib.js';
import { assertLoopback, send, type LoadRequest } from './bench/load.js';

const ROOT = path.resolve(import.meta.dirname, '..');
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
const REQUESTS_PER_CASE = 20;

export interface SoakOptions {
  minutes: number;
  rate: number;
  sampleSeconds: number;
  maxSlope: number;
  /** Traffic before measuring: JIT, pools, caches and V8's first heap growth are not a leak. */
  warmupSeconds: number;
}

export function parseSoakArgs(argv: readonly string[]): SoakOptions {
  const o: SoakOptions = { minutes: 1, rate: 2, sampleSeconds: 2, maxSlope: 3, warmupSeconds: 60 };
  const names: Record<string, keyof SoakOptions> = {
    '--minutes': 'minutes', '--rate': 'rate', '--sample-seconds': 'sampleSeconds', '--max-slope': 'maxSlope', '--warmup-seconds': 'warmupSeconds',
  };
  const limits: Record<keyof SoakOptions, [number, number]> = {
    minutes: [0.25, 24 * 60], rate: [0.1, 50], sampleSeconds: [1, 60], maxSlope: [0, 1000], warmupSeconds: [0, 3600],
  };
  const args = argv.filter((a) => a !== '--');
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split('=', 2) as [string, string | undefined];
    const key = names[flag];
    if (!key) throw new Error(`unknown option ${flag} (usage: npm run soak -- --minutes N [--rate R] [--sample-seconds S] [--max-slope M] [--warmup-seconds W])`);
    const raw = inline ?? args[++i];
    const n = Number(raw);
    const [min, max] = limits[key];
    if (raw === undefined || !Number.isFinite(n) || n < min || n > max) throw new Error(`${flag} must be a number from ${min} to ${max}`);
    o[key] = n;
  }
  return o;
}

/** Theil–Sen slope: the median of the slopes between every pair of points (robust to GC sawtooth). */
export function theilSen(points: readonly { x: number; y: number }[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j]!.x - points[i]!.x;
      if (dx !== 0) slopes.push((points[j]!.y - points[i]!.y) / dx);
    }
  }
  return slopes.length ? percentile(slopes, 50) : Number.NaN;
}

interface Sample {
  /** Seconds since the measured period began (negative during warm-up). */
  t: number;
  rssMb: number;
  heapUsedMb: number;
  fanOuts: number;
  answered: number;
  errors: number;
  p99Ms: number;
}

interface Counters {
  fanOuts: number;
  answered: number;
  errors: number;
  serverErrors: number;
  latencies: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The traffic: a paced coordinator and six pull adapters. Returns a stop function. */
function startTraffic(w: ChildWorld, rate: number, c: Counters): { stop(): Promise<void> } {
  const base = assertLoopback(w.agencyUrl);
  const agents = new Map([COORDINATOR, ...AGENCY_IDS].map((a) => {
    const cr = w.creds.get(a)!;
    return [a, new https.Agent({ keepAlive: true, maxSockets: 4, ca: cr.caPem, cert: cr.certPem, key: cr.keyPem })];
  }));
  const caseBody = JSON.stringify({ ...JSON.parse(readFileSync(path.join(SAMPLES, 'case.json'), 'utf8')), maracArea: 'essex' });
  const templates = new Map(AGENCY_IDS.map((a) => [a, readFileSync(path.join(SAMPLES, AGENCIES[a]!), 'utf8')]));
  /** requestId → the subject ids of its case (dropped once all six answered). */
  const open = new Map<string, { ids: Record<string, string>; left: number }>();
  let running = true;

  const call = async (agency: string, req: LoadRequest) => {
    try {
      const res = await send(agents.get(agency)!, base, req, 30_000);
      if (res.status >= 500) c.serverErrors++;
      if (res.status >= 400) c.errors++;
      return res;
    } catch {
      c.errors++;
      return undefined;
    }
  };

  const coordinator = (async () => {
    let ids: Record<string, string> = {};
    let caseId = '';
    const t0 = performance.now();
    for (let i = 0; running; i++) {
      if (i % REQUESTS_PER_CASE === 0) {
        const made = await call(COORDINATOR, { method: 'POST', path: '/v1/cases', body: caseBody });
        if (made?.status !== 201) {
          await sleep(1000);
          i--;
          continue;
        }
        const j = JSON.parse(made.body);
        caseId = j.caseId;
        ids = Object.fromEntries(j.subjects.map((s: { key: string; subjectId: string }) => [s.key, s.subjectId]));
      }
      const r = await call(COORDINATOR, { method: 'POST', path: `/v1/cases/${caseId}/research-requests`, body: JSON.stringify({ purpose: 'MARAC_RESEARCH', recipients: AGENCY_IDS }) });
      if (r?.status === 201) {
        c.fanOuts++;
        open.set(JSON.parse(r.body).requestId, { ids, left: AGENCY_IDS.length });
      }
      // The coordinator reads the pack of the case now and then, as a person would.
      if (i % 10 === 9) await call(COORDINATOR, { path: `/v1/cases/${caseId}/research` });
      const due = t0 + ((i + 1) * 1000) / rate - performance.now();
      if (due > 0) await sleep(due);
    }
  })();

  const adapters = AGENCY_IDS.map((agency) => (async () => {
    // Messages to answer. One can arrive before the coordinator has read its own 201 (the
    // inbox is woken on commit); it waits here until the request's case is known.
    const todo = new Map<string, string>();
    while (running || todo.size > 0) {
      const inbox = await call(agency, { path: `/v1/inbox?wait=${todo.size > 0 ? 0 : 2}` });
      if (inbox?.status === 200) {
        for (const m of JSON.parse(inbox.body).messages as { messageId: string; requestId: string }[]) {
          await call(agency, { method: 'POST', path: `/v1/inbox/${m.messageId}/ack` });
          todo.set(m.messageId, m.requestId);
        }
      } else if (running) {
        await sleep(500);
      } else {
        return;
      }
      for (const [messageId, requestId] of todo) {
        const req = open.get(requestId);
        if (!req) continue;
        const body = templates.get(agency)!.replaceAll('subj_victim', req.ids.v1!).replaceAll('subj_perp', req.ids.p1!).replaceAll('subj_child', req.ids.c1!);
        const t = performance.now();
        const res = await call(agency, { method: 'POST', path: `/v1/research-requests/${requestId}/response`, headers: { 'idempotency-key': `soak-${messageId}` }, body });
        if (res?.status === 201) {
          todo.delete(messageId);
          c.answered++;
          c.latencies.push(performance.now() - t);
          if (--req.left === 0) open.delete(requestId);
        }
      }
      if (todo.size > 0) await sleep(100);
    }
  })());

  return {
    async stop() {
      running = false;
      await coordinator;
      // Let the adapters answer what is left, then end the long-polls.
      const until = Date.now() + 30_000;
      while (open.size > 0 && Date.now() < until) await sleep(200);
      // Adapters with nothing left return after their current long-poll (at most 2 s).
      await Promise.race([Promise.allSettled(adapters), sleep(10_000)]);
      for (const a of agents.values()) a.destroy();
    },
  };
}

export async function soak(o: SoakOptions, out: (line: string) => void): Promise<{ flat: boolean; correct: boolean }> {
  const w = await startChildWorld({ queue: 'redis' });
  try {
    const c: Counters = { fanOuts: 0, answered: 0, errors: 0, serverErrors: 0, latencies: [] };
    const t0 = performance.now() + o.warmupSeconds * 1000;
    const samples: Sample[] = [];
    const take = async () => {
      const lat = c.latencies.splice(0);
      const s: Sample = {
        t: round((performance.now() - t0) / 1000, 1),
        rssMb: round(w.rssMb(), 1),
        heapUsedMb: round(await w.heapUsedMb(), 1),
        fanOuts: c.fanOuts,
        answered: c.answered,
        errors: c.errors,
        p99Ms: round(lat.length ? percentile(lat, 99) : Number.NaN, 1),
      };
      if (s.t >= 0) samples.push(s);
      out(JSON.stringify({ sample: s, ...(s.t < 0 ? { warmup: true } : {}) }));
    };
    await take();
    const traffic = startTraffic(w, o.rate, c);
    const endAt = t0 + o.minutes * 60_000;
    while (performance.now() < endAt) {
      // Sample on a fixed grid from the start of the measured period.
      const next = t0 + Math.ceil((performance.now() - t0 + 1) / (o.sampleSeconds * 1000)) * o.sampleSeconds * 1000;
      await sleep(Math.max(0, Math.min(next, endAt) - performance.now()));
      await take();
    }
    await traffic.stop();

    const open = await w.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE state NOT IN ('responded', 'declined', 'overdue', 'failed')`);
    const half = samples.filter((s) => s.t >= (o.minutes * 60) / 2);
    const slope = theilSen(half.map((s) => ({ x: s.t / 60, y: s.rssMb })));
    const heapSlope = theilSen(half.map((s) => ({ x: s.t / 60, y: s.heapUsedMb })));
    const flat = Number.isFinite(slope) && slope <= o.maxSlope;
    const correct = c.serverErrors === 0 && open.rows[0]!.n === 0 && c.answered === c.fanOuts * AGENCY_IDS.length;
    out(JSON.stringify({
      verdict: flat ? 'flat' : 'grows',
      correct,
      minutes: o.minutes,
      warmupSeconds: o.warmupSeconds,
      rssSlopeMbPerMin: round(slope, 2),
      heapSlopeMbPerMin: round(heapSlope, 2),
      maxSlopeMbPerMin: o.maxSlope,
      samplesInSecondHalf: half.length,
      rssMb: { first: samples[0]!.rssMb, last: samples.at(-1)!.rssMb, max: Math.max(...samples.map((s) => s.rssMb)) },
      heapUsedMb: { first: samples[0]!.heapUsedMb, last: samples.at(-1)!.heapUsedMb },
      fanOuts: c.fanOuts,
      answered: c.answered,
      expectedAnswers: c.fanOuts * AGENCY_IDS.length,
      unfinishedMessages: open.rows[0]!.n,
      errors: c.errors,
      serverErrors: c.serverErrors,
    }));
    return { flat, correct };
  } finally {
    await w.stop();
  }
}

async function main(): Promise<number> {
  let o: SoakOptions;
  try {
    o = parseSoakArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  console.error(`soak: ${o.warmupSeconds} s warm-up, then ${o.minutes} min measured, at ${o.rate} fan-outs/s to ${AGENCY_IDS.length} agencies, sampling every ${o.sampleSeconds} s …`);
  const r = await soak(o, (line) => process.stdout.write(`${line}\n`));
  return r.flat && r.correct ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? err.stack : err);
      process.exit(2);
    },
  );
}
