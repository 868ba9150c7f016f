import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuditQueryInvalid } from '../../../gateway/src/audit/errors.js';
import { scanForPersonalData } from '../../../gateway/src/audit/pii-guard.js';
import { normaliseFilters, type AuditFilters } from '../../../gateway/src/audit/query.js';

// The filters an auditor types go, as normalised, into the query's own AUDIT_QUERIED event (case,
// request, agency as the event's fields; decision, reason and actions in its detail), and that
// event passes the personal-data guard. A value the guard would refuse must be refused here, as a
// 400, or the query becomes a 500 (found by fuzzing: ?reason=CM29ZZ). `from`, `to` and `actor`
// are not written into the event, so they are not part of this property.
const RECORDED = ['agency', 'caseId', 'requestId', 'decision', 'reason', 'action'] as const;

const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
const letter = fc.constantFrom(...'ABDEFGHJLNPQRSTUWXYZ');
const personal = fc.oneof(
  fc.tuple(fc.constantFrom('CM', 'SW', 'E', 'N', 'B', 'LS', 'EC'), digits(1), fc.constantFrom('', ' ', '_'), digits(1), letter, letter)
    .map(([a, d, s, d2, l1, l2]) => `${a}${d}${s === '_' ? '' : s}${d2}${l1}${l2}`),
  digits(10),
  fc.tuple(fc.constantFrom('07700', '020', '01245'), digits(6)).map(([a, b]) => a + b),
  fc.tuple(fc.integer({ min: 1900, max: 2030 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }))
    .map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`),
  fc.constantFrom('a@b.co', 'x.y@example.org'),
);
const casing = (s: string) => fc.constantFrom(s, s.toUpperCase(), s.toLowerCase());
const wrapped = fc.tuple(fc.constantFrom('', 'X_', 'case_', 'AGENCY-'), personal, fc.constantFrom('', '_A', '-1'))
  .chain(([a, p, b]) => casing(`${a}${p}${b}`));

const KEY: Record<(typeof RECORDED)[number], keyof AuditFilters> = {
  agency: 'agency', caseId: 'caseId', requestId: 'requestId', decision: 'decision', reason: 'reason', action: 'action',
};

describe('audit filters that reach the query event', () => {
  it('a value that looks like personal data is refused (AuditQueryInvalid), never kept for the event', () => {
    fc.assert(fc.property(fc.constantFrom(...RECORDED), wrapped, (key, value) => {
      let out: ReturnType<typeof normaliseFilters>;
      try {
        out = normaliseFilters({ [KEY[key]]: key === 'action' ? [value] : value } as AuditFilters);
      } catch (e) {
        expect(e).toBeInstanceOf(AuditQueryInvalid);
        return;
      }
      expect(scanForPersonalData({ ...out, from: undefined, to: undefined, actor: undefined })).toEqual([]);
    }), { numRuns: 3000 });
  });

  it.each([
    ['reason', 'CM29ZZ'], ['reason', 'SW1A1AA'], ['reason', 'RULE_CM11AA'],
    ['agency', 'cm29zz'], ['caseId', '07700900123'], ['requestId', '1990-04-01'],
  ] as const)('%s=%s is a 400', (key, value) => {
    expect(() => normaliseFilters({ [key]: value })).toThrow(AuditQueryInvalid);
  });

  it('real reason codes and ids still pass', () => {
    expect(normaliseFilters({ reason: 'DEFAULT_DENY', caseId: 'case_0123456789abcdef', agency: 'essex-police', requestId: 'req_42' }))
      .toMatchObject({ reason: 'DEFAULT_DENY', caseId: 'case_0123456789abcdef', agency: 'essex-police' });
  });
});
