/**
 * Issue 18: the compiled build on a production install. `npm run build` (once per run, into a
 * temporary folder: test/helpers/production-tree.ts), a tree of dist/ + policies/ + package.json
 * + the lock file with `npm ci --omit=dev` (no tsx, TypeScript, oidc-provider, smtp-server or
 * embedded PostgreSQL), then `node --conditions=production dist/gateway/src/main.js` from it (what
 * `npm run start:prod` runs):
 *
 * (a) in production mode against the machine's PostgreSQL (it migrates a fresh database as the
 *     owner and runs as the runtime role) and Redis, PKI made with the tree's own `pki` CLI and a
 *     real OpenID provider over HTTPS: /readyz on the operations listener, one agency call over
 *     mTLS, the sign-in redirect to the provider (discovery over TLS), a clean stop;
 * (b) the same tree refuses development-only features with a stable code, a one-line message and
 *     a non-zero exit, no stack trace: the development OIDC provider and the development mailbox
 *     (DEVELOPMENT_FEATURE_UNAVAILABLE), the embedded PostgreSQL (EMBEDDED_POSTGRES_UNAVAILABLE).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agencyFetch } from '../../helpers/pki.js';
import { DEV_ONLY_PACKAGES, productionTree, type ProductionTree } from '../../helpers/production-tree.js';
import { makeProductionWorld, NODE_PRODUCTION, nonLogLines, runNode, startGatewayProcess, type GatewayProcess, type ProductionWorld } from '../../helpers/production-world.js';

let tree: ProductionTree;
let world: ProductionWorld;
let gateway: GatewayProcess | undefined;

beforeAll(async () => {
  tree = await productionTree();
  world = await makeProductionWorld(tree.dir);
}, 900_000);

afterAll(async () => {
  if (gateway) await gateway.stop('SIGKILL');
  await world?.close();
});

describe('the production tree', () => {
  it('holds the compiled gateway and no development package', () => {
    expect(existsSync(path.join(tree.dir, 'dist/gateway/src/main.js'))).toBe(true);
    expect(existsSync(path.join(tree.dir, 'dist/scripts/pki.js'))).toBe(true);
    expect(existsSync(path.join(tree.dir, 'dist/gateway/src/store/migrations/0003_audit.sql'))).toBe(true);
    expect(existsSync(path.join(tree.dir, 'node_modules/express'))).toBe(true);
    const present = DEV_ONLY_PACKAGES.filter((p) => existsSync(path.join(tree.dir, 'node_modules', p)));
    expect(present).toEqual([]);
    // Offline from the run's npm cache, or online with the reason (printed for the CI log).
    if (tree.install.fallback) process.stdout.write(`production tree installed online: ${tree.install.fallback}\n`);
    if (tree.install.mode !== 'given') {
      process.stdout.write(`production tree: build ${tree.buildSeconds.toFixed(0)} s, npm ci --omit=dev (${tree.install.mode}) ${tree.installSeconds.toFixed(0)} s\n`);
    }
  });
});

describe('node --conditions=production dist/gateway/src/main.js in production mode', () => {
  it('migrates, serves /readyz on the operations listener, one agency call over mTLS and the sign-in redirect; stops with 0', async () => {
    gateway = startGatewayProcess(process.execPath, [...NODE_PRODUCTION, 'dist/gateway/src/main.js'], { cwd: tree.dir, env: world.env });
    await gateway.running;

    const ready = await fetch(`http://127.0.0.1:${world.ports.ops}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    // Not on the public web listener.
    expect((await fetch(`http://127.0.0.1:${world.ports.web}/readyz`)).status).toBe(404);

    // An agency registered and issued a certificate with the tree's CLI, as an operator would.
    const police = await world.registerAgency('prod-test-police');
    const inbox = await agencyFetch(`https://127.0.0.1:${world.ports.agency}`, police, '/v1/inbox');
    expect(inbox.status, inbox.text).toBe(200);
    const anonymous = await agencyFetch(`https://127.0.0.1:${world.ports.agency}`, null, '/v1/inbox', { caPem: police.caPem });
    expect(anonymous.status).toBe(401);

    // Sign-in: discovery at the provider over TLS (trusted through NODE_EXTRA_CA_CERTS), then a
    // redirect to its authorisation endpoint with PKCE.
    const login = await fetch(`http://127.0.0.1:${world.ports.web}/login`, { redirect: 'manual' });
    expect([302, 303]).toContain(login.status);
    const to = new URL(login.headers.get('location') ?? '');
    expect(to.origin).toBe(world.idp.issuer);
    expect(to.searchParams.get('client_id')).toBe(world.env.OIDC_CLIENT_ID);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');

    const code = await gateway.stop('SIGTERM');
    const { stdout, stderr } = gateway.output();
    gateway = undefined;
    expect(nonLogLines(stderr), stderr).toEqual([]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/"clean":true,"level":"info","message":"stopped"/);
  }, 300_000);
});

describe('the production tree refuses development-only features', () => {
  it('DEV_OIDC (allowed in production for a demonstration): DEVELOPMENT_FEATURE_UNAVAILABLE, one line, non-zero exit', async () => {
    const { OIDC_ISSUER_URL: _issuer, OIDC_CLIENT_SECRET: _secret, ...env } = world.env;
    const run = await runNode(tree.dir, ['dist/gateway/src/main.js'], {
      ...env, DEV_OIDC: 'true', DEV_OIDC_ALLOW_IN_PRODUCTION: 'true', DEV_OIDC_PORT: '0',
    });
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    const lines = nonLogLines(run.stderr);
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/DEVELOPMENT_FEATURE_UNAVAILABLE/);
    expect(lines[0]).toMatch(/DEV_OIDC .*development feature.*production install/);
    expect(run.stderr).not.toMatch(/\n\s+at \S|ERR_MODULE_NOT_FOUND|Cannot find package/);
  }, 180_000);

  it('the development mailbox (NOTIFICATIONS_TRANSPORT=dev-smtp, development mode): DEVELOPMENT_FEATURE_UNAVAILABLE, one line, non-zero exit', async () => {
    const run = await runNode(tree.dir, ['dist/gateway/src/main.js'], {
      ...world.env, MARAC_MODE: 'development', DATABASE_URL: world.db.url, DEV_OIDC: 'false', DEMO_ADAPTERS: 'false',
      NOTIFICATIONS_TRANSPORT: 'dev-smtp', AUDIT_WITNESS_DISABLED: 'true', LOG_LEVEL: 'warn',
      AGENCY_API_PORT: '0', WEB_PORT: '0', OPS_PORT: '0',
    });
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    const lines = nonLogLines(run.stderr);
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/DEVELOPMENT_FEATURE_UNAVAILABLE/);
    expect(lines[0]).toMatch(/NOTIFICATIONS_TRANSPORT=dev-smtp .*development feature/);
    expect(run.stderr).not.toMatch(/\n\s+at \S|ERR_MODULE_NOT_FOUND|Cannot find package/);
  }, 180_000);

  it('no DATABASE_URL (the embedded default): EMBEDDED_POSTGRES_UNAVAILABLE, one line, non-zero exit', async () => {
    const run = await runNode(tree.dir, ['dist/gateway/src/main.js'], {
      MARAC_MODE: 'development', MARAC_DATA_DIR: world.env.MARAC_DATA_DIR!, LOG_LEVEL: 'warn',
      AGENCY_API_PORT: '0', WEB_PORT: '0', OPS_PORT: '0', DEV_OIDC_PORT: '0',
    });
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    const lines = nonLogLines(run.stderr);
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/EMBEDDED_POSTGRES_UNAVAILABLE/);
    expect(lines[0]).toMatch(/DATABASE_URL/);
    expect(run.stderr).not.toMatch(/\n\s+at \S|ERR_MODULE_NOT_FOUND|Cannot find package/);
  }, 180_000);
});
