/**
 * Issue 12, class 1 (location-in-free-text), engine level: the G-LOCATION-IN-TEXT guardrail at
 * validation and at run time, the case-wide lexicon across subjects and directions, truncation,
 * and what the explanation (hence the audit event) says.
 */
import { describe, expect, it } from 'vitest';
import { compileAgreement, decide, loadGuardrails, redact, validateAgreement, type Agreement, type SubjectFacts } from '../../../gateway/src/policy/index.js';
import type { CaseLocations } from '../../../gateway/src/policy/location-context.js';
import { HMAC_KEY, catalog, compile, essexDoc, guardrails, guardrailsText, highRisk, party, permit } from './helpers.js';

const now = new Date('2026-12-10T10:00:00Z');
const VICTIM_SOURCE = { addressLines: ['Larkspur House', '9 Quarry Row', 'Harlow'], postcode: 'CM19 4QD', uprn: '100090001234', phones: ['07700 900456'] };
const CASE: CaseLocations = {
  subjects: [
    { subjectId: 'v', role: 'VICTIM', addressConfidential: true, sources: [VICTIM_SOURCE] },
    { subjectId: 'p', role: 'PERPETRATOR', addressConfidential: false, sources: [] },
  ],
};
const NOT_CONFIDENTIAL: CaseLocations = { subjects: CASE.subjects.map((s) => ({ ...s, addressConfidential: false })) };

const perp: SubjectFacts = { role: 'PERPETRATOR', art9Conditions: ['DPA_SCH1_P10'], art10Conditions: ['DPA_SCH1_P10'], careAndSupportNeeds: false, consentStatus: 'NOT_SOUGHT_UNSAFE', isAdult: true };
const victim: SubjectFacts = { ...perp, role: 'VICTIM', addressConfidential: true };

const policeDoc = (summary: string, subjectId = 'p') => ({
  subjectId, match: { status: 'MATCHED', confidence: 1, matchedOn: ['pnc-id'] }, knownToAgency: true,
  police: { incidents: [{ date: '2026-11-30', type: 'INCIDENT', summary }], officerInCharge: { name: 'DC Example', contact: 'Desk at 9 Quarry Row' } },
});

/** The sample agreement with police summaries to housing released as `release`. */
function withHousingSummary(release: unknown): Agreement {
  const doc = essexDoc();
  const f = doc.flows.find((x) => x.id === 'police-to-health-and-housing')!;
  (f.release as Record<string, unknown>)['police.incidents[].summary'] = release;
  return doc;
}

function conflicts(doc: Agreement, g = guardrails) {
  return validateAgreement(doc, { catalog, guardrails: g }).filter((p) => p.code === 'GUARDRAIL_CONFLICT');
}

describe('location-in-free-text: the G-LOCATION-IN-TEXT guardrail', () => {
  it.each([['keep'], [{ truncate: 280 }], [[{ truncate: 100 }, { truncate: 50 }]]])('validation names it for free text to housing released as %j', (release) => {
    const ps = conflicts(withHousingSummary(release));
    const ours = ps.filter((p) => p.guardrailId === 'G-LOCATION-IN-TEXT');
    expect(ours).toHaveLength(1);
    expect(ours[0]!.path).toMatch(/\/flows\/\d+\/release\/police\.incidents\[\]\.summary$/);
    expect(ours[0]!.message).toMatch(/HOUSING/);
  });

  it.each([[['scrub', { truncate: 280 }]], ['scrub'], ['drop'], ['booleanise'], ['count']])('validation accepts %j', (release) => {
    expect(conflicts(withHousingSummary(release)).filter((p) => p.guardrailId === 'G-LOCATION-IN-TEXT')).toEqual([]);
  });

  it('validation does not name it for police or IDVA (they hold the location), nor for other flows', () => {
    const doc = essexDoc();
    (doc.flows.find((x) => x.id === 'police-to-idva')!.release as Record<string, unknown>)['police.incidents[].summary'] = { truncate: 280 };
    const ps = conflicts(doc);
    expect(ps.some((p) => p.guardrailId === 'G-LOCATION-IN-TEXT')).toBe(false);
    expect(ps.some((p) => p.guardrailId === 'G-FREE-TEXT')).toBe(true);
    expect(conflicts(essexDoc())).toEqual([]);
  });

  describe('at run time, whatever validation said', () => {
    // Free text exempt from G-FREE-TEXT for housing: only the new guardrail stands in the way.
    const lenient = loadGuardrails(guardrailsText.replace('exemptRecipients: []', 'exemptRecipients: [HOUSING]'));
    const compiled = compileAgreement(withHousingSummary('keep'), { catalog, guardrails: lenient, status: 'active', version: 1 });
    const d = permit(decide({ agreements: [compiled], now, purpose: 'MARAC_RESEARCH', direction: 'response', from: party('essex-police', 'POLICE'), to: party('chelmsford-housing', 'HOUSING'), caseFacts: highRisk }));

    it('validation of that agreement under those guardrails names only G-LOCATION-IN-TEXT', () => {
      expect(conflicts(withHousingSummary('keep'), lenient).map((p) => p.guardrailId)).toEqual(['G-LOCATION-IN-TEXT']);
    });
    it('withholds unscrubbed free text with GUARDRAIL_LOCATION_IN_TEXT while an address on the case is confidential (even in the perpetrator\u2019s record)', () => {
      const r = redact(d.plan, policeDoc('Seen at the library'), perp, { now, hmacKey: HMAC_KEY, locations: CASE });
      expect(r.view.police).not.toHaveProperty('incidents.0.summary');
      expect(r.explanation.withheld).toContainEqual({ path: 'police.incidents[0].summary', reason: 'GUARDRAIL_LOCATION_IN_TEXT', ruleId: 'G-LOCATION-IN-TEXT' });
    });
    it('the subject\u2019s own confidential address is enough without case knowledge', () => {
      const r = redact(d.plan, policeDoc('Seen at the library', 'v'), victim, { now, hmacKey: HMAC_KEY });
      expect(r.explanation.withheld.map((w) => w.reason)).toContain('GUARDRAIL_LOCATION_IN_TEXT');
    });
    it('releases it when no address on the case is confidential (the lexicon still clears known locations)', () => {
      const r = redact(d.plan, policeDoc('Seen at 9 Quarry Row again'), perp, { now, hmacKey: HMAC_KEY, locations: NOT_CONFIDENTIAL });
      const s = (r.view as any).police.incidents[0].summary as string;
      expect(s).toContain('[LOCATION]');
      expect(s).not.toMatch(/9\s*Quarry/i);
    });
  });
});

describe('location-in-free-text: the case-wide lexicon in the engine', () => {
  const essex = compile(essexDoc());
  const toCoordinator = permit(decide({ agreements: [essex], now, purpose: 'MARAC_RESEARCH', direction: 'response', from: party('essex-police', 'POLICE'), to: party('essex-marat', 'MARAC_COORDINATOR'), caseFacts: highRisk }));
  const toIdva = permit(decide({ agreements: [essex], now, purpose: 'MARAC_RESEARCH', direction: 'response', from: party('essex-police', 'POLICE'), to: party('safe-steps-idva', 'IDVA'), caseFacts: highRisk }));

  it('the victim\u2019s address in the perpetrator\u2019s record is cleared for the coordinator, and the audit explanation names the path', () => {
    const r = redact(toCoordinator.plan, policeDoc('Suspect loitering outside Larkspur House, 9 Quarry Row, Harlow CM19 4QD'), perp, { now, hmacKey: HMAC_KEY, locations: CASE });
    const s = (r.view as any).police.incidents[0].summary as string;
    expect(s).not.toMatch(/quarry|larkspur|cm19/i);
    expect(r.explanation.transformed).toContainEqual({ path: 'police.incidents[0].summary', op: 'locationText', ruleId: 'G-LOCATION-IN-TEXT' });
    expect(r.explanation.ruleIds).toContain('G-LOCATION-IN-TEXT');
    expect(JSON.stringify(r.explanation)).not.toMatch(/quarry/i);
  });

  it('truncation cannot cut a location so that part of it survives', () => {
    // truncate 500 for the coordinator: the address straddles the cut.
    for (let pad = 470; pad <= 500; pad += 3) {
      const r = redact(toCoordinator.plan, policeDoc(`${'x'.repeat(pad)} 9 Quarry Row, Harlow`), perp, { now, hmacKey: HMAC_KEY, locations: CASE });
      const s = (r.view as any).police.incidents[0].summary as string;
      expect(s, `pad ${pad}`).not.toMatch(/\b9\s+Quar/i);
    }
  });

  it('other free-form text (an officer\u2019s contact line) is cleared of the case\u2019s locations too', () => {
    const r = redact(toCoordinator.plan, policeDoc('Nothing'), perp, { now, hmacKey: HMAC_KEY, locations: CASE });
    expect(JSON.stringify((r.view as any).police.officerInCharge)).not.toMatch(/9 Quarry Row/);
  });

  it('IDVA keeps the text whole', () => {
    const r = redact(toIdva.plan, policeDoc('Suspect outside 9 Quarry Row', 'v'), victim, { now, hmacKey: HMAC_KEY, locations: CASE });
    expect((r.view as any).police.incidents[0].summary).toBe('Suspect outside 9 Quarry Row');
    expect(r.explanation.transformed.some((t) => t.op === 'locationText')).toBe(false);
  });

  it('a location an agency tagged in one subject result is cleared from another result of the same response', () => {
    const refuge = { subjectId: 'v', match: { status: 'MATCHED' }, subject: { address: { lines: ['Flat 3, 12 Heron Walk', 'Basildon'], postcode: 'SS14 1AB', confidential: true } } };
    const locs: CaseLocations = { subjects: NOT_CONFIDENTIAL.subjects, documents: [{ subjectId: 'v', doc: refuge }] };
    const r = redact(toCoordinator.plan, policeDoc('He went to 12 Heron Walk, SS14 1AB'), perp, { now, hmacKey: HMAC_KEY, locations: locs });
    expect((r.view as any).police.incidents[0].summary).not.toMatch(/12\s+Heron|SS14\s*1AB/i);
  });

  it('the request direction: a perpetrator\u2019s safe times naming the victim\u2019s refuge reach housing cleared', () => {
    const doc = essexDoc();
    doc.flows.push({
      id: 'request-housing-perp-safe-times', from: { role: 'coordinator' }, to: { type: 'HOUSING' }, direction: 'request',
      when: { subjectRoles: ['PERPETRATOR'] }, release: { subjectId: 'keep', 'subject.contact.safeTimes': 'scrub' },
    });
    const a = compile(doc);
    const d = permit(decide({ agreements: [a], now, purpose: 'MARAC_RESEARCH', direction: 'request', from: party('essex-marat', 'MARAC_COORDINATOR'), to: party('chelmsford-housing', 'HOUSING'), caseFacts: highRisk }));
    const r = redact(d.plan, { subjectId: 'p', subject: { contact: { safeTimes: 'Evenings, usually near 9 Quarry Row or at Larkspur House' } } }, perp, { now, hmacKey: HMAC_KEY, locations: CASE });
    const s = (r.view as any).subject.contact.safeTimes as string;
    expect(s).not.toMatch(/quarry|larkspur/i);
    expect(s).toContain('[LOCATION]');
  });
});
