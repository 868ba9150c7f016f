import type { RequestHandler } from 'express';

/**
 * Counts requests still being handled, so shutdown can wait for them before closing the pool.
 * A server's close() resolves once its sockets are gone, but a handler whose socket was cut (a
 * long-poll at the 5 s forced close) keeps running and would then query a closed pool.
 */
export function createInFlight(): { track: RequestHandler; drained(maxMs: number): Promise<boolean> } {
  let count = 0;
  let waiters: (() => void)[] = [];
  const settle = () => {
    if (count > 0) return;
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  return {
    track(_req, res, next) {
      count++;
      let done = false;
      const end = () => {
        if (done) return;
        done = true;
        count--;
        settle();
      };
      // Done when the handler (or the error handler) ends the answer, even on a socket that is
      // already gone ('finish' never comes then). Not on 'close': the handler may still be running.
      const originalEnd = res.end.bind(res) as (...args: unknown[]) => typeof res;
      res.end = ((...args: unknown[]) => {
        const out = originalEnd(...args);
        end();
        return out;
      }) as typeof res.end;
      res.once('finish', end);
      next();
    },
    drained(maxMs) {
      if (count === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), maxMs);
        timer.unref();
        waiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
  };
}
