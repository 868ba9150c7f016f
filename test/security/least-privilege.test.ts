/**
 * Issue 17 item 1: the gateway's own database login cannot change or remove what the audit log
 * holds, by any route: DML, TRUNCATE, switching triggers off, skipping them with
 * session_replication_role, DROP, detaching a partition, or writing through a function. And it
 * can still run the gateway: a research round end to end runs as that role. Production refuses to
 * start as a role that could alter the log.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../gateway/src/app.js';
import { loadConfig } from '../../gateway/src/config.js';
import { silentLogger } from '../../gateway/src/logger.js';
import { createPool } from '../../gateway/src/store/db.js';
import { auditPrivilegeProblems } from '../../gateway/src/store/privileges.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { TEST_RUNTIME_ROLE } from '../helpers/db.js';
import { answer, openCase, readPack, requestResearch } from '../integration/scenarios/world.js';

let t: TestGateway;
let runtime: pg.Pool;
const month = new Date().toISOString().slice(0, 7).replace('-', '_');

beforeAll(async () => {
  t = await startTestGateway({ queue: 'postgres' });
  runtime = createPool(t.db.runtimeUrl!, 4);
}, 120_000);
afterAll(async () => {
  await runtime?.end().catch(() => {});
  await t?.stop();
});

/** Runs `sql` as the runtime role in a transaction that is always rolled back. */
async function asRuntime(sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = await runtime.connect();
  try {
    await client.query('BEGIN');
    return await client.query(sql, values);
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    client.release();
  }
}

async function auditFingerprint(): Promise<string> {
  const r = await t.db.pool.query(`SELECT (SELECT count(*) FROM audit_events) AS events, (SELECT max(seq) FROM audit_events) AS max_seq,
      (SELECT string_agg(hash, '' ORDER BY seq) FROM audit_events) AS hashes, (SELECT count(*) FROM audit_checkpoints) AS cps,
      (SELECT count(*) FROM audit_tree_nodes) AS nodes, (SELECT tree_size || head_hash FROM audit_head) AS head,
      (SELECT count(*) FROM audit_pending) AS pending`);
  return JSON.stringify(r.rows[0]);
}

describe('the gateway runs as the runtime role', () => {
  it('a research round end to end, sequenced and checkpointed by that role', async () => {
    const who = await t.gateway.pool.query<{ u: string; su: boolean }>('SELECT current_user AS u, rolsuper AS su FROM pg_roles WHERE rolname = current_user');
    expect(who.rows[0]).toEqual({ u: TEST_RUNTIME_ROLE, su: false });

    const { caseId, ids } = await openCase(t);
    const req = await requestResearch(t, caseId, ['essex-police', 'mse-hospitals']);
    expect(req.status, JSON.stringify(req.body)).toBe(201);
    const requestId = req.body.requestId as string;
    for (const agency of ['essex-police', 'mse-hospitals']) {
      const { response } = await answer(t, agency, requestId, ids);
      expect(response.status, JSON.stringify(response.body)).toBe(201);
    }
    const pack = await readPack(t, 'essex-marat', caseId);
    expect(JSON.stringify(pack)).toContain('essex-police');

    await t.gateway.audit.flush(t.gateway.pool);
    await t.gateway.checkpointer.tick();
    const r = await t.db.pool.query<{ n: number; size: string; pending: number }>(
      `SELECT (SELECT count(*)::int FROM audit_events) AS n, (SELECT tree_size FROM audit_head) AS size, (SELECT count(*)::int FROM audit_pending) AS pending`,
    );
    expect(r.rows[0]!.n).toBeGreaterThan(5);
    expect(Number(r.rows[0]!.size)).toBe(r.rows[0]!.n);
    expect(r.rows[0]!.pending).toBe(0);
    expect(await auditPrivilegeProblems(t.gateway.pool)).toEqual([]);
  }, 120_000);
});

describe('as the runtime role, nothing in the audit log can be changed or removed', () => {
  const tables = ['audit_events', `audit_events_${month}`, 'audit_events_default', 'audit_tree_nodes', 'audit_checkpoints', 'audit_cosignatures', 'audit_head', 'audit_pending'];
  const attempts: [string, string][] = [
    ...tables.flatMap((tb): [string, string][] => [
      [`UPDATE ${tb}`, `UPDATE ${tb} SET ${tb === 'audit_tree_nodes' ? 'idx = idx' : tb === 'audit_head' ? 'tree_size = 0' : tb === 'audit_pending' ? "body = '{}'" : tb === 'audit_cosignatures' ? 'line = line' : tb === 'audit_checkpoints' ? "note = 'x'" : "action = 'LOGIN'"}`],
      [`DELETE FROM ${tb}`, `DELETE FROM ${tb}`],
      [`TRUNCATE ${tb}`, `TRUNCATE ${tb}`],
      [`TRUNCATE ${tb} CASCADE`, `TRUNCATE ${tb} CASCADE`],
      [`ALTER TABLE ${tb} DISABLE TRIGGER ALL`, `ALTER TABLE ${tb} DISABLE TRIGGER ALL`],
      [`ALTER TABLE ${tb} DISABLE TRIGGER USER`, `ALTER TABLE ${tb} DISABLE TRIGGER USER`],
      [`DROP TABLE ${tb}`, `DROP TABLE ${tb}`],
      [`ALTER TABLE ${tb} RENAME`, `ALTER TABLE ${tb} RENAME TO ${tb}_old`],
      [`CREATE TRIGGER on ${tb}`, `CREATE TRIGGER x BEFORE INSERT ON ${tb} FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`],
      [`ALTER TABLE ${tb} OWNER`, `ALTER TABLE ${tb} OWNER TO ${TEST_RUNTIME_ROLE}`],
    ]),
    ['DROP TRIGGER audit_events_append_only', 'DROP TRIGGER audit_events_append_only ON audit_events'],
    ['DETACH PARTITION', `ALTER TABLE audit_events DETACH PARTITION audit_events_${month}`],
    ['DETACH PARTITION CONCURRENTLY-style default', 'ALTER TABLE audit_events DETACH PARTITION audit_events_default'],
    ['SET session_replication_role = replica', 'SET session_replication_role = replica'],
    ['SET LOCAL session_replication_role = replica', 'SET LOCAL session_replication_role = replica'],
    ["set_config('session_replication_role')", "SELECT set_config('session_replication_role', 'replica', true)"],
    ['ALTER ROLE ... SET session_replication_role', `ALTER ROLE ${TEST_RUNTIME_ROLE} SET session_replication_role = replica`],
    ['SET ROLE to the owner', 'SET ROLE postgres'],
    ['CREATE OR REPLACE the refusing trigger function', `CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`],
    ['DROP the refusing trigger function', 'DROP FUNCTION audit_refuse_change() CASCADE'],
    ['CREATE OR REPLACE a SECURITY DEFINER function', `CREATE OR REPLACE FUNCTION audit_advance_head(bigint, bigint, text, bytea[], bigint[]) RETURNS void LANGUAGE sql AS 'SELECT 1'`],
    ['a function of its own in public', `CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS 'DELETE FROM audit_events'`],
    ['ALTER DEFAULT PRIVILEGES for the owner', `ALTER DEFAULT PRIVILEGES FOR ROLE postgres GRANT ALL ON TABLES TO ${TEST_RUNTIME_ROLE}`],
    // A GRANT of what it does not hold only warns; what counts is that the UPDATE after it fails.
    ['GRANT itself UPDATE, then UPDATE', `GRANT UPDATE ON audit_events TO ${TEST_RUNTIME_ROLE}; UPDATE audit_events SET action = 'LOGIN'`],
    ['GRANT itself the owner role', `GRANT postgres TO ${TEST_RUNTIME_ROLE}`],
    ['setval on the pending sequence', `SELECT setval('audit_pending_id_seq', 1)`],
    ['VACUUM FULL / CLUSTER rewrite', 'CLUSTER audit_tree_nodes USING audit_tree_nodes_pkey'],
    ['lock out the log (LOCK ... ACCESS EXCLUSIVE)', 'LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE'],
  ];

  it.each(attempts)('%s is refused', async (_name, sql) => {
    const before = await auditFingerprint();
    await expect(asRuntime(sql)).rejects.toMatchObject({ code: expect.stringMatching(/^(42501|42809|0A000)$/) });
    expect(await auditFingerprint()).toBe(before);
  });

  describe('writing through a function', () => {
    /** Every SECURITY DEFINER function the runtime role can call, so a new one must be added here. */
    it('only the three reviewed SECURITY DEFINER functions are callable', async () => {
      const r = await runtime.query<{ name: string }>(
        `SELECT p.proname AS name FROM pg_proc p WHERE p.prosecdef AND p.pronamespace = 'public'::regnamespace
           AND has_function_privilege(p.oid, 'EXECUTE') ORDER BY 1`,
      );
      expect(r.rows.map((x) => x.name)).toEqual(['audit_advance_head', 'audit_ensure_partitions', 'audit_lock_head']);
    });

    it('audit_advance_head cannot move the head back, sideways or over events that are not there', async () => {
      await t.gateway.audit.flush(t.gateway.pool);
      const head = (await t.db.pool.query<{ tree_size: string; head_hash: string }>('SELECT tree_size, head_hash FROM audit_head')).rows[0]!;
      const size = Number(head.tree_size);
      expect(size).toBeGreaterThan(2);
      const earlier = (await t.db.pool.query<{ hash: string }>('SELECT hash FROM audit_events WHERE seq = 1')).rows[0]!.hash;
      const before = await auditFingerprint();
      const cases: [string, unknown[]][] = [
        ['rewind to 1', [size, 1, earlier, [], []]],
        ['rewind claiming the head is at 1', [1, 1, earlier, [], []]],
        ['same size, another hash', [size, size, 'f'.repeat(64), [], []]],
        ['forward over missing events', [size, size + 2, 'a'.repeat(64), [], ['1', '2']]],
        ['forward from a stale head', [size - 1, size, head.head_hash, [], ['1']]],
      ];
      for (const [name, args] of cases) {
        await expect(asRuntime('SELECT audit_advance_head($1, $2, $3, $4::bytea[], $5::bigint[])', args), name).rejects.toMatchObject({ code: '42501' });
      }
      expect(await auditFingerprint()).toBe(before);
    });

    it('pending events cannot be deleted without appending as many to the log', async () => {
      const client = await runtime.connect();
      try {
        await client.query('BEGIN');
        const id = (await client.query<{ id: string }>(`INSERT INTO audit_pending (ts, body) VALUES (now(), '{}') RETURNING id`)).rows[0]!.id;
        const head = (await client.query<{ tree_size: string; head_hash: string }>('SELECT * FROM audit_lock_head(true)')).rows[0]!;
        await expect(
          client.query('SELECT audit_advance_head($1, $2, $3, $4::bytea[], $5::bigint[])', [head.tree_size, Number(head.tree_size) + 1, head.head_hash, [], [id]]),
        ).rejects.toMatchObject({ code: '42501' });
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    });

    it('the partition keeper only creates (nothing is removed, and new partitions carry no grants)', async () => {
      const before = await auditFingerprint();
      await asRuntime(`SELECT audit_ensure_partitions(now() + interval '3 years', 1)`);
      await expect(asRuntime(`SELECT audit_ensure_partitions(now(), 100)`)).rejects.toThrow(/months_ahead/);
      expect(await auditFingerprint()).toBe(before);
      // Made and committed by the owner here, then checked as the runtime role.
      await t.db.pool.query(`SELECT audit_ensure_partitions(now() + interval '4 years', 0)`);
      const part = `audit_events_${new Date(Date.UTC(new Date().getUTCFullYear() + 4, new Date().getUTCMonth(), 1)).toISOString().slice(0, 7).replace('-', '_')}`;
      await expect(asRuntime(`DELETE FROM ${part}`)).rejects.toMatchObject({ code: '42501' });
      await expect(asRuntime(`TRUNCATE ${part}`)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('the start-up check finds nothing to complain about for the runtime role', async () => {
    expect(await auditPrivilegeProblems(runtime)).toEqual([]);
  });
});

describe('the production start-up check', () => {
  it('names a superuser, an owner and a role with UPDATE/DELETE/TRUNCATE on the log', async () => {
    expect((await auditPrivilegeProblems(t.db.pool)).join('\n')).toMatch(/is a superuser/);
    const extra = `marac_lp_${randomBytes(4).toString('hex')}`;
    await t.db.pool.query(`CREATE ROLE ${extra} LOGIN IN ROLE marac_app`);
    try {
      await t.db.pool.query(`GRANT UPDATE, DELETE, TRUNCATE ON audit_checkpoints TO ${extra}`);
      await t.db.pool.query(`ALTER TABLE audit_tree_nodes OWNER TO ${extra}`);
      const u = new URL(t.db.url);
      u.username = extra;
      const p = createPool(u.toString(), 1);
      try {
        const problems = (await auditPrivilegeProblems(p)).join('\n');
        expect(problems).toMatch(/UPDATE, DELETE, TRUNCATE on audit_checkpoints/);
        expect(problems).toMatch(/owns \(or can become the owner of\) audit_tree_nodes/);
      } finally {
        await p.end();
      }
    } finally {
      await t.db.pool.query(`ALTER TABLE audit_tree_nodes OWNER TO CURRENT_USER`);
      await t.db.pool.query(`REVOKE ALL ON audit_checkpoints FROM ${extra}`);
      await t.db.pool.query(`DROP OWNED BY ${extra}`);
      await t.db.pool.query(`DROP ROLE ${extra}`);
    }
  });

  function productionEnv(extra: Record<string, string>): Record<string, string> {
    return {
      ...t.env,
      MARAC_MODE: 'production',
      DEV_OIDC: 'true',
      DEV_OIDC_ALLOW_IN_PRODUCTION: 'true',
      AUDIT_WITNESS_DISABLED: 'true',
      DATABASE_URL: t.db.url,
      ...extra,
    };
  }

  it('refuses to start as a superuser, with a clear message', async () => {
    const config = loadConfig(productionEnv({ DATABASE_URL: t.db.url, MIGRATION_DATABASE_URL: t.db.url }));
    await expect(createGateway({ config, logger: silentLogger, databaseUrl: t.db.url, tls: t.tls })).rejects.toMatchObject({
      code: 'DATABASE_ROLE_TOO_POWERFUL',
      message: expect.stringMatching(/could alter the audit log; refusing to start in production[\s\S]*is a superuser/),
    });
  });

  it('without MIGRATION_DATABASE_URL, production applies nothing and refuses a schema that is behind', async () => {
    const name = `marac_lp_${randomBytes(4).toString('hex')}`;
    await t.db.pool.query(`CREATE DATABASE ${name}`);
    const u = new URL(t.db.runtimeUrl!);
    u.pathname = `/${name}`;
    try {
      const config = loadConfig(productionEnv({ DATABASE_URL: u.toString() }));
      await expect(createGateway({ config, logger: silentLogger, databaseUrl: u.toString(), tls: t.tls })).rejects.toMatchObject({ code: 'MIGRATIONS_PENDING' });
    } finally {
      await t.db.pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });
});
