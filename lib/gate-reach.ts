/**
 * Whether a gate alarm sees the canary under `traffic: weighted`. There the canary serves from its
 * own target group, and an ALB metric scoped by the TargetGroup dimension counts only that group's
 * requests (ELB User Guide, "CloudWatch metrics for your Application Load Balancer": metrics per
 * LoadBalancer, TargetGroup). A gate on the primary's group alone sees none of the canary's errors:
 * a failing image is caught only after promotion, with all the traffic (held-out stranger2 s23: a
 * 40% 5xx image on 3 tasks, rolled back 3 minutes into the 100% step).
 */
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { TrafficView } from './observation.ts';

/**
 * The TargetGroup dimension values of a metric alarm, its metric-math queries' included
 * (`targetgroup/web/1a2b…`, as ALB publishes them).
 *
 *   Dimensions [LoadBalancer app/front/9f, TargetGroup targetgroup/web/1a] -> [targetgroup/web/1a]
 *   Dimensions [LoadBalancer app/front/9f]                                 -> []
 *   Metrics [{ MetricStat { Metric { Dimensions [TargetGroup targetgroup/web/1a] } } }] -> [targetgroup/web/1a]
 */
export function targetGroupsOf(a: Pick<MetricAlarm, 'Dimensions' | 'Metrics'>): string[] {
  const dims = [
    ...(a.Dimensions ?? []),
    ...(a.Metrics ?? []).flatMap((m) => m.MetricStat?.Metric?.Dimensions ?? []),
  ];
  return [...new Set(dims.filter((d) => d.Name === 'TargetGroup' && d.Value).map((d) => d.Value!))];
}

/**
 * Why gate `alarm`, scoped to `groups`, does not see a weighted canary in `canaryGroupName` beside
 * the primary's group `primaryGroupArn`; undefined when it does, or is not scoped to the primary's.
 *
 *   groups [targetgroup/web/1a], primary …:targetgroup/web/1a, canary prod-web-canary  -> 'gate alarm … watches target group web only …'
 *   groups [targetgroup/web/1a, targetgroup/prod-web-canary/2b], same                  -> undefined (it sees both)
 *   groups [] (the load balancer's whole traffic, or not an ALB metric), same          -> undefined
 *   groups [targetgroup/api/3c] (another service's group), same                        -> undefined
 */
export function gateBlindToCanary(
  alarm: string,
  groups: string[],
  primaryGroupArn: string,
  canaryGroupName: string,
): string | undefined {
  const primary = groups.find((g) => primaryGroupArn.endsWith(`:${g}`));
  if (!primary) return undefined;
  if (groups.some((g) => g.startsWith(`targetgroup/${canaryGroupName}/`))) return undefined;
  const name = primary.split('/')[1] ?? primary;
  return `gate alarm ${alarm} watches target group ${name} only: under traffic: weighted the canary serves from ${canaryGroupName}, so the gate sees the new revision's requests only after promotion, with all the traffic (watch the load balancer without a TargetGroup dimension, or add a gate on ${canaryGroupName})`;
}

/** gateBlindToCanary for a gate as read, under weighted traffic (`traffic`; none: not weighted, never blind). */
export function blindGate(
  a: { name: string; targetGroups?: string[] },
  traffic: Pick<TrafficView, 'primaryGroup' | 'canaryGroupName'> | undefined,
): string | undefined {
  return traffic && a.targetGroups
    ? gateBlindToCanary(a.name, a.targetGroups, traffic.primaryGroup, traffic.canaryGroupName)
    : undefined;
}
