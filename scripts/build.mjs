// `npm run build [-- --out-dir <dir>]`: compiles the workspace packages (package.json
// "workspaces", each into its own dist/, which their "production" export names), then the gateway, the adapters
// and the operations scripts with tsc (tsconfig.build.json) into dist/ (or <dir>), then copies what
// the compiled code reads beside itself (scripts/copy-assets.mjs). A separate --out-dir lets a
// test build without racing a developer's dist/. Plain JavaScript so that it runs without tsx.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
let outDir = path.join(ROOT, 'dist');
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out-dir' && args[i + 1]) outDir = path.resolve(args[++i]);
  else {
    process.stderr.write(`usage: npm run build [-- --out-dir <dir>] (unknown argument ${args[i]})\n`);
    process.exit(2);
  }
}
/** The workspace folders package.json names ("packages/*", "adapters/sdk"), relative to ROOT. */
function workspaceDirs() {
  const patterns = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).workspaces ?? [];
  return patterns.flatMap((p) => {
    if (!p.endsWith('/*')) return [p];
    const parent = path.join(ROOT, p.slice(0, -2));
    return existsSync(parent) ? readdirSync(parent).sort().map((n) => `${p.slice(0, -2)}/${n}`) : [];
  }).filter((d) => existsSync(path.join(ROOT, d, 'package.json')));
}
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const run = (argv) => {
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
for (const dir of workspaceDirs()) {
  const config = path.join(ROOT, dir, 'tsconfig.build.json');
  if (existsSync(config)) run([tsc, '-p', config]);
}
run([tsc, '-p', 'tsconfig.build.json', '--outDir', outDir]);
run([path.join(ROOT, 'scripts/copy-assets.mjs'), outDir]);
process.stdout.write(`built into ${outDir}\n`);
