/**
 * What must hold whatever goes wrong, checked continuously while a scenario runs: every virtual
 * second (the ECS model, read in-process), after every invocation of the pipeline (its records,
 * read straight from dynalite, past the fault layer), and once more at the end.
 *
 *   const checker = new InvariantChecker(world, pipeline, hooks);
 *   checker.start();                // after attachPipeline (and applyFaults), before the clock moves
 *   ...
 *   const violations = await checker.finish();   // [] when everything held
 *
 * The invariants (names as in `Violation.invariant`):
 * - min-healthy: a managed service never has fewer healthy tasks (RUNNING, and healthy as the ECS
 *   scheduler counts them; during a rollout, its canary's too) than minimumHealthyPercent of its
 *   desired count allows (during a rollout, of the service's total, which a canary serves beside a
 *   primary that gave tasks up), once it first reached that, except while a rollback runs (the
 *   pipeline's or the circuit breaker's; then, until the primary is back at its count, of the tasks
 *   it served when the rollback ended). A task lost to its own failure (it crashed, failed to
 *   start or failed its health checks) counts as serving for OWN_FAILURE_GRACE_MS after it failed:
 *   that loss is the image's, and the pipeline's answer to it is the rollback (a rolling update
 *   whose new tasks all crash once the old ones are gone leaves none healthy before anyone can act).
 * - one-rollout: at most one rollout per service in progress: a rollout starts only once the
 *   previous one ended (succeeded, rolled back, or superseded in the same decision).
 * - rollout-deadline: every rollout leaves the record (ends) within its deadlines: registration and
 *   each step within stepDeadline, each bake, plus a grace for retries, ticks and convergence;
 *   the time a rollout waits at an approval gate is a person's, not counted; a step trading
 *   capacity on a full cluster counts its deadline from its last healthy task gained.
 * - one-revision-per-digest: one task-definition revision per (family, image digest).
 * - no-canary-after-rollout: no canary task running, and the canary's desired count 0, once no
 *   rollout is in progress (after a grace for tasks that are stopping; while the record holds the
 *   lease of a holder that died, until the first sweep after it expires, plus that grace).
 * - scaling-bounds: desired counts within bounds. The primary within the target's scaling min..max
 *   (or the desired count it had, or a person gave it, without scaling), less what a step past
 *   maxSurge takes from it; the canary at most the tasks of its largest step within maxSurge.
 *   Hook: `scalingBounds`.
 * - notification-once: every notice told once: none twice, and one per fact the record keeps
 *   (a started, a step reached, an end). Slack is being built; hook: `notifications`.
 * - image-policy: a managed service's main container runs only its starting image, one a person
 *   deployed by hand, or an image of the configured repository, by digest, pushed with a tag the
 *   policy accepts; sidecars keep theirs.
 * - secret-leak: hook (`secrets`, `outputs`): no secret (the webhook URL) in any output.
 */

import { canaryServiceName } from '../../lib/canary-service.ts';
import { sweepMsOf, type TargetConfig } from '../../lib/config.ts';
import { knows } from '../../lib/missed-pushes.ts';
import type { Notice } from '../../lib/notice.ts';
import type { ServiceRecord } from '../../lib/record.ts';
import { DIGEST_TAG, definitionShape } from '../../lib/revision.ts';
import {
  promotionSwitch,
  rolloutRoom,
  rolloutTotal,
  servingFloor,
  stepTargets,
} from '../../lib/rollout-math.ts';
import { evaluateTag } from '../../lib/tag-policy.ts';
import type { LocalPipeline } from '../pipeline.ts';
import type { Service, Task, TaskDefinition as TaskDefinitionModel } from '../services/ecs/model.ts';
import type { World } from '../world.ts';

export type InvariantName =
  | 'min-healthy'
  | 'one-rollout'
  | 'rollout-deadline'
  | 'one-revision-per-digest'
  | 'no-canary-after-rollout'
  | 'scaling-bounds'
  | 'notification-once'
  | 'image-policy'
  | 'secret-leak';

export interface Violation {
  /** Virtual ISO time at which it was seen. */
  at: string;
  invariant: InvariantName;
  /** `cluster/service` */
  service: string;
  detail: string;
}

/** One notification as the notifier (Slack) reports it: delivered once, or reported failed. */
export interface NotificationDelivery {
  /** What names it in a violation (its text). */
  id: string;
  /** Copies Slack took. */
  delivered: number;
  /** Copies explained by a window the notifier documents (killed before recording the send, an answer too late). */
  excused?: number;
  /** How many notifications share this id (the same text twice). Default 1. */
  expected?: number;
  /** Given up and reported (a revoked webhook, 24 h of failures). */
  failed: boolean;
}

export interface InvariantHooks {
  /** Desired-count bounds per service, once scaling exists. Default: see `scaling-bounds`. */
  scalingBounds?: (
    target: TargetConfig,
    role: 'primary' | 'canary',
    primaryDesired: number,
  ) => { min: number; max: number } | undefined;
  /** The notifier's deliveries (Slack): each delivered once, or reported failed. */
  notifications?: () => NotificationDelivery[] | Promise<NotificationDelivery[]>;
  /** Secrets that must never appear in any output (the Slack webhook URL). */
  secrets?: () => string[];
  /** Every output to search for secrets: log lines, the report as JSON, notices. */
  outputs?: () => string[];
  /** Grace beyond a rollout's own deadlines (Lambda retries, ticks, ECS convergence). Default 10 min. */
  graceMs?: number;
  /** How long canary tasks may keep running after a rollout ended (stopping tasks). Default 90 s. */
  canaryGraceMs?: number;
  /** Virtual time between two samples of ECS. Default 1 s. */
  sampleEveryMs?: number;
}

interface OpenRollout {
  id: string;
  service: string;
  startedAt: number;
  deadline: number;
}

export class InvariantChecker {
  private readonly violations: Violation[] = [];
  /** Conditions currently violated, so one lasting problem is reported once. */
  private readonly active = new Set<string>();
  private readonly recordsByKey = new Map<string, ServiceRecord>();
  /** Counts seen out of bounds at the last sample, reported if the next one still sees them so. */
  private readonly outOfBounds = new Set<string>();
  private noticesSeen = 0;
  /** Rollouts by id from their `started` notice, until the record no longer holds them. */
  private readonly rollouts = new Map<string, OpenRollout>();
  /** Per service, the rollouts the notices say are in progress. */
  private readonly inProgress = new Map<string, Set<string>>();
  private readonly told = new Map<string, number>();
  /** When each notice was last told (a restarted ECS deployment tells its steps again). */
  private readonly toldAt = new Map<string, number>();
  /** Services whose first deployment (before the pipeline's time) has become healthy. */
  private readonly healthyOnce = new Set<string>();
  private readonly idleCanarySince = new Map<string, number>();
  /** When the sweep repairs what a dead holder left (its lease's end plus one sweep), per service. */
  private readonly idleCanaryRepair = new Map<string, number>();
  private readonly startingImages = new Map<string, Set<string>>();
  /** pushedTags' index of the event log: tags by `repository@digest`, and how far it has read. */
  private readonly pushes = new Map<string, string[]>();
  private pushesScanned = 0;
  private readonly startingDesired = new Map<string, number>();
  /** The primary's revision at the last sample. */
  private readonly lastRevision = new Map<string, string>();
  /** The largest desired count whose minimum the service has reached since it last grew. */
  private readonly reachedCount = new Map<string, number>();
  /** The primary's desired count at the last sample. */
  private readonly lastDesired = new Map<string, number>();
  /** A count another hand gave the primary: the total before it, and when (the canary follows it). */
  private readonly countChanged = new Map<string, { from: number; at: number }>();
  /** Per service, its tasks lost to their own failure: ARN -> when they began to stop. */
  private readonly ownFailures = new Map<string, Map<string, number>>();
  private readonly overdue = new Set<string>();
  private cancelSampling?: () => void;
  private readonly unwrap: (() => void)[] = [];
  private readError?: string;

  constructor(
    readonly world: World,
    readonly pipeline: LocalPipeline,
    readonly hooks: InvariantHooks = {},
  ) {}

  private get targets(): TargetConfig[] {
    return this.pipeline.pipeline.config.targets;
  }

  /** Starts sampling: every virtual second, and after every invocation of the pipeline. */
  start(): void {
    for (const target of this.targets) {
      const key = `${target.cluster}/${target.service}`;
      const primary = this.service(target.cluster, target.service);
      if (primary) this.startingDesired.set(key, primary.desiredCount);
      const images = new Set<string>();
      for (const svc of [primary, this.service(target.cluster, canaryServiceName(target.service))]) {
        const td = svc && this.world.ecs.taskDefinitions.get(svc.taskDefinitionArn);
        for (const c of td?.body.containerDefinitions ?? []) images.add(`${c.name}=${c.image}`);
      }
      this.startingImages.set(key, images);
    }
    this.cancelSampling = this.world.clock.every(this.hooks.sampleEveryMs ?? 1000, () => this.sample());
    for (const [arn, fn] of [...this.world.functions]) {
      const wrapped = async (event: unknown) => {
        try {
          return await fn(event);
        } finally {
          await this.refresh();
          this.sample();
        }
      };
      this.world.functions.set(arn, wrapped);
      this.unwrap.push(() => {
        if (this.world.functions.get(arn) === wrapped) this.world.functions.set(arn, fn);
      });
    }
  }

  stop(): void {
    this.cancelSampling?.();
    this.cancelSampling = undefined;
    for (const u of this.unwrap.splice(0)) u();
  }

  /** Violations so far. */
  list(): Violation[] {
    return [...this.violations];
  }

  /** The records as last read. */
  records(): ServiceRecord[] {
    return [...this.recordsByKey.values()];
  }

  /** Work in progress that is not yet overdue: a rollout in a record, a message for Slack waiting. */
  busy(): boolean {
    // Slack's back-off reaches 5 minutes between attempts: messages keep the run going until sent
    // or given up (the scenario runner's cap ends a run that never settles).
    if (
      this.records().some(
        (r) => (r.rollout && !this.overdue.has(r.rollout.id)) || (r.outbox?.length ?? 0) > 0,
      )
    )
      return true;
    return this.unseenPushes().length > 0;
  }

  /** Pushes the pipeline has not heard of yet, while the sweep may still catch up on them (unheardPushes). */
  unseenPushes(): { service: string; digest: string; at: number }[] {
    const since = this.pipeline.pipeline.options.deployedAt ?? Number.NEGATIVE_INFINITY;
    return unheardPushes(this.world, this.targets, [...this.recordsByKey.values()], since);
  }

  /** The last checks, at the end of a run. Returns every violation seen. */
  async finish(): Promise<Violation[]> {
    await this.refresh();
    this.sample();
    for (const r of this.records()) {
      if (r.rollout) {
        const back = r.rollout.rollingBack;
        // A rollback past its rollbackDeadline tells a person once (lib/rollout/rollback.ts): say whether it did.
        const told = back?.overdueAt !== undefined ? `; a person was told at ${iso(back.overdueAt)}` : '';
        const state = back ? `rolling back (${back.reason}${told})` : `at step ${r.rollout.stepIndex + 1}`;
        this.report(
          'rollout-deadline',
          r.key,
          `rollout ${r.rollout.id} of ${r.rollout.image.tag} never ended: still ${state}`,
          `end:${r.rollout.id}`,
        );
      }
      this.checkToldOnce(r);
    }
    for (const n of (await this.hooks.notifications?.()) ?? []) {
      const expected = n.expected ?? 1;
      if (n.delivered - (n.excused ?? 0) > expected)
        this.report(
          'notification-once',
          '-',
          `"${clip(n.id)}" was delivered ${n.delivered} times${n.excused ? ` (${n.excused} explained)` : ''}`,
        );
      if (n.delivered === 0 && !n.failed)
        this.report('notification-once', '-', `"${clip(n.id)}" was neither delivered nor reported failed`);
    }
    const secrets = (this.hooks.secrets?.() ?? []).filter((s) => s.length > 0);
    if (secrets.length) {
      for (const [i, text] of (this.hooks.outputs?.() ?? []).entries()) {
        for (const s of secrets) {
          if (text.includes(s))
            this.report(
              'secret-leak',
              '-',
              `output ${i} contains a secret (${s.slice(0, 12)}…)`,
              `secret:${i}`,
            );
        }
      }
    }
    if (this.readError)
      this.report('notification-once', '-', `the records could not be read: ${this.readError}`);
    return this.list();
  }

  // ---- sampling -------------------------------------------------------------------------------

  private async refresh(): Promise<void> {
    try {
      // The runner's reads (local/pipeline.ts records()): past the HTTP endpoint, its interceptors
      // and call counts, straight to dynalite, with the SDK's retries (a kept connection dynalite
      // closed meanwhile answers ECONNRESET: seen once in a 400-task run).
      const all = await this.pipeline.records();
      this.recordsByKey.clear();
      for (const r of all) this.recordsByKey.set(r.key, r);
      this.readError = undefined;
    } catch (e) {
      // A corrupt record (a test writes one on purpose): keep the last good view.
      this.readError = (e as Error).message;
    }
  }

  private sample(): void {
    const now = this.world.now();
    this.readNotices(now);
    for (const target of this.targets) {
      const key = `${target.cluster}/${target.service}`;
      const record = this.recordsByKey.get(key);
      const primary = this.service(target.cluster, target.service);
      const canary = this.service(target.cluster, canaryServiceName(target.service));
      if (!primary) continue;
      this.checkMinHealthy(key, primary, record, canary);
      this.checkBounds(key, target, primary, canary, record);
      this.checkCanaryIdle(key, canary, record, now);
      this.checkDeadlines(key, record, now);
      this.followRevisionChanges(key, target, primary);
      this.checkImages(key, target, [primary, canary]);
    }
    this.checkRevisions();
  }

  private checkMinHealthy(
    key: string,
    primary: Service,
    record: ServiceRecord | undefined,
    canary: Service | undefined,
  ): void {
    const { minimumHealthyPercent } = primary.deploymentConfiguration;
    // A count that grows (a scale-out, a promotion giving the primary its tasks back) starts new
    // tasks: until the service first reaches the new count's minimum, the floor is the old count's.
    // The count the service wants: a rollout that lowered the primary's (past maxSurge, or to switch
    // on a full cluster) holds the service's total, which the canary's tasks serve beside it; judged
    // against the lowered count, a switch that left one task serving would pass (stranger8 13), and
    // so would a promotion serving 3 of 10 with a floor of 5 (stranger12 04).
    // A count the rollout did not ask for is a person's: the total then (lib/rollout-math.ts rolloutTotal).
    const rollout = record?.rollout;
    const wanted = Math.max(
      primary.desiredCount,
      rolloutTotal(rollout?.total, rollout?.primaryCount, primary.desiredCount),
    );
    const reached = this.reachedCount.get(key) ?? wanted;
    const floorCount = Math.min(wanted, reached);
    // A rollout on a full cluster (it learned its room) trades one task at a time: a task stops
    // before another can be placed, so the tasks serving may dip one under the room, whatever
    // minimumHealthyPercent says (lib/rollout-math.ts stepRound, lib/rollout/task-steps.ts shrinkCanary).
    const room = record?.rollout?.room;
    const minimum = Math.min(
      servingFloor(floorCount, minimumHealthyPercent),
      room !== undefined ? room - 1 : Number.POSITIVE_INFINITY,
    );
    // During a rollout the canary's healthy tasks serve the service's traffic too: past maxSurge the
    // primary gives up tasks the canary covers, and promotion brings them back as the canary shrinks.
    const serving = record?.rollout && canary ? [...canary.tasks].filter(isHealthy).length : 0;
    const primaryHealthy = [...primary.tasks].filter(isHealthy).length;
    const healthy = primaryHealthy + serving;
    // Reaching a new count takes the service's own desired tasks: a rolling update (ECS's, of the
    // primary or of the canary service) briefly runs a healthy old task beside its healthy
    // replacement, and that surplus, about to stop, must not count as the service having reached
    // a scale-out it is still starting tasks for.
    const settled =
      Math.min(primaryHealthy, primary.desiredCount) +
      (record?.rollout && canary ? Math.min(serving, canary.desiredCount) : 0);
    const failures = this.ownFailures.get(key) ?? new Map<string, number>();
    this.ownFailures.set(key, failures);
    for (const t of [...primary.tasks, ...(record?.rollout && canary ? canary.tasks : [])]) {
      if (t.failure !== undefined && t.desiredStatus === 'STOPPED' && !failures.has(t.arn))
        failures.set(t.arn, t.stoppingAt ?? this.world.now());
    }
    const lost = lostToOwnFailure([...failures.values()], this.world.now());
    for (const [arn, at] of failures) if (this.world.now() - at > OWN_FAILURE_GRACE_MS) failures.delete(arn);
    const full = servingFloor(wanted, minimumHealthyPercent);
    this.reachedCount.set(key, settled >= full ? wanted : floorCount);
    if (!this.healthyOnce.has(key)) {
      // The service's first deployment (before the pipeline's time) is not the pipeline's doing.
      if (healthy >= minimum && primary.desiredCount > 0) this.healthyOnce.add(key);
      return;
    }
    const rollingBack =
      record?.rollout?.rollingBack !== undefined ||
      primary.deployments.some((d) => d.rollbackTo !== undefined && d.rolloutState === 'IN_PROGRESS');
    const id = `min-healthy:${key}`;
    if (rollingBack) {
      // A rollback stops the failing revision's tasks at once and gives the primary its count back:
      // the floor is the primary's again, from the tasks it serves now, until it reaches its count.
      this.reachedCount.set(key, Math.min(floorCount, Math.min(primaryHealthy, primary.desiredCount)));
      this.active.delete(id);
      return;
    }
    if (healthy + lost >= minimum) {
      this.active.delete(id);
      return;
    }
    this.report(
      'min-healthy',
      key,
      `${healthy} healthy task(s), fewer than the ${minimum} that minimumHealthyPercent ${minimumHealthyPercent} of ${primary.desiredCount} allows (revision ${short(primary.taskDefinitionArn)}${record?.rollout ? `, rollout ${record.rollout.id} at step ${record.rollout.stepIndex + 1}` : ''})`,
      id,
    );
  }

  private checkBounds(
    key: string,
    target: TargetConfig,
    primary: Service,
    canary: Service | undefined,
    record?: ServiceRecord,
  ): void {
    const hook = this.hooks.scalingBounds;
    this.followCountChanges(key, target, primary);
    const start = this.startingDesired.get(key) ?? primary.desiredCount;
    // The service's total: the count it had (or a person gave it), or scaling's bounds when the
    // pipeline scales it. Within maxSurge the primary keeps the total; past it the primary shrinks
    // as the canary grows (lib/rollout-math.ts stepTargets).
    const low = target.scaling ? Math.min(target.scaling.min, start) : start;
    const high = target.scaling ? Math.max(target.scaling.max, start) : start;
    const surge = target.maxSurgePercent ?? 100;
    const steps = target.steps.filter((s) => s.percent < 100);
    // On a full cluster (the rollout learned its room) the steps share the room instead, and the
    // promotion switches the primary at the count the room allows (lib/rollout-math.ts promotionSwitch).
    const room = record?.rollout?.room;
    const stepMin = Math.min(low, ...steps.map((s) => stepTargets(low, s.percent, surge, room).primary));
    const { minimumHealthyPercent, maximumPercent } = primary.deploymentConfiguration;
    // promotionSwitch goes as low as one task when the canary's serving tasks fill the room (a
    // service scaled out past what the cluster holds cannot keep its floor while it switches): the
    // bound is its own, at the service's scaled total, which may be any count up to `high`.
    const switchMin =
      room === undefined
        ? stepMin
        : Math.min(
            ...[low, high].map(
              (total) =>
                promotionSwitch(
                  rolloutRoom(total, surge, room),
                  servingFloor(total, minimumHealthyPercent),
                  maximumPercent,
                  Math.min(total, stepTargets(total, steps.at(-1)?.percent ?? 0, surge, room).primary),
                  stepTargets(total, steps.at(-1)?.percent ?? 0, surge, room).canary,
                  minimumHealthyPercent,
                ).primary,
            ),
          );
    const primaryBounds = hook?.(target, 'primary', primary.desiredCount) ?? {
      min: Math.min(stepMin, switchMin),
      max: high,
    };
    this.bounded(key, 'primary', primary.desiredCount, primaryBounds);
    if (canary && canary.status === 'ACTIVE') {
      // By listener weights the canary grows to the primary's whole count at promotion (maxSurge does not apply).
      // A count another hand gave the primary reaches the pipeline by the scheduler's stops (their
      // events): until then the canary may still be sized for the total before it.
      const changed = this.countChanged.get(key);
      const sizedFor =
        changed && this.world.now() - changed.at <= COUNT_CHANGE_GRACE_MS
          ? Math.max(high, changed.from)
          : high;
      const largest =
        target.traffic === 'weighted'
          ? Math.max(1, sizedFor)
          : Math.max(1, ...steps.map((s) => stepTargets(sizedFor, s.percent, surge).canary));
      const bounds = hook?.(target, 'canary', primary.desiredCount) ?? { min: 0, max: largest };
      this.bounded(key, 'canary', canary.desiredCount, bounds);
    }
  }

  /** A count the pipeline did not ask for (a person's UpdateService, another scaler) is the new total. */
  private followCountChanges(key: string, target: TargetConfig, primary: Service): void {
    const seen = this.lastDesired.get(key);
    this.lastDesired.set(key, primary.desiredCount);
    if (seen === undefined || seen === primary.desiredCount) return;
    const asked = this.pipeline.actions.filter(
      (a) =>
        a.action.type === 'setCount' &&
        a.target.cluster === target.cluster &&
        a.target.service === target.service,
    );
    const last = asked.at(-1)?.action;
    if (last?.type === 'setCount' && last.desiredCount === primary.desiredCount) return;
    const from = this.startingDesired.get(key) ?? seen;
    this.countChanged.set(key, { from, at: this.world.now() });
    this.startingDesired.set(key, primary.desiredCount);
  }

  private bounded(key: string, role: string, desired: number, b: { min: number; max: number }): void {
    const id = `bounds:${key}:${role}`;
    if (desired >= b.min && desired <= b.max) {
      this.active.delete(id);
      this.outOfBounds.delete(id);
      return;
    }
    // The records are sampled a moment apart from ECS: the pipeline writes its decision (the room
    // it learned) and acts on ECS within one sample, so a count is judged out of bounds once the
    // record read after it still does not allow it (stranger7 17: the count of a trade, seen one
    // sample before the record that learned the room).
    if (!this.outOfBounds.has(id)) {
      this.outOfBounds.add(id);
      return;
    }
    this.report(
      'scaling-bounds',
      key,
      `the ${role}'s desired count is ${desired}, outside ${b.min}..${b.max}`,
      id,
    );
  }

  private checkCanaryIdle(
    key: string,
    canary: Service | undefined,
    record: ServiceRecord | undefined,
    now: number,
  ): void {
    const id = `canary:${key}`;
    const running = canary
      ? [...canary.tasks].filter((t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING').length
      : 0;
    const desired = canary && canary.status === 'ACTIVE' ? canary.desiredCount : 0;
    if (record?.rollout || (running === 0 && desired === 0)) {
      this.idleCanarySince.delete(key);
      this.idleCanaryRepair.delete(key);
      this.active.delete(id);
      return;
    }
    const since = this.idleCanarySince.get(key) ?? now;
    this.idleCanarySince.set(key, since);
    const grace = this.hooks.canaryGraceMs ?? 90_000;
    if (now - since < grace) return;
    // A holder that died between closing the rollout and scaling the canary in left its lease: the
    // first sweep after it expires decides again (lib/sweep.ts), so the canary may stand that long.
    // (Remembered past the repair: the tasks it stops take the same grace to go.)
    const config = this.pipeline.pipeline.config;
    if (record?.lease) this.idleCanaryRepair.set(key, record.lease.until + sweepMsOf(config));
    if (now < (this.idleCanaryRepair.get(key) ?? 0) + grace) return;
    const last = record?.history.at(-1);
    this.report(
      'no-canary-after-rollout',
      key,
      `no rollout in progress${last ? ` (the last, ${last.image.tag}, ${last.outcome})` : ''} but the canary has desired ${desired}, ${running} running, for ${Math.round((now - since) / 1000)}s`,
      id,
    );
  }

  private checkDeadlines(key: string, record: ServiceRecord | undefined, now: number): void {
    for (const open of this.rollouts.values()) {
      if (open.service !== key) continue;
      if (record && record.rollout?.id !== open.id) {
        this.rollouts.delete(open.id);
        this.inProgress.get(key)?.delete(open.id);
        continue;
      }
      if (record?.rollout?.approval) {
        // Waiting for a person (an approval gate) is not the pipeline's delay: its budget starts again after.
        open.deadline = Math.max(open.deadline, now + (open.deadline - open.startedAt));
        continue;
      }
      // Trading capacity on a full cluster: each healthy task gained starts the step's deadline
      // again (README, rule 4), so what is left of the budget counts from the step's last progress.
      const r = record?.rollout;
      const step = r?.steps[r.stepIndex];
      const target = this.targets.find((t) => `${t.cluster}/${t.service}` === key);
      if (r?.room !== undefined && step?.unhealthySince !== undefined && target)
        open.deadline = Math.max(open.deadline, step.unhealthySince + this.budget(target, r.stepIndex));
      if (now > open.deadline && !this.overdue.has(open.id)) {
        this.overdue.add(open.id);
        const r = record?.rollout;
        this.report(
          'rollout-deadline',
          key,
          `rollout ${open.id} started at ${iso(open.startedAt)} has not ended by its deadline ${iso(open.deadline)}${r ? (r.rollingBack ? ' (rolling back)' : ` (step ${r.stepIndex + 1})`) : ''}`,
          `deadline:${open.id}`,
        );
      }
    }
  }

  /**
   * A revision the pipeline did not ask for (a person's UpdateService, which the pipeline must not
   * undo) is the person's choice, as the starting one was: its images are allowed from then on.
   */
  private followRevisionChanges(key: string, target: TargetConfig, primary: Service): void {
    const arn = primary.taskDefinitionArn;
    if (this.lastRevision.get(key) === arn) return;
    this.lastRevision.set(key, arn);
    const asked = this.pipeline.actions.some(
      (a) =>
        a.target.cluster === target.cluster &&
        a.target.service === target.service &&
        (a.action.type === 'setPrimary' || a.action.type === 'startEcsDeployment') &&
        a.action.taskDefinition === arn,
    );
    if (asked) return;
    const images = this.startingImages.get(key) ?? new Set<string>();
    for (const c of this.world.ecs.taskDefinitions.get(arn)?.body.containerDefinitions ?? [])
      images.add(`${c.name}=${c.image}`);
    this.startingImages.set(key, images);
  }

  private checkImages(key: string, target: TargetConfig, services: (Service | undefined)[]): void {
    const starting = this.startingImages.get(key) ?? new Set<string>();
    const registry = this.world.ecr.registryHost;
    for (const svc of services) {
      if (!svc) continue;
      for (const task of svc.tasks) {
        if (task.lastStatus === 'STOPPED') continue;
        const main = target.container ?? task.containers[0]?.name;
        for (const c of task.containers) {
          if (starting.has(`${c.name}=${c.image}`)) continue;
          let ok = false;
          if (c.name === main && c.image.startsWith(`${registry}/${target.repository}@`)) {
            const digest = c.image.slice(c.image.indexOf('@') + 1);
            const tags = this.pushedTags(target.repository, digest);
            ok = tags.some((tag) => evaluateTag(target.tags, tag).ok);
          }
          if (!ok) {
            this.report(
              'image-policy',
              key,
              `${svc.name} runs ${c.name}=${c.image}: ${c.name === main ? 'not its starting image nor a pushed image of repository ' + target.repository + ' with a tag the policy accepts' : 'a sidecar whose image changed'}`,
              `image:${svc.name}:${c.name}:${c.image}`,
            );
          }
        }
      }
    }
  }

  /**
   * The tags pushed for `repository@digest`, from the world's event log. The log only grows, so
   * it is indexed as it grows: scanned whole for each running task at each sample, a 500-task run
   * spent three quarters of its time here (31 of 40 s).
   */
  private pushedTags(repository: string, digest: string): string[] {
    const log = this.world.eventLog;
    for (; this.pushesScanned < log.length; this.pushesScanned++) {
      const { event } = log[this.pushesScanned]!;
      if (event.source !== 'aws.ecr' || event['detail-type'] !== 'ECR Image Action') continue;
      const d = event.detail ?? {};
      if (d['action-type'] !== 'PUSH' || !d['image-tag']) continue;
      const k = `${d['repository-name']}@${d['image-digest']}`;
      this.pushes.set(k, [...(this.pushes.get(k) ?? []), d['image-tag']]);
    }
    return this.pushes.get(`${repository}@${digest}`) ?? [];
  }

  /**
   * One revision per digest and source: two revisions of a family for one digest are a registration
   * made twice, unless they differ beyond the image (two services sharing a family, each running a
   * revision of its own: stranger17 01, where staging rolled out prod's clone and lost its sidecar).
   */
  private checkRevisions(): void {
    const byDigest = new Map<string, TaskDefinitionModel[]>();
    for (const td of this.world.ecs.taskDefinitions.values()) {
      const digest = td.tags.find((t) => t.key === DIGEST_TAG)?.value;
      if (!digest) continue;
      const k = `${td.family}|${digest}`;
      byDigest.set(k, [...(byDigest.get(k) ?? []), td]);
    }
    for (const [k, all] of byDigest) {
      // Both run the digest in the target's container; any other difference (a sidecar's image, a
      // task size) makes them two clones of two sources.
      const shape = (td: TaskDefinitionModel) => definitionShape(td.body, null);
      const twice = all.filter((td, i) => all.some((other, j) => j !== i && shape(td) === shape(other)));
      if (twice.length < 2) continue;
      const revisions = twice.map((td) => `${td.family}:${td.revision}`);
      const [family, digest] = k.split('|');
      const service = this.targets.find((t) => this.familyOf(t) === family);
      this.report(
        'one-revision-per-digest',
        service ? `${service.cluster}/${service.service}` : family!,
        `${revisions.length} revisions for digest ${digest}: ${revisions.join(', ')}`,
        `revisions:${k}:${revisions.length}`,
      );
    }
  }

  private familyOf(target: TargetConfig): string | undefined {
    const svc = this.service(target.cluster, target.service);
    return svc ? this.world.ecs.taskDefinitions.get(svc.taskDefinitionArn)?.family : undefined;
  }

  // ---- notices --------------------------------------------------------------------------------

  private readNotices(_now: number): void {
    const notices = this.pipeline.notices;
    for (; this.noticesSeen < notices.length; this.noticesSeen++) {
      const { notice, target } = notices[this.noticesSeen]!;
      const key = `${target.cluster}/${target.service}`;
      // A resume after a person's deploy under ECS's strategies starts ECS's deployment over, and
      // its steps are reached, and told, again (lib/rollout/commands.ts resume).
      const told = noticeKey(notice);
      if (told) {
        // A resume after a person's deploy under ECS's strategies starts ECS's deployment over
        // (lib/rollout/commands.ts resume, `restartedAt`): its steps are reached, and told, again.
        const restarted = this.recordsByKey.get(key)?.rollout?.restartedAt;
        const before = this.toldAt.get(`${key}|${told.key}`);
        if (notice.kind === 'step' && restarted !== undefined && before !== undefined && before <= restarted)
          this.told.delete(`${key}|${told.key}`);
        this.toldAt.set(`${key}|${told.key}`, this.world.now());
        const n = (this.told.get(`${key}|${told.key}`) ?? 0) + 1;
        this.told.set(`${key}|${told.key}`, n);
        if (n > 1 && told.once)
          this.report(
            'notification-once',
            key,
            `notice ${told.key} told ${n} times`,
            `told:${key}|${told.key}:${n}`,
          );
      }
      const open = this.inProgress.get(key) ?? new Set<string>();
      this.inProgress.set(key, open);
      switch (notice.kind) {
        case 'started': {
          const others = [...open].filter((id) => id !== notice.rollout.id);
          if (others.length)
            this.report(
              'one-rollout',
              key,
              `rollout ${notice.rollout.id} (${notice.rollout.image.tag}) started while ${others.join(', ')} was in progress`,
              `one:${notice.rollout.id}`,
            );
          open.add(notice.rollout.id);
          this.rollouts.set(notice.rollout.id, {
            id: notice.rollout.id,
            service: key,
            startedAt: notice.rollout.startedAt,
            deadline: notice.rollout.startedAt + this.budget(target),
          });
          break;
        }
        case 'succeeded':
        case 'rolled_back':
        case 'superseded':
          open.delete(notice.rollout.id);
          break;
      }
    }
  }

  /** Every fact the final record keeps was told, once. */
  private checkToldOnce(record: ServiceRecord): void {
    const key = record.key;
    // Told: decided (onNotice), or taken by Slack from the outbox (a decision whose invocation died
    // after its commit is told by a later one, from the committed outbox).
    const sent = new Set(
      this.pipeline.delivered
        .filter((d) => d.service === key)
        .map((d) => noticeKey(d.notice)?.key)
        .filter((k): k is string => k !== undefined),
    );
    const count = (k: string) => (this.told.get(`${key}|${k}`) ?? 0) || (sent.has(k) ? 1 : 0);
    const ignored = new Map<string, number>();
    for (const h of record.history) {
      if (h.outcome === 'ignored') {
        ignored.set(h.image.digest, (ignored.get(h.image.digest) ?? 0) + 1);
        continue;
      }
      const expect = (k: string, what: string) => {
        if (count(k) === 0)
          this.report(
            'notification-once',
            key,
            `${what} of rollout ${h.id} (${h.image.tag}) was never told`,
            `never:${k}`,
          );
      };
      expect(`started:${h.id}`, 'the start');
      h.steps.forEach((s, i) => {
        if (s.reachedAt !== undefined) expect(`step:${h.id}:${i}`, `step ${i + 1}`);
      });
      const end =
        h.outcome === 'succeeded' ? 'succeeded' : h.outcome === 'superseded' ? 'superseded' : 'rolled_back';
      expect(`${end}:${h.id}`, `the end (${h.outcome})`);
    }
    if (record.rollout) {
      const r = record.rollout;
      if (count(`started:${r.id}`) === 0)
        this.report(
          'notification-once',
          key,
          `the start of rollout ${r.id} (${r.image.tag}) was never told`,
          `never:started:${r.id}`,
        );
    }
    // Ignored pushes: as many notices as history entries (the history keeps the last 25).
    for (const [digest, n] of ignored) {
      const toldN = count(`ignored:${digest}`);
      if (toldN < n)
        this.report(
          'notification-once',
          key,
          `${n - toldN} ignored push(es) of ${digest.slice(0, 19)} never told`,
          `ignored:${digest}`,
        );
    }
  }

  /** A rollout's budget: registration, then each step from `from` on (its deadline and bake), and a grace. */
  private budget(target: TargetConfig, from = 0): number {
    const steps = target.steps.slice(from).reduce((sum, s) => sum + target.stepDeadlineMs + s.bakeMs, 0);
    return target.stepDeadlineMs + steps + (this.hooks.graceMs ?? 10 * 60_000);
  }

  // ---- helpers --------------------------------------------------------------------------------

  private service(cluster: string, name: string): Service | undefined {
    const svc = this.world.ecs.clusters.get(cluster)?.services.get(name);
    return svc && svc.status !== 'INACTIVE' ? svc : undefined;
  }

  /**
   * Records a violation. `id` identifies the condition: while it stays active it is not reported
   * again; lasting conditions (`min-healthy`...) clear it when they hold again.
   */
  private report(invariant: InvariantName, service: string, detail: string, id?: string): void {
    const key = id ?? `${invariant}:${service}:${detail}`;
    if (this.active.has(key)) return;
    this.active.add(key);
    this.violations.push({ at: iso(this.world.now()), invariant, service, detail });
  }
}

/** What a notice tells, and whether it may be told only once. */
function noticeKey(n: Notice): { key: string; once: boolean } | undefined {
  switch (n.kind) {
    case 'started':
    case 'succeeded':
    case 'rolled_back':
    case 'superseded':
      return { key: `${n.kind}:${n.rollout.id}`, once: true };
    case 'step':
      return { key: `step:${n.rollout.id}:${n.stepIndex}`, once: true };
    case 'ignored':
      // Each ignored push is its own fact: counted against the history's entries, not for duplicates.
      return { key: `ignored:${n.image.digest}`, once: false };
    default:
      return undefined;
  }
}

/**
 * How long a task lost to its own failure counts as serving for min-healthy: long enough for the
 * pipeline to hear of it and roll back (its event, or a sweep a minute later when the event was
 * lost), short of what a stuck rollout would hide (rollout-deadline watches that).
 */
export const OWN_FAILURE_GRACE_MS = 2 * 60_000;

/**
 * How long after a count changed by another hand (a person's UpdateService, the owner's autoscaling)
 * the canary may still be sized for the total before it: the scheduler's stops and their events
 * (seconds), and one reconcile. The pipeline hears of such a count by those events (lib/event-facts.ts
 * primaryOwnedByPerson); a canary still oversized past this is flagged.
 */
export const COUNT_CHANGE_GRACE_MS = 60_000;

/**
 * The tasks lost to their own failure that still count as serving at `now`: those that failed
 * within OWN_FAILURE_GRACE_MS (at its end included).
 *
 *   failed at [0, 30 s], now 1 m        -> 2
 *   failed at [0, 30 s], now 2 m        -> 2   (the grace's last instant)
 *   failed at [0, 30 s], now 2 m 1 s    -> 1
 *   failed at [], now 5 m               -> 0
 */
export function lostToOwnFailure(failedAt: number[], now: number): number {
  return failedAt.filter((at) => now - at <= OWN_FAILURE_GRACE_MS).length;
}

function isHealthy(t: Task): boolean {
  return t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING' && t.healthySince !== undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();
const clip = (text: string) => (text.length > 80 ? `${text.slice(0, 79)}…` : text);
const short = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/**
 * Pushes to a target's repository since `since` that the pipeline has not heard of yet: no function
 * took the push's ECR event (best effort: it may be lost), and the target's record has neither
 * seen the digest nor committed a look in the repository after it (`pushCheck.at`, the sweep's
 * missed-push check). A run that ended with one would end before the repair the sweep promises
 * (within one `sweep`); one the sweep has looked past and still missed is the outcome's to report.
 * Targets that never look (`missedPushCheck: false`) are left out: nothing would catch up.
 */
export function unheardPushes(
  world: World,
  targets: TargetConfig[],
  records: ServiceRecord[],
  since: number,
): { service: string; digest: string; at: number }[] {
  const events = new Map(world.eventLog.map((e) => [e.event.id, e.event]));
  const heard = new Set(
    world.events.deliveries
      .filter((d) => d.detailType === 'ECR Image Action' && d.outcome === 'delivered')
      .map((d) => String(events.get(d.eventId)?.detail?.['image-digest'] ?? '')),
  );
  const byKey = new Map(records.map((r) => [r.key, r]));
  return targets
    .filter((t) => t.missedPushCheckMs > 0)
    .flatMap((t) => {
      const service = `${t.cluster}/${t.service}`;
      const record = byKey.get(service);
      return world.ecr
        .images(t.repository)
        .filter(
          (i) =>
            i.pushedAt >= since &&
            !heard.has(i.digest) &&
            !(record && (knows(record, i.digest) || (record.pushCheck?.at ?? -1) >= i.pushedAt)),
        )
        .map((i) => ({ service, digest: i.digest, at: i.pushedAt }));
    });
}
