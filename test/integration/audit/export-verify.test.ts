import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog, createCheckpointer, generateSigningKey, type Checkpointer } from '../../../gateway/src/audit/index.js';
import { canonicalize } from '../../../gateway/src/audit/jcs.js';
import { eventHash } from '../../../gateway/src/audit/event.js';
import { exportEvents } from '../../../gateway/src/audit/export.js';
import { formatNoteBody, parseNote, signNote } from '../../../gateway/src/audit/note.js';
import { verifyExport, type VerifyOptions, type VerifyResult } from '../../../gateway/src/audit/verify.js';
import { tokensForSubject } from '../../../gateway/src/audit/subject-tokens.js';
import type { AuditEvent } from '../../../gateway/src/audit/types.js';
import { withTx } from '../../../gateway/src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { HMAC_KEY, viewRead } from './helpers.js';

const run = promisify(execFile);
const keys = generateSigningKey();
const opts: VerifyOptions = { publicKeys: [keys.publicKeyPem] };
const subjectTokens = tokensForSubject(HMAC_KEY, { identifiers: [{ system: 'nhs-number', value: '9434765919' }] });

let db: TestDatabase;
let checkpointer: Checkpointer;
let exported: string;
const TOTAL = 260;

async function collect(it: AsyncIterable<string>): Promise<string> {
  let s = '';
  for await (const chunk of it) s += chunk;
  return s;
}
function verifyText(text: string, o: VerifyOptions = opts): Promise<VerifyResult> {
  // Odd chunk sizes: lines straddle pushes, as they do when streaming a file or a response.
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 997) chunks.push(bytes.subarray(i, i + 997));
  return verifyExport(chunks, o);
}
const isEvent = (l: string) => l.startsWith('{"action":');
function eventIndex(lines: string[], seq: number): number {
  return lines.findIndex((l) => isEvent(l) && (JSON.parse(l) as AuditEvent).seq === seq);
}
function rehash(e: AuditEvent): AuditEvent {
  return { ...e, hash: eventHash(e) };
}

beforeAll(async () => {
  db = await createTestDatabase();
  const audit = createAuditLog({ hmacKey: HMAC_KEY });
  checkpointer = createCheckpointer({ pool: db.pool, signingKeyPem: keys.privateKeyPem, keyId: 'gateway-1', origin: 'marac-gateway' });
  for (let i = 1; i <= TOTAL; i++) {
    await withTx(db.pool, (tx) => audit.append(tx, viewRead(i, i % 10 === 0 ? { subjectTokens } : {})));
    // A checkpoint roughly every 40 events, as the every-second job would make under load.
    if (i % 40 === 0) {
      await audit.flush(db.pool);
      await checkpointer.tick();
    }
  }
  await audit.flush(db.pool);
  exported = await collect(exportEvents(db.pool, {}, 'ndjson', { origin: 'marac-gateway', checkpointer, checkpointEvery: 1 }));
});
afterAll(async () => {
  await db.drop();
});

describe('full export verifies offline', () => {
  it('is OK with every event, checkpoint and the recomputed root', async () => {
    const r = await verifyText(exported);
    expect(r).toMatchObject({ ok: true, mode: 'full', count: TOTAL, checkpointedSize: TOTAL, uncheckpointed: 0 });
    const latest = await checkpointer.latest();
    expect(r.ok && r.rootHash).toBe(latest!.rootHash);
    expect(r.ok && r.checkpoints).toBeGreaterThanOrEqual(6);
  });

  it('holds no identifier of the subject, only its token', () => {
    expect(exported).not.toContain('9434765919');
    expect(exported).toContain(subjectTokens[0]);
  });

  it('fails closed with the wrong key, no key match and no checkpoint', async () => {
    expect(await verifyText(exported, { publicKeys: [generateSigningKey().publicKeyPem] })).toMatchObject({ ok: false, reason: 'CHECKPOINT_SIGNATURE_INVALID' });
    const noCheckpoints = exported.split('\n').filter((l) => !l.startsWith('{"type":"checkpoint"')).join('\n');
    expect(await verifyText(noCheckpoints)).toMatchObject({ ok: false, reason: 'NO_CHECKPOINT' });
  });
});

describe('tampering with an export is detected at the right sequence number', () => {
  const tamper = (f: (lines: string[]) => void) => {
    const lines = exported.split('\n');
    f(lines);
    return lines.join('\n');
  };

  it('a changed field → HASH_MISMATCH at that event', async () => {
    const text = tamper((lines) => {
      const i = eventIndex(lines, 120);
      lines[i] = lines[i]!.replace('"decision":"PERMIT_WITH_TRANSFORMS"', '"decision":"DENY"');
    });
    expect(await verifyText(text)).toMatchObject({ ok: false, seq: 120, reason: 'HASH_MISMATCH' });
  });

  it('a changed field with its hash recomputed → CHAIN_BROKEN at the next event', async () => {
    const text = tamper((lines) => {
      const i = eventIndex(lines, 117);
      lines[i] = canonicalize(rehash({ ...(JSON.parse(lines[i]!) as AuditEvent), caseId: 'case_forged' }));
    });
    expect(await verifyText(text)).toMatchObject({ ok: false, seq: 118, reason: 'CHAIN_BROKEN' });
  });

  it('a changed field with the whole chain rebuilt → CHECKPOINT_ROOT_MISMATCH at the next checkpoint (120)', async () => {
    const text = tamper((lines) => {
      let prev: string | null = null;
      for (let i = 0; i < lines.length; i++) {
        if (!isEvent(lines[i]!)) continue;
        let e = JSON.parse(lines[i]!) as AuditEvent;
        if (e.seq === 117) e = { ...e, caseId: 'case_forged' };
        if (prev !== null) e = { ...e, prevHash: prev };
        if (e.seq >= 117) {
          e = rehash(e);
          lines[i] = canonicalize(e);
        }
        prev = e.hash;
      }
    });
    expect(await verifyText(text)).toMatchObject({ ok: false, seq: 120, reason: 'CHECKPOINT_ROOT_MISMATCH' });
  });

  it('a deleted event → SEQ_GAP at the missing seq', async () => {
    const text = tamper((lines) => void lines.splice(eventIndex(lines, 77), 1));
    expect(await verifyText(text)).toMatchObject({ ok: false, seq: 77, reason: 'SEQ_GAP' });
  });

  it('an inserted event (well formed, hashed and chained) → SEQ_OUT_OF_ORDER at its seq', async () => {
    const text = tamper((lines) => {
      const i = eventIndex(lines, 150);
      const prev = JSON.parse(lines[eventIndex(lines, 149)]!) as AuditEvent;
      const forged = rehash({ ...(JSON.parse(lines[i]!) as AuditEvent), messageId: 'msg_forged', prevHash: prev.hash });
      lines.splice(i, 0, canonicalize(forged));
    });
    expect(await verifyText(text)).toMatchObject({ ok: false, seq: 150, reason: 'SEQ_OUT_OF_ORDER' });
  });

  it('two events swapped → SEQ_OUT_OF_ORDER at the first', async () => {
    const text = tamper((lines) => {
      const a = eventIndex(lines, 201);
      const b = eventIndex(lines, 202);
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
    });
    expect(await verifyText(text)).toMatchObject({ ok: false, seq: 201, reason: 'SEQ_OUT_OF_ORDER' });
  });

  it('a truncated tail → TRUNCATED after the last event left', async () => {
    const text = tamper((lines) => void lines.splice(eventIndex(lines, 231)));
    expect(await verifyText(text)).toMatchObject({ ok: false, seq: 231, reason: 'TRUNCATED' });
  });

  it('a replaced checkpoint signature → CHECKPOINT_SIGNATURE_INVALID at its tree size', async () => {
    const text = tamper((lines) => {
      const i = lines.findIndex((l) => l.startsWith('{"type":"checkpoint"') && JSON.parse(l).treeSize === 80);
      const cp = JSON.parse(lines[i]!);
      const sig = cp.note.split('\n').at(-2).split(' ')[2] as string;
      const raw = Buffer.from(sig, 'base64');
      raw[10]! ^= 1;
      cp.note = cp.note.replace(sig, raw.toString('base64'));
      lines[i] = JSON.stringify(cp);
    });
    expect(await verifyText(text)).toMatchObject({ ok: false, seq: 80, reason: 'CHECKPOINT_SIGNATURE_INVALID' });
  });

  it('a checkpoint re-signed by another key → CHECKPOINT_SIGNATURE_INVALID', async () => {
    const other = createPrivateKey(generateSigningKey().privateKeyPem);
    const text = tamper((lines) => {
      const i = lines.findIndex((l) => l.startsWith('{"type":"checkpoint"') && JSON.parse(l).treeSize === 160);
      const cp = JSON.parse(lines[i]!);
      const body = parseNote(cp.note)!.bodyText;
      cp.note = signNote(body, 'gateway-1', other).note;
      lines[i] = JSON.stringify(cp);
    });
    expect(await verifyText(text)).toMatchObject({ ok: false, seq: 160, reason: 'CHECKPOINT_SIGNATURE_INVALID' });
  });

  it('a validly signed checkpoint for a different tree (a fork) → CHECKPOINT_ROOT_MISMATCH', async () => {
    const key = createPrivateKey(keys.privateKeyPem);
    const text = tamper((lines) => {
      const i = lines.findIndex((l) => l.startsWith('{"type":"checkpoint"') && JSON.parse(l).treeSize === 200);
      const body = formatNoteBody({ origin: 'marac-gateway', treeSize: 200, root: Buffer.alloc(32, 9), time: new Date().toISOString() });
      lines[i] = JSON.stringify({ type: 'checkpoint', note: signNote(body, 'gateway-1', key).note });
    });
    expect(await verifyText(text)).toMatchObject({ ok: false, seq: 200, reason: 'CHECKPOINT_ROOT_MISMATCH' });
  });

  it('a reformatted (non-canonical) event line → EVENT_MALFORMED', async () => {
    const text = tamper((lines) => {
      const i = eventIndex(lines, 5);
      lines[i] = JSON.stringify(JSON.parse(lines[i]!), null, 0).replace('{"action"', '{ "action"');
    });
    expect(await verifyText(text)).toMatchObject({ ok: false, seq: 5, reason: 'EVENT_MALFORMED' });
  });

  it('a tree head seen in an earlier audit that this export contradicts → CHECKPOINT_INCONSISTENT', async () => {
    const r = await verifyText(exported, { ...opts, trustedCheckpoints: [{ treeSize: 100, rootHash: Buffer.alloc(32, 1).toString('base64') }] });
    expect(r).toMatchObject({ ok: false, seq: 100, reason: 'CHECKPOINT_INCONSISTENT' });
    const seen = JSON.parse(exported.split('\n').find((l) => l.startsWith('{"type":"checkpoint"') && JSON.parse(l).treeSize === 120)!);
    expect(await verifyText(exported, { ...opts, trustedCheckpoints: [{ treeSize: 120, rootHash: seen.rootHash }] })).toMatchObject({ ok: true });
  });
});

describe('filtered export', () => {
  it('carries an inclusion proof per event that verifies against the signed checkpoint', async () => {
    const text = await collect(exportEvents(db.pool, { subjectToken: subjectTokens[0]! }, 'ndjson', { origin: 'marac-gateway' }));
    const r = await verifyText(text);
    expect(r).toMatchObject({ ok: true, mode: 'filtered', count: TOTAL / 10 });
    const lines = text.split('\n');
    const pi = lines.findIndex((l) => l.startsWith('{"type":"proof"'));
    const proof = JSON.parse(lines[pi]!);
    proof.hashes[0] = Buffer.alloc(32).toString('base64');
    lines[pi] = JSON.stringify(proof);
    expect(await verifyText(lines.join('\n'))).toMatchObject({ ok: false, seq: proof.seq, reason: 'PROOF_INVALID' });
    const noProof = text.split('\n').filter((l) => !l.startsWith('{"type":"proof"')).join('\n');
    expect(await verifyText(noProof)).toMatchObject({ ok: false, reason: 'PROOF_MISSING' });
  });
});

describe('CSV export', () => {
  it('streams a header, the checkpoint and one row per event with the canonical JSON', async () => {
    const csv = await collect(exportEvents(db.pool, { action: 'VIEW_READ' }, 'csv'));
    const rows = csv.trim().split('\r\n');
    expect(rows[0]).toMatch(/^type,seq,ts,action/);
    expect(rows.filter((r) => r.startsWith('event,'))).toHaveLength(TOTAL);
    expect(rows.filter((r) => r.startsWith('checkpoint,'))).toHaveLength(1);
  });

  it('refuses an unknown format (FORMAT_INVALID)', async () => {
    await expect(collect(exportEvents(db.pool, {}, 'xml' as never))).rejects.toMatchObject({ code: 'AUDIT_QUERY_INVALID', reason: 'FORMAT_INVALID' });
  });
});

describe('npm run audit:verify', { timeout: 120_000 }, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'audit-verify-'));
    writeFileSync(path.join(dir, 'good.ndjson'), exported);
    writeFileSync(path.join(dir, 'key.pem'), keys.publicKeyPem);
    const lines = exported.split('\n');
    lines.splice(eventIndex(lines, 42), 1);
    writeFileSync(path.join(dir, 'bad.ndjson'), lines.join('\n'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // node --import tsx: what `npm run audit:verify` runs, without npx's start-up cost.
  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', ...args], { cwd: path.resolve(import.meta.dirname, '../../..') })
      .then((r) => ({ code: 0, stdout: r.stdout }))
      .catch((e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }));

  // No witness in this world: the CLI requires one unless told --no-witness (test/security/witness-cli.test.ts covers the witnessed runs).
  it('prints OK <count> events and exits 0 for a good export', async () => {
    expect(await cli(path.join(dir, 'good.ndjson'), '--key', path.join(dir, 'key.pem'), '--no-witness')).toEqual({ code: 0, stdout: `OK ${TOTAL} events\n` });
  });
  it('prints FAIL seq=<n> <reason> and exits 1 for a tampered one', async () => {
    expect(await cli(path.join(dir, 'bad.ndjson'), '--key', path.join(dir, 'key.pem'), '--no-witness')).toEqual({ code: 1, stdout: 'FAIL seq=42 SEQ_GAP\n' });
  });
  it('exits 2 without a key', async () => {
    expect((await cli(path.join(dir, 'good.ndjson'), '--no-witness')).code).toBe(2);
  });
  it('exits 2 without a witness key unless --no-witness is given', async () => {
    expect((await cli(path.join(dir, 'good.ndjson'), '--key', path.join(dir, 'key.pem'))).code).toBe(2);
  });
});
