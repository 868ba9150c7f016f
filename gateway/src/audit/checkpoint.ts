import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type pg from 'pg';
import { CheckpointKeyMissing } from './errors.js';
import { CompactRange } from './merkle.js';
import { formatNoteBody, parseNote, signNote, verifierKey } from './note.js';
import { readHead } from './sequencer.js';
import type { Checkpoint } from './types.js';

export { generateSigningKey } from './note.js';

export interface CheckpointerOptions {
  pool: pg.Pool;
  /** Ed25519 private key: a KeyObject or PKCS#8 PEM. */
  signingKey?: KeyObject | string;
  /** Same as signingKey, PEM (the config's name). */
  signingKeyPem?: string;
  /** Key name in the signature line, e.g. `gateway-1`. One word, no `+`. */
  keyId: string;
  /** Log identity, first line of every checkpoint, e.g. `marac-gateway`. */
  origin: string;
  now?: () => Date;
  /** Called before signing so that pending events are in the signed tree (the audit log's integrate). */
  integrate?: () => Promise<unknown>;
}

export interface PublishedKey {
  keyId: string;
  algorithm: 'Ed25519';
  publicKeyPem: string;
  /** C2SP verifier key: name+hash+base64 key. */
  verifierKey: string;
}

export interface Checkpointer {
  /** Signs the current tree if it grew since the last checkpoint; null when there is nothing new. */
  tick(): Promise<Checkpoint | null>;
  latest(): Promise<Checkpoint | null>;
  /** The public half, for auditors and the offline verifier. */
  publicKey(): PublishedKey;
}

interface CheckpointRow {
  tree_size: string;
  root_hash: Buffer;
  ts: Date;
  key_id: string;
  note: string;
}

export function rowToCheckpoint(r: CheckpointRow): Checkpoint {
  return { treeSize: Number(r.tree_size), rootHash: r.root_hash.toString('base64'), ts: r.ts.toISOString(), keyId: r.key_id, note: r.note };
}

/**
 * A checkpoint as served and exported: the gateway's signed note with any witness cosignature
 * lines appended (a signed note may carry any number of signatures; verifiers ignore the keys
 * they do not know), so a witnessed checkpoint travels as one self-contained note.
 */
export const CHECKPOINT_COLUMNS = `tree_size, root_hash, ts, key_id, note || coalesce((SELECT string_agg(c.line, '' ORDER BY c.witness, c.key_hash)
  FROM audit_cosignatures c WHERE c.tree_size = audit_checkpoints.tree_size), '') AS note`;

/**
 * Signs tree heads. Called every second by a BullMQ repeatable job (and by the sequencer every N
 * events); any number of gateway instances may call it: the checkpoint is keyed by tree size, so
 * two instances signing the same size store one row.
 */
export function createCheckpointer(opts: CheckpointerOptions): Checkpointer {
  const now = opts.now ?? (() => new Date());
  const keyText = opts.signingKey ?? opts.signingKeyPem;
  const privateKey = keyText === undefined ? undefined : typeof keyText === 'string' ? createPrivateKey(keyText) : keyText;
  if (privateKey && privateKey.asymmetricKeyType !== 'ed25519') throw new CheckpointKeyMissing('The checkpoint signing key must be Ed25519');
  const publicKey = privateKey ? createPublicKey(privateKey) : undefined;

  function requireKey(): KeyObject {
    if (!privateKey) throw new CheckpointKeyMissing('No audit checkpoint signing key is configured');
    return privateKey;
  }

  async function latest(): Promise<Checkpoint | null> {
    const r = await opts.pool.query<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1`);
    return r.rows[0] ? rowToCheckpoint(r.rows[0]) : null;
  }

  return {
    latest,

    async tick(): Promise<Checkpoint | null> {
      const key = requireKey();
      if (opts.integrate) await opts.integrate();
      const head = await readHead(opts.pool);
      if (head.treeSize === 0) return null;
      const last = await opts.pool.query<{ size: string | null }>('SELECT max(tree_size) AS size FROM audit_checkpoints');
      if (Number(last.rows[0]?.size ?? 0) >= head.treeSize) return null;

      const root = CompactRange.fromState(head.treeSize, head.border).root();
      const ts = now();
      const body = formatNoteBody({ origin: opts.origin, treeSize: head.treeSize, root, time: ts.toISOString() });
      const { note, signature } = signNote(body, opts.keyId, key);
      const ins = await opts.pool.query(
        `INSERT INTO audit_checkpoints (tree_size, root_hash, ts, key_id, signature, note) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tree_size) DO NOTHING`,
        [head.treeSize, root, ts, opts.keyId, signature, note],
      );
      if (ins.rowCount === 0) return null;
      return { treeSize: head.treeSize, rootHash: root.toString('base64'), ts: ts.toISOString(), keyId: opts.keyId, note };
    },

    publicKey(): PublishedKey {
      if (!publicKey) throw new CheckpointKeyMissing('No audit checkpoint signing key is configured');
      return {
        keyId: opts.keyId,
        algorithm: 'Ed25519',
        publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
        verifierKey: verifierKey(opts.keyId, publicKey),
      };
    },
  };
}

/**
 * The largest checkpoint a witness has cosigned, cosignature lines in its note. Cosignatures are
 * checked against the configured witness key before they are stored (audit/witnessing.ts).
 */
export async function latestCosigned(pool: Pick<pg.Pool, 'query'>): Promise<Checkpoint | null> {
  const r = await pool.query<CheckpointRow>(
    `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints WHERE tree_size = (SELECT max(tree_size) FROM audit_cosignatures)`,
  );
  return r.rows[0] ? rowToCheckpoint(r.rows[0]) : null;
}

/** Reads a checkpoint's parts back from its note (for exports and the API). */
export function checkpointFromNote(note: string, keyId: string): Checkpoint | null {
  const parsed = parseNote(note);
  if (!parsed) return null;
  return { treeSize: parsed.body.treeSize, rootHash: parsed.body.root.toString('base64'), ts: parsed.body.time ?? '', keyId, note };
}
