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
