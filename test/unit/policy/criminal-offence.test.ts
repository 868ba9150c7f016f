/**
 * Art 10 (criminal offence data, `CO` fields) enforced like Art 9 for `SC`: a condition recorded
 * for that subject and relied on by the agreement, or Sch 8 for a police recipient; para 18 only
 * for a child or an adult with care and support needs. And the validation of per-party Art 6
 * bases (recognised legitimate interests is not for public authorities).
 */
import { describe, expect, it } from 'vitest';
import { validateAgreement, type Agreement } from '../../../gateway/src/policy/index.js';
import { COORD, IDVA, POLICE, PROBATION, catalog, compile, essexDoc, guardrails, release, sample } from './helpers.js';

const now = new Date('2026-12-10T10:00:00Z');
const essex = compile(essexDoc());
const probationPerp = () => sample('response-probation').subjectResults[0];
const policeVictim = () => sample('response-police').subjectResults[0];

/** The essex agreement plus a probation → police flow (none in the sample), for the Sch 8 route. */
function withProbationToPolice(): Agreement {
  const doc = essexDoc();
  doc.flows.push({
    id: 'probation-to-police', from: { type: 'PROBATION' }, to: { type: 'POLICE' }, direction: 'response',
    release: { subjectId: 'keep', match: 'keep', 'probation.roshLevel': 'keep', 'probation.offenceCategory': 'keep' },
  });
  return doc;
}

describe('G-CRIMINAL-OFFENCE at run time', () => {
  it('withholds every probation field about a perpetrator without an Art 10 condition: NO_ART10_CONDITION', () => {
    const { view, explanation } = release({
      agreement: essex, from: PROBATION, to: COORD, doc: probationPerp(), now,
      subject: { role: 'PERPETRATOR', art10Conditions: [] },
    });
    expect(view.probation).toBeUndefined();
    const probation = explanation.withheld.filter((w) => w.path.startsWith('probation'));
    expect(probation.length).toBeGreaterThan(0);
    for (const w of probation) expect(w).toMatchObject({ reason: 'NO_ART10_CONDITION', ruleId: 'G-CRIMINAL-OFFENCE' });
  });

  it('a condition the agreement does not rely on does not count', () => {
    const { view } = release({
      agreement: essex, from: PROBATION, to: IDVA, doc: probationPerp(), now,
      subject: { role: 'PERPETRATOR', art10Conditions: ['VITAL_INTERESTS'] },
    });
    expect(view.probation).toBeUndefined();
  });

  it('para 18 for an adult without care and support needs: P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS; with them, released', () => {
    const doc = essexDoc();
    doc.lawfulBasis.article10 = [...doc.lawfulBasis.article10, 'DPA_SCH1_P18'];
    const a = compile(doc);
    const without = release({ agreement: a, from: POLICE, to: COORD, doc: policeVictim(), now, subject: { art10Conditions: ['DPA_SCH1_P18'], careAndSupportNeeds: false } });
    expect(without.view.police).toBeUndefined();
    expect(without.explanation.withheld.some((w) => w.reason === 'P18_NOT_AVAILABLE_ADULT_WITHOUT_CARE_NEEDS')).toBe(true);
    const withNeeds = release({ agreement: a, from: POLICE, to: COORD, doc: policeVictim(), now, subject: { art10Conditions: ['DPA_SCH1_P18'], careAndSupportNeeds: true } });
    expect(withNeeds.view.police).toBeDefined();
    const child = release({ agreement: a, from: POLICE, to: COORD, doc: policeVictim(), now, subject: { art10Conditions: ['DPA_SCH1_P18'], isAdult: false } });
    expect(child.view.police).toBeDefined();
  });

  it('a police recipient relies on a Sch 8 condition; nobody else can', () => {
    const a = compile(withProbationToPolice());
    const facts = { role: 'PERPETRATOR' as const, art10Conditions: [], part3Sch8: ['SCH8_P1'] };
    expect(release({ agreement: a, from: PROBATION, to: POLICE, doc: probationPerp(), now, subject: facts }).view.probation)
      .toEqual({ roshLevel: 'HIGH', offenceCategory: 'DA_VIOLENCE' });
    expect(release({ agreement: a, from: PROBATION, to: IDVA, doc: probationPerp(), now, subject: facts }).view.probation).toBeUndefined();
    // Sch 8 para 4 is a safeguarding condition: not for an adult without care and support needs.
    const p4 = release({ agreement: a, from: PROBATION, to: POLICE, doc: probationPerp(), now, subject: { ...facts, part3Sch8: ['SCH8_P4'] } });
    expect(p4.view.probation).toBeUndefined();
  });
});

describe('validation: Art 10 and Art 6', () => {
  const validate = (doc: unknown) => validateAgreement(doc, { catalog, guardrails });
  const codes = (doc: unknown) => validate(doc).map((p) => `${p.code} ${p.path}`);

  it('criminal offence data released with no Art 10 condition in the agreement: CO_WITHOUT_ART10_CONDITION', () => {
    const doc = essexDoc();
    doc.lawfulBasis.article10 = [];
    const problems = validate(doc).filter((p) => p.code === 'CO_WITHOUT_ART10_CONDITION');
    expect(problems.length).toBeGreaterThan(0);
    // Police recipients are covered by the agreement's Sch 8 conditions.
    const flows = new Map(doc.flows.map((f, i) => [`/flows/${i}/`, f]));
    for (const p of problems) {
      const flow = [...flows].find(([k]) => p.path.startsWith(k))![1];
      expect(flow.to.type).not.toBe('POLICE');
    }
  });

  it.each([
    ['an IDVA charity', 'safe-steps-idva', {}, []],
    ['a housing association', 'chelmsford-housing', { publicAuthority: false }, []],
    ['the police', 'essex-police', {}, ['RLI_NOT_FOR_PUBLIC_AUTHORITY']],
    ['a council housing service', 'chelmsford-housing', {}, ['RLI_NOT_FOR_PUBLIC_AUTHORITY']],
    ['an IDVA that is a public authority', 'safe-steps-idva', { publicAuthority: true }, ['RLI_NOT_FOR_PUBLIC_AUTHORITY']],
  ])('recognised legitimate interests for %s', (_n, agency, extra, expected) => {
    const doc = essexDoc();
    doc.effectiveFrom = '2026-03-01';
    const i = doc.parties.findIndex((p) => p.agency === agency);
    Object.assign(doc.parties[i]!, { article6: 'RECOGNISED_LI_SAFEGUARDING', ...extra });
    expect(codes(doc)).toEqual(expected.map((c) => `${c} /parties/${i}/article6`));
  });

  it('as the agreement-wide basis, refused once for the public authorities relying on it', () => {
    const doc = essexDoc();
    doc.effectiveFrom = '2026-03-01';
    doc.lawfulBasis.article6 = 'RECOGNISED_LI_SAFEGUARDING';
    expect(new Set(codes(doc))).toEqual(new Set(['RLI_NOT_FOR_PUBLIC_AUTHORITY /lawfulBasis/article6']));
  });

  it('not before 5 February 2026', () => {
    const doc = essexDoc();
    Object.assign(doc.parties.find((p) => p.agency === 'safe-steps-idva')!, { article6: 'RECOGNISED_LI_SAFEGUARDING' });
    expect(codes(doc)).toEqual(['RLI_NOT_IN_FORCE /effectiveFrom']);
  });

  it('an unknown Art 6 basis for a party is a schema problem', () => {
    const doc = essexDoc();
    Object.assign(doc.parties[1]!, { article6: 'BECAUSE' });
    expect(validate(doc).some((p) => p.path.startsWith('/parties/1/article6'))).toBe(true);
  });
});
