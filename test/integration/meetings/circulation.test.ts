/**
 * Circulation over mTLS (docs/decisions/0027, 0033): before the coordinator circulates, a party
 * gets 409 PACK_NOT_CIRCULATED / MINUTES_NOT_CIRCULATED (API and SDK; audited, nothing else
 * written) while its own actions are already its to see; after, police, housing and IDVA each
 * fetch the circulated pack and the released minutes of the same case, and each gets only its own
 * release, of exactly the version circulated (an edit after circulation reaches nobody until the
 * minutes are circulated again; a research round asked after the pack went out waits likewise);
 * an agency that is no party to the case gets 404; every read and refusal is in the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayClient } from '../../../adapters/sdk/client.js';
import { GatewayRejected } from '../../../adapters/sdk/errors.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { sampleCase, sampleResponse, subjectIds } from '../exchange/fixtures.js';
import { circulate, dayFromNow, seedMeeting } from './minutes-fixtures.js';

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

async function putMinutes(version = 0, body: Record<string, unknown> = MINUTES) {
  const { agencyFetch } = await import('../../helpers/pki.js');
  const base = t.gateway.agencyUrl.replace('localhost', '127.0.0.1');
  return agencyFetch(base, t.creds.get('essex-marat')!, `/v1/meetings/${meetingId}/cases/${caseId}/minutes`, { method: 'PUT', body: { version, minutes: body } });
}

async function events(action: string): Promise<any[]> {
  await t.gateway.audit.flush();
  const r = await t.db.pool.query(
    `SELECT canonical FROM audit_events WHERE canonical::jsonb->>'caseId' = $1 AND action = $2 AND canonical::jsonb->>'purpose' = 'MARAC_ACTION_REVIEW' ORDER BY seq`,
    [caseId, action],
  );
  return r.rows.map((x) => JSON.parse(x.canonical));
}

function sdk(agency: string) {
  const c = t.creds.get(agency)!;
  return createGatewayClient({ baseUrl: t.gateway.agencyUrl.replace('localhost', '127.0.0.1'), certPem: c.certPem, keyPem: c.keyPem, caPem: c.caPem });
}

/** Text typed into a later save that no partner may see until it is circulated. */
const DRAFT = 'Draft wording the chair asked to be taken out';

const pack = (agency: string) => t.as(agency).get(`/v1/cases/${caseId}/circulated-pack`);
const minutes = (agency: string) => t.as(agency).get(`/v1/meetings/${meetingId}/cases/${caseId}/minutes/released`);

describe('before the coordinator circulates', () => {
  it('every party gets 409 PACK_NOT_CIRCULATED and MINUTES_NOT_CIRCULATED over the API, audited, nothing released or recorded', async () => {
    const readsBefore = (await events('VIEW_READ')).length;
    for (const agency of Object.values(PARTIES)) {
      const p = await pack(agency);
      expect(p.status, JSON.stringify(p.body)).toBe(409);
      expect(p.body.code).toBe('PACK_NOT_CIRCULATED');
      expect(JSON.stringify(p.body)).not.toContain('sections');
      const m = await minutes(agency);
      expect(m.status, JSON.stringify(m.body)).toBe(409);
      expect(m.body.code).toBe('MINUTES_NOT_CIRCULATED');
      expect(JSON.stringify(m.body)).not.toContain('Sanctuary');
    }
    // A stranger is still told nothing exists.
    expect((await pack('kss-probation')).body.code).toBe('CASE_NOT_FOUND');
    expect((await minutes('kss-probation')).body.code).toBe('MINUTES_NOT_FOUND');
    // Refused, audited per party and document; no release read, no circulation row.
    expect((await events('VIEW_READ')).length).toBe(readsBefore);
    const denied = (await events('ACCESS_DENIED')).filter((e) => e.reasonCode === 'NOT_CIRCULATED');
    for (const agency of Object.values(PARTIES)) {
      expect(denied.find((e) => e.agencyIds?.[0] === agency && e.detail?.what === 'pack'), `${agency} pack`).toBeDefined();
      expect(denied.find((e) => e.agencyIds?.[0] === agency && e.detail?.what === 'minutes' && e.detail?.meetingId === meetingId), `${agency} minutes`).toBeDefined();
    }
    const rows = await t.db.pool.query('SELECT (SELECT count(*) FROM meeting_circulations WHERE case_id = $1)::int AS c, (SELECT count(*) FROM circulated_minutes WHERE case_id = $1)::int AS m', [caseId]);
    expect(rows.rows[0]).toEqual({ c: 0, m: 0 });
  });

  it('the SDK gets the same refusals as GatewayRejected 409 with the code', async () => {
    const client = sdk(PARTIES.housing);
    try {
      const pe = await client.getCirculatedPack(caseId).catch((e: unknown) => e);
      expect(pe).toBeInstanceOf(GatewayRejected);
      expect(pe).toMatchObject({ status: 409, code: 'PACK_NOT_CIRCULATED' });
      const me = await client.getMinutes(meetingId, caseId).catch((e: unknown) => e);
      expect(me).toBeInstanceOf(GatewayRejected);
      expect(me).toMatchObject({ status: 409, code: 'MINUTES_NOT_CIRCULATED' });
    } finally {
      client.close();
    }
  });

  it('an agency’s own action is its to see and work on as soon as it is assigned', async () => {
    const own = await t.as(PARTIES.housing).get('/v1/actions');
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    const mine = own.body.actions.filter((a: any) => a.caseId === caseId);
    expect(mine.map((a: any) => a.description)).toEqual(['Fit a sanctuary scheme.']);
    // Others' actions are not in its list: they come with the circulated minutes.
    expect(JSON.stringify(own.body)).not.toContain('Place a marker');
  });

  it('the action plan as released to a partner (actionsFor): its own action at once, the others agreed at the meeting only with its circulated minutes', async () => {
    const housing = { kind: 'agency' as const, agencyId: PARTIES.housing, agencyType: 'HOUSING' as const, certFingerprint: '0'.repeat(64) };
    const before = await t.gateway.circulation.actionsFor(housing, caseId);
    expect(before.actions.map((a) => a.ownerAgencyId)).toEqual([PARTIES.housing]);
    expect(before.actions[0]!.description).toBe('Fit a sanctuary scheme.');
    const ev = (await events('VIEW_READ')).filter((e) => e.detail?.kind === 'actions').at(-1);
    expect(ev.detail).toMatchObject({ actions: 3, actionsNotCirculated: 2, actionsReleased: 1 });
  });

  it('the coordinator circulates the packs and then the minutes: one row per case and party, the minutes with their version', async () => {
    const packs = await circulate(t.gateway.pool, t.as('essex-marat'), meetingId, 'pack');
    expect(packs.map((c) => c.agencyId).sort()).toEqual(Object.values(PARTIES).sort());
    const mins = await circulate(t.gateway.pool, t.as('essex-marat'), meetingId, 'minutes');
    expect(mins.map((c) => c.agencyId).sort()).toEqual(Object.values(PARTIES).sort());
    const rows = await t.db.pool.query(
      `SELECT kind, agency_id, minutes_version FROM meeting_circulations WHERE meeting_id = $1 AND case_id = $2 ORDER BY kind, agency_id`, [meetingId, caseId],
    );
    expect(rows.rows.filter((r) => r.kind === 'minutes').map((r) => r.minutes_version)).toEqual([1, 1, 1]);
    expect(rows.rows.filter((r) => r.kind === 'pack').map((r) => r.minutes_version)).toEqual([null, null, null]);
    const housing = { kind: 'agency' as const, agencyId: PARTIES.housing, agencyType: 'HOUSING' as const, certFingerprint: '0'.repeat(64) };
    const after = await t.gateway.circulation.actionsFor(housing, caseId);
    expect(after.actions.map((a) => a.ownerAgencyId).sort()).toEqual(Object.values(PARTIES).sort());
  });
});

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
      expect(r.body).toMatchObject({
        caseId, meetingId, purpose: 'MARAC_ACTION_REVIEW', recorded: true, circulated: { version: 1 }, release: { released: true, agreementId: 'essex-marat' },
      });
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

describe('after circulation: exactly what was circulated', () => {
  it('an edit after circulation reaches no partner (API, SDK) until the minutes are circulated again; then the new version does', async () => {
    const put = await putMinutes(1, { ...MINUTES, decisions: `${MINUTES.decisions} ${DRAFT}.` });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.version).toBe(2);
    // The coordinator works on version 2 ...
    const own = await t.as('essex-marat').get(`/v1/meetings/${meetingId}/cases/${caseId}/minutes`);
    expect(own.body.minutes.decisions).toContain(DRAFT);
    // ... every partner still gets version 1.
    for (const agency of Object.values(PARTIES)) {
      const r = await minutes(agency);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.circulated.version).toBe(1);
      expect(r.body.minutes.decisions).toContain('police marker on the address');
      expect(JSON.stringify(r.body)).not.toContain(DRAFT);
    }
    const client = sdk(PARTIES.police);
    try {
      const m = await client.getMinutes(meetingId, caseId);
      expect(m).toMatchObject({ circulated: { version: 1 } });
      expect(JSON.stringify(m)).not.toContain(DRAFT);
    } finally {
      client.close();
    }
    const reads = (await events('VIEW_READ')).filter((e) => e.detail?.kind === 'minutes');
    expect(reads.at(-1).detail.minutesVersion).toBe(1);

    await circulate(t.gateway.pool, t.as('essex-marat'), meetingId, 'minutes');
    const police = await minutes(PARTIES.police);
    expect(police.body.circulated.version).toBe(2);
    expect(police.body.minutes.decisions).toContain(DRAFT);
    const versions = await t.db.pool.query('SELECT version FROM circulated_minutes WHERE meeting_id = $1 AND case_id = $2 ORDER BY version', [meetingId, caseId]);
    expect(versions.rows.map((r) => r.version)).toEqual([1, 2]);
  });

  it('a research round asked after the pack went out is not in it until the pack is circulated again', async () => {
    const req = await t.as('essex-marat').post(`/v1/cases/${caseId}/research-requests`, { purpose: 'MARAC_RESEARCH', recipients: [PARTIES.police] });
    expect(req.status, JSON.stringify(req.body)).toBe(201);
    const before = await pack(PARTIES.housing);
    expect(before.status).toBe(200);
    expect(before.body.sections.map((x: any) => x.requestId)).not.toContain(req.body.requestId);
    expect(before.body.sections.length).toBeGreaterThan(0);
    await circulate(t.gateway.pool, t.as('essex-marat'), meetingId, 'pack');
    const after = await pack(PARTIES.housing);
    expect(after.body.sections.map((x: any) => x.requestId)).toContain(req.body.requestId);
    expect(after.body.circulatedAt > before.body.circulatedAt).toBe(true);
  });
});
