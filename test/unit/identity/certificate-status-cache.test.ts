import { describe, expect, it } from 'vitest';
import type { FingerprintLookup } from '../../../gateway/src/identity/agency-types.js';
import { createCertificateStatusCache } from '../../../gateway/src/identity/certificate-status-cache.js';

function lookup(revoked: boolean): FingerprintLookup {
  return {
    agency: {
      id: 'essex-police', name: 'Essex Police', type: 'POLICE', deliveryMode: 'pull', pushUrl: null,
      maracArea: null, createdAt: new Date(0), disabledAt: null,
    },
    certificate: {
      serialHex: '1'.repeat(32), agencyId: 'essex-police', fingerprint256: 'a'.repeat(64),
      notBefore: new Date(0), notAfter: new Date(8.64e15), issuedAt: new Date(0),
      revokedAt: revoked ? new Date(1) : null, revocationReason: revoked ? 'keyCompromise' : null,
    },
  };
}

/** A loader whose answers the test controls, counting calls. */
function fakeLoader() {
  const state = { revoked: false, known: true, calls: 0, fail: false };
  const pending: (() => void)[] = [];
  let hold = false;
  const load = async (_fp: string): Promise<FingerprintLookup | null> => {
    state.calls++;
    const answer = state.fail ? null : state.known ? lookup(state.revoked) : null;
    const failing = state.fail;
    if (hold) await new Promise<void>((r) => pending.push(r));
    if (failing) throw new Error('db down');
    return answer;
  };
  return {
    state, load,
    holdLoads() { hold = true; },
    releaseLoads() { hold = false; pending.splice(0).forEach((r) => r()); },
  };
}

const FP = 'a'.repeat(64);

describe('certificate status cache', () => {
  it('reuses a lookup within the TTL and reloads after it', async () => {
    let t = 1_000;
    const f = fakeLoader();
    const cache = createCertificateStatusCache({ load: f.load, ttlMs: 500, now: () => t });
    await cache.get(FP);
    await cache.get(FP);
    expect(f.state.calls).toBe(1);
    f.state.revoked = true;
    t += 499;
    expect((await cache.get(FP))?.certificate.revokedAt).toBeNull();
    t += 1;
    expect((await cache.get(FP))?.certificate.revokedAt).not.toBeNull();
    expect(f.state.calls).toBe(2);
  });

  it('invalidating one certificate forces the next lookup to read again', async () => {
    const f = fakeLoader();
    const cache = createCertificateStatusCache({ load: f.load, ttlMs: 60_000 });
    await cache.get(FP);
    f.state.revoked = true;
    cache.invalidate(FP);
    expect((await cache.get(FP))?.certificate.revocationReason).toBe('keyCompromise');
    expect(f.state.calls).toBe(2);
  });

  it('does not keep a lookup that was in flight when an invalidation happened', async () => {
    const f = fakeLoader();
    const cache = createCertificateStatusCache({ load: f.load, ttlMs: 60_000 });
    f.holdLoads();
    const stale = cache.get(FP); // reads "not revoked"
    cache.invalidate(FP); // revocation commits meanwhile
    f.state.revoked = true;
    f.releaseLoads();
    expect((await stale)?.certificate.revokedAt).toBeNull();
    expect((await cache.get(FP))?.certificate.revokedAt).not.toBeNull();
  });

  it('shares one load among concurrent lookups of the same certificate', async () => {
    const f = fakeLoader();
    const cache = createCertificateStatusCache({ load: f.load, ttlMs: 60_000 });
    await Promise.all(Array.from({ length: 32 }, () => cache.get(FP)));
    expect(f.state.calls).toBe(1);
  });

  it('never remembers an unknown certificate or a failed load', async () => {
    const f = fakeLoader();
    const cache = createCertificateStatusCache({ load: f.load, ttlMs: 60_000 });
    f.state.known = false;
    expect(await cache.get(FP)).toBeNull();
    f.state.known = true;
    expect(await cache.get(FP)).not.toBeNull();
    f.state.fail = true;
    cache.invalidate();
    await expect(cache.get(FP)).rejects.toThrow('db down');
    f.state.fail = false;
    expect(await cache.get(FP)).not.toBeNull();
    expect(f.state.calls).toBe(4);
  });

  it('reads every time when the TTL is 0', async () => {
    const f = fakeLoader();
    const cache = createCertificateStatusCache({ load: f.load, ttlMs: 0 });
    await cache.get(FP);
    await cache.get(FP);
    expect(f.state.calls).toBe(2);
  });
});
