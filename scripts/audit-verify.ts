/**
 * Offline audit verifier:
 *   npm run audit:verify -- <export.ndjson> --key <public.pem> [--key …] --witness-key <vkey|file> [--witness-key …]
 *     [--checkpoint <file>] [--witness-quorum <n>] [--max-age <30m|24h|7d>] [--origin <name>] [--allow-uncheckpointed]
 *   npm run audit:verify -- <export.ndjson> --key <public.pem> --no-witness      (UNWITNESSED: see below)
 *
 * A witnessed checkpoint is required: a checkpoint cosigned by the audit witness (run by another
 * organisation), either given with --checkpoint (best: fetched from the witness itself,
 * GET <witness>/latest?origin=marac-gateway, or GET /v1/audit/checkpoints/latest?witnessed=true)
 * or found in the export. The export must reach it and agree with it: a log cut back, rolled back
 * or forked after the witness saw it fails. Witness keys come from --witness-key or the
 * AUDIT_WITNESS_KEYS environment variable (comma-separated verifier keys).
 *
 * --no-witness checks the export against the gateway's own signatures only: a log cut back
 * together with its checkpoints then still verifies. It says so on every run.
 *
 * --checkpoint (also --trusted-checkpoint): a tree head obtained separately from the export, as
 * JSON ({treeSize, rootHash, note}, what the API returns) or as the raw signed note.
 *
 * Prints `OK <count> events` (exit 0) or `FAIL seq=<n> <REASON>` (exit 1); exit 2 for usage
 * errors. Reads only the files named; no database, no network.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseNote } from '../gateway/src/audit/note.js';
import { verifyExportFile } from '../gateway/src/audit/verify-file.js';
import type { VerifyOptions } from '../gateway/src/audit/verify.js';

const USAGE = 'usage: npm run audit:verify -- <export.ndjson> --key <public.pem> [--key …] (--witness-key <vkey|file> [--witness-key …] | --no-witness) '
  + '[--checkpoint <file>] [--witness-quorum <n>] [--max-age <30m|24h|7d>] [--origin <name>] [--allow-uncheckpointed]';

function usage(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

/** A checkpoint file: the API's JSON, or the signed note text a witness serves. */
function readCheckpoint(file: string): NonNullable<VerifyOptions['trustedCheckpoints']>[number] {
  const text = readFileSync(file, 'utf8');
  if (text.trimStart().startsWith('{')) {
    const c = JSON.parse(text) as { treeSize?: unknown; rootHash?: unknown; note?: unknown };
    if (typeof c.treeSize !== 'number' || typeof c.rootHash !== 'string') usage(`${file}: a checkpoint needs treeSize and rootHash`);
    return { treeSize: c.treeSize, rootHash: c.rootHash, ...(typeof c.note === 'string' ? { note: c.note } : {}) };
  }
  const parsed = parseNote(text.endsWith('\n') ? text : `${text}\n`);
  if (!parsed) usage(`${file}: neither checkpoint JSON nor a signed note`);
  return { treeSize: parsed.body.treeSize, rootHash: parsed.body.root.toString('base64'), note: text.endsWith('\n') ? text : `${text}\n` };
}

function seconds(text: string): number {
  const m = /^(\d{1,9})([smhd]?)$/.exec(text);
  if (!m) usage(`--max-age takes a duration like 900, 30m, 24h or 7d (got "${text}")`);
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
}

async function main(argv: string[]): Promise<number> {
  let file: string | undefined;
  const keys: string[] = [];
  const trusted: NonNullable<VerifyOptions['trustedCheckpoints']> = [];
  const witnessKeys: string[] = [];
  let origin: string | undefined;
  let allowUncheckpointed = false;
  let noWitness = false;
  let quorum: number | undefined;
  let maxAge: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--key') keys.push(readFileSync(value(), 'utf8'));
    else if (a === '--origin') origin = value();
    else if (a === '--trusted-checkpoint' || a === '--checkpoint') trusted.push(readCheckpoint(value()));
    else if (a === '--witness-key') {
      const v = value();
      witnessKeys.push(existsSync(v) ? readFileSync(v, 'utf8').trim() : v);
    } else if (a === '--no-witness') noWitness = true;
    else if (a === '--witness-quorum') {
      quorum = Number(value());
      if (!Number.isInteger(quorum) || quorum < 1) usage('--witness-quorum takes a whole number from 1');
    } else if (a === '--max-age') maxAge = seconds(value());
    else if (a === '--allow-uncheckpointed') allowUncheckpointed = true;
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else if (file) usage('one export file at a time');
    else file = a;
  }
  if (!file) usage('no export file given');
  if (keys.length === 0) usage('no --key given: checkpoints cannot be trusted without the gateway public key');
  if (witnessKeys.length === 0 && !noWitness) {
    witnessKeys.push(...(process.env.AUDIT_WITNESS_KEYS ?? '').split(',').map((s) => s.trim()).filter(Boolean));
  }
  if (noWitness && witnessKeys.length > 0) usage('--no-witness and a witness key contradict each other');
  if (!noWitness && witnessKeys.length === 0) {
    usage('no witness key: give --witness-key (from the witness operator) or AUDIT_WITNESS_KEYS. Without a witness a log cut back '
      + 'to an earlier checkpoint still verifies; --no-witness accepts that risk explicitly');
  }

  const started = performance.now();
  const result = await verifyExportFile(file, {
    publicKeys: keys,
    trustedCheckpoints: trusted,
    allowUncheckpointed,
    ...(origin ? { origin } : {}),
    ...(noWitness ? { requireWitness: false } : { witnessKeys, requireWitness: true }),
    ...(quorum !== undefined ? { witnessQuorum: quorum } : {}),
    ...(maxAge !== undefined ? { witnessMaxAgeSeconds: maxAge } : {}),
  });
  const took = (performance.now() - started) / 1000;
  if (noWitness) process.stderr.write('UNWITNESSED (--no-witness): checked against the gateway\'s own signatures only; a log cut back with its checkpoints would pass\n');
  if (!result.ok) {
    process.stdout.write(`FAIL seq=${result.seq} ${result.reason}${result.detail ? ` (${result.detail})` : ''}\n`);
    return 1;
  }
  process.stdout.write(`OK ${result.count} events\n`);
  const notes = [
    `${result.checkpoints} checkpoint(s) verified, signed tree size ${result.checkpointedSize}`,
    result.witnessed ? `witnessed up to ${result.witnessed.treeSize} by ${result.witnessed.witnesses.join(', ')} at ${result.witnessed.cosignedAt}` : '',
    result.rootHash ? `root ${result.rootHash}` : '',
    result.uncheckpointed > 0 ? `${result.uncheckpointed} event(s) after the last checkpoint are chain-checked only` : '',
    result.mode === 'filtered' ? 'filtered export: each event is proven to be in the signed log; completeness of the selection is not' : '',
    `${took.toFixed(2)} s`,
  ].filter(Boolean);
  process.stderr.write(`${notes.join('; ')}\n`);
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`audit-verify: ${(err as Error).message}\n`);
  process.exitCode = 2;
}
