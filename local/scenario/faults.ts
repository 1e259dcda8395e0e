/**
 * The fault layer: what goes wrong in AWS, injected into the local world on purpose, reproducibly.
 *
 *   const layer = applyFaults(world, plan, pipeline);   // after attachPipeline, before the clock moves
 *   ...
 *   layer.fired        // what actually fired, in order, with virtual times
 *   layer.dispose()
 *
 * A FaultPlan is plain data, written in a scenario file under `faults:` (see FAULTS_FORMAT below)
 * so that a failing property case prints as a file anyone can replay. Every fault names *which*
 * occurrence it hits by counting (the 3rd task event, the 7th invocation, the 120th AWS call,
 * the 2nd record write), never by wall time, and the world is deterministic, so a plan replays
 * exactly.
 *
 * The faults, and how each is made:
 * - events: EventBridge duplicates, delays (so later events overtake: reordering), drops, or fails
 *   to reach the target (retried under the target's RetryPolicy) the nth delivery of a detail-type.
 *   Through `world.events.faults.onDeliver`.
 * - kills: the nth invocation (any function, counted from 1) dies after its Nth AWS call: the next
 *   call, and every later one, fails with `InvocationKilled`, and the invocation fails whatever the
 *   handler does with the error. Lambda retries it as it retries any asynchronous invocation
 *   (1 then 2 minutes later), which the local EventBridge emulates.
 * - aws: the kth AWS call (counted over HTTP, SDK retries included) fails `times` times in a row:
 *   throttled, unavailable, an internal error, or access denied (not retried by the SDK).
 *   `rate` fails a share of all calls, drawn from its own seed.
 * - conflicts: the nth record write (a conditional PutItem) fails with
 *   ConditionalCheckFailedException as if another invocation had written first; `applied: true`
 *   makes it the ambiguous kind: the write lands but the caller is told it conflicted (what the
 *   SDK's retry of a write whose response was lost returns).
 * - races: the nth invocation gets a concurrent twin (the same event, as at-least-once delivery
 *   does): the twin runs to its end between the invocation's first record read and its first ECS
 *   call, so the invocation decides on a stale record and its conditional write loses.
 * - slack: the nth request to a Slack webhook (the local Slack) is answered 500, 429 (Retry-After
 *   30 s), 404 (a revoked webhook), or too late (`timeout`: Slack takes the message after the client
 *   gave up, so it may be sent twice).
 *
 * Everything runs in virtual time. The SDK's own retry back-off waits in real time, which the
 * virtual clock never sees, so `applyFaults` makes it zero (the attempts and the retry quota stay).
 */
import { Document, isMap, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import { validateConfig } from '../../lib/config.ts';
import { formatDuration, parseDuration } from '../../lib/duration.ts';
import type { ServiceRecord } from '../../lib/record.ts';
import { LOCAL_CLI } from '../cli-step.ts';
import { AwsError } from '../core/errors.ts';
import { Random } from '../core/random.ts';
import { attachPipeline, type LocalPipeline } from '../pipeline.ts';
import type { Delivery, FaultDecision } from '../services/eventbridge/index.ts';
import type { Answer } from '../services/slack/index.ts';
import type { World } from '../world.ts';
import { runScenario, type ScenarioReport } from './index.ts';
import {
  InvariantChecker,
  type InvariantHooks,
  type NotificationDelivery,
  type Violation,
} from './invariants.ts';
import { parseScenario, readScenarioFile, type Scenario, ScenarioError } from './parse.ts';

// ---- the plan ---------------------------------------------------------------------------------

export type AwsErrorKind = 'throttle' | 'unavailable' | 'internal' | 'denied';
export const AWS_ERROR_KINDS: readonly AwsErrorKind[] = ['throttle', 'unavailable', 'internal', 'denied'];

export type EventFaultAction = 'drop' | 'duplicate' | 'delay' | 'fail';
export const EVENT_FAULT_ACTIONS: readonly EventFaultAction[] = ['drop', 'duplicate', 'delay', 'fail'];

export interface EventFault {
  /** The detail-type it applies to (`ECS Task State Change`, `Scheduled Event`...), or `*` for any. */
  match: string;
  /** Which delivery of that detail-type, counting first attempts of original deliveries from 1. */
  nth: number;
  do: EventFaultAction;
  /** `delay`: by how long (ms). */
  byMs?: number;
  /** `fail`: how many attempts in a row EventBridge fails to reach the target. Default 1. */
  times?: number;
}

export interface KillFault {
  /** Which invocation (of any function, in order, from 1; Lambda's retries count as invocations). */
  invocation: number;
  /** It dies after this many AWS calls (0: before its first). */
  after: number;
}

export interface AwsCallFault {
  /** Which AWS call (over HTTP, in order, from 1). */
  call: number;
  /** How many calls in a row from there fail (the SDK retries up to 5 attempts). Default 1. */
  times?: number;
  error: AwsErrorKind;
}

export interface RateFault {
  /** Share of AWS calls that fail, 0 to 1. */
  share: number;
  seed: number;
  error: AwsErrorKind;
}

export interface ConflictFault {
  /** Which record write (conditional PutItem, in order, from 1). */
  write: number;
  /** The write lands but its caller is told it conflicted. */
  applied?: boolean;
}

export interface RaceFault {
  /** Which invocation gets a concurrent twin. */
  invocation: number;
}

export type SlackFailure = 'http-500' | 'http-429' | 'timeout' | 'invalid-url';
export const SLACK_FAILURES: readonly SlackFailure[] = ['http-500', 'http-429', 'timeout', 'invalid-url'];

export interface SlackFault {
  /** Which request to a Slack webhook (in order, from 1). */
  request: number;
  fail: SlackFailure;
  /** How many requests in a row from there fail. Default 1. */
  times?: number;
}

export interface FaultPlan {
  events?: EventFault[];
  kills?: KillFault[];
  aws?: AwsCallFault[];
  rate?: RateFault;
  conflicts?: ConflictFault[];
  races?: RaceFault[];
  slack?: SlackFault[];
}

/** The `faults:` section of a scenario file, for the README and error messages. */
export const FAULTS_FORMAT = `faults:
  events:      # EventBridge, per delivery
    - { match: ECS Task State Change, nth: 3, do: drop }        # or duplicate, fail (times: 2), delay (by: 90s)
    - { match: "*", nth: 10, do: delay, by: 2m }                 # "*" counts every detail-type
  kills:       # an invocation dies after its Nth AWS call; Lambda retries it
    - { invocation: 4, after: 3 }
  aws:         # the kth AWS call fails, times in a row: throttle, unavailable, internal, denied
    - { call: 120, times: 5, error: throttle }
  rate: { share: 0.05, seed: 7, error: throttle }                # a share of every call
  conflicts:   # the nth record write loses its conditional check (applied: the write landed anyway)
    - { write: 2 }
    - { write: 5, applied: true }
  races:       # the nth invocation gets a concurrent twin that writes first
    - { invocation: 3 }
  slack:       # the nth request to a Slack webhook fails: http-500, http-429, invalid-url, timeout
    - { request: 1, fail: http-500, times: 2 }`;

export class FaultPlanError extends Error {
  override name = 'FaultPlanError';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

/** Reads and checks a plan (the value under `faults:`). Messages name the field: `faults.kills[0].after`. */
export function parseFaultPlan(raw: unknown, at = 'faults'): FaultPlan {
  if (raw === undefined || raw === null) return {};
  const fail = (field: string, problem: string): never => {
    throw new FaultPlanError(`${field}: ${problem}`);
  };
  const object = (v: unknown, field: string, keys: string[]): Obj => {
    if (!isObj(v)) fail(field, `must be a mapping with ${keys.join(', ')}, got ${show(v)}`);
    for (const k of Object.keys(v as Obj)) {
      if (!keys.includes(k)) fail(`${field}.${k}`, `unknown field; expected one of ${keys.join(', ')}`);
    }
    return v as Obj;
  };
  const int = (v: unknown, field: string, min: number, max = 1_000_000): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      fail(field, `must be an integer from ${min} to ${max}, got ${show(v)}`);
    return v as number;
  };
  const oneOf = <T extends string>(v: unknown, field: string, allowed: readonly T[]): T => {
    if (typeof v !== 'string' || !allowed.includes(v as T))
      fail(field, `must be one of ${allowed.join(', ')}, got ${show(v)}`);
    return v as T;
  };
  const list = (v: unknown, field: string): unknown[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) fail(field, `must be a list, got ${show(v)}`);
    return v as unknown[];
  };

  const top = object(raw, at, ['events', 'kills', 'aws', 'rate', 'conflicts', 'races', 'slack']);
  const plan: FaultPlan = {};
  const events = list(top.events, `${at}.events`).map((v, i): EventFault => {
    const f = `${at}.events[${i}]`;
    const e = object(v, f, ['match', 'nth', 'do', 'by', 'times']);
    if (typeof e.match !== 'string' || e.match === '')
      fail(`${f}.match`, `must be a detail-type or "*", got ${show(e.match)}`);
    const action = oneOf(e.do, `${f}.do`, EVENT_FAULT_ACTIONS);
    const fault: EventFault = { match: e.match as string, nth: int(e.nth, `${f}.nth`, 1), do: action };
    if (action === 'delay') {
      if (e.by === undefined) fail(`${f}.by`, 'a delay needs by: (a duration such as 90s)');
      try {
        fault.byMs = parseDuration(e.by);
      } catch (x) {
        fail(`${f}.by`, (x as Error).message);
      }
    } else if (e.by !== undefined) fail(`${f}.by`, 'only a delay takes by:');
    if (e.times !== undefined) {
      if (action !== 'fail') fail(`${f}.times`, 'only fail takes times:');
      fault.times = int(e.times, `${f}.times`, 1, 185);
    }
    return fault;
  });
  if (events.length) plan.events = events;
  const kills = list(top.kills, `${at}.kills`).map((v, i): KillFault => {
    const f = `${at}.kills[${i}]`;
    const k = object(v, f, ['invocation', 'after']);
    return { invocation: int(k.invocation, `${f}.invocation`, 1), after: int(k.after, `${f}.after`, 0) };
  });
  if (kills.length) plan.kills = kills;
  const aws = list(top.aws, `${at}.aws`).map((v, i): AwsCallFault => {
    const f = `${at}.aws[${i}]`;
    const a = object(v, f, ['call', 'times', 'error']);
    const fault: AwsCallFault = {
      call: int(a.call, `${f}.call`, 1),
      error: oneOf(a.error, `${f}.error`, AWS_ERROR_KINDS),
    };
    if (a.times !== undefined) fault.times = int(a.times, `${f}.times`, 1, 100);
    return fault;
  });
  if (aws.length) plan.aws = aws;
  if (top.rate !== undefined) {
    const f = `${at}.rate`;
    const r = object(top.rate, f, ['share', 'seed', 'error']);
    if (typeof r.share !== 'number' || !(r.share >= 0 && r.share <= 1))
      fail(`${f}.share`, `must be a number from 0 to 1, got ${show(r.share)}`);
    plan.rate = {
      share: r.share as number,
      seed: int(r.seed, `${f}.seed`, 0, 2 ** 31),
      error: oneOf(r.error, `${f}.error`, AWS_ERROR_KINDS),
    };
  }
  const conflicts = list(top.conflicts, `${at}.conflicts`).map((v, i): ConflictFault => {
    const f = `${at}.conflicts[${i}]`;
    const c = object(v, f, ['write', 'applied']);
    if (c.applied !== undefined && typeof c.applied !== 'boolean')
      fail(`${f}.applied`, `must be true or false, got ${show(c.applied)}`);
    return { write: int(c.write, `${f}.write`, 1), ...(c.applied ? { applied: true } : {}) };
  });
  if (conflicts.length) plan.conflicts = conflicts;
  const races = list(top.races, `${at}.races`).map((v, i): RaceFault => {
    const f = `${at}.races[${i}]`;
    return { invocation: int(object(v, f, ['invocation']).invocation, `${f}.invocation`, 1) };
  });
  if (races.length) plan.races = races;
  const slack = list(top.slack, `${at}.slack`).map((v, i): SlackFault => {
    const f = `${at}.slack[${i}]`;
    const s = object(v, f, ['request', 'fail', 'times']);
    return {
      request: int(s.request, `${f}.request`, 1),
      fail: oneOf(s.fail, `${f}.fail`, SLACK_FAILURES),
      ...(s.times !== undefined ? { times: int(s.times, `${f}.times`, 1, 100) } : {}),
    };
  });
  if (slack.length) plan.slack = slack;
  return plan;
}

/** The plan as the file's `faults:` section: one flow mapping per fault, durations as `90s`. */
export function faultPlanToYaml(plan: FaultPlan): string {
  const data: Record<string, unknown> = {};
  if (plan.events?.length)
    data.events = plan.events.map((e) => ({
      match: e.match,
      nth: e.nth,
      do: e.do,
      ...(e.do === 'delay' ? { by: formatDuration(e.byMs ?? 0) } : {}),
      ...(e.do === 'fail' && e.times !== undefined ? { times: e.times } : {}),
    }));
  if (plan.kills?.length) data.kills = plan.kills;
  if (plan.aws?.length) data.aws = plan.aws;
  if (plan.rate) data.rate = plan.rate;
  if (plan.conflicts?.length) data.conflicts = plan.conflicts;
  if (plan.races?.length) data.races = plan.races;
  if (plan.slack?.length) data.slack = plan.slack;
  if (Object.keys(data).length === 0) return 'faults: {}\n';
  const doc = new Document({ faults: data });
  visit(doc, {
    Map: (_key, node, ancestors) => {
      // Entries of the lists, and `rate`, on one line each.
      const parent = ancestors.at(-1);
      if (isSeq(parent) || (ancestors.length > 2 && isMap(parent) && !isSeq(node))) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

/** A scenario's text with the plan appended as its `faults:` section (the text must have none). */
export function scenarioWithFaults(scenarioText: string, plan: FaultPlan): string {
  return `${scenarioText.replace(/\s*$/, '')}\n\n${faultPlanToYaml(plan)}`;
}

/**
 * Splits a scenario file with a `faults:` section into the scenario and the plan. The section is
 * blanked out in place (line numbers of the rest stay as written) before the scenario parser reads
 * the text, since the parser does not know the section yet.
 */
export function parseFaultScenario(
  text: string,
  where: { file: string; dir?: string },
): { scenario: Scenario; faults: FaultPlan; text: string } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  let faults: FaultPlan = {};
  let rest = text;
  if (isMap(doc.contents)) {
    const pair = doc.contents.items.find((p) => (p.key as { value?: unknown } | null)?.value === 'faults');
    if (pair) {
      try {
        faults = parseFaultPlan((pair.value as { toJSON?: () => unknown } | null)?.toJSON?.() ?? null);
      } catch (e) {
        // A scenario mistake like any other: file, line and field, and under `sim --json` the
        // failure document (kind config), not a stack trace.
        const message = (e as Error).message;
        const cut = message.indexOf(': ');
        const field = cut > 0 ? message.slice(0, cut) : 'faults';
        const path = field.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== '');
        const at = doc.getIn(
          path.map((s) => (/^\d+$/.test(s) ? Number(s) : s)),
          true,
        ) as { range?: number[] } | undefined;
        const offset = at?.range?.[0] ?? (pair.key as { range?: number[] }).range?.[0] ?? 0;
        const { line, col } = lines.linePos(offset);
        throw new ScenarioError(where.file, field, cut > 0 ? message.slice(cut + 2) : message, { line, col });
      }
      const start = (pair.key as { range?: [number, number, number] }).range?.[0] ?? 0;
      const end =
        (pair.value as { range?: [number, number, number] } | null)?.range?.[2] ??
        (pair.key as { range?: [number, number, number] }).range?.[2] ??
        start;
      rest = text.slice(0, start) + text.slice(start, end).replace(/[^\n]/g, ' ') + text.slice(end);
    }
  }
  return { scenario: parseScenario(rest, where), faults, text };
}

export function loadFaultScenario(file: string) {
  const { text, where } = readScenarioFile(file);
  return parseFaultScenario(text, where);
}

// ---- applying a plan --------------------------------------------------------------------------

/** What a killed invocation fails with (Lambda's "Runtime exited" / timeout, for the retry logic). */
export class InvocationKilled extends Error {
  override name = 'InvocationKilled';
}

export interface FiredFault {
  /** Virtual ISO time. */
  at: string;
  fault: string;
  detail: string;
}

export interface FaultLayer {
  readonly plan: FaultPlan;
  /** Faults that fired, in order. */
  readonly fired: FiredFault[];
  /** Invocations so far (twins and retries included). */
  invocations(): number;
  /** Every invocation: which function, what woke it, when, and how it ended. */
  readonly invocationLog: InvocationRecord[];
  /** AWS calls so far, counted as the plan counts them. */
  calls(): number;
  /** Record writes so far. */
  writes(): number;
  /** Restores the world and the pipeline as they were. */
  dispose(): void;
}

export interface InvocationRecord {
  index: number;
  /** `ecrPush`, `ecsEvent`, `alarm`, `tick` */
  fn: string;
  detailType?: string;
  /** Virtual ISO time. */
  at: string;
  outcome: 'ok' | 'failed' | 'killed';
  error?: string;
  /** A concurrent twin (a race fault) of this invocation. */
  twinOf?: number;
}

interface Invocation {
  index: number;
  arn: string;
  event: unknown;
  calls: number;
  killAfter?: number;
  killed: boolean;
  race: boolean;
}

const DETAIL_ANY = '*';
/** The fault layer's invocations running in a task, innermost last. */
const FAULT_STACK = Symbol('fault invocations');

export function applyFaults(world: World, plan: FaultPlan, pipeline: LocalPipeline): FaultLayer {
  const fired: FiredFault[] = [];
  const fire = (fault: string, detail: string) =>
    fired.push({ at: new Date(world.now()).toISOString(), fault, detail });
  const undo: (() => void)[] = [];

  // -- the SDK's back-off waits in real time: none of it is visible in virtual time.
  instantRetries(pipeline);

  // -- invocations: which one is running (a twin runs inside the invocation it races).
  // Per task: concurrent invocations each have their own (core/concurrency.ts).
  const stack = () => world.tasks.stack<Invocation>(FAULT_STACK);
  const invocationLog: InvocationRecord[] = [];
  let invocationCount = 0;
  const kills = new Map((plan.kills ?? []).map((k) => [k.invocation, k.after]));
  const races = new Set((plan.races ?? []).map((r) => r.invocation));
  let pendingTwin: (() => Promise<void>) | undefined;
  let twinOwner: Invocation | undefined;

  const wrappers = new Map<string, (event: any) => Promise<unknown>>();
  for (const [arn, fn] of [...world.functions]) {
    // A scenario's `cli:` step is a person at a terminal, not a Lambda invocation: Lambda never kills
    // or retries it, so it is neither counted nor killed (its AWS calls still meet the `aws:` faults).
    if (arn === LOCAL_CLI) continue;
    const wrapped = async (event: any): Promise<unknown> => {
      const inv: Invocation = {
        index: ++invocationCount,
        arn,
        event,
        calls: 0,
        killAfter: kills.get(invocationCount),
        killed: false,
        race: races.has(invocationCount),
      };
      const logged: InvocationRecord = {
        index: inv.index,
        fn: shortArn(arn).replace(/^ecs-autopilot-/, ''),
        ...(typeof event?.['detail-type'] === 'string' ? { detailType: event['detail-type'] } : {}),
        at: new Date(world.now()).toISOString(),
        outcome: 'ok',
        ...(twinOwner && stack().at(-1) === twinOwner && !pendingTwin ? { twinOf: twinOwner.index } : {}),
      };
      invocationLog.push(logged);
      const running = stack();
      running.push(inv);
      let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, value: await fn(event) };
      } catch (error) {
        outcome = { ok: false, error };
      } finally {
        running.splice(running.lastIndexOf(inv), 1);
      }
      // A twin armed but never run (no ECS call after the read) runs now: a duplicate just behind.
      if (twinOwner === inv) await runTwin();
      if (inv.killed) logged.outcome = 'killed';
      else if (!outcome.ok) {
        logged.outcome = 'failed';
        logged.error = (outcome.error as Error)?.message ?? String(outcome.error);
      }
      if (inv.killed) {
        throw new InvocationKilled(
          `invocation ${inv.index} (${shortArn(arn)}) was killed after ${inv.killAfter} AWS calls`,
        );
      }
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    };
    wrappers.set(arn, wrapped);
    world.functions.set(arn, wrapped);
    undo.push(() => {
      if (world.functions.get(arn) === wrapped) world.functions.set(arn, fn);
    });
  }
  const runTwin = async () => {
    const twin = pendingTwin;
    pendingTwin = undefined;
    twinOwner = undefined;
    if (!twin) return;
    await twin();
  };

  // The twin runs while the invocation it races waits on its first ECS call.
  const ecsOps = world.ecs.operations;
  const describeServices = ecsOps.DescribeServices!;
  ecsOps.DescribeServices = (input: unknown) => {
    if (!pendingTwin || stack().at(-1) !== twinOwner) return describeServices(input);
    return runTwin().then(() => describeServices(input));
  };
  undo.push(() => {
    ecsOps.DescribeServices = describeServices;
  });

  // -- AWS calls.
  let callCount = 0;
  const failing: { from: number; to: number; error: AwsErrorKind }[] = (plan.aws ?? []).map((a) => ({
    from: a.call,
    to: a.call + (a.times ?? 1) - 1,
    error: a.error,
  }));
  const random = plan.rate ? new Random(plan.rate.seed).next : undefined;
  let rejectNextPut = false;

  const interceptor = (service: string, operation: string) => {
    const inv = stack().at(-1);
    // Faults strike the pipeline's invocations only, not the checker's or the report's own reads.
    if (!inv) return;
    if (inv) {
      if (inv.killed) throw killedError(inv);
      if (inv.killAfter !== undefined && inv.calls >= inv.killAfter) {
        inv.killed = true;
        fire('kill', `invocation ${inv.index} (${shortArn(inv.arn)}) killed before ${service}:${operation}`);
        throw killedError(inv);
      }
      inv.calls++;
    }
    callCount++;
    const scheduled = failing.find((f) => callCount >= f.from && callCount <= f.to);
    if (scheduled) {
      fire(`aws.${scheduled.error}`, `call ${callCount}: ${service}:${operation}`);
      throw awsError(scheduled.error, service);
    }
    if (random && plan.rate && random() < plan.rate.share) {
      fire(`aws.${plan.rate.error}`, `call ${callCount}: ${service}:${operation} (rate ${plan.rate.share})`);
      throw awsError(plan.rate.error, service);
    }
    if (service === 'dynamodb' && operation === 'PutItem' && rejectNextPut) {
      rejectNextPut = false;
      throw new AwsError('ConditionalCheckFailedException', 'The conditional request failed');
    }
    if (service === 'dynamodb' && operation === 'GetItem' && inv?.race && !inv.killed) {
      inv.race = false;
      const owner = inv;
      const fn = wrappers.get(owner.arn)!;
      twinOwner = owner;
      pendingTwin = async () => {
        fire('race', `invocation ${owner.index} (${shortArn(owner.arn)}) races a concurrent twin`);
        try {
          await fn(structuredClone(owner.event));
        } catch (e) {
          fire('race.twin-failed', (e as Error).message);
        }
      };
    }
  };
  world.interceptors.push(interceptor);
  undo.push(() => {
    const i = world.interceptors.indexOf(interceptor);
    if (i >= 0) world.interceptors.splice(i, 1);
  });

  // -- record writes.
  let writeCount = 0;
  const conflicts = new Map((plan.conflicts ?? []).map((c) => [c.write, c]));
  const store = pipeline.store;
  const put = store.put.bind(store);
  store.put = async (record: ServiceRecord) => {
    const n = ++writeCount;
    const conflict = conflicts.get(n);
    if (conflict?.applied) {
      // The PutItem lands but its answer is lost; the SDK sends the same request again, which now
      // fails its condition against our own write. What the caller sees is the store's answer.
      const client = (store as unknown as { client: { send: (c: unknown) => Promise<unknown> } }).client;
      const send = client.send.bind(client);
      client.send = async (command: unknown) => {
        client.send = send;
        await send(command);
        fire(
          'conflict.applied',
          `write ${n} of ${record.key} (version ${record.version + 1}) landed, its answer lost, the retry conflicts`,
        );
        return send(command);
      };
      return put(record);
    }
    if (conflict) {
      fire('conflict', `write ${n} of ${record.key} (version ${record.version + 1}) loses its condition`);
      rejectNextPut = true;
    }
    try {
      return await put(record);
    } finally {
      rejectNextPut = false;
    }
  };
  undo.push(() => {
    store.put = put;
  });

  // -- EventBridge deliveries.
  const seen = new Map<string, number>();
  const failingDeliveries = new Map<number, number>();
  const eventFaults = plan.events ?? [];
  const previousFaults = world.events.faults;
  world.events.faults = {
    onDeliver(d: Readonly<Delivery>): FaultDecision {
      const remaining = failingDeliveries.get(d.seq);
      if (remaining !== undefined && d.deliveryErrors > 0) {
        if (remaining <= 0) {
          failingDeliveries.delete(d.seq);
          return 'deliver';
        }
        failingDeliveries.set(d.seq, remaining - 1);
        fire('event.fail', describeDelivery(d));
        return { fail: 'injected: EventBridge could not reach the target' };
      }
      // Only first attempts of original deliveries count (not retries, copies or delayed ones).
      if (d.attempt !== 1 || d.delays > 0 || d.duplicateOf !== undefined) return 'deliver';
      const type = d.event['detail-type'];
      let decision: FaultDecision = 'deliver';
      for (const key of [type, DETAIL_ANY]) {
        const n = (seen.get(key) ?? 0) + 1;
        seen.set(key, n);
        if (decision !== 'deliver') continue;
        const fault = eventFaults.find((f) => f.match === key && f.nth === n);
        if (!fault) continue;
        fire(
          `event.${fault.do}`,
          `${describeDelivery(d)}${fault.do === 'delay' ? ` by ${formatDuration(fault.byMs ?? 0)}` : ''}`,
        );
        switch (fault.do) {
          case 'drop':
          case 'duplicate':
            decision = fault.do;
            break;
          case 'delay':
            decision = { delayMs: fault.byMs ?? 0 };
            break;
          case 'fail':
            failingDeliveries.set(d.seq, (fault.times ?? 1) - 1);
            decision = { fail: 'injected: EventBridge could not reach the target' };
            break;
        }
      }
      return decision;
    },
  };
  undo.push(() => {
    world.events.faults = previousFaults;
  });

  // -- Slack: the local Slack answers the planned requests badly (its answers are consumed in order).
  const localSlack = pipeline.slack;
  const previousAnswers = localSlack ? [...localSlack.answers] : [];
  if (localSlack && plan.slack?.length) {
    const answers: Answer[] = [];
    for (const f of plan.slack) {
      for (let i = 0; i < (f.times ?? 1); i++) {
        const at = f.request - 1 + i;
        while (answers.length < at) answers.push('ok');
        answers[at] = slackAnswer(f.fail);
      }
    }
    localSlack.answers.splice(0, localSlack.answers.length, ...answers.map((a) => a ?? 'ok'));
    const planned = new Map(
      plan.slack.flatMap((f) => range(f.request, f.times ?? 1).map((n) => [n, f.fail])),
    );
    const previousOnAnswer = localSlack.onAnswer;
    localSlack.onAnswer = (request) => {
      const fail = planned.get(request);
      if (fail) fire('slack', `webhook request ${request} answered ${fail}`);
    };
    undo.push(() => {
      localSlack.answers.splice(0, localSlack.answers.length, ...previousAnswers);
      localSlack.onAnswer = previousOnAnswer;
    });
  }

  return {
    plan,
    fired,
    invocations: () => invocationCount,
    invocationLog,
    calls: () => callCount,
    writes: () => writeCount,
    dispose() {
      for (const u of undo.reverse()) u();
    },
  };
}

/** from, from + 1, … (count of them). */
function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

function killedError(inv: Invocation): AwsError {
  // A 4xx the SDK does not retry: the "process" is gone, nothing more reaches AWS.
  return new AwsError('InvocationKilled', `invocation ${inv.index} was killed (fault injection)`, 400);
}

function awsError(kind: AwsErrorKind, service: string): AwsError {
  switch (kind) {
    case 'throttle':
      return new AwsError(
        'ThrottlingException',
        'Rate exceeded',
        400,
        'Sender',
        service === 'cloudwatch' ? 'Throttling' : undefined,
      );
    case 'unavailable':
      return new AwsError('ServiceUnavailableException', 'Service unavailable (injected)', 503, 'Receiver');
    case 'internal':
      return new AwsError(
        service === 'ecs'
          ? 'ServerException'
          : service === 'dynamodb'
            ? 'InternalServerError'
            : 'InternalFailure',
        'Internal error (injected)',
        500,
        'Receiver',
      );
    case 'denied':
      return new AwsError(
        'AccessDeniedException',
        'User is not authorized to perform this action (injected)',
        400,
      );
  }
}

function slackAnswer(fail: SlackFailure): Answer {
  switch (fail) {
    case 'http-500':
      return { status: 500 };
    case 'http-429':
      return { status: 429, retryAfter: 30 };
    case 'invalid-url':
      return { status: 404, body: 'no_service' };
    case 'timeout':
      return { slow: SLACK_TIMEOUT_MS + 200 };
  }
}

function describeDelivery(d: Readonly<Delivery>): string {
  return `${d.event['detail-type']} ${d.event.id.slice(0, 8)} to ${d.rule} (delivery ${d.seq})`;
}

function shortArn(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}

/**
 * Makes the pipeline's SDK clients retry without waiting. Their back-off sleeps in real time; the
 * virtual clock does not move during an invocation, so in the local world the wait changes nothing
 * but the test's duration. The attempts (5) and the retry quota are kept.
 */
export function instantRetries(pipeline: LocalPipeline): void {
  for (const client of Object.values(pipeline.pipeline.options.clients)) {
    const config = (client as { config?: { retryStrategy?: () => Promise<unknown> } }).config;
    const provider = config?.retryStrategy;
    if (!config || typeof provider !== 'function') continue;
    config.retryStrategy = async () => {
      const strategy = (await provider()) as { retryBackoffStrategy?: { computeNextBackoffDelay?: unknown } };
      if (strategy?.retryBackoffStrategy) strategy.retryBackoffStrategy.computeNextBackoffDelay = () => 0;
      return strategy;
    };
  }
}

// ---- a whole run: scenario + pipeline + faults + invariants -----------------------------------

export interface FaultRun {
  report: ScenarioReport;
  violations: Violation[];
  fired: FiredFault[];
  /** The records at the end of the run. */
  records: ServiceRecord[];
  world: World;
  /** Log lines of the pipeline, if captured by the caller. */
  invocations: number;
}

/** The local Slack's send timeout in runs with faults (real ms: a `timeout` fault answers later than this). */
const SLACK_TIMEOUT_MS = 300;

export interface RunWithFaultsOptions {
  /** Faults on top of the file's own `faults:` section (a property's schedule). */
  faults?: FaultPlan;
  hooks?: InvariantHooks;
}

/**
 * Plays a scenario with the pipeline attached (its `autopilot:` configuration), its faults applied
 * and the invariants checked all along. The report gets `violations`, `faults` (what fired) and
 * `records` sections. This is how a failing property case is replayed:
 *
 *   const run = await runWithFaults(loadFaultScenario('case.yml'));
 *   run.violations   // [] when every invariant held
 */
export async function runWithFaults(
  loaded: { scenario: Scenario; faults: FaultPlan },
  options: RunWithFaultsOptions = {},
): Promise<FaultRun> {
  const plan = mergePlans(loaded.faults, options.faults ?? {});
  if (!loaded.scenario.autopilot)
    throw new FaultPlanError(`${loaded.scenario.source.file}: no autopilot: configuration to run`);
  let layer: FaultLayer | undefined;
  let checker: InvariantChecker | undefined;
  let attached: LocalPipeline | undefined;
  let violations: Violation[] = [];
  let records: ServiceRecord[] = [];
  const { report, world } = await runScenario(loaded.scenario, {
    onWorld: async (w, scenario) => {
      const config = validateConfig(scenario.autopilot!.config, scenario.source.file);
      const pipeline = await attachPipeline(w, config, {
        slack: { print: false, timeoutMs: SLACK_TIMEOUT_MS },
      });
      attached = pipeline;
      layer = applyFaults(w, plan, pipeline);
      checker = new InvariantChecker(w, pipeline, {
        notifications: () => slackDeliveries(pipeline),
        ...options.hooks,
      });
      checker.start();
      return {
        busy: () => checker!.busy(),
        sections: async () => {
          violations = await checker!.finish();
          records = checker!.records();
          // The notifications as `autopilot sim` reports them, so a verdict can check the words.
          return {
            violations,
            faults: layer!.fired,
            records,
            notifications: await pipeline.notificationsReport(),
          };
        },
        close: async () => {
          checker?.stop();
          layer?.dispose();
          await attached?.close();
        },
      };
    },
  });
  return {
    report,
    violations,
    fired: layer?.fired ?? [],
    records,
    world,
    invocations: layer?.invocations() ?? 0,
  };
}

/**
 * Each notification the pipeline reports (lib/slack's attempts, and what its outboxes still hold),
 * with the sends it recorded as taken by Slack. A send whose outcome was never recorded (the
 * invocation died between the post and its record write, or Slack answered after the client gave
 * up) is not counted: lib/slack/deliver.ts documents that window, where the message goes out again
 * once its lease runs out, so a duplicate there is accepted and a loss is not.
 */
export async function slackDeliveries(pipeline: LocalPipeline): Promise<NotificationDelivery[]> {
  if (!pipeline.slack) return [];
  return (await pipeline.notificationsReport()).map((n) => ({
    id: `${n.service} ${n.kind} at ${n.at}: ${n.text}`,
    delivered: n.attempts.filter((a) => / ok$/.test(a.result)).length,
    failed: n.outcome === 'failed',
  }));
}

export function mergePlans(a: FaultPlan, b: FaultPlan): FaultPlan {
  const out: FaultPlan = {};
  const lists = ['events', 'kills', 'aws', 'conflicts', 'races', 'slack'] as const;
  for (const key of lists) {
    const merged = [...((a[key] as unknown[]) ?? []), ...((b[key] as unknown[]) ?? [])];
    if (merged.length) (out as Record<string, unknown>)[key] = merged;
  }
  const rate = b.rate ?? a.rate;
  if (rate) out.rate = rate;
  return out;
}
