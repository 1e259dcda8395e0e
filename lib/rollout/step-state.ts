/**
 * The small state changes a step goes through, shared by the pipeline's own stepping (progress.ts)
 * and ECS's strategies (ecs-native.ts): asked for tasks, became healthy, and the rollout's success.
 */
import { type Rollout, type StepState, summarize, withHistory } from '../record.ts';
import type { Decision } from './decision.ts';
import { gainedHealthyTask } from './step.ts';

/**
 * Steps as a rollout starts them: the share, the bake and the approval gate, nothing reached yet
 * (a push, and a resume that starts ECS's deployment over).
 *   [{ percent: 10, bakeMs: 60000, approve: true, healthyAt: … }] -> [{ percent: 10, bakeMs: 60000, approve: true }]
 */
export function freshSteps(steps: readonly Pick<StepState, 'percent' | 'bakeMs' | 'approve'>[]): StepState[] {
  return steps.map((s) => ({
    percent: s.percent,
    bakeMs: s.bakeMs,
    ...(s.approve && { approve: s.approve }),
  }));
}

/** The step asked for tasks: it is unhealthy from now, and its deadline counts from now. */
export function askedForTasks(step: StepState, now: number) {
  step.healthyAt = undefined;
  step.unhealthySince = now;
  step.unhealthyMs = 0;
  step.mostHealthy = undefined;
}

/**
 * A failure inside the bake, short of a rollback: the step was not healthy for the whole bake, so
 * it bakes again once it is healthy (a step not baking is unchanged). Returns whether it was baking.
 */
export function bakeAgain(step: StepState, now: number): boolean {
  if (step.healthyAt === undefined) return false;
  step.healthyAt = undefined;
  step.unhealthySince = now;
  return true;
}

/**
 * The step's growing service has `healthy` tasks of the revision: one more than ever restarts an
 * unhealthy step's deadline (lib/rollout/step.ts gainedHealthyTask).
 */
export function sawHealthy(step: StepState, healthy: number, now: number) {
  const gained = gainedHealthyTask(step.mostHealthy, healthy);
  step.mostHealthy = Math.max(step.mostHealthy ?? healthy, healthy);
  if (gained && step.unhealthySince !== undefined) {
    step.unhealthySince = now;
    step.unhealthyMs = 0;
  }
}

export function becameHealthy(step: StepState, now: number) {
  step.healthyAt = now;
  if (step.unhealthySince !== undefined) {
    step.unhealthyMs = (step.unhealthyMs ?? 0) + (now - step.unhealthySince);
    step.unhealthySince = undefined;
  }
}

export function succeed(d: Decision, rollout: Rollout, revision: string, now: number) {
  d.record.lastGood = { taskDefinition: revision, image: rollout.image, since: now };
  // A digest marked bad (rolled back, rejected) that a deploy by hand then took through every step is
  // good: kept bad, a push of it later was ignored as bad while it served (stranger18 06).
  if (d.record.badDigests[rollout.image.digest]) {
    const { [rollout.image.digest]: _cleared, ...rest } = d.record.badDigests;
    d.record.badDigests = rest;
  }
  d.record = withHistory(d.record, summarize(rollout, 'succeeded', 'every step healthy and baked', now));
  d.record.rollout = undefined;
  d.notices.push({ kind: 'succeeded', rollout, durationMs: now - rollout.startedAt });
}
