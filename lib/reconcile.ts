/**
 * One reconcile of one service: **look** at AWS, **decide** (lib/decide.ts, pure), **commit** the
 * decision to the record (a conditional write), **act** on AWS, and round again until the decision
 * asks for nothing (at most MAX_ROUNDS rounds). A round, in `rounds()`:
 *
 *   told     the record with what the trigger told folded in (task stops, gate states)
 *   held?    another invocation holds the service: ask it to look again, and stop here
 *   look     observe the service (lib/observe.ts), or reuse this reconcile's last look when
 *            nothing since can have changed what it saw (lib/observe-rules.ts freshLookNeeded)
 *   decide   decide(record, observation, target, trigger, now)
 *   commit   write the decision with its Slack notices (the outbox) and, when it acts, the lease;
 *            a decision that only changes the record is held back and written with the next one
 *   act      each action, fenced: not when another commit superseded the decision (lib/lease.ts)
 *   settle   nothing left to do: the owner's settings back, the lease let go
 *
 * The record is committed before acting on a service: if the invocation dies between two calls, the
 * next one (a retry, the next event, a wake-up or the sweep) observes what was done and decides
 * again. (A registration changes no service: it goes before its commit, lib/lease.ts
 * actsBeforeCommit.) A lost race on the record reads it again and decides again.
 */
import { randomUUID } from 'node:crypto';
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { act, type Known, type Learned, type LifecycleHookSettings, learnedRevision } from './act.ts';
import type { Clients } from './aws.ts';
import type { TargetConfig } from './config.ts';
import { type Action, type Decision, decide, type Trigger } from './decide.ts';
import { isEcsStrategy } from './ecs-strategy.ts';
import {
  foldGates,
  foldTaskFacts,
  mergeTasks,
  primaryOwnedByPerson,
  stopMoot,
  TASK_FACTS_KEPT,
} from './event-facts.ts';
import {
  actsBeforeCommit,
  askAgain,
  askedAgain,
  fenceNeedsRead,
  heldByAnother,
  stillCurrent,
  withLease,
  withoutLease,
} from './lease.ts';
import { log } from './log.ts';
import type { pushTimes } from './missed-pushes.ts';
import type { Notice } from './notice.ts';
import type { AlarmView, TaskView, TrafficView } from './observation.ts';
import {
  describeRunning,
  type Observed,
  type ObserveMemory,
  observe,
  type TaskDefinitions,
  UnknownServiceError,
} from './observe.ts';
import {
  freshLookNeeded,
  type LastLook,
  lookAfterActing,
  lookStands,
  observePlan,
  type SteadyWord,
} from './observe-rules.ts';
import { restoreDue, withOwnerSettings } from './owner-settings.ts';
import type { ServiceRecord } from './record.ts';
import { failureCount } from './record-size.ts';
import { containerRefusal, RefusedError, serviceRefusal, trafficRefusal } from './refusal.ts';
import { primaryDeleted } from './retire.ts';
import { countedInHand, rollbackInHand } from './rollout/failures.ts';
import { ConflictError, type RecordStore } from './store.ts';

/**
 * What the trigger itself told, folded into the record before deciding (lib/event-facts.ts): a
 * task's stop, a gate alarm's state; and whether this is the sweep, which reads everything from AWS.
 */
export interface Heard {
  tasks?: TaskView[];
  gates?: AlarmView[];
  /** An alarm event that says no time: it cannot be ordered, so the gates are read from CloudWatch. */
  readGates?: boolean;
  sweep?: boolean;
  /**
   * The stops came straight from their failing task's event; the task event queue brings them
   * again in a batch (lib/pipeline.ts onServiceEvent), which counts what a lost race left uncounted.
   */
  queueBringsAgain?: boolean;
  /**
   * ECS's word that a service reached a steady state, the trigger itself (a deployment COMPLETED, a
   * SERVICE_STEADY_STATE): a step waiting for its tasks may start its bake on ECS's counts
   * (lib/observe-rules.ts countedSteadyTasks). Taken only by the looks before this reconcile acts.
   */
  steady?: SteadyWord;
}

/** Rounds of observe-decide-act per trigger before leaving the rest to the next event or tick. */
export const MAX_ROUNDS = 12;

/** What a reconcile works with: the pipeline's clients and store, and its ways to tell and retire. */
export interface ReconcileParts {
  clients: Clients;
  store: RecordStore;
  now: () => number;
  /** What observing learned that stays true a while (lib/observe.ts): the pipeline's, shared. */
  memory: ObserveMemory;
  lifecycleHook?: LifecycleHookSettings;
  /** How same-second pushes are ordered (lib/missed-pushes.ts): only where a push can arrive. */
  pushTimes?: typeof pushTimes;
  /** Told of every action just before it is performed (the report, invariants). */
  onAction?: (action: Action, target: TargetConfig) => void;
  /** The record with `notices` in its Slack outbox, routed as the config says. */
  queueNotices(record: ServiceRecord, notices: Notice[], target: TargetConfig): ServiceRecord;
  /**
   * The record a reconcile's last write stores, with Slack's first message due leased for this
   * invocation's delivery; `owned` once the write has landed (lib/pipeline.ts).
   */
  forDelivery(record: ServiceRecord): { record: ServiceRecord; owned?: () => void };
  /** Notices of a decision just committed: logged and told. */
  tellNotices(key: string, notices: Notice[], target: TargetConfig): void;
  /** Closes the rollout of a service that is gone (lib/retire.ts). */
  retire(record: ServiceRecord, target: TargetConfig, reason: string): Promise<ServiceRecord>;
}

type Settled = { record: ServiceRecord | 'again'; committed: boolean; lostTo?: ServiceRecord };

export class Reconcile {
  /** This reconcile's name in the record's lease (lib/lease.ts). */
  private readonly me = randomUUID();
  private trigger: Trigger;
  private record!: ServiceRecord;
  /** What acting taught that no look shows yet (the revision just registered, lib/act.ts). */
  private learned: Learned = {};
  // The last look at AWS and what followed it: a round that only wrote its decision down decides
  // again on the same look (lib/observe-rules.ts freshLookNeeded).
  private looked: Observed | undefined;
  private last: LastLook | undefined;
  // The gates as this reconcile read them from CloudWatch (a push, the sweep, a bake's end): folded
  // into every later round as into the first. Safe to trust for the rest of the reconcile: it is
  // seconds old, and an alarm that changes meanwhile sends its event, whose reconcile finds this one
  // holding the lease and asks it to look again with the new state folded in (lib/lease.ts).
  // Without it, each look after acting read the gates again: one DescribeAlarms per round.
  private reading: AlarmView[] | undefined;
  // A decision held back: `record` is as decided but not yet written, `untold` its notices. A round
  // whose decision only changes the record is not written on its own: the next round's write
  // carries it, the one before an action or the last. A step moving on and its canary sized for it
  // were two writes, and two wake-up messages whose moments differed by the milliseconds between.
  private held = false;
  private untold: Notice[] = [];
  // A look that listed no tasks (the told stops roll back on their own: lib/rollout/failures.ts
  // rollbackInHand) decided something else: every later look of this reconcile lists them.
  private inFull = false;
  // This reconcile acted on AWS: ECS's steady word that triggered it says nothing of what followed.
  private actedYet = false;
  // Races lost writing counted failures (writeCounted).
  private countRacesLost = 0;
  // The push or command whose decision is held: dropped with it (its write lost a race), it is
  // decided again on the record as stored, as when a first round's write loses.
  private heldFrom: Trigger | undefined;
  // The task definitions this reconcile described (lib/observe.ts TaskDefinitions): a push's check
  // of the containers, its look for the digest tag and its clone ask once.
  private readonly taskDefinitions: TaskDefinitions = new Map();

  constructor(
    private readonly parts: ReconcileParts,
    private readonly target: TargetConfig,
    first: Trigger,
    private readonly known: ServiceRecord | undefined,
    private readonly heard: Heard,
  ) {
    this.trigger = first;
  }

  /** Returns the last record. A reconcile that fails lets its lease go (`letGo`). */
  async run(): Promise<ServiceRecord> {
    try {
      return await this.rounds();
    } catch (e) {
      await this.letGo();
      throw e;
    }
  }

  private async rounds(): Promise<ServiceRecord> {
    const { store } = this.parts;
    const target = this.target;
    this.record = this.known ?? (await store.get(target.cluster, target.service));
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const told = this.told();
      // Another invocation is acting on this service: it looks again before letting go (a push or a
      // command carries what no observation shows, so those go on, and fence the other out).
      if (this.trigger.kind === 'reconcile' && heldByAnother(this.record, this.me, this.parts.now())) {
        const asked = await this.askTheHolder(told);
        if (asked) return asked;
        continue;
      }
      // Failures that only count (lib/rollout/failures.ts countedInHand): written, not looked into.
      const counted = this.countedOnly(told);
      if (counted) {
        const written = await this.writeCounted(counted);
        if (written) return written;
        continue;
      }
      const looked = await this.look(told);
      if ('retired' in looked) return looked.retired;
      const { observed, fresh } = looked;
      // Once per look: a round deciding again on the same look has the same service to judge.
      if (this.pushing() && fresh) await this.refusePush(observed.primary, observed.observation.traffic);
      // A reading of the gates is folded as an event is: a newer state an event told stands.
      const seen = observed.gatesFromAws ? foldGates(told, observed.observation.alarms, true) : told;
      const observation = seen.gates ? { ...observed.observation, alarms: seen.gates } : observed.observation;
      const decision = decide(seen, observation, target, this.trigger, this.parts.now());
      // A look that listed no tasks is for the rollback the told stops decide: anything else is
      // decided again on a look in full.
      if (looked.partial && !decision.record.rollout?.rollingBack) {
        this.inFull = true;
        continue;
      }
      if (await this.orderedPushes(decision)) continue;
      if (decision.skipped)
        log.info('decision.skipped', { service: this.record.key, reason: decision.skipped });
      const next = this.decided(decision, observed);
      const acting = decision.actions.length > 0;
      const changed = JSON.stringify(next) !== JSON.stringify(this.record);
      if (!acting && changed && round < MAX_ROUNDS - 1) {
        this.holdBack(next, decision.notices);
        continue;
      }
      if (
        acting &&
        actsBeforeCommit(decision.actions) &&
        !heldByAnother(this.record, this.me, this.parts.now()) &&
        !this.handedOn() &&
        round < MAX_ROUNDS - 1
      ) {
        await this.registerBeforeCommit(next, decision, observed);
        continue;
      }
      if (changed && !(await this.commit(next, decision.notices, round))) continue;
      if (!acting && !changed) {
        // A decision that changes nothing is told as it is made (nothing to commit first).
        this.parts.tellNotices(this.record.key, decision.notices, target);
        const settled = await this.settleOrAgain(observed);
        if (settled) return settled;
        continue;
      }
      const done = await this.perform(decision.actions, observed, told, changed);
      if (done) return done;
    }
    return this.unfinished();
  }

  /**
   * A push handed on through the wake queue: SQS may deliver it twice at once, and two registrations
   * before either commit would make two revisions of one digest. Its registration is committed first
   * instead (the rollout's registration lease, lib/rollout/progress.ts), which the second's
   * conflicting write then reads.
   */
  private handedOn(): boolean {
    const t = this.heldFrom ?? this.trigger;
    return t.kind === 'push' && t.handedOn === true;
  }

  private pushing(): boolean {
    const t = this.trigger;
    return t.kind === 'push' || (t.kind === 'command' && t.command.name === 'deploy');
  }

  /** The record with what the trigger told folded in (idempotent: a record that has it already is unchanged). */
  private told(): ServiceRecord {
    const heard = this.heard;
    const heardOf = foldGates(foldTaskFacts(this.record, heard.tasks ?? []), heard.gates ?? [], false);
    return this.reading ? foldGates(heardOf, this.reading, true) : heardOf;
  }

  /**
   * The record with the told failures counted, when counting them is all they decide (countedInHand):
   * a trigger of stops only, no decision held back, and room left for the facts the record keeps
   * (past it a decision counts them, or they would be let go uncounted).
   */
  private countedOnly(told: ServiceRecord): ServiceRecord | undefined {
    const stops = this.heardOnlyStops();
    const facts = told.taskFacts ?? [];
    if (!stops || this.trigger.kind !== 'reconcile' || this.held || facts.length >= TASK_FACTS_KEPT)
      return undefined;
    const rollout = countedInHand(told.rollout, stops, facts, this.target.failedTasks, this.parts.now());
    return rollout && foldTaskFacts({ ...told, rollout }, []);
  }

  /** Writes the counted failures; undefined when the write lost a race (the next round decides again). */
  private async writeCounted(next: ServiceRecord): Promise<ServiceRecord | undefined> {
    if (JSON.stringify(next) === JSON.stringify(this.record)) return this.record;
    try {
      const written = await this.parts.store.put(next);
      log.info('failures.counted', {
        service: written.key,
        failures: written.rollout ? failureCount(written.rollout) : 0,
        failedTasks: this.target.failedTasks,
      });
      this.tell([], written.key);
      return written;
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      this.record = e.stored ?? (await this.parts.store.get(this.target.cluster, this.target.service));
      this.reread();
      // Hundreds of stops at once each write their count: retried, the writes conflict round after
      // round (a 150-task crash loop, failedTasks 40: 735 writes). A stop the queue brings again is
      // tried twice, then left to the queue's batch, which counts a burst in one write.
      if (this.heard.queueBringsAgain && ++this.countRacesLost >= 2) {
        log.info('event.dropped', {
          service: this.record.key,
          reason:
            'lost two races to count it: the task event queue brings it again, with the rest of its burst',
        });
        return this.record;
      }
      return undefined;
    }
  }

  /** The stops the trigger told, when they are all it told (no gate, not the sweep); else undefined. */
  private heardOnlyStops(): TaskView[] | undefined {
    const { tasks = [], gates = [], sweep, readGates } = this.heard;
    return tasks.length === 0 || gates.length > 0 || sweep || readGates ? undefined : tasks;
  }

  /** All the trigger told is stops the holder's next look shows anyway (stopMoot). */
  private heardOnlyMootStops(): boolean {
    return this.heardOnlyStops()?.every((t) => stopMoot(this.record, t.taskDefinition)) === true;
  }

  /**
   * The service is held by another reconcile: it is asked to look again, with what this trigger told
   * folded in. Returns the record written, or undefined when a lost race means deciding again.
   */
  private async askTheHolder(told: ServiceRecord): Promise<ServiceRecord | undefined> {
    const { store } = this.parts;
    if (askedAgain(this.record) && JSON.stringify(told) === JSON.stringify(this.record)) return this.record;
    if (this.heardOnlyMootStops()) {
      log.info('event.dropped', {
        service: this.record.key,
        reason:
          'the rollback holding the service looks again already: a stop of the revision it rolls back tells it nothing more',
      });
      return this.record;
    }
    try {
      log.info('reconcile.serialised', { service: this.record.key, holder: this.record.lease?.owner });
      const written = await store.put(askAgain(told));
      this.tell([], written.key);
      return written;
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      this.record = e.stored ?? (await store.get(this.target.cluster, this.target.service));
      this.dropHeld();
      this.reread();
      return undefined;
    }
  }

  /**
   * Observes the service, or decides again on the last look when nothing since can have changed it.
   * A service deleted under a rollout retires it (lib/retire.ts).
   */
  private async look(
    told: ServiceRecord,
  ): Promise<{ observed: Observed; fresh: boolean; partial: boolean } | { retired: ServiceRecord }> {
    const asked = {
      ...learnedRevision(this.learned, told),
      pushing: this.pushing(),
      sweep: this.heard.sweep === true,
      readGates: this.heard.readGates === true,
      ...(this.heard.steady && !this.actedYet && { steady: this.heard.steady }),
      rollbackInHand:
        !this.inFull &&
        (this.heard.tasks?.length ?? 0) > 0 &&
        rollbackInHand(told.rollout, told.taskFacts ?? [], this.target.failedTasks),
    };
    const plan = `${observePlan(told, asked)}${asked.rollbackInHand ? ' failure' : ''}`;
    let observed: Observed;
    const fresh = !this.looked || freshLookNeeded(this.last, plan);
    if (!fresh && this.looked) {
      // The same look, with the stops the record now holds merged in again (idempotent), and the
      // revision a registration since taught (its tasks: none yet; its health check: from its answer).
      const tasks = mergeTasks(this.looked.observation.tasks, told.taskFacts ?? []);
      const registered = asked.revisionForDigest;
      const revision = registered && {
        revisionForDigest: registered,
        hasHealthCheck:
          this.parts.memory.healthChecks.get(registered) ?? this.looked.observation.hasHealthCheck,
      };
      observed = { ...this.looked, observation: { ...this.looked.observation, tasks, ...revision } };
    } else {
      try {
        observed = await observe(
          this.parts.clients,
          this.target,
          told,
          { ...asked, gatesInHand: this.reading !== undefined },
          this.parts.memory,
        );
      } catch (e) {
        if (e instanceof UnknownServiceError && this.record.rollout) {
          const retired = await this.parts.retire(this.record, this.target, primaryDeleted(this.record.key));
          // A decision held back went with the retiring write (its notices are in its outbox).
          if (this.held) this.tell([], retired.key);
          return { retired };
        }
        throw e;
      }
    }
    this.looked = observed;
    if (observed.gatesFromAws) this.reading = observed.observation.alarms;
    this.last = { plan, acted: false, reread: false };
    return { observed, fresh, partial: asked.rollbackInHand };
  }

  /**
   * Two pushes in the same second: ECR's imagePushedAt orders them, then the round decides again
   * (true). ECR is asked only where a push can arrive (lib/aws.ts): elsewhere the tie stays a tie.
   */
  private async orderedPushes(decision: Decision): Promise<boolean> {
    const trigger = this.trigger;
    if (!decision.needsPushTimes || trigger.kind !== 'push' || trigger.pushTimes) return false;
    const { clients, pushTimes } = this.parts;
    const times =
      clients.ecr && pushTimes
        ? await pushTimes({ ...clients, ecr: clients.ecr }, decision.needsPushTimes)
        : {};
    this.trigger = { ...trigger, pushTimes: times };
    return true;
  }

  /**
   * The record as decided: the outbox commits with the decision (a notice is queued exactly when its
   * decision is), the stops the decision counted are let go, and a decision that acts takes the lease.
   */
  private decided(decision: Decision, observed: Observed): ServiceRecord {
    const now = this.parts.now();
    let next = this.parts.queueNotices(foldTaskFacts(decision.record, []), decision.notices, this.target);
    // What this environment learned of the revision's health check goes with the rollout, for the
    // environments that have not (lib/observe.ts): kept by the write that records the revision.
    const revision = next.rollout?.taskDefinition;
    const healthCheck = revision && this.parts.memory.healthChecks.get(revision);
    if (next.rollout && next.rollout.healthCheck === undefined && typeof healthCheck === 'boolean')
      next = { ...next, rollout: { ...next.rollout, healthCheck } };
    if (decision.actions.length === 0) return next;
    // The owner's deploymentConfiguration is saved by the commit of the decision that changes it.
    if (
      next.rollout &&
      decision.actions.some(
        (a) =>
          a.type === 'setPrimary' &&
          (a.allAtOnce || a.maximumPercent !== undefined || a.minimumHealthyPercent !== undefined),
      )
    ) {
      next = withOwnerSettings(next, observed.primary.deploymentConfiguration, next.rollout.id, now);
    }
    return withLease(next, this.me, now);
  }

  /**
   * A decision that only changes the record is written with the next round's decision: nothing is
   * done on AWS before that write (a look only reads), so a crash before it loses nothing the next
   * trigger does not decide again.
   */
  private holdBack(next: ServiceRecord, notices: Notice[]): void {
    this.hold(next, notices);
    this.learned = {};
    // As after any write: the push or command is applied (once), the rounds after reconcile.
    this.trigger = { kind: 'reconcile', reason: 'after deciding' };
  }

  /** `next` becomes the record, written with a later round's decision; the push or command it came of is kept. */
  private hold(next: ServiceRecord, notices: Notice[]): void {
    this.record = next;
    this.held = true;
    this.untold = [...this.untold, ...notices];
    if (this.trigger.kind !== 'reconcile') this.heldFrom ??= this.trigger;
  }

  /**
   * A registration alone changes no service: performed now, its decision written with the next
   * round's (the step it sizes), under the lease that one takes (lib/lease.ts actsBeforeCommit).
   */
  private async registerBeforeCommit(
    next: ServiceRecord,
    decision: Decision,
    observed: Observed,
  ): Promise<void> {
    const { lease: _none, ...unleased } = next;
    this.hold(this.record.lease ? { ...unleased, lease: this.record.lease } : unleased, decision.notices);
    this.learned = {};
    const got = await this.actOn(decision.actions[0]!, observed, {}, { before: 'its commit' });
    this.last!.acted = true;
    this.actedYet = true;
    this.last!.registeredAnew = got.registeredAnew === true;
    this.trigger = { kind: 'reconcile', reason: 'after registering' };
  }

  /** Writes the decision (true); a lost race reads the record again, to decide again (false). */
  private async commit(next: ServiceRecord, notices: Notice[], round: number): Promise<boolean> {
    const { store } = this.parts;
    try {
      this.record = await store.put(next);
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      log.info('record.conflict', { service: this.record.key, round });
      // The store read the record back to tell the conflict from our own write: that read serves.
      const read = this.record;
      this.record = e.stored ?? (await store.get(this.target.cluster, this.target.service));
      this.dropHeld();
      // A single write without a lease beat ours: AWS is as the look saw it (lookStands).
      if (!lookStands(read, this.record)) this.reread();
      return false;
    }
    this.tell(notices, this.record.key);
    this.noteStep();
    return true;
  }

  /**
   * The hint the next task event is judged by before any call (lib/event-facts.ts dropBeforeCalls),
   * as the decision just committed leaves the rollout: a promotion's own scale-in stops of the
   * primary must not pass for a person's because the last look saw a canary step.
   */
  private noteStep(): void {
    const hint = this.parts.memory.hints.get(this.record.key);
    if (hint)
      hint.canaryStep = this.record.rollout !== undefined && primaryOwnedByPerson(this.record.rollout);
  }

  /** Nothing to do: settles (returns the record), or goes round again when asked to or a race was lost. */
  private async settleOrAgain(observed: Observed): Promise<ServiceRecord | undefined> {
    const settled = await this.settle(this.record, observed.primary, this.held);
    let back = false;
    if (settled.committed) this.tell([], this.record.key);
    else back = this.dropHeld();
    if (settled.record !== 'again') return settled.record;
    const read = this.record;
    this.record = settled.lostTo ?? (await this.parts.store.get(this.target.cluster, this.target.service));
    // Asked for one more look: look. Lost a race to a single write without a lease: the look stands.
    if (!settled.lostTo || !lookStands(read, this.record)) this.reread();
    if (!back) this.trigger = { kind: 'reconcile', reason: settled.lostTo ? 'lost a race' : 'asked again' };
    return undefined;
  }

  /**
   * Performs the committed decision's actions, each fenced, then rounds again (undefined) unless the
   * step only asked ECS for its tasks, whose coming is told by events (the record, settled).
   */
  private async perform(
    actions: Action[],
    observed: Observed,
    /** The record as this round told it, before deciding: who held the service then. */
    told: ServiceRecord,
    /** This round wrote the decision just now: its conditional write fences the first action. */
    committed: boolean,
  ): Promise<ServiceRecord | undefined> {
    const { store } = this.parts;
    const target = this.target;
    this.learned = {};
    // Acting changes what AWS shows (a fenced round reads the record again): the next round looks.
    this.last!.acted = actions.length > 0;
    if (actions.length > 0) this.actedYet = true;
    let fenced = false;
    // The canary as the look this round decided on showed it, for the first action on it
    // (lib/act.ts Known): a look is taken again after every action on a service, so none came since it.
    let canary: Known['canary'] = observed.canary ?? 'none';
    let registeredAnew = false;
    for (const [i, action] of actions.entries()) {
      // Fenced: not on a decision another commit (a rollback, a command) has superseded. A
      // registration changes no service, and the first action is fenced by the commit just made:
      // neither reads (fenceNeedsRead).
      const stored = fenceNeedsRead(action, committed && i === 0)
        ? await store.get(target.cluster, target.service)
        : this.record;
      if (!stillCurrent(this.record, stored, this.me)) {
        log.info('action.fenced', {
          service: this.record.key,
          ...action,
          decidedAt: this.record.version,
          stored: stored.version,
        });
        this.record = stored;
        fenced = true;
        this.reread();
        break;
      }
      const got = await this.actOn(action, observed, action.type === 'setCanary' ? { canary } : {});
      if (action.type === 'setCanary') canary = undefined;
      registeredAnew = actions.length === 1 && got.registeredAnew === true;
    }
    // A registration alone changed no service: the next round decides on this look (freshLookNeeded),
    // unless this round took the service over from another holder, which may have acted since.
    this.last!.registeredAnew = !fenced && registeredAnew && !heldByAnother(told, this.me, this.parts.now());
    this.trigger = { kind: 'reconcile', reason: fenced ? 'fenced' : 'after acting' };
    if (fenced || lookAfterActing(actions, this.record)) return undefined;
    // The step asked ECS for its tasks: what follows is told (lib/observe-rules.ts lookAfterActing).
    const settled = await this.settle(this.record, observed.primary, false);
    if (settled.record !== 'again') return settled.record;
    this.record = settled.lostTo ?? (await store.get(target.cluster, target.service));
    return undefined;
  }

  /**
   * One action on AWS (lib/act.ts), told first (the report, the log), and what it taught kept: the
   * revision a registration found or made, and its health check.
   */
  private async actOn(
    action: Action,
    observed: Observed,
    known: Pick<Known, 'canary'>,
    logged: Record<string, string> = {},
  ): Promise<Awaited<ReturnType<typeof act>>> {
    this.parts.onAction?.(action, this.target);
    log.info('action', { service: this.record.key, ...action, ...logged });
    const got = await act(
      this.parts.clients,
      this.target,
      observed.primary,
      action,
      this.parts.lifecycleHook,
      {
        taskDefinitions: this.taskDefinitions,
        ...known,
      },
    );
    // The revision is taken only for the rollout of its own image (lib/act.ts learnedRevision).
    if (got.revisionForDigest && action.type === 'registerRevision')
      this.learned = { revisionForDigest: got.revisionForDigest, digest: action.image.digest };
    // Revisions never change: the registered one's health check is known from its registration.
    if (got.revisionForDigest && got.hasHealthCheck !== undefined)
      this.parts.memory.healthChecks.set(got.revisionForDigest, got.hasHealthCheck);
    return got;
  }

  /** MAX_ROUNDS spent: the rest is left to the next event or tick, the lease let go, not left to expire. */
  private async unfinished(): Promise<ServiceRecord> {
    const record = this.record;
    log.warn('reconcile.unfinished', { service: record.key, rounds: MAX_ROUNDS });
    if (record.lease?.owner === this.me || this.held) {
      try {
        const written = await this.parts.store.put(
          record.lease?.owner === this.me ? withoutLease(record) : record,
        );
        this.tell([], written.key);
        return written;
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
      }
    }
    return record;
  }

  /**
   * The end of a reconcile that has nothing left to do: the owner's settings put back once the
   * rollout is over (lib/owner-settings.ts), and the lease let go, unless someone asked for one
   * more round meanwhile ('again').
   */
  private async settle(
    record: ServiceRecord,
    primary: { deployments?: unknown[] },
    /** `record` holds a decision not yet written: it is written here, with the lease let go. */
    held: boolean,
  ): Promise<Settled> {
    const { store, clients } = this.parts;
    const restore = restoreDue(record, primary.deployments?.length ?? 0);
    let committed = false;
    /** The record as stored when a write lost its race (read back by the store). */
    let lostTo: ServiceRecord | undefined;
    /** `last`: the write that ends the reconcile, which also leases Slack's next message (forDelivery). */
    const write = async (next: ServiceRecord, last = false): Promise<ServiceRecord | 'again'> => {
      const out = last ? this.parts.forDelivery(next) : { record: next };
      try {
        const written = await store.put(out.record);
        committed = true;
        out.owned?.();
        return written;
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
        lostTo = e.stored;
        return 'again';
      }
    };
    const again = () => ({ record: 'again' as const, committed, ...(lostTo && { lostTo }) });
    if (record.lease?.owner !== this.me && !restore) {
      if (!held) return { record, committed };
      const written = await write(record, true);
      return written === 'again' ? again() : { record: written, committed };
    }
    if (held && restore) {
      // The decision is written before the owner's settings go back: nothing is done before its commit.
      const written = await write(record);
      if (written === 'again') return again();
      record = written;
    }
    if (askedAgain(record)) {
      // Someone asked for one more look: the ask is cleared (the lease kept), then the loop looks.
      await write(withLease(record, this.me, this.parts.now()));
      return { record: 'again', committed };
    }
    if (restore && record.ownerSettings) {
      log.info('owner.settings.restored', {
        service: record.key,
        deploymentConfiguration: record.ownerSettings.deploymentConfiguration,
      });
      await clients.ecs.send(
        new UpdateServiceCommand({
          cluster: this.target.cluster,
          service: this.target.service,
          deploymentConfiguration: record.ownerSettings.deploymentConfiguration,
        }),
      );
    }
    const { ownerSettings: _saved, ...rest } = record;
    const written = await write(withoutLease(restore ? rest : record), true);
    return written === 'again' ? again() : { record: written, committed };
  }

  /**
   * A push the pipeline cannot carry out, refused before anything is registered or marked bad
   * (lib/refusal.ts): the service's controller or scheduling, a canary that cannot be a sibling, or
   * a task definition whose container to change is not named.
   */
  private async refusePush(primary: Observed['primary'], traffic: TrafficView | undefined): Promise<void> {
    const target = this.target;
    const service = serviceRefusal(target, primary) ?? trafficRefusal(target, traffic);
    if (service) throw new RefusedError(service);
    if (isEcsStrategy(target.strategy) && !this.parts.lifecycleHook) {
      throw new RefusedError(
        `${target.cluster}/${target.service}: strategy ${target.strategy} needs the pipeline's lifecycle hook, and this deployment has none (AUTOPILOT_LIFECYCLE_HOOK_ARN and AUTOPILOT_LIFECYCLE_HOOK_ROLE_ARN, which serverless.yml sets). Nothing was registered and the image is not marked bad`,
      );
    }
    if (!primary.taskDefinition) return;
    const out = await describeRunning(this.parts.clients, primary.taskDefinition, this.taskDefinitions);
    const containers = out.taskDefinition?.containerDefinitions ?? [];
    const revision = `${out.taskDefinition?.family}:${out.taskDefinition?.revision}`;
    const refused = containerRefusal(target, containers, revision);
    if (refused) throw new RefusedError(refused);
  }

  /**
   * A reconcile that failed (throttled past the SDK's retries, say) lets its lease go, best effort:
   * the next wake-up or event acts at once. Left to expire, it held the service LEASE_MS, and a
   * wake-up that came meanwhile (a registration lease's end) only asked the dead holder to look
   * again, leaving the service to the sweep (measured: one of 200 services registered 5 minutes
   * late under ECS throttles).
   */
  private async letGo(): Promise<void> {
    const { store } = this.parts;
    try {
      const record = await store.get(this.target.cluster, this.target.service);
      if (record.lease?.owner === this.me) await store.put(withoutLease(record));
    } catch {
      // It expires (LEASE_MS).
    }
  }

  /** Notices of a committed write, with those of decisions it carried that were held back. */
  private tell(notices: Notice[], key: string): void {
    this.parts.tellNotices(key, [...this.untold, ...notices], this.target);
    this.held = false;
    this.untold = [];
    this.heldFrom = undefined;
  }

  /** A held decision lost its race: dropped. Returns whether the trigger went back to its push or command. */
  private dropHeld(): boolean {
    this.held = false;
    this.untold = [];
    if (!this.heldFrom) return false;
    this.trigger = this.heldFrom;
    this.heldFrom = undefined;
    return true;
  }

  /** The last look is stale: a record changed by another writer means AWS may have changed too. */
  private reread(): void {
    if (this.last) this.last.reread = true;
  }
}
