/**
 * Retention of whole cases (issue 17 item 7; docs/decisions/0024-retention-case-keys.md).
 *
 * A case closed longer than its agreement's retention (essex-marat: 90 days) is purged: every row
 * about it goes, and its data key is destroyed, so that a backup of the data taken BEFORE the
 * purge (pg_dump of the database without the key store, restored into a new database) opens
 * nothing of it with the master sealing key and the key store, while an unpurged case in the same
 * backup still opens. The audit log is untouched and still verifies.
 *
 * Fails on the main of before this change: there the case's sealed columns carry a master key id
 * (one key for every case), so every one of them opens from the backup with the master key; no
 * purge of cases existed at all.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { adminUrl } from '../helpers/db.js';
import { agencyFetch } from '../helpers/pki.js';
import { sampleCase, sampleResponse, subjectIds } from '../integration/exchange/fixtures.js';
import { dayFromNow, seedMeeting } from '../integration/meetings/minutes-fixtures.js';
import { exportEvents } from '../../gateway/src/audit/export.js';
import { verifyExport } from '../../gateway/src/audit/verify.js';
import { CaseKeyDestroyed, createCaseKeys, isDataKeyId, openerFor, withCaseKeys, type KeyedSealer } from '../../gateway/src/store/case-keys.js';
import { createSealer, type Sealed, type Sealer } from '../../gateway/src/store/sealed-box.js';

const run = promisify(execFile);
const DAY = 86_400_000;

let t: TestGateway;
let dir: string;
let backupDb: { url: string; pool: pg.Pool; name: string } | undefined;
const ids = { purged: '', kept: '', open: '', meeting: '', actions: [] as string[], messages: [] as string[] };
let closedAt: number;
/** The master sealing key (as the gateway has it) and, over it, the case keys of the live key store. */
let master: Sealer;
let keyed: KeyedSealer;

function call(method: string, p: string, body?: unknown, agency = 'essex-marat') {
  const base = t.gateway.agencyUrl.replace('localhost', '127.0.0.1');
  return agencyFetch(base, t.creds.get(agency)!, p, { method, ...(body !== undefined ? { body } : {}) });
}

async function openCase(): Promise<{ caseId: string; subjects: ReturnType<typeof subjectIds> }> {
  const r = await t.as('essex-marat').post('/v1/cases', sampleCase({ meetingDate: dayFromNow(7), externalRef: `RT-${Math.random().toString(36).slice(2, 8)}` }));
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { caseId: r.body.caseId, subjects: subjectIds(r.body) };
}

/** Research asked of housing and the police, both answered (sealed research, idempotency rows). */
async function research(caseId: string, subjects: ReturnType<typeof subjectIds>): Promise<string[]> {
  const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['chelmsford-housing', 'essex-police'] });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const files: Record<string, string> = { 'chelmsford-housing': 'response-housing.json', 'essex-police': 'response-police.json' };
  const messages: string[] = [];
  for (const agency of Object.keys(files)) {
    const msg = r.body.messages.find((m: { recipient: string }) => m.recipient === agency);
    messages.push(msg.messageId);
    // Delivered through the agency's inbox (a queued message cannot be answered).
    const inbox = await t.as(agency).get('/v1/inbox?wait=2');
    expect(inbox.body.messages.some((m: { messageId: string }) => m.messageId === msg.messageId), agency).toBe(true);
    const a = await t.as(agency).post(`/v1/research-requests/${r.body.requestId}/response`, sampleResponse(files[agency]!, subjects), { 'Idempotency-Key': `resp-${msg.messageId}` });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
  }
  return messages;
}

/** Every sealed value (key id, iv, tag, ciphertext columns) of the rows about `caseId` in `db`. */
async function sealedValuesOf(db: pg.Pool, caseId: string, actionIds: string[], messageIds: string[]) {
  const cols = await db.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name LIKE '%ciphertext' ORDER BY table_name, column_name`,
  );
  const out: { table: string; sealed: Sealed }[] = [];
  for (const { table_name: table, column_name: column } of cols.rows) {
    const prefix = column.slice(0, -'ciphertext'.length);
    const has = async (c: string) => (await db.query(
      `SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND column_name = $2`, [table, c],
    )).rowCount! > 0;
    const where: string[] = [];
    if (table === 'cases') where.push('id = $1');
    if (await has('case_id')) where.push('case_id = $1');
    if (await has('from_case_id')) where.push('from_case_id = $1');
    if (await has('message_id')) where.push('message_id = ANY($3)');
    if (await has('action_id')) where.push('action_id = ANY($2)');
    if (where.length === 0) continue;
    const r = await db.query(
      `SELECT ${prefix}key_id AS k, ${prefix}iv AS iv, ${prefix}tag AS tag, ${column} AS c FROM ${table}
        WHERE ($1::text, $2::text[], $3::text[]) IS NOT NULL AND (${where.join(' OR ')}) AND ${column} IS NOT NULL`,
      [caseId, actionIds, messageIds],
    );
    for (const row of r.rows) out.push({ table, sealed: { keyId: row.k, iv: row.iv, tag: row.tag, ciphertext: row.c } });
  }
  return out;
}

beforeAll(async () => {
  t = await startTestGateway({ queue: 'redis', workers: false });
  const [id, b64] = t.env.SEALING_KEYS!.split(':') as [string, string];
  master = createSealer({ keys: { [id]: Buffer.from(b64, 'base64') }, currentKeyId: t.env.SEALING_KEY_ID! });
  keyed = withCaseKeys(master, createCaseKeys({ master }));
  dir = mkdtempSync(path.join(tmpdir(), 'marac-retention-'));
  const start = Date.now();
  t.clock.set(new Date(start));

  // The case to purge: research answered, listed at a meeting with minutes, an action and a note.
  const a = await openCase();
  ids.purged = a.caseId;
  ids.messages = await research(a.caseId, a.subjects);
  ids.meeting = await seedMeeting(t.gateway.pool, { day: dayFromNow(7), caseIds: [a.caseId] });
  const minutes = await call('PUT', `/v1/meetings/${ids.meeting}/cases/${a.caseId}/minutes`, { version: 0, minutes: { risks: 'Escalation since the court hearing.', decisions: 'Sanctuary scheme.' } });
  expect(minutes.status, JSON.stringify(minutes.body)).toBe(200);
  const act = await call('POST', `/v1/cases/${a.caseId}/actions`, { description: 'Fit a sanctuary scheme', ownerAgencyId: 'chelmsford-housing', dueOn: dayFromNow(21), meetingId: ids.meeting });
  expect(act.status, JSON.stringify(act.body)).toBe(201);
  ids.actions = [act.body.id];
  const note = await call('POST', `/v1/actions/${act.body.id}/updates`, { status: 'DONE', note: 'Fitted on Monday' }, 'chelmsford-housing');
  expect(note.status, JSON.stringify(note.body)).toBe(201);
  const closed = await t.as('essex-marat').post(`/v1/cases/${a.caseId}/close`, { outcome: 'HEARD_ACTIONS_COMPLETE' });
  expect(closed.status, JSON.stringify(closed.body)).toBe(200);
  closedAt = start;

  // A case closed 50 days later (within retention when the first is due), and one left open.
  const b = await openCase();
  ids.kept = b.caseId;
  await research(b.caseId, b.subjects);
  const c = await openCase();
  ids.open = c.caseId;
  t.clock.set(new Date(start + 50 * DAY));
  expect((await t.as('essex-marat').post(`/v1/cases/${b.caseId}/close`, { outcome: 'HEARD_ACTIONS_COMPLETE' })).status).toBe(200);

  // The backup, before any purge: the data, without the key store (docs/operations.md §8).
  const dump = path.join(dir, 'backup.sql');
  await run('pg_dump', ['--no-owner', '--no-privileges', '--exclude-schema=keystore', '-f', dump, t.db.url]);
  const name = `${t.db.name}_bk`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  await run('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-f', dump, u.toString()]);
  backupDb = { url: u.toString(), name, pool: new pg.Pool({ connectionString: u.toString(), max: 2 }) };
}, 240_000);

afterAll(async () => {
  await backupDb?.pool.end();
  if (backupDb) {
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${backupDb.name} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
  await t?.stop();
});

describe('retention of whole cases', () => {
  it('before the purge every sealed value of the case is under its own data key, and opens', async () => {
    const values = await sealedValuesOf(t.gateway.pool, ids.purged, ids.actions, ids.messages);
    // cases, two responses, minutes, an action and its note.
    expect(values.map((v) => v.table).sort()).toEqual(['case_action_updates', 'case_actions', 'case_minutes', 'cases', 'responses', 'responses']);
    // On the old main these were master key ids: this is the first assertion that fails there.
    for (const v of values) expect(v.sealed.keyId, v.table).toBe(`case:${ids.purged}`);
    const opener = await openerFor(keyed, t.gateway.pool, values.map((v) => v.sealed.keyId));
    const c = values.find((v) => v.table === 'cases')!;
    expect(opener.open(c.sealed, ids.purged)).toHaveProperty('subjects');
  });

  it('an open case and a case within retention are not purged', async () => {
    t.clock.set(new Date(closedAt + 100 * DAY));
    const r = t.gateway.exchange.retention;
    expect(await r.purgeCase(ids.open)).toMatchObject({ purged: false, reason: 'OPEN' });
    expect(await r.purgeCase(ids.kept)).toMatchObject({ purged: false, reason: 'WITHIN_RETENTION' });
    t.clock.set(new Date(closedAt + 89 * DAY));
    expect(await r.purgeCase(ids.purged)).toMatchObject({ purged: false, reason: 'WITHIN_RETENTION' });
    t.clock.set(new Date(closedAt + 10 * 365 * DAY));
    expect(await r.purgeCase(ids.open)).toMatchObject({ purged: false, reason: 'OPEN' });
  });

  it('purges the case once at the end of retention, run concurrently and again', async () => {
    t.clock.set(new Date(closedAt + 91 * DAY));
    const r = t.gateway.exchange.retention;
    const outcomes = await Promise.all([r.purgeCase(ids.purged), r.purgeCase(ids.purged)]);
    expect(outcomes.filter((o) => o.purged)).toHaveLength(1);
    expect(outcomes.find((o) => !o.purged)).toMatchObject({ reason: 'NOT_FOUND' });
    expect(await r.purgeCase(ids.purged)).toMatchObject({ purged: false, reason: 'NOT_FOUND' });
    const done = outcomes.find((o) => o.purged) as { counts: Record<string, number> };
    expect(done.counts).toMatchObject({ cases: 1, responses: 2, messages: 2, minutes: 1, actions: 1, actionUpdates: 1, listings: 1, keysDestroyed: 1 });
    expect(done.counts.idempotencyRows).toBeGreaterThanOrEqual(2);
    // A scan finds nothing more to do for it, and leaves the others.
    await r.scanNow();
    const left = await t.gateway.pool.query('SELECT id FROM cases WHERE id = ANY($1) ORDER BY id', [[ids.purged, ids.kept, ids.open]]);
    expect(left.rows.map((x) => x.id).sort()).toEqual([ids.kept, ids.open].sort());
  });

  it('leaves nothing of the case in the live database but a tombstone and the audit log', async () => {
    const db = t.gateway.pool;
    const tables = await db.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND column_name IN ('case_id', 'from_case_id') AND table_name NOT LIKE 'audit\\_%'`,
    );
    for (const { table_name: table, column_name: col } of tables.rows) {
      const n = (await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${col} = $1`, [ids.purged])).rows[0].n;
      expect(n, table).toBe(table === 'purged_cases' ? 1 : 0);
    }
    expect((await db.query('SELECT count(*)::int AS n FROM messages WHERE id = ANY($1)', [ids.messages])).rows[0].n).toBe(0);
    const idem = await db.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE body::text LIKE '%' || $1 || '%' OR body->>'messageId' = ANY($2)`, [ids.purged, ids.messages]);
    expect(idem.rows[0].n).toBe(0);
    const key = await db.query('SELECT wrapped_ciphertext, destroyed_at FROM keystore.case_keys WHERE key_id = $1', [`case:${ids.purged}`]);
    expect(key.rows[0]).toMatchObject({ wrapped_ciphertext: null, destroyed_at: expect.any(Date) });
    // The audit log still names the case (ids only) and records the purge.
    await t.gateway.audit.flush();
    const ev = await db.query(`SELECT action, canonical FROM audit_events WHERE case_id = $1 ORDER BY seq`, [ids.purged]);
    expect(ev.rows.map((x) => x.action)).toEqual(expect.arrayContaining(['CASE_CREATED', 'RESPONSE_RECEIVED', 'CASE_CLOSED', 'CASE_PURGED']));
    const purgedEvent = ev.rows.find((x) => x.action === 'CASE_PURGED')!.canonical as string;
    expect(purgedEvent).not.toMatch(/Sanctuary|sanctuary|Fitted|court/);
  });

  it('from the backup taken before the purge nothing of the case opens; an unpurged case still does', async () => {
    const backup = backupDb!.pool;
    const values = await sealedValuesOf(backup, ids.purged, ids.actions, ids.messages);
    expect(values.length).toBe(6);
    expect(await backup.query('SELECT 1 FROM cases WHERE id = $1', [ids.purged]).then((r) => r.rowCount)).toBe(1);
    // With the master key alone: no master key sealed any of it.
    for (const v of values) {
      expect(isDataKeyId(v.sealed.keyId), v.table).toBe(true);
      expect(() => master.open(v.sealed, ids.purged), v.table).toThrow(/unknown key id/);
    }
    // With the master key and the key store (read afresh, as a restore would: no process's cache).
    const opener = await openerFor(withCaseKeys(master, createCaseKeys({ master })), t.gateway.pool, values.map((v) => v.sealed.keyId));
    for (const v of values) expect(() => opener.open(v.sealed, 'any'), v.table).toThrow(CaseKeyDestroyed);

    // The case closed 50 days later, in the same backup, opens (its subjects and its research).
    const kept = await backup.query('SELECT subjects_key_id, subjects_iv, subjects_tag, subjects_ciphertext FROM cases WHERE id = $1', [ids.kept]);
    const k = kept.rows[0];
    const keptOpener = await openerFor(keyed, t.gateway.pool, [k.subjects_key_id]);
    const subjects = keptOpener.open({ keyId: k.subjects_key_id, iv: k.subjects_iv, tag: k.subjects_tag, ciphertext: k.subjects_ciphertext }, ids.kept) as { subjects: unknown[] };
    expect(subjects.subjects.length).toBeGreaterThan(0);
    const resp = await backup.query(
      `SELECT x.message_id, x.key_id, x.iv, x.tag, x.ciphertext FROM responses x JOIN messages m ON m.id = x.message_id WHERE m.case_id = $1`, [ids.kept],
    );
    expect(resp.rows.length).toBe(2);
    for (const x of resp.rows) {
      expect(keptOpener.open({ keyId: x.key_id, iv: x.iv, tag: x.tag, ciphertext: x.ciphertext }, x.message_id)).toHaveProperty('subjectResults');
    }
  });

  it('the audit log still verifies after the purge', async () => {
    await t.gateway.audit.flush();
    await t.gateway.checkpointer.tick();
    let text = '';
    for await (const chunk of exportEvents(t.gateway.pool, {}, 'ndjson', { origin: 'marac-gateway', checkpointer: t.gateway.checkpointer, checkpointEvery: 1 })) text += chunk;
    const publicKey = createPublicKey(createPrivateKey(t.env.AUDIT_SIGNING_KEY_PEM!)).export({ type: 'spki', format: 'pem' }).toString();
    const r = await verifyExport([Buffer.from(text)], { publicKeys: [publicKey] });
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
    expect(text).toContain('"CASE_PURGED"');
  });
});
