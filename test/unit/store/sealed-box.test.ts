import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSealer, SealedBoxError, type Sealed } from '../../../gateway/src/store/sealed-box.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const research = { subjectResults: [{ subjectId: 'subj_victim', subject: { address: { postcode: 'CM2 9ZZ' } } }] };

function expectInvalid(f: () => unknown): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SealedBoxError);
  expect((caught as SealedBoxError).code).toBe('SEALED_BOX_INVALID');
}

const flip = (b: Buffer, i = 0) => {
  const c = Buffer.from(b);
  c[i] = (c[i] ?? 0) ^ 0x01;
  return c;
};

describe('sealed box', () => {
  const sealer = createSealer({ keys: { k1 }, currentKeyId: 'k1' });

  it('round-trips JSON values and hides the plain text', () => {
    const s = sealer.seal(research, 'row-1');
    expect(s.keyId).toBe('k1');
    expect(s.iv).toHaveLength(12);
    expect(s.tag).toHaveLength(16);
    expect(s.ciphertext.toString('utf8')).not.toContain('CM2');
    expect(sealer.open(s, 'row-1')).toEqual(research);
    expect(sealer.open(sealer.seal('é ✓', 'r'), 'r')).toBe('é ✓');
    expect(sealer.open(sealer.seal(null, 'r'), 'r')).toBeNull();
  });

  it('uses a fresh iv every time', () => {
    const a = sealer.seal(research, 'row-1');
    const b = sealer.seal(research, 'row-1');
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
  });

  it('never repeats an iv across many seals (IVs come from blocks of random bytes, each used once)', () => {
    const seen = new Set<string>();
    const ivs: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const s = sealer.seal({ i }, `row-${i}`);
      seen.add(s.iv.toString('hex'));
      ivs.push(s.iv);
    }
    expect(seen.size).toBe(2000);
    // Each IV is its own copy: changing one cannot change another (or a stored one).
    ivs[0]!.fill(0);
    expect(ivs[1]!.equals(Buffer.alloc(12))).toBe(false);
    expect(sealer.open(sealer.seal(research, 'row-x'), 'row-x')).toEqual(research);
  });

  it('refuses a ciphertext moved to another row (wrong aad)', () => {
    const s = sealer.seal(research, 'row-1');
    expectInvalid(() => sealer.open(s, 'row-2'));
    expectInvalid(() => sealer.open(s, ''));
  });

  it('detects tampering with ciphertext, tag or iv', () => {
    const s = sealer.seal(research, 'row-1');
    expectInvalid(() => sealer.open({ ...s, ciphertext: flip(s.ciphertext, 5) }, 'row-1'));
    expectInvalid(() => sealer.open({ ...s, tag: flip(s.tag) }, 'row-1'));
    expectInvalid(() => sealer.open({ ...s, iv: flip(s.iv) }, 'row-1'));
    expectInvalid(() => sealer.open({ ...s, ciphertext: s.ciphertext.subarray(0, s.ciphertext.length - 1) }, 'row-1'));
  });

  it('rejects malformed parts', () => {
    const s = sealer.seal(research, 'row-1');
    expectInvalid(() => sealer.open({ ...s, iv: s.iv.subarray(0, 8) }, 'row-1'));
    expectInvalid(() => sealer.open({ ...s, tag: s.tag.subarray(0, 4) }, 'row-1'));
    expectInvalid(() => sealer.open({ ...s, ciphertext: 'x' as unknown as Buffer }, 'row-1'));
  });

  it('rejects an unknown key id', () => {
    const s = sealer.seal(research, 'row-1');
    expectInvalid(() => sealer.open({ ...s, keyId: 'k9' }, 'row-1'));
  });

  it('rotation: new values seal with the current key, old ones still open', () => {
    const old = sealer.seal(research, 'row-1');
    const rotated = createSealer({ keys: { k1, k2 }, currentKeyId: 'k2' });
    const fresh = rotated.seal(research, 'row-2');
    expect(fresh.keyId).toBe('k2');
    expect(rotated.open(old, 'row-1')).toEqual(research);
    expect(rotated.open(fresh, 'row-2')).toEqual(research);
    // The old sealer never learned k2.
    expectInvalid(() => sealer.open(fresh, 'row-2'));
  });

  it('binds the key id: relabelling a row to another key does not open', () => {
    const both = createSealer({ keys: { k1, alias: k1 }, currentKeyId: 'k1' });
    const s = both.seal(research, 'row-1');
    expectInvalid(() => both.open({ ...s, keyId: 'alias' } as Sealed, 'row-1'));
  });

  it('refuses bad configuration', () => {
    expectInvalid(() => createSealer({ keys: { k1: randomBytes(16) }, currentKeyId: 'k1' }));
    expectInvalid(() => createSealer({ keys: { k1 }, currentKeyId: 'k2' }));
    expectInvalid(() => createSealer({ keys: { 'bad id': k1 }, currentKeyId: 'bad id' }));
  });

  it('refuses values that are not JSON', () => {
    expectInvalid(() => sealer.seal(undefined, 'row-1'));
  });

  it('keeps its own copy of the keys', () => {
    const key = Buffer.from(k1);
    const own = createSealer({ keys: { k: key }, currentKeyId: 'k' });
    const s = own.seal(research, 'r');
    key.fill(0);
    expect(own.open(s, 'r')).toEqual(research);
  });
});
