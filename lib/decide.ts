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
 * Any time: too many new tasks failed, a gate alarm in ALARM, or a step past its deadline
 *   -> rollback: canary to 0, primary back to the last good revision.
 */
import type { TargetConfig } from './config.ts';
import { formatDuration } from './duration.ts';
import type { Notice } from './notice.ts';
import type { AlarmView, Observation, ServiceView, TaskView } from './observation.ts';
import {
  type ImageRef,
  type Rollout,
  type ServiceRecord,
  summarize,
  type TaskFailure,
  withBadDigest,
  withHistory,
} from './record.ts';
import { canaryShare, canaryTasksForShare } from './rollout-math.ts';
import { clampCount, decideScale, type ScaleDecision, type ScalingPolicy } from './scaling.ts';
import { evaluateTag } from './tag-policy.ts';

export type Trigger =
  | { kind: 'push'; image: ImageRef }
  | { kind: 'reconcile'; reason: string }
  | { kind: 'command'; command: Command };

export type Command =
  | { name: 'promote'; full: boolean }
  | { name: 'pause' }
  | { name: 'resume' }
  | { name: 'abort'; reason?: string }
  /** Back to `to` (a task definition ARN), or to the revision that was good before the current one. */
  | { name: 'rollback'; to?: string; reason?: string }
  | { name: 'deploy'; image: ImageRef };

export type Action =
  /** Register a clone of `from` with `container`'s image replaced by `image.uri`, tagged with the digest. */
  | { type: 'registerRevision'; from: string; container?: string; image: ImageRef }
  /** Create or update the canary service: this revision, this many tasks. */
  | { type: 'setCanary'; taskDefinition: string; desiredCount: number }
  /** Update the primary service to this revision (a rolling update). */
  | { type: 'setPrimary'; taskDefinition: string; allAtOnce?: boolean }
  /** Set the primary's desired count: the total that scaling owns. */
  | { type: 'setCount'; desiredCount: number };

export interface Decision {
  record: ServiceRecord;
  actions: Action[];
  notices: Notice[];
  /** Why nothing happened, when that is worth a log line (a duplicate push, an image already deployed). */
  skipped?: string;
}

/** How long a registration may take before another invocation may try (it looks for the digest tag first). */
export const REGISTER_LEASE_MS = 60_000;

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

  if (trigger.kind === 'push') acceptPush(d, obs, target, trigger.image, now, false);
  if (trigger.kind === 'command') applyCommand(d, obs, target, trigger.command, now);

  const rollout = d.record.rollout;
  if (!rollout) {
    // Idle: the canary service is ours and runs nothing between rollouts.
    if (obs.canary.exists && obs.canary.desiredCount > 0 && obs.canary.taskDefinition) {
      d.actions.push({ type: 'setCanary', taskDefinition: obs.canary.taskDefinition, desiredCount: 0 });
    }
    return d;
  }
  if (rollout.rollingBack) {
    driveRollback(d, obs, rollout, rollout.rollingBack.toTaskDefinition);
    return d;
  }
  progress(d, obs, target, rollout, now);
  const after = d.record.rollout;
  if (after?.rollingBack) driveRollback(d, obs, after, after.rollingBack.toTaskDefinition);
  return d;
}

/** A revision at steady state, when no rollout is running, is known good (a manual deploy too). */
function learnLastGood(record: ServiceRecord, primary: ServiceView, now: number): void {
  if (!primary.exists || !primary.taskDefinition) return;
  const only = primary.deployments.length === 1 ? primary.deployments[0] : undefined;
  const steady =
    only !== undefined &&
    only.taskDefinition === primary.taskDefinition &&
    (only.rolloutState === undefined || only.rolloutState === 'COMPLETED') &&
    primary.runningCount === primary.desiredCount;
  if (steady && record.lastGood?.taskDefinition !== primary.taskDefinition) {
    record.lastGood = { taskDefinition: primary.taskDefinition, since: now };
  }
}

function acceptPush(
  d: Decision,
  obs: Observation,
  target: TargetConfig,
  image: ImageRef,
  now: number,
  forced: boolean,
) {
  const r = d.record;
  const current = r.rollout && !r.rollout.rollingBack ? r.rollout : undefined;
  if (current?.image.digest === image.digest) {
    d.skipped = `digest ${image.digest} is already rolling out`;
    return;
  }
  if (!current && r.lastGood?.image?.digest === image.digest) {
    d.skipped = `digest ${image.digest} is already deployed`;
    return;
  }
  const bad = r.badDigests[image.digest];
  if (bad && !forced) {
    ignore(
      d,
      image,
      `digest ${image.digest} was rolled back (${bad.reason}); deploy it by hand to retry`,
      now,
    );
    return;
  }
  if (!forced) {
    // Events arrive out of order and lost ones are found late: an image pushed before the one
    // rolling out (or deployed) never replaces it. Push times have whole seconds; a tie is not older.
    const newer = current?.image ?? r.lastGood?.image;
    if (image.pushedAt !== undefined && newer?.pushedAt !== undefined && image.pushedAt < newer.pushedAt) {
      ignore(
        d,
        image,
        `${image.repository}:${image.tag} was pushed before ${newer.repository}:${newer.tag} (${new Date(newer.pushedAt).toISOString()}), which ${current ? 'is rolling out' : 'is deployed'}`,
        now,
      );
      return;
    }
    const currentTag = current?.image.tag ?? r.lastGood?.image?.tag;
    const verdict = evaluateTag(target.tags, image.tag, currentTag);
    if (!verdict.ok) {
      ignore(d, image, verdict.reason, now);
      return;
    }
  }
  if (current) {
    d.record = withHistory(
      d.record,
      summarize(current, 'superseded', `superseded by ${image.repository}:${image.tag}`, now),
    );
    d.notices.push({ kind: 'superseded', rollout: current, by: image });
  }
  const from = r.lastGood?.taskDefinition ?? obs.primary.taskDefinition;
  if (!from) {
    ignore(d, image, `service ${r.key} has no task definition to start from`, now);
    return;
  }
  const rollout: Rollout = {
    id: `${new Date(now).toISOString()}-${image.digest.slice(7, 19)}`,
    image,
    strategy: target.strategy,
    steps: target.steps.map((s) => ({ percent: s.percent, bakeMs: s.bakeMs })),
    stepIndex: 0,
    fromTaskDefinition: from,
    startedAt: now,
    failures: [],
    // As ECS does for deployment alarms: an alarm already in ALARM at the start is ignored until it clears.
    ignoredAlarms: obs.alarms.filter((a) => a.state === 'ALARM').map((a) => a.name),
  };
  d.record.rollout = rollout;
  d.notices.push({ kind: 'started', rollout, fromTaskDefinition: from });
}

function ignore(d: Decision, image: ImageRef, reason: string, now: number) {
  d.record = withHistory(d.record, {
    id: `${new Date(now).toISOString()}-${image.digest.slice(7, 19)}`,
    image,
    strategy: d.record.rollout?.strategy ?? 'canary',
    outcome: 'ignored',
    reason,
    startedAt: now,
    endedAt: now,
    steps: [],
    failures: [],
  });
  d.notices.push({ kind: 'ignored', image, reason });
}

function applyCommand(d: Decision, obs: Observation, target: TargetConfig, command: Command, now: number) {
  const rollout = d.record.rollout;
  switch (command.name) {
    case 'deploy':
      acceptPush(d, obs, target, command.image, now, true);
      return;
    case 'pause':
    case 'resume':
      if (!rollout || rollout.rollingBack) return;
      rollout.paused = command.name === 'pause';
      d.notices.push({ kind: command.name === 'pause' ? 'paused' : 'resumed', rollout });
      return;
    case 'promote': {
      if (!rollout || rollout.rollingBack) return;
      // Skip the rest of the bake (and with --full, every remaining canary step): the operator vouches.
      rollout.paused = false;
      const target = command.full
        ? rollout.steps.length - 1
        : Math.min(rollout.stepIndex + 1, rollout.steps.length - 1);
      if (target > rollout.stepIndex) {
        rollout.stepIndex = target;
        startStep(d, rollout, target, obs, now);
      } else {
        const step = rollout.steps[rollout.stepIndex]!;
        step.bakeMs = 0;
      }
      return;
    }
    case 'abort':
      if (!rollout || rollout.rollingBack) return;
      startRollback(
        d,
        rollout,
        `aborted by hand${command.reason ? `: ${command.reason}` : ''}`,
        now,
        'aborted',
      );
      return;
    case 'rollback':
      manualRollback(d, obs, command.to, command.reason, now);
      return;
  }
}

/**
 * A rollback by hand. During a rollout it aborts it (to `to` if given). Otherwise the primary goes
 * back to `to`, or to the revision that was good before the current one; the current digest is
 * marked bad so that a duplicate event does not bring it back.
 */
function manualRollback(
  d: Decision,
  obs: Observation,
  to: string | undefined,
  why: string | undefined,
  now: number,
) {
  const r = d.record;
  const suffix = why ? `: ${why}` : '';
  if (r.rollout && !r.rollout.rollingBack) {
    if (to) r.rollout.fromTaskDefinition = to;
    startRollback(d, r.rollout, `rolled back by hand${suffix}`, now, 'aborted');
    return;
  }
  if (r.rollout) return; // a rollback is already under way
  const current = obs.primary.taskDefinition ?? r.lastGood?.taskDefinition;
  const target = to ?? previousGood(r, current);
  if (!target || !current) {
    d.skipped = 'no earlier good revision is known; name one with --to';
    return;
  }
  if (target === current) {
    d.skipped = `the service already runs ${target}`;
    return;
  }
  const image = r.lastGood?.taskDefinition === current ? r.lastGood.image : undefined;
  const rollout: Rollout = {
    id: `${new Date(now).toISOString()}-rollback`,
    image: image ?? { repository: '', tag: '', digest: '', uri: current },
    strategy: 'rolling',
    steps: [],
    stepIndex: 0,
    fromTaskDefinition: target,
    taskDefinition: current,
    startedAt: now,
    failures: [],
    ignoredAlarms: [],
  };
  const reason = `rolled back by hand from ${shortName(current)} to ${shortName(target)}${suffix}`;
  d.record = withHistory(d.record, summarize(rollout, 'rolled_back', reason, now));
  if (image?.digest) d.record = withBadDigest(d.record, image.digest, reason, now);
  rollout.rollingBack = { reason, at: now, toTaskDefinition: target };
  d.record.rollout = rollout;
  d.record.lastGood = { taskDefinition: target, since: now };
  d.notices.push({ kind: 'rolled_back', rollout, reason, failures: [], toTaskDefinition: target });
}

/** The newest revision known good before `current`: from the history of succeeded rollouts. */
function previousGood(r: ServiceRecord, current: string | undefined): string | undefined {
  for (let i = r.history.length - 1; i >= 0; i--) {
    const h = r.history[i]!;
    if (h.outcome !== 'succeeded') continue;
    if (h.taskDefinition && h.taskDefinition !== current) return h.taskDefinition;
    if (h.fromTaskDefinition && h.fromTaskDefinition !== current) return h.fromTaskDefinition;
  }
  return undefined;
}

const shortName = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

function progress(d: Decision, obs: Observation, target: TargetConfig, rollout: Rollout, now: number) {
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
    const healthy = healthyTasks(obs.tasks, revision, obs.hasHealthCheck);
    if (
      step.healthyAt === undefined &&
      canary.runningCount === wanted &&
      canary.pendingCount === 0 &&
      healthy >= wanted
    ) {
      step.healthyAt = now;
    }
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
    const promoted =
      steadyOn(primary, revision) &&
      healthyTasks(obs.tasks, revision, obs.hasHealthCheck) >= primary.desiredCount;
    if (!promoted) return;
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

  if (step.healthyAt !== undefined && !rollout.paused && now >= step.healthyAt + step.bakeMs) {
    if (rollout.stepIndex < rollout.steps.length - 1) {
      rollout.stepIndex += 1;
      startStep(d, rollout, rollout.stepIndex, obs, now);
    } else {
      succeed(d, rollout, revision, now);
    }
  }
}

function startStep(d: Decision, rollout: Rollout, index: number, obs: Observation, now: number) {
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

function startRollback(
  d: Decision,
  rollout: Rollout,
  reason: string,
  now: number,
  outcome: 'rolled_back' | 'aborted' = 'rolled_back',
  alarm?: AlarmView,
) {
  const to = rollout.fromTaskDefinition;
  d.record = withHistory(d.record, summarize(rollout, outcome, reason, now));
  if (outcome === 'rolled_back') d.record = withBadDigest(d.record, rollout.image.digest, reason, now);
  rollout.rollingBack = { reason, at: now, toTaskDefinition: to };
  d.record.rollout = rollout;
  d.notices.push({
    kind: 'rolled_back',
    rollout,
    reason,
    alarm,
    failures: rollout.failures,
    toTaskDefinition: to,
  });
}

/** Canary to 0 and the primary on the good revision; the rollout leaves the record once both are observed. */
function driveRollback(d: Decision, obs: Observation, rollout: Rollout, to: string) {
  let done = true;
  if (obs.canary.exists && obs.canary.desiredCount > 0) {
    d.actions.push({ type: 'setCanary', taskDefinition: obs.canary.taskDefinition ?? to, desiredCount: 0 });
    done = false;
  } else if (obs.canary.runningCount > 0) {
    done = false;
  }
  if (obs.primary.taskDefinition !== to) {
    d.actions.push({ type: 'setPrimary', taskDefinition: to });
    done = false;
  } else if (obs.primary.deployments.length > 1) {
    done = false;
  }
  if (done && d.record.rollout?.id === rollout.id) d.record.rollout = undefined;
}

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
  if (
    !rollout.paused &&
    step.startedAt !== undefined &&
    step.healthyAt === undefined &&
    now - step.startedAt > target.stepDeadlineMs
  ) {
    return {
      text: `step ${rollout.stepIndex + 1} (${step.percent}%) was not healthy within its deadline of ${formatDuration(target.stepDeadlineMs)}`,
    };
  }
  return undefined;
}

/** "2 new tasks failed: Essential container in task exited (web exit code 1)" */
export function describeFailures(failures: TaskFailure[]): string {
  const first = failures[0];
  if (!first) return 'no failures';
  const exit =
    first.exitCode !== undefined ? ` (${first.container ?? 'container'} exit code ${first.exitCode})` : '';
  const n = failures.length;
  return `${n} new task${n === 1 ? '' : 's'} failed: ${first.stoppedReason}${exit}`;
}

function foldFailures(rollout: Rollout, tasks: TaskView[], revision: string, now: number) {
  for (const t of tasks) {
    // A failing task counts as soon as ECS decides to stop it, not only once it is STOPPED.
    if (t.taskDefinition !== revision || (t.lastStatus !== 'STOPPED' && t.desiredStatus !== 'STOPPED'))
      continue;
    if (rollout.failures.some((f) => f.taskArn === t.taskArn)) continue;
    const failure = asFailure(t, now);
    if (failure) rollout.failures.push(failure);
  }
}

/**
 * Whether a stopped task counts against the rollout. Counted: an essential container exited, the
 * task failed to start (image pull, resources), failed container or load balancer health checks.
 * Not counted: stops the scheduler makes to scale or replace, stops by a person, Spot interruptions.
 */
export function asFailure(t: TaskView, at: number): TaskFailure | undefined {
  const reason = t.stoppedReason ?? '';
  const counts =
    t.stopCode === 'EssentialContainerExited' ||
    t.stopCode === 'TaskFailedToStart' ||
    /health checks|CannotPull|CannotStart|ResourceInitializationError/i.test(reason);
  if (!counts) return undefined;
  const exited =
    t.containers.find((c) => c.exitCode !== undefined && c.exitCode !== 0) ??
    t.containers.find((c) => c.exitCode !== undefined);
  return {
    taskArn: t.taskArn,
    taskDefinition: t.taskDefinition,
    stoppedReason: reason || t.stopCode || 'stopped',
    stopCode: t.stopCode,
    container: exited?.name,
    exitCode: exited?.exitCode,
    at,
  };
}

function healthyTasks(tasks: TaskView[], revision: string, hasHealthCheck: boolean): number {
  return tasks.filter(
    (t) =>
      t.taskDefinition === revision &&
      t.lastStatus === 'RUNNING' &&
      t.desiredStatus === 'RUNNING' &&
      (hasHealthCheck ? t.healthStatus === 'HEALTHY' : t.healthStatus !== 'UNHEALTHY'),
  ).length;
}

/** One deployment, on this revision, completed (or, without rolloutState, at its desired count). */
function steadyOn(service: ServiceView, revision: string): boolean {
  const only = service.deployments.length === 1 ? service.deployments[0] : undefined;
  if (!only || only.taskDefinition !== revision) return false;
  if (only.rolloutState !== undefined) return only.rolloutState === 'COMPLETED';
  return service.runningCount === service.desiredCount;
}

/**
 * Scaling owns the service's total: each scaling alarm is weighed (lib/scaling.ts); of the changes
 * asked for at once, the largest scale-out wins, else the smallest scale-in, as Application Auto
 * Scaling does with several policies. The primary's desired count is kept at the total, so a deploy
 * that resets the count is put right; a rollout sizes its canary from it and a rollback leaves it.
 */
function scale(d: Decision, obs: Observation, policy: ScalingPolicy, now: number) {
  if (!obs.primary.exists) return;
  const state = d.record.scaling ?? { firing: {} };
  if (obs.externalScaler) {
    // Two owners of desiredCount fight: the pipeline stands aside and says so once.
    if (state.blockedBy !== obs.externalScaler) {
      d.record.scaling = { ...state, blockedBy: obs.externalScaler };
      d.notices.push({ kind: 'blocked', reason: `scaling is off: ${obs.externalScaler}` });
    }
    return;
  }
  const baking = d.record.rollout !== undefined && !d.record.rollout.rollingBack;
  const firing = { ...state.firing };
  let best: (ScaleDecision & { change: NonNullable<ScaleDecision['change']> }) | undefined;
  for (const reading of obs.scalingAlarms ?? []) {
    const decided = decideScale(state, policy, reading, obs.primary.desiredCount, now, baking);
    const mark = decided.state.firing[reading.name];
    if (mark) firing[reading.name] = mark;
    else delete firing[reading.name];
    if (decided.change && (!best || decided.change.to > best.change.to))
      best = { ...decided, change: decided.change };
  }
  if (best) firing[best.change.alarm] = best.state.firing[best.change.alarm]!;
  const next = best ? { ...best.state, firing } : { ...state, firing };
  delete next.blockedBy;
  next.total = clampCount(next.total ?? obs.primary.desiredCount, policy);
  d.record.scaling = next;
  if (best) {
    const reading = obs.scalingAlarms!.find((a) => a.name === best.change.alarm)!;
    d.notices.push({
      kind: 'scaled',
      from: best.change.from,
      to: best.change.to,
      alarm: reading,
      reason: best.change.reason,
    });
  }
  if (obs.primary.desiredCount !== next.total) d.actions.push({ type: 'setCount', desiredCount: next.total });
}
