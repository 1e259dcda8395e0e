/**
 * What every operating command shares: its dependencies, how it names a service, how it fails,
 * and how it prints (readable tables, or JSON with `--json`).
 *
 * A command is a small function `(options, deps) => exit code`. It reads and writes the same
 * service records, through the same `Pipeline`, as the Lambdas: a person's command is one more
 * trigger of the reconcile loop, committed with a conditional write, so a command and an event
 * never both act on the same step.
 *
 * Exit codes: 0 done, 1 failed (the rollout rolled back, a command that could not apply, an AWS
 * error), 2 bad usage, 3 `wait` gave up before the rollout ended.
 */
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { LifecycleHookSettings } from '../act.ts';
import type { ClientOptions, Clients } from '../aws.ts';
import { type Config, type TargetConfig, targetFor } from '../config.ts';
import { formatDuration } from '../duration.ts';
import type { Rollout, RolloutSummary, ServiceRecord } from '../record.ts';
import { shortRevision } from '../revision.ts';
import { approvalLeftMs } from '../rollout/approval.ts';
import type { Action } from '../rollout/decision.ts';
import type { Slack } from '../slack/deliver.ts';
import type { RecordStore } from '../store.ts';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal: progress is redrawn on one line instead of printed line by line. */
  tty?: boolean;
}

export interface Deps {
  /** The Lambdas' clients, and ECR: `deploy` resolves a tag to its digest itself. */
  clients: Clients & { ecr: ECRClient };
  store: RecordStore;
  config: Config;
  /** The config file's name, for messages. */
  configFile: string;
  /** Why that file: `--config`, `AUTOPILOT_CONFIG_FILE`, the local world's, the default. */
  configSource?: string;
  /** The clock of the AWS the command talks to (the virtual clock of the local AWS). */
  now: () => number;
  /** Reads the endpoint's clock again (the local AWS's may run faster than the wall clock). */
  refreshClock: () => Promise<void>;
  /** Where the command's notices go, as the Lambdas' do; absent: none are queued. */
  slack?: Slack;
  io: Io;
  /** Real time between two looks at a record (`wait`). */
  sleep: (ms: number) => Promise<void>;
  /** Where the command runs, for messages: `region us-east-1` or `the local AWS at http://…`. */
  where: string;
  /** The records table; the stack's functions are named after it (`<table>-tick`). */
  table?: string;
  /**
   * The stack's ECS lifecycle hook, for a command on an ecs-* target: read as the Lambdas read it
   * (AUTOPILOT_LIFECYCLE_HOOK_ARN and _ROLE_ARN, lib/env.ts); absent in a shell that has not
   * exported them.
   */
  lifecycleHook?: LifecycleHookSettings;
  /** How the clients were made, for a client only one command needs (`logs`: CloudWatch Logs). */
  clientOptions?: ClientOptions;
  /** Told of every action the command's pipeline performs (the local AWS's invariant checker). */
  onAction?: (action: Action, target: TargetConfig) => void;
}

/** Bad arguments: the dispatcher prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A command that could not do what was asked: the message is printed, exit 1. */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

/** `prod/web` -> the target of that service in the config, or a failure naming the targets there are. */
export function targetOf(ref: string | undefined, deps: Pick<Deps, 'config' | 'configFile'>): TargetConfig {
  if (!ref) throw new UsageError('name the service as CLUSTER/SERVICE, such as prod/web');
  const slash = ref.indexOf('/');
  if (slash <= 0 || slash === ref.length - 1 || ref.indexOf('/', slash + 1) >= 0) {
    throw new UsageError(`name the service as CLUSTER/SERVICE, such as prod/web; got "${ref}"`);
  }
  const target = targetFor(deps.config, ref.slice(0, slash), ref.slice(slash + 1));
  if (!target) {
    const known = deps.config.targets.map((t) => `${t.cluster}/${t.service}`).join(', ');
    throw new CommandFailed(`${ref} is not a target in ${deps.configFile} (its targets: ${known})`);
  }
  return target;
}

export const keyOf = (t: { cluster: string; service: string }) => `${t.cluster}/${t.service}`;

/** Prints `value` as JSON on stdout. */
export function printJson(io: Io, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Tells what a command did to one service and returns its exit code (0 done, 1 not): with `json`,
 * `{ service, ...json }` on stdout when done, and the failure document every command prints when it
 * did not apply (`{ ok: false, command, exitCode: 1, error: { kind: 'refused', message } }`, as
 * README.md documents it); otherwise one line, `prod/web: text`, on stdout when done and on stderr
 * when not. deploy and the control commands (promote, pause, …) answer this same way.
 */
export function tellOutcome(
  deps: Pick<Deps, 'io'>,
  target: TargetConfig,
  outcome: { ok: boolean; text: string },
  json: Record<string, unknown> | undefined,
  command: string,
): number {
  if (json && !outcome.ok)
    printJson(deps.io, {
      ok: false,
      command,
      exitCode: 1,
      error: { kind: 'refused', message: `${keyOf(target)}: ${outcome.text}` },
    });
  else if (json) printJson(deps.io, { service: keyOf(target), ...json });
  else if (outcome.ok) deps.io.out(`${keyOf(target)}: ${outcome.text}\n`);
  else deps.io.err(`${keyOf(target)}: ${outcome.text}\n`);
  return outcome.ok ? 0 : 1;
}

/**
 * A table for a terminal: a header row, columns padded to their widest cell, the last column
 * unpadded (it may be long: a reason).
 */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** `2026-01-01 09:05:00Z` */
export function clockTime(ms: number | undefined): string {
  if (ms === undefined) return '';
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** A duration for people, whole seconds: `1m12s`. */
export function took(ms: number): string {
  return formatDuration(Math.max(0, Math.round(ms / 1000) * 1000));
}

export const ISO = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** `web:v2`, or the digest's start when the rollout has no tag (a rollback by hand). */
export function imageLabel(image: { repository: string; tag: string; digest: string; uri: string }): string {
  if (image.repository && image.tag) return `${image.repository}:${image.tag}`;
  if (image.digest) return `${image.repository}@${image.digest.slice(0, 19)}`;
  return shortRevision(image.uri);
}

export type RolloutPhase =
  | 'registering'
  | 'starting'
  | 'baking'
  | 'advancing'
  | 'paused'
  | 'awaiting_approval'
  | 'rolling_back';

/** Where a rollout stands, for `status`, `wait` and the JSON of both. */
export interface RolloutView {
  id: string;
  image: string;
  digest: string;
  strategy: string;
  /** 1-based */
  step: number;
  steps: number;
  percent: number;
  phase: RolloutPhase;
  /** Bake time left at `now`, when baking. */
  bakeLeftMs?: number;
  bakeMs: number;
  revision?: string;
  from: string;
  startedAt: string;
  failures: number;
  paused: boolean;
  /** Why it is rolling back. */
  reason?: string;
  /** Where it rolls back to, when not to `from`: a person's `rollback --to` during the rollout. */
  backTo?: string;
  /** A rollback by hand: from the revision the service ran to the one it goes back to. */
  manual?: { from: string; to: string };
  /** A rollback past its deadline (rollbackDeadline): a person was told; it is still being driven. */
  overdueSince?: string;
  /** The approval gate it waits at: the step (1-based) it would take, since when, when it times out. */
  approval?: {
    step: number;
    percent: number;
    since: string;
    timesOutAt: string;
    heldSince?: string;
    /** While paused: the time left to decide, its clock stopped (moved on at resume). */
    leftMsWhilePaused?: number;
  };
  /** Who approved its gates (or its deploy during a freeze), and when. */
  approvals?: ({ by: string; at: string } & ({ gate: 'step'; step: number } | { gate: 'freeze' }))[];
}

export function rolloutView(r: Rollout, now: number): RolloutView {
  const step = r.steps[r.stepIndex];
  let phase: RolloutPhase;
  let bakeLeftMs: number | undefined;
  if (r.rollingBack) phase = 'rolling_back';
  else if (r.paused) phase = 'paused';
  else if (r.approval) phase = 'awaiting_approval';
  else if (!r.taskDefinition) phase = 'registering';
  else if (step?.healthyAt === undefined) phase = 'starting';
  else {
    bakeLeftMs = Math.max(0, step.healthyAt + step.bakeMs - now);
    phase = bakeLeftMs > 0 ? 'baking' : 'advancing';
  }
  return {
    id: r.id,
    image: imageLabel(r.image),
    digest: r.image.digest,
    strategy: r.strategy,
    step: r.stepIndex + 1,
    steps: r.steps.length,
    percent: step?.percent ?? 100,
    phase,
    ...(bakeLeftMs !== undefined ? { bakeLeftMs } : {}),
    bakeMs: step?.bakeMs ?? 0,
    ...(r.taskDefinition ? { revision: shortRevision(r.taskDefinition) } : {}),
    from: shortRevision(r.fromTaskDefinition),
    startedAt: ISO(r.startedAt)!,
    failures: r.failures.length,
    paused: r.paused === true,
    ...(r.rollingBack ? { reason: r.rollingBack.reason } : {}),
    ...(r.rollingBack && !isManualRollback(r) && r.rollingBack.toTaskDefinition !== r.fromTaskDefinition
      ? { backTo: shortRevision(r.rollingBack.toTaskDefinition) }
      : {}),
    // Its record reads backwards (taskDefinition: the revision left; fromTaskDefinition: the one
    // chosen), as its history entry does (fromTo).
    ...(isManualRollback(r) && r.taskDefinition
      ? { manual: { from: shortRevision(r.taskDefinition), to: shortRevision(r.fromTaskDefinition) } }
      : {}),
    ...(r.rollingBack?.overdueAt !== undefined ? { overdueSince: ISO(r.rollingBack.overdueAt)! } : {}),
    ...(r.approval && {
      approval: {
        step: r.approval.step + 1,
        percent: r.steps[r.approval.step]?.percent ?? 100,
        since: ISO(r.approval.since)!,
        timesOutAt: ISO(r.approval.timesOutAt)!,
        ...(r.approval.heldAt !== undefined && { heldSince: ISO(r.approval.heldAt)! }),
        ...(r.paused &&
          r.approval.heldAt === undefined && {
            leftMsWhilePaused: approvalLeftMs(r.approval, now, r.pausedAt ?? now),
          }),
      },
    }),
    ...(r.approvals?.length && { approvals: r.approvals.map((a) => ({ ...a, at: ISO(a.at)! })) }),
  };
}

/** `step 2/3 (50%), baking, 1m20s left`, `rolling back to web:1: 1 new task failed: …` */
export function describeRollout(v: RolloutView): string {
  if (v.phase === 'rolling_back') {
    const overdue = v.overdueSince ? ` (past its deadline since ${v.overdueSince}: needs a person)` : '';
    if (v.manual) {
      const why = v.reason?.match(/^rolled back by hand from \S+ to \S+?(?:: (.*))?$/)?.[1];
      return `rolling back by hand from ${v.manual.from} to ${v.manual.to}${overdue}${why ? `: ${why}` : ''}`;
    }
    return `rolling back to ${v.backTo ?? v.from}${overdue}: ${v.reason ?? ''}`;
  }
  if (v.steps === 0) return v.phase;
  const where = `step ${v.step}/${v.steps} (${v.percent}%)`;
  switch (v.phase) {
    case 'registering':
      return `${where}, registering the revision`;
    case 'starting':
      return `${where}, starting tasks`;
    case 'baking':
      return `${where}, baking, ${took(v.bakeLeftMs ?? 0)} of ${took(v.bakeMs)} left`;
    case 'advancing':
      return `${where}, baked`;
    case 'paused': {
      const a = v.approval;
      return a?.leftMsWhilePaused !== undefined
        ? `${where}, paused while waiting for approval of step ${a.step}/${v.steps} (${a.percent}%); its timeout is stopped with ${took(a.leftMsWhilePaused)} left`
        : `${where}, paused`;
    }
    case 'awaiting_approval': {
      const a = v.approval!;
      // A gate on the first step waits before anything runs; any other, after the step before baked.
      const gate = `${a.step === v.step ? 'nothing started' : `${where}, baked`}; waiting for approval of step ${a.step}/${v.steps} (${a.percent}%) since ${a.since}`;
      return a.heldSince
        ? `${gate}, timed out at ${a.timesOutAt}: holding until someone approves or rejects`
        : `${gate}, times out at ${a.timesOutAt}`;
    }
  }
}

/** The history entry for a rollout id, newest first. */
export function summaryOf(record: ServiceRecord, id: string): RolloutSummary | undefined {
  for (let i = record.history.length - 1; i >= 0; i--)
    if (record.history[i]!.id === id) return record.history[i];
  return undefined;
}

/**
 * A history entry of a rollback by hand while idle (lib/decide.ts records it as a rollout whose
 * `taskDefinition` is the revision it left and `fromTaskDefinition` the one it went back to).
 */
export function isManualRollback(h: { id: string }): boolean {
  return h.id.endsWith('-rollback');
}

/**
 * From what, to what, for people: a rollout goes from its start to its new revision (and, when it
 * did not succeed, back); a rollback by hand from the revision it left to the one it chose.
 *
 *   rollout web:1 -> web:2 succeeded     { from: 'web:1', to: 'web:2', now: 'web:2' }
 *   rollout web:1 -> web:2 rolled back   { from: 'web:1', to: 'web:2', now: 'web:1' }
 *   rollout web:2 -> web:4, rollback --to web:1 during it (backTo web:1)
 *                                        { from: 'web:2', to: 'web:4', now: 'web:1' }
 *   rollback by hand web:2 -> web:1      { from: 'web:2', to: 'web:1', now: 'web:1' }
 */
export function fromTo(h: RolloutSummary): { from?: string; to?: string; now?: string } {
  const short = (arn: string | undefined) => (arn ? shortRevision(arn) : undefined);
  if (isManualRollback(h)) {
    return {
      from: short(h.taskDefinition),
      to: short(h.fromTaskDefinition),
      now: short(h.fromTaskDefinition),
    };
  }
  const now =
    h.outcome === 'succeeded'
      ? h.taskDefinition
      : h.outcome === 'ignored'
        ? undefined
        : (h.backTo ?? h.fromTaskDefinition);
  return { from: short(h.fromTaskDefinition), to: short(h.taskDefinition), now: short(now) };
}

/** `rolled back by hand`, `rolled back`, `succeeded` */
export function outcomeOf(h: RolloutSummary): string {
  return isManualRollback(h) ? 'rolled back by hand' : outcomeText(h.outcome);
}

/** The why of a rollback by hand, without the `rolled back by hand from A to B` that the columns say. */
export function whyOf(h: RolloutSummary): string {
  if (!isManualRollback(h)) return h.reason;
  return h.reason.match(/^rolled back by hand from \S+ to \S+?(?:: (.*))?$/)?.[1] ?? 'no reason given';
}

/** One history entry as JSON: times as ISO, revisions short. */
export function summaryJson(h: RolloutSummary) {
  const manual = isManualRollback(h);
  const { from, to, now } = fromTo(h);
  return {
    id: h.id,
    kind: manual ? ('manual_rollback' as const) : ('rollout' as const),
    image: manual ? undefined : imageLabel(h.image),
    digest: h.image.digest || undefined,
    strategy: h.strategy,
    outcome: h.outcome,
    reason: h.reason,
    /** The revision rolled out: for a rollback by hand, the one it went back to. */
    revision: to,
    from,
    to,
    /** What the service runs after it. */
    runs: now,
    startedAt: ISO(h.startedAt),
    endedAt: ISO(h.endedAt),
    durationMs: h.endedAt - h.startedAt,
    steps: h.steps.map((s) => ({ percent: s.percent, reachedAt: ISO(s.reachedAt) })),
    failures: h.failures.map((f) => ({
      task: f.taskArn,
      revision: shortRevision(f.taskDefinition),
      reason: f.stoppedReason,
      ...(f.container ? { container: f.container } : {}),
      ...(f.exitCode !== undefined ? { exitCode: f.exitCode } : {}),
      at: ISO(f.at),
    })),
  };
}

/** The last good revision as `status --json` and `history --json` print it: `{ revision: 'web:2', image: 'web:v2', since }`. */
export function lastGoodJson(good: NonNullable<ServiceRecord['lastGood']>) {
  return {
    revision: shortRevision(good.taskDefinition),
    ...(good.image ? { image: imageLabel(good.image) } : {}),
    since: ISO(good.since),
  };
}

/** `rolled_back` -> `rolled back` */
export const outcomeText = (o: string) => o.replace('_', ' ');

/** `web:v2`, `team/web:1.4.0`, `web@sha256:…` */
export function parseImageRef(ref: string): { repository: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  if (at > 0) {
    const digest = ref.slice(at + 1);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
      throw new UsageError(`--image ${ref}: the digest must be sha256: and 64 hex digits`);
    }
    return { repository: ref.slice(0, at), digest };
  }
  const colon = ref.lastIndexOf(':');
  if (colon <= 0 || colon === ref.length - 1 || ref.slice(colon).includes('/')) {
    throw new UsageError(
      `--image must be REPOSITORY:TAG (such as web:v2) or REPOSITORY@sha256:…, got "${ref}"`,
    );
  }
  return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}
