import { describe, expect, it } from 'vitest';
import { ValidationFailed } from '../../../gateway/src/errors.js';
import {
  createSchemaRegistry, findForbiddenKeys, hasForbiddenKey, schemaRegistry, validate, assertValid, SchemaNotAvailable,
} from '../../../gateway/src/schema/registry.js';
import { responseSamples, sample } from './samples.js';

const codesAt = (problems: { path: string; code: string }[]) => problems.map((p) => `${p.code}@${p.path}`);

describe('valid samples', () => {
  it('accepts the case, request and decline samples', () => {
    expect(validate('case', sample('case.json'))).toEqual([]);
    expect(validate('research-request', sample('research-request.json'))).toEqual([]);
    expect(validate('decline', sample('decline.json'))).toEqual([]);
  });

  it.each(responseSamples())('accepts %s', (file) => {
    expect(validate('research-response', sample(file))).toEqual([]);
  });

  it('samples cover every payload key', () => {
    const keys = new Set<string>();
    for (const f of responseSamples()) {
      for (const r of sample(f).subjectResults) for (const k of Object.keys(r)) keys.add(k);
    }
    for (const k of ['police', 'health', 'housing', 'childrensSocialCare', 'adultSocialCare', 'probation', 'idva']) {
      expect(keys).toContain(k);
    }
  });
});

describe('case', () => {
  it('rejects an unknown top-level field, pointing at it', () => {
    const c = sample('case.json');
    c.coordinatorAgencyId = 'someone-else';
    expect(codesAt(validate('case', c))).toEqual(['additionalProperties@/coordinatorAgencyId']);
  });

  it('rejects unknown fields nested inside subjects', () => {
    const c = sample('case.json');
    c.subjects[0].address.flat = '2';
    expect(codesAt(validate('case', c))).toEqual(['additionalProperties@/subjects/0/address/flat']);
  });

  it('reports every problem at once', () => {
    const c = sample('case.json');
    delete c.meetingDate;
    c.subjects[1].role = 'SUSPECT';
    c.riskBasis.dashScore = 25;
    c.maracArea = 'Not An Area';
    expect(codesAt(validate('case', c)).sort()).toEqual([
      'enum@/subjects/1/role',
      'maximum@/riskBasis/dashScore',
      'pattern@/maracArea',
      'required@/meetingDate',
    ]);
  });

  it('takes the MARAC area as optional (it comes from the coordinator registration)', () => {
    const c = sample('case.json');
    delete c.maracArea;
    expect(validate('case', c)).toEqual([]);
  });

  it.each(['REFUSED', 'NOT_SOUGHT_UNSAFE', 'NOT_SOUGHT_OTHER', 'LACKS_CAPACITY'])('consent %s needs rationale, decidedBy and decidedAt', (status) => {
    for (const missing of ['rationale', 'decidedBy', 'decidedAt']) {
      const c = sample('case.json');
      c.subjects[0].consent.status = status;
      delete c.subjects[0].consent[missing];
      expect(codesAt(validate('case', c))).toContain(`required@/subjects/0/consent/${missing}`);
    }
  });

  it('consent GIVEN needs no decision record', () => {
    const c = sample('case.json');
    c.subjects[0].consent = { status: 'GIVEN', explicitForSpecialCategory: true };
    expect(validate('case', c)).toEqual([]);
  });

  it.each([
    ['not a date', 'format'],
    ['2026-13-01', 'format'],
    ['16/12/2026', 'format'],
    ['2026-12-16T00:00:00Z', 'format'],
  ])('rejects meetingDate %j', (value, code) => {
    const c = sample('case.json');
    c.meetingDate = value;
    expect(codesAt(validate('case', c))).toContain(`${code}@/meetingDate`);
  });

  it('rejects a wrong type', () => {
    const c = sample('case.json');
    c.isEmergency = 'yes';
    expect(codesAt(validate('case', c))).toEqual(['type@/isEmergency']);
  });

  it('rejects an empty criteria list and an empty subjects list', () => {
    const c = sample('case.json');
    c.riskBasis.criteria = [];
    c.subjects = [];
    expect(codesAt(validate('case', c)).sort()).toEqual(['minItems@/riskBasis/criteria', 'minItems@/subjects']);
  });

  it('rejects more than 20 subjects', () => {
    const c = sample('case.json');
    c.subjects = Array.from({ length: 21 }, (_, i) => ({ ...c.subjects[0], key: `s${i}` }));
    expect(codesAt(validate('case', c))).toEqual(['maxItems@/subjects']);
  });

  it('rejects an address with nothing but the confidential flag', () => {
    const c = sample('case.json');
    c.subjects[0].address = { confidential: true };
    expect(codesAt(validate('case', c))).toEqual(['minProperties@/subjects/0/address']);
  });

  it('requires per-subject legal conditions and rejects unknown Art 9 conditions', () => {
    const c = sample('case.json');
    delete c.subjects[0].legal;
    c.subjects[1].legal.art9Conditions = ['BECAUSE_I_SAID_SO'];
    expect(codesAt(validate('case', c)).sort()).toEqual([
      'enum@/subjects/1/legal/art9Conditions/0',
      'required@/subjects/0/legal',
    ]);
  });

  it('rejects an oversize free-text string', () => {
    const c = sample('case.json');
    c.riskBasis.professionalJudgementRationale = 'x'.repeat(4001);
    expect(codesAt(validate('case', c))).toEqual(['maxLength@/riskBasis/professionalJudgementRationale']);
  });

  it('rejects an oversize name', () => {
    const c = sample('case.json');
    c.subjects[0].names[0].family = 'x'.repeat(101);
    expect(codesAt(validate('case', c))).toEqual(['maxLength@/subjects/0/names/0/family']);
  });
});

describe('research request', () => {
  it('rejects duplicate recipients, bad agency ids and an out-of-range lookback', () => {
    const r = sample('research-request.json');
    r.recipients = ['mn-police', 'mn-police', 'Bad Id!'];
    r.lookbackMonths = 121;
    expect(codesAt(validate('research-request', r)).sort()).toEqual([
      'maximum@/lookbackMonths',
      'pattern@/recipients/2',
      'uniqueItems@/recipients',
    ]);
  });

  it('rejects a deadline without a time zone and an unknown domain', () => {
    const r = sample('research-request.json');
    r.deadline = '2026-12-15T17:00:00';
    r.requestedDomains = ['EVERYTHING'];
    expect(codesAt(validate('research-request', r)).sort()).toEqual([
      'enum@/requestedDomains/0',
      'format@/deadline',
    ]);
  });

  it('rejects an unknown purpose and zero recipients', () => {
    expect(codesAt(validate('research-request', { purpose: 'FAMILY_COURT', recipients: [] })).sort()).toEqual([
      'enum@/purpose',
      'minItems@/recipients',
    ]);
  });
});

describe('research response', () => {
  it('rejects a field unknown to the police payload', () => {
    const r = sample('response-police.json');
    r.subjectResults[0].police.intelligenceGrade = 'B2';
    expect(codesAt(validate('research-response', r))).toEqual([
      'additionalProperties@/subjectResults/0/police/intelligenceGrade',
    ]);
  });

  it('rejects a payload key that does not exist', () => {
    const r = sample('response-police.json');
    r.subjectResults[0].education = {};
    expect(codesAt(validate('research-response', r))).toEqual(['additionalProperties@/subjectResults/0/education']);
  });

  it('rejects a wrong schemaVersion, a confidence above 1 and a missing withheld list', () => {
    const r = sample('response-health.json');
    r.schemaVersion = '2.0';
    r.subjectResults[0].match.confidence = 1.5;
    delete r.subjectResults[1].withheld;
    expect(codesAt(validate('research-response', r)).sort()).toEqual([
      'const@/schemaVersion',
      'maximum@/subjectResults/0/match/confidence',
      'required@/subjectResults/1/withheld',
    ]);
  });

  it('rejects an agency risk summary not flagged as opinion', () => {
    const r = sample('response-police.json');
    r.agencyRiskSummary.isOpinion = false;
    expect(codesAt(validate('research-response', r))).toEqual(['const@/agencyRiskSummary/isOpinion']);
  });

  it('rejects an invalid date inside a payload array', () => {
    const r = sample('response-health.json');
    r.subjectResults[0].health.edAttendances12m[1].date = '2026-02-29';
    expect(codesAt(validate('research-response', r))).toEqual([
      'format@/subjectResults/0/health/edAttendances12m/1/date',
    ]);
  });

  it('rejects an oversize clinical narrative', () => {
    const r = sample('response-health.json');
    r.subjectResults[0].health.clinicalNarrative = 'é'.repeat(4001);
    expect(codesAt(validate('research-response', r))).toEqual([
      'maxLength@/subjectResults/0/health/clinicalNarrative',
    ]);
  });

  it('rejects more than 500 incidents', () => {
    const r = sample('response-police.json');
    const one = r.subjectResults[0].police.incidents[0];
    r.subjectResults[0].police.incidents = Array.from({ length: 501 }, () => one);
    expect(codesAt(validate('research-response', r))).toEqual(['maxItems@/subjectResults/0/police/incidents']);
  });

  it('rejects a withheld entry with an unknown reason', () => {
    const r = sample('response-police.json');
    r.subjectResults[1].withheld[0].reason = 'DONT_FEEL_LIKE_IT';
    expect(codesAt(validate('research-response', r))).toEqual(['enum@/subjectResults/1/withheld/0/reason']);
  });
});

describe('decline', () => {
  it('rejects an unknown reason and a note over 500 characters', () => {
    expect(codesAt(validate('decline', { reason: 'BUSY', note: 'x'.repeat(501) })).sort()).toEqual([
      'enum@/reason',
      'maxLength@/note',
    ]);
  });
});

describe('forbidden keys', () => {
  it('rejects __proto__ anywhere, from JSON.parse, with its path', () => {
    const body = JSON.parse(
      '{"reason":"NOT_KNOWN","__proto__":{"isAdmin":true}}',
    );
    expect(codesAt(validate('decline', body))).toEqual(['FORBIDDEN_KEY@/__proto__']);
  });

  it('finds constructor and prototype keys deep inside arrays', () => {
    const r = sample('response-police.json');
    r.subjectResults[0].police.incidents[2] = JSON.parse('{"constructor":{"prototype":{}}}');
    r.subjectResults[1].prototype = 1;
    expect(codesAt(validate('research-response', r))).toEqual([
      'FORBIDDEN_KEY@/subjectResults/0/police/incidents/2/constructor',
      'FORBIDDEN_KEY@/subjectResults/1/prototype',
    ]);
  });

  it('escapes JSON Pointer tokens', () => {
    expect(findForbiddenKeys(JSON.parse('{"a/b":{"~":{"__proto__":1}}}'))).toEqual([
      { path: '/a~1b/~0/__proto__', code: 'FORBIDDEN_KEY', message: 'key "__proto__" is not allowed' },
    ]);
  });

  it('survives very deep nesting without recursion', () => {
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(findForbiddenKeys(deep)).toEqual([]);
    expect(hasForbiddenKey(deep)).toBe(false);
    deep = { a: deep, b: [{ c: JSON.parse('{"__proto__":1}') }] };
    expect(hasForbiddenKey(deep)).toBe(true);
  });

  it('the quick look agrees with the full search', () => {
    const bodies = ['{}', '[]', '1', 'null', '{"a":[1,{"b":{"constructor":2}}]}', '[[{"prototype":0}]]', '{"x":{"y":[{"z":"__proto__"}]}}',
      '{"__proto__":{"a":1}}', '{"a/b":{"~":{"__proto__":1}}}', '{"constructors":1,"proto":2}'];
    for (const text of bodies) {
      const data = JSON.parse(text);
      expect(hasForbiddenKey(data), text).toBe(findForbiddenKeys(data).length > 0);
    }
  });
});

describe('assertValid and the registry', () => {
  it('throws ValidationFailed with every problem', () => {
    let caught: unknown;
    try {
      assertValid('decline', { reason: 'BUSY', extra: 1 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ValidationFailed);
    const err = caught as ValidationFailed;
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.status).toBe(400);
    expect(codesAt(err.problems ?? []).sort()).toEqual(['additionalProperties@/extra', 'enum@/reason']);
  });

  it('does not throw on valid input', () => {
    expect(() => assertValid('case', sample('case.json'))).not.toThrow();
  });

  it('rejects non-object bodies', () => {
    expect(codesAt(validate('case', [])).sort()).toEqual(['type@']);
    expect(codesAt(validate('decline', null))).toEqual(['type@']);
  });

  it('fails closed with SCHEMA_NOT_AVAILABLE when a schema is not loaded', () => {
    const empty = createSchemaRegistry({ schemasDir: new URL('../../fixtures/samples/', import.meta.url).pathname });
    expect(empty.has('case')).toBe(false);
    expect(() => empty.validate('case', {})).toThrow(SchemaNotAvailable);
    try {
      empty.validate('case', {});
    } catch (e) {
      expect((e as SchemaNotAvailable).code).toBe('SCHEMA_NOT_AVAILABLE');
    }
  });

  it('loads the repository schemas once', () => {
    expect(schemaRegistry()).toBe(schemaRegistry());
    expect(schemaRegistry().has('research-response')).toBe(true);
  });
});
