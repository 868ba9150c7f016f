import { EventEmitter } from 'node:events';
import type pg from 'pg';
import type { Tx } from '../store/db.js';

const CHANNEL = 'marac_inbox';

/**
 * Wakes long-polling inbox readers. NOTIFY is sent inside the writer's transaction, so it fires
 * only on commit, and reaches every gateway instance LISTENing on the same database.
 */
export function createInboxSignal(pool: pg.Pool) {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  let client: pg.PoolClient | undefined;
  let closed = false;

  async function start(): Promise<void> {
    if (client || closed) return;
    const c = await pool.connect();
    client = c;
    c.on('notification', (n) => {
      if (n.channel === CHANNEL && n.payload) emitter.emit(n.payload);
    });
    c.on('error', () => {
      // The connection dropped (e.g. a database restart): reconnect shortly; readers still poll.
      client = undefined;
      c.release(true);
      if (!closed) setTimeout(() => start().catch(() => {}), 1000).unref();
    });
    await c.query(`LISTEN ${CHANNEL}`);
  }

  return {
    start,
    async notify(tx: Tx, agencyId: string): Promise<void> {
      await tx.query('SELECT pg_notify($1, $2)', [CHANNEL, agencyId]);
    },
    /** Resolves true when woken for this agency, false after `ms` or on abort. */
    wait(agencyId: string, ms: number, signal?: AbortSignal): Promise<boolean> {
      return new Promise((resolve) => {
        const done = (v: boolean) => {
          clearTimeout(timer);
          emitter.off(agencyId, onWake);
          signal?.removeEventListener('abort', onAbort);
          resolve(v);
        };
        const onWake = () => done(true);
        const onAbort = () => done(false);
        const timer = setTimeout(() => done(false), ms);
        emitter.on(agencyId, onWake);
        signal?.addEventListener('abort', onAbort);
      });
    },
    async close(): Promise<void> {
      closed = true;
      const c = client;
      client = undefined;
      if (c) {
        await c.query(`UNLISTEN ${CHANNEL}`).catch(() => {});
        c.release();
      }
    },
  };
}

export type InboxSignal = ReturnType<typeof createInboxSignal>;
