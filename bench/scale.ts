/**
 * Item 4, scale: one push to a repository that feeds 200 services (2 tasks each, one task-definition
 * family each, the default canary steps), under the documented ECS throttles (local/throttle.ts),
 * on the virtual clock. The SDK's retry back-off is spent on the virtual clock (virtual-retry.ts).
 *
 * The lower bound the throttles allow: every service needs its own RegisterTaskDefinition (burst
 * 20, then 1 per second), so the last registration cannot happen before (N − 20) s; that service then
 * needs a whole rollout, as long as a single service's rollout without throttles (measured, D1):
 *   bound = D1 + max over the write categories of (N × calls per rollout − burst) / rate.
 */
import { ECS_THROTTLE_CATEGORIES } from '../local/core/throttle.ts';
import { type IdleHour, idleHour } from './deploy.ts';
import type { RetryStats } from './virtual-retry.ts';
import { benchWorld, MIN } from './world.ts';

export const FLEET = 200;
export const FLEET_TASKS = 2;

export interface FleetRun {
  services: number;
  throttling: boolean;
  /** push → the last service's rollout ended (succeeded or not) */
  virtualMs?: number;
  outcomes: Record<string, number>;
  calls: Record<string, number>;
  invocations: Record<string, number>;
  longestInvocationMs: Record<string, number>;
  overTimeout: Record<string, number>;
  functionErrors: number;
  deadLetters: number;
  /** warn/error log lines */
  problems: number;
  firstProblems: string[];
  retries: RetryStats;
  realMs: number;
  idle?: IdleHour;
}

export async function runFleet(
  n: number,
  throttling: boolean,
  opts: { idle?: boolean; progress?: (line: string) => void } = {},
): Promise<FleetRun> {
  const real0 = performance.now();
  const b = await benchWorld({
    seed: `fleet-${n}`,
    services: n,
    desiredCount: FLEET_TASKS,
    pipeline: {},
    throttling,
    virtualBackoff: true,
  });
  try {
    const { world } = b;
    const p = b.pipeline!;
    const calls0 = { ...world.apiCalls };
    const t0 = world.now();
    world.ecr.push('web', 'v2');
    const ended = new Map<string, string>();
    let lastProgress = performance.now();
    while (ended.size < n && world.now() - t0 < 120 * MIN) {
      await world.runFor(1000);
      for (const x of p.notices) {
        const k = x.notice.kind;
        if (k === 'succeeded' || k === 'rolled_back' || k === 'ignored') ended.set(x.target.service, k);
      }
      if (opts.progress && performance.now() - lastProgress > 10_000) {
        lastProgress = performance.now();
        opts.progress(
          `  ${n} services${throttling ? ', throttled' : ''}: ${ended.size} done at ${Math.round((world.now() - t0) / 1000)} virtual s`,
        );
      }
    }
    const virtualMs = ended.size === n ? world.now() - t0 : undefined;
    const calls: Record<string, number> = {};
    for (const [k, v] of Object.entries(world.apiCalls))
      if (v - (calls0[k] ?? 0) > 0) calls[k] = v - (calls0[k] ?? 0);
    const outcomes: Record<string, number> = {};
    for (const k of ended.values()) outcomes[k] = (outcomes[k] ?? 0) + 1;
    const run: FleetRun = {
      services: n,
      throttling,
      virtualMs,
      outcomes,
      calls,
      invocations: { ...b.invocations },
      longestInvocationMs: { ...b.longestInvocationMs },
      overTimeout: { ...b.overTimeout },
      functionErrors: b.functionErrors.length,
      deadLetters: world.events.deadLetters.length,
      problems: b.problems.length,
      firstProblems: b.problems.slice(0, 3),
      retries: structuredClone(b.retries),
      realMs: 0,
    };
    if (opts.idle) run.idle = await idleHour(b);
    run.realMs = performance.now() - real0;
    return run;
  } finally {
    await b.stop();
  }
}

export interface ThrottleBound {
  /** A single service's rollout of the same shape, no throttles. */
  singleMs: number;
  /** Calls per rollout in each write category, from the single run. */
  perRollout: Record<string, number>;
  /** Time each write category needs for N rollouts beyond its burst. */
  drainMs: Record<string, number>;
  boundMs: number;
  /** The pipeline's own reads in the cluster-resource-read bucket (ListTasks, DescribeTasks), served. */
  clusterReadsServed: number;
  /** What those reads need at that bucket's rate: the bound the pipeline's read volume sets. */
  clusterReadMs: number;
}

const WRITE_CATEGORIES = ['taskDefinitionModify', 'serviceModify'] as const;

export function throttleBound(single: FleetRun, fleet: FleetRun): ThrottleBound {
  const n = fleet.services;
  const perRollout: Record<string, number> = {};
  const drainMs: Record<string, number> = {};
  for (const name of WRITE_CATEGORIES) {
    const c = ECS_THROTTLE_CATEGORIES[name]!;
    perRollout[name] = c.actions.reduce((s, a) => s + (single.calls[`ecs:${a}`] ?? 0), 0);
    drainMs[name] = Math.max(0, ((n * perRollout[name]! - c.burst) / c.perSecond) * 1000);
  }
  const reads = ECS_THROTTLE_CATEGORIES.clusterResourceRead!;
  const served = reads.actions.reduce(
    (s, a) => s + (fleet.calls[`ecs:${a}`] ?? 0) - (fleet.retries.throttled[`ecs:${a}`] ?? 0),
    0,
  );
  return {
    singleMs: single.virtualMs ?? Number.NaN,
    perRollout,
    drainMs,
    boundMs: (single.virtualMs ?? Number.NaN) + Math.max(...Object.values(drainMs)),
    clusterReadsServed: served,
    clusterReadMs: Math.max(0, ((served - reads.burst) / reads.perSecond) * 1000),
  };
}
