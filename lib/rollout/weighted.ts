/**
 * Stepping a rollout by listener weights (`traffic: weighted`): the canary runs in its own target
 * group and each step moves every route to the primary's group (listener rules and default actions)
 * to exactly the step's share, whatever the task count. The pure rules are in traffic.ts.
 *
 * A step of p % below 100:
 *   the canary's target group exists (made like the primary's) -> every route forwards to both groups
 *   (the canary's at its current weight, 0 at first: ECS takes only a group a load balancer forwards
 *   to) -> the canary runs weightedCanaryTasks(total, p), the primary keeps its whole count -> once
 *   every canary task is healthy in its group, every route moves to p % (one call per route) and the
 *   bake starts.
 * Promotion (100 %):
 *   the canary grows to the primary's count and takes all the traffic -> the primary rolls to the
 *   revision with no traffic on it -> once it runs the revision, healthy, every route forwards to the
 *   primary alone (the canary's group leaves the rules) -> the canary goes to 0 -> bake.
 * Rollback (rollback.ts): every route back to the primary (canary weight 0) before any task stops,
 * in the invocation that decides it.
 */
import type { Observation, TrafficView } from '../observation.ts';
import type { Rollout, StepState } from '../record.ts';
import { unstuckMaximumPercent } from '../rollout-math.ts';
import type { Decision } from './decision.ts';
import { canaryReady, healthyTasks, primaryHealthy, promoted } from './step.ts';
import { askedForTasks, becameHealthy } from './step-state.ts';
import { type Route, type RouteWant, routeAt, weightedCanaryTasks } from './traffic.ts';

/**
 * The step asks for `what` (the canary group, a canary of n tasks, the primary on the revision): its
 * deadline restarts only when that is new. The record is written before the calls are made, so a
 * call that keeps failing asks again every round; restarting each time would hold the step (and
 * the rollout) forever instead of letting `stepDeadline` roll it back.
 *
 *   asked undefined, "canary 1"   -> restarts, asked "canary 1"
 *   asked "canary 1", "canary 1"  -> nothing (the same ask, again)
 *   asked "canary 1", "canary 2"  -> restarts (the service grew: a new ask)
 *   asked "canary 1", "canary 1", the step was healthy -> restarts (asked again after health)
 */
export function askOnce(step: StepState, what: string, now: number): void {
  if (step.asked === what && step.healthyAt === undefined) return;
  step.asked = what;
  askedForTasks(step, now);
}

/** Why the routes cannot be weighted as observed, or undefined. */
export function trafficProblem(traffic: TrafficView | undefined): string | undefined {
  if (!traffic) return 'traffic: weighted, but the routes to the service were not read';
  if (traffic.problem) return traffic.problem;
  if (traffic.routes.length === 0)
    return `traffic: weighted needs a listener rule or default action that forwards to target group ${traffic.primaryGroup}, and none does`;
  const canary = traffic.canaryGroup ?? `${traffic.canaryGroupName} (to be made)`;
  for (const r of traffic.routes) {
    const at = routeAt(r, traffic.primaryGroup, canary, { canary: 0 });
    if ('refused' in at) return at.refused;
  }
  return undefined;
}

/**
 * The setRoutes action that brings every route to `want`, with only the routes not there yet (one
 * call each), or none when all are.
 */
export function moveRoutes(d: Decision, traffic: TrafficView, want: RouteWant): boolean {
  if (!traffic.canaryGroup) return false;
  const moved: Route[] = [];
  for (const r of traffic.routes) {
    const at = routeAt(r, traffic.primaryGroup, traffic.canaryGroup, want);
    if ('actions' in at && at.actions) moved.push({ ...r, actions: at.actions });
  }
  if (moved.length === 0) return false;
  d.actions.push({
    type: 'setRoutes',
    routes: moved,
    to: want === 'primary' ? 'primary only' : want === 'off' ? 'canary 0%' : `canary ${want.canary}%`,
  });
  return true;
}

/**
 * One round of a weighted step. Returns true when the step is healthy (its bake may run), false
 * while it is still getting there.
 */
export function stepWeighted(
  d: Decision,
  obs: Observation,
  rollout: Rollout,
  revision: string,
  total: number,
  now: number,
): boolean {
  const traffic = obs.traffic!;
  const step = rollout.steps[rollout.stepIndex]!;
  if (!traffic.canaryGroup) {
    d.actions.push({
      type: 'createCanaryGroup',
      primaryGroup: traffic.primaryGroup,
      name: traffic.canaryGroupName,
    });
    askOnce(step, 'canary group', now);
    return false;
  }
  const weight = rollout.canaryWeight ?? 0;
  const primary = obs.primary;
  const canary = obs.canary;
  // Every route forwards to both groups at the weight last set (a route added since catches up).
  if (!rollout.canaryDetached) moveRoutes(d, traffic, { canary: weight });
  // Until the primary switches, every task of the revision is the canary's.
  const healthy = healthyTasks(obs.tasks, revision, obs.hasHealthCheck);

  if (step.percent < 100 || primary.taskDefinition !== revision) {
    // The canary carries the step's share; during canary steps the primary runs the old revision, whole.
    const wanted = weightedCanaryTasks(total, step.percent);
    if (step.percent < 100) {
      if (primary.taskDefinition !== rollout.fromTaskDefinition)
        d.actions.push({ type: 'setPrimary', taskDefinition: rollout.fromTaskDefinition });
      if (primary.desiredCount !== total) {
        d.actions.push({ type: 'setCount', desiredCount: total });
        rollout.total = total;
        rollout.primaryCount = total;
      }
    }
    if (canary.taskDefinition !== revision || canary.desiredCount !== wanted || !canary.exists) {
      d.actions.push({
        type: 'setCanary',
        taskDefinition: revision,
        desiredCount: wanted,
        targetGroup: traffic.canaryGroup,
      });
      askOnce(step, `canary ${revision} ${wanted}`, now);
      return false;
    }
    const ready = canaryReady({
      wanted,
      running: canary.runningCount,
      pending: canary.pendingCount,
      healthy,
    });
    if (!ready) return step.healthyAt !== undefined;
    if (weight !== step.percent) {
      // The shift: every route to exactly the step's share, in one call each.
      rollout.canaryWeight = step.percent;
      step.shiftedAt = now;
      moveRoutes(d, traffic, { canary: step.percent });
    }
    if (step.percent < 100) {
      if (step.healthyAt === undefined) becameHealthy(step, now);
      return true;
    }
    // Promotion: all the traffic is on the canary; the primary rolls to the revision with none.
    if (d.actions.some((a) => a.type === 'setRoutes')) return false;
    // An owner's 50 / 100 at one task: ECS would neither start nor stop one (unstuckMaximumPercent).
    const unstuck = unstuckMaximumPercent(
      primary.desiredCount,
      primary.minimumHealthyPercent,
      primary.maximumPercent ?? 200,
    );
    d.actions.push({
      type: 'setPrimary',
      taskDefinition: revision,
      ...(unstuck !== undefined && { maximumPercent: unstuck }),
    });
    askOnce(step, `primary ${revision}`, now);
    return false;
  }

  // The primary runs the revision: once it is whole and healthy it takes all the traffic back.
  rollout.promotedAt ??= now;
  if (primary.desiredCount !== total) {
    d.actions.push({ type: 'setCount', desiredCount: total });
    rollout.total = total;
    rollout.primaryCount = total;
    return false;
  }
  // The listed tasks are the revision's in both services: the canary's running ones are not the primary's.
  if (!promoted(primary, revision, primaryHealthy(healthy, canary))) return step.healthyAt !== undefined;
  rollout.canaryDetached = true;
  moveRoutes(d, traffic, 'primary');
  if (canary.exists && canary.desiredCount > 0) {
    d.actions.push({
      type: 'setCanary',
      taskDefinition: canary.taskDefinition ?? revision,
      desiredCount: 0,
      targetGroup: traffic.canaryGroup,
    });
  }
  if (step.healthyAt === undefined) becameHealthy(step, now);
  return true;
}
