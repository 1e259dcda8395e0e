/**
 * Set-up's warning for an alarm that can never fire: its metric, with its dimensions, is published
 * by nothing in the local world (local/services/ecs/elb.ts PUBLISHED_METRICS). A metric in another
 * namespace may come from the user (PutMetricData), so only AWS namespaces are judged.
 *
 *   AWS/ApplicationELB HTTPCode_Target_5XX_Count [TargetGroup]
 *     → 'AWS/ApplicationELB publishes HTTPCode_Target_5XX_Count with dimensions LoadBalancer and
 *        TargetGroup together, or LoadBalancer, not TargetGroup: this alarm never gets a datapoint'
 *   AWS/ApplicationELB HTTPCode_Target_5XX_Count [LoadBalancer, TargetGroup]   → undefined
 *   AWS/ApplicationELB HTTPCode_Target_5XX_Count [LoadBalancer]                → undefined
 *   AWS/ApplicationELB HTTPCode_ELB_5XX_Count [LoadBalancer]
 *     → 'the local AWS/ApplicationELB publishes no HTTPCode_ELB_5XX_Count (it publishes RequestCount, …)'
 *   Custom/App Errors [Service]                                                  → undefined
 */
import { PUBLISHED_METRICS } from '../services/ecs/elb.ts';

export function unpublishedMetricWarning(
  namespace: string,
  metric: string,
  dimensionNames: string[],
): string | undefined {
  if (!namespace.startsWith('AWS/')) return undefined;
  const metrics = PUBLISHED_METRICS[namespace];
  if (!metrics)
    return `nothing in the local world publishes metrics in ${namespace}: this alarm never gets a datapoint`;
  const sets = metrics[metric];
  if (!sets)
    return `the local ${namespace} publishes no ${metric} (it publishes ${Object.keys(metrics).join(', ')}): this alarm never gets a datapoint`;
  const given = [...dimensionNames].sort().join(',');
  if (sets.some((s) => [...s].sort().join(',') === given)) return undefined;
  const said = (names: string[]) => (names.length ? names.join(' and ') : 'no dimensions');
  return `${namespace} publishes ${metric} with dimensions ${sets.map((s) => `${said(s)}${s.length > 1 ? ' together' : ''}`).join(', or ')}, not ${said(dimensionNames)}: this alarm never gets a datapoint`;
}
