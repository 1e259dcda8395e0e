/** The local load balancer's split of requests by forward weights (local/services/elbv2/routing.ts), its worked examples. */
import { describe, expect, it } from 'vitest';
import {
  type ForwardAction,
  forwardShares,
  type Rule,
  routedLoad,
} from '../../local/services/elbv2/routing.ts';

const forward = (...groups: [string, number][]): ForwardAction => ({
  Type: 'forward',
  ForwardConfig: { TargetGroups: groups.map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })) },
});
const rule = (action: ForwardAction) => ({ actions: [action] }) as unknown as Rule;

describe('forwardShares', () => {
  it.each([
    [forward(['a', 90], ['b', 10]), { a: 0.9, b: 0.1 }],
    [forward(['a', 1], ['b', 1]), { a: 0.5, b: 0.5 }],
    [forward(['a', 0], ['b', 0]), { a: 0, b: 0 }],
    [forward(['a', 999], ['b', 1]), { a: 0.999, b: 0.001 }],
    [{ Type: 'forward', TargetGroupArn: 'a' } as ForwardAction, { a: 1 }],
  ])('%j → %j', (action, want) => {
    expect(Object.fromEntries(forwardShares(action))).toEqual(want);
  });
});

describe('routedLoad', () => {
  it.each([
    ['one weighted rule', { web: 100 }, [forward(['web', 90], ['canary', 10])], { web: 90, canary: 10 }],
    [
      'two listeners, each weighted',
      { web: 100 },
      [forward(['web', 90], ['canary', 10]), forward(['web', 90], ['canary', 10])],
      { web: 90, canary: 10 },
    ],
    [
      'two listeners, only one moved: half the load shifts',
      { web: 100 },
      [forward(['web', 0], ['canary', 100]), forward(['web', 1])],
      { web: 50, canary: 50 },
    ],
    ['no rule names the group', { web: 100 }, [forward(['other', 1])], { web: 100 }],
    [
      'all weights 0: nothing reaches a target',
      { web: 100 },
      [forward(['web', 0], ['canary', 0])],
      { web: 0, canary: 0 },
    ],
  ])('%s', (_, offered, actions, want) => {
    const got = routedLoad(new Map(Object.entries(offered)), actions.map(rule));
    for (const [k, v] of Object.entries(want)) expect(got.get(k) ?? 0).toBeCloseTo(v, 9);
  });
});
