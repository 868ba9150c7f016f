import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { sampleCase } from './fixtures.js';

/**
 * Transactional outbox: the message row commits first and the job is only a nudge. If the job is
 * lost (the process died between commit and enqueue, or the queue lost it), the sweeper re-adds it.
 */
describe.each(['redis', 'postgres'] as const)('outbox sweeper (queue backend: %s)', (queue) => {
  let t: TestGateway;
  beforeAll(async () => {
    // No workers: jobs stay where the test can see them; the receiver URL is never called.
    t = await startTestGateway({ queue, workers: false, push: { 'essex-police': 'https://127.0.0.1:9/never' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('re-adds the delivery job of a queued push message whose job was lost', async () => {
    const c = await t.as('essex-marat').post('/v1/cases', sampleCase());
    const r = await t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['essex-police'] });
    const messageId = r.body.messages[0].messageId;
    expect(await t.gateway.deliveryJobs.state(messageId)).toBe('waiting');

    const job = await t.gateway.deliveryJobs.queue.getJob(messageId);
    await job!.remove();
    expect(await t.gateway.deliveryJobs.state(messageId)).toBeUndefined();

    const swept = (await t.gateway.sweepNow()) as { requeued: number };
    expect(swept.requeued).toBe(1);
    expect(await t.gateway.deliveryJobs.state(messageId)).toBe('waiting');

    // Idempotent: sweeping again does not add a second job for the same message.
    await t.gateway.sweepNow();
    const counts = await t.gateway.deliveryJobs.queue.getJobCounts('waiting');
    expect(counts.waiting).toBe(1);
  });
});
