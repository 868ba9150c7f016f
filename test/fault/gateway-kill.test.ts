import { afterAll, describe, expect, it } from 'vitest';
import { makeTestPki } from '../helpers/pki.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { sharedWorld, spawnChildGateway, type ChildGateway } from './child-gateway.js';
import { eventually } from '../integration/exchange/fixtures.js';
import { checkExchangeInvariants, FaultClient, startPushReceiver, startTraffic, type Traffic } from './traffic.js';

/**
 * kill -9 a gateway process under load. All traffic (fan-outs, inbox reads, answers) goes to a
 * gateway in a child process that also runs workers; a second instance on the same database and
 * Redis survives. Mid-load the child is SIGKILLed; the clients move to the survivor and retry with
 * the same Idempotency-Keys. Nothing that got a 2xx may be lost, nothing may happen twice.
 */
describe('a gateway process killed with SIGKILL under load', () => {
  const pki = makeTestPki();
  let db: TestDatabase | undefined;
  let survivor: TestGateway | undefined;
  let child: ChildGateway | undefined;
  let receiver: Awaited<ReturnType<typeof startPushReceiver>> | undefined;
  let traffic: Traffic | undefined;
  let client: FaultClient | undefined;

  afterAll(async () => {
    await child?.kill();
    await traffic?.stop();
    client?.close();
    await survivor?.stop();
    await receiver?.close();
    await db?.drop();
  });

  it('loses no 2xx\'d message, duplicates none, and the audit chain verifies', async () => {
    receiver = await startPushReceiver(pki);
    db = await createTestDatabase();
    // Short worker locks so the survivor takes over the child's in-flight push jobs quickly.
    const world = sharedWorld(pki, {
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      WORKER_LOCK_MS: '2000', SWEEP_INTERVAL_MS: '1000', DELIVERY_MAX_ATTEMPTS: '10', DELIVERY_BACKOFF_MS: '100',
    });
    child = spawnChildGateway({ env: world.env, databaseUrl: db.url, tls: world.tls });
    survivor = await startTestGateway({ queue: 'redis', pki, db, sharedEnv: world.env, sharedTls: world.tls, push: { 'essex-police': receiver.url } });
    const childUrl = await child.ready;

    client = new FaultClient(childUrl, survivor.creds, 8000);
    traffic = await startTraffic({
      client,
      pull: ['mse-hospitals', 'chelmsford-housing', 'safe-steps-idva'],
      push: { 'essex-police': receiver },
      requestEveryMs: 40,
    });
    // Under load: requests being opened, delivered and answered when the process dies.
    await eventually(async () => traffic!.ledger.answered.size >= 30 && receiver!.received.length >= 5, 60_000, 100);
    await child.kill();
    const atKill = { created: traffic.ledger.created.size, answered: traffic.ledger.answered.size };

    // The clients fail over to the survivor (as a load balancer would) and carry on.
    client.baseUrl = survivor.gateway.agencyUrl.replace('localhost', '127.0.0.1');
    client.resetConnections();
    await eventually(async () => traffic!.ledger.created.size >= atKill.created + 12, 30_000, 100);

    // A pull message whose inbox answer died with the child is offered again after 60 s without
    // an acknowledgement (the adapter's copy may be lost): let that minute pass on the gateway's clock.
    await traffic.stopRequests();
    await new Promise((r) => setTimeout(r, 2500));
    const lostInFlight = (await survivor.db.pool.query<{ id: string }>(
      `SELECT id FROM messages WHERE state = 'delivered' AND delivery_mode = 'pull'`,
    )).rows.map((r) => r.id);
    if (lostInFlight.length > 0) survivor.clock.advance(61_000);
    await traffic.drain(survivor.db.pool, 45_000, (id) => survivor!.gateway.deliveryJobs.state(id));
    await traffic.stop();

    expect(traffic.ledger.answered.size).toBeGreaterThan(atKill.answered);
    await checkExchangeInvariants(survivor.db.pool, traffic.ledger, survivor.gateway.audit, [survivor.gateway.checkpointer.publicKey().publicKeyPem], {
      redeliveredPull: new Set(lostInFlight),
    });
    // Every push message reached the adapter (perhaps twice: adapters de-duplicate by messageId).
    const pushIds = (await survivor.db.pool.query<{ id: string }>(`SELECT id FROM messages WHERE delivery_mode = 'push'`)).rows.map((r) => r.id);
    const seen = new Set(receiver.received.map((m) => m.messageId));
    expect(pushIds.filter((id) => !seen.has(id))).toEqual([]);
  }, 180_000);
});
