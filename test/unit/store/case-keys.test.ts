/**
 * Case keys (store/case-keys.ts) over a real migrated database: a key per case, wrapped under the
 * master key; values sealed under it carry `case:<id>`; master-sealed values (from before 0021)
 * still open; a destroyed key opens nothing and is never given again.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseKeyDestroyed, caseKeyId, createCaseKeys, openerFor, sealerFor, withCaseKeys } from '../../../gateway/src/store/case-keys.js';
import { createSealer, SealedBoxError } from '../../../gateway/src/store/sealed-box.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';

let db: TestDatabase;
const master = createSealer({ keys: { k1: randomBytes(32) }, currentKeyId: 'k1' });
const keyed = () => withCaseKeys(master, createCaseKeys({ master }));

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('case keys', () => {
  it('seals under the case key, opens with it, and is a different key per case', async () => {
    const s = keyed();
    const a = await sealerFor(s, db.pool, caseKeyId('case_a'));
    const b = await sealerFor(s, db.pool, caseKeyId('case_b'));
    const box = a.seal({ name: 'Anna' }, 'case_a');
    expect(box.keyId).toBe('case:case_a');
    expect(a.open(box, 'case_a')).toEqual({ name: 'Anna' });
    // Another process (a fresh cache) opens it from the key store.
    expect((await openerFor(keyed(), db.pool, [box.keyId])).open(box, 'case_a')).toEqual({ name: 'Anna' });
    expect(() => b.open(box, 'case_a')).toThrow(SealedBoxError);
    expect(() => master.open(box, 'case_a')).toThrow(/unknown key id/);
    // The wrapped key in the store is not the key: the master key alone cannot use the row as a key.
    const row = (await db.pool.query('SELECT wrapped_key_id, wrapped_ciphertext FROM keystore.case_keys WHERE key_id = $1', ['case:case_a'])).rows[0];
    expect(row.wrapped_key_id).toBe('k1');
    expect(row.wrapped_ciphertext.length).toBeGreaterThan(32);
  });

  it('still opens values sealed under the master key (cases from before migration 0021)', async () => {
    const old = master.seal({ legacy: true }, 'case_old');
    expect((await openerFor(keyed(), db.pool, [old.keyId])).open(old, 'case_old')).toEqual({ legacy: true });
  });

  it('a destroyed key opens nothing, in any process, and the id never gets a key again', async () => {
    const s = keyed();
    const box = (await sealerFor(s, db.pool, caseKeyId('case_c'))).seal({ x: 1 }, 'case_c');
    expect(await s.caseKeys.destroy(db.pool, [caseKeyId('case_c')], new Date())).toBe(1);
    expect(await s.caseKeys.destroy(db.pool, [caseKeyId('case_c')], new Date())).toBe(0);
    const fresh = await openerFor(keyed(), db.pool, [box.keyId]);
    expect(() => fresh.open(box, 'case_c')).toThrow(CaseKeyDestroyed);
    await expect(sealerFor(keyed(), db.pool, caseKeyId('case_c'))).rejects.toThrow(CaseKeyDestroyed);
    // A case that never had a key (never sealed since 0021) cannot be given one after its purge.
    await s.caseKeys.destroy(db.pool, [caseKeyId('case_never')], new Date());
    await expect(sealerFor(keyed(), db.pool, caseKeyId('case_never'))).rejects.toThrow(CaseKeyDestroyed);
  });

  it('given a plain master sealer (no case keys) both helpers return it', async () => {
    expect(await sealerFor(master, db.pool, caseKeyId('case_z'))).toBe(master);
    expect(await openerFor(master, db.pool, ['case:case_z'])).toBe(master);
  });
});
