import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../../gateway/src/audit/index.js';
import { CompactRange, hashLeaf, verifyConsistency, verifyInclusion } from '../../../gateway/src/audit/merkle.js';
import { consistencyProof, inclusionProof } from '../../../gateway/src/audit/proofs.js';
import { withTx } from '../../../gateway/src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { HMAC_KEY, viewRead } from './helpers.js';

const N = 300;
let db: TestDatabase;
const roots: Buffer[] = [];
const leaves: Buffer[] = [];
const b64 = (s: string) => Buffer.from(s, 'base64');

beforeAll(async () => {
  db = await createTestDatabase();
  const audit = createAuditLog({ hmacKey: HMAC_KEY, batchSize: 37 });
  for (let i = 0; i < N; i += 25) {
    await withTx(db.pool, async (tx) => {
      for (let k = i; k < i + 25; k++) await audit.append(tx, viewRead(k));
    });
  }
  await audit.flush(db.pool);
  const rows = await db.pool.query<{ canonical: string }>('SELECT canonical FROM audit_events ORDER BY seq');
  const range = CompactRange.empty();
  for (const r of rows.rows) {
    const leaf = hashLeaf(Buffer.from(r.canonical, 'utf8'));
    leaves.push(leaf);
    range.append(leaf);
    roots.push(range.root());
  }
});
afterAll(async () => {
  await db.drop();
});

describe('proofs from the stored tree (leaf hashes + every 4th level)', () => {
  it('stores about one inner node per 15 events', async () => {
    const r = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_tree_nodes');
    expect(r.rows[0]!.n).toBe(Math.floor(N / 16) + Math.floor(N / 256));
  });

  it('inclusion proofs for every event verify against the root at many tree sizes', async () => {
    for (const size of [1, 2, 3, 15, 16, 17, 100, 255, 256, 257, N]) {
      for (let seq = 1; seq <= size; seq += Math.max(1, Math.floor(size / 23))) {
        const p = await inclusionProof(db.pool, seq, size);
        expect(b64(p.leafHash).equals(leaves[seq - 1]!)).toBe(true);
        expect(verifyInclusion(seq - 1, size, leaves[seq - 1]!, p.hashes.map(b64), roots[size - 1]!)).toBe(true);
      }
    }
  });

  it('consistency proofs between many pairs of sizes verify', async () => {
    for (const [a, b] of [[1, 2], [1, N], [7, 8], [15, 17], [16, 256], [100, 257], [255, 256], [256, 300], [299, 300], [300, 300]] as const) {
      const p = await consistencyProof(db.pool, a, b);
      expect(verifyConsistency(a, b, p.hashes.map(b64), roots[a - 1]!, roots[b - 1]!)).toBe(true);
    }
  });

  it('refuses sizes beyond the log (PROOF_UNAVAILABLE) and bad ranges (PROOF_RANGE_INVALID)', async () => {
    await expect(inclusionProof(db.pool, 1, N + 1)).rejects.toMatchObject({ code: 'PROOF_UNAVAILABLE' });
    await expect(inclusionProof(db.pool, 0)).rejects.toMatchObject({ code: 'PROOF_RANGE_INVALID' });
    await expect(inclusionProof(db.pool, 5, 4)).rejects.toMatchObject({ code: 'PROOF_RANGE_INVALID' });
    await expect(consistencyProof(db.pool, 5, 4)).rejects.toMatchObject({ code: 'PROOF_RANGE_INVALID' });
    await expect(consistencyProof(db.pool, 1, N + 1)).rejects.toMatchObject({ code: 'PROOF_UNAVAILABLE' });
    await expect(consistencyProof(db.pool, 1.5, 4)).rejects.toMatchObject({ code: 'PROOF_RANGE_INVALID' });
  });
});
