import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../lib/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['90s', 90_000],
    ['250ms', 250],
    ['1.5s', 1500],
    [45, 45_000],
    ['2d', 172_800_000],
  ])('%s -> %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['', '5 minutes', 'm', '-5s', '5x', null, {}])('rejects %j with a message', (input) => {
    expect(() => parseDuration(input)).toThrow(/duration|number/);
  });

  it.each([
    [5_400_000, '1h30m'],
    [1500, '1.5s'],
    [300_000, '5m'],
    [0, '0ms'],
  ])('formats %d as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
