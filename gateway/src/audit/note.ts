import { createPrivateKey, createPublicKey, generateKeyPairSync, hash, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Checkpoints as C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint), so any
 * tlog tooling can read them:
 *
 *   <origin>\n<tree size>\n<base64 root>\ntime <RFC 3339 UTC>\n\n— <key name> <base64(key hash ‖ signature)>\n
 *
 * The signature (Ed25519) covers the body: every line up to and including the newline before the
 * blank line. The key hash is the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), 0x01
 * being the Ed25519 algorithm byte. Pure: no I/O, shared by the gateway and the offline verifier.
 */
const ED25519 = 0x01;
const SIG_PREFIX = '\u2014 ';
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface NoteBody {
  origin: string;
  treeSize: number;
  root: Buffer;
  /** The `time` extension line, when present. */
  time?: string;
}

export interface NoteKey {
  name: string;
  publicKey: KeyObject;
}

export interface SigningKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

export function generateSigningKey(): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

export function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  if (der.length !== 44 || !der.subarray(0, 12).equals(SPKI_ED25519_PREFIX)) throw new Error('not an Ed25519 public key');
  return der.subarray(12);
}

export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(raw)]), format: 'der', type: 'spki' });
}

const NAME = /^[^\s+\u2014]+$/;

// Key hashes are recomputed for every checkpoint line an export holds; exporting the key each
// time dominated verification of exports with many checkpoints.
const keyHashes = new WeakMap<KeyObject, Map<string, Buffer>>();

export function keyHash(name: string, publicKey: KeyObject): Buffer {
  let byName = keyHashes.get(publicKey);
  if (!byName) keyHashes.set(publicKey, (byName = new Map()));
  let h = byName.get(name);
  if (!h) {
    const input = Buffer.concat([Buffer.from(`${name}\n`, 'utf8'), Buffer.of(ED25519), rawPublicKey(publicKey)]);
    h = (hash('sha256', input, 'buffer') as unknown as Buffer).subarray(0, 4);
    if (byName.size < 64) byName.set(name, h);
  }
  return h;
}

/** C2SP verifier key string: `<name>+<key hash hex>+<base64(0x01 ‖ public key)>`. */
export function verifierKey(name: string, publicKey: KeyObject): string {
  return `${name}+${keyHash(name, publicKey).toString('hex')}+${Buffer.concat([Buffer.of(ED25519), rawPublicKey(publicKey)]).toString('base64')}`;
}

/** Accepts a PEM public key, a PEM private key (its public half) or a C2SP verifier key string. */
export function parsePublicKey(text: string): { publicKey: KeyObject; name?: string } {
  const t = text.trim();
  if (t.includes('-----BEGIN')) {
    const publicKey = t.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(t)) : createPublicKey(t);
    if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error('the checkpoint key must be Ed25519');
    return { publicKey };
  }
  // name+hash+key: the base64 key may itself contain '+', so split on the first two only.
  const a = t.indexOf('+');
  const b = a < 0 ? -1 : t.indexOf('+', a + 1);
  const parts = b < 0 ? [] : [t.slice(0, a), t.slice(a + 1, b), t.slice(b + 1)];
  if (parts.length === 3 && NAME.test(parts[0]!) && /^[0-9a-f]{8}$/.test(parts[1]!)) {
    const raw = Buffer.from(parts[2]!, 'base64');
    if (raw.length !== 33 || raw[0] !== ED25519) throw new Error('verifier key is not an Ed25519 key');
    const publicKey = publicKeyFromRaw(raw.subarray(1));
    if (keyHash(parts[0]!, publicKey).toString('hex') !== parts[1]) throw new Error('verifier key hash does not match');
    return { publicKey, name: parts[0]! };
  }
  throw new Error('unrecognised public key format (PEM or name+hash+key)');
}

export function formatNoteBody(body: NoteBody): string {
  if (!NAME.test(body.origin)) throw new Error('origin must be one word');
  if (!Number.isSafeInteger(body.treeSize) || body.treeSize < 0) throw new Error('bad tree size');
  if (body.root.length !== 32) throw new Error('root must be 32 bytes');
  return `${body.origin}\n${body.treeSize}\n${body.root.toString('base64')}\n${body.time ? `time ${body.time}\n` : ''}`;
}

export function signNote(bodyText: string, name: string, privateKey: KeyObject): { note: string; signature: string } {
  if (!NAME.test(name)) throw new Error('key name must be one word without + or spaces');
  const sig = sign(null, Buffer.from(bodyText, 'utf8'), privateKey);
  const publicKey = createPublicKey(privateKey);
  const signature = Buffer.concat([keyHash(name, publicKey), sig]).toString('base64');
  return { note: `${bodyText}\n${SIG_PREFIX}${name} ${signature}\n`, signature };
}

export type NoteProblem = 'MALFORMED' | 'SIGNATURE_INVALID';

export interface ParsedNote {
  body: NoteBody;
  bodyText: string;
  signatures: { name: string; keyHash: Buffer; signature: Buffer }[];
}

/** Parses a signed checkpoint note; null when it is not well formed. */
export function parseNote(note: string): ParsedNote | null {
  if (typeof note !== 'string' || note.length > 10_000 || !note.endsWith('\n')) return null;
  const split = note.indexOf('\n\n');
  if (split < 0) return null;
  const bodyText = note.slice(0, split + 1);
  const lines = bodyText.slice(0, -1).split('\n');
  if (lines.length < 3) return null;
  const [origin, sizeText, rootText, ...ext] = lines as [string, string, string, ...string[]];
  if (!NAME.test(origin) || !/^(0|[1-9]\d{0,15})$/.test(sizeText)) return null;
  const treeSize = Number(sizeText);
  const root = Buffer.from(rootText, 'base64');
  if (!Number.isSafeInteger(treeSize) || root.length !== 32 || root.toString('base64') !== rootText) return null;
  let time: string | undefined;
  for (const line of ext) {
    if (line.length === 0) return null;
    if (line.startsWith('time ')) time = line.slice(5);
  }
  const signatures: ParsedNote['signatures'] = [];
  for (const line of note.slice(split + 2, -1).split('\n')) {
    if (!line.startsWith(SIG_PREFIX)) return null;
    const [name, b64, extra] = line.slice(SIG_PREFIX.length).split(' ');
    if (!name || !b64 || extra !== undefined || !NAME.test(name)) return null;
    const raw = Buffer.from(b64, 'base64');
    if (raw.length < 5 || raw.toString('base64') !== b64) return null;
    signatures.push({ name, keyHash: raw.subarray(0, 4), signature: raw.subarray(4) });
  }
  if (signatures.length === 0) return null;
  return { body: { origin, treeSize, root, ...(time !== undefined ? { time } : {}) }, bodyText, signatures };
}

/** True when at least one signature line verifies under one of the trusted keys. */
export function noteSignedBy(parsed: ParsedNote, trusted: readonly KeyObject[]): boolean {
  const body = Buffer.from(parsed.bodyText, 'utf8');
  for (const s of parsed.signatures) {
    for (const key of trusted) {
      if (!keyHash(s.name, key).equals(s.keyHash)) continue;
      if (s.signature.length === 64 && verify(null, body, key, s.signature)) return true;
    }
  }
  return false;
}
