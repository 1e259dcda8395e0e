/** lib/gate-reach.ts: whether a gate alarm sees a weighted canary's target group; its worked examples. */
import { describe, expect, it } from 'vitest';
import { blindGate, gateBlindToCanary, targetGroupsOf } from '../lib/gate-reach.ts';

const PRIMARY = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/1a';

describe('targetGroupsOf', () => {
  it.each([
    [
      {
        Dimensions: [
          { Name: 'LoadBalancer', Value: 'app/front/9f' },
          { Name: 'TargetGroup', Value: 'targetgroup/web/1a' },
        ],
      },
      ['targetgroup/web/1a'],
    ],
    [{ Dimensions: [{ Name: 'LoadBalancer', Value: 'app/front/9f' }] }, []],
    [
      {
        Metrics: [
          {
            Id: 'm1',
            MetricStat: {
              Metric: { Dimensions: [{ Name: 'TargetGroup', Value: 'targetgroup/web/1a' }] },
              Period: 60,
              Stat: 'Sum',
            },
          },
        ],
      },
      ['targetgroup/web/1a'],
    ],
  ])('%j -> %j', (alarm, want) => {
    expect(targetGroupsOf(alarm)).toEqual(want);
  });
});

describe('gateBlindToCanary', () => {
  it.each([
    [
      ['targetgroup/web/1a'],
      /^gate alarm web-5xx watches target group web only: .* serves from prod-web-canary/,
    ],
    [['targetgroup/web/1a', 'targetgroup/prod-web-canary/2b'], undefined],
    [[], undefined],
    [['targetgroup/api/3c'], undefined],
  ])('%j -> %s', (groups, want) => {
    const got = gateBlindToCanary('web-5xx', groups, PRIMARY, 'prod-web-canary');
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toMatch(want);
  });
});

describe('blindGate', () => {
  const traffic = { primaryGroup: PRIMARY, canaryGroupName: 'prod-web-canary' };
  it.each([
    ['scoped to the primary, weighted', ['targetgroup/web/1a'], traffic, true],
    ['scoped to the primary, not weighted', ['targetgroup/web/1a'], undefined, false],
    ['no target groups read, weighted', undefined, traffic, false],
  ])('%s -> blind %s', (_, targetGroups, t, blind) => {
    const got = blindGate({ name: 'web-5xx', ...(targetGroups && { targetGroups }) }, t);
    expect(got !== undefined).toBe(blind);
  });
});
