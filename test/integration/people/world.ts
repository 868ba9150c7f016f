import http from 'node:http';
import express from 'express';
import type { AuditEventInput, AuditLog } from '../../../gateway/src/audit/types.js';
import { errorHandler, notFoundHandler } from '../../../gateway/src/http/problem.js';
import type { DemoUser } from '../../../gateway/src/identity/oidc/demo-users.js';
import { createOidcClient } from '../../../gateway/src/identity/oidc/client.js';
import { createPeopleAuth, personOf, type PeopleAuth, type PeopleAuthOptions } from '../../../gateway/src/identity/people-auth.js';
import { silentLogger } from '../../../gateway/src/logger.js';
import type { Queryable } from '../../../gateway/src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { listenOn, startTestOidc, type TestOidc } from '../../helpers/oidc.js';

export { json } from '../../helpers/oidc.js';

/**
 * A stand-in AuditLog until audit/index.ts lands: it writes to a plain table through the caller's
 * transaction, so a rolled-back log-in leaves no event, exactly like the real one.
 */
export async function createTableAudit(db: Queryable): Promise<AuditLog> {
  await db.query(`CREATE TABLE IF NOT EXISTS people_test_audit (
    seq bigserial PRIMARY KEY, action text NOT NULL, actor jsonb NOT NULL, reason_code text, detail jsonb)`);
  return {
    async append(tx, e: AuditEventInput) {
      const r = await tx.query<{ seq: string }>(
        'INSERT INTO people_test_audit (action, actor, reason_code, detail) VALUES ($1, $2, $3, $4) RETURNING seq',
        [e.action, JSON.stringify(e.actor), e.reasonCode ?? null, e.detail ? JSON.stringify(e.detail) : null],
      );
      return { seq: Number(r.rows[0]!.seq), hash: 'test' };
    },
  };
}

export interface AuditRow {
  action: string;
  actor: { kind: string; userId?: string; roles?: string[]; component?: string };
  reason_code: string | null;
  detail: Record<string, unknown> | null;
}

export interface PeopleWorld {
  db: TestDatabase;
  idp: TestOidc;
  appBase: string;
  people: PeopleAuth;
  /** Moves the gateway's clock (the provider keeps real time). */
  clock: { now: Date; advanceMinutes(m: number): void };
  auditRows(): Promise<AuditRow[]>;
  close(): Promise<void>;
}

/**
 * The gateway side of a test: real Postgres, the real dev provider, people auth mounted on a tiny
 * Express app with one protected page per role, a form post and a JSON API route.
 */
export async function buildPeopleWorld(
  overrides: Partial<PeopleAuthOptions> = {},
  idpOpts: { users?: readonly DemoUser[] } = {},
): Promise<PeopleWorld> {
  const db = await createTestDatabase();
  const audit = await createTableAudit(db.pool);
  const server = http.createServer();
  const appBase = await listenOn(server);
  const idp = await startTestOidc({ redirectUris: [`${appBase}/auth/callback`], ...idpOpts });
  const clock = {
    now: new Date(),
    advanceMinutes(m: number) {
      this.now = new Date(this.now.getTime() + m * 60_000);
    },
  };
  const people = createPeopleAuth({
    pool: db.pool,
    audit,
    oidc: createOidcClient(idp.clientOptions(appBase)),
    cookieName: 'marac_session',
    secureCookies: false,
    idleMinutes: 30,
    absoluteHours: 10,
    now: () => clock.now,
    ...overrides,
  });

  const app = express();
  app.use(people.authenticate);
  app.use(people.router);
  app.get('/whoami', people.requireRole('coordinator', 'ig_officer', 'auditor', 'admin'), (_req, res) => {
    res.json(personOf(res));
  });
  app.get('/cases', people.requireRole('coordinator'), (_req, res) => {
    res.type('html').send('<h1>Cases</h1>');
  });
  app.get('/audit', people.requireRole('auditor'), (_req, res) => {
    res.json({ ok: true });
  });
  app.post('/cases', people.requireRole('coordinator'), people.csrfProtect, (_req, res) => {
    res.status(201).json({ created: true, by: personOf(res)?.userId });
  });
  app.use(notFoundHandler);
  app.use(errorHandler(silentLogger));
  server.on('request', app);

  return {
    db,
    idp,
    appBase,
    people,
    clock,
    async auditRows() {
      const r = await db.pool.query<AuditRow>('SELECT action, actor, reason_code, detail FROM people_test_audit ORDER BY seq');
      return r.rows;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await idp.close();
      await db.drop();
    },
  };
}
