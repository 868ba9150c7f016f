/**
 * The coordinator's Word and PDF downloads over HTTP with a signed-in session (real OIDC sign-in):
 * the pack from the case page, the minutes for a chosen partner agency from the minutes page.
 * Each copy holds only what that agency's release holds, of the version of the minutes circulated
 * to it (before circulation the page says so and a copy is 409 MINUTES_NOT_CIRCULATED; decision
 * 0033); each production is audited; bad input is a 400 with a stable code and writes nothing;
 * another coordinator's case or meeting is a 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docxText, pdfText } from '../../helpers/documents.js';
import { sampleCase, sampleResponse, subjectIds } from '../exchange/fixtures.js';
import { circulate, dayFromNow, seedMeeting } from '../meetings/minutes-fixtures.js';
import { startWebWorld, type LoggedIn, type WebWorld } from './world.js';

let w: WebWorld;
let coord: LoggedIn;
let caseId: string;
let meetingId: string;
const MEETING_DAY = dayFromNow(7);
const PARTIES = { police: 'essex-police', housing: 'chelmsford-housing' } as const;
const FILES: Record<string, string> = { 'essex-police': 'response-police.json', 'chelmsford-housing': 'response-housing.json' };

async function documentEvents(): Promise<any[]> {
  await w.t.gateway.audit.flush(w.t.gateway.pool);
  const rows = await w.t.db.pool.query(`SELECT canonical FROM audit_events WHERE action = 'DOCUMENT_PRODUCED' AND case_id = $1 ORDER BY seq`, [caseId]);
  return rows.rows.map((r) => JSON.parse(r.canonical));
}

beforeAll(async () => {
  w = await startWebWorld({ queue: 'postgres' });
  const t = w.t;
  const created = await t.as('essex-marat').post('/v1/cases', sampleCase({ meetingDate: MEETING_DAY, externalRef: `WD-${Math.random().toString(36).slice(2, 8)}` }));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  caseId = created.body.caseId;
  const ids = subjectIds(created.body);
  const req = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: Object.values(PARTIES) });
  expect(req.status, JSON.stringify(req.body)).toBe(201);
  for (const agency of Object.values(PARTIES)) {
    await t.as(agency).get('/v1/inbox');
    const a = await t.as(agency).post(`/v1/research-requests/${req.body.requestId}/response`, sampleResponse(FILES[agency]!, ids), { 'Idempotency-Key': `wd-${agency}` });
    expect(a.status, JSON.stringify(a.body)).toBeLessThan(300);
  }
  meetingId = await seedMeeting(t.gateway.pool, { day: MEETING_DAY, caseIds: [caseId] });
  coord = await w.login('coordinator@essex-marat');
  const saved = await w.form(`/meetings/${meetingId}/cases/${caseId}/minutes`, coord, {
    version: '0', action: 'save', victimVoice: 'She asked for the locks to be changed first.', risks: 'Threats by text.', decisions: 'Police marker; sanctuary scheme.',
  });
  expect(saved.status, await saved.clone().text()).toBe(303);
  for (const [owner, description] of [[PARTIES.police, 'Place a marker on the address.'], [PARTIES.housing, 'Fit a sanctuary scheme.']] as const) {
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/actions`, { description, ownerAgencyId: owner, dueOn: dayFromNow(21), meetingId });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
});
afterAll(async () => {
  await w?.close();
});

const bytes = async (r: Response) => Buffer.from(await r.arrayBuffer());

describe('the research pack from the case page', () => {
  it('offers Word and PDF beside the HTML export', async () => {
    const page = await (await fetch(`${w.base}/cases/${caseId}`, { headers: { cookie: coord.cookie } })).text();
    expect(page).toContain(`action="/cases/${caseId}/document"`);
    expect(page).toContain('Download as Word (.docx)');
    expect(page).toContain('Download as PDF');
  });

  it('downloads as .docx and PDF for the coordinator, each audited', async () => {
    const before = (await documentEvents()).length;
    const docx = await w.form(`/cases/${caseId}/document`, coord, { format: 'docx' });
    expect(docx.status).toBe(200);
    expect(docx.headers.get('content-disposition')).toBe(`attachment; filename=research-pack-${caseId}-for-essex-marat.docx`);
    const d = docxText(await bytes(docx));
    expect(d.headers.join()).toContain('OFFICIAL-SENSITIVE');
    expect(d.body).toContain('Who the case is about');
    const pdf = await w.form(`/cases/${caseId}/document`, coord, { format: 'pdf' });
    expect(pdf.status).toBe(200);
    expect(pdfText(await bytes(pdf)).text).toContain('Research from each agency');
    const events = (await documentEvents()).slice(before);
    expect(events.map((e) => [e.actor.kind, e.detail.format])).toEqual([['person', 'docx'], ['person', 'pdf']]);
  });

  it('a bad format is 400 DOCUMENT_FORMAT_UNSUPPORTED, nothing written', async () => {
    const before = (await documentEvents()).length;
    const r = await w.form(`/cases/${caseId}/document`, coord, { format: 'xlsx' }, { accept: 'application/json' });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { code: string }).code).toBe('DOCUMENT_FORMAT_UNSUPPORTED');
    expect((await documentEvents()).length).toBe(before);
  });
});

describe('the minutes for a chosen agency', () => {
  const path = () => `/meetings/${meetingId}/cases/${caseId}/minutes/document`;

  const minutesPage = async () => (await fetch(`${w.base}/meetings/${meetingId}/cases/${caseId}/minutes`, { headers: { cookie: coord.cookie } })).text();

  it('before the minutes are circulated the page says so and offers no copy; a copy asked for anyway is 409 MINUTES_NOT_CIRCULATED, nothing written', async () => {
    const page = await minutesPage();
    expect(page).toContain('data-state="minutes-not-circulated"');
    expect(page).not.toContain(`action="${path()}"`);
    const before = (await documentEvents()).length;
    const r = await w.form(path(), coord, { agency: PARTIES.police, format: 'docx' }, { accept: 'application/json' });
    expect(r.status).toBe(409);
    expect(((await r.json()) as { code: string }).code).toBe('MINUTES_NOT_CIRCULATED');
    const html = await w.form(path(), coord, { agency: PARTIES.housing, format: 'pdf' });
    expect(html.status).toBe(409);
    expect(await html.text()).toContain('circulate them first');
    expect((await documentEvents()).length).toBe(before);
  });

  it('once circulated, the minutes page offers "Produce for" with Word and PDF and says which version went out', async () => {
    await circulate(w.t.gateway.pool, w.t.as('essex-marat'), meetingId, 'minutes');
    const page = await minutesPage();
    expect(page).toContain(`action="${path()}"`);
    expect(page).toContain('Produce for');
    expect(page).toContain('Version 1 circulated on');
    expect(page).not.toContain('data-state="minutes-changed-since"');
  });

  it('police’s copy has the victim’s voice, housing’s does not (and says so); both audited for their recipient', async () => {
    const before = (await documentEvents()).length;
    const police = await w.form(path(), coord, { agency: PARTIES.police, format: 'docx' });
    expect(police.status, police.status === 200 ? '' : await police.clone().text()).toBe(200);
    const housing = await w.form(path(), coord, { agency: PARTIES.housing, format: 'docx' });
    expect(housing.status).toBe(200);
    expect(housing.headers.get('content-disposition')).toBe(`attachment; filename=minutes-${meetingId}-${caseId}-for-chelmsford-housing.docx`);
    const p = docxText(await bytes(police));
    const h = docxText(await bytes(housing));
    expect(p.body).toContain('She asked for the locks');
    expect(h.body).not.toContain('She asked for the locks');
    expect(h.body).toContain('Not shown to Chelmsford City Council Housing');
    expect(h.headers.join()).toContain('Produced for Chelmsford City Council Housing only');
    const pdf = await w.form(path(), coord, { agency: PARTIES.housing, format: 'pdf' });
    expect(pdf.status).toBe(200);
    const text = pdfText(await bytes(pdf)).text;
    expect(text).toContain('Fit a sanctuary scheme');
    expect(text).not.toContain('She asked for the locks');
    const events = (await documentEvents()).slice(before);
    expect(events.map((e) => [e.agencyIds[0], e.detail.format])).toEqual([[PARTIES.police, 'docx'], [PARTIES.housing, 'docx'], [PARTIES.housing, 'pdf']]);
  });

  it('after an edit the page warns that agencies still see the version circulated, and their copies are of it', async () => {
    const saved = await w.form(`/meetings/${meetingId}/cases/${caseId}/minutes`, coord, {
      version: '1', action: 'save', victimVoice: 'She asked for the locks to be changed first. Draft line to take out.', risks: 'Threats by text.', decisions: 'Police marker; sanctuary scheme.',
    });
    expect(saved.status, await saved.clone().text()).toBe(303);
    expect(await minutesPage()).toContain('data-state="minutes-changed-since"');
    const police = docxText(await bytes(await w.form(path(), coord, { agency: PARTIES.police, format: 'docx' })));
    expect(police.body).toContain('She asked for the locks');
    expect(police.body).not.toContain('Draft line to take out');
  });

  it('unknown agency: 400 DOCUMENT_RECIPIENT_UNKNOWN; bad format: 400; another meeting: 404; nothing written', async () => {
    const before = (await documentEvents()).length;
    const unknown = await w.form(path(), coord, { agency: 'no-such-agency', format: 'pdf' }, { accept: 'application/json' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { code: string }).code).toBe('DOCUMENT_RECIPIENT_UNKNOWN');
    const none = await w.form(path(), coord, { format: 'pdf' }, { accept: 'application/json' });
    expect(((await none.json()) as { code: string }).code).toBe('DOCUMENT_RECIPIENT_UNKNOWN');
    const bad = await w.form(path(), coord, { agency: PARTIES.police, format: 'odt' }, { accept: 'application/json' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('DOCUMENT_FORMAT_UNSUPPORTED');
    const other = await w.form(`/meetings/mtg_${'0'.repeat(32)}/cases/${caseId}/minutes/document`, coord, { agency: PARTIES.police, format: 'pdf' }, { accept: 'application/json' });
    expect(other.status).toBe(404);
    expect((await documentEvents()).length).toBe(before);
  });
});
