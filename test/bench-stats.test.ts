/** The benchmarks' pure helpers (bench/stats.ts): no timings are asserted anywhere. */
import { describe, expect, it } from 'vitest';
import { formatMs, formatRatio, median, quantile, ratio, table } from '../bench/stats.ts';

describe('bench stats', () => {
  it('median of odd and even samples, NaN for none', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it.each([
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99, 10],
    [[3, 1, 2], 0, 1],
  ])('nearest-rank quantile of %j at %d is %d', (xs, p, want) => {
    expect(quantile(xs, p)).toBe(want);
  });

  it('quantile of no samples is NaN', () => {
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('ratio is value / baseline; 0 / 0 is 1; x / 0 and missing sides have none', () => {
    expect(ratio(30, 60)).toBe(0.5);
    expect(ratio(0, 0)).toBe(1);
    expect(ratio(24_000, 0)).toBeUndefined();
    expect(ratio(undefined, 5)).toBeUndefined();
    expect(ratio(5, undefined)).toBeUndefined();
  });

  it('formats ratios, marking a censored baseline as an upper bound', () => {
    expect(formatRatio(1.5)).toBe('1.50×');
    expect(formatRatio(47.53)).toBe('47.5×');
    expect(formatRatio(123.4)).toBe('123×');
    expect(formatRatio(0.0032, true)).toBe('≤0.003×');
    expect(formatRatio(undefined)).toBe('–');
  });

  it('formats virtual durations', () => {
    expect(formatMs(82_000)).toBe('1m22s');
    expect(formatMs(1_080_000)).toBe('18m');
    expect(formatMs(4_000)).toBe('4s');
    expect(formatMs(1_500)).toBe('1.5s');
    expect(formatMs(3_660_000)).toBe('1h1m');
    expect(formatMs(undefined)).toBe('never');
  });

  it('lays out a table: first column left, the others right', () => {
    expect(
      table([
        ['a', 'bb'],
        ['ccc', 'd'],
      ]),
    ).toBe('a    bb\n---  --\nccc   d');
  });
});
