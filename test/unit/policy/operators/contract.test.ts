import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileOperator, type FieldType, type OperatorSpec } from '../../../../gateway/src/policy/operators/index.js';
import { ctxAt } from './helpers.js';

const SPECS: OperatorSpec[] = [
  'keep', 'drop', 'count', 'booleanise', 'pseudonymise', 'scrub',
  { mask: { keepLast: 4 } }, { date: 'year' }, { date: 'month' }, { ageBand: [0, 5, 11, 16, 18] },
  { postcode: 'district' }, { postcode: 'sector' }, { truncate: 20 },
  { window: { months: 12, on: 'date' } }, { limit: { top: 3, by: 'date' } },
  { categorise: { map: { A: 'X' } } }, { replace: 'CONFIDENTIAL' },
];

const GENERALISING = new Set(['drop', 'count', 'booleanise', 'postcode', 'replace', 'ageBand', 'pseudonymise']);

/** A sample value of each field type, as it would arrive in a response. */
const SAMPLES: Record<FieldType, unknown> = {
  string: 'CM1 4XX',
  date: '2020-01-01',
  'date-time': '2025-05-30T10:00:00Z',
  number: 3.5,
  integer: 4,
  boolean: true,
  object: { postcode: 'CM1 4XX' },
  array: [{ date: '2025-05-01' }],
};

describe('operator contract', () => {
  it('declares generalises exactly for the ops that cannot reveal the exact value', () => {
    for (const spec of SPECS) {
      const op = compileOperator(spec);
      const expected = GENERALISING.has(op.name) || (op.name === 'date' && (spec as { date: string }).date === 'year');
      expect({ op: op.name, generalises: op.generalises }).toEqual({ op: op.name, generalises: expected });
    }
  });

  it('never answers OPERATOR_NOT_APPLICABLE for a sample of a type it accepts', () => {
    for (const spec of SPECS) {
      const op = compileOperator(spec);
      for (const [type, sample] of Object.entries(SAMPLES) as [FieldType, unknown][]) {
        if (!op.accepts(type)) continue;
        const r = op.apply(sample, ctxAt());
        if (r.kind === 'drop') expect({ op: op.name, type, reason: r.reason }).not.toMatchObject({ reason: 'OPERATOR_NOT_APPLICABLE' });
      }
    }
  });

  it('never throws and always returns a value or a drop with an UPPER_SNAKE reason (property)', () => {
    const ops = SPECS.map((s) => compileOperator(s));
    fc.assert(
      fc.property(fc.anything({ withBoxedValues: true, withMap: true, withSet: true, withNullPrototype: true }), fc.date({ noInvalidDate: false }), (v, now) => {
        for (const op of ops) {
          const r = op.apply(v, ctxAt(now));
          if (r.kind === 'drop') expect(r.reason).toMatch(/^[A-Z][A-Z0-9_]*$/);
          else expect(r.kind).toBe('value');
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('fails closed on input that makes an operator blow up (a cyclic object)', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(compileOperator('pseudonymise').apply(cyclic, ctxAt())).toEqual({ kind: 'drop', reason: 'OPERATOR_FAILED' });
  });

  it('compiled operators are frozen', () => {
    const op = compileOperator('keep');
    expect(Object.isFrozen(op)).toBe(true);
  });
});
