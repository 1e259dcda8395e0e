import { describe, expect, it } from 'vitest';
import { parseScaling } from '../lib/scaling-config.ts';

function parse(value: unknown) {
  const problems: string[] = [];
  const policy = parseScaling(value, 'targets[0].scaling', (path, message) =>
    problems.push(`${path}: ${message}`),
  );
  return { policy, problems };
}

describe('scaling config', () => {
  it('reads a full section, with defaults for the cooldowns', () => {
    const { policy, problems } = parse({
      min: 2,
      max: 20,
      rules: [
        { alarm: 'cpu-high', adjust: '+2' },
        { alarm: 'rps-high', adjust: '+50%', minMagnitude: 2 },
        { alarm: 'cpu-low', adjust: '-1' },
        {
          alarm: 'steps',
          steps: [
            { lower: 0, upper: 20, adjust: '+1' },
            { lower: 20, adjust: '+3' },
          ],
        },
      ],
    });
    expect(problems).toEqual([]);
    expect(policy).toEqual({
      min: 2,
      max: 20,
      outCooldownMs: 60_000,
      inCooldownMs: 300_000,
      rules: [
        { alarm: 'cpu-high', adjust: { type: 'change', value: 2 } },
        { alarm: 'rps-high', adjust: { type: 'percent', value: 50, minMagnitude: 2 } },
        { alarm: 'cpu-low', adjust: { type: 'change', value: -1 } },
        {
          alarm: 'steps',
          steps: [
            { lower: 0, upper: 20, adjust: { type: 'change', value: 1 } },
            { lower: 20, adjust: { type: 'change', value: 3 } },
          ],
        },
      ],
    });
  });

  it.each([
    [
      { min: 5, max: 2, rules: [{ alarm: 'a', adjust: '+1' }] },
      'targets[0].scaling.max: must be at least min (5), got 2',
    ],
    [{ min: 1, max: 2 }, 'targets[0].scaling.rules: must list at least one rule'],
    [{ min: 1, max: 2, rules: [{ alarm: 'a' }] }, 'targets[0].scaling.rules[0]: needs exactly one of adjust'],
    [
      { min: 1, max: 2, rules: [{ alarm: 'a', adjust: 'twice' }] },
      'targets[0].scaling.rules[0].adjust: must be like',
    ],
    [
      {
        min: 1,
        max: 2,
        rules: [
          { alarm: 'a', adjust: '+1' },
          { alarm: 'a', adjust: '-1' },
        ],
      },
      'rules[1].alarm: a already has a rule',
    ],
    [
      { min: 1, max: 2, cooldown: { out: 'soon' }, rules: [{ alarm: 'a', adjust: '+1' }] },
      'targets[0].scaling.cooldown.out: must be a duration',
    ],
    [
      {
        min: 1,
        max: 2,
        rules: [
          {
            alarm: 'a',
            steps: [
              { lower: 10, adjust: '+1' },
              { lower: 5, adjust: '+2' },
            ],
          },
        ],
      },
      'rules[0].steps[1]: steps must be in order',
    ],
    [
      { min: 1, max: 2, rules: [{ alarm: 'a', steps: [{ lower: 10, upper: 5, adjust: '+1' }] }] },
      'rules[0].steps[0]: lower (10) must be below upper (5)',
    ],
    [
      { min: -1, max: 9000, rules: [{ alarm: 'a', adjust: '+1' }] },
      'targets[0].scaling.min: must be a whole number from 0 to 5000',
    ],
    [
      { min: 1, max: 2, rule: [], rules: [{ alarm: 'a', adjust: '+1' }] },
      'targets[0].scaling.rule: unknown key',
    ],
  ])('%j is refused naming the field', (value, problem) => {
    expect(parse(value).problems.join('\n')).toContain(problem);
  });
});
