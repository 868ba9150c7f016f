/**
 * Issue 12, class 6: a transform of a parent (booleanise, count...) must not reveal what a
 * guardrail withholds below it. One rule over every guardrail kind and every aggregating operator.
 */
import { describe, expect, it } from 'vitest';
import { compileAgreement, decide, redact, type Agreement, type SubjectFacts } from '../../../gateway/src/policy/index.js';
import { HMAC_KEY, catalog, facts, guardrails, party, permit, smallCatalog, tinyAgreement } from './helpers.js';

const now = new Date('2026-06-15T12:00:00Z');
const caseFacts = { maracArea: 'x', riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 20 } };
const MH = party('mh', 'HEALTH_MENTAL');
const HOUSING = party('housing', 'HOUSING');
const ACUTE = party('acute', 'HEALTH_ACUTE');
const matched = { status: 'MATCHED' };

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** A flow from `from` to `to` over the real message catalog. */
function realRun(release: Record<string, unknown>, doc: Record<string, unknown>, subject: Partial<SubjectFacts>, to = HOUSING, from = MH) {
  const over: Partial<Agreement> = {
    parties: [
      { agency: 'coord', type: 'MARAC_COORDINATOR', role: 'coordinator' },
      { agency: from.agencyId, type: from.agencyType },
      { agency: to.agencyId, type: to.agencyType },
    ],
    flows: [{ id: 'f1', from: { type: from.agencyType }, to: { type: to.agencyType }, direction: 'response', release: release as never }],
  };
  const a = compileAgreement(tinyAgreement({}, over), { catalog, guardrails, status: 'active', version: 1 });
  const d = permit(decide({ agreements: [a], now, purpose: 'MARAC_RESEARCH', direction: 'response', from, to, caseFacts }));
  return redact(d.plan, deepFreeze(doc), facts(subject), { now, hmacKey: HMAC_KEY });
}

const perpetrator: Partial<SubjectFacts> = { role: 'PERPETRATOR' };

describe('guard-filter: an aggregate of a parent never reveals what a guardrail withholds below it', () => {
  it('health: booleanise does not tell housing the perpetrator is known to mental health when riskToOthersConcern is false', () => {
    const doc = { match: matched, health: { mentalHealth: { openToSecondaryMH: true, riskToSelf: false, riskToOthersConcern: false } } };
    const { view, explanation } = realRun({ match: 'keep', health: 'booleanise' }, doc, perpetrator);
    expect(view).toEqual({ match: matched });
    expect(explanation.withheld).toContainEqual({ path: 'health', reason: 'GUARDRAIL_MENTAL_HEALTH', ruleId: 'G-PERPETRATOR-MENTAL-HEALTH' });
    expect(explanation.withheld).toContainEqual({ path: 'health.mentalHealth', reason: 'GUARDRAIL_MENTAL_HEALTH', ruleId: 'G-PERPETRATOR-MENTAL-HEALTH' });
    expect(explanation.transformed.find((x) => x.path === 'health')).toBeUndefined();
  });

  it('the rest of the parent still counts: the flag is computed without the withheld part', () => {
    const doc = { match: matched, health: { substanceMisuseServiceOpen: false, mentalHealth: { openToSecondaryMH: true, riskToOthersConcern: false } } };
    const { view, explanation } = realRun({ match: 'keep', health: 'booleanise' }, doc, perpetrator);
    // Without the filter this was `true`, from the mental-health record alone.
    expect(view.health).toBe(false);
    expect(explanation.transformed).toContainEqual({ path: 'health', op: 'booleanise', ruleId: 'f1#health' });
    expect(explanation.withheld).toContainEqual({ path: 'health.mentalHealth', reason: 'GUARDRAIL_MENTAL_HEALTH', ruleId: 'G-PERPETRATOR-MENTAL-HEALTH' });
    const other = { match: matched, health: { substanceMisuseServiceOpen: true, mentalHealth: { openToSecondaryMH: true, riskToOthersConcern: false } } };
    expect(realRun({ match: 'keep', health: 'booleanise' }, other, perpetrator).view.health).toBe(true);
  });

  it('with a risk-to-others concern the guardrail does not act, and the parent is booleanised whole', () => {
    const doc = { match: matched, health: { mentalHealth: { openToSecondaryMH: true, riskToOthersConcern: true } } };
    const { view, explanation } = realRun({ match: 'keep', health: 'booleanise' }, doc, perpetrator);
    expect(view.health).toBe(true);
    expect(explanation.withheld.filter((x) => x.path.startsWith('health'))).toEqual([]);
  });

  it('a health recipient is not affected (the guardrails allow it)', () => {
    const doc = { match: matched, health: { mentalHealth: { openToSecondaryMH: true, riskToOthersConcern: false, diagnosis: 'x' } } };
    expect(realRun({ match: 'keep', health: 'booleanise' }, doc, perpetrator, ACUTE).view.health).toBe(true);
  });

  it('works the same one level down and for other guardrails: a diagnosis alone does not make mentalHealth true', () => {
    const doc = { match: matched, health: { mentalHealth: { diagnosis: 'Fictional diagnosis' } } };
    const { view, explanation } = realRun({ match: 'keep', 'health.mentalHealth': 'booleanise' }, doc, { role: 'VICTIM' });
    expect(view).toEqual({ match: matched });
    // A diagnosis is clinical narrative and a mental-health diagnosis; the first guardrail in order names it.
    const guarded = expect.stringMatching(/^G-(CLINICAL-NARRATIVE|MENTAL-HEALTH-DIAGNOSIS)$/);
    expect(explanation.withheld).toContainEqual({ path: 'health.mentalHealth.diagnosis', reason: expect.stringMatching(/^GUARDRAIL_/), ruleId: guarded });
    expect(explanation.withheld).toContainEqual({ path: 'health.mentalHealth', reason: expect.stringMatching(/^GUARDRAIL_/), ruleId: guarded });
  });

  it('clinical narrative and diagnoses lists are taken out before booleanise', () => {
    const doc = { match: matched, health: { clinicalNarrative: 'Fictional narrative', diagnoses: ['a', 'b'] } };
    const { view, explanation } = realRun({ match: 'keep', health: 'booleanise' }, doc, { role: 'VICTIM' });
    expect(view).toEqual({ match: matched });
    expect(explanation.withheld).toContainEqual({ path: 'health.clinicalNarrative', reason: 'GUARDRAIL_CLINICAL_NARRATIVE', ruleId: 'G-CLINICAL-NARRATIVE' });
    expect(explanation.withheld).toContainEqual(expect.objectContaining({ path: 'health.diagnoses', ruleId: expect.stringMatching(/^G-(CLINICAL-NARRATIVE|MENTAL-HEALTH-DIAGNOSIS)$/) }));
  });
});

describe('guard-filter over a small catalog: every aggregating operator', () => {
  const cat = smallCatalog([
    { path: 'notes', type: 'array', itemType: 'object', sensitivity: [], clinicalNarrative: false },
    { path: 'notes[].text', type: 'string', sensitivity: [], clinicalNarrative: true },
    { path: 'notes[].kind', type: 'string', sensitivity: [], clinicalNarrative: false },
    { path: 'box', type: 'object', sensitivity: [], clinicalNarrative: false },
    { path: 'box.narrative', type: 'string', sensitivity: [], clinicalNarrative: true },
    { path: 'box.count', type: 'integer', sensitivity: [], clinicalNarrative: false },
  ]);
  const POLICE = party('police', 'POLICE');
  const COORD = party('coord', 'MARAC_COORDINATOR');

  function run(release: Record<string, unknown>, doc: Record<string, unknown>, subject: Partial<SubjectFacts> = {}) {
    const a = compileAgreement(tinyAgreement(release), { catalog: cat, guardrails, status: 'active', version: 1 });
    const d = permit(decide({ agreements: [a], now, purpose: 'MARAC_RESEARCH', direction: 'response', from: POLICE, to: COORD, caseFacts }));
    return redact(d.plan, deepFreeze(doc), facts(subject), { now, hmacKey: HMAC_KEY });
  }

  it('count of a list whose items hold only guarded content is withheld, not 0 and not the true count', () => {
    const { view, explanation } = run({ notes: 'count' }, { match: matched, notes: [{ text: 'a' }, { text: 'b' }] });
    expect(view.notes).toBeUndefined();
    expect(explanation.withheld).toContainEqual({ path: 'notes', reason: 'GUARDRAIL_CLINICAL_NARRATIVE', ruleId: 'G-CLINICAL-NARRATIVE' });
    expect(explanation.withheld).toContainEqual({ path: 'notes[0].text', reason: 'GUARDRAIL_CLINICAL_NARRATIVE', ruleId: 'G-CLINICAL-NARRATIVE' });
  });

  it('count keeps the items that still hold something', () => {
    const { view } = run({ notes: 'count' }, { match: matched, notes: [{ text: 'a' }, { text: 'b', kind: 'visit' }, { kind: 'call' }] });
    expect(view.notes).toBe(2);
  });

  it('count after a window or limit counts only what the guardrails leave', () => {
    const { view } = run({ notes: [{ limit: { top: 5, by: 'kind' } }, 'count'] }, { match: matched, notes: [{ text: 'a' }, { kind: 'x' }] });
    expect(view.notes).toBe(1);
  });

  it('booleanise of an object whose only content is guarded is withheld; with other content it reflects only that', () => {
    expect(run({ box: 'booleanise' }, { match: matched, box: { narrative: 'x' } }).view.box).toBeUndefined();
    expect(run({ box: 'booleanise' }, { match: matched, box: { narrative: 'x', count: 0 } }).view.box).toBe(false);
    expect(run({ box: 'booleanise' }, { match: matched, box: { narrative: 'x', count: 3 } }).view.box).toBe(true);
  });

  it('a key the catalog does not know is not counted either', () => {
    const { view, explanation } = run({ plain: 'booleanise' }, { match: matched, plain: { secret: 'y' } });
    expect(view.plain).toBeUndefined();
    expect(explanation.withheld).toContainEqual({ path: 'plain.secret', reason: 'NOT_IN_AGREEMENT', ruleId: 'DEFAULT_DENY' });
  });

  it('a generalising guardrail (location) does not stop a generalising aggregate: booleanise of the subject still says a record exists', () => {
    const { view } = run({ subject: 'booleanise' }, { match: matched, subject: { address: { postcode: 'CM1 1AA' } } });
    expect(view.subject).toBe(true);
  });

  it('nothing guarded below: the value is aggregated as before', () => {
    expect(run({ plain: 'booleanise' }, { match: matched, plain: { a: 'x' } }).view.plain).toBe(true);
    expect(run({ items: 'count' }, { match: matched, items: [{ kind: 'A' }, { kind: 'B' }] }).view.items).toBe(2);
    expect(run({ box: 'booleanise' }, { match: matched, box: {} }).view.box).toBe(false);
  });
});
