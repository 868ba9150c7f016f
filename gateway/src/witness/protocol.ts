import { parseNote, type ParsedNote } from '../audit/note.js';
import { WitnessOldSizeInvalid, WitnessRequestMalformed } from './errors.js';

/** The most consistency proof lines a client may send (c2sp.org/tlog-witness). */
export const MAX_PROOF_LINES = 63;
/** A request is the old size, at most 63 hashes and one checkpoint note (≤ 10,000 bytes). */
export const MAX_BODY_BYTES = 16 * 1024;

export interface AddCheckpointRequest {
  oldSize: number;
  proof: Buffer[];
  note: string;
  checkpoint: ParsedNote;
}

const SIZE = /^(0|[1-9]\d{0,15})$/;

/** Parses an add-checkpoint body: `old <n>\n`, proof lines, an empty line, the checkpoint note. */
export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  const bad = (why: string): never => {
    throw new WitnessRequestMalformed(`Not an add-checkpoint request: ${why}`, { reason: why.toUpperCase().replace(/[^A-Z]+/g, '_') });
  };
  const blank = body.indexOf('\n\n');
  if (blank < 0) bad('no empty line before the checkpoint');
  const head = body.slice(0, blank).split('\n');
  const first = head.shift()!;
  if (!first.startsWith('old ') || !SIZE.test(first.slice(4))) bad('first line is not old <size>');
  const oldSize = Number(first.slice(4));
  if (!Number.isSafeInteger(oldSize)) bad('old size too large');
  if (head.length > MAX_PROOF_LINES) bad('too many proof lines');
  const proof = head.map((line) => {
    const h = Buffer.from(line, 'base64');
    if (h.length !== 32 || h.toString('base64') !== line) bad('proof line is not a base64 hash');
    return h;
  });
  const note = body.slice(blank + 2);
  const checkpoint = parseNote(note);
  if (!checkpoint) bad('checkpoint is not a signed note');
  if (oldSize > checkpoint!.body.treeSize) throw new WitnessOldSizeInvalid('old size is larger than the checkpoint size');
  if (oldSize === 0 && proof.length > 0) bad('proof from size zero must be empty');
  return { oldSize, proof, note, checkpoint: checkpoint! };
}

/** The request body the gateway sends. */
export function formatAddCheckpoint(oldSize: number, proof: readonly (Buffer | string)[], note: string): string {
  return `old ${oldSize}\n${proof.map((p) => `${typeof p === 'string' ? p : p.toString('base64')}\n`).join('')}\n${note}`;
}
