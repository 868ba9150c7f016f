import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express, RequestHandler } from 'express';
import type { Gateway } from '../app.js';
import type { GatewayConfig } from '../config.js';
import type { OidcClient } from '../identity/oidc/client.js';
import { createPeopleAuth, personOf, type PeopleAuth } from '../identity/people-auth.js';
import type { Logger } from '../logger.js';
import { fieldCatalog } from '../schema/catalog.js';
import { SubjectIdentifierInvalid } from '../audit/errors.js';
import { createAgreementRouter } from '../http/agreement-routes.js';
import { createAuditRouter } from '../http/audit-routes.js';
import { ACCESSION_API, createAccessionRouter } from '../http/accession-routes.js';
import { accessionPages } from './accession-pages.js';
import { agreementPages } from './agreement-pages.js';
import { ASSET_ROUTES, assetRoutes } from './assets.js';
import { auditPages } from './audit-pages.js';
import { coordinatorPages } from './coordinator-routes.js';
import { minutesPages } from './minutes-pages.js';
import { documentPages } from './document-pages.js';
import { caseListPages } from './case-list-pages.js';
import { referralPages } from './referral-pages.js';
import { meetingPages } from './meeting-pages.js';
import { reportPages } from './report-pages.js';
import { agencyPages } from './agency-pages.js';
import { agencyStaffPages } from './agency-staff-pages.js';
import { notificationPages } from './notification-pages.js';
import { transferPages } from './transfer-pages.js';
import { htmlErrorPages, htmlNotFound } from './error-pages.js';
import { createPageRouter, type RouteSpec } from './page-router.js';
import { cspNonce, noStore, pageHeaders } from './page-security.js';
import { API_DOCS_PATH, apiDocsRoutes } from './api-docs.js';
import { createPageRenderer, createViewEnvironment, homeFor, navigationFor } from './render.js';

/**
 * Mounts people authentication, the pages and the people APIs on the web listener's app.
 * Order matters: static assets (public, cacheable) → security headers → session lookup →
 * `no-store` → log-in routes → people APIs → pages → HTML 404 and error pages. The gateway adds
 * its problem+json 404 and error handler after this.
 */

const DEFAULT_SAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/samples');

/** The agreement API's routes and roles (see http/agreement-routes.ts), for the route table. */
const AGREEMENT_API: RouteSpec[] = [
  { method: 'GET', path: '/v1/agreements', access: ['ig_officer', 'auditor'] },
  { method: 'POST', path: '/v1/agreements', access: ['ig_officer'] },
  { method: 'GET', path: '/v1/agreements/:id', access: ['ig_officer', 'auditor'] },
  { method: 'GET', path: '/v1/agreements/:id/diff', access: ['ig_officer'] },
  { method: 'GET', path: '/v1/agreements/:id/versions/:v', access: ['ig_officer', 'auditor'] },
  { method: 'PUT', path: '/v1/agreements/:id/versions/:v', access: ['ig_officer'] },
  { method: 'POST', path: '/v1/agreements/:id/versions/:v/validate', access: ['ig_officer'] },
  { method: 'POST', path: '/v1/agreements/:id/versions/:v/preview', access: ['ig_officer'] },
  { method: 'POST', path: '/v1/agreements/:id/versions/:v/approve', access: ['ig_officer'] },
  { method: 'POST', path: '/v1/agreements/:id/versions/:v/activate', access: ['ig_officer'] },
  { method: 'POST', path: '/v1/agreements/:id/versions/:v/suspend', access: ['ig_officer'] },
  { method: 'POST', path: '/v1/agreements/:id/versions/:v/resume', access: ['ig_officer'] },
  { method: 'POST', path: '/v1/agreements/:id/parties/:agency/remove', access: ['ig_officer'] },
  { method: 'POST', path: '/v1/agreements/:id/parties/:agency/restore', access: ['ig_officer'] },
  { method: 'POST', path: '/v1/agreements/:id/versions/:v/expire', access: ['ig_officer'] },
  { method: 'GET', path: '/v1/agreements/:id/versions/:v/export', access: ['ig_officer'] },
];

/** The audit API's routes (see http/audit-routes.ts): auditors only. */
const AUDIT_API: RouteSpec[] = [
  '/v1/audit/events', '/v1/audit/export', '/v1/audit/checkpoints/latest', '/v1/audit/proofs/inclusion', '/v1/audit/proofs/consistency', '/v1/audit/public-key',
].map((path) => ({ method: 'GET', path, access: ['auditor'] }));

const ROLE_NAMES: Record<string, string> = {
  coordinator: 'MARAC coordinator', ig_officer: 'Information governance officer', auditor: 'Auditor', admin: 'Administrator',
  agency_researcher: 'Agency researcher', agency_representative: 'Agency representative',
};

export interface PeopleUiOptions {
  oidc: OidcClient;
  sessions: GatewayConfig['sessions'];
  publicUrl: string;
  logger: Logger;
  now?: () => Date;
  loginRateLimit?: { windowMs: number; limit: number };
  /** Sample responses offered in the agreement preview (default: the repository's test fixtures). */
  samplesDir?: string;
}

export interface PeopleUi {
  people: PeopleAuth;
  /** Every page and people-API route with the roles allowed (drives the authorisation test). */
  routes: RouteSpec[];
}

export function mountPeopleUi(app: Express, g: Gateway, opts: PeopleUiOptions): PeopleUi {
  const now = opts.now ?? (() => new Date());
  const publicOrigin = new URL(opts.publicUrl).origin;
  const people = createPeopleAuth({
    pool: g.pool,
    audit: g.audit,
    oidc: opts.oidc,
    cookieName: opts.sessions.cookieName,
    secureCookies: opts.sessions.secureCookies,
    idleMinutes: opts.sessions.idleMinutes,
    absoluteHours: opts.sessions.absoluteHours,
    publicOrigin,
    now,
    ...(opts.loginRateLimit ? { loginRateLimit: opts.loginRateLimit } : {}),
  });
  const render = createPageRenderer(createViewEnvironment());
  const catalog = fieldCatalog();
  const routes: RouteSpec[] = [];

  app.use(assetRoutes());
  routes.push(...ASSET_ROUTES.map((path): RouteSpec => ({ method: 'GET', path, access: 'public' })));
  // The API reference (Redoc), public like /openapi.json, with its own Content-Security-Policy.
  app.use(apiDocsRoutes({ hsts: publicOrigin.startsWith('https:') }));
  routes.push({ method: 'GET', path: API_DOCS_PATH, access: 'public' });
  app.use(cspNonce, pageHeaders({ hsts: publicOrigin.startsWith('https:') }));
  app.use(people.authenticate);
  app.use(noStore);
  app.use(people.router);
  routes.push(
    { method: 'GET', path: '/login', access: 'public' },
    { method: 'GET', path: '/auth/callback', access: 'public' },
    { method: 'POST', path: '/logout', access: 'public' },
    { method: 'GET', path: '/auth/session', access: 'signed-in' },
  );

  // People APIs (JSON, for scripts and tests; the pages call the services directly). A signed-in
  // browser session must also carry the CSRF token on unsafe methods.
  const csrfIfSignedIn: RequestHandler = (req, res, next) => (personOf(res) ? people.csrfProtect(req, res, next) : next());
  app.use('/v1', csrfIfSignedIn);
  app.use(createAgreementRouter({ service: g.agreements, requireRole: people.requireRole, csrfProtect: people.csrfProtect }));
  routes.push(...AGREEMENT_API);
  app.use(createAccessionRouter({ accessions: g.accessions, requireRole: people.requireRole, csrfProtect: people.csrfProtect }));
  routes.push(...ACCESSION_API);
  app.use(createAuditRouter({
    pool: g.pool,
    audit: g.audit,
    checkpointer: g.checkpointer,
    tokens: g.audit.tokens ?? {
      tokenForQuery: () => {
        throw new SubjectIdentifierInvalid('Subject search is not configured (no subject key)', { reason: 'SUBJECT_KEY_MISSING' });
      },
    },
    requireRole: people.requireRole,
    origin: 'marac-gateway',
    logger: opts.logger,
  }));
  routes.push(...AUDIT_API);

  const pages = createPageRouter(people, routes);
  pages.get('/', 'public', (_req, res) => {
    const person = personOf(res);
    if (person) return res.redirect(303, homeFor(person));
    render.page(res, 'start.njk', { title: 'Start' });
  });
  pages.get('/account', 'signed-in', (_req, res) => {
    const person = personOf(res)!;
    render.page(res, 'account.njk', {
      title: 'Your account',
      roleNames: person.roles.map((r) => ROLE_NAMES[r] ?? r),
      sections: navigationFor(person, '/account'),
    });
  });
  caseListPages(pages, { g, render, now });
  coordinatorPages(pages, { g, catalog, render, now });
  minutesPages(pages, { g, render, now });
  documentPages(pages, { g });
  referralPages(pages, { g, render, now });
  transferPages(pages, { g, render, now });
  meetingPages(pages, { g, render, now });
  reportPages(pages, { g, render, now });
  agencyPages(pages, { g, render, now });
  agencyStaffPages(pages, { g, render, now });
  agreementPages(pages, { g, catalog, render, now, samplesDir: opts.samplesDir ?? DEFAULT_SAMPLES });
  auditPages(pages, { g, render });
  notificationPages(pages, { g, render });
  accessionPages(pages, { g, render });
  app.use(pages.router);

  app.use(htmlNotFound(render));
  app.use(htmlErrorPages(render, opts.logger));
  return { people, routes };
}
