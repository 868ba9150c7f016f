/**
 * Route × role: every page and people-API route on the web listener, for each role and for
 * someone not signed in. The table of expected access is the one the pages register themselves
 * with (`ui.routes`); a second test checks that no route on the app is missing from it.
 *
 * Ids in paths point at things that do not exist, so an allowed role gets past the role check
 * (and then a 404 or 400) without changing anything.
 */
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PersonRole } from '../../../gateway/src/identity/principal.js';
import type { RouteSpec } from '../../../gateway/src/ui/page-router.js';
import { startWebWorld, type LoggedIn, type WebWorld } from './world.js';

const PEOPLE: Record<PersonRole, string> = {
  coordinator: 'coordinator@essex-marat',
  ig_officer: 'ig.officer1',
  auditor: 'auditor',
  admin: 'admin',
  agency_researcher: 'researcher@chelmsford-housing',
  agency_representative: 'rep@chelmsford-housing',
};
const ROLES = Object.keys(PEOPLE) as PersonRole[];

/** What the gateway says about itself on the same listener (open to all, by design). /readyz and
 *  /metrics are on the operations listener instead (test/security/web-listener.test.ts). */
const OPS: RouteSpec[] = ['/healthz', '/openapi.json'].map((path) => ({ method: 'GET', path, access: 'public' }));

const PARAMS: Record<string, string> = {
  caseId: `case_${'0'.repeat(32)}`,
  id: 'no-such-agreement',
  v: '999',
  n: '0',
  seq: '999999999',
};

function concrete(path: string): string {
  return path.replace(/:(\w+)/g, (_m, name: string) => PARAMS[name] ?? 'x');
}

function allowed(route: RouteSpec, role: PersonRole | 'anonymous'): boolean {
  if (route.access === 'public') return true;
  if (role === 'anonymous') return false;
  if (route.access === 'signed-in') return true;
  return route.access.includes(role);
}

let w: WebWorld;
const sessions = new Map<PersonRole, LoggedIn>();

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres' });
  for (const role of ROLES) sessions.set(role, await w.login(PEOPLE[role]));
});
afterAll(async () => {
  await w?.close();
});

async function call(route: RouteSpec, who: LoggedIn | undefined): Promise<{ status: number; body: string; location: string | null }> {
  const path = concrete(route.path);
  const api = path.startsWith('/v1/') || path === '/auth/session';
  const headers: Record<string, string> = { accept: api ? 'application/json' : 'text/html', origin: w.base };
  if (who) {
    headers.cookie = who.cookie;
    headers['x-csrf-token'] = who.csrfToken;
  }
  const init: RequestInit = { method: route.method, headers, redirect: 'manual' };
  if (route.method !== 'GET') {
    if (api) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(path.endsWith('/preview') ? { sampleResponse: {}, subjectFacts: {} } : { id: 'no-such-agreement' });
    } else {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      init.body = new URLSearchParams(who ? { _csrf: who.csrfToken } : {}).toString();
    }
  }
  const res = await fetch(`${w.base}${path}`, init);
  return { status: res.status, body: await res.text(), location: res.headers.get('location') };
}

describe('route × role', () => {
  it('the table covers every route on the web listener', () => {
    const app = w.t.gateway.webApp as Express & { router: { stack: Layer[] } };
    interface Layer { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } }
    const found = new Set<string>();
    const walk = (stack: Layer[]) => {
      for (const layer of stack) {
        if (layer.route) {
          for (const m of Object.keys(layer.route.methods)) if (m !== '_all') found.add(`${m.toUpperCase()} ${layer.route.path}`);
        } else if (layer.handle?.stack) walk(layer.handle.stack);
      }
    };
    walk(app.router.stack);
    const table = new Set([...w.ui.routes, ...OPS].map((r) => `${r.method} ${r.path}`));
    expect([...found].filter((r) => !table.has(r)).sort()).toEqual([]);
    expect([...table].filter((r) => !found.has(r)).sort()).toEqual([]);
    expect(found.size).toBeGreaterThan(40);
  });

  const rows = () => [...w.ui.routes.filter((r) => r.path !== '/logout'), ...OPS];

  it.each(['anonymous', ...ROLES] as const)('as %s: allowed routes pass the role check, the others are refused', async (role) => {
    const who = role === 'anonymous' ? undefined : sessions.get(role);
    const failures: string[] = [];
    for (const route of rows()) {
      const r = await call(route, who);
      const label = `${route.method} ${route.path} → ${r.status}`;
      if (allowed(route, role)) {
        const refused = r.status === 403 && /FORBIDDEN_ROLE/.test(r.body);
        const sentToLogin = r.status === 303 && (r.location ?? '').startsWith('/login?');
        if (refused || sentToLogin || (r.status === 401 && route.access !== 'public')) failures.push(`${label} (should be allowed)`);
        if (r.status >= 500) failures.push(`${label} (server error)`);
      } else if (role === 'anonymous') {
        const ok = route.method === 'GET' && !route.path.startsWith('/v1/') && route.path !== '/auth/session'
          ? r.status === 303 && (r.location ?? '').startsWith('/login?returnTo=')
          : r.status === 401 && /UNAUTHENTICATED/.test(r.body);
        if (!ok) failures.push(`${label} (should ask to sign in)`);
      } else if (!(r.status === 403 && /FORBIDDEN_ROLE/.test(r.body))) {
        failures.push(`${label} (should be FORBIDDEN_ROLE)`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('a refusal by role is written to the audit log with the route pattern, not the URL', async () => {
    const r = await call({ method: 'GET', path: '/cases/:caseId', access: ['coordinator'] }, sessions.get('auditor'));
    expect(r.status).toBe(403);
    await w.t.gateway.audit.flush(w.t.gateway.pool);
    const rows = await w.t.db.pool.query(
      `SELECT canonical FROM audit_events WHERE action = 'ACCESS_DENIED' AND reason_code = 'FORBIDDEN_ROLE' ORDER BY seq DESC LIMIT 1`,
    );
    const event = JSON.parse(rows.rows[0].canonical);
    expect(event.actor).toMatchObject({ kind: 'person', userId: 'auditor' });
    expect(event.detail.route).toBe('/cases/:caseId');
    expect(JSON.stringify(event)).not.toContain(PARAMS.caseId);
  });

  it('sign-out works for every role and the cookie no longer opens anything', async () => {
    for (const role of ROLES) {
      const who = sessions.get(role)!;
      const out = await w.form('/logout', who, {});
      expect(out.status).toBe(303);
      const after = await w.page('/account', who);
      expect(after.status).toBe(303);
      expect(after.headers.get('location')).toBe('/login?returnTo=%2Faccount');
    }
  });
});

describe('agency staff see only their own agency’s requests, cases and actions', () => {
  it('another agency’s request, case and action are a 404 (as if they did not exist)', async () => {
    const referral = (await import('./world.js')).referralForm;
    const d = new Date(Date.now() + 21 * 86_400_000);
    // (Fresh sessions: the sign-out test above ended the shared ones.)
    const coord = await w.login(PEOPLE.coordinator);
    const opened = await w.form('/cases/new', coord, referral({ day: String(d.getUTCDate()), month: String(d.getUTCMonth() + 1), year: String(d.getUTCFullYear()) }));
    const caseId = opened.headers.get('location')!.split('?')[0]!.split('/').pop()!;
    const sent = await w.form(`/cases/${caseId}/research/new`, coord, { purpose: 'MARAC_RESEARCH', lookbackMonths: '12', scope: 'ALL', recipients: ['chelmsford-housing'] });
    const requestId = new URL(sent.headers.get('location')!, w.base).searchParams.get('sent')!;
    expect(requestId).toMatch(/^req_/);

    const police = await w.login('researcher@essex-police');
    const idva = await w.login('rep@safe-steps-idva');
    const housing = await w.login(PEOPLE.agency_researcher);
    // The agency asked sees it; another agency's researcher gets a 404 for every page of it.
    expect((await w.page(`/agency/requests/${requestId}/answer`, housing)).status).toBe(200);
    expect((await w.page(`/agency/requests/${requestId}/answer`, police)).status).toBe(404);
    expect((await w.form(`/agency/requests/${requestId}/answer`, police, { action: 'save' })).status).toBe(404);
    expect((await w.form(`/agency/requests/${requestId}/decline`, police, { declineReason: 'NOT_KNOWN', idempotencyKey: 'authz-cross-1' })).status).toBe(404);
    expect(await (await w.page('/agency/inbox', police)).text()).not.toContain(requestId);
    // A representative of an agency with no part in the case: no case page, no action.
    expect((await w.page(`/agency/cases/${caseId}`, idva)).status).toBe(404);
    // Nor its documents (the circulation refuses them as a missing case or minutes, audited).
    expect((await w.form(`/agency/cases/${caseId}/document`, idva, { format: 'docx' })).status).toBe(404);
    expect((await w.form(`/agency/cases/${caseId}/meetings/mtg_${'0'.repeat(32)}/minutes/document`, idva, { format: 'pdf' })).status).toBe(404);
    expect((await w.form(`/agency/actions/act_${'0'.repeat(32)}`, idva, { status: 'DONE', note: 'x' })).status).toBe(404);
  });
});
