/**
 * Issue 17 item 2: a witnessed audit log. Before it, an export cut back to an earlier checkpoint
 * verified as OK against the "latest" checkpoint the same server gave. Now an independent witness
 * (own key, own storage) cosigns each checkpoint only if it extends the last one it cosigned, and
 * the verifier requires a witnessed checkpoint: truncation, rollback and a fork are each detected,
 * and the gateway keeps working (and says so) while the witness is away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noteCosignatures } from '../../gateway/src/audit/cosignature.js';
import { latestCosigned } from '../../gateway/src/audit/checkpoint.js';
import type { TestGateway } from '../helpers/gateway.js';
import {
  addEvents, cutAndResign, exportText, makeLogKey, removeDir, rollBackDatabase, startTestWitness, startWitnessedGateway, verify,
  type TestWitness,
} from './witness-helpers.js';

describe('a witnessed log: truncation and rollback are detected', { timeout: 120_000 }, () => {
  const logKey = makeLogKey();
  let w: TestWitness;
  let t: TestGateway;

  beforeAll(async () => {
    w = await startTestWitness(logKey.verifierKey);
    // Checkpoints are signed and sent by the tests themselves here (no background rounds).
    t = await startWitnessedGateway(logKey, w, { workers: false });
  });
  afterAll(async () => {
    await t?.stop();
    await w?.stop();
    removeDir(w.dir);
  });

  it('the witness cosigns each checkpoint; the cosignature is stored with it and served in its note', async () => {
    const size = await addEvents(t, 12);
    const [st] = await t.gateway.witness.submit();
    expect(st).toMatchObject({ state: 'ok', witnessSize: size });
    const latest = (await t.gateway.checkpointer.latest())!;
    expect(noteCosignatures(latest.note, [w.witness.key])).toHaveLength(1);
    expect((await latestCosigned(t.gateway.pool))?.treeSize).toBe(size);
    expect((await w.latest()).treeSize).toBe(size);
    // The export, checked against the witness's own checkpoint: OK and witnessed.
    const r = await verify(await exportText(t), logKey.publicPem, { witnessKeys: [w.witness.key.verifierKey], trustedCheckpoints: [await w.latest()] });
    expect(r).toMatchObject({ ok: true, witnessed: { treeSize: size, witnesses: [w.witness.key.name] } });
  });

  it('truncation: an export cut back (with its checkpoints) fails TRUNCATED against the witnessed checkpoint, at any cut', async () => {
    const early = await exportText(t);
    const size = await addEvents(t, 9);
    await t.gateway.witness.submit();
    const full = await exportText(t);
    const witnessed = await w.latest();
    expect(witnessed.treeSize).toBe(size);
    const opts = { witnessKeys: [w.witness.key.verifierKey], trustedCheckpoints: [witnessed] };
    for (const keep of [size - 1, size - 5, 12, 3, 1]) {
      const cut = await cutAndResign(full, keep, logKey);
      // The issue: on its own, the cut export verifies (its own signed checkpoint agrees with it) ...
      expect(await verify(cut, logKey.publicPem), `cut at ${keep}`).toMatchObject({ ok: true });
      // ... and against the witnessed checkpoint it does not.
      expect(await verify(cut, logKey.publicPem, opts), `cut at ${keep}`).toMatchObject({ ok: false, reason: 'TRUNCATED' });
    }
    // An export taken earlier is short of what the witness has since cosigned: also TRUNCATED.
    expect(await verify(early, logKey.publicPem, opts)).toMatchObject({ ok: false, reason: 'TRUNCATED' });
    // The witnessed checkpoint as the gateway serves it (?witnessed=true) catches it too.
    const held = (await latestCosigned(t.gateway.pool))!;
    expect(await verify(await cutAndResign(full, 5, logKey), logKey.publicPem, { witnessKeys: [w.witness.key.verifierKey], trustedCheckpoints: [held] }))
      .toMatchObject({ ok: false, reason: 'TRUNCATED' });
    // With a witness key but no witnessed checkpoint at all: WITNESS_MISSING, never OK.
    const stripped = full.split('\n').map((l) => (l.includes('"type":"checkpoint"') ? l.replace(/\u2014 witness[^"]*?\\n/g, '') : l)).join('\n');
    expect(stripped).not.toBe(full);
    expect(await verify(stripped, logKey.publicPem, { witnessKeys: [w.witness.key.verifierKey] })).toMatchObject({ ok: false, reason: 'WITNESS_MISSING' });
    // A stale witnessed checkpoint can be refused by age.
    expect(await verify(full, logKey.publicPem, { ...opts, witnessMaxAgeSeconds: 60, now: new Date(Date.now() + 3_600_000) }))
      .toMatchObject({ ok: false, reason: 'WITNESS_STALE' });
  });

  it('rollback: a database cut back under the running gateway cannot be witnessed again, and its exports fail', async () => {
    const witnessedSize = await addEvents(t, 4);
    await t.gateway.witness.submit();
    expect((await w.latest()).treeSize).toBe(witnessedSize);

    await rollBackDatabase(t, witnessedSize - 10);
    // The log grows again from the cut, differently.
    const regrown = await addEvents(t, 3, 'after-rollback');
    expect(regrown).toBeLessThan(witnessedSize);
    const [ahead] = await t.gateway.witness.submit();
    expect(ahead).toMatchObject({ state: 'refused', code: 'WITNESS_AHEAD_OF_LOG', witnessSize: witnessedSize });
    const opts = { witnessKeys: [w.witness.key.verifierKey], trustedCheckpoints: [await w.latest()] };
    expect(await verify(await exportText(t), logKey.publicPem, opts)).toMatchObject({ ok: false, reason: 'TRUNCATED' });
    // Without the witness the rolled-back log passes: exactly what the witness is for.
    expect(await verify(await exportText(t), logKey.publicPem)).toMatchObject({ ok: true });

    // Past the witnessed size the rolled-back log is a fork: the witness refuses the proof (422),
    // and the export disagrees with the witnessed root at that size.
    const past = await addEvents(t, 15, 'after-rollback-2');
    expect(past).toBeGreaterThan(witnessedSize);
    const [refused] = await t.gateway.witness.submit();
    expect(refused).toMatchObject({ state: 'refused', code: 'WITNESS_PROOF_REFUSED' });
    expect(await verify(await exportText(t), logKey.publicPem, opts)).toMatchObject({ ok: false, reason: 'CHECKPOINT_INCONSISTENT', seq: witnessedSize });
    expect(w.store.evidence().map((e) => e.code)).toContain('WITNESS_PROOF_INVALID');
    expect((await t.gateway.witness.report()).status).toBe('degraded');
  });
});

describe('a forked log: two different logs shown to two parties', { timeout: 120_000 }, () => {
  const logKey = makeLogKey();
  let w: TestWitness;
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    w = await startTestWitness(logKey.verifierKey);
    // Same origin and signing key, two databases: two logs, each append-only on its own.
    a = await startWitnessedGateway(logKey, w, { workers: false });
    b = await startWitnessedGateway(logKey, w, { workers: false });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await w?.stop();
    removeDir(w.dir);
  });

  it('the witness cosigns one and refuses the other at every size; the second party’s verification fails', async () => {
    const sizeA = await addEvents(a, 20, 'log-a');
    expect((await a.gateway.witness.submit())[0]).toMatchObject({ state: 'ok', witnessSize: sizeA });

    // Log B (its world seeded like A's, then its own events), smaller, the same size, then larger
    // than A: refused each time, cosigned never.
    const sizeB = await addEvents(b, 2, 'log-b');
    expect(sizeB).toBeLessThan(sizeA);
    expect((await b.gateway.witness.submit())[0]).toMatchObject({ state: 'refused', code: 'WITNESS_AHEAD_OF_LOG' });
    expect(await addEvents(b, sizeA - sizeB, 'log-b2')).toBe(sizeA);
    expect((await b.gateway.witness.submit())[0]).toMatchObject({ state: 'refused', code: 'WITNESS_CONFLICT' });
    expect(await addEvents(b, 7, 'log-b3')).toBeGreaterThan(sizeA);
    expect((await b.gateway.witness.submit())[0]).toMatchObject({ state: 'refused', code: 'WITNESS_PROOF_REFUSED' });
    expect(await latestCosigned(b.gateway.pool)).toBeNull();
    expect(w.store.evidence().map((e) => e.code)).toEqual(expect.arrayContaining(['WITNESS_CONFLICT', 'WITNESS_PROOF_INVALID']));

    const witnessed = await w.latest();
    const opts = { witnessKeys: [w.witness.key.verifierKey], trustedCheckpoints: [witnessed] };
    // Party 1 is shown log A: OK. Party 2 is shown log B, signed by the same key: it fails.
    expect(await verify(await exportText(a), logKey.publicPem, opts)).toMatchObject({ ok: true, witnessed: { treeSize: sizeA } });
    expect(await verify(await exportText(b), logKey.publicPem, opts)).toMatchObject({ ok: false, reason: 'CHECKPOINT_INCONSISTENT' });
    // Log B on its own, or with its own (unwitnessed) latest checkpoint, would pass: the fork needs the witness.
    const ownLatest = (await b.gateway.checkpointer.latest())!;
    expect(await verify(await exportText(b), logKey.publicPem, { trustedCheckpoints: [ownLatest] })).toMatchObject({ ok: true });
    expect(await verify(await exportText(b), logKey.publicPem, { witnessKeys: [w.witness.key.verifierKey] })).toMatchObject({ ok: false, reason: 'WITNESS_MISSING' });

    // A keeps being witnessed as it grows.
    const grown = await addEvents(a, 3, 'log-a2');
    expect((await a.gateway.witness.submit())[0]).toMatchObject({ state: 'ok', witnessSize: grown });
  });
});
