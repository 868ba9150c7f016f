/**
 * Browser-facing security of the web listener: CSP with a per-response nonce, headers, no-store,
 * CSRF on every form and people-API change (token and origin), one person's cookie never acting
 * as another, no personal data in URLs, and HTML error pages that say nothing internal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referralForm, startWebWorld, type LoggedIn, type WebWorld } from './world.js';

let w: WebWorld;
let coord: LoggedIn;

const meeting = (() => {
  const d = new Date(Date.now() + 21 * 86_400_000);
  return { day: String(d.getUTCDate()), month: String(d.getUTCMonth() + 1), year: String(d.getUTCFullYear()) };
})();

async function caseCount(): Promise<number> {
  return (await w.t.db.pool.query('SELECT count(*)::int AS n FROM cases')).rows[0].n;
}

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres' });
  coord = await w.login('coordinator@essex-marat');
});
afterAll(async () => {
  await w?.close();
});

describe('headers', () => {
  it('a strict CSP whose nonce matches the one inline script, fresh on every response', async () => {
    const a = await w.page('/cases', coord);
    const b = await w.page('/cases', coord);
    const csp = a.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)![1];
    const html = await a.text();
    const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)];
    expect(inline.length).toBe(1);
    expect(inline[0]![1]).toContain(`nonce="${nonce}"`);
    expect(b.headers.get('content-security-policy')).not.toContain(nonce);
    expect(html).not.toMatch(/ style="/);
  });

  it('pages are never stored; the usual hardening headers are set', async () => {
    for (const path of ['/', '/cases', '/cases/new', '/account']) {
      const res = await w.page(path, coord);
      expect(res.headers.get('cache-control'), path).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('GOV.UK Frontend assets are served from this origin and may be cached', async () => {
    for (const [path, type] of [
      ['/assets/govuk-frontend.min.css', 'text/css'],
      ['/assets/govuk-frontend.min.js', 'javascript'],
      ['/assets/app.css', 'text/css'],
      ['/assets/app.js', 'javascript'],
      ['/assets/icon.svg', 'image/svg+xml'],
    ] as const) {
      const res = await fetch(`${w.base}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain(type);
      expect(res.headers.get('cache-control'), path).toMatch(/max-age=\d+/);
    }
    expect((await fetch(`${w.base}/assets/../package.json`)).status).toBe(404);
    // GDS Transport is for GOV.UK services only: not served (the font stack falls back to Arial).
    expect((await fetch(`${w.base}/assets/fonts/bold-b542beb274-v2.woff2`)).status).toBe(404);
    // ...and no page asks for it: the stylesheet names no font file and starts its stacks at Arial.
    const css = await (await fetch(`${w.base}/assets/govuk-frontend.min.css`)).text();
    expect(css).not.toContain('/assets/fonts/');
    expect(css).not.toContain('GDS Transport');
    expect(css).toContain('font-family:arial,sans-serif');
  });
});

describe('CSRF', () => {
  const post = (extra: Record<string, string>, headers: Record<string, string> = {}) =>
    w.form('/cases/new', coord, { ...referralForm(meeting), ...extra }, headers);

  it.each([
    ['without the token', { _csrf: '' }, {}, 'TOKEN_MISSING'],
    ['with another token', { _csrf: 'x'.repeat(43) }, {}, 'TOKEN_MISMATCH'],
    ['from another origin', {}, { origin: 'https://evil.example' }, 'ORIGIN_MISMATCH'],
    ['sent cross-site', {}, { 'sec-fetch-site': 'cross-site' }, 'CROSS_SITE'],
  ])('a form posted %s is refused and changes nothing', async (_name, fields, headers, reason) => {
    const before = await caseCount();
    const res = await post(fields, headers);
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain('Your form could not be sent');
    expect(html).toContain('CSRF_FAILED');
    expect(html).toContain(reason);
    expect(await caseCount()).toBe(before);
  });

  it('the same form with the token from this origin works', async () => {
    const res = await post({});
    expect(res.status).toBe(303);
  });

  it('people-API changes need the token too when sent with a session cookie', async () => {
    const officer = await w.login('ig.officer1');
    const body = JSON.stringify({ id: 'csrf-test' });
    const headers = { cookie: officer.cookie, 'content-type': 'application/json', accept: 'application/json' };
    const without = await fetch(`${w.base}/v1/agreements`, { method: 'POST', headers, body });
    expect(without.status).toBe(403);
    expect(((await without.json()) as { code: string }).code).toBe('CSRF_FAILED');
    const withToken = await fetch(`${w.base}/v1/agreements`, { method: 'POST', headers: { ...headers, 'x-csrf-token': officer.csrfToken }, body });
    expect(withToken.status).not.toBe(403);
    const crossSite = await fetch(`${w.base}/v1/agreements`, { method: 'POST', headers: { ...headers, 'x-csrf-token': officer.csrfToken, 'sec-fetch-site': 'cross-site' }, body });
    expect(crossSite.status).toBe(403);
  });
});

describe('one person, one session', () => {
  it('another person’s CSRF token does not work with my cookie', async () => {
    const officer = await w.login('ig.officer1');
    const res = await w.form('/agreements/essex-marat/drafts', { ...officer, csrfToken: coord.csrfToken }, { from: '1' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('TOKEN_MISMATCH');
  });

  it('maker-checker follows the cookie: the author cannot approve, the second officer can', async () => {
    const one = await w.login('ig.officer1');
    const two = await w.login('ig.officer2');
    const drafted = await w.form('/agreements/essex-marat/drafts', one, { from: '1' });
    expect(drafted.status).toBe(303);
    const version = /versions\/(\d+)/.exec(drafted.headers.get('location')!)![1];
    const self = await w.form(`/agreements/essex-marat/versions/${version}/approve`, one, {});
    expect(self.status).toBe(403);
    expect(await self.text()).toContain('another IG officer must approve it');
    const other = await w.form(`/agreements/essex-marat/versions/${version}/approve`, two, {});
    expect(other.status).toBe(303);
    await w.t.gateway.audit.flush(w.t.gateway.pool);
    const ev = await w.t.db.pool.query(`SELECT canonical FROM audit_events WHERE action = 'AGREEMENT_APPROVED' AND agreement_version = $1`, [Number(version)]);
    expect(JSON.parse(ev.rows[0].canonical).actor.userId).toBe('ig.officer2');
  });

  it('a changed session cookie is nobody', async () => {
    const [name, value] = coord.cookie.split('=') as [string, string];
    const forged = `${name}=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    const res = await w.page('/cases', { ...coord, cookie: forged });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?returnTo=%2Fcases');
  });
});

describe('no personal data in URLs', () => {
  it('after opening a case and sending a request, the addresses carry ids only', async () => {
    const opened = await w.form('/cases/new', coord, referralForm(meeting));
    const location = opened.headers.get('location')!;
    expect(location).toMatch(/^\/cases\/case_[0-9a-f]{32}\?opened=1$/);
    const sent = await w.form(`${location.split('?')[0]}/research/new`, coord, { recipients: 'essex-police', purpose: 'MARAC_RESEARCH', lookbackMonths: '12' });
    expect(sent.headers.get('location')).toMatch(/^\/cases\/case_[0-9a-f]{32}\?sent=req_[0-9a-f]{32}$/);
  });

  it('the auditor’s subject search posts the identifier and carries only its token to the next page', async () => {
    const auditor = await w.login('auditor');
    const res = await w.form('/audit', auditor, { subjectSystem: 'nhs-number', subjectValue: '999 001 3713' });
    expect(res.status).toBe(200);
    const html = await res.text();
    const hidden = [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => `${m[1]}=${m[2]}`);
    expect(hidden.some((h) => /^subjectToken=tok_[0-9a-f]{32}$/.test(h))).toBe(true);
    expect(hidden.join(' ')).not.toMatch(/999 ?001 ?3713/);
    await w.t.gateway.audit.flush(w.t.gateway.pool);
    const logged = await w.t.db.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE canonical LIKE '%9990013713%' OR canonical LIKE '%999 001 3713%'`);
    expect(logged.rows[0].n).toBe(0);
    const queried = await w.t.db.pool.query(`SELECT canonical FROM audit_events WHERE action = 'AUDIT_QUERIED' ORDER BY seq DESC LIMIT 1`);
    const event = JSON.parse(queried.rows[0].canonical);
    expect(event.actor.userId).toBe('auditor');
    expect(event.subjectTokens).toHaveLength(1);
  });
});

describe('error pages', () => {
  it('browsers get HTML error pages, API clients problem+json', async () => {
    const page = await w.page('/no-such-page', coord);
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('Page not found');
    const api = await fetch(`${w.base}/v1/no-such-thing`, { headers: { cookie: coord.cookie } });
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    const missingCase = await w.page(`/cases/case_${'f'.repeat(32)}`, coord);
    expect(missingCase.status).toBe(404);
    expect(await missingCase.text()).toContain('CASE_NOT_FOUND');
    const badId = await w.page('/cases/not-an-id', coord);
    expect(badId.status).toBe(404);
  });

  it('a failed sign-in ends on an HTML page with a way to try again, and is audited', async () => {
    const res = await fetch(`${w.base}/auth/callback?code=x&state=y`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(res.status).toBe(401);
    const html = await res.text();
    expect(html).toContain('Sign-in failed');
    expect(html).toContain('href="/login"');
    expect(html).toContain('LOGIN_FAILED');
    expect(html).not.toMatch(/at .*\.ts:\d+/);
  });

  it('a sign-in link that would leave the site is refused on a page', async () => {
    const res = await w.page('/login?returnTo=//evil.example', undefined);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('INVALID_RETURN_TO');
  });
});
