import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CANARY_STEPS,
  linearSteps,
  PRESETS,
  planRollout,
  resolveSteps,
  STRATEGY_NAMES,
  type Step,
} from '../lib/steps.ts';

const m = 60_000;
const steps = (...pairs: [number, number][]): Step[] =>
  pairs.map(([percent, bakeMs]) => ({ percent, bakeMs }));
const tens = (bakeMs: number) =>
  steps(...[10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((p): [number, number] => [p, bakeMs]));

describe('linearSteps', () => {
  it.each([
    [10, m, tens(m)],
    [30, 2 * m, steps([30, 2 * m], [60, 2 * m], [90, 2 * m], [100, 2 * m])],
    [50, 0, steps([50, 0], [100, 0])],
    [100, 0, steps([100, 0])],
    [33.3, 0, steps([33.3, 0], [66.6, 0], [99.9, 0], [100, 0])],
  ])('every %d%% baking %d ms', (stepPercent, bakeMs, expected) => {
    expect(linearSteps(stepPercent, bakeMs)).toEqual(expected);
  });
});

describe('resolveSteps', () => {
  it.each<[string, unknown, unknown, { strategy: string; steps: Step[] }]>([
    [
      'Canary10Percent5Minutes',
      undefined,
      undefined,
      { strategy: 'canary', steps: steps([10, 5 * m], [100, 0]) },
    ],
    [
      'Canary10Percent15Minutes',
      undefined,
      undefined,
      { strategy: 'canary', steps: steps([10, 15 * m], [100, 0]) },
    ],
    ['Linear10PercentEvery1Minute', undefined, undefined, { strategy: 'linear', steps: tens(m) }],
    ['Linear10PercentEvery3Minutes', undefined, undefined, { strategy: 'linear', steps: tens(3 * m) }],
    [
      'canary',
      undefined,
      undefined,
      { strategy: 'canary', steps: steps([10, 5 * m], [50, 5 * m], [100, 2 * m]) },
    ],
    [
      'canary',
      [
        { percent: 25, bake: '10m' },
        { percent: 100, bake: '90s' },
      ],
      undefined,
      { strategy: 'canary', steps: steps([25, 10 * m], [100, 90_000]) },
    ],
    ['canary', [{ percent: 100 }], undefined, { strategy: 'canary', steps: steps([100, 0]) }],
    ['linear', undefined, undefined, { strategy: 'linear', steps: tens(m) }],
    [
      'linear',
      undefined,
      { linear: { stepPercent: 30, bake: '2m' } },
      { strategy: 'linear', steps: steps([30, 2 * m], [60, 2 * m], [90, 2 * m], [100, 2 * m]) },
    ],
    [
      'linear',
      undefined,
      { linear: { stepPercent: 50 } },
      { strategy: 'linear', steps: steps([50, m], [100, m]) },
    ],
    [
      'linear',
      [
        { percent: 20, bake: '1m' },
        { percent: 100, bake: '1m' },
      ],
      undefined,
      { strategy: 'linear', steps: steps([20, m], [100, m]) },
    ],
    ['rolling', undefined, undefined, { strategy: 'rolling', steps: steps([100, 5 * m]) }],
    [
      'rolling',
      undefined,
      { rolling: { bake: '10m' } },
      { strategy: 'rolling', steps: steps([100, 10 * m]) },
    ],
    ['all-at-once', undefined, undefined, { strategy: 'all-at-once', steps: steps([100, 5 * m]) }],
  ])('%s %j %j', (strategy, given, options, expected) => {
    expect(resolveSteps(strategy, given, options as never)).toEqual(expected);
  });

  it('hands out copies: changing a result changes no preset or default', () => {
    resolveSteps('Canary10Percent5Minutes').steps[0]!.percent = 99;
    resolveSteps('canary').steps[0]!.bakeMs = 1;
    expect(PRESETS.Canary10Percent5Minutes!.steps[0]).toEqual({ percent: 10, bakeMs: 5 * m });
    expect(DEFAULT_CANARY_STEPS[0]).toEqual({ percent: 10, bakeMs: 5 * m });
  });

  it('throws every problem', () => {
    expect(() => resolveSteps('Canary10Percent5Minutes', [{ percent: 100 }])).toThrow(
      'steps: cannot be combined with strategy Canary10Percent5Minutes, a preset that fixes its steps; ' +
        'remove steps, or use strategy: canary to choose your own',
    );
    expect(() => resolveSteps('blue-green')).toThrow(
      `strategy: unknown strategy "blue-green"; one of: ${STRATEGY_NAMES.join(', ')}`,
    );
    expect(() => resolveSteps('canary', [{ percent: 10 }, { percent: 50, bake: '5m' }])).toThrow(
      'steps[0].bake: is required on every step below 100%: how long to watch this share, e.g. 5m\n' +
        'steps[1].percent: the last step must be 100 (it promotes the new revision), got 50',
    );
  });
});

describe('planRollout problems', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ['unknown strategy', { strategy: 'bluegreen' }, ['strategy']],
    ['strategy not a string', { strategy: 5 }, ['strategy']],
    ['strategy null', { strategy: null }, ['strategy']],
    ['steps not a list', { steps: { percent: 100 } }, ['steps']],
    ['steps empty', { steps: [] }, ['steps']],
    ['step not a mapping', { steps: ['10%'] }, ['steps[0]']],
    ['percent 0', { steps: [{ percent: 0, bake: '1m' }, { percent: 100 }] }, ['steps[0].percent']],
    ['percent above 100', { steps: [{ percent: 10, bake: '1m' }, { percent: 101 }] }, ['steps[1].percent']],
    ['percent as text', { steps: [{ percent: '10%', bake: '1m' }, { percent: 100 }] }, ['steps[0].percent']],
    ['percent missing', { steps: [{ bake: '1m' }, { percent: 100 }] }, ['steps[0].percent']],
    [
      'not increasing',
      { steps: [{ percent: 50, bake: '1m' }, { percent: 50, bake: '1m' }, { percent: 100 }] },
      ['steps[1].percent'],
    ],
    [
      'last not 100',
      {
        steps: [
          { percent: 10, bake: '1m' },
          { percent: 50, bake: '1m' },
        ],
      },
      ['steps[1].percent'],
    ],
    ['bake missing below 100', { steps: [{ percent: 10 }, { percent: 100 }] }, ['steps[0].bake']],
    ['bake malformed', { steps: [{ percent: 10, bake: '5 minutes' }, { percent: 100 }] }, ['steps[0].bake']],
    ['bake negative', { steps: [{ percent: 10, bake: -5 }, { percent: 100 }] }, ['steps[0].bake']],
    [
      'unknown step key',
      { steps: [{ percent: 10, bake: '1m', weight: 10 }, { percent: 100 }] },
      ['steps[0].weight'],
    ],
    ['preset + steps', { strategy: 'Linear10PercentEvery1Minute', steps: [{ percent: 100 }] }, ['steps']],
    ['preset + linear', { strategy: 'Linear10PercentEvery1Minute', linear: { stepPercent: 20 } }, ['linear']],
    ['canary + linear', { strategy: 'canary', linear: { stepPercent: 20 } }, ['linear']],
    ['canary + rolling', { rolling: { bake: '1m' } }, ['rolling']],
    ['linear + steps + linear', { strategy: 'linear', steps: [{ percent: 100 }], linear: {} }, ['linear']],
    ['linear stepPercent 0', { strategy: 'linear', linear: { stepPercent: 0 } }, ['linear.stepPercent']],
    ['linear stepPercent 0.5', { strategy: 'linear', linear: { stepPercent: 0.5 } }, ['linear.stepPercent']],
    ['linear bake malformed', { strategy: 'linear', linear: { bake: 'soon' } }, ['linear.bake']],
    ['linear unknown key', { strategy: 'linear', linear: { interval: '1m' } }, ['linear.interval']],
    ['linear not a mapping', { strategy: 'linear', linear: 10 }, ['linear']],
    ['rolling + steps', { strategy: 'rolling', steps: [{ percent: 100 }] }, ['steps']],
    ['rolling bake malformed', { strategy: 'rolling', rolling: { bake: '5x' } }, ['rolling.bake']],
    [
      'rolling unknown key',
      { strategy: 'rolling', rolling: { minimumHealthyPercent: 50 } },
      ['rolling.minimumHealthyPercent'],
    ],
    ['all-at-once + steps', { strategy: 'all-at-once', steps: [{ percent: 100 }] }, ['steps']],
    ['all-at-once + rolling', { strategy: 'all-at-once', rolling: {} }, ['rolling']],
  ])('%s', (_name, input, paths) => {
    const { plan, problems } = planRollout(input);
    expect(plan).toBeUndefined();
    expect(problems.map((p) => p.path)).toEqual(paths);
  });

  it.each([
    ['Canary', 'canary'],
    ['AllAtOnce', 'all-at-once'],
    ['CodeDeployDefault.ECSLinear10PercentEvery1Minutes', 'Linear10PercentEvery1Minute'],
    ['canary10percent5minutes', 'Canary10Percent5Minutes'],
  ])('suggests a name for %s', (name, suggestion) => {
    expect(planRollout({ strategy: name }).problems[0]!.message).toContain(`(did you mean ${suggestion}?)`);
  });

  it('hints that a percent is a number', () => {
    expect(
      planRollout({ steps: [{ percent: '10%', bake: '1m' }, { percent: 100 }] }).problems[0]!.message,
    ).toBe('must be a number above 0 and at most 100 (write 10, not "10%"), got "10%"');
  });
});
