/**
 * npm run policy:validate -- <agreement file>…
 *
 * Validates agreement files (YAML or JSON) with the same checks as the API: prints every problem
 * with its path, exits 1 if any file has a problem (2 on a usage error).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fieldCatalog } from '../gateway/src/schema/catalog.js';
import {
  loadGuardrails, parseAgreementText, validateAgreement, type Agreement, type ValidationProblem,
} from '../gateway/src/policy/index.js';

const GUARDRAILS = fileURLToPath(new URL('../policies/guardrails.yaml', import.meta.url));

export function validateFiles(files: string[], guardrailsFile = GUARDRAILS): { file: string; problems: ValidationProblem[] }[] {
  const guardrails = loadGuardrails(readFileSync(guardrailsFile, 'utf8'));
  const catalog = fieldCatalog();
  const docs = files.map((file) => {
    try {
      return { file, doc: parseAgreementText(readFileSync(file, 'utf8'), file.endsWith('.json') ? 'json' : 'yaml') };
    } catch (e) {
      return { file, error: (e as Error).message };
    }
  });
  return docs.map((d) => {
    if ('error' in d) return { file: d.file, problems: [{ path: '/', code: 'UNREADABLE', message: d.error ?? 'unreadable' }] };
    // The other files given are checked against this one for conflicting flows in force together.
    const existing = docs.filter((o) => o !== d && 'doc' in o).map((o) => (o as { doc: unknown }).doc as Agreement);
    return { file: d.file, problems: validateAgreement(d.doc, { catalog, guardrails, existing }) };
  });
}

function main(argv: string[]): number {
  const files = argv.filter((a) => !a.startsWith('--'));
  if (files.length === 0) {
    process.stderr.write('usage: npm run policy:validate -- <agreement.yaml|json>…\n');
    return 2;
  }
  let bad = 0;
  for (const { file, problems } of validateFiles(files)) {
    if (problems.length === 0) {
      process.stdout.write(`${file}: OK\n`);
      continue;
    }
    bad++;
    process.stdout.write(`${file}: ${problems.length} problem(s)\n`);
    for (const p of problems) process.stdout.write(`  ${p.path}  ${p.code}  ${p.message}\n`);
  }
  return bad > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
