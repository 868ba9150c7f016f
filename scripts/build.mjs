// `npm run build [-- --out-dir <dir>]`: compiles the workspace packages (packages/*, each into its
// own dist/, which their package.json's "production" export names), then the gateway, the adapters
// and the operations scripts with tsc (tsconfig.build.json) into dist/ (or <dir>), then copies what
// the compiled code reads beside itself (scripts/copy-assets.mjs). A separate --out-dir lets a
// test build without racing a developer's dist/. Plain JavaScript so that it runs without tsx.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
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
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const run = (argv) => {
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
const packagesDir = path.join(ROOT, 'packages');
for (const name of existsSync(packagesDir) ? readdirSync(packagesDir).sort() : []) {
  const config = path.join(packagesDir, name, 'tsconfig.build.json');
  if (existsSync(config)) run([tsc, '-p', config]);
}
run([tsc, '-p', 'tsconfig.build.json', '--outDir', outDir]);
run([path.join(ROOT, 'scripts/copy-assets.mjs'), outDir]);
process.stdout.write(`built into ${outDir}\n`);
