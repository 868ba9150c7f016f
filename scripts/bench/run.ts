/**
 * `npm run bench [-- [--no-write] <prefix>]`
 *
 * Runs the area modules (scripts/bench/<area>.ts, each exporting `run(): Promise<BenchResult[]>`)
 * whose figures can match the prefix, one after another, prints one JSON line per figure on
 * stdout, and (unless --no-write) rewrites the generated table in docs/BENCHMARKS.md and appends
 * the raw results to docs/bench-results.ndjson. Progress and errors go to stderr only, so stdout
 * stays machine-readable.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  areasFor, jsonLine, machineInfo, machineLabel, matchesPrefix, parseArgs, toRow, updateDocument,
  type AreaRun, type BenchResult,
} from './lib.js';

const HERE = import.meta.dirname;
const ROOT = path.resolve(HERE, '../..');
const DOC = path.join(ROOT, 'docs/BENCHMARKS.md');
const NDJSON = path.join(ROOT, 'docs/bench-results.ndjson');

async function runArea(area: string, prefix: string): Promise<BenchResult[]> {
  const file = path.join(HERE, `${area}.ts`);
  const mod = (await import(pathToFileURL(file).href)) as { run?: AreaRun };
  if (typeof mod.run !== 'function') throw new Error(`scripts/bench/${area}.ts does not export run()`);
  // Area modules and the code they start may print; stdout belongs to the JSON lines.
  const log = console.log;
  const info = console.info;
  console.log = console.error;
  console.info = console.error;
  try {
    return await mod.run({ prefix });
  } finally {
    console.log = log;
    console.info = info;
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const machine = machineInfo();
  const started = new Date();
  if (machine.loadAvg1 > machine.cpus) {
    console.error(`bench: load average ${machine.loadAvg1} on ${machine.cpus} CPUs; the figures will be noisy`);
  }
  const areas = areasFor(args.prefix).filter((a) => existsSync(path.join(HERE, `${a}.ts`)));
  if (areas.length === 0) {
    console.error(`no benchmark area can produce figures starting with "${args.prefix}"`);
    return 2;
  }
  const results: BenchResult[] = [];
  let failed = false;
  for (const area of areas) {
    console.error(`bench: ${area} …`);
    try {
      for (const r of await runArea(area, args.prefix)) {
        if (!matchesPrefix(r.name, args.prefix)) continue;
        results.push(r);
        process.stdout.write(`${jsonLine(r)}\n`);
        // A figure that could not be measured is printed (null value) but never replaces a table row.
        if (!Number.isFinite(r.value)) {
          failed = true;
          console.error(`bench: ${r.name} was not measured: ${r.note ?? ''}`);
        }
      }
    } catch (err) {
      failed = true;
      console.error(`bench: ${area} failed:`, err);
    }
  }
  if (results.length === 0) console.error(`bench: no figure matched "${args.prefix}"`);

  if (args.write && results.length > 0) {
    const date = started.toISOString().slice(0, 10);
    const label = machineLabel(machine);
    const doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Benchmarks\n';
    const measured = results.filter((r) => Number.isFinite(r.value));
    writeFileSync(DOC, updateDocument(doc, measured.map((r) => toRow(r, { date, machine: label }))));
    appendFileSync(
      NDJSON,
      results.map((r) => `${JSON.stringify({ ...r, date: started.toISOString(), command: `npm run bench -- ${r.name}`, machine })}\n`).join(''),
    );
    console.error(`bench: wrote ${path.relative(ROOT, DOC)} and ${path.relative(ROOT, NDJSON)}`);
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
