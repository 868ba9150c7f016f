import type pg from 'pg';
import type { Logger } from '../logger.js';
import { createPool } from './db.js';
import { migrate, pendingMigrations } from './migrate.js';
import { auditPrivilegeProblems, DatabaseRoleTooPowerful } from './privileges.js';

/** Migrations are pending and this gateway was given no owner's connection to apply them with. */
export class MigrationsPending extends Error {
  readonly code = 'MIGRATIONS_PENDING';
  constructor(readonly pending: string[]) {
    super(
      `The database schema is behind (${pending.length} migration(s) pending: ${pending.join(', ')}). ` +
        'Set MIGRATION_DATABASE_URL to the migration owner so the gateway applies them at start-up.',
    );
  }
}

/**
 * Brings the schema up to date and checks the runtime role, before anything else uses the pool.
 *
 * Migrations run as the owner (`migrationUrl`, a short-lived connection) when one is given. Without
 * one, development migrates with the runtime pool (a single-role DATABASE_URL, as before), while
 * production only checks that nothing is pending: its runtime role cannot create tables.
 *
 * Then the runtime role itself: production refuses to start when it could alter the audit log
 * (privileges.ts); development warns.
 */
export async function prepareDatabase(opts: { pool: pg.Pool; migrationUrl?: string; production: boolean; logger: Logger }): Promise<void> {
  if (opts.migrationUrl) {
    const owner = createPool(opts.migrationUrl, 1);
    try {
      await migrate(owner);
    } finally {
      await owner.end().catch(() => {});
    }
  } else if (opts.production) {
    const pending = await pendingMigrations(opts.pool);
    if (pending.length > 0) throw new MigrationsPending(pending);
  } else {
    await migrate(opts.pool);
  }
  const problems = await auditPrivilegeProblems(opts.pool);
  if (problems.length === 0) return;
  if (opts.production) throw new DatabaseRoleTooPowerful(problems);
  opts.logger.warn('the database role could alter the audit log (production refuses to start like this)', { problems: problems.join('; ') });
}
