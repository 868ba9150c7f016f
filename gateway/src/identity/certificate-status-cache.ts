import pg from 'pg';
import type { FingerprintLookup } from './agency-types.js';

/**
 * Per-process cache of certificate lookups for the authenticator, so that 32 busy keep-alive
 * connections do not add a database round trip to every request.
 *
 * Freshness, in order of speed:
 *  1. a change made through this process's registry invalidates synchronously, before the
 *     registry call returns (revocation takes effect on the very next request here);
 *  2. a change made anywhere (another gateway process, the CLI, even a manual UPDATE) fires a
 *     trigger that NOTIFYs `marac_identity` on commit; a LISTENing process drops the entry within
 *     milliseconds;
 *  3. whatever happens to the LISTEN connection, no entry is used longer than `ttlMs`, which bounds
 *     the staleness across processes.
 * The cache stores facts (agency, certificate row), never a decision: expiry is judged on every
 * request against the current time.
 */
export interface CertificateStatusCache {
  get(fingerprint: string): Promise<FingerprintLookup | null>;
  /** Drop one certificate's entry, or everything. */
  invalidate(fingerprint?: string): void;
  /** LISTEN for changes from other processes; reconnects on failure. */
  listen(connectionString: string): Promise<void>;
  close(): Promise<void>;
  /** For tests and metrics. */
  readonly listening: boolean;
}

export const IDENTITY_CHANNEL = 'marac_identity';
const MAX_ENTRIES = 10_000;

interface Entry {
  value: Promise<FingerprintLookup | null>;
  expiresAt: number;
}

export function createCertificateStatusCache(opts: {
  load: (fingerprint: string) => Promise<FingerprintLookup | null>;
  /** 0 turns caching off: every request reads the database. */
  ttlMs: number;
  now?: () => number;
  onListenError?: (err: Error) => void;
  /**
   * Told of every identity change this cache hears of on its LISTEN connection: the NOTIFY payload
   * (`cert:<fingerprint>` or `agency:<id>`), or null when changes may have been missed (connection
   * lost, (re)connected, closed). The registry's agency cache rides on the same connection.
   */
  onChange?: (payload: string | null) => void;
}): CertificateStatusCache {
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();
  // Bumped by every invalidation: a load that started before a revocation must not be stored
  // after it, or it would resurrect the pre-revocation row.
  let generation = 0;
  let client: pg.Client | null = null;
  let listening = false;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;

  function invalidate(fingerprint?: string): void {
    generation++;
    if (fingerprint) entries.delete(fingerprint);
    else entries.clear();
  }

  function scheduleReconnect(connectionString: string): void {
    if (closed) return;
    retry = setTimeout(() => void connect(connectionString).catch(() => {}), 500);
    retry.unref();
  }

  async function connect(connectionString: string): Promise<void> {
    const c = new pg.Client({ connectionString, application_name: 'marac-gateway-identity-listen' });
    c.on('notification', (msg) => {
      const payload = msg.payload ?? '';
      if (payload.startsWith('cert:')) invalidate(payload.slice(5));
      else invalidate();
      opts.onChange?.(payload);
    });
    const lost = (err?: Error) => {
      if (client !== c) return;
      client = null;
      listening = false;
      // Whatever was missed while disconnected is unknown: forget everything.
      invalidate();
      opts.onChange?.(null);
      if (err) opts.onListenError?.(err);
      c.end().catch(() => {});
      scheduleReconnect(connectionString);
    };
    c.on('error', lost);
    c.on('end', () => lost());
    try {
      await c.connect();
      await c.query(`LISTEN ${IDENTITY_CHANNEL}`);
    } catch (err) {
      await c.end().catch(() => {});
      scheduleReconnect(connectionString);
      throw err;
    }
    if (closed) {
      await c.end().catch(() => {});
      return;
    }
    client = c;
    listening = true;
    invalidate();
    opts.onChange?.(null);
  }

  return {
    get listening() {
      return listening;
    },
    get(fingerprint) {
      if (opts.ttlMs <= 0) return opts.load(fingerprint);
      const t = now();
      const hit = entries.get(fingerprint);
      if (hit && hit.expiresAt > t) return hit.value;
      const startedAt = generation;
      const value = opts.load(fingerprint);
      if (entries.size >= MAX_ENTRIES) entries.clear();
      const entry: Entry = { value, expiresAt: t + opts.ttlMs };
      entries.set(fingerprint, entry);
      value.then(
        (found) => {
          // Unknown certificates are not remembered; failed or outdated loads are dropped.
          if (found === null || generation !== startedAt) {
            if (entries.get(fingerprint) === entry) entries.delete(fingerprint);
          }
        },
        () => {
          if (entries.get(fingerprint) === entry) entries.delete(fingerprint);
        },
      );
      return value;
    },
    invalidate,
    async listen(connectionString) {
      if (client) return;
      closed = false;
      await connect(connectionString);
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = null;
      listening = false;
      invalidate();
      opts.onChange?.(null);
      if (c) await c.end().catch(() => {});
    },
  };
}
