import type { Queryable } from './db.js';

/**
 * What the gateway's own database login could do to the audit log beyond reading and appending.
 * Empty means least privilege. Production refuses to start otherwise (app.ts): the append-only
 * triggers are only a guarantee if the role writing the log cannot switch them off.
 *
 * Checked: superuser; CREATEROLE (before PostgreSQL 16 it could grant itself any role); owning an
 * audit table or partition, directly or through a role it can become (ALTER TABLE ... DISABLE
 * TRIGGER, DETACH PARTITION, DROP); UPDATE, DELETE, TRUNCATE or TRIGGER on one; being able to SET
 * session_replication_role (which skips triggers; superuser only unless granted since 15).
 */
export async function auditPrivilegeProblems(q: Queryable): Promise<string[]> {
  const problems: string[] = [];
  const role = await q.query<{ name: string; superuser: boolean; createrole: boolean; version: number }>(
    `SELECT r.rolname AS name, r.rolsuper AS superuser, r.rolcreaterole AS createrole,
       current_setting('server_version_num')::int AS version
     FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const me = role.rows[0];
  if (!me) return ['the current database role could not be read'];
  if (me.superuser) return [`the database role "${me.name}" is a superuser`];
  if (me.createrole) problems.push(`the database role "${me.name}" has CREATEROLE`);
  // Before 15 only a superuser could set it (checked above); since 15 it can be granted.
  const srr = me.version >= 150000
    ? (await q.query<{ ok: boolean }>(`SELECT has_parameter_privilege('session_replication_role', 'SET') AS ok`)).rows[0]?.ok
    : false;
  if (srr) problems.push(`the database role "${me.name}" may SET session_replication_role (which switches triggers off)`);
  const tables = await q.query<{ rel: string; owner: boolean; privs: string[] }>(
    `SELECT c.oid::regclass::text AS rel,
       pg_has_role(current_user, c.relowner, 'MEMBER') AS owner,
       array_remove(ARRAY[
         CASE WHEN has_table_privilege(c.oid, 'UPDATE') THEN 'UPDATE' END,
         CASE WHEN has_table_privilege(c.oid, 'DELETE') THEN 'DELETE' END,
         CASE WHEN has_table_privilege(c.oid, 'TRUNCATE') THEN 'TRUNCATE' END,
         CASE WHEN has_table_privilege(c.oid, 'TRIGGER') THEN 'TRIGGER' END], NULL) AS privs
     FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relname LIKE 'audit\\_%'
     ORDER BY 1`,
  );
  if (tables.rowCount === 0) problems.push('no audit tables found (is the schema migrated?)');
  for (const t of tables.rows) {
    if (t.owner) problems.push(`the database role "${me.name}" owns (or can become the owner of) ${t.rel}`);
    if (t.privs.length > 0) problems.push(`the database role "${me.name}" has ${t.privs.join(', ')} on ${t.rel}`);
  }
  return problems;
}

/** The gateway's database role could alter the audit log; production does not start with it. */
export class DatabaseRoleTooPowerful extends Error {
  readonly code = 'DATABASE_ROLE_TOO_POWERFUL';
  constructor(readonly problems: string[]) {
    super(
      `The gateway's database role could alter the audit log; refusing to start in production:\n  - ${problems.join('\n  - ')}\n` +
        'Connect with DATABASE_URL as the runtime role (a member of marac_app that owns nothing) and run migrations ' +
        'with MIGRATION_DATABASE_URL as the owner. See SECURITY.md "Database roles".',
    );
  }
}
