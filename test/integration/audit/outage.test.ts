import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../../gateway/src/audit/index.js';
import { withTx } from '../../../gateway/src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { viewRead } from './helpers.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('sequencer outage', () => {
  it('reports health, and refuses appends (AUDIT_UNAVAILABLE) once the sequencer has been down too long', async () => {
    // A batch size the database refuses makes every sequencing attempt fail.
    const broken = createAuditLog({ pool: db.pool, batchSize: -1, pollMs: 5, maxSequencerOutageMs: 0 });
    await broken.start();
    try {
      await withTx(db.pool, (tx) => broken.append(tx, viewRead(1)));
      const deadline = Date.now() + 5000;
      while ((await broken.health()).failingSince === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const health = await broken.health();
      expect(health).toMatchObject({ running: true, pending: 1, lastSequencedAt: null });
      expect(health.failingSince).not.toBeNull();
      await expect(withTx(db.pool, (tx) => broken.append(tx, viewRead(2)))).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE', status: 503 });
    } finally {
      await broken.stop();
    }
    // A healthy sequencer picks up what was committed meanwhile.
    const healthy = createAuditLog({ pool: db.pool });
    await healthy.flush();
    expect(await healthy.health()).toMatchObject({ running: false, pending: 0, failingSince: null });
    expect((await db.pool.query('SELECT count(*)::int AS n FROM audit_events')).rows[0].n).toBe(1);
  });
});
