/**
 * Scale-out benchmark (issue 18). `npm run bench -- scale` prints one JSON line.
 *
 * scale.answers_per_s_3_instances   Pull-and-answer throughput through a round-robin TCP balancer
 *                                   (test/fault/tcp-balancer.ts) in front of THREE gateway processes
 *                                   on one PostgreSQL database and one Redis queue prefix: messages
 *                                   answered per second by 5 pull agencies × 4 concurrent clients,
 *                                   each client polling its agency's inbox (GET /v1/inbox) and
 *                                   answering every message it was handed (POST .../response with
 *                                   an Idempotency-Key), over mTLS end to end. Baseline, same run,
 *                                   same processes: the same work through a balancer in front of ONE
 *                                   of them (the other two stay up, idle). Ratio = 3 / 1.
 *
 * Each measurement answers a fresh batch of fan-outs (made before the clock starts, not timed);
 * the two configurations alternate 1, 3, 3, 1 so drift in the machine's load falls on both, and
 * each figure is the mean of its two runs. The gateways run in child processes (their own event
 * loops, as in production); the clients run here.
 *
 *   BENCH_SCALE_REQUESTS (default 60): fan-outs per measurement (× 5 agencies = messages answered)
 *   BENCH_SCALE_CLIENTS (default 4): concurrent clients per agency
 */
import { generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { makeTestPki, type AgencyCreds } from '../../test/helpers/pki.js';
import { createTestDatabase } from '../../test/helpers/db.js';
import { startTestGateway } from '../../test/helpers/gateway.js';
import { sampleCase, sampleResponse, subjectIds } from '../../test/integration/exchange/fixtures.js';
import { sharedWorld, spawnChildGateway, type ChildGateway } from '../../test/fault/child-gateway.js';
import { startTcpBalancer, type TcpBalancer } from '../../test/fault/tcp-balancer.js';
import { COORDINATOR, FaultClient, RESPONSE_FILES } from '../../test/fault/traffic.js';
import { mean, ratioOf, round, type BenchResult } from './lib.js';

const REQUESTS = Number(process.env.BENCH_SCALE_REQUESTS ?? 60);
const CLIENTS = Number(process.env.BENCH_SCALE_CLIENTS ?? 4);
const INSTANCES = 3;
const PULL = ['essex-police', 'mse-hospitals', 'chelmsford-housing', 'safe-steps-idva', 'essex-childrens-services'];

interface World {
  creds: Map<string, AgencyCreds>;
}

/** Opens REQUESTS fan-outs to the pull agencies (not timed); returns how many messages they made. */
async function prepareBatch(client: FaultClient): Promise<{ messages: number; bodies: Map<string, unknown> }> {
  const c = await client.call(COORDINATOR, 'POST', '/v1/cases', sampleCase());
  if (c.status !== 201) throw new Error(`scale: could not open a case (${c.status} ${c.error ?? JSON.stringify(c.body)})`);
  const ids = subjectIds(c.body);
  let messages = 0;
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < REQUESTS) {
      next++;
      const r = await client.call(COORDINATOR, 'POST', `/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: PULL });
      if (r.status !== 201) throw new Error(`scale: fan-out refused (${r.status} ${r.error ?? JSON.stringify(r.body)})`);
      messages += r.body.messages.length;
    }
  }));
  return { messages, bodies: new Map(PULL.map((a) => [a, sampleResponse(RESPONSE_FILES[a]!, ids)])) };
}

/** Pull-and-answer until every message of the batch is answered; returns messages per second. */
async function measure(world: World, balancer: TcpBalancer): Promise<number> {
  const client = new FaultClient(balancer.url, world.creds, 60_000);
  try {
    const batch = await prepareBatch(client);
    const perAgency = batch.messages / PULL.length;
    const answered = new Map(PULL.map((a) => [a, 0]));
    let failures = 0;
    const t0 = performance.now();
    await Promise.all(PULL.flatMap((agency) => Array.from({ length: CLIENTS }, async () => {
      while (answered.get(agency)! < perAgency) {
        const inbox = await client.call(agency, 'GET', '/v1/inbox?wait=1');
        if (inbox.status !== 200) {
          if (++failures > 50) throw new Error(`scale: inbox ${inbox.status} ${inbox.error ?? JSON.stringify(inbox.body)}`);
          continue;
        }
        for (const m of inbox.body.messages as { messageId: string; requestId: string }[]) {
          const r = await client.call(agency, 'POST', `/v1/research-requests/${m.requestId}/response`, batch.bodies.get(agency), { 'Idempotency-Key': `scale-${m.messageId}` });
          if (r.status !== 201) throw new Error(`scale: answer ${r.status} ${r.error ?? JSON.stringify(r.body)}`);
          answered.set(agency, answered.get(agency)! + 1);
        }
      }
    })));
    const seconds = (performance.now() - t0) / 1000;
    return batch.messages / seconds;
  } finally {
    client.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  const pki = makeTestPki();
  const db = await createTestDatabase();
  const children: ChildGateway[] = [];
  const balancers: TcpBalancer[] = [];
  try {
    const world = sharedWorld(pki, {
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      NOTIFICATIONS_TRANSPORT: 'off',
      AGENCY_RATE_PER_SECOND: '100000', AGENCY_RATE_BURST: '100000', AGENCY_MAX_CONCURRENT: '1000', AGENCY_MAX_LONG_POLLS: '1000',
    });
    const seed = await startTestGateway({ queue: 'redis', pki, db, sharedEnv: world.env, sharedTls: world.tls, workers: false });
    await seed.stop();
    for (let i = 0; i < INSTANCES; i++) {
      const key = generateKeyPairSync('ed25519').privateKey;
      children.push(spawnChildGateway({
        env: { ...world.env, AUDIT_SIGNING_KEY_PEM: key.export({ type: 'pkcs8', format: 'pem' }).toString(), AUDIT_KEY_ID: `gateway-${i + 1}` },
        databaseUrl: db.url, tls: world.tls,
      }));
    }
    const ports = (await Promise.all(children.map((c) => c.ready))).map((u) => Number(new URL(u).port));
    const one = await startTcpBalancer(ports.slice(0, 1));
    const three = await startTcpBalancer(ports);
    balancers.push(one, three);
    const w: World = { creds: seed.creds };

    // Warm-up (JIT, connection pools, prepared statements) on every instance, not measured.
    await measure(w, three);
    const runs = { one: [] as number[], three: [] as number[] };
    for (const which of ['one', 'three', 'three', 'one'] as const) {
      const perSecond = await measure(w, which === 'one' ? one : three);
      runs[which].push(perSecond);
      console.error(`scale: ${which === 'one' ? 1 : 3} instance(s): ${round(perSecond, 1)} answers/s`);
    }
    const value = round(mean(runs.three), 1);
    const baseline = round(mean(runs.one), 1);
    const cpus = os.cpus().length;
    return [{
      name: 'scale.answers_per_s_3_instances',
      value,
      unit: 'answers/s',
      baseline,
      ratio: ratioOf(value, baseline),
      note: `pull + answer, ${PULL.length} agencies × ${CLIENTS} clients, ${REQUESTS * PULL.length} messages a run, mean of 2 runs each (order 1,3,3,1), through a TCP balancer; baseline: 1 instance behind it, same run. `
        + `${cpus} CPU core(s) are shared by the gateway processes, PostgreSQL, Redis and the clients, so three processes cannot have more CPU than one: the ratio shows what the extra processes cost or gain on this machine, not what they would on separate hosts`,
    }];
  } finally {
    await Promise.allSettled(balancers.map((b) => b.close()));
    await Promise.allSettled(children.map((c) => c.kill()));
    await db.drop();
  }
}
