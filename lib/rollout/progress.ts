/**
 * Stepping a rollout: register the revision, size the canary for the step, start the bake once the
 * step is ready, move on once it has baked, promote at 100%, and roll back when a rule says so.
 * The checks themselves are pure functions in step.ts.
 */
import type { TargetConfig } from '../config.ts';
import { formatDuration } from '../duration.ts';
import type { AlarmView, Observation } from '../observation.ts';
import { type Rollout, summarize, withHistory } from '../record.ts';
import { canaryShare, canaryTasksForShare } from '../rollout-math.ts';
import type { Decision } from './decision.ts';
import { describeFailures, foldFailures } from './failures.ts';
import { startRollback } from './rollback.ts';
import { baked, canaryReady, healthyTasks, pastDeadline, promoted } from './step.ts';

/** How long a registration may take before another invocation may try (it looks for the digest tag first). */
export const REGISTER_LEASE_MS = 60_000;

export function progress(d: Decision, obs: Observation, target: TargetConfig, rollout: Rollout, now: number) {
  if (!rollout.taskDefinition && obs.revisionForDigest) rollout.taskDefinition = obs.revisionForDigest;
  if (!rollout.taskDefinition) {
    if (now - rollout.startedAt > target.stepDeadlineMs) {
      startRollback(
        d,
        rollout,
        `the revision was not registered within ${formatDuration(target.stepDeadlineMs)}`,
        now,
      );
      return;
    }
    if (!(rollout.registerLeaseUntil !== undefined && rollout.registerLeaseUntil > now)) {
      rollout.registerLeaseUntil = now + REGISTER_LEASE_MS;
      d.actions.push({
        type: 'registerRevision',
        from: rollout.fromTaskDefinition,
        container: target.container,
        image: rollout.image,
      });
    }
    return;
  }
  const revision = rollout.taskDefinition;
  foldFailures(rollout, obs.tasks, revision, now);
  for (const a of obs.alarms) {
    if (a.state === 'OK') rollout.ignoredAlarms = rollout.ignoredAlarms.filter((n) => n !== a.name);
  }

  const reason = rollbackReason(obs, target, rollout, revision, now);
  if (reason) {
    startRollback(d, rollout, reason.text, now, 'rolled_back', reason.alarm);
    return;
  }

  const step = rollout.steps[rollout.stepIndex]!;
  if (step.startedAt === undefined) startStep(d, rollout, rollout.stepIndex, obs, now);

  if (step.percent < 100) {
    const wanted = canaryTasksForShare(obs.primary.desiredCount, step.percent);
    // During canary steps the primary runs the revision the rollout started from.
    if (obs.primary.taskDefinition !== rollout.fromTaskDefinition) {
      d.actions.push({ type: 'setPrimary', taskDefinition: rollout.fromTaskDefinition });
    }
    const canary = obs.canary;
    if (!canary.exists || canary.taskDefinition !== revision || canary.desiredCount !== wanted) {
      d.actions.push({ type: 'setCanary', taskDefinition: revision, desiredCount: wanted });
      step.healthyAt = undefined;
      return;
    }
    const ready = canaryReady({
      wanted,
      running: canary.runningCount,
      pending: canary.pendingCount,
      healthy: healthyTasks(obs.tasks, revision, obs.hasHealthCheck),
    });
    if (step.healthyAt === undefined && ready) step.healthyAt = now;
  } else {
    const primary = obs.primary;
    if (primary.taskDefinition !== revision) {
      d.actions.push({
        type: 'setPrimary',
        taskDefinition: revision,
        allAtOnce: rollout.strategy === 'all-at-once',
      });
      return;
    }
    if (!promoted(primary, revision, healthyTasks(obs.tasks, revision, obs.hasHealthCheck))) return;
    if (obs.canary.exists && obs.canary.desiredCount > 0) {
      d.actions.push({
        type: 'setCanary',
        taskDefinition: obs.canary.taskDefinition ?? revision,
        desiredCount: 0,
      });
      return;
    }
    if (step.healthyAt === undefined && obs.canary.runningCount === 0) step.healthyAt = now;
  }

  if (baked(step, now, rollout.paused === true)) {
    if (rollout.stepIndex < rollout.steps.length - 1) {
      rollout.stepIndex += 1;
      startStep(d, rollout, rollout.stepIndex, obs, now);
    } else {
      succeed(d, rollout, revision, now);
    }
  }
}

/** Marks step `index` as begun and tells its share. */
export function startStep(d: Decision, rollout: Rollout, index: number, obs: Observation, now: number) {
  const step = rollout.steps[index]!;
  step.startedAt = now;
  step.healthyAt = undefined;
  const canaryTasks = step.percent < 100 ? canaryTasksForShare(obs.primary.desiredCount, step.percent) : 0;
  d.notices.push({
    kind: 'step',
    rollout,
    stepIndex: index,
    percent: step.percent,
    canaryTasks,
    share: step.percent < 100 ? canaryShare(obs.primary.desiredCount, canaryTasks) : 100,
  });
}

function succeed(d: Decision, rollout: Rollout, revision: string, now: number) {
  d.record.lastGood = { taskDefinition: revision, image: rollout.image, since: now };
  d.record = withHistory(d.record, summarize(rollout, 'succeeded', 'every step healthy and baked', now));
  d.record.rollout = undefined;
  d.notices.push({ kind: 'succeeded', rollout, durationMs: now - rollout.startedAt });
}

/** Why the rollout must roll back now, if it must: failures, a gate alarm, ECS's verdict, the deadline. */
function rollbackReason(
  obs: Observation,
  target: TargetConfig,
  rollout: Rollout,
  revision: string,
  now: number,
): { text: string; alarm?: AlarmView } | undefined {
  if (rollout.failures.length >= target.failedTasks) {
    return { text: describeFailures(rollout.failures) };
  }
  const alarm = obs.alarms.find((a) => a.state === 'ALARM' && !rollout.ignoredAlarms.includes(a.name));
  if (alarm) return { text: `gate alarm ${alarm.name} is in ALARM: ${alarm.reason}`, alarm };
  const failedDeployment = obs.primary.deployments.find(
    (dep) => dep.taskDefinition === revision && dep.rolloutState === 'FAILED',
  );
  if (failedDeployment) {
    return {
      text: `the ECS deployment of the revision failed: ${failedDeployment.rolloutStateReason ?? 'no reason given'}`,
    };
  }
  const step = rollout.steps[rollout.stepIndex]!;
  if (pastDeadline(step, now, target.stepDeadlineMs, rollout.paused === true)) {
    return {
      text: `step ${rollout.stepIndex + 1} (${step.percent}%) was not healthy within its deadline of ${formatDuration(target.stepDeadlineMs)}`,
    };
  }
  return undefined;
}
