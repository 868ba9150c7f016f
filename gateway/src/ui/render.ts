import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Response } from 'express';
import nunjucks from 'nunjucks';
import { personOf } from '../identity/people-auth.js';
import type { PersonPrincipal, PersonRole } from '../identity/principal.js';
import { describeCode, roleLabel } from './labels.js';

/**
 * Server-rendered pages: Nunjucks with GOV.UK Frontend's own templates and macros, autoescaped.
 * Every page gets the CSP nonce, the signed-in person, the CSRF token and the navigation for
 * their roles; nothing else is global.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const TEMPLATES_DIR = path.join(HERE, 'templates');
/** `node_modules/govuk-frontend/dist`: templates import `govuk/components/...`. */
export const GOVUK_DIST = path.join(path.dirname(createRequire(import.meta.url).resolve('govuk-frontend/package.json')), 'dist');

export const SERVICE_NAME = 'MARAC information sharing';

export interface NavItem {
  href: string;
  text: string;
  roles: PersonRole[];
}

/** Navigation by role: each person sees only the sections their roles open. */
export const NAVIGATION: readonly NavItem[] = [
  { href: '/cases', text: 'Cases', roles: ['coordinator'] },
  { href: '/referrals', text: 'Referrals', roles: ['coordinator'] },
  { href: '/transfers', text: 'Transfers', roles: ['coordinator'] },
  { href: '/meetings', text: 'Meetings', roles: ['coordinator'] },
  { href: '/reports', text: 'Reports', roles: ['coordinator'] },
  { href: '/agreements', text: 'Agreements', roles: ['ig_officer'] },
  { href: '/audit', text: 'Audit log', roles: ['auditor'] },
  { href: '/audit/checkpoint', text: 'Checkpoint', roles: ['auditor'] },
  { href: '/agencies', text: 'Agencies', roles: ['admin'] },
  { href: '/agency/inbox', text: 'Research requests', roles: ['agency_researcher'] },
  { href: '/agency/cases', text: 'Meetings and cases', roles: ['agency_representative'] },
  { href: '/agency/actions', text: 'Actions', roles: ['agency_representative'] },
];

export function navigationFor(person: PersonPrincipal | undefined, currentPath: string) {
  if (!person) return [];
  const items = NAVIGATION.filter((n) => n.roles.some((r) => person.roles.includes(r)));
  // The longest matching prefix is the current section, so /audit/checkpoint is not also /audit.
  const best = items
    .filter((n) => currentPath === n.href || currentPath.startsWith(`${n.href}/`))
    .sort((a, b) => b.href.length - a.href.length)[0];
  return items.map((n) => ({ href: n.href, text: n.text, active: n === best }));
}

/** Where a person lands after signing in at `/`. */
export function homeFor(person: PersonPrincipal): string {
  return NAVIGATION.find((n) => n.roles.some((r) => person.roles.includes(r)))?.href ?? '/account';
}

const LONDON_DATE = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric' });
const LONDON_DATE_TIME = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric', hour: 'numeric', minute: '2-digit', hourCycle: 'h12',
});

/** "16 December 2026" for a YYYY-MM-DD date or an instant (London calendar). */
export function formatDate(v: unknown): string {
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return LONDON_DATE.format(new Date(`${v}T12:00:00Z`));
  const d = v instanceof Date ? v : typeof v === 'string' ? new Date(v) : undefined;
  if (!d || Number.isNaN(d.getTime())) return typeof v === 'string' ? v : '';
  return LONDON_DATE.format(d);
}

/** "16 December 2026, 5:00pm" (London time). */
export function formatDateTime(v: unknown): string {
  const d = v instanceof Date ? v : typeof v === 'string' ? new Date(v) : undefined;
  if (!d || Number.isNaN(d.getTime())) return typeof v === 'string' ? v : '';
  return LONDON_DATE_TIME.format(d).replace(' am', 'am').replace(' pm', 'pm').replace(/ at /, ', ');
}

const LONDON_TIME = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: 'numeric', minute: '2-digit', hourCycle: 'h12' });

/** "10:15am" (London time), for agenda slots. */
export function formatTime(v: unknown): string {
  const d = v instanceof Date ? v : typeof v === 'string' ? new Date(v) : undefined;
  if (!d || Number.isNaN(d.getTime())) return '';
  return LONDON_TIME.format(d).replace(' am', 'am').replace(' pm', 'pm');
}

const LONDON_SECONDS = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

/** "22/11/2026, 19:55:03" (London time, to the second: audit events happen close together). */
export function formatAuditTime(v: unknown): string {
  const d = typeof v === 'string' ? new Date(v) : v instanceof Date ? v : undefined;
  return d && !Number.isNaN(d.getTime()) ? LONDON_SECONDS.format(d) : '';
}

export function createViewEnvironment(opts: { watch?: boolean } = {}): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader([TEMPLATES_DIR, GOVUK_DIST], { noCache: opts.watch === true }), {
    autoescape: true,
    throwOnUndefined: false,
    trimBlocks: true,
    lstripBlocks: true,
  });
  env.addFilter('date', formatDate);
  env.addFilter('dateTime', formatDateTime);
  env.addFilter('time', formatTime);
  env.addFilter('auditTime', formatAuditTime);
  env.addFilter('code', (v: unknown) => (typeof v === 'string' ? describeCode(v) : ''));
  env.addFilter('roleLabel', (v: unknown) => (typeof v === 'string' ? roleLabel(v) : ''));
  env.addFilter('json', (v: unknown) => JSON.stringify(v, null, 2));
  env.addFilter('asList', (v: unknown) => (Array.isArray(v) ? v : v === undefined || v === null || v === '' ? [] : [v]));
  /** Checkbox / radio items with `checked` set from the submitted value(s). */
  env.addFilter('checkedFrom', (items: unknown, selected: unknown) => {
    const chosen = Array.isArray(selected) ? selected : selected === undefined || selected === null ? [] : [selected];
    return Array.isArray(items) ? items.map((i: { value: string }) => ({ ...i, checked: chosen.includes(i.value) })) : [];
  });
  return env;
}

export interface PageRenderer {
  /** Renders `template` with the page context into `res` (status 200 unless given). */
  page(res: Response, template: string, ctx?: Record<string, unknown>, status?: number): void;
  /** Renders to a string (for downloads). */
  toString(template: string, ctx?: Record<string, unknown>): string;
}

export function createPageRenderer(env: nunjucks.Environment): PageRenderer {
  function context(res: Response, ctx: Record<string, unknown>) {
    const person = personOf(res);
    const currentPath = (res.req?.path as string | undefined) ?? '/';
    return {
      serviceName: SERVICE_NAME,
      cspNonce: res.locals.cspNonce as string | undefined,
      person: person ? { displayName: person.displayName, roles: person.roles, agencyId: person.agencyId } : undefined,
      csrfToken: person ? (res.locals.csrfToken as string | undefined) : undefined,
      // A POST that renders another section's page (e.g. /audit/verify) says which section it is.
      navigation: navigationFor(person, typeof ctx.navPath === 'string' ? ctx.navPath : currentPath),
      currentPath,
      ...ctx,
    };
  }
  return {
    page(res, template, ctx = {}, status = 200) {
      const html = env.render(template, context(res, ctx));
      res.status(status).type('html').send(html);
    },
    toString(template, ctx = {}) {
      return env.render(template, { serviceName: SERVICE_NAME, ...ctx });
    },
  };
}
