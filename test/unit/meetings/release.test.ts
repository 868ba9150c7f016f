/**
 * Minutes, actions and the circulated pack released per agency under MARAC_ACTION_REVIEW, over
 * the real sample agreement (policies/essex-marat.yaml), guardrails and catalog.
 */
import { describe, expect, it } from 'vitest';
import { caseWideSubject, ownAnswer, releaseActions, releaseAnswer, releaseMinutes } from '../../../gateway/src/meetings/release.js';
import type { CaseAction, MinutesDocument } from '../../../gateway/src/meetings/types.js';
import { compile, essexDoc } from '../policy/helpers.js';
import { COORDINATOR, PARTY_TYPES, decideFor, engineRedact, now, partyOf, subject } from './release-helpers.js';

const subjects = [subject('sub_victim', 'VICTIM', { addressConfidential: true }), subject('sub_perp', 'PERPETRATOR')];
const locations = {
  subjects: [
    { subjectId: 'sub_victim', role: 'VICTIM' as const, addressConfidential: true, sources: [{ addressLines: ['Haven House', '14 Quarry Row'], postcode: 'CM19 4QD', phones: ['07700 900123'] }] },
    { subjectId: 'sub_perp', role: 'PERPETRATOR' as const, addressConfidential: false, sources: [] },
  ],
};

const minutes: MinutesDocument = {
  victimVoice: 'She wants the locks changed at 14 Quarry Row before he is released.',
  risks: 'Escalating threats; he knows she is at Haven House, CM19 4QD.',
  decisions: 'Police to flag the address; housing to expedite the transfer.',
  crimesDisclosed: 'Breach of a non-molestation order on 3 November.',
  informationShared: [{ agencyId: 'essex-police', requestId: `req_${'a'.repeat(32)}`, note: 'Police shared three incidents.' }, { agencyId: '14 Quarry Row' }],
  notShared: [{ what: 'The refuge phone number', why: 'Safety: only IDVA holds it' }],
};

const action = (id: string, owner: string, description: string, over: Partial<CaseAction> = {}): CaseAction => ({
  id, caseId: 'cas_1', meetingId: 'mtg_1', kind: 'ACTION', ownerAgencyId: owner, dueOn: '2026-12-20', status: 'OPEN', description, updates: [], ...over,
});
const actions: CaseAction[] = [
  action('act_1', 'essex-police', 'Place a marker on 14 Quarry Row.', { updates: [{ at: '2026-12-11T09:00:00.000Z', byAgencyId: 'essex-police', status: 'OPEN', note: 'Marker requested; call 07700 900123 first.' }] }),
  action('act_2', 'chelmsford-housing', 'Expedite the management transfer.'),
  action('act_3', 'safe-steps-idva', 'Tell the survivor the outcome.', { kind: 'SURVIVOR_FEEDBACK' }),
];

function minutesFor(t: Parameters<typeof partyOf>[0]) {
  const to = partyOf(t);
  return releaseMinutes({
    decision: decideFor(to), redact: engineRedact, now, recipientAgencyId: to.agencyId, subjects, locations,
    caseId: 'cas_1', meetingId: 'mtg_1', minutes, actions,
  });
}

describe('releaseMinutes per agency (MARAC_ACTION_REVIEW)', () => {
  it('every party of the sample agreement has a flow: each gets the risks and the decisions, scrubbed', () => {
    for (const t of PARTY_TYPES) {
      const r = minutesFor(t);
      expect(r.decision, t).not.toBe('DENY');
      expect(r.released.minutes.decisions, t).toBeDefined();
      expect(r.released.minutes.risks, t).toBeDefined();
      expect(r.released.recipientAgencyId).toBe(partyOf(t).agencyId);
    }
  });

  it('housing: no victim voice, no crimes, no notes; its own action in full, the others as owner, due and status', () => {
    const r = minutesFor('HOUSING');
    expect(r.released.minutes.victimVoice).toBeUndefined();
    expect(r.released.minutes.crimesDisclosed).toBeUndefined();
    expect(r.released.minutes.notShared).toBeUndefined();
    expect(r.released.minutes.informationShared).toEqual([{ agencyId: 'essex-police', requestId: `req_${'a'.repeat(32)}` }]);
    expect(r.released.actions.map((a) => a.id)).toEqual(['act_1', 'act_2', 'act_3']);
    const [police, own, idva] = r.released.actions;
    expect(own!.description).toContain('Expedite');
    expect(police).toEqual({ id: 'act_1', meetingId: 'mtg_1', kind: 'ACTION', ownerAgencyId: 'essex-police', dueOn: '2026-12-20', status: 'OPEN' });
    expect(idva!.description).toBeUndefined();
    expect(r.released.withheld).toContainEqual({ path: 'minutes.victimVoice', reason: 'NOT_IN_AGREEMENT' });
    expect(r.released.withheld).toContainEqual({ path: 'actions[0].description', reason: 'NOT_IN_AGREEMENT' });
    expect(r.released.withheld).toContainEqual({ path: 'actions[0].updates', reason: 'NOT_IN_AGREEMENT' });
    expect(r.released.withheld).toContainEqual({ path: 'minutes.informationShared[1].agencyId', reason: 'TYPE_MISMATCH' });
    // The refuge, its postcode and the phone never reach housing, in any field.
    const text = JSON.stringify(r.released);
    for (const leak of ['Quarry Row', 'Haven House', 'CM19', '4QD', '900123']) expect(text, leak).not.toContain(leak);
    expect(r.explanation.transformed.some((x) => x.op === 'locationText')).toBe(true);
  });

  it('police and IDVA: the victim voice, crimes disclosed and every action in full; IDVA is not police', () => {
    const police = minutesFor('POLICE');
    const idva = minutesFor('IDVA');
    for (const r of [police, idva]) {
      expect(r.released.minutes.victimVoice).toContain('locks changed');
      expect(r.released.minutes.crimesDisclosed).toContain('non-molestation');
      expect(r.released.minutes.notShared).toHaveLength(1);
      expect(r.released.actions.every((a) => typeof a.description === 'string')).toBe(true);
      expect(r.released.actions[0]!.updates![0]!.note).toContain('Marker requested');
      // Scrubbed all the same: a phone number is an identifier.
      expect(JSON.stringify(r.released)).not.toContain('900123');
    }
    expect(police.released.recipientAgencyId).not.toBe(idva.released.recipientAgencyId);
  });

  it('probation: crimes disclosed, not the victim voice', () => {
    const r = minutesFor('PROBATION');
    expect(r.released.minutes.crimesDisclosed).toBeDefined();
    expect(r.released.minutes.victimVoice).toBeUndefined();
  });

  it('crimes disclosed need an Art 10 condition for every subject (G-CRIMINAL-OFFENCE); police may rely on Sch 8', () => {
    const noArt10 = [subject('sub_victim', 'VICTIM', { part3Sch8: ['SCH8_P1'] }), subject('sub_perp', 'PERPETRATOR', { art10Conditions: [], part3Sch8: ['SCH8_P1'] })];
    const run = (t: 'PROBATION' | 'POLICE') => releaseMinutes({
      decision: decideFor(partyOf(t)), redact: engineRedact, now, recipientAgencyId: partyOf(t).agencyId, subjects: noArt10, locations,
      caseId: 'cas_1', meetingId: 'mtg_1', minutes, actions: [],
    });
    expect(run('PROBATION').released.minutes.crimesDisclosed).toBeUndefined();
    expect(run('PROBATION').released.withheld).toContainEqual({ path: 'minutes.crimesDisclosed', reason: 'NO_ART10_CONDITION' });
    expect(run('POLICE').released.minutes.crimesDisclosed).toBeDefined();
  });

  it('default deny: a recipient with no flow, a non-party, the coordinator itself, a suspended agreement get nothing', () => {
    const withoutHousing = essexDoc();
    withoutHousing.flows = withoutHousing.flows.filter((f) => f.id !== 'minutes-to-housing');
    const denials = [
      decideFor(partyOf('HOUSING'), compile(withoutHousing)),
      decideFor({ agencyId: 'essex-drug-service', agencyType: 'SUBSTANCE_MISUSE' }),
      decideFor(COORDINATOR),
      decideFor(partyOf('POLICE'), compile(essexDoc(), 'suspended')),
    ];
    for (const d of denials) {
      expect(d.effect).toBe('DENY');
      const r = releaseMinutes({ decision: d, redact: engineRedact, now, recipientAgencyId: 'x', subjects, locations, caseId: 'cas_1', meetingId: 'mtg_1', minutes, actions });
      expect(r.released.minutes).toEqual({});
      expect(r.released.actions).toEqual([]);
      expect(r.decision).toBe('DENY');
      expect(r.released.withheld.map((w) => w.path)).toEqual(['minutes', 'actions']);
    }
  });

  it('never one copy for all: every two parties with different flows get different views', () => {
    const views = new Map(PARTY_TYPES.map((t) => [t, JSON.stringify({ ...minutesFor(t).released, recipientAgencyId: '' })]));
    expect(views.get('HOUSING')).not.toBe(views.get('POLICE'));
    expect(views.get('HOUSING')).not.toBe(views.get('PROBATION'));
    expect(views.get('PROBATION')).not.toBe(views.get('IDVA'));
    // Even two parties under the same flow text differ: each has its own actions in full.
    expect(views.get('HOUSING')).not.toBe(views.get('HEALTH_ACUTE'));
  });
});

describe('releaseActions', () => {
  it('an owner sees its own action in full; others see owner, due and status', () => {
    const to = partyOf('CHILDRENS_SOCIAL_CARE');
    const mine = action('act_9', to.agencyId, 'Strategy discussion within 5 days.');
    const r = releaseActions({ decision: decideFor(to), redact: engineRedact, now, recipientAgencyId: to.agencyId, subjects, locations, actions: [...actions, mine] });
    expect(r.actions.find((a) => a.id === 'act_9')!.description).toContain('Strategy');
    expect(r.actions.filter((a) => a.description !== undefined)).toHaveLength(1);
  });
});

describe('caseWideSubject', () => {
  it('keeps only what every subject allows', () => {
    const s = caseWideSubject([
      subject('a', 'VICTIM', { art10Conditions: ['DPA_SCH1_P10', 'DPA_SCH1_P18'], careAndSupportNeeds: true }),
      subject('b', 'CHILD', { art10Conditions: ['DPA_SCH1_P18'], isAdult: false, addressConfidential: true }),
    ]);
    expect(s.art10Conditions).toEqual(['DPA_SCH1_P18']);
    expect(s.careAndSupportNeeds).toBe(true);
    expect(s.addressConfidential).toBe(true);
    expect(caseWideSubject([subject('a', 'VICTIM'), subject('b', 'PERPETRATOR', { careAndSupportNeeds: true })]).careAndSupportNeeds).toBe(false);
  });
});

describe('the circulated pack', () => {
  const body = {
    subjectResults: [{
      subjectId: 'sub_perp', match: { status: 'MATCHED', confidence: 1, matchedOn: ['name'] }, knownToAgency: true,
      police: { incidentCount12m: 4, incidents: [{ date: '2026-11-20', type: 'DOMESTIC', summary: 'Attended 14 Quarry Row after a call from 07700 900123.' }], convictions: [{ category: 'VIOLENCE', date: '2024-05-01' }] },
      withheld: [{ fieldPath: 'police.intelligence', reason: 'OPERATIONAL' }],
    }],
    agencyRiskSummary: { text: 'High risk; she is at Haven House.', isOpinion: true },
  };
  const byId = new Map(subjects.map((s) => [s.subjectId, s]));

  it("housing gets police's answer onward under MARAC_ACTION_REVIEW: count and recent incidents, no convictions, no refuge", () => {
    const to = partyOf('HOUSING');
    const r = releaseAnswer({ decision: decideFor(to, undefined, partyOf('POLICE')), redact: engineRedact, now, recipientAgencyId: to.agencyId, subjects, locations, body });
    expect(r.decision).toBe('PERMIT_WITH_TRANSFORMS');
    const v = r.subjects[0]!.view as Record<string, any>;
    expect(v.police.incidentCount12m).toBe(4);
    expect(v.police.convictions).toBeUndefined();
    const text = JSON.stringify(r);
    for (const leak of ['Quarry Row', 'Haven House', '900123']) expect(text).not.toContain(leak);
    expect(r.subjects[0]!.withheld).toContainEqual({ path: 'police.intelligence', reason: 'OPERATIONAL', by: 'agency' });
  });

  it('the recipient\'s own answer comes back in full', () => {
    const own = ownAnswer(body, byId);
    expect((own.subjects[0]!.view as any).police.incidents[0].summary).toContain('Quarry Row');
    expect(own.envelope).toEqual({ agencyRiskSummary: body.agencyRiskSummary });
  });

  it('a DENY releases nothing', () => {
    const r = releaseAnswer({ decision: { effect: 'DENY', reason: 'NO_FLOW_FOR_PAIR' }, redact: engineRedact, now, recipientAgencyId: 'x', subjects, locations, body });
    expect(r.subjects).toEqual([]);
    expect(r.envelope).toBeUndefined();
    expect(r.decision).toBe('DENY');
  });
});
