/**
 * Load balancers, listeners and rules of the local Elastic Load Balancing v2, and how a request
 * finds its target group: a listener's rules (its default rule last) forward to one target group, or
 * to up to five with weights, "traffic split proportional to weights" (ELB User Guide, Application
 * Load Balancers, "Listener rules", forward actions: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-action-types.html).
 * Within a target group the load balancer then spreads requests over the healthy targets (ecs/elb.ts).
 *
 * The requests a scenario sends are the load offered to a target group's routes: every rule that
 * forwards to it (any weight) takes an equal part of the group's offered load and splits it by its
 * weights. A target group behind no rule takes its offered load directly (an in-process test's group).
 */

/** A target group as a forward action names it, with its weight (0–999, API_TargetGroupTuple). */
export interface WeightedGroup {
  TargetGroupArn: string;
  Weight?: number;
}

export interface ForwardAction {
  Type: 'forward';
  TargetGroupArn?: string;
  Order?: number;
  ForwardConfig?: {
    TargetGroups: WeightedGroup[];
    TargetGroupStickinessConfig?: { Enabled?: boolean; DurationSeconds?: number };
  };
}

/** Any other action (fixed-response, redirect, …) is kept as given and forwards nothing. */
export type Action = ForwardAction | ({ Type: string } & Record<string, unknown>);

export interface Rule {
  arn: string;
  listener: Listener;
  /** `default` for the listener's default rule, else "1".."50000". */
  priority: string;
  conditions: unknown[];
  actions: Action[];
}

export interface Listener {
  arn: string;
  loadBalancer: LoadBalancer;
  port: number;
  protocol: string;
  /** Rules by priority, the default rule (its DefaultActions) last. */
  rules: Rule[];
}

export interface LoadBalancer {
  arn: string;
  name: string;
  type: 'application' | 'network';
  /** `app/<name>/<id>` or `net/<name>/<id>`: the CloudWatch LoadBalancer dimension. */
  dimension: string;
  listeners: Listener[];
  createdAt: number;
}

/**
 * The share of a rule's requests each target group gets: its weight over the sum of the weights.
 * A forward to one target group without a ForwardConfig weighs it 1; a weight left out counts as
 * 1 (API_TargetGroupTuple gives no default; AWS fills 1 in its answers). All weights 0: no share.
 *
 *   shares({ TargetGroups: [{a, 90}, {b, 10}] })   → a 0.9, b 0.1
 *   shares({ TargetGroups: [{a, 1}, {b, 1}] })     → a 0.5, b 0.5
 *   shares({ TargetGroups: [{a, 0}, {b, 0}] })     → a 0, b 0   (the load balancer answers 503)
 *   shares({ TargetGroupArn: a })                   → a 1
 */
export function forwardShares(action: ForwardAction): Map<string, number> {
  const groups = forwardGroups(action);
  const total = groups.reduce((s, g) => s + (g.Weight ?? 1), 0);
  const out = new Map<string, number>();
  for (const g of groups)
    out.set(g.TargetGroupArn, (out.get(g.TargetGroupArn) ?? 0) + (total > 0 ? (g.Weight ?? 1) / total : 0));
  return out;
}

/** The target groups of a forward action, with weights (a bare TargetGroupArn is one group, weight 1). */
export function forwardGroups(action: ForwardAction): WeightedGroup[] {
  if (action.ForwardConfig?.TargetGroups?.length) return action.ForwardConfig.TargetGroups;
  return action.TargetGroupArn ? [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }] : [];
}

/** The forward action of a rule, if it has one (at most one per rule). */
export function forwardOf(rule: Rule): ForwardAction | undefined {
  return rule.actions.find((a): a is ForwardAction => a.Type === 'forward');
}

/**
 * Requests per second each target group receives, from the load offered to each group and the
 * rules of every listener: a rule that forwards to a group with offered load takes an equal part of
 * it; each rule splits what it takes by its weights. A group no rule forwards to keeps its own load.
 *
 *   web offered 100, one rule {web 90, web-canary 10}        → web 90, web-canary 10
 *   web offered 100, two listeners each {web 90, canary 10}  → each rule 50 → web 90, canary 10
 *   web offered 100, no rule names web                        → web 100
 */
export function routedLoad(offered: Map<string, number>, rules: Rule[]): Map<string, number> {
  const routesOf = new Map<string, Rule[]>();
  for (const rule of rules) {
    const f = forwardOf(rule);
    if (!f) continue;
    for (const g of new Set(forwardGroups(f).map((x) => x.TargetGroupArn))) {
      const list = routesOf.get(g) ?? [];
      list.push(rule);
      routesOf.set(g, list);
    }
  }
  const out = new Map<string, number>();
  const add = (arn: string, rps: number) => out.set(arn, (out.get(arn) ?? 0) + rps);
  for (const [arn, rps] of offered) {
    if (rps <= 0) continue;
    const routes = routesOf.get(arn);
    if (!routes?.length) {
      add(arn, rps);
      continue;
    }
    const each = rps / routes.length;
    for (const rule of routes) for (const [g, share] of forwardShares(forwardOf(rule)!)) add(g, each * share);
  }
  return out;
}
