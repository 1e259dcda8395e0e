import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { thrown } from './helpers/thrown.ts';

describe('parseDuration', () => {
  it.each([
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['90s', 90_000],
    ['250ms', 250],
    ['1.5s', 1500],
    ['2d', 172_800_000],
    [0, 0],
    ['0', 0],
  ])('%s -> %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['', '5 minutes', 'm', '-5s', '5x', null, {}])('rejects %j with a message', (input) => {
    expect(() => parseDuration(input)).toThrow(/duration|number/);
  });

  it.each([
    [45, '"45s" or "45m", not 45'],
    ['15', '"15s" or "15m", not 15'],
    [1.5, '"1.5s" or "1.5m", not 1.5'],
  ])('refuses the bare number %j: it names the units instead of guessing seconds', (input, message) => {
    expect(() => parseDuration(input)).toThrow(`a bare number has no unit: write ${message}`);
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

describe('a bare number in the config', () => {
  it('is refused with the path of each field, not read as seconds', async () => {
    const { validateConfig, ConfigError } = await import('../lib/config.ts');
    const { problems } = thrown(
      () =>
        validateConfig(
          {
            targets: [
              {
                cluster: 'prod',
                service: 'web',
                repository: 'web',
                steps: [
                  { percent: 10, bake: 5 },
                  { percent: 100, bake: '1m' },
                ],
                stepDeadline: 15,
              },
            ],
          },
          'autopilot.yml',
        ),
      ConfigError,
    );
    expect(problems).toContainEqual({
      path: 'targets[0].stepDeadline',
      message: 'a bare number has no unit: write "15s" or "15m", not 15',
    });
    expect(problems.map((p) => p.path)).toContain('targets[0].steps[0].bake');
  });
});
