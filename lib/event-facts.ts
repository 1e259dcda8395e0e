/**
 * Facts from events: which event can change a decision, and how what an event tells is folded into
 * the record. Pure; the worked examples are in test/event-facts.test.ts, one row each.
 *
 * ECS task events and CloudWatch alarm events come at least once and in any order; a task event
 * carries `version` (higher is later, duplicates share it) and an alarm event the time its state
 * began (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_cwet_handling.html,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html).
 * So a fold keeps, per task or alarm, the newest fact and never an older one: folding the same
 * events in any order, any number of times, gives the same record. A sweep's observation from AWS
 * folds the same way, and corrects what a lost event left wrong.
 */
import type { TargetConfig } from './config.ts';
import { isEcsStrategy } from './ecs-strategy.ts';
import type { AlarmView, TaskView } from './observation.ts';
import type { Rollout, ServiceRecord } from './record.ts';
import { countedAmongFailures } from './record-size.ts';
import { familyOf, revisionNumber } from './revision.ts';
import type { TaskEventFacts } from './triggers.ts';

/** Whether an event is worth an AWS call: `matters`, or dropped with the reason. */
export type Verdict = { matters: true } | { matters: false; reason: string };
const MATTERS: Verdict = { matters: true };
const drop = (reason: string): Verdict => ({ matters: false, reason });

/**
 * What this container last learned of a service (lib/observe.ts keeps it after each observation):
 * a hint that lets an event be dropped before any call. A stale hint can only delay a step (the
 * record's wake-up or the sweep looks again), never hide a failure: stops are never dropped by it.
 */
export interface ServiceHint {
  /** The rollout's revision, or the primary's when no rollout runs. */
  revision?: string;
  /** Whether the service's tasks take traffic through load balancer target groups. */
  loadBalanced?: boolean;
  /**
   * A rollout at a canary step below 100 % that trades no capacity (primaryOwnedByPerson): the
   * scheduler's scale-in of the primary then is a person's (or the owner's autoscaling), not the pipeline's.
   */
  canaryStep?: boolean;
}

/**
 * Whether the primary's count is its owner's alone at this step: a rollout at a canary step below
 * 100 % (the primary untouched, the canary sized from its count), not rolling back, not trading
 * tasks on a full cluster (then the pipeline scales the primary in itself), not under ECS's own
 * strategies. A scale-in of the primary then comes from a person or the owner's autoscaling, and the
 * canary must follow it, or it serves more than its share beside a smaller primary.
 *
 *   canary, step 2 (50 %)                    -> true
 *   canary, step 3 (100 %, promoting)        -> false (the pipeline moves the primary)
 *   canary, step 1, rolling back             -> false
 *   canary, step 1, room learned (full)      -> false (the pipeline trades primary tasks)
 *   rolling (its one step is 100 %)          -> false
 *   ecs-canary, step 1 (10 %)                -> false (ECS moves both)
 *   no rollout                               -> false
 */
export function primaryOwnedByPerson(
  r: Pick<Rollout, 'steps' | 'stepIndex' | 'rollingBack' | 'room' | 'strategy'> | undefined,
): boolean {
  if (!r) return false;
  const step = r.steps[r.stepIndex];
  return (
    step !== undefined &&
    step.percent < 100 &&
    !r.rollingBack &&
    r.room === undefined &&
    !isEcsStrategy(r.strategy)
  );
}

/** A task coming up: RUNNING and meant to stay so. */
const running = (t: Pick<TaskEventFacts, 'lastStatus' | 'desiredStatus'>) =>
  t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING';

/**
 * A stop the service scheduler made because a count went down or a deployment replaced the task:
 * what the pipeline's own UpdateService (a scale-in, the canary to 0, a promotion) or ECS's rolling
 * update asks for. ECS says so in the reason: "Scaling activity initiated by (deployment ecs-svc/…)"
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html). A task
 * the scheduler stops for failing its health checks has another reason ("Task failed ELB health
 * checks in …"), and counts.
 *
 *   STOPPED, ServiceSchedulerInitiated, "Scaling activity initiated by (deployment ecs-svc/1)" -> yes
 *   DEACTIVATING/STOPPED, the same code and reason                                           -> yes
 *   STOPPED, ServiceSchedulerInitiated, "Task failed ELB health checks in (target-group …)"  -> no
 *   STOPPED, EssentialContainerExited, "Essential container in task exited"                  -> no
 *   STOPPED, UserInitiated, "Scaling activity initiated by …"                                  -> no (not the scheduler)
 */
export function scaleInStop(
  t: Pick<TaskEventFacts, 'desiredStatus' | 'stopCode' | 'stoppedReason'>,
): boolean {
  return (
    t.desiredStatus === 'STOPPED' &&
    t.stopCode === 'ServiceSchedulerInitiated' &&
    /^Scaling activity initiated by/.test(t.stoppedReason ?? '')
  );
}

/**
 * The first word of a count set from outside where the target owns its count (`scaling:`): a
 * scale-in stop of the primary, or a primary task coming up. ECS sends no event for a count a
 * person (or an IaC deploy) sets: SERVICE_DESIRED_COUNT_UPDATED "is not sent when the desired count
 * is manually updated by a user" (ECS Developer Guide, ecs_service_events.html). At rest these
 * events were dropped unread, and a count of 0 set by hand stayed for good (stranger17 02). They
 * cost one record read and one look a batch; the pipeline's own scaling gives the same events, and
 * its look finds the count it set.
 *   scale-in stop of the primary, a target with scaling      -> yes
 *   RUNNING of the primary, a target with scaling            -> yes
 *   the same, of the canary                                  -> no (the pipeline sizes the canary)
 *   the same, a target without scaling                       -> no (the count is its owner's)
 *   STOPPED for a failure (EssentialContainerExited)         -> no (ECS replaces it at the same count)
 */
export function countWord(
  t: Pick<TaskEventFacts, 'lastStatus' | 'desiredStatus' | 'stopCode' | 'stoppedReason'>,
  of: 'primary' | 'canary',
  target: Pick<TargetConfig, 'scaling'>,
): boolean {
  return target.scaling !== undefined && of === 'primary' && (scaleInStop(t) || running(t));
}

/**
 * Whether a rollout of this target can ever stand at a canary step below 100 % (the primary its
 * owner's: primaryOwnedByPerson): a strategy the pipeline steps itself with such a step.
 *
 *   canary [10, 50, 100]       -> true
 *   linear [25, 50, 75, 100]   -> true
 *   rolling [100]              -> false
 *   all-at-once [100]          -> false
 *   ecs-canary [10, 100]       -> false (ECS moves both services)
 */
export function canHaveCanarySteps(target: Pick<TargetConfig, 'strategy' | 'steps'>): boolean {
  return !isEcsStrategy(target.strategy) && target.steps.some((s) => s.percent < 100);
}

/**
 * Before any call: the events that cannot change a decision, from the event alone, this
 * container's hint of the service and the target's config. With no hint (a cold execution
 * environment), a scale-in stop of the primary is read when the target can stand at a canary step
 * (a person's scale-in there re-sizes the canary); in a batch of events that costs one record read.
 *
 *   a scale-in stop (scaleInStop), hint without canaryStep            -> dropped: the pipeline asked for it
 *   a scale-in stop of the primary, hint canaryStep                   -> matters (a person's: the canary follows)
 *   a scale-in stop of the primary, no hint, a canary target          -> matters (the record says whose)
 *   a scale-in stop of the primary, no hint, a rolling target         -> dropped: the config says whose
 *   a scale-in stop of the canary, no hint, a canary target           -> dropped
 *   RUNNING of web:3, hint loadBalanced                               -> dropped: its being in service starts a bake, not its RUNNING
 *   RUNNING of web:3, hint revision web:4                             -> dropped: an old revision
 *   RUNNING of web:4, hint revision web:4                             -> matters
 *   RUNNING of web:5, hint revision web:4                             -> matters (a rollout the hint does not know yet)
 *   RUNNING of api:3, hint revision web:4                             -> matters (another family: the hint says nothing)
 *   RUNNING/STOPPED (being stopped), EssentialContainerExited, hint loadBalanced -> matters (a failure)
 *   STOPPED of web:3, UserInitiated, hint revision web:4              -> matters (stops are read)
 *   RUNNING of web:3, no hint                                         -> matters
 */
export function dropBeforeCalls(
  t: TaskEventFacts,
  hint: ServiceHint | undefined,
  of: 'primary' | 'canary',
  target: Pick<TargetConfig, 'strategy' | 'steps' | 'scaling'>,
): Verdict {
  // Whether a rollout runs is the record's to say: at rest this may be a count set by hand.
  if (countWord(t, of, target)) return MATTERS;
  if (scaleInStop(t)) {
    const personsMaybe = of === 'primary' && (hint ? hint.canaryStep === true : canHaveCanarySteps(target));
    if (!personsMaybe)
      return drop('a stop the scheduler made to scale in or replace (the pipeline asked for it)');
    return MATTERS;
  }
  if (!running(t) || !hint) return MATTERS;
  if (hint.loadBalanced)
    return drop('behind a load balancer a task coming up starts nothing: its being in service does');
  if (hint.revision) {
    const event = t.taskDefinitionArn;
    const known = hint.revision;
    if (familyOf(event) === familyOf(known) && revisionNumber(event) < revisionNumber(known))
      return drop('a RUNNING of an old revision');
  }
  return MATTERS;
}

/**
 * With the record read: whether the task event can change this service's decision.
 *
 *   no rollout in flight                                              -> dropped
 *   no rollout, a scale-in stop of the primary, a target with scaling -> matters (countWord)
 *   a scale-in stop of the primary, promoting, a target with scaling   -> matters (a person's count?)
 *   a scale-in stop of the primary, the rollout at a canary step       -> matters (primaryOwnedByPerson)
 *   a scale-in stop of the primary, the rollout promoting              -> dropped (the pipeline's)
 *   a task of web:3, the rollout's revision web:4                      -> dropped: another revision
 *   a task, the rollout's revision not registered yet                  -> matters
 *   RUNNING of web:4, rolling back                                     -> dropped
 *   RUNNING of web:4, the rollout behind a load balancer (loadBalanced) -> dropped: in service starts a bake, not RUNNING
 *   RUNNING of web:4, the step baking (healthyAt set)                  -> dropped
 *   RUNNING of web:4, the step waiting for its tasks                   -> matters
 *   STOPPED of web:4 (a failure), the step baking                      -> matters (a failure restarts the bake or rolls back)
 *   STOPPED of web:4, rolling back from web:4                          -> matters (the last stop may end the rollback)
 *   STOPPED of web:4, version 7, the record told version 7 already     -> dropped: told already
 *   STOPPED of web:4, already counted among the rollout's failures     -> dropped: counted already
 */
export function taskEventMatters(
  t: TaskEventFacts,
  record: ServiceRecord,
  of: 'primary' | 'canary' = 'primary',
  target: Pick<TargetConfig, 'scaling'> = {},
): Verdict {
  const rollout = record.rollout;
  // A count set from outside where the target owns it: at rest any word of it, and during a rollout
  // the pipeline steps itself a scale-in stop, which its promotion's look puts right (ECS's own
  // rolling update stops old tasks the same way: a look that finds the total). Taken for the
  // pipeline's own, a person's 3 of 8 stayed until the sweep (stranger18 04, 05).
  if (countWord(t, of, target) && (!rollout || (scaleInStop(t) && !isEcsStrategy(rollout.strategy))))
    return MATTERS;
  if (!rollout) return drop('no rollout in flight');
  if (scaleInStop(t)) {
    return of === 'primary' && primaryOwnedByPerson(rollout)
      ? MATTERS
      : drop('a stop the scheduler made to scale in or replace (the pipeline asked for it)');
  }
  if (rollout.taskDefinition && t.taskDefinitionArn !== rollout.taskDefinition)
    return drop("a task of another revision than the rollout's");
  if (running(t)) {
    if (rollout.rollingBack) return drop('a task of the rolled back revision coming up');
    if (rollout.loadBalanced)
      return drop('behind a load balancer a task coming up starts nothing: its being in service does');
    if (rollout.steps[rollout.stepIndex]?.healthyAt !== undefined)
      return drop('the step is baking: a task coming up changes nothing');
    return MATTERS;
  }
  const told = record.taskFacts?.find((f) => f.taskArn === t.taskArn);
  if (told && (told.version ?? 0) >= t.version) return drop('told already (a duplicate or an older event)');
  if (countedAmongFailures(rollout)(t.taskArn)) return drop("counted already among the rollout's failures");
  return MATTERS;
}

/**
 * Whether a stop needs no word to the reconcile that holds the service: its rollout rolls back
 * already, the task ran the revision it rolls back, and the holder has been asked to look again
 * (lib/lease.ts `again`). That look shows what the stop told: a rollback's look reads the services'
 * counts, which the stop changed. A crash-looping image stops its tasks in tens at once, each
 * stop its own invocation: each wrote the same request again with its own fact folded in, and the
 * writes conflicted with one another (a 500-task canary: 331 writes;
 * scenarios/calls/crashing-canary-large.yml). The stop is not dropped before: the last one may end
 * the rollback, and a reconcile that finds no holder looks.
 *
 *   rolling back from web:4, asked again, a stop of web:4      -> moot
 *   rolling back from web:4, not asked yet, a stop of web:4    -> not moot (one write asks)
 *   rolling back from web:4, asked again, a stop of web:3      -> not moot (the restored revision's)
 *   at a step of web:4 (not rolling back), asked again         -> not moot (a failure rolls back)
 *   rolling back, the revision not registered yet              -> not moot
 *   no rollout                                                 -> not moot
 */
export function stopMoot(record: Pick<ServiceRecord, 'rollout' | 'lease'>, taskDefinition: string): boolean {
  const rollout = record.rollout;
  return (
    record.lease?.again === true &&
    rollout?.rollingBack !== undefined &&
    rollout.taskDefinition !== undefined &&
    taskDefinition === rollout.taskDefinition
  );
}

/** The task as the pipeline decides on it (lib/observation.ts), from what its event told. */
export function taskViewOf(t: TaskEventFacts): TaskView {
  return {
    taskArn: t.taskArn,
    taskDefinition: t.taskDefinitionArn,
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    version: t.version,
    ...(t.healthStatus ? { healthStatus: t.healthStatus } : {}),
    ...(t.stoppedReason ? { stoppedReason: t.stoppedReason } : {}),
    ...(t.stopCode ? { stopCode: t.stopCode } : {}),
    ...(t.stoppedAt !== undefined ? { stoppedAt: t.stoppedAt } : {}),
    ...(t.startedAt !== undefined ? { startedAt: t.startedAt } : {}),
    containers: t.containers,
  };
}

/** Stop facts the record holds at most: a stop is folded until a decision counted it (or not). */
export const TASK_FACTS_KEPT = 100;

/**
 * The newer of two facts of a task: by `version`; on a tie, the first (a listing from AWS and an
 * event of the same version say the same; the listing also knows health and service).
 *
 *   version 5 vs version 7 -> version 7
 *   version 7 vs version 5 -> version 7
 *   version 7 vs version 7 -> the first
 *   no version vs version 3 -> version 3 (an unversioned fact is the oldest)
 */
export function newerTask(a: TaskView, b: TaskView): TaskView {
  return (b.version ?? -1) > (a.version ?? -1) ? b : a;
}

/**
 * Tasks merged by ARN, each its newest fact (newerTask), in the order first seen. Idempotent and
 * order-free: merging the same facts again, or in another order, gives the same tasks.
 *
 *   [a v3 RUNNING] + [a v5 STOPPED]            -> [a v5 STOPPED]
 *   [a v5 STOPPED] + [a v3 RUNNING]            -> [a v5 STOPPED]
 *   [a v5] + [b v1]                            -> [a v5, b v1]
 *   [a v5] + [a v5, a v5]                      -> [a v5]
 */
export function mergeTasks(first: TaskView[], more: TaskView[]): TaskView[] {
  const byArn = new Map<string, TaskView>();
  for (const t of [...first, ...more]) {
    const had = byArn.get(t.taskArn);
    byArn.set(t.taskArn, had ? newerTask(had, t) : t);
  }
  return [...byArn.values()];
}

/**
 * The record with the stop facts events told folded in, and the ones that no longer matter let go:
 * facts of another revision than the rollout's, of tasks the rollout counted among its failures,
 * all of them once no rollout runs or it rolls back; at most TASK_FACTS_KEPT (the newest versions),
 * since the sweep lists stopped tasks anyway. Running facts are not kept: a listing is always
 * fresher for them. A rollback counts no failure (its verdict is given) and waits on the services'
 * counts: a stop it kept would only be a write, and a failing image's stops, each its own
 * invocation with no holder to ask, made hundreds of writes that conflicted with one another (a
 * 200-task rolling update failing its ELB checks: scenarios/calls/unhealthy-rolling-large.yml).
 *
 *   no rollout, facts [a]                                  -> no facts
 *   rolling back from web:4, told [a web:4 v5 STOPPED]     -> no facts
 *   rollout web:4, facts [], told [a web:4 v5 STOPPED]     -> [a v5]
 *   rollout web:4, facts [a v5], told [a web:4 v3]         -> [a v5]
 *   rollout web:4, facts [a v5], a among the failures      -> no facts
 *   rollout web:4, told [b web:3 v2 STOPPED]               -> no facts (another revision)
 *   rollout web:4, told [c web:4 v2 RUNNING]               -> no facts
 */
export function foldTaskFacts(record: ServiceRecord, told: TaskView[]): ServiceRecord {
  const rollout = record.rollout;
  const revision = rollout?.taskDefinition;
  const counted = rollout ? countedAmongFailures(rollout) : () => false;
  const kept =
    rollout && !rollout.rollingBack
      ? mergeTasks(record.taskFacts ?? [], told)
          .filter(
            (t) =>
              (t.desiredStatus === 'STOPPED' || t.lastStatus === 'STOPPED') &&
              (revision === undefined || t.taskDefinition === revision) &&
              !counted(t.taskArn),
          )
          .sort((a, b) => (b.version ?? 0) - (a.version ?? 0))
          .slice(0, TASK_FACTS_KEPT)
      : [];
  const { taskFacts: _old, ...rest } = record;
  return kept.length > 0 ? { ...rest, taskFacts: kept } : rest;
}

/** A gate alarm's state as read from CloudWatch or told by its event, with when the state began. */
export type GateFact = AlarmView;

/**
 * The newer of two facts of one alarm: by when the state began; on a tie (or no time), the first.
 *
 *   OK at 10:00 vs ALARM at 10:05  -> ALARM
 *   ALARM at 10:05 vs OK at 10:00  -> ALARM (a late event of an older state)
 *   OK at 10:00 vs OK at 10:00     -> the first
 *   OK, no time vs ALARM at 10:05  -> ALARM
 */
export function newerAlarm(a: GateFact, b: GateFact): GateFact {
  return (b.at ?? -1) > (a.at ?? -1) ? b : a;
}

/** An ALARM fact older than the state kept, which is not ALARM: an ALARM the record never held. */
function lateAlarm(late: GateFact | undefined, kept: GateFact): { at: number; reason: string } | undefined {
  if (late?.state !== 'ALARM' || kept.state === 'ALARM' || late.at === undefined) return undefined;
  if (kept.at !== undefined && late.at >= kept.at) return undefined;
  return { at: late.at, reason: late.reason };
}

/**
 * The record's gate alarm facts with one more folded in (by name, newerAlarm). A reading of every
 * gate (`read`: DescribeAlarms at a push or a sweep) says which alarms exist: alarms it does not
 * list are let go. Worked examples:
 *
 *   gates [web-5xx OK 10:00], told web-5xx ALARM 10:05           -> [web-5xx ALARM 10:05]
 *   gates [web-5xx ALARM 10:05], told web-5xx OK 10:00 (late)    -> [web-5xx ALARM 10:05]
 *   no gates (never read), told web-5xx ALARM                    -> no gates (a reading comes first)
 *   gates [a OK, b OK], read [a OK]                              -> [a OK] (b was deleted)
 *   gates [a ALARM 10:05], read [a OK 10:00] (a read that lagged) -> [a ALARM 10:05]
 *   gates [web-5xx OK 10:05:30], told web-5xx ALARM 10:05 (late)  -> [web-5xx OK 10:05:30, missed ALARM 10:05]
 *   gates [web-5xx OK 10:05:30, missed ALARM 10:05], read [web-5xx OK 10:05:30] -> the missed ALARM kept
 *   gates [web-5xx ALARM 10:05], told web-5xx OK 10:05:30         -> [web-5xx OK 10:05:30] (the ALARM was known)
 *   gates [web-5xx OK 10:00], told OK 10:05:30 that left ALARM 10:05 (its event lost) -> [OK 10:05:30, missed ALARM 10:05]
 *   gates [web-5xx ALARM 10:05], told OK 10:05:30 that left ALARM 10:05 -> [web-5xx OK 10:05:30] (known)
 *
 * A late ALARM is not lost: the gate was in ALARM while the state the record holds was not yet
 * told, so a flap whose ALARM event is overtaken by its OK's judges as one told in order would
 * (lib/rollout/progress.ts rollbackReason: a missed ALARM since the rollout began rolls it back).
 */
export function foldGates(record: ServiceRecord, facts: GateFact[], read: boolean): ServiceRecord {
  if (!read && record.gates === undefined) return record;
  const before = new Map((record.gates ?? []).map((g) => [g.name, g]));
  const after = new Map<string, GateFact>(read ? [] : before);
  for (const told of facts) {
    const had = before.get(told.name);
    if (!had) {
      after.set(told.name, told);
      continue;
    }
    // The ALARM an OK says it left (its previous state) is missed only if the record never held it.
    const { missedAlarm: leftAlarm, ...f } = told;
    const left = leftAlarm && !(had.state === 'ALARM' && had.at === leftAlarm.at) ? leftAlarm : undefined;
    const kept = newerAlarm(had, f);
    const late = kept === had ? f : undefined;
    const missed = [had.missedAlarm, left, lateAlarm(late, kept)]
      .filter((m): m is NonNullable<GateFact['missedAlarm']> => m !== undefined)
      .sort((a, b) => b.at - a.at)[0];
    after.set(f.name, missed && kept.missedAlarm !== missed ? { ...kept, missedAlarm: missed } : kept);
  }
  return { ...record, gates: [...after.values()].sort((a, b) => a.name.localeCompare(b.name)) };
}

/**
 * Whether the record's gate facts can stand for a DescribeAlarms: during a rollout (at a push the
 * gates are read, so a gate that matches no alarm stops it), once a reading is folded in, and not
 * at a sweep (which reads, and so corrects what a lost alarm event left wrong).
 *
 *   rollout, gates read, an event's reconcile          -> yes
 *   rollout, gates never read                          -> no
 *   a push                                             -> no
 *   the sweep                                          -> no
 *   a target without gate alarms                       -> no (nothing to read anyway)
 */
export function gatesKnown(
  record: ServiceRecord,
  target: Pick<TargetConfig, 'gateAlarms'>,
  why: { pushing: boolean; sweep: boolean },
): boolean {
  return (
    target.gateAlarms.length > 0 &&
    record.rollout !== undefined &&
    record.gates !== undefined &&
    !why.pushing &&
    !why.sweep
  );
}
