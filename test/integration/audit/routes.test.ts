import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog, createCheckpointer, createSubjectTokens, generateSigningKey, type AuditLogHandle, type Checkpointer } from '../../../gateway/src/audit/index.js';
import { verifyExport } from '../../../gateway/src/audit/verify.js';
import { verifyConsistency, verifyInclusion } from '../../../gateway/src/audit/merkle.js';
import { createAuditRouter } from '../../../gateway/src/http/audit-routes.js';
import { errorHandler, notFoundHandler } from '../../../gateway/src/http/problem.js';
import type { PersonPrincipal, PersonRole } from '../../../gateway/src/identity/principal.js';
import { silentLogger } from '../../../gateway/src/logger.js';
import { withTx } from '../../../gateway/src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { AUDITOR, HMAC_KEY, SYSTEM, viewRead } from './helpers.js';

const keys = generateSigningKey();
const tokens = createSubjectTokens(HMAC_KEY);
const victimTokens = tokens.tokensForSubject({
  names: [{ given: ['Zoë'], family: "O'Brien" }],
  dobs: ['1988-02-29'],
  identifiers: [{ system: 'nhs-number', value: '943 476 5919' }, { system: 'pnc-id', value: '2012/345678Z' }],
});

let db: TestDatabase;
let audit: AuditLogHandle;
let checkpointer: Checkpointer;
let server: http.Server;
let base: string;
/** Who the fake people-auth says is signed in, per test. */
let signedIn: PersonPrincipal | null = AUDITOR;

const fakeRequireRole = (...roles: PersonRole[]): RequestHandler => (_req, res, next) => {
  if (!signedIn) return void res.status(401).json({ code: 'UNAUTHENTICATED' });
  if (!signedIn.roles.some((r) => roles.includes(r))) return void res.status(403).json({ code: 'FORBIDDEN_ROLE' });
  res.locals.principal = signedIn;
  next();
};

async function get(path: string) {
  const r = await fetch(`${base}${path}`);
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* NDJSON or CSV */
  }
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: body as Record<string, unknown> & { events: Record<string, unknown>[] }, text };
}

async function auditActions(): Promise<string[]> {
  await audit.flush(db.pool);
  const r = await db.pool.query<{ action: string }>('SELECT action FROM audit_events ORDER BY seq');
  return r.rows.map((x) => x.action);
}

beforeAll(async () => {
  db = await createTestDatabase();
  audit = createAuditLog({ hmacKey: HMAC_KEY, pool: db.pool });
  checkpointer = createCheckpointer({ pool: db.pool, signingKeyPem: keys.privateKeyPem, keyId: 'gateway-1', origin: 'marac-gateway', integrate: () => audit.flush() });
  for (let i = 1; i <= 30; i++) {
    await withTx(db.pool, (tx) =>
      audit.append(tx, viewRead(i, {
        ...(i % 3 === 0 ? { subjectTokens: victimTokens } : {}),
        ...(i % 5 === 0 ? { decision: 'DENY', reasonCode: 'ISA_EXPIRED', actor: SYSTEM } : {}),
      })),
    );
  }
  await checkpointer.tick();
  const app = express();
  app.use(createAuditRouter({ pool: db.pool, audit, checkpointer, tokens, requireRole: fakeRequireRole, origin: 'marac-gateway', logger: silentLogger }));
  app.use(notFoundHandler);
  app.use(errorHandler(silentLogger));
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await db.drop();
});

describe('GET /v1/audit/events', () => {
  it('finds every event about a subject from the NHS number typed in any format, and audits the query', async () => {
    const before = (await auditActions()).length;
    const r = await get('/v1/audit/events?subjectSystem=nhs-number&subjectValue=9434765919&limit=500');
    expect(r.status).toBe(200);
    expect(r.body.events.map((e) => e.seq)).toEqual([30, 27, 24, 21, 18, 15, 12, 9, 6, 3]);
    // The auditor's own query is recorded under the subject's token too: it is part of "who looked".
    const spaced = await get('/v1/audit/events?subjectSystem=nhs-number&subjectValue=943-476-5919&limit=500');
    expect(spaced.body.events.map((e) => e.action)).toEqual(['AUDIT_QUERIED', ...Array(10).fill('VIEW_READ')]);
    const after = await auditActions();
    expect(after.slice(before)).toEqual(['AUDIT_QUERIED', 'AUDIT_QUERIED']);
    const logged = await db.pool.query(`SELECT canonical FROM audit_events WHERE action = 'AUDIT_QUERIED' ORDER BY seq DESC LIMIT 1`);
    expect(logged.rows[0].canonical).not.toContain('9434765919');
    expect(logged.rows[0].canonical).not.toContain('943-476-5919');
    expect(JSON.parse(logged.rows[0].canonical)).toMatchObject({ subjectTokens: [tokens.tokenForQuery('nhs-number', '9434765919')], detail: { filters: 'subject', results: 11 } });
  });

  it('matches name + date of birth whatever the accents and case, and the PNC id in either year form', async () => {
    const byName = await get(`/v1/audit/events?action=VIEW_READ&subjectSystem=name-dob&subjectValue=${encodeURIComponent('zoe|OBRIEN|1988-02-29')}`);
    expect(byName.body.events).toHaveLength(10);
    const byPnc = await get(`/v1/audit/events?action=VIEW_READ&subjectSystem=pnc-id&subjectValue=${encodeURIComponent('12/0345678z')}`);
    expect(byPnc.body.events).toHaveLength(10);
  });

  it('combines filters and pages with an opaque cursor without repeats or gaps', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const r: Awaited<ReturnType<typeof get>> = await get(`/v1/audit/events?action=VIEW_READ&decision=DENY&reason=ISA_EXPIRED&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      seen.push(...r.body.events.map((e) => e.seq as number));
      cursor = r.body.nextCursor as string | null;
    } while (cursor);
    expect(seen).toEqual([30, 25, 20, 15, 10, 5]);
    const asc = await get('/v1/audit/events?actor=deadlines&order=asc&limit=3');
    expect(asc.body.events.map((e) => e.seq)).toEqual([5, 10, 15]);
    const agency = await get('/v1/audit/events?agency=essex-police&case=case_3&limit=500');
    expect(agency.body.events.map((e) => e.seq)).toEqual([20, 3]);
    const future = await get('/v1/audit/events?from=2999-01-01');
    expect(future.body.events).toEqual([]);
  });

  it.each([
    ['?from=yesterday', 'AUDIT_QUERY_INVALID', 'FROM_INVALID'],
    ['?from=2026-02-01&to=2026-01-01', 'AUDIT_QUERY_INVALID', 'RANGE_EMPTY'],
    ['?action=VIEW_READ,EATEN', 'AUDIT_QUERY_INVALID', 'ACTION_UNKNOWN'],
    ['?decision=MAYBE', 'AUDIT_QUERY_INVALID', 'DECISION_UNKNOWN'],
    ['?reason=lower', 'AUDIT_QUERY_INVALID', 'REASON_INVALID'],
    ['?agency=Not%20An%20Agency', 'AUDIT_QUERY_INVALID', 'AGENCY_INVALID'],
    ['?limit=0', 'AUDIT_QUERY_INVALID', 'LIMIT_INVALID'],
    ['?limit=9999', 'AUDIT_QUERY_INVALID', 'LIMIT_INVALID'],
    ['?order=sideways', 'AUDIT_QUERY_INVALID', 'ORDER_INVALID'],
    ['?colour=red', 'AUDIT_QUERY_INVALID', 'UNKNOWN_PARAMETER'],
    ['?case=a&case=b', 'AUDIT_QUERY_INVALID', 'PARAMETER_REPEATED'],
    ['?subjectSystem=nhs-number', 'AUDIT_QUERY_INVALID', 'SUBJECT_INCOMPLETE'],
    ['?subjectSystem=nhs-number&subjectValue=12345', 'SUBJECT_IDENTIFIER_INVALID', 'NHS_NUMBER_INVALID'],
    ['?subjectSystem=nhs-number&subjectValue=9434765918', 'SUBJECT_IDENTIFIER_INVALID', 'NHS_NUMBER_INVALID'],
    ['?subjectSystem=passport&subjectValue=X1', 'SUBJECT_IDENTIFIER_INVALID', 'SUBJECT_SYSTEM_UNKNOWN'],
    ['?cursor=not-a-cursor!', 'AUDIT_CURSOR_INVALID', 'CURSOR_MALFORMED'],
  ])('%s → 400 %s (%s), and nothing is audited', async (qs, code, reason) => {
    const before = (await auditActions()).length;
    const r = await get(`/v1/audit/events${qs}`);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code, reason });
    expect((await auditActions()).length).toBe(before);
  });

  it('refuses a cursor from a different query (AUDIT_CURSOR_INVALID)', async () => {
    const first = await get('/v1/audit/events?limit=1');
    const r = await get(`/v1/audit/events?limit=1&action=VIEW_READ&cursor=${first.body.nextCursor}`);
    expect(r.body).toMatchObject({ code: 'AUDIT_CURSOR_INVALID', reason: 'CURSOR_FILTER_MISMATCH' });
  });

  it('is for auditors only', async () => {
    signedIn = { kind: 'person', userId: 'coord-1', displayName: 'C', roles: ['coordinator'] };
    try {
      expect((await get('/v1/audit/events')).status).toBe(403);
      expect((await get('/v1/audit/export')).status).toBe(403);
      expect((await get('/v1/audit/checkpoints/latest')).status).toBe(403);
    } finally {
      signedIn = AUDITOR;
    }
  });
});

describe('GET /v1/audit/export', () => {
  it('streams a verifiable NDJSON export that includes the export event itself', async () => {
    const r = await fetch(`${base}/v1/audit/export?format=ndjson`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('application/x-ndjson');
    expect(r.headers.get('content-disposition')).toContain('audit-export.ndjson');
    const result = await verifyExport(r.body as unknown as AsyncIterable<Uint8Array>, { publicKeys: [keys.publicKeyPem] });
    expect(result).toMatchObject({ ok: true, mode: 'full', uncheckpointed: 0 });
    const last = await db.pool.query(`SELECT action, canonical FROM audit_events WHERE action = 'AUDIT_EXPORTED' ORDER BY seq DESC LIMIT 1`);
    expect(JSON.parse(last.rows[0].canonical)).toMatchObject({ detail: { format: 'ndjson', filters: '' } });
    expect(result.ok && result.count).toBe(Number((await db.pool.query('SELECT max(seq) AS m FROM audit_events')).rows[0].m) - 0);
  });

  it('streams CSV for a subject, audited with the token', async () => {
    const r = await get('/v1/audit/export?format=csv&subjectSystem=nhs-number&subjectValue=9434765919');
    expect(r.status).toBe(200);
    expect(r.type).toContain('text/csv');
    expect(r.text.split('\r\n').filter((l) => l.startsWith('event,') && l.includes(',VIEW_READ,'))).toHaveLength(10);
    expect(r.text.split('\r\n').filter((l) => l.startsWith('event,') && l.includes(',AUDIT_EXPORTED,'))).toHaveLength(1);
    expect(r.text).not.toContain('9434765919');
  });

  it('refuses an unknown format before writing anything (FORMAT_INVALID)', async () => {
    const before = (await auditActions()).length;
    const r = await get('/v1/audit/export?format=xlsx');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'AUDIT_QUERY_INVALID', reason: 'FORMAT_INVALID' });
    expect((await auditActions()).length).toBe(before);
  });
});

describe('checkpoints, proofs and the public key', () => {
  it('serves the latest signed checkpoint and a public key that verifies it', async () => {
    const cp = await get('/v1/audit/checkpoints/latest');
    expect(cp.status).toBe(200);
    expect(cp.body).toMatchObject({ keyId: 'gateway-1' });
    const pk = await get('/v1/audit/public-key');
    expect(pk.body).toMatchObject({ keyId: 'gateway-1', algorithm: 'Ed25519' });
    expect(String(pk.body.publicKeyPem)).toContain('BEGIN PUBLIC KEY');
  });

  it('gives inclusion proofs that verify against the checkpoint root', async () => {
    await checkpointer.tick();
    const r = await get('/v1/audit/proofs/inclusion?seq=7');
    expect(r.status).toBe(200);
    const cp = r.body.checkpoint as { treeSize: number; rootHash: string };
    const b = (s: string) => Buffer.from(s, 'base64');
    expect(r.body.treeSize).toBe(cp.treeSize);
    expect(verifyInclusion(6, cp.treeSize, b(r.body.leafHash as string), (r.body.hashes as string[]).map(b), b(cp.rootHash))).toBe(true);
    expect(verifyInclusion(7, cp.treeSize, b(r.body.leafHash as string), (r.body.hashes as string[]).map(b), b(cp.rootHash))).toBe(false);
  });

  it('gives consistency proofs between two signed tree heads', async () => {
    const older = (await db.pool.query('SELECT tree_size, root_hash FROM audit_checkpoints ORDER BY tree_size LIMIT 1')).rows[0];
    await withTx(db.pool, (tx) => audit.append(tx, viewRead(99)));
    const newer = (await checkpointer.tick())!;
    const r = await get(`/v1/audit/proofs/consistency?from=${older.tree_size}&to=${newer.treeSize}`);
    expect(r.status).toBe(200);
    expect(verifyConsistency(Number(older.tree_size), newer.treeSize, (r.body.hashes as string[]).map((h) => Buffer.from(h, 'base64')), older.root_hash, Buffer.from(newer.rootHash, 'base64'))).toBe(true);
  });

  it.each([
    ['/v1/audit/proofs/inclusion', 400, 'PROOF_RANGE_INVALID'],
    ['/v1/audit/proofs/inclusion?seq=0', 400, 'PROOF_RANGE_INVALID'],
    ['/v1/audit/proofs/inclusion?seq=abc', 400, 'PROOF_RANGE_INVALID'],
    ['/v1/audit/proofs/inclusion?seq=5&treeSize=3', 400, 'PROOF_RANGE_INVALID'],
    ['/v1/audit/proofs/inclusion?seq=5&treeSize=999999', 404, 'PROOF_UNAVAILABLE'],
    ['/v1/audit/proofs/consistency?from=5', 400, 'PROOF_RANGE_INVALID'],
    ['/v1/audit/proofs/consistency?from=9&to=4', 400, 'PROOF_RANGE_INVALID'],
    ['/v1/audit/proofs/consistency?from=1&to=999999', 404, 'PROOF_UNAVAILABLE'],
    ['/v1/audit/proofs/consistency?from=1&to=2&extra=1', 400, 'AUDIT_QUERY_INVALID'],
  ])('%s → %i %s', async (path, status, code) => {
    const r = await get(path);
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ code });
  });
});
