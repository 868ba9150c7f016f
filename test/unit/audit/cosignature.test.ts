import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  appendSignatureLines, cosignLine, noteCosignatures, parseWitnessKey, witnessKey,
} from '../../../gateway/src/audit/cosignature.js';
import { formatNoteBody, parseNote, signNote, verifierKey } from '../../../gateway/src/audit/note.js';

const log = generateKeyPairSync('ed25519');
const wit = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const body = formatNoteBody({ origin: 'marac-gateway', treeSize: 12, root: Buffer.alloc(32, 7), time: '2026-03-01T10:00:00.000Z' });
const { note } = signNote(body, 'gateway-1', log.privateKey);
const NAME = 'witness.auditors.example/w1';
const T = 1_780_000_000;

describe('cosignature/v1 (c2sp.org/tlog-cosignature)', () => {
  it('signs the body after the cosignature/v1 header and time line, and verifies under the witness key only', () => {
    const line = cosignLine(body, NAME, wit.privateKey, T);
    expect(line).toMatch(new RegExp(`^\u2014 ${NAME.replace(/[./]/g, '\\$&')} [A-Za-z0-9+/]+=*\n$`));
    const raw = Buffer.from(line.trim().split(' ')[2]!, 'base64');
    expect(raw.length).toBe(4 + 8 + 64);
    expect(Number(raw.readBigUInt64BE(4))).toBe(T);
    const k = witnessKey(NAME, wit.publicKey);
    const cos = noteCosignatures(note + line, [k], T);
    expect(cos).toEqual([expect.objectContaining({ witness: NAME, time: T, line })]);
    // Another key, another name, or the log's own key: not a cosignature.
    expect(noteCosignatures(note + line, [witnessKey(NAME, other.publicKey)], T)).toEqual([]);
    expect(noteCosignatures(note + line, [witnessKey('someone-else', wit.publicKey)], T)).toEqual([]);
  });

  it('does not verify over another body (size, root or time line changed)', () => {
    const line = cosignLine(body, NAME, wit.privateKey, T);
    const k = witnessKey(NAME, wit.publicKey);
    for (const changed of [
      formatNoteBody({ origin: 'marac-gateway', treeSize: 13, root: Buffer.alloc(32, 7), time: '2026-03-01T10:00:00.000Z' }),
      formatNoteBody({ origin: 'marac-gateway', treeSize: 12, root: Buffer.alloc(32, 8), time: '2026-03-01T10:00:00.000Z' }),
      formatNoteBody({ origin: 'marac-gateway', treeSize: 12, root: Buffer.alloc(32, 7) }),
      formatNoteBody({ origin: 'other-log', treeSize: 12, root: Buffer.alloc(32, 7), time: '2026-03-01T10:00:00.000Z' }),
    ]) {
      const n = signNote(changed, 'gateway-1', log.privateKey).note;
      expect(noteCosignatures(n + line, [k], T)).toEqual([]);
    }
  });

  it('refuses a cosignature whose timestamp was altered, or that claims to be from the future', () => {
    const line = cosignLine(body, NAME, wit.privateKey, T);
    const raw = Buffer.from(line.trim().split(' ')[2]!, 'base64');
    raw.writeBigUInt64BE(BigInt(T + 1), 4);
    const k = witnessKey(NAME, wit.publicKey);
    expect(noteCosignatures(`${note}\u2014 ${NAME} ${raw.toString('base64')}\n`, [k], T + 5)).toEqual([]);
    const future = cosignLine(body, NAME, wit.privateKey, T + 3600);
    expect(noteCosignatures(note + future, [k], T)).toEqual([]);
    expect(noteCosignatures(note + future, [k], T + 3600)).toHaveLength(1);
  });

  it('a witness verifier key round-trips; a log key, a bad hash or junk is refused', () => {
    const k = witnessKey(NAME, wit.publicKey);
    expect(parseWitnessKey(k.verifierKey).keyHash.equals(k.keyHash)).toBe(true);
    expect(() => parseWitnessKey(verifierKey('gateway-1', log.publicKey))).toThrow(/log/);
    // The base64 key may itself contain '+': split on the first two only.
    const a = k.verifierKey.indexOf('+');
    const n = k.verifierKey.slice(0, a);
    const h = k.verifierKey.slice(a + 1, a + 9);
    const b = k.verifierKey.slice(a + 10);
    expect(() => parseWitnessKey(`${n}+${h === '00000000' ? '11111111' : '00000000'}+${b}`)).toThrow(/hash/);
    for (const junk of ['', 'name', 'a+b+c', `${n}+${h}`, `has space+${h}+${b}`]) expect(() => parseWitnessKey(junk)).toThrow();
  });

  it('a cosignature line never counts as the log signature, and a log signature never as a cosignature', () => {
    const k = witnessKey(NAME, wit.publicKey);
    // The witness's key used as a log key (0x01 key hash) is not a cosignature/v1 (0x04).
    const logSigned = signNote(body, NAME, wit.privateKey).note;
    expect(noteCosignatures(logSigned, [k], T)).toEqual([]);
  });

  it('appendSignatureLines adds each line once, and the note still parses', () => {
    const line = cosignLine(body, NAME, wit.privateKey, T);
    const twice = appendSignatureLines(appendSignatureLines(note, [line]), [line]);
    expect(twice).toBe(note + line);
    expect(parseNote(twice)?.signatures).toHaveLength(2);
  });
});
