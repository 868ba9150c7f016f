/**
 * Every link a notification carries (notifications/derive.ts LINKS) is a GET page the page router
 * registers: the pages are registered here exactly as ui/index.ts does (with no gateway behind
 * them: only the route table is read), and each link, without its fragment, matches one of them.
 */
import type { RequestHandler } from 'express';
import { describe, expect, it } from 'vitest';
import { LINKS } from '../../../gateway/src/notifications/derive.js';
import { agencyStaffPages } from '../../../gateway/src/ui/agency-staff-pages.js';
import { coordinatorPages } from '../../../gateway/src/ui/coordinator-routes.js';
import { createPageRouter, type RouteSpec } from '../../../gateway/src/ui/page-router.js';
import { referralPages } from '../../../gateway/src/ui/referral-pages.js';

const pass: RequestHandler = (_req, _res, next) => next();

function pageRoutes(): RouteSpec[] {
  const pages = createPageRouter({ requireRole: () => pass, csrfProtect: pass });
  const deps = { g: {}, render: {}, now: () => new Date(), catalog: {} } as never;
  coordinatorPages(pages, deps);
  referralPages(pages, deps);
  agencyStaffPages(pages, deps);
  return pages.routes;
}

const matches = (route: string, path: string) =>
  new RegExp(`^${route.split('/').map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`).test(path);

const hex = 'a'.repeat(32);
const SAMPLE: Record<keyof typeof LINKS, string> = {
  agencyRequest: `req_${hex}`,
  coordinatorCase: `case_${hex}`,
  referral: `ref_${hex}`,
  agencyCase: `case_${hex}`,
  agencyAction: `act_${hex}`,
};

describe('notification links', () => {
  const routes = pageRoutes().filter((r) => r.method === 'GET');

  it.each(Object.keys(LINKS) as (keyof typeof LINKS)[])('%s is a registered page', (name) => {
    const link = LINKS[name](SAMPLE[name]);
    const path = link.split('#')[0]!;
    expect(path.startsWith('/')).toBe(true);
    expect(routes.filter((r) => matches(r.path, path)).map((r) => r.path), link).toHaveLength(1);
    // The opaque id only, in the path or the fragment.
    expect(link).toContain(SAMPLE[name]);
  });

  it('the table is read from the real registrations', () => {
    expect(routes.map((r) => r.path)).toEqual(expect.arrayContaining(['/agency/actions', '/agency/cases/:caseId', '/referrals/:referralId', '/cases/:caseId']));
  });
});
