/**
 * The arithmetic of a rollout, pure, with the worked examples that the table tests check.
 */

/**
 * Canary tasks for a step that should carry `percent` of the traffic while the primary keeps all
 * `primary` of its tasks (so a rollback is "canary to 0", with no capacity dip). Traffic spreads
 * evenly over the healthy targets of the shared target group, so the canary's share is
 * canary / (primary + canary); solve for canary and round to the nearest task, at least one.
 *
 *   primary 10, 10%  -> 1   (1/11  =  9% of traffic)
 *   primary 10, 25%  -> 3   (3/13  = 23%)
 *   primary 10, 50%  -> 10  (10/20 = 50%)
 *   primary 4,  10%  -> 1   (1/5   = 20%: the smallest canary there is)
 *   primary 20, 5%   -> 1   (1/21  = 4.8%)
 *   primary 3,  90%  -> 27  (27/30 = 90%)
 *   primary 0,  10%  -> 1   (a service scaled to zero still gets one canary task to judge)
 *   any,        100% -> primary (the last step promotes instead; see promotion)
 */
export function canaryTasksForShare(primary: number, percent: number): number {
  if (percent <= 0) return 0;
  if (percent >= 100) return Math.max(primary, 1);
  return Math.max(1, Math.round((primary * percent) / (100 - percent)));
}

/** The share of traffic a canary of `canary` tasks beside `primary` tasks receives, in percent (one decimal). */
export function canaryShare(primary: number, canary: number): number {
  if (canary <= 0) return 0;
  return Math.round((canary / (primary + canary)) * 1000) / 10;
}

/**
 * The extra tasks a rollout may run beside the service's `total`: `maxSurgePercent` of it, rounded
 * up, at least one (a canary needs a slot), as ECS rounds maximumPercent and argo-rollouts maxSurge.
 *
 *   total 10, 100% -> 10
 *   total 10, 25%  -> 3
 *   total 4,  10%  -> 1
 *   total 0,  100% -> 1
 */
export function surgeTasks(total: number, maxSurgePercent: number): number {
  return Math.max(1, Math.ceil((total * maxSurgePercent) / 100));
}

/**
 * Where a canary step of `percent` is headed: the canary's and the primary's task counts. While the
 * canary of `canaryTasksForShare` fits in the surge, the primary keeps all `total` tasks (a rollback
 * is "canary to 0"). Past it (past 50% with the default 100%), both share `total + surge` tasks in
 * the step's proportion, the primary keeping at least one task: the primary shrinks as the canary
 * grows, and the rollout never runs more than `total + surge` tasks.
 *
 *   total 10, 10%, surge 100%  -> canary 1,  primary 10
 *   total 10, 50%, surge 100%  -> canary 10, primary 10
 *   total 10, 90%, surge 100%  -> canary 18, primary 2   (not 90 beside 10)
 *   total 50, 90%, surge 100%  -> canary 90, primary 10  (not 450)
 *   total 10, 50%, surge 25%   -> canary 7,  primary 6   (13 = 10 + 3)
 *   total 1,  90%, surge 100%  -> canary 1,  primary 1
 *   total 0,  10%, surge 100%  -> canary 1,  primary 0
 */
export function stepTargets(
  total: number,
  percent: number,
  maxSurgePercent: number,
): { canary: number; primary: number } {
  const surge = surgeTasks(total, maxSurgePercent);
  const unbounded = canaryTasksForShare(total, percent);
  if (unbounded <= surge) return { canary: unbounded, primary: total };
  const room = total + surge;
  const canary = Math.min(Math.max(1, Math.round((room * percent) / 100)), room - 1);
  return { canary, primary: room - canary };
}

/**
 * This round's desired counts on the way to a step's targets, so that the tasks serving never drop
 * below `total` and the tasks asked for never exceed `total + surge`: the primary gives up only
 * what healthy canary tasks already cover, and the canary takes only the room the primary left.
 *
 *   total 10, surge 100%, to 90% (18 / 2), canary healthy 10, primary 10 -> canary 18, primary 2
 *   total 10, surge 100%, to 90% (18 / 2), canary healthy 1,  primary 10 -> canary 11, primary 9
 *   total 10, surge 100%, to 90% (18 / 2), canary healthy 11, primary 9  -> canary 18, primary 2
 *   total 10, surge 100%, to 10% (1 / 10), canary healthy 0,  primary 10 -> canary 1,  primary 10
 *   total 10, surge 100%, back to 10% after 90%, canary healthy 18       -> canary 1,  primary 10
 */
export function stepRound(
  total: number,
  percent: number,
  maxSurgePercent: number,
  canaryHealthy: number,
): { canary: number; primary: number } {
  const goal = stepTargets(total, percent, maxSurgePercent);
  const room = total + surgeTasks(total, maxSurgePercent);
  const primary = Math.min(total, Math.max(goal.primary, total - Math.min(canaryHealthy, goal.canary)));
  return { canary: Math.min(goal.canary, room - primary), primary };
}

/**
 * During promotion the primary rolls to the revision at its full `total`; the canary gives its room
 * back as the primary's new tasks take over. It keeps what the primary's healthy new tasks do not
 * yet cover (so the tasks serving never drop below `total`), and no more than the room the
 * primary's tasks (all its deployments', asked for or running) leave within `total + surge` (so a
 * full cluster does not deadlock: the slots it frees let the primary's new tasks be placed).
 *
 *   total 10, surge 100%, canary 18, primary tasks 2,  primary healthy 2  -> 18
 *   total 10, surge 100%, canary 18, primary tasks 12, primary healthy 0  -> 10
 *   total 10, surge 100%, canary 10, primary tasks 14, primary healthy 7  -> 6
 *   total 10, surge 100%, canary 8,  primary tasks 20, primary healthy 10 -> 0
 *   total 2,  surge 100%, canary 2,  primary tasks 4,  primary healthy 0  -> 2
 */
export function promotionCanary(
  total: number,
  maxSurgePercent: number,
  canary: number,
  primaryTasks: number,
  primaryHealthy: number,
): number {
  const room = total + surgeTasks(total, maxSurgePercent);
  const uncovered = total - primaryHealthy;
  return Math.max(0, Math.min(canary, Math.max(uncovered, room - primaryTasks)));
}
