import http from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgreementRouter } from '../../../gateway/src/http/agreement-routes.js';
import { errorHandler, notFoundHandler } from '../../../gateway/src/http/problem.js';
import { createOidcClient } from '../../../gateway/src/identity/oidc/client.js';
import { createPeopleAuth } from '../../../gateway/src/identity/people-auth.js';
import { silentLogger } from '../../../gateway/src/logger.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { json, listenOn, loginAs, startTestOidc, type TestOidc } from '../../helpers/oidc.js';
import { buildService, createAuditRecorder, sampleAgreement } from './fixtures.js';

/** The router behind the real people auth: OIDC log-in, cookie session, roles and CSRF. */
let db: TestDatabase;
let idp: TestOidc;
let server: http.Server;
let appBase: string;
let audit: ReturnType<typeof createAuditRecorder>;

beforeAll(async () => {
  db = await createTestDatabase();
  audit = createAuditRecorder(db.pool, () => new Date());
  server = http.createServer();
  appBase = await listenOn(server);
  idp = await startTestOidc({ redirectUris: [`${appBase}/auth/callback`] });
  const people = createPeopleAuth({
    pool: db.pool, audit, oidc: createOidcClient(idp.clientOptions(appBase)),
    cookieName: 'marac_session', secureCookies: false, idleMinutes: 30, absoluteHours: 10,
  });
  const service = buildService(db.pool, audit, { now: new Date('2025-06-05T09:00:00Z') });
  const app = express();
  app.use(people.authenticate);
  app.use(people.router);
  app.use(createAgreementRouter({ service, requireRole: people.requireRole, csrfProtect: people.csrfProtect }));
  app.use(notFoundHandler);
  app.use(errorHandler(silentLogger));
  server.on('request', app);
});
afterAll(async () => {
  await idp.close();
  await new Promise((resolve) => server.close(resolve));
  await db.drop();
});

describe('agreement routes behind OIDC people auth', () => {
  it('identifies officers by their session: maker-checker across two real log-ins, CSRF on changes, auditors read only', async () => {
    const maker = await loginAs(appBase, 'ig.officer1');
    const checker = await loginAs(appBase, 'ig.officer2');
    const auditor = await loginAs(appBase, 'auditor');
    const post = (who: typeof maker, url: string, body?: unknown, csrf = true) => fetch(`${appBase}${url}`, {
      method: 'POST',
      headers: {
        cookie: who.cookie, origin: appBase,
        ...(csrf ? { 'x-csrf-token': who.csrfToken } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

    const noCsrf = await post(maker, '/v1/agreements', sampleAgreement(), false);
    expect(noCsrf.status).toBe(403);
    expect((await json(noCsrf)).code).toBe('CSRF_FAILED');

    const created = await post(maker, '/v1/agreements', sampleAgreement());
    expect(created.status).toBe(201);
    expect((await json(created)).createdBy).toBe('user:ig.officer1');

    const own = await post(maker, '/v1/agreements/test-marac/versions/1/approve');
    expect((await json(own)).code).toBe('MAKER_CHECKER_VIOLATION');
    const approved = await post(checker, '/v1/agreements/test-marac/versions/1/approve');
    expect(await json(approved)).toMatchObject({ status: 'approved', approvedBy: 'user:ig.officer2' });

    const byAuditor = await post(auditor, '/v1/agreements/test-marac/versions/1/activate');
    expect(byAuditor.status).toBe(403);
    expect((await json(byAuditor)).code).toBe('FORBIDDEN_ROLE');
    const list = await fetch(`${appBase}/v1/agreements`, { headers: { cookie: auditor.cookie } });
    expect(list.status).toBe(200);
    expect((await fetch(`${appBase}/v1/agreements`)).status).toBe(401);

    const agreementEvents = (await audit.events()).filter((e) => e.action.startsWith('AGREEMENT_'));
    expect(agreementEvents.map((e) => [e.action, e.actor])).toEqual([
      ['AGREEMENT_CREATED', 'user:ig.officer1'],
      ['AGREEMENT_APPROVED', 'user:ig.officer2'],
    ]);
  });
});
