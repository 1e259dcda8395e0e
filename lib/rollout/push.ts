/**
 * Push acceptance: whether a pushed image starts a rollout (newest push wins, bad digests stay out,
 * the tag policy applies), and what the service is known to run well (lineage).
 */
import type { StrategyKind, TargetConfig } from '../config.ts';
import { frozenUntil, overridesFreeze } from '../freeze.ts';
import type { Observation, ServiceView } from '../observation.ts';
import { type ImageRef, type Rollout, type ServiceRecord, summarize, withHistory } from '../record.ts';
import { evaluateTag } from '../tag-policy.ts';
import { type Decision, tellNotRolledOut } from './decision.ts';
import { gatesMissing, missingGates } from './step.ts';
import { freshSteps } from './step-state.ts';

/** A revision at steady state, when no rollout is running, is known good (a manual deploy too). */
export function learnLastGood(record: ServiceRecord, primary: ServiceView, now: number): void {
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

/**
 * The revision a service runs when the pipeline first sees it: its completed deployment's (ECS
 * keeps the last completed deployment ACTIVE while a newer one rolls), else the service's own.
 */
export function startingRevision(primary: ServiceView): string | undefined {
  const completed = primary.deployments.find((dep) => dep.rolloutState === 'COMPLETED');
  return completed?.taskDefinition ?? primary.taskDefinition;
}

/**
 * A push (or `deploy` by hand, `forced`): start a rollout of `image`, or say why not. During a
 * freeze window it waits instead (`frozenPush`), unless its tag overrides the freeze or it is
 * `thawed` (the window ended, or a person approved it).
 */
export function acceptPush(
  d: Decision,
  obs: Observation,
  target: TargetConfig,
  image: ImageRef,
  now: number,
  forced: boolean,
  pushTimes?: Record<string, number>,
  thawed = false,
) {
  const r = d.record;
  if (r.rollout?.rollingBack) {
    // The bad revision's tasks keep traffic until the rollback is done: the push waits for it
    // (decide() starts it as soon as the rollback has finished, in the same invocation when it can).
    const queued = r.queuedPush?.image;
    if (
      queued &&
      image.pushedAt !== undefined &&
      queued.pushedAt !== undefined &&
      image.pushedAt < queued.pushedAt
    ) {
      d.skipped = `${image.repository}:${image.tag} was pushed before ${queued.repository}:${queued.tag}, which waits for the rollback`;
      return;
    }
    r.queuedPush = { image, forced };
    d.skipped = `${image.repository}:${image.tag} waits for the rollback of ${r.rollout.image.tag || 'the service'} to finish`;
    return;
  }
  const current = r.rollout;
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
      target.strategy,
    );
    return;
  }
  if (!forced) {
    // Events arrive out of order and lost ones are found late: an image pushed before the one
    // rolling out (or deployed) never replaces it. Push events have whole seconds: a tie is broken
    // by ECR's own imagePushedAt, looked up for the purpose; a tie that remains is not older.
    const newer = current?.image ?? r.lastGood?.image;
    if (
      image.pushedAt !== undefined &&
      newer?.pushedAt !== undefined &&
      pushedBefore(image, newer, pushTimes) === undefined
    ) {
      d.needsPushTimes = [image, newer];
      d.skipped = `${image.repository}:${image.tag} and ${newer.repository}:${newer.tag} were pushed in the same second; asking ECR which came first`;
      return;
    }
    if (newer && pushedBefore(image, newer, pushTimes)) {
      ignore(
        d,
        image,
        `${image.repository}:${image.tag} was pushed before ${newer.repository}:${newer.tag} (${new Date(pushTimes?.[newer.digest] ?? newer.pushedAt!).toISOString()}), which ${current ? 'is rolling out' : 'is deployed'}`,
        now,
        target.strategy,
      );
      return;
    }
    const currentTag = current?.image.tag ?? r.lastGood?.image?.tag;
    const verdict = evaluateTag(target.tags, image.tag, currentTag);
    if (!verdict.ok) {
      ignore(d, image, verdict.reason, now, target.strategy);
      return;
    }
  }
  // A gate that cannot fire is a failed gate: nothing starts (and nothing is registered).
  const missing = obs.gatesRead ? missingGates(target.gateAlarms, obs.alarms) : [];
  if (missing.length > 0) {
    // A person must act (create the alarm or fix gateAlarms): told as an error too, which Slack gets
    // by default (an `ignored` notice, a tag the policy skips, is not sent by default).
    ignore(d, image, gatesMissing(missing), now, target.strategy, true);
    return;
  }
  if (!thawed && waitsForFreeze(d, target, image, forced, now)) return;
  if (current) {
    d.record = withHistory(
      d.record,
      summarize(current, 'superseded', `superseded by ${image.repository}:${image.tag}`, now),
    );
    d.notices.push({ kind: 'superseded', rollout: current, by: image });
  }
  // A rollout starts from, and rolls back to, a revision that was steady: never from the unproven
  // revision of a rollout it supersedes. A person's deploy that held the superseded rollout is the
  // exception: the pipeline does not undo it (progress.ts heldByPerson), so the newer push starts
  // from it. From the last good revision instead, the person's deploy held the new rollout too,
  // before its first step, with the superseded canary left serving (stranger17 06).
  const personal =
    current?.heldFor !== undefined && obs.primary.taskDefinition === current.heldFor
      ? current.heldFor
      : undefined;
  const from =
    personal ?? r.lastGood?.taskDefinition ?? current?.fromTaskDefinition ?? startingRevision(obs.primary);
  if (!from) {
    ignore(d, image, `service ${r.key} has no task definition to start from`, now, target.strategy);
    return;
  }
  // The revision the service ran before its first rollout is the first one known good.
  d.record.lastGood ??= { taskDefinition: from, since: now };
  const rollout: Rollout = {
    id: `${new Date(now).toISOString()}-${image.digest.slice(7, 19)}`,
    image,
    strategy: target.strategy,
    steps: freshSteps(target.steps),
    stepIndex: 0,
    fromTaskDefinition: from,
    startedAt: now,
    failures: [],
    // As ECS does for deployment alarms: an alarm already in ALARM at the start is ignored until it clears.
    ignoredAlarms: obs.alarms.filter((a) => a.state === 'ALARM').map((a) => a.name),
    ...(obs.primary.loadBalanced && { loadBalanced: true }),
    heldAtStart: obs.primary.runningCount + (obs.canary.exists ? obs.canary.runningCount : 0),
    // The service's total as the superseded rollout held it: past maxSurge (or on a full cluster)
    // it had given primary tasks to its canary, and the primary's count is not the service's.
    ...(current?.total !== undefined &&
      current.primaryCount !== undefined && { total: current.total, primaryCount: current.primaryCount }),
  };
  d.record.rollout = rollout;
  d.notices.push({ kind: 'started', rollout, fromTaskDefinition: from });
}

/**
 * During a freeze window a push waits, the newest one (an older waiting push is replaced), with a
 * message saying when it goes; a tag the freeze allows goes at once. Returns whether it waits.
 */
function waitsForFreeze(
  d: Decision,
  target: TargetConfig,
  image: ImageRef,
  forced: boolean,
  now: number,
): boolean {
  const freeze = target.freeze;
  if (!freeze || overridesFreeze(freeze, image.tag)) return false;
  const until = frozenUntil(now, freeze.windows);
  if (until === undefined) return false;
  const waiting = d.record.frozenPush;
  if (waiting?.image.digest === image.digest) {
    d.skipped = `${image.repository}:${image.tag} already waits for the freeze (until ${new Date(waiting.until).toISOString()})`;
    return true;
  }
  if (waiting && pushedBefore(image, waiting.image)) {
    ignore(
      d,
      image,
      `${image.repository}:${image.tag} was pushed before ${waiting.image.repository}:${waiting.image.tag}, which waits for the freeze`,
      now,
      target.strategy,
    );
    return true;
  }
  if (waiting) {
    ignore(
      d,
      waiting.image,
      `replaced during the freeze by ${image.repository}:${image.tag}, pushed later`,
      now,
      target.strategy,
    );
  }
  const id = `${new Date(now).toISOString()}-${image.digest.slice(7, 19)}`;
  d.record.frozenPush = { id, image, forced, since: now, until };
  const zone = freeze.windows.find((w) => frozenUntil(now, [w]) !== undefined)?.timeZone ?? 'UTC';
  d.notices.push({ kind: 'frozen', id, image, until, timeZone: zone });
  return true;
}

/**
 * A push that waited for a freeze goes once no window holds it any more (the windows are read
 * again: a freeze edited meanwhile counts as it now stands), and not while a rollback runs (it
 * then waits for that, as any push does). Until then the moment it goes is kept up to date on the
 * record, for whatever wakes the pipeline.
 */
export function thawFrozenPush(d: Decision, obs: Observation, target: TargetConfig, now: number): void {
  const waiting = d.record.frozenPush;
  if (!waiting) return;
  const until = target.freeze ? frozenUntil(now, target.freeze.windows) : undefined;
  if (until !== undefined && !overridesFreeze(target.freeze!, waiting.image.tag)) {
    waiting.until = until;
    return;
  }
  d.record.frozenPush = undefined;
  acceptPush(d, obs, target, waiting.image, now, waiting.forced, undefined, true);
}

/** Records an image that will not be rolled out, and why. */
export function ignore(
  d: Decision,
  image: ImageRef,
  reason: string,
  now: number,
  /** The target's strategy, as the history entry of a rollout would say (not the one in flight). */
  strategy: StrategyKind,
  needsPerson = false,
) {
  // Events come at least once (a doubled push, a retried invocation, the missed-push sweep): the
  // same push ignored for the same reason is told and kept once.
  const last = d.record.history.at(-1);
  if (last?.outcome === 'ignored' && last.image.digest === image.digest && last.reason === reason) {
    d.skipped = `digest ${image.digest} was already ignored: ${reason}`;
    return;
  }
  d.record = withHistory(d.record, {
    id: `${new Date(now).toISOString()}-${image.digest.slice(7, 19)}`,
    image,
    strategy,
    outcome: 'ignored',
    reason,
    startedAt: now,
    endedAt: now,
    steps: [],
    failures: [],
  });
  if (needsPerson) tellNotRolledOut(d, image, reason);
  else d.notices.push({ kind: 'ignored', image, reason });
}

/**
 * Whether `image` was pushed before `other`: by the push events' times (whole seconds), and when
 * those tie, by ECR's imagePushedAt from `pushTimes`. Undefined when it cannot tell yet (a tie in
 * the same second and no ECR times); a tie ECR cannot break either is not older.
 *
 *   events 10:00:01 and 10:00:02                          -> true
 *   events 10:00:02 and 10:00:01                          -> false
 *   events both 10:00:01, no ECR times                    -> undefined (look them up)
 *   events both 10:00:01, ECR 10:00:01.200 and .700       -> true
 *   events both 10:00:01, ECR .700 and .200               -> false
 *   no event time for one of them                         -> false
 */
export function pushedBefore(
  image: ImageRef,
  other: ImageRef,
  pushTimes?: Record<string, number>,
): boolean | undefined {
  if (image.pushedAt === undefined || other.pushedAt === undefined) return false;
  if (image.pushedAt !== other.pushedAt) return image.pushedAt < other.pushedAt;
  const a = pushTimes?.[image.digest];
  const b = pushTimes?.[other.digest];
  if (a === undefined || b === undefined) return pushTimes ? false : undefined;
  return a < b;
}
