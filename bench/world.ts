/**
 * The worlds the benchmarks run in: one local world (local/world.ts) with N services of the same
 * shape behind their own target groups, optionally the real pipeline attached (local/pipeline.ts),
 * every Lambda invocation counted. Set-up goes through the in-process operations, so
 * `world.apiCalls` counts only what the pipeline itself calls over HTTP.
 */
import { validateConfig } from '../lib/config.ts';
import { setLogSink } from '../lib/log.ts';
import { parseImageBehaviour } from '../local/core/images.ts';
import { attachPipeline, type LocalPipeline } from '../local/pipeline.ts';
import type { BreakerReading } from '../local/services/ecs/index.ts';
import {
  createWebCluster,
  createWebService,
  fiveXxAlarm,
  targetGroupDimensions,
  webTaskDefinition,
} from '../local/web-service.ts';
import { World } from '../local/world.ts';
import { type RetryStats, useVirtualBackoff } from './virtual-retry.ts';

export const MIN = 60_000;
/** serverless.yml `provider.timeout`. */
export const LAMBDA_TIMEOUT_MS = 60_000;

/** The ALB health check of the target groups: the ELB defaults (30 s × 5 to healthy) or a tuned one. */
export interface TargetGroupHealth {
  intervalSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}
export const ALB_DEFAULT_HEALTH: TargetGroupHealth = {
  intervalSeconds: 30,
  healthyThreshold: 5,
  unhealthyThreshold: 2,
};
/** The tuning AWS recommends for faster deployments (10 s × 2 to healthy). */
export const ALB_FAST_HEALTH: TargetGroupHealth = {
  intervalSeconds: 10,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
};

/**
 * ECS as a careful user configures it: a rolling update that never drops below the desired count
 * (minimum 100 %, maximum 200 %) and the deployment circuit breaker with rollback. Benchmarks add
 * deployment alarms or a breaker threshold on top (`deploymentConfiguration`).
 * Sources: developerguide/deployment-type-ecs.html, deployment-circuit-breaker.html.
 */
export const CAREFUL_ECS = {
  minimumHealthyPercent: 100,
  maximumPercent: 200,
  deploymentCircuitBreaker: { enable: true, rollback: true },
} as const;

export interface BenchWorldOptions {
  seed?: string;
  /**
   * The latency model (local/core/latency.ts: EventBridge delivery, Lambda starts, AWS calls), seeded
   * from `seed`. Default on: figures of time in AWS must not be the zero-latency artefact.
   */
  latency?: boolean;
  /** Which documented reading of `resetOnHealthyTask` the local ECS follows (world option). */
  resetOnHealthyTask?: BreakerReading;
  /** Fields over CAREFUL_ECS for every service (`alarms`, `deploymentCircuitBreaker`, …). */
  deploymentConfiguration?: Record<string, unknown>;
  services?: number;
  desiredCount?: number;
  /** Behaviours by `web:<tag>`; `web:v1` is healthy unless given. */
  images?: Record<string, unknown>;
  /** A container health check in the task definition (interval 10 s, retries 3, start period 10 s). */
  healthCheck?: boolean;
  targetGroupHealth?: TargetGroupHealth;
  /** Requests per second on each target group. */
  load?: number;
  /** A 5xx alarm per target group (`<service>-5xx`: Sum of HTTPCode_Target_5XX_Count > 20 in 1 minute). */
  alarms?: boolean;
  throttling?: boolean;
  /** Spend the SDK's retry back-off on the virtual clock (see virtual-retry.ts). */
  virtualBackoff?: boolean;
  /** Target fields for every target (strategy, steps, gateAlarms, …); absent: no pipeline. */
  pipeline?: Record<string, unknown>;
  /** Virtual time to let the services settle before the pipeline is attached. */
  settleMs?: number;
  /** The config's `sweep:` (default: the config's default). */
  sweep?: string;
}

export interface BenchService {
  name: string;
  targetGroupArn: string;
}

export interface BenchWorld {
  world: World;
  services: BenchService[];
  /** The task definition the first service starts on (`web:1`; each service has its own family). */
  baseTaskDefinition: string;
  pipeline?: LocalPipeline;
  /** Lambda invocations per function key (ecrPush, ecsEvent, alarm, tick). */
  invocations: Record<string, number>;
  /**
   * The longest invocation per function, virtual ms, as its local Lambda counts it (local/lambda.ts:
   * its start, its calls, and the SDK's back-off between attempts).
   */
  longestInvocationMs: Record<string, number>;
  /** Invocations that ran past the functions' Lambda timeout (serverless.yml: 60 s), and were stopped. */
  overTimeout: Record<string, number>;
  /** Invocations that threw (Lambda would retry them, then dead-letter). */
  functionErrors: { fn: string; at: number; error: string }[];
  /** Log lines at warn or error level. */
  problems: string[];
  retries: RetryStats;
  /**
   * For each of the pipeline's actions (entries of `pipeline.actions`), the handler's own time before
   * it: the Lambda start and the AWS calls' latency so far in that invocation. local/lambda.ts counts
   * them against the timeout without moving the virtual clock, so `at + handlerMs` is when the call
   * goes out.
   */
  handlerMs: WeakMap<object, number>;
  stop(): Promise<void>;
}

export const serviceName = (i: number, n: number) => (n === 1 ? 'web' : `web-${String(i).padStart(3, '0')}`);

export async function benchWorld(o: BenchWorldOptions = {}): Promise<BenchWorld> {
  const problems: string[] = [];
  const previousSink = setLogSink((line) => {
    if (line.startsWith('{"level":"warn"') || line.startsWith('{"level":"error"')) problems.push(line);
  });
  const world = new World({
    seed: o.seed ?? 'bench',
    throttling: false,
    latency: o.latency ?? true,
    resetOnHealthyTask: o.resetOnHealthyTask,
  });
  for (const [key, value] of Object.entries({ 'web:v1': 'healthy', ...o.images })) {
    world.images.set(key, parseImageBehaviour(value));
  }
  await world.start();
  const v1 = world.ecr.push('web', 'v1');
  await createWebCluster(world);
  const n = o.services ?? 1;
  const services: BenchService[] = [];
  let baseTaskDefinition = '';
  for (let i = 0; i < n; i++) {
    const name = serviceName(i, n);
    // One task definition family per service, as separate services have: each rollout registers its own revision.
    const { taskDefinitionArn, targetGroupArn } = await createWebService(world, {
      name,
      image: v1.uri,
      desiredCount: o.desiredCount,
      healthCheck: !!o.healthCheck,
      targetGroupHealth: o.targetGroupHealth ?? ALB_DEFAULT_HEALTH,
      subnets: ['subnet-1', 'subnet-2'],
      deploymentConfiguration: { ...CAREFUL_ECS, ...o.deploymentConfiguration },
      load: o.load,
    });
    baseTaskDefinition ||= taskDefinitionArn;
    if (o.alarms) {
      await world.cloudwatch.operations.PutMetricAlarm!(
        fiveXxAlarm(targetGroupDimensions(world, targetGroupArn), { AlarmName: `${name}-5xx` }),
      );
    }
    services.push({ name, targetGroupArn });
  }
  await world.runFor(o.settleMs ?? 4 * MIN);

  const invocations: Record<string, number> = {};
  const longest: Record<string, number> = {};
  const overTimeout: Record<string, number> = {};
  const functionErrors: BenchWorld['functionErrors'] = [];
  const retries: RetryStats = { retries: {}, gaveUp: {}, backoffMs: 0, throttled: {} };
  const handlerMs = new WeakMap<object, number>();
  let pipeline: LocalPipeline | undefined;
  if (o.pipeline) {
    const config = validateConfig({
      targets: services.map((s) => ({
        cluster: 'prod',
        service: s.name,
        container: 'web',
        repository: 'web',
        tags: { glob: 'v*' },
        ...o.pipeline,
      })),
      ...(o.sweep !== undefined && { sweep: o.sweep }),
    });
    // Slack as in Lambda (the notices are posted to the local Slack), printed nowhere.
    pipeline = await attachPipeline(world, config, { slack: { print: false } });
    if (o.virtualBackoff) await useVirtualBackoff(pipeline.pipeline.options.clients, world, retries);
    // The handler's own time in each running invocation (innermost last): the latency model's draws.
    const spent: number[] = [];
    if (o.latency ?? true) {
      const latency = world.latency;
      const drawStart = latency.start.bind(latency);
      const drawCall = latency.call.bind(latency);
      const add = (ms: number) => {
        if (spent.length > 0) spent[spent.length - 1]! += ms;
        return ms;
      };
      latency.start = (cold) => add(drawStart(cold));
      latency.call = (service, operation) => add(drawCall(service, operation));
      const push = pipeline.actions.push.bind(pipeline.actions);
      pipeline.actions.push = (...entries) => {
        for (const e of entries) handlerMs.set(e, spent.at(-1) ?? 0);
        return push(...entries);
      };
    }
    // Count Lambda invocations: wrap the stand-ins EventBridge delivers to.
    for (const [fn, arn] of Object.entries(pipeline.functionArns)) {
      const inner = world.functions.get(arn)!;
      world.functions.set(arn, async (event) => {
        invocations[fn] = (invocations[fn] ?? 0) + 1;
        spent.push(0);
        try {
          return await inner(event);
        } catch (e) {
          functionErrors.push({ fn, at: world.now(), error: String((e as Error)?.message ?? e) });
          throw e;
        } finally {
          spent.pop();
        }
      });
    }
    // How long each invocation took, and whether it ran past its timeout: as the local Lambda counts
    // it (its function's name ends with the function's key: `ecs-autopilot-ecrPush`).
    const keys = Object.keys(pipeline.functionArns);
    pipeline.lambda.onEnd.push((span) => {
      const fn = keys.find((k) => span.name.endsWith(`-${k}`)) ?? span.name;
      const ms = span.to - span.from;
      longest[fn] = Math.max(longest[fn] ?? 0, ms);
      if (span.outcome === 'timed out' || ms > LAMBDA_TIMEOUT_MS)
        overTimeout[fn] = (overTimeout[fn] ?? 0) + 1;
    });
  }
  world.throttling = o.throttling ?? false;
  return {
    world,
    services,
    baseTaskDefinition,
    pipeline,
    invocations,
    longestInvocationMs: longest,
    overTimeout,
    functionErrors,
    problems,
    retries,
    handlerMs,
    async stop() {
      // Invocations still running wait on the virtual clock: stopped mid-way they would hang, and
      // middy's timeout (real time, the Lambda timeout less their time) would fail them a minute
      // later, logging handler.error into whatever runs then. Let them end first.
      await drainInvocations(world);
      setLogSink(previousSink);
      await pipeline?.close();
      await world.stop();
    },
  };
}

/** At most this much virtual time for the invocations in flight to end before a world stops. */
export const DRAIN_MS = 2 * MIN;

/**
 * Runs the world until no invocation is in flight (or DRAIN_MS passed); returns how many still are.
 * Events the drain delivers start invocations too: it ends when one step leaves none running.
 */
export async function drainInvocations(world: World, maxMs = DRAIN_MS): Promise<number> {
  for (let ms = 0; world.tasks.size > 0 && ms < maxMs; ms += 100) await world.runFor(100, 10);
  return world.tasks.size;
}

/** Registers, in-process (uncounted), a revision of `family` running `web:<tag>` (what a person would deploy by hand). */
export async function registerRevision(
  world: World,
  tag: string,
  healthCheck: boolean,
  family = 'web',
): Promise<string> {
  const image = world.ecr.resolve(`${world.ecr.registryHost}/web:${tag}`);
  if (!image) throw new Error(`push web:${tag} first`);
  const out = (await world.ecs.operations.RegisterTaskDefinition!(
    webTaskDefinition(family, `${world.ecr.registryHost}/web@${image.digest}`, healthCheck),
  )) as any;
  return out.taskDefinition.taskDefinitionArn;
}

/** Calls per `service:Operation` made since `before` (a copy of `world.apiCalls`). */
export function callsSince(world: World, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(world.apiCalls)) {
    const d = v - (before[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return sortKeys(out);
}

export function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
