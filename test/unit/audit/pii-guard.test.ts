import { describe, expect, it } from 'vitest';
import { detectPersonalData, detectPersonalNumber, scanForPersonalData } from '../../../gateway/src/audit/pii-guard.js';

describe('personal-data guard', () => {
  it.each([
    ['9434765919', 'NHS_NUMBER'],
    ['943 476 5919', 'NHS_NUMBER'],
    ['nhs: 943-476-5919', 'NHS_NUMBER'],
    ['07700 900123', 'PHONE_NUMBER'],
    ['+44 7700 900123', 'PHONE_NUMBER'],
    ['020 7946 0018', 'PHONE_NUMBER'],
    ['CM1 1AA', 'POSTCODE'],
    ['lives at sw1a2aa now', 'POSTCODE'],
    ['EC1A 1BB', 'POSTCODE'],
    ['someone@example.org', 'EMAIL'],
    ['1990-04-01', 'DATE'],
    ['born 01/04/1990', 'DATE'],
    ['1.4.90', 'DATE'],
    ['1st April 1990', 'DATE'],
    ['12 Mar 1985', 'DATE'],
    ['12/0345678Z', 'PNC_ID'],
    ['2012/345678Z', 'PNC_ID'],
  ])('flags %s as %s', (value, kind) => {
    expect(detectPersonalData(value)).toBe(kind);
  });

  it.each([
    '2027-11-22T19:00:00.000Z',
    '3f9a01234567890123456789abcdef01',
    'a'.repeat(64),
    'VISIBLE_HIGH_RISK,REPEAT',
    'subj_1/health.edAttendances12m[2].date',
    'case_01HZX8K2M3',
    'GET',
    '/v1/cases/:id',
    'essex-police',
    'flow-3@v12',
    'A1',
    'attempt 3 of 5',
    '12345',
  ])('lets %s through', (value) => {
    expect(detectPersonalData(value)).toBeNull();
  });

  it('checks numbers: a 10-digit integer is an NHS number, small counts are fine', () => {
    expect(detectPersonalNumber(9434765919)).toBe('NHS_NUMBER');
    expect(detectPersonalNumber(447700900123)).toBe('PHONE_NUMBER');
    expect(detectPersonalNumber(42)).toBeNull();
    expect(detectPersonalNumber(1.5)).toBeNull();
  });

  it('scans nested values and keys, reports paths not values, and skips what it is told to', () => {
    const findings = scanForPersonalData(
      { actor: { userId: 'staff@example.org' }, detail: { note: 'call 07700 900123', 'CM1 1AA': true }, list: ['ok', '1990-01-01'] },
      new Set(['/actor']),
    );
    expect(findings).toEqual([
      { path: '/detail/note', kind: 'PHONE_NUMBER' },
      { path: '/detail/CM1 1AA', kind: 'POSTCODE' },
      { path: '/list/1', kind: 'DATE' },
    ]);
    expect(JSON.stringify(findings)).not.toContain('07700');
  });
});

describe('fast personal-data check', () => {
  it('agrees with the full scan', async () => {
    const { hasPersonalData } = await import('../../../gateway/src/audit/pii-guard.js');
    const skip = new Set(['/actor']);
    const cases: unknown[] = [
      { actor: { userId: 'x@example.org' }, detail: { n: 1 } },
      { detail: { note: '943 476 5919' } },
      { fieldsReleased: ['subj_1/a.b', 'ok'], list: [{ deep: { deeper: 'CM1 1AA' } }] },
      { detail: { 'CM1 1AA': true } },
      { ruleIds: ['flows[2]'], agreementVersion: 3 },
      { detail: { big: 9434765919 } },
    ];
    for (const c of cases) expect(hasPersonalData(c, skip)).toBe(scanForPersonalData(c, skip).length > 0);
  });
});

describe('remembered clean strings', () => {
  it('still catches personal data every time, however often clean strings repeat around it', async () => {
    const { hasPersonalData } = await import('../../../gateway/src/audit/pii-guard.js');
    const clean = { fieldsReleased: ['subj_1/police.incidents[].summary', 'subj_1/police.markers[]'], reasonCode: 'NOT_IN_AGREEMENT' };
    for (let i = 0; i < 3; i++) expect(hasPersonalData(clean)).toBe(false);
    // The same keys and paths, now next to a value that is personal data: found on every call.
    for (let i = 0; i < 3; i++) expect(hasPersonalData({ ...clean, detail: { note: 'CM1 1AA' } })).toBe(true);
    for (let i = 0; i < 3; i++) expect(hasPersonalData({ fieldsReleased: ['subj_1/police.incidents[].summary', '943 476 5919'] })).toBe(true);
  });

  it('keeps working past its bound (the memory is dropped, not the check)', async () => {
    const { hasPersonalData } = await import('../../../gateway/src/audit/pii-guard.js');
    for (let i = 0; i < 25_000; i++) expect(hasPersonalData(`msg_${i.toString(16).padStart(32, 'a')}`)).toBe(false);
    expect(hasPersonalData('someone@example.org')).toBe(true);
    expect(hasPersonalData('msg_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0')).toBe(false);
  });
});
