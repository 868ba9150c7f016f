import { createPublicKey, type KeyObject } from 'node:crypto';
import { cosignLine, witnessKey, type WitnessKey } from '../audit/cosignature.js';
import { verifyConsistency } from '../audit/merkle.js';
import { noteSignedBy, parsePublicKey, type ParsedNote } from '../audit/note.js';
import { WitnessConflict, WitnessProofInvalid, WitnessSignatureInvalid, WitnessUnknownLog } from './errors.js';
import { parseAddCheckpoint } from './protocol.js';
import type { WitnessStore } from './store.js';

export interface WitnessedLogConfig {
  origin: string;
  /** The log's checkpoint keys: C2SP verifier keys or PEM public keys. */
  keys: (string | KeyObject)[];
}

export interface WitnessOptions {
  /** Key name in cosignature lines, e.g. `witness.auditors.example/w1`. */
  name: string;
  privateKey: KeyObject;
  logs: WitnessedLogConfig[];
  store: WitnessStore;
  now?: () => Date;
  /** Told about every refusal that may be a log misbehaving (fork, bad proof). Codes, never notes. */
  onRefusal?: (info: { origin: string; code: string; size: number; witnessSize: number }) => void;
}

export interface Witness {
  readonly key: WitnessKey;
  /** Handles an add-checkpoint body; returns the cosignature line(s) or throws a Witness* error. */
  addCheckpoint(body: string): string;
  /** The latest cosigned checkpoint for a log (body, log signature, cosignature), if any. */
  latest(origin: string): string | undefined;
}

/**
 * A transparency-log witness (c2sp.org/tlog-witness): remembers, per log, the last checkpoint it
 * cosigned and cosigns a new one only if a consistency proof leads there from it. A log that was
 * cut back, rolled back or forked cannot get a cosignature again: a smaller size, or the same size
 * with another root, is a 409, and a proof that does not verify a 422.
 *
 * Synchronous from parsing to the stored state: Node runs it without interleaving, so checking
 * the old size and recording the new one are atomic (the race the spec warns about cannot occur).
 */
export function createWitness(opts: WitnessOptions): Witness {
  const now = opts.now ?? (() => new Date());
  const key = witnessKey(opts.name, opts.privateKey);
  const logs = new Map<string, KeyObject[]>();
  for (const l of opts.logs) {
    const keys = l.keys.map((k) => (typeof k === 'string' ? parsePublicKey(k).publicKey : k.type === 'private' ? createPublicKey(k) : k));
    if (keys.length === 0) throw new Error(`no key configured for log ${l.origin}`);
    logs.set(l.origin, keys);
  }

  /** The log's signature line(s) that verify, so the stored note carries no foreign lines. */
  function logLines(parsed: ParsedNote, keys: KeyObject[]): string {
    return parsed.signatures
      .filter((s) => noteSignedBy({ ...parsed, signatures: [s] }, keys))
      .map((s) => `\u2014 ${s.name} ${Buffer.concat([s.keyHash, s.signature]).toString('base64')}\n`)
      .join('');
  }

  return {
    key,

    addCheckpoint(body) {
      const req = parseAddCheckpoint(body);
      const { origin, treeSize, root } = req.checkpoint.body;
      const keys = logs.get(origin);
      if (!keys) throw new WitnessUnknownLog('This witness does not witness that log');
      if (!noteSignedBy(req.checkpoint, keys)) throw new WitnessSignatureInvalid('No signature on the checkpoint verifies under the log keys');

      const known = opts.store.get(origin);
      const knownSize = known?.size ?? 0;
      const refuse = (err: WitnessConflict | WitnessProofInvalid): never => {
        opts.store.recordEvidence({
          at: Math.floor(now().getTime() / 1000), origin, code: err.code, oldSize: req.oldSize, size: treeSize,
          root: root.toString('base64'), proof: req.proof.map((p) => p.toString('base64')), note: req.note,
        });
        opts.onRefusal?.({ origin, code: err.code, size: treeSize, witnessSize: knownSize });
        throw err;
      };
      if (req.oldSize !== knownSize) {
        const conflict = new WitnessConflict(`The witness has cosigned size ${knownSize} of this log`, knownSize, { reason: 'OLD_SIZE_MISMATCH' });
        // A checkpoint smaller than what was cosigned is a log going backwards, not a stale client.
        if (treeSize < knownSize) refuse(conflict);
        throw conflict;
      }
      if (known && treeSize === knownSize) {
        if (root.toString('base64') !== known.root) refuse(new WitnessConflict('Another root for a size already cosigned (a fork)', knownSize, { reason: 'ROOT_MISMATCH' }));
      } else if (known && !verifyConsistency(knownSize, treeSize, req.proof, Buffer.from(known.root, 'base64'), root)) {
        refuse(new WitnessProofInvalid('The consistency proof does not lead from the cosigned checkpoint to this one'));
      }

      const time = Math.floor(now().getTime() / 1000);
      const line = cosignLine(req.checkpoint.bodyText, opts.name, opts.privateKey, time);
      opts.store.put(origin, {
        size: treeSize,
        root: root.toString('base64'),
        note: `${req.checkpoint.bodyText}\n${logLines(req.checkpoint, keys)}${line}`,
        cosignedAt: time,
      });
      return line;
    },

    latest: (origin) => opts.store.get(origin)?.note,
  };
}
