import { describe, expect, it } from 'vitest';
import {
  createSubjectTokens, normaliseNamePart, normaliseNhsNumber, normalisePncId, tokenForQuery, tokensForSubject,
} from '../../../gateway/src/audit/subject-tokens.js';

const KEY = Buffer.alloc(32, 1);
const OTHER = Buffer.alloc(32, 2);

describe('subject tokens', () => {
  it('normalises NHS numbers, PNC ids and names the same way on both sides', () => {
    expect(normaliseNhsNumber('943 476 5919')).toBe('9434765919');
    expect(normaliseNhsNumber('12345')).toBeNull();
    expect(normalisePncId('2012/345678z')).toBe('12/0345678Z');
    expect(normalisePncId('12/0345678Z')).toBe('12/0345678Z');
    expect(normalisePncId(' 12 /345678 Z')).toBe('12/0345678Z');
    expect(normalisePncId('ABC')).toBeNull();
    expect(normaliseNamePart("  Zoë O'Brien-Smith ")).toBe('ZOEOBRIENSMITH');
    expect(normaliseNamePart('Łukasz')).toBe('ŁUKASZ');
  });

  it('gives one token per identifier and per name × date of birth, stable and sorted', () => {
    const subject = {
      names: [{ given: ['Zoë', 'Ann'], family: "O'Brien" }, { given: ['Zoe'], family: 'Smith' }],
      dobs: ['1988-02-29', '1988-03-01'],
      identifiers: [{ system: 'nhs-number', value: '943 476 5919' }, { system: 'pnc-id', value: '12/345678Z' }, { system: 'uprn', value: '100023336956' }],
    };
    const t = tokensForSubject(KEY, subject);
    expect(t).toHaveLength(2 + 2 * 2);
    expect(t).toEqual([...t].sort());
    expect(t.every((x) => /^tok_[0-9a-f]{32}$/.test(x))).toBe(true);
    expect(t).toContain(tokenForQuery(KEY, 'nhs-number', '9434765919'));
    expect(t).toContain(tokenForQuery(KEY, 'pnc-id', '2012/0345678z'));
    expect(t).toContain(tokenForQuery(KEY, 'name-dob', 'ZOE|obrien|1988-02-29'));
    expect(t).toContain(tokenForQuery(KEY, 'name-dob', 'zoe|smith|1988-03-01'));
    expect(JSON.stringify(t)).not.toMatch(/9434765919|OBRIEN|1988/);
  });

  it('depends on the key and on the identifier system', () => {
    expect(tokenForQuery(KEY, 'nhs-number', '9434765919')).not.toBe(tokenForQuery(OTHER, 'nhs-number', '9434765919'));
    expect(tokensForSubject(KEY, { identifiers: [{ system: 'nhs-number', value: '9434765919' }] })).toEqual([tokenForQuery(KEY, 'nhs-number', '9434765919')]);
  });

  it.each([
    ['nhs-number', '943476591', 'NHS_NUMBER_INVALID'],
    ['pnc-id', 'nope', 'PNC_ID_INVALID'],
    ['name-dob', 'Zoe|1988-02-29', 'NAME_DOB_INVALID'],
    ['name-dob', 'Zoe|Smith|1988-02-30', 'NAME_DOB_INVALID'],
    ['name-dob', 'Zoe|Smith|29/02/1988', 'NAME_DOB_INVALID'],
    ['passport', '123', 'SUBJECT_SYSTEM_UNKNOWN'],
    ['nhs-number', '', 'SUBJECT_VALUE_MISSING'],
  ])('refuses %s %j (%s)', (system, value, reason) => {
    expect(() => tokenForQuery(KEY, system, value)).toThrow(expect.objectContaining({ code: 'SUBJECT_IDENTIFIER_INVALID', reason }));
  });

  it('refuses a missing or short key rather than make guessable tokens', () => {
    expect(() => createSubjectTokens(Buffer.alloc(0))).toThrow(expect.objectContaining({ code: 'SUBJECT_IDENTIFIER_INVALID' }));
    expect(() => tokenForQuery('short', 'nhs-number', '9434765919')).toThrow(expect.objectContaining({ code: 'SUBJECT_IDENTIFIER_INVALID' }));
  });
});
