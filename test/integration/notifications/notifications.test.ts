/**
 * Issue 15, notifications against a real SMTP server (smtp-server, started here): the right people
 * are told of each kind of event, each once, audited, and no message holds any personal data of
 * the test world (the sample family's names, dates of birth, identifiers, address, phone numbers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectPersonalData } from '../../../gateway/src/audit/pii-guard.js';
import { withTx } from '../../../gateway/src/store/db.js';
import { startMailbox, type Mailbox, type MailboxMessage } from '../../../gateway/src/notifications/mailbox.js';
import { DEMO_USERS } from '../../../gateway/src/identity/oidc/demo-users.js';
import { sampleCase } from '../exchange/fixtures.js';
import { key, sampleReferral } from '../referrals/fixtures.js';
import { startWebWorld, type LoggedIn, type WebWorld } from '../web/world.js';
import { PERSONAL_DATA, settle } from './helpers.js';

let box: Mailbox;
let w: WebWorld;
const people = new Map<string, LoggedIn>();
let caseId: string;
let requestId: string;

const g = () => w.t.gateway;
/** Messages of one kind (by subject), as `address → count`. */
function told(subject: string, since: MailboxMessage[] = []): Record<string, number> {
  const seen = new Set(since.map((m) => m.messageId));
  const out: Record<string, number> = {};
  for (const m of box.messages()) {
    if (m.subject !== subject || seen.has(m.messageId)) continue;
    for (const to of m.to) out[to] = (out[to] ?? 0) + 1;
  }
  return out;
}

beforeAll(async () => {
  box = await startMailbox();
  w = await startWebWorld({
    queue: 'postgres',
    env: {
      NOTIFICATIONS_TRANSPORT: 'smtp',
      SMTP_URL: box.url,
      // The scheduled job still runs once at start; the test drives the rest (settle()).
      NOTIFICATIONS_POLL_MS: '3600000',
      NOTIFICATIONS_TEAM_MAILBOXES: 'essex-marat:coordinator=marac-team@essex-marat.example;kss-probation:*=marac@kss-probation.example',
    },
  });
  // The people directory is filled at sign-in.
  for (const u of DEMO_USERS) people.set(u.username, await w.login(u.username));
}, 120_000);
afterAll(async () => {
  await w?.close();
  await box?.close();
});

describe('who is told', () => {
  it('knows people from their sign-in: the email claim, roles and agency', async () => {
    const r = await g().pool.query('SELECT user_id, email, roles, agency_id FROM people_directory ORDER BY user_id');
    expect(r.rows).toContainEqual({ user_id: 'rep@chelmsford-housing', email: 'rep@chelmsford-housing.example', roles: ['agency_representative'], agency_id: 'chelmsford-housing' });
    expect(r.rows).toHaveLength(DEMO_USERS.length);
  });

  it('a referral received: the coordinators of its MARAC and their team mailbox', async () => {
    const sent = await w.t.as('essex-police').post('/v1/referrals', sampleReferral(), { 'Idempotency-Key': key() });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    await settle(g());
    expect(told('MARAC referral received')).toEqual({ 'coordinator@essex-marat.example': 1, 'marac-team@essex-marat.example': 1 });
    const m = box.messages().find((x) => x.subject === 'MARAC referral received')!;
    expect(m.text).toContain(`${w.base}/referrals/${sent.body.referralId}`);
  });

  it('a new research request: the researchers of each recipient agency (and its team mailbox), no one else', async () => {
    const c = await w.t.as('essex-marat').post('/v1/cases', sampleCase());
    expect(c.status, JSON.stringify(c.body)).toBe(201);
    caseId = c.body.caseId;
    const r = await w.t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, {
      purpose: 'MARAC_RESEARCH', recipients: ['chelmsford-housing', 'essex-police', 'safe-steps-idva', 'kss-probation'],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    requestId = r.body.requestId;
    await settle(g());
    expect(told('New MARAC research request')).toEqual({
      'researcher@chelmsford-housing.example': 1,
      'researcher@essex-police.example': 1,
      'rep@safe-steps-idva.example': 1,
      'marac@kss-probation.example': 1,
    });
    for (const m of box.messages().filter((x) => x.subject === 'New MARAC research request')) {
      expect(m.text).toContain(`${w.base}/agency/requests/${requestId}/answer`);
      expect(m.text).toContain(`Reference: ${m.reference}`);
    }
  });

  it('a deadline near and an answer overdue: the researchers, and the coordinators for the overdue', async () => {
    expect(await g().exchange.deadlines.remind(requestId)).toBe(4);
    await settle(g());
    expect(told('MARAC research deadline approaching')).toEqual({
      'researcher@chelmsford-housing.example': 1, 'researcher@essex-police.example': 1, 'rep@safe-steps-idva.example': 1, 'marac@kss-probation.example': 1,
    });
    const deadline = (await g().pool.query('SELECT deadline FROM research_requests WHERE id = $1', [requestId])).rows[0].deadline as Date;
    w.t.clock.set(new Date(deadline.getTime() + 3_600_000));
    try {
      await g().sweepNow();
      await settle(g());
    } finally {
      w.t.clock.real();
    }
    expect(told('MARAC research answer overdue')).toEqual({
      'researcher@chelmsford-housing.example': 1, 'researcher@essex-police.example': 1, 'rep@safe-steps-idva.example': 1, 'marac@kss-probation.example': 1,
      // One per overdue answer: the coordinator hears of each agency that did not answer.
      'coordinator@essex-marat.example': 4, 'marac-team@essex-marat.example': 4,
    });
  });

  it('a pack circulated: the representatives of the agency it went to', async () => {
    // The event as the circulation service writes it (meetings/circulation-service.ts): one per
    // recipient agency, the case, what was circulated. The button that circulates is issue 14's.
    const coordinator = { kind: 'person' as const, userId: 'coordinator@essex-marat', displayName: 'Casey Coordinator', roles: ['coordinator' as const], agencyId: 'essex-marat' };
    await withTx(g().pool, async (tx) => {
      for (const agency of ['chelmsford-housing', 'safe-steps-idva']) {
        await g().audit.append(tx, {
          action: 'CIRCULATED', actor: coordinator, caseId, purpose: 'MARAC_ACTION_REVIEW', decision: 'PERMIT', agencyIds: [agency],
          detail: { kind: 'circulated-pack', sections: 4, sectionsReleased: 4, sectionsRefused: 0 },
        });
      }
      // Nothing released to this one: nothing to tell.
      await g().audit.append(tx, {
        action: 'CIRCULATED', actor: coordinator, caseId, purpose: 'MARAC_ACTION_REVIEW', decision: 'DENY', reasonCode: 'NO_AGREEMENT', agencyIds: ['essex-police'],
        detail: { kind: 'circulated-pack', sections: 4, sectionsReleased: 0, sectionsRefused: 4 },
      });
    });
    await settle(g());
    expect(told('MARAC research pack circulated')).toEqual({ 'rep@chelmsford-housing.example': 1, 'rep@safe-steps-idva.example': 1 });
  });

  it('an action assigned, due and overdue: the owner agency\'s representatives, as each has chosen', async () => {
    // The housing representative turns "an action is due" off on the preferences page.
    const rep = people.get('rep@chelmsford-housing')!;
    const page = await w.page('/account/notifications', rep);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('An action is due');
    expect(html).not.toContain('A new research request for your agency');
    const saved = await w.form('/account/notifications', rep, {
      form: 'notification-preferences', kinds: ['PACK_CIRCULATED', 'MINUTES_CIRCULATED', 'ACTION_ASSIGNED', 'ACTION_OVERDUE'],
    });
    expect(saved.status).toBe(303);
    expect((await g().notifications.preferences('rep@chelmsford-housing')).ACTION_DUE).toBe(false);

    const dueOn = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const a = await w.t.as('essex-marat').post(`/v1/cases/${caseId}/actions`, {
      description: 'Housing to fit new locks for Jane Sampleton at 1 Example Row (fictional).', ownerAgencyId: 'chelmsford-housing', dueOn,
    });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    await settle(g());
    expect(told('MARAC action assigned')).toEqual({ 'rep@chelmsford-housing.example': 1 });
    expect(box.messages().find((m) => m.subject === 'MARAC action assigned')!.text).toContain(`/agency/actions#action-${a.body.actionId ?? a.body.id}`);

    const at = (day: string, hour: number) => new Date(`${day}T${String(hour).padStart(2, '0')}:00:00Z`);
    const dayBefore = new Date(Date.parse(`${dueOn}T12:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const dayAfter = new Date(Date.parse(`${dueOn}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    try {
      w.t.clock.set(at(dayBefore, 9));
      await g().notifications.sweep();
      await g().notifications.sweep();
      await settle(g());
      w.t.clock.set(at(dayAfter, 9));
      await g().notifications.sweep();
      await settle(g());
    } finally {
      w.t.clock.real();
    }
    // Turned off: no one is told it is due. Overdue: told once, however often the sweep runs.
    expect(told('MARAC action due soon')).toEqual({});
    expect(told('MARAC action overdue')).toEqual({ 'rep@chelmsford-housing.example': 1 });
    const keys = await g().pool.query(`SELECT source_key FROM notification_outbox WHERE kind IN ('ACTION_DUE', 'ACTION_OVERDUE')`);
    expect(keys.rows.map((r) => r.source_key)).toEqual([`action-overdue:${a.body.actionId ?? a.body.id}:${dueOn}`]);
  });
});

describe('what they are told', () => {
  it('no subject or body holds a name, date of birth, identifier, address or phone number of the test world', () => {
    const all = box.messages();
    expect(all.length).toBeGreaterThan(20);
    for (const m of all) {
      const text = `${m.subject}\n${m.text}`;
      for (const pd of PERSONAL_DATA) expect(text.includes(pd), `"${pd}" in ${m.subject}`).toBe(false);
      // The gateway's own guard (what audit events are checked with) finds nothing either.
      expect(detectPersonalData(text), text).toBeNull();
      // A fixed sentence, the link by opaque id, the reference: nothing else.
      const lines = m.text.split('\n').filter(Boolean);
      expect(lines.filter((l) => l.startsWith('http')).every((l) => /^http:\/\/127\.0\.0\.1:\d+\/[a-z/]+(\/|#action-)[a-z]{3,4}_[0-9a-f]{32}(\/answer)?$/.test(l)), m.text).toBe(true);
    }
  });
});

describe('exactly once, audited', () => {
  it('each outbox row went out once, was marked sent, and has its NOTIFICATION_SENT event', async () => {
    await settle(g());
    await g().notifications.sweep();
    await settle(g());
    const rows = (await g().pool.query(`SELECT id, state FROM notification_outbox`)).rows;
    expect(rows.every((r) => r.state === 'sent')).toBe(true);
    const msgs = box.messages();
    expect(msgs.map((m) => m.reference).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(msgs.every((m) => m.transmissions === 1)).toBe(true);
    await g().audit.flush();
    const ev = await g().pool.query(`SELECT canonical FROM audit_events WHERE action = 'NOTIFICATION_SENT'`);
    const ids = ev.rows.map((r) => JSON.parse(r.canonical).detail.notificationId).sort();
    expect(ids).toEqual(rows.map((r) => r.id).sort());
    // No address, and no person, in the event.
    for (const r of ev.rows) expect(r.canonical).not.toMatch(/\.example/);
  });
});
