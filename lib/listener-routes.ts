/**
 * Weighted traffic on ELBv2 (`traffic: weighted`): reading the routes to the primary's target group,
 * making the canary's target group like the primary's, and setting the routes' forward weights.
 * The AWS calls only; what to set is decided by the pure rules in lib/rollout/traffic.ts.
 *
 * What ELBv2 does (API Reference 2015-12-01, ALB User Guide):
 * - A target group belongs to at most one load balancer ("Load balancers per target group: 1",
 *   https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html),
 *   and DescribeTargetGroups names it (LoadBalancerArns): the routes are that load balancer's listeners'
 *   default actions (DescribeListeners) and rules (DescribeRules) that forward to the group. Both page
 *   with Marker / NextMarker (API_DescribeListeners, API_DescribeRules).
 * - A forward action splits requests between its target groups in proportion to their weights, each
 *   0-999, at most 5 groups (API_TargetGroupTuple; the quotas page above). ModifyRule and
 *   ModifyListener replace the whole action list (API_ModifyRule), and a rule change takes effect for
 *   new requests at once, while requests in flight complete
 *   (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-rule.html).
 * - CreateTargetGroup with the name of a group that exists with the same settings returns it ("If you
 *   attempt to create multiple target groups with the same settings, each call succeeds",
 *   API_CreateTargetGroup): making the canary's group is safe to repeat.
 * - ECS refuses a service whose target group no load balancer forwards to ("The target group ... does
 *   not have an associated load balancer", CreateService): the canary's group joins the routes (at
 *   weight 0) before the canary service is created.
 */

import type { Service } from '@aws-sdk/client-ecs';
import {
  type Action,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Clients } from './aws.ts';
import type { TargetConfig } from './config.ts';
import { PermanentError, TransientError } from './errors.ts';
import type { TrafficView } from './observation.ts';
import { forwardGroups, type Route, type RouteAction } from './rollout/traffic.ts';
import { canaryGroupOf } from './traffic-config.ts';

/** `arn:…:loadbalancer/app/front/50dc6c495c0c9188` -> front */
export function loadBalancerName(arn: string): string {
  return arn.split(':loadbalancer/')[1]?.split('/')[1] ?? arn;
}

/** ELBv2's answer for a group that does not exist (the SDK's TargetGroupNotFoundException). */
function notFound(e: unknown): boolean {
  const err = e as { name?: string; Code?: string };
  return err.name === 'TargetGroupNotFoundException' || err.Code === 'TargetGroupNotFound';
}

/**
 * What a weighted rollout of `primary` needs to know of its traffic. Calls: DescribeTargetGroups
 * twice (the primary's group, the canary's by name), one DescribeListeners per load balancer page,
 * one DescribeRules per listener page.
 */
export async function readTraffic(
  clients: Clients,
  target: TargetConfig,
  primary: Service,
): Promise<TrafficView> {
  const canaryGroupName = canaryGroupOf(target);
  const groups = [
    ...new Set((primary.loadBalancers ?? []).map((lb) => lb.targetGroupArn).filter((a): a is string => !!a)),
  ];
  if (groups.length !== 1) {
    return {
      primaryGroup: groups[0] ?? '',
      canaryGroupName,
      routes: [],
      problem:
        groups.length === 0
          ? `traffic: weighted needs the service behind an Application or Network Load Balancer, and ${target.service} has no target group (leave traffic out for the canary's share of the tasks)`
          : `traffic: weighted moves one target group's traffic, and ${target.service} is in ${groups.length} (${groups.join(', ')})`,
    };
  }
  const primaryGroup = groups[0]!;
  const described = await clients.elbv2.send(
    new DescribeTargetGroupsCommand({ TargetGroupArns: [primaryGroup] }),
  );
  const lbArn = described.TargetGroups?.[0]?.LoadBalancerArns?.[0];
  let canaryGroup: string | undefined;
  try {
    const out = await clients.elbv2.send(new DescribeTargetGroupsCommand({ Names: [canaryGroupName] }));
    canaryGroup = out.TargetGroups?.[0]?.TargetGroupArn;
  } catch (e) {
    if (!notFound(e)) throw e;
  }
  const base = { primaryGroup, canaryGroupName, ...(canaryGroup && { canaryGroup }) };
  if (!lbArn) {
    return {
      ...base,
      routes: [],
      problem: `traffic: weighted needs a load balancer in front of target group ${primaryGroup}, and no listener forwards to it`,
    };
  }
  const loadBalancer = loadBalancerName(lbArn);
  if (target.loadBalancers && !target.loadBalancers.includes(loadBalancer)) {
    return {
      ...base,
      loadBalancer,
      routes: [],
      problem: `target group ${primaryGroup} is behind load balancer ${loadBalancer}, which autopilot.yml does not name (loadBalancers: [${target.loadBalancers.join(', ')}]); add it, and deploy again so the pipeline may change its rules`,
    };
  }
  const routes: Route[] = [];
  const forwardsToPrimary = (actions: RouteAction[]) =>
    actions.some(
      (a) => a.Type === 'forward' && forwardGroups(a).some((g) => g.TargetGroupArn === primaryGroup),
    );
  let marker: string | undefined;
  do {
    const page = await clients.elbv2.send(
      new DescribeListenersCommand({ LoadBalancerArn: lbArn, Marker: marker }),
    );
    for (const l of page.Listeners ?? []) {
      const actions = (l.DefaultActions ?? []) as RouteAction[];
      if (l.ListenerArn && forwardsToPrimary(actions))
        routes.push({ arn: l.ListenerArn, kind: 'listener', actions });
      let ruleMarker: string | undefined;
      do {
        const rules = await clients.elbv2.send(
          new DescribeRulesCommand({ ListenerArn: l.ListenerArn, Marker: ruleMarker }),
        );
        for (const r of rules.Rules ?? []) {
          const ruleActions = (r.Actions ?? []) as RouteAction[];
          if (!r.IsDefault && r.RuleArn && forwardsToPrimary(ruleActions))
            routes.push({ arn: r.RuleArn, kind: 'rule', actions: ruleActions });
        }
        ruleMarker = rules.NextMarker;
      } while (ruleMarker);
    }
    marker = page.NextMarker;
  } while (marker);
  return { ...base, loadBalancer, routes };
}

/**
 * The canary's target group, made like the primary's: protocol (and version), port, VPC, target
 * type, IP address type, health check, and every attribute (deregistration delay, stickiness,
 * algorithm, slow start …). Returns its ARN.
 */
export async function createCanaryGroup(
  clients: Clients,
  primaryGroup: string,
  name: string,
): Promise<string> {
  const out = await clients.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [primaryGroup] }));
  const g: TargetGroup | undefined = out.TargetGroups?.[0];
  // The service's own target group, as observed this round, is gone: the service's load balancing
  // is broken until a person mends it, and asking again will not bring it back.
  if (!g) throw new PermanentError(`target group ${primaryGroup} was not found`);
  const created = await clients.elbv2.send(
    new CreateTargetGroupCommand({
      Name: name,
      Protocol: g.Protocol,
      ProtocolVersion: g.ProtocolVersion,
      Port: g.Port,
      VpcId: g.VpcId,
      TargetType: g.TargetType,
      IpAddressType: g.IpAddressType,
      HealthCheckEnabled: g.HealthCheckEnabled,
      HealthCheckProtocol: g.HealthCheckProtocol,
      HealthCheckPort: g.HealthCheckPort,
      HealthCheckPath: g.HealthCheckPath,
      HealthCheckIntervalSeconds: g.HealthCheckIntervalSeconds,
      HealthCheckTimeoutSeconds: g.HealthCheckTimeoutSeconds,
      HealthyThresholdCount: g.HealthyThresholdCount,
      UnhealthyThresholdCount: g.UnhealthyThresholdCount,
      Matcher: g.Matcher,
    }),
  );
  const arn = created.TargetGroups?.[0]?.TargetGroupArn;
  // An answer without the group it made: asking again can fix it ("If you attempt to create
  // multiple target groups with the same settings, each call succeeds",
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html).
  if (!arn) throw new TransientError(`CreateTargetGroup ${name} returned no target group`);
  const attributes = await clients.elbv2.send(
    new DescribeTargetGroupAttributesCommand({ TargetGroupArn: primaryGroup }),
  );
  const copy = (attributes.Attributes ?? []).filter((a) => a.Key && a.Value !== undefined);
  if (copy.length)
    await clients.elbv2.send(
      new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: copy }),
    );
  return arn;
}

/** One ModifyRule (a rule) or ModifyListener (a default action) per route, with its whole action list. */
export async function setRoutes(clients: Clients, routes: Route[]): Promise<void> {
  for (const r of routes) {
    const actions = r.actions as Action[];
    if (r.kind === 'rule')
      await clients.elbv2.send(new ModifyRuleCommand({ RuleArn: r.arn, Actions: actions }));
    else await clients.elbv2.send(new ModifyListenerCommand({ ListenerArn: r.arn, DefaultActions: actions }));
  }
}
