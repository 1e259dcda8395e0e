/**
 * Capacity: what a rollout learns of the cluster's room for the service, and when the step's
 * deadline moves on because trading capacity is making progress. The counts themselves (a step
 * within the room, the primary giving up tasks as healthy canary tasks cover them, the canary giving
 * its room back at promotion) are pure functions in lib/rollout-math.ts.
 *
 * The fact: ECS creates no task it cannot place; it writes the service event "service NAME was
 * unable to place a task because no container instance met all of its requirements" and retries
 * (developerguide, service-event-messages.html). Such a task is neither running nor pending, so a
 * service with fewer running + pending tasks than desired, and that event since the rollout began,
 * is short of room: the tasks placed (both services') are what the cluster holds for it.
 */
import type { Observation, ServiceView } from '../observation.ts';
import type { Rollout } from '../record.ts';

/**
 * Whether ECS said it could not place a task of the service ("unable to place", its newest such
 * service event) at or after `since` (a rollout's start): the rollout, not an earlier one, met a
 * full cluster.
 *   unable to place at 10:01, since 10:00 -> true
 *   unable to place at 09:59, since 10:00 -> false
 *   never                                 -> false
 */
export function placementFailedSince(s: Pick<ServiceView, 'placementFailedAt'>, since: number): boolean {
  return (s.placementFailedAt ?? -1) >= since;
}

/** Tasks a service wants that ECS could not place (neither running nor pending). */
export function unplacedTasks(s: ServiceView): number {
  return Math.max(0, s.desiredCount - s.runningCount - s.pendingCount);
}

/**
 * Whether ECS failed the deployment of `revision` after it could not place a task since `since` (the
 * rollout's start): its breaker counts the tasks it cannot place among those that "failed to start"
 * ("Your container instances didn't meet all the task placement criteria",
 * https://repost.aws/knowledge-center/ecs-troubleshoot-deployment-failures), so the failure may be
 * the cluster's. The look then lists stopped tasks (lib/observe.ts), and the verdict blames the
 * image only if one of them failed (progress.ts ecsVerdict).
 *   web:2 FAILED, unable to place at 10:01, since 10:00   -> true
 *   web:2 FAILED, unable to place at 09:59, since 10:00   -> false (an earlier rollout's)
 *   web:2 IN_PROGRESS, unable to place at 10:01           -> false
 */
export function failedOnPlacement(s: ServiceView, revision: string, since: number): boolean {
  return (
    placementFailedSince(s, since) &&
    s.deployments.some((d) => d.taskDefinition === revision && d.rolloutState === 'FAILED')
  );
}

/**
 * Whether ECS's own stop of its deployment (ecs-canary, ecs-linear, ecs-blue-green: the deployment
 * ROLLBACK_* or STOPPED, with ECS's `reason`) was the cluster's doing, not the image's: its circuit
 * breaker counts the tasks it cannot place among those that "failed to start" (failedOnPlacement),
 * and ECS said it could not place a task since the rollout began (`since`), while no task of the
 * image failed. The look lists stopped tasks then (lib/observe.ts, failedOnPlacement), so a task
 * that started and crashed is counted in `imageFailures` and the image is blamed. Its alarms, a
 * hook's FAILED or a person's stop say nothing of placement.
 *   "circuit breaker: tasks failed to start", unable to place 10:01, since 10:00, 0 failed -> true
 *   the same, 1 task of the image failed                                          -> false
 *   the same, unable to place at 09:59 (an earlier rollout's)                     -> false
 *   "alarm web-5xx in ALARM", unable to place 10:01, 0 failed                     -> false
 */
export function stoppedOnPlacement(
  reason: string,
  primary: Pick<ServiceView, 'placementFailedAt'>,
  since: number,
  imageFailures: number,
): boolean {
  return imageFailures === 0 && /failed to start/i.test(reason) && placementFailedSince(primary, since);
}

/**
 * Tasks of `revision` that ECS could not place. A service on one deployment: its own counts. One
 * rolling to `revision` beside older deployments (an all-at-once primary): the new deployment's,
 * as the service's counts include the old tasks still running beside it.
 *
 *   deployments [web:2 desired 4 running 0 pending 0, web:1 running 4], service 4/4 -> 4
 *   deployments [web:2 desired 4 running 3 pending 1, web:1 running 1]              -> 0
 *   one deployment, service desired 3 running 1 pending 0                           -> 2
 *   no deployment of web:2, service desired 3 running 1 pending 0                   -> 2
 */
export function unplacedOf(s: ServiceView, revision: string): number {
  const d = s.deployments.find((x) => x.taskDefinition === revision);
  if (!d || s.deployments.length < 2) return unplacedTasks(s);
  return Math.max(0, d.desiredCount - d.runningCount - d.pendingCount);
}

/**
 * The room the cluster has for the service, as far as the rollout knows: unknown until a task of
 * the rollout could not be placed; then the tasks placed in both services at that moment. It only
 * grows (tasks placed are a lower bound of the room; a count taken while a task drains is low), and
 * once known, with every look: the cluster held the tasks placed, whether or not one is missing. A
 * room learned while ECS had stopped old tasks to start new ones (minimumHealthyPercent under 100)
 * was low, and a switch sized on it waited for a primary ECS no longer moved (its deployment
 * FAILED on placement: verdict seed 20261220 #29, 5 learned where 8 fit, 7 ran).
 *
 *   known 16,        placed 14, unplaced 0, failure since start   -> 16
 *   unknown,         placed 13, unplaced 3, failure since start   -> 13
 *   unknown,         placed 13, unplaced 3, failure before start  -> unknown
 *   known 13,        placed 12, unplaced 1, failure since start   -> 13
 *   known 13,        placed 15, unplaced 1, failure since start   -> 15
 *   known 5,         placed 7,  unplaced 0, failure since start   -> 7 (the cluster held 7)
 *   unknown,         placed 7,  unplaced 0, failure since start   -> unknown (nothing was short)
 */
export function roomSeen(
  known: number | undefined,
  placed: number,
  unplaced: number,
  failedSinceStart: boolean,
): number | undefined {
  if (known !== undefined) return Math.max(known, placed);
  if (unplaced <= 0 || !failedSinceStart) return known;
  return placed;
}

/**
 * Learns the room from this observation (either service short of room), into `rollout.room`. A
 * primary rolling to the revision counts its new deployment's unplaced tasks (unplacedOf): its old
 * tasks still running fill the service's own count (a promotion on a cluster the canary step fitted).
 */
export function learnRoom(rollout: Rollout, obs: Observation): void {
  rollout.room = roomFrom(rollout, obs);
}

/**
 * The room as this observation shows it (learnRoom), without writing it down. The tasks the service
 * ran when the rollout began count as placed: the cluster held them. A promotion ECS failed on
 * placement is seen once ECS has rolled it back, by when its old tasks were stopped to make way
 * and its new ones stopped by the rollback (stranger12 11: 4 placed, of the 8 the service ran).
 */
function roomFrom(rollout: Rollout, obs: Observation): number | undefined {
  const unplacedIn = (s: ServiceView) =>
    rollout.taskDefinition ? unplacedOf(s, rollout.taskDefinition) : unplacedTasks(s);
  const short = [obs.canary, obs.primary].filter(
    (s) => s.exists && placementFailedSince(s, rollout.startedAt) && unplacedIn(s) > 0,
  );
  const unplaced = short.reduce((n, s) => n + unplacedIn(s), 0);
  return roomSeen(rollout.room, heldNow(rollout, obs), unplaced, short.length > 0);
}

/** The tasks both services have placed (running or pending), or more that the service ran at the start. */
function heldNow(rollout: Rollout, obs: Observation): number {
  const placed = (s: ServiceView) => (s.exists ? s.runningCount + s.pendingCount : 0);
  return Math.max(placed(obs.canary) + placed(obs.primary), rollout.heldAtStart ?? 0);
}

/**
 * Trading capacity makes progress while the canary's healthy tasks grow: the step's deadline then
 * counts from the last growth, so a slow trade on a full cluster is not a failed step. Returns the
 * most healthy canary tasks seen at the step, and whether this observation grew it.
 *
 *   seen 3, healthy 4 -> 4, grew
 *   seen 4, healthy 4 -> 4, not grown
 *   seen 4, healthy 2 -> 4, not grown (a task stopped: no progress)
 *   none,   healthy 0 -> 0, not grown
 */
export function tradeProgress(seen: number | undefined, healthy: number): { seen: number; grew: boolean } {
  const before = seen ?? 0;
  return { seen: Math.max(before, healthy), grew: healthy > before };
}

/**
 * When the step's healthy tasks were all up, from their RUNNING times (`upAt`, one a task): under
 * ECS's own strategies, the moment a task more than ever counts as progress from (step-state.ts
 * sawHealthy restarts the deadline there). ECS places such a task when room frees, and on a full
 * cluster its deployment never completes, so no event says the task is in service: the health
 * recheck (4m, 8m, … in) finds it. Dated by that look, the deadline moved on by as much
 * (stranger16 01: a task up at 1m25, seen at the 5m recheck, an 8m deadline rolled back at 13m).
 * The latest RUNNING time is the earliest they were all up (a health check takes seconds where the
 * recheck took minutes); never before the step's clock (`since`); `now` when a task was counted
 * without one (from ECS's counts) or none is healthy. Not for the pipeline's own trades: each is
 * looked at within its minute, and their one-minute rechecks count from the clock's restart (dated
 * back, they doubled, and stranger13 02's trades took an hour longer).
 *   up at 10:01 and 10:03, since 10:00, now 10:05   -> 10:03
 *   up at 09:58, since 10:00, now 10:05             -> 10:00
 *   up at 10:01 and one unknown, now 10:05          -> 10:05
 *   none, now 10:05                                 -> 10:05
 */
export function healthySince(upAt: (number | undefined)[], since: number | undefined, now: number): number {
  if (upAt.length === 0 || upAt.some((at) => at === undefined)) return now;
  return Math.min(now, Math.max(since ?? Number.NEGATIVE_INFINITY, ...(upAt as number[])));
}

/**
 * ECS failed the primary's deployment of `revision` after it could not place its tasks, none of the
 * image's failed, and rolled the primary back (it runs another revision again): the failure says
 * the cluster was full, not that the image is bad, and it taught the room (learnRoom). Once per
 * rollout, the promotion is asked for again: the step waits anew, and, the room known, the switch
 * first makes the room it needs (lib/rollout/task-steps.ts switchOnFullCluster). A second failure
 * on placement ends the rollout on capacity. Only where the switch keeps serving what the service
 * may dip to (`keeps`, the serving tasks of promotionSwitch's plan: the primary's and the canary's):
 * without a canary to serve beside it (rolling, all-at-once) a full cluster's switch would leave one
 * task serving, so the rollout ends on capacity instead (not marked bad). Returns whether it retries
 * (the rollout changed).
 *
 *   web:2 FAILED on placement, primary back on web:1, room learned 8, no retry yet -> retry
 *   the same, a retry already made                                             -> no
 *   web:2 FAILED on placement, the primary still on web:2 (no ECS rollback)     -> no
 *   the first, nothing unplaced now (ECS's rollback placed its tasks)          -> retry, room the tasks placed
 *   the same as the first, the switch would serve 1 task of 4                  -> no
 */
export function retryWithinRoom(
  rollout: Rollout,
  obs: Observation,
  revision: string,
  now: number,
  keeps: (room: number) => boolean = () => true,
): boolean {
  if (rollout.placementRetry !== undefined || obs.primary.taskDefinition === revision) return false;
  const failed = obs.primary.deployments.find(
    (d) => d.taskDefinition === revision && d.rolloutState === 'FAILED',
  );
  if (!failed) return false;
  // ECS may have placed every task of its own rollback by now (the slots the failed tasks left):
  // nothing is short, yet the deployment failed on placement, so the tasks placed are the room.
  const room = roomFrom(rollout, obs) ?? heldNow(rollout, obs);
  if (!keeps(room)) return false;
  rollout.room = room;
  rollout.placementRetry = { at: now, deployment: failed.id };
  rollout.promotedAt = undefined;
  return true;
}
