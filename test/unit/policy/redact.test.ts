import { describe, expect, it } from 'vitest';
import {
  NotARedactionPlan, compileAgreement, decide, redact, type Agreement, type SubjectFacts,
} from '../../../gateway/src/policy/index.js';
import { HMAC_KEY, facts, guardrails, party, permit, smallCatalog, tinyAgreement } from './helpers.js';

const now = new Date('2026-06-15T12:00:00Z');
const cat = smallCatalog();
const POLICE = party('police', 'POLICE');
const COORD = party('coord', 'MARAC_COORDINATOR');
const caseFacts = { maracArea: 'x', riskBasis: { criteria: ['VISIBLE_HIGH_RISK'], dashScore: 20 } };

function run(release: Record<string, unknown>, doc: Record<string, unknown>, subject: Partial<SubjectFacts> = {}, over: Partial<Agreement> = {}, to = COORD) {
  const a = compileAgreement(tinyAgreement(release, over), { catalog: cat, guardrails, status: 'active', version: 1 });
  const d = permit(decide({ agreements: [a], now, purpose: 'MARAC_RESEARCH', direction: 'response', from: POLICE, to, caseFacts }));
  return redact(d.plan, doc, facts(subject), { now, hmacKey: HMAC_KEY });
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

const matched = { status: 'MATCHED' };
/** Most tests do not release `match`; leave its NOT_IN_AGREEMENT line out of comparisons. */
const noMatch = <T extends { path: string }>(w: T[]) => w.filter((x) => x.path !== 'match');

describe('redact: default deny', () => {
  it('releases only the paths the plan names; everything else is withheld NOT_IN_AGREEMENT', () => {
    const { view, explanation } = run({ subjectId: 'keep', 'plain.a': 'keep' },
      { subjectId: 's1', match: matched, plain: { a: 'x', b: 2 }, knownToAgency: true });
    expect(view).toEqual({ subjectId: 's1', plain: { a: 'x' } });
    expect(explanation.released).toEqual([
      { path: 'subjectId', ruleId: 'f1#subjectId' },
      { path: 'plain.a', ruleId: 'f1#plain.a' },
    ]);
    expect(explanation.withheld).toEqual([
      { path: 'match', reason: 'NOT_IN_AGREEMENT', ruleId: 'DEFAULT_DENY' },
      { path: 'plain.b', reason: 'NOT_IN_AGREEMENT', ruleId: 'DEFAULT_DENY' },
      { path: 'knownToAgency', reason: 'NOT_IN_AGREEMENT', ruleId: 'DEFAULT_DENY' },
    ]);
  });

  it('drops keys the catalog does not know, even under a kept container, and never echoes a key that is not a name', () => {
    const { view, explanation } = run({ plain: 'keep', match: 'keep' },
      { match: matched, plain: { a: 'x', secret: 'y', '12 Acacia Road': 'z' }, extra: 1 });
    expect(view).toEqual({ match: matched, plain: { a: 'x' } });
    expect(noMatch(explanation.withheld)).toEqual([
      { path: 'plain.secret', reason: 'NOT_IN_AGREEMENT', ruleId: 'DEFAULT_DENY' },
      { path: 'plain.<invalid-key>', reason: 'NOT_IN_AGREEMENT', ruleId: 'DEFAULT_DENY' },
      { path: 'extra', reason: 'NOT_IN_AGREEMENT', ruleId: 'DEFAULT_DENY' },
    ]);
    expect(JSON.stringify(explanation)).not.toContain('Acacia');
  });

  it('an explicit drop is withheld DROPPED_BY_RULE with its rule', () => {
    const { view, explanation } = run({ 'plain.a': 'drop', 'plain.b': 'keep' }, { match: matched, plain: { a: 'x', b: 1 } });
    expect(view).toEqual({ plain: { b: 1 } });
    expect(explanation.withheld).toContainEqual({ path: 'plain.a', reason: 'DROPPED_BY_RULE', ruleId: 'f1#plain.a' });
  });

  it('never mutates the input', () => {
    const doc = deepFreeze({ match: matched, items: [{ date: '2026-05-01', kind: 'A', text: 'x', rank: 1 }, { date: '2020-01-01', kind: 'B', rank: 2 }] });
    const before = JSON.stringify(doc);
    run({ items: [{ window: { months: 12, on: 'date' } }, { limit: { top: 1, by: 'rank' } }], 'items[].date': { date: 'month' } }, doc);
    expect(JSON.stringify(doc)).toBe(before);
  });

  it('the view shares no mutable structure with the input', () => {
    const doc = { match: matched, tags: ['a', 'b'], plain: { a: 'x' } };
    const { view } = run({ tags: 'keep', plain: 'keep' }, doc);
    expect(view.tags).toEqual(['a', 'b']);
    expect(view.tags).not.toBe(doc.tags);
    expect(view.plain).not.toBe(doc.plain);
  });

  it('rejects something that is not a plan', () => {
    expect(() => redact({} as never, {}, facts(), { now, hmacKey: HMAC_KEY })).toThrow(NotARedactionPlan);
  });

  it('a document that is not an object releases nothing', () => {
    const { view, explanation } = run({ subjectId: 'keep' }, [] as never);
    expect(view).toEqual({});
    expect(noMatch(explanation.withheld)).toEqual([{ path: '', reason: 'TYPE_MISMATCH', ruleId: 'DEFAULT_DENY' }]);
  });
});

describe('redact: operators', () => {
  it('a transforming rule reports the operator and its output replaces the value', () => {
    const { view, explanation } = run({ 'subject.dateOfBirth': { date: 'year' }, 'plain.a': ['scrub', { truncate: 5 }] },
      { match: matched, subject: { dateOfBirth: '1990-04-12' }, plain: { a: 'call 07700 900123 now' } });
    expect(view).toEqual({ subject: { dateOfBirth: '1990' }, plain: { a: expect.stringMatching(/…\[cut\]$/) } });
    expect(explanation.transformed).toEqual([
      { path: 'subject.dateOfBirth', op: 'date', ruleId: 'f1#subject.dateOfBirth' },
      { path: 'plain.a', op: 'scrub+truncate', ruleId: 'f1#plain.a' },
    ]);
  });

  it('an operator that cannot apply drops the field and says why', () => {
    const { view, explanation } = run({ 'subject.dateOfBirth': { date: 'month' } }, { match: matched, subject: { dateOfBirth: 'not a date' } });
    expect(view).toEqual({});
    expect(noMatch(explanation.withheld)).toEqual([{ path: 'subject.dateOfBirth', reason: 'INVALID_DATE', ruleId: 'f1#subject.dateOfBirth' }]);
  });

  it('window and limit filter a list, name the items left out by source index, and release the rest item by item', () => {
    const items = [
      { date: '2026-06-01', kind: 'A', text: 't0', rank: 5 },
      { date: '2024-01-01', kind: 'B', text: 't1', rank: 9 },
      { date: '2026-03-10', kind: 'C', text: 't2', rank: 7 },
      { date: '2025-12-24', kind: 'A', text: 't3', rank: 1 },
    ];
    const { view, explanation } = run({
      items: [{ window: { months: 12, on: 'date' } }, { limit: { top: 2, by: 'rank' } }],
      'items[].date': { date: 'month' },
      'items[].text': 'drop',
    }, { match: matched, items });
    expect(view).toEqual({ items: [{ date: '2026-03', kind: 'C', rank: 7 }, { date: '2026-06', kind: 'A', rank: 5 }] });
    expect(noMatch(explanation.withheld)).toEqual(expect.arrayContaining([
      { path: 'items[1]', reason: 'OUTSIDE_WINDOW', ruleId: 'f1#items' },
      { path: 'items[3]', reason: 'OUTSIDE_LIMIT', ruleId: 'f1#items' },
      { path: 'items[2].text', reason: 'DROPPED_BY_RULE', ruleId: 'f1#items[].text' },
    ]));
    expect(explanation.transformed).toContainEqual({ path: 'items', op: 'window+limit', ruleId: 'f1#items' });
    expect(explanation.transformed).toContainEqual({ path: 'items[2].date', op: 'date', ruleId: 'f1#items[].date' });
    expect(explanation.released).toContainEqual({ path: 'items[2].kind', ruleId: 'f1#items' });
  });

  it('count over a windowed list is a terminal pipeline', () => {
    const { view } = run({ items: [{ window: { months: 1, on: 'date' } }, 'count'] },
      { match: matched, items: [{ date: '2026-06-10' }, { date: '2026-06-01' }, { date: '2026-01-01' }] });
    expect(view).toEqual({ items: 2 });
  });

  it('rules on list items apply without a rule on the list itself', () => {
    const { view } = run({ 'items[].kind': 'keep' }, { match: matched, items: [{ kind: 'A', text: 'x' }, { kind: 'B' }] });
    expect(view).toEqual({ items: [{ kind: 'A' }, { kind: 'B' }] });
  });

  it('a rule on primitive list items applies to each item', () => {
    const { view, explanation } = run({ 'subject.dobs[]': { date: 'year' } }, { match: matched, subject: { dobs: ['1990-01-02', '1991-03-04'] } });
    expect(view).toEqual({ subject: { dobs: ['1990', '1991'] } });
    expect(explanation.transformed.map((t) => t.path)).toEqual(['subject.dobs[0]', 'subject.dobs[1]']);
  });
});

describe('redact: values must have the declared type (nothing smuggled)', () => {
  it.each([
    ['a string where an integer is declared', { plain: { b: '2; drop table' } }, 'plain.b'],
    ['a value outside the enum', { items: [{ kind: 'Jane lives at 1 Example Row' }] }, 'items[0].kind'],
    ['an object where a string is declared', { plain: { a: { nested: 'x' } } }, 'plain.a'],
    ['a number in a list of strings', { tags: ['ok', 3] }, 'tags'],
    ['an array where an object is declared', { plain: ['x'] }, 'plain'],
  ])('%s is withheld TYPE_MISMATCH', (_n, doc, path) => {
    const { view, explanation } = run({ plain: 'keep', items: 'keep', tags: 'keep' }, { match: matched, ...doc });
    expect(explanation.withheld).toContainEqual(expect.objectContaining({ path, reason: 'TYPE_MISMATCH' }));
    expect(JSON.stringify(view)).not.toMatch(/drop table|Example Row|nested|"3"|,3/);
  });
});

describe('redact: flows per subject', () => {
  const roleSplit: Partial<Agreement> = {
    flows: [
      { id: 'victim', from: { type: 'POLICE' }, to: { role: 'coordinator' }, direction: 'response', when: { subjectRoles: ['VICTIM'] }, release: { 'plain.a': 'keep' } },
      { id: 'given', from: { type: 'POLICE' }, to: { role: 'coordinator' }, direction: 'response', when: { subjectRoles: ['PERPETRATOR'], consentStatus: ['GIVEN'] }, release: { 'plain.b': 'keep' } },
    ],
  };
  it('applies only the flows whose conditions fit the subject', () => {
    expect(run({}, { match: matched, plain: { a: 'x', b: 1 } }, { role: 'VICTIM' }, roleSplit).view).toEqual({ plain: { a: 'x' } });
    expect(run({}, { match: matched, plain: { a: 'x', b: 1 } }, { role: 'PERPETRATOR', consentStatus: 'GIVEN' }, roleSplit).view).toEqual({ plain: { b: 1 } });
  });
  it('a subject whose role no flow covers gets nothing: SUBJECT_ROLE_NOT_ALLOWED', () => {
    const { view, explanation } = run({}, { match: matched, plain: { a: 'x' } }, { role: 'CHILD' }, roleSplit);
    expect(view).toEqual({});
    expect(explanation.withheld.map((w) => w.reason)).toEqual(['SUBJECT_ROLE_NOT_ALLOWED', 'SUBJECT_ROLE_NOT_ALLOWED']);
  });
  it('a subject whose consent no flow covers gets nothing: FLOW_CONDITION_NOT_MET', () => {
    const { explanation } = run({}, { match: matched, plain: { b: 1 } }, { role: 'PERPETRATOR', consentStatus: 'REFUSED' }, roleSplit);
    expect(explanation.withheld.map((w) => w.reason)).toEqual(['FLOW_CONDITION_NOT_MET', 'FLOW_CONDITION_NOT_MET']);
  });
  it('two applicable flows that disagree on a path: FLOW_CONFLICT, nothing released for it (fail closed)', () => {
    const { view, explanation } = run({}, { match: matched, plain: { a: 'x', b: 2 } }, {}, {
      flows: [
        { id: 'one', from: { type: 'POLICE' }, to: { role: 'coordinator' }, direction: 'response', release: { 'plain.a': 'keep', 'plain.b': 'keep' } },
        { id: 'two', from: { type: 'POLICE' }, to: { role: 'coordinator' }, direction: 'response', release: { 'plain.a': { replace: 'X' } } },
      ],
    });
    expect(view).toEqual({ plain: { b: 2 } });
    expect(noMatch(explanation.withheld)).toEqual([{ path: 'plain.a', reason: 'FLOW_CONFLICT', ruleId: 'one#plain.a|two#plain.a' }]);
  });
});

describe('redact: guardrails hold at run time whatever the agreement says', () => {
  it('nothing but the match about a POSSIBLE match (G-MATCH-CONFIRMED)', () => {
    const { view, explanation } = run({ subjectId: 'keep', match: 'keep', health: 'keep', knownToAgency: 'keep' },
      { subjectId: 's', match: { status: 'POSSIBLE' }, health: { flag: true }, knownToAgency: true });
    expect(view).toEqual({ subjectId: 's', match: { status: 'POSSIBLE' } });
    expect(noMatch(explanation.withheld)).toEqual([
      { path: 'health', reason: 'MATCH_NOT_CONFIRMED', ruleId: 'G-MATCH-CONFIRMED' },
      { path: 'knownToAgency', reason: 'MATCH_NOT_CONFIRMED', ruleId: 'G-MATCH-CONFIRMED' },
    ]);
  });
  it('a result without a match status is treated as unconfirmed (envelope-style fields are not about the record)', () => {
    const r = run({ subject: 'keep', knownToAgency: 'keep', plain: 'keep' }, { subject: { dateOfBirth: '1990-01-01' }, knownToAgency: true, plain: { a: 'x' } });
    expect(r.view).toEqual({ plain: { a: 'x' } });
    expect(r.explanation.withheld.map((w) => w.reason)).toEqual(['MATCH_NOT_CONFIRMED', 'MATCH_NOT_CONFIRMED']);
  });

  const addr = { postcode: 'CM1 4AB', confidential: false };
  it('a victim address kept for the coordinator is withheld GUARDRAIL_LOCATION', () => {
    const { view, explanation } = run({ 'subject.address': 'keep' }, { match: matched, subject: { address: addr } });
    expect(view).toEqual({});
    expect(noMatch(explanation.withheld)).toEqual([{ path: 'subject.address', reason: 'GUARDRAIL_LOCATION', ruleId: 'G-LOCATION' }]);
  });
  it('... also when inherited from a kept parent', () => {
    const { view, explanation } = run({ subject: 'keep' }, { match: matched, subject: { address: addr, dateOfBirth: '1990-01-01' } });
    expect(view).toEqual({ subject: { dateOfBirth: '1990-01-01' } });
    expect(explanation.withheld).toContainEqual({ path: 'subject.address', reason: 'GUARDRAIL_LOCATION', ruleId: 'G-LOCATION' });
  });
  it('... but released generalised, and in full to police, and in full about a perpetrator', () => {
    expect(run({ 'subject.address': { postcode: 'district' } }, { match: matched, subject: { address: addr } }).view).toEqual({ subject: { address: 'CM1' } });
    const flows = [{ id: 'to-police', from: { type: 'HOUSING' as const }, to: { type: 'POLICE' as const }, direction: 'response' as const, release: { 'subject.address': 'keep' as const } }];
    const a = compileAgreement(tinyAgreement({}, { flows }), { catalog: cat, guardrails, status: 'active', version: 1 });
    const d = permit(decide({ agreements: [a], now, purpose: 'MARAC_RESEARCH', direction: 'response', from: party('housing', 'HOUSING'), to: POLICE, caseFacts }));
    expect(redact(d.plan, { match: matched, subject: { address: addr } }, facts(), { now, hmacKey: HMAC_KEY }).view).toEqual({ subject: { address: addr } });
    expect(run({ 'subject.address': 'keep' }, { match: matched, subject: { address: addr } }, { role: 'PERPETRATOR' }).view).toEqual({ subject: { address: addr } });
  });
  it('a confidential address shows as CONFIDENTIAL even when generalised (G-CONFIDENTIAL-ADDRESS)', () => {
    const { view, explanation } = run({ 'subject.address': { postcode: 'district' } }, { match: matched, subject: { address: { ...addr, confidential: true } } });
    expect(view).toEqual({ subject: { address: 'CONFIDENTIAL' } });
    expect(explanation.transformed).toEqual([{ path: 'subject.address', op: 'replace', ruleId: 'G-CONFIDENTIAL-ADDRESS' }]);
    expect(run({ 'subject.address': { postcode: 'district' } }, { match: matched, subject: { address: addr } }, { addressConfidential: true }).view)
      .toEqual({ subject: { address: 'CONFIDENTIAL' } });
  });
  it('clinical narrative never leaves health (G-CLINICAL-NARRATIVE)', () => {
    const { view, explanation } = run({ 'health.narrative': 'scrub', 'health.flag': 'keep' }, { match: matched, health: { narrative: 'seen in ED', flag: true } });
    expect(view).toEqual({ health: { flag: true } });
    expect(noMatch(explanation.withheld)).toEqual([{ path: 'health.narrative', reason: 'GUARDRAIL_CLINICAL_NARRATIVE', ruleId: 'G-CLINICAL-NARRATIVE' }]);
  });
  it('free text is released only scrubbed (G-FREE-TEXT)', () => {
    const kept = run({ 'subject.notes': 'keep' }, { match: matched, subject: { notes: 'ring 07700 900123' } });
    expect(kept.view).toEqual({});
    expect(noMatch(kept.explanation.withheld)).toEqual([{ path: 'subject.notes', reason: 'GUARDRAIL_FREE_TEXT', ruleId: 'G-FREE-TEXT' }]);
    expect(run({ 'subject.notes': 'scrub' }, { match: matched, subject: { notes: 'ring 07700 900123' } }).view).toEqual({ subject: { notes: 'ring [PHONE]' } });
  });
  it("a child's exact date of birth is withheld outside children-facing services unless age-banded (G-CHILD-DOB)", () => {
    const flows = [{ id: 'to-housing', from: { type: 'POLICE' as const }, to: { type: 'HOUSING' as const }, direction: 'response' as const, release: { 'subject.dateOfBirth': 'keep' as const } }];
    const a = compileAgreement(tinyAgreement({}, { flows }), { catalog: cat, guardrails, status: 'active', version: 1 });
    const d = permit(decide({ agreements: [a], now, purpose: 'MARAC_RESEARCH', direction: 'response', from: POLICE, to: party('housing', 'HOUSING'), caseFacts }));
    const r = redact(d.plan, { match: matched, subject: { dateOfBirth: '2020-07-01' } }, facts({ role: 'CHILD', isAdult: false }), { now, hmacKey: HMAC_KEY });
    expect(r.view).toEqual({});
    expect(noMatch(r.explanation.withheld)).toEqual([{ path: 'subject.dateOfBirth', reason: 'GUARDRAIL_CHILD_DOB', ruleId: 'G-CHILD-DOB' }]);
    const young = redact(d.plan, { match: matched, subject: { dateOfBirth: '2009-07-01' } }, facts({ role: 'VICTIM', isAdult: false }), { now, hmacKey: HMAC_KEY });
    expect(young.view).toEqual({});
    // Dates that disagree: possibly an adult for para 18, and still possibly a child here.
    const either = redact(d.plan, { match: matched, subject: { dateOfBirth: '2009-07-01' } }, facts({ role: 'VICTIM', isAdult: true, mayBeChild: true }), { now, hmacKey: HMAC_KEY });
    expect(either.view).toEqual({});
    const adult = redact(d.plan, { match: matched, subject: { dateOfBirth: '1980-07-01' } }, facts({ role: 'VICTIM', isAdult: true, mayBeChild: false }), { now, hmacKey: HMAC_KEY });
    expect(adult.view).toEqual({ subject: { dateOfBirth: '1980-07-01' } });
  });
});

describe('redact: special-category data needs a condition for THAT subject (R3)', () => {
  const doc = { match: matched, health: { flag: true } };
  const rel = { 'health.flag': 'keep' };
  it.each([
    ['an adult with DPA_SCH1_P10', { art9Conditions: ['DPA_SCH1_P10'] }, true, undefined],
    ['an adult with no condition', { art9Conditions: [] }, false, 'NO_ART9_CONDITION'],
    ['a condition the agreement does not rely on', { art9Conditions: ['DPA_SCH1_P6'] }, false, 'NO_ART9_CONDITION'],
    ['an adult without care needs relying on para 18', { art9Conditions: ['DPA_SCH1_P18'], careAndSupportNeeds: false }, false, 'P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS'],
    ['an adult with care needs relying on para 18', { art9Conditions: ['DPA_SCH1_P18'], careAndSupportNeeds: true }, true, undefined],
    ['a child relying on para 18', { role: 'CHILD', isAdult: false, art9Conditions: ['DPA_SCH1_P18'] }, true, undefined],
  ] as const)('%s', (_n, subject, released, reason) => {
    const { view, explanation } = run(rel, doc, subject as Partial<SubjectFacts>);
    expect(view).toEqual(released ? { health: { flag: true } } : {});
    if (reason) expect(noMatch(explanation.withheld)).toEqual([{ path: 'health.flag', reason, ruleId: 'G-SPECIAL-CATEGORY' }]);
  });

  it('explicit consent counts only when given and recorded as explicit', () => {
    const basis = { lawfulBasis: { article6: 'PUBLIC_TASK', article9: ['EXPLICIT_CONSENT'], article10: [], part3Sch8: [], statutoryGateways: [] } };
    expect(run(rel, doc, { art9Conditions: ['EXPLICIT_CONSENT'], consentStatus: 'GIVEN', explicitConsentForSpecialCategory: true }, basis).view).toEqual({ health: { flag: true } });
    expect(run(rel, doc, { art9Conditions: ['EXPLICIT_CONSENT'], consentStatus: 'GIVEN' }, basis).view).toEqual({});
    expect(run(rel, doc, { art9Conditions: ['EXPLICIT_CONSENT'], consentStatus: 'REFUSED', explicitConsentForSpecialCategory: true }, basis).view).toEqual({});
  });

  it('a police recipient may rely on a Part 3 Sch 8 condition; others may not', () => {
    const flows = [{ id: 'to-police', from: { type: 'HEALTH_ACUTE' as const }, to: { type: 'POLICE' as const }, direction: 'response' as const, release: { 'health.flag': 'keep' as const } }];
    const a = compileAgreement(tinyAgreement({}, { flows }), { catalog: cat, guardrails, status: 'active', version: 1 });
    const d = permit(decide({ agreements: [a], now, purpose: 'MARAC_RESEARCH', direction: 'response', from: party('acute', 'HEALTH_ACUTE'), to: POLICE, caseFacts }));
    const sch8 = facts({ art9Conditions: [], part3Sch8: ['SCH8_P4'], role: 'CHILD', isAdult: false });
    expect(redact(d.plan, doc, sch8, { now, hmacKey: HMAC_KEY }).view).toEqual({ health: { flag: true } });
    expect(run(rel, doc, { art9Conditions: [], part3Sch8: ['SCH8_P4'], role: 'CHILD', isAdult: false }).view).toEqual({});
    // Sch 8 para 4 mirrors para 18: not for an adult without care and support needs.
    expect(noMatch(redact(d.plan, doc, facts({ art9Conditions: [], part3Sch8: ['SCH8_P4'] }), { now, hmacKey: HMAC_KEY }).explanation.withheld))
      .toEqual([{ path: 'health.flag', reason: 'P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS', ruleId: 'G-SPECIAL-CATEGORY' }]);
  });

  it('a generalised special-category field is still special-category', () => {
    const { view } = run({ health: 'booleanise' }, { match: matched, health: { flag: true } }, { art9Conditions: [] });
    expect(view).toEqual({});
  });
});

describe('redact: explanation', () => {
  it('lists every rule and guardrail used, once, sorted', () => {
    const { explanation } = run({ 'plain.a': 'keep', 'plain.b': 'keep', 'subject.address': 'keep' },
      { match: matched, plain: { a: 'x', b: 1 }, subject: { address: { postcode: 'CM1 1AA', confidential: false } } });
    expect(explanation.ruleIds).toEqual(['DEFAULT_DENY', 'G-LOCATION', 'f1#plain.a', 'f1#plain.b']);
    expect(explanation).toMatchObject({ agreementId: 'tiny', version: 1 });
  });
});
