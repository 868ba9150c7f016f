import type { Agency } from './agency-types.js';

/**
 * Per-process cache of agency rows for the exchange (the sender of every answered message is
 * looked up to decide the response flow), kept fresh the same three ways as the certificate
 * status cache: a change through this process's registry invalidates synchronously; a change
 * anywhere fires the `agencies_notify` trigger, whose NOTIFY (`agency:<id>`) reaches the registry's
 * LISTEN connection within milliseconds; and no entry outlives `ttlMs`.
 *
 * Unlike the certificate cache the loader is given per call, not at construction: a lookup inside a
 * transaction must read through that transaction's client (a second pool connection taken while
 * holding one starved the pool under load once). For the same reason in-flight loads are not
 * shared between callers: each miss reads on its own client; only settled rows are kept.
 */
export interface AgencyCache {
  get(id: string, load: (id: string) => Promise<Agency | null>): Promise<Agency | null>;
  /** Drop one agency's entry, or everything. */
  invalidate(id?: string): void;
  /** For tests. */
  size(): number;
}

const MAX_ENTRIES = 10_000;

export function createAgencyCache(opts: { ttlMs: number; now?: () => number }): AgencyCache {
  const now = opts.now ?? Date.now;
  const entries = new Map<string, { agency: Agency; expiresAt: number }>();
  // Bumped by every invalidation: a load that started before a change must not be stored after it.
  let generation = 0;

  return {
    async get(id, load) {
      if (opts.ttlMs <= 0) return load(id);
      const hit = entries.get(id);
      if (hit && hit.expiresAt > now()) return hit.agency;
      const startedAt = generation;
      const agency = await load(id);
      // Unknown agencies are not remembered (registering one sends no NOTIFY).
      if (agency && generation === startedAt) {
        if (entries.size >= MAX_ENTRIES) entries.clear();
        entries.set(id, { agency, expiresAt: now() + opts.ttlMs });
      }
      return agency;
    },
    invalidate(id) {
      generation++;
      if (id === undefined) entries.clear();
      else entries.delete(id);
    },
    size: () => entries.size,
  };
}
