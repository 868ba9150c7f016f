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
  /** The LISTENing connection and how to let go of it (exactly once, whoever gets there first). */
  let client: { c: pg.PoolClient; drop: (broken: boolean) => void } | undefined;
  let closed = false;

  let retry: NodeJS.Timeout | undefined;

  /** Keeps trying (1 s, 2 s, … 10 s apart) until LISTEN is back or the signal is closed. */
  function reconnect(delayMs = 1000): void {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      start().catch(() => reconnect(Math.min(delayMs * 2, 10_000)));
    }, delayMs);
    retry.unref();
  }

  async function start(): Promise<void> {
    if (client || closed) return;
    const c = await pool.connect();
    let released = false;
    const mine = {
      c,
      drop(broken: boolean) {
        if (released) return;
        released = true;
        if (client === mine) client = undefined;
        c.off('notification', onNotification);
        c.release(broken);
      },
    };
    const onNotification = (n: pg.Notification) => {
      if (n.channel === CHANNEL && n.payload) emitter.emit(n.payload);
    };
    client = mine;
    c.on('notification', onNotification);
    c.on('error', () => {
      // The connection dropped (e.g. a database restart): reconnect; meanwhile readers poll.
      mine.drop(true);
      reconnect();
    });
    try {
      await c.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      mine.drop(true);
      throw err;
    }
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
      if (retry) clearTimeout(retry);
      const current = client;
      if (current) {
        await current.c.query(`UNLISTEN ${CHANNEL}`).catch(() => {});
        current.drop(false);
      }
    },
  };
}

export type InboxSignal = ReturnType<typeof createInboxSignal>;
