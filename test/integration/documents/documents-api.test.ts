/**
 * Word and PDF documents on the agency API (mTLS): the research pack export as docx/pdf of the
 * agency's own released view, and the minutes with their action plan as released to the
 * requesting agency, of the version circulated to it (none before: 409, decision 0033). Each
 * production is one DOCUMENT_PRODUCED event; bad input is a 400 with a stable code and writes
 * nothing; an agency that is no party gets 404.
 */
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { docxText, pdfText } from '../../helpers/documents.js';
import { sampleCase, sampleResponse, subjectIds } from '../exchange/fixtures.js';
import { circulate, dayFromNow, seedMeeting } from '../meetings/minutes-fixtures.js';

let t: TestGateway;
let caseId: string;
let meetingId: string;
const MEETING_DAY = dayFromNow(7);
const PARTIES = { police: 'essex-police', housing: 'chelmsford-housing', idva: 'safe-steps-idva' } as const;
const FILES: Record<string, string> = { 'essex-police': 'response-police.json', 'chelmsford-housing': 'response-housing.json', 'safe-steps-idva': 'response-idva.json' };
const MINUTES = {
  victimVoice: 'She wants to stay put with the children and feels safer with the marker.',
  risks: 'Escalation since the hearing.',
  decisions: 'Sanctuary scheme; police marker on the address.',
  crimesDisclosed: 'Criminal damage to her car.',
};

interface Raw { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

function raw(agency: string, path: string): Promise<Raw> {
  const creds = t.creds.get(agency)!;
  const url = new URL(path, t.gateway.agencyUrl.replace('localhost', '127.0.0.1'));
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'GET', agent: false, ca: creds.caPem, cert: creds.certPem, key: creds.keyPem, headers: { accept: '*/*' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
const json = (r: Raw) => JSON.parse(r.body.toString('utf8'));

async function documentEvents(): Promise<any[]> {
  await t.gateway.audit.flush(t.gateway.pool);
  const rows = await t.db.pool.query(`SELECT canonical FROM audit_events WHERE action = 'DOCUMENT_PRODUCED' AND case_id = $1 ORDER BY seq`, [caseId]);
  return rows.rows.map((r) => JSON.parse(r.canonical));
}

beforeAll(async () => {
  t = await startTestGateway({ queue: 'redis', workers: false });
  const created = await t.as('essex-marat').post('/v1/cases', sampleCase({ meetingDate: MEETING_DAY, externalRef: `DOC-${Math.random().toString(36).slice(2, 8)}` }));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  caseId = created.body.caseId;
  const ids = subjectIds(created.body);
  const req = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: Object.values(PARTIES) });
  expect(req.status, JSON.stringify(req.body)).toBe(201);
  for (const agency of Object.values(PARTIES)) {
    await t.as(agency).get('/v1/inbox');
    const a = await t.as(agency).post(`/v1/research-requests/${req.body.requestId}/response`, sampleResponse(FILES[agency]!, ids), { 'Idempotency-Key': `doc-${agency}` });
    expect(a.status, JSON.stringify(a.body)).toBeLessThan(300);
  }
  meetingId = await seedMeeting(t.gateway.pool, { day: MEETING_DAY, caseIds: [caseId] });
  const { agencyFetch } = await import('../../helpers/pki.js');
  const put = await agencyFetch(t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), t.creds.get('essex-marat')!, `/v1/meetings/${meetingId}/cases/${caseId}/minutes`, { method: 'PUT', body: { version: 0, minutes: MINUTES } });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  for (const [owner, description] of [[PARTIES.police, 'Place a marker on the address.'], [PARTIES.housing, 'Fit a sanctuary scheme.']] as const) {
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/actions`, { description, ownerAgencyId: owner, dueOn: dayFromNow(21), meetingId });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
});
afterAll(async () => {
  await t?.stop();
});

describe('GET /v1/cases/{caseId}/research/export?format=docx|pdf', () => {
  it('the coordinator gets its pack as .docx and as PDF, each one DOCUMENT_PRODUCED event with format, recipient, sections and digest', async () => {
    const before = (await documentEvents()).length;
    const docx = await raw('essex-marat', `/v1/cases/${caseId}/research/export?format=docx`);
    expect(docx.status, docx.body.toString().slice(0, 300)).toBe(200);
    expect(docx.headers['content-type']).toContain('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(docx.headers['content-disposition']).toBe(`attachment; filename=research-pack-${caseId}-for-essex-marat.docx`);
    expect(docx.headers['cache-control']).toBe('no-store');
    const d = docxText(docx.body);
    expect(d.headers.join()).toContain('OFFICIAL-SENSITIVE');
    expect(d.body).toContain('Research from each agency');
    expect(d.body).toContain('Essex Police');
    const pdf = await raw('essex-marat', `/v1/cases/${caseId}/research/export?format=pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const p = pdfText(pdf.body);
    expect(p.pages).toBeGreaterThan(0);
    expect(p.text).toContain(`Page 1 of ${p.pages}`);
    const events = (await documentEvents()).slice(before);
    expect(events).toHaveLength(2);
    expect(events.map((e) => e.detail.format)).toEqual(['docx', 'pdf']);
    for (const e of events) {
      expect(e.detail).toMatchObject({ document: 'research-pack', recipientAgencyId: 'essex-marat' });
      expect(e.viewDigest).toMatch(/^[0-9a-f]{64}$/);
      expect(e.sectionDecisions.map((s: any) => s.agencyId).sort()).toEqual(Object.values(PARTIES).sort());
    }
  });

  it('a partner gets its own released view: housing’s pack differs from the coordinator’s', async () => {
    const housing = docxText((await raw(PARTIES.housing, `/v1/cases/${caseId}/research/export?format=docx`)).body);
    expect(housing.headers.join()).toContain('Produced for Chelmsford City Council Housing only');
    const coordinator = docxText((await raw('essex-marat', `/v1/cases/${caseId}/research/export?format=docx`)).body);
    expect(housing.body).not.toBe(coordinator.body);
    // Who the case is about is the coordinator's alone.
    expect(housing.body).not.toContain('Who the case is about');
  });

  it('JSON stays the default; a bad format is 400 DOCUMENT_FORMAT_UNSUPPORTED and writes nothing; no party: 404', async () => {
    expect(json(await raw('essex-marat', `/v1/cases/${caseId}/research/export`)).caseId).toBe(caseId);
    const before = (await documentEvents()).length;
    const bad = await raw('essex-marat', `/v1/cases/${caseId}/research/export?format=rtf`);
    expect(bad.status).toBe(400);
    expect(json(bad).code).toBe('DOCUMENT_FORMAT_UNSUPPORTED');
    const twice = await raw('essex-marat', `/v1/cases/${caseId}/research/export?format=docx&format=pdf`);
    expect(twice.status).toBe(400);
    expect(json(twice).code).toBe('DOCUMENT_FORMAT_UNSUPPORTED');
    const stranger = await raw('kss-probation', `/v1/cases/${caseId}/research/export?format=pdf`);
    expect(stranger.status).toBe(404);
    expect(json(stranger).code).toBe('CASE_NOT_FOUND');
    expect((await documentEvents()).length).toBe(before);
  });
});

describe('GET /v1/meetings/{meetingId}/cases/{caseId}/minutes/document', () => {
  const path = () => `/v1/meetings/${meetingId}/cases/${caseId}/minutes/document`;

  it('before the minutes are circulated: 409 MINUTES_NOT_CIRCULATED for each party in either format, no document produced', async () => {
    const before = (await documentEvents()).length;
    for (const agency of [PARTIES.police, PARTIES.housing]) {
      for (const format of ['docx', 'pdf']) {
        const r = await raw(agency, `${path()}?format=${format}`);
        expect(r.status, `${agency} ${format}`).toBe(409);
        expect(json(r).code).toBe('MINUTES_NOT_CIRCULATED');
        expect(r.body.toString()).not.toContain('stay put');
      }
    }
    expect((await documentEvents()).length).toBe(before);
    await circulate(t.gateway.pool, t.as('essex-marat'), meetingId, 'minutes');
  });

  it('police and housing each get their own release: the victim’s voice in police’s copy only', async () => {
    const before = (await documentEvents()).length;
    const police = await raw(PARTIES.police, `${path()}?format=docx`);
    expect(police.status, police.body.toString().slice(0, 300)).toBe(200);
    expect(police.headers['content-disposition']).toBe(`attachment; filename=minutes-${meetingId}-${caseId}-for-essex-police.docx`);
    const housing = await raw(PARTIES.housing, `${path()}?format=docx`);
    expect(housing.status).toBe(200);
    const p = docxText(police.body);
    const h = docxText(housing.body);
    expect(p.body).toContain('She wants to stay put');
    expect(h.body).not.toContain('She wants to stay put');
    expect(h.body).toContain('Not shown to Chelmsford City Council Housing');
    expect(h.body).toContain('Fit a sanctuary scheme');
    expect(h.body).not.toContain('Place a marker');
    for (const d of [p, h]) {
      expect(d.all).toContain('OFFICIAL-SENSITIVE');
      expect(d.body).toContain('Action plan');
      expect(d.body).toContain('Sanctuary scheme; police marker');
    }
    const pdf = await raw(PARTIES.housing, `${path()}?format=pdf`);
    expect(pdf.status).toBe(200);
    const ptext = pdfText(pdf.body).text;
    expect(ptext).toContain('Fit a sanctuary scheme');
    expect(ptext).not.toContain('She wants to stay put');
    const events = (await documentEvents()).slice(before);
    expect(events).toHaveLength(3);
    expect(events.map((e) => e.agencyIds)).toEqual([[PARTIES.police], [PARTIES.housing], [PARTIES.housing]]);
    expect(events.map((e) => e.detail.format)).toEqual(['docx', 'docx', 'pdf']);
    expect(events.map((e) => e.detail.document)).toEqual(['minutes', 'minutes', 'minutes']);
    for (const e of events) {
      expect(e.purpose).toBe('MARAC_ACTION_REVIEW');
      expect(e.viewDigest).toMatch(/^[0-9a-f]{64}$/);
      expect(e.sectionDecisions).toHaveLength(1);
      expect(JSON.stringify(e)).not.toContain('stay put');
    }
  });

  it('a copy is of the version circulated: a later edit is in no agency’s copy until the minutes are circulated again', async () => {
    const DRAFT = 'Draft sentence the chair will take out';
    const { agencyFetch } = await import('../../helpers/pki.js');
    const put = await agencyFetch(t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), t.creds.get('essex-marat')!, `/v1/meetings/${meetingId}/cases/${caseId}/minutes`, {
      method: 'PUT', body: { version: 1, minutes: { ...MINUTES, decisions: `${MINUTES.decisions} ${DRAFT}.` } },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    for (const agency of [PARTIES.police, PARTIES.housing]) {
      const d = docxText((await raw(agency, `${path()}?format=docx`)).body);
      expect(d.body).toContain('Sanctuary scheme; police marker');
      expect(d.body, agency).not.toContain(DRAFT);
      expect(d.body).toContain('(version 1)');
    }
    expect(pdfText((await raw(PARTIES.police, `${path()}?format=pdf`)).body).text).not.toContain(DRAFT);
    await circulate(t.gateway.pool, t.as('essex-marat'), meetingId, 'minutes');
    const recirculated = docxText((await raw(PARTIES.police, `${path()}?format=docx`)).body).body;
    expect(recirculated).toContain(DRAFT);
    expect(recirculated).toContain('(version 2)');
    const last = (await documentEvents()).at(-1);
    expect(last.detail).toMatchObject({ document: 'minutes', minutesVersion: 2 });
  });

  it('bad format 400 (nothing written); no party or malformed ids refused', async () => {
    const before = (await documentEvents()).length;
    const bad = await raw(PARTIES.police, `${path()}?format=html`);
    expect(bad.status).toBe(400);
    expect(json(bad).code).toBe('DOCUMENT_FORMAT_UNSUPPORTED');
    const none = await raw(PARTIES.police, path());
    expect(json(none).code).toBe('DOCUMENT_FORMAT_UNSUPPORTED');
    expect((await documentEvents()).length).toBe(before);
    const stranger = await raw('kss-probation', `${path()}?format=pdf`);
    expect(stranger.status).toBe(404);
    const malformed = await raw(PARTIES.police, `/v1/meetings/nope/cases/${caseId}/minutes/document?format=pdf`);
    expect(malformed.status).toBe(400);
  });
});
