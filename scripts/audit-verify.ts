/**
 * Offline audit verifier: npm run audit:verify -- <export.ndjson> --key <public.pem> [--key …]
 *   [--origin <name>] [--trusted-checkpoint <checkpoint.json>] [--allow-uncheckpointed]
 *
 * --trusted-checkpoint: a tree head obtained separately from the export (the JSON of
 * GET /v1/audit/checkpoints/latest, or one kept from an earlier audit). The export must reach it
 * and agree with it, which catches a tail cut off together with its checkpoints, and a fork.
 *
 * Prints `OK <count> events` (exit 0) or `FAIL seq=<n> <REASON>` (exit 1); exit 2 for usage
 * errors. Reads only the files named; no database, no network.
 */
import { readFileSync } from 'node:fs';
import { verifyExportFile } from '../gateway/src/audit/verify-file.js';
import type { VerifyOptions } from '../gateway/src/audit/verify.js';

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run audit:verify -- <export.ndjson> --key <public.pem> [--key …] [--origin <name>] [--trusted-checkpoint <file>] [--allow-uncheckpointed]\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  let file: string | undefined;
  const keys: string[] = [];
  const trusted: VerifyOptions['trustedCheckpoints'] = [];
  let origin: string | undefined;
  let allowUncheckpointed = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--key') keys.push(readFileSync(value(), 'utf8'));
    else if (a === '--origin') origin = value();
    else if (a === '--trusted-checkpoint') {
      // GET /v1/audit/checkpoints/latest saved to a file, or any {treeSize, rootHash[, note]}.
      const c = JSON.parse(readFileSync(value(), 'utf8')) as { treeSize?: unknown; rootHash?: unknown; note?: unknown };
      if (typeof c.treeSize !== 'number' || typeof c.rootHash !== 'string') usage('a trusted checkpoint needs treeSize and rootHash');
      trusted.push({ treeSize: c.treeSize, rootHash: c.rootHash, ...(typeof c.note === 'string' ? { note: c.note } : {}) });
    } else if (a === '--allow-uncheckpointed') allowUncheckpointed = true;
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else if (file) usage('one export file at a time');
    else file = a;
  }
  if (!file) usage('no export file given');
  if (keys.length === 0) usage('no --key given: checkpoints cannot be trusted without the gateway public key');

  const started = performance.now();
  const result = await verifyExportFile(file, { publicKeys: keys, trustedCheckpoints: trusted, allowUncheckpointed, ...(origin ? { origin } : {}) });
  const seconds = (performance.now() - started) / 1000;
  if (!result.ok) {
    process.stdout.write(`FAIL seq=${result.seq} ${result.reason}${result.detail ? ` (${result.detail})` : ''}\n`);
    return 1;
  }
  process.stdout.write(`OK ${result.count} events\n`);
  const notes = [
    `${result.checkpoints} checkpoint(s) verified, signed tree size ${result.checkpointedSize}`,
    result.rootHash ? `root ${result.rootHash}` : '',
    result.uncheckpointed > 0 ? `${result.uncheckpointed} event(s) after the last checkpoint are chain-checked only` : '',
    result.mode === 'filtered' ? 'filtered export: each event is proven to be in the signed log; completeness of the selection is not' : '',
    `${seconds.toFixed(2)} s`,
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
