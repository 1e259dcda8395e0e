/** Set-up's warning for alarms on metrics nothing publishes (local/scenario/published.ts): its examples. */
import { describe, expect, it } from 'vitest';
import { unpublishedMetricWarning } from '../../local/scenario/published.ts';

describe('unpublishedMetricWarning', () => {
  it.each([
    [
      'AWS/ApplicationELB',
      'HTTPCode_Target_5XX_Count',
      ['TargetGroup'],
      /with dimensions LoadBalancer and TargetGroup together, or LoadBalancer, not TargetGroup/,
    ],
    ['AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', ['TargetGroup', 'LoadBalancer'], undefined],
    // ALB's whole traffic, every target group behind it (a weighted canary's too): published.
    ['AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', ['LoadBalancer'], undefined],
    ['AWS/ApplicationELB', 'HTTPCode_ELB_5XX_Count', ['LoadBalancer'], /publishes no HTTPCode_ELB_5XX_Count/],
    ['AWS/ECS', 'CPUUtilization', ['ClusterName', 'ServiceName'], undefined],
    ['AWS/Lambda', 'Errors', ['FunctionName'], /nothing in the local world publishes metrics in AWS\/Lambda/],
    ['Custom/App', 'Errors', ['Service'], undefined],
  ])('%s %s %j', (namespace, metric, dimensions, want) => {
    const got = unpublishedMetricWarning(namespace, metric, dimensions as string[]);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toMatch(want);
  });
});
