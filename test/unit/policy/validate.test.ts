import { describe, expect, it } from 'vitest';
import {
  AgreementInvalid, compileAgreement, validateAgreement, type Agreement, type Flow, type ValidationProblem,
} from '../../../gateway/src/policy/index.js';
import { catalog, essexDoc, guardrails, mNorthDoc, transferDoc } from './helpers.js';

const validate = (doc: unknown, existing?: Agreement[]) => validateAgreement(doc, { catalog, guardrails, ...(existing ? { existing } : {}) });
const codes = (ps: ValidationProblem[]) => ps.map((p) => `${p.code} ${p.path}`);

/** A small valid agreement to break one way at a time. */
function base(): Agreement {
  return {
    id: 'test-isa',
    title: 'Test',
    effectiveFrom: '2026-01-01',
    reviewBy: '2026-12-31',
    expiresAt: '2027-06-30',
    retentionDays: 30,
    parties: [
      { agency: 'coord', type: 'MARAC_COORDINATOR', role: 'coordinator' },
      { agency: 'police', type: 'POLICE' },
      { agency: 'acute', type: 'HEALTH_ACUTE' },
      { agency: 'housing', type: 'HOUSING' },
    ],
    purposes: ['MARAC_RESEARCH'],
    lawfulBasis: { article6: 'PUBLIC_TASK', article9: ['DPA_SCH1_P10'], article10: ['DPA_SCH1_P10'], part3Sch8: [], statutoryGateways: [] },
    caseThreshold: { criteria: ['VISIBLE_HIGH_RISK'] },
    flows: [
      { id: 'acute-to-coord', from: { type: 'HEALTH_ACUTE' }, to: { role: 'coordinator' }, direction: 'response', release: { subjectId: 'keep', 'health.pregnancy': 'keep' } },
    ],
  };
}
const flow = (f: Partial<Flow>): Flow => ({ id: 'f', from: { type: 'POLICE' }, to: { role: 'coordinator' }, direction: 'response', release: {}, ...f });
const withFlows = (...flows: Flow[]) => ({ ...base(), flows: [...base().flows, ...flows] });

describe('validateAgreement: the samples are clean', () => {
  it.each([['essex-marat', essexDoc], ['inter-area-transfer', transferDoc], ['isa-m-north v3 fixture', mNorthDoc]])('%s', (_n, doc) => {
    expect(validate(doc())).toEqual([]);
  });
  it('the base test agreement is clean', () => {
    expect(validate(base())).toEqual([]);
  });
});

describe('validateAgreement: each kind of problem, with its path', () => {
  it('schema errors: missing, unknown and mistyped properties', () => {
    const doc = { ...base(), retentionDays: 'ninety', colour: 'blue' } as Record<string, unknown>;
    delete doc.title;
    expect(codes(validate(doc))).toEqual(expect.arrayContaining([
      'SCHEMA_REQUIRED /title', 'SCHEMA_ADDITIONAL_PROPERTIES /colour', 'SCHEMA_TYPE /retentionDays',
    ]));
  });
  it('a flow selector naming two things, a bad direction, a bad release key', () => {
    const bad = flow({ from: { type: 'POLICE', agency: 'police' }, direction: 'sideways' as never, release: { 'health pregnancy': 'keep' } });
    expect(codes(validate(withFlows(bad)))).toEqual(expect.arrayContaining([
      'SCHEMA_MAX_PROPERTIES /flows/1/from', 'SCHEMA_ENUM /flows/1/direction', 'INVALID_PATH /flows/1/release/health pregnancy',
    ]));
  });
  it('not a document at all', () => {
    expect(codes(validate('id: x'))).toEqual(['SCHEMA_TYPE /']);
  });
  it('unknown field path', () => {
    expect(codes(validate(withFlows(flow({ release: { 'police.shoeSize': 'keep' } }))))).toEqual(['UNKNOWN_FIELD_PATH /flows/1/release/police.shoeSize']);
  });
  it('an unknown or malformed operator', () => {
    const ps = validate(withFlows(flow({ release: { 'police.incidentCount12m': 'countOnly' as never, 'police.mappa': [{ date: 'decade' }] as never } })));
    expect(codes(ps)).toEqual(['INVALID_OPERATOR /flows/1/release/police.incidentCount12m', 'INVALID_OPERATOR /flows/1/release/police.mappa/0']);
    expect(ps[0]!.message).toMatch(/count/);
  });
  it('an operator that does not fit the field type, including after an earlier step', () => {
    const ps = validate(withFlows(flow({ release: {
      'police.firearmsCertificateHeld': { postcode: 'district' },
      'police.incidentCount12m': { window: { months: 12, on: 'date' } },
      'police.incidents': ['count', { truncate: 10 }],
    } })));
    expect(codes(ps)).toEqual([
      'OPERATOR_TYPE_MISMATCH /flows/1/release/police.firearmsCertificateHeld',
      'OPERATOR_TYPE_MISMATCH /flows/1/release/police.incidentCount12m',
      'OPERATOR_TYPE_MISMATCH /flows/1/release/police.incidents/1',
    ]);
  });
  it('a list operator keyed on a field the items do not have', () => {
    expect(codes(validate(withFlows(flow({ release: {
      'police.incidents': [{ window: { months: 12, on: 'when' } }, { limit: { top: 3, by: 'category' } }],
      'police.incidents[].summary': 'drop',
      'police.markers': { limit: { top: 1, by: 'severity' } },
    } }))))).toEqual(['OPERATOR_KEY_UNKNOWN /flows/1/release/police.incidents/0', 'OPERATOR_KEY_UNKNOWN /flows/1/release/police.markers']);
  });
  it('special-category fields without an Art 9 condition (police may rely on Sch 8)', () => {
    const doc = base();
    doc.lawfulBasis.article9 = [];
    expect(codes(validate(doc))).toEqual(['SC_WITHOUT_ART9_CONDITION /flows/0/release/health.pregnancy']);
    doc.lawfulBasis.part3Sch8 = ['SCH8_P4'];
    doc.flows.push(flow({ id: 'acute-to-police', from: { type: 'HEALTH_ACUTE' }, to: { type: 'POLICE' }, release: { 'health.pregnancy.pregnant': 'keep' } }));
    expect(codes(validate(doc))).toEqual(['SC_WITHOUT_ART9_CONDITION /flows/0/release/health.pregnancy']);
  });
  it('guardrail conflicts name the guardrail', () => {
    const ps = validate(withFlows(
      flow({ id: 'loc', direction: 'request', from: { role: 'coordinator' }, to: { type: 'HOUSING' }, release: { 'subject.address': 'keep' } }),
      flow({ id: 'clin', from: { type: 'HEALTH_ACUTE' }, to: { type: 'POLICE' }, release: { 'health.clinicalNarrative': 'scrub', 'health.mentalHealth.diagnosis': 'keep' } }),
      flow({ id: 'dob', direction: 'request', from: { role: 'coordinator' }, to: { type: 'HOUSING' }, when: { subjectRoles: ['CHILD'] }, release: { 'subject.dobs': 'keep' } }),
      flow({ id: 'ft', release: { 'police.incidents[].summary': { truncate: 200 } } }),
      flow({ id: 'pm', when: { matchStatus: ['POSSIBLE'] }, release: { 'police.incidentCount12m': 'keep' } }),
    ));
    const conflicts = ps.filter((p) => p.code === 'GUARDRAIL_CONFLICT').map((p) => `${p.guardrailId} ${p.path}`);
    expect(conflicts).toEqual([
      'G-LOCATION /flows/1/release/subject.address',
      'G-CLINICAL-NARRATIVE /flows/2/release/health.clinicalNarrative',
      'G-CLINICAL-NARRATIVE /flows/2/release/health.mentalHealth.diagnosis',
      'G-MENTAL-HEALTH-DIAGNOSIS /flows/2/release/health.mentalHealth.diagnosis',
      'G-CHILD-DOB /flows/3/release/subject.dobs',
      'G-LOCATION-IN-TEXT /flows/4/release/police.incidents[].summary',
      'G-FREE-TEXT /flows/4/release/police.incidents[].summary',
      'G-MATCH-CONFIRMED /flows/5/release/police.incidentCount12m',
    ]);
    expect(ps.find((p) => p.guardrailId === 'G-LOCATION')!.message).toMatch(/HOUSING/);
  });
  it('a guardrail conflict hidden under a kept parent is found', () => {
    const ps = validate(withFlows(flow({ id: 'loc', direction: 'request', from: { role: 'coordinator' }, to: { type: 'HOUSING' }, release: { subject: 'keep' } })));
    expect(ps.filter((p) => p.code === 'GUARDRAIL_CONFLICT').map((p) => p.guardrailId)).toEqual(['G-LOCATION', 'G-LOCATION-IN-TEXT', 'G-CHILD-DOB', 'G-FREE-TEXT']);
  });
  it('a transfer flow that forwards agency payloads conflicts with G-TRANSFER-NO-PAYLOAD', () => {
    const doc = transferDoc();
    doc.flows[2]!.release = { ...doc.flows[2]!.release, 'police.incidentCount12m': 'keep' };
    expect(validate(doc).map((p) => `${p.code} ${p.guardrailId} ${p.path}`)).toEqual(expect.arrayContaining([
      'GUARDRAIL_CONFLICT G-TRANSFER-NO-PAYLOAD /flows/2/release/police.incidentCount12m',
    ]));
  });
  it('dates out of order, and dates that do not exist', () => {
    expect(codes(validate({ ...base(), reviewBy: '2025-06-01', expiresAt: '2025-12-31' }))).toEqual([
      'DATES_OUT_OF_ORDER /expiresAt', 'DATES_OUT_OF_ORDER /reviewBy',
    ]);
    expect(codes(validate({ ...base(), reviewBy: '2027-07-01' }))).toEqual(['DATES_OUT_OF_ORDER /reviewBy']);
    expect(codes(validate({ ...base(), expiresAt: '2027-02-30' }))).toEqual(['INVALID_DATE /expiresAt']);
  });
  it('overlapping flows that disagree', () => {
    const ps = validate(withFlows(
      flow({ id: 'a', release: { 'police.incidentCount12m': 'keep', 'police.mappa': 'keep' } }),
      flow({ id: 'b', from: { agency: 'police' }, when: { subjectRoles: ['VICTIM'] }, release: { 'police.incidentCount12m': 'drop', 'police.mappa': 'keep' } }),
      flow({ id: 'c', when: { subjectRoles: ['PERPETRATOR'] }, direction: 'response', to: { type: 'HOUSING' }, release: { 'police.incidentCount12m': 'drop' } }),
    ));
    expect(codes(ps)).toEqual(['FLOW_CONFLICT /flows/2/release/police.incidentCount12m']);
    expect(ps[0]!.message).toMatch(/flow a/);
  });
  it('flows whose conditions cannot both hold do not overlap', () => {
    expect(validate(withFlows(
      flow({ id: 'a', when: { subjectRoles: ['VICTIM'] }, release: { 'police.incidentCount12m': 'keep' } }),
      flow({ id: 'b', when: { subjectRoles: ['PERPETRATOR'] }, release: { 'police.incidentCount12m': 'drop' } }),
    ))).toEqual([]);
  });
  it('a conflicting agreement in force at the same time', () => {
    const other = base();
    other.id = 'other-isa';
    other.flows = [flow({ id: 'theirs', from: { agency: 'acute' }, release: { 'health.pregnancy': 'booleanise' } })];
    other.parties = base().parties;
    expect(codes(validate(base(), [other]))).toEqual(['AGREEMENT_CONFLICT /flows/0/release/health.pregnancy']);
    expect(validate(base(), [{ ...other, effectiveFrom: '2027-07-01', reviewBy: '2027-08-01', expiresAt: '2027-09-01' }])).toEqual([]);
    expect(validate(base(), [{ ...other, id: 'test-isa' }])).toEqual([]); // another version of the same agreement
  });
  it('parties: duplicates, the coordinator', () => {
    const doc = base();
    doc.parties = [{ agency: 'coord', type: 'POLICE', role: 'coordinator' }, { agency: 'police', type: 'POLICE' }, { agency: 'police', type: 'POLICE' }, { agency: 'acute', type: 'HEALTH_ACUTE' }];
    expect(codes(validate(doc))).toEqual(['COORDINATOR_TYPE_MISMATCH /parties/0/type', 'DUPLICATE_PARTY /parties/2/agency']);
    doc.parties = [{ agency: 'police', type: 'POLICE' }, { agency: 'acute', type: 'HEALTH_ACUTE' }];
    expect(codes(validate(doc))).toEqual(['NO_COORDINATOR /parties', 'NO_PARTY_MATCHES_SELECTOR /flows/0/to/role']);
  });
  it('selectors that match nobody, duplicate flow ids, purposes outside the agreement', () => {
    expect(codes(validate(withFlows(
      flow({ id: 'acute-to-coord', from: { agency: 'nobody' }, release: {} }),
      flow({ id: 'x', to: { type: 'IDVA' }, purposes: ['MARAC_TRANSFER'], release: {} }),
    )))).toEqual([
      'FLOW_PURPOSE_NOT_IN_AGREEMENT /flows/2/purposes/0',
      'UNKNOWN_PARTY /flows/1/from/agency',
      'NO_PARTY_MATCHES_SELECTOR /flows/2/to/type',
      'DUPLICATE_FLOW_ID /flows/1/id',
    ]);
  });
  it('inter-area scope: required for transfer, only for transfer, both coordinators', () => {
    // (The existing flow, open to every purpose, would now also forward health data on a transfer.)
    expect(codes(validate({ ...base(), purposes: ['MARAC_RESEARCH', 'MARAC_TRANSFER'] }))).toEqual([
      'INTER_AREA_REQUIRED /interArea', 'GUARDRAIL_CONFLICT /flows/0/release/health.pregnancy',
    ]);
    expect(codes(validate({ ...base(), interArea: { maracAreas: ['a-area', 'b-area'] } }))).toEqual(['INTER_AREA_WITHOUT_TRANSFER /interArea']);
    expect(codes(validate({ ...base(), purposes: ['MARAC_RESEARCH', 'MARAC_TRANSFER'], interArea: { maracAreas: ['a-area', 'b-area'] } })))
      .toContain('INTER_AREA_NEEDS_TWO_COORDINATORS /parties');
  });
  it('a payload the provider does not send, and agency payloads in a request', () => {
    expect(codes(validate(withFlows(
      flow({ id: 'p', release: { 'health.pregnancy': 'keep' } }),
      flow({ id: 'r', direction: 'request', from: { role: 'coordinator' }, to: { type: 'POLICE' }, release: { 'police.mappa': 'keep' } }),
    )))).toEqual(['PAYLOAD_NOT_FROM_PROVIDER /flows/1/release/health.pregnancy', 'PAYLOAD_NOT_FROM_PROVIDER /flows/2/release/police.mappa']);
  });
  it('a rule below a field that is already released whole is shadowed', () => {
    expect(codes(validate(withFlows(flow({ release: { 'police.incidents': 'count', 'police.incidents[].date': 'keep' } })))))
      .toEqual(['RULE_SHADOWED /flows/1/release/police.incidents[].date']);
  });
});

describe('validateAgreement: all problems at once', () => {
  it('reports every problem of a badly broken agreement in one pass', () => {
    const doc = {
      ...base(),
      colour: 'blue',
      reviewBy: '2025-01-01',
      lawfulBasis: { ...base().lawfulBasis, article9: [] },
      flows: [
        ...base().flows,
        flow({ id: 'bad', release: { 'police.shoeSize': 'keep', 'police.firearmsCertificateHeld': { postcode: 'district' }, 'police.mappa': 'nope' as never } }),
        flow({ id: 'loc', direction: 'request', from: { role: 'coordinator' }, to: { type: 'HOUSING' }, release: { 'subject.address': 'keep' } }),
        flow({ id: 'bad', to: { type: 'IDVA' }, release: {} }),
      ],
    };
    expect(new Set(validate(doc).map((p) => p.code))).toEqual(new Set([
      'SCHEMA_ADDITIONAL_PROPERTIES', 'DATES_OUT_OF_ORDER', 'SC_WITHOUT_ART9_CONDITION', 'UNKNOWN_FIELD_PATH',
      'OPERATOR_TYPE_MISMATCH', 'INVALID_OPERATOR', 'GUARDRAIL_CONFLICT', 'NO_PARTY_MATCHES_SELECTOR', 'DUPLICATE_FLOW_ID',
    ]));
  });
});

describe('compileAgreement refuses what it cannot carry out', () => {
  it('throws AgreementInvalid listing the fatal problems', () => {
    const doc = withFlows(flow({ release: { 'police.mappa': 'nope' as never } }));
    try {
      compileAgreement(doc, { catalog, guardrails });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AgreementInvalid);
      expect((e as AgreementInvalid).code).toBe('AGREEMENT_INVALID');
      expect((e as AgreementInvalid).problems?.map((p) => p.code)).toEqual(['INVALID_OPERATOR']);
    }
  });
  it('compiles with non-fatal problems kept on `problems`, or refuses in strict mode', () => {
    const doc = withFlows(flow({ release: { 'police.shoeSize': 'keep' } }));
    expect(compileAgreement(doc, { catalog, guardrails }).problems.map((p) => p.code)).toEqual(['UNKNOWN_FIELD_PATH']);
    expect(() => compileAgreement(doc, { catalog, guardrails, strict: true })).toThrow(AgreementInvalid);
  });
  it('never mutates the document it was given', () => {
    const doc = essexDoc();
    const before = JSON.stringify(doc);
    const c = compileAgreement(doc, { catalog, guardrails, status: 'active' });
    expect(JSON.stringify(doc)).toBe(before);
    expect(Object.isFrozen(c.doc.flows[0])).toBe(true);
  });
});
