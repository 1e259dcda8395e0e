/**
 * When a record next needs attention that no event will bring: the one wake-up it schedules.
 *
 * Events say what happened (a task stopped, an alarm fired); nothing says "five minutes have passed".
 * Each moment the rules wait for is here, read from the record and the target's policy:
 *   a step's bake ends                healthyAt + bake
 *   ECS's shift after a baked step    bake's end + 15 s, 30 s, 1m, … (ECS's own strategies, below;
 *                                     after the last step, ECS's end of its deployment; 30 s after
 *                                     a gap in those looks, such as a resume)
 *   a step waits for its tasks        unhealthySince + 4m, 8m, 16m, … (a health recheck, below)
 *   a trade waits for a task to count servesAt (ECS counts a task with no check 40 s after RUNNING)
 *   a step's deadline passes          unhealthySince + (stepDeadline - unhealthyMs) + 1 ms
 *   a registration is not done        registerLeaseUntil, and startedAt + stepDeadline + 1 ms
 *   a rollback is overdue             rollingBack.at + rollbackDeadline + 1 ms (told once)
 *   ECS's own rollback ends           rollingBack.at + 15 s, 30 s, 1m, … (ECS's strategies, below)
 *   a rollback's actions in flight    lease.until (its holder died before acting: taken up then)
 *   an approval gate times out        approval.timesOutAt (lib/rollout/approval.ts; not once held)
 *   a frozen push's window ends       frozenPush.until (lib/freeze.ts frozenUntil)
 *   a Slack message is due again      the outbox entry's nextAt (its back-off, or Retry-After), unless being sent
 *   a scaling alarm still in ALARM    its rule applies again after each cooldown
 *   a failing target is tried again   failing.nextAt (lib/lease.ts back-off)
 * The earliest still to come is the record's wake-up (lib/waker.ts sends it to the wake queue and
 * the record keeps it in `wake`). A moment already past is left out: the reconcile that wrote the
 * record is acting on it now, and one that could not (a scale-out held by its cooldown) must not
 * call itself again at once; the sweep still visits every record with work outstanding.
 *
 * The health recheck: behind a load balancer a task's RUNNING event starts nothing (its being in
 * service does: lib/event-facts.ts drops it). What says the step's tasks are in service is ECS's
 * own event: the deployment COMPLETED ("sent once a service reaches a steady state after a
 * deployment") or SERVICE_STEADY_STATE ("healthy and at the desired number of tasks"); both may be
 * lost. So a step waiting for healthy tasks looks again, at doubling intervals from when it began
 * waiting: from 4 minutes, rarely for a slow start, a handful of looks before its deadline. While
 * a step trades capacity on a full cluster the rechecks start at 1 minute: there what frees a slot
 * is a scale-in's stop, an event dropped before any call, and no ECS event follows each trade.
 *
 * Deadlines are strict (`>`, lib/rollout/step.ts pastDeadline, rollbackOverdue), so their wake-up
 * is one millisecond past them; the queue rounds delays up to whole seconds anyway.
 */
import type { TargetConfig } from './config.ts';
import { isEcsStrategy } from './ecs-strategy.ts';
import type { Rollout, ServiceRecord } from './record.ts';

export interface Wake {
  /** When (ms since the epoch). */
  at: number;
  /** What for, in the user's words: logged with the wake-up. */
  why: string;
}

/** The first health recheck of a step trading capacity; each later one twice as far. */
export const HEALTH_RECHECK_MS = 60_000;

/**
 * The first health recheck of any other step waiting for its tasks. The recheck stands in for
 * ECS's event should it be lost, and that event comes once the tasks are in service: a new task
 * starts (about 30 s on Fargate), registers, and is healthy at its first passing check, up to one
 * interval later (30 s with ELB's defaults; "it must pass one health check to be considered
 * healthy", ELB User Guide). So the event normally comes about a minute into the step, and a
 * recheck that fires first costs a DescribeServices, ListTasks, DescribeTasks and one
 * DescribeTargetHealth per group for nothing. 4 minutes leaves room for slow checks (intervals up
 * to 300 s) and slow starts, and bounds what a lost event costs: the bake starts at most 4 minutes
 * late (8, 16, … for a step still waiting then).
 */
export const LOST_EVENT_RECHECK_MS = 4 * 60_000;

/**
 * The next health recheck of a step waiting since `since`: since + first, 2 × first, 4 × first, …
 * after `now` (first: LOST_EVENT_RECHECK_MS, or HEALTH_RECHECK_MS while trading capacity).
 *   since 10:00, now 10:00                -> 10:04
 *   since 10:00, now 10:04                -> 10:08
 *   since 10:00, now 10:09                -> 10:16
 *   since 10:00, now 10:00, trading       -> 10:01
 *   since 10:00, now 10:02:30, trading    -> 10:04
 */
export function healthRecheck(since: number, now: number, trading = false): number {
  let wait = trading ? HEALTH_RECHECK_MS : LOST_EVENT_RECHECK_MS;
  while (since + wait <= now) wait *= 2;
  return since + wait;
}

/**
 * Whether the pipeline itself moves a full cluster's tasks, one trade at a time (a canary task for a
 * primary one), so each trade waits on its next look: a rollout with canary steps that learned its
 * room. A rolling or all-at-once rollout on a full cluster is ECS's own update within the room
 * (lib/rollout/task-steps.ts fitWithinRoom): ECS moves every task and ends with its deployment's
 * event, so its step waits as any other (stranger11 17: 150 tasks in room for 152 looked every
 * minute for 88 minutes, 1,657 calls).
 *   canary 10/50/100, room 12            -> true
 *   canary 10/50/100, room unknown       -> false
 *   rolling (one step at 100 %), room 12 -> false
 */
export function tradesCapacity(rollout: Pick<Rollout, 'room' | 'steps'>): boolean {
  return rollout.room !== undefined && rollout.steps.some((s) => s.percent < 100);
}

/** The first look for ECS's shift after a bake's end; each later one twice as far. */
export const ECS_SHIFT_LOOK_MS = 15_000;

/**
 * The look for ECS's shift after a gap in the looks: two of the hook's 15 s callbacks (lib/hook.ts
 * HOOK_RECHECK_S), since ECS shifts at the first callback after a resume and one callback later
 * would race ECS's own moving of the weights.
 */
export const ECS_SHIFT_GAP_MS = 30_000;

/**
 * Under ECS's own strategies ECS moves the weight when its bake ends, and no event says so: the
 * look at the bake's very end may come first (ECS's clock and ours start the bake from the same
 * shift, and ours from when we saw it, so at best the same moment). So the step looks again,
 * 15 s, 30 s, 1m, … after, until it sees the shift: a linear rollout's steps are then reported
 * within seconds of ECS's, where the sweep alone would report them up to its period late.
 * `due`: the look of this chain the record had scheduled (its wake-up, or the bake's end), if any.
 * A chain with no look due, or one more than ECS_SHIFT_GAP_MS overdue, was broken: a pause (the
 * hook held ECS's shift, which it lets through at its next callback after the resume), a lost
 * wake-up. Doubling on from the bake's end, its next look could be as far again as the gap
 * (stranger16 03: resumed 19 minutes past the bake, looked 13 minutes after ECS's shift), so it
 * looks ECS_SHIFT_GAP_MS after now, then doubles on. A look still to come stands (an event
 * between does not move it).
 *   bake ends 10:05, now 10:05, due 10:05                     -> 10:05:15
 *   bake ends 10:05, now 10:05:15, due 10:05:15               -> 10:05:30
 *   bake ends 10:05, now 10:05:40, due 10:06 (an event)       -> 10:06
 *   bake ends 10:05, now 10:25, none due (resumed)            -> 10:25:30
 *   bake ends 10:05, now 10:25, due 10:09 (lost)              -> 10:25:30
 *   bake ends 10:05, now 10:25:10, due 10:25:30 (an event)    -> 10:25:30
 *   bake ends 10:05, now 10:25:30, due 10:25:30               -> 10:37 (doubling on)
 *   bake ends 10:05, now 10:05:10, none due (a Slack retry)   -> 10:05:15
 *   bake ends 10:05, now 10:01, none due (still baking)       -> 10:05:15
 */
export function ecsShiftLook(bakeEnd: number, now: number, due?: number): number {
  let wait = ECS_SHIFT_LOOK_MS;
  while (bakeEnd + wait <= now) wait *= 2;
  const doubling = bakeEnd + wait;
  // Still baking: the bake's end comes first, and its look starts the chain.
  if (now < bakeEnd) return doubling;
  if (due !== undefined && due > now) return Math.min(doubling, due);
  if (due !== undefined && due >= now - ECS_SHIFT_GAP_MS) return doubling;
  return Math.min(doubling, now + ECS_SHIFT_GAP_MS);
}

/** The first look again at a Slack message due and not sent; the longest it backs off to. */
const SLACK_DUE_AGAIN_MS = 5_000;
const SLACK_DUE_AGAIN_MAX_MS = 30_000;

/**
 * When to try a Slack message again: at its own next time (its back-off, Retry-After), or, when it
 * is due already and was left (an invocation sends at most a few, and waits for a paced webhook only
 * briefly: lib/slack/deliver.ts), 5 s on, backing off to 30 s as it waits, each service at its own
 * moment within that wait (`spread`, from the service's key and the second: services left together
 * do not all come back together to a webhook that takes one message a second, and one unlucky
 * service is not always last: stranger21 26, 40 services after a Slack outage drained 8 a minute,
 * one of them only at the sweep). Without it a backlog (a fleet's 96 messages after one push, or
 * the queue a Slack outage left) waited for the sweep, four messages a period, for hours
 * (stranger20 09, 10, 18).
 *   due 10:02, now 10:01               -> 10:02
 *   due 10:02, now 10:02, spread 0     -> 10:02:05
 *   due 10:00, now 10:00:20, spread 0  -> 10:00:25 (waiting 20 s: again within 5 to 20 s)
 *   due 10:00, now 10:00:20, spread 14 -> 10:00:39
 *   due 10:00, now 10:05, spread 25    -> 10:05:30 (30 s at most)
 *   due 10:00, now 10:05, spread 29    -> 10:05:08 (29 wraps past the 26 moments)
 */
export function slackAgainAt(nextAt: number, now: number, spread = 0): number {
  if (nextAt > now) return nextAt;
  const wait = Math.min(SLACK_DUE_AGAIN_MAX_MS, Math.max(SLACK_DUE_AGAIN_MS, now - nextAt));
  const seconds = Math.max(1, Math.floor((wait - SLACK_DUE_AGAIN_MS) / 1000) + 1);
  return now + SLACK_DUE_AGAIN_MS + (Math.abs(Math.trunc(spread)) % seconds) * 1000;
}

/** A service's spread for slackAgainAt: a hash (FNV-1a, 32 bits) of its key and the second. */
export function slackSpread(key: string, now: number): number {
  let h = 0x811c9dc5;
  for (const c of `${key}@${Math.floor(now / 1000)}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/**
 * The record's next wake-up after `now`, or none: the earliest of the moments above.
 *   step 1 healthy since 10:00, bake 5m, now 10:01              -> 10:05 "bake of step 1 ends"
 *   the same under ecs-linear, now 10:05 (no shift seen yet)     -> 10:05:15 "ECS's shift after step 1"
 *   ecs-linear at its last step, baked at 10:05, now 10:05       -> 10:05:15 "ECS's end after step 2"
 *   ecs-linear step 1 baked at 10:05, resumed at 10:25 (no wake-up) -> 10:25:30 "ECS's shift after step 1"
 *   the same, its look at 10:25:30                               -> 10:37 "ECS's shift after step 1"
 *   step 1 asked 10:00, not healthy, now 10:00:10              -> 10:04 "health recheck of step 1"
 *   step 1 trading, a task counts at 10:00:40, now 10:00:10    -> 10:00:40 "tasks of step 1 count"
 *   step 1 asked 10:00, not healthy, deadline 15m, now 10:14   -> 10:15:00.001 "deadline of step 1"
 *   paused at step 2                                           -> none (a pause stops every clock)
 *   rolling back since 10:00, rollbackDeadline 15m             -> 10:15:00.001 "rollback deadline"
 *   the same, its deciding commit's lease until 10:01:30       -> 10:01:30 "lease of the rollback ends"
 *   ecs-canary rolling back since 10:00, now 10:00              -> 10:00:15 "ECS's end of its rollback"
 *   the same, its look at 10:00:15 done, now 10:00:15           -> 10:00:30 (doubling on)
 *   at the gate of step 2 since 10:00, times out 11:00         -> 11:00 "approval of step 2 times out"
 *   the same gate, held at 11:00 (onApprovalTimeout: hold)     -> none (it waits for a person)
 *   push frozen until Mon 07:00                                -> Mon 07:00 "freeze ends"
 *   idle, outbox entry due again 10:02                         -> 10:02 "Slack retry"
 *   idle, outbox entry being sent (leased until 10:02)         -> none (its sender settles it)
 *   idle, outbox entry due since 10:00, now 10:00:20            -> 5 to 20 s on, "Slack retry" (slackAgainAt)
 *   idle, one entry leased, one behind it to its webhook, due   -> none (the holder sends it next)
 *   an entry due, the record leased by the invocation acting    -> none (it delivers once it has acted)
 *   scaling alarm applied 10:00, out cooldown 5m               -> 10:05 "scale-out cooldown ends"
 *   idle, nothing outstanding                                  -> none
 */
export function nextWake(record: ServiceRecord, target: TargetConfig, now: number): Wake | undefined {
  const candidates: Wake[] = [];
  const add = (at: number | undefined, why: string) => {
    if (at !== undefined && Number.isFinite(at) && at > now) candidates.push({ at, why });
  };
  const rollout = record.rollout;
  if (rollout?.rollingBack) {
    // The commit that decides a rollback holds the lease while it acts. Should that invocation die
    // first (killed, timed out), the failing revision keeps its traffic until someone decides again:
    // not the rollback's deadline, nor the sweep (30m), but the lease's end. When the holder lets go
    // as it should, this wake-up is stale (one GetItem), a rollback's only extra cost.
    if (record.lease) add(record.lease.until, 'lease of the rollback ends');
    if (rollout.rollingBack.overdueAt === undefined)
      add(rollout.rollingBack.at + target.rollbackDeadlineMs + 1, 'rollback deadline');
    // Under ECS's own strategies ECS takes the traffic and the tasks back on its own clock, and no
    // event the pipeline hears says when it is done (its SERVICE_DEPLOYMENT_FAILED comes as the
    // rollback starts; the primary's steady state goes to no rule): looked for as its shifts are,
    // 15 s, 30 s, 1m, … after. Else the rollout stayed open to the rollback deadline, 15 minutes
    // after ECS had finished, and a push meanwhile waited for it (stranger17 08).
    if (isEcsStrategy(rollout.strategy) && rollout.ecsDeployment) {
      const why = "ECS's end of its rollback";
      add(
        ecsShiftLook(rollout.rollingBack.at, now, record.wake?.why === why ? record.wake.at : undefined),
        why,
      );
    }
  } else if (rollout && !rollout.paused) {
    if (!rollout.taskDefinition) {
      add(rollout.registerLeaseUntil, 'registration lease ends');
      add(rollout.startedAt + target.stepDeadlineMs + 1, 'registration deadline');
    } else {
      const step = rollout.steps[rollout.stepIndex];
      const n = rollout.stepIndex + 1;
      if (step?.healthyAt !== undefined) {
        const end = step.healthyAt + step.bakeMs;
        add(end, `bake of step ${n} ends`);
        // After the last step ECS ends its deployment when its own bake ends: looked for the same way
        // (a lost SERVICE_DEPLOYMENT_COMPLETED would otherwise leave the rollout open until the sweep,
        // and a push meanwhile would supersede a release ECS had finished).
        if (isEcsStrategy(rollout.strategy)) {
          const why = n < rollout.steps.length ? `ECS's shift after step ${n}` : `ECS's end after step ${n}`;
          // Whether the looks kept up with ECS: the record's own wake-up is this chain's (none after a pause).
          const ours = record.wake?.why === why || record.wake?.why === `bake of step ${n} ends`;
          add(ecsShiftLook(end, now, ours ? record.wake?.at : undefined), why);
        }
      } else if (step?.unhealthySince !== undefined) {
        const deadline = step.unhealthySince + target.stepDeadlineMs - (step.unhealthyMs ?? 0) + 1;
        add(deadline, `deadline of step ${n}`);
        add(healthRecheck(step.unhealthySince, now, tradesCapacity(rollout)), `health recheck of step ${n}`);
        // A trade waits for a task ECS counts only 40 s after RUNNING, and no event says when.
        add(step.servesAt, `tasks of step ${n} count`);
      }
    }
    const gate = rollout.approval;
    if (gate && gate.heldAt === undefined)
      add(gate.timesOutAt, `approval of step ${gate.step + 1} times out`);
  }
  add(record.frozenPush?.until, 'freeze ends');
  // An entry being sent (leased) wakes nothing: the invocation holding it settles it in the same
  // breath (removed, or given its next time, which wakes). Only one that dies mid-send leaves it,
  // and the sweep (the outbox keeps the record outstanding) sends it then. Waking at every lease's
  // end cost each message two SendMessage and a stale wake-up whenever the record's next moment
  // was later than the lease (a step waiting for its tasks, a bake).
  // Nor do the entries behind it for the same webhook: its holder sends them next (followerOf), nor
  // any while an invocation holds the record (it queued them, and delivers once it has acted). One
  // due and left (the invocation's budget spent, its webhook paced): again soon (slackAgainAt).
  const sending = new Set((record.outbox ?? []).filter((e) => e.lease).map((e) => e.webhook));
  const held = record.lease !== undefined && record.lease.until > now;
  for (const entry of record.outbox ?? []) {
    if (entry.lease || sending.has(entry.webhook)) continue;
    add(held ? entry.nextAt : slackAgainAt(entry.nextAt, now, slackSpread(record.key, now)), 'Slack retry');
  }
  const scaling = record.scaling;
  const policy = target.scaling;
  if (scaling && policy) {
    for (const firing of Object.values(scaling.firing)) {
      const from = firing.appliedAt ?? firing.since;
      add(from + policy.outCooldownMs, 'scale-out cooldown ends');
      add(from + policy.inCooldownMs, 'scale-in cooldown ends');
    }
    if (Object.keys(scaling.firing).length > 0) {
      const last = Math.max(scaling.lastOut?.at ?? 0, scaling.lastIn?.at ?? 0);
      if (last > 0) add(last + policy.inCooldownMs, 'scale-in cooldown ends');
    }
  }
  add(record.failing?.nextAt, 'retry of a failing target');
  let first: Wake | undefined;
  for (const c of candidates) if (!first || c.at < first.at) first = c;
  return first;
}

/**
 * Whether a wake-up reads the gate alarms from CloudWatch instead of trusting what alarm events
 * told: at a bake's end the step is about to move on (more traffic, or promotion) on the gates'
 * word, and an ALARM whose event was lost would otherwise be heard only at the next sweep, after
 * the failing revision took the traffic. One DescribeAlarms a step buys that.
 *   "bake of step 1 ends"              -> true
 *   "health recheck of step 2"         -> false (no step moves on a recheck without a bake)
 *   "approval of step 2 times out"     -> false (a timeout rolls back or holds: no traffic moves)
 *   "Slack retry", "freeze ends"       -> false
 *   undefined (no wake-up recorded)    -> false
 */
export function wakeReadsGates(why: string | undefined): boolean {
  return why !== undefined && /^bake of step \d+ ends$/.test(why);
}

/**
 * Whether a wake-up looks in full, as the sweep does (stopped tasks and every gate read from AWS, not
 * only what events told): a step still waiting for its tasks at a health recheck or its deadline
 * has missed an event it expected (its tasks in service, or a failure's), and with the task
 * events lost a look at running tasks only would count no failure until the deadline. A recheck
 * normally finds the record moved on (stale: one GetItem), so the full look is paid when it helps.
 *   "health recheck of step 2"          -> true
 *   "deadline of step 1"                -> true
 *   "bake of step 1 ends"               -> false (its gates are read: wakeReadsGates)
 *   "Slack retry", undefined            -> false
 */
export function wakeLooksInFull(why: string | undefined): boolean {
  return why !== undefined && /^(health recheck|deadline) of step \d+$/.test(why);
}

/**
 * Whether the record has work outstanding: the sweep reads it (it is in the sparse index).
 *   a rollout in flight, a push waiting for a rollback or a freeze, a Slack message not yet taken, a scaling
 *   alarm in ALARM, a failing target, a lease held, a wake-up scheduled   -> true
 *   idle (history, last good, bad digests only)                          -> false
 */
export function outstanding(record: ServiceRecord): boolean {
  return (
    !!record.rollout ||
    !!record.queuedPush ||
    !!record.frozenPush ||
    (record.outbox?.length ?? 0) > 0 ||
    Object.keys(record.scaling?.firing ?? {}).length > 0 ||
    !!record.failing ||
    !!record.lease ||
    !!record.wake
  );
}

/** SQS's longest delay: "Valid values: 0 to 900. Maximum: 15 minutes" (SQS API Reference, SendMessage). */
export const MAX_DELAY_SECONDS = 900;

/**
 * The DelaySeconds of a wake-up message: whole seconds, rounded up so it never arrives early, at
 * most 15 minutes (a later moment is reached by chaining: the woken handler sends it on).
 *   at = now + 300,000 ms  -> 300
 *   at = now + 1,200 ms    -> 2
 *   at = now - 5,000 ms    -> 0   (due already)
 *   at = now + 2 h         -> 900 (then chained)
 */
export function delaySeconds(at: number, now: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((at - now) / 1000)));
}

/** What a wake-up message carries: which record, and the moment it was scheduled for. */
export interface WakeMessage {
  service: string;
  at: number;
}

export function wakeBody(service: string, at: number): string {
  return JSON.stringify({ service, at } satisfies WakeMessage);
}

/**
 * A message body read back, or why it is not one.
 *   '{"service":"prod/web","at":1767225600000}' -> { service: 'prod/web', at: 1767225600000 }
 *   '{"service":"prod/web"}'                    -> 'no wake time'
 */
export function parseWakeBody(body: unknown): WakeMessage | string {
  let parsed: unknown;
  try {
    parsed = typeof body === 'string' ? JSON.parse(body) : undefined;
  } catch {
    return 'not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null) return 'not a JSON object';
  const { service, at } = parsed as Record<string, unknown>;
  if (typeof service !== 'string' || !/^[^/]+\/[^/]+$/.test(service)) return 'no service (cluster/service)';
  if (typeof at !== 'number' || !Number.isFinite(at)) return 'no wake time';
  return { service, at };
}
