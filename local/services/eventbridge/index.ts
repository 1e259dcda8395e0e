/**
 * The local EventBridge: the default event bus (and optional custom buses), rules with event
 * patterns or schedules, targets, and delivery of matched events to local Lambda stand-ins
 * (`world.functions`) on the virtual clock. JSON 1.1, target `AWSEvents`.
 *
 *   world.events.put(event)     // an AWS service event (world.emit) or a PutEvents entry
 *   await world.events.drain()  // invokes every delivery that is due now
 *
 * Delivery model (sources in aws-facts.md §5 and below):
 * - Each matched (rule, target) pair becomes a queued `Delivery`. `drain()` invokes the due ones,
 *   in order, awaiting each target.
 * - A function error is retried the way Lambda retries asynchronous invocations: "by default Lambda
 *   attempts to run it two more times, with a one-minute wait between the first two attempts, and two
 *   minutes between the second and third attempts" (Lambda Developer Guide, "How Lambda handles
 *   errors and retries with asynchronous invocation"); `lambdaConfig` plays PutFunctionEventInvokeConfig
 *   (MaximumRetryAttempts 0-2, MaximumEventAgeInSeconds 60-21600).
 * - A target that doesn't exist is not retried: "for errors that result from missing permissions to a
 *   target, or a target resource that no longer exists … EventBridge sends these events directly to
 *   the DLQ" (EventBridge User Guide, "Event retry policy and using dead-letter queues").
 * - A delivery failure on EventBridge's side (only injected by the fault layer, `{ fail }`) is retried
 *   under the target's RetryPolicy (default 185 attempts / 24 h, "exponential back off and jitter";
 *   here without jitter: 1 s doubling up to 5 min, so runs replay exactly).
 * - Whatever finally fails lands in `deadLetters` with the DLQ message attributes AWS documents
 *   (error code/message, exhausted retry condition, rule ARN, retry attempts, target ARN). With no
 *   DeadLetterConfig AWS drops the event; here it is still recorded (with no `deadLetterArn`).
 *
 * - A target that is an SQS queue gets the event as a message: "EventBridge sends the event to the
 *   queue as the message body", the whole event as JSON unless the target sets an input (EventBridge
 *   User Guide, "Amazon SQS" as a target; the queue's policy must let events.amazonaws.com
 *   SendMessage). A queue that does not exist is a target that no longer exists (straight to the
 *   dead letters); Lambda's retries are then the queue's event source mapping's, not EventBridge's.
 *
 * The fault layer plugs in through `faults.onDeliver(delivery)`, asked before every attempt, to a
 * function or a queue alike.
 */

import type { FunctionsContext, LatencyContext, QueuesContext, WorldContext } from '../../core/context.ts';
import { AwsError } from '../../core/errors.ts';
import type { AwsEvent, LocalService } from '../../core/service.ts';
import { type InputTransformer, inputProblem, targetPayload } from './input.ts';
import { type EventPattern, matchesPattern, parsePattern } from './pattern.ts';
import { nextFire, parseSchedule, type Schedule } from './schedule.ts';

export { matchesPattern, parsePattern, validatePattern } from './pattern.ts';

/** A rule target as PutTargets stores it (the fields the local world acts on, plus whatever else was sent). */
export interface TargetConfig {
  Id: string;
  Arn: string;
  RoleArn?: string;
  Input?: string;
  InputPath?: string;
  InputTransformer?: InputTransformer;
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  DeadLetterConfig?: { Arn?: string };
  [other: string]: unknown;
}

type RuleState = 'ENABLED' | 'DISABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
const STATES: RuleState[] = ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'];

interface Rule {
  name: string;
  bus: string;
  arn: string;
  eventPattern?: string;
  pattern?: EventPattern;
  scheduleExpression?: string;
  schedule?: Schedule;
  /** When the current schedule started: rate expressions count from here. */
  scheduleStart: number;
  state: RuleState;
  description?: string;
  roleArn?: string;
  targets: Map<string, TargetConfig>;
  cancelTimer?: () => void;
}

/** One queued delivery of one event to one target. The fault layer sees it before each attempt. */
export interface Delivery {
  readonly seq: number;
  readonly event: AwsEvent;
  readonly rule: string;
  readonly ruleArn: string;
  readonly bus: string;
  readonly target: Readonly<TargetConfig>;
  /** The attempt about to be made (1 = first). */
  attempt: number;
  /** Virtual time (ms) at which it is due. */
  dueAt: number;
  /** When EventBridge accepted it: retry and event-age limits count from here. */
  readonly enqueuedAt: number;
  /** Function errors so far (Lambda's asynchronous retries). */
  functionErrors: number;
  /** EventBridge-side delivery failures so far (target RetryPolicy). */
  deliveryErrors: number;
  /** Times the fault layer delayed it. */
  delays: number;
  /** Set on the copy queued by a `duplicate` fault: the seq of the delivery it copies. */
  readonly duplicateOf?: number;
}

/**
 * What the fault layer decides for one attempt. The hook is asked again for a duplicate's copy
 * (`duplicateOf` set) and for a delayed delivery when it comes due (`delays` > 0): a hook that always
 * duplicates or always delays makes `world.settle()` give up ("a target loops").
 */
export type FaultDecision =
  | 'deliver'
  | 'drop'
  | 'duplicate'
  | { delayMs: number }
  /** EventBridge fails to reach the target (throttled, unavailable): retried under the target's RetryPolicy. */
  | { fail: string };

export interface DeliveryFaults {
  onDeliver(delivery: Readonly<Delivery>): FaultDecision;
}

export type DeliveryOutcome = 'delivered' | 'failed' | 'dropped' | 'delayed';

/** One attempt (or fault decision) in the delivery log. */
export interface DeliveryRecord {
  /** Virtual time (ms). */
  at: number;
  seq: number;
  eventId: string;
  source: string;
  detailType: string;
  rule: string;
  targetId: string;
  targetArn: string;
  attempt: number;
  outcome: DeliveryOutcome;
  error?: string;
  /** When the next attempt is due, if one was scheduled. */
  retryAt?: number;
  /** The delivery ended in `deadLetters`. */
  deadLettered?: boolean;
  duplicateOf?: number;
}

/** An event that could not be delivered, with the attributes EventBridge puts on DLQ messages. */
export interface DeadLetter {
  at: number;
  event: AwsEvent;
  rule: string;
  ruleArn: string;
  targetId: string;
  targetArn: string;
  /** The target's DeadLetterConfig.Arn; undefined means AWS would have dropped the event. */
  deadLetterArn?: string;
  errorCode: string;
  errorMessage: string;
  /** `RetriesExhausted` (Lambda's retries), `EventAgeExceeded`, `MaximumRetryAttempts`, `MaximumEventAgeInSeconds`, `NotRetryable`. */
  exhaustedRetryCondition: string;
  retryAttempts: number;
}

/** Lambda's asynchronous-invocation settings for one function (PutFunctionEventInvokeConfig). */
export interface EventInvokeConfig {
  MaximumRetryAttempts?: number;
  MaximumEventAgeInSeconds?: number;
}

const LAMBDA_RETRY_DELAYS_MS = [60_000, 120_000];
const LAMBDA_DEFAULT_MAX_AGE_S = 6 * 3600;
const EB_DEFAULT_RETRIES = 185;
const EB_DEFAULT_MAX_AGE_S = 86_400;
// @aws-sdk/client-eventbridge 3.1164 PutEvents doc (API model): "the total entry size must be less than 1MB"
// (it was 256 KB before 2026). Entry size as in "Calculating PutEvents event entry size".
export const MAX_PUT_EVENTS_BYTES = 1024 * 1024;
const MAX_TARGETS_PER_RULE = 5; // EventBridge quotas: 5 targets per rule

const NAME_RE = /^[.\-_A-Za-z0-9]+$/;

const validation = (message: string) => new AwsError('ValidationException', message);
const notFound = (message: string) => new AwsError('ResourceNotFoundException', message);

/** What the local EventBridge asks of its world: the shared context, Lambda stand-ins, and the event log. */
export interface EventBridgeContext extends WorldContext, FunctionsContext, LatencyContext, QueuesContext {
  /** Records an event the bus accepted, with its virtual time. */
  logEvent(event: AwsEvent): void;
}

export class LocalEventBridge implements LocalService {
  readonly name = 'events';
  readonly target = 'AWSEvents';
  readonly protocol = 'json1.1' as const;

  /** The fault layer: asked before every delivery attempt. */
  faults?: DeliveryFaults;
  /** Every attempt and fault decision, in order. */
  readonly deliveries: DeliveryRecord[] = [];
  /** Deliveries that failed for good. Never silently lost. */
  readonly deadLetters: DeadLetter[] = [];
  /** Per-function asynchronous invocation settings, keyed by function ARN. */
  readonly lambdaConfig = new Map<string, EventInvokeConfig>();

  private readonly buses = new Map<string, { name: string; arn: string; description?: string }>();
  /** Rules by `${bus}/${name}`, in creation order (delivery order follows it). */
  private readonly rules = new Map<string, Rule>();
  private queue: Delivery[] = [];
  private seq = 0;

  constructor(readonly world: EventBridgeContext) {
    this.buses.set('default', { name: 'default', arn: this.busArn('default') });
  }

  // ---- in-process API -----------------------------------------------------------------------

  /** Accepts an event on a bus: logs it and queues a delivery for each target of each enabled matching rule. */
  put(event: AwsEvent, bus = 'default'): void {
    this.world.logEvent(event);
    for (const rule of this.rules.values()) {
      if (rule.bus !== bus || rule.state === 'DISABLED' || !rule.pattern) continue;
      if (!matchesPattern(rule.pattern, event)) continue;
      for (const target of rule.targets.values()) this.enqueue(event, rule, target, this.world.now());
    }
  }

  /**
   * Processes every delivery due now (virtual time), in due order, each as its own invocation
   * (core/concurrency.ts), awaiting what each does by now. Returns how
   * many were processed (delivered, failed or handled by a fault); 0 means nothing was due.
   * Deliveries queued meanwhile (targets that put events) wait for the next call.
   */
  async drain(): Promise<number> {
    const now = this.world.now();
    const due = this.queue.filter((d) => d.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq);
    if (due.length === 0) return 0;
    this.queue = this.queue.filter((d) => d.dueAt > now);
    // Each delivery is its own invocation, running concurrently with the others (core/concurrency.ts).
    // Waits for what is due now; an invocation whose next call is later (latency) waits on the clock.
    for (const d of due) void this.world.tasks.run(d.dueAt, () => this.process(d));
    await this.world.tasks.idle();
    return due.length;
  }

  /** When the next delivery is due, if any waits. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const d of this.queue) if (next === undefined || d.dueAt < next) next = d.dueAt;
    return next;
  }

  /** Deliveries waiting (due now or later). */
  pending(): readonly Readonly<Delivery>[] {
    return [...this.queue].sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq);
  }

  // ---- operations ---------------------------------------------------------------------------

  readonly operations: Record<string, (input: any) => unknown> = {
    PutEvents: (input: { Entries?: any[] }) => this.putEvents(input),
    PutRule: (input: any) => this.putRule(input),
    DescribeRule: (input: { Name: string; EventBusName?: string }) => {
      const r = this.rule(input.Name, input.EventBusName);
      return { ...this.ruleView(r), CreatedBy: this.world.account };
    },
    ListRules: (input: {
      NamePrefix?: string;
      EventBusName?: string;
      Limit?: number;
      NextToken?: string;
    }) => {
      const bus = this.bus(input.EventBusName);
      const all = [...this.rules.values()]
        .filter((r) => r.bus === bus && r.name.startsWith(input.NamePrefix ?? ''))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const { page, next } = paginate(all, input.Limit, input.NextToken);
      return { Rules: page.map((r) => this.ruleView(r)), ...(next ? { NextToken: next } : {}) };
    },
    DeleteRule: (input: { Name: string; EventBusName?: string }) => {
      const bus = this.bus(input.EventBusName);
      const r = this.rules.get(`${bus}/${input.Name}`);
      if (!r) return {}; // DeleteRule of a missing rule succeeds (idempotent)
      // AWS: "Before you can delete the rule, you must remove all targets, using RemoveTargets."
      if (r.targets.size > 0) throw validation("Rule can't be deleted since it has targets.");
      r.cancelTimer?.();
      this.rules.delete(`${bus}/${input.Name}`);
      return {};
    },
    EnableRule: (input: { Name: string; EventBusName?: string }) => {
      this.rule(input.Name, input.EventBusName).state = 'ENABLED';
      return {};
    },
    DisableRule: (input: { Name: string; EventBusName?: string }) => {
      this.rule(input.Name, input.EventBusName).state = 'DISABLED';
      return {};
    },
    PutTargets: (input: { Rule: string; EventBusName?: string; Targets?: TargetConfig[] }) =>
      this.putTargets(input),
    RemoveTargets: (input: { Rule: string; EventBusName?: string; Ids?: string[] }) => {
      const r = this.rule(input.Rule, input.EventBusName);
      const ids = input.Ids ?? [];
      if (ids.length < 1 || ids.length > 100) {
        throw validation(
          `1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have length between 1 and 100`,
        );
      }
      for (const id of ids) r.targets.delete(id);
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    ListTargetsByRule: (input: {
      Rule: string;
      EventBusName?: string;
      Limit?: number;
      NextToken?: string;
    }) => {
      const r = this.rule(input.Rule, input.EventBusName);
      const { page, next } = paginate([...r.targets.values()], input.Limit, input.NextToken);
      return { Targets: page.map((t) => structuredClone(t)), ...(next ? { NextToken: next } : {}) };
    },
    ListRuleNamesByTarget: (input: { TargetArn: string; EventBusName?: string }) => {
      const bus = this.bus(input.EventBusName);
      const names = [...this.rules.values()]
        .filter((r) => r.bus === bus && [...r.targets.values()].some((t) => t.Arn === input.TargetArn))
        .map((r) => r.name)
        .sort();
      return { RuleNames: names };
    },
    TestEventPattern: (input: { EventPattern?: string; Event?: string }) => {
      const parsed = parsePattern(input.EventPattern ?? '');
      if ('error' in parsed) throw invalidPattern(parsed.error);
      let event: any;
      try {
        event = JSON.parse(input.Event ?? '');
      } catch {
        throw validation('Parameter Event is not valid.');
      }
      // The API checks the envelope: id, account, source, time, region, resources and detail-type.
      const required = ['id', 'account', 'source', 'time', 'region', 'detail-type'];
      if (
        typeof event !== 'object' ||
        event === null ||
        required.some((k) => typeof event[k] !== 'string') ||
        !Array.isArray(event.resources)
      ) {
        throw validation('Parameter Event is not valid.');
      }
      return { Result: matchesPattern(parsed.pattern, event) };
    },
    CreateEventBus: (input: { Name: string; Description?: string }) => {
      if (!input.Name || !/^[/.\-_A-Za-z0-9]{1,256}$/.test(input.Name)) {
        throw validation(
          `1 validation error detected: Value '${input.Name}' at 'name' failed to satisfy constraint`,
        );
      }
      if (this.buses.has(input.Name)) {
        throw new AwsError('ResourceAlreadyExistsException', `Event bus ${input.Name} already exists.`);
      }
      const bus = { name: input.Name, arn: this.busArn(input.Name), description: input.Description };
      this.buses.set(input.Name, bus);
      return { EventBusArn: bus.arn, ...(input.Description ? { Description: input.Description } : {}) };
    },
    DescribeEventBus: (input: { Name?: string }) => {
      const b = this.buses.get(this.bus(input.Name))!;
      return { Name: b.name, Arn: b.arn, ...(b.description ? { Description: b.description } : {}) };
    },
    ListEventBuses: (input: { NamePrefix?: string }) => ({
      EventBuses: [...this.buses.values()]
        .filter((b) => b.name.startsWith(input.NamePrefix ?? ''))
        .map((b) => ({ Name: b.name, Arn: b.arn })),
    }),
    DeleteEventBus: (input: { Name: string }) => {
      if (input.Name === 'default') throw validation('Cannot delete event bus default.');
      for (const [key, r] of this.rules) {
        if (r.bus === input.Name) {
          r.cancelTimer?.();
          this.rules.delete(key);
        }
      }
      this.buses.delete(input.Name);
      return {};
    },
  };

  // ---- PutEvents ----------------------------------------------------------------------------

  private putEvents(input: { Entries?: any[] }) {
    const entries = input.Entries ?? [];
    if (entries.length < 1 || entries.length > 10) {
      throw validation(
        `1 validation error detected: Value '${entries.length} entries' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1`,
      );
    }
    if (entries.reduce((n, e) => n + entrySize(e), 0) > MAX_PUT_EVENTS_BYTES) {
      throw validation('Total size of the entries in the request is over the limit.');
    }
    // "If you submit a request in which none of the entries have each of these properties, EventBridge
    // fails the entire request." (PutEventsRequestEntry doc)
    if (!entries.some((e) => e?.Source && e?.DetailType && e?.Detail)) {
      throw validation('Parameters Source, DetailType and Detail are required in at least one entry.');
    }
    const results = entries.map((e) => this.putEntry(e));
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  private putEntry(e: any): { EventId: string } | { ErrorCode: string; ErrorMessage: string } {
    const err = (ErrorCode: string, ErrorMessage: string) => ({ ErrorCode, ErrorMessage });
    for (const field of ['Source', 'DetailType', 'Detail'] as const) {
      if (typeof e?.[field] !== 'string' || e[field] === '') {
        return err(
          'InvalidArgument',
          `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
        );
      }
    }
    if (e.DetailType.length > 128) {
      return err(
        'InvalidArgument',
        'Parameter DetailType is not valid. Reason: DetailType exceeds 128 characters.',
      );
    }
    if (
      e.Resources !== undefined &&
      (!Array.isArray(e.Resources) || e.Resources.some((r: unknown) => typeof r !== 'string'))
    ) {
      return err('InvalidArgument', 'Parameter Resources is not valid.');
    }
    let detail: unknown;
    try {
      detail = JSON.parse(e.Detail);
    } catch {
      return err('MalformedDetail', 'Detail is malformed.');
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return err('MalformedDetail', 'Detail is malformed.');
    }
    // Custom events can't claim an AWS service source.
    if (e.Source.startsWith('aws.'))
      return err('NotAuthorizedForSourceException', 'Not authorized for the source.');
    let bus: string;
    try {
      bus = this.bus(e.EventBusName);
    } catch (x) {
      return err('ResourceNotFoundException', (x as Error).message);
    }
    const time = e.Time === undefined ? this.world.now() : Number(e.Time) * 1000;
    if (!Number.isFinite(time)) return err('InvalidArgument', 'Parameter Time is not valid.');
    const event: AwsEvent = {
      version: '0',
      id: this.world.ids.uuid(),
      'detail-type': e.DetailType,
      source: e.Source,
      account: this.world.account,
      time: isoSeconds(time),
      region: this.world.region,
      resources: e.Resources ?? [],
      detail,
    };
    this.put(event, bus);
    return { EventId: event.id };
  }

  // ---- rules --------------------------------------------------------------------------------

  private putRule(input: {
    Name: string;
    EventPattern?: string;
    ScheduleExpression?: string;
    State?: string;
    Description?: string;
    RoleArn?: string;
    EventBusName?: string;
  }) {
    checkName(input.Name, 'name');
    const bus = this.bus(input.EventBusName);
    if (input.State !== undefined && !STATES.includes(input.State as RuleState)) {
      throw validation(
        `1 validation error detected: Value '${input.State}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [${STATES.join(', ')}]`,
      );
    }
    if (!input.EventPattern && !input.ScheduleExpression) {
      throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
    }
    let pattern: EventPattern | undefined;
    if (input.EventPattern) {
      const parsed = parsePattern(input.EventPattern);
      if ('error' in parsed) throw invalidPattern(parsed.error);
      pattern = parsed.pattern;
    }
    let schedule: Schedule | undefined;
    if (input.ScheduleExpression) {
      if (bus !== 'default')
        throw validation('ScheduleExpression is supported only on the default event bus.');
      schedule = parseSchedule(input.ScheduleExpression);
      if (!schedule) throw validation('Parameter ScheduleExpression is not valid.');
    }
    const key = `${bus}/${input.Name}`;
    const existing = this.rules.get(key);
    // PutRule replaces the rule: omitted arguments are not kept (targets are).
    const rule: Rule = {
      name: input.Name,
      bus,
      arn: this.world.arn('events', bus === 'default' ? `rule/${input.Name}` : `rule/${bus}/${input.Name}`),
      eventPattern: input.EventPattern,
      pattern,
      scheduleExpression: input.ScheduleExpression,
      schedule,
      scheduleStart:
        existing && existing.scheduleExpression === input.ScheduleExpression
          ? existing.scheduleStart
          : this.world.now(),
      state: (input.State as RuleState | undefined) ?? 'ENABLED',
      description: input.Description,
      roleArn: input.RoleArn,
      targets: existing?.targets ?? new Map(),
    };
    existing?.cancelTimer?.();
    this.rules.set(key, rule);
    this.arm(rule);
    return { RuleArn: rule.arn };
  }

  private ruleView(r: Rule) {
    return {
      Name: r.name,
      Arn: r.arn,
      ...(r.eventPattern ? { EventPattern: r.eventPattern } : {}),
      ...(r.scheduleExpression ? { ScheduleExpression: r.scheduleExpression } : {}),
      State: r.state,
      ...(r.description !== undefined ? { Description: r.description } : {}),
      ...(r.roleArn ? { RoleArn: r.roleArn } : {}),
      EventBusName: r.bus,
    };
  }

  private putTargets(input: { Rule: string; EventBusName?: string; Targets?: TargetConfig[] }) {
    const r = this.rule(input.Rule, input.EventBusName);
    const targets = input.Targets ?? [];
    if (targets.length < 1 || targets.length > 10) {
      throw validation(
        `1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1`,
      );
    }
    for (const t of targets) {
      checkName(t?.Id, 'targets.member.id');
      if (!t.Arn)
        throw validation(
          `1 validation error detected: Value null at 'targets.member.arn' failed to satisfy constraint: Member must not be null`,
        );
    }
    const newIds = targets.map((t) => t.Id).filter((id) => !r.targets.has(id));
    if (r.targets.size + new Set(newIds).size > MAX_TARGETS_PER_RULE) {
      throw new AwsError(
        'LimitExceededException',
        'The requested resource exceeds the maximum number allowed.',
      );
    }
    const failed: { TargetId: string; ErrorCode: string; ErrorMessage: string }[] = [];
    for (const t of targets) {
      const problem = inputProblem(t) ?? retryPolicyProblem(t.RetryPolicy);
      if (problem) {
        failed.push({ TargetId: t.Id, ErrorCode: 'ValidationException', ErrorMessage: problem });
        continue;
      }
      r.targets.set(t.Id, structuredClone(t));
    }
    return { FailedEntryCount: failed.length, FailedEntries: failed };
  }

  private rule(name: string, busName?: string): Rule {
    const bus = this.bus(busName);
    const r = this.rules.get(`${bus}/${name}`);
    if (!r) throw notFound(`Rule ${name} does not exist on EventBus ${bus}.`);
    return r;
  }

  /** A bus name from a name or ARN (default when omitted); throws ResourceNotFoundException if unknown. */
  private bus(nameOrArn?: string): string {
    if (!nameOrArn) return 'default';
    const name = nameOrArn.startsWith('arn:')
      ? nameOrArn.slice(nameOrArn.indexOf(':event-bus/') + 11)
      : nameOrArn;
    if (!this.buses.has(name)) throw notFound(`Event bus ${name} does not exist.`);
    return name;
  }

  private busArn(name: string): string {
    return this.world.arn('events', `event-bus/${name}`);
  }

  // ---- schedules ----------------------------------------------------------------------------

  private arm(rule: Rule): void {
    rule.cancelTimer = undefined;
    const schedule = rule.schedule;
    if (!schedule) return;
    const armAfter = (after: number) => {
      const at = nextFire(schedule, after, rule.scheduleStart);
      if (at === undefined) return;
      rule.cancelTimer = this.world.clock.at(at, () => {
        armAfter(at);
        this.fire(rule, at);
      });
    };
    armAfter(this.world.now());
  }

  /** A scheduled rule fires: the 'Scheduled Event' envelope, to this rule's targets only. */
  private fire(rule: Rule, at: number): void {
    if (this.rules.get(`${rule.bus}/${rule.name}`) !== rule || rule.state === 'DISABLED') return;
    // EventBridge events reference, "Scheduled events": source aws.events, detail-type "Scheduled Event",
    // the rule's ARN in resources and an empty detail.
    const event: AwsEvent = {
      version: '0',
      id: this.world.ids.uuid(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.world.account,
      time: isoSeconds(at),
      region: this.world.region,
      resources: [rule.arn],
      detail: {},
    };
    for (const target of rule.targets.values()) this.enqueue(event, rule, target, at);
  }

  // ---- delivery -----------------------------------------------------------------------------

  private enqueue(event: AwsEvent, rule: Rule, target: TargetConfig, at: number): void {
    // Delivery to the target takes time (core/latency.ts; zero unless the world models latency).
    const dueAt = at + this.world.latency.delivery();
    this.schedule({
      seq: this.seq++,
      event,
      rule: rule.name,
      ruleArn: rule.arn,
      bus: rule.bus,
      target: structuredClone(target),
      attempt: 1,
      dueAt,
      enqueuedAt: this.world.now(),
      functionErrors: 0,
      deliveryErrors: 0,
      delays: 0,
    });
  }

  private schedule(d: Delivery): void {
    this.queue.push(d);
    // A no-op timer, so the clock knows when the next delivery is due.
    if (d.dueAt > this.world.now()) this.world.clock.at(d.dueAt, () => {});
  }

  private record(d: Delivery, outcome: DeliveryOutcome, extra: Partial<DeliveryRecord> = {}): void {
    this.deliveries.push({
      at: this.world.now(),
      seq: d.seq,
      eventId: d.event.id,
      source: d.event.source,
      detailType: d.event['detail-type'],
      rule: d.rule,
      targetId: d.target.Id,
      targetArn: d.target.Arn,
      attempt: d.attempt,
      outcome,
      ...(d.duplicateOf !== undefined ? { duplicateOf: d.duplicateOf } : {}),
      ...extra,
    });
  }

  private async process(d: Delivery): Promise<void> {
    const now = this.world.now();
    const decision = this.faults?.onDeliver(d) ?? 'deliver';
    if (decision === 'drop') {
      this.record(d, 'dropped');
      return;
    }
    if (typeof decision === 'object' && 'delayMs' in decision) {
      d.dueAt = now + Math.max(0, decision.delayMs);
      d.delays++;
      this.record(d, 'delayed', { retryAt: d.dueAt });
      this.schedule(d);
      return;
    }
    if (typeof decision === 'object' && 'fail' in decision) {
      this.deliveryFailed(d, decision.fail);
      return;
    }
    if (decision === 'duplicate') {
      this.schedule({ ...d, seq: this.seq++, duplicateOf: d.seq, dueAt: now });
    }

    if (d.target.Arn.startsWith('arn:aws:sqs:')) {
      this.sendToQueue(d);
      return;
    }
    const fn = this.world.functions.get(d.target.Arn) ?? this.world.functions.get(unqualified(d.target.Arn));
    if (!fn) {
      const message = `Function not found: ${d.target.Arn}`;
      this.deadLetter(d, 'ResourceNotFoundException', message, 'NotRetryable');
      this.record(d, 'failed', { error: message, deadLettered: true });
      return;
    }
    const rule = { name: d.rule, arn: d.ruleArn };
    try {
      await fn(targetPayload(d.target, d.event, rule, d.enqueuedAt));
      this.record(d, 'delivered');
    } catch (e) {
      this.functionFailed(d, e);
    }
  }

  /** An SQS target: the payload (the event, or the target's input) as the message body. */
  private sendToQueue(d: Delivery): void {
    const payload = targetPayload(d.target, d.event, { name: d.rule, arn: d.ruleArn }, d.enqueuedAt);
    try {
      this.world.queues.send(d.target.Arn, typeof payload === 'string' ? payload : JSON.stringify(payload));
      this.record(d, 'delivered');
    } catch (e) {
      const error = e instanceof AwsError ? e : undefined;
      const message = e instanceof Error ? e.message : String(e);
      if (error?.code === 'QueueDoesNotExist') {
        this.deadLetter(d, 'ResourceNotFoundException', message, 'NotRetryable');
        this.record(d, 'failed', { error: message, deadLettered: true });
      } else this.deliveryFailed(d, message);
    }
  }

  /** Lambda's asynchronous retries of a function error. */
  private functionFailed(d: Delivery, e: unknown): void {
    const now = this.world.now();
    const message = e instanceof Error ? e.message : String(e);
    const config =
      this.lambdaConfig.get(d.target.Arn) ?? this.lambdaConfig.get(unqualified(d.target.Arn)) ?? {};
    const maxRetries = config.MaximumRetryAttempts ?? LAMBDA_RETRY_DELAYS_MS.length;
    const maxAgeMs = (config.MaximumEventAgeInSeconds ?? LAMBDA_DEFAULT_MAX_AGE_S) * 1000;
    d.functionErrors++;
    const retryAt = now + (LAMBDA_RETRY_DELAYS_MS[d.functionErrors - 1] ?? 120_000);
    const withinRetries = d.functionErrors <= maxRetries;
    if (this.retried(d, message, retryAt, withinRetries, maxAgeMs)) return;
    const condition = withinRetries ? 'EventAgeExceeded' : 'RetriesExhausted';
    this.deadLetter(d, e instanceof Error ? e.name : 'Error', message, condition);
    this.record(d, 'failed', { error: message, deadLettered: true });
  }

  /** EventBridge could not hand the event to the target: retried under the target's RetryPolicy. */
  private deliveryFailed(d: Delivery, message: string): void {
    const now = this.world.now();
    const policy = d.target.RetryPolicy ?? {};
    const maxRetries = policy.MaximumRetryAttempts ?? EB_DEFAULT_RETRIES;
    const maxAgeMs = (policy.MaximumEventAgeInSeconds ?? EB_DEFAULT_MAX_AGE_S) * 1000;
    d.deliveryErrors++;
    const retryAt = now + Math.min(1000 * 2 ** (d.deliveryErrors - 1), 300_000);
    const withinRetries = d.deliveryErrors <= maxRetries;
    if (this.retried(d, message, retryAt, withinRetries, maxAgeMs)) return;
    const condition = withinRetries ? 'MaximumEventAgeInSeconds' : 'MaximumRetryAttempts';
    this.deadLetter(d, 'DeliveryFailure', message, condition);
    this.record(d, 'failed', { error: message, deadLettered: true });
  }

  /**
   * A retry when one is left and the event is young enough at `retryAt`: the failure recorded and
   * the next attempt due then. False when not (the caller dead-letters it).
   */
  private retried(d: Delivery, message: string, retryAt: number, withinRetries: boolean, maxAgeMs: number) {
    if (!withinRetries || retryAt - d.enqueuedAt > maxAgeMs) return false;
    this.record(d, 'failed', { error: message, retryAt });
    d.attempt++;
    d.dueAt = retryAt;
    this.schedule(d);
    return true;
  }

  private deadLetter(d: Delivery, errorCode: string, errorMessage: string, condition: string): void {
    this.deadLetters.push({
      at: this.world.now(),
      event: d.event,
      rule: d.rule,
      ruleArn: d.ruleArn,
      targetId: d.target.Id,
      targetArn: d.target.Arn,
      ...(d.target.DeadLetterConfig?.Arn ? { deadLetterArn: d.target.DeadLetterConfig.Arn } : {}),
      errorCode,
      errorMessage,
      exhaustedRetryCondition: condition,
      retryAttempts: d.attempt - 1,
    });
  }
}

// ---- helpers ----------------------------------------------------------------------------------

function invalidPattern(reason: string): AwsError {
  return new AwsError('InvalidEventPatternException', `Event pattern is not valid. Reason: ${reason}`);
}

function checkName(value: unknown, field: string): void {
  if (typeof value !== 'string' || value.length < 1 || value.length > 64 || !NAME_RE.test(value)) {
    throw validation(
      `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length between 1 and 64`,
    );
  }
}

function retryPolicyProblem(p: TargetConfig['RetryPolicy']): string | undefined {
  if (!p) return undefined;
  const { MaximumRetryAttempts: n, MaximumEventAgeInSeconds: age } = p;
  if (n !== undefined && (!Number.isInteger(n) || n < 0 || n > 185)) {
    return 'RetryPolicy.MaximumRetryAttempts must be between 0 and 185.';
  }
  if (age !== undefined && (!Number.isInteger(age) || age < 60 || age > 86_400)) {
    return 'RetryPolicy.MaximumEventAgeInSeconds must be between 60 and 86400.';
  }
  return undefined;
}

/** PutEvents entry size: "Calculating PutEvents event entry size" (Time 14 bytes, UTF-8 of the rest). */
function entrySize(e: any): number {
  const bytes = (s: unknown) => (typeof s === 'string' ? Buffer.byteLength(s, 'utf8') : 0);
  let size = e?.Time !== undefined ? 14 : 0;
  size += bytes(e?.Source) + bytes(e?.DetailType) + bytes(e?.Detail);
  for (const r of Array.isArray(e?.Resources) ? e.Resources : []) size += bytes(r);
  return size;
}

/** EventBridge's `time`: whole seconds, "2019-11-16T01:54:34Z". */
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** `arn:aws:lambda:r:a:function:name:alias` → `arn:aws:lambda:r:a:function:name`. */
function unqualified(arn: string): string {
  const parts = arn.split(':');
  return parts[5] === 'function' && parts.length > 7 ? parts.slice(0, 7).join(':') : arn;
}

function paginate<T>(all: T[], limit?: number, token?: string): { page: T[]; next?: string } {
  const start = token ? Number(Buffer.from(token, 'base64').toString()) || 0 : 0;
  const size = limit && limit > 0 ? limit : 100;
  const page = all.slice(start, start + size);
  const end = start + page.length;
  return end < all.length ? { page, next: Buffer.from(String(end)).toString('base64') } : { page };
}
