/**
 * The one decision of the pipeline, pure: given the service's record, what was observed, the
 * target's policy, what woke us and the time, return the next record, the actions that move the
 * service toward it, and the notices (domain events) worth telling people about.
 *
 * Level-triggered: the decision comes from observed state, so a duplicated, reordered or lost event
 * cannot mislead it, and deciding again after acting is always safe. The reconcile loop calls it
 * until it asks for nothing more.
 *
 * A canary rollout, step by step:
 *   register the revision  ->  step 1: canary service at N tasks (primary untouched), healthy, bake
 *   -> ... -> last step (100%): the primary rolls to the revision; once it is done the canary goes
 *   to 0; bake; succeeded.
 * Any time: too many new tasks failed, a gate alarm in ALARM, ECS failed the primary's deployment,
 *   or a step past its deadline -> rollback: canary to 0, primary back to the last good revision.
 *
 * Where each rule lives (lib/rollout/):
 *   decision.ts  the shapes: Trigger (what woke us), Command, Action, Decision; plain data
 *   push.ts      whether a push starts a rollout (newest wins, bad digests, tags, lineage, freezes)
 *   approval.ts  approval gates: wait for a person before a step, roll back or hold when nobody decides
 *   commands.ts  a person's deploy, pause, resume, promote, abort, rollback
 *   progress.ts  stepping: register, size the canary, bake, promote, decide a rollback
 *   step.ts      the pure step checks (ready, baked, past its deadline, promoted, gates)
 *   step-state.ts a step's small state changes (asked for tasks, healthy, succeeded)
 *   traffic.ts   weighted traffic, pure: canary size and listener weights per step
 *   weighted.ts  stepping by listener weights (`traffic: weighted`)
 *   ecs-native.ts a rollout under ECS's own strategies (ecs-canary, ecs-linear, ecs-blue-green)
 *   failures.ts  which stopped tasks count against a rollout
 *   rollback.ts  driving a rollback to its end, and rollbacks by hand
 *   capacity.ts  the cluster's room learned from "unable to place a task", and trading progress
 *   scale.ts     the glue to alarm-driven scaling (lib/scaling.ts)
 * and the counts of each step in lib/rollout-math.ts.
 */
import type { TargetConfig } from './config.ts';
import type { Observation } from './observation.ts';
import type { Rollout, ServiceRecord } from './record.ts';
import { applyCommand } from './rollout/commands.ts';
import type { Decision, Trigger } from './rollout/decision.ts';
import { progress } from './rollout/progress.ts';
import { acceptPush, learnLastGood, thawFrozenPush } from './rollout/push.ts';
import { driveRollback } from './rollout/rollback.ts';
import { scale } from './rollout/scale.ts';

export type { Action, Command, Decision, Trigger } from './rollout/decision.ts';
export { asFailure, describeFailures } from './rollout/failures.ts';
export { REGISTER_LEASE_MS } from './rollout/progress.ts';

/**
 * Dispatches one trigger: scaling first (it owns the total a canary is sized from), then the push or
 * command, then the rollout's next move (lib/rollout/progress.ts) or its rollback.
 */
export function decide(
  record: ServiceRecord,
  obs: Observation,
  target: TargetConfig,
  trigger: Trigger,
  now: number,
): Decision {
  const d: Decision = { record: structuredClone(record), actions: [], notices: [] };
  if (!d.record.rollout) learnLastGood(d.record, obs.primary, now);
  if (target.scaling) scale(d, obs, target.scaling, now);

  if (trigger.kind === 'push') acceptPush(d, obs, target, trigger.image, now, false, trigger.pushTimes);
  if (d.needsPushTimes) return d;
  if (trigger.kind === 'command') applyCommand(d, obs, target, trigger.command, now);
  thawFrozenPush(d, obs, target, now);

  const rollout = d.record.rollout;
  if (!rollout) {
    // Idle: the canary service is ours and runs nothing between rollouts.
    if (obs.canary.exists && obs.canary.desiredCount > 0 && obs.canary.taskDefinition) {
      d.actions.push({ type: 'setCanary', taskDefinition: obs.canary.taskDefinition, desiredCount: 0 });
    }
    return d;
  }
  if (rollout.rollingBack) {
    driveRollback(d, obs, target, rollout, now);
    startQueuedPush(d, obs, target, now);
    return d;
  }
  progress(d, obs, target, rollout, now);
  const after = d.record.rollout;
  if (after?.rollingBack) {
    driveRollback(d, obs, target, after, now);
    startQueuedPush(d, obs, target, now);
  }
  return d;
}

/** A push that waited for a rollback starts once the rollback has finished. */
function startQueuedPush(d: Decision, obs: Observation, target: TargetConfig, now: number) {
  const queued = d.record.queuedPush;
  if (!queued || d.record.rollout) return;
  d.record.queuedPush = undefined;
  acceptPush(d, obs, target, queued.image, now, queued.forced);
  const next: Rollout | undefined = d.record.rollout;
  if (next) progress(d, obs, target, next, now);
}
