import { describe, expect, it } from 'vitest';
import { canaryShare, canaryTasksForShare } from '../lib/rollout-math.ts';

describe('canaryTasksForShare: the worked examples of its comment', () => {
  it.each([
    [10, 10, 1, 9.1],
    [10, 25, 3, 23.1],
    [10, 50, 10, 50],
    [4, 10, 1, 20],
    [20, 5, 1, 4.8],
    [3, 90, 27, 90],
    [0, 10, 1, 100],
  ])('primary %d at %d%% -> %d canary tasks (%d%% of traffic)', (primary, percent, tasks, share) => {
    expect(canaryTasksForShare(primary, percent)).toBe(tasks);
    expect(canaryShare(primary, tasks)).toBe(share);
  });

  it('is 0 at 0% and the primary count at 100%', () => {
    expect(canaryTasksForShare(10, 0)).toBe(0);
    expect(canaryTasksForShare(10, 100)).toBe(10);
  });
});
