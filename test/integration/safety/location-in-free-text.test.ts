/**
 * Issue 12, class 1 (location-in-free-text): a confidential location never travels in free text.
 *
 * The victim V lives in a refuge (Larkspur House, 9 Quarry Row, Harlow CM19 4QD), recorded as
 * confidential on the case. Every agency quotes that location somewhere in its free text, in
 * many spellings, in V's record and in the perpetrator's. Whoever may not hold V's location
 * (housing, health, children's and adults' social care, probation, the coordinator) reads none of
 * it; police and IDVA still read what their flows give them. The audit events name the paths
 * that had location text removed and never hold the text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { sampleResponse } from '../exchange/fixtures.js';
import {
  CLOCK, answer, auditRows, caseBody, openCase, pull, readPack, requestResearch, section, subjectOf, type Ids,
} from '../scenarios/world.js';

type Json = Record<string, any>;

const REFUGE = { lines: ['Larkspur House', '9 Quarry Row', 'Harlow'], postcode: 'CM19 4QD', uprn: '100090001234', confidential: true };
const CONTACT = { phone: '07700 900456', email: 'jane.s@example.org', safeTimes: 'Tuesdays after 2pm at the library', safeToLeaveMessage: false };

/** What must never reach a party without LOC rights, in any spelling. */
const LEAKS: [string, RegExp][] = [
  ['house number with the street', /\b9\b[\s\S]{0,12}quarry/i],
  ['street with the house number after it', /quarry[\s\S]{0,12}\b9\b/i],
  ['postcode, any spacing', /cm\W*19\W*4\W*qd/i],
  ['UPRN', /100\W*090\W*001\W*234/],
  ['phone, any spacing', /0\W*7\W*7\W*0\W*0\W*9\W*0\W*0\W*4\W*5\W*6/],
  ['e-mail', /jane\.s@example\.org/i],
  ['refuge name', /larkspur/i],
  // Second review (decision 0010): the same refuge written to slip past the nets, and places the case never held.
  ['house number in words with the street', /nine[\s\S]{0,16}quarry/i],
  ['map coordinates of the refuge', /51\.7356|0\.4685/],
  ['what3words address of the refuge', /filled\W*count\W*soap/i],
  ["the sister's address (never on the case)", /heron/i],
];

function expectNoLeak(value: unknown, who: string): void {
  const text = JSON.stringify(value);
  for (const [what, re] of LEAKS) expect(re.test(text), `${who} was shown the ${what}: ${text.match(re)?.[0]}`).toBe(false);
}

const NO_LOC = ['chelmsford-housing', 'mse-hospitals', 'essex-childrens-services', 'essex-adult-social-care', 'kss-probation', 'essex-marat'];
const ALL = ['essex-police', 'mse-hospitals', 'chelmsford-housing', 'safe-steps-idva', 'essex-childrens-services', 'essex-adult-social-care', 'kss-probation'];

const incident = (date: string, summary: string, roleOfSubject = 'VICTIM') =>
  ({ date, type: 'INCIDENT', roleOfSubject, category: 'DA_HARASSMENT', summary, outcome: 'NFA' });

/** Police: the quoted example and its variants, in V's record and in the perpetrator's. */
function policeResponse(ids: Ids): Json {
  const r = sampleResponse('response-police.json', ids);
  const v = r.subjectResults[0];
  v.police.incidents = [
    incident('2026-11-30', 'Officers attended the refuge at 9 Quarry Row, Harlow CM19 4QD'),
    incident('2026-11-20', 'Repeat call to 9 quarry row, harlow, cm194qd.'),
    incident('2026-11-10', 'Victim now living at 9\nQuarry   Row\nHarlow; call 07700900456'),
    incident('2026-10-01', 'Welfare check at Flat 2, 9 Quarry Rw. (CM19  4QD), e-mail jane.s@example.org'),
    incident('2026-09-01', 'Seen at Larkspur House. UPRN 100090001234.'),
    // Second review: evasions of the same refuge, and an address no subject of the case holds.
    incident('2026-08-20', 'Officers returned to nine Quarry Rwo after a call.'),
    incident('2026-08-19', 'Seen at 9&nbsp;Quarry&nbsp;Row, then at 9%20Quarry%20Row.'),
    incident('2026-08-18', 'Victim at Quarry Row, number 9, again; staying at Larkspur.'),
    incident('2026-08-17', 'Caller gave 51.7356, 0.4685 and ///filled.count.soap for the refuge.'),
    incident('2026-08-16', "She may go to her sister's flat at fourteen Heron Clsoe."),
  ];
  const p = r.subjectResults[1];
  p.police.incidents = [
    incident('2026-11-29', 'Suspect found loitering outside 9 Quarry Row, Harlow, the victim\u2019s refuge.', 'SUSPECT'),
    incident('2026-11-01', 'Suspect claimed she is at 9 Quarry Road, Harlow.', 'SUSPECT'),
  ];
  p.withheld = [{ fieldPath: 'police.convictions', reason: 'THIRD_PARTY', note: 'Refuge address 9 Quarry Row held back.' }];
  r.agencyRiskSummary = { text: 'Risk rises while she stays at 9 QUARRY ROW; safe times Tuesdays after 2pm at the library.', isOpinion: true };
  r.proposedActions = [{ description: 'Fit a panic alarm at 9 Quarry Row CM19 4QD; text 07700 900456 first.', ownerAgencyId: 'essex-police', dueBy: '2026-12-18' }];
  return r;
}

function withEnvelope(r: Json, owner: string, text: string): Json {
  r.agencyRiskSummary = { text, isOpinion: true };
  r.proposedActions = [{ description: `Follow up at ${text}`, ownerAgencyId: owner, dueBy: '2026-12-18' }];
  return r;
}

/** Health: the refuge in strings that are not free text (a diagnosis, a local identifier, the author's role). */
function healthResponse(ids: Ids): Json {
  const r = withEnvelope(sampleResponse('response-health.json', ids), 'mse-hospitals', 'ED attendance from Larkspur House refuge, 9 Quarry Row');
  const v = r.subjectResults[0];
  v.subject.identifiers = [...(v.subject.identifiers ?? []), { system: 'local', value: 'Larkspur House 9 Quarry Row CM19 4QD' }];
  v.health.mentalHealth.diagnosis = 'Anxiety since the move to Larkspur House, 9 Quarry Row; fourteen Heron Close before.';
  v.withheld = [];
  r.completedByRole = 'Safeguarding nurse at Larkspur House, 9 Quarry Row';
  return r;
}

function responses(ids: Ids): Record<string, Json> {
  const asc = sampleResponse('response-adult-social-care.json', ids);
  asc.subjectResults[0].adultSocialCare.s42Enquiry.outcome = 'Closed: placed at Larkspur House, 9 Quarry Row, Harlow.';
  const probation = sampleResponse('response-probation.json', ids);
  const perp = probation.subjectResults.find((s: Json) => s.subjectId === ids.p1);
  perp.probation.breachOrRecallAction = 'Recalled after being found at 9 Quarry Row Harlow CM19 4QD.';
  const idva = sampleResponse('response-idva.json', ids);
  idva.subjectResults[0].subject.address = REFUGE;
  idva.subjectResults[0].idva.victimViews = 'Wants to stay at the refuge, 9 Quarry Row, until the hearing.';
  idva.subjectResults[0].idva.victimWantsFromMarac = 'Help to stay at Larkspur House; contact on 07700 900456.';
  return {
    'essex-police': policeResponse(ids),
    'mse-hospitals': healthResponse(ids),
    'chelmsford-housing': withEnvelope(sampleResponse('response-housing.json', ids), 'chelmsford-housing', 'sanctuary scheme fitted at 9, Quarry Row'),
    'essex-childrens-services': withEnvelope(sampleResponse('response-childrens-social-care.json', ids), 'essex-childrens-services', 'visit the children at 9 Quarry Row, CM19 4QD'),
    'essex-adult-social-care': withEnvelope(asc, 'essex-adult-social-care', 'review at 9 Quarry Row'),
    'kss-probation': withEnvelope(probation, 'kss-probation', 'home visits banned near 9 Quarry Row'),
    'safe-steps-idva': withEnvelope(idva, 'safe-steps-idva', 'move-on plan from 9 Quarry Row'),
  };
}

describe('location-in-free-text: a confidential location never travels in free text', () => {
  let t: TestGateway;
  let caseId: string;
  let ids: Ids;
  let requestId: string;
  const pulled: Record<string, Json> = {};
  const packs: Record<string, Json> = {};

  beforeAll(async () => {
    t = await startTestGateway({ queue: 'redis' });
    t.clock.set(CLOCK);
    ({ caseId, ids } = await openCase(t, caseBody({
      subjects: {
        v1: (s) => { s.address = REFUGE; s.contact = CONTACT; },
        // The perpetrator's own (non-confidential) details may travel; they must not hide V's.
        p1: (s) => { s.contact = { safeTimes: 'Evenings; often near 9 Quarry Row, Harlow' }; },
      },
    })));
    const rr = await requestResearch(t, caseId, ALL);
    expect(rr.status, JSON.stringify(rr.body)).toBe(201);
    requestId = rr.body.requestId;
    const bodies = responses(ids);
    for (const agency of ALL) {
      pulled[agency] = (await pull(t, agency, requestId))!;
      const { response } = await answer(t, agency, requestId, ids, bodies[agency], pulled[agency]);
      expect(response.status, `${agency}: ${JSON.stringify(response.body)}`).toBe(201);
    }
    for (const viewer of [...NO_LOC, 'essex-police', 'safe-steps-idva']) packs[viewer] = await readPack(t, viewer, caseId);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  it.each(NO_LOC)('%s reads no location of V anywhere in its pack', (viewer) => {
    const pack = packs[viewer]!;
    // Something was released, so the test is not passing on an empty pack.
    expect(pack.sections.some((s: Json) => s.release.released)).toBe(true);
    expectNoLeak(pack, viewer);
  });

  it('the coordinator still reads the free text, with [LOCATION] where the refuge was', () => {
    const police = section(packs['essex-marat']!, 'essex-police');
    const v = subjectOf(police, ids.v1);
    const summaries = (v.view.police.incidents as Json[]).map((i) => i.summary as string);
    expect(summaries[0]).toMatch(/^Officers attended .*\[LOCATION\]/);
    expect(v.transformed).toContainEqual({ path: 'police.incidents[0].summary', op: 'locationText' });
    // The perpetrator's record named V's refuge: cleared too.
    const p = subjectOf(police, ids.p1);
    expect((p.view.police.incidents as Json[])[0]!.summary).toContain('[LOCATION]');
    expect(police.envelope.agencyRiskSummary.text).toContain('[LOCATION]');
    expect(police.envelope.proposedActions[0].description).toContain('[LOCATION]');
    expect(v.view.subject.address).toBe('CONFIDENTIAL');
  });

  it.each([
    ['mse-hospitals', 'essex-police'], ['chelmsford-housing', 'essex-police'], ['essex-childrens-services', 'essex-police'],
    ['essex-adult-social-care', 'essex-police'], ['kss-probation', 'essex-police'],
  ])('%s still reads the police summaries, cleared', (viewer, from) => {
    const v = subjectOf(section(packs[viewer]!, from), ids.v1);
    const summaries = (v.view.police.incidents as Json[]).map((i) => i.summary as string);
    expect(summaries.length).toBeGreaterThan(0);
    expect(summaries[0]).toMatch(/^Officers attended /);
    expect(summaries[0]).toContain('[LOCATION]');
  });

  it('the coordinator reads the other agencies\u2019 free text cleared (ASC, probation, IDVA, envelopes)', () => {
    const pack = packs['essex-marat']!;
    const asc = subjectOf(section(pack, 'essex-adult-social-care'), ids.v1);
    expect(asc.view.adultSocialCare.s42Enquiry.outcome).toContain('[LOCATION]');
    const prob = subjectOf(section(pack, 'kss-probation'), ids.p1);
    expect(prob.view.probation.breachOrRecallAction).toContain('[LOCATION]');
    const idva = subjectOf(section(pack, 'safe-steps-idva'), ids.v1);
    expect(idva.view.idva.victimViews).toContain('[LOCATION]');
    for (const a of ['mse-hospitals', 'chelmsford-housing', 'essex-childrens-services', 'essex-adult-social-care', 'kss-probation', 'safe-steps-idva']) {
      const env = section(pack, a).envelope;
      expect(env?.agencyRiskSummary?.text, a).toContain('[LOCATION]');
    }
  });

  it('evasions of the refuge, and an address the case never held, are cleared with the sentence kept (second review)', () => {
    const v = subjectOf(section(packs['essex-marat']!, 'essex-police'), ids.v1);
    const summaries = (v.view.police.incidents as Json[]).map((i) => i.summary as string);
    expect(summaries).toContain('Officers returned to [LOCATION] after a call.');
    expect(summaries).toContain("She may go to her sister's flat at [LOCATION].");
    expect(summaries.find((x) => x.startsWith('Caller gave'))).toBe('Caller gave [LOCATION] and [LOCATION] for the refuge.');
  });

  it('police and IDVA keep their full view', () => {
    const idvaView = subjectOf(section(packs['safe-steps-idva']!, 'essex-police'), ids.v1);
    expect(JSON.stringify(idvaView.view)).toContain('9 Quarry Row');
    expect(idvaView.transformed.some((x: Json) => x.op === 'locationText')).toBe(false);
    const policeView = subjectOf(section(packs['essex-police']!, 'safe-steps-idva'), ids.v1);
    expect(policeView.view.idva.victimViews).toContain('9 Quarry Row');
    expect(policeView.view.subject.address.lines).toEqual(REFUGE.lines);
  });

  it('agency withheld notes never reach a reader (only the catalogued path and the reason code)', () => {
    const p = subjectOf(section(packs['essex-marat']!, 'essex-police'), ids.p1);
    expect(p.withheld).toContainEqual({ path: 'police.convictions', reason: 'THIRD_PARTY', by: 'agency' });
    expect(JSON.stringify(p)).not.toContain('held back');
  });

  it.each(NO_LOC.filter((a) => a !== 'essex-marat'))('the request going out to %s names no location of V', (agency) => {
    const m = pulled[agency]!;
    expect(m.request.subjects.length).toBe(3);
    expectNoLeak(m, `the request to ${agency}`);
  });

  it('the request to police and IDVA still carries the address and contact details', () => {
    for (const agency of ['essex-police', 'safe-steps-idva']) {
      const v = (pulled[agency]!.request.subjects as Json[]).find((s) => s.subjectId === ids.v1)!;
      expect(v.address.lines, agency).toEqual(REFUGE.lines);
      expect(v.contact.phone, agency).toBe(CONTACT.phone);
    }
  });

  it('VIEW_READ events list the paths cleared of location text, and hold no location', async () => {
    const rows = await auditRows(t, 'case_id = $1', [caseId]);
    const reads = rows.filter((r) => r.action === 'VIEW_READ');
    expect(reads.length).toBeGreaterThanOrEqual(NO_LOC.length);
    const coord = reads.find((r) => r.actor_id.includes('essex-marat') || JSON.stringify(r.event.actor ?? '').includes('essex-marat'));
    expect(coord, 'the coordinator read').toBeDefined();
    const cleared = (coord!.event.fieldsTransformed as Json[]).filter((f) => f.op === 'locationText').map((f) => f.path as string);
    expect(cleared).toContain(`essex-police/${ids.v1}/police.incidents[].summary`);
    expect(cleared).toContain(`essex-police/${ids.p1}/police.incidents[].summary`);
    expect(cleared).toContain('essex-police/envelope/agencyRiskSummary.text');
    expect(cleared).toContain('essex-police/envelope/proposedActions[].description');
    expect(coord!.event.ruleIds).toContain('G-LOCATION-IN-TEXT');
    for (const r of rows) expectNoLeak(r.canonical, `audit event ${r.seq} (${r.action})`);
  });

  it('a decline note naming the refuge is neither stored for readers nor audited', async () => {
    const rr = await requestResearch(t, caseId, ['chelmsford-housing']);
    expect(rr.status).toBe(201);
    const m = await pull(t, 'chelmsford-housing', rr.body.requestId);
    await t.as('chelmsford-housing').post(`/v1/inbox/${m!.messageId}/ack`);
    const d = await t.as('chelmsford-housing').post(`/v1/research-requests/${rr.body.requestId}/decline`,
      { reason: 'OTHER', note: 'She told us she is at 9 Quarry Row, CM19 4QD.' }, { 'Idempotency-Key': `decline-${m!.messageId}` });
    expect(d.status, JSON.stringify(d.body)).toBe(201);
    const pack = await readPack(t, 'essex-marat', caseId);
    expect(section(pack, 'chelmsford-housing', rr.body.requestId).declineReason).toBe('OTHER');
    expectNoLeak(pack, 'the coordinator (after a decline)');
    const status = await t.as('essex-marat').get(`/v1/research-requests/${rr.body.requestId}`);
    expectNoLeak(status.body, 'the request status');
    for (const r of await auditRows(t, 'case_id = $1', [caseId])) expectNoLeak(r.canonical, `audit event ${r.seq}`);
  });
});
