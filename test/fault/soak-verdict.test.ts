import { describe, expect, it } from 'vitest';
import { parseSoakArgs, theilSen } from '../../scripts/soak.js';

/** The pure parts of `npm run soak`: its arguments (fail closed on anything unknown) and its slope. */
describe('soak arguments', () => {
  it('has short defaults for CI', () => {
    expect(parseSoakArgs([])).toEqual({ minutes: 1, rate: 2, sampleSeconds: 2, maxSlope: 3, warmupSeconds: 60 });
  });
  it('takes --flag value, --flag=value and a stray --', () => {
    expect(parseSoakArgs(['--', '--minutes', '4', '--rate=5', '--warmup-seconds', '0'])).toMatchObject({ minutes: 4, rate: 5, warmupSeconds: 0 });
  });
  it.each([
    [['--minutes']],
    [['--minutes', 'x']],
    [['--minutes', '0']],
    [['--rate', '-1']],
    [['--hours', '2']],
    [['4']],
  ])('refuses %j', (argv) => {
    expect(() => parseSoakArgs(argv)).toThrow();
  });
});

describe('theilSen', () => {
  it('finds the slope of a line', () => {
    expect(theilSen([0, 1, 2, 3].map((x) => ({ x, y: 10 + 2 * x })))).toBeCloseTo(2);
  });
  it('is not thrown off by one garbage-collection drop in a flat series', () => {
    const ys = [200, 201, 200, 202, 150, 201, 200, 202, 201, 200];
    expect(Math.abs(theilSen(ys.map((y, x) => ({ x, y }))))).toBeLessThan(0.5);
  });
  it('sees steady growth under sawtooth noise', () => {
    const ys = Array.from({ length: 30 }, (_, x) => 150 + x * 1.5 + (x % 3 === 0 ? -6 : 3));
    expect(theilSen(ys.map((y, x) => ({ x, y })))).toBeGreaterThan(1);
  });
  it('has no slope without two distinct points', () => {
    expect(theilSen([])).toBeNaN();
    expect(theilSen([{ x: 1, y: 2 }])).toBeNaN();
  });
});
