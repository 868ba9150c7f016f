import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTestPki } from '../helpers/pki.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestGateway } from '../helpers/gateway.js';
import { eventually } from '../integration/exchange/fixtures.js';
import { exportEvents } from '../../gateway/src/audit/export.js';
import { verifyExport } from '../../gateway/src/audit/verify.js';
import { sharedWorld, spawnChildGateway, type ChildGateway } from './child-gateway.js';
import { startTcpBalancer, type TcpBalancer } from './tcp-balancer.js';
import { checkExchangeInvariants, FaultClient, startPushReceiver, startTraffic, type Traffic } from './traffic.js';

const INSTANCES = 3;
const PULL = ['mse-hospitals', 'chelmsford-housing', 'safe-steps-idva'];
const PUSH = ['essex-police', 'essex-childrens-services'];
/** How far SIGUSR2 moves a child's clock: past the 60 s after which an unacknowledged pull message is offered again. */
const CLOCK_STEP_MS = 61_000;

/**
 * Scale-out with separate OS processes: three gateway processes (each with its own workers and its
 * own checkpoint key) on one PostgreSQL database and one Redis queue prefix, behind a round-robin
 * TCP balancer on loopback (TLS passes through it, so each gateway identifies the agency by its
 * client certificate). A coordinator fans research requests out to three pull agencies (polling
 * and answering through the balancer) and two push agencies (receivers started here, answering
 * through the balancer). Mid-run one process is killed with SIGKILL; the balancer skips it and the
 * clients retry with the same Idempotency-Keys.
 *
 * Then: every message a 201 promised exists and is answered, exactly once (one response row and one
 * RESPONSE_RECEIVED per message); no message delivered twice except a pull message whose hand-over
 * died with the process (offered again after 60 s by design, docs/operations.md); every push
 * message reached its receiver (perhaps twice: adapters de-duplicate by messageId); the audit
 * export verifies as one log, with checkpoints signed by each of the three instances, and fails
 * without any one of their keys.
 *
 * No timing assertions: every wait polls for a condition, with generous limits.
 */
describe('three gateway processes behind a TCP balancer, one killed mid-run', () => {
  const pki = makeTestPki();
  let db: TestDatabase | undefined;
  const children: ChildGateway[] = [];
  let balancer: TcpBalancer | undefined;
  let receivers: Awaited<ReturnType<typeof startPushReceiver>>[] = [];
  let traffic: Traffic | undefined;
  let client: FaultClient | undefined;

  afterAll(async () => {
    await traffic?.stop();
    client?.close();
    await Promise.allSettled(children.map((c) => c.kill()));
    await balancer?.close();
    await Promise.allSettled(receivers.map((r) => r.close()));
    await db?.drop();
  });

  it('loses nothing, answers nothing twice, and checkpoints from every instance verify as one log', async () => {
    receivers = await Promise.all(PUSH.map(() => startPushReceiver(pki)));
    const pushUrls = Object.fromEntries(PUSH.map((a, i) => [a, receivers[i]!.url]));
    db = await createTestDatabase();
    const world = sharedWorld(pki, {
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      // Short worker locks so a survivor takes over the killed process's push jobs soon.
      WORKER_LOCK_MS: '2000', SWEEP_INTERVAL_MS: '1000', DELIVERY_MAX_ATTEMPTS: '10', DELIVERY_BACKOFF_MS: '100',
      // Frequent checkpoints, so each instance's maintenance worker signs some.
      CHECKPOINT_INTERVAL_MS: '200',
      NOTIFICATIONS_TRANSPORT: 'off',
      AGENCY_RATE_PER_SECOND: '100000', AGENCY_RATE_BURST: '100000', AGENCY_MAX_CONCURRENT: '1000', AGENCY_MAX_LONG_POLLS: '1000',
    });
    // The world (agencies, certificates, push URLs, agreements) is made by an instance in this
    // process, stopped before the three processes start.
    const seed = await startTestGateway({ queue: 'redis', pki, db, sharedEnv: world.env, sharedTls: world.tls, workers: false, push: pushUrls });
    await seed.stop();

    const keys = Array.from({ length: INSTANCES }, (_, i) => {
      const privateKey = generateKeyPairSync('ed25519').privateKey;
      return {
        keyId: `gateway-${i + 1}`,
        privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        publicPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
      };
    });
    for (const k of keys) {
      children.push(spawnChildGateway({
        env: { ...world.env, AUDIT_SIGNING_KEY_PEM: k.privatePem, AUDIT_KEY_ID: k.keyId },
        databaseUrl: db.url, tls: world.tls, clockStepMs: CLOCK_STEP_MS,
      }));
    }
    const urls = await Promise.all(children.map((c) => c.ready));
    expect(new Set(children.map((c) => c.pid)).size).toBe(INSTANCES);
    balancer = await startTcpBalancer(urls.map((u) => Number(new URL(u).port)));

    client = new FaultClient(balancer.url, seed.creds, 15_000);
    traffic = await startTraffic({ client, pull: PULL, push: Object.fromEntries(PUSH.map((a, i) => [a, receivers[i]!])), requestEveryMs: 40 });
    const pool = db.pool;
    const signers = async () => (await pool.query<{ key_id: string }>('SELECT DISTINCT key_id FROM audit_checkpoints ORDER BY key_id')).rows.map((r) => r.key_id);

    // Under load, with every instance having served connections and signed a checkpoint.
    await eventually(async () => traffic!.ledger.answered.size >= 30
      && receivers.every((r) => r.received.length >= 3)
      && balancer!.hits.every((h) => h > 0)
      && (await signers()).length === INSTANCES, 90_000, 200);
    const victim = 1;
    await children[victim]!.kill();
    const atKill = { created: traffic.ledger.created.size, answered: traffic.ledger.answered.size };
    const survivors = children.filter((_, i) => i !== victim);

    // The balancer skips the dead process; the traffic carries on through the two survivors.
    await eventually(async () => traffic!.ledger.created.size >= atKill.created + 12
      && traffic!.ledger.answered.size >= atKill.answered + 30, 90_000, 200);
    await traffic.stopRequests();

    // A pull message whose inbox answer died with the process stays 'delivered' until 60 s pass
    // without an acknowledgement. Wait until nothing is queued and the delivered ones no longer
    // change (everything else got answered), then move the survivors' clocks past the minute.
    const deliveredPull = async () => (await pool.query<{ id: string }>(
      `SELECT id FROM messages WHERE state = 'delivered' AND delivery_mode = 'pull' ORDER BY id`,
    )).rows.map((r) => r.id).join(',');
    await eventually(async () => (await pool.query(`SELECT 1 FROM messages WHERE state = 'queued' AND delivery_mode = 'pull'`)).rowCount === 0, 60_000, 200);
    let before = await deliveredPull();
    await eventually(async () => {
      const now = await deliveredPull();
      const stable = now === before;
      before = now;
      return stable;
    }, 60_000, 1000);
    const lostInFlight = new Set(before ? before.split(',') : []);
    if (lostInFlight.size > 0) for (const s of survivors) process.kill(s.pid, 'SIGUSR2');
    await traffic.drain(pool, 90_000);
    await traffic.stop();

    expect(balancer.refused[victim], 'the balancer skipped the dead process').toBeGreaterThan(0);
    expect(traffic.ledger.answered.size).toBeGreaterThan(atKill.answered);

    // Every message answered: none failed or went overdue, whichever process held it.
    const states = (await pool.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM messages GROUP BY state')).rows;
    expect(states.map((s) => s.state)).toEqual(['responded']);

    // Every push message reached its adapter, and its hand-over is recorded once.
    const pushed = (await pool.query<{ id: string; recipient_agency_id: string }>(
      `SELECT id, recipient_agency_id FROM messages WHERE delivery_mode = 'push'`,
    )).rows;
    expect(pushed.length).toBeGreaterThan(0);
    for (const m of pushed) {
      const seen = receivers[PUSH.indexOf(m.recipient_agency_id)]!.received.some((r) => r.messageId === m.id);
      expect(seen, `push message ${m.id} never reached its receiver`).toBe(true);
    }
    const pushDelivered = (await pool.query<{ message_id: string; n: number }>(
      `SELECT message_id, count(*)::int AS n FROM audit_events WHERE action = 'DELIVERED' AND message_id = ANY($1::text[]) GROUP BY message_id`,
      [pushed.map((m) => m.id)],
    )).rows;
    expect(pushDelivered).toHaveLength(pushed.length);
    expect(pushDelivered.filter((r) => r.n !== 1)).toEqual([]);

    // All audit events sequenced, and a checkpoint (signed by a survivor) covering all of them.
    const sequenced = { async flush() {
      await eventually(async () => {
        const pending = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_pending')).rows[0]!.n;
        if (pending > 0) return false;
        const r = await pool.query<{ events: number; signed: number }>(
          'SELECT (SELECT count(*)::int FROM audit_events) AS events, (SELECT coalesce(max(tree_size), 0)::int FROM audit_checkpoints) AS signed',
        );
        return r.rows[0]!.signed >= r.rows[0]!.events;
      }, 60_000, 200);
    } };
    await checkExchangeInvariants(pool, traffic.ledger, sequenced, keys.map((k) => k.publicPem), { redeliveredPull: lostInFlight });

    // Checkpoints from all three processes (the killed one included) verify in one log: an export
    // that keeps every checkpoint in line (not thinned to one per 1000 events) verifies with the
    // three published keys, and fails without any one of them.
    expect(await signers()).toEqual(keys.map((k) => k.keyId));
    const lines: string[] = [];
    for await (const chunk of exportEvents(pool, {}, 'ndjson', { origin: 'marac-gateway', checkpointEvery: 1 })) lines.push(chunk);
    const inLine = new Set(lines.join('').split('\n').filter((l) => l.includes('"type":"checkpoint"')).map((l) => JSON.parse(l).keyId));
    expect([...inLine].sort()).toEqual(keys.map((k) => k.keyId));
    expect(await verifyExport(lines, { publicKeys: keys.map((k) => k.publicPem), origin: 'marac-gateway' })).toMatchObject({ ok: true });
    for (let i = 0; i < INSTANCES; i++) {
      const others = keys.filter((_, j) => j !== i).map((k) => k.publicPem);
      const r = await verifyExport(lines, { publicKeys: others, origin: 'marac-gateway' });
      expect(r.ok, `the export verified without ${keys[i]!.keyId}'s key`).toBe(false);
    }
  }, 240_000);
});
