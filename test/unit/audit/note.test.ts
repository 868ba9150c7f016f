import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  formatNoteBody, generateSigningKey, keyHash, noteSignedBy, parseNote, parsePublicKey, signNote, verifierKey,
} from '../../../gateway/src/audit/note.js';

const keys = generateSigningKey();
const priv = createPrivateKey(keys.privateKeyPem);
const pub = createPublicKey(keys.publicKeyPem);
const root = Buffer.alloc(32, 0xab);
const body = formatNoteBody({ origin: 'marac-gateway', treeSize: 42, root, time: '2026-11-22T19:00:00.000Z' });

describe('C2SP signed-note checkpoints', () => {
  it('formats the checkpoint body as origin, size, base64 root and a time extension', () => {
    expect(body).toBe(`marac-gateway\n42\n${root.toString('base64')}\ntime 2026-11-22T19:00:00.000Z\n`);
  });

  it('signs with an em-dash signature line carrying the 4-byte key hash, and verifies', () => {
    const { note } = signNote(body, 'gateway-1', priv);
    const last = note.split('\n').at(-2)!;
    expect(last.startsWith('\u2014 gateway-1 ')).toBe(true);
    const raw = Buffer.from(last.split(' ')[2]!, 'base64');
    expect(raw.subarray(0, 4)).toEqual(keyHash('gateway-1', pub));
    expect(raw.length).toBe(68);
    const parsed = parseNote(note)!;
    expect(parsed.body).toEqual({ origin: 'marac-gateway', treeSize: 42, root, time: '2026-11-22T19:00:00.000Z' });
    expect(noteSignedBy(parsed, [pub])).toBe(true);
  });

  it('rejects a note whose body was edited after signing', () => {
    const { note } = signNote(body, 'gateway-1', priv);
    const parsed = parseNote(note.replace('\n42\n', '\n43\n'))!;
    expect(parsed.body.treeSize).toBe(43);
    expect(noteSignedBy(parsed, [pub])).toBe(false);
  });

  it('does not accept a signature under a different key name', () => {
    const { note } = signNote(body, 'gateway-1', priv);
    expect(noteSignedBy(parseNote(note.replace('\u2014 gateway-1 ', '\u2014 gateway-2 '))!, [pub])).toBe(false);
  });

  it.each([
    ['no blank line', 'marac-gateway\n1\nAAAA\n'],
    ['no signature', `${body}\n`],
    ['bad size', body.replace('\n42\n', '\n042\n') + '\n\u2014 k AAAAAAA=\n'],
    ['short root', 'marac-gateway\n1\nAAAA\n\n\u2014 k AAAAAAA=\n'],
    ['signature line without dash', `${body}\n- gateway-1 AAAAAAA=\n`],
    ['no final newline', `${body}\n\u2014 gateway-1 AAAAAAA=`],
  ])('refuses a malformed note: %s', (_n, text) => {
    expect(parseNote(text)).toBeNull();
  });

  it('reads public keys as PEM, as the private PEM and as a C2SP verifier key', () => {
    const vkey = verifierKey('gateway-1', pub);
    expect(vkey).toMatch(/^gateway-1\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/);
    for (const text of [keys.publicKeyPem, keys.privateKeyPem, vkey]) {
      expect(parsePublicKey(text).publicKey.export({ format: 'der', type: 'spki' })).toEqual(pub.export({ format: 'der', type: 'spki' }));
    }
    expect(() => parsePublicKey(vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'))).toThrow(/hash/);
    // Base64 keys often contain '+': the name+hash+key split must not be fooled by it.
    for (let i = 0; i < 30; i++) {
      const k = createPublicKey(generateSigningKey().publicKeyPem);
      expect(parsePublicKey(verifierKey('gateway-1', k)).name).toBe('gateway-1');
    }
    expect(() => parsePublicKey('hello')).toThrow();
  });
});
