/**
 * Stepping a rollout: register the revision, size the canary for the step, start the bake once the
 * step is ready, move on once it has baked, promote at 100%, and roll back when a rule says so.
 * The checks themselves are pure functions in step.ts.
 */
import type { TargetConfig } from '../config.ts';
import { formatDuration } from '../duration.ts';
import { isEcsStrategy } from '../ecs-strategy.ts';
import { gateBlindToCanary } from '../gate-reach.ts';
import { gateTooSlow } from '../gate-speed.ts';
import type { AlarmView, Observation, ServiceView } from '../observation.ts';
import { type Rollout, summarize, withHistory } from '../record.ts';
import {
  canaryShare,
  promotionCanary,
  promotionSwitch,
  rolloutRoom,
  rolloutTotal,
  servingFloor,
  stepRound,
  stepTargets,
} from '../rollout-math.ts';
import { throughGate } from './approval.ts';
import { learnRoom, tradeProgress, unplacedOf } from './capacity.ts';
import { type Decision, shortName } from './decision.ts';
import { progressEcs } from './ecs-native.ts';
import { describeFailures, foldFailures } from './failures.ts';
import { startRollback } from './rollback.ts';
import {
  awaitingService,
  baked,
  canaryReady,
  gatesMissing,
  healthyTasks,
  missingGates,
  pastDeadline,
  promoted,
  steadyOn,
} from './step.ts';
import { askedForTasks, becameHealthy, sawHealthy, succeed } from './step-state.ts';
import { weightedCanaryTasks } from './traffic.ts';
import { stepWeighted, trafficProblem } from './weighted.ts';

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
  const failedNow = foldFailures(rollout, obs.tasks, revision, now);
  const step = rollout.steps[rollout.stepIndex]!;
  if (!asked(rollout)) {
    // Nothing of the new revision has run yet: a gate that cannot fire stops the rollout before it
    // starts, and an alarm already in ALARM is the old revision's (ignored until it has been OK).
    const missing = obs.gatesRead === false ? [] : missingGates(target.gateAlarms, obs.alarms);
    if (missing.length > 0) {
      refuse(d, rollout, missing, now);
      return;
    }
    const alarming = obs.alarms.filter((a) => a.state === 'ALARM').map((a) => a.name);
    rollout.ignoredAlarms = [...new Set([...rollout.ignoredAlarms, ...alarming])];
  }
  for (const a of obs.alarms) {
    if (a.state === 'OK') rollout.ignoredAlarms = rollout.ignoredAlarms.filter((n) => n !== a.name);
  }

  const reason = rollbackReason(obs, target, rollout, revision, now);
  if (reason) {
    const blame = !reason.capacity && !reason.notBlamed;
    startRollback(
      d,
      rollout,
      reason.text,
      now,
      'rolled_back',
      reason.alarm,
      reason.to,
      blame,
      reason.capacity === true,
    );
    return;
  }
  if (failedNow > 0 && step.healthyAt !== undefined) {
    // A failure inside the bake: the step was not healthy for the whole bake, so it bakes again.
    step.healthyAt = undefined;
    step.unhealthySince = now;
  }
  if (isEcsStrategy(rollout.strategy)) {
    // ECS shifts the traffic; the pipeline starts its deployment, follows it and holds its gates.
    if (heldByPerson(d, obs, rollout, now)) return;
    tellQuietGates(d, obs, rollout, now);
    tellSlowGates(d, obs, rollout);
    progressEcs(d, obs, target, rollout, revision, now);
    return;
  }
  if (step.startedAt === undefined) {
    // A gate on the first step: nothing of the new revision runs until a person approves.
    if (!throughGate(d, rollout, rollout.stepIndex, target, now)) return;
    startStep(d, rollout, rollout.stepIndex, obs, target, now);
  }
  if (heldByPerson(d, obs, rollout, now)) return;
  tellQuietGates(d, obs, rollout, now);
  tellSlowGates(d, obs, rollout);

  const total = serviceTotal(d, obs, target, rollout);
  if (target.traffic === 'weighted') {
    // Listener weights set the share (weighted.ts); a route that cannot be weighted ends the rollout.
    const problem = trafficProblem(obs.traffic);
    if (problem) {
      startRollback(d, rollout, problem, now, 'rolled_back', undefined, rollout.fromTaskDefinition, false);
      return;
    }
    tellBlindGates(d, obs, rollout);
    if (!stepWeighted(d, obs, rollout, revision, total, now)) return;
    bakeOrNext(d, obs, target, rollout, revision, now);
    return;
  }
  const surge = target.maxSurgePercent;
  learnRoom(rollout, obs);
  const room = rollout.room;
  // On a full cluster the serving tasks may dip to what minimumHealthyPercent allows, never lower.
  const floor = servingFloor(total, obs.primary.minimumHealthyPercent);
  if (step.percent < 100) {
    const goal = stepTargets(total, step.percent, surge, room);
    const canary = obs.canary;
    const onRevision = canary.exists && canary.taskDefinition === revision;
    const healthy = onRevision ? healthyTasks(obs.tasks, revision, obs.hasHealthCheck) : 0;
    const round = stepRound(total, step.percent, surge, healthy, room, floor);
    if (room !== undefined && step.healthyAt === undefined) {
      // Trading capacity: while healthy canary tasks keep growing, the step is making progress.
      const trade = tradeProgress(rollout.tradedHealthy, healthy);
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
      return;
    }
    const ready =
      round.canary === goal.canary &&
      obs.primary.desiredCount === goal.primary &&
      canaryReady({
        wanted: goal.canary,
        running: canary.runningCount,
        pending: canary.pendingCount,
        healthy,
      });
    if (step.healthyAt === undefined && ready) becameHealthy(step, now);
  } else {
    const primary = obs.primary;
    const most = rolloutRoom(total, surge, room);
    if (room !== undefined && primary.taskDefinition !== revision) {
      // A full cluster: before the switch the primary and the canary make the room the primary's
      // rolling update asks for, so its new tasks are placed (ECS's circuit breaker counts the ones
      // it cannot place against the deployment); the primary grows to the total once it is done.
      const plan = promotionSwitch(
        most,
        floor,
        primary.maximumPercent ?? 200,
        primary.desiredCount,
        obs.canary.exists ? obs.canary.desiredCount : 0,
      );
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
      if (moved || holding > plan.canary || primary.runningCount + primary.pendingCount > plan.primary)
        return;
      d.actions.push({ type: 'setPrimary', taskDefinition: revision, allAtOnce: false });
      askedForTasks(step, now);
      return;
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
      d.actions.push({
        type: 'setPrimary',
        taskDefinition: revision,
        allAtOnce: rollout.strategy === 'all-at-once',
      });
      askedForTasks(step, now);
      return;
    }
    // Seen on the revision: from now on, the primary leaving it is ECS's rollback (ecsVerdict).
    rollout.promotedAt ??= now;
    if (obs.canary.exists && obs.canary.desiredCount > 0) {
      const primaryTasks = primary.deployments.reduce(
        (n, dep) => n + Math.max(dep.desiredCount, dep.runningCount + dep.pendingCount),
        0,
      );
      // Tasks listed are the revision's in both services: the canary's running ones are not the primary's.
      const healthy = healthyTasks(obs.tasks, revision, obs.hasHealthCheck);
      const primaryHealthy = Math.max(0, healthy - obs.canary.runningCount);
      // On a full cluster the serving tasks may dip to the service's floor (its old tasks serve too).
      const keep =
        room === undefined
          ? promotionCanary(most, total, obs.canary.desiredCount, primaryTasks, primaryHealthy)
          : promotionCanary(most, floor, obs.canary.desiredCount, primaryTasks, primaryHealthy);
      if (keep < obs.canary.desiredCount) {
        d.actions.push({
          type: 'setCanary',
          taskDefinition: obs.canary.taskDefinition ?? revision,
          desiredCount: keep,
        });
      }
    }
    // A primary still short of the total (it switched at a smaller count) is not promoted yet.
    if (primary.desiredCount < total) return;
    // The listed tasks are the revision's in both services: the canary's running ones are not the primary's.
    const primaryHealthy = Math.max(
      0,
      healthyTasks(obs.tasks, revision, obs.hasHealthCheck) -
        (obs.canary.exists ? obs.canary.runningCount : 0),
    );
    if (!promoted(primary, revision, primaryHealthy) || primary.runningCount < primary.desiredCount) return;
    if (obs.canary.exists && obs.canary.desiredCount > 0) {
      const existing = d.actions.find((a) => a.type === 'setCanary');
      if (!existing) {
        d.actions.push({
          type: 'setCanary',
          taskDefinition: obs.canary.taskDefinition ?? revision,
          desiredCount: 0,
        });
      }
      // The primary is promoted and the canary asked to 0 in this decision: the bake starts with it
      // (below), not one look later. Its draining tasks run the same revision and serve nothing new.
      if (existing && existing.desiredCount !== 0) return;
    }
    // The canary's draining tasks run the same revision: the primary's bake need not wait for them.
    if (step.healthyAt === undefined) becameHealthy(step, now);
  }

  bakeOrNext(d, obs, target, rollout, revision, now);
}

/** A step that has baked moves on to the next (through its gate), or the last one succeeds. */
function bakeOrNext(
  d: Decision,
  obs: Observation,
  target: TargetConfig,
  rollout: Rollout,
  revision: string,
  now: number,
) {
  const step = rollout.steps[rollout.stepIndex]!;
  if (baked(step, now, rollout.paused === true)) {
    if (rollout.stepIndex < rollout.steps.length - 1) {
      // At a gate the step keeps baking on its share (a failure still rolls back) until a person decides.
      if (!throughGate(d, rollout, rollout.stepIndex + 1, target, now)) return;
      rollout.stepIndex += 1;
      startStep(d, rollout, rollout.stepIndex, obs, target, now);
    } else {
      succeed(d, rollout, revision, now);
    }
  }
}

/**
 * The service's count the steps are sized from: scaling's total when the pipeline scales the
 * service; else the primary's count, followed as it changes (a person, another scaler), and once
 * the rollout changed it, the total the rollout holds, until the primary's count is one the rollout
 * did not ask for: a person's, which becomes the total (never fight a person; rolloutTotal).
 */
function serviceTotal(d: Decision, obs: Observation, target: TargetConfig, rollout: Rollout): number {
  const scaling = d.record.scaling;
  if (target.scaling && scaling?.total !== undefined && !scaling.blockedBy) return scaling.total;
  const next = rolloutTotal(rollout.total, rollout.primaryCount, obs.primary.desiredCount);
  if (rollout.primaryCount !== undefined && next !== rollout.total) {
    // A person's count: from now on it is the service's total, and the count the rollout holds.
    rollout.total = next;
    rollout.primaryCount = next;
  }
  return next;
}

/** Whether the rollout has asked ECS for any task of the new revision yet. */
function asked(rollout: Rollout): boolean {
  return rollout.steps.some((s) => s.startedAt !== undefined);
}

/** A gate that cannot fire is a failed gate: the rollout ends before it starts, naming it. */
function refuse(d: Decision, rollout: Rollout, missing: string[], now: number) {
  const reason = gatesMissing(missing);
  d.record = withHistory(d.record, summarize(rollout, 'ignored', reason, now));
  d.record.rollout = undefined;
  d.notices.push({ kind: 'ignored', image: rollout.image, reason });
  // A person must act: told as an error too (Slack by default; `ignored` is not sent by default).
  d.notices.push({
    kind: 'blocked',
    reason: `${d.record.key}: ${rollout.image.repository}:${rollout.image.tag} was not rolled out: ${reason}`,
  });
}

/**
 * A person deployed another revision to the primary during the rollout (neither the revision the
 * rollout started from, nor the new one, nor one the pipeline put there earlier): the rollout
 * pauses and says so, once. It never reverts a person's deploy; `resume` carries on from the
 * person's revision (lib/rollout/commands.ts).
 */
function heldByPerson(d: Decision, obs: Observation, rollout: Rollout, now: number): boolean {
  const running = obs.primary.taskDefinition;
  if (!running) return false;
  const ours =
    running === rollout.fromTaskDefinition ||
    running === rollout.taskDefinition ||
    d.record.history.some((h) => h.taskDefinition === running && h.outcome !== 'succeeded');
  if (!ours && rollout.heldFor !== running) {
    rollout.heldFor = running;
    rollout.paused = true;
    rollout.pausedAt ??= now;
    d.notices.push({
      kind: 'blocked',
      reason: `${d.record.key}: someone deployed ${shortName(running)} to the primary during the rollout of ${rollout.image.repository}:${rollout.image.tag}; the rollout is paused and will not undo it (resume to carry on from ${shortName(running)}, or abort)`,
    });
  }
  return rollout.heldFor !== undefined;
}

/**
 * Gate alarms that have had no data (INSUFFICIENT_DATA) through the whole first step, its bake
 * included: told once each, as gates that are not watching (wrong metric or dimensions).
 */
function tellQuietGates(d: Decision, obs: Observation, rollout: Rollout, now: number) {
  const withData = new Set(rollout.gatesWithData ?? []);
  for (const a of obs.alarms) if (a.state !== 'INSUFFICIENT_DATA') withData.add(a.name);
  if (withData.size > 0) rollout.gatesWithData = [...withData];
  const first = rollout.steps[0]!;
  if (rollout.stepIndex === 0 && !baked(first, now, false)) return;
  const told = rollout.quietGates ?? [];
  const quiet = obs.alarms.filter((a) => !withData.has(a.name) && !told.includes(a.name));
  if (quiet.length === 0) return;
  rollout.quietGates = [...told, ...quiet.map((a) => a.name)];
  for (const a of quiet) {
    d.notices.push({
      kind: 'blocked',
      reason: `${d.record.key}: gate alarm ${a.name} has had no data through the first step of ${rollout.image.repository}:${rollout.image.tag}: it is not watching (check its metric and dimensions)`,
    });
  }
}

/**
 * Gate alarms that need more breaching data to go to ALARM than the rollout's bakes add up to: a
 * failing image can succeed before they fire. Told once each, at the rollout's first look (as
 * `validate --live` refuses them before any push); the rollout goes on: the owner chose the gate.
 */
function tellSlowGates(d: Decision, obs: Observation, rollout: Rollout) {
  const told = rollout.slowGates ?? [];
  for (const a of obs.alarms) {
    if (a.fireMs === undefined || told.includes(a.name)) continue;
    const why = gateTooSlow(a.name, a.fireMs, rollout.steps);
    if (!why) continue;
    told.push(a.name);
    d.notices.push({
      kind: 'blocked',
      reason: `${d.record.key}: ${why}, for the rollout of ${rollout.image.repository}:${rollout.image.tag}`,
    });
  }
  if (told.length > 0) rollout.slowGates = told;
}

/**
 * Under `traffic: weighted`, gate alarms scoped to the primary's target group alone: they cannot see
 * the canary's requests (lib/gate-reach.ts). Told once each, at the rollout's first look (as
 * `validate --live` refuses them); the rollout goes on: the owner chose the gate.
 */
function tellBlindGates(d: Decision, obs: Observation, rollout: Rollout) {
  if (!obs.traffic) return;
  const told = rollout.blindGates ?? [];
  for (const a of obs.alarms) {
    if (!a.targetGroups || told.includes(a.name)) continue;
    const why = gateBlindToCanary(
      a.name,
      a.targetGroups,
      obs.traffic.primaryGroup,
      obs.traffic.canaryGroupName,
    );
    if (!why) continue;
    told.push(a.name);
    d.notices.push({
      kind: 'blocked',
      reason: `${d.record.key}: ${why}, for the rollout of ${rollout.image.repository}:${rollout.image.tag}`,
    });
  }
  if (told.length > 0) rollout.blindGates = told;
}

/** Marks step `index` as begun and tells its share. */
export function startStep(
  d: Decision,
  rollout: Rollout,
  index: number,
  obs: Observation,
  target: TargetConfig,
  now: number,
) {
  const step = rollout.steps[index]!;
  step.startedAt = now;
  askedForTasks(step, now);
  rollout.tradedHealthy = undefined;
  if (target.traffic === 'weighted') {
    // By listener weights the share is the step's own (the routes move to it once the canary is ready).
    d.notices.push({
      kind: 'step',
      rollout,
      stepIndex: index,
      percent: step.percent,
      canaryTasks: weightedCanaryTasks(serviceTotal(d, obs, target, rollout), step.percent),
      share: step.percent,
      byWeight: true,
    });
    return;
  }
  const goal =
    step.percent < 100
      ? stepTargets(serviceTotal(d, obs, target, rollout), step.percent, target.maxSurgePercent, rollout.room)
      : undefined;
  d.notices.push({
    kind: 'step',
    rollout,
    stepIndex: index,
    percent: step.percent,
    canaryTasks: goal?.canary ?? 0,
    share: goal ? canaryShare(goal.primary, goal.canary) : 100,
  });
}

/**
 * Healthy tasks of the revision in the service a step grows: the canary's below 100 %, the primary's
 * at 100 % (the tasks listed are the revision's in both services; the canary's running ones are not
 * the primary's).
 */
function growingHealthy(obs: Observation, percent: number, revision: string): number {
  const healthy = healthyTasks(obs.tasks, revision, obs.hasHealthCheck);
  if (percent < 100) return healthy;
  return Math.max(0, healthy - (obs.canary.exists ? obs.canary.runningCount : 0));
}

/** Why the rollout must roll back now, if it must: failures, a gate alarm, ECS's verdict, the deadline. */
function rollbackReason(
  obs: Observation,
  target: TargetConfig,
  rollout: Rollout,
  revision: string,
  now: number,
): { text: string; alarm?: AlarmView; to?: string; capacity?: boolean; notBlamed?: boolean } | undefined {
  if (rollout.failures.length >= target.failedTasks) {
    return { text: describeFailures(rollout.failures) };
  }
  const alarm = obs.alarms.find((a) => a.state === 'ALARM' && !rollout.ignoredAlarms.includes(a.name));
  if (alarm) return { text: `gate alarm ${alarm.name} is in ALARM: ${alarm.reason}`, alarm };
  // An ALARM whose event came after a newer state's (a flap's OK overtook it): the gate was in
  // ALARM while the new revision ran (from the first step's ask: before it, an ALARM is the old
  // revision's, as at the push), and a flap told in order would have rolled it back.
  const since = rollout.steps[0]?.startedAt;
  const missed = obs.alarms.find(
    (a) =>
      since !== undefined &&
      a.missedAlarm !== undefined &&
      a.missedAlarm.at >= since &&
      !rollout.ignoredAlarms.includes(a.name),
  );
  if (missed?.missedAlarm) {
    const at = new Date(missed.missedAlarm.at).toISOString();
    return {
      text: `gate alarm ${missed.name} was in ALARM at ${at} (told late, after a newer state): ${missed.missedAlarm.reason}`,
      alarm: { ...missed, state: 'ALARM', reason: missed.missedAlarm.reason },
    };
  }
  const verdict = isEcsStrategy(rollout.strategy)
    ? undefined
    : ecsVerdict(obs.primary, revision, rollout.fromTaskDefinition, rollout.promotedAt !== undefined);
  if (verdict) return verdict;
  const step = rollout.steps[rollout.stepIndex]!;
  if (step.startedAt !== undefined) sawHealthy(step, growingHealthy(obs, step.percent, revision), now);
  if (pastDeadline(step, now, target.stepDeadlineMs, rollout.paused === true)) {
    const svc = step.percent < 100 ? obs.canary : obs.primary;
    // Tasks ECS cannot place are neither running nor pending (the service event says "unable to place");
    // counted on the new revision's deployment: an all-at-once primary still runs its old tasks.
    const unplaced = unplacedOf(svc, revision);
    const capacity =
      unplaced > 0
        ? `: ${unplaced} of ${svc.desiredCount} ${step.percent < 100 ? 'canary' : 'primary'} tasks could not be placed (not enough capacity in the cluster?)`
        : '';
    // Tasks that run and wait only for the load balancer's first health checks: the deadline was
    // shorter than the target group's health check, which says nothing against the image.
    const waiting = unplaced > 0 ? 0 : awaitingService(obs.tasks, revision, obs.hasHealthCheck);
    const slowCheck =
      waiting > 0
        ? `: ${waiting} new task${waiting === 1 ? '' : 's'} running, still in the target group's first health checks (is stepDeadline shorter than its interval × healthy threshold?)`
        : '';
    return {
      text: `step ${rollout.stepIndex + 1} (${step.percent}%) was not healthy within its deadline of ${formatDuration(target.stepDeadlineMs)}${capacity}${slowCheck}`,
      // Tasks that could not be placed, and none of the image's failed: the cluster is to blame, not
      // the image, whose digest is not marked bad (a push of it later tries again).
      capacity: unplaced > 0 && rollout.failures.length === 0,
      // Nor is it to blame when its tasks run and only the load balancer's checks were still going.
      notBlamed: waiting > 0 && rollout.failures.length === 0,
    };
  }
  return undefined;
}

/**
 * ECS's own verdict on the primary's deployment of the revision: its circuit breaker or its
 * deployment alarms failed it (rolloutState FAILED, with ECS's reason), or ECS already rolled the
 * primary back to another revision after the pipeline promoted (the failed deployment may be gone
 * from DescribeServices by then). The rollout then ends rolled back, to where ECS took the primary,
 * so the pipeline never pushes the revision onto the primary again nor fights ECS's rollback.
 * Source: ECS Developer Guide, deployment-circuit-breaker.html and deployment-alarm-failure.html.
 */
function ecsVerdict(
  primary: ServiceView,
  revision: string,
  from: string,
  promoting: boolean,
): { text: string; to?: string } | undefined {
  const failed = primary.deployments.find(
    (dep) => dep.taskDefinition === revision && dep.rolloutState === 'FAILED',
  );
  const rolledBackTo = promoting && primary.taskDefinition !== revision ? primary.taskDefinition : undefined;
  // ECS rolls back to the last completed deployment: the revision the rollout started from.
  if (failed) {
    return {
      text: `ECS failed the deployment of the revision: ${failed.rolloutStateReason ?? 'no reason given'}`,
      to: rolledBackTo,
    };
  }
  const rollback = primary.deployments.find((dep) => /rolling back/i.test(dep.rolloutStateReason ?? ''));
  if (rolledBackTo && (rollback || rolledBackTo === from)) {
    const why = rollback?.rolloutStateReason ?? `the primary is back on ${shortName(rolledBackTo)}`;
    return { text: `ECS rolled the deployment of the revision back: ${why}`, to: rolledBackTo };
  }
  return undefined;
}
