import { createPublicKey, hash, sign, verify, type KeyObject } from 'node:crypto';
import { parseNote, publicKeyFromRaw, rawPublicKey, type ParsedNote } from './note.js';

/**
 * Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519 "cosignature/v1"): a note signature
 * line from the witness's key over
 *
 *   "cosignature/v1\ntime <unix seconds>\n" ‖ checkpoint body
 *
 * whose bytes are key ID (4) ‖ timestamp (u64 big-endian) ‖ Ed25519 signature (64). The key ID is
 * SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4]; 0x04 keeps a witness key from ever verifying as
 * a log key (0x01) and the reverse. Pure: shared by the witness, the gateway and the verifier.
 */
const COSIGNATURE_V1 = 0x04;
const SIG_PREFIX = '\u2014 ';
const NAME = /^[^\s+\u2014]+$/;
/** Cosignature timestamps later than this ahead of the verifier's clock are not believed. */
const FUTURE_SKEW_S = 600;

export interface WitnessKey {
  name: string;
  publicKey: KeyObject;
  keyHash: Buffer;
  /** C2SP verifier key: `<name>+<key ID hex>+<base64(0x04 ‖ public key)>`. */
  verifierKey: string;
}

export function cosignatureKeyHash(name: string, publicKey: KeyObject): Buffer {
  const input = Buffer.concat([Buffer.from(`${name}\n`, 'utf8'), Buffer.of(COSIGNATURE_V1), rawPublicKey(publicKey)]);
  return (hash('sha256', input, 'buffer') as unknown as Buffer).subarray(0, 4);
}

export function witnessKey(name: string, key: KeyObject): WitnessKey {
  if (!NAME.test(name)) throw new Error('witness name must be one word without + or spaces');
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error('a witness key must be Ed25519');
  const keyHash = cosignatureKeyHash(name, publicKey);
  const verifierKey = `${name}+${keyHash.toString('hex')}+${Buffer.concat([Buffer.of(COSIGNATURE_V1), rawPublicKey(publicKey)]).toString('base64')}`;
  return { name, publicKey, keyHash, verifierKey };
}

/** Parses a witness verifier key (`name+hash+base64(0x04 ‖ key)`); throws on anything else. */
export function parseWitnessKey(text: string): WitnessKey {
  const t = text.trim();
  const a = t.indexOf('+');
  const b = a < 0 ? -1 : t.indexOf('+', a + 1);
  if (b < 0) throw new Error('a witness key is name+hash+key (C2SP verifier key)');
  const name = t.slice(0, a);
  const hex = t.slice(a + 1, b);
  const raw = Buffer.from(t.slice(b + 1), 'base64');
  if (!NAME.test(name) || !/^[0-9a-f]{8}$/.test(hex)) throw new Error('a witness key is name+hash+key (C2SP verifier key)');
  if (raw.length !== 33 || raw[0] !== COSIGNATURE_V1) {
    throw new Error(raw[0] === 0x01 ? 'that is a log (checkpoint) key, not a witness cosignature key' : 'not an Ed25519 cosignature/v1 key');
  }
  const key = witnessKey(name, publicKeyFromRaw(raw.subarray(1)));
  if (key.keyHash.toString('hex') !== hex) throw new Error('witness key hash does not match');
  return key;
}

/** The bytes a cosignature/v1 signs. */
export function cosignedMessage(bodyText: string, time: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${time}\n${bodyText}`, 'utf8');
}

/** One cosignature line ("— name base64\n") over a checkpoint body, at `time` (unix seconds). */
export function cosignLine(bodyText: string, name: string, privateKey: KeyObject, time: number): string {
  if (!Number.isSafeInteger(time) || time < 0) throw new Error('bad cosignature time');
  const key = witnessKey(name, privateKey);
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(time));
  const sig = sign(null, cosignedMessage(bodyText, time), privateKey);
  return `${SIG_PREFIX}${name} ${Buffer.concat([key.keyHash, ts, sig]).toString('base64')}\n`;
}

export interface VerifiedCosignature {
  witness: string;
  keyHash: Buffer;
  /** Unix seconds, as the witness signed it. */
  time: number;
  /** The signature line as it appears in the note, with its newline. */
  line: string;
}

/**
 * The cosignatures in a note that verify under the trusted witness keys, one per witness (the
 * latest). Lines from unknown keys are ignored, as the spec says; a line that claims a trusted
 * key but does not verify is ignored too (it is not a cosignature of this body).
 */
export function verifiedCosignatures(parsed: ParsedNote, witnesses: readonly WitnessKey[], nowSeconds?: number): VerifiedCosignature[] {
  const byWitness = new Map<string, VerifiedCosignature>();
  for (const s of parsed.signatures) {
    for (const w of witnesses) {
      if (s.name !== w.name || !s.keyHash.equals(w.keyHash) || s.signature.length !== 72) continue;
      const big = s.signature.readBigUInt64BE(0);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) continue;
      const time = Number(big);
      if (nowSeconds !== undefined && time > nowSeconds + FUTURE_SKEW_S) continue;
      if (!verify(null, cosignedMessage(parsed.bodyText, time), w.publicKey, s.signature.subarray(8))) continue;
      const line = `${SIG_PREFIX}${s.name} ${Buffer.concat([s.keyHash, s.signature]).toString('base64')}\n`;
      const prev = byWitness.get(w.verifierKey);
      if (!prev || prev.time < time) byWitness.set(w.verifierKey, { witness: w.name, keyHash: w.keyHash, time, line });
    }
  }
  return [...byWitness.values()];
}

/** Same, from note text; [] when the note is not well formed. */
export function noteCosignatures(note: string, witnesses: readonly WitnessKey[], nowSeconds?: number): VerifiedCosignature[] {
  const parsed = parseNote(note);
  return parsed ? verifiedCosignatures(parsed, witnesses, nowSeconds) : [];
}

/** A note with extra signature lines appended (signed notes allow any number of signatures). */
export function appendSignatureLines(note: string, lines: readonly string[]): string {
  const have = new Set(note.slice(note.indexOf('\n\n') + 2).split('\n').filter(Boolean).map((l) => `${l}\n`));
  return note + lines.filter((l) => !have.has(l)).join('');
}
