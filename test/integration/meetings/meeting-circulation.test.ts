/**
 * The coordinator circulates a meeting (meetings/meeting-circulation.ts): the packs before it from
 * the meeting page, the minutes after it over the agency API. One CIRCULATED event per (case,
 * agency) with ids only; another coordinator's meeting is a 404; a bad kind is a 400 with nothing
 * written; and the representatives of each party agency are told, through a real SMTP server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../../gateway/src/identity/oidc/demo-users.js';
import { startMailbox, type Mailbox } from '../../../gateway/src/notifications/mailbox.js';
import { agencyFetch } from '../../helpers/pki.js';
import { sampleCase, sampleResponse, subjectIds } from '../exchange/fixtures.js';
import { PERSONAL_DATA, settle } from '../notifications/helpers.js';
import { startWebWorld, type LoggedIn, type WebWorld } from '../web/world.js';
import { dayFromNow, seedMeeting } from './minutes-fixtures.js';

let box: Mailbox;
let w: WebWorld;
let caseId: string;
let meetingId: string;
const people = new Map<string, LoggedIn>();
const PARTIES = ['chelmsford-housing', 'essex-police', 'safe-steps-idva'];
const FILES: Record<string, string> = { 'essex-police': 'response-police.json', 'chelmsford-housing': 'response-housing.json', 'safe-steps-idva': 'response-idva.json' };
const g = () => w.t.gateway;

function told(subject: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of box.messages()) if (m.subject === subject) for (const to of m.to) out[to] = (out[to] ?? 0) + 1;
  return out;
}

async function circulatedEvents(): Promise<{ agency_ids: string[]; canonical: string; decision: string }[]> {
  await g().audit.flush(g().pool);
  const r = await g().pool.query(`SELECT agency_ids, canonical, decision FROM audit_events WHERE action = 'CIRCULATED' AND case_id = $1 ORDER BY seq`, [caseId]);
  return r.rows;
}

beforeAll(async () => {
  box = await startMailbox();
  w = await startWebWorld({
    queue: 'postgres',
    env: { NOTIFICATIONS_TRANSPORT: 'smtp', SMTP_URL: box.url, NOTIFICATIONS_POLL_MS: '3600000' },
  });
  for (const u of DEMO_USERS) people.set(u.username, await w.login(u.username));
  const day = dayFromNow(7);
  const created = await w.t.as('essex-marat').post('/v1/cases', sampleCase({ meetingDate: day, externalRef: `MC-${Math.random().toString(36).slice(2, 8)}` }));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  caseId = created.body.caseId;
  const req = await w.t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: PARTIES });
  expect(req.status, JSON.stringify(req.body)).toBe(201);
  for (const agency of PARTIES) {
    await w.t.as(agency).get('/v1/inbox');
    const a = await w.t.as(agency).post(`/v1/research-requests/${req.body.requestId}/response`, sampleResponse(FILES[agency]!, subjectIds(created.body)), { 'Idempotency-Key': `mc-${agency}` });
    expect(a.status, JSON.stringify(a.body)).toBeLessThan(300);
  }
  meetingId = await seedMeeting(g().pool, { day, caseIds: [caseId] });
  await settle(g());
}, 180_000);
afterAll(async () => {
  await w?.close();
  await box?.close();
});

describe('circulating a meeting', () => {
  it('another coordinator\'s meeting is not found, on the page and over the API, and nothing is circulated', async () => {
    const page = await w.form(`/meetings/${meetingId}/circulate`, people.get('coordinator@southend-marac')!, { kind: 'pack' });
    expect(page.status).toBe(404);
    const api = await w.t.as('southend-marac').post(`/v1/meetings/${meetingId}/circulate`, { kind: 'pack' });
    expect(api.status).toBe(404);
    expect(api.body.code).toBe('MEETING_NOT_FOUND');
    expect(await circulatedEvents()).toEqual([]);
  });

  it('a bad kind is refused with a stable code and nothing is written', async () => {
    for (const body of [{ kind: 'everything' }, {}, { kind: 'pack', extra: 1 }]) {
      const r = await w.t.as('essex-marat').post(`/v1/meetings/${meetingId}/circulate`, body);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.code).toBe('VALIDATION_FAILED');
    }
    expect(await circulatedEvents()).toEqual([]);
    expect((await g().pool.query('SELECT count(*)::int AS n FROM meeting_circulations WHERE meeting_id = $1', [meetingId])).rows[0].n).toBe(0);
  });

  it('the packs, from the meeting page: one CIRCULATED per party agency with ids only, shown on the page, the representatives told', async () => {
    const coord = people.get('coordinator@essex-marat')!;
    const before = await (await w.page(`/meetings/${meetingId}`, coord)).text();
    expect(before).toContain('Research packs not circulated yet');
    const r = await w.form(`/meetings/${meetingId}/circulate`, coord, { kind: 'pack' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(`/meetings/${meetingId}?done=circulated-pack`);
    const events = await circulatedEvents();
    expect(events.map((e) => e.agency_ids).sort()).toEqual(PARTIES.map((a) => [a]));
    for (const e of events) {
      const ev = JSON.parse(e.canonical);
      expect(ev.detail).toMatchObject({ kind: 'circulated-pack', meetingId });
      for (const pd of PERSONAL_DATA) expect(e.canonical.includes(pd), pd).toBe(false);
    }
    const after = await (await w.page(`/meetings/${meetingId}`, coord)).text();
    expect(after).toContain('Packs circulated on');
    expect(after).toContain('Minutes not circulated yet');

    await settle(g());
    // Police has no representative among the people; housing and the IDVA service each have one.
    expect(told('MARAC research pack circulated')).toEqual({ 'rep@chelmsford-housing.example': 1, 'rep@safe-steps-idva.example': 1 });
    const m = box.messages().find((x) => x.subject === 'MARAC research pack circulated')!;
    expect(m.text).toContain(`/agency/cases/${caseId}`);
  });

  it('the minutes, over the API: not before the meeting, then one per party agency and the representatives told', async () => {
    const early = await w.t.as('essex-marat').post(`/v1/meetings/${meetingId}/circulate`, { kind: 'minutes' });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('CIRCULATION_NOT_ALLOWED');
    await g().pool.query(`UPDATE meetings SET status = 'HELD' WHERE id = $1`, [meetingId]);
    const none = await w.t.as('essex-marat').post(`/v1/meetings/${meetingId}/circulate`, { kind: 'minutes' });
    expect(none.status).toBe(409);
    const base = g().agencyUrl.replace('localhost', '127.0.0.1');
    const put = await agencyFetch(base, w.t.creds.get('essex-marat')!, `/v1/meetings/${meetingId}/cases/${caseId}/minutes`, {
      method: 'PUT', body: { version: 0, minutes: { risks: 'Escalation.', decisions: 'Sanctuary scheme.' } },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const packAgain = await w.t.as('essex-marat').post(`/v1/meetings/${meetingId}/circulate`, { kind: 'pack' });
    expect(packAgain.status).toBe(409);

    const r = await w.t.as('essex-marat').post(`/v1/meetings/${meetingId}/circulate`, { kind: 'minutes' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ meetingId, kind: 'minutes' });
    expect(r.body.circulated.map((c: { agencyId: string }) => c.agencyId).sort()).toEqual(PARTIES);
    const minutesEvents = (await circulatedEvents()).filter((e) => JSON.parse(e.canonical).detail.kind === 'minutes');
    expect(minutesEvents.map((e) => e.agency_ids).sort()).toEqual(PARTIES.map((a) => [a]));
    for (const e of minutesEvents) expect(e.canonical).not.toContain('Sanctuary');

    await settle(g());
    expect(told('MARAC minutes circulated')).toEqual({ 'rep@chelmsford-housing.example': 1, 'rep@safe-steps-idva.example': 1 });
    const page = await (await w.page(`/meetings/${meetingId}`, people.get('coordinator@essex-marat')!)).text();
    expect(page).toContain('Minutes circulated on');
  });
});
