/**
 * The notification pages over HTTP: the development mailbox (a real SMTP server inside the
 * gateway, NOTIFICATIONS_TRANSPORT=dev-smtp) shows administrators what was sent; the preferences
 * page offers each person the kinds their roles receive and keeps their choices; bad posts are
 * 400s that change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleCase } from '../exchange/fixtures.js';
import { startWebWorld, type LoggedIn, type WebWorld } from '../web/world.js';
import { settle } from './helpers.js';

let w: WebWorld;
let admin: LoggedIn;
let researcher: LoggedIn;
let coordinator: LoggedIn;

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres', env: { NOTIFICATIONS_TRANSPORT: 'dev-smtp', NOTIFICATIONS_POLL_MS: '3600000' } });
  admin = await w.login('admin');
  researcher = await w.login('researcher@chelmsford-housing');
  coordinator = await w.login('coordinator@essex-marat');
}, 120_000);
afterAll(async () => {
  await w?.close();
});

describe('/dev/mailbox', () => {
  it('shows an administrator what the gateway sent to its own SMTP server', async () => {
    const c = await w.t.as('essex-marat').post('/v1/cases', sampleCase());
    const r = await w.t.as('essex-marat').post(`/v1/cases/${c.body.caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: ['chelmsford-housing'] });
    expect(r.status).toBe(201);
    await settle(w.t.gateway);
    const box = w.t.gateway.notifications.mailbox()!;
    expect(box.messages().map((m) => m.to)).toEqual([['researcher@chelmsford-housing.example']]);
    const res = await w.page('/dev/mailbox', admin);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Development mailbox');
    expect(html).toContain('New MARAC research request');
    expect(html).toContain('researcher@chelmsford-housing.example');
    expect(html).toContain(box.messages()[0]!.reference!);
    expect(html).toContain(`/agency/requests/${r.body.requestId}/answer`);
  });

  it('is for administrators only', async () => {
    expect((await w.page('/dev/mailbox', researcher)).status).toBe(403);
    expect((await w.page('/dev/mailbox', coordinator)).status).toBe(403);
    const anon = await w.page('/dev/mailbox');
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toMatch(/^\/login\?returnTo=/);
  });
});

describe('/account/notifications', () => {
  it('offers the kinds a person\'s roles receive, all on at first', async () => {
    const html = await (await w.page('/account/notifications', researcher)).text();
    for (const label of ['A new research request for your agency', 'A research deadline is near', 'An answer is overdue']) expect(html).toContain(label);
    expect(html).not.toContain('A referral is received');
    expect(html.match(/type="checkbox"[^>]*checked/g)).toHaveLength(3);
    const coord = await (await w.page('/account/notifications', coordinator)).text();
    expect(coord).toContain('A referral is received');
    expect(coord).not.toContain('A new research request for your agency');
  });

  it('keeps a person\'s choices', async () => {
    const saved = await w.form('/account/notifications', researcher, { form: 'notification-preferences', kinds: ['REQUEST_NEW'] });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/account/notifications?saved=1');
    const html = await (await w.page('/account/notifications?saved=1', researcher)).text();
    expect(html).toContain('Your notification choices are saved.');
    expect(html.match(/type="checkbox"[^>]*checked/g)).toHaveLength(1);
    expect(await w.t.gateway.notifications.preferences('researcher@chelmsford-housing')).toMatchObject({ REQUEST_NEW: true, DEADLINE_NEAR: false, ANSWER_OVERDUE: false });
  });

  it('refuses a post that is not the form, or a kind the person cannot receive, and changes nothing', async () => {
    const before = (await w.t.gateway.pool.query('SELECT user_id, kind, enabled FROM notification_preferences ORDER BY 1, 2')).rows;
    const notForm = await w.form('/account/notifications', researcher, { kinds: [] });
    expect(notForm.status).toBe(400);
    const foreign = await w.form('/account/notifications', researcher, { form: 'notification-preferences', kinds: ['REFERRAL_RECEIVED'] });
    expect(foreign.status).toBe(400);
    const noToken = await w.form('/account/notifications', researcher, { _csrf: 'wrong', form: 'notification-preferences', kinds: [] });
    expect(noToken.status).toBe(403);
    expect((await w.t.gateway.pool.query('SELECT user_id, kind, enabled FROM notification_preferences ORDER BY 1, 2')).rows).toEqual(before);
  });
});
