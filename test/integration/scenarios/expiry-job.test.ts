/**
 * The repeatable `expire` maintenance job: the gateway's own worker marks agreement versions past
 * their `expiresAt` as expired (audited as the system), so the store says what decisions already
 * enforce by date.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueueBackend } from '../../../gateway/src/queue/backend.js';
import { createMaintenanceQueue } from '../../../gateway/src/queue/maintenance-queue.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { eventually } from '../exchange/fixtures.js';
import { CLOCK, auditRows, openCase, requestResearch } from './world.js';

describe('agreement expiry job', () => {
  let t: TestGateway;
  let maintenance: ReturnType<typeof createMaintenanceQueue>;

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis' });
    t.clock.set(CLOCK);
    // A second handle on the gateway's own maintenance queue (same Redis, same prefix).
    maintenance = createMaintenanceQueue(createQueueBackend({ redisUrl: t.env.REDIS_URL!, prefix: t.env.QUEUE_PREFIX! }));
  });
  afterAll(async () => {
    await maintenance?.queue.close();
    await t?.stop();
  });

  const status = async (id: string) => (await t.gateway.agreements.get(id, 1)).status;

  /** Runs the task once through the gateway's worker and returns what it returned (versions expired). */
  async function runExpireJob(): Promise<unknown> {
    const job = await maintenance.queue.add('expire', { task: 'expire' });
    return eventually(async () => {
      const j = await maintenance.queue.getJob(job.id!);
      return (await j?.getState()) === 'completed' ? { value: j!.returnvalue } : undefined;
    }).then((r) => r.value);
  }

  it('is scheduled hourly next to the other maintenance jobs', async () => {
    const schedulers = await maintenance.queue.getJobSchedulers();
    const expire = schedulers.find((s) => s.key === 'expire' || s.id === 'expire');
    expect(expire, JSON.stringify(schedulers)).toBeDefined();
    expect(Number(expire!.every)).toBe(3_600_000);
  });

  it('leaves agreements in date alone', async () => {
    expect(await runExpireJob()).toBe(0);
    expect(await status('essex-marat')).toBe('active');
    expect(await status('essex-southend-transfer')).toBe('active');
  });

  it('once the clock passes expiresAt, the worker marks every version expired, audited as the system', async () => {
    t.clock.set('2028-01-02T09:00:00Z');
    expect(await runExpireJob()).toBe(2);
    expect(await status('essex-marat')).toBe('expired');
    expect(await status('essex-southend-transfer')).toBe('expired');
    const events = await auditRows(t, `action = 'AGREEMENT_EXPIRED'`);
    expect(events.map((e) => [e.agreement_id, e.agreement_version]).sort()).toEqual([['essex-marat', 1], ['essex-southend-transfer', 1]]);
    for (const e of events) expect(e.event.actor).toEqual({ kind: 'system', component: 'agreement-expiry' });
    // Nothing active: a new request is refused, and the expired version in force says why (issue 12).
    const { caseId } = await openCase(t);
    const r = await requestResearch(t, caseId, ['essex-police']);
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: 'ALL_RECIPIENTS_REFUSED', reason: 'ISA_EXPIRED' });
  });
});
