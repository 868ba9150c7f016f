/**
 * The coordinator's meeting pages over a real OIDC session: schedule a meeting (GOV.UK date and a
 * time), add cases from the agenda and from the case page, move them (forms, no JavaScript),
 * record attendance, start, hold and cancel. Errors beside the fields; nothing written on a bad form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorld, type LoggedIn, type WebWorld } from '../web/world.js';
import { sampleCase } from '../exchange/fixtures.js';

let w: WebWorld;
let coord: LoggedIn;

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres', workers: false });
  coord = await w.login('coordinator@essex-marat');
});
afterAll(async () => {
  await w?.close();
});

const letters = (n: number) => Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('');

async function open(): Promise<{ caseId: string; ref: string }> {
  const c = sampleCase({ meetingDate: '2027-02-10', externalRef: `PG-${letters(5).toUpperCase()}` });
  const r = await w.t.as('essex-marat').post('/v1/cases', c);
  expect(r.status).toBe(201);
  return { caseId: r.body.caseId as string, ref: c.externalRef as string };
}

const meetingRows = async () => (await w.t.db.pool.query('SELECT id, status, starts_at FROM meetings ORDER BY created_at')).rows;
const order = async (id: string) => (await w.t.db.pool.query('SELECT case_id FROM meeting_cases WHERE meeting_id = $1 ORDER BY position', [id])).rows.map((r) => r.case_id);

describe('meeting pages', () => {
  it('schedule, add cases, reorder, attendance, start, hold; the case page says where the case is listed', async () => {
    const nav = await (await w.page('/meetings', coord)).text();
    expect(nav).toContain('href="/meetings/new"');
    expect(nav).toMatch(/govuk-service-navigation__item--active[\s\S]{0,200}href="\/meetings"/);

    // A bad form: errors beside the fields, nothing written.
    const before = (await meetingRows()).length;
    const bad = await w.form('/meetings/new', coord, { 'date-day': '31', 'date-month': '2', 'date-year': '2027', time: '25:00', chair: '' });
    expect(bad.status).toBe(400);
    const badHtml = await bad.text();
    for (const f of ['#date-day', '#time', '#chair']) expect(badHtml).toContain(`href="${f}"`);
    expect((await meetingRows()).length).toBe(before);

    const made = await w.form('/meetings/new', coord, { 'date-day': '10', 'date-month': '2', 'date-year': '2027', time: '2:30pm', chair: 'Page Test Chair', venue: 'Room 4' });
    expect(made.status).toBe(303);
    const meetingId = /\/meetings\/(mtg_[0-9a-f]{32})/.exec(made.headers.get('location') ?? '')![1]!;
    // 2:30pm London in February is 14:30 UTC.
    expect((await meetingRows()).at(-1)!.starts_at.toISOString()).toBe('2027-02-10T14:30:00.000Z');

    const [a, b, c] = [await open(), await open(), await open()];
    const addForm = await (await w.page(`/meetings/${meetingId}/agenda/add`, coord)).text();
    expect(addForm).toContain(a.ref);
    expect((await w.form(`/meetings/${meetingId}/agenda/add`, coord, { caseId: a.caseId, slotMinutes: '20' })).status).toBe(303);
    expect((await w.form(`/meetings/${meetingId}/agenda/add`, coord, { caseId: b.caseId, slotMinutes: '15' })).status).toBe(303);
    // A listed case is no longer offered; adding it again is an error on the form.
    expect(await (await w.page(`/meetings/${meetingId}/agenda/add`, coord)).text()).not.toContain(`value="${a.caseId}"`);
    const again = await w.form(`/meetings/${meetingId}/agenda/add`, coord, { caseId: a.caseId, slotMinutes: '15' });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('already on the agenda');
    const noSlot = await w.form(`/meetings/${meetingId}/agenda/add`, coord, { caseId: c.caseId, slotMinutes: '500' });
    expect(noSlot.status).toBe(400);

    // From the case page.
    const casePage = await (await w.page(`/cases/${c.caseId}`, coord)).text();
    expect(casePage).toContain('Not listed at a meeting yet');
    expect(casePage).toContain(`/cases/${c.caseId}/add-to-meeting`);
    expect(await (await w.page(`/cases/${c.caseId}/add-to-meeting`, coord)).text()).toContain(`value="${meetingId}"`);
    expect((await w.form(`/cases/${c.caseId}/add-to-meeting`, coord, { meetingId })).status).toBe(303);
    expect(await (await w.page(`/cases/${c.caseId}`, coord)).text()).toContain(`href="/meetings/${meetingId}"`);
    expect(await order(meetingId)).toEqual([a.caseId, b.caseId, c.caseId]);

    // Move the last case up twice: first.
    await w.form(`/meetings/${meetingId}/agenda/${c.caseId}/move`, coord, { direction: 'up' });
    await w.form(`/meetings/${meetingId}/agenda/${c.caseId}/move`, coord, { direction: 'up' });
    expect(await order(meetingId)).toEqual([c.caseId, a.caseId, b.caseId]);

    const agenda = await (await w.page(`/meetings/${meetingId}`, coord)).text();
    expect(agenda).toContain(c.ref);
    expect(agenda).toContain('2:30pm to 2:45pm');
    expect(agenda).toContain('2:45pm to 3:05pm');
    expect(agenda).toContain(`/meetings/${meetingId}/cases/${a.caseId}/minutes`);
    expect(agenda).not.toContain('Page Test Chair</script>');

    const att = await (await w.page(`/meetings/${meetingId}/attendance`, coord)).text();
    const agencies = [...att.matchAll(/name="agency-(\d+)" value="([a-z0-9-]+)"/g)].map((m) => ({ i: m[1]!, id: m[2]! }));
    expect(agencies.map((x) => x.id)).toContain('essex-police');
    const idx = (id: string) => agencies.find((x) => x.id === id)!.i;
    const fields: Record<string, string> = Object.fromEntries(agencies.map((x) => [`agency-${x.i}`, x.id]));
    // Information sent without a status: an error, nothing written.
    const badAtt = await w.form(`/meetings/${meetingId}/attendance`, coord, { ...fields, [`sent-${idx('essex-police')}`]: 'yes' });
    expect(badAtt.status).toBe(400);
    expect(await badAtt.text()).toContain(`href="#status-${idx('essex-police')}"`);
    const okAtt = await w.form(`/meetings/${meetingId}/attendance`, coord, {
      ...fields,
      [`status-${idx('essex-police')}`]: 'PRESENT', [`rep-${idx('essex-police')}`]: 'DS Page',
      [`status-${idx('chelmsford-housing')}`]: 'APOLOGIES', [`sent-${idx('chelmsford-housing')}`]: 'yes',
      [`received-${idx('chelmsford-housing')}-day`]: '1', [`received-${idx('chelmsford-housing')}-month`]: '12', [`received-${idx('chelmsford-housing')}-year`]: '2026',
    });
    expect(okAtt.status).toBe(303);
    const withAtt = await (await w.page(`/meetings/${meetingId}`, coord)).text();
    expect(withAtt).toContain('DS Page');
    expect(withAtt).toContain('Yes, received 1 December 2026');

    expect((await w.form(`/meetings/${meetingId}/status`, coord, { status: 'IN_PROGRESS' })).status).toBe(303);
    expect((await w.form(`/meetings/${meetingId}/agenda/${c.caseId}/outcome`, coord, { outcome: 'HEARD' })).status).toBe(303);
    expect((await w.form(`/meetings/${meetingId}/status`, coord, { status: 'HELD' })).status).toBe(303);
    const held = await w.form(`/meetings/${meetingId}/agenda/${a.caseId}/move`, coord, { direction: 'up' });
    expect(held.status).toBe(409);
    expect((await w.form(`/meetings/${meetingId}/cancel`, coord, {})).status).toBe(409);

    const list = await (await w.page('/meetings', coord)).text();
    expect(list).toContain(`/meetings/${meetingId}`);
    expect(list).toContain('Held');
  });

  it('cancel asks first; cancelled, the agenda offers no change', async () => {
    const made = await w.form('/meetings/new', coord, { 'date-day': '11', 'date-month': '2', 'date-year': '2027', time: '10:00', chair: 'Chair' });
    const meetingId = /\/meetings\/(mtg_[0-9a-f]{32})/.exec(made.headers.get('location') ?? '')![1]!;
    expect(await (await w.page(`/meetings/${meetingId}/cancel`, coord)).text()).toContain('cannot be changed or reopened');
    expect((await w.form(`/meetings/${meetingId}/cancel`, coord, {})).status).toBe(303);
    const page = await (await w.page(`/meetings/${meetingId}`, coord)).text();
    expect(page).toContain('Cancelled');
    expect(page).not.toContain('Add a case');
  });

  it('another coordinator\'s meeting and a malformed id are a not-found page', async () => {
    const r = await w.t.as('southend-marac').post('/v1/meetings', { startsAt: '2027-02-10T10:00:00Z', chair: 'Southend chair' });
    expect(r.status).toBe(201);
    expect((await w.page(`/meetings/${r.body.id}`, coord)).status).toBe(404);
    expect((await w.page('/meetings/nope', coord)).status).toBe(404);
    const theirCase = sampleCase({ meetingDate: '2027-02-10', maracArea: 'southend' });
    const tc = await w.t.as('southend-marac').post('/v1/cases', theirCase);
    expect(tc.status, JSON.stringify(tc.body)).toBe(201);
    expect((await w.page(`/cases/${tc.body.caseId}/add-to-meeting`, coord)).status).toBe(404);
    expect((await w.form(`/cases/${tc.body.caseId}/add-to-meeting`, coord, { meetingId: r.body.id })).status).toBe(404);
  });
});
