/**
 * A person's hand on a rollout, each through the pipeline's reconcile loop (one conditional write,
 * then the actions that follow):
 *
 *   promote CLUSTER/SERVICE [--full]        the next step now (the bake is skipped); --full: straight to 100%
 *   pause CLUSTER/SERVICE                   stay on this step: no advance (a failure still rolls back)
 *   resume CLUSTER/SERVICE                  go on from this step
 *   abort CLUSTER/SERVICE [--reason TEXT]   stop the rollout, back to the revision it started from
 *   approve CLUSTER/SERVICE [--as NAME]     through the approval gate the rollout waits at; else the push
 *                                           waiting for a freeze goes now
 *   reject CLUSTER/SERVICE [--as NAME] [--reason TEXT]
 *                                           the rollout waiting at its gate rolls back; else the push waiting
 *                                           for a freeze is dropped
 *   rollback CLUSTER/SERVICE [--to REVISION] [--reason TEXT] [--force]
 *                                           during a rollout, as abort (to REVISION if given); otherwise the
 *                                           primary goes back to REVISION, or to the last good one before it.
 *                                           A REVISION never known good needs --force.
 *
 * A command that means nothing in the rollout's state is refused (exit 1) before anything is
 * written: pause or resume without a rollout, resume of a rollout that is not paused, promote of a
 * rollout under ECS's own strategies (ECS times its shifts and bakes). Pausing a paused rollout is
 * not an error: it stays paused.
 *
 * Whether the command took effect is read from the record it committed, not assumed: an event may
 * have moved the rollout on between the look and the write.
 */

import { userInfo } from 'node:os';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { judgeDecision, judgePromote, promoteRefusal } from '../chatops/interact.ts';
import type { TargetConfig } from '../config.ts';
import type { Command } from '../decide.ts';
import { isEcsStrategy } from '../ecs-strategy.ts';
import type { ServiceRecord } from '../record.ts';
import { familyOf, shortRevision } from '../revision.ts';
import {
  CommandFailed,
  type Deps,
  describeRollout,
  imageLabel,
  isManualRollback,
  keyOf,
  outcomeText,
  rolloutView,
  summaryJson,
  summaryOf,
  targetOf,
  tellOutcome,
} from './common.ts';
import { pipelineFor } from './deploy.ts';

export interface ControlOptions {
  service: string;
  json?: boolean;
}

interface Outcome {
  ok: boolean;
  text: string;
  record: ServiceRecord;
}

export async function promote(options: ControlOptions & { full?: boolean }, deps: Deps): Promise<number> {
  // A promote the pipeline would skip (ECS times the shifts and bakes of its own strategies) is
  // refused before anything is written, with the decision's reason, as `resume` of a running rollout.
  const target = targetOf(options.service, deps);
  const now = await deps.store.get(target.cluster, target.service);
  const refused = now.rollout && !now.rollout.rollingBack ? promoteRefusal(now.rollout) : undefined;
  if (refused) {
    const view = rolloutView(now.rollout!, deps.now());
    throw new CommandFailed(
      `${keyOf(target)}: nothing to promote: ${refused}; the rollout of ${view.image} is at ${describeRollout(view)}`,
    );
  }
  return control(options, deps, { name: 'promote', full: options.full === true }, (before, after) => {
    const id = before.rollout!.id;
    if (after.rollout?.id === id && !after.rollout.rollingBack) {
      return judgePromote(before.rollout!, after.rollout, deps.now());
    }
    return ended(after, id);
  });
}

export async function pause(options: ControlOptions, deps: Deps): Promise<number> {
  return control(options, deps, { name: 'pause' }, (before, after) => {
    if (before.rollout?.paused && after.rollout?.id === before.rollout.id && after.rollout.paused) {
      const view = rolloutView(after.rollout, deps.now());
      return {
        ok: true,
        text: `${view.image} is already paused at step ${view.step}/${view.steps} (${view.percent}%)`,
      };
    }
    const id = before.rollout!.id;
    if (after.rollout?.id === id && after.rollout.paused) {
      const view = rolloutView(after.rollout, deps.now());
      return {
        ok: true,
        text: `${view.image} paused at step ${view.step}/${view.steps} (${view.percent}%); ${pauseHolds(isEcsStrategy(after.rollout.strategy))} (a failure still rolls it back)`,
      };
    }
    return ended(after, id);
  });
}

/**
 * What a pause holds. Under ECS's own strategies the pipeline holds ECS at its lifecycle hook's
 * stages (lib/hook.ts: after the new tasks start, before and after each traffic shift); ECS's bakes
 * between them, and its final bake, which no hook stage covers, run on as ECS times them
 * (stranger19 34: paused in ECS's final bake, the deployment ended SUCCESSFUL while paused).
 *   pipeline's own steps -> "it stays there until resume or promote"
 *   ecs-*                -> "ECS waits at its next lifecycle hook until resume; …"
 */
export function pauseHolds(ecsStrategy: boolean): string {
  return ecsStrategy
    ? "ECS waits at its next lifecycle hook until resume; a bake of ECS's under way, and its final bake, which no hook covers, run to their end"
    : 'it stays there until resume or promote';
}

export async function resume(options: ControlOptions, deps: Deps): Promise<number> {
  const target = targetOf(options.service, deps);
  const now = await deps.store.get(target.cluster, target.service);
  if (now.rollout && !now.rollout.rollingBack && !now.rollout.paused) {
    const view = rolloutView(now.rollout, deps.now());
    throw new CommandFailed(
      `${keyOf(target)}: nothing to resume: the rollout of ${view.image} is not paused (${describeRollout(view)})`,
    );
  }
  return control(options, deps, { name: 'resume' }, (before, after) => {
    const id = before.rollout!.id;
    if (after.rollout?.id === id && !after.rollout.paused && !after.rollout.rollingBack) {
      const view = rolloutView(after.rollout, deps.now());
      return { ok: true, text: `${view.image} resumed: ${describeRollout(view)}` };
    }
    // The resume's own look finished the rollout (ECS had rolled the primary while it was paused:
    // stranger21 11): it applied, and the release is done.
    const summary = summaryOf(after, id);
    if (before.rollout?.paused && summary?.outcome === 'succeeded') {
      return {
        ok: true,
        text: `${imageLabel(summary.image)} resumed, and its rollout ended: ${outcomeText(summary.outcome)}: ${summary.reason}`,
      };
    }
    return ended(after, id);
  });
}

export async function abort(options: ControlOptions & { reason?: string }, deps: Deps): Promise<number> {
  return control(
    options,
    deps,
    { name: 'abort', ...(options.reason ? { reason: options.reason } : {}) },
    (before, after) => {
      const id = before.rollout!.id;
      const summary = summaryOf(after, id);
      if (summary?.outcome === 'aborted') {
        return {
          ok: true,
          text: `${imageLabel(summary.image)} aborted; rolling back to ${shortRevision(summary.backTo ?? summary.fromTaskDefinition ?? '')}`,
        };
      }
      return ended(after, id);
    },
  );
}

export async function rollback(
  options: ControlOptions & { to?: string; reason?: string; force?: boolean },
  deps: Deps,
): Promise<number> {
  const target = targetOf(options.service, deps);
  // One look at the service serves both `--to 3` (its family) and the family check.
  const running = options.to ? await runningRevision(target, deps) : undefined;
  const to = options.to ? await revisionArn(options.to, target, deps, running) : undefined;
  if (to) {
    const record = await deps.store.get(target.cluster, target.service);
    const foreign = foreignFamily(record, running, to);
    if (foreign) throw new CommandFailed(`${keyOf(target)}: --to ${options.to}: ${foreign}`);
    const doubt = neverKnownGood(record, to);
    if (doubt && !options.force) {
      throw new CommandFailed(
        `${keyOf(target)}: ${shortRevision(to)} was never known good (${doubt}); add --force to roll back to it anyway`,
      );
    }
    if (doubt)
      deps.io.err(
        `${keyOf(target)}: warning: ${shortRevision(to)} was never known good (${doubt}); rolling back to it as --force asks\n`,
      );
  }
  const command: Command = {
    name: 'rollback',
    ...(to ? { to } : {}),
    ...(options.reason ? { reason: options.reason } : {}),
  };
  return control(
    options,
    deps,
    command,
    (before, after) => {
      const inFlight = before.rollout && !before.rollout.rollingBack ? before.rollout : undefined;
      if (inFlight) {
        const summary = summaryOf(after, inFlight.id);
        if (summary?.outcome === 'aborted') {
          return {
            ok: true,
            text: `${imageLabel(summary.image)} rolled back by hand; back to ${shortRevision(summary.backTo ?? summary.fromTaskDefinition ?? '')}`,
          };
        }
        return ended(after, inFlight.id);
      }
      const last = after.history.at(-1);
      if (after.history.length > before.history.length && last?.outcome === 'rolled_back') {
        return { ok: true, text: last.reason };
      }
      const underWay = (before.rollout?.rollingBack ? before.rollout : undefined) ?? after.rollout;
      if (underWay?.rollingBack) {
        const view = rolloutView(underWay, deps.now());
        return {
          ok: false,
          text: `nothing rolled back: a rollback is under way (${view.manual ? '' : `${view.image} `}${describeRollout(view)}); wait for it, then roll back again`,
        };
      }
      return {
        ok: false,
        text: to
          ? `nothing rolled back: the service already runs ${shortRevision(to)}`
          : 'nothing rolled back: no earlier good revision is known (name one with --to REVISION)',
      };
    },
    { needsRollout: false },
  );
}

/** Approve or reject: what waits for a person (a gate, else a frozen push), decided. */
export async function approve(options: ControlOptions & { as?: string }, deps: Deps): Promise<number> {
  return decide(options, deps, { name: 'approve', by: approver(options.as) });
}

export async function reject(
  options: ControlOptions & { as?: string; reason?: string },
  deps: Deps,
): Promise<number> {
  return decide(options, deps, {
    name: 'reject',
    by: approver(options.as),
    ...(options.reason ? { reason: options.reason } : {}),
  });
}

/** Who decided, for the record: `--as`, else the login name (`cli:alice`). */
function approver(as: string | undefined): string {
  if (as !== undefined) return as;
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

async function decide(
  options: ControlOptions,
  deps: Deps,
  command: Extract<Command, { name: 'approve' | 'reject' }>,
): Promise<number> {
  const target = targetOf(options.service, deps);
  const before = await deps.store.get(target.cluster, target.service);
  const gate = before.rollout && !before.rollout.rollingBack ? before.rollout.approval : undefined;
  const id = gate ? before.rollout!.id : before.frozenPush?.id;
  if (!id) {
    const now = before.rollout
      ? before.rollout.rollingBack
        ? `its rollout of ${imageLabel(before.rollout.image)} is rolling back`
        : `its rollout of ${imageLabel(before.rollout.image)} is at ${describeRollout(rolloutView(before.rollout, deps.now()))}`
      : 'no rollout is in progress and no push waits for a freeze';
    throw new CommandFailed(
      `${keyOf(target)}: nothing to ${command.name}: nothing waits for approval (${now})`,
    );
  }
  return control(
    options,
    deps,
    command,
    (b, after) =>
      judgeDecision(command.name, b, after, id, deps.now()) ??
      (gate
        ? ended(after, id)
        : { ok: false, text: 'the push no longer waits for the freeze; look with status' }),
    { needsRollout: false },
  );
}

/**
 * Runs one command through the pipeline and tells what it did. `needsRollout`: the command means
 * nothing without a rollout in progress (promote, pause, resume, abort).
 */
async function control(
  options: ControlOptions,
  deps: Deps,
  command: Command,
  judge: (before: ServiceRecord, after: ServiceRecord) => Omit<Outcome, 'record'>,
  { needsRollout = true } = {},
): Promise<number> {
  const target = targetOf(options.service, deps);
  const before = await deps.store.get(target.cluster, target.service);
  if (needsRollout && (!before.rollout || before.rollout.rollingBack)) {
    const why = before.rollout?.rollingBack
      ? `its rollout of ${imageLabel(before.rollout.image)} is already rolling back: ${before.rollout.rollingBack.reason}`
      : 'no rollout is in progress';
    throw new CommandFailed(`${keyOf(target)}: nothing to ${command.name}: ${why}`);
  }
  const after = await pipelineFor(deps).command(target.cluster, target.service, command);
  const outcome = judge(before, after);
  return tellOutcome(
    deps,
    target,
    outcome,
    options.json
      ? {
          command: command.name,
          ok: outcome.ok,
          message: outcome.text,
          rollout: after.rollout ? rolloutView(after.rollout, deps.now()) : null,
          last: after.history.at(-1) ? summaryJson(after.history.at(-1)!) : null,
        }
      : undefined,
    command.name,
  );
}

/** The rollout ended (or was replaced) before the command applied: say how. */
function ended(after: ServiceRecord, id: string): Omit<Outcome, 'record'> {
  const summary = summaryOf(after, id);
  if (summary) {
    return {
      ok: false,
      text: `the rollout of ${imageLabel(summary.image)} had already ended: ${outcomeText(summary.outcome)}: ${summary.reason}`,
    };
  }
  if (after.rollout?.rollingBack) {
    return { ok: false, text: `the rollout is rolling back: ${after.rollout.rollingBack.reason}` };
  }
  return { ok: false, text: 'the command did not apply: the rollout changed meanwhile; look with status' };
}

/**
 * Why `revision` is not known good, or undefined when it is: the service ran it at steady state
 * (the last good revision, the start of a rollout, a rollout that succeeded). A revision the record
 * never saw is not doubted (it may predate the pipeline); one only seen failing or aborted is.
 *
 *   history: web:1 -> web:2 aborted            neverKnownGood(r, web:2) = 'its rollout of web:v3 was aborted: …'
 *   history: web:1 -> web:2 succeeded          neverKnownGood(r, web:2) = undefined
 *   history: web:2 -> web:3 rolled back        neverKnownGood(r, web:2) = undefined (it was the start)
 */
export function neverKnownGood(record: ServiceRecord, revision: string): string | undefined {
  if (record.lastGood?.taskDefinition === revision) return undefined;
  let doubt: string | undefined;
  for (const h of record.history) {
    // A rollback by hand says nothing of either revision's health: the person chose.
    if (isManualRollback(h)) continue;
    if (h.fromTaskDefinition === revision) return undefined;
    if (h.taskDefinition === revision) {
      if (h.outcome === 'succeeded') return undefined;
      doubt = `its rollout of ${imageLabel(h.image)} ${outcomeText(h.outcome)}: ${h.reason}`;
    }
  }
  return doubt;
}

/**
 * Why `revision` is not of the service's own lineage, or undefined when it is: its family is the
 * one the service runs, or one the record saw it run (its last good revision, a rollout's start or
 * new revision). A revision of another family would put another service's containers on this one
 * (`--to api:1` for `--to web:1`), and the next push would register revisions of that family.
 *
 *   runs web:4, --to web:2                                   -> undefined
 *   runs web:4, --to api:1                                   -> 'api:1 is a revision of api, not of web (…)'
 *   runs api:1 (by mistake), history web:1 -> web:2, --to web:2 -> undefined
 */
export function foreignFamily(
  record: ServiceRecord,
  running: string | undefined,
  revision: string,
): string | undefined {
  const known = new Set<string>();
  for (const arn of [
    running,
    record.lastGood?.taskDefinition,
    ...record.history.flatMap((h) => [h.taskDefinition, h.fromTaskDefinition]),
  ])
    if (arn) known.add(familyOf(arn));
  const family = familyOf(revision);
  if (known.size === 0 || known.has(family)) return undefined;
  return `${shortRevision(revision)} is a revision of ${family}, not of ${[...known].join(' or ')} (the family the service runs); roll back within the service's own family`;
}

/** The task definition the service's primary runs, or undefined when ECS does not know the service. */
async function runningRevision(target: TargetConfig, deps: Deps): Promise<string | undefined> {
  const out = await deps.clients.ecs.send(
    new DescribeServicesCommand({ cluster: target.cluster, services: [target.service] }),
  );
  return out.services?.[0]?.taskDefinition;
}

/** `web:3`, `3` (the service's family) or an ARN -> the task definition's ARN, checked to exist. */
async function revisionArn(
  ref: string,
  target: TargetConfig,
  deps: Deps,
  /** What the service's primary runs (runningRevision). */
  current: string | undefined,
): Promise<string> {
  let name = ref;
  if (/^\d+$/.test(ref)) {
    if (!current) throw new CommandFailed(`${keyOf(target)}: the ECS service was not found (${deps.where})`);
    name = `${familyOf(current)}:${ref}`;
  }
  try {
    const out = await deps.clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: name }));
    const arn = out.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new Error('no ARN');
    return arn;
  } catch (e) {
    if ((e as Error).name === 'ClientException' || (e as Error).message === 'no ARN') {
      throw new CommandFailed(`--to ${ref}: there is no task definition ${name} (${deps.where})`);
    }
    throw e;
  }
}
