/**
 * Circulation over mTLS (docs/decisions/0027): police, housing and IDVA each fetch the circulated
 * pack and the released minutes of the same case, and each gets only its own release; an agency
 * that is no party to the case gets 404; every read and refusal is in the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { sampleCase, sampleResponse, subjectIds } from '../exchange/fixtures.js';
import { dayFromNow, seedMeeting } from './minutes-fixtures.js';

let t: TestGateway;
let caseId: string;
let meetingId: string;
const MEETING_DAY = dayFromNow(7);
const PARTIES = { police: 'essex-police', housing: 'chelmsford-housing', idva: 'safe-steps-idva' } as const;
const FILES: Record<string, string> = { 'essex-police': 'response-police.json', 'chelmsford-housing': 'response-housing.json', 'safe-steps-idva': 'response-idva.json' };
// The sample victim's confidential address and phone (test/fixtures/samples/case.json).
const REFUGE = ['Example Row', 'CM2 9ZZ', '900123'];

const MINUTES = {
  victimVoice: 'She wants to stay at 1 Example Row, CM2 9ZZ, with the children.',
  risks: 'Escalation since the hearing; he has driven past 1 Example Row twice.',
  decisions: 'Sanctuary scheme; police marker on the address.',
  crimesDisclosed: 'Criminal damage to her car.',
  informationShared: [{ agencyId: 'essex-police', note: 'Two call-outs' }],
  notShared: [{ what: 'Health records', why: 'Consent refused' }],
};

beforeAll(async () => {
  t = await startTestGateway({ queue: 'redis', workers: false });
  const created = await t.as('essex-marat').post('/v1/cases', sampleCase({ meetingDate: MEETING_DAY, externalRef: `CI-${Math.random().toString(36).slice(2, 8)}` }));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  caseId = created.body.caseId;
  const ids = subjectIds(created.body);
  const req = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: Object.values(PARTIES) });
  expect(req.status, JSON.stringify(req.body)).toBe(201);
  for (const agency of Object.values(PARTIES)) {
    await t.as(agency).get('/v1/inbox');
    const a = await t.as(agency).post(`/v1/research-requests/${req.body.requestId}/response`, sampleResponse(FILES[agency]!, ids), { 'Idempotency-Key': `circ-${agency}` });
    expect(a.status, JSON.stringify(a.body)).toBeLessThan(300);
  }
  meetingId = await seedMeeting(t.gateway.pool, { day: MEETING_DAY, caseIds: [caseId] });
  const put = await putMinutes();
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  for (const [owner, description] of [
    [PARTIES.police, 'Place a marker on 1 Example Row.'],
    [PARTIES.housing, 'Fit a sanctuary scheme.'],
    [PARTIES.idva, 'Tell the survivor the outcome.'],
  ] as const) {
    const r = await t.as('essex-marat').post(`/v1/cases/${caseId}/actions`, { description, ownerAgencyId: owner, dueOn: dayFromNow(21), meetingId });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
});
afterAll(async () => {
  await t?.stop();
});

async function putMinutes() {
  const { agencyFetch } = await import('../../helpers/pki.js');
  const base = t.gateway.agencyUrl.replace('localhost', '127.0.0.1');
  return agencyFetch(base, t.creds.get('essex-marat')!, `/v1/meetings/${meetingId}/cases/${caseId}/minutes`, { method: 'PUT', body: { version: 0, minutes: MINUTES } });
}

const pack = (agency: string) => t.as(agency).get(`/v1/cases/${caseId}/circulated-pack`);
const minutes = (agency: string) => t.as(agency).get(`/v1/meetings/${meetingId}/cases/${caseId}/minutes/released`);

describe('the circulated pack per agency', () => {
  it('each party gets its own answer in full and the others as the agreement releases them to it', async () => {
    const views: Record<string, any> = {};
    for (const agency of Object.values(PARTIES)) {
      const r = await pack(agency);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ caseId, recipientAgencyId: agency, purpose: 'MARAC_ACTION_REVIEW' });
      const own = r.body.sections.filter((s: any) => s.own);
      expect(own.map((s: any) => s.agencyId)).toEqual([agency]);
      expect(own[0].subjects.length).toBeGreaterThan(0);
      views[agency] = r.body;
    }
    // Housing: police's answer onward with no convictions; nothing locating the refuge in what others sent.
    const housingOthers = views[PARTIES.housing].sections.filter((s: any) => !s.own);
    const fromPolice = housingOthers.find((s: any) => s.agencyId === PARTIES.police);
    expect(fromPolice.release.released).toBe(true);
    for (const s of fromPolice.subjects) expect(s.view.police?.convictions).toBeUndefined();
    const text = JSON.stringify(housingOthers);
    for (const leak of REFUGE) expect(text, leak).not.toContain(leak);
    // Never one copy for all.
    const others = (a: string) => JSON.stringify(views[a].sections.filter((s: any) => !s.own && s.agencyId === PARTIES.idva));
    expect(others(PARTIES.housing)).not.toBe(others(PARTIES.police));
  });

  it('an agency that is no party to the case gets 404 (audited), as does a malformed id', async () => {
    const r = await pack('kss-probation');
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('CASE_NOT_FOUND');
    const bad = await t.as(PARTIES.police).get('/v1/cases/not-an-id/circulated-pack');
    expect(bad.status).toBe(400);
  });
});

describe('the released minutes per agency', () => {
  it('police, housing and IDVA each get their own release of the same minutes', async () => {
    const [police, housing, idva] = await Promise.all([minutes(PARTIES.police), minutes(PARTIES.housing), minutes(PARTIES.idva)]);
    for (const r of [police, housing, idva]) {
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ caseId, meetingId, purpose: 'MARAC_ACTION_REVIEW', recorded: true, release: { released: true, agreementId: 'essex-marat' } });
      expect(r.body.minutes.decisions).toContain('Sanctuary');
      expect(r.body.actions).toHaveLength(3);
    }
    expect(police.body.minutes.victimVoice).toBeDefined();
    expect(idva.body.minutes.victimVoice).toBeDefined();
    expect(housing.body.minutes.victimVoice).toBeUndefined();
    expect(housing.body.minutes.crimesDisclosed).toBeUndefined();
    expect(housing.body.withheld).toContainEqual({ path: 'minutes.victimVoice', reason: 'NOT_IN_AGREEMENT' });
    // Housing: its own action in full, the others as owner, due date and status.
    const described = housing.body.actions.filter((a: any) => a.description !== undefined);
    expect(described.map((a: any) => a.ownerAgencyId)).toEqual([PARTIES.housing]);
    expect(police.body.actions.every((a: any) => typeof a.description === 'string')).toBe(true);
    // The refuge never reaches housing, from any field.
    const text = JSON.stringify(housing.body);
    for (const leak of REFUGE) expect(text, leak).not.toContain(leak);
    // Never one copy for all: housing's differs from police's and IDVA's (those two are the same here
    // because the sample agreement gives both the same flow; each is still its own release and event).
    const strip = (b: any) => JSON.stringify({ minutes: b.minutes, actions: b.actions });
    expect(strip(housing.body)).not.toBe(strip(police.body));
    expect(strip(housing.body)).not.toBe(strip(idva.body));
    expect(police.body.recipientAgencyId).toBe(PARTIES.police);
    expect(idva.body.recipientAgencyId).toBe(PARTIES.idva);
  });

  it('404 for an agency no party to the case, for a meeting that does not list it, and for no such meeting', async () => {
    const stranger = await minutes('kss-probation');
    expect(stranger.status).toBe(404);
    expect(stranger.body.code).toBe('MINUTES_NOT_FOUND');
    const other = await seedMeeting(t.gateway.pool, { day: MEETING_DAY, caseIds: [] });
    const unlisted = await t.as(PARTIES.police).get(`/v1/meetings/${other}/cases/${caseId}/minutes/released`);
    expect(unlisted.status).toBe(404);
    expect(unlisted.body.code).toBe('MINUTES_NOT_FOUND');
    const none = await t.as(PARTIES.police).get(`/v1/meetings/mtg_${'0'.repeat(32)}/cases/${caseId}/minutes/released`);
    expect(none.status).toBe(404);
  });

  it('every read and refusal is audited: VIEW_READ per agency with paths and a digest, ACCESS_DENIED for the stranger', async () => {
    await t.gateway.audit.flush();
    const r = await t.db.pool.query(
      `SELECT canonical FROM audit_events WHERE canonical::jsonb->>'caseId' = $1 AND action IN ('VIEW_READ', 'ACCESS_DENIED') AND canonical::jsonb->>'purpose' = 'MARAC_ACTION_REVIEW' ORDER BY seq`,
      [caseId],
    );
    const evs = r.rows.map((x) => JSON.parse(x.canonical));
    for (const agency of Object.values(PARTIES)) {
      for (const kind of ['circulated-pack', 'minutes']) {
        const e = evs.find((x) => x.action === 'VIEW_READ' && x.detail?.kind === kind && x.agencyIds?.[0] === agency);
        expect(e, `${agency} ${kind}`).toBeDefined();
        expect(e.viewDigest).toMatch(/^[0-9a-f]{64}$/);
        expect(e.sectionDecisions.length).toBeGreaterThan(0);
      }
    }
    const housingMinutes = evs.find((x) => x.detail?.kind === 'minutes' && x.agencyIds?.[0] === PARTIES.housing);
    expect(housingMinutes.fieldsWithheld).toContainEqual({ path: 'minutes/minutes.victimVoice', reason: 'NOT_IN_AGREEMENT' });
    expect(evs.some((x) => x.action === 'ACCESS_DENIED' && x.reasonCode === 'NOT_A_PARTY')).toBe(true);
    // Paths and codes only: nothing anyone typed.
    const all = JSON.stringify(evs);
    for (const leak of [...REFUGE, 'Sanctuary', 'Criminal damage']) expect(all).not.toContain(leak);
  });
});
