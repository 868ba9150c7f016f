import type pg from 'pg';
import type { Tx } from '../store/db.js';

/**
 * A stand-in pool whose one "connection" is a savepoint inside the caller's transaction.
 *
 * The case service opens its own transaction (`withTx(pool, …)`) to write a case and its audit
 * event. Accepting a referral must commit the case, the referral's new state and both audit events
 * together or not at all: a case without its accepted referral, or an accepted referral without its
 * case, would each be a lie in the record. Handing the case service this pool runs its BEGIN /
 * COMMIT / ROLLBACK as a savepoint of the referral's transaction, without changing the service.
 * (Follow-up: let createCase take the caller's transaction and drop this.)
 */
export function savepointPool(tx: Tx, name = 'open_case'): pg.Pool {
  const control: Record<string, string> = {
    BEGIN: `SAVEPOINT ${name}`,
    COMMIT: `RELEASE SAVEPOINT ${name}`,
    ROLLBACK: `ROLLBACK TO SAVEPOINT ${name}`,
  };
  const client = new Proxy(tx, {
    get(target, prop, receiver) {
      if (prop === 'release') return () => {};
      if (prop === 'query') {
        return (text: unknown, ...rest: unknown[]) => {
          const mapped = typeof text === 'string' ? control[text.trim().toUpperCase()] : undefined;
          return mapped ? target.query(mapped) : (target.query as (...a: unknown[]) => unknown)(text, ...rest);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const pool = {
    connect: async () => client,
    query: (...args: unknown[]) => (tx.query as (...a: unknown[]) => unknown)(...args),
  };
  return pool as unknown as pg.Pool;
}
