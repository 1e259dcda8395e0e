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

/**
 * The share of a rule's requests the canary's group is sent, in percent (one decimal): its weight
 * over the sum. No weight at all: nothing is sent anywhere.
 *
 *   [web 90, canary 10]   -> 10
 *   [web 2, canary 1]     -> 33.3
 *   [web 1]               -> 0
 *   [web 0, canary 0]     -> 0
 */
export function weightShare(groups: WeightedGroup[], canaryArn: string): number {
  const total = groups.reduce((s, g) => s + (g.Weight ?? 1), 0);
  if (total <= 0) return 0;
  const canary = groups
    .filter((g) => g.TargetGroupArn === canaryArn)
    .reduce((s, g) => s + (g.Weight ?? 1), 0);
  return Math.round((canary / total) * 1000) / 10;
}
