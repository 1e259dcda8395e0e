/**
 * Failure classification: which stopped tasks of the new revision count against a rollout, and how
 * the rollback reason names them.
 */
import type { TaskView } from '../observation.ts';
import type { Rollout, TaskFailure } from '../record.ts';
import { countedAmongFailures, failureCount } from '../record-size.ts';
import { bakeAgain } from './step-state.ts';

/**
 * "2 new tasks failed: Essential container in task exited (web exit code 1)"; `count` is how many
 * failed in all, when the record keeps only the first in full (lib/record-size.ts failureCount).
 */
export function describeFailures(failures: TaskFailure[], count = failures.length): string {
  const first = failures[0];
  if (!first) return 'no failures';
  const exit =
    first.exitCode !== undefined ? ` (${first.container ?? 'container'} exit code ${first.exitCode})` : '';
  const n = Math.max(count, failures.length);
  return `${n} new task${n === 1 ? '' : 's'} failed: ${first.stoppedReason}${exit}`;
}

/** Adds the revision's newly failed tasks to the rollout's failures (each task once); returns how many. */
export function foldFailures(rollout: Rollout, tasks: TaskView[], revision: string, now: number): number {
  let added = 0;
  // Failures past the first FAILURES_KEPT are counts and ids (lib/record-size.ts): a task counted
  // there is seen again by every look that lists stopped tasks, and must not count twice (nor one
  // listed twice here: the list grows as the loop goes).
  const counted = countedAmongFailures(rollout);
  for (const t of tasks) {
    if (counted(t.taskArn) || rollout.failures.some((f) => f.taskArn === t.taskArn)) continue;
    const failure = failureOfRollout(t, revision, rollout.startedAt, now);
    if (failure) {
      rollout.failures.push(failure);
      added++;
    }
  }
  return added;
}

/** The task as a failure of the rollout of `revision` begun at `startedAt`, if it is one. */
function failureOfRollout(t: TaskView, revision: string, startedAt: number, now: number) {
  // A failing task counts as soon as ECS decides to stop it, not only once it is STOPPED.
  if (t.taskDefinition !== revision || (t.lastStatus !== 'STOPPED' && t.desiredStatus !== 'STOPPED'))
    return undefined;
  // ECS keeps stopped tasks visible for about an hour, and a digest deployed again by hand reuses
  // its revision: a task stopped before this rollout began failed an earlier one.
  if (t.stoppedAt !== undefined && t.stoppedAt < startedAt) return undefined;
  return asFailure(t, now);
}

/**
 * Whether the stops an event told roll the rollout back on their own: with the failures counted
 * already, they reach `failedTasks`. The look that decides it then lists no tasks (lib/observe.ts
 * `rollbackInHand`): a rollback waits on the services' counts, and every failure it names is in hand.
 * Sooner too: the rollback is decided after a DescribeServices, not after listing every task (on a
 * 500-task service, ten ListTasks and ten DescribeTasks; and a crash-looping image sends hundreds of
 * stops at once, each its own invocation, each listing them all: scenarios/calls/crashing-rolling-large.yml).
 *
 *   failedTasks 1, a stop of web:4 (exit 1), the rollout of web:4      -> true
 *   failedTasks 1, a scale-in stop of web:4                             -> false (not a failure)
 *   failedTasks 1, a stop of web:3 (exit 1)                             -> false (another revision)
 *   failedTasks 3, 1 counted, 2 new failures told                       -> true
 *   failedTasks 3, 1 new failure told                                   -> false (a listing may hold more)
 *   failedTasks 1, a failure stopped before the rollout began           -> false
 *   failedTasks 1, rolling back already                                 -> false
 *   failedTasks 1, the revision not registered yet                      -> false
 */
export function rollbackInHand(
  rollout: Rollout | undefined,
  stops: TaskView[],
  failedTasks: number,
): boolean {
  if (!rollout?.taskDefinition || rollout.rollingBack || stops.length === 0) return false;
  const counted = { ...rollout, failures: [...rollout.failures] };
  foldFailures(counted, stops, rollout.taskDefinition, 0);
  return failureCount(counted) >= failedTasks;
}

/**
 * The told stops counted as a decision counts them, when that is all they can decide: each one a
 * failure of the rollout's revision (or one counted already), and together, with the failures
 * counted and those the record holds told but not yet counted, not enough to roll back. A baking
 * step bakes again, as a look's decision does (lib/rollout/progress.ts stopsHere). Returns the
 * rollout with them counted (a copy), or undefined when a look must decide. No look is needed:
 * the stop is what a look would learn, and the step's other clocks have their own wake-ups. With
 * `failedTasks` above 1, a crash-looping image's stops, hundreds within a second, each its own
 * invocation, each listed and described every task of the service and wrote its count, the writes
 * conflicting (a 150-task rolling update, failedTasks 40: 1,238 calls;
 * scenarios/held-out/stranger9/14-150-rolling-crashloop-failedtasks-40.yml).
 *
 *   failedTasks 3, a failure of web:4 told, none before        -> counted: 1 failure
 *   failedTasks 3, the step baking, a failure told             -> counted, and the step bakes again
 *   failedTasks 3, a failure told, 2 held                      -> undefined (it rolls back: rollbackInHand)
 *   failedTasks 3, a failure told twice (counted already)      -> the rollout as it was
 *   failedTasks 3, a scale-in stop of web:4 told               -> undefined (a look decides)
 *   failedTasks 3, a failure of web:3 told                     -> undefined
 *   failedTasks 3, rolling back                                -> undefined
 *   failedTasks 3, nothing told                                -> undefined
 */
export function countedInHand(
  rollout: Rollout | undefined,
  told: TaskView[],
  held: TaskView[],
  failedTasks: number,
  now: number,
): Rollout | undefined {
  const revision = rollout?.taskDefinition;
  if (!rollout || !revision || rollout.rollingBack || told.length === 0) return undefined;
  const counted = countedAmongFailures(rollout);
  const failure = (t: TaskView) =>
    t.taskDefinition === revision &&
    (counted(t.taskArn) || failureOfRollout(t, revision, rollout.startedAt, now) !== undefined);
  if (!told.every(failure) || rollbackInHand(rollout, held, failedTasks)) return undefined;
  const next = structuredClone(rollout);
  const step = next.steps[next.stepIndex];
  if (foldFailures(next, held, revision, now) > 0 && step) bakeAgain(step, now);
  return next;
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
