/**
 * The coordinator's referral pages over a real OIDC session: the form (24 questions, score worked
 * out, errors beside fields), the intake list, the referral page, accept, return and the repeat
 * match. Other roles get no referral page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referralForm, startWebWorld, type LoggedIn, type WebWorld } from '../web/world.js';
import { referralFormFields } from './fixtures.js';

let w: WebWorld;
let coord: LoggedIn;
const meeting = { day: '20', month: '1', year: '2027' };

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres', workers: false });
  coord = await w.login('coordinator@essex-marat');
});
afterAll(async () => {
  await w?.close();
});

const fields = (yes: number, criteria?: Record<string, string | string[]>) => referralFormFields(referralForm(meeting), { yes, ...(criteria ? { criteria } : {}) });

async function submit(yes: number, criteria?: Record<string, string | string[]>): Promise<string> {
  const r = await w.form('/referrals/new', coord, fields(yes, criteria));
  expect(r.status, await r.clone().text().then((t) => t.slice(0, 3000))).toBe(303);
  return r.headers.get('location')!.split('?')[0]!;
}

describe('referral pages', () => {
  it('the form asks all 24 questions, in groups, with yes / no / not known', async () => {
    const r = await w.page('/referrals/new', coord);
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html.match(/name="dash-[a-zA-Z]+" type="radio" value="YES"/g)).toHaveLength(24);
    expect(html.match(/type="radio" value="NOT_KNOWN"/g)?.length).toBeGreaterThanOrEqual(24);
    for (const h of ['The current situation', 'The history of the abuse', 'The abuser', 'Harmful practices', 'Equality information']) expect(html).toContain(h);
    expect(html).toContain('1. Has the current incident resulted in injury?');
    expect(html).toContain('24. Do you know if (…) has ever been in trouble with the police or has a criminal history?');
  });

  it('missing answers and evidence are shown beside their fields, with the score so far; nothing is written', async () => {
    const f = fields(12, { referralCriteria: ['PROFESSIONAL_JUDGEMENT', 'POTENTIAL_ESCALATION'] });
    delete f['dash-weapons'];
    delete f['referrer-name'];
    const before = (await w.t.db.pool.query('SELECT count(*)::int AS n FROM referrals')).rows[0].n;
    const r = await w.form('/referrals/new', coord, f);
    expect(r.status).toBe(400);
    const html = await r.text();
    expect(html).toContain('There is a problem');
    expect(html).toContain('href="#dash-weapons"');
    expect(html).toContain('Answer question 13: yes, no or not known');
    expect(html).toContain('href="#crit-PROFESSIONAL_JUDGEMENT-rationale"');
    expect(html).toContain('href="#crit-POTENTIAL_ESCALATION-callouts"');
    expect(html).toContain('href="#referrer-name"');
    expect(html).toContain('Dash score so far: <strong>12</strong>');
    expect((await w.t.db.pool.query('SELECT count(*)::int AS n FROM referrals')).rows[0].n).toBe(before);
  });

  it('a referral is scored, listed in the intake, and accepted into a case for the meeting', async () => {
    const path = await submit(16, { referralCriteria: 'POTENTIAL_ESCALATION', 'crit-POTENTIAL_ESCALATION-callouts': '4' });
    const page = await (await w.page(path, coord)).text();
    expect(page).toContain('<strong>16</strong> ‘yes’ answers out of 24');
    expect(page).toContain('Dash score 16 is 14 or more: visible high risk');
    expect(page).toContain('Jane Sampleton');
    const list = await (await w.page('/referrals', coord)).text();
    expect(list).toContain(path);
    const accepted = await w.form(`${path}/accept`, coord, { 'meetingDate-day': '20', 'meetingDate-month': '1', 'meetingDate-year': '2027' });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get('location')).toMatch(/^\/cases\/case_[0-9a-f]{32}\?opened=1$/);
  });

  it('a referral below threshold cannot be accepted and is returned with the reason', async () => {
    // A new victim, so this is not also a possible repeat of the case accepted above.
    const f = fields(10);
    f['victim-given'] = 'Rita';
    f['victim-family'] = 'Lowscore';
    f['victim-nhs'] = '';
    const r = await w.form('/referrals/new', coord, f);
    expect(r.status).toBe(303);
    const path = r.headers.get('location')!.split('?')[0]!;
    const page = await (await w.page(path, coord)).text();
    expect(page).toContain('Dash score 10 is below 14 for visible high risk');
    expect(page).toContain('meets no referral criterion, so it cannot be accepted');
    const tryAccept = await w.form(`${path}/accept`, coord, { 'meetingDate-day': '20', 'meetingDate-month': '1', 'meetingDate-year': '2027' });
    expect(tryAccept.status).toBe(422);
    const empty = await w.form(`${path}/return`, coord, { reason: ' ' });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('Enter the reason for returning the referral');
    const returned = await w.form(`${path}/return`, coord, { reason: 'Below threshold: refer to the IDVA service.' });
    expect(returned.status).toBe(303);
    const after = await (await w.page(path, coord)).text();
    expect(after).toContain('Below threshold: refer to the IDVA service.');
    expect(after).toContain('Returned');
  });

  it('a second referral of the same victim is flagged; confirming links it and makes it a repeat', async () => {
    const path = await submit(3);
    const page = await (await w.page(path, coord)).text();
    expect(page).toContain('Possible repeat');
    expect(page).toContain('NHS number and name with date of birth');
    const caseId = /repeat-matches\/(case_[0-9a-f]{32})/.exec(page)![1]!;
    const bad = await w.form(`${path}/repeat-matches/${caseId}`, coord, { decision: 'PERHAPS' });
    expect(bad.status).toBe(400);
    const ok = await w.form(`${path}/repeat-matches/${caseId}`, coord, { decision: 'CONFIRM' });
    expect(ok.status).toBe(303);
    const after = await (await w.page(path, coord)).text();
    expect(after).toContain('Confirmed: a repeat');
    expect(after).toMatch(/Repeat confirmed: an earlier case was opened on/);
  });

  it('other roles have no referral pages; the navigation shows Referrals to coordinators', async () => {
    const home = await (await w.page('/referrals', coord)).text();
    expect(home).toContain('href="/referrals"');
    for (const user of ['ig.officer1', 'auditor', 'admin']) {
      const who = await w.login(user);
      for (const p of ['/referrals', '/referrals/new']) expect((await w.page(p, who)).status).toBe(403);
      const post = await w.form('/referrals/new', who, fields(16));
      expect(post.status).toBe(403);
    }
    expect((await w.page('/referrals')).status).toBeGreaterThanOrEqual(300);
    expect((await w.page('/referrals/ref_nope', coord)).status).toBe(404);
  });
});
