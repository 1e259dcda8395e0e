/**
 * The pipeline: every trigger goes the same way.
 *
 *   event -> parseTrigger -> the targets it concerns (no AWS call for a service we don't manage)
 *         -> for each: read record -> observe -> decide -> commit (conditional) -> act -> again
 *
 * The record is committed before acting: if the invocation dies between two calls, the next one
 * (a retry, the next event, or the one-minute tick) observes what was done and decides again.
 * A lost race on the record re-reads and re-decides.
 */
import type { Clients } from './aws.ts';
import { CANARY_SUFFIX } from './canary.ts';
import {
  type Config,
  matchesGateAlarm,
  type TargetConfig,
  targetFor,
  targetsForRepository,
} from './config.ts';
import { type Action, decide, type Notice, type Trigger } from './decide.ts';
import { act, observe, UnknownServiceError } from './ecs.ts';
import { log } from './log.ts';
import type { ImageRef, ServiceRecord } from './record.ts';
import { RevisionError } from './revision.ts';
import { ConflictError, CorruptRecordError, type RecordStore } from './store.ts';
import { type ParsedTrigger, parseTrigger } from './triggers.ts';

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
}

export type HandleStatus = 'done' | 'unmanaged' | 'invalid' | 'ignored' | 'error';
export interface HandleResult {
  status: HandleStatus;
  reason?: string;
  services?: string[];
}

/** Rounds of observe-decide-act per trigger before leaving the rest to the next event or tick. */
const MAX_ROUNDS = 12;

/** Errors that retrying cannot fix: logged, acknowledged, and shown to a person. */
const PERMANENT = [UnknownServiceError, RevisionError, CorruptRecordError];

export class Pipeline {
  readonly now: () => number;
  constructor(readonly options: PipelineOptions) {
    this.now = options.now ?? Date.now;
  }

  get config(): Config {
    return this.options.config;
  }

  async handleEvent(event: unknown): Promise<HandleResult> {
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
    };
    return this.forEach(targets, (target) => this.reconcile(target, { kind: 'push', image }));
  }

  private async onServiceEvent(t: Extract<ParsedTrigger, { kind: 'service' }>): Promise<HandleResult> {
    const primaryName = t.service.endsWith(CANARY_SUFFIX)
      ? t.service.slice(0, -CANARY_SUFFIX.length)
      : t.service;
    const targets = this.config.targets.filter(
      (target) => target.service === primaryName && (t.cluster === undefined || target.cluster === t.cluster),
    );
    if (targets.length === 0)
      return { status: 'unmanaged', reason: `service ${t.cluster ?? '?'}/${t.service} is not managed` };
    return this.forEach(targets, async (target) => {
      // A task event matters only while a rollout runs; deployment events also teach what is known good.
      if (t.source === 'task') {
        const record = await this.options.store.get(target.cluster, target.service);
        if (!record.rollout) return;
      }
      await this.reconcile(target, { kind: 'reconcile', reason: t.detail });
    });
  }

  private async onAlarm(t: Extract<ParsedTrigger, { kind: 'alarm' }>): Promise<HandleResult> {
    const targets = this.config.targets.filter((target) => matchesGateAlarm(target, t.alarmName));
    if (targets.length === 0) return { status: 'unmanaged', reason: `alarm ${t.alarmName} gates no target` };
    return this.forEach(targets, async (target) => {
      const record = await this.options.store.get(target.cluster, target.service);
      if (!record.rollout) return;
      await this.reconcile(target, { kind: 'reconcile', reason: `alarm ${t.alarmName} ${t.state}` });
    });
  }

  /** The one-minute tick finishes what lost events left: every record with a rollout in flight. */
  private async onTick(): Promise<HandleResult> {
    const records = await this.options.store.list();
    const busy = records.filter((r) => r.rollout);
    const targets = busy
      .map((r) => targetFor(this.config, r.cluster, r.service))
      .filter((t): t is TargetConfig => t !== undefined);
    return this.forEach(targets, (target) => this.reconcile(target, { kind: 'reconcile', reason: 'tick' }));
  }

  private async forEach(
    targets: TargetConfig[],
    fn: (target: TargetConfig) => Promise<unknown>,
  ): Promise<HandleResult> {
    let failed: string | undefined;
    for (const target of targets) {
      try {
        await fn(target);
      } catch (e) {
        if (!PERMANENT.some((cls) => e instanceof cls)) throw e;
        failed = (e as Error).message;
        log.error('pipeline.error', { service: `${target.cluster}/${target.service}`, error: e as Error });
      }
    }
    const services = targets.map((t) => `${t.cluster}/${t.service}`);
    return failed ? { status: 'error', reason: failed, services } : { status: 'done', services };
  }

  /** Observe, decide, commit, act; again until the decision asks for nothing. Returns the last record. */
  async reconcile(target: TargetConfig, first: Trigger): Promise<ServiceRecord> {
    const { store, clients } = this.options;
    let trigger = first;
    let learned: { revisionForDigest?: string } = {};
    let record = await store.get(target.cluster, target.service);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const observed = await observe(clients, target, record, learned);
      const decision = decide(record, observed.observation, target, trigger, this.now());
      if (decision.skipped) log.info('decision.skipped', { service: record.key, reason: decision.skipped });
      const changed = JSON.stringify(decision.record) !== JSON.stringify(record);
      if (changed) {
        try {
          record = await store.put(decision.record);
        } catch (e) {
          if (!(e instanceof ConflictError)) throw e;
          log.info('record.conflict', { service: record.key, round });
          record = await store.get(target.cluster, target.service);
          continue;
        }
      }
      for (const notice of decision.notices) {
        log.info(`rollout.${notice.kind}`, noticeFields(record.key, notice));
        this.options.onNotice?.(notice, target);
      }
      if (decision.actions.length === 0 && !changed) return record;
      learned = {};
      for (const action of decision.actions) {
        this.options.onAction?.(action, target);
        log.info('action', { service: record.key, ...action });
        const got = await act(clients, target, observed.primary, action);
        if (got.revisionForDigest) learned = { revisionForDigest: got.revisionForDigest };
      }
      trigger = { kind: 'reconcile', reason: 'after acting' };
    }
    log.warn('reconcile.unfinished', { service: record.key, rounds: MAX_ROUNDS });
    return record;
  }

  /** Applies a person's command (CLI) through the same records and conditional writes. */
  async command(cluster: string, service: string, command: Extract<Trigger, { kind: 'command' }>['command']) {
    const target = targetFor(this.config, cluster, service);
    if (!target) throw new UnknownServiceError(`${cluster}/${service} is not a target in the config`);
    return this.reconcile(target, { kind: 'command', command });
  }
}

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
    default:
      return { service, tag: n.rollout.image.tag, digest: n.rollout.image.digest };
  }
}
