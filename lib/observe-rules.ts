/**
 * When a reconcile needs a fresh look at AWS, pure: each rule is a question "does this decision need
 * what no event and no earlier look of this invocation told?". The worked examples are in
 * test/observe-rules.test.ts, one row each.
 *
 * A look (lib/observe.ts) costs a DescribeServices, a ListTasks and a DescribeTasks per service it
 * watches, a DescribeTargetHealth while a step waits for its bake to start, and more. The reconcile
 * loop (lib/pipeline.ts) decides until its decision asks for nothing; before these rules it looked
 * again at every round, also after a round that only wrote its own decision down.
 */
import { isEcsStrategy } from './ecs-strategy.ts';
import type { ServiceView } from './observation.ts';
import type { Rollout, ServiceRecord, StepState } from './record.ts';

/**
 * What a look reads depends on these parts of the record and of what the invocation learned (see
 * lib/observe.ts): whether a rollout runs and of which revision, whether its step is promoted (the
 * canary's tasks are watched, and the primary's too once promoted), whether it rolls back or trades
 * capacity (stopped tasks are listed then), ECS's deployment it follows, and whether a push, the sweep or an alarm event
 * without time asks for the gates. Two records with the same plan are looked at the same way. A step
 * that starts baking keeps its plan: the look that saw it healthy read more (target health), not less.
 *
 *   no rollout, nothing learned                  -> "idle  "
 *   rollout web:2 (canary), step 1 at 10 %       -> "web:2 canary canary    "
 *   the same, its step now baking                -> the same plan
 *   the same at step 2 (50 %)                    -> the same plan (the canary is watched either way)
 *   the same at step 3 (100 %)                   -> "web:2 canary promoted    " (the primary too)
 *   step 2 (50 %) baking, its bake's end (gates) -> "web:2 canary promoted    gates" (watchesPrimary)
 *   the same, rolling back                       -> "web:2 canary canary rolling back   "
 *   the same, at a push                          -> "web:2 canary canary    push"
 */
export function observePlan(
  record: Pick<ServiceRecord, 'rollout'>,
  learned: { revisionForDigest?: string; pushing?: boolean; sweep?: boolean; readGates?: boolean },
): string {
  const r = record.rollout;
  const why = [learned.pushing && 'push', learned.sweep && 'sweep', learned.readGates && 'gates']
    .filter(Boolean)
    .join(',');
  if (!r) return `idle ${learned.revisionForDigest ?? ''} ${why}`;
  return [
    r.taskDefinition ?? learned.revisionForDigest ?? '-',
    r.strategy,
    // The primary's tasks are watched too once promoted (at 100 %, or under ECS's own strategies).
    watchesPrimary(r, learned.readGates === true) ? 'promoted' : 'canary',
    r.rollingBack ? 'rolling back' : '',
    r.room === undefined ? '' : 'room',
    r.ecsDeployment?.arn ?? '',
    why,
  ].join(' ');
}

/**
 * Whether a look watches the primary's tasks of the new revision besides the canary's: once the
 * step is at 100 % (promotion), under ECS's own strategies, and when the step before promotion is
 * baking and the gates are read (the wake-up at its bake's end, a person's command): the step then
 * moves on to 100 % and is sized on the same look, not on a second one a moment later. During the
 * canary steps the primary runs the old revision, whose tasks a look leaves out (it keeps only the
 * new revision's), so watching it early changes no decision.
 *
 *   step 1 of 10/50/100 at 10 %                            -> no
 *   step 3 at 100 %                                         -> yes
 *   step 2 at 50 % baking, the gates read (its bake ends)   -> yes (step 3 is at 100 %)
 *   step 1 at 10 % baking, the gates read                   -> no (step 2 is at 50 %)
 *   step 2 at 50 % waiting for its tasks, the gates read    -> no
 *   strategy ecs-canary                                     -> yes
 */
export function watchesPrimary(
  rollout: Pick<Rollout, 'strategy' | 'steps' | 'stepIndex'>,
  readGates: boolean,
): boolean {
  if (isEcsStrategy(rollout.strategy)) return true;
  const step = rollout.steps[rollout.stepIndex];
  if ((step?.percent ?? 100) >= 100) return true;
  const next = rollout.steps[rollout.stepIndex + 1];
  return readGates && step?.healthyAt !== undefined && next !== undefined && next.percent >= 100;
}

/**
 * How a look lists the new revision's tasks: by service (ListTasks with serviceName, one listing a
 * service), or once the canary and the primary are both watched, by the revision's family (one
 * ListTasks for both; each task is then kept only if its group names one of the two services, so a
 * task run on its own from the same revision, a migration say, is never taken for the canary's).
 * The family listing holds the primary's old tasks too, which its own listing holds as well once it
 * is watched (it rolls to the revision); a service of its own is cheaper listed by its name.
 *   the canary only (a step below 100 %)        -> by service
 *   the primary only (rolling, no canary)        -> by service
 *   the canary and the primary (promoted)        -> by family
 *   none                                         -> by service (nothing is listed)
 */
export function listTasksByFamily(services: readonly string[]): boolean {
  return services.length > 1;
}

/**
 * How many of the new revision's tasks a look during a step's bake takes from ECS's counts
 * (DescribeServices, which the look reads anyway) instead of listing them (a ListTasks and a
 * DescribeTasks a hundred tasks each); undefined: list them. The bake began on a look that listed
 * every task of the step and found each running, healthy and in service (target health is read
 * only until then). Since, what can change a verdict is told apart from the listing: a task that
 * stops or fails by its event (folded into the record and merged over the counted tasks, so it
 * still rolls back in the invocation it wakes), the gates by their own reading. What a listing
 * would add is whether the step still runs as it began, and ECS's counts say that: each watched
 * service (the canary; the primary too once promoted, or at the bake's end before promotion) has
 * one deployment, running all it asks for with none pending, and not in progress. A service that
 * moved (a task replaced and its successor still starting, a person's scale-out, a new
 * deployment) is listed. The sweep lists everything (events may have been lost), and so do a push,
 * trading capacity and a placement failure (their stopped tasks are listed too).
 *
 *   step 1 baking, canary [web:2 2/2 COMPLETED]                       -> 2
 *   step 1 not baking yet                                             -> list (target health is read)
 *   step 1 baking, canary [web:2 1/2] (a task replaced)               -> list
 *   step 1 baking, canary [web:2 2/2, 1 pending]                      -> list
 *   step 1 baking, canary [web:2 2/2 IN_PROGRESS]                     -> list
 *   step 2 baking, its end: primary [web:1 20/20], canary [web:2 20/20] -> 20 (the primary runs none yet)
 *   step 3 baking, primary [web:2 20/20, web:1 ACTIVE 4/4]            -> list (two deployments)
 *   step 3 baking, primary [web:2 20/20 COMPLETED], canary [web:2 0/0] -> 20
 *   the sweep, a push, trading capacity, or a placement failure       -> list
 */
export function countedBakingTasks(
  rollout: Pick<Rollout, 'steps' | 'stepIndex'>,
  services: readonly Pick<ServiceView, 'deployments'>[],
  revision: string,
  /** The look reads stopped tasks (the sweep, trading capacity, a placement failure) or brings a push. */
  listsAll: boolean,
): number | undefined {
  if (listsAll || rollout.steps[rollout.stepIndex]?.healthyAt === undefined) return undefined;
  return runningAsAsked(services, revision);
}

/**
 * Whether ECS started a task of a watched service (the canary; the primary once watched) after the
 * step's bake began: the step's own tasks all started before it. With the count unchanged that is a
 * replacement: a task of the step stopped, crashed say, and ECS's counts, settled again, hide it
 * (runningAsAsked). Its stop event tells it, unless the event was lost, and the verdict at the
 * bake's end would then promote a crash-looping image (stranger20 11, 22: every task event lost,
 * `succeeded`). The look then lists the stopped tasks too. A scale-out is listed the same way.
 *   baking from 10:02, a task started at 10:05                -> true
 *   baking from 10:02, the last start at 10:01 (the step's own) -> false
 *   not baking                                                -> false
 */
export function startedDuringBake(
  services: readonly Pick<ServiceView, 'tasksStartedAt'>[],
  step: Pick<StepState, 'healthyAt'> | undefined,
): boolean {
  const from = step?.healthyAt;
  return from !== undefined && services.some((s) => (s.tasksStartedAt ?? Number.NEGATIVE_INFINITY) > from);
}

/**
 * The revision's running tasks when every watched service runs as ECS last settled it: one
 * deployment, all it asks for running and none pending, not in progress or failed; else undefined.
 */
function runningAsAsked(
  services: readonly Pick<ServiceView, 'deployments'>[],
  revision: string,
): number | undefined {
  let running = 0;
  for (const s of services) {
    if (s.deployments.length !== 1) return undefined;
    const d = s.deployments[0]!;
    if (d.runningCount !== d.desiredCount || d.pendingCount !== 0) return undefined;
    if (d.rolloutState === 'IN_PROGRESS' || d.rolloutState === 'FAILED') return undefined;
    if (d.taskDefinition === revision) running += d.runningCount;
  }
  return running;
}

/** ECS's word that a service reached a steady state: which service, and the event's time. */
export interface SteadyWord {
  of: 'primary' | 'canary';
  /** The event's `time` (EventBridge gives whole seconds). */
  at: number;
}

/**
 * How many of the new revision's tasks ECS's own word starts a step's bake with, when the look is
 * brought by that word: the deployment COMPLETED ("sent once a service reaches a steady state after
 * a deployment") or SERVICE_STEADY_STATE ("the service is healthy and at the desired number of
 * tasks", Amazon ECS Developer Guide, service event messages and deployment events) of the service
 * the step waits on (the canary below 100 %, the primary at 100 % or rolling). ECS calls a service
 * steady only once each task passed its container health check and, behind a load balancer, its
 * target groups' checks: what the listing and DescribeTargetHealth would read (a ListTasks, a
 * DescribeTasks and a DescribeTargetHealth per group). The DescribeServices the look reads anyway
 * must still show the services as ECS settled them (runningAsAsked), and the word must be newer than
 * the step's last ask (a late event of an earlier state is no word on the tasks just asked for; an
 * event in the same second as the ask is taken for an earlier one). Otherwise, and for the sweep, a
 * push, trading capacity, a placement failure, a rollback and ECS's own strategies: list them.
 *
 *   step 1 (10 %) asked 10:00:00.5, canary COMPLETED 10:01:00, canary [web:2 2/2]   -> 2
 *   the same, the word of the primary                                              -> list (not the step's service)
 *   the same, canary [web:2 1/2]                                                    -> list (a task replaced since)
 *   step 2 (50 %) asked 10:05:00.5, canary steady 10:05:00 (an earlier state)       -> list
 *   step 3 (100 %), primary COMPLETED after the ask, primary [web:2 20/20], canary [web:2 20/20] -> 40
 *   step 1 already baking                                                          -> list (countedBakingTasks decides)
 *   no word (a wake-up, a task event)                                              -> list
 *   the sweep, a push, trading capacity, or a placement failure                    -> list
 *   canary [web:1 2/2] (not the revision)                                          -> list
 */
export function countedSteadyTasks(
  rollout: Pick<Rollout, 'steps' | 'stepIndex' | 'strategy'>,
  services: readonly Pick<ServiceView, 'deployments'>[],
  revision: string,
  word: SteadyWord | undefined,
  listsAll: boolean,
): number | undefined {
  const step = rollout.steps[rollout.stepIndex];
  if (listsAll || !word || !step || isEcsStrategy(rollout.strategy)) return undefined;
  if (step.healthyAt !== undefined || step.unhealthySince === undefined) return undefined;
  if (word.of !== (step.percent < 100 ? 'canary' : 'primary') || word.at <= step.unhealthySince)
    return undefined;
  const running = runningAsAsked(services, revision);
  return running !== undefined && running > 0 ? running : undefined;
}

/** What the last round of a reconcile left: what it looked at, and what happened since. */
export interface LastLook {
  /** The plan the look was taken for (observePlan). */
  plan: string;
  /** The round performed an action: AWS changed since the look, by our own hand. */
  acted: boolean;
  /** The record was read again (a lost race, or someone asked for one more look). */
  reread: boolean;
  /**
   * All the round did was register the rollout's revision anew (RegisterTaskDefinition, not one
   * found by its digest tag): no service changed, and no task can run a revision a moment old.
   */
  registeredAnew?: boolean;
}

/**
 * Whether the next round of a reconcile needs a fresh look, or decides again on the look it has.
 * A round that only wrote its own decision down (a step became healthy, a bake's start, the healthy
 * mark) changed nothing in AWS: deciding again on the same look is what the loop does to reach its
 * fixed point, and costs no call. Nor did a round that only registered the rollout's revision anew:
 * the services are as the look saw them, and the revision's tasks are none (the look's plan now
 * names the revision, and a push's first look read more than the next would: the gates, the
 * containers). Anything else looks again.
 *
 *   no look yet                                              -> look
 *   the last round acted (a scale-up, a rollback)            -> look
 *   the last round registered a revision it found (digest tag) -> look (tasks may run it)
 *   the last round only registered the revision anew         -> decide on the same look
 *   the same, but the record was read again since            -> look
 *   the record was read again (a lost race, asked again)     -> look
 *   the last round only committed, same plan                 -> decide on the same look
 *   the last round only committed, the plan changed          -> look (e.g. the step is now baking)
 *   the last round only committed, the rollout ended (idle)  -> decide on the same look
 *
 * A look taken for a rollout holds all an idle decision reads (the primary and the canary as
 * DescribeServices showed them, the scaling alarms), and more: the rollout that just succeeded or
 * finished rolling back is let go on it, not on one more DescribeServices.
 */
export function freshLookNeeded(last: LastLook | undefined, plan: string): boolean {
  if (!last) return true;
  if (last.reread) return true;
  if (last.acted) return last.registeredAnew !== true;
  const idle = (p: string) => p.startsWith('idle ');
  return last.plan !== plan && !(idle(plan) && !idle(last.plan));
}

/**
 * Whether the reconcile looks again after acting, or lets go at once. After it asks ECS for the
 * step's tasks (the canary grown for a step below 100 %, the primary put on the revision at 100 %
 * or by the rolling strategies) the step waits for them: ECS places them, pulls the image, starts
 * them and waits for their health checks, seconds to minutes, and each outcome is told: a failing
 * task by its STOPPED event (which still rolls back in the invocation it wakes), the tasks in
 * service by ECS's deployment or steady-state event, and the health recheck should that be lost.
 * A look a moment after the UpdateService finds none of that yet. Anything else looks again: a
 * registration (the step is sized next), a canary shrinking, trading capacity (its trades follow
 * one another), a rollback, ECS's strategies, weighted traffic. The canary let go once the primary
 * is promoted lets go too: the last step's bake started with it, and its end is the next moment
 * (the canary's tasks stopping are scale-in stops, dropped before any call, and its steady state
 * while the step bakes too).
 *
 *   step 1 (10 %) waiting, setCanary web:2 × 2                 -> let go
 *   step 3 (100 %) waiting, setPrimary web:2                   -> let go
 *   step 3 (100 %) waiting, setCanary web:2 × 0                -> look
 *   step 3 (100 %) baking, setCanary web:2 × 0 (promoted)      -> let go (its bake's end wakes it)
 *   step 1 waiting, setCount 18 and setCanary web:2 × 2        -> look
 *   registerRevision                                           -> look (step 1 is sized next)
 *   step 1 waiting, trading capacity (room)                    -> look
 *   rolling back, setCanary × 0                                -> look
 *   step 1 baking (not waiting), setCanary web:2 × 2           -> look
 */
export function lookAfterActing(
  actions: { type: string; taskDefinition?: string; desiredCount?: number }[],
  record: Pick<ServiceRecord, 'rollout'>,
): boolean {
  const r = record.rollout;
  const step = r?.steps[r.stepIndex];
  if (!r || !step || r.rollingBack || isEcsStrategy(r.strategy) || r.room !== undefined) return true;
  if (!r.taskDefinition) return true;
  const canaryLetGo =
    step.percent >= 100 &&
    step.healthyAt !== undefined &&
    actions.length === 1 &&
    actions[0]!.type === 'setCanary' &&
    actions[0]!.desiredCount === 0;
  if (canaryLetGo) return false;
  if (step.healthyAt !== undefined || step.unhealthySince === undefined) return true;
  const grows = (a: (typeof actions)[number]) =>
    a.taskDefinition === r.taskDefinition &&
    (step.percent < 100 ? a.type === 'setCanary' && (a.desiredCount ?? 0) > 0 : a.type === 'setPrimary');
  return actions.length === 0 || !actions.every(grows);
}

/**
 * After a lost race on the record (our write conflicted): whether the look this round took still
 * stands for deciding again on the record as now stored, or a fresh look is needed. Only a lease
 * holder acts on AWS, and a lease takes a write to take and another to let go; so when the record
 * we read held no lease and exactly one write came since, one that holds none, that write was a
 * decision without an action (a twin event's reconcile deciding the same bake's start): AWS is as
 * our look saw it, and deciding again on it costs no call. Otherwise someone may have acted: look.
 * (The same holds for the push check, Slack's outbox and the back-off: writes that act on no service.)
 *
 *   read v7 no lease, stored v8 no lease                      -> stands
 *   read v7 no lease, stored v8 leased (another is acting)    -> look
 *   read v7 no lease, stored v9 no lease (a lease may have come and gone) -> look
 *   read v7 leased by another, stored v8 no lease (it let go after acting) -> look
 *   read v7 no lease, stored v8 no lease, the rollout closed or replaced  -> look (a retired
 *     rollout's canary is scaled in and deleted before its one write, lib/retire.ts)
 */
export function lookStands(
  read: Pick<ServiceRecord, 'version' | 'lease' | 'rollout'>,
  stored: Pick<ServiceRecord, 'version' | 'lease' | 'rollout'>,
): boolean {
  return (
    !read.lease &&
    !stored.lease &&
    stored.version === read.version + 1 &&
    stored.rollout?.id === read.rollout?.id
  );
}

/**
 * With the record read: whether an ECS service event (ECS Service Action, ECS Deployment State
 * Change) is worth a look. ECS says "steady state" once the service runs its desired count, its
 * tasks healthy; a step already baking was healthy before, and what could end its bake comes by
 * other events (a task's stop, an alarm's state) or the bake's end. While the pipeline steps a
 * rollout itself (not ECS's strategies, not rolling back, not trading capacity), a deployment
 * starting (IN_PROGRESS) is the pipeline's own UpdateService or CreateService: what follows it comes
 * as its COMPLETED or FAILED, task events, health rechecks and the bake's end. A person's deploy that
 * starts then is seen at the next look, and every look that moves a step on is fresh (a bake's end,
 * a recheck), so the rollout still pauses before it moves. The canary's deployment COMPLETED while
 * its step bakes says its tasks are healthy, which the bake already holds. Every other service event
 * is looked at: a deployment's failure, the primary's completion (promotion, a person's deploy),
 * what is known good. The canary's steady state while step 1 waits for the canary it created comes
 * with its deployment's COMPLETED (step 1 puts the canary on the revision: a deployment; ECS sends
 * both as it ends), and says no more: of the two only the COMPLETED is looked at, or the two
 * invocations, run at once, both looked (8 calls, one write lost). A COMPLETED that is lost is found
 * by the step's health recheck, as any lost event. The steady states of a step waiting since it
 * last asked for tasks (a scale-up: later steps, or step 1's canary resized for a person's
 * scale-out, or a failed task replaced mid-bake: no deployment, no COMPLETED) are looked at; step 1
 * waited for a 4-minute recheck there (scenarios/held-out/stranger9/17-*.yml).
 *
 *   SERVICE_STEADY_STATE, the step baking                          -> dropped
 *   SERVICE_STEADY_STATE, the step waiting for its tasks           -> looked at (it may start the bake)
 *   SERVICE_STEADY_STATE of the canary, step 1 waiting since it began -> dropped (its COMPLETED is looked at)
 *   SERVICE_STEADY_STATE of the canary, step 1 waiting since a resize -> looked at (no deployment)
 *   SERVICE_STEADY_STATE of the canary, step 2 waiting             -> looked at (a scale-up)
 *   SERVICE_STEADY_STATE, no rollout                               -> looked at (what is known good)
 *   SERVICE_STEADY_STATE, rolling back                             -> looked at (the rollback's end)
 *   SERVICE_STEADY_STATE, the step baking, strategy ecs-canary     -> looked at (ECS runs the steps)
 *   SERVICE_DEPLOYMENT_COMPLETED of the primary, the step baking   -> looked at
 *   SERVICE_DEPLOYMENT_COMPLETED of the canary, the step baking    -> dropped
 *   SERVICE_DEPLOYMENT_COMPLETED of the canary, waiting for tasks  -> looked at (it may start the bake)
 *   SERVICE_DEPLOYMENT_IN_PROGRESS, a step of the pipeline's own   -> dropped
 *   SERVICE_DEPLOYMENT_IN_PROGRESS, no rollout                     -> looked at
 *   SERVICE_DEPLOYMENT_IN_PROGRESS, rolling back                   -> looked at
 *   SERVICE_DEPLOYMENT_IN_PROGRESS, strategy ecs-canary            -> looked at (its deployment is followed)
 *   SERVICE_DEPLOYMENT_IN_PROGRESS, trading capacity (room)        -> looked at
 *   SERVICE_DEPLOYMENT_FAILED, the step baking                     -> looked at
 */
export function serviceEventWorthALook(
  eventName: string,
  record: Pick<ServiceRecord, 'rollout'>,
  /** Whose event: the target's own service, or its canary sibling. */
  of: 'primary' | 'canary' = 'primary',
): { worth: true } | { worth: false; reason: string } {
  const r = record.rollout;
  const step = r?.steps[r.stepIndex];
  const ours = r !== undefined && !r.rollingBack && !isEcsStrategy(r.strategy);
  const baking = ours && step?.healthyAt !== undefined;
  if (eventName === 'SERVICE_STEADY_STATE' && baking)
    return { worth: false, reason: 'steady state while the step bakes: it was healthy already' };
  if (
    eventName === 'SERVICE_STEADY_STATE' &&
    of === 'canary' &&
    ours &&
    r.stepIndex === 0 &&
    r.room === undefined &&
    step?.unhealthySince !== undefined &&
    step.unhealthySince === step.startedAt
  )
    return {
      worth: false,
      reason: "the canary's steady state at step 1: its deployment's COMPLETED, sent with it, is looked at",
    };
  if (eventName === 'SERVICE_DEPLOYMENT_COMPLETED' && of === 'canary' && baking)
    return {
      worth: false,
      reason: "the canary's deployment completed while its step bakes: it was healthy already",
    };
  if (eventName === 'SERVICE_DEPLOYMENT_IN_PROGRESS' && ours && r.room === undefined)
    return {
      worth: false,
      reason: 'a deployment started while the pipeline steps the rollout: its own, and what follows is told',
    };
  return { worth: true };
}
