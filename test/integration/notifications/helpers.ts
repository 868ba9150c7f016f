import type { Gateway } from '../../../gateway/src/app.js';

/**
 * Drives the notification job to a standstill: every committed audit event sequenced, derived
 * past, and every due outbox row sent (or given up). The scheduled job may run at the same time;
 * both claim rows with SKIP LOCKED, so looping until nothing is left is the deterministic wait.
 */
export async function settle(g: Gateway, rounds = 200): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await g.audit.flush();
    await g.notifications.tick();
    const r = await g.pool.query<{ behind: boolean; due: number }>(
      `SELECT (SELECT last_seq FROM notification_cursor) < (SELECT tree_size FROM audit_head) AS behind,
              (SELECT count(*)::int FROM notification_outbox WHERE state IN ('pending', 'sending')) AS due`,
    );
    if (!r.rows[0]!.behind && r.rows[0]!.due === 0) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('notifications did not settle');
}

/** Everything a notification of the test world must never contain (the sample family and referrer). */
export const PERSONAL_DATA: readonly string[] = [
  // Names (case.json, the referral's referrer and the web form's family)
  'Jane', 'Sampleton', 'Fictitious', 'Mark', 'Lily', 'Pat Officer',
  // Dates of birth, as stored and as people write them
  '1990-04-12', '12/04/1990', '12 April 1990', '1987-09-30', '1987-03-09', '30/09/1987', '2020-07-01',
  // Identifiers
  '9990013713', '999 001 3713', '9990027420', '19/0456789Y', '100000000001', '9990054843', 'LAC-000042',
  // Address and phone numbers
  '1 Example Row', 'Example Row', 'Testford', 'CM2 9ZZ', 'CM2', '07700 900123', '07700900123', '01245 000000',
];
