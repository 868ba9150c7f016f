import { afterAll, describe, expect, it } from 'vitest';
import { makeTestPki } from '../helpers/pki.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { eventually } from '../integration/exchange/fixtures.js';
import { startPrivateRedis, type PrivateRedis } from './private-redis.js';
import { checkExchangeInvariants, FaultClient, startPushReceiver, startTraffic, waitReady, type Traffic } from './traffic.js';

/**
 * Redis stopped and started again (empty: no persistence, as after a failover to a replica that
 * had not caught up) while requests, answers and push deliveries are running. The gateway must
 * say it is not ready while Redis is away, be ready again within 30 s of its return, and lose
 * nothing it answered 2xx for: the outbox sweeper re-creates the delivery jobs Redis forgot.
 */
describe('Redis stopped and restarted under load', () => {
  const pki = makeTestPki();
  let redis: PrivateRedis | undefined;
  let t: TestGateway | undefined;
  let receiver: Awaited<ReturnType<typeof startPushReceiver>> | undefined;
  let traffic: Traffic | undefined;
  let client: FaultClient | undefined;

  afterAll(async () => {
    await traffic?.stop();
    client?.close();
    await t?.stop();
    await receiver?.close();
    await redis?.kill();
  });

  it('goes not-ready, recovers within 30 s of Redis returning, and loses or repeats nothing', async () => {
    redis = await startPrivateRedis();
    // While `refusing`, the adapter answers 503: its messages' jobs sit in Redis in backoff, so
    // the Redis restart loses them and only the outbox sweeper can bring them back.
    let refusing = false;
    receiver = await startPushReceiver(pki, () => (refusing ? 503 : 202));
    t = await startTestGateway({
      queue: 'redis', pki, push: { 'essex-police': receiver.url },
      env: { REDIS_URL: redis.url, SWEEP_INTERVAL_MS: '1000', DELIVERY_MAX_ATTEMPTS: '10' },
    });
    await waitReady(t.gateway.opsUrl, 200, 10_000);

    client = new FaultClient(t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), t.creds, 5000);
    traffic = await startTraffic({ client, pull: ['mse-hospitals', 'safe-steps-idva'], push: { 'essex-police': receiver }, requestEveryMs: 50 });
    await eventually(async () => traffic!.ledger.answered.size >= 15 && receiver!.received.length >= 3, 60_000, 100);

    refusing = true;
    await new Promise((r) => setTimeout(r, 1000));
    await redis.kill();
    await waitReady(t.gateway.opsUrl, 503, 10_000);
    const createdDuringOutage = traffic.ledger.created.size;
    // Traffic keeps coming for a while with Redis away.
    await new Promise((r) => setTimeout(r, 4000));
    const duringOutage = traffic.ledger.created.size - createdDuringOutage;

    refusing = false;
    await redis.start();
    const recoveryMs = await waitReady(t.gateway.opsUrl, 200, 30_000);
    expect(recoveryMs).toBeLessThan(30_000);
    // And it does real work again: new requests are opened and pushed.
    const before = { created: traffic.ledger.created.size, pushed: receiver.received.length };
    await eventually(async () => traffic!.ledger.created.size >= before.created + 8 && receiver!.received.length > before.pushed, 30_000, 100);

    await traffic.drain(t.db.pool, 45_000, (id) => t!.gateway.deliveryJobs.state(id));
    await traffic.stop();
    await checkExchangeInvariants(t.db.pool, traffic.ledger, t.gateway.audit, [t.gateway.checkpointer.publicKey().publicKeyPem]);
    // Pull traffic needs no Redis: the exchange kept working through the outage.
    expect(duringOutage).toBeGreaterThan(0);
    expect(traffic.ledger.serverErrors).toEqual({});
    const pushIds = (await t.db.pool.query<{ id: string }>(`SELECT id FROM messages WHERE delivery_mode = 'push'`)).rows.map((r) => r.id);
    const seen = new Set(receiver.received.map((m) => m.messageId));
    expect(pushIds.filter((id) => !seen.has(id))).toEqual([]);
  }, 180_000);
});
