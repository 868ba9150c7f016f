import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { stringify } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Forbidden, Unauthenticated } from '../../../gateway/src/errors.js';
import { createAgreementRouter } from '../../../gateway/src/http/agreement-routes.js';
import { errorHandler, notFoundHandler } from '../../../gateway/src/http/problem.js';
import type { PersonPrincipal, PersonRole } from '../../../gateway/src/identity/principal.js';
import { silentLogger } from '../../../gateway/src/logger.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { alice, auditorDan, bob, buildService, carol, createAuditRecorder, sampleAgreement } from './fixtures.js';

/**
 * The router with real Postgres, the real service and audit log. People auth is stood in for by
 * a requireRole that reads `x-test-user` (the OIDC plug is tested by the people-auth engineer;
 * this tests what the router does with the principal it is given).
 */
const PEOPLE: Record<string, PersonPrincipal> = { alice, bob, carol, dan: auditorDan };
function requireRole(...roles: PersonRole[]): RequestHandler {
  return (req, res, next) => {
    const p = PEOPLE[req.get('x-test-user') ?? ''];
    if (!p) return next(new Unauthenticated('sign in first'));
    if (!p.roles.some((r) => roles.includes(r))) return next(new Forbidden('role'));
    res.locals.principal = p;
    next();
  };
}

let db: TestDatabase;
let server: http.Server;
let base: string;
let audit: ReturnType<typeof createAuditRecorder>;
const clock = { now: new Date('2025-06-05T09:00:00Z') };

beforeAll(async () => {
  db = await createTestDatabase();
  audit = createAuditRecorder(db.pool, () => clock.now);
  const service = buildService(db.pool, audit, clock);
  const app = express();
  app.use(createAgreementRouter({ service, requireRole }));
  app.use(notFoundHandler);
  app.use(errorHandler(silentLogger));
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await db.drop();
});
beforeEach(async () => {
  await db.pool.query('TRUNCATE agreement_accessions, agreement_party_removals, agreement_versions, agreements, audit_pending');
});

async function call(user: string | null, method: string, url: string, body?: unknown, contentType = 'application/json') {
  const headers: Record<string, string> = {};
  if (user) headers['x-test-user'] = user;
  let payload: string | undefined;
  if (body !== undefined) {
    headers['content-type'] = contentType;
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(`${base}${url}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, headers: res.headers, body: type.includes('json') && text ? JSON.parse(text) : text };
}

describe('agreement routes', () => {
  it('walks a version from draft to active: create, read, validate, approve by a second officer, activate', async () => {
    const created = await call('alice', 'POST', '/v1/agreements', sampleAgreement());
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/v1/agreements/test-marac/versions/1');
    expect(created.body).toMatchObject({ agreementId: 'test-marac', version: 1, status: 'draft', problems: [] });
    expect(created.headers.get('cache-control')).toBe('no-store');

    expect((await call('alice', 'POST', '/v1/agreements/test-marac/versions/1/validate')).body).toMatchObject({ valid: true, problems: [] });
    const selfApproval = await call('alice', 'POST', '/v1/agreements/test-marac/versions/1/approve');
    expect(selfApproval).toMatchObject({ status: 403, body: { code: 'MAKER_CHECKER_VIOLATION' } });
    expect((await call('bob', 'POST', '/v1/agreements/test-marac/versions/1/approve')).body).toMatchObject({ status: 'approved', approvedBy: 'user:bob' });
    expect((await call('bob', 'POST', '/v1/agreements/test-marac/versions/1/activate')).body).toMatchObject({ status: 'active' });

    const list = await call('dan', 'GET', '/v1/agreements');
    expect(list.status).toBe(200);
    expect(list.body.agreements).toHaveLength(1);
    expect(list.body.agreements[0]).toMatchObject({ id: 'test-marac', activeVersion: 1 });
    expect((await call('dan', 'GET', '/v1/agreements/test-marac')).body).toMatchObject({ id: 'test-marac', latestVersion: 1 });
    expect((await call('dan', 'GET', '/v1/agreements/test-marac/versions/1')).body.doc).toMatchObject({ id: 'test-marac' });

    expect((await audit.events()).map((e) => e.action)).toEqual([
      'AGREEMENT_CREATED', 'AGREEMENT_VALIDATED', 'AGREEMENT_APPROVED', 'AGREEMENT_ACTIVATED',
    ]);
  });

  it('takes YAML with content-type application/yaml, and exports YAML or JSON as a download', async () => {
    const created = await call('alice', 'POST', '/v1/agreements', stringify(sampleAgreement()), 'application/yaml');
    expect(created).toMatchObject({ status: 201, body: { version: 1 } });
    const yamlOut = await call('alice', 'GET', '/v1/agreements/test-marac/versions/1/export?format=yaml');
    expect(yamlOut.status).toBe(200);
    expect(yamlOut.type).toContain('application/yaml');
    expect(yamlOut.headers.get('content-disposition')).toContain('test-marac-v1.yaml');
    expect(yamlOut.body).toContain('id: test-marac');
    const jsonOut = await call('alice', 'GET', '/v1/agreements/test-marac/versions/1/export?format=json');
    expect(JSON.parse(typeof jsonOut.body === 'string' ? jsonOut.body : JSON.stringify(jsonOut.body))).toMatchObject({ id: 'test-marac', version: 1 });
    expect(await call('alice', 'GET', '/v1/agreements/test-marac/versions/1/export?format=xml')).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
  });

  it('edits drafts with PUT (JSON or YAML) and refuses to edit anything else', async () => {
    await call('alice', 'POST', '/v1/agreements', sampleAgreement());
    const edited = await call('bob', 'PUT', '/v1/agreements/test-marac/versions/1', stringify(sampleAgreement({ title: 'Edited' })), 'application/yaml');
    expect(edited).toMatchObject({ status: 200, body: { authors: ['user:alice', 'user:bob'] } });
    expect(edited.body.doc.title).toBe('Edited');
    await call('carol', 'POST', '/v1/agreements/test-marac/versions/1/approve');
    const refused = await call('alice', 'PUT', '/v1/agreements/test-marac/versions/1', sampleAgreement());
    expect(refused).toMatchObject({ status: 409, body: { code: 'AGREEMENT_NOT_DRAFT' } });
    const mismatch = await call('alice', 'PUT', '/v1/agreements/test-marac/versions/1', sampleAgreement({ id: 'other-marac' }));
    expect(mismatch).toMatchObject({ status: 400, body: { code: 'AGREEMENT_ID_INVALID' } });
  });

  it('diffs two versions', async () => {
    await call('alice', 'POST', '/v1/agreements', sampleAgreement());
    await call('alice', 'POST', '/v1/agreements', sampleAgreement({ retentionDays: 60 }));
    const d = await call('bob', 'GET', '/v1/agreements/test-marac/diff?from=1&to=2');
    expect(d.status).toBe(200);
    expect(d.body.changed).toEqual([{ path: '/retentionDays', before: 90, after: 60 }]);
    expect(await call('bob', 'GET', '/v1/agreements/test-marac/diff?from=1')).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
  });

  it('previews a sample response per recipient', async () => {
    await call('alice', 'POST', '/v1/agreements', sampleAgreement());
    const sample = { subjectResults: [{ subjectId: 's1', match: { status: 'MATCHED', confidence: 1, matchedOn: ['pnc-id'] }, police: { incidentCount12m: 3, firearmsCertificateHeld: true } }] };
    // Police research is criminal offence data: the subject needs an Art 10 condition (G-CRIMINAL-OFFENCE).
    const facts = { s1: { role: 'PERPETRATOR', art9Conditions: [], art10Conditions: ['DPA_SCH1_P10'], careAndSupportNeeds: false, consentStatus: 'NOT_SOUGHT_OTHER', isAdult: true } };
    const p = await call('bob', 'POST', '/v1/agreements/test-marac/versions/1/preview', { sampleResponse: sample, subjectFacts: facts, provider: 'test-police' });
    expect(p.status).toBe(200);
    const byAgency = Object.fromEntries((p.body.recipients as { agencyId: string; subjects: { view: unknown }[] }[]).map((r) => [r.agencyId, r.subjects[0]!.view]));
    expect(byAgency).toEqual({
      'test-coordinator': { police: { incidentCount12m: 3, firearmsCertificateHeld: true } },
      'test-housing': { police: { incidentCount12m: 3 } },
    });
    const badInput = await call('bob', 'POST', '/v1/agreements/test-marac/versions/1/preview', { sampleResponse: sample });
    expect(badInput).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect(badInput.body.problems[0]).toMatchObject({ code: 'required' });
    const unusable = await call('bob', 'POST', '/v1/agreements/test-marac/versions/1/preview', { sampleResponse: sample, subjectFacts: {}, provider: 'test-police' });
    expect(unusable).toMatchObject({ status: 400, body: { code: 'PREVIEW_INPUT_INVALID' } });
  });

  it('suspends and expires', async () => {
    await call('alice', 'POST', '/v1/agreements', sampleAgreement());
    await call('bob', 'POST', '/v1/agreements/test-marac/versions/1/approve');
    const reasoned = { reason: 'Partner breach under review', confirm: true };
    expect((await call('bob', 'POST', '/v1/agreements/test-marac/versions/1/suspend', reasoned)).body).toMatchObject({ code: 'AGREEMENT_NOT_ACTIVE' });
    await call('bob', 'POST', '/v1/agreements/test-marac/versions/1/activate');
    // The kill switch needs a reason and a confirmation (issue 12).
    expect(await call('alice', 'POST', '/v1/agreements/test-marac/versions/1/suspend')).toMatchObject({ status: 400, body: { code: 'REASON_REQUIRED' } });
    expect(await call('alice', 'POST', '/v1/agreements/test-marac/versions/1/suspend', { reason: 'x' })).toMatchObject({ status: 400, body: { code: 'CONFIRMATION_REQUIRED' } });
    expect((await call('alice', 'POST', '/v1/agreements/test-marac/versions/1/suspend', reasoned)).body).toMatchObject({ status: 'suspended', suspendReason: reasoned.reason });
    expect((await call('alice', 'POST', '/v1/agreements/test-marac/versions/1/expire')).body).toMatchObject({ status: 'expired' });
    expect(await call('alice', 'POST', '/v1/agreements/test-marac/versions/1/activate')).toMatchObject({ status: 409, body: { code: 'AGREEMENT_NOT_APPROVED' } });
  });

  it('enforces roles: auditors read only, strangers are refused', async () => {
    await call('alice', 'POST', '/v1/agreements', sampleAgreement());
    expect((await call(null, 'GET', '/v1/agreements')).status).toBe(401);
    expect((await call('dan', 'POST', '/v1/agreements', sampleAgreement({ id: 'dan-marac' }))).status).toBe(403);
    expect((await call('dan', 'POST', '/v1/agreements/test-marac/versions/1/approve')).status).toBe(403);
    expect((await call('dan', 'GET', '/v1/agreements/test-marac/diff?from=1&to=1')).status).toBe(403);
    expect((await call('dan', 'GET', '/v1/agreements/test-marac/versions/1/export')).status).toBe(403);
    expect((await call('dan', 'GET', '/v1/agreements/test-marac/versions/1')).status).toBe(200);
    expect((await audit.events()).map((e) => e.action)).toEqual(['AGREEMENT_CREATED']);
  });

  it('answers bad input with a clear 4xx and writes nothing', async () => {
    const cases: [string, string, unknown, string | undefined, number, string][] = [
      ['POST', '/v1/agreements', 'id: [unclosed', 'application/yaml', 400, 'AGREEMENT_UNREADABLE'],
      ['POST', '/v1/agreements', '{"id": ', 'application/json', 400, 'MALFORMED_JSON'],
      ['POST', '/v1/agreements', '<agreement/>', 'application/xml', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['POST', '/v1/agreements', [1, 2], 'application/json', 400, 'AGREEMENT_UNREADABLE'],
      ['POST', '/v1/agreements', '{"id":"x-y","__proto__":{"a":1}}', 'application/json', 400, 'AGREEMENT_UNREADABLE'],
      ['POST', '/v1/agreements', sampleAgreement({ id: 'NOPE!' }), 'application/json', 400, 'AGREEMENT_ID_INVALID'],
      ['POST', '/v1/agreements', `description: "${'x'.repeat(1_100_000)}"`, 'application/yaml', 413, 'PAYLOAD_TOO_LARGE'],
      ['GET', '/v1/agreements/NOT_A_SLUG', undefined, undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/v1/agreements/test-marac/versions/0', undefined, undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/v1/agreements/test-marac/versions/abc', undefined, undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/v1/agreements/missing-marac', undefined, undefined, 404, 'AGREEMENT_NOT_FOUND'],
      ['GET', '/v1/agreements/missing-marac/versions/1', undefined, undefined, 404, 'AGREEMENT_NOT_FOUND'],
      ['POST', '/v1/agreements/missing-marac/versions/1/approve', undefined, undefined, 404, 'AGREEMENT_NOT_FOUND'],
    ];
    for (const [method, url, body, type, status, code] of cases) {
      const r = await call('alice', method, url, body, type);
      expect({ url, status: r.status, code: r.body.code }).toEqual({ url, status, code });
    }
    expect(await audit.events()).toEqual([]);
    expect((await call('alice', 'GET', '/v1/agreements')).body.agreements).toEqual([]);
  });
});
