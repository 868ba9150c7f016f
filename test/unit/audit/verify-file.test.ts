import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH, prepareEvent, sequenceEvent } from '../../../gateway/src/audit/event.js';
import { CompactRange, hashLeaf, inclusionProof, rootFromLeafHashes } from '../../../gateway/src/audit/merkle.js';
import { formatNoteBody, generateSigningKey, signNote } from '../../../gateway/src/audit/note.js';
import type { AuditEventInput } from '../../../gateway/src/audit/types.js';
import { verifyExport, type VerifyOptions, type VerifyResult } from '../../../gateway/src/audit/verify.js';
import { verifyExportFile } from '../../../gateway/src/audit/verify-file.js';

/**
 * The file verifier splits an export into chunks hashed on worker threads and judged on the
 * calling thread. Whatever the chunking, its verdict must be the streaming verifier's, byte for
 * byte: same ok/count/root, or the same first bad seq, reason and line.
 */
const keys = generateSigningKey();
const priv = createPrivateKey(keys.privateKeyPem);
const opts: VerifyOptions = { publicKeys: [keys.publicKeyPem] };
const dir = mkdtempSync(path.join(tmpdir(), 'verify-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function input(i: number): AuditEventInput {
  const base: AuditEventInput = { action: 'DELIVERED', actor: { kind: 'system', component: 'push-delivery' }, messageId: `msg_${i}`, requestId: `req_${i % 4}` };
  if (i % 50 === 0) {
    // Longer than the smallest chunk: a line that has to be carried across several reads.
    return { ...base, action: 'VIEW_READ', decision: 'PERMIT', fieldsReleased: Array.from({ length: 60 }, (_, k) => `subj_${i}/police.incidents[${k}].date`) };
  }
  return i % 3 === 0 ? { ...base, action: 'VIEW_READ', decision: 'PERMIT', fieldsReleased: [`subj_${i}/police.markers`], detail: { n: i } } : base;
}

function checkpoint(size: number, root: Buffer): string {
  const body = formatNoteBody({ origin: 'marac-gateway', treeSize: size, root, time: '2026-11-22T00:00:00.000Z' });
  return JSON.stringify({ type: 'checkpoint', treeSize: size, rootHash: root.toString('base64'), note: signNote(body, 'gateway-1', priv).note });
}

function build(n: number, every: number) {
  const range = CompactRange.empty();
  let prev = GENESIS_HASH;
  const events: string[] = [];
  const leaves: Buffer[] = [];
  const roots: Buffer[] = [];
  for (let i = 1; i <= n; i++) {
    const { event, canonical } = sequenceEvent(prepareEvent(input(i), new Date(Date.UTC(2026, 10, 1, 0, 0, i))), i, prev);
    prev = event.hash;
    const leaf = hashLeaf(Buffer.from(canonical));
    leaves.push(leaf);
    range.append(leaf);
    roots.push(range.root());
    events.push(canonical);
  }
  // As the gateway writes it: the head checkpoint first (it promises every event), then the
  // events with a checkpoint every `every`.
  const lines = [JSON.stringify({ type: 'header', format: 'marac-audit-export', version: 1, origin: 'marac-gateway', mode: 'full' }), checkpoint(n, roots[n - 1]!)];
  events.forEach((e, i) => {
    lines.push(e);
    if ((i + 1) % every === 0 || i + 1 === n) lines.push(checkpoint(i + 1, roots[i]!));
  });
  return { lines, events, leaves, roots };
}

const N = 260;
const good = build(N, 37);
let fileNo = 0;

async function both(text: string | Buffer, o: VerifyOptions = opts, chunkBytes = 1024): Promise<{ file: VerifyResult; stream: VerifyResult }> {
  const file = path.join(dir, `export-${fileNo++}.ndjson`);
  writeFileSync(file, text);
  const data = typeof text === 'string' ? Buffer.from(text) : text;
  const [onWorkers, stream] = await Promise.all([
    verifyExportFile(file, o, { threads: 2, chunkBytes, parallelFromBytes: 0 }),
    verifyExport([data], o),
  ]);
  return { file: onWorkers, stream };
}

const join = (lines: string[]) => `${lines.join('\n')}\n`;
const eventIndexes = good.lines.map((l, i) => (l.startsWith('{"action"') ? i : -1)).filter((i) => i >= 0);

describe('verifyExportFile on worker threads', () => {
  it('accepts a good export with the streaming verifier\'s root, whatever the chunk size', async () => {
    for (const chunkBytes of [1024, 1500, 4096, 1 << 20]) {
      const { file, stream } = await both(join(good.lines), opts, chunkBytes);
      expect(file).toEqual(stream);
      expect(file).toMatchObject({ ok: true, count: N, checkpointedSize: N, rootHash: good.roots[N - 1]!.toString('base64') });
    }
  });

  it('accepts CRLF line ends, blank lines and a missing final newline like the streaming verifier', async () => {
    const crlf = good.lines.join('\r\n');
    const blanks = good.lines.flatMap((l, i) => (i % 40 === 0 ? [l, ''] : [l])).join('\n');
    for (const text of [crlf, blanks]) {
      const { file, stream } = await both(text);
      expect(file).toEqual(stream);
      expect(file.ok).toBe(true);
    }
  });

  it('verifies small files on the calling thread by default (same verdict)', async () => {
    const file = path.join(dir, 'small.ndjson');
    writeFileSync(file, join(good.lines));
    expect(await verifyExportFile(file, opts)).toEqual(await verifyExport([join(good.lines)], opts));
  });

  it('reports the same first failure for each kind of tampering', async () => {
    const at = eventIndexes[100]!;
    const changed = [...good.lines];
    changed[at] = changed[at]!.replace('"DELIVERED"', '"ACKNOWLEDGED"').replace('"VIEW_READ"', '"EXPORTED"');
    const deleted = good.lines.filter((_, i) => i !== at);
    const inserted = [...good.lines.slice(0, at), good.lines[at]!, ...good.lines.slice(at)];
    const swapped = [...good.lines];
    [swapped[at], swapped[at + 1]] = [swapped[at + 1]!, swapped[at]!];
    const truncated = good.lines.slice(0, eventIndexes[200]!);
    const badSig = good.lines.map((l) => (l.includes('"treeSize":74,') ? l.replace(/— gateway-1 (\S)/, (_m, c: string) => `— gateway-1 ${c === 'A' ? 'B' : 'A'}`) : l));
    expect(badSig).not.toEqual(good.lines);
    const cases: [string, string[], string][] = [
      ['changed', changed, 'HASH_MISMATCH'],
      ['deleted', deleted, 'SEQ_GAP'],
      ['inserted', inserted, 'SEQ_OUT_OF_ORDER'],
      ['swapped', swapped, 'SEQ_OUT_OF_ORDER'],
      ['truncated', truncated, 'TRUNCATED'],
      ['bad signature', badSig, 'CHECKPOINT_SIGNATURE_INVALID'],
    ];
    for (const [name, lines, reason] of cases) {
      const { file, stream } = await both(join(lines));
      expect(file, name).toEqual(stream);
      expect(file, name).toMatchObject({ ok: false, reason });
    }
  });

  it('checks trusted checkpoints that fall inside a run of events (root needed mid-chunk)', async () => {
    for (const size of [1, 2, 3, 5, 64, 77, 129, 255]) {
      const trusted = { treeSize: size, rootHash: good.roots[size - 1]!.toString('base64') };
      const { file, stream } = await both(join(good.lines), { ...opts, trustedCheckpoints: [trusted] }, 1500);
      expect(file).toEqual(stream);
      expect(file.ok).toBe(true);
      const wrong = { treeSize: size, rootHash: good.roots[size]!.toString('base64') };
      const bad = await both(join(good.lines), { ...opts, trustedCheckpoints: [wrong] }, 1500);
      expect(bad.file).toEqual(bad.stream);
      expect(bad.file).toMatchObject({ ok: false, reason: 'CHECKPOINT_INCONSISTENT', seq: size });
    }
  });

  it('verifies a filtered export (events with inclusion proofs) like the streaming verifier', async () => {
    const node = (level: number, index: number) => rootFromLeafHashes(good.leaves.slice(index * 2 ** level, (index + 1) * 2 ** level));
    const picked = [3, 17, 18, 120, 259];
    const lines = [
      JSON.stringify({ type: 'header', format: 'marac-audit-export', version: 1, origin: 'marac-gateway', mode: 'filtered' }),
      checkpoint(N, good.roots[N - 1]!),
      ...picked.flatMap((seq) => [
        good.events[seq - 1]!,
        JSON.stringify({ type: 'proof', seq, treeSize: N, hashes: inclusionProof(seq - 1, N, node).map((h) => h.toString('base64')) }),
      ]),
    ];
    const { file, stream } = await both(join(lines), opts, 1024);
    expect(file).toEqual(stream);
    expect(file).toMatchObject({ ok: true, mode: 'filtered', count: picked.length });
    const noProof = lines.filter((_, i) => i !== 5);
    const missing = await both(join(noProof), opts, 1024);
    expect(missing.file).toEqual(missing.stream);
    expect(missing.file).toMatchObject({ ok: false, reason: 'PROOF_MISSING' });
  });

  it('agrees with the streaming verifier on any single changed byte, deleted or duplicated line (property)', async () => {
    const bytes = Buffer.from(join(good.lines));
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('flip', 'delete', 'duplicate'), fc.nat(), async (pos, flip, op, lineNo) => {
        let text: Buffer;
        if (op === 'flip') {
          text = Buffer.from(bytes);
          const at = pos % text.length;
          text[at] = text[at]! ^ flip;
        } else {
          const i = lineNo % good.lines.length;
          const copy = [...good.lines];
          if (op === 'delete') copy.splice(i, 1);
          else copy.splice(i, 0, good.lines[i]!);
          text = Buffer.from(join(copy));
        }
        const { file, stream } = await both(text, opts, 1024 + (pos % 3000));
        expect(file).toEqual(stream);
      }),
      { numRuns: 60 },
    );
  });

  it('a file that cannot be read is an error, not a verdict', async () => {
    await expect(verifyExportFile(path.join(dir, 'missing.ndjson'), opts)).rejects.toThrow(/ENOENT/);
  });
});
