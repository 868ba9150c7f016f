import { createPrivateKey } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, prepareEvent, sequenceEvent } from '../../../gateway/src/audit/event.js';
import { CompactRange, hashLeaf } from '../../../gateway/src/audit/merkle.js';
import { formatNoteBody, generateSigningKey, signNote } from '../../../gateway/src/audit/note.js';
import { createExportVerifier, verifyExport, type VerifyOptions } from '../../../gateway/src/audit/verify.js';
import type { AuditEventInput } from '../../../gateway/src/audit/types.js';

const keys = generateSigningKey();
const priv = createPrivateKey(keys.privateKeyPem);
const opts: VerifyOptions = { publicKeys: [keys.publicKeyPem] };

function input(i: number): AuditEventInput {
  const base: AuditEventInput = { action: 'DELIVERED', actor: { kind: 'system', component: 'push-delivery' }, messageId: `msg_${i}`, requestId: `req_${i % 4}` };
  return i % 3 === 0 ? { ...base, action: 'VIEW_READ', decision: 'PERMIT', fieldsReleased: [`subj_${i}/police.markers`], detail: { n: i } } : base;
}

function checkpoint(size: number, root: Buffer, origin = 'marac-gateway'): string {
  const body = formatNoteBody({ origin, treeSize: size, root, time: '2026-11-22T00:00:00.000Z' });
  return JSON.stringify({ type: 'checkpoint', treeSize: size, rootHash: root.toString('base64'), note: signNote(body, 'gateway-1', priv).note });
}

/** An export as the gateway writes it: header, head checkpoint, events with checkpoints every `every`. */
function build(n: number, every = 4) {
  const range = CompactRange.empty();
  let prev = GENESIS_HASH;
  const events: string[] = [];
  const roots: Buffer[] = [];
  for (let i = 1; i <= n; i++) {
    const { event, canonical } = sequenceEvent(prepareEvent(input(i), new Date(Date.UTC(2026, 10, 1, 0, 0, i))), i, prev);
    prev = event.hash;
    range.append(hashLeaf(Buffer.from(canonical)));
    roots.push(range.root());
    events.push(canonical);
  }
  const lines = [JSON.stringify({ type: 'header', format: 'marac-audit-export', version: 1, origin: 'marac-gateway', mode: 'full' })];
  if (n > 0) lines.push(checkpoint(n, roots[n - 1]!));
  events.forEach((e, i) => {
    lines.push(e);
    if ((i + 1) % every === 0) lines.push(checkpoint(i + 1, roots[i]!));
  });
  return { lines, roots, text: `${lines.join('\n')}\n` };
}

const verify = (text: string, o: VerifyOptions = opts) => verifyExport([text], o);

describe('offline verifier', () => {
  it('accepts a good export, whatever the chunking (even one byte at a time)', async () => {
    const { text } = build(9);
    expect(await verify(text)).toMatchObject({ ok: true, count: 9, checkpoints: 3, checkpointedSize: 9, uncheckpointed: 0 });
    const v = createExportVerifier(opts);
    for (const byte of Buffer.from(text)) v.push(Uint8Array.of(byte));
    expect(v.end()).toMatchObject({ ok: true, count: 9 });
  });

  it('accepts CRLF line ends and a missing final newline', async () => {
    const { lines } = build(5);
    expect(await verify(lines.join('\r\n'))).toMatchObject({ ok: true, count: 5 });
  });

  it('accepts an empty log', async () => {
    expect(await verify(`${build(0).lines[0]}\n`)).toMatchObject({ ok: true, count: 0, rootHash: '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' });
  });

  it('counts events after the last checkpoint as chain-checked only', async () => {
    const { lines } = build(6, 4);
    const withoutHead = lines.filter((_, i) => i !== 1);
    expect(await verify(withoutHead.join('\n'))).toMatchObject({ ok: true, count: 6, checkpointedSize: 4, uncheckpointed: 2 });
  });

  it('refuses an export with no checkpoint unless told to accept chain-only', async () => {
    const { lines } = build(3, 100);
    const text = lines.filter((l) => !l.includes('"checkpoint"')).join('\n');
    expect(await verify(text)).toMatchObject({ ok: false, reason: 'NO_CHECKPOINT', seq: 1 });
    expect(await verify(text, { ...opts, allowUncheckpointed: true })).toMatchObject({ ok: true, uncheckpointed: 3 });
  });

  it('refuses a first event that does not start from the genesis hash or seq 1', async () => {
    const { lines } = build(6, 100);
    const fromTwo = [lines[0]!, ...lines.slice(3)].join('\n');
    expect(await verify(fromTwo, { ...opts, allowUncheckpointed: true })).toMatchObject({ ok: false, reason: 'SEQ_GAP', seq: 1 });
  });

  it('detects two signed roots for one size (a fork) and a checkpoint placed after its events', async () => {
    const { lines, roots } = build(8);
    const forked = [...lines];
    forked.splice(7, 0, checkpoint(4, Buffer.alloc(32, 7)));
    expect(await verify(forked.join('\n'))).toMatchObject({ ok: false, reason: 'CHECKPOINT_INCONSISTENT', seq: 4 });
    const early = [...lines];
    early.splice(2, 0, checkpoint(4, Buffer.alloc(32, 7)));
    expect(await verify(early.join('\n'))).toMatchObject({ ok: false, reason: 'CHECKPOINT_ROOT_MISMATCH', seq: 4 });
    const late = [...lines];
    late.push(checkpoint(6, roots[5]!));
    expect(await verify(late.join('\n'))).toMatchObject({ ok: false, reason: 'CHECKPOINT_MISPLACED', seq: 6 });
  });

  it('detects a checkpoint from another log (origin) and malformed checkpoint lines', async () => {
    const { lines, roots } = build(4);
    const other = [...lines];
    other[other.length - 1] = checkpoint(4, roots[3]!, 'another-log');
    expect(await verify(other.join('\n'))).toMatchObject({ ok: false, reason: 'CHECKPOINT_ORIGIN_MISMATCH' });
    const lying = [...lines];
    lying[lying.length - 1] = lying[lying.length - 1]!.replace('"treeSize":4', '"treeSize":3');
    expect(await verify(lying.join('\n'))).toMatchObject({ ok: false, reason: 'CHECKPOINT_MALFORMED' });
    expect(await verify(`${lines[0]}\n{"type":"checkpoint","note":"nope"}\n`)).toMatchObject({ ok: false, reason: 'CHECKPOINT_MALFORMED' });
  });

  it('refuses lines it does not understand', async () => {
    const { lines } = build(2);
    expect(await verify([...lines.slice(0, 3), 'not json', ...lines.slice(3)].join('\n'))).toMatchObject({ ok: false, reason: 'LINE_MALFORMED', seq: 2 });
    expect(await verify([...lines.slice(0, 3), '{"type":"mystery"}', ...lines.slice(3)].join('\n'))).toMatchObject({ ok: false, reason: 'LINE_MALFORMED' });
    expect(await verify([...lines, lines[0]!].join('\n'))).toMatchObject({ ok: false, reason: 'HEADER_INVALID' });
    expect(await verify(lines[0]!.replace('"full"', '"partial"'))).toMatchObject({ ok: false, reason: 'HEADER_INVALID' });
  });

  it('a tail cut off together with its checkpoints is caught only against a tree head held separately', async () => {
    const { lines, roots } = build(12, 4);
    // Cut after event 8's checkpoint and drop the head checkpoint that promised 12.
    const cut = lines.filter((_, i) => i !== 1).slice(0, lines.findIndex((l) => l.includes('"treeSize":8,')) );
    expect(await verify(cut.join('\n'))).toMatchObject({ ok: true, count: 8 });
    const head = { treeSize: 12, rootHash: roots[11]!.toString('base64') };
    expect(await verify(cut.join('\n'), { ...opts, trustedCheckpoints: [head] })).toMatchObject({ ok: false, reason: 'TRUNCATED', seq: 9 });
    expect(await verify(lines.join('\n'), { ...opts, trustedCheckpoints: [head] })).toMatchObject({ ok: true, count: 12 });
  });

  it('checks the signature of a trusted checkpoint given with its note', async () => {
    const { lines, roots } = build(4, 4);
    const signed = JSON.parse(lines[1]!) as { treeSize: number; rootHash: string; note: string };
    expect(await verify(lines.join('\n'), { ...opts, trustedCheckpoints: [signed] })).toEqual(expect.objectContaining({ ok: true }));
    const other = { publicKeys: [generateSigningKey().publicKeyPem, keys.publicKeyPem] };
    expect(await verify(lines.join('\n'), { ...other, trustedCheckpoints: [signed] })).toMatchObject({ ok: true });
    const forged = { ...signed, note: signed.note.replace(/ (\S+)\n$/, ' AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n') };
    expect(await verify(lines.join('\n'), { ...opts, trustedCheckpoints: [forged] })).toMatchObject({ ok: false, reason: 'CHECKPOINT_SIGNATURE_INVALID', seq: 4 });
    expect(() => createExportVerifier({ ...opts, trustedCheckpoints: [{ ...signed, rootHash: roots[0]!.toString('base64') }] })).toThrow();
  });

  it('needs at least one trusted key', () => {
    expect(() => createExportVerifier({ publicKeys: [] })).toThrow();
  });

  it('never accepts an export with any single byte of an event changed (property)', async () => {
    const { lines } = build(6, 3);
    const eventLines = lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('{"action"'));
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), async (which, pos, flip) => {
        const [line, index] = eventLines[which % eventLines.length]!;
        const bytes = Buffer.from(line);
        const at = pos % bytes.length;
        bytes[at] = bytes[at]! ^ flip;
        if (bytes.includes(10)) return; // a new line break is a different, also-detected, tamper
        const copy = [...lines];
        copy[index] = bytes.toString('latin1');
        const r = await verifyExport([Buffer.from(`${copy.join('\n')}\n`, 'latin1')], opts);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('never accepts an export with an event line deleted or duplicated (property)', async () => {
    const { lines } = build(7, 3);
    const idx = lines.map((l, i) => (l.startsWith('{"action"') ? i : -1)).filter((i) => i >= 0);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...idx), fc.boolean(), async (i, duplicate) => {
        const copy = [...lines];
        if (duplicate) copy.splice(i, 0, lines[i]!);
        else copy.splice(i, 1);
        expect((await verify(copy.join('\n'))).ok).toBe(false);
      }),
    );
  });
});
