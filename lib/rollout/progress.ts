/**
 * Stepping a rollout: register the revision, size the canary for the step, start the bake once the
 * step is ready, move on once it has baked, promote at 100%, and roll back when a rule says so.
 * The sizing by task counts is in task-steps.ts; the checks themselves are pure functions in step.ts.
 */
import type { TargetConfig } from '../config.ts';
import { formatDuration } from '../duration.ts';
import { isEcsStrategy } from '../ecs-strategy.ts';
import { blindGate } from '../gate-reach.ts';
import { slowGate } from '../gate-speed.ts';
import type { AlarmView, Observation, ServiceView } from '../observation.ts';
import { type Rollout, summarize, withHistory } from '../record.ts';
import { failureCount } from '../record-size.ts';
import { canaryShare, rolloutRoom, rolloutTotal, servingFloor, stepTargets } from '../rollout-math.ts';
import { throughGate } from './approval.ts';
import {
  failedOnPlacement,
  healthySince,
  placementFailedSince,
  retryWithinRoom,
  unplacedOf,
  unplacedTasks,
} from './capacity.ts';
import { type Decision, shortName, tellNotRolledOut } from './decision.ts';
import { progressEcs } from './ecs-native.ts';
import { describeFailures, foldFailures } from './failures.ts';
import { startRollback } from './rollback.ts';
import {
  awaitingService,
  baked,
  gatesMissing,
  healthyTasks,
  missingGates,
  pastDeadline,
  primaryHealthy,
  stillStarting,
} from './step.ts';
import { askedForTasks, bakeAgain, sawHealthy, succeed } from './step-state.ts';
import { fitWithinRoom, stepByTasks, switchPlan } from './task-steps.ts';
import { weightedCanaryTasks } from './traffic.ts';
import { stepWeighted, trafficProblem } from './weighted.ts';

/** How long a registration may take before another invocation may try (it looks for the digest tag first). */
export const REGISTER_LEASE_MS = 60_000;

/**
 * One look at a rollout the pipeline steps itself: its revision registered, then nothing moves if
 * the rollout ends here (stopsHere); ECS's strategies are followed (ecs-native.ts); a step starts
 * through its gate and holds for a person's deploy; then the step is sized by listener weights
 * (weighted.ts) or by task counts (task-steps.ts: a canary step, or the promotion at 100 %), and a
 * step where it should be bakes and moves on (bakeOrNext).
 */
export function progress(d: Decision, obs: Observation, target: TargetConfig, rollout: Rollout, now: number) {
  const revision = registered(d, obs, target, rollout, now);
  if (!revision) return;
  const look: Look = { d, obs, target, rollout, revision, now };
  if (stopsHere(look)) return;
  if (isEcsStrategy(rollout.strategy)) {
    // ECS shifts the traffic; the pipeline starts its deployment, follows it and holds its gates.
    if (heldByPerson(d, obs, rollout, now)) return;
    tellQuietGates(d, obs, rollout, now);
    tellSlowGates(d, obs, rollout);
    progressEcs(d, obs, target, rollout, revision, now);
    return;
  }
  const step = rollout.steps[rollout.stepIndex]!;
  if (step.startedAt === undefined) {
    // A gate on the first step: nothing of the new revision runs until a person approves.
    if (!throughGate(d, rollout, rollout.stepIndex, target, now)) return;
    startStep(d, rollout, rollout.stepIndex, obs, target, now);
  }
  if (heldByPerson(d, obs, rollout, now)) return;
  tellQuietGates(d, obs, rollout, now);
  tellSlowGates(d, obs, rollout);

  const total = serviceTotal(d, obs, target, rollout);
  const settled =
    target.traffic === 'weighted'
      ? stepByWeight(look, total)
      : stepByTasks(d, obs, target, rollout, revision, total, now);
  if (settled) bakeOrNext(look);
}

/** One look at a rollout whose revision is registered: the decision it adds to and what it saw. */
interface Look {
  d: Decision;
  obs: Observation;
  target: TargetConfig;
  rollout: Rollout;
  revision: string;
  now: number;
}

/**
 * The rollout's revision: the one already registered for the image's digest, else registered now by
 * one invocation at a time (a lease; it looks for the digest tag first). Undefined until there is
 * one; a revision not registered within the step deadline rolls the rollout back, as a step would.
 */
function registered(
  d: Decision,
  obs: Observation,
  target: TargetConfig,
  rollout: Rollout,
  now: number,
): string | undefined {
  if (!rollout.taskDefinition && obs.revisionForDigest) rollout.taskDefinition = obs.revisionForDigest;
  if (rollout.taskDefinition) return rollout.taskDefinition;
  if (now - rollout.startedAt > target.stepDeadlineMs) {
    startRollback(
      d,
      rollout,
      `the revision was not registered within ${formatDuration(target.stepDeadlineMs)}`,
      now,
    );
    return undefined;
  }
  if (!(rollout.registerLeaseUntil !== undefined && rollout.registerLeaseUntil > now)) {
    rollout.registerLeaseUntil = now + REGISTER_LEASE_MS;
    const digest = rollout.image.digest;
    const seenBefore =
      d.record.history.some((h) => h.image.digest === digest) || d.record.badDigests[digest] !== undefined;
    d.actions.push({
      type: 'registerRevision',
      from: rollout.fromTaskDefinition,
      container: target.container,
      image: rollout.image,
      ...(seenBefore && { seenBefore }),
    });
  }
  return undefined;
}

/**
 * Whether the rollout ends at this look, before any step moves: judged first, whatever the strategy
 * and the step, so no action of a step goes out beside a rollback. A gate that cannot fire refuses it
 * before anything of the new revision runs; a rule (failed tasks, a gate alarm, ECS's verdict, the
 * step's deadline: rollbackReason) rolls it back. A failure inside the bake, short of a rollback,
 * means the step was not healthy for the whole bake: it bakes again.
 */
function stopsHere({ d, obs, target, rollout, revision, now }: Look): boolean {
  const failedNow = foldFailures(rollout, obs.tasks, revision, now);
  if (!asked(rollout)) {
    // Nothing of the new revision has run yet: a gate that cannot fire stops the rollout before it
    // starts, and an alarm already in ALARM is the old revision's (ignored until it has been OK).
    const missing = obs.gatesRead === false ? [] : missingGates(target.gateAlarms, obs.alarms);
    if (missing.length > 0) {
      refuse(d, rollout, missing, now);
      return true;
    }
    const alarming = obs.alarms.filter((a) => a.state === 'ALARM').map((a) => a.name);
    rollout.ignoredAlarms = [...new Set([...rollout.ignoredAlarms, ...alarming])];
  }
  // An alarm ignored at the push (the old revision's incident) is watched again once it has been OK,
  // or once it is in an ALARM that began after the first step asked for tasks: the OK between may
  // have gone untold (its event lost), and this ALARM is no longer the incident the push found.
  const asking = rollout.steps[0]?.startedAt;
  for (const a of obs.alarms) {
    const fresh = a.state === 'ALARM' && asking !== undefined && a.began !== undefined && a.began > asking;
    if (a.state === 'OK' || fresh) rollout.ignoredAlarms = rollout.ignoredAlarms.filter((n) => n !== a.name);
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
    return true;
  }
  if (failedNow > 0) bakeAgain(rollout.steps[rollout.stepIndex]!, now);
  return false;
}

/**
 * Listener weights set the share (weighted.ts), so a route that cannot be weighted (trafficProblem)
 * ends the rollout: the step could not give the canary its share. Returns whether the step may bake.
 */
function stepByWeight({ d, obs, rollout, revision, now }: Look, total: number): boolean {
  const problem = trafficProblem(obs.traffic);
  if (problem) {
    startRollback(d, rollout, problem, now, 'rolled_back', undefined, rollout.fromTaskDefinition, false);
    return false;
  }
  tellBlindGates(d, obs, rollout);
  return stepWeighted(d, obs, rollout, revision, total, now);
}

/** A step that has baked moves on to the next (through its gate), or the last one succeeds. */
function bakeOrNext({ d, obs, target, rollout, revision, now }: Look) {
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
  tellNotRolledOut(d, rollout.image, reason);
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
  tellGatesOnce(d, obs.alarms, rollout, 'slowGates', (a) => slowGate(a, rollout.steps));
}

/**
 * Tells, as `blocked`, each gate alarm `why` has something to say of, once per rollout: the names
 * told are kept in `rollout[told]`, so a later look says nothing again.
 */
function tellGatesOnce(
  d: Decision,
  alarms: AlarmView[],
  rollout: Rollout,
  told: 'slowGates' | 'blindGates',
  why: (a: AlarmView) => string | undefined,
) {
  const names = rollout[told] ?? [];
  for (const a of alarms) {
    if (names.includes(a.name)) continue;
    const said = why(a);
    if (!said) continue;
    names.push(a.name);
    d.notices.push({
      kind: 'blocked',
      reason: `${d.record.key}: ${said}, for the rollout of ${rollout.image.repository}:${rollout.image.tag}`,
    });
  }
  if (names.length > 0) rollout[told] = names;
}

/**
 * Under `traffic: weighted`, gate alarms scoped to the primary's target group alone: they cannot see
 * the canary's requests (lib/gate-reach.ts). Told once each, at the rollout's first look (as
 * `validate --live` refuses them); the rollout goes on: the owner chose the gate.
 */
function tellBlindGates(d: Decision, obs: Observation, rollout: Rollout) {
  tellGatesOnce(d, obs.alarms, rollout, 'blindGates', (a) => blindGate(a, obs.traffic));
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
  return percent < 100 ? healthy : primaryHealthy(healthy, obs.canary);
}

/** Why the rollout must roll back now, if it must: failures, a gate alarm, ECS's verdict, the deadline. */
function rollbackReason(
  obs: Observation,
  target: TargetConfig,
  rollout: Rollout,
  revision: string,
  now: number,
): { text: string; alarm?: AlarmView; to?: string; capacity?: boolean; notBlamed?: boolean } | undefined {
  // Every failure the rollout counted: the record keeps the first FAILURES_KEPT (20) in full and
  // counts the rest (lib/record-size.ts), so a `failedTasks` above 20 reads the count, not the list.
  const failed = failureCount(rollout);
  if (failed >= target.failedTasks) {
    return { text: describeFailures(rollout.failures, failed) };
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
      text: `gate alarm ${missed.name} was in ALARM at ${at} (${missed.missedAlarm.by === 'left' ? 'told by the state after it: its own event had not come' : 'told late, after a newer state'}): ${missed.missedAlarm.reason}`,
      alarm: { ...missed, state: 'ALARM', reason: missed.missedAlarm.reason },
    };
  }
  const verdict = isEcsStrategy(rollout.strategy)
    ? undefined
    : ecsVerdict(obs.primary, revision, rollout, failed);
  // A full cluster, not the image: the promotion goes again within the room the failure taught.
  // With weighted traffic the canary carries every request while the primary switches, or the
  // primary rolls in the whole room at the owner's minimum (lib/rollout/weighted.ts): it serves.
  const keeps = (room: number) => target.traffic === 'weighted' || switchServes(obs, target, rollout, room);
  if (verdict?.capacity && retryWithinRoom(rollout, obs, revision, now, keeps)) {
    askedForTasks(rollout.steps[rollout.stepIndex]!, now);
    return undefined;
  }
  if (verdict) return verdict;
  const step = rollout.steps[rollout.stepIndex]!;
  if (step.startedAt !== undefined) {
    // Under ECS's own strategies a task more than ever is progress from when it came up: ECS places
    // it, and what sees it may be a health recheck minutes later (capacity.ts healthySince). A trade
    // of the pipeline's is seen within its minute, and its rechecks count from the clock's restart.
    const upAt = isEcsStrategy(rollout.strategy)
      ? healthySince(
          obs.tasks
            .filter((t) => healthyTasks([t], revision, obs.hasHealthCheck) > 0)
            .map((t) => t.startedAt),
          step.unhealthySince,
          now,
        )
      : now;
    sawHealthy(step, growingHealthy(obs, step.percent, revision), upAt);
  }
  if (pastDeadline(step, now, target.stepDeadlineMs, rollout.paused === true)) {
    // Under ECS's own strategies there is no canary service: at every step the new revision's tasks
    // are the primary's own ECS deployment, which ECS starts in full beside the old one
    // (stranger16 01: 3 of 4 unplaced at 10 % went untold, and a healthy digest was marked bad).
    // A weighted promotion grows the canary to the count before the primary switches.
    const canaryStep =
      !isEcsStrategy(rollout.strategy) &&
      (step.percent < 100 ||
        (target.traffic === 'weighted' &&
          obs.primary.taskDefinition !== revision &&
          !rollout.wholeRoomSwitch));
    const svc = canaryStep ? obs.canary : obs.primary;
    // Tasks ECS cannot place are neither running nor pending (the service event says "unable to place");
    // counted on the new revision's deployment: an all-at-once primary still runs its old tasks.
    // During a canary step the primary's too, once ECS could not place them since the rollout began:
    // a service scaled out past what the cluster holds leaves the step short of its share (the
    // canary shares the room), which says nothing against the image.
    const short = [
      { name: canaryStep ? 'canary' : 'primary', svc, unplaced: unplacedOf(svc, revision) },
      ...(canaryStep && placementFailedSince(obs.primary, rollout.startedAt)
        ? [{ name: 'primary', svc: obs.primary, unplaced: unplacedTasks(obs.primary) }]
        : []),
    ].filter((s) => s.unplaced > 0);
    const unplaced = short.reduce((n, s) => n + s.unplaced, 0);
    // A trade on a full cluster (the room known: ECS could not place a task since the rollout began)
    // that ran out of time: its counts were lowered to fit, so ECS may show nothing unplaced now.
    const traded = unplaced === 0 && rollout.room !== undefined;
    const capacity =
      unplaced > 0
        ? `: ${short.map((s) => `${s.unplaced} of ${s.svc.desiredCount} ${s.name} tasks`).join(' and ')} could not be placed (not enough capacity in the cluster?)`
        : traded
          ? `: the cluster held ${rollout.room} of the service's tasks (ECS could not place more since the rollout began: not enough capacity in the cluster?)`
          : '';
    // Tasks that run and wait only for the load balancer's first health checks: the deadline was
    // shorter than the target group's health check, which says nothing against the image.
    const waiting = unplaced > 0 || traded ? 0 : awaitingService(obs.tasks, revision, obs.hasHealthCheck);
    // Tasks still starting (or in their container check's start), none failed: the deadline was
    // shorter than the image takes to start, which says nothing against it either.
    const starting = unplaced > 0 || traded ? 0 : stillStarting(obs.tasks, revision, obs.hasHealthCheck);
    const tasks = (n: number) => `${n} new task${n === 1 ? '' : 's'}`;
    const slow = [
      ...(starting > 0 ? [`${tasks(starting)} still starting`] : []),
      ...(waiting > 0 ? [`${tasks(waiting)} running, still in the target group's first health checks`] : []),
    ];
    const slowCheck =
      slow.length > 0
        ? `: ${slow.join('; ')} (is stepDeadline shorter than the time a new task takes to start and pass its first check?)`
        : '';
    return {
      text: `step ${rollout.stepIndex + 1} (${step.percent}%) was not healthy within its deadline of ${formatDuration(target.stepDeadlineMs)}${capacity}${slowCheck}`,
      // Tasks that could not be placed, and none of the image's failed: the cluster is to blame, not
      // the image, whose digest is not marked bad (a push of it later tries again).
      capacity: (unplaced > 0 || traded) && failed === 0,
      // Nor is it to blame when its tasks were still starting, or ran and only the load balancer's
      // checks were still going.
      notBlamed: slow.length > 0 && failed === 0,
    };
  }
  return undefined;
}

/**
 * Whether a promotion's switch on a cluster of `room` keeps serving what the service may dip to:
 * the serving tasks of promotionSwitch's plan (the primary's old tasks and the canary's) at least
 * the service's floor, or one under the room where that is less (the trade's dip).
 *   total 4, room 8, minimum 100, canary 1 -> switch at 4: serves 4 of 4 -> yes
 *   total 4, room 5, minimum 100, canary 1 -> switch at 1 beside 1 canary: serves 2 -> no
 *   total 4, room 5, no canary             -> ECS's update within the room (maximumPercent 125) -> yes
 *   total 4, room 4, minimum 100, no canary -> no slot, and none may stop first -> no
 */
function switchServes(obs: Observation, target: TargetConfig, rollout: Rollout, room: number): boolean {
  const total = rolloutTotal(rollout.total, rollout.primaryCount, obs.primary.desiredCount);
  if (fitWithinRoom(obs, total, room) !== undefined) return true;
  const floor = servingFloor(total, obs.primary.minimumHealthyPercent);
  const surge = target.maxSurgePercent;
  const plan = switchPlan(obs, { total, surge, room, floor });
  const kept = servingFloor(plan.primary, obs.primary.minimumHealthyPercent);
  return kept + plan.canary >= Math.min(floor, rolloutRoom(total, surge, room) - 1);
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
  rollout: Pick<Rollout, 'fromTaskDefinition' | 'promotedAt' | 'startedAt' | 'placementRetry'>,
  imageFailures: number,
): { text: string; to?: string; capacity?: boolean } | undefined {
  const from = rollout.fromTaskDefinition;
  const promoting = rollout.promotedAt !== undefined;
  // The deployment ECS failed on placement before the retry is told already (retryWithinRoom).
  const failed = primary.deployments.find(
    (dep) =>
      dep.taskDefinition === revision &&
      dep.rolloutState === 'FAILED' &&
      dep.id !== rollout.placementRetry?.deployment,
  );
  const rolledBackTo = promoting && primary.taskDefinition !== revision ? primary.taskDefinition : undefined;
  // ECS rolls back to the last completed deployment: the revision the rollout started from.
  if (failed) {
    const reason = failed.rolloutStateReason ?? 'no reason given';
    // Tasks that "failed to start" include those ECS could not place (capacity.ts failedOnPlacement):
    // with none of the image's failed, the cluster is to blame, not the image (not marked bad).
    const capacity =
      imageFailures === 0 &&
      /failed to start/i.test(reason) &&
      failedOnPlacement(primary, revision, rollout.startedAt);
    return {
      text: `ECS failed the deployment of the revision: ${reason}${capacity ? ' (ECS could not place its tasks: not enough capacity in the cluster?)' : ''}`,
      to: rolledBackTo,
      ...(capacity && { capacity: true }),
    };
  }
  const rollback = primary.deployments.find((dep) => /rolling back/i.test(dep.rolloutStateReason ?? ''));
  if (rolledBackTo && (rollback || rolledBackTo === from)) {
    const why = rollback?.rolloutStateReason ?? `the primary is back on ${shortName(rolledBackTo)}`;
    // The failed deployment may be gone already: ECS said it could not place a task since the
    // rollout began, and none of the image's failed (stranger8 09: not one web:2 task was placed).
    const capacity = imageFailures === 0 && placementFailedSince(primary, rollout.startedAt);
    return {
      text: `ECS rolled the deployment of the revision back: ${why}${capacity ? ' (ECS could not place its tasks: not enough capacity in the cluster?)' : ''}`,
      to: rolledBackTo,
      ...(capacity && { capacity: true }),
    };
  }
  return undefined;
}
