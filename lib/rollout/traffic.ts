/**
 * Weighted traffic, pure: with `traffic: weighted` the canary serves from its own target group and
 * a step sets the forward weights of every listener rule that sends requests to the primary's
 * target group, so the share is exact whatever the task count (as CodeDeploy, ECS's own canary
 * and PipeCD shift traffic). These rules size the canary, compute the weights, rewrite a rule's
 * forward action and say what share a rule really serves. Worked examples here are the rows of
 * test/traffic-rules.test.ts.
 *
 * ELB's limits (API_TargetGroupTuple, ALB quotas): each weight 0–999, at most 5 target groups per
 * forward action; requests split in proportion to the weights. The share the canary gets when it
 * is task-sized instead (`traffic: tasks`) is lib/rollout-math.ts canaryShare.
 */

/** A target group in a forward action, as ELBv2 describes it. */
export interface WeightedGroup {
  TargetGroupArn: string;
  Weight?: number;
}

/**
 * Canary tasks that carry a step's share by weight: the primary's count × percent, rounded up, at
 * least one task (the weight sends the requests; the tasks only need to carry them).
 *
 *   2 tasks, 10 %   -> 1      (10 % of a 2-task service is 10 %, not 33 %)
 *   10 tasks, 10 %  -> 1
 *   10 tasks, 15 %  -> 2      (1.5 rounded up: never fewer tasks than the share needs)
 *   10 tasks, 50 %  -> 5
 *   3 tasks, 50 %   -> 2
 *   4 tasks, 100 %  -> 4      (the canary takes all the traffic while the primary rolls)
 *   0 tasks, 10 %   -> 1
 */
export function weightedCanaryTasks(primaryCount: number, percent: number): number {
  return Math.max(1, Math.ceil((primaryCount * percent) / 100 - 1e-9));
}

/**
 * The weights of a step, at 1 % granularity: the canary's is the percent, the primary's the rest.
 * A rollback is the step of 0 %.
 *
 *   10   -> primary 90, canary 10
 *   1    -> primary 99, canary 1
 *   100  -> primary 0, canary 100
 *   0    -> primary 100, canary 0
 *   12.6 -> primary 87, canary 13   (whole percents)
 */
export function stepWeights(percent: number): { primary: number; canary: number } {
  const canary = Math.min(100, Math.max(0, Math.round(percent)));
  return { primary: 100 - canary, canary };
}

/**
 * A rule's forward groups with the step's weights: the primary's group and the canary's get them,
 * the canary's group added when missing. A rule that also forwards to other groups is not ours to
 * reweigh: it is refused with the reason (undefined groups), as is one that would pass 5 groups.
 *
 *   [web 1], 10                     -> [web 90, canary 10]
 *   [web 90, canary 10], 50         -> [web 50, canary 50]
 *   [web 90, canary 10], 0          -> [web 100, canary 0]     (rollback: one call per rule)
 *   [web 1, blue 1], 10             -> refused: also forwards to blue
 */
export function reweigh(
  groups: WeightedGroup[],
  primaryArn: string,
  canaryArn: string,
  percent: number,
): { groups: WeightedGroup[] } | { refused: string } {
  const others = groups.filter((g) => g.TargetGroupArn !== primaryArn && g.TargetGroupArn !== canaryArn);
  if (others.length)
    return {
      refused: `the rule also forwards to ${others.map((g) => g.TargetGroupArn).join(', ')}: only a rule between the primary's and the canary's target groups can be reweighed`,
    };
  if (!groups.some((g) => g.TargetGroupArn === primaryArn))
    return { refused: `the rule does not forward to the primary's target group ${primaryArn}` };
  const w = stepWeights(percent);
  return {
    groups: [
      { TargetGroupArn: primaryArn, Weight: w.primary },
      { TargetGroupArn: canaryArn, Weight: w.canary },
    ],
  };
}

/** One action of a rule, as DescribeRules / DescribeListeners return it (only forward is read). */
export interface RouteAction {
  Type?: string;
  Order?: number;
  TargetGroupArn?: string;
  ForwardConfig?: {
    TargetGroups?: WeightedGroup[];
    TargetGroupStickinessConfig?: { Enabled?: boolean; DurationSeconds?: number };
  };
  [other: string]: unknown;
}

/**
 * A way requests reach the primary's target group: a listener rule (changed with ModifyRule) or a
 * listener's default action (ModifyListener: "To modify the actions for the default rule, use
 * ModifyListener", API_ModifyRule). ModifyRule and ModifyListener replace the whole list of actions
 * ("To add an item to a list ... you must provide the entire list", API_ModifyRule), so a route
 * carries all of them: an authenticate action before the forward is kept as it is.
 */
export interface Route {
  arn: string;
  kind: 'rule' | 'listener';
  actions: RouteAction[];
}

/**
 * Where the routes should send requests: the canary's weight in percent, the primary alone, or
 * `off` (a rollback): nothing to the canary, and a route that sends it nothing already is left as it
 * is (no call that could fail while traffic is already off the bad revision).
 */
export type RouteWant = { canary: number } | 'primary' | 'off';

/** The target groups a forward action names, with their weights (a bare TargetGroupArn weighs 1). */
export function forwardGroups(action: RouteAction): WeightedGroup[] {
  const tuples = action.ForwardConfig?.TargetGroups ?? [];
  if (tuples.length) return tuples.map((g) => ({ TargetGroupArn: g.TargetGroupArn, Weight: g.Weight ?? 1 }));
  return action.TargetGroupArn ? [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }] : [];
}

/**
 * A route's actions rewritten to `want`, or undefined when it is there already, or refused (with
 * why) when its forward is not the pipeline's to change. The forward's stickiness and order are kept.
 *
 *   forward [web 1], canary 10                  -> forward [web 90, canary 10]
 *   forward [web 90, canary 10], canary 10      -> undefined (already there: no call)
 *   forward [web 90, canary 10], canary 0       -> forward [web 100, canary 0]   (rollback)
 *   forward [web 0, canary 100], primary        -> forward web alone              (promoted)
 *   forward [web 1], primary                    -> undefined
 *   forward [web 90, canary 10], off            -> forward [web 100, canary 0]   (rollback)
 *   forward [web 1], off                        -> undefined (sends the canary nothing: no call)
 *   forward [web 100, canary 0], off            -> undefined
 *   authenticate-oidc, forward [web 1], 10      -> authenticate-oidc, forward [web 90, canary 10]
 *   forward [web 1, blue 1], canary 10          -> refused: also forwards to blue
 */
export function routeAt(
  route: Route,
  primaryArn: string,
  canaryArn: string,
  want: RouteWant,
): { actions?: RouteAction[] } | { refused: string } {
  const i = route.actions.findIndex((a) => a.Type === 'forward');
  if (i < 0) return { refused: `${route.arn} has no forward action` };
  const forward = route.actions[i]!;
  const groups = forwardGroups(forward);
  if (want === 'off') {
    if (!groups.some((g) => g.TargetGroupArn === canaryArn && (g.Weight ?? 1) > 0)) return {};
    want = { canary: 0 };
  }
  const weighed = reweigh(groups, primaryArn, canaryArn, want === 'primary' ? 0 : want.canary);
  if ('refused' in weighed) return { refused: `${route.arn}: ${weighed.refused}` };
  const wanted = want === 'primary' ? [{ TargetGroupArn: primaryArn, Weight: 1 }] : weighed.groups;
  const key = (gs: WeightedGroup[]) =>
    JSON.stringify(gs.map((g) => `${g.TargetGroupArn} ${g.Weight ?? 1}`).sort());
  if (key(groups) === key(wanted)) return {};
  const sticky = forward.ForwardConfig?.TargetGroupStickinessConfig;
  const { TargetGroupArn: _one, ForwardConfig: _config, ...rest } = forward;
  const next: RouteAction = {
    ...rest,
    ...(want === 'primary' && { TargetGroupArn: primaryArn }),
    ForwardConfig: { TargetGroups: wanted, ...(sticky && { TargetGroupStickinessConfig: sticky }) },
  };
  return { actions: route.actions.map((a, j) => (j === i ? next : keepSecret(a))) };
}

/**
 * DescribeRules never returns an OIDC client secret; a ModifyRule that resends the action without
 * one must say to keep it ("UseExistingClientSecret: Indicates whether to use the existing client
 * secret when modifying a rule", API_AuthenticateOidcActionConfig).
 */
function keepSecret(a: RouteAction): RouteAction {
  const oidc = a.AuthenticateOidcConfig as Record<string, unknown> | undefined;
  if (a.Type !== 'authenticate-oidc' || !oidc || oidc.ClientSecret !== undefined) return a;
  return { ...a, AuthenticateOidcConfig: { ...oidc, UseExistingClientSecret: true } };
}
