/**
 * Per-case data keys (envelope encryption; docs/decisions/0024-retention-case-keys.md).
 *
 * Every case and every referral has its own random 256-bit key, stored in `keystore.case_keys`
 * wrapped under the master sealing key (aad = the key id). Values sealed about the case carry the
 * key id `case:<caseId>` (a referral's: `referral:<referralId>`), which no master key id can be
 * (those have no `:`), so a reader needs nothing but the sealed value to know which key opens it.
 * At the end of retention the purge destroys the key: what was sealed under it, in this database
 * or in any copy of it, no longer opens.
 *
 * Call sites keep the `Sealer` interface: `sealerFor(sealer, db, keyId)` gives a sealer that seals
 * under the case's key, `openerFor(sealer, db, keyIds)` one that opens values under any of the
 * keys named (and, as before, under master keys: values from before migration 0021). Given a
 * plain master sealer (unit tests wired without case keys) both return that sealer.
 */
import { randomBytes } from 'node:crypto';
import type { Queryable } from './db.js';
import { createDataKeySealer, SealedBoxError, type Sealed, type Sealer } from './sealed-box.js';

export const caseKeyId = (caseId: string): string => `case:${caseId}`;
export const referralKeyId = (referralId: string): string => `referral:${referralId}`;
export const isDataKeyId = (keyId: string): boolean => /^(case|referral):/.test(keyId);

/** The case's (or referral's) key was destroyed at the end of retention: nothing under it opens. */
export class CaseKeyDestroyed extends SealedBoxError {}

export interface CaseKeys {
  /** A new data key for `keyId`; does nothing if it has one (or had one: destroyed ids stay dead). */
  create(db: Queryable, keyId: string): Promise<void>;
  /** A sealer sealing under `keyId`'s key (made now for a case from before 0021) and opening it and master keys. */
  sealerFor(db: Queryable, keyId: string): Promise<Sealer>;
  /** A sealer opening values under any of `keyIds` (and master keys); a destroyed or unknown data key does not open. */
  openerFor(db: Queryable, keyIds: Iterable<string | null | undefined>): Promise<Sealer>;
  /** Destroys the keys (crypto-shredding). Returns how many were live. */
  destroy(db: Queryable, keyIds: readonly string[], at: Date): Promise<number>;
}

/** A master sealer that also knows the case keys (what app.ts hands to every service). */
export interface KeyedSealer extends Sealer {
  readonly caseKeys: CaseKeys;
}

export function withCaseKeys(master: Sealer, caseKeys: CaseKeys): KeyedSealer {
  return {
    currentKeyId: master.currentKeyId,
    seal: (plain, aad) => master.seal(plain, aad),
    open: (s, aad) => master.open(s, aad),
    caseKeys,
  };
}

const hasCaseKeys = (s: Pick<Sealer, 'open'>): s is KeyedSealer => (s as Partial<KeyedSealer>).caseKeys !== undefined;

/** See the file comment. */
export async function sealerFor(sealer: Sealer, db: Queryable, keyId: string): Promise<Sealer> {
  return hasCaseKeys(sealer) ? sealer.caseKeys.sealerFor(db, keyId) : sealer;
}

/** See the file comment. */
export async function openerFor(sealer: Pick<Sealer, 'open'>, db: Queryable, keyIds: Iterable<string | null | undefined>): Promise<Pick<Sealer, 'open'>> {
  return hasCaseKeys(sealer) ? sealer.caseKeys.openerFor(db, keyIds) : sealer;
}

interface KeyRow {
  key_id: string;
  wrapped_key_id: string | null;
  wrapped_iv: Buffer | null;
  wrapped_tag: Buffer | null;
  wrapped_ciphertext: Buffer | null;
}

export interface CaseKeysOptions {
  master: Sealer;
  /** Unwrapped keys kept in memory (LRU), and for how long. */
  cacheSize?: number;
  cacheTtlMs?: number;
}

export function createCaseKeys(opts: CaseKeysOptions): CaseKeys {
  const { master } = opts;
  const cacheSize = opts.cacheSize ?? 10_000;
  const ttl = opts.cacheTtlMs ?? 10 * 60_000;
  const cache = new Map<string, { sealer: Sealer; at: number }>();

  const cached = (keyId: string): Sealer | undefined => {
    const hit = cache.get(keyId);
    if (!hit) return undefined;
    cache.delete(keyId);
    if (Date.now() - hit.at > ttl) return undefined;
    cache.set(keyId, hit); // most recently used last
    return hit.sealer;
  };
  const remember = (keyId: string, sealer: Sealer) => {
    cache.delete(keyId);
    cache.set(keyId, { sealer, at: Date.now() });
    while (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
  };

  const unwrap = (row: KeyRow): Sealer => {
    if (!row.wrapped_ciphertext || !row.wrapped_key_id || !row.wrapped_iv || !row.wrapped_tag) {
      throw new CaseKeyDestroyed('the data key was destroyed at the end of retention');
    }
    const { k } = master.open(
      { keyId: row.wrapped_key_id, iv: row.wrapped_iv, tag: row.wrapped_tag, ciphertext: row.wrapped_ciphertext },
      wrapAad(row.key_id),
    ) as { k: string };
    const key = Buffer.from(k, 'base64');
    const sealer = createDataKeySealer(row.key_id, key);
    key.fill(0);
    return sealer;
  };

  async function create(db: Queryable, keyId: string): Promise<void> {
    if (!isDataKeyId(keyId)) throw new SealedBoxError('not a data key id');
    const key = randomBytes(32);
    const w = master.seal({ k: key.toString('base64') }, wrapAad(keyId));
    key.fill(0);
    await db.query(
      `INSERT INTO keystore.case_keys (key_id, wrapped_key_id, wrapped_iv, wrapped_tag, wrapped_ciphertext)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_id) DO NOTHING`,
      [keyId, w.keyId, w.iv, w.tag, w.ciphertext],
    );
  }

  async function load(db: Queryable, keyIds: string[]): Promise<Map<string, Sealer | Error>> {
    const out = new Map<string, Sealer | Error>();
    const missing: string[] = [];
    for (const id of keyIds) {
      const s = cached(id);
      if (s) out.set(id, s);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const r = await db.query<KeyRow>(
        'SELECT key_id, wrapped_key_id, wrapped_iv, wrapped_tag, wrapped_ciphertext FROM keystore.case_keys WHERE key_id = ANY($1)',
        [missing],
      );
      for (const row of r.rows) {
        try {
          const s = unwrap(row);
          remember(row.key_id, s);
          out.set(row.key_id, s);
        } catch (err) {
          out.set(row.key_id, err as Error);
        }
      }
      for (const id of missing) if (!out.has(id)) out.set(id, new SealedBoxError('no data key with this id'));
    }
    return out;
  }

  /** Opens under the loaded data keys, else under the master keys. */
  const opener = (keys: Map<string, Sealer | Error>, sealWith?: Sealer): Sealer => ({
    currentKeyId: sealWith?.currentKeyId ?? master.currentKeyId,
    seal(plain, aad) {
      if (!sealWith) throw new SealedBoxError('this sealer only opens');
      return sealWith.seal(plain, aad);
    },
    open(s: Sealed, aad: string) {
      if (!isDataKeyId(s.keyId)) return master.open(s, aad);
      const k = keys.get(s.keyId);
      if (k === undefined) throw new SealedBoxError('data key not loaded for this value');
      if (k instanceof Error) throw k;
      return k.open(s, aad);
    },
  });

  return {
    create,
    async sealerFor(db, keyId) {
      if (!isDataKeyId(keyId)) throw new SealedBoxError('not a data key id');
      // A key in the cache is used without a read: a key another instance destroyed can only be
      // used to seal a value for a row that instance's purge deleted, so the write finds no row.
      const hit = cached(keyId);
      if (hit) return opener(new Map([[keyId, hit]]), hit);
      const read = () => db.query<KeyRow>(
        'SELECT key_id, wrapped_key_id, wrapped_iv, wrapped_tag, wrapped_ciphertext FROM keystore.case_keys WHERE key_id = $1',
        [keyId],
      );
      let r = await read();
      if (r.rows.length === 0) {
        await create(db, keyId); // a case from before migration 0021: its new values get its own key
        r = await read();
      }
      const row = r.rows[0];
      if (!row) throw new SealedBoxError('no data key');
      if (!row.wrapped_ciphertext) throw new CaseKeyDestroyed('the data key was destroyed at the end of retention');
      const k = unwrap(row);
      remember(keyId, k);
      return opener(new Map([[keyId, k]]), k);
    },
    async openerFor(db, keyIds) {
      const wanted = [...new Set([...keyIds].filter((k): k is string => typeof k === 'string' && isDataKeyId(k)))];
      return opener(await load(db, wanted));
    },
    async destroy(db, keyIds, at) {
      if (keyIds.length === 0) return 0;
      for (const id of keyIds) cache.delete(id);
      const r = await db.query(
        `UPDATE keystore.case_keys SET wrapped_key_id = NULL, wrapped_iv = NULL, wrapped_tag = NULL, wrapped_ciphertext = NULL,
                destroyed_at = $2 WHERE key_id = ANY($1) AND destroyed_at IS NULL`,
        [keyIds, at],
      );
      // An id that never had a key (a case from before 0021 never sealed again) is marked too, so
      // that nothing can give it one later.
      await db.query(
        `INSERT INTO keystore.case_keys (key_id, destroyed_at) SELECT unnest($1::text[]), $2 ON CONFLICT (key_id) DO NOTHING`,
        [keyIds, at],
      );
      return r.rowCount ?? 0;
    },
  };
}

function wrapAad(keyId: string): string {
  return `case-key:${keyId}`;
}
