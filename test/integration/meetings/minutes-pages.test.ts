/**
 * The coordinator's minutes and action pages over a real OIDC session: the minutes form in meeting
 * order (the victim's voice first) saved over its version, repeating "not shared" rows, the action
 * plan with the add-an-action form (owner and due date required, errors beside the fields and
 * nothing written), the survivor feedback shortcut, the action update page, and the case page
 * listing every action with overdue ones in red.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorld, type LoggedIn, type WebWorld } from '../web/world.js';
import { sampleCase } from '../exchange/fixtures.js';
import { dayFromNow, seedMeeting } from './minutes-fixtures.js';

let w: WebWorld;
let coord: LoggedIn;
let caseId: string;
let meetingId: string;
const DAY = dayFromNow(5);

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres', workers: false });
  coord = await w.login('coordinator@essex-marat');
  const r = await w.t.as('essex-marat').post('/v1/cases', sampleCase({ meetingDate: DAY, externalRef: `MP-${Math.random().toString(36).slice(2, 7)}` }));
  expect(r.status).toBe(201);
  caseId = r.body.caseId;
  meetingId = await seedMeeting(w.t.gateway.pool, { day: DAY, caseIds: [caseId] });
});
afterAll(async () => {
  await w?.close();
});

const minutesUrl = () => `/meetings/${meetingId}/cases/${caseId}/minutes`;
const count = async (table: string) => Number((await w.t.db.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
const [dd, mm, yyyy] = (() => { const [y, m, d] = dayFromNow(20).split('-'); return [String(Number(d)), String(Number(m)), y!]; })();

describe('the minutes page', () => {
  it('shows the parts in meeting order with the victim’s voice first, saves, and refuses a stale save (409)', async () => {
    const page = await w.page(minutesUrl(), coord);
    expect(page.status).toBe(200);
    const html = await page.text();
    const order = ['The victim’s voice', 'Risks identified', 'Information shared', 'Decisions', 'Crimes disclosed at the meeting', 'Information not shared, and why', 'Action plan', 'Add an action'];
    const at = order.map((s) => html.indexOf(s));
    expect(at.every((x) => x > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);

    const saved = await w.form(minutesUrl(), coord, {
      version: '0', notSharedRows: '1', victimVoice: 'She wants to stay.', risks: 'Escalating', decisions: 'Sanctuary',
      shared: ['essex-police_meeting'], 'sharedNote-essex-police_meeting': 'Two call-outs',
      'notShared-0-what': 'GP records', 'notShared-0-why': 'No consent',
    });
    expect(saved.status).toBe(303);
    const back = await (await w.page(minutesUrl(), coord)).text();
    expect(back).toContain('She wants to stay.');
    expect(back).toContain('GP records');
    expect(back).toMatch(/name="version" value="1"/);

    const stale = await w.form(minutesUrl(), coord, { version: '0', victimVoice: 'stale' });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain('Someone else saved these minutes');
  });

  it('adds a row of "not shared" and asks for the why of a row without one (nothing written)', async () => {
    const more = await w.form(minutesUrl(), coord, { version: '1', notSharedRows: '1', action: 'add-row', 'notShared-0-what': 'x' });
    expect(more.status).toBe(200);
    expect(await more.text()).toContain('notShared-1-what');
    const before = await w.t.db.pool.query('SELECT version FROM case_minutes WHERE case_id = $1', [caseId]);
    const bad = await w.form(minutesUrl(), coord, { version: '1', notSharedRows: '1', 'notShared-0-what': 'Health records' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('href="#notShared-0-why"');
    expect((await w.t.db.pool.query('SELECT version FROM case_minutes WHERE case_id = $1', [caseId])).rows).toEqual(before.rows);
  });
});

describe('the action plan', () => {
  const addUrl = () => `/meetings/${meetingId}/cases/${caseId}/actions`;

  it('an action without owner or due date is an error beside each field and nothing is written', async () => {
    const before = await count('case_actions');
    const r = await w.form(addUrl(), coord, { description: 'Refer to the sanctuary scheme', ownerAgencyId: '', kind: 'ACTION' });
    expect(r.status).toBe(400);
    const html = await r.text();
    expect(html).toContain('href="#ownerAgencyId"');
    expect(html).toContain('href="#dueOn-day"');
    const notParty = await w.form(addUrl(), coord, { description: 'x', ownerAgencyId: 'recovery-ltd', 'dueOn-day': dd, 'dueOn-month': mm, 'dueOn-year': yyyy });
    expect(notParty.status).toBe(400);
    expect(await notParty.text()).toContain('not a party of an agreement in force');
    expect(await count('case_actions')).toBe(before);
  });

  it('adds an action and the survivor feedback action; updates one; the case page lists them all', async () => {
    const r = await w.form(addUrl(), coord, { description: 'Refer to the sanctuary scheme', ownerAgencyId: 'chelmsford-housing', 'dueOn-day': dd, 'dueOn-month': mm, 'dueOn-year': yyyy, kind: 'ACTION' });
    expect(r.status).toBe(303);
    const offer = await (await w.page(minutesUrl(), coord)).text();
    expect(offer).toContain('Tell the survivor the outcome');
    expect(offer).toContain('Safe Steps IDVA service');
    expect((await w.form(`${addUrl()}/survivor-feedback`, coord, {})).status).toBe(303);
    const page = await (await w.page(minutesUrl(), coord)).text();
    expect(page).toContain('Refer to the sanctuary scheme');
    expect(page).toContain('Telling the survivor the outcome is on the action plan.');

    const { rows } = await w.t.db.pool.query('SELECT id, kind, owner_agency_id FROM case_actions WHERE case_id = $1 ORDER BY kind', [caseId]);
    expect(rows.map((x) => [x.kind, x.owner_agency_id])).toEqual([['ACTION', 'chelmsford-housing'], ['SURVIVOR_FEEDBACK', 'safe-steps-idva']]);
    const actionId = rows[0].id as string;

    const noNote = await w.form(`/actions/${actionId}`, coord, { status: 'NOT_POSSIBLE_CHANGE' });
    expect(noNote.status).toBe(400);
    expect(await noNote.text()).toContain('href="#note"');
    const upd = await w.form(`/actions/${actionId}`, coord, { status: 'NOT_POSSIBLE_CHANGE', note: 'She moved away' });
    expect(upd.status).toBe(303);
    const actionPage = await (await w.page(`/actions/${actionId}`, coord)).text();
    expect(actionPage).toContain('She moved away');
    expect(actionPage).toContain('Not done: circumstances changed');

    // An overdue action (due yesterday, still open) shows in red on the case page.
    await w.t.db.pool.query(`UPDATE case_actions SET due_on = current_date - 1 WHERE case_id = $1 AND kind = 'SURVIVOR_FEEDBACK'`, [caseId]);
    const casePage = await (await w.page(`/cases/${caseId}`, coord)).text();
    expect(casePage).toContain('Refer to the sanctuary scheme');
    expect(casePage).toContain(`/actions/${actionId}`);
    expect(casePage).toContain('Not done: circumstances changed');
    expect(casePage).toMatch(/class="app-overdue">[^<]*\(overdue\)/);
  });

  it('another coordinator’s action or meeting is a 404 page; other roles are refused', async () => {
    expect((await w.page(`/actions/act_${'0'.repeat(32)}`, coord)).status).toBe(404);
    expect((await w.page(`/meetings/mtg_${'0'.repeat(32)}/cases/${caseId}/minutes`, coord)).status).toBe(404);
    const ig = await w.login('ig.officer1');
    expect((await w.page(minutesUrl(), ig)).status).toBe(403);
  });
});
