// `npm run build` (scripts/build.mjs), second step: tsc compiled the TypeScript to dist/ (tsconfig.build.json);
// this copies what the compiled code reads at run time from beside itself, keeping the source
// layout so every relative path still holds: migrations, page templates and static files, the
// JSON Schemas and OpenAPI, the agreement preview's samples, the demo adapters' data.
// Plain JavaScript so that it runs without tsx.
import { copyFileSync, cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
// The build's output folder: dist/ unless scripts/build.mjs passes another (--out-dir).
const DIST = path.resolve(process.argv[2] ?? path.join(ROOT, 'dist'));
const copies = [
  'gateway/src/store/migrations',
  'gateway/src/ui/templates',
  'gateway/src/ui/static',
  'schemas',
  'test/fixtures/samples',
  ...readdirSync(path.join(ROOT, 'adapters'))
    .map((a) => `adapters/${a}/data`)
    .filter((p) => existsSync(path.join(ROOT, p))),
];
for (const rel of copies) {
  const from = path.join(ROOT, rel);
  if (!existsSync(from)) continue;
  const to = path.join(DIST, rel);
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true, filter: (src) => !src.endsWith('.ts') });
}
// Redoc's bundle, which the repository does not keep: the API reference page pins it by hash
// (gateway/src/ui/assets.ts redocBundleFile; a production install has no @redocly/cli to serve it from).
const redoc = path.join(ROOT, 'node_modules', '@redocly', 'cli', 'lib', 'chunks', 'redoc.standalone.js');
if (existsSync(redoc)) copyFileSync(redoc, path.join(DIST, 'gateway/src/ui/static/redoc/redoc.standalone.js'));
else process.stderr.write('warning: @redocly/cli is not installed; /docs/api will show its page without Redoc\n');
process.stdout.write(`copied ${copies.length} asset folders into ${path.relative(ROOT, DIST).startsWith('..') ? DIST : path.relative(ROOT, DIST)}/\n`);
