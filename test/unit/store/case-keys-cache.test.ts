/**
 * The cache of unwrapped case keys (store/case-keys.ts; decision 0032): it saves the unwrap, never
 * the read. A key is used only when a read made for that use shows its row live and wrapped as the
 * cached entry was, so a key destroyed by a purge on another instance, or a key row replaced, is
 * never served from memory; the cache is bounded in size and time.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CaseKeyDestroyed, caseKeyColumns, caseKeyId, createCaseKeys, keyRowOf, openerFor, sealerFor, sealerFromRow, withCaseKeys,
  type CaseKeyColumns,
} from '../../../gateway/src/store/case-keys.js';
import { createSealer, SealedBoxError, type Sealer } from '../../../gateway/src/store/sealed-box.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

let db: TestDatabase;
const master = createSealer({ keys: { k1: randomBytes(32) }, currentKeyId: 'k1' });

/** The master sealer, counting its opens (one per unwrap). */
function counting(): { sealer: Sealer; opens: () => number } {
  let n = 0;
  return {
    sealer: { currentKeyId: master.currentKeyId, seal: (p, a) => master.seal(p, a), open: (s, a) => { n++; return master.open(s, a); } },
    opens: () => n,
  };
}

async function keyRow(keyId: string) {
  const r = await db.pool.query<CaseKeyColumns>(`SELECT ${caseKeyColumns('ck')} FROM keystore.case_keys ck WHERE ck.key_id = $1`, [keyId]);
  return r.rows[0] ? keyRowOf(r.rows[0]) : undefined;
}

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the cache of unwrapped case keys', () => {
  it('saves the unwrap but never the read: every use reads the key row', async () => {
    const m = counting();
    const keys = createCaseKeys({ master: m.sealer });
    const s = withCaseKeys(m.sealer, keys);
    const id = caseKeyId('case_cache_1');
    const box = (await sealerFor(s, db.pool, id)).seal({ a: 1 }, 'x');
    const opensAfterFirst = m.opens();
    const reads: string[] = [];
    const spy = { query: (...args: unknown[]) => { reads.push(String(args[0])); return (db.pool.query as (...a: unknown[]) => unknown).apply(db.pool, args); } };
    expect((await sealerFor(s, spy as never, id)).open(box, 'x')).toEqual({ a: 1 });
    expect((await openerFor(s, spy as never, [id])).open(box, 'x')).toEqual({ a: 1 });
    expect(reads.filter((q) => q.includes('keystore.case_keys'))).toHaveLength(2);
    expect(m.opens()).toBe(opensAfterFirst); // no second unwrap
    // A row read by the caller itself: no read, no unwrap.
    const row = await keyRow(id);
    expect((await sealerFromRow(s, spy as never, id, row)).open(box, 'x')).toEqual({ a: 1 });
    expect(reads).toHaveLength(2);
    expect(m.opens()).toBe(opensAfterFirst);
  });

  it('a key destroyed by another instance is never used from this one\'s memory', async () => {
    const here = withCaseKeys(master, createCaseKeys({ master }));
    const elsewhere = createCaseKeys({ master });
    const id = caseKeyId('case_cache_2');
    const box = (await sealerFor(here, db.pool, id)).seal({ b: 2 }, 'y');
    const live = await keyRow(id);
    expect((await openerFor(here, db.pool, [id])).open(box, 'y')).toEqual({ b: 2 }); // cached here
    expect(await elsewhere.destroy(db.pool, [id], new Date())).toBe(1); // the purge, on another instance

    await expect(sealerFor(here, db.pool, id)).rejects.toThrow(CaseKeyDestroyed);
    const opener = await openerFor(here, db.pool, [id]);
    expect(() => opener.open(box, 'y')).toThrow(CaseKeyDestroyed);
    await expect(sealerFromRow(here, db.pool, id, await keyRow(id))).rejects.toThrow(CaseKeyDestroyed);
    // Only a row read before the purge still names the key: it belongs to that read's snapshot,
    // whose rows the purge deleted (the answer path's write finds no message to answer).
    expect(live?.wrapped_ciphertext).toBeInstanceOf(Buffer);
  });

  it('a key row wrapped differently from the cached entry is unwrapped afresh', async () => {
    const m = counting();
    const s = withCaseKeys(m.sealer, createCaseKeys({ master: m.sealer }));
    const id = caseKeyId('case_cache_3');
    await sealerFor(s, db.pool, id);
    const before = m.opens();
    // The same key wrapped again (as a re-wrap under a new master key would): a new iv and tag.
    const row = (await keyRow(id))!;
    const { k } = master.open({ keyId: row.wrapped_key_id!, iv: row.wrapped_iv!, tag: row.wrapped_tag!, ciphertext: row.wrapped_ciphertext! }, `case-key:${id}`) as { k: string };
    const w = master.seal({ k }, `case-key:${id}`);
    await db.pool.query('UPDATE keystore.case_keys SET wrapped_iv = $2, wrapped_tag = $3, wrapped_ciphertext = $4 WHERE key_id = $1', [id, w.iv, w.tag, w.ciphertext]);
    await sealerFor(s, db.pool, id);
    expect(m.opens()).toBe(before + 1);
    // A row whose wrapping does not open under the master key is refused, whatever is cached.
    const forged = { ...(await keyRow(id))!, wrapped_tag: randomBytes(16) };
    await expect(sealerFromRow(s, db.pool, id, forged)).rejects.toThrow(SealedBoxError);
    // A row for another key id is not taken for this one.
    await expect(sealerFromRow(s, db.pool, caseKeyId('case_other'), await keyRow(id))).rejects.toThrow(SealedBoxError);
  });

  it('is bounded: entries expire after their time and the least recently used go beyond the size', async () => {
    const m = counting();
    const s = withCaseKeys(m.sealer, createCaseKeys({ master: m.sealer, cacheSize: 2, cacheTtlMs: 60_000 }));
    const [a, b, c] = ['case_cache_4a', 'case_cache_4b', 'case_cache_4c'].map(caseKeyId) as [string, string, string];
    for (const id of [a, b, c]) await sealerFor(s, db.pool, id);
    const afterFill = m.opens();
    await sealerFor(s, db.pool, c);
    await sealerFor(s, db.pool, b);
    expect(m.opens()).toBe(afterFill); // b and c are held
    await sealerFor(s, db.pool, a);
    expect(m.opens()).toBe(afterFill + 1); // a was pushed out by c
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 });
    await sealerFor(s, db.pool, a);
    expect(m.opens()).toBe(afterFill + 2); // expired
  });
});
