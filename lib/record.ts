/**
 * The service record: one DynamoDB item per managed service, the single source of truth for its
 * rollout, its history and what is known good. Every change is a conditional write on `version`,
 * so two invocations can never both act on the same step.
 */
import type { DeploymentConfiguration } from '@aws-sdk/client-ecs';
import type { StrategyKind } from './config.ts';
import type { ImageRef } from './image.ts';
import type { AlarmView, TaskView } from './observation.ts';
import type { OutboxEntry } from './outbox-entry.ts';
import type { ScalingState } from './scaling.ts';

export type { ImageRef } from './image.ts';

/** A new-revision task that stopped for a reason that counts against the rollout. */
export interface TaskFailure {
  taskArn: string;
  taskDefinition: string;
  stoppedReason: string;
  stopCode?: string;
  container?: string;
  exitCode?: number;
  at: number;
}

/** Failures past the ones kept in full (lib/record-size.ts): how many, why, which tasks are counted. */
export interface FailuresBeyond {
  count: number;
  byReason: Record<string, number>;
  /** Short task ids (the last 8 characters of the task id), space-separated; absent in history. */
  seen?: string;
}

export interface StepState {
  percent: number;
  bakeMs: number;
  /** An approval gate before this step (lib/rollout/approval.ts). */
  approve?: true;
  /** When the step began (its tasks were asked for). */
  startedAt?: number;
  /** When all of its tasks were running and healthy: the bake starts here. */
  healthyAt?: number;
  /** Start of the step's current unhealthy stretch (it asked for tasks, or a task failed in its bake). */
  unhealthySince?: number;
  /** Unhealthy time of earlier stretches since the step last asked for tasks: the deadline counts both. */
  unhealthyMs?: number;
  /** The most healthy tasks of the revision the step's growing service has had (lib/rollout/step.ts gainedHealthyTask). */
  mostHealthy?: number;
  /**
   * Trading capacity on a full cluster: when the next task of the revision ECS does not count yet
   * (no health check, no load balancer: 40 s after RUNNING) will count (lib/rollout/step.ts servingFrom).
   */
  servesAt?: number;
  /** Weighted traffic: when every route moved to the step's share (the share served counts from here). */
  shiftedAt?: number;
  /** Weighted traffic: what the step last asked for (lib/rollout/weighted.ts askOnce): asking again does not restart its deadline. */
  asked?: string;
}

export interface Rollout {
  id: string;
  image: ImageRef;
  strategy: StrategyKind;
  steps: StepState[];
  stepIndex: number;
  /** The revision the primary ran when the rollout started: where a rollback returns. */
  fromTaskDefinition: string;
  /** The registered revision, once known. */
  taskDefinition?: string;
  /**
   * Whether `taskDefinition` has a container health check, once known (a revision never changes):
   * an environment that has not seen it reads it here rather than with DescribeTaskDefinition.
   */
  healthCheck?: boolean;
  /** A registration in flight: no other invocation registers until this passes. */
  registerLeaseUntil?: number;
  startedAt: number;
  failures: TaskFailure[];
  /** Failures past the first ones, counted by reason (lib/record-size.ts keeps the record small). */
  failuresBeyond?: FailuresBeyond;
  /** Gate alarms already in ALARM when the rollout started: ignored until they return to OK (as ECS does). */
  ignoredAlarms: string[];
  paused?: boolean;
  /** When it was paused: a pause stops the step's deadline clock. */
  pausedAt?: number;
  /** The service's count the steps are sized from, once the rollout changed the primary's count. */
  total?: number;
  /** The primary's count the rollout last asked for (past the surge the primary shrinks). */
  primaryCount?: number;
  /**
   * The primary took traffic through target groups when the rollout started: a task coming up then
   * starts nothing (its being in service does), so its event is dropped after the record's read
   * (lib/event-facts.ts taskEventMatters) in an environment that has no hint of the service.
   */
  loadBalanced?: true;
  /** The tasks the cluster has room for (both services), once a task of the rollout could not be placed (lib/rollout/capacity.ts). */
  room?: number;
  /**
   * The service's tasks (both services) running when the rollout began: the cluster held them, so
   * the room, once learned, is at least this (lib/rollout/capacity.ts roomFrom).
   */
  heldAtStart?: number;
  /** The most healthy canary tasks seen at the current step while trading capacity (its progress). */
  tradedHealthy?: number;
  /**
   * Weighted traffic (lib/rollout/weighted.ts): the canary's weight in percent the routes were last
   * set to (absent: 0), and, once promoted, that the canary's group has left the routes.
   */
  canaryWeight?: number;
  canaryDetached?: true;
  /**
   * Weighted traffic: the cluster had no room for the canary to grow to the count at promotion, so
   * the primary switches in the whole room, as ECS's rolling update does (lib/rollout/weighted.ts
   * switchInWholeRoom).
   */
  wholeRoomSwitch?: true;
  /** When the pipeline first saw the primary on the revision (the 100% step). */
  promotedAt?: number;
  /**
   * ECS failed the primary's deployment of the revision on placement alone and rolled it back: the
   * promotion is tried once more within the room it taught (lib/rollout/capacity.ts retryWithinRoom).
   * `deployment` is the failed one's id, which ECS's verdict then leaves out.
   */
  placementRetry?: { at: number; deployment: string };
  /** A revision a person deployed to the primary during the rollout: the rollout waits (paused). */
  heldFor?: string;
  /**
   * Under ECS's strategies: when `resume` after a person's deploy started ECS's deployment over
   * (lib/rollout/commands.ts), its steps reached and told again from the first.
   */
  restartedAt?: number;
  /** Gate alarms seen with data (OK or ALARM) during the rollout. */
  gatesWithData?: string[];
  /** Gate alarms told once as not watching (INSUFFICIENT_DATA through the first step). */
  quietGates?: string[];
  /** Gate alarms told once as too slow to fire within the rollout's bakes (lib/gate-speed.ts). */
  slowGates?: string[];
  /** Gate alarms told once as blind to a weighted canary's target group (lib/gate-reach.ts). */
  blindGates?: string[];
  /** The approval gate the rollout waits at (lib/rollout/approval.ts): the step it would take next. */
  approval?: ApprovalWait;
  /** Who let the rollout through an approval gate or a freeze, and when. */
  approvals?: Approval[];
  /**
   * ECS's own deployment of the revision (strategy ecs-*): its service deployment ARN once seen, and
   * what was last observed of it (lib/rollout/ecs-native.ts). The hook answers from this (lib/hook.ts).
   */
  ecsDeployment?: EcsDeploymentState;
  /** Set once a rollback was decided: the rollout stays until the service is back on the good revision. */
  rollingBack?: {
    reason: string;
    at: number;
    toTaskDefinition: string;
    /** Set once the rollback ran past its deadline and a person was told. */
    overdueAt?: number;
    /**
     * The cluster had no room for the new revision's tasks: the owner's deploymentConfiguration is
     * put back at once (lib/owner-settings.ts), as all-at-once's room does not exist there either.
     */
    capacity?: true;
  };
}

/** A gate waiting for a person: since when, when nobody deciding means the timeout's verdict. */
export interface ApprovalWait {
  /** The index of the step that waits to be taken. */
  step: number;
  since: number;
  timesOutAt: number;
  /** Set once it timed out under `onApprovalTimeout: hold` (and a person was told). */
  heldAt?: number;
}

/** A person's yes: through the approval gate of `step`, or through a freeze (`gate: 'freeze'`). */
export type Approval = { by: string; at: number } & ({ gate: 'step'; step: number } | { gate: 'freeze' });

/** A push that waits for a freeze window to end (lib/freeze.ts). */
export interface FrozenPush {
  /** Names it on Slack buttons (as a rollout's id does). */
  id: string;
  image: ImageRef;
  /** A deploy by hand: not held back by the tag policy or an earlier rollback when it goes. */
  forced: boolean;
  since: number;
  /** When it goes: the freeze's end as last computed; the tick (or a wake-up) reconciles it then. */
  until: number;
}

export interface EcsDeploymentState {
  /** The service deployment ARN (`…:service-deployment/<cluster>/<service>/<id>`). */
  arn: string;
  /** Its target service revision: the hook's `targetServiceRevisionArn` for this deployment. */
  revisionArn?: string;
  /** ServiceDeployment status and lifecycleStage, as last observed. */
  status?: string;
  stage?: string;
  /** Production traffic on the new revision, in percent, as last observed. */
  weight?: number;
}

export type Outcome = 'succeeded' | 'rolled_back' | 'superseded' | 'ignored' | 'aborted';

export interface RolloutSummary {
  id: string;
  image: ImageRef;
  strategy: StrategyKind;
  taskDefinition?: string;
  fromTaskDefinition?: string;
  /**
   * Where its rollback took the service, when not back to `fromTaskDefinition`: a person's
   * `rollback --to` during the rollout. `fromTaskDefinition` stays where it started, so a revision
   * forced in by hand does not read as "a rollout started from it" (known good).
   */
  backTo?: string;
  outcome: Outcome;
  reason: string;
  startedAt: number;
  endedAt: number;
  /** Each step: its share, when it began and (weighted traffic) when the routes moved to its share. */
  steps: { percent: number; reachedAt?: number; shiftedAt?: number }[];
  /** Weighted traffic: the share was set by listener weights, not by the tasks. */
  weighted?: true;
  failures: TaskFailure[];
  failuresBeyond?: FailuresBeyond;
  /** Who approved its gates (or its deploy during a freeze), and when. */
  approvals?: Approval[];
}

export interface ServiceRecord {
  /** `cluster/service` */
  key: string;
  cluster: string;
  service: string;
  version: number;
  /** Set by the store on each write: tells a write that landed (its answer lost) from a concurrent one. */
  writeId?: string;
  /** The last revision seen healthy at steady state, or the last rollout that succeeded. */
  lastGood?: { taskDefinition: string; image?: ImageRef; since: number };
  rollout?: Rollout;
  /** Newest last, bounded. */
  history: RolloutSummary[];
  /** Digests rolled back, so a duplicate event does not deploy them again. Bounded. */
  badDigests: Record<string, { reason: string; at: number }>;
  /** Slack messages decided but not yet delivered, oldest first; see lib/outbox-entry.ts. Bounded. */
  outbox?: OutboxEntry[];
  /** The last error that needed a person, so a repeating one is told once an hour, not on every tick. */
  lastError?: { message: string; at: number };
  /** The last look for pushes whose event was lost, and the push time up to which they are known. */
  pushCheck?: { at: number; since: number };
  /** A push that came during a rollback: it starts once the rollback has finished. */
  queuedPush?: { image: ImageRef; forced: boolean };
  /** A push that came during a freeze window: it goes when the window ends, or when a person approves. */
  frozenPush?: FrozenPush;
  /** Alarm-driven scaling: the service's target total, cooldowns and the alarms firing (lib/scaling.ts). */
  scaling?: ScalingState;
  /** The owner's deploymentConfiguration while all-at-once has it changed (lib/owner-settings.ts). */
  ownerSettings?: OwnerSettings;
  /** A target whose reconciles keep failing: backed off, told when it persists (lib/pipeline.ts). */
  failing?: Failing;
  /**
   * Stops of the rollout's tasks that events told and no decision has counted yet, newest version
   * first, bounded (lib/event-facts.ts foldTaskFacts): an event's reconcile lists only running tasks.
   */
  taskFacts?: TaskView[];
  /**
   * The gate alarms' states as last read from CloudWatch (at a push, by the sweep) with their
   * events folded in, newest state per alarm (lib/event-facts.ts foldGates).
   */
  gates?: AlarmView[];
  /** One reconcile of this service at a time (lib/lease.ts). */
  lease?: { owner: string; until: number; again?: boolean };
  /** The one wake-up scheduled for this record (lib/wake.ts): a message for another moment is stale. */
  wake?: { at: number; why: string };
}

export interface OwnerSettings {
  deploymentConfiguration: DeploymentConfiguration;
  /** The rollout that changed them. */
  rolloutId: string;
  savedAt: number;
}

export interface Failing {
  /** The first failure of this run of failures. */
  since: number;
  /** Failures in a row. */
  count: number;
  /** Not reconciled by the tick before this (events still are: they may bring what fixes it). */
  nextAt: number;
  message: string;
  /** When a person was told, once it persisted. */
  toldAt?: number;
}

export const HISTORY_LIMIT = 25;
export const BAD_DIGEST_LIMIT = 50;

export function newRecord(cluster: string, service: string): ServiceRecord {
  return { key: `${cluster}/${service}`, cluster, service, version: 0, history: [], badDigests: {} };
}

export function summarize(
  rollout: Rollout,
  outcome: Outcome,
  reason: string,
  endedAt: number,
): RolloutSummary {
  return {
    id: rollout.id,
    image: rollout.image,
    strategy: rollout.strategy,
    taskDefinition: rollout.taskDefinition,
    fromTaskDefinition: rollout.fromTaskDefinition,
    outcome,
    reason,
    startedAt: rollout.startedAt,
    endedAt,
    steps: rollout.steps.map((s) => ({
      percent: s.percent,
      reachedAt: s.startedAt,
      ...(s.shiftedAt !== undefined && { shiftedAt: s.shiftedAt }),
    })),
    ...(rollout.canaryWeight !== undefined && { weighted: true as const }),
    failures: rollout.failures,
    ...(rollout.failuresBeyond && { failuresBeyond: rollout.failuresBeyond }),
    ...(rollout.approvals && { approvals: rollout.approvals }),
  };
}

/** Appends to history and trims it: the record must stay far below DynamoDB's 400 KB item limit. */
export function withHistory(record: ServiceRecord, summary: RolloutSummary): ServiceRecord {
  return { ...record, history: [...record.history, summary].slice(-HISTORY_LIMIT) };
}

export function withBadDigest(
  record: ServiceRecord,
  digest: string,
  reason: string,
  at: number,
): ServiceRecord {
  const entries = Object.entries({ ...record.badDigests, [digest]: { reason, at } })
    .sort((a, b) => a[1].at - b[1].at)
    .slice(-BAD_DIGEST_LIMIT);
  return { ...record, badDigests: Object.fromEntries(entries) };
}
