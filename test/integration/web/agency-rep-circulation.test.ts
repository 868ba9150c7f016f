/**
 * What an agency representative's case page shows before and after the coordinator circulates
 * (decision 0033), signed in through the real OIDC log-in: before, "Not yet circulated" for the
 * research pack and for the meeting's minutes (a page, not an error) and no download, while its own
 * action is already on its actions page; a download asked for anyway is 409 and produces nothing;
 * after, the pack and then the minutes as circulated to its agency; an edit the coordinator saves
 * afterwards is on neither the page nor the agency's copy until the minutes are circulated again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docxText } from '../../helpers/documents.js';
import { agencyFetch } from '../../helpers/pki.js';
import { sampleCase, sampleResponse, subjectIds } from '../exchange/fixtures.js';
import { circulate, dayFromNow, seedMeeting } from '../meetings/minutes-fixtures.js';
import { startWebWorld, type LoggedIn, type WebWorld } from './world.js';

let w: WebWorld;
let rep: LoggedIn;
let caseId: string;
let meetingId: string;
const IDVA = 'safe-steps-idva';
const PARTIES = { 'essex-police': 'response-police.json', 'safe-steps-idva': 'response-idva.json' } as const;
const VOICE = 'She wants the locks changed before anything else.';
const DRAFT = 'A sentence the chair asked to be taken out';
const MINUTES = { victimVoice: VOICE, risks: 'Threats by text.', decisions: 'Police marker; sanctuary scheme.' };

async function putMinutes(version: number, minutes: Record<string, unknown>) {
  const r = await agencyFetch(w.t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), w.t.creds.get('essex-marat')!, `/v1/meetings/${meetingId}/cases/${caseId}/minutes`, {
    method: 'PUT', body: { version, minutes },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

async function documentsProduced(): Promise<number> {
  await w.t.gateway.audit.flush(w.t.gateway.pool);
  const r = await w.t.db.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'DOCUMENT_PRODUCED' AND case_id = $1`, [caseId]);
  return r.rows[0].n;
}

const casePage = async () => {
  const r = await w.page(`/agency/cases/${caseId}`, rep);
  expect(r.status).toBe(200);
  return r.text();
};
const packDoc = (format: string) => w.form(`/agency/cases/${caseId}/document`, rep, { format });
const minutesDoc = (format: string) => w.form(`/agency/cases/${caseId}/meetings/${meetingId}/minutes/document`, rep, { format });

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres', workers: false });
  const t = w.t;
  const day = dayFromNow(7);
  const created = await t.as('essex-marat').post('/v1/cases', sampleCase({ meetingDate: day, externalRef: `RC-${Math.random().toString(36).slice(2, 8)}` }));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  caseId = created.body.caseId;
  const req = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: Object.keys(PARTIES) });
  expect(req.status, JSON.stringify(req.body)).toBe(201);
  for (const [agency, file] of Object.entries(PARTIES)) {
    await t.as(agency).get('/v1/inbox');
    const a = await t.as(agency).post(`/v1/research-requests/${req.body.requestId}/response`, sampleResponse(file, subjectIds(created.body)), { 'Idempotency-Key': `rc-${agency}` });
    expect(a.status, JSON.stringify(a.body)).toBeLessThan(300);
  }
  meetingId = await seedMeeting(t.gateway.pool, { day, caseIds: [caseId] });
  await putMinutes(0, MINUTES);
  const action = await t.as('essex-marat').post(`/v1/cases/${caseId}/actions`, { description: 'Tell the survivor the outcome.', ownerAgencyId: IDVA, dueOn: dayFromNow(21), meetingId });
  expect(action.status, JSON.stringify(action.body)).toBe(201);
  rep = await w.login(`rep@${IDVA}`);
});
afterAll(async () => {
  await w?.close();
});

describe('an agency representative before and after circulation', () => {
  it('before: the case page says the pack and the minutes are not yet circulated, shows none of them and offers no download; its own action is on its actions page', async () => {
    const html = await casePage();
    expect(html).toContain('data-state="pack-not-circulated"');
    expect(html).toContain('data-state="minutes-not-circulated"');
    expect(html).toContain('Not yet circulated');
    expect(html).not.toContain(VOICE);
    expect(html).not.toContain('Police marker; sanctuary scheme.');
    expect(html).not.toContain('Download the pack');
    expect(html).not.toContain('Download the minutes');
    const actions = await (await w.page('/agency/actions', rep)).text();
    expect(actions).toContain('Tell the survivor the outcome.');
  });

  it('before: a download asked for anyway is 409 PACK_NOT_CIRCULATED / MINUTES_NOT_CIRCULATED and produces nothing', async () => {
    const before = await documentsProduced();
    const pack = await w.form(`/agency/cases/${caseId}/document`, rep, { format: 'docx' }, { accept: 'application/json' });
    expect(pack.status).toBe(409);
    expect(((await pack.json()) as { code: string }).code).toBe('PACK_NOT_CIRCULATED');
    const minutes = await w.form(`/agency/cases/${caseId}/meetings/${meetingId}/minutes/document`, rep, { format: 'pdf' }, { accept: 'application/json' });
    expect(minutes.status).toBe(409);
    expect(((await minutes.json()) as { code: string }).code).toBe('MINUTES_NOT_CIRCULATED');
    const page = await minutesDoc('docx');
    expect(page.status).toBe(409);
    expect(await page.text()).not.toContain(VOICE);
    expect(await documentsProduced()).toBe(before);
  });

  it('the pack circulated: the page shows it and offers it as a download; the minutes still not', async () => {
    await circulate(w.t.gateway.pool, w.t.as('essex-marat'), meetingId, 'pack');
    const html = await casePage();
    expect(html).not.toContain('data-state="pack-not-circulated"');
    expect(html).toContain('Download the pack as Word (.docx)');
    expect(html).toContain('data-state="minutes-not-circulated"');
    expect(html).not.toContain(VOICE);
    expect((await packDoc('docx')).status).toBe(200);
    expect((await minutesDoc('docx')).status).toBe(409);
  });

  it('the minutes circulated: the page and the agency’s copy hold them; a later edit is in neither until circulated again', async () => {
    await circulate(w.t.gateway.pool, w.t.as('essex-marat'), meetingId, 'minutes');
    const html = await casePage();
    expect(html).not.toContain('data-state="minutes-not-circulated"');
    expect(html).toContain(VOICE);
    expect(html).toContain('Download the minutes as PDF');

    await putMinutes(1, { ...MINUTES, decisions: `${MINUTES.decisions} ${DRAFT}.` });
    expect(await casePage()).not.toContain(DRAFT);
    const copy = await minutesDoc('docx');
    expect(copy.status).toBe(200);
    const text = docxText(Buffer.from(await copy.arrayBuffer())).body;
    expect(text).toContain(VOICE);
    expect(text).not.toContain(DRAFT);

    await circulate(w.t.gateway.pool, w.t.as('essex-marat'), meetingId, 'minutes');
    expect(await casePage()).toContain(DRAFT);
  });
});
