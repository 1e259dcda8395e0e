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
 * The tasks the service's minimumHealthyPercent keeps serving out of `total`: ECS rounds the
 * minimum up ("the lower limit ... rounded up to the nearest integer", developerguide,
 * service_definition_parameters.html, deploymentConfiguration). ECS's default is 100%.
 *
 *   total 7,  50%  -> 4
 *   total 10, 100% -> 10
 *   total 10, 0%   -> 0
 *   total 3,  66%  -> 2
 */
export function servingFloor(total: number, minimumHealthyPercent = 100): number {
  return Math.ceil((total * minimumHealthyPercent) / 100);
}

/**
 * The primary's count during a weighted canary step (lib/rollout/weighted.ts) on a cluster with no
 * room for the step's canary beside the whole primary: the primary gives up the tasks the canary
 * lacks, no fewer kept than the owner's minimumHealthyPercent of the count (servingFloor), as ECS's
 * own rolling update would dip; until the weights move it carries every request on those, after
 * they move only its share. The room is what the rollout learned once ECS could not place a canary
 * task (capacity.ts learnRoom); unknown, or room for both: the whole count. Where the floor keeps
 * more than the room leaves, the canary stays short and the step's deadline names the room.
 *   total 157, canary 79, room unknown             -> 157
 *   total 157, canary 79, room 236                 -> 157 (room for both)
 *   total 157, canary 79, room 200, minimum 50     -> 121
 *   total 10,  canary 5,  room 12,  minimum 100    -> 10 (the owner keeps every task)
 *   total 10,  canary 5,  room 12,  minimum 50     -> 7
 *   total 10,  canary 8,  room 12,  minimum 50     -> 5 (the floor: the canary gets 7 of its 8)
 */
export function weightedPrimaryKeeps(
  total: number,
  canary: number,
  room: number | undefined,
  minimumHealthyPercent = 100,
): number {
  if (room === undefined || room >= total + canary) return total;
  return Math.min(total, Math.max(servingFloor(total, minimumHealthyPercent), room - canary));
}

/**
 * The minimumHealthyPercent a weighted promotion's primary switches at when the cluster has no room
 * for its new tasks beside the canary and the owner's minimum lets ECS stop none of the old ones
 * first (lib/rollout/weighted.ts): the canary then carries all the traffic and the primary none, so
 * ECS may stop about a quarter of the primary's old tasks (at least one) before starting new ones,
 * with maximumPercent 100 so that it never asks for a task the room cannot hold. The rest stay up
 * until their replacements are healthy: should the image fail mid-switch, the rollback's routes
 * come back to a primary that still has three quarters of its tasks. ECS rounds the minimum up
 * (servingFloor), so the percent is rounded down to keep no more than the three quarters.
 *   count 1   -> 0  (the one old task stops first: nothing else can make room)
 *   count 2   -> 50 (keeps 1)
 *   count 3   -> 66 (keeps 2)
 *   count 4   -> 75 (keeps 3)
 *   count 10  -> 70 (keeps 7: a quarter of 10 rounds up to 3)
 *   count 150 -> 74 (keeps 111)
 *   count 400 -> 75 (keeps 300)
 */
export function roomlessSwitchMinimumPercent(count: number): number {
  if (count <= 1) return 0;
  const keep = count - Math.ceil(count / 4);
  return Math.floor((100 * keep) / count);
}

/**
 * Whether ECS's rolling update of `count` tasks may stop an old one before a new one is up: its
 * minimum (rounded up) keeps fewer than all of them.
 *   count 3, 66%  -> true  (keeps 2)
 *   count 2, 66%  -> false (keeps 2)
 *   count 1, 50%  -> false
 */
export function stopsFirst(count: number, minimumHealthyPercent = 100): boolean {
  return servingFloor(count, minimumHealthyPercent) < count;
}

/**
 * The tasks a rollout may run at once: `total + surge`, or fewer when the cluster has less room for
 * the service (`room`, learned from ECS's "unable to place a task": lib/rollout/capacity.ts).
 *
 *   total 10, surge 100%, room unknown -> 20
 *   total 10, surge 100%, room 13      -> 13
 *   total 10, surge 25%,  room 40      -> 13
 */
export function rolloutRoom(total: number, maxSurgePercent: number, room?: number): number {
  const most = total + surgeTasks(total, maxSurgePercent);
  return room === undefined ? most : Math.min(most, room);
}

/**
 * Where a canary step of `percent` is headed: the canary's and the primary's task counts. While the
 * canary of `canaryTasksForShare` fits in the surge (and in the cluster's `room`), the primary keeps
 * all `total` tasks (a rollback is "canary to 0"). Past it (past 50% with the default 100%), both
 * share the room (`total + surge`, or the cluster's room when that is less) in the step's
 * proportion, the primary keeping at least one task: the primary shrinks as the canary grows, and
 * the rollout never runs more than the room.
 *
 *   total 10, 10%, surge 100%  -> canary 1,  primary 10
 *   total 10, 50%, surge 100%  -> canary 10, primary 10
 *   total 10, 90%, surge 100%  -> canary 18, primary 2   (not 90 beside 10)
 *   total 50, 90%, surge 100%  -> canary 90, primary 10  (not 450)
 *   total 10, 50%, surge 25%   -> canary 7,  primary 6   (13 = 10 + 3)
 *   total 1,  90%, surge 100%  -> canary 1,  primary 1
 *   total 0,  10%, surge 100%  -> canary 1,  primary 0
 *   total 10, 50%, surge 100%, room 13 -> canary 7, primary 6 (a full cluster: the step within its room)
 *   total 7,  34%, surge 100%, room 7  -> canary 2, primary 5 (no free slot at all)
 */
export function stepTargets(
  total: number,
  percent: number,
  maxSurgePercent: number,
  room?: number,
): { canary: number; primary: number } {
  const most = rolloutRoom(total, maxSurgePercent, room);
  const unbounded = canaryTasksForShare(total, percent);
  if (total + unbounded <= most) return { canary: unbounded, primary: total };
  const canary = Math.min(Math.max(1, Math.round((most * percent) / 100)), Math.max(1, most - 1));
  return { canary, primary: Math.max(0, most - canary) };
}

/**
 * This round's desired counts on the way to a step's targets, so that the tasks serving never drop
 * below `total` and the tasks asked for never exceed the room: the primary gives up only what
 * healthy canary tasks already cover, and the canary takes only the room the primary left.
 *
 * On a cluster with no free slot (`room` at most `total`), nothing can be placed until the primary
 * gives a task up first: then the serving tasks dip to one under the room, for as long as a canary
 * task takes to start and pass its checks, never below the service's minimumHealthyPercent of the
 * total (`floor`, servingFloor) while no canary task serves: the step is then stuck (its canary task
 * cannot be placed), its deadline ends it on capacity, and that rollback stops nothing. Once canary
 * tasks serve (a scale-out past the room mid-step), holding the floor would end the same way, with
 * a rollback that stops every one of them at once, a deeper dip than one task: the trade then goes
 * on one task at a time (the promotion trades the same way, lib/rollout/task-steps.ts shrinkCanary).
 * A service scaled past what the cluster holds keeps what runs: never more serving than the room
 * (its canary is not shrunk to ask for primary tasks that could not be placed either).
 *
 *   total 10, surge 100%, to 90% (18 / 2), canary healthy 10, primary 10 -> canary 18, primary 2
 *   total 10, surge 100%, to 90% (18 / 2), canary healthy 1,  primary 10 -> canary 11, primary 9
 *   total 10, surge 100%, to 90% (18 / 2), canary healthy 11, primary 9  -> canary 18, primary 2
 *   total 10, surge 100%, to 10% (1 / 10), canary healthy 0,  primary 10 -> canary 1,  primary 10
 *   total 10, surge 100%, back to 10% after 90%, canary healthy 18       -> canary 1,  primary 10
 *   total 10, room 13, to 50% (7 / 6), canary healthy 3                  -> canary 6,  primary 7
 *   total 10, room 13, to 50% (7 / 6), canary healthy 6                  -> canary 7,  primary 6
 *   total 7,  room 7,  floor 4,  to 34% (2 / 5), canary healthy 0        -> canary 1,  primary 6
 *   total 7,  room 7,  floor 4,  to 34% (2 / 5), canary healthy 1        -> canary 2,  primary 5
 *   total 4,  room 4,  floor 4,  to 25% (1 / 3), canary healthy 0        -> canary 1,  primary 4 (stuck)
 *   total 10, room 7,  floor 10, to 50% (4 / 3), canary healthy 4        -> canary 4,  primary 3
 *     (scaled past what the cluster holds: its 7 keep serving, not canary 1 beside 6 primary asked)
 *   total 15, room 11, floor 15, to 50% (6 / 5), canary healthy 1        -> canary 2,  primary 9
 *     (scaled past the room mid-step: the trade goes on, one task at a time)
 */
export function stepRound(
  total: number,
  percent: number,
  maxSurgePercent: number,
  canaryHealthy: number,
  room?: number,
  floor = total,
): { canary: number; primary: number } {
  const most = rolloutRoom(total, maxSurgePercent, room);
  const goal = stepTargets(total, percent, maxSurgePercent, room);
  // With a free slot the whole total serves; without one, one under the room (the trade's dip),
  // and before any canary task serves, not under the floor.
  const dip = canaryHealthy > 0 ? most - 1 : Math.min(most, Math.max(floor, most - 1));
  const serving = Math.min(total, dip);
  const primary = Math.min(total, Math.max(goal.primary, serving - Math.min(canaryHealthy, goal.canary)));
  return { canary: Math.max(Math.min(1, goal.canary), Math.min(goal.canary, most - primary)), primary };
}

/**
 * During promotion the primary rolls to the revision at its full `total`; the canary gives its room
 * back as the primary's new tasks take over. It keeps what the primary's serving tasks do not yet
 * cover (so the tasks serving never drop below `serving`: the total, or on a full cluster the
 * service's minimumHealthyPercent of it), and no more than the room the primary's tasks (all its
 * deployments', asked for or running) leave (so a full cluster does not deadlock: the slots it frees
 * let the primary's new tasks be placed).
 *
 *   room 20, serving 10, canary 18, primary tasks 2,  primary serving 2  -> 18
 *   room 20, serving 10, canary 18, primary tasks 12, primary serving 0  -> 10
 *   room 20, serving 10, canary 10, primary tasks 14, primary serving 7  -> 6
 *   room 20, serving 10, canary 8,  primary tasks 20, primary serving 10 -> 0
 *   room 4,  serving 2,  canary 2,  primary tasks 4,  primary serving 0  -> 2
 *   room 16, serving 4,  canary 10, primary tasks 11, primary serving 4  -> 5   (a full cluster)
 */
export function promotionCanary(
  room: number,
  serving: number,
  canary: number,
  primaryTasks: number,
  primaryServing: number,
): number {
  const uncovered = serving - primaryServing;
  return Math.max(0, Math.min(canary, Math.max(uncovered, room - primaryTasks)));
}

/**
 * The primary's tasks sure to keep serving while ECS rolls it to the new revision: its new healthy
 * ones, and of its old ones as many as ECS keeps, since its rolling update may stop old tasks down
 * to the primary's own minimumHealthyPercent of its desired count before any new one is up
 * (developerguide, deployment-type-ecs.html). A canary that gave its tasks back for old ones ECS
 * then stopped left 3 of 10 serving where the floor was 5 (stranger12 04).
 *
 *   new healthy 0,  old 5,  desired 5,  50%  -> 3 (ECS may stop 2 old first)
 *   new healthy 1,  old 4,  desired 4,  100% -> 4 (the old one ECS stops for the new is not counted twice)
 *   new healthy 0,  old 76, desired 76, 100% -> 76
 *   new healthy 10, old 0,  desired 10, 50%  -> 10
 *   new healthy 4,  old 5,  desired 5,  50%  -> 4 (never fewer than the new ones)
 */
export function primaryKeeps(
  healthy: number,
  old: number,
  desired: number,
  minimumHealthyPercent = 100,
): number {
  return Math.max(healthy, Math.min(healthy + old, servingFloor(desired, minimumHealthyPercent)));
}

/**
 * The tasks the primary's rolling update asks for at once when it switches revision: ECS starts new
 * tasks up to maximumPercent of the desired count beside the old ones still running (developerguide,
 * deployment-type-ecs.html), at most the desired count. On a full cluster the canary gives this room
 * back before the switch, so the new tasks are placed (and the circuit breaker does not count them
 * as failures).
 *
 *   total 7,  maximumPercent 200, old running 4  -> 7
 *   total 10, maximumPercent 150, old running 10 -> 5
 *   total 10, maximumPercent 100, old running 10 -> 0 (ECS stops old tasks first)
 */
export function promotionNeeds(total: number, maximumPercent: number, oldRunning: number): number {
  return Math.max(0, Math.min(total, Math.floor((total * maximumPercent) / 100) - oldRunning));
}

/**
 * The service's total during a rollout: the primary's count until the rollout changed it (`asked`
 * unset); then the total the rollout holds while the primary shows the count the rollout asked for;
 * a count the rollout did not ask for is a person's (or another scaler's), and becomes the total:
 * the canary is resized from it and promotion restores it (a person is never fought).
 *
 *   total -, asked -,  primary 7  -> 7   (not changed by the rollout: followed)
 *   total 7, asked 4,  primary 4  -> 7   (the primary gave tasks to the canary)
 *   total 7, asked 4,  primary 14 -> 14  (a person scaled the primary by hand)
 *   total 7, asked 7,  primary 14 -> 14
 */
export function rolloutTotal(total: number | undefined, asked: number | undefined, primary: number): number {
  if (total === undefined || asked === undefined) return primary;
  return primary === asked ? total : primary;
}

/**
 * Promotion on a full cluster (the room known, `room` as rolloutRoom gives it): the counts the
 * primary switches revision at, and the canary keeps, so that ECS can place every task the switch
 * asks for (promotionNeeds) at once, while the serving tasks (the primary's and the canary's) stay
 * at the service's floor (servingFloor) or above. The primary switches at the largest count that
 * allows it (at least one task), at most its count now; once its deployment is done it grows back to
 * the total as the canary gives its room back (promotionCanary). The primary's deployment is the
 * one ECS's circuit breaker judges, and it counts the tasks it cannot place.
 *
 *   room 8,  floor 6, maximumPercent 200, primary 3, canary 5  -> primary 2, canary 4 (2 + 4 + 2 new = 8)
 *   room 14, floor 4, maximumPercent 200, primary 4, canary 10 -> primary 4, canary 6 (4 + 6 + 4 new = 14)
 *   room 13, floor 10, maximumPercent 200, primary 6, canary 7 -> primary 3, canary 7 (3 + 7 + 3 new = 13)
 *   room 12, floor 10, maximumPercent 100, primary 5, canary 7, minimum 50 -> primary 5, canary 7 (ECS stops old tasks first)
 *   room 4,  floor 4, maximumPercent 200, primary 2, canary 2  -> primary 1, canary 2 (no switch keeps the floor: one task)
 *
 * Shrinking the primary keeps the floor only while the canary has the tasks to cover it. When it
 * has not (a canary half the service on a cluster with two slots to spare: shrinking the primary
 * to one task beside it would serve half the floor), the switch asks ECS for fewer new tasks at once
 * instead (slowerSwitch: a lower maximumPercent, the owner's put back when the rollout ends):
 *   room 152, floor 150, maximumPercent 200, primary 76, canary 76
 *     -> primary 76, canary 74, maximumPercent 103 (2 new at once: 76 + 74 serve 150)
 *
 * The primary's old tasks serve through the switch only as far as ECS keeps them: its rolling update
 * may stop them down to the primary's own minimumHealthyPercent of its count before any new task is
 * up (primaryKeeps), so the canary covers the floor beside those. A primary of 14 shrunk past the
 * surge beside a canary of 20 (29 wanted, room 34, 50 %) switched at 14 with the canary cut to 6:
 * ECS stopped 7 old tasks at once and 13 served, under the floor of 15 (verdict s20270102-19):
 *   room 34, floor 15, maximumPercent 200, primary 14, canary 20, minimum 50
 *     -> primary 13, canary 8 (7 old kept + 8 = 15; 13 + 8 + 13 new = 34)
 *
 * An owner's maximumPercent that allows a surge at the service's count may start none at the smaller
 * count the primary switches at (125 % of 3 rounds down to 3): ECS would then neither start a task
 * nor, at a high minimumHealthyPercent, stop one, and the promotion would wait for its deadline
 * (stranger13 01: 4 tasks in room for 4, 75/125). The switch then asks for one new task at once:
 *   room 4,  floor 3, maximumPercent 125, primary 3, canary 1
 *     -> primary 3, canary 0, maximumPercent 134 (3 × 1.34 rounds down to 4: one new at once)
 * An owner's 100 % stops old tasks first, as far as the minimum lets it: 66 % of a primary of 2
 * keeps both (ECS rounds the minimum up), so at 100 % nothing moved and a healthy image was rolled
 * back on capacity at the deadline (stranger14 18: 3 tasks in room for 3, 66/100). It too asks for
 * one new task at once:
 *   room 3,  floor 2, maximumPercent 100, primary 2, canary 1, minimum 66
 *     -> primary 2, canary 0, maximumPercent 150
 */
export function promotionSwitch(
  room: number,
  floor: number,
  maximumPercent: number,
  primary: number,
  canary: number,
  /** The primary's own minimumHealthyPercent: how many of its old tasks ECS keeps through the switch. */
  minimumHealthyPercent = 100,
): { primary: number; canary: number; maximumPercent?: number } {
  const keeps = (n: number) => servingFloor(n, minimumHealthyPercent);
  const allowed = (n: number) =>
    unstuckMaximumPercent(n, minimumHealthyPercent, maximumPercent) ?? maximumPercent;
  let at = Math.max(1, primary);
  while (at > 1 && at + promotionNeeds(at, allowed(at), at) + Math.max(0, floor - keeps(at)) > room) at--;
  const percent = allowed(at);
  const free = room - at - promotionNeeds(at, percent, at);
  const plan = {
    primary: at,
    canary: Math.max(0, Math.min(canary, free)),
    ...(percent !== maximumPercent && { maximumPercent: percent }),
  };
  if (keeps(plan.primary) + plan.canary >= floor) return plan;
  return slowerSwitch(room, floor, maximumPercent, primary, canary, minimumHealthyPercent) ?? plan;
}

/**
 * A promotion's switch that keeps `floor` serving by asking ECS for fewer new tasks at once: the
 * primary switches at the largest count it can (at most its count now), with the most new tasks at
 * once that leave the canary (which serves the revision) enough room to cover the floor beside the
 * primary's old tasks (ECS keeps those serving until new ones are healthy: its minimumHealthyPercent).
 * The new tasks at once are what a whole maximumPercent gives (ECS rounds maximumPercent × desired
 * down), above 100 and at most the owner's; undefined when no count keeps the floor.
 *   room 152, floor 150, max 200, primary 76, canary 76 -> primary 76, canary 74, 103 % (2 at once)
 *   room 13,  floor 10,  max 200, primary 6,  canary 7  -> primary 6,  canary 4,  150 % (3 at once)
 *   room 4,   floor 4,   max 200, primary 2,  canary 2  -> undefined (no slot to spare)
 *   room 251, floor 250, max 200, primary 250, canary 0 -> undefined (1 % of 250 is 2 tasks: no fit)
 *   room 20,  floor 15,  max 200, primary 14, canary 10, minimum 50 -> primary 9, canary 10, 112 %
 *     (ECS may stop the old tasks down to 5 of 9 first: 5 + 10 serve 15; at minimum 100:
 *     primary 14, canary 1, 136 %)
 * Where no new task at once leaves the floor, none at once may (maximumPercent 100): ECS then stops
 * old tasks first, down to the primary's minimum, and starts each replacement in the slot it freed.
 * 7 tasks in room for 7 at 75/200, a primary of 5 beside a canary of 2, switched at 1 beside 2 and
 * served 3 where the floor is 6 (stranger15's grid, n7-r7-m75-x200):
 *   room 7,   floor 6,   max 200, primary 5,  canary 2, minimum 75 -> primary 5, canary 2, 100 %
 *     (ECS keeps 4 of 5: 4 + 2 serve 6)
 */
export function slowerSwitch(
  room: number,
  floor: number,
  maximumPercent: number,
  primary: number,
  canary: number,
  /** The primary's own minimumHealthyPercent: its old tasks serve as far as ECS keeps them (primaryKeeps). */
  minimumHealthyPercent = 100,
): { primary: number; canary: number; maximumPercent: number } | undefined {
  const keeps = (n: number) => servingFloor(n, minimumHealthyPercent);
  // Fewer primary tasks serve less: below floor - canary none can keep the floor.
  for (let at = Math.max(1, primary); at >= 1 && keeps(at) + canary >= floor; at--) {
    for (let n = Math.min(promotionNeeds(at, maximumPercent, at), room - at); n >= 1; n--) {
      const percent = percentStarting(at, n);
      if (percent === undefined || percent > maximumPercent) continue;
      const kept = Math.min(canary, room - at - n);
      if (kept >= 0 && keeps(at) + kept >= floor)
        return { primary: at, canary: kept, maximumPercent: percent };
    }
  }
  // None at once: only where ECS may stop an old task first (its minimum keeps fewer than all).
  for (let at = Math.max(1, primary); at >= 1 && keeps(at) + canary >= floor; at--) {
    const kept = Math.min(canary, room - at);
    if (stopsFirst(at, minimumHealthyPercent) && kept >= 0 && keeps(at) + kept >= floor)
      return { primary: at, canary: kept, maximumPercent: 100 };
  }
  return undefined;
}

/**
 * The maximumPercent that lets ECS's rolling update of `total` tasks start no more new tasks at once
 * than a full cluster's `room` holds beside the old ones (ECS rounds maximumPercent × desired down:
 * developerguide, deployment-type-ecs.html). With no slot beside them, 100: ECS then stops old tasks
 * first, as far as the service's `minimumHealthyPercent` lets it; at 100 it may stop none, and
 * nothing fits (undefined).
 * The smallest percent that starts the most new tasks the room holds (percentStarting).
 *   total 4,   room 5              -> 125 (one new task at a time)
 *   total 3,   room 5              -> 167 (3 × 1.67 rounds down to 5: two at a time, never past the room)
 *   total 6,   room 7              -> 117 (6 × 1.17 rounds down to 7; 116 rounded down to 6: none at once)
 *   total 150, room 152            -> 101 (102 % of 150 rounds down to 153, past the room)
 *   total 3,   room 3, minimum 50  -> 100 (ECS stops one old task, then starts its replacement)
 *   total 2,   room 2, minimum 66  -> undefined (66 % of 2 rounds up to 2: ECS stops none first)
 *   total 6,   room 6, minimum 100 -> undefined
 *   total 0,   room 3              -> undefined
 */
export function fittingMaximumPercent(
  total: number,
  room: number,
  minimumHealthyPercent = 100,
): number | undefined {
  if (total <= 0) return undefined;
  for (let n = room - total; n >= 1; n--) {
    const percent = percentStarting(total, n);
    if (percent !== undefined) return percent;
  }
  // ECS rounds the minimum up: 66 % of 2 keeps both, and stops none first.
  return stopsFirst(total, minimumHealthyPercent) && room >= total ? 100 : undefined;
}

/**
 * The maximumPercent a switch of the primary's `count` tasks to a new revision asks ECS for when the
 * owner's deploymentConfiguration lets ECS's rolling update neither start a new task (maximumPercent
 * × count rounds down to the count) nor stop an old one (minimumHealthyPercent × count rounds up to
 * it): ECS would wait for ever, and the pipeline until its step deadline, rolling a healthy image
 * back (developerguide, service_definition_parameters.html: "rounded down", "rounded up"). The
 * switch then asks for one new task at once (the fewest a whole percent starts); the owner's
 * setting is saved and put back when the rollout ends (owner-settings.ts). Undefined when ECS can
 * move on its own.
 *   count 1, minimum 50,  maximum 100 -> 200 (1 task at 50 / 100: the usual small service's)
 *   count 1, minimum 0,   maximum 100 -> undefined (ECS stops the old task first)
 *   count 2, minimum 66,  maximum 100 -> 150
 *   count 3, minimum 66,  maximum 100 -> undefined (ECS may stop one of 3 first)
 *   count 3, minimum 75,  maximum 125 -> 134 (125 % of 3 rounds down to 3)
 *   count 4, minimum 100, maximum 125 -> undefined (5: one new at once already)
 *   count 250, minimum 100, maximum 100 -> 101 (2 new at once: no whole percent starts one)
 */
export function unstuckMaximumPercent(
  count: number,
  minimumHealthyPercent = 100,
  maximumPercent = 200,
): number | undefined {
  if (count <= 0) return undefined;
  const starts = Math.floor((count * maximumPercent) / 100) > count;
  if (starts || stopsFirst(count, minimumHealthyPercent)) return undefined;
  for (let n = 1; n <= count; n++) {
    const percent = percentStarting(count, n);
    if (percent !== undefined) return percent;
  }
  return undefined;
}

/**
 * The smallest maximumPercent at which ECS's rolling update of `count` tasks starts exactly `n` new
 * ones at once (ECS rounds maximumPercent × desired down: developerguide, deployment-type-ecs.html);
 * undefined where no whole percent does (its rounding skips that count).
 *   count 3, n 1   -> 134 (3 × 1.34 rounds down to 4)
 *   count 6, n 1   -> 117 (116 rounds 6.96 down to 6: none)
 *   count 150, n 2 -> undefined (101 % gives 151, 102 % gives 153)
 *   count 4, n 4   -> 200
 */
export function percentStarting(count: number, n: number): number | undefined {
  const percent = Math.ceil(((count + n) * 100) / count);
  return Math.floor((count * percent) / 100) - count === n ? percent : undefined;
}
