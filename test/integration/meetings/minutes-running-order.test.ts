/**
 * The minutes page in the meeting's running order: it names the case by its local reference with
 * its place and slot ("case 2 of 3"), links the previous and next cases, and "Save and open the
 * next case" saves then opens the next one (the last case stays on itself); a stale save-and-next
 * is the 409 with nothing written and no move. Another MARAC's coordinator is not offered as a
 * sharer. Once the meeting is held, a heard case still open links to closing it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorld, type LoggedIn, type WebWorld } from '../web/world.js';
import { sampleCase } from '../exchange/fixtures.js';
import { dayFromNow } from './minutes-fixtures.js';

let w: WebWorld;
let coord: LoggedIn;
let meetingId: string;
const refs = ['RUN-ONE', 'RUN-TWO', 'RUN-THREE'];
const caseIds: string[] = [];
const DAY = dayFromNow(5);

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres', workers: false });
  coord = await w.login('coordinator@essex-marat');
  const api = w.t.as('essex-marat');
  for (const externalRef of refs) {
    const r = await api.post('/v1/cases', sampleCase({ meetingDate: DAY, externalRef }));
    expect(r.status).toBe(201);
    caseIds.push(r.body.caseId as string);
  }
  const m = await api.post('/v1/meetings', { startsAt: `${DAY}T10:00:00Z`, chair: 'Running Chair' });
  expect(m.status).toBe(201);
  meetingId = m.body.id as string;
  for (const caseId of caseIds) expect((await api.post(`/v1/meetings/${meetingId}/agenda`, { caseId, slotMinutes: 20 })).status).toBe(201);
});
afterAll(async () => {
  await w?.close();
});

const url = (i: number) => `/meetings/${meetingId}/cases/${caseIds[i]}/minutes`;
const versions = async () =>
  new Map((await w.t.db.pool.query('SELECT case_id, version FROM case_minutes WHERE meeting_id = $1', [meetingId])).rows.map((r) => [r.case_id as string, Number(r.version)]));

describe('minutes in running order', () => {
  it('names the case and its slot, and links the cases before and after it', async () => {
    const html = await (await w.page(url(1), coord)).text();
    expect(html).toContain('Minutes: RUN-TWO</h1>');
    expect(html).toMatch(/case 2 of 3, 10:20am to 10:40am/);
    expect(html).toContain(`href="${url(0)}"`);
    expect(html).toContain('1. RUN-ONE');
    expect(html).toContain(`href="${url(2)}"`);
    expect(html).toContain('3. RUN-THREE');
    expect(html).toContain('value="save-next"');
    // Another MARAC's coordinator is not offered as having shared anything at this meeting.
    expect(html).toContain('value="essex-police_meeting"');
    expect(html).not.toContain('value="southend-marac_meeting"');
    const last = await (await w.page(url(2), coord)).text();
    expect(last).not.toContain('value="save-next"');
    expect(last).not.toContain(`href="${url(3)}"`);
  });

  it('"Save and open the next case" saves, then opens the next; on the last case it stays', async () => {
    const saved = await w.form(url(1), coord, { version: '0', notSharedRows: '1', victimVoice: 'Wants the locks changed.', action: 'save-next' });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe(`${url(2)}?saved=previous`);
    expect((await versions()).get(caseIds[1]!)).toBe(1);
    expect(await (await w.page(`${url(2)}?saved=previous`, coord)).text()).toContain('Minutes of the previous case saved.');
    const last = await w.form(url(2), coord, { version: '0', notSharedRows: '1', risks: 'Escalating', action: 'save-next' });
    expect(last.status).toBe(303);
    expect(last.headers.get('location')).toBe(`${url(2)}?saved=1`);
  });

  it('a stale save-and-next is refused (409), nothing written, no move', async () => {
    const before = await versions();
    const stale = await w.form(url(1), coord, { version: '0', notSharedRows: '1', victimVoice: 'stale', action: 'save-next' });
    expect(stale.status).toBe(409);
    expect(stale.headers.get('location')).toBeNull();
    expect(await stale.text()).toContain('Someone else saved these minutes');
    expect(await versions()).toEqual(before);
  });

  it('once the meeting is held, a heard case that is still open offers closing it from the agenda', async () => {
    expect((await w.form(`/meetings/${meetingId}/status`, coord, { status: 'IN_PROGRESS' })).status).toBe(303);
    expect((await w.form(`/meetings/${meetingId}/agenda/${caseIds[0]}/outcome`, coord, { outcome: 'HEARD' })).status).toBe(303);
    expect((await w.form(`/meetings/${meetingId}/agenda/${caseIds[1]}/outcome`, coord, { outcome: 'DEFERRED' })).status).toBe(303);
    const during = await (await w.page(`/meetings/${meetingId}`, coord)).text();
    expect(during).not.toContain(`href="/cases/${caseIds[0]}/close"`);
    expect((await w.form(`/meetings/${meetingId}/status`, coord, { status: 'HELD' })).status).toBe(303);
    const held = await (await w.page(`/meetings/${meetingId}`, coord)).text();
    expect(held).toContain(`href="/cases/${caseIds[0]}/close"`);
    expect(held).not.toContain(`href="/cases/${caseIds[1]}/close"`);
    expect((await w.form(`/cases/${caseIds[0]}/close`, coord, { outcome: 'HEARD_ACTIONS_COMPLETE' })).status).toBe(303);
    expect(await (await w.page(`/meetings/${meetingId}`, coord)).text()).not.toContain(`href="/cases/${caseIds[0]}/close"`);
  });
});
