/**
 * Push acceptance: whether a pushed image starts a rollout (newest push wins, bad digests stay out,
 * the tag policy applies), and what the service is known to run well (lineage).
 */
import type { TargetConfig } from '../config.ts';
import type { Observation, ServiceView } from '../observation.ts';
import { type ImageRef, type Rollout, type ServiceRecord, summarize, withHistory } from '../record.ts';
import { evaluateTag } from '../tag-policy.ts';
import type { Decision } from './decision.ts';

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

/** A push (or `deploy` by hand, `forced`): start a rollout of `image`, or say why not. */
export function acceptPush(
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

/** Records an image that will not be rolled out, and why. */
export function ignore(d: Decision, image: ImageRef, reason: string, now: number) {
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
