import type pg from 'pg';
import { CHECKPOINT_COLUMNS, rowToCheckpoint } from './checkpoint.js';
import { appendSignatureLines, noteCosignatures, parseWitnessKey, type WitnessKey } from './cosignature.js';
import { consistencyProof } from './proofs.js';
import type { Checkpoint } from './types.js';

/**
 * The gateway's side of c2sp.org/tlog-witness: each new checkpoint goes to every configured
 * witness with a consistency proof from the size that witness last cosigned; the cosignatures
 * that come back are checked against the witness's key and stored with the checkpoint.
 *
 * The exchange never waits for a witness: rounds run beside the maintenance job, one at a time
 * per process, with backoff while a witness is unreachable. When it returns, the next round sends
 * the latest checkpoint with a proof from the witness's last size, which covers everything signed
 * in between (catch-up is one request).
 */
export interface WitnessEndpoint {
  url: string;
  key: WitnessKey;
}

export type WitnessState =
  /** Cosigned the latest checkpoint. */
  | 'ok'
  /** Not asked yet in this process. */
  | 'unknown'
  /** Network error, timeout or 5xx: the gateway carries on and retries. */
  | 'unreachable'
  /** The witness said no: it has seen a bigger or different log (rollback, fork) or the proof failed. */
  | 'refused';

export interface WitnessEndpointStatus {
  witness: string;
  url: string;
  state: WitnessState;
  /** Stable code of the last failure (WITNESS_UNREACHABLE, WITNESS_AHEAD_OF_LOG, …). */
  code?: string;
  /** The size this witness last said it holds (from a cosignature or a 409). */
  witnessSize: number | null;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
}

export interface WitnessReport {
  enabled: boolean;
  status: 'ok' | 'degraded' | 'off';
  /** Largest checkpoint signed by the gateway. */
  latestSize: number;
  /** Largest checkpoint with a witness cosignature, and the cosignature's time. */
  witnessedSize: number;
  witnessedAt: string | null;
  /** Events signed but not yet witnessed. */
  unwitnessedEvents: number;
  /** How long the oldest unwitnessed checkpoint has waited (0 when the latest is witnessed). */
  lagSeconds: number;
  witnesses: WitnessEndpointStatus[];
}

export interface WitnessingOptions {
  pool: pg.Pool;
  endpoints: WitnessEndpoint[];
  now?: () => Date;
  timeoutMs?: number;
  /** Longest wait between rounds while a witness fails (doubles from 1 s up to this). */
  maxBackoffMs?: number;
  logger?: { warn(msg: string, meta?: Record<string, unknown>): void; error(msg: string, meta?: Record<string, unknown>): void };
  fetch?: typeof fetch;
}

export interface Witnessing {
  readonly enabled: boolean;
  readonly endpoints: readonly WitnessEndpoint[];
  /** Starts a round unless one is running or the backoff says wait. Never throws. */
  nudge(): void;
  /** Runs a round now (after any running one) and returns the statuses. */
  submit(): Promise<WitnessEndpointStatus[]>;
  report(): Promise<WitnessReport>;
  /** The latest checkpoint cosigned by a configured witness, cosignature lines in its note. */
  latestWitnessed(): Promise<Checkpoint | null>;
  /**
   * Each witness's own latest cosigned checkpoint (GET /latest at the witness), verified: what an
   * auditor should trust over anything the gateway's database says. Unreachable witnesses are left out.
   */
  fromWitnesses(origin: string): Promise<{ witness: string; note: string; treeSize: number; rootHash: string; cosignedAt: number }[]>;
}

const BASE_BACKOFF_MS = 1000;
/** Unwitnessed for longer than this, with every witness answering, still counts as degraded. */
const LAG_ALERT_S = 120;

export function parseWitnessEndpoints(urls: readonly string[], keys: readonly string[]): WitnessEndpoint[] {
  if (urls.length !== keys.length) throw new Error('give one witness key per witness URL');
  return urls.map((url, i) => ({ url: url.replace(/\/+$/, ''), key: parseWitnessKey(keys[i]!) }));
}

export function createWitnessing(opts: WitnessingOptions): Witnessing {
  const now = opts.now ?? (() => new Date());
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  const witnessKeys = opts.endpoints.map((e) => e.key);
  const status = new Map<WitnessEndpoint, WitnessEndpointStatus>(opts.endpoints.map((e) => [e, {
    witness: e.key.name, url: e.url, state: 'unknown', witnessSize: null, lastAttemptAt: null, lastSuccessAt: null,
  }]));
  let failures = 0;
  let notBefore = 0;
  let running: Promise<WitnessEndpointStatus[]> | null = null;

  async function latestCheckpoint(): Promise<{ treeSize: number; note: string } | null> {
    // The gateway's own note, without cosignature lines: that is what a witness cosigns.
    const r = await opts.pool.query<{ tree_size: string; note: string }>('SELECT tree_size, note FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1');
    return r.rows[0] ? { treeSize: Number(r.rows[0].tree_size), note: r.rows[0].note } : null;
  }

  async function storedSize(e: WitnessEndpoint): Promise<number> {
    const r = await opts.pool.query<{ size: string | null }>(
      'SELECT max(tree_size) AS size FROM audit_cosignatures WHERE witness = $1 AND key_hash = $2', [e.key.name, e.key.keyHash],
    );
    return Number(r.rows[0]?.size ?? 0);
  }

  async function post(e: WitnessEndpoint, body: string): Promise<{ status: number; type: string; text: string }> {
    const res = await doFetch(`${e.url}/add-checkpoint`, {
      method: 'POST', body, headers: { 'content-type': 'text/plain; charset=utf-8' }, signal: AbortSignal.timeout(timeoutMs), redirect: 'error',
    });
    const text = (await res.text()).slice(0, 4096);
    return { status: res.status, type: res.headers.get('content-type') ?? '', text };
  }

  async function submitTo(e: WitnessEndpoint, latest: { treeSize: number; note: string }): Promise<void> {
    const st = status.get(e)!;
    st.lastAttemptAt = now().toISOString();
    const fail = (state: WitnessState, code: string, witnessSize?: number) => {
      st.state = state;
      st.code = code;
      if (witnessSize !== undefined) st.witnessSize = witnessSize;
    };
    let old = st.witnessSize ?? (await storedSize(e));
    // At most two tries: the second with the size a 409 told us (another instance, or a lost answer).
    for (let attempt = 0; attempt < 2; attempt++) {
      if (old > latest.treeSize) {
        opts.logger?.error('a witness holds a larger audit log than this database: the log may have been cut back or restored', { witness: e.key.name, witnessSize: old, logSize: latest.treeSize });
        return fail('refused', 'WITNESS_AHEAD_OF_LOG', old);
      }
      const proof = old === 0 || old === latest.treeSize ? [] : (await consistencyProof(opts.pool, old, latest.treeSize)).hashes;
      let res;
      try {
        res = await post(e, `old ${old}\n${proof.map((h) => `${h}\n`).join('')}\n${latest.note}`);
      } catch {
        return fail('unreachable', 'WITNESS_UNREACHABLE');
      }
      if (res.status === 200) {
        const lines = res.text.split('\n').filter(Boolean).map((l) => `${l}\n`);
        // No clock check here: the gateway's clock says nothing about the witness's honesty.
        const cos = noteCosignatures(appendSignatureLines(latest.note, lines), [e.key]);
        if (cos.length === 0) return fail('refused', 'WITNESS_COSIGNATURE_INVALID');
        for (const c of cos) {
          await opts.pool.query(
            `INSERT INTO audit_cosignatures (tree_size, witness, key_hash, cosigned_at, line) VALUES ($1, $2, $3, to_timestamp($4), $5)
             ON CONFLICT DO NOTHING`,
            [latest.treeSize, c.witness, c.keyHash, c.time, c.line],
          );
        }
        st.state = 'ok';
        delete st.code;
        st.witnessSize = latest.treeSize;
        st.lastSuccessAt = now().toISOString();
        return;
      }
      if (res.status === 409 && /^\d{1,16}\n?$/.test(res.text)) {
        const size = Number(res.text.trim());
        if (size === old) {
          // Same size, other root: the witness holds a different log of this size (a fork).
          opts.logger?.error('a witness refused the audit checkpoint: it cosigned another root for this size', { witness: e.key.name, size });
          return fail('refused', 'WITNESS_CONFLICT', size);
        }
        old = size;
        st.witnessSize = size;
        continue;
      }
      if (res.status === 422) {
        opts.logger?.error('a witness refused the audit checkpoint: not consistent with what it cosigned before', { witness: e.key.name, from: old, to: latest.treeSize });
        return fail('refused', 'WITNESS_PROOF_REFUSED', old);
      }
      if (res.status >= 500) return fail('unreachable', 'WITNESS_UNREACHABLE');
      return fail('refused', `WITNESS_REFUSED_${res.status}`);
    }
    return fail('refused', 'WITNESS_CONFLICT');
  }

  async function round(): Promise<WitnessEndpointStatus[]> {
    const latest = await latestCheckpoint();
    if (latest) {
      const behind = opts.endpoints.filter((e) => status.get(e)!.state !== 'ok' || status.get(e)!.witnessSize !== latest.treeSize);
      await Promise.all(behind.map((e) => submitTo(e, latest).catch((err) => {
        opts.logger?.warn('witness round failed', { witness: e.key.name, err });
        const st = status.get(e)!;
        st.state = 'unreachable';
        st.code = 'WITNESS_ROUND_FAILED';
      })));
    }
    const all = [...status.values()];
    if (all.some((s) => s.state !== 'ok' && s.state !== 'unknown')) {
      failures++;
      notBefore = Date.now() + Math.min(maxBackoff, BASE_BACKOFF_MS * 2 ** Math.min(failures - 1, 16));
    } else {
      failures = 0;
      notBefore = 0;
    }
    return all.map((s) => ({ ...s }));
  }

  function runRound(): Promise<WitnessEndpointStatus[]> {
    const p = (running ?? Promise.resolve([] as WitnessEndpointStatus[])).catch(() => []).then(() => round());
    running = p;
    void p.finally(() => {
      if (running === p) running = null;
    }).catch(() => {});
    return p;
  }

  async function latestWitnessed(): Promise<Checkpoint | null> {
    if (opts.endpoints.length === 0) return null;
    const r = await opts.pool.query(
      `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE tree_size = (
         SELECT max(tree_size) FROM audit_cosignatures WHERE (witness, key_hash) IN (SELECT * FROM unnest($1::text[], $2::bytea[])))`,
      [witnessKeys.map((k) => k.name), witnessKeys.map((k) => k.keyHash)],
    );
    return r.rows[0] ? rowToCheckpoint(r.rows[0]) : null;
  }

  return {
    enabled: opts.endpoints.length > 0,
    endpoints: opts.endpoints,

    nudge() {
      if (opts.endpoints.length === 0 || running || Date.now() < notBefore) return;
      runRound().catch((err) => opts.logger?.warn('witness round failed', { err }));
    },

    submit: () => (opts.endpoints.length === 0 ? Promise.resolve([]) : runRound()),

    async report(): Promise<WitnessReport> {
      const witnesses = [...status.values()].map((s) => ({ ...s }));
      if (opts.endpoints.length === 0) {
        return { enabled: false, status: 'off', latestSize: 0, witnessedSize: 0, witnessedAt: null, unwitnessedEvents: 0, lagSeconds: 0, witnesses };
      }
      const latest = await latestCheckpoint();
      const w = await opts.pool.query<{ tree_size: string; cosigned_at: Date }>(
        `SELECT tree_size, cosigned_at FROM audit_cosignatures WHERE (witness, key_hash) IN (SELECT * FROM unnest($1::text[], $2::bytea[]))
         ORDER BY tree_size DESC, cosigned_at DESC LIMIT 1`,
        [witnessKeys.map((k) => k.name), witnessKeys.map((k) => k.keyHash)],
      );
      const latestSize = latest?.treeSize ?? 0;
      const witnessedSize = Number(w.rows[0]?.tree_size ?? 0);
      let lagSeconds = 0;
      if (latestSize > witnessedSize) {
        const first = await opts.pool.query<{ ts: Date }>('SELECT min(ts) AS ts FROM audit_checkpoints WHERE tree_size > $1', [witnessedSize]);
        const since = first.rows[0]?.ts;
        lagSeconds = since ? Math.max(0, Math.round((now().getTime() - since.getTime()) / 1000)) : 0;
      }
      const healthy = witnesses.every((s) => s.state === 'ok' || s.state === 'unknown');
      return {
        enabled: true,
        status: healthy && lagSeconds <= LAG_ALERT_S ? 'ok' : 'degraded',
        latestSize,
        witnessedSize,
        witnessedAt: w.rows[0] ? w.rows[0].cosigned_at.toISOString() : null,
        unwitnessedEvents: Math.max(0, latestSize - witnessedSize),
        lagSeconds,
        witnesses,
      };
    },

    latestWitnessed,

    async fromWitnesses(origin) {
      const out: Awaited<ReturnType<Witnessing['fromWitnesses']>> = [];
      await Promise.all(opts.endpoints.map(async (e) => {
        try {
          const res = await doFetch(`${e.url}/latest?origin=${encodeURIComponent(origin)}`, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
          if (res.status !== 200) return;
          const note = (await res.text()).slice(0, 12_000);
          const cos = noteCosignatures(note, [e.key]);
          const head = note.split('\n');
          if (cos.length === 0 || head[0] !== origin) return;
          out.push({ witness: e.key.name, note, treeSize: Number(head[1]), rootHash: head[2]!, cosignedAt: cos[0]!.time });
        } catch {
          // Unreachable: the caller says so.
        }
      }));
      return out;
    },
  };
}
