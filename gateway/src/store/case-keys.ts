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
 * keys named (and, as before, under master keys: values from before migration 0021). A caller that
 * reads the key row in a statement of its own (the answer path's batched read, CASE_KEY_COLUMNS)
 * gets its sealer from that row (`sealerFromRow`), with no round trip of its own. Given a plain
 * master sealer (unit tests wired without case keys) all of them return that sealer.
 *
 * The cache: unwrapping a key (AES-GCM under the master key) is kept for a short, bounded time,
 * but a key is only ever used when a read made for this very use, in the caller's statement or
 * transaction, shows its row live: the cache saves the unwrap, never the read. So a key destroyed
 * by a purge (on this instance or any other), or a key store restored from before a purge, is never
 * served from memory: the row read says destroyed (CaseKeyDestroyed) or no longer matches the
 * cached entry (a different wrapping is unwrapped afresh).
 */
import { randomBytes } from 'node:crypto';
import type { Queryable } from './db.js';
import { createDataKeySealer, SealedBoxError, type Sealed, type Sealer } from './sealed-box.js';

export const caseKeyId = (caseId: string): string => `case:${caseId}`;
export const referralKeyId = (referralId: string): string => `referral:${referralId}`;
export const isDataKeyId = (keyId: string): boolean => /^(case|referral):/.test(keyId);
/** caseKeyId in SQL, for a statement that joins keystore.case_keys to its cases (`expr`: the case id column). */
export const caseKeyIdSql = (expr: string): string => `'case:' || ${expr}`;

/** The case's (or referral's) key was destroyed at the end of retention: nothing under it opens. */
export class CaseKeyDestroyed extends SealedBoxError {}

export interface CaseKeys {
  /** A new data key for `keyId`; does nothing if it has one (or had one: destroyed ids stay dead). */
  create(db: Queryable, keyId: string): Promise<void>;
  /** A sealer sealing under `keyId`'s key (made now for a case from before 0021) and opening it and master keys. */
  sealerFor(db: Queryable, keyId: string): Promise<Sealer>;
  /** A sealer opening values under any of `keyIds` (and master keys); a destroyed or unknown data key does not open. */
  openerFor(db: Queryable, keyIds: Iterable<string | null | undefined>): Promise<Sealer>;
  /**
   * A sealer for the key in `row`, a row of keystore.case_keys the caller has just read (in the
   * statement whose data the value is sealed for): no read of its own. Throws CaseKeyDestroyed when
   * the row says the key was destroyed.
   */
  sealerFromRow(row: CaseKeyRow): Sealer;
  /** Destroys the keys (crypto-shredding). Returns how many were live. */
  destroy(db: Queryable, keyIds: readonly string[], at: Date): Promise<number>;
}

/** A row of keystore.case_keys as read (the wrapped fields are null once the key is destroyed). */
export interface CaseKeyRow {
  key_id: string;
  wrapped_key_id: string | null;
  wrapped_iv: Buffer | null;
  wrapped_tag: Buffer | null;
  wrapped_ciphertext: Buffer | null;
}

/**
 * The key row's columns, prefixed `ck_`, for a caller joining keystore.case_keys as `alias` in its
 * own read (see keyRowOf).
 */
export const caseKeyColumns = (alias: string): string =>
  `${alias}.key_id AS ck_key_id, ${alias}.wrapped_key_id AS ck_wrapped_key_id, ${alias}.wrapped_iv AS ck_wrapped_iv, `
  + `${alias}.wrapped_tag AS ck_wrapped_tag, ${alias}.wrapped_ciphertext AS ck_wrapped_ciphertext`;

/** The columns of caseKeyColumns as read. */
export interface CaseKeyColumns {
  ck_key_id: string | null;
  ck_wrapped_key_id: string | null;
  ck_wrapped_iv: Buffer | null;
  ck_wrapped_tag: Buffer | null;
  ck_wrapped_ciphertext: Buffer | null;
}

/** The key row in a row read with caseKeyColumns; undefined when there was none (a LEFT JOIN found no key). */
export function keyRowOf(r: CaseKeyColumns): CaseKeyRow | undefined {
  if (r.ck_key_id === null) return undefined;
  return {
    key_id: r.ck_key_id, wrapped_key_id: r.ck_wrapped_key_id, wrapped_iv: r.ck_wrapped_iv, wrapped_tag: r.ck_wrapped_tag,
    wrapped_ciphertext: r.ck_wrapped_ciphertext,
  };
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

/**
 * The sealer for `keyId` given the key row the caller read with its data (caseKeyColumns): from that
 * row when there is one, with no read; otherwise as sealerFor (a case from before migration 0021
 * gets its key now). Throws CaseKeyDestroyed when the row says destroyed.
 */
export async function sealerFromRow(sealer: Sealer, db: Queryable, keyId: string, row: CaseKeyRow | undefined): Promise<Sealer> {
  if (!hasCaseKeys(sealer)) return sealer;
  if (row === undefined) return sealer.caseKeys.sealerFor(db, keyId);
  if (row.key_id !== keyId) throw new SealedBoxError('key row for another key id');
  return sealer.caseKeys.sealerFromRow(row);
}

/** See the file comment. */
export async function openerFor(sealer: Pick<Sealer, 'open'>, db: Queryable, keyIds: Iterable<string | null | undefined>): Promise<Pick<Sealer, 'open'>> {
  return hasCaseKeys(sealer) ? sealer.caseKeys.openerFor(db, keyIds) : sealer;
}

type KeyRow = CaseKeyRow;

export interface CaseKeysOptions {
  master: Sealer;
  /** Unwrapped keys kept in memory (LRU; default 10,000), and for how long (default 2 minutes). */
  cacheSize?: number;
  cacheTtlMs?: number;
}

const KEY_ROW_COLUMNS = 'key_id, wrapped_key_id, wrapped_iv, wrapped_tag, wrapped_ciphertext';

export function createCaseKeys(opts: CaseKeysOptions): CaseKeys {
  const { master } = opts;
  const cacheSize = opts.cacheSize ?? 10_000;
  const ttl = opts.cacheTtlMs ?? 2 * 60_000;
  // Unwrapped keys by key id, with the wrapping they were unwrapped from: an entry is used only for
  // a row just read that is live and carries that same wrapping (see the file comment).
  const cache = new Map<string, { sealer: Sealer; wrappedTag: Buffer; at: number }>();

  const unwrap = (row: KeyRow): Sealer => {
    if (!row.wrapped_ciphertext || !row.wrapped_key_id || !row.wrapped_iv || !row.wrapped_tag) {
      cache.delete(row.key_id);
      throw new CaseKeyDestroyed('the data key was destroyed at the end of retention');
    }
    const hit = cache.get(row.key_id);
    if (hit) {
      cache.delete(row.key_id);
      if (Date.now() - hit.at <= ttl && hit.wrappedTag.equals(row.wrapped_tag)) {
        cache.set(row.key_id, hit); // most recently used last
        return hit.sealer;
      }
    }
    const { k } = master.open(
      { keyId: row.wrapped_key_id, iv: row.wrapped_iv, tag: row.wrapped_tag, ciphertext: row.wrapped_ciphertext },
      wrapAad(row.key_id),
    ) as { k: string };
    const key = Buffer.from(k, 'base64');
    const sealer = createDataKeySealer(row.key_id, key);
    key.fill(0);
    cache.set(row.key_id, { sealer, wrappedTag: Buffer.from(row.wrapped_tag), at: Date.now() });
    while (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
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

  /** Reads the rows of `keyIds` (always: see the file comment) and unwraps the live ones. */
  async function load(db: Queryable, keyIds: string[]): Promise<Map<string, Sealer | Error>> {
    const out = new Map<string, Sealer | Error>();
    if (keyIds.length === 0) return out;
    const r = await db.query<KeyRow>(`SELECT ${KEY_ROW_COLUMNS} FROM keystore.case_keys WHERE key_id = ANY($1)`, [keyIds]);
    for (const row of r.rows) {
      try {
        out.set(row.key_id, unwrap(row));
      } catch (err) {
        out.set(row.key_id, err as Error);
      }
    }
    for (const id of keyIds) if (!out.has(id)) out.set(id, new SealedBoxError('no data key with this id'));
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
      // Always read: a key is used only when its row is seen live (see the file comment).
      const read = () => db.query<KeyRow>(`SELECT ${KEY_ROW_COLUMNS} FROM keystore.case_keys WHERE key_id = $1`, [keyId]);
      let r = await read();
      if (r.rows.length === 0) {
        await create(db, keyId); // a case from before migration 0021: its new values get its own key
        r = await read();
      }
      const row = r.rows[0];
      if (!row) throw new SealedBoxError('no data key');
      const k = unwrap(row);
      return opener(new Map([[keyId, k]]), k);
    },
    sealerFromRow(row) {
      if (!isDataKeyId(row.key_id)) throw new SealedBoxError('not a data key id');
      const k = unwrap(row);
      return opener(new Map([[row.key_id, k]]), k);
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
