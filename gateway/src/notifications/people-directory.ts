import type { Queryable } from '../store/db.js';
import { KINDS, type Derived, type NotificationKind } from './types.js';

/**
 * The people the gateway can tell: those who have signed in (OIDC claims, refreshed at every
 * sign-in) and the team mailboxes configured per agency and role, for staff who never sign in.
 */

export interface DirectoryPerson {
  userId: string;
  displayName: string;
  email?: string;
  roles: readonly string[];
  agencyId?: string;
}

/** `agencyId` + role (`*`: every role) → a shared address (NOTIFICATIONS_TEAM_MAILBOXES). */
export interface TeamMailbox {
  agencyId: string;
  role: string;
  address: string;
}

export interface Recipient {
  /** `person:<sub>` or `team:<agency>:<role>`: with the source key, the outbox's unique key. */
  key: string;
  address: string;
}

/** Only an address that looks like one is kept (a claim is the provider's word, not a form). */
export const EMAIL = /^[^\s@<>()",;:\\[\]]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function validEmail(v: unknown): string | undefined {
  return typeof v === 'string' && v.length <= 254 && EMAIL.test(v.trim()) ? v.trim() : undefined;
}

/** Called at sign-in, in the transaction that creates the session. */
export async function upsertPerson(q: Queryable, p: DirectoryPerson, at: Date): Promise<void> {
  await q.query(
    `INSERT INTO people_directory (user_id, display_name, email, roles, agency_id, first_seen_at, last_sign_in_at)
     VALUES ($1, $2, $3, $4, $5, $6, $6)
     ON CONFLICT (user_id) DO UPDATE SET display_name = EXCLUDED.display_name, email = EXCLUDED.email,
       roles = EXCLUDED.roles, agency_id = EXCLUDED.agency_id, last_sign_in_at = EXCLUDED.last_sign_in_at`,
    [p.userId, (p.displayName || p.userId).slice(0, 200), validEmail(p.email) ?? null, [...p.roles], p.agencyId ?? null, at],
  );
}

/** Everyone (and every team mailbox) to tell of one derived notification, preferences applied. */
export async function recipientsFor(q: Queryable, d: Derived, teams: readonly TeamMailbox[]): Promise<Recipient[]> {
  const r = await q.query<{ user_id: string; email: string }>(
    `SELECT p.user_id, p.email FROM people_directory p
      WHERE p.agency_id = $1 AND p.roles && $2::text[] AND p.email IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM notification_preferences n WHERE n.user_id = p.user_id AND n.kind = $3 AND NOT n.enabled)
      ORDER BY p.user_id`,
    [d.agencyId, [...d.roles], d.kind],
  );
  const out: Recipient[] = r.rows.filter((p) => p.user_id !== d.notUserId).map((p) => ({ key: `person:${p.user_id}`, address: p.email }));
  for (const t of teams) {
    if (t.agencyId === d.agencyId && (t.role === '*' || d.roles.includes(t.role as never))) out.push({ key: `team:${t.agencyId}:${t.role}`, address: t.address });
  }
  return out;
}

/** "agency:role=address;agency:*=address" → mailboxes; problems are reported, not thrown. */
export function parseTeamMailboxes(raw: string | undefined, problems: string[]): TeamMailbox[] {
  const out: TeamMailbox[] = [];
  for (const part of (raw ?? '').split(';').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z0-9][a-z0-9-]{1,62}):([a-z_]+|\*)=(.+)$/.exec(part);
    const address = m ? validEmail(m[3]) : undefined;
    if (!m || !address) {
      problems.push(`NOTIFICATIONS_TEAM_MAILBOXES: "${part}" is not <agency-id>:<role or *>=<e-mail address>`);
      continue;
    }
    out.push({ agencyId: m[1]!, role: m[2]!, address });
  }
  return out;
}

/** kind → on/off for one person (every kind on unless turned off). */
export async function preferencesOf(q: Queryable, userId: string): Promise<Record<NotificationKind, boolean>> {
  const r = await q.query<{ kind: string; enabled: boolean }>('SELECT kind, enabled FROM notification_preferences WHERE user_id = $1', [userId]);
  const prefs = Object.fromEntries(KINDS.map((k) => [k, true])) as Record<NotificationKind, boolean>;
  for (const row of r.rows) if ((KINDS as string[]).includes(row.kind)) prefs[row.kind as NotificationKind] = row.enabled;
  return prefs;
}

export async function setPreferences(q: Queryable, userId: string, prefs: Partial<Record<NotificationKind, boolean>>, at: Date): Promise<void> {
  const kinds = Object.keys(prefs) as NotificationKind[];
  if (kinds.length === 0) return;
  await q.query(
    `INSERT INTO notification_preferences (user_id, kind, enabled, updated_at)
     SELECT $1, k, e, $4 FROM unnest($2::text[], $3::boolean[]) AS x(k, e)
     ON CONFLICT (user_id, kind) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = EXCLUDED.updated_at`,
    [userId, kinds, kinds.map((k) => prefs[k] === true), at],
  );
}
