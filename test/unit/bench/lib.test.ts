import { describe, expect, it } from 'vitest';
import {
  END_MARKER, START_MARKER, areasFor, formatNumber, jsonLine, median, mergeRows, parseArgs, parseTable, percentile,
  ratioOf, renderTable, summarize, toRow, updateDocument, type BenchResult, type TableRow,
} from '../../../scripts/bench/lib.js';

const ctx = { date: '2026-05-01', machine: '2× Test CPU, 8 GB, Node 20.11.0, linux-x64' };

function result(name: string, value = 1, extra: Partial<BenchResult> = {}): BenchResult {
  return { name, value, unit: 'ms', baseline: 2, ratio: ratioOf(value, 2), ...extra };
}

describe('statistics', () => {
  it('percentile is nearest-rank on unsorted input', () => {
    const v = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(v, 50)).toBe(5);
    expect(percentile(v, 90)).toBe(9);
    expect(percentile(v, 95)).toBe(10);
    expect(percentile(v, 100)).toBe(10);
    expect(percentile(v, 0)).toBe(1);
    expect(percentile([42], 99)).toBe(42);
  });

  it('p95 of 30 samples is the 29th smallest', () => {
    const v = Array.from({ length: 30 }, (_, i) => 30 - i);
    expect(percentile(v, 95)).toBe(29);
  });

  it('percentile of nothing is NaN and an out-of-range p is an error', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });

  it('median averages the middle pair for an even count and does not mutate its input', () => {
    const v = [4, 1, 3, 2];
    expect(median(v)).toBe(2.5);
    expect(v).toEqual([4, 1, 3, 2]);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([])).toBeNaN();
  });

  it('summarize reports count, min, mean, percentiles and max', () => {
    const s = summarize([10, 20, 30, 40]);
    expect(s).toMatchObject({ count: 4, min: 10, mean: 25, p50: 20, p95: 40, max: 40 });
  });

  it('ratioOf is value / baseline and NaN for a missing or zero baseline', () => {
    expect(ratioOf(35, 100)).toBe(0.35);
    expect(ratioOf(1, 3)).toBe(0.333);
    expect(ratioOf(1, 0)).toBeNaN();
    expect(ratioOf(1, Number.NaN)).toBeNaN();
  });

  it('the JSON line holds exactly name, value, unit, baseline, ratio in that order', () => {
    const line = jsonLine({ ...result('exchange.ingest', 350), unit: 'responses/s', baseline: 1000, ratio: 0.35, note: 'n', target: 't' });
    expect(line).toBe('{"name":"exchange.ingest","value":350,"unit":"responses/s","baseline":1000,"ratio":0.35}');
  });
});

describe('prefix filter', () => {
  it('an empty prefix runs every area', () => {
    expect(areasFor('')).toEqual(['exchange', 'load-at-80', 'policy', 'audit', 'adapters', 'cases', 'meetings', 'scale']);
    expect(areasFor('scale')).toEqual(['scale']);
  });

  it('a figure prefix imports only the area that can produce it', () => {
    expect(areasFor('policy.')).toEqual(['policy']);
    expect(areasFor('policy.decide')).toEqual(['policy']);
    expect(areasFor('exchange.ingest')).toEqual(['exchange']);
    expect(areasFor('audit')).toEqual(['audit']);
    expect(areasFor('gateway.rss')).toEqual(['load-at-80']);
    expect(areasFor('exchange.p99')).toEqual(['load-at-80']);
  });

  it('a short prefix matches every area whose figures start with it', () => {
    expect(areasFor('a')).toEqual(['audit', 'adapters']);
    expect(areasFor('ex')).toEqual(['exchange', 'load-at-80']);
  });

  it('a prefix no area produces matches nothing', () => {
    expect(areasFor('nothing.')).toEqual([]);
    expect(areasFor('Exchange.')).toEqual([]);
  });
});

describe('command line', () => {
  it('takes an optional prefix and --no-write, in any order', () => {
    expect(parseArgs([])).toEqual({ prefix: '', write: true });
    expect(parseArgs(['exchange'])).toEqual({ prefix: 'exchange', write: true });
    expect(parseArgs(['--no-write', 'policy.'])).toEqual({ prefix: 'policy.', write: false });
    expect(parseArgs(['policy.', '--no-write'])).toEqual({ prefix: 'policy.', write: false });
    expect(parseArgs(['--', 'audit'])).toEqual({ prefix: 'audit', write: true });
  });

  it('refuses unknown options and a second prefix', () => {
    expect(() => parseArgs(['--write'])).toThrow(/unknown option/);
    expect(() => parseArgs(['a', 'b'])).toThrow(/one prefix/);
  });
});

describe('generated table', () => {
  it('renders one row per figure with the reproduce command, and parses back to the same rows', () => {
    const rows = [toRow(result('exchange.ingest', 412.345, { unit: 'responses/s', target: 'ratio ≥ 0.35', note: 'a | b' }), ctx)];
    const md = renderTable(rows);
    expect(md.split('\n')[0]).toBe('| figure | value | unit | baseline | ratio | target | command | date | machine | note |');
    expect(md).toContain('`npm run bench -- exchange.ingest`');
    expect(md).toContain('a \\| b');
    expect(parseTable(md)).toEqual(rows);
    expect(rows[0]!.value).toBe('412');
  });

  it('formats numbers to a sensible precision', () => {
    expect(formatNumber(1234.56)).toBe('1235');
    expect(formatNumber(12.345)).toBe('12.3');
    expect(formatNumber(1.2345)).toBe('1.23');
    expect(formatNumber(0.35)).toBe('0.35');
    expect(formatNumber(0.12345)).toBe('0.123');
    expect(formatNumber(Number.NaN)).toBe('NaN');
  });

  it('merging keeps rows not run this time, replaces the ones that were, and sorts by figure', () => {
    const old: TableRow[] = [
      toRow(result('policy.decide_per_s', 1), { ...ctx, date: '2026-04-01' }),
      toRow(result('exchange.ingest', 100), { ...ctx, date: '2026-04-01' }),
    ];
    const fresh = [toRow(result('exchange.ingest', 200), ctx), toRow(result('audit.append_per_s', 3), ctx)];
    const merged = mergeRows(old, fresh);
    expect(merged.map((r) => r.figure)).toEqual(['audit.append_per_s', 'exchange.ingest', 'policy.decide_per_s']);
    expect(merged.find((r) => r.figure === 'exchange.ingest')).toMatchObject({ value: '200', date: '2026-05-01' });
    expect(merged.find((r) => r.figure === 'policy.decide_per_s')).toMatchObject({ value: '1', date: '2026-04-01' });
  });

  it('updateDocument rewrites only the text between the markers', () => {
    const before = `# Benchmarks\n\nIntro text.\n\n${START_MARKER}\n${renderTable([toRow(result('policy.x', 5), ctx)])}\n${END_MARKER}\n\n## After\nKept.\n`;
    const after = updateDocument(before, [toRow(result('exchange.ingest', 7), ctx)]);
    expect(after.startsWith('# Benchmarks\n\nIntro text.\n\n')).toBe(true);
    expect(after.endsWith(`${END_MARKER}\n\n## After\nKept.\n`)).toBe(true);
    const rows = parseTable(after.slice(after.indexOf(START_MARKER), after.indexOf(END_MARKER)));
    expect(rows.map((r) => [r.figure, r.value])).toEqual([['exchange.ingest', '7'], ['policy.x', '5']]);
    // Running again with the same figure does not duplicate it.
    const again = updateDocument(after, [toRow(result('exchange.ingest', 8), ctx)]);
    expect(again.match(/exchange\.ingest \|/g)).toHaveLength(1);
    expect(again).toContain('| exchange.ingest | 8 |');
  });

  it('updateDocument appends the section when the markers are missing', () => {
    const out = updateDocument('# Benchmarks\n\nNo table yet.\n', [toRow(result('exchange.ingest', 7), ctx)]);
    expect(out).toMatch(/No table yet\.\n\n<!-- bench:start -->\n\| figure /);
    expect(out.trimEnd().endsWith(END_MARKER)).toBe(true);
  });

  it('parsing ignores lines that are not table rows and rows without a figure', () => {
    const md = `\nsome text\n| figure | value |\n|---|---|\n| a.b | 3 |\n|  | 4 |\n`;
    const rows = parseTable(md);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ figure: 'a.b', value: '3', unit: '', command: '' });
  });
});
