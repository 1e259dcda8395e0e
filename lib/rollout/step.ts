/**
 * The step checks, pure: is a step's canary ready, has the step reached its share, has it baked, is
 * it past its deadline, is the new revision promoted. Each has worked examples that
 * test/step-rules.test.ts checks one by one (as argo-rollouts' utils/replicaset/canary.go and its
 * table test do).
 */
import type { ServiceView, TaskView } from '../observation.ts';
import { placementFailedSince } from './capacity.ts';

/**
 * Tasks of `revision` that are running and passing their checks: HEALTHY when the revision defines
 * a container health check, otherwise anything but UNHEALTHY (ECS reports UNKNOWN without a check);
 * behind a load balancer also in service (healthy in its target groups), since a step's bake should
 * see traffic. Where in-service was not read (no load balancer, or the bake has started) it is not asked.
 *
 *   RUNNING/RUNNING HEALTHY, check            -> counts
 *   RUNNING/RUNNING UNKNOWN, check            -> not yet
 *   RUNNING/RUNNING UNKNOWN, no check         -> counts
 *   RUNNING/STOPPED HEALTHY (being stopped)   -> does not count
 *   another revision                          -> does not count
 *   RUNNING/RUNNING HEALTHY, not in service   -> not yet (the target group has not called it healthy)
 *   RUNNING/RUNNING HEALTHY, in service       -> counts
 */
export function healthyTasks(tasks: TaskView[], revision: string, hasHealthCheck: boolean): number {
  return tasks.filter((t) => upAndChecked(t, revision, hasHealthCheck) && t.inService !== false).length;
}

/**
 * How long after RUNNING ECS counts a task that has no container health check and no load balancer
 * towards minimumHealthyPercent: "If a task has no essential containers with a health check
 * defined, the service scheduler will wait for 40 seconds after a task reaches a RUNNING state
 * before the task is counted towards the minimum healthy percent total" (API reference,
 * DeploymentConfiguration.minimumHealthyPercent).
 */
export const UNCHECKED_COUNTS_AFTER_MS = 40_000;

/** What decides when ECS counts a task as serving: its revision's check, the service's load balancer. */
export interface ServingChecks {
  hasHealthCheck: boolean;
  loadBalanced: boolean;
}

/**
 * Tasks of `revision` that serve as ECS counts them towards the service's floor: healthy
 * (healthyTasks) and, with neither a container health check nor a load balancer to say so, running
 * for UNCHECKED_COUNTS_AFTER_MS. Trading capacity on a full cluster (a canary task for a primary
 * one) stops a task only once the one replacing it counts: a task counted at RUNNING let the trade
 * stop its partner 40 s early, one under the floor (stranger11 15: 2 of 3 serving).
 *
 *   no check, no load balancer, RUNNING for 41 s        -> counts
 *   no check, no load balancer, RUNNING for 10 s        -> not yet (ECS counts it at 40 s)
 *   no check, no load balancer, RUNNING, start not told -> counts (ECS's counts stood for it: steady)
 *   container check HEALTHY, RUNNING for 10 s           -> counts (the check said so)
 *   behind a load balancer, in service, RUNNING for 10 s -> counts (its target group said so)
 *   no check, no load balancer, RUNNING/STOPPED         -> does not count (being stopped)
 */
export function servingTasks(
  tasks: TaskView[],
  revision: string,
  checks: ServingChecks,
  now: number,
): number {
  return tasks.filter(
    (t) =>
      upAndChecked(t, revision, checks.hasHealthCheck) && t.inService !== false && countedYet(t, checks, now),
  ).length;
}

/**
 * When the next running task of `revision` that ECS does not count yet (servingTasks) will count:
 * the look to wait for when a trade waits on it; undefined when none waits.
 *
 *   no check, no load balancer, RUNNING since 10:00:00, now 10:00:10 -> 10:00:40
 *   two such, since 10:00:00 and 10:00:05, now 10:00:10              -> 10:00:40
 *   no check, no load balancer, RUNNING since 10:00:00, now 10:00:41 -> none (counts)
 *   container check, RUNNING since 10:00:00, now 10:00:10            -> none (its check decides)
 *   behind a load balancer                                           -> none (its target group decides)
 */
export function servingFrom(
  tasks: TaskView[],
  revision: string,
  checks: ServingChecks,
  now: number,
): number | undefined {
  let first: number | undefined;
  for (const t of tasks) {
    if (!upAndChecked(t, revision, checks.hasHealthCheck) || countedYet(t, checks, now)) continue;
    const at = t.startedAt! + UNCHECKED_COUNTS_AFTER_MS;
    if (first === undefined || at < first) first = at;
  }
  return first;
}

/**
 * Whether the service's floor leans on the canary's serving tasks: a canary serves beside a primary
 * that gave tasks up (on a full cluster, `room` known, or past maxSurge, the primary under the
 * service's `total`). Then a canary task stops, or the primary gives one up, only for a task ECS
 * counts (servingTasks). Elsewhere the primary keeps the floor itself (ECS's rolling update honours
 * minimumHealthyPercent) or there is no canary (ECS trades alone and ends with its event).
 *
 *   canary 2, primary 1 of 3, room 4         -> leans
 *   canary 18, primary 2 of 10, no room      -> leans (past maxSurge)
 *   canary 1, primary 10 of 10, no room      -> does not
 *   no canary, primary 150 of 150, room 152  -> does not (rolling)
 */
export function floorLeansOnCanary(
  canaryTasks: number,
  primaryDesired: number,
  total: number,
  room: number | undefined,
): boolean {
  return canaryTasks > 0 && (room !== undefined || primaryDesired < total);
}

function countedYet(t: TaskView, checks: ServingChecks, now: number): boolean {
  if (checks.hasHealthCheck || checks.loadBalanced || t.startedAt === undefined) return true;
  return now - t.startedAt >= UNCHECKED_COUNTS_AFTER_MS;
}

/** A task of `revision` that runs, is meant to, and has passed ECS's container health check (if any). */
function upAndChecked(t: TaskView, revision: string, hasHealthCheck: boolean): boolean {
  return (
    t.taskDefinition === revision &&
    t.lastStatus === 'RUNNING' &&
    t.desiredStatus === 'RUNNING' &&
    (hasHealthCheck ? t.healthStatus === 'HEALTHY' : t.healthStatus !== 'UNHEALTHY')
  );
}

/**
 * Tasks of `revision` that ECS runs and calls healthy but that wait only for their load balancer's
 * first health checks (ELB's `initial`): a step past its deadline with such tasks, and none failed,
 * was too short for the target group's first health check (30 s with ELB's defaults), which is no
 * evidence against the image, so its digest is not marked bad.
 *
 *   RUNNING/RUNNING, no check, not in service, checks pending     -> counts
 *   RUNNING/RUNNING HEALTHY, check, not in service, pending       -> counts
 *   RUNNING/RUNNING UNKNOWN, check, not in service, pending       -> does not count (ECS's check not passed)
 *   RUNNING/RUNNING, no check, not in service, not pending        -> does not count (ELB calls it unhealthy)
 *   RUNNING/RUNNING, no check, in service                         -> does not count (it serves)
 *   RUNNING/RUNNING, no check, in service not read                -> does not count
 *   RUNNING/STOPPED, not in service, pending                      -> does not count (being stopped)
 *   another revision, not in service, pending                     -> does not count
 */
export function awaitingService(tasks: TaskView[], revision: string, hasHealthCheck: boolean): number {
  return tasks.filter(
    (t) => upAndChecked(t, revision, hasHealthCheck) && t.inService === false && t.checksPending === true,
  ).length;
}

/** The states a task passes through before RUNNING (ECS Developer Guide, "Task lifecycle"). */
const STARTING = new Set(['PROVISIONING', 'PENDING', 'ACTIVATING']);

/**
 * Tasks of `revision` still starting: meant to run, not RUNNING yet, or RUNNING with ECS's container
 * health check not passed yet (UNKNOWN: in its start period or first checks, not failed). A step past
 * its deadline with such tasks, and none failed, was shorter than the image takes to start, which is
 * no evidence against it either (a slow pull, a slow start): its digest is not marked bad.
 *
 *   PENDING/RUNNING                          -> counts
 *   PROVISIONING/RUNNING, ACTIVATING/RUNNING -> counts
 *   RUNNING/RUNNING UNKNOWN, check           -> counts (its check not passed yet)
 *   RUNNING/RUNNING UNKNOWN, no check        -> does not count (it runs: awaitingService's case)
 *   RUNNING/RUNNING HEALTHY, check           -> does not count
 *   RUNNING/RUNNING UNHEALTHY, check         -> does not count (its check fails)
 *   PENDING/STOPPED                          -> does not count (being stopped)
 *   another revision, PENDING/RUNNING        -> does not count
 */
export function stillStarting(tasks: TaskView[], revision: string, hasHealthCheck: boolean): number {
  return tasks.filter(
    (t) =>
      t.taskDefinition === revision &&
      t.desiredStatus === 'RUNNING' &&
      (STARTING.has(t.lastStatus) ||
        (t.lastStatus === 'RUNNING' && hasHealthCheck && (t.healthStatus ?? 'UNKNOWN') === 'UNKNOWN')),
  ).length;
}

/** What a canary step's readiness is judged from: the canary service's counts and its healthy tasks. */
export interface CanaryCounts {
  wanted: number;
  running: number;
  pending: number;
  healthy: number;
}

/**
 * A canary step is ready (its bake may start) when the canary runs exactly the tasks asked for,
 * none is still pending, and all of them are healthy.
 *
 *   wanted 1, running 1, pending 0, healthy 1 -> ready
 *   wanted 3, running 3, pending 0, healthy 2 -> not ready (a task is not healthy yet)
 *   wanted 3, running 2, pending 1, healthy 2 -> not ready (a task is still starting)
 *   wanted 1, running 2, pending 0, healthy 2 -> not ready (the canary is still shrinking)
 *   wanted 5, running 5, pending 0, healthy 6 -> ready (a stopping task may still be listed)
 */
export function canaryReady(c: CanaryCounts): boolean {
  return c.running === c.wanted && c.pending === 0 && c.healthy >= c.wanted;
}

/**
 * What a canary step below 100 % is judged from: where the step is headed (`goal`, stepTargets),
 * the canary this round asks for (`asked`, stepRound), the primary's desired count as ECS reports it
 * (`primary`), and the canary service's counts.
 */
export interface StepCounts {
  goal: { canary: number; primary: number };
  asked: number;
  primary: number;
  canary: Omit<CanaryCounts, 'wanted'>;
}

/**
 * A canary step below 100 % is ready (its bake may start) when it has reached its share and its
 * canary is ready (canaryReady): this round asks for the step's whole canary, not a round on the way
 * to it (trading capacity grows the canary as the primary gives tasks up), and ECS reports the
 * primary at the step's count, so the bake sees the step's share of the traffic, not more of the
 * old revision's.
 *
 *   goal 1 / 10, asks 1, primary 10, canary 1 running, 0 pending, 1 healthy -> ready
 *   goal 2 / 5,  asks 2, primary 5,  canary 2 running, 0 pending, 2 healthy -> ready
 *   goal 2 / 5,  asks 2, primary 6,  canary 2 running, 0 pending, 2 healthy -> not ready (ECS still shows the primary at 6)
 *   goal 7 / 6,  asks 6, primary 6,  canary 7 running, 0 pending, 7 healthy -> not ready (a round on the way to the step)
 *   goal 3 / 10, asks 3, primary 10, canary 3 running, 0 pending, 2 healthy -> not ready (a task is not healthy yet)
 */
export function stepReady(s: StepCounts): boolean {
  return (
    s.asked === s.goal.canary &&
    s.primary === s.goal.primary &&
    canaryReady({ wanted: s.goal.canary, ...s.canary })
  );
}

/** The part of a step the clock rules read. */
export interface StepClock {
  bakeMs: number;
  startedAt?: number;
  healthyAt?: number;
}

/**
 * A step has baked when it became healthy and its bake has passed since, and the rollout is not
 * paused (a paused rollout holds its step after the bake).
 *
 *   healthyAt 0, bake 5m, now 5m      -> baked
 *   healthyAt 0, bake 5m, now 4m59.999s -> not yet
 *   healthyAt 0, bake 0,  now 0       -> baked (a promote by hand sets the bake to 0)
 *   not healthy,  bake 0, now 1h      -> not baked
 *   healthyAt 0, bake 5m, now 1h, paused -> not baked
 */
export function baked(step: StepClock, now: number, paused: boolean): boolean {
  return step.healthyAt !== undefined && !paused && now >= step.healthyAt + step.bakeMs;
}

/** The part of a step its deadline reads (see lib/record.ts StepState). */
export interface StepDeadlineClock {
  startedAt?: number;
  healthyAt?: number;
  unhealthySince?: number;
  unhealthyMs?: number;
}

/**
 * Whether the step's growing service (the canary below 100 %, the primary at 100 %) has more healthy
 * tasks of the revision than it ever had in this step: the step is moving, so its deadline counts
 * afresh from now, as when it asks for tasks. On a cluster with room for one task more than the
 * service, promotion trades the canary's tasks for the primary's one at a time, each after a health
 * check: counted from the ask, a healthy 4-task release rolled back after 8 minutes
 * (scenarios/held-out/open/ec2-tight-healthy.yml). A high-water mark, so a task that fails and is
 * replaced is not progress: an image whose tasks never stay healthy still meets its deadline, and one
 * whose tasks never pass a check never gains one.
 *
 *   most 2, healthy 3     -> yes (a task more than ever)
 *   most 3, healthy 3     -> no
 *   most 3, healthy 2     -> no (a task lost; replacing it is not progress)
 *   most none, healthy 1  -> no (the first look after asking sets the mark: tasks it had are not progress)
 *   most none, healthy 0  -> no
 */
export function gainedHealthyTask(mostHealthy: number | undefined, healthy: number): boolean {
  return mostHealthy !== undefined && healthy > mostHealthy;
}

/**
 * A step is past its deadline when it has been unhealthy for longer than `deadlineMs` since it last
 * asked for tasks: the current unhealthy stretch (from `unhealthySince`) plus earlier ones
 * (`unhealthyMs`, failures inside the bake). Asking for tasks again (a resize) starts the count
 * afresh; a paused rollout is never past its deadline (a pause stops the clock). A step recorded
 * before these fields counts from its start while it is not healthy.
 *
 *   unhealthy since 0, deadline 15m, now 15m          -> no (the deadline itself is allowed)
 *   unhealthy since 0, deadline 15m, now 15m+1ms      -> yes
 *   unhealthy since 16m (a resize), now 20m           -> no (4m since it asked again)
 *   healthy, 14m unhealthy before, now 1h             -> no
 *   unhealthy since 30m, 14m before, now 31m+1ms      -> yes (15m+1ms in all)
 *   no clock, started 0, not healthy, now 15m+1ms     -> yes
 *   no clock, not started, now 1h                     -> no
 *   unhealthy since 0, now 1h, paused                 -> no
 */
export function pastDeadline(
  step: StepDeadlineClock,
  now: number,
  deadlineMs: number,
  paused: boolean,
): boolean {
  if (paused) return false;
  const since = step.unhealthySince ?? (step.healthyAt === undefined ? step.startedAt : undefined);
  if (since === undefined) return false;
  return (step.unhealthyMs ?? 0) + (now - since) > deadlineMs;
}

/**
 * Gate alarm patterns that match no alarm CloudWatch knows: a name that is not there, or a prefix
 * (`name-*`) that matches nothing. Such a gate can never fire.
 *
 *   [web-5xx],          alarms [web-5xx]            -> []
 *   [web-5xx],          alarms []                   -> [web-5xx]
 *   [web-canary-*],     alarms [web-canary-cpu]     -> []
 *   [web-canary-*],     alarms [web-5xx]            -> [web-canary-*]
 *   [web-5xx, web-p99], alarms [web-p99]            -> [web-5xx]
 */
export function missingGates(patterns: string[], alarms: { name: string }[]): string[] {
  return patterns.filter(
    (p) => !alarms.some((a) => (p.endsWith('*') ? a.name.startsWith(p.slice(0, -1)) : a.name === p)),
  );
}

/** The reason a rollout does not start for gates that cannot fire. */
export function gatesMissing(missing: string[]): string {
  const one = missing.length === 1;
  return `gate alarm${one ? '' : 's'} ${missing.join(', ')} ${one ? 'does' : 'do'} not exist in CloudWatch: a gate that cannot fire does not guard a rollout; create ${one ? 'it' : 'them'} or fix gateAlarms, then deploy again`;
}

/**
 * The service runs one deployment, on this revision, completed (or, where ECS reports no
 * rolloutState, at its desired count).
 *
 *   one deployment of rev, COMPLETED                 -> steady
 *   one deployment of rev, IN_PROGRESS               -> not steady
 *   two deployments (rev PRIMARY, old ACTIVE)        -> not steady
 *   one deployment of rev, no rolloutState, 10 of 10 -> steady
 *   one deployment of rev, no rolloutState, 9 of 10  -> not steady
 */
export function steadyOn(service: ServiceView, revision: string): boolean {
  const only = service.deployments.length === 1 ? service.deployments[0] : undefined;
  if (!only || only.taskDefinition !== revision) return false;
  if (only.rolloutState !== undefined) return only.rolloutState === 'COMPLETED';
  return service.runningCount === service.desiredCount;
}

/**
 * Healthy tasks of the revision that are the primary's: the tasks listed are the revision's in both
 * services once the primary runs it, and the canary's running ones are not the primary's.
 *
 *   healthy 10, no canary                -> 10
 *   healthy 10, canary running 0         -> 10
 *   healthy 12, canary running 2         -> 10
 *   healthy 1,  canary running 3         -> 0 (the canary's tasks are not all listed healthy yet)
 */
export function primaryHealthy(healthy: number, canary: { exists: boolean; runningCount: number }): number {
  return Math.max(0, healthy - (canary.exists ? canary.runningCount : 0));
}

/**
 * The new revision is promoted when the primary is steady on it, at the service's whole count
 * (`total`; a primary that switched at a smaller count on a full cluster grows to it first), with as
 * many tasks running as it wants (ECS's count: a COMPLETED deployment may since have lost one) and
 * as many of them healthy (`healthy`, primaryHealthy). `total` is the primary's own count where the
 * caller has already set it to the total.
 *
 *   steady on rev, total 10, desired 10, running 10, healthy 10 -> promoted
 *   steady on rev, total 10, desired 10, running 10, healthy 9  -> not yet
 *   still rolling, total 10, desired 10, running 10, healthy 10 -> not yet
 *   steady on rev, total 10, desired 10, running 9,  healthy 10 -> not yet (a task fewer running than wanted)
 *   steady on rev, total 10, desired 6,  running 6,  healthy 6  -> not yet (switched at a smaller count)
 *   steady on rev, no total, desired 6,  running 6,  healthy 6  -> promoted (the primary's own count)
 */
export function promoted(
  primary: ServiceView,
  revision: string,
  healthy: number,
  total = primary.desiredCount,
): boolean {
  return (
    primary.desiredCount >= total &&
    steadyOn(primary, revision) &&
    healthy >= primary.desiredCount &&
    primary.runningCount >= primary.desiredCount
  );
}

/**
 * On a cluster that holds fewer tasks than the service wants (scaled past its `room`, the tasks the
 * rollout saw placed: lib/rollout/capacity.ts), the new revision is promoted as far as the cluster
 * allows: the primary steady on it, running the whole room, every task healthy, and missing only
 * tasks ECS said it could not place since the rollout began (`since`). They were missing before the
 * rollout too (the old revision could not place them either); waiting for them would hold a healthy
 * release until its deadline and roll it back for the cluster's size. A task that crashes is still
 * counted (its STOPPED event), during the bake too.
 *
 *   steady on rev, desired 12, room 7, running 7, pending 0, healthy 7, unable to place since start -> promoted
 *   the same, running 3 (the canary still holds 4 slots)  -> not yet (it gives them back first)
 *   the same, healthy 6                                   -> not yet (a task not healthy yet)
 *   the same, pending 1                                   -> not yet (a task still starting)
 *   the same, unable to place only before the start       -> not yet
 *   the revision's deployment IN_PROGRESS, the old one's tasks gone -> promoted (ECS's rolling
 *     update stays IN_PROGRESS while it cannot place its tasks)
 *   still rolling (an old deployment runs a task)         -> not yet
 */
export function promotedAsRoomAllows(
  primary: ServiceView,
  revision: string,
  healthy: number,
  since: number,
  room: number,
): boolean {
  // ECS's deployment of the revision stays IN_PROGRESS while it cannot place its tasks: what says
  // the switch is done is that no other deployment runs a task.
  const others = primary.deployments.filter((d) => d.taskDefinition !== revision);
  return (
    primary.taskDefinition === revision &&
    others.every((d) => d.runningCount + d.pendingCount === 0) &&
    placementFailedSince(primary, since) &&
    primary.pendingCount === 0 &&
    primary.runningCount >= Math.min(primary.desiredCount, room) &&
    primary.runningCount < primary.desiredCount &&
    healthy >= primary.runningCount
  );
}
