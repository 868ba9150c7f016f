/**
 * Adapter benchmark (issue 5):
 *
 * - `adapters.pack_p95_ms`: time from fan-out (the coordinator's POST of a research request) to a
 *   complete research pack (all seven agencies `responded` and the pack read back), with all seven
 *   SDK adapters in pull mode on this machine over real mTLS, each matching the case's subjects
 *   (victim, perpetrator, two children) in its synthetic data set, mapping and validating its
 *   response. Target ≤ 2000 ms.
 *   Baseline: the same round with the same SDK runners whose agency holds nobody (no matching or
 *   mapping work: every subject NOT_FOUND); ratio = adapters / baseline, so it shows what matching,
 *   mapping and schema validation add on top of the exchange itself.
 * - `adapters.sql_search_p95_ms` (issue 16, adapters-sql.ts): one subject's search through the SDK's
 *   SQL source with 1,000,000 people in PostgreSQL, beside the bare indexed query. Target ≤ 1000 ms.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startTestGateway, type TestGateway } from '../../test/helpers/gateway.js';
import { ADAPTERS } from '../../adapters/catalog.js';
import { startAdapter, type RunningAdapter } from '../../adapters/sdk/cli.js';
import { readDataDir } from '../../adapters/sdk/data.js';
import { loadAgency, type LoadedAgency } from '../../adapters/sdk/respond.js';
import { generatePopulation } from '../../adapters/sdk/synthetic/population.js';
import { caseBody, pickRichHousehold } from '../../adapters/sdk/synthetic/cases.js';
import { percentile, prefixesOverlap, ratioOf, round, type BenchResult } from './lib.js';
import { runSqlSearch } from './adapters-sql.js';

const AGENCY_ADAPTER: Record<string, string> = {
  'essex-police': 'police',
  'mse-hospitals': 'nhs',
  'chelmsford-housing': 'housing',
  'essex-childrens-services': 'childrens-social-care',
  'essex-adult-social-care': 'adult-social-care',
  'kss-probation': 'probation',
  'safe-steps-idva': 'idva',
};
const DOMAINS = ['DA_INCIDENTS', 'ORDERS_AND_BAIL', 'CONVICTIONS', 'HEALTH_ATTENDANCES', 'PREGNANCY', 'MENTAL_HEALTH', 'TENANCY', 'CHILDREN_STATUS', 'ADULT_SOCIAL_CARE', 'SUPERVISION', 'VICTIM_VIEWS'];
const DEFAULTS = { rounds: 30, warmupRounds: 3, statusPollMs: 10 };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function startAll(t: TestGateway, agencyFor: (name: string) => LoadedAgency): Promise<RunningAdapter[]> {
  const base = t.gateway.agencyUrl.replace('localhost', '127.0.0.1');
  const out: RunningAdapter[] = [];
  for (const [agencyId, name] of Object.entries(AGENCY_ADAPTER)) {
    const entry = ADAPTERS.find((a) => a.name === name)!;
    const c = t.creds.get(agencyId)!;
    out.push(await startAdapter(entry, {
      gateway: base, certPem: c.certPem, keyPem: c.keyPem, caPem: c.caPem, dataDir: entry.dataDir,
      mode: 'pull', gatewayId: 'marac-gateway', waitSeconds: 20, once: false, check: false, extra: {},
    }, { log: () => {}, agency: agencyFor(name) }));
  }
  return out;
}

/** One round: fan out to the seven, poll the status until all answered, read the pack. */
async function oneRound(t: TestGateway, caseId: string, pollMs: number): Promise<number> {
  const t0 = performance.now();
  const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: Object.keys(AGENCY_ADAPTER), requestedDomains: DOMAINS, lookbackMonths: 12 });
  if (r.status !== 201 || r.body.messages.length !== 7) throw new Error(`fan-out failed: ${r.status} ${JSON.stringify(r.body)}`);
  const requestId = r.body.requestId as string;
  for (;;) {
    const s = await t.as('essex-marat').get(`/v1/research-requests/${requestId}`);
    const msgs = s.body.messages as { state: string }[];
    if (msgs.every((m) => m.state === 'responded')) break;
    if (performance.now() - t0 > 30_000) throw new Error(`round not complete after 30 s: ${msgs.map((m) => m.state).join(',')}`);
    await sleep(pollMs);
  }
  const pack = await t.as('essex-marat').get(`/v1/cases/${caseId}/research`);
  if (pack.status !== 200) throw new Error(`pack read failed: ${pack.status} ${JSON.stringify(pack.body)}`);
  return performance.now() - t0;
}

async function measure(agencyFor: (name: string) => LoadedAgency, o: typeof DEFAULTS): Promise<number[]> {
  const t = await startTestGateway({ queue: process.env.REDIS_URL === '' ? 'postgres' : 'redis' });
  const running = await startAll(t, agencyFor);
  try {
    const pop = generatePopulation();
    const truths = Object.fromEntries(ADAPTERS.map((a) => [a.dataDir.split('/').filter(Boolean).slice(-2)[0]!, JSON.parse(readFileSync(join(a.dataDir, 'truth.json'), 'utf8'))]));
    const meeting = new Date(Date.now() + 21 * 86_400_000).toISOString().slice(0, 10);
    const body = caseBody(pop, pickRichHousehold(pop, truths), { meetingDate: meeting, maxChildren: 2 });
    const samples: number[] = [];
    for (let i = 0; i < o.warmupRounds + o.rounds; i++) {
      // A fresh case per round, as in real use: the pack of a case is one research round.
      const c = await t.as('essex-marat').post('/v1/cases', body);
      if (c.status !== 201) throw new Error(`case not created: ${JSON.stringify(c.body)}`);
      const ms = await oneRound(t, c.body.caseId, o.statusPollMs);
      if (i >= o.warmupRounds) samples.push(ms);
    }
    return samples;
  } finally {
    await Promise.all(running.map((r) => r.stop()));
    await t.stop();
  }
}

export async function run(opts: { prefix?: string } & Partial<typeof DEFAULTS> = {}): Promise<BenchResult[]> {
  const o = { ...DEFAULTS, ...opts };
  const loaded = new Map<string, LoadedAgency>();
  const real = (name: string) => {
    let a = loaded.get(name);
    if (!a) {
      const entry = ADAPTERS.find((x) => x.name === name)!;
      a = loadAgency(entry.mapping, readDataDir(entry.dataDir));
      loaded.set(name, a);
    }
    return a;
  };
  const prefix = opts.prefix ?? '';
  const out: BenchResult[] = [];
  // The SQL figure runs after the pack (its million-row seed would load the machine under the pack's baseline).
  if (!prefixesOverlap('adapters.pack', prefix)) return prefixesOverlap('adapters.sql_search', prefix) ? [await runSqlSearch()] : [];
  // The baseline agency holds nobody: same runner, client and validation, no matching or mapping work.
  const empty = (name: string): LoadedAgency => ({ mapping: real(name).mapping, source: { search: async () => ({ candidates: [] }), read: async () => real(name).db } });
  const baseline = await measure(empty, o);
  const adapters = await measure(real, o);
  const value = round(percentile(adapters, 95), 1);
  const base = round(percentile(baseline, 95), 1);
  if (prefixesOverlap('adapters.sql_search', prefix)) out.push(await runSqlSearch());
  return [...out, {
    name: 'adapters.pack_p95_ms',
    value,
    unit: 'ms',
    baseline: base,
    ratio: ratioOf(value, base),
    target: '≤ 2000 ms',
    note: `${o.rounds} rounds; fan-out to 7 pull-mode adapters (victim, perpetrator, 2 children) until the pack is complete; baseline: same runners holding nobody; p50 ${round(percentile(adapters, 50), 1)} ms`,
  }];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run()) console.log(JSON.stringify(r));
}
