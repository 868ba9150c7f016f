import { describe, expect, it } from 'vitest';
import { createMicroBatcher } from '../../../gateway/src/store/micro-batch.js';

describe('micro-batch', () => {
  it('runs the calls of one turn together, in call order, each getting its own result', async () => {
    const batches: number[][] = [];
    const b = createMicroBatcher(async (xs: number[]) => {
      batches.push(xs);
      return xs.map((x) => x * 10);
    });
    const first = await Promise.all([b.call(1), b.call(2), b.call(3)]);
    const second = await b.call(4);
    expect(first).toEqual([10, 20, 30]);
    expect(second).toBe(40);
    expect(batches).toEqual([[1, 2, 3], [4]]);
    expect(b.waiting).toBe(0);
  });

  it('splits a turn into batches of at most maxBatch', async () => {
    const sizes: number[] = [];
    const b = createMicroBatcher(async (xs: number[]) => {
      sizes.push(xs.length);
      return xs;
    }, { maxBatch: 4 });
    const out = await Promise.all(Array.from({ length: 10 }, (_, i) => b.call(i)));
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('calls made while a batch runs go into the next one', async () => {
    const batches: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const b = createMicroBatcher(async (xs: string[]) => {
      batches.push(xs);
      if (batches.length === 1) await gate;
      return xs.map((x) => x.toUpperCase());
    });
    const a = b.call('a');
    await new Promise((r) => setImmediate(r));
    const later = [b.call('b'), b.call('c')];
    release();
    expect(await Promise.all([a, ...later])).toEqual(['A', 'B', 'C']);
    expect(batches).toEqual([['a'], ['b', 'c']]);
  });

  it('rejects every call of a batch that fails, and the next batch runs', async () => {
    let fail = true;
    const b = createMicroBatcher(async (xs: number[]) => {
      if (fail) throw new Error('statement failed');
      return xs;
    });
    const results = await Promise.allSettled([b.call(1), b.call(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('statement failed'));
    fail = false;
    expect(await b.call(3)).toBe(3);
  });

  it('rejects a batch whose runner returns the wrong number of results, rather than misassigning them', async () => {
    const b = createMicroBatcher(async (xs: number[]) => xs.slice(1));
    const results = await Promise.allSettled([b.call(1), b.call(2)]);
    expect(results.every((r) => r.status === 'rejected' && /2 items/.test(String(r.reason)))).toBe(true);
  });
});
