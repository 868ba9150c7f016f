/**
 * npm run policy:validate -- <agreement or guardrails file>…
 *
 * Validates agreement files (YAML or JSON) with the same checks as the API: prints every problem
 * with its path, exits 1 if any file has a problem (2 on a usage error). A guardrails file (a
 * document with a top-level `guardrails` list, such as policies/guardrails.yaml) is checked as
 * guardrails, and the agreements given with it are then checked against it, so
 * `policies/*.yaml` works.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { fieldCatalog } from '../gateway/src/schema/catalog.js';
import {
  loadGuardrails, parseAgreementText, validateAgreement, type Agreement, type Guardrails, type ValidationProblem,
} from '../gateway/src/policy/index.js';

const GUARDRAILS = fileURLToPath(new URL('../policies/guardrails.yaml', import.meta.url));

/** A guardrails document rather than an agreement: it has a top-level `guardrails` list. */
function isGuardrailsText(text: string, file: string): boolean {
  try {
    const doc: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    return typeof doc === 'object' && doc !== null && Array.isArray((doc as { guardrails?: unknown }).guardrails);
  } catch {
    return false;
  }
}

export function validateFiles(paths: string[], guardrailsFile = GUARDRAILS): { file: string; problems: ValidationProblem[] }[] {
  const texts = new Map<string, string | Error>();
  for (const file of paths) {
    try {
      texts.set(file, readFileSync(file, 'utf8'));
    } catch (e) {
      texts.set(file, e as Error);
    }
  }
  const guardrailFiles = paths.filter((f) => { const t = texts.get(f); return typeof t === 'string' && isGuardrailsText(t, f); });
  const results: { file: string; problems: ValidationProblem[] }[] = [];
  let guardrails: Guardrails | undefined;
  for (const file of guardrailFiles) {
    try {
      guardrails = loadGuardrails(texts.get(file) as string);
      results.push({ file, problems: [] });
    } catch (e) {
      results.push({ file, problems: [{ path: '/', code: 'GUARDRAILS_INVALID', message: (e as Error).message }] });
    }
  }
  const files = paths.filter((f) => !guardrailFiles.includes(f));
  const inOrder = (rs: typeof results) => rs.sort((a, b) => paths.indexOf(a.file) - paths.indexOf(b.file));
  if (files.length === 0) return inOrder(results);
  if (guardrailFiles.length === 0 || !guardrails) guardrails = loadGuardrails(readFileSync(guardrailsFile, 'utf8'));
  const catalog = fieldCatalog();
  const docs = files.map((file) => {
    try {
      const text = texts.get(file)!;
      if (text instanceof Error) throw text;
      return { file, doc: parseAgreementText(text, file.endsWith('.json') ? 'json' : 'yaml') };
    } catch (e) {
      return { file, error: (e as Error).message };
    }
  });
  return inOrder(results.concat(docs.map((d) => {
    if ('error' in d) return { file: d.file, problems: [{ path: '/', code: 'UNREADABLE', message: d.error ?? 'unreadable' }] };
    // The other files given are checked against this one for conflicting flows in force together.
    const existing = docs.filter((o) => o !== d && 'doc' in o).map((o) => (o as { doc: unknown }).doc as Agreement);
    return { file: d.file, problems: validateAgreement(d.doc, { catalog, guardrails: guardrails!, existing }) };
  })));
}

function main(argv: string[]): number {
  const files = argv.filter((a) => !a.startsWith('--'));
  if (files.length === 0) {
    process.stderr.write('usage: npm run policy:validate -- <agreement.yaml|json | guardrails.yaml>…\n');
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
