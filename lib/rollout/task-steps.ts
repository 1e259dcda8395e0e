/**
 * Stepping by task counts (the share of traffic is the canary's share of the tasks): a canary step
 * below 100 %, and the promotion at 100 %. Each says whether its step is where it should be, so
 * progress.ts may go on to the bake; the counts are lib/rollout-math.ts, the checks step.ts.
 */
import type { TargetConfig } from '../config.ts';
import type { Observation } from '../observation.ts';
import type { Rollout } from '../record.ts';
import {
  fittingMaximumPercent,
  primaryKeeps,
  promotionCanary,
  promotionSwitch,
  rolloutRoom,
  servingFloor,
  stepRound,
  stepTargets,
  unstuckMaximumPercent,
} from '../rollout-math.ts';
import { learnRoom, tradeProgress } from './capacity.ts';
import type { Decision } from './decision.ts';
import {
  floorLeansOnCanary,
  healthyTasks,
  primaryHealthy,
  promoted,
  promotedAsRoomAllows,
  servingFrom,
  servingTasks,
  steadyOn,
  stepReady,
} from './step.ts';
import { askedForTasks, becameHealthy } from './step-state.ts';

/**
 * The step by task counts, sized from the service's `total` (progress.ts serviceTotal) within the
 * cluster's room as last learned from ECS (learnRoom): a canary step below 100 %, the promotion at
 * 100 %. Returns whether the step may bake.
 */
export function stepByTasks(
  d: Decision,
  obs: Observation,
  target: TargetConfig,
  rollout: Rollout,
  revision: string,
  total: number,
  now: number,
): boolean {
  learnRoom(rollout, obs);
  const size: StepSizes = {
    total,
    surge: target.maxSurgePercent,
    room: rollout.room,
    // On a full cluster the serving tasks may dip to what minimumHealthyPercent allows, never lower.
    floor: servingFloor(total, obs.primary.minimumHealthyPercent),
  };
  const step = rollout.steps[rollout.stepIndex]!;
  const stepping: TaskRound = { d, obs, rollout, revision, size, now };
  return step.percent < 100 ? stepCanary(stepping) : stepPromotion(stepping);
}

/**
 * What the steps are sized from: the service's `total` (progress.ts serviceTotal), the owner's
 * `surge` (maxSurgePercent), the cluster's `room` when it is full (capacity.ts learnRoom), and the
 * `floor` the serving tasks may dip to on a full cluster (servingFloor).
 */
interface StepSizes {
  total: number;
  surge: number;
  room?: number;
  floor: number;
}

/** One round of a step by task counts: the decision it adds to, what it saw, and how it is sized. */
interface TaskRound {
  d: Decision;
  obs: Observation;
  rollout: Rollout;
  revision: string;
  size: StepSizes;
  now: number;
}

/**
 * A canary step below 100 %: the primary stays on the revision the rollout started from and the
 * canary runs the new one, each at this round's count (stepRound), so the tasks serving never drop
 * below the total (on a full cluster, the floor) and never exceed the room. The counts are asked for first and the step judged on
 * a later look, once ECS shows them: only a step at its share with every canary task healthy
 * (stepReady) starts its bake, since a bake on fewer tasks would pass a release on less traffic than
 * the step promises. Returns whether the step is asked for as it should be (it may bake).
 */
function stepCanary(stepping: TaskRound): boolean {
  const { d, obs, rollout, revision, size, now } = stepping;
  const { total, surge, room, floor } = size;
  const step = rollout.steps[rollout.stepIndex]!;
  const goal = stepTargets(total, step.percent, surge, room);
  const canary = obs.canary;
  const onRevision = canary.exists && canary.taskDefinition === revision;
  const healthy = onRevision ? healthyTasks(obs.tasks, revision, obs.hasHealthCheck) : 0;
  // The primary gives up only the tasks the canary serves as ECS counts them (its floor's count).
  const serving = onRevision ? servingNow(stepping) : 0;
  const round = stepRound(total, step.percent, surge, serving, room, floor);
  if (room !== undefined && step.healthyAt === undefined) {
    // Trading capacity: while serving canary tasks keep growing, the step is making progress.
    const trade = tradeProgress(rollout.tradedHealthy, serving);
    rollout.tradedHealthy = trade.seen;
    if (trade.grew) askedForTasks(step, now);
  }
  // During canary steps the primary runs the revision the rollout started from.
  if (obs.primary.taskDefinition !== rollout.fromTaskDefinition) {
    d.actions.push({ type: 'setPrimary', taskDefinition: rollout.fromTaskDefinition });
  }
  if (obs.primary.desiredCount !== round.primary) {
    // Past the surge the primary gives up the tasks the healthy canary covers.
    d.actions.push({ type: 'setCount', desiredCount: round.primary });
    rollout.total = total;
    rollout.primaryCount = round.primary;
  }
  if (!onRevision || canary.desiredCount !== round.canary) {
    d.actions.push({ type: 'setCanary', taskDefinition: revision, desiredCount: round.canary });
    askedForTasks(step, now);
    return false;
  }
  const ready = stepReady({
    goal,
    asked: round.canary,
    primary: obs.primary.desiredCount,
    canary: { running: canary.runningCount, pending: canary.pendingCount, healthy },
  });
  if (step.healthyAt === undefined && ready) becameHealthy(step, now);
  return true;
}

/**
 * The promotion at 100 %: the primary rolls to the new revision at the service's whole count while
 * the canary still serves, and the canary gives its tasks back only as the primary's new ones take
 * over, so a release is never served by fewer tasks than the total (or, on a full cluster, the
 * service's floor). The bake starts once the primary is promoted (promoted: steady on the revision,
 * whole and healthy) and the canary is asked to 0: from then on the primary alone carries the
 * release. Returns whether the step may bake.
 */
function stepPromotion(stepping: TaskRound): boolean {
  const { d, obs, rollout, revision, size, now } = stepping;
  const { total, room } = size;
  const primary = obs.primary;
  if (room !== undefined && primary.taskDefinition !== revision) {
    const fit = fitWithinRoom(obs, total, room);
    if (fit !== undefined) {
      if (primary.desiredCount !== total) d.actions.push({ type: 'setCount', desiredCount: total });
      d.actions.push({ type: 'setPrimary', taskDefinition: revision, maximumPercent: fit });
      rollout.total = total;
      rollout.primaryCount = total;
      askedForTasks(rollout.steps[rollout.stepIndex]!, now);
      return false;
    }
    // ECS still rolling the primary back (its breaker failed the switch: capacity.ts retryWithinRoom):
    // its tasks are not all serving yet, and a switch sized on its count would take the canary's
    // serving tasks away first (verdict seed 20261219 #45).
    if (primary.deployments.some((dep) => dep.rolloutState === 'IN_PROGRESS')) return false;
    switchOnFullCluster(stepping);
    return false;
  }
  // On a full cluster the switch at a smaller count completes first: growing the count after it
  // starts no deployment for ECS's circuit breaker to judge.
  const switching = room !== undefined && !steadyOn(primary, revision);
  if (primary.desiredCount !== total && !switching) {
    // Promotion gives the primary its whole count back.
    d.actions.push({ type: 'setCount', desiredCount: total });
    rollout.total = total;
    rollout.primaryCount = total;
  }
  if (primary.taskDefinition !== revision) {
    const allAtOnce = rollout.strategy === 'all-at-once';
    // An owner's 50 / 100 at one task: ECS would neither start nor stop one (unstuckMaximumPercent).
    const unstuck = allAtOnce
      ? undefined
      : unstuckMaximumPercent(total, primary.minimumHealthyPercent, primary.maximumPercent ?? 200);
    d.actions.push({
      type: 'setPrimary',
      taskDefinition: revision,
      allAtOnce,
      ...(unstuck !== undefined && { maximumPercent: unstuck }),
    });
    askedForTasks(rollout.steps[rollout.stepIndex]!, now);
    return false;
  }
  // Seen on the revision: from now on, the primary leaving it is ECS's rollback (ecsVerdict).
  rollout.promotedAt ??= now;
  // The canary gives back only what the primary's tasks serve as ECS counts them (its floor's count).
  const healthy = primaryHealthy(servingNow(stepping), obs.canary);
  shrinkCanary(d, obs, revision, size, healthy);
  return finishPromotion(d, obs, rollout, revision, total, healthy, now);
}

/**
 * The revision's tasks that count for the service's floor: as ECS counts them where the floor leans
 * on the canary (floorLeansOnCanary), the step then keeping when the next one will count
 * (`servesAt`, servingFrom) for a look then (lib/wake.ts), as no event tells it; elsewhere once
 * healthy (healthyTasks).
 */
function servingNow(stepping: TaskRound): number {
  const { obs, rollout, revision, size, now } = stepping;
  const step = rollout.steps[rollout.stepIndex]!;
  const canaryTasks = obs.canary.exists ? obs.canary.desiredCount + obs.canary.runningCount : 0;
  if (!floorLeansOnCanary(canaryTasks, obs.primary.desiredCount, size.total, size.room)) {
    delete step.servesAt;
    return healthyTasks(obs.tasks, revision, obs.hasHealthCheck);
  }
  const checks = { hasHealthCheck: obs.hasHealthCheck, loadBalanced: obs.primary.loadBalanced === true };
  const from = servingFrom(obs.tasks, revision, checks, now);
  if (from === undefined) delete step.servesAt;
  else step.servesAt = from;
  return servingTasks(obs.tasks, revision, checks, now);
}

/**
 * A full cluster, no canary serving beside the primary (rolling, all-at-once; or its canary gone):
 * ECS's own rolling update switches within the room, asked for no more new tasks at once than it
 * holds (fittingMaximumPercent); undefined where the room holds none and none may stop first.
 * Also what decides whether a promotion ECS failed on placement is tried again (progress.ts).
 */
export function fitWithinRoom(obs: Observation, total: number, room: number): number | undefined {
  const alone = !obs.canary.exists || obs.canary.runningCount + obs.canary.desiredCount === 0;
  if (!alone) return undefined;
  return fittingMaximumPercent(
    Math.max(total, obs.primary.desiredCount),
    room,
    obs.primary.minimumHealthyPercent,
  );
}

/**
 * A full cluster with a canary serving: the counts the primary switches at and the canary keeps
 * (promotionSwitch), sized on the service's total and the room. The floor is at most one under the
 * room (the trade's dip): a service scaled out past what the cluster holds has a floor no switch
 * keeps, and the plan fell back to a primary of one task (stranger12 08: 5 of 8 serving, 10 wanted).
 */
export function switchPlan(
  obs: Observation,
  size: { total: number; surge: number; room: number; floor: number },
): { primary: number; canary: number; maximumPercent?: number } {
  const most = rolloutRoom(size.total, size.surge, size.room);
  return promotionSwitch(
    most,
    Math.min(size.floor, most - 1),
    obs.primary.maximumPercent ?? 200,
    obs.primary.desiredCount,
    obs.canary.exists ? obs.canary.desiredCount : 0,
    obs.primary.minimumHealthyPercent,
  );
}

/**
 * A full cluster, before the primary switches: the primary and the canary first make the room the
 * primary's rolling update asks for (promotionSwitch), so its new tasks can be placed (ECS's circuit
 * breaker counts the ones it cannot place against the deployment); the switch is asked for once the
 * slots are free, and the primary grows to the total once it is done.
 */
function switchOnFullCluster(stepping: TaskRound) {
  const { d, obs, rollout, revision, size, now } = stepping;
  const { total } = size;
  const primary = obs.primary;
  const plan = switchPlan(obs, { ...size, room: size.room! });
  let moved = false;
  if (primary.desiredCount > plan.primary) {
    d.actions.push({ type: 'setCount', desiredCount: plan.primary });
    rollout.total = total;
    rollout.primaryCount = plan.primary;
    moved = true;
  }
  if (obs.canary.exists && obs.canary.desiredCount > plan.canary) {
    d.actions.push({
      type: 'setCanary',
      taskDefinition: obs.canary.taskDefinition ?? revision,
      desiredCount: plan.canary,
    });
    moved = true;
  }
  // The canary's stopping tasks hold their slots until they stop (deregistration delay).
  const holding = obs.tasks.filter((t) => t.lastStatus !== 'STOPPED').length;
  if (moved || holding > plan.canary || primary.runningCount + primary.pendingCount > plan.primary) return;
  // Fewer new tasks at once where shrinking the primary would not keep the floor (slowerSwitch).
  d.actions.push({
    type: 'setPrimary',
    taskDefinition: revision,
    allAtOnce: false,
    ...(plan.maximumPercent !== undefined && { maximumPercent: plan.maximumPercent }),
  });
  askedForTasks(rollout.steps[rollout.stepIndex]!, now);
}

/**
 * The primary runs the revision: the canary gives back the room its tasks hold as the primary's
 * healthy tasks (`healthy`, primaryHealthy) cover them (promotionCanary), so the tasks serving stay
 * at the total, or on a full cluster at the service's floor (its old tasks serve too).
 */
function shrinkCanary(d: Decision, obs: Observation, revision: string, size: StepSizes, healthy: number) {
  const canary = obs.canary;
  if (!canary.exists || canary.desiredCount <= 0) return;
  const { total, surge, room, floor } = size;
  const primaryTasks = obs.primary.deployments.reduce(
    (n, dep) => n + Math.max(dep.desiredCount, dep.runningCount + dep.pendingCount),
    0,
  );
  const most = rolloutRoom(total, surge, room);
  // On a full cluster the primary's old tasks still running serve too, as far as ECS keeps them:
  // its rolling update may stop them down to the primary's own minimumHealthyPercent first
  // (primaryKeeps).
  const old = obs.primary.deployments
    .filter((dep) => dep.taskDefinition !== revision)
    .reduce((n, dep) => n + dep.runningCount, 0);
  const kept = primaryKeeps(healthy, old, obs.primary.desiredCount, obs.primary.minimumHealthyPercent);
  const keep = promotionCanary(
    most,
    // On a full cluster a canary task must stop before the primary can place one more: the tasks
    // serving may dip one under the room (as stepRound's trade does). Holding them at a floor the
    // room cannot beat would deadlock, and end in a rollback that stops every canary task at once.
    room === undefined ? total : Math.min(floor, most - 1),
    canary.desiredCount,
    primaryTasks,
    room === undefined ? healthy : kept,
  );
  if (keep < canary.desiredCount) {
    d.actions.push({
      type: 'setCanary',
      taskDefinition: canary.taskDefinition ?? revision,
      desiredCount: keep,
    });
  }
}

/**
 * Once the primary is promoted, the canary goes to 0 and the step becomes healthy in the same
 * decision: its draining tasks run the same revision and serve nothing new, so the primary's bake
 * need not wait for them. A canary still being shrunk to a count above 0 (shrinkCanary, this
 * decision) waits for a later look.
 */
function finishPromotion(
  d: Decision,
  obs: Observation,
  rollout: Rollout,
  revision: string,
  total: number,
  healthy: number,
  now: number,
): boolean {
  const asRoomAllows =
    rollout.room !== undefined &&
    obs.primary.desiredCount >= total &&
    promotedAsRoomAllows(obs.primary, revision, healthy, rollout.startedAt, rollout.room);
  if (!promoted(obs.primary, revision, healthy, total) && !asRoomAllows) return false;
  if (obs.canary.exists && obs.canary.desiredCount > 0) {
    const existing = d.actions.find((a) => a.type === 'setCanary');
    if (!existing) {
      d.actions.push({
        type: 'setCanary',
        taskDefinition: obs.canary.taskDefinition ?? revision,
        desiredCount: 0,
      });
    }
    if (existing && existing.desiredCount !== 0) return false;
  }
  const step = rollout.steps[rollout.stepIndex]!;
  if (step.healthyAt === undefined) becameHealthy(step, now);
  return true;
}
