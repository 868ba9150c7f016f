import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cosignLine, witnessKey } from '../../../gateway/src/audit/cosignature.js';
import { GENESIS_HASH, prepareEvent, sequenceEvent } from '../../../gateway/src/audit/event.js';
import { CompactRange, hashLeaf } from '../../../gateway/src/audit/merkle.js';
import { formatNoteBody, generateSigningKey, signNote } from '../../../gateway/src/audit/note.js';
import { verifyExport, type VerifyOptions } from '../../../gateway/src/audit/verify.js';

const keys = generateSigningKey();
const priv = createPrivateKey(keys.privateKeyPem);
const wPriv = generateKeyPairSync('ed25519').privateKey;
const W = witnessKey('witness.example/w1', wPriv);
const W2 = witnessKey('witness.other/w2', generateKeyPairSync('ed25519').privateKey);
const T = Math.floor(Date.now() / 1000);

/** A log of n events (the `fork` seed changes event `forkAt` onwards) and its root at each size. */
function log(n: number, fork?: { at: number }) {
  const range = CompactRange.empty();
  let prev = GENESIS_HASH;
  const events: string[] = [];
  const roots: Buffer[] = [];
  for (let i = 1; i <= n; i++) {
    const component = fork && i >= fork.at ? 'forked' : 'push-delivery';
    const { event, canonical } = sequenceEvent(prepareEvent({ action: 'DELIVERED', actor: { kind: 'system', component }, messageId: `msg_${i}` }, new Date(Date.UTC(2026, 10, 1, 0, 0, i))), i, prev);
    prev = event.hash;
    range.append(hashLeaf(Buffer.from(canonical)));
    roots.push(range.root());
    events.push(canonical);
  }
  const note = (size: number, cosigners: { key: typeof wPriv; name: string; time?: number }[] = []) => {
    const body = formatNoteBody({ origin: 'marac-gateway', treeSize: size, root: roots[size - 1]!, time: '2026-11-22T00:00:00.000Z' });
    return signNote(body, 'gateway-1', priv).note + cosigners.map((c) => cosignLine(body, c.name, c.key, c.time ?? T)).join('');
  };
  const cp = (size: number, n = note(size)) => JSON.stringify({ type: 'checkpoint', treeSize: size, rootHash: roots[size - 1]!.toString('base64'), note: n });
  const exportText = (lastCheckpoint = note(n)) =>
    `${[JSON.stringify({ type: 'header', format: 'marac-audit-export', version: 1, origin: 'marac-gateway', mode: 'full' }), cp(n, lastCheckpoint), ...events].join('\n')}\n`;
  const trusted = (size: number, n = note(size, [{ key: wPriv, name: W.name }])) => ({ treeSize: size, rootHash: roots[size - 1]!.toString('base64'), note: n });
  return { note, exportText, trusted };
}

const base: VerifyOptions = { publicKeys: [keys.publicKeyPem], witnessKeys: [W.verifierKey] };
const v = (text: string, o: Partial<VerifyOptions> = {}) => verifyExport([text], { ...base, ...o });

describe('verifier with witness keys', () => {
  it('a witnessed checkpoint in the export, or given beside it, makes it OK', async () => {
    const l = log(10);
    expect(await v(l.exportText(l.note(10, [{ key: wPriv, name: W.name }])))).toMatchObject({ ok: true, witnessed: { treeSize: 10, witnesses: [W.name] } });
    expect(await v(l.exportText(), { trustedCheckpoints: [l.trusted(7)] })).toMatchObject({ ok: true, witnessed: { treeSize: 7 } });
  });

  it('WITNESS_MISSING when nothing is witnessed, or only by unknown, forged or wrong-body cosignatures', async () => {
    const l = log(10);
    const other = log(10, { at: 4 });
    expect(await v(l.exportText())).toMatchObject({ ok: false, reason: 'WITNESS_MISSING' });
    // Cosigned by a witness we do not trust.
    expect(await v(l.exportText(l.note(10, [{ key: generateKeyPairSync('ed25519').privateKey, name: W.name }])))).toMatchObject({ ok: false, reason: 'WITNESS_MISSING' });
    // A real cosignature of another log's checkpoint of the same size, pasted under this one.
    const pasted = l.note(10) + other.note(10, [{ key: wPriv, name: W.name }]).split('\n').filter((x) => x.startsWith(`\u2014 ${W.name}`)).join('\n') + '\n';
    expect(await v(l.exportText(pasted))).toMatchObject({ ok: false, reason: 'WITNESS_MISSING' });
    // Signature bytes changed.
    const good = l.note(10, [{ key: wPriv, name: W.name }]);
    const line = good.split('\n').find((x) => x.startsWith(`\u2014 ${W.name}`))!;
    const raw = Buffer.from(line.split(' ')[2]!, 'base64');
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
    expect(await v(l.exportText(`${l.note(10)}\u2014 ${W.name} ${raw.toString('base64')}\n`))).toMatchObject({ ok: false, reason: 'WITNESS_MISSING' });
  });

  it('a witnessed checkpoint of another log (origin) is refused, not counted', async () => {
    const l = log(6);
    const body = formatNoteBody({ origin: 'other-log', treeSize: 6, root: Buffer.alloc(32, 1) });
    const note = signNote(body, 'gateway-1', priv).note + cosignLine(body, W.name, wPriv, T);
    const trusted = { treeSize: 6, rootHash: Buffer.alloc(32, 1).toString('base64'), note };
    expect(await v(l.exportText(), { trustedCheckpoints: [trusted] })).toMatchObject({ ok: false, reason: 'CHECKPOINT_ORIGIN_MISMATCH' });
    expect(await v(l.exportText(), { trustedCheckpoints: [trusted], origin: 'marac-gateway' })).toMatchObject({ ok: false, reason: 'CHECKPOINT_ORIGIN_MISMATCH' });
  });

  it('a quorum of two needs two distinct witnesses', async () => {
    const l = log(6);
    const one = l.note(6, [{ key: wPriv, name: W.name }]);
    expect(await v(l.exportText(one), { witnessKeys: [W.verifierKey, W2.verifierKey], witnessQuorum: 2 })).toMatchObject({ ok: false, reason: 'WITNESS_MISSING' });
  });

  it('the export must reach and agree with the witnessed checkpoint: TRUNCATED, CHECKPOINT_INCONSISTENT', async () => {
    const full = log(12);
    const short = log(8);
    const fork = log(12, { at: 5 });
    expect(await v(short.exportText(), { trustedCheckpoints: [full.trusted(12)] })).toMatchObject({ ok: false, reason: 'TRUNCATED' });
    expect(await v(fork.exportText(), { trustedCheckpoints: [full.trusted(12)] })).toMatchObject({ ok: false, reason: 'CHECKPOINT_INCONSISTENT', seq: 12 });
    expect(await v(fork.exportText(), { trustedCheckpoints: [full.trusted(9)] })).toMatchObject({ ok: false, reason: 'CHECKPOINT_INCONSISTENT', seq: 9 });
    // A forked log that is longer, witnessed at a size inside the common prefix: consistent there.
    expect(await v(fork.exportText(), { trustedCheckpoints: [full.trusted(4)] })).toMatchObject({ ok: true, witnessed: { treeSize: 4 } });
  });

  it('stale by age, and the opt-out', async () => {
    const l = log(5);
    const old = l.note(5, [{ key: wPriv, name: W.name, time: T - 7200 }]);
    expect(await v(l.exportText(old), { witnessMaxAgeSeconds: 3600 })).toMatchObject({ ok: false, reason: 'WITNESS_STALE' });
    expect(await v(l.exportText(old), { witnessMaxAgeSeconds: 86_400 })).toMatchObject({ ok: true });
    expect(await verifyExport([l.exportText()], { publicKeys: [keys.publicKeyPem], requireWitness: false })).toMatchObject({ ok: true, witnessed: null });
    await expect(verifyExport([l.exportText()], { publicKeys: [keys.publicKeyPem], requireWitness: true })).rejects.toThrow(/witness key/);
  });
});
