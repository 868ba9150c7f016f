/**
 * A whole gateway with the people web mounted, signed in through a real in-process OIDC provider.
 *
 *   const w = await startWebWorld();
 *   const coord = await w.login('coordinator@essex-marat');        // { cookie, csrfToken, ... }
 *   const res = await w.page('/cases', coord);                      // GET with Accept: text/html
 *   await w.form('/cases/new', coord, { ... });                     // urlencoded POST with _csrf
 *   await w.t.as('essex-police').get('/v1/inbox?wait=1');          // agencies over mTLS
 *   await w.close();
 *
 * The web port is chosen before the gateway starts so the provider knows the callback URL.
 */
import net from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createOidcClient } from '../../../gateway/src/identity/oidc/client.js';
import { silentLogger } from '../../../gateway/src/logger.js';
import { mountPeopleWeb } from '../../../gateway/src/web.js';
import type { PeopleUi } from '../../../gateway/src/ui/index.js';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from '../../helpers/gateway.js';
import { loginAs, startTestOidc, type LoggedIn, type TestOidc } from '../../helpers/oidc.js';
import type { DemoUser } from '../../../gateway/src/identity/oidc/demo-users.js';

export type { LoggedIn };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface WebWorld {
  t: TestGateway;
  idp: TestOidc;
  base: string;
  ui: PeopleUi;
  login(username: string): Promise<LoggedIn>;
  /** GET as a browser would (Accept: text/html), no redirects followed. */
  page(pathname: string, who?: LoggedIn, headers?: Record<string, string>): Promise<Response>;
  /** A form post with the session's CSRF token (unless `_csrf` is given explicitly). */
  form(pathname: string, who: LoggedIn | undefined, fields: Record<string, string | string[]>, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export async function startWebWorld(opts: Omit<TestGatewayOptions, 'web' | 'env'> & { env?: Record<string, string>; users?: readonly DemoUser[] } = {}): Promise<WebWorld> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const idp = await startTestOidc({ redirectUris: [`${base}/auth/callback`], loginRateLimit: { windowMs: 60_000, limit: 10_000 }, ...(opts.users ? { users: opts.users } : {}) });
  let clock: () => Date = () => new Date();
  let ui: PeopleUi | undefined;
  const t = await startTestGateway({
    ...opts,
    env: { WEB_PORT: String(port), PUBLIC_URL: base, ...opts.env },
    web: (app, g) => {
      ui = mountPeopleWeb(app, g, {
        oidc: createOidcClient(idp.clientOptions(base)),
        sessions: { cookieName: 'marac_session', secureCookies: false, idleMinutes: 30, absoluteHours: 10 },
        publicUrl: base,
        logger: silentLogger,
        now: () => clock(),
        loginRateLimit: { windowMs: 60_000, limit: 10_000 },
      });
    },
  });
  clock = t.clock.now;
  return {
    t,
    idp,
    base,
    ui: ui!,
    login: (username) => loginAs(base, username),
    page: (pathname, who, headers = {}) =>
      fetch(`${base}${pathname}`, {
        redirect: 'manual',
        headers: { accept: 'text/html', ...(who ? { cookie: who.cookie } : {}), ...headers },
      }),
    form: (pathname, who, fields, headers = {}) => {
      const body = new URLSearchParams();
      if (who && !('_csrf' in fields)) body.append('_csrf', who.csrfToken);
      for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
      return fetch(`${base}${pathname}`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          accept: 'text/html',
          'content-type': 'application/x-www-form-urlencoded',
          origin: base,
          ...(who ? { cookie: who.cookie } : {}),
          ...headers,
        },
        body: body.toString(),
      });
    },
    async close() {
      await t.stop();
      await idp.close();
    },
  };
}

const SAMPLES = path.resolve(import.meta.dirname, '../../fixtures/samples');

/** A sample response with its placeholder subject ids replaced by the ids in a delivered request. */
export function sampleResponseFor(file: string, subjects: { subjectId: string; role: string }[]): unknown {
  const idOf = (role: string) => subjects.find((s) => s.role === role)?.subjectId ?? `missing_${role.toLowerCase()}`;
  const text = readFileSync(path.join(SAMPLES, file), 'utf8')
    .replaceAll('subj_victim', idOf('VICTIM'))
    .replaceAll('subj_perp', idOf('PERPETRATOR'))
    .replaceAll('subj_child', idOf('CHILD'));
  return JSON.parse(text);
}

/** The referral form filled in for the sample family (victim, perpetrator, one child). */
export function referralForm(meeting: { day: string; month: string; year: string }): Record<string, string | string[]> {
  return {
    childCount: '1',
    'meetingDate-day': meeting.day,
    'meetingDate-month': meeting.month,
    'meetingDate-year': meeting.year,
    criteria: ['VISIBLE_HIGH_RISK', 'POTENTIAL_ESCALATION'],
    dashScore: '16',
    dashVersion: 'SAFELIVES_24Q',
    policeCallouts12m: '4',
    'victim-given': 'Jane',
    'victim-family': 'Sampleton',
    'victim-dob-day': '12',
    'victim-dob-month': '4',
    'victim-dob-year': '1990',
    'victim-sex': 'F',
    'victim-nhs': '999 001 3713',
    'victim-addressLines': '1 Example Row\nTestford',
    'victim-postcode': 'CM2 9ZZ',
    'victim-addressConfidential': 'yes',
    'victim-phone': '07700 900123',
    'victim-consent': 'NOT_SOUGHT_UNSAFE',
    'victim-consentRationale': 'Asking would alert the perpetrator.',
    'victim-consentDecidedBy': 'A. Example, MARAC coordinator',
    'victim-consentDecidedAt-day': '2',
    'victim-consentDecidedAt-month': '11',
    'victim-consentDecidedAt-year': '2026',
    'victim-careNeeds': 'no',
    'victim-art9': 'DPA_SCH1_P10',
    'victim-art10': 'DPA_SCH1_P10',
    'perpetrator-given': 'Mark',
    'perpetrator-family': 'Sampleton',
    'perpetrator-dob-day': '30',
    'perpetrator-dob-month': '9',
    'perpetrator-dob-year': '1987',
    'perpetrator-pnc': '19/0456789Y',
    'perpetrator-relationship': 'EX_PARTNER',
    'perpetrator-consent': 'NOT_SOUGHT_UNSAFE',
    'perpetrator-consentRationale': 'Would alert him.',
    'perpetrator-consentDecidedBy': 'A. Example, MARAC coordinator',
    'perpetrator-consentDecidedAt-day': '2',
    'perpetrator-consentDecidedAt-month': '11',
    'perpetrator-consentDecidedAt-year': '2026',
    'perpetrator-careNeeds': 'no',
    'perpetrator-art9': 'DPA_SCH1_P10',
    'perpetrator-art10': 'DPA_SCH1_P10',
    'child1-given': 'Lily',
    'child1-family': 'Sampleton',
    'child1-dob-day': '1',
    'child1-dob-month': '7',
    'child1-dob-year': '2020',
    'child1-nhs': '9990054843',
    'child1-relationship': 'CHILD_OF_VICTIM',
    'child1-consent': 'NOT_SOUGHT_OTHER',
    'child1-consentRationale': 'Child too young.',
    'child1-consentDecidedBy': 'A. Example, MARAC coordinator',
    'child1-consentDecidedAt-day': '2',
    'child1-consentDecidedAt-month': '11',
    'child1-consentDecidedAt-year': '2026',
    'child1-art9': 'DPA_SCH1_P18',
  };
}
