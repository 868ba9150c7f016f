import { describe, expect, it } from 'vitest';
import { ageOn, deriveFacts } from '../../../gateway/src/reporting/return-facts.js';
import { barChart, columnChart } from '../../../gateway/src/reporting/svg-chart.js';
import { lastTwelveMonths } from '../../../gateway/src/reporting/dashboard.js';

const victim = (over: Record<string, unknown> = {}) => ({ role: 'VICTIM', dobs: ['1990-04-12'], sexOrGender: 'F', ...over });

describe('return flags', () => {
  it('counts whole years', () => {
    expect(ageOn('2010-06-10', '2026-06-09')).toBe(15);
    expect(ageOn('2010-06-10', '2026-06-10')).toBe(16);
    expect(ageOn('2008-12-31', '2026-12-30')).toBe(17);
    expect(ageOn('nonsense', '2026-01-01')).toBeUndefined();
  });

  it('takes the equality data first, then the victim as recorded', () => {
    const base = { openedOn: '2026-06-10', repeat: false };
    expect(deriveFacts({ ...base, subjects: [victim({ dobs: ['2009-09-01'] })] })).toMatchObject({ victim1617: true, victimMale: false, bme: false });
    expect(deriveFacts({ ...base, subjects: [victim({ sexOrGender: 'M' })] }).victimMale).toBe(true);
    // A stated gender wins over the recorded sex; "not known" does not.
    expect(deriveFacts({ ...base, subjects: [victim({ sexOrGender: 'M' })], equality: { gender: 'FEMALE' } }).victimMale).toBe(false);
    expect(deriveFacts({ ...base, subjects: [victim({ sexOrGender: 'M' })], equality: { gender: 'NOT_KNOWN' } }).victimMale).toBe(true);
    expect(deriveFacts({ ...base, subjects: [victim()], equality: { age: 17 } }).victim1617).toBe(true);
    expect(deriveFacts({ ...base, subjects: [victim({ dobs: ['2009-09-01'] })], equality: { age: 18 } }).victim1617).toBe(false);
  });

  it('flags ethnicity, sexuality and disability only from what was stated', () => {
    const f = (equality: Record<string, unknown>) => deriveFacts({ openedOn: '2026-06-10', repeat: false, subjects: [victim()], equality });
    for (const e of ['ASIAN_OR_ASIAN_BRITISH', 'BLACK_OR_BLACK_BRITISH', 'MIXED_OR_MULTIPLE', 'OTHER_ETHNIC_GROUP']) expect(f({ ethnicity: e }).bme).toBe(true);
    for (const e of ['WHITE', 'NOT_KNOWN', 'PREFER_NOT_TO_SAY']) expect(f({ ethnicity: e }).bme).toBe(false);
    for (const s of ['GAY_OR_LESBIAN', 'BISEXUAL', 'OTHER']) expect(f({ sexualOrientation: s }).lgbt).toBe(true);
    for (const s of ['HETEROSEXUAL', 'NOT_KNOWN', 'PREFER_NOT_TO_SAY']) expect(f({ sexualOrientation: s }).lgbt).toBe(false);
    expect(f({ gender: 'NON_BINARY' }).lgbt).toBe(true);
    expect(f({ disability: 'YES' }).disabled).toBe(true);
    expect(f({ disability: 'NOT_KNOWN' }).disabled).toBe(false);
    expect(f({})).toMatchObject({ bme: false, lgbt: false, disabled: false });
  });

  it('counts the children of the case and keeps only coarse values', () => {
    const facts = deriveFacts({
      openedOn: '2026-06-10', repeat: true, referringAgencyId: 'essex-police', referringAgencyType: 'POLICE',
      subjects: [victim(), { role: 'PERPETRATOR' }, { role: 'CHILD' }, { role: 'CHILD' }, { role: 'OTHER_ADULT_AT_RISK' }],
    });
    expect(facts).toEqual({
      referringAgencyId: 'essex-police', referringAgencyType: 'POLICE', repeat: true, victim1617: false, victimMale: false,
      bme: false, lgbt: false, disabled: false, childrenCount: 2,
    });
  });
});

describe('charts', () => {
  it('are images with a title and a description, text escaped', () => {
    const svg = barChart({ id: 'c1', title: 'Turnaround <per> agency', desc: 'Hours & more', labels: ['Police & co'], series: [{ name: 'h', values: [3.25] }], unit: ' h' });
    expect(svg).toMatch(/^<svg [^>]*role="img" aria-labelledby="c1-title c1-desc"/);
    expect(svg).toContain('<title id="c1-title">Turnaround &lt;per&gt; agency</title>');
    expect(svg).toContain('<desc id="c1-desc">Hours &amp; more</desc>');
    expect(svg).toContain('Police &amp; co');
    expect(svg).toContain('3.3 h');
    const col = columnChart({ id: 'c2', title: 't', desc: 'd', labels: ['Jan', 'Feb'], series: [{ name: 'a', values: [0, 4] }, { name: 'b', values: [1, 2] }] });
    expect(col.match(/<rect /g)).toHaveLength(2 + 4);
    expect(col).not.toContain('NaN');
  });

  it('covers the twelve months ending with this one', () => {
    expect(lastTwelveMonths('2026-03-15')).toEqual(['2025-04', '2025-05', '2025-06', '2025-07', '2025-08', '2025-09', '2025-10', '2025-11', '2025-12', '2026-01', '2026-02', '2026-03']);
  });
});
