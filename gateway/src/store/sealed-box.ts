/**
 * AES-256-GCM envelope for raw research at rest (invariant 7). Pure crypto: the caller stores the
 * four parts of `Sealed` in its row and passes the row id as `aad`, so a ciphertext copied into
 * another row does not open. Old key ids keep opening after rotation; only `currentKeyId` seals.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { GatewayError } from '../errors.js';

export interface Sealed {
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

export interface Sealer {
  seal(plain: unknown, aad: string): Sealed;
  open(s: Sealed, aad: string): unknown;
  readonly currentKeyId: string;
}

/** Unknown key id, tampered or moved ciphertext, wrong aad: nothing more specific, on purpose. */
export class SealedBoxError extends GatewayError {
  readonly code = 'SEALED_BOX_INVALID';
  readonly status = 500;
}

const ALG = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function createSealer(opts: { keys: Record<string, Buffer>; currentKeyId: string }): Sealer {
  const keys = new Map<string, Buffer>();
  for (const [id, key] of Object.entries(opts.keys)) {
    if (!KEY_ID.test(id)) throw new SealedBoxError(`invalid key id ${JSON.stringify(id)}`);
    if (!Buffer.isBuffer(key) || key.length !== 32) throw new SealedBoxError(`key ${id} must be 32 bytes`);
    keys.set(id, Buffer.from(key)); // private copy: callers may zero or reuse theirs
  }
  if (!keys.has(opts.currentKeyId)) throw new SealedBoxError('currentKeyId is not among the keys');
  return sealerOver(keys, opts.currentKeyId);
}

/**
 * A sealer over one data key (store/case-keys.ts: a case's own key, id `case:<caseId>`). Same
 * format and aad binding as the master sealer; the id is not a master key id (those have no `:`).
 */
export function createDataKeySealer(keyId: string, key: Buffer): Sealer {
  if (!/^[a-z]+:[A-Za-z0-9._-]{1,64}$/.test(keyId)) throw new SealedBoxError('invalid data key id');
  if (!Buffer.isBuffer(key) || key.length !== 32) throw new SealedBoxError('data key must be 32 bytes');
  return sealerOver(new Map([[keyId, Buffer.from(key)]]), keyId);
}

function sealerOver(keys: Map<string, Buffer>, currentKeyId: string): Sealer {

  return {
    currentKeyId,
    seal(plain, aad) {
      const json = JSON.stringify(plain);
      if (json === undefined) throw new SealedBoxError('value is not JSON-serialisable');
      const iv = nextIv();
      const cipher = createCipheriv(ALG, keys.get(currentKeyId)!, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aadBytes(currentKeyId, aad));
      const ciphertext = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]);
      return { keyId: currentKeyId, iv, tag: cipher.getAuthTag(), ciphertext };
    },
    open(s, aad) {
      const key = keys.get(s.keyId);
      if (!key) throw new SealedBoxError('unknown key id');
      if (!Buffer.isBuffer(s.iv) || s.iv.length !== IV_BYTES || !Buffer.isBuffer(s.tag) || s.tag.length !== TAG_BYTES
        || !Buffer.isBuffer(s.ciphertext)) {
        throw new SealedBoxError('malformed sealed value');
      }
      let json: string;
      try {
        const decipher = createDecipheriv(ALG, key, s.iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(aadBytes(s.keyId, aad));
        decipher.setAuthTag(s.tag);
        json = Buffer.concat([decipher.update(s.ciphertext), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new SealedBoxError('sealed value does not authenticate', { cause });
      }
      return JSON.parse(json) as unknown;
    },
  };
}

/**
 * Random 96-bit IVs (GCM needs them unique under a key; random ones are, with overwhelming
 * probability, for far more messages than one key will ever seal), drawn from a block of CSPRNG
 * output so that each seal does not pay for its own call into the generator. Each IV is a copy of
 * bytes used once and never again.
 */
const IV_BLOCK = 4096 - (4096 % IV_BYTES);
let ivBlock = Buffer.alloc(0);
let ivOffset = 0;

function nextIv(): Buffer {
  if (ivOffset + IV_BYTES > ivBlock.length) {
    ivBlock = randomBytes(IV_BLOCK);
    ivOffset = 0;
  }
  const iv = Buffer.from(ivBlock.subarray(ivOffset, ivOffset + IV_BYTES));
  ivOffset += IV_BYTES;
  return iv;
}

/** The key id is bound too, so relabelling a row with another key id cannot be used to confuse. */
function aadBytes(keyId: string, aad: string): Buffer {
  return Buffer.from(`marac-sealed-box/v1\u0000${keyId}\u0000${aad}`, 'utf8');
}
