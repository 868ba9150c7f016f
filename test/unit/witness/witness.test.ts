import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { noteCosignatures } from '../../../gateway/src/audit/cosignature.js';
import { consistencyProof, hashLeaf, rootFromLeafHashes } from '../../../gateway/src/audit/merkle.js';
import { formatNoteBody, signNote, verifierKey } from '../../../gateway/src/audit/note.js';
import { formatAddCheckpoint } from '../../../gateway/src/witness/protocol.js';
import { startWitnessServer } from '../../../gateway/src/witness/server.js';
import { memoryStore, openFileStore } from '../../../gateway/src/witness/store.js';
import { createWitness } from '../../../gateway/src/witness/witness.js';

const logKey = generateKeyPairSync('ed25519');
const witnessPriv = generateKeyPairSync('ed25519').privateKey;
const ORIGIN = 'marac-gateway';

/** A log of `n` leaves from a seed: the same seed gives the same log, another seed a fork. */
function log(seed: string, n: number) {
  const leaves = Array.from({ length: n }, (_, i) => hashLeaf(Buffer.from(`${seed === 'a' || i < 3 ? 'a' : seed}-${i}`)));
  const lookup = (level: number, index: number) => rootFromLeafHashes(leaves.slice(index * 2 ** level, (index + 1) * 2 ** level));
  return {
    note: (key: KeyObject = logKey.privateKey, origin = ORIGIN) => signNote(formatNoteBody({ origin, treeSize: n, root: rootFromLeafHashes(leaves) }), 'gateway-1', key).note,
    proofFrom: (m: number) => (m === 0 || m === n ? [] : consistencyProof(m, n, lookup)),
  };
}

function world() {
  const store = memoryStore();
  const refusals: string[] = [];
  const w = createWitness({
    name: 'witness.test/w1', privateKey: witnessPriv, store,
    logs: [{ origin: ORIGIN, keys: [verifierKey('gateway-1', logKey.publicKey)] }],
    onRefusal: (r) => refusals.push(r.code),
  });
  const add = (old: number, l: ReturnType<typeof log>, proof = l.proofFrom(old), note = l.note()) => {
    try {
      return { status: 200, line: w.addCheckpoint(formatAddCheckpoint(old, proof, note)) };
    } catch (err) {
      return { status: (err as { status: number }).status, code: (err as { code: string }).code, size: (err as { size?: number }).size };
    }
  };
  return { w, store, add, refusals };
}

describe('the witness (c2sp.org/tlog-witness add-checkpoint)', () => {
  it('cosigns a first checkpoint from old 0, then each extension with a valid consistency proof', () => {
    const { w, add } = world();
    const first = add(0, log('a', 5));
    expect(first.status).toBe(200);
    expect(noteCosignatures(log('a', 5).note() + first.line, [w.key], Math.floor(Date.now() / 1000))).toHaveLength(1);
    for (const [from, to] of [[5, 6], [6, 8], [8, 8], [8, 21], [21, 64]] as const) expect(add(from, log('a', to)).status, `${from}→${to}`).toBe(200);
    expect(w.latest(ORIGIN)).toContain('\n64\n');
  });

  it('a stale old size is a 409 with the witness size (the client retries from there)', () => {
    const { add, refusals } = world();
    add(0, log('a', 10));
    expect(add(0, log('a', 12))).toMatchObject({ status: 409, code: 'WITNESS_CONFLICT', size: 10 });
    expect(add(7, log('a', 12))).toMatchObject({ status: 409, size: 10 });
    expect(refusals).toEqual([]);
    expect(add(10, log('a', 12)).status).toBe(200);
  });

  it('truncation or rollback: a smaller checkpoint is refused (409) and kept as evidence', () => {
    const { add, store, refusals } = world();
    add(0, log('a', 20));
    for (const n of [19, 10, 1]) expect(add(20, log('a', n), []), `size ${n}`).toMatchObject({ status: 400 });
    for (const n of [19, 10, 1]) expect(add(n, log('a', n), []), `size ${n}`).toMatchObject({ status: 409, size: 20 });
    expect(refusals).toEqual(['WITNESS_CONFLICT', 'WITNESS_CONFLICT', 'WITNESS_CONFLICT']);
    expect(store.evidence()).toHaveLength(3);
  });

  it('a fork: the same size with another root is a 409; a larger forked log fails its proof (422)', () => {
    const { add, store } = world();
    expect(add(0, log('a', 16)).status).toBe(200);
    expect(add(16, log('b', 16))).toMatchObject({ status: 409, code: 'WITNESS_CONFLICT', size: 16 });
    // Whatever proof the forked log offers, it does not lead from the cosigned root.
    expect(add(16, log('b', 30))).toMatchObject({ status: 422, code: 'WITNESS_PROOF_INVALID' });
    expect(add(16, log('b', 30), log('a', 30).proofFrom(16))).toMatchObject({ status: 422 });
    expect(add(16, log('a', 30), [])).toMatchObject({ status: 422 });
    expect(add(16, log('a', 30), log('a', 30).proofFrom(16).map((h, i) => (i === 0 ? Buffer.alloc(32, 1) : h)))).toMatchObject({ status: 422 });
    expect(store.evidence().map((e) => e.code)).toEqual(['WITNESS_CONFLICT', 'WITNESS_PROOF_INVALID', 'WITNESS_PROOF_INVALID', 'WITNESS_PROOF_INVALID', 'WITNESS_PROOF_INVALID']);
    // The witnessed log itself still extends.
    expect(add(16, log('a', 30)).status).toBe(200);
  });

  it('unknown log (404), a checkpoint not signed by the log key (403), malformed requests (400)', () => {
    const { w, add } = world();
    expect(add(0, log('a', 3), [], log('a', 3).note(logKey.privateKey, 'other-log'))).toMatchObject({ status: 404, code: 'WITNESS_UNKNOWN_LOG' });
    expect(add(0, log('a', 3), [], log('a', 3).note(generateKeyPairSync('ed25519').privateKey))).toMatchObject({ status: 403, code: 'WITNESS_SIGNATURE_INVALID' });
    const bad = (body: string) => {
      try {
        w.addCheckpoint(body);
        return 200;
      } catch (err) {
        return (err as { code: string }).code;
      }
    };
    const note = log('a', 3).note();
    for (const body of ['', 'old 0\n', `old x\n\n${note}`, `old -1\n\n${note}`, `old 01\n\n${note}`, `new 0\n\n${note}`, `old 0\nnot-base64!\n\n${note}`,
      `old 0\n${Buffer.alloc(32).toString('base64')}\n\n${note}`, `old 1\n${'AAAA\n'.repeat(64)}\n${note}`, 'old 0\n\nnot a note\n', `old 0\n\n${note.replace('\n\n', '\n')}`]) {
      expect(bad(body), JSON.stringify(body.slice(0, 40))).toBe('WITNESS_REQUEST_MALFORMED');
    }
    expect(bad(`old 9\n\n${note}`)).toBe('WITNESS_OLD_SIZE_INVALID');
  });

  it('over HTTP: status codes, the 409 size body as text/x.tlog.size, /latest and /key', async () => {
    const { w, add } = world();
    add(0, log('a', 4));
    const srv = await startWitnessServer(w);
    try {
      const post = (body: string) => fetch(`${srv.url}/add-checkpoint`, { method: 'POST', body });
      const ok = await post(formatAddCheckpoint(4, log('a', 9).proofFrom(4), log('a', 9).note()));
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/^\u2014 witness\.test\/w1 /);
      const conflict = await post(formatAddCheckpoint(4, log('a', 12).proofFrom(4), log('a', 12).note()));
      expect(conflict.status).toBe(409);
      expect(conflict.headers.get('content-type')).toBe('text/x.tlog.size');
      expect(await conflict.text()).toBe('9\n');
      const unprocessable = await post(formatAddCheckpoint(9, [], log('b', 12).note()));
      expect(unprocessable.status).toBe(422);
      expect((await unprocessable.text()).split('\n')[0]).toBe('WITNESS_PROOF_INVALID');
      expect((await post('x'.repeat(100_000))).status).toBe(413);
      expect((await fetch(`${srv.url}/add-checkpoint`)).status).toBe(405);
      expect(await (await fetch(`${srv.url}/latest?origin=${ORIGIN}`)).text()).toContain('\n9\n');
      expect((await fetch(`${srv.url}/latest?origin=nope`)).status).toBe(404);
      expect((await (await fetch(`${srv.url}/key`)).text()).trim()).toBe(w.key.verifierKey);
    } finally {
      await srv.close();
    }
  });
});

describe('the witness file store', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'witness-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('remembers the last cosigned checkpoint across a restart, and a second process cannot open it', () => {
    const file = path.join(dir, 'state.json');
    const mk = () => createWitness({ name: 'w', privateKey: witnessPriv, store: openFileStore(file), logs: [{ origin: ORIGIN, keys: [logKey.publicKey] }] });
    const s1 = openFileStore(file);
    const w1 = createWitness({ name: 'w', privateKey: witnessPriv, store: s1, logs: [{ origin: ORIGIN, keys: [logKey.publicKey] }] });
    w1.addCheckpoint(formatAddCheckpoint(0, [], log('a', 7).note()));
    // Same process, same file: refused (one writer per state file).
    expect(() => openFileStore(file)).toThrow(/already/);
    s1.close();
    const w2 = mk();
    expect(w2.latest(ORIGIN)).toContain('\n7\n');
    expect(() => w2.addCheckpoint(formatAddCheckpoint(0, [], log('a', 3).note()))).toThrow(expect.objectContaining({ code: 'WITNESS_CONFLICT', size: 7 }));
  });
});
