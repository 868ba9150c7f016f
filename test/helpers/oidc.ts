/**
 * OIDC test helpers: a real in-process provider and a real log-in, no mocks.
 *
 * Usage in an integration test (the provider must know the app's callback URL, so bind the app's
 * server first, then start the provider, then build people auth):
 *
 *   const server = http.createServer();
 *   const appBase = await listenOn(server);                              // 'http://127.0.0.1:54321'
 *   const idp = await startTestOidc({ redirectUris: [`${appBase}/auth/callback`] });
 *   const people = createPeopleAuth({ pool, audit, cookieName: 'marac_session', secureCookies: false,
 *     idleMinutes: 30, absoluteHours: 10, oidc: createOidcClient(idp.clientOptions(appBase)) });
 *   app.use(people.authenticate); app.use(people.router); ...; server.on('request', app);
 *
 *   const { cookie, csrfToken } = await loginAs(appBase, 'coordinator@essex-marat');
 *   await fetch(`${appBase}/cases`, { headers: { cookie } });
 *   await fetch(`${appBase}/cases`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken, ... } });
 *   ...
 *   await idp.close();
 *
 * Demo people (password `demo` for all): coordinator@essex-marat (coordinator, agency essex-marat),
 * ig.officer1 and ig.officer2 (ig_officer), auditor (auditor), admin (admin).
 *
 * `loginAs` drives the whole authorisation-code flow with plain fetch: GET /login on the app, follow
 * the redirects by hand through the provider, post the provider's sign-in form, come back to
 * /auth/callback, then read GET /auth/session for the CSRF token. Cookies are kept per host name
 * (ignoring ports and paths, as a browser on 127.0.0.1 would share them).
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEMO_PASSWORD, DEMO_USERS, type DemoUser } from '../../gateway/src/identity/oidc/demo-users.js';
import { MARAC_SCOPE, startDevOidcProvider } from '../../gateway/src/identity/oidc/dev-provider.js';
import type { OidcClientOptions } from '../../gateway/src/identity/oidc/client.js';

export { DEMO_PASSWORD, DEMO_USERS };

export interface TestOidc {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Options for `createOidcClient` pointing at this provider, for an app served at `appBase`. */
  clientOptions(appBase: string): OidcClientOptions;
  close(): Promise<void>;
}

export async function startTestOidc(opts: {
  redirectUris: string[];
  users?: readonly DemoUser[];
  clientId?: string;
  clientSecret?: string;
  loginRateLimit?: { windowMs: number; limit: number };
}): Promise<TestOidc> {
  const clientId = opts.clientId ?? 'marac-gateway-test';
  const clientSecret = opts.clientSecret ?? 'test-client-secret-not-for-production';
  const idp = await startDevOidcProvider({
    port: 0,
    issuerHost: '127.0.0.1',
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: opts.redirectUris }],
    production: false,
    ...(opts.users ? { users: opts.users } : {}),
    ...(opts.loginRateLimit ? { loginRateLimit: opts.loginRateLimit } : {}),
  });
  return {
    issuer: idp.issuer,
    clientId,
    clientSecret,
    clientOptions: (appBase) => ({
      issuerUrl: idp.issuer,
      clientId,
      clientSecret,
      redirectUri: `${appBase}/auth/callback`,
      roleClaim: 'marac_roles',
      agencyClaim: 'agency',
      scopes: ['openid', 'profile', MARAC_SCOPE],
      allowInsecureLoopback: true,
    }),
    close: () => idp.close(),
  };
}

/** A response body as a loose record, for assertions on problem+json and small JSON answers. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function json(res: Response): Promise<Record<string, any>> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return res.json() as Promise<Record<string, any>>;
}

/** Binds a server on 127.0.0.1 at a free port and returns its base URL. */
export function listenOn(server: http.Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

/** A minimal browser cookie store: per host name, no paths, honours Max-Age=0 / past Expires. */
export class CookieJar {
  private readonly byHost = new Map<string, Map<string, string>>();

  store(url: string, res: Response): void {
    const host = new URL(url).hostname;
    const jar = this.byHost.get(host) ?? new Map<string, string>();
    this.byHost.set(host, jar);
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => {
        const [k, v] = a.split('=').map((x) => x.trim());
        if (k?.toLowerCase() === 'max-age') return Number(v) <= 0;
        if (k?.toLowerCase() === 'expires') return Date.parse(v ?? '') < Date.now();
        return false;
      });
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }

  header(url: string): string {
    const jar = this.byHost.get(new URL(url).hostname);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }

  get(url: string, name: string): string | undefined {
    return this.byHost.get(new URL(url).hostname)?.get(name);
  }
}

/** One request without following redirects, keeping cookies. */
export async function jarFetch(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = jar.header(url);
  if (cookie) headers.set('cookie', cookie);
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(url, res);
  return res;
}

export interface LoginTrace {
  /** Every URL visited, in order (for debugging a failing flow). */
  visited: string[];
  /** The final response (the app's answer after /auth/callback, or wherever the flow stopped;
   * an empty 204 with `stopBeforeCallback`, when the last visited URL is the unfetched callback). */
  final: Response;
  jar: CookieJar;
}

/**
 * Runs the browser side of a log-in: from `GET appBase/login?returnTo=...` to the app's answer to
 * its callback. Returns where it ended; `loginAs` builds on it, tests of failures use it directly.
 */
export async function runLoginFlow(
  appBase: string,
  username: string,
  opts: { password?: string; returnTo?: string; jar?: CookieJar; maxHops?: number; stopBeforeCallback?: boolean } = {},
): Promise<LoginTrace> {
  const jar = opts.jar ?? new CookieJar();
  const visited: string[] = [];
  const appOrigin = new URL(appBase).origin;
  let url = `${appBase}/login${opts.returnTo ? `?returnTo=${encodeURIComponent(opts.returnTo)}` : ''}`;
  let init: RequestInit = {};
  for (let hop = 0; hop < (opts.maxHops ?? 12); hop++) {
    const isCallback = new URL(url).origin === appOrigin && new URL(url).pathname === '/auth/callback';
    visited.push(url);
    if (isCallback && opts.stopBeforeCallback) return { visited, final: new Response(null, { status: 204 }), jar };
    const res = await jarFetch(jar, url, init);
    init = {};
    if (isCallback) return { visited, final: res, jar };
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url).href;
      continue;
    }
    if (res.status === 200 && (res.headers.get('content-type') ?? '').includes('text/html')) {
      const html = await res.text();
      const form = /<form method="post" action="([^"]+)"/.exec(html);
      if (!form) return { visited, final: new Response(html, { status: res.status, headers: res.headers }), jar };
      url = new URL(form[1]!.replace(/&amp;/g, '&'), url).href;
      // Our sign-in form gets the credentials; any other provider form (the auto-submitting one it
      // shows when a different person signs in over an existing provider session) gets its hidden fields.
      const fields = /name="username"/.test(html)
        ? { username, password: opts.password ?? DEMO_PASSWORD }
        : Object.fromEntries(
            [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/?>/g)].map((m) => [m[1]!, m[2]!]),
          );
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(url).origin },
        body: new URLSearchParams(fields).toString(),
      };
      continue;
    }
    return { visited, final: res, jar };
  }
  throw new Error(`log-in flow did not finish: ${visited.join(' -> ')}`);
}

export interface LoggedIn {
  /** Value for a `cookie` request header to the app (the session cookie only). */
  cookie: string;
  csrfToken: string;
  session: { userId: string; displayName: string; roles: string[]; agencyId?: string };
  jar: CookieJar;
}

/** Logs `username` in through the real OIDC flow. Throws when the log-in does not succeed. */
export async function loginAs(appBase: string, username: string, opts: { password?: string; jar?: CookieJar } = {}): Promise<LoggedIn> {
  const trace = await runLoginFlow(appBase, username, opts);
  if (trace.final.status !== 303) {
    throw new Error(`log-in as ${username} failed with ${trace.final.status}: ${await trace.final.text().catch(() => '')}`);
  }
  const set = trace.final.headers
    .getSetCookie()
    .map((l) => l.split(';')[0]!.trim())
    .filter((p) => !p.endsWith('=') && !/-login=/.test(p));
  const cookie = set.join('; ');
  if (!cookie) throw new Error(`log-in as ${username} set no session cookie`);
  const res = await fetch(`${appBase}/auth/session`, { headers: { cookie } });
  if (res.status !== 200) throw new Error(`GET /auth/session after log-in answered ${res.status}`);
  const body = (await res.json()) as LoggedIn['session'] & { csrfToken: string };
  const { csrfToken, ...session } = body;
  return { cookie, csrfToken, session, jar: trace.jar };
}
