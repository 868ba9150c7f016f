import { afterAll, describe, expect, it } from 'vitest';
import { makeTestPki } from '../helpers/pki.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { eventually } from '../integration/exchange/fixtures.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';
import { checkExchangeInvariants, FaultClient, startPushReceiver, startTraffic, waitReady, type Traffic } from './traffic.js';

/**
 * PostgreSQL restarted (fast shutdown: every connection cut) under load. During the outage the
 * gateway answers, but never with a 2xx it cannot keep, and does not crash; /readyz says 503;
 * within 30 s of the database returning it is ready and working again, and nothing it answered
 * 2xx for is lost or repeated. The LISTEN connections (inbox wake-ups, certificate revocations)
 * come back too.
 */
describe.each(['redis', 'postgres'] as const)('PostgreSQL restarted under load (queue backend: %s)', (queue) => {
  const pki = makeTestPki();
  let pg: PrivatePostgres | undefined;
  let t: TestGateway | undefined;
  let receiver: Awaited<ReturnType<typeof startPushReceiver>> | undefined;
  let traffic: Traffic | undefined;
  let client: FaultClient | undefined;

  afterAll(async () => {
    await traffic?.stop();
    client?.close();
    await t?.stop();
    await receiver?.close();
    await pg?.destroy();
  });

  it('answers without crashing during the outage, recovers within 30 s, loses nothing', async () => {
    pg = await startPrivatePostgres();
    const db = await pg.createDatabase();
    receiver = await startPushReceiver(pki);
    t = await startTestGateway({
      queue, pki, db, push: { 'essex-police': receiver.url },
      // A push job in flight when the database went away is recovered by the stalled-job check
      // once its lock lapses (WORKER_LOCK_MS, 30 s by default; short here).
      env: { SWEEP_INTERVAL_MS: '1000', DELIVERY_MAX_ATTEMPTS: '10', WORKER_LOCK_MS: '3000' },
    });
    await waitReady(t.gateway.opsUrl, 200, 10_000);

    client = new FaultClient(t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), t.creds, 5000);
    traffic = await startTraffic({ client, pull: ['mse-hospitals', 'safe-steps-idva'], push: { 'essex-police': receiver }, requestEveryMs: 50 });
    await eventually(async () => traffic!.ledger.answered.size >= 15 && receiver!.received.length >= 3, 60_000, 100);

    await pg.stop();
    await waitReady(t.gateway.opsUrl, 503, 10_000);
    await new Promise((r) => setTimeout(r, 3000));
    const createdBefore = traffic.ledger.created.size;

    await pg.start();
    const recoveryMs = await waitReady(t.gateway.opsUrl, 200, 30_000);
    expect(recoveryMs).toBeLessThan(30_000);
    const pushedBefore = receiver.received.length;
    await eventually(async () => traffic!.ledger.created.size >= createdBefore + 8 && receiver!.received.length > pushedBefore, 30_000, 100);

    await traffic.drain(t.db.pool, 45_000, (id) => t!.gateway.deliveryJobs.state(id));
    await traffic.stop();
    await checkExchangeInvariants(t.db.pool, traffic.ledger, t.gateway.audit, [t.gateway.checkpointer.publicKey().publicKeyPem]);
    // Outage answers are clean problem responses with a stable code, never an unexplained 500.
    expect(Object.keys(traffic.ledger.serverErrors).filter((code) => code !== 'SERVICE_UNAVAILABLE')).toEqual([]);

    // The LISTEN connections are back (inbox wake-ups; certificate revocations from other processes).
    await eventually(async () => {
      const r = await t!.db.pool.query<{ q: string; n: number }>(
        `SELECT query AS q, count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND query IN ('LISTEN marac_inbox', 'LISTEN marac_identity') GROUP BY query`,
      );
      return r.rows.length === 2;
    }, 15_000, 250);
  }, 180_000);
});
