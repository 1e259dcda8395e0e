/** The worked examples of lib/rollout/traffic.ts (weighted traffic), one row each. */
import { describe, expect, it } from 'vitest';
import { servedNow } from '../lib/commands/status.ts';
import { reweigh, stepWeights, weightedCanaryTasks, weightShare } from '../lib/rollout/traffic.ts';

const g = (TargetGroupArn: string, Weight: number) => ({ TargetGroupArn, Weight });

describe('weightedCanaryTasks', () => {
  it.each([
    [2, 10, 1],
    [10, 10, 1],
    [10, 15, 2],
    [10, 50, 5],
    [3, 50, 2],
    [4, 100, 4],
    [0, 10, 1],
    [20, 5, 1],
    [20, 30, 6],
  ])('%i tasks, %i %% -> %i', (count, percent, want) => {
    expect(weightedCanaryTasks(count, percent)).toBe(want);
  });
});

describe('stepWeights', () => {
  it.each([
    [10, 90, 10],
    [1, 99, 1],
    [100, 0, 100],
    [0, 100, 0],
    [12.6, 87, 13],
  ])('%d %% -> primary %i, canary %i', (percent, primary, canary) => {
    expect(stepWeights(percent)).toEqual({ primary, canary });
  });
});

describe('reweigh', () => {
  it.each([
    [[g('web', 1)], 10, [g('web', 90), g('canary', 10)]],
    [[g('web', 90), g('canary', 10)], 50, [g('web', 50), g('canary', 50)]],
    [[g('web', 90), g('canary', 10)], 0, [g('web', 100), g('canary', 0)]],
  ])('%j at %i %%', (groups, percent, want) => {
    expect(reweigh(groups, 'web', 'canary', percent)).toEqual({ groups: want });
  });

  it('refuses a rule that also forwards to another group, or not to the primary', () => {
    expect(reweigh([g('web', 1), g('blue', 1)], 'web', 'canary', 10)).toEqual({
      refused: expect.stringMatching(/also forwards to blue/),
    });
    expect(reweigh([g('api', 1)], 'web', 'canary', 10)).toEqual({
      refused: expect.stringMatching(/also forwards to api/),
    });
    expect(reweigh([g('canary', 1)], 'web', 'canary', 10)).toEqual({
      refused: expect.stringMatching(/does not forward to the primary/),
    });
  });
});

describe('weightShare', () => {
  it.each([
    [[g('web', 90), g('canary', 10)], 10],
    [[g('web', 2), g('canary', 1)], 33.3],
    [[g('web', 1)], 0],
    [[g('web', 0), g('canary', 0)], 0],
  ])('%j -> %d', (groups, want) => {
    expect(weightShare(groups, 'canary')).toBe(want);
  });
});

describe('servedNow (status: the share the new revision serves by its running tasks)', () => {
  const t = (revision: string, service: 'primary' | 'canary', runningCount: number) => ({
    revision,
    service,
    status: 'PRIMARY',
    runningCount,
    desiredCount: runningCount,
    pendingCount: 0,
  });
  it.each([
    [
      'one canary task beside two',
      [t('web:2', 'primary', 2), t('web:3', 'canary', 1)],
      { share: 33.3, newTasks: 1, tasks: 3 },
    ],
    ['promoted', [t('web:3', 'primary', 4), t('web:2', 'primary', 0)], { share: 100, newTasks: 4, tasks: 4 }],
    ['nothing running', [t('web:2', 'primary', 0)], undefined],
  ])('%s', (_, tasks, want) => {
    expect(servedNow(tasks, 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:3').served).toEqual(want);
  });
});
