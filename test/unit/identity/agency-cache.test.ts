import { describe, expect, it } from 'vitest';
import type { Agency } from '../../../gateway/src/identity/agency-types.js';
import { createAgencyCache } from '../../../gateway/src/identity/agency-cache.js';

function agency(type: Agency['type'], disabled = false): Agency {
  return {
    id: 'essex-marat', name: 'Essex MARAT', type, deliveryMode: 'pull', pushUrl: null, maracArea: 'essex',
    createdAt: new Date(0), disabledAt: disabled ? new Date(1) : null,
  };
}

/** A loader standing for one database client: counts its reads, answers what the test says. */
function loader(state: { row: Agency | null; calls: number }) {
  return async (_id: string) => {
    state.calls++;
    return state.row;
  };
}

describe('agency cache', () => {
  it('reuses a row within the TTL and reads again after it', async () => {
    let t = 1_000;
    const cache = createAgencyCache({ ttlMs: 500, now: () => t });
    const db = { row: agency('MARAC_COORDINATOR'), calls: 0 };
    await cache.get('essex-marat', loader(db));
    await cache.get('essex-marat', loader(db));
    expect(db.calls).toBe(1);
    db.row = agency('MARAC_COORDINATOR', true);
    t += 499;
    expect((await cache.get('essex-marat', loader(db)))?.disabledAt).toBeNull();
    t += 1;
    expect((await cache.get('essex-marat', loader(db)))?.disabledAt).not.toBeNull();
    expect(db.calls).toBe(2);
  });

  it('invalidating one agency, or all, makes the next lookup read again', async () => {
    const cache = createAgencyCache({ ttlMs: 60_000 });
    const db = { row: agency('MARAC_COORDINATOR'), calls: 0 };
    await cache.get('essex-marat', loader(db));
    db.row = agency('POLICE');
    cache.invalidate('someone-else');
    expect((await cache.get('essex-marat', loader(db)))?.type).toBe('MARAC_COORDINATOR');
    cache.invalidate('essex-marat');
    expect((await cache.get('essex-marat', loader(db)))?.type).toBe('POLICE');
    db.row = agency('IDVA');
    cache.invalidate();
    expect((await cache.get('essex-marat', loader(db)))?.type).toBe('IDVA');
    expect(db.calls).toBe(3);
  });

  it('does not keep a row read before an invalidation that happened during the read', async () => {
    const cache = createAgencyCache({ ttlMs: 60_000 });
    let release!: () => void;
    const slow = async () => {
      await new Promise<void>((r) => (release = r));
      return agency('MARAC_COORDINATOR');
    };
    const stale = cache.get('essex-marat', slow);
    cache.invalidate('essex-marat'); // the change commits while the read is in flight
    release();
    expect((await stale)?.type).toBe('MARAC_COORDINATOR');
    const db = { row: agency('POLICE'), calls: 0 };
    expect((await cache.get('essex-marat', loader(db)))?.type).toBe('POLICE');
    expect(db.calls).toBe(1);
  });

  it('does not remember an unknown agency, nor a failed read', async () => {
    const cache = createAgencyCache({ ttlMs: 60_000 });
    const db = { row: null as Agency | null, calls: 0 };
    expect(await cache.get('new-agency', loader(db))).toBeNull();
    await expect(cache.get('new-agency', async () => { throw new Error('db down'); })).rejects.toThrow('db down');
    db.row = agency('IDVA');
    expect((await cache.get('new-agency', loader(db)))?.type).toBe('IDVA');
    expect(db.calls).toBe(2);
    expect(cache.size()).toBe(1);
  });

  it('reads each miss through the loader of that call (a transaction reads through its own client)', async () => {
    const cache = createAgencyCache({ ttlMs: 60_000 });
    const a = { row: agency('MARAC_COORDINATOR'), calls: 0 };
    const b = { row: agency('MARAC_COORDINATOR'), calls: 0 };
    // Two misses at once: each goes to its own client; nothing is shared while in flight.
    await Promise.all([cache.get('essex-marat', loader(a)), cache.get('essex-marat', loader(b))]);
    expect([a.calls, b.calls]).toEqual([1, 1]);
    await cache.get('essex-marat', loader(b));
    expect(b.calls).toBe(1);
  });

  it('with a TTL of 0 always reads', async () => {
    const cache = createAgencyCache({ ttlMs: 0 });
    const db = { row: agency('POLICE'), calls: 0 };
    await cache.get('essex-marat', loader(db));
    await cache.get('essex-marat', loader(db));
    expect(db.calls).toBe(2);
  });
});
