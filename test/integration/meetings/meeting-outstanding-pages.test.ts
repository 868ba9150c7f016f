/**
 * "What is outstanding" for a meeting (GET /meetings/:meetingId/outstanding) over a real OIDC
 * session: open cases nobody has been asked about, research not answered by agency across the agenda (an answered one gone, a passed
 * deadline marked), open actions due by the meeting day (a later one left out), the meeting page's
 * sums and link, one VIEW_READ naming the cases it covered; and the refusals: every other role
 * 403, another coordinator's meeting and a malformed id 404, signed out to the log-in, each with
 * no meeting-outstanding read recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorld, type LoggedIn, type WebWorld } from '../web/world.js';
import { sampleCase } from '../exchange/fixtures.js';

let w: WebWorld;

const MONDAY = '2027-02-01T09:00:00Z';
const MEETING_DAY = '2027-02-11';

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres', workers: false });
  w.t.clock.set(MONDAY);
});
afterAll(async () => {
  await w?.close();
});

const coordinatorApi = () => w.t.as('essex-marat');

async function open(ref: string): Promise<string> {
  const r = await coordinatorApi().post('/v1/cases', sampleCase({ meetingDate: MEETING_DAY, externalRef: ref }));
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.caseId as string;
}

async function ask(caseId: string, recipients: string[]): Promise<string> {
  const r = await coordinatorApi().post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.requestId as string;
}

const outstandingReads = async (meetingId: string) => {
  await w.t.gateway.audit.flush(); // pending events into the sequenced log
  return (await w.t.db.pool.query(
    `SELECT canonical FROM audit_events WHERE action = 'VIEW_READ' AND canonical::jsonb->'detail'->>'view' = 'meeting-outstanding'
        AND canonical::jsonb->'detail'->>'meetingId' = $1 ORDER BY seq`,
    [meetingId],
  )).rows.map((r) => JSON.parse(r.canonical as string));
};

/** The HTML of one agency's section of the page. */
const section = (html: string, agencyId: string) => {
  const at = html.indexOf(`data-agency="${agencyId}"`);
  if (at < 0) return '';
  return html.slice(at, html.indexOf('</section>', at));
};

describe('what is outstanding for a meeting', () => {
  let meetingId: string;
  let a: string;
  let b: string;
  let c: string;

  beforeAll(async () => {
    [a, b, c] = [await open('OUT-ALPHA'), await open('OUT-BRAVO'), await open('OUT-CHARLIE')];
    const reqA = await ask(a, ['essex-police', 'chelmsford-housing']);
    await ask(b, ['essex-police']);
    // Police collect their inbox and answer case A (a decline is an answer): only housing is outstanding on it.
    expect((await w.t.as('essex-police').get('/v1/inbox')).status).toBe(200);
    const declined = await w.t.as('essex-police').post(`/v1/research-requests/${reqA}/decline`, { reason: 'NOT_KNOWN' }, { 'Idempotency-Key': 'outstanding-police-a' });
    expect(declined.status, JSON.stringify(declined.body)).toBeLessThan(300);
    const m = await coordinatorApi().post('/v1/meetings', { startsAt: `${MEETING_DAY}T10:00:00Z`, chair: 'Outstanding Chair' });
    expect(m.status).toBe(201);
    meetingId = m.body.id as string;
    for (const caseId of [a, b, c]) expect((await coordinatorApi().post(`/v1/meetings/${meetingId}/agenda`, { caseId })).status).toBe(201);
    const due = await coordinatorApi().post(`/v1/cases/${b}/actions`, { description: 'Sanctuary scheme assessment for Bravo', ownerAgencyId: 'chelmsford-housing', dueOn: '2027-02-09' });
    expect(due.status, JSON.stringify(due.body)).toBe(201);
    const later = await coordinatorApi().post(`/v1/cases/${b}/actions`, { description: 'Review in March', ownerAgencyId: 'essex-police', dueOn: '2027-03-01' });
    expect(later.status).toBe(201);
    // The morning of the meeting: the research deadlines and the action's due date have passed.
    w.t.clock.set('2027-02-11T08:00:00Z');
  });

  it('lists what each agency has not answered, and the actions due, across the agenda', async () => {
    const coord = await w.login('coordinator@essex-marat');
    const res = await w.page(`/meetings/${meetingId}/outstanding`, coord);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('2 answers from 2 agencies, on 2 of 3 cases on the agenda');
    const police = section(html, 'essex-police');
    expect(police).toContain('OUT-BRAVO');
    expect(police).not.toContain('OUT-ALPHA'); // answered
    const housing = section(html, 'chelmsford-housing');
    expect(housing).toContain('OUT-ALPHA');
    expect(housing).not.toContain('OUT-BRAVO');
    expect(section(html, 'kss-probation')).toBe(''); // never asked
    // Charlie: nobody asked yet, so it is outstanding too, with the way to ask.
    expect(html).toContain('1 of 3 cases</strong> on the agenda: no agency has been asked yet');
    const notAsked = html.slice(html.indexOf('data-table="not-asked"'), html.indexOf('id="research"'));
    expect(notAsked).toContain('OUT-CHARLIE');
    expect(notAsked).toContain(`href="/cases/${c}/research/new"`);
    expect(notAsked).not.toContain('OUT-ALPHA');
    expect(section(html, 'essex-police')).not.toContain('OUT-CHARLIE');
    expect(html).toContain('(passed)');
    // The actions due by the meeting: the one due on the 9th (overdue now), not the March one.
    expect(html).toContain('Sanctuary scheme assessment for Bravo');
    expect(html).toContain('9 February 2027 (overdue)');
    expect(html).not.toContain('Review in March');
    // Reviewing it: the action opens with the way back to this list, kept through the update.
    const actionId = /href="\/actions\/(act_[0-9a-f]{32})\?review=([^"]+)"/.exec(html);
    expect(actionId?.[2]).toBe(meetingId);
    const actionPage = await (await w.page(`/actions/${actionId![1]}?review=${meetingId}`, coord)).text();
    expect(actionPage).toContain(`href="/meetings/${meetingId}/outstanding#actions"`);
    const updated = await w.form(`/actions/${actionId![1]}`, coord, { status: 'OPEN', note: 'Assessment booked for next week', review: meetingId });
    expect(updated.status).toBe(303);
    expect(updated.headers.get('location')).toBe(`/actions/${actionId![1]}?updated=1&review=${meetingId}`);
    // Anything but a meeting id is ignored: the way back is the case.
    const odd = await (await w.page(`/actions/${actionId![1]}?review=javascript:alert(1)`, coord)).text();
    expect(odd).not.toContain('javascript:');
    expect(odd).toContain(`href="/cases/${b}"`);
    expect(html).toContain(`href="/meetings/${meetingId}#circulation"`);

    const reads = await outstandingReads(meetingId);
    expect(reads).toHaveLength(1);
    expect(reads[0].actor).toMatchObject({ kind: 'person' });
    expect(String(reads[0].detail.cases).split(',').sort()).toEqual([a, b, c].sort());
    expect(reads[0].detail).toMatchObject({ research: 2, actions: 1, notAsked: 1, caseCount: 3 });

    // The meeting page sums the agenda's counts and links to it.
    const meeting = await (await w.page(`/meetings/${meetingId}`, coord)).text();
    expect(meeting).toContain('1 of the 3 cases has no research asked for yet.');
    expect(meeting).toContain('2 research answers not in yet, on 2 of 3 cases.');
    expect(meeting).toContain('1 open action due for review, 1 overdue.');
    expect(meeting).toContain(`href="/meetings/${meetingId}/outstanding"`);
  });

  it('a case nobody was asked about is not "all in"; once asked and answered, it says nothing is outstanding', async () => {
    const coord = await w.login('coordinator@essex-marat');
    const d = await open('OUT-DELTA');
    const m = await coordinatorApi().post('/v1/meetings', { startsAt: `${MEETING_DAY}T14:00:00Z`, chair: 'Quiet Chair' });
    expect(m.status).toBe(201);
    expect((await coordinatorApi().post(`/v1/meetings/${m.body.id}/agenda`, { caseId: d })).status).toBe(201);
    const unasked = await (await w.page(`/meetings/${m.body.id}`, coord)).text();
    expect(unasked).toContain('This case has no research asked for yet.');
    expect(unasked).toContain(`href="/meetings/${m.body.id}/outstanding"`);

    const req = await ask(d, ['essex-police']);
    expect((await w.t.as('essex-police').get('/v1/inbox')).status).toBe(200);
    const declined = await w.t.as('essex-police').post(`/v1/research-requests/${req}/decline`, { reason: 'NOT_KNOWN' }, { 'Idempotency-Key': 'outstanding-police-d' });
    expect(declined.status, JSON.stringify(declined.body)).toBeLessThan(300);
    const html = await (await w.page(`/meetings/${m.body.id}/outstanding`, coord)).text();
    expect(html).toContain('Research has been asked for every open case on the agenda');
    expect(html).toContain('Every agency asked has answered or declined, on all 1 case');
    expect(html).toContain('No open actions are due by the meeting');
    const meeting = await (await w.page(`/meetings/${m.body.id}`, coord)).text();
    expect(meeting).toContain('All research asked for these cases is in.');
    expect(meeting).not.toContain('no research asked for yet');
    expect(meeting).not.toContain(`href="/meetings/${m.body.id}/outstanding"`);
  });

  it('refuses every other role, another coordinator\'s meeting, a malformed id and no session; nothing read is recorded', async () => {
    const before = (await outstandingReads(meetingId)).length;
    const others: LoggedIn[] = [];
    for (const u of ['ig.officer1', 'auditor', 'admin', 'researcher@chelmsford-housing', 'rep@chelmsford-housing']) others.push(await w.login(u));
    for (const who of others) {
      const r = await w.page(`/meetings/${meetingId}/outstanding`, who);
      expect(r.status).toBe(403);
      expect(await r.text()).not.toContain('OUT-ALPHA');
    }
    const signedOut = await w.page(`/meetings/${meetingId}/outstanding`);
    expect([302, 303]).toContain(signedOut.status);
    expect(signedOut.headers.get('location') ?? '').toContain('/login');

    const coord = await w.login('coordinator@essex-marat');
    const theirs = await w.t.as('southend-marac').post('/v1/meetings', { startsAt: `${MEETING_DAY}T10:00:00Z`, chair: 'Southend chair' });
    expect(theirs.status).toBe(201);
    expect((await w.page(`/meetings/${theirs.body.id}/outstanding`, coord)).status).toBe(404);
    expect((await outstandingReads(theirs.body.id as string))).toHaveLength(0);
    expect((await w.page('/meetings/mtg_nope/outstanding', coord)).status).toBe(404);
    expect((await outstandingReads(meetingId)).length).toBe(before);
  });
});
