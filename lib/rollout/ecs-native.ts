/**
 * A rollout under ECS's own strategies (ecs-canary, ecs-linear, ecs-blue-green): ECS scales the new
 * revision up beside the old one and shifts production traffic by the listener rule's weights; the
 * pipeline starts that deployment, follows it through DescribeServiceDeployments (status,
 * lifecycleStage, the new revision's production weight), records its steps as the weight reaches
 * them, and ends the rollout as ECS's deployment ends. Its gates act in two ways: the lifecycle hook
 * holds each traffic shift until the new tasks are healthy (lib/hook.ts answers from the record this
 * writes), and the first failed task or gate alarm (progress.ts rollbackReason) stops ECS's
 * deployment with StopServiceDeployment (ROLLBACK, rollback.ts driveEcsRollback), whatever ECS's own
 * thresholds say. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/canary-deployment.html
 */
import type { TargetConfig } from '../config.ts';
import { type EcsStrategyKind, ecsStrategyFields, stepAtWeight } from '../ecs-strategy.ts';
import type { Observation, ServiceDeploymentView } from '../observation.ts';
import type { Rollout } from '../record.ts';
import { failureCount } from '../record-size.ts';
import { stoppedOnPlacement } from './capacity.ts';
import type { Decision } from './decision.ts';
import { startRollback } from './rollback.ts';
import { healthyTasks } from './step.ts';
import { askedForTasks, becameHealthy, succeed } from './step-state.ts';

/** ServiceDeployment statuses in which ECS is stopping or undoing the deployment on its own. */
const UNDONE = new Set([
  'ROLLBACK_REQUESTED',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_SUCCESSFUL',
  'ROLLBACK_FAILED',
]);
const STOPPED = new Set(['STOPPED', 'STOP_REQUESTED']);

export function progressEcs(
  d: Decision,
  obs: Observation,
  _target: TargetConfig,
  rollout: Rollout,
  revision: string,
  now: number,
) {
  const first = rollout.steps[0]!;
  const sd = obs.serviceDeployment;
  if (!rollout.ecsDeployment) {
    if (obs.primary.taskDefinition !== revision) {
      d.actions.push({
        type: 'startEcsDeployment',
        taskDefinition: revision,
        strategy: ecsStrategyFields(rollout.strategy as EcsStrategyKind, rollout.steps),
      });
      startFirst(d, rollout, obs, now);
      return;
    }
    // Started (by this rollout: the primary runs its revision): its deployment, once ECS lists it.
    if (!sd) return;
    rollout.ecsDeployment = { arn: sd.arn };
    if (first.startedAt === undefined) startFirst(d, rollout, obs, now);
  }
  if (!sd) return;
  const before = stepAtWeight(rollout.steps, rollout.ecsDeployment.weight ?? 0);
  follow(rollout, sd);

  if (UNDONE.has(sd.status) || STOPPED.has(sd.status)) {
    // ECS ended it on its own: a hook's FAILED (another hook's), its alarms, its circuit breaker, a person.
    const why = sd.rollbackReason ?? sd.statusReason ?? sd.status;
    // Its breaker counts tasks it could not place as failed to start: on a full cluster, with none
    // of the image's failed, the cluster is to blame and the digest is not marked bad (stranger16 02).
    const capacity = stoppedOnPlacement(why, obs.primary, rollout.startedAt, failureCount(rollout));
    startRollback(
      d,
      rollout,
      `ECS stopped its deployment of the revision (${sd.status}): ${why}${capacity ? ' (ECS could not place its tasks: not enough capacity in the cluster?)' : ''}`,
      now,
      'rolled_back',
      undefined,
      undefined,
      !capacity,
      capacity,
    );
    return;
  }

  // The new revision's tasks all run healthy (ECS scales it to the service's count before any shift).
  const current = rollout.steps[rollout.stepIndex]!;
  const healthy = healthyTasks(obs.tasks, revision, obs.hasHealthCheck);
  if (current.healthyAt === undefined && healthy >= Math.max(1, obs.primary.desiredCount)) {
    becameHealthy(current, now);
  }

  // The steps the production weight has passed since the last look, each told once.
  const reached = stepAtWeight(rollout.steps, sd.productionWeight ?? 0);
  // The first step was told when ECS was asked for its tasks (startFirst).
  for (let i = Math.max(1, before + 1); i <= reached; i++) {
    const step = rollout.steps[i]!;
    if (i > rollout.stepIndex) {
      rollout.stepIndex = i;
      step.startedAt = now;
      // The shift moved traffic, not tasks: tasks that were healthy still are.
      if (current.healthyAt !== undefined) step.healthyAt = now;
      else askedForTasks(step, now);
    }
    d.notices.push({
      kind: 'step',
      rollout,
      stepIndex: i,
      percent: step.percent,
      canaryTasks: healthy,
      share: sd.productionWeight ?? step.percent,
    });
  }
  if (sd.status === 'SUCCESSFUL') succeed(d, rollout, revision, now);
}

/**
 * The first step starts with ECS's deployment: the new revision's tasks are asked for (the step's
 * deadline counts from now) and the step is told, with the share ECS will shift to once they are healthy.
 */
function startFirst(d: Decision, rollout: Rollout, obs: Observation, now: number) {
  const first = rollout.steps[0]!;
  first.startedAt = now;
  askedForTasks(first, now);
  d.notices.push({
    kind: 'step',
    rollout,
    stepIndex: 0,
    percent: first.percent,
    canaryTasks: obs.primary.desiredCount,
    share: first.percent,
  });
}

/** What the record keeps of ECS's deployment (the hook answers from it). */
function follow(rollout: Rollout, sd: ServiceDeploymentView) {
  rollout.ecsDeployment = {
    arn: sd.arn,
    ...(sd.revisionArn && { revisionArn: sd.revisionArn }),
    status: sd.status,
    ...(sd.lifecycleStage && { stage: sd.lifecycleStage }),
    ...(sd.productionWeight !== undefined && { weight: sd.productionWeight }),
  };
}
