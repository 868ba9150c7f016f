import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { AuditLog } from '../audit/types.js';
import { withTx, type Queryable } from '../store/db.js';
import { PERSON_ROLES, type PersonPrincipal, type PersonRole, type SystemPrincipal } from './principal.js';
import { upsertPerson } from '../notifications/people-directory.js';

/**
 * People's sessions and pending log-ins in Postgres. No HTTP here: the routes and middleware in
 * people-auth / http/session-routes hand in tokens and get principals back.
 *
 * A session cookie carries 32 random bytes; the row's id is their SHA-256, so neither a leaked
 * table nor a guessed id gives a usable cookie, and a tampered cookie simply finds nothing.
 */

export interface PeopleSessionsOptions {
  pool: pg.Pool;
  audit: AuditLog;
  now: () => Date;
  /** A session unused for this long ends. */
  idleMinutes: number;
  /** A session ends this long after log-in, however active. */
  absoluteHours: number;
  /** How long a started log-in may take at the provider. */
  pendingLoginMinutes?: number;
}

export interface PersonSession {
  principal: PersonPrincipal;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface PendingLogin {
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

/** What the provider vouched for, after mapping its roles to ours. */
export interface VerifiedPerson {
  userId: string;
  displayName: string;
  roles: PersonRole[];
  agencyId?: string;
  /** From the `email` claim: where notifications go (kept in people_directory, never in a session). */
  email?: string;
}

export const PEOPLE_AUTH_COMPONENT: SystemPrincipal = { kind: 'system', component: 'people-auth' };

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Keeps only the roles the gateway knows; unknown role names from the provider are ignored. */
export function knownRoles(raw: readonly string[]): PersonRole[] {
  const known = new Set<string>(PERSON_ROLES);
  return [...new Set(raw.filter((r): r is PersonRole => known.has(r)))];
}

interface SessionRow {
  user_id: string;
  display_name: string;
  roles: string[];
  agency_id: string | null;
  csrf_token: string;
  created_at: Date;
  expires_at: Date;
}

function toSession(row: SessionRow): PersonSession {
  const principal: PersonPrincipal = {
    kind: 'person',
    userId: row.user_id,
    displayName: row.display_name,
    roles: knownRoles(row.roles),
  };
  if (row.agency_id) principal.agencyId = row.agency_id;
  return { principal, csrfToken: row.csrf_token, createdAt: row.created_at, expiresAt: row.expires_at };
}

export interface PeopleSessions {
  /** Stores a pending log-in bound to the browser token; also clears out stale ones. */
  savePending(state: string, browserToken: string, pending: PendingLogin): Promise<void>;
  /** Single use: the row is gone afterwards. Undefined when unknown, bound to another browser or expired. */
  takePending(state: string, browserToken: string): Promise<PendingLogin | undefined>;
  /**
   * Creates the session and writes LOGIN in one transaction. Any session the browser already had
   * is revoked in the same transaction, so a planted id never becomes a signed-in one (fixation).
   */
  create(person: VerifiedPerson, previousToken?: string): Promise<{ token: string; session: PersonSession }>;
  /** Loads a live session and records the activity; undefined when missing, revoked, idle or past its end. */
  lookup(token: string): Promise<PersonSession | undefined>;
  /** Revokes and writes LOGOUT in one transaction. False when there was no live session. */
  logout(token: string): Promise<boolean>;
  /** Writes LOGIN_FAILED; `actor` is the person when the provider identified one. */
  recordLoginFailed(reasonCode: string, actor?: PersonPrincipal, detail?: Record<string, string>): Promise<void>;
  /** Deletes sessions that ended more than `olderThanHours` ago and stale pending log-ins. */
  purgeEnded(olderThanHours?: number): Promise<number>;
}

export function createPeopleSessions(opts: PeopleSessionsOptions): PeopleSessions {
  const { pool, audit, now } = opts;
  const idleMs = opts.idleMinutes * 60_000;
  const absoluteMs = opts.absoluteHours * 3_600_000;
  const pendingMs = (opts.pendingLoginMinutes ?? 10) * 60_000;

  async function revokeWith(q: Queryable, id: string, at: Date, reason: string) {
    const r = await q.query(
      `UPDATE people_sessions SET revoked_at = $2, revoked_reason = $3
        WHERE id = $1 AND revoked_at IS NULL RETURNING id`,
      [id, at, reason],
    );
    return (r.rowCount ?? 0) > 0;
  }

  return {
    async savePending(state, browserToken, pending) {
      const t = now();
      await pool.query('DELETE FROM people_login_pending WHERE expires_at < $1', [t]);
      await pool.query(
        `INSERT INTO people_login_pending (state, browser_hash, nonce, code_verifier, return_to, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [state, tokenHash(browserToken), pending.nonce, pending.codeVerifier, pending.returnTo, t, new Date(t.getTime() + pendingMs)],
      );
    },

    async takePending(state, browserToken) {
      const r = await pool.query<{ nonce: string; code_verifier: string; return_to: string; expires_at: Date }>(
        `DELETE FROM people_login_pending WHERE state = $1 AND browser_hash = $2
         RETURNING nonce, code_verifier, return_to, expires_at`,
        [state, tokenHash(browserToken)],
      );
      const row = r.rows[0];
      if (!row || row.expires_at.getTime() <= now().getTime()) return undefined;
      return { nonce: row.nonce, codeVerifier: row.code_verifier, returnTo: row.return_to };
    },

    async create(person, previousToken) {
      const t = now();
      const token = newToken();
      const csrfToken = newToken();
      const expiresAt = new Date(t.getTime() + absoluteMs);
      const principal: PersonPrincipal = {
        kind: 'person',
        userId: person.userId,
        displayName: person.displayName,
        roles: person.roles,
      };
      if (person.agencyId) principal.agencyId = person.agencyId;
      await withTx(pool, async (tx) => {
        const rotated = previousToken ? await revokeWith(tx, tokenHash(previousToken), t, 'ROTATED') : false;
        await tx.query(
          `INSERT INTO people_sessions
             (id, user_id, display_name, roles, agency_id, created_at, last_seen_at, expires_at, csrf_token)
           VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)`,
          [tokenHash(token), person.userId, person.displayName, person.roles, person.agencyId ?? null, t, expiresAt, csrfToken],
        );
        // The people directory: who can be told of what (notifications), as the provider says today.
        await upsertPerson(tx, { ...person, ...(person.email ? { email: person.email } : {}) }, t);
        await audit.append(tx, { action: 'LOGIN', actor: principal, detail: { rotatedPreviousSession: rotated } });
      });
      return { token, session: { principal, csrfToken, createdAt: t, expiresAt } };
    },

    async lookup(token) {
      const t = now();
      // One statement checks every end condition and records the activity. GREATEST: an instance
      // whose clock lags must not move last_seen back.
      const r = await pool.query<SessionRow>(
        `UPDATE people_sessions SET last_seen_at = GREATEST(last_seen_at, $2)
          WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2 AND last_seen_at > $3
          RETURNING user_id, display_name, roles, agency_id, csrf_token, created_at, expires_at`,
        [tokenHash(token), t, new Date(t.getTime() - idleMs)],
      );
      const row = r.rows[0];
      return row ? toSession(row) : undefined;
    },

    async logout(token) {
      const t = now();
      return withTx(pool, async (tx) => {
        const r = await tx.query<SessionRow>(
          `UPDATE people_sessions SET revoked_at = $2, revoked_reason = 'LOGOUT'
            WHERE id = $1 AND revoked_at IS NULL
            RETURNING user_id, display_name, roles, agency_id, csrf_token, created_at, expires_at`,
          [tokenHash(token), t],
        );
        const row = r.rows[0];
        if (!row) return false;
        await audit.append(tx, { action: 'LOGOUT', actor: toSession(row).principal });
        return true;
      });
    },

    async recordLoginFailed(reasonCode, actor, detail) {
      await withTx(pool, async (tx) => {
        await audit.append(tx, {
          action: 'LOGIN_FAILED',
          actor: actor ?? PEOPLE_AUTH_COMPONENT,
          reasonCode,
          ...(detail ? { detail } : {}),
        });
      });
    },

    async purgeEnded(olderThanHours = 24) {
      const cutoff = new Date(now().getTime() - olderThanHours * 3_600_000);
      const s = await pool.query(
        `DELETE FROM people_sessions
          WHERE expires_at < $1 OR revoked_at < $1 OR last_seen_at < $2`,
        [cutoff, new Date(cutoff.getTime() - idleMs)],
      );
      const p = await pool.query('DELETE FROM people_login_pending WHERE expires_at < $1', [now()]);
      return (s.rowCount ?? 0) + (p.rowCount ?? 0);
    },
  };
}
