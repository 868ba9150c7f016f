/**
 * The OpenAPI document against the routers themselves: every route Express has registered on the
 * agency, web and operations listeners (found by walking each app's router stack, after start-up
 * has mounted the people web) must be in the served /openapi.json under a server entry for its
 * listener, and every path and method in the document must have a route there. The served
 * document must be self-contained (every $ref local and resolvable) and `redocly lint` clean.
 *
 * Not API routes: the web listener's HTML pages and static assets (everything on it outside the
 * API namespaces below). The pages post forms to themselves and are described in the UI, not here.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorld, type WebWorld } from '../web/world.js';

type Listener = 'agency' | 'web' | 'ops';
interface Route {
  listener: Listener;
  method: string;
  path: string;
}

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
/** Machine interfaces on the web listener: the people API, sign-in, and the document itself. */
const WEB_API = /^\/(v1\/|auth\/|login$|logout$|healthz$|openapi\.json$)/;

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string;
  slash?: boolean;
}

function walk(stack: Layer[], prefix: string, listener: Listener, out: Route[]): void {
  for (const layer of stack) {
    if (layer.route) {
      for (const p of Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path]) {
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') out.push({ listener, method, path: `${prefix}${p}` });
      }
    } else if (layer.handle?.stack) {
      walk(layer.handle.stack, layer.slash || layer.rawPath === undefined ? prefix : `${prefix}${layer.rawPath}`, listener, out);
    }
  }
}

function routesOf(app: Express, listener: Listener): Route[] {
  const out: Route[] = [];
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '', listener, out);
  const unique = new Map(out.map((r) => [`${r.method} ${r.path}`, r]));
  return [...unique.values()];
}

/** `/v1/cases/:caseId` and `/v1/cases/{caseId}` → segments; a parameter matches a parameter or (in the spec) a literal. */
const segments = (p: string) => p.split('/').filter(Boolean);
const isParam = (seg: string) => seg.startsWith(':') || /^\{.+\}$/.test(seg);
function matches(specPath: string, routePath: string): boolean {
  const a = segments(specPath);
  const b = segments(routePath);
  return a.length === b.length && a.every((s, i) => s === b[i] || (isParam(s) && (isParam(b[i]!) || /^\{.+\}$/.test(s))));
}

type Doc = {
  servers: { url: string; 'x-listener'?: string }[];
  paths: Record<string, Record<string, unknown> & { servers?: { 'x-listener'?: string }[] }>;
  [k: string]: unknown;
};
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'];
const listenersOf = (doc: Doc, p: string) => (doc.paths[p]!.servers ?? doc.servers).map((s) => s['x-listener']);

let w: WebWorld;
let doc: Doc;
let routes: Route[];
beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres' });
  const g = w.t.gateway;
  routes = [
    ...routesOf(g.agencyApp, 'agency'),
    ...routesOf(g.webApp, 'web').filter((r) => WEB_API.test(r.path)),
    ...routesOf(g.opsApp, 'ops'),
  ];
  const res = await fetch(`${w.base}/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as Doc;
}, 60_000);
afterAll(async () => {
  await w?.close();
});

describe('the OpenAPI document against the routers', () => {
  it('finds the routes of all three listeners', () => {
    const by = (l: Listener) => routes.filter((r) => r.listener === l).length;
    expect(by('agency')).toBeGreaterThan(15);
    expect(by('web')).toBeGreaterThan(20);
    expect(routes).toContainEqual({ listener: 'ops', method: 'get', path: '/metrics' });
    expect(routes).toContainEqual({ listener: 'web', method: 'get', path: '/login' });
  });

  it('every registered route is in the document, under a server entry for its listener', () => {
    const missing: string[] = [];
    for (const r of routes) {
      const hit = Object.keys(doc.paths).find((p) => matches(p, r.path) && r.method in doc.paths[p]! && listenersOf(doc, p).includes(r.listener));
      if (!hit) missing.push(`${r.listener} ${r.method.toUpperCase()} ${r.path}`);
    }
    expect(missing).toEqual([]);
  });

  it('every path and method in the document has a route on each listener it names', () => {
    const orphans: string[] = [];
    for (const [p, item] of Object.entries(doc.paths)) {
      for (const method of METHODS.filter((m) => m in item)) {
        for (const listener of listenersOf(doc, p)) {
          if (!routes.some((r) => r.listener === listener && r.method === method && matches(p, r.path))) orphans.push(`${listener} ${method.toUpperCase()} ${p}`);
        }
      }
    }
    expect(orphans).toEqual([]);
  });

  it('has one server entry per listener: the agency API by default, the people API and sign-in on the web listener', () => {
    expect(doc.servers.map((s) => s['x-listener'])).toEqual(['agency']);
    expect(listenersOf(doc, '/v1/agreements')).toEqual(['web']);
    expect(listenersOf(doc, '/v1/audit/events')).toEqual(['web']);
    expect(listenersOf(doc, '/login')).toEqual(['web']);
    expect(listenersOf(doc, '/readyz')).toEqual(['ops']);
    expect(listenersOf(doc, '/healthz').sort()).toEqual(['agency', 'ops', 'web']);
    expect(listenersOf(doc, '/v1/inbox')).toEqual(['agency']);
  });

  it('the route matcher itself tells paths apart', () => {
    expect(matches('/v1/cases/{caseId}', '/v1/cases/:caseId')).toBe(true);
    expect(matches('/v1/cases/{caseId}', '/v1/cases')).toBe(false);
    expect(matches('/v1/cases/{caseId}/close', '/v1/cases/:caseId/reopen')).toBe(false);
    expect(matches('/v1/agreements/{a}/versions/{v}/{transition}', '/v1/agreements/:id/versions/:v/approve')).toBe(true);
    expect(matches('/v1/cases/close', '/v1/cases/:caseId')).toBe(false);
  });
});

describe('the served document', () => {
  it('is self-contained: every $ref is a local pointer that resolves, no file references or $id left', () => {
    const refs: string[] = [];
    const visit = (n: unknown): void => {
      if (Array.isArray(n)) n.forEach(visit);
      else if (n && typeof n === 'object') {
        for (const [k, v] of Object.entries(n)) {
          if (k === '$ref') refs.push(String(v));
          else visit(v);
        }
      }
    };
    visit(doc);
    expect(refs.length).toBeGreaterThan(100);
    const pointer = (ref: string) => ref.slice(2).split('/').reduce<unknown>((node, t) => (node as Record<string, unknown> | undefined)?.[decodeURIComponent(t).replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    expect(refs.filter((r) => !r.startsWith('#/'))).toEqual([]);
    expect(refs.filter((r) => pointer(r) === undefined)).toEqual([]);
    expect(JSON.stringify(doc)).not.toContain('"$id"');
  });

  it('passes `redocly lint` (the repository\'s redocly.yaml)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'openapi-'));
    try {
      const file = path.join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(doc));
      const run = promisify(execFile);
      const result = await run(path.join(ROOT, 'node_modules', '.bin', 'redocly'), ['lint', file, '--config', path.join(ROOT, 'redocly.yaml'), '--format', 'json'], {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
        maxBuffer: 16 * 1024 * 1024,
      }).catch((err: { stdout?: string; stderr?: string; code?: number }) => ({ stdout: err.stdout ?? '', stderr: `${err.stderr ?? ''} (exit ${err.code})` }));
      const report = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
      expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
