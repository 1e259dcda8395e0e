/**
 * Item 1, damage from a bad release: a service of 20 tasks behind an ALB target group, a bad
 * image, and what it costs before traffic is back on the good revision, for the pipeline's canary
 * and rolling strategies and for ECS's own rolling update configured as a careful user would
 * (CAREFUL_ECS: min 100 %, max 200 %, circuit breaker with rollback; plus the deployment alarm on the
 * same alarm as our gate, or a breaker threshold of COUNT 1 beside our `failedTasks: 1`), in the same
 * world with the latency model on (EventBridge delivery, Lambda starts, AWS calls), on the virtual
 * clock, sampled every virtual second. Each contender runs under several seeds (the latency draws
 * differ), so times are reported as distributions.
 *
 *   task-seconds in service  ∫ new-revision tasks registered healthy in the target group (they get traffic)
 *   task-seconds running     ∫ new-revision tasks RUNNING (whether or not the ALB sends them traffic)
 *   tasks launched           new-revision tasks started (every one of them bad); `failed`: those that failed
 *   signal → rollback        first failure signal (first failed new task stopping, or the gate alarm
 *                            going to ALARM) to the rollback call (the pipeline's first action after it
 *                            decided to roll back; ECS's rollback deployment)
 *   recovered                push → the rollback was called and no new-revision task is RUNNING or
 *                            healthy in the target group any more (traffic back on the good revision)
 */

import type { BreakerReading } from '../local/services/ecs/index.ts';
import type { Task } from '../local/services/ecs/model.ts';
import { median, quantile } from './stats.ts';
import {
  ALB_DEFAULT_HEALTH,
  ALB_FAST_HEALTH,
  type BenchWorld,
  benchWorld,
  MIN,
  registerRevision,
  type TargetGroupHealth,
} from './world.ts';

/** Who deploys the bad image: the pipeline (target fields) or ECS alone (fields over CAREFUL_ECS). */
export interface Contender {
  key: string;
  label: string;
  pipeline?: Record<string, unknown>;
  ecs?: Record<string, unknown>;
}

export interface DamageCase {
  key: string;
  label: string;
  image: unknown;
  healthCheck?: boolean;
  alarm?: boolean;
  targetGroupHealth?: TargetGroupHealth;
  resetOnHealthyTask?: BreakerReading;
  contenders: Contender[];
  /** What the local world still simplifies in this case's figures. */
  simplifies: string;
}

export interface DamageResult {
  seed: string;
  taskSecondsInService: number;
  taskSecondsRunning: number;
  tasksLaunched: number;
  tasksFailed: number;
  /** ms after the push (or UpdateService) */
  firstSignalMs?: number;
  rollbackCallMs?: number;
  signalToRollbackMs?: number;
  recoveredMs?: number;
  /** Not back on the good revision within the horizon: the figures are lower bounds. */
  censored: boolean;
  requestsServed: number;
  errorsServed: number;
  outcome: string;
  realMs: number;
}

/** A distribution over the seeded runs: median and p99 (nearest rank), and how many runs had a value. */
export interface Spread {
  n: number;
  median: number;
  p99: number;
  min: number;
  max: number;
}

export interface DamageSummary {
  runs: DamageResult[];
  taskSecondsInService: Spread;
  taskSecondsRunning: Spread;
  tasksLaunched: Spread;
  tasksFailed: Spread;
  errorsServed: Spread;
  /** Over the runs that rolled back; undefined when none did. */
  signalToRollbackMs?: Spread;
  recoveredMs?: Spread;
  /** Runs not back on the good revision within the horizon. */
  censoredRuns: number;
  outcomes: Record<string, number>;
}

export const DESIRED = 20;
export const LOAD = 100;
export const HORIZON_MS = 30 * MIN;
/** The world's step while measuring (World.runFor): the most a delivery can land late. */
const STEP_MS = 10;

export function spread(xs: number[]): Spread | undefined {
  if (xs.length === 0) return undefined;
  return {
    n: xs.length,
    median: median(xs),
    p99: quantile(xs, 0.99),
    min: Math.min(...xs),
    max: Math.max(...xs),
  };
}

/**
 * When a run's measuring ends: the image's damage is over (the rollback was called and no
 * new-revision task runs or serves: `recovered`), and, with the pipeline deploying, the pipeline has
 * seen it too: its rollout is closed and none of its invocations is still running. ECS's own breaker
 * can roll back before the pipeline acts (rolling strategy, CAREFUL_ECS): the last new task then
 * stops before the events that tell the pipeline arrive (EventBridge delivery and the handler's time,
 * a few hundred ms), and a run stopped at `recovered` read the rollout "in progress" and left those
 * invocations hanging (their real-time middy timeout then logged handler.error into later runs).
 * A run still open at the horizon is ended by the horizon (its figures censored), not by this rule.
 *
 *   recovered  pipeline  rolloutClosed  inFlight  → over
 *   false      –         –              –          false  (the bad revision still runs)
 *   true       false     –              0          true   (ECS alone: nothing else to wait for)
 *   true       true      false          0          false  (ECS rolled back; the pipeline's event not handled yet)
 *   true       true      true           1          false  (closed, but an invocation is mid-way)
 *   true       true      true           0          true
 */
export function runOver(s: {
  recovered: boolean;
  pipeline: boolean;
  rolloutClosed: boolean;
  inFlight: number;
}): boolean {
  if (!s.recovered || s.inFlight > 0) return false;
  return !s.pipeline || s.rolloutClosed;
}

/** Runs one contender under `seeds` seeds and summarises them. */
export async function runDamageSeeds(c: DamageCase, who: Contender, seeds: number): Promise<DamageSummary> {
  const runs: DamageResult[] = [];
  for (let i = 0; i < seeds; i++) runs.push(await runDamage(c, who, `damage-${c.key}-${i}`));
  const all = (f: (r: DamageResult) => number | undefined) =>
    runs.map(f).filter((x): x is number => x !== undefined);
  const outcomes: Record<string, number> = {};
  for (const r of runs) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  return {
    runs,
    taskSecondsInService: spread(all((r) => r.taskSecondsInService))!,
    taskSecondsRunning: spread(all((r) => r.taskSecondsRunning))!,
    tasksLaunched: spread(all((r) => r.tasksLaunched))!,
    tasksFailed: spread(all((r) => r.tasksFailed))!,
    errorsServed: spread(all((r) => r.errorsServed))!,
    signalToRollbackMs: spread(all((r) => r.signalToRollbackMs)),
    recoveredMs: spread(all((r) => r.recoveredMs)),
    censoredRuns: runs.filter((r) => r.censored).length,
    outcomes,
  };
}

export async function runDamage(c: DamageCase, who: Contender, seed: string): Promise<DamageResult> {
  const real0 = performance.now();
  const b = await benchWorld({
    seed,
    desiredCount: DESIRED,
    images: { 'web:v2': c.image },
    healthCheck: c.healthCheck,
    targetGroupHealth: c.targetGroupHealth ?? ALB_DEFAULT_HEALTH,
    load: LOAD,
    alarms: c.alarm,
    resetOnHealthyTask: c.resetOnHealthyTask,
    deploymentConfiguration: who.ecs,
    // Our gate alarm is the same alarm the ECS contender lists as its deployment alarm.
    pipeline: who.pipeline && { ...who.pipeline, gateAlarms: c.alarm ? ['web-5xx'] : [] },
  });
  try {
    return { seed, ...(await measure(b, c, who, real0)) };
  } finally {
    await b.stop();
  }
}

async function measure(
  b: BenchWorld,
  c: DamageCase,
  who: Contender,
  real0: number,
): Promise<Omit<DamageResult, 'seed'>> {
  const ecsAlone = !who.pipeline;
  const { world } = b;
  const tg = world.ecs.elb.groups.get(b.services[0]!.targetGroupArn)!;
  const t0 = world.now();
  let revision: string | undefined;
  if (ecsAlone) {
    world.ecr.push('web', 'v2');
    revision = await registerRevision(world, 'v2', !!c.healthCheck);
    await world.ecs.operations.UpdateService!({ cluster: 'prod', service: 'web', taskDefinition: revision });
  } else {
    world.ecr.push('web', 'v2');
  }
  const newRevision = () => {
    if (revision) return revision;
    const revs = world.ecs.families.get('web') ?? [];
    revision = revs.length > 1 ? revs.at(-1)!.arn : undefined;
    return revision;
  };
  // ECS's own rollback deployment (breaker or alarm), on either service: with the careful
  // configuration the service under our rolling strategy has the breaker too, and it may act first.
  const ecsRollback = (): number | undefined => {
    let at: number | undefined;
    for (const name of ['web', 'web-canary']) {
      const d = world.ecs.service('prod', name)?.history.find((x) => x.rollbackTo && x.createdAt >= t0);
      if (d && (at === undefined || d.createdAt < at)) at = d.createdAt;
    }
    return at;
  };
  const pipelineRollback = (): number | undefined => {
    if (ecsAlone) return undefined;
    const notice = b.pipeline!.notices.find((n) => n.notice.kind === 'rolled_back');
    if (!notice) return undefined;
    const action = b.pipeline!.actions.find((a) => a.at >= notice.at);
    return action ? action.at + (b.handlerMs.get(action) ?? 0) : notice.at;
  };
  const rollbackCall = (): number | undefined => {
    const both = [ecsRollback(), pipelineRollback()].filter((x): x is number => x !== undefined);
    return both.length > 0 ? Math.min(...both) : undefined;
  };
  const rolloutClosed = () =>
    !!b.pipeline?.notices.some((n) => n.notice.kind === 'rolled_back' || n.notice.kind === 'succeeded');

  let inService = 0;
  let running = 0;
  let recovered: number | undefined;
  for (let elapsed = 0; elapsed < HORIZON_MS; ) {
    // Steps of 10 ms: an event put in the middle of a longer step would be delivered at its end.
    await world.runFor(1000, STEP_MS);
    elapsed = world.now() - t0;
    const rev = newRevision();
    if (!rev) continue;
    let serving = 0;
    for (const t of tg.targets) if (t.state === 'healthy' && t.task.taskDefinition.arn === rev) serving++;
    let up = 0;
    let live = 0;
    for (const name of ['web', 'web-canary']) {
      for (const t of world.ecs.service('prod', name)?.tasks ?? []) {
        if (t.taskDefinition.arn !== rev) continue;
        if (t.lastStatus === 'RUNNING') up++;
        if (t.lastStatus === 'RUNNING' || t.targets.some((x) => x.state === 'healthy')) live++;
      }
    }
    inService += serving;
    running += up;
    // Recovered: the rollback was called and no new-revision task runs or serves any more.
    const back = live === 0 && rollbackCall() !== undefined;
    // A new-revision task back after recovering (a roll forward) undoes it: the damage goes on.
    recovered = back ? (recovered ?? elapsed) : undefined;
    const over = runOver({
      recovered: back,
      pipeline: !ecsAlone,
      rolloutClosed: rolloutClosed(),
      inFlight: world.tasks.size,
    });
    if (over) break;
  }

  const rev = newRevision();
  const tasks: Task[] = [];
  world.ecs.trafficByTask(); // flushes the request accounting
  for (const t of world.ecs.taskIndex.values())
    if (t.taskDefinition.arn === rev && t.createdAt >= t0) tasks.push(t);
  const failed = tasks.filter((t) => t.failure !== undefined);
  const stops = failed.map((t) => t.stoppingAt ?? t.stoppedAt ?? Number.POSITIVE_INFINITY);
  const alarmAt = world.eventLog.find(
    (e) =>
      e.at >= t0 &&
      e.event['detail-type'] === 'CloudWatch Alarm State Change' &&
      e.event.detail?.state?.value === 'ALARM',
  )?.at;
  const first = Math.min(...stops, alarmAt ?? Number.POSITIVE_INFINITY);
  const rb = rollbackCall();
  const firstSignalMs = Number.isFinite(first) ? first - t0 : undefined;
  const rollbackCallMs = rb === undefined ? undefined : rb - t0;
  const failedDeployment = world.ecs
    .service('prod', 'web')!
    .history.find((x) => x.rolledBackBy && x.createdAt >= t0);
  const outcome = ecsAlone
    ? rb === undefined
      ? 'not rolled back'
      : failedDeployment?.alarms?.status === 'TRIGGERED'
        ? 'deployment alarm rolled back'
        : 'circuit breaker rolled back'
    : `${
        b.pipeline!.notices.find((n) => n.notice.kind === 'rolled_back' || n.notice.kind === 'succeeded')
          ?.notice.kind ?? 'in progress'
      }${ecsRollback() !== undefined && ecsRollback()! <= (pipelineRollback() ?? Number.POSITIVE_INFINITY) ? ' (ECS breaker rolled back first)' : ''}`;
  return {
    taskSecondsInService: inService,
    taskSecondsRunning: running,
    tasksLaunched: tasks.length,
    tasksFailed: failed.length,
    firstSignalMs,
    rollbackCallMs,
    signalToRollbackMs:
      firstSignalMs !== undefined && rollbackCallMs !== undefined
        ? rollbackCallMs - firstSignalMs
        : undefined,
    recoveredMs: recovered,
    censored: recovered === undefined,
    requestsServed: Math.round(tasks.reduce((s, t) => s + t.requests, 0)),
    errorsServed: Math.round(tasks.reduce((s, t) => s + t.errors, 0)),
    outcome,
    realMs: performance.now() - real0,
  };
}

// ---------------------------------------------------------------------------------------------
// The cases and who runs them

const OURS: Contender[] = [
  { key: 'canary', label: 'canary (failedTasks: 1)', pipeline: { failedTasks: 1 } },
  { key: 'rolling', label: 'rolling (failedTasks: 1)', pipeline: { strategy: 'rolling', failedTasks: 1 } },
];
/** CAREFUL_ECS as it is: the breaker's default threshold (50 % of desired, at least 3). */
export const ECS_BREAKER: Contender = { key: 'ecs', label: 'ECS + breaker' };
/** The breaker at its strictest, beside our `failedTasks: 1` (API ThresholdConfiguration, COUNT). */
export const ECS_COUNT_1: Contender = {
  key: 'ecs-count-1',
  label: 'ECS + breaker COUNT 1',
  ecs: {
    deploymentCircuitBreaker: {
      enable: true,
      rollback: true,
      thresholdConfiguration: { type: 'COUNT', value: 1 },
    },
  },
};
/** The breaker and a deployment alarm on the same alarm as our gate (API DeploymentAlarms). */
export const ECS_ALARM: Contender = {
  key: 'ecs-alarm',
  label: 'ECS + breaker + deployment alarm',
  ecs: { alarms: { alarmNames: ['web-5xx'], enable: true, rollback: true } },
};

const SIMPLIFIES_ALL =
  'EventBridge delivery, Lambda starts and AWS calls are drawn from published figures (the tail past p99 is ours); ' +
  "invocations run one at a time and a handler's start and calls do not move the virtual clock (the rollback call is " +
  "stamped at its delivery plus the handler's time before it); " +
  "ECS's own reactions (breaker trip, rollback deployment) take no time; every new task of a step starts together " +
  'and the image fails at exactly its given time; Fargate start-up and ALB registration are fixed model timings';
const SIMPLIFIES_BREAKER =
  'the docs give two readings of resetOnHealthyTask and do not say which AWS runs: both are measured';
/**
 * The image crashes 20 s after start: before the default ALB check (30 s) first passes, so under the
 * default check no task is ever healthy; under the fast check (10 s) every task turns healthy first,
 * and only the lock-step timing lets a default breaker trip.
 */
const CRASH = { crash: { after: '20s', exitCode: 1 } };
const FAST_TOGETHER =
  '; with the 10 s check every task turns healthy at its first check (resetting the breaker) and then all crash in the same second, ' +
  'so under resets-count even the default threshold trips; with real spread in start and crash times, healthy ' +
  'resets between failures would keep a threshold above 1 from tripping for longer';

function crashCases(): DamageCase[] {
  const out: DamageCase[] = [];
  for (const fast of [false, true]) {
    for (const reading of ['stops-evaluating', 'resets-count'] as const) {
      out.push({
        key: `crash${fast ? '-fast-alb' : ''}-${reading}`,
        label: `crashes 20s after start${fast ? ', ALB check every 10s' : ''}; breaker ${reading}`,
        image: CRASH,
        targetGroupHealth: fast ? ALB_FAST_HEALTH : undefined,
        resetOnHealthyTask: reading,
        contenders: [...OURS, ECS_BREAKER, ECS_COUNT_1],
        simplifies: `${SIMPLIFIES_ALL}; ${SIMPLIFIES_BREAKER}${fast ? FAST_TOGETHER : ''}`,
      });
    }
  }
  return out;
}

export const CASES: DamageCase[] = [
  ...crashCases(),
  {
    key: 'unhealthy',
    label: 'fails its health checks',
    image: 'unhealthy',
    healthCheck: true,
    contenders: [...OURS, ECS_BREAKER, ECS_COUNT_1],
    simplifies: `${SIMPLIFIES_ALL}; container health checks run exactly on their interval (10 s × 3 after a 10 s start period), without jitter`,
  },
  {
    key: '5xx',
    label: '25% 5xx, gate alarm',
    image: { errors: 0.25 },
    alarm: true,
    contenders: [...OURS, ECS_BREAKER, ECS_ALARM],
    simplifies:
      `${SIMPLIFIES_ALL}; a steady 100 req/s spread evenly over healthy targets, 25 % of them errors; ` +
      'metrics reach CloudWatch without ingestion delay; ECS polls deployment alarms every 10 s and bakes for the ' +
      'longest alarm window (our figures: AWS publishes neither)',
  },
];
