/**
 * The pipeline: every trigger goes the same way.
 *
 *   event -> parseTrigger (lib/triggers.ts) -> the targets it concerns (no AWS call for a service
 *         we don't manage; an event that cannot change a decision is dropped, lib/event-facts.ts)
 *         -> for each target (`eachTarget`): reconcile (lib/reconcile.ts): read the record, look,
 *            decide (lib/decide.ts), commit (conditional write), act (lib/act.ts), again
 *
 * Here: one handler per trigger (onPush, onServiceEvent, onAlarm, onQueue for wake-ups and pushes
 * handed on, onTick for the sweep, lifecycleHook), and what every target gets whatever woke it: a
 * failure caught, backed off and told, and Slack's outbox sent once all are acted on.
 *
 * Slack: a decision's notices go into the record's outbox in the same write as the decision, and
 * are sent once every target of the trigger has been acted on (lib/slack/deliver.ts), so a slow
 * or failing Slack never holds back an action. The sweep sends whatever is still waiting.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { LifecycleHookSettings } from './act.ts';
import type { Clients } from './aws.ts';
import { serviceOf } from './canary-service.ts';
import {
  type Config,
  matchesGateAlarm,
  type TargetConfig,
  targetFor,
  targetsForRepository,
  webhooksFor,
} from './config.ts';
import type { Action, Trigger } from './decide.ts';
import { isPermanent, TransientError } from './errors.ts';
import { dropBeforeCalls, mergeTasks, taskEventMatters, taskViewOf, type Verdict } from './event-facts.ts';
import { handOnMessages, handOnTargets } from './hand-on.ts';
import { HOOK_RECHECK_S, type HookAnswer, hookAnswer, parseHookInput } from './hook.ts';
import { nextFailing, tellFailing, withoutLease } from './lease.ts';
import { log } from './log.ts';
import {
  dueForCheck,
  missedImages,
  newestPush,
  PUSH_EVENT_GRACE_MS,
  type pushTimes,
  type repositoryImages,
} from './missed-pushes.ts';
import { type Notice, noticeSetting } from './notice.ts';
import type { AlarmView } from './observation.ts';
import { ObserveMemory, scalingAlarmsInAlarm, UnknownServiceError } from './observe.ts';
import { serviceEventWorthALook } from './observe-rules.ts';
import { type Heard, Reconcile, type ReconcileParts } from './reconcile.ts';
import type { ImageRef, ServiceRecord } from './record.ts';
import { closeRollout, retireCanary, targetRemoved } from './retire.ts';
import { budget, deliver, leaseForDelivery, queue, type Slack } from './slack/deliver.ts';
import { ConflictError, CorruptRecordError, type RecordStore, type RepositoryMark } from './store.ts';
import { sweepReconciles } from './sweep.ts';
import { batchReason, groupTaskEvents, type TaskBatchItem } from './task-batch.ts';
import { type ParsedTrigger, parseTrigger, type TaskEventFacts, type TaskTrigger } from './triggers.ts';
import { wakeLooksInFull, wakeReadsGates } from './wake.ts';
import { type Waker, WakingStore } from './waker.ts';

export interface PipelineOptions {
  clients: Clients;
  store: RecordStore;
  config: Config;
  /** The clock: Date.now in Lambda, the virtual clock locally. */
  now?: () => number;
  /** Told of every notice once its decision is committed (the report, and Slack's outbox). */
  onNotice?: (notice: Notice, target: TargetConfig) => void;
  /** Told of every action just before it is performed (the report, invariants). */
  onAction?: (action: Action, target: TargetConfig) => void;
  /** Where notices are told (lib/slack); without it none are queued. */
  slack?: Slack;
  /**
   * How a repository's images are listed (lib/missed-pushes.ts), with `clients.ecr`: given only
   * where missed pushes are looked for (the tick), so the other functions bundle no ECR client.
   */
  repositoryImages?: typeof repositoryImages;
  /** How same-second pushes are ordered by ECR's imagePushedAt (lib/missed-pushes.ts), likewise. */
  pushTimes?: typeof pushTimes;
  /** Where each record's next wake-up goes (lib/waker.ts); without it only events and the sweep wake it. */
  waker?: Waker;
  /** The lifecycle hook ECS invokes for the ecs-* strategies, and the role it invokes it with. */
  lifecycleHook?: LifecycleHookSettings;
  /**
   * When the pipeline began to watch, no later than its deploy (in Lambda the package's time,
   * AUTOPILOT_PACKAGED_AT; locally the world's time when it is attached): the sweep's first look
   * at a repository treats what was pushed after it and never seen as missed. Absent: the first
   * look only records where it looked.
   */
  deployedAt?: number;
}

/** One invocation of handleEvent: its time left, and the Slack leases its reconciles took for it. */
interface Invocation {
  remainingMs: () => number;
  ownLeases: Set<string>;
}

export type HandleStatus = 'done' | 'unmanaged' | 'invalid' | 'ignored' | 'error';
export interface HandleResult {
  status: HandleStatus;
  reason?: string;
  services?: string[];
  /** Services not started for lack of time: a push hands them on (lib/hand-on.ts), else the tick picks them up. */
  deferred?: string[];
  /** Services whose reconcile failed with an error retrying may fix (a push hands them on, later). */
  retry?: string[];
  /** Wake-up messages to be delivered again (Lambda's SQS ReportBatchItemFailures response). */
  batchItemFailures?: { itemIdentifier: string }[];
}

const PUSH_CHECK_MARGIN_MS = 60_000;
/** A target is started only with this much of the invocation left: one reconcile fits in it. */
const DEFER_MARGIN_MS = 15_000;

/** The same error of a service is told again after this long (the tick would repeat it every minute). */
const ERROR_REPEAT_MS = 3_600_000;

export class Pipeline {
  readonly now: () => number;
  /** When this container last looked for missed pushes, per service (the record keeps it across containers). */
  private readonly pushChecks = new Map<string, number>();
  /**
   * Each invocation's time left, kept per invocation (set by handleEvent): Lambda runs one at a time
   * per container, but nothing here may depend on it (the local Lambda runs concurrent invocations
   * on one pipeline), or one invocation would defer on another's clock.
   */
  private readonly invocation = new AsyncLocalStorage<Invocation>();
  /** What observing learned that stays true a while (health checks, scalable targets): this pipeline's alone. */
  private readonly observed: ObserveMemory;
  constructor(readonly options: PipelineOptions) {
    this.now = options.now ?? Date.now;
    this.observed = new ObserveMemory(this.now);
    // Every write of a record schedules its next wake-up (lib/waker.ts).
    if (options.waker && !(options.store instanceof WakingStore)) {
      this.options = {
        ...options,
        store: new WakingStore(options.store, () => this.config, options.waker, this.now),
      };
    }
  }

  get config(): Config {
    return this.options.config;
  }

  /**
   * `remainingMs` is the invocation's time left (Lambda's getRemainingTimeInMillis): targets not
   * started before it runs low are handed on by a push (lib/hand-on.ts) and left to the tick by the
   * other triggers, so a big fan-out never dies at the timeout.
   */
  async handleEvent(
    event: unknown,
    remainingMs: () => number = () => Number.POSITIVE_INFINITY,
  ): Promise<HandleResult> {
    return this.invocation.run({ remainingMs, ownLeases: new Set() }, () => this.dispatch(event));
  }

  /** The running invocation's time left (none outside handleEvent: a command, the lifecycle hook). */
  private remainingMs(): number {
    return this.invocation.getStore()?.remainingMs() ?? Number.POSITIVE_INFINITY;
  }

  /**
   * The record a reconcile's last write stores, with the first Slack message due leased for this
   * invocation's delivery (lib/slack/outbox.ts firstToLease): that write takes the lease a
   * delivery would take in one of its own. Only inside an invocation (its `ownLeases`), and with
   * Slack. The token counts as this invocation's once the write has landed (`owned`).
   */
  private forDelivery(record: ServiceRecord): { record: ServiceRecord; owned?: () => void } {
    const slack = this.options.slack;
    const own = this.invocation.getStore()?.ownLeases;
    if (!slack || !own) return { record };
    const { record: leasing, taken } = leaseForDelivery(record, slack, this.now());
    return taken ? { record: leasing, owned: () => own.add(taken.lease!.token) } : { record };
  }

  private async dispatch(event: unknown): Promise<HandleResult> {
    const trigger = parseTrigger(event);
    switch (trigger.kind) {
      case 'invalid':
        log.warn('event.invalid', { reason: trigger.reason });
        return { status: 'invalid', reason: trigger.reason };
      case 'ignored':
        log.info('event.ignored', { reason: trigger.reason });
        return { status: 'ignored', reason: trigger.reason };
      case 'push':
        return this.onPush(trigger);
      case 'service':
        return this.onServiceEvent(trigger);
      case 'alarm':
        return this.onAlarm(trigger);
      case 'tick':
        return this.onTick();
      case 'wake':
        return this.onQueue(trigger);
      case 'tasks':
        return this.onTaskEvents(trigger);
    }
  }

  /**
   * A batch from the task event queue (lib/task-queue.ts): grouped by target (lib/task-batch.ts),
   * each event judged before any call (dropBeforeCalls), then per target one record read, each
   * remaining event judged with it (taskEventMatters), and one reconcile told every stop that
   * matters at once. A target whose reconcile failed with an error retrying may fix has its
   * messages come back (batchItemFailures); so does one left for lack of time. An unreadable
   * message is logged and acknowledged: retrying cannot mend it.
   */
  private async onTaskEvents(t: Extract<ParsedTrigger, { kind: 'tasks' }>): Promise<HandleResult> {
    const events: { id: string; event: TaskTrigger }[] = [];
    for (const m of t.messages) {
      if ('invalid' in m.event) log.warn('event.invalid', { messageId: m.id, reason: m.event.invalid });
      else if ('ignored' in m.event) log.info('event.ignored', { messageId: m.id, reason: m.event.ignored });
      else events.push({ id: m.id, event: m.event });
    }
    const { groups, unmanaged } = groupTaskEvents(this.config.targets, events);
    for (const u of unmanaged)
      log.info('event.unmanaged', { messageId: u.id, reason: `service ${u.service} is not managed` });
    if (groups.length === 0) return { status: 'done', services: [] };
    const byKey = new Map(groups.map((g) => [`${g.target.cluster}/${g.target.service}`, g]));
    const result = await this.eachTarget(
      groups.map((g) => g.target),
      async (target) => {
        const key = `${target.cluster}/${target.service}`;
        const items = byKey.get(key)!.items;
        const dropped = (item: TaskBatchItem, verdict: Verdict) => {
          if (verdict.matters) return false;
          log.info('event.dropped', {
            service: key,
            task: item.task.taskArn,
            version: item.task.version,
            reason: verdict.reason,
          });
          return true;
        };
        // The events that cannot change a decision cost no call (lib/event-facts.ts) ...
        const hint = this.observed.hints.get(key);
        const left = items.filter((i) => !dropped(i, dropBeforeCalls(i.task, hint, i.of, target)));
        if (left.length === 0) return undefined;
        // ... or one record read for all of them.
        const record = await this.options.store.get(target.cluster, target.service);
        const matter = left.filter((i) => !dropped(i, taskEventMatters(i.task, record, i.of, target)));
        if (matter.length === 0) return undefined;
        // The stops are folded into the record: the reconcile lists running tasks only.
        const stops = mergeTasks(
          [],
          matter.filter((i) => stopping(i.task)).map((i) => taskViewOf(i.task)),
        );
        const reason = batchReason(matter.map((i) => i.detail));
        return this.reconcile(target, { kind: 'reconcile', reason }, record, { tasks: stops });
      },
      false,
    );
    const again = new Set([...(result.retry ?? []), ...(result.deferred ?? [])]);
    const failed = [...again].flatMap((k) => byKey.get(k)?.ids ?? []).map((id) => ({ itemIdentifier: id }));
    if (again.size > 0)
      log.warn('tasks.again', { services: [...again], reason: 'SQS delivers their events again' });
    return { ...result, ...(failed.length > 0 && { batchItemFailures: failed }) };
  }

  /**
   * The wake queue's batch: its wake-ups first (one service each), then the pushes handed on
   * (lib/hand-on.ts), which take what time is left and hand on their own rest.
   */
  private async onQueue(t: Extract<ParsedTrigger, { kind: 'wake' }>): Promise<HandleResult> {
    const woken = await this.onWake(t);
    if (!t.handOns) return woken;
    const failed = [...(woken.batchItemFailures ?? [])];
    const services = [...(woken.services ?? [])];
    for (const m of t.handOns) {
      const { image, tries = 0 } = m.handOn;
      const targets = handOnTargets(this.config, m.handOn);
      log.info('push.handed.on', { tag: image.tag, digest: image.digest, services: targets.length, tries });
      try {
        const result = await this.eachTarget(
          targets,
          (target) => this.reconcile(target, { kind: 'push', image, handedOn: true }),
          false,
        );
        services.push(...(result.services ?? []));
        await this.handOn(image, result, tries);
      } catch (e) {
        // Its rest not handed on: the message comes back after the queue's visibility timeout, and
        // the services it reached take it again as a duplicate push.
        log.error('push.handOn.failed', { digest: image.digest, error: e as Error });
        failed.push({ itemIdentifier: m.id });
      }
    }
    return { status: 'done', services, ...(failed.length > 0 && { batchItemFailures: failed }) };
  }

  /**
   * Sends a push on (lib/hand-on.ts handOnMessages): the services this invocation did not reach at
   * once, those that failed with an error retrying may fix after a back-off. A send that fails
   * throws: the invocation fails and the push comes again (Lambda's retry, or the message).
   */
  private async handOn(image: ImageRef, result: HandleResult, tries: number): Promise<void> {
    const messages = handOnMessages(image, result.deferred ?? [], result.retry ?? [], tries);
    const dropped = (result.retry ?? []).filter((k) => !messages.some((m) => m.handOn.services.includes(k)));
    if (dropped.length > 0)
      log.error('push.handOn.exhausted', {
        digest: image.digest,
        services: dropped,
        reason: `failed ${tries + 1} times: left to the sweep's missed-push check`,
      });
    const waker = this.options.waker;
    if (messages.length === 0) return;
    if (!waker) throw new TransientError(`${messages.length} hand-ons and no wake queue to send them to`);
    for (const { handOn, delaySeconds } of messages) {
      try {
        await waker.handOn(handOn, delaySeconds);
      } catch (e) {
        throw new TransientError(
          `handing on ${handOn.services.length} targets failed: ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      }
      log.info('push.handOn', {
        tag: image.tag,
        services: handOn.services,
        delaySeconds,
        tries: handOn.tries,
      });
    }
  }

  /**
   * Wake-up messages (lib/waker.ts): each is for the moment its record waits for, or stale. A stale
   * one (the record has moved on) is dropped after one GetItem; one for a moment past SQS's 15
   * minutes is sent on; one that is due reconciles its service, as an event would.
   */
  private async onWake(t: Extract<ParsedTrigger, { kind: 'wake' }>): Promise<HandleResult> {
    const failed: { itemIdentifier: string }[] = [];
    const services: string[] = [];
    for (const m of t.messages) {
      if ('invalid' in m.wake) {
        log.warn('wake.invalid', { messageId: m.id, reason: m.wake.invalid });
        continue;
      }
      const { service: key, at } = m.wake;
      const [cluster, service] = key.split('/') as [string, string];
      const target = targetFor(this.config, cluster, service);
      if (!target) {
        log.info('wake.unmanaged', { service: key, reason: 'not a target in the config' });
        continue;
      }
      try {
        const record = await this.options.store.get(cluster, service);
        if (record.wake?.at !== at) {
          log.debug('wake.stale', { service: key, at: new Date(at).toISOString() });
          continue;
        }
        const now = this.now();
        if (at > now) {
          await this.options.waker?.schedule(key, at, now);
          continue;
        }
        services.push(key);
        // A permanent error is told (lib/pipeline.ts queueError) and acknowledged; a transient one
        // throws, and the message comes back after the queue's visibility timeout. So does one
        // left for lack of time: acknowledged, it would wait for the sweep.
        const done = await this.eachTarget([target], async (tg) => {
          const reason = `wake: ${record.wake?.why}`;
          // At a bake's end the gates are read, not trusted from events (lib/wake.ts wakeReadsGates);
          // a step still waiting at its recheck or deadline is looked at in full (wakeLooksInFull).
          const heard = {
            readGates: wakeReadsGates(record.wake?.why),
            sweep: wakeLooksInFull(record.wake?.why),
          };
          return this.rewake(await this.reconcile(tg, { kind: 'reconcile', reason }, record, heard));
        });
        if (done.deferred?.length) {
          log.warn('wake.deferred', {
            service: key,
            reason: 'the invocation ran out of time: SQS delivers it again',
          });
          failed.push({ itemIdentifier: m.id });
        }
      } catch (e) {
        log.error('wake.failed', { service: key, error: e as Error });
        failed.push({ itemIdentifier: m.id });
      }
    }
    return { status: 'done', services, ...(failed.length > 0 && { batchItemFailures: failed }) };
  }

  /**
   * A reconcile woken for a moment that changed nothing (a scale-out held by its cooldown) leaves
   * the record's wake-up in the past: written again, it gets its next one (lib/waker.ts).
   */
  private async rewake(record: ServiceRecord): Promise<ServiceRecord> {
    if (record.wake === undefined || record.wake.at > this.now()) return record;
    try {
      return await this.options.store.put(record);
    } catch (e) {
      // Someone else wrote it meanwhile, and that write scheduled its wake-up.
      if (!(e instanceof ConflictError)) throw e;
      return record;
    }
  }

  private async onPush(t: Extract<ParsedTrigger, { kind: 'push' }>): Promise<HandleResult> {
    const targets = targetsForRepository(this.config, t.repository);
    if (targets.length === 0) {
      log.info('event.unmanaged', {
        repository: t.repository,
        reason: 'no target is fed by this repository',
      });
      return { status: 'unmanaged', reason: `no target is fed by repository ${t.repository}` };
    }
    if (!t.tag) {
      log.info('push.ignored', { repository: t.repository, digest: t.digest, reason: 'untagged push' });
      return { status: 'ignored', reason: 'untagged push' };
    }
    const image: ImageRef = {
      repository: t.repository,
      tag: t.tag,
      digest: t.digest,
      uri: `${t.registry}/${t.repository}@${t.digest}`,
      ...(t.pushedAt !== undefined ? { pushedAt: t.pushedAt } : {}),
    };
    // With a wake queue, the targets not reached, and those that failed with an error retrying may
    // fix, go on to other invocations (lib/hand-on.ts): Lambda's retry of the whole push is for a
    // hand-on that could not be sent.
    const handsOn = this.options.waker !== undefined;
    const result = await this.eachTarget(
      targets,
      (target) => this.reconcile(target, { kind: 'push', image }),
      !handsOn,
    );
    if (handsOn) {
      await this.handOn(image, result, 0);
      const handed = (result.deferred?.length ?? 0) + (result.retry?.length ?? 0);
      return result.status === 'done' && handed > 0 ? { ...result, reason: `${handed} handed on` } : result;
    }
    // Without a wake queue, the tick's missed-push check finds them; without it, Lambda's retry must bring them.
    const unchecked = targets.filter(
      (t) => result.deferred?.includes(`${t.cluster}/${t.service}`) && t.missedPushCheckMs <= 0,
    );
    if (unchecked.length > 0) {
      throw new TransientError(
        `out of time before ${unchecked.length} targets without missedPushCheck; retrying the push`,
      );
    }
    return result;
  }

  private async onServiceEvent(t: Extract<ParsedTrigger, { kind: 'service' }>): Promise<HandleResult> {
    const { primary: primaryName, of } = serviceOf(t.service);
    const targets = this.config.targets.filter(
      (target) => target.service === primaryName && (t.cluster === undefined || target.cluster === t.cluster),
    );
    if (targets.length === 0)
      return { status: 'unmanaged', reason: `service ${t.cluster ?? '?'}/${t.service} is not managed` };
    const task = t.task;
    const dropped = (target: TargetConfig, verdict: Verdict) => {
      if (verdict.matters) return false;
      log.info('event.dropped', {
        service: `${target.cluster}/${target.service}`,
        task: task?.taskArn,
        version: task?.version,
        reason: verdict.reason,
      });
      return true;
    };
    return this.eachTarget(targets, async (target) => {
      // A task event that cannot change a decision costs no call (lib/event-facts.ts) ...
      const hint = this.observed.hints.get(`${target.cluster}/${target.service}`);
      if (task && dropped(target, dropBeforeCalls(task, hint, of, target))) return undefined;
      const record = await this.options.store.get(target.cluster, target.service);
      // ... or only the record's read; deployment events also teach what is known good.
      if (task && dropped(target, taskEventMatters(task, record, of, target))) return undefined;
      const look = task ? undefined : serviceEventWorthALook(t.detail, record, of);
      if (look && !look.worth) {
        log.info('event.dropped', { service: record.key, event: t.detail, reason: look.reason });
        return undefined;
      }
      // A stop is folded into the record: the reconcile lists running tasks only (its stops are told).
      const stop = task && stopping(task) ? [taskViewOf(task)] : [];
      // A stop sent straight here (lib/rules.ts ecs-task-failing) also comes through the task event
      // queue (ecs-task's pattern holds every failing task): its batch counts it should this lose a race.
      // ECS's word that a service is steady may start a waiting step's bake on its counts.
      const steady = !task && t.at !== undefined && STEADY_WORDS.has(t.detail);
      return this.reconcile(target, { kind: 'reconcile', reason: t.detail }, record, {
        tasks: stop,
        queueBringsAgain: stop.length > 0,
        ...(steady && { steady: { of, at: t.at! } }),
      });
    });
  }

  private async onAlarm(t: Extract<ParsedTrigger, { kind: 'alarm' }>): Promise<HandleResult> {
    const scales = (target: TargetConfig) =>
      target.scaling?.rules.some((r) => r.alarm === t.alarmName) ?? false;
    const targets = this.config.targets.filter(
      (target) => matchesGateAlarm(target, t.alarmName) || scales(target),
    );
    if (targets.length === 0) {
      return { status: 'unmanaged', reason: `alarm ${t.alarmName} gates and scales no target` };
    }
    return this.eachTarget(targets, async (target) => {
      // A gate alarm matters only while a rollout runs; a scaling alarm always.
      const record = await this.options.store.get(target.cluster, target.service);
      if (!scales(target) && !record.rollout) return undefined;
      // The state the event told is folded into the record's gates: no DescribeAlarms for it.
      // An OK (or INSUFFICIENT_DATA) that says it left ALARM tells that ALARM too, should its own
      // event be lost: foldGates keeps it as missed unless the record held it (a flap's ALARM).
      const leftAlarm = t.state !== 'ALARM' && t.previousState === 'ALARM' && t.previousAt !== undefined;
      const gate: AlarmView = {
        name: t.alarmName,
        state: t.state as AlarmView['state'],
        reason: t.reason,
        ...(t.at !== undefined ? { at: t.at } : {}),
        // A state change event is sent when the state changes: its time is when the state began.
        ...(t.at !== undefined && t.previousState !== undefined && t.previousState !== t.state
          ? { began: t.at }
          : {}),
        ...(leftAlarm
          ? { missedAlarm: { at: t.previousAt!, reason: t.previousReason ?? '', by: 'left' as const } }
          : {}),
      };
      const gates = matchesGateAlarm(target, t.alarmName) && t.at !== undefined ? [gate] : [];
      return this.reconcile(
        target,
        { kind: 'reconcile', reason: `alarm ${t.alarmName} ${t.state}` },
        record,
        { gates, readGates: t.at === undefined },
      );
    });
  }

  /**
   * ECS's lifecycle hook (lib/hook.ts): reconcile the service now (a failure seen now stops ECS's
   * deployment in this invocation), then answer from its record. Never throws: an error answers
   * IN_PROGRESS (ECS asks again) and is handled as any reconcile's (logged, backed off, told).
   */
  async lifecycleHook(event: unknown): Promise<HookAnswer> {
    const input = parseHookInput(event);
    if ('error' in input) {
      // Not a payload of ECS's: nothing to hold (the pipeline's own watch still stops a failing deployment).
      log.error('hook.invalid', { reason: input.error });
      return { hookStatus: 'SUCCEEDED' };
    }
    const target = this.config.targets.find(
      (t) => t.cluster === input.cluster && t.service === input.service,
    );
    if (!target) {
      log.info('hook.unmanaged', { service: `${input.cluster}/${input.service}` });
      return { hookStatus: 'SUCCEEDED' };
    }
    let record: ServiceRecord | undefined;
    await this.eachTarget(
      [target],
      async (t) => {
        record = await this.reconcile(t, { kind: 'reconcile', reason: 'lifecycle hook' });
        return record;
      },
      false,
    );
    const answer: HookAnswer = record
      ? hookAnswer(record, input)
      : { hookStatus: 'IN_PROGRESS', callBackDelay: HOOK_RECHECK_S * 2 };
    log.info('hook.answered', {
      service: `${input.cluster}/${input.service}`,
      revision: input.targetServiceRevisionArn,
      stage: record?.rollout?.ecsDeployment?.stage,
      ...answer,
    });
    return answer;
  }

  /**
   * The sweep (the schedule of functions/tick.ts, every `sweep`) finishes what lost events and lost
   * wake-ups left: it reads only the records with work outstanding (one Query of the sparse index,
   * lib/store.ts), reconciles every rollout in flight, every scaling alarm still in ALARM and every
   * record whose wake-up is overdue, and sends what Slack has not taken yet. It also looks for
   * pushes whose event was lost, and for scaling alarms in ALARM that no record heard of: one whose
   * event was lost, or one already in ALARM when the pipeline was deployed, sends no state change
   * until it changes again, and the service would wait out the overload unscaled.
   */
  private async onTick(): Promise<HandleResult> {
    const found = await this.options.store.outstanding();
    let records = await this.catchUpOnPushes(found.records, found.marks);
    records = await this.retireRemovedTargets(records);
    const now = this.now();
    // A record a lost event or wake-up may have left (lib/sweep.ts); one failing waits out its back-off.
    const busy = records.filter((r) => sweepReconciles(r, now));
    const byKey = new Map(busy.map((r) => [r.key, r]));
    const targets = busy
      .map((r) => targetFor(this.config, r.cluster, r.service))
      .filter((t): t is TargetConfig => t !== undefined);
    targets.push(...(await this.unheardScaling(new Set(byKey.keys()))));
    const result = await this.eachTarget(
      targets,
      // The sweep observes everything from AWS (a lost event is repaired here), from the record the
      // index returned (a record changed since makes its write conflict, and then it reads again).
      async (target) => {
        const known = byKey.get(`${target.cluster}/${target.service}`);
        const record = await this.reconcile(target, { kind: 'reconcile', reason: 'sweep' }, known, {
          sweep: true,
        });
        return this.rewake(record);
      },
      false,
    );
    const reconciled = new Set(targets.map((t) => `${t.cluster}/${t.service}`));
    await this.deliver(records.filter((r) => !reconciled.has(r.key)));
    return result;
  }

  /**
   * The services the sweep does not reconcile already whose scaling alarm is in ALARM: an ALARM
   * whose event was lost, or that was there before the pipeline was deployed, is told by nothing
   * else while the alarm stays there (a record that heard it
   * keeps it in `scaling.firing`, and is reconciled anyway). One DescribeAlarms per 100 scaling
   * alarms per sweep, only when a target scales; a failed read waits for the next sweep.
   */
  private async unheardScaling(reconciled: Set<string>): Promise<TargetConfig[]> {
    const scaling = this.config.targets.filter(
      (t) => t.scaling && !reconciled.has(`${t.cluster}/${t.service}`),
    );
    if (scaling.length === 0) return [];
    let firing: Set<string>;
    try {
      firing = await scalingAlarmsInAlarm(
        this.options.clients,
        scaling.flatMap((t) => t.scaling!.rules.map((r) => r.alarm)),
      );
    } catch (e) {
      log.warn('scaling.check.failed', { error: e as Error });
      return [];
    }
    return scaling.filter((t) => t.scaling!.rules.some((r) => firing.has(r.alarm)));
  }

  /**
   * A rollout of a target taken out of autopilot.yml is not dropped with its canary up: the canary
   * is scaled to 0 and deleted and the rollout closed (lib/retire.ts). Returns the records, updated.
   */
  private async retireRemovedTargets(records: ServiceRecord[]): Promise<ServiceRecord[]> {
    const out: ServiceRecord[] = [];
    for (const record of records) {
      if (!record.rollout || targetFor(this.config, record.cluster, record.service)) {
        out.push(record);
        continue;
      }
      // Routed as the config's own notifications say; the target's own settings went with it.
      const removed = { cluster: record.cluster, service: record.service } as TargetConfig;
      try {
        out.push(await this.retire(record, removed, targetRemoved(record.key)));
      } catch (e) {
        log.error('pipeline.error', { service: record.key, error: e as Error });
        out.push(record);
      }
    }
    return out;
  }

  /**
   * Pushes whose event was lost (lib/missed-pushes.ts): each due target's repository is listed, and
   * images the record never saw are handed over as pushes. Returns the records as they now stand.
   */
  private async catchUpOnPushes(
    records: ServiceRecord[],
    marks: Map<string, RepositoryMark>,
  ): Promise<ServiceRecord[]> {
    const { store, clients } = this.options;
    const byKey = new Map(records.map((r) => [r.key, r]));
    // Only the tick has an ECR client (lib/aws.ts): the other functions never look for missed pushes.
    const ecr = clients.ecr;
    const list = this.options.repositoryImages;
    if (!ecr || !list) return records;
    const due = dueForCheck(this.config.targets, byKey, this.now(), this.pushChecks, marks);
    if (due.length === 0) return records;
    const region = await ecr.config.region();
    for (const repository of new Set(due.map((t) => t.repository))) {
      // Images are known up to the listing, less a minute for clocks that disagree (a known digest is skipped).
      const knownUpTo = this.now() - PUSH_CHECK_MARGIN_MS;
      let listed: Awaited<ReturnType<typeof repositoryImages>>;
      try {
        listed = await list({ ...clients, ecr }, repository);
      } catch (e) {
        log.warn('push.check.failed', { repository, error: e as Error });
        continue;
      }
      const targets = due.filter((t) => t.repository === repository);
      // An image pushed in the last moments is its own event's (PUSH_EVENT_GRACE_MS): not taken in
      // by this look, so the mark stays before it and the next look takes it if its event was lost.
      const until = this.now() - PUSH_EVENT_GRACE_MS;
      // Nothing pushed since the last look found its newest image: no record needs reading.
      const newest = newestPush(listed.images, until);
      const mark = marks.get(repository);
      if (mark && newest <= mark.newest) {
        for (const t of targets) this.pushChecks.set(`${t.cluster}/${t.service}`, this.now());
        continue;
      }
      let checked = true;
      for (const target of targets) {
        // Out of time: the rest stay due (their marks do not move), for the next sweep.
        if (this.remainingMs() < DEFER_MARGIN_MS) {
          checked = false;
          log.warn('push.check.deferred', { repository, reason: 'the invocation is running out of time' });
          break;
        }
        // One target's trouble (throttled, say) never stops the others' check; its mark does not
        // move, so its missed pushes are found at the next check.
        try {
          let record =
            byKey.get(`${target.cluster}/${target.service}`) ??
            (await store.get(target.cluster, target.service));
          // The first look starts from the deploy: images pushed before the pipeline watched are not
          // news, one pushed since whose event was lost is (the sweep may first run a period later).
          const since = record.pushCheck?.since ?? this.options.deployedAt;
          const missed = since === undefined ? [] : missedImages(listed.images, record, since, until);
          for (const m of missed) {
            const registry = `${listed.registry}.dkr.ecr.${region}.amazonaws.com`;
            const image: ImageRef = {
              repository,
              tag: m.tag,
              digest: m.digest,
              uri: `${registry}/${repository}@${m.digest}`,
              pushedAt: m.pushedAt,
            };
            log.warn('push.missed', {
              service: record.key,
              tag: m.tag,
              digest: m.digest,
              pushedAt: new Date(m.pushedAt).toISOString(),
            });
            try {
              record = await this.reconcile(target, { kind: 'push', image });
            } catch (e) {
              if (!isPermanent(e)) throw e;
              log.error('pipeline.error', { service: record.key, error: e as Error });
              // A refused push (lib/refusal.ts) is told as when its event came.
              record = (await this.queueError(target, e as Error)) ?? record;
            }
          }
          this.pushChecks.set(record.key, this.now());
          // The mark moves only when something was pushed since it: an idle repository costs no write.
          const pushedSince = listed.images.some(
            (i) => (i.imagePushedAt?.getTime() ?? 0) > (since ?? Number.NEGATIVE_INFINITY),
          );
          if (record.pushCheck === undefined || pushedSince)
            record = await this.markChecked(target, knownUpTo);
          byKey.set(record.key, record);
        } catch (e) {
          checked = false;
          log.error('push.check.failed', {
            service: `${target.cluster}/${target.service}`,
            error: e as Error,
          });
        }
      }
      // Every target has seen what the repository holds: the next look reads records only if
      // something newer is there. A target that failed its check keeps the mark where it was.
      if (
        checked &&
        targets.length === this.config.targets.filter((t) => t.repository === repository).length
      ) {
        try {
          await store.putMark(repository, { newest, at: this.now() });
        } catch (e) {
          log.warn('push.check.failed', { repository, error: e as Error });
        }
      }
    }
    return [...byKey.values()];
  }

  /**
   * Commits the time of this check and the push time up to which images are known. Never before the
   * deploy: a first check within a minute of it would otherwise move the mark back over images pushed
   * before the pipeline watched, and the next check (its `since` inclusive) would take them for missed.
   */
  private async markChecked(target: TargetConfig, since: number): Promise<ServiceRecord> {
    const { store } = this.options;
    const floor = this.options.deployedAt ?? 0;
    for (let attempt = 0; ; attempt++) {
      const record = await store.get(target.cluster, target.service);
      try {
        return await store.put({
          ...record,
          pushCheck: { at: this.now(), since: Math.max(since, record.pushCheck?.since ?? floor) },
        });
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= 3) throw e;
      }
    }
  }

  /**
   * Runs `fn` for each target, then sends what their records queued for Slack, also when one failed.
   * One failing target never holds back the others: its error is caught, logged and recorded on its
   * record with a back-off (told to a person when it persists); an event's invocation is retried by
   * Lambda afterwards (`rethrow`), the tick's is not (it comes again in a minute).
   */
  private async eachTarget(
    targets: TargetConfig[],
    fn: (target: TargetConfig) => Promise<ServiceRecord | undefined>,
    rethrow = true,
  ): Promise<HandleResult> {
    let failed: string | undefined;
    let transient: Error | undefined;
    let deferred: string[] | undefined;
    const retry: string[] = [];
    const touched: ServiceRecord[] = [];
    try {
      for (const [i, target] of targets.entries()) {
        if (this.remainingMs() < DEFER_MARGIN_MS) {
          deferred = targets.slice(i).map((t) => `${t.cluster}/${t.service}`);
          log.warn('invocation.deferred', {
            reason: 'the invocation is running out of time',
            services: deferred,
          });
          break;
        }
        const service = `${target.cluster}/${target.service}`;
        try {
          const record = await fn(target);
          if (record) touched.push(record.failing ? await this.recovered(record) : record);
        } catch (e) {
          failed = (e as Error).message;
          log.error('pipeline.error', { service, error: e as Error });
          if (isPermanent(e)) {
            const record = await this.queueError(target, e as Error);
            if (record) touched.push(record);
            continue;
          }
          // Throttled, unavailable, a race lost again and again: this target only, backed off.
          transient ??= e as Error;
          retry.push(service);
          const record = await this.noteFailure(target, e as Error);
          if (record) touched.push(record);
        }
      }
    } finally {
      await this.deliver(touched);
    }
    if (transient && rethrow) throw transient;
    const services = targets.map((t) => `${t.cluster}/${t.service}`);
    const again = retry.length > 0 ? { retry } : {};
    if (failed) return { status: 'error', reason: failed, services, ...(deferred && { deferred }), ...again };
    return deferred
      ? { status: 'done', reason: `${deferred.length} left to the tick`, services, deferred }
      : { status: 'done', services };
  }

  /**
   * A target's reconcile failed with an error retrying may fix: recorded on its record with a
   * back-off the tick respects (lib/lease.ts), and told to a person once it persists. Best effort:
   * the store may be what fails.
   */
  private async noteFailure(target: TargetConfig, error: Error): Promise<ServiceRecord | undefined> {
    const { store } = this.options;
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const record = await store.get(target.cluster, target.service);
        const now = this.now();
        const failing = nextFailing(record.failing, error.message, now);
        const tell = tellFailing(failing, now);
        const next = tell
          ? this.queueNotices(
              { ...record, failing: { ...failing, toldAt: now } },
              [
                {
                  kind: 'blocked',
                  reason: `${record.key} has failed ${failing.count} times in a row since ${new Date(failing.since).toISOString()}: ${error.message}`,
                },
              ],
              target,
            )
          : { ...record, failing };
        if (tell) log.error('target.failing', { service: record.key, ...failing });
        try {
          return await store.put(next);
        } catch (e) {
          if (!(e instanceof ConflictError)) throw e;
        }
      }
    } catch (e) {
      log.warn('target.failing.unrecorded', {
        service: `${target.cluster}/${target.service}`,
        error: e as Error,
      });
    }
    return undefined;
  }

  /** A target that was failing reconciled again: its back-off is cleared (best effort). */
  private async recovered(record: ServiceRecord): Promise<ServiceRecord> {
    const { failing: _failing, ...rest } = record;
    try {
      const written = await this.options.store.put(rest);
      log.info('target.recovered', { service: record.key, after: record.failing?.count });
      return written;
    } catch {
      return record;
    }
  }

  /** Sends what is due from each record's outbox. Slack's troubles are logged, never thrown. */
  private async deliver(records: ServiceRecord[]): Promise<void> {
    const { slack, store } = this.options;
    if (!slack) return;
    const spend = budget();
    for (const record of records) {
      if (!record.outbox?.length) continue;
      try {
        await deliver(store, record, slack, this.now, spend, this.invocation.getStore()?.ownLeases);
      } catch (e) {
        log.warn('notification.error', { service: record.key, error: e as Error });
      }
    }
  }

  /** The record with `notices` in its outbox, routed as the config says. */
  private queueNotices(record: ServiceRecord, notices: Notice[], target: TargetConfig): ServiceRecord {
    const slack = this.options.slack;
    if (!slack || notices.length === 0) return record;
    const route = (kind: Notice['kind']) =>
      webhooksFor(this.config, target, noticeSetting(kind), slack.defaultWebhook);
    return queue(record, notices, route, this.now());
  }

  /** An error that needs a person goes to Slack too: once, and again hourly while it repeats. */
  private async queueError(target: TargetConfig, error: Error): Promise<ServiceRecord | undefined> {
    if (!this.options.slack || error instanceof CorruptRecordError) return undefined;
    const { store } = this.options;
    for (let attempt = 0; attempt < 3; attempt++) {
      const record = await store.get(target.cluster, target.service);
      const last = record.lastError;
      if (last?.message === error.message && this.now() - last.at < ERROR_REPEAT_MS) return record;
      const queued = this.queueNotices(record, [{ kind: 'blocked', reason: error.message }], target);
      try {
        return await store.put({ ...queued, lastError: { message: error.message, at: this.now() } });
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
      }
    }
    return undefined;
  }

  /**
   * Observe, decide, commit, act; again until the decision asks for nothing (lib/reconcile.ts).
   * Returns the last record. One reconcile of a service acts at a time, and never on a superseded
   * decision (lib/lease.ts).
   */
  async reconcile(
    target: TargetConfig,
    first: Trigger,
    known?: ServiceRecord,
    heard: Heard = {},
  ): Promise<ServiceRecord> {
    const o = this.options;
    const parts: ReconcileParts = {
      clients: o.clients,
      store: o.store,
      now: this.now,
      memory: this.observed,
      ...(o.lifecycleHook && { lifecycleHook: o.lifecycleHook }),
      ...(o.pushTimes && { pushTimes: o.pushTimes }),
      ...(o.onAction && { onAction: o.onAction }),
      queueNotices: (record, notices, t) => this.queueNotices(record, notices, t),
      forDelivery: (record) => this.forDelivery(record),
      tellNotices: (key, notices, t) => this.tellNotices(key, notices, t),
      retire: (record, t, reason) => this.retire(record, t, reason),
    };
    return new Reconcile(parts, target, first, known, heard).run();
  }

  /** Notices of a decision just committed: logged, and told (the report, Slack's outbox is in the record). */
  private tellNotices(key: string, notices: Notice[], target: TargetConfig): void {
    for (const notice of notices) {
      const topic = notice.kind === 'scaled' ? 'scaling' : 'rollout';
      // `blocked` needs a person (Slack tells it as an error): scaling stood aside, a rollback is
      // overdue, a person's deploy paused a rollout, a gate is not watching.
      if (notice.kind === 'blocked') log.error('pipeline.blocked', noticeFields(key, notice));
      else log.info(`${topic}.${notice.kind}`, noticeFields(key, notice));
      this.options.onNotice?.(notice, target);
    }
  }

  /** Retires the rollout of a service that is gone (lib/retire.ts): the canary first, then the record. */
  private async retire(record: ServiceRecord, target: TargetConfig, reason: string): Promise<ServiceRecord> {
    const { store, clients } = this.options;
    await retireCanary(clients, record.cluster, record.service);
    for (let attempt = 0; ; attempt++) {
      const { record: closed, notices } = closeRollout(record, reason, this.now());
      if (notices.length === 0) return record;
      try {
        const written = await store.put(withoutLease(this.queueNotices(closed, notices, target)));
        for (const notice of notices) {
          log.warn(`rollout.${notice.kind}`, noticeFields(record.key, notice));
          this.options.onNotice?.(notice, target);
        }
        return written;
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= 3) throw e;
        record = await store.get(record.cluster, record.service);
      }
    }
  }

  /** Applies a person's command (CLI) through the same records and conditional writes. */
  async command(cluster: string, service: string, command: Extract<Trigger, { kind: 'command' }>['command']) {
    const target = targetFor(this.config, cluster, service);
    if (!target) throw new UnknownServiceError(`${cluster}/${service} is not a target in the config`);
    // A person's command reads the gate alarms from AWS, not what alarm events told so far: an
    // approval or a promotion clicked while a gate alarm has just gone to ALARM (its event not yet
    // handled) must roll back, not first move the failing canary on (held-out
    // scenarios/held-out/approvals/gate-failing-canary.yml).
    const record = await this.reconcile(target, { kind: 'command', command }, undefined, { readGates: true });
    await this.deliver([record]);
    return record;
  }
}

/** A task ECS stops or has stopped: its event is folded into the record (lib/event-facts.ts foldTaskFacts). */
const stopping = (t: TaskEventFacts) => t.desiredStatus === 'STOPPED';

/** ECS's service events that say the service is steady: its tasks healthy, at the desired count. */
const STEADY_WORDS = new Set(['SERVICE_DEPLOYMENT_COMPLETED', 'SERVICE_STEADY_STATE']);

/**
 * ECR's imagePushedAt of each image, by digest (DescribeImages; an image no longer there is left
 * out). Source: ECR API DescribeImages, ImageDetail.imagePushedAt.
 */
function noticeFields(service: string, n: Notice): Record<string, unknown> {
  switch (n.kind) {
    case 'ignored':
      return { service, tag: n.image.tag, digest: n.image.digest, reason: n.reason };
    case 'rolled_back':
      return { service, tag: n.rollout.image.tag, reason: n.reason, to: n.toTaskDefinition };
    case 'step':
      return {
        service,
        tag: n.rollout.image.tag,
        step: n.stepIndex + 1,
        percent: n.percent,
        canaryTasks: n.canaryTasks,
      };
    case 'superseded':
      return { service, tag: n.rollout.image.tag, by: n.by.tag };
    case 'scaled':
      return { service, from: n.from, to: n.to, alarm: n.alarm.name, reason: n.reason };
    case 'blocked':
      return { service, reason: n.reason };
    case 'approved':
      return {
        service,
        tag: n.image.tag,
        by: n.by,
        ...(n.stepIndex !== undefined && { step: n.stepIndex + 1 }),
      };
    case 'frozen':
      return { service, tag: n.image.tag, digest: n.image.digest, until: new Date(n.until).toISOString() };
    default:
      return { service, tag: n.rollout.image.tag, digest: n.rollout.image.digest };
  }
}
