// `npm run image [-- --tree <dir>] [--tag <name:tag>] [--online]`: builds the container image
// marac-gateway:<package version> (and :latest) with podman from the Containerfile.
//
// 1. The base: a Debian bookworm minbase root made with debootstrap (from Debian's mirror; needs
//    root), trimmed, cached in .data/image-base/rootfs, imported once with `podman import` as
//    localhost/marac-base:bookworm. No image registry is needed (none is reachable here).
// 2. The build context in .data/image/context: this machine's Node.js (process.execPath and its
//    npm), and the production tree's sources: dist/ from `npm run build` (or from --tree, a folder
//    that already holds dist/, policies/, schemas/, package.json, package-lock.json and the
//    workspaces), policies/, schemas/, package.json, the lock file, and in ws/ the workspace
//    packages at their own paths (package.json and their "files").
// 3. `podman --runtime runc build --format docker` (docker format keeps the HEALTHCHECK) with the
//    npm cache mounted read-only-overlay at /npm-cache, so the build stage's `npm ci --omit=dev`
//    runs offline with no network; --online lets it use the registry instead.
//
// podman runs here with the runc runtime and a containers.conf holding `default_ulimits = []`:
// CONTAINERS_CONF is pointed at .data/image-base/containers.conf unless already set.
// docs/decisions/0026-build-and-image.md records the choices; docs/operations.md §9 the use.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '..');
const BASE_TAG = 'localhost/marac-base:bookworm';
const BASE_DIR = path.join(ROOT, '.data/image-base');
const CONTEXT = path.join(ROOT, '.data/image/context');
const MIRROR = process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

const { values: flags } = parseArgs({
  options: { tree: { type: 'string' }, tag: { type: 'string' }, online: { type: 'boolean' }, help: { type: 'boolean' } },
  strict: true,
});
if (flags.help) {
  process.stdout.write('usage: npm run image [-- --tree <production tree>] [--tag <name:tag>] [--online]\n');
  process.exit(0);
}
const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
const tag = flags.tag ?? `localhost/marac-gateway:${version}`;

function fail(message) {
  process.stderr.write(`npm run image: ${message}\n`);
  process.exit(2);
}
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) fail(`${cmd} could not run: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.slice(0, 3).join(' ')}... exited ${r.status}`);
}
/** The workspace folders package.json names ("packages/*", "adapters/sdk"), relative to `root`. */
function workspaceDirs(root) {
  const patterns = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).workspaces ?? [];
  return patterns.flatMap((p) => {
    if (!p.endsWith('/*')) return [p];
    const parent = path.join(root, p.slice(0, -2));
    return existsSync(parent) ? readdirSync(parent).sort().map((n) => `${p.slice(0, -2)}/${n}`) : [];
  }).filter((d) => existsSync(path.join(root, d, 'package.json')));
}
const log = (line) => process.stdout.write(`image: ${line}\n`);

mkdirSync(BASE_DIR, { recursive: true });
// The default containers.conf is written here when CONTAINERS_CONF is unset or names that same
// default file before it exists (the image test names it; a fresh clone has no .data/ yet).
const defaultConf = path.join(BASE_DIR, 'containers.conf');
if (!process.env.CONTAINERS_CONF || (path.resolve(process.env.CONTAINERS_CONF) === defaultConf && !existsSync(defaultConf))) {
  writeFileSync(defaultConf, '[containers]\ndefault_ulimits = []\n');
  process.env.CONTAINERS_CONF = defaultConf;
}
if (!existsSync(process.env.CONTAINERS_CONF)) fail(`CONTAINERS_CONF names ${process.env.CONTAINERS_CONF}, which does not exist`);
const podmanVersion = spawnSync('podman', ['--version'], { encoding: 'utf8' });
if (podmanVersion.error) fail('podman is not installed (Debian: apt-get install podman runc)');
if (podmanVersion.status !== 0) fail(`podman --version failed: ${(podmanVersion.stderr || podmanVersion.stdout).trim()}`);
if (spawnSync('runc', ['--version']).error) fail('runc is not installed (Debian: apt-get install runc)');
const podman = (args, opts) => run('podman', ['--runtime', 'runc', ...args], opts);
const podmanOk = (args) => spawnSync('podman', ['--runtime', 'runc', ...args], { stdio: 'ignore' }).status === 0;

// ---- 1. the base
if (!podmanOk(['image', 'exists', BASE_TAG])) {
  const rootfs = path.join(BASE_DIR, 'rootfs');
  if (!existsSync(rootfs)) {
    if (process.getuid?.() !== 0) fail('making the base needs root (debootstrap); run once as root, or import a bookworm root as ' + BASE_TAG);
    const partial = `${rootfs}.tmp`;
    rmSync(partial, { recursive: true, force: true });
    log(`debootstrap --variant=minbase bookworm from ${MIRROR} (a minute or two, once)`);
    run('debootstrap', ['--variant=minbase', 'bookworm', partial, MIRROR], { stdio: ['ignore', 'ignore', 'inherit'] });
    // What a runtime image never uses: package caches and lists, documentation, translations.
    for (const rel of ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/locale']) {
      const p = path.join(partial, rel);
      if (!existsSync(p)) continue;
      for (const e of readdirSync(p)) if (rel !== 'var/cache/apt/archives' || e.endsWith('.deb')) rmSync(path.join(p, e), { recursive: true, force: true });
    }
    renameSync(partial, rootfs);
  }
  log(`importing ${rootfs} as ${BASE_TAG}`);
  const tar = spawnSync('sh', ['-c', `tar -C '${rootfs}' -c . | podman import - ${BASE_TAG}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (tar.status !== 0) fail('podman import failed');
}

// ---- 2. the build context
let tree = flags.tree ? path.resolve(flags.tree) : undefined;
rmSync(CONTEXT, { recursive: true, force: true });
mkdirSync(path.join(CONTEXT, 'app'), { recursive: true });
if (!tree) {
  log('npm run build');
  run(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--out-dir', path.join(CONTEXT, 'app/dist')], { cwd: ROOT });
  tree = ROOT;
} else {
  if (!existsSync(path.join(tree, 'dist/gateway/src/main.js'))) fail(`${tree} holds no compiled gateway (dist/gateway/src/main.js)`);
  cpSync(path.join(tree, 'dist'), path.join(CONTEXT, 'app/dist'), { recursive: true });
}
for (const f of ['package.json', 'package-lock.json']) cpSync(path.join(tree, f), path.join(CONTEXT, 'app', f));
for (const d of ['policies', 'schemas']) {
  if (existsSync(path.join(tree, d))) cpSync(path.join(tree, d), path.join(CONTEXT, 'app', d), { recursive: true });
}
// Workspace packages (package.json "workspaces") into ws/, at their own paths: package.json and
// what each would publish ("files": dist/ at least; patterns such as *.ts are left out).
mkdirSync(path.join(CONTEXT, 'ws'), { recursive: true });
for (const ws of workspaceDirs(tree)) {
  const files = JSON.parse(readFileSync(path.join(tree, ws, 'package.json'), 'utf8')).files ?? ['dist'];
  for (const f of ['package.json', ...files]) {
    const from = path.join(tree, ws, f);
    if (existsSync(from)) cpSync(from, path.join(CONTEXT, 'ws', ws, f), { recursive: true });
  }
}
// Node.js and npm of this machine (npm only reaches the build stage).
const nodeDir = path.join(CONTEXT, 'node');
mkdirSync(path.join(nodeDir, 'bin'), { recursive: true });
cpSync(process.execPath, path.join(nodeDir, 'bin/node'));
const npmDir = [path.resolve(path.dirname(process.execPath), '../lib/node_modules/npm'), '/usr/lib/node_modules/npm', '/usr/local/lib/node_modules/npm'].find((d) => existsSync(path.join(d, 'bin/npm-cli.js')));
if (!npmDir) fail('npm not found beside node');
cpSync(npmDir, path.join(nodeDir, 'lib/node_modules/npm'), { recursive: true });
writeFileSync(path.join(nodeDir, 'bin/npm'), '#!/bin/sh\nexec /opt/node/bin/node /opt/node/lib/node_modules/npm/bin/npm-cli.js "$@"\n', { mode: 0o755 });
const nodeVersion = execFileSync(process.execPath, ['--version']).toString().trim();

// ---- 3. the build
const npmCache = process.env.npm_config_cache || path.join(homedir(), '.npm');
const args = ['build', '--format', 'docker', '--file', path.join(ROOT, 'Containerfile'), '--tag', tag, '--tag', tag.replace(/:[^:/]+$/, ':latest'),
  '--label', `org.opencontainers.image.version=${version}`, '--label', `org.opencontainers.image.title=marac-gateway`,
  '--label', `marac.node.version=${nodeVersion}`];
if (flags.online) args.push('--network', 'host', '--build-arg', 'NPM_ONLINE=1');
else {
  if (!existsSync(npmCache)) fail(`no npm cache at ${npmCache} for an offline build: run npm ci first, or pass --online`);
  args.push('--network', 'none', '--volume', `${npmCache}:/npm-cache:O`);
}
args.push(CONTEXT);
log(`podman build ${tag} (node ${nodeVersion}${flags.online ? ', npm online' : ', npm offline from ' + npmCache})`);
podman(args);
const size = execFileSync('podman', ['image', 'inspect', '--format', '{{.Size}}', tag], { env: process.env }).toString().trim();
rmSync(CONTEXT, { recursive: true, force: true });
log(`built ${tag} (${(Number(size) / 1e6).toFixed(0)} MB)`);
