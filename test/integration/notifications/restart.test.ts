/**
 * Exactly once across a gateway stop in the middle of sending: the SMTP server (smtp-server,
 * started here) holds its acceptance of the first message; the gateway is stopped while it waits,
 * a second gateway starts on the same database, and every outbox row reaches the server exactly
 * once: the interrupted send is neither lost nor doubled.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startMailbox, type Mailbox } from '../../../gateway/src/notifications/mailbox.js';
import { upsertPerson } from '../../../gateway/src/notifications/people-directory.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { eventually, sampleCase } from '../exchange/fixtures.js';

let a: TestGateway | undefined;
let b: TestGateway | undefined;
let box: Mailbox | undefined;

let aStopped = false;
afterAll(async () => {
  await b?.gateway.stop().catch(() => {});
  if (!aStopped) await a?.gateway.stop().catch(() => {});
  await a?.db.drop().catch(() => {});
  await box?.close();
});

describe('a gateway stopped mid-send', () => {
  it('sends each notification once after it starts again', async () => {
    // The server holds the first message it receives until the test lets it go.
    let hold = true;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const held: string[] = [];
    box = await startMailbox({
      beforeAccept: async (m) => {
        if (!hold) return;
        held.push(m.reference ?? '');
        await released;
      },
    });
    const env = { NOTIFICATIONS_TRANSPORT: 'smtp', SMTP_URL: box.url, NOTIFICATIONS_POLL_MS: '200' };
    a = await startTestGateway({ queue: 'postgres', env });
    // Three people of two agencies (the directory is normally filled at sign-in).
    for (const [userId, agencyId] of [['r1', 'chelmsford-housing'], ['r2', 'chelmsford-housing'], ['r3', 'essex-police']] as const) {
      await upsertPerson(a.gateway.pool, { userId, displayName: userId, email: `${userId}@staff.example`, roles: ['agency_researcher'], agencyId }, new Date());
    }
    const c = await a.as('essex-marat').post('/v1/cases', sampleCase());
    expect(c.status).toBe(201);
    const r = await a.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['chelmsford-housing', 'essex-police'] });
    expect(r.status).toBe(201);

    // The scheduled job derives the three and starts sending; the server holds the first.
    await eventually(async () => held.length === 1, 60_000);
    const outbox = async (g: TestGateway) =>
      (await g.gateway.pool.query('SELECT id, state, attempts, uncertain FROM notification_outbox ORDER BY id')).rows;
    expect((await outbox(a)).map((x) => x.state)).toContain('sending');

    // Stop while the server has not answered: the send ends without an answer (uncertain).
    await a.gateway.stop();
    aStopped = true;
    await eventually(async () => box!.connections() === 0, 60_000);
    // The server takes nothing from a sender that left before its answer.
    hold = false;
    release();
    expect(box.messages()).toHaveLength(0);

    b = await startTestGateway({ queue: 'postgres', db: a.db, sharedEnv: a.env, sharedTls: a.tls, creds: a.creds, pki: a.pki, seed: false, queuePrefix: a.env.QUEUE_PREFIX, env });
    await eventually(async () => (await outbox(b!)).every((x) => x.state === 'sent'), 60_000);

    const rows = await outbox(b);
    expect(rows).toHaveLength(3);
    const msgs = box.messages();
    // Each row reached the server once, under its own reference.
    expect(msgs.map((m) => m.reference).sort()).toEqual(rows.map((x) => x.id).sort());
    expect(msgs.map((m) => m.transmissions)).toEqual([1, 1, 1]);
    expect(msgs.map((m) => m.to[0]).sort()).toEqual(['r1@staff.example', 'r2@staff.example', 'r3@staff.example']);
    // The interrupted one was tried twice and knew its first outcome was unknown.
    const interrupted = rows.find((x) => x.id === held[0])!;
    expect(interrupted).toMatchObject({ attempts: 2, uncertain: true });
    await b.gateway.audit.flush();
    const sent = await b.gateway.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'NOTIFICATION_SENT'`);
    expect(sent.rows[0].n).toBe(3);
  }, 240_000);
});
