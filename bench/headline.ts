/**
 * The headline figures of issue 16, each beside its baseline (the landed code before the issue) and
 * its goal: `BENCH_ONLY=headline npm run bench` (results.json `headline`, exactly these keys).
 * Measured on the local AWS with the latency model on. The calls, idle and overhead figures are
 * measured here; the bundle, cold-import and fleet figures are taken from the `code` and `scale`
 * sections' results (bench/code.ts, bench/scale.ts: run with them, or kept from the last run that
 * measured them), so the two never disagree and bundles are measured in one place.
 */
const IDLE_SWEEP = '30m';
const IDLE_SWEEP_MS = 30 * 60_000;

import { triggerTotals } from './calls-by-trigger.ts';
import { BASELINE } from './code.ts';
import { ecsRollingUpdate, type GoodRelease, goodRelease, idleHour } from './deploy.ts';
import { FLEET } from './scale.ts';
import { benchWorld, callsSince } from './world.ts';

export interface Headline {
  /** null: its section has not been measured yet. */
  value: number | null;
  baseline: number;
  goal: string;
  met: boolean;
  how: string;
}

/** What the `code` section returns (bench/run.ts code()): the parts read here. */
export interface CodeResults {
  bundles: { name: string; bytes: number }[];
  coldImports: Record<string, { medianMs: number }>;
}

/** What the `scale` section returns (bench/run.ts scale()): the parts read here. */
export interface ScaleResults {
  throttled: { virtualMs?: number; overTimeout: Record<string, number> };
  bound: { boundMs: number };
}

/** The baselines (issue 16, measured on the code before it). */
export const BASELINES = {
  apiCallsPerCanaryRollout: 746,
  apiCallsPerRollingRollout: 299,
  idleAwsCallsPerHour: 14_000,
  idleInvocationsPerHour: 60,
  goodReleaseOverhead: 1.5,
  bundleBytesMax: 1_256_000,
  coldImportRatio: 1.9,
  fleetPushRatio: 1.24,
} as const;

const MIN = 60_000;
const byTrigger = (r: GoodRelease) => triggerTotals(r.byTrigger ?? {});
const total = (c: Record<string, number>) => Object.values(c).reduce((s, v) => s + v, 0);
const at = (value: number, goal: number, baseline: number, how: string): Headline => ({
  value: Math.round(value * 1000) / 1000,
  baseline,
  goal: `≤ ${goal}`,
  met: value <= goal,
  how,
});
const unmeasured = (baseline: number, goal: string, section: string): Headline => ({
  value: null,
  baseline,
  goal,
  met: false,
  how: `not measured yet: run the ${section} section (BENCH_ONLY=${section},headline npm run bench)`,
});

/**
 * bundleBytesMax and coldImportRatio from the `code` section: the largest function bundle, and the
 * slowest function's median cold import over the empty middy + ECSClient handler's.
 */
export function fromCode(
  code: CodeResults | undefined,
): Pick<Record<keyof typeof BASELINES, Headline>, 'bundleBytesMax' | 'coldImportRatio'> {
  const base = code?.coldImports[BASELINE]?.medianMs;
  const fns = (code?.bundles ?? []).filter((b) => b.name !== BASELINE);
  if (!code || fns.length === 0 || !base)
    return {
      bundleBytesMax: unmeasured(BASELINES.bundleBytesMax, '≤ 450000', 'code'),
      coldImportRatio: unmeasured(BASELINES.coldImportRatio, '≤ 1.2', 'code'),
    };
  const largest = fns.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const slowest = fns.reduce((a, b) =>
    (code.coldImports[b.name]?.medianMs ?? 0) > (code.coldImports[a.name]?.medianMs ?? 0) ? b : a,
  );
  return {
    bundleBytesMax: at(
      largest.bytes,
      450_000,
      BASELINES.bundleBytesMax,
      `largest: ${largest.name} (code section)`,
    ),
    coldImportRatio: at(
      (code.coldImports[slowest.name]?.medianMs ?? 0) / base,
      1.2,
      BASELINES.coldImportRatio,
      `slowest: ${slowest.name}, median cold import ÷ empty middy + ECSClient (code section)`,
    ),
  };
}

/** fleetPushRatio from the `scale` section: the throttled fleet's push against its lower bound. */
export function fromScale(scale: ScaleResults | undefined): Headline {
  const goal = '≤ 1.1, 0 invocations past their timeout';
  const ms = scale?.throttled.virtualMs;
  if (!scale || ms === undefined || !scale.bound.boundMs)
    return unmeasured(BASELINES.fleetPushRatio, goal, 'scale');
  const overTimeout = total(scale.throttled.overTimeout ?? {});
  const ratio = ms / scale.bound.boundMs;
  return {
    ...at(ratio, 1.1, BASELINES.fleetPushRatio, ''),
    goal,
    met: ratio <= 1.1 && overTimeout === 0,
    how: `${FLEET} services rolled out in ${ms} ms against the throttles' lower bound ${Math.round(scale.bound.boundMs)} ms; invocations past their timeout: ${overTimeout} (scale section)`,
  };
}

export async function headline(
  progress: (line: string) => void,
  sections: { code?: CodeResults; scale?: ScaleResults } = {},
): Promise<Record<keyof typeof BASELINES, Headline>> {
  // Measured with the default `sweep: 30m`, as the idle figures are; with `sweep: 1m` every rollout
  // in flight is looked at in full each minute (lost events are repaired within the minute), which
  // is most of a rollout's calls; that figure is kept beside it (`how`).
  progress('headline: good canary release (3 steps, one gate alarm)');
  const canary = await goodRelease('canary', false, { gateAlarms: ['web-5xx'] }, IDLE_SWEEP);
  const canary1m = await goodRelease('canary', false, { gateAlarms: ['web-5xx'] }, '1m');
  progress('headline: good rolling release');
  const rolling = await goodRelease('rolling', false, {}, IDLE_SWEEP);
  const rolling1m = await goodRelease('rolling', false, {}, '1m');
  progress('headline: ECS rolling update');
  const ecs = await ecsRollingUpdate();
  progress(`headline: idle hour of ${FLEET} services`);
  // Measured with the default `sweep: 30m` (README "Why the default is 30m"): `sweep: 1m` costs one
  // invocation and one Query a minute, 60 an hour.
  const fleet = await benchWorld({ seed: 'idle-fleet', services: FLEET, pipeline: {}, sweep: IDLE_SWEEP });
  let idle: Awaited<ReturnType<typeof idleHour>>;
  let firstSweep: Record<string, number>;
  try {
    // The first sweep after a deploy looks at ECR once for every service and records where it
    // looked (a GetItem and a PutItem each): a one-time cost, counted apart from the idle hour.
    const before = { ...fleet.world.apiCalls };
    await fleet.world.runFor(IDLE_SWEEP_MS + MIN);
    firstSweep = callsSince(fleet.world, before);
    idle = await idleHour(fleet);
  } finally {
    await fleet.stop();
  }
  return {
    apiCallsPerCanaryRollout: at(
      total(canary.release.calls),
      40,
      BASELINES.apiCallsPerCanaryRollout,
      `push → succeeded, 20 tasks, steps 10/50/100 %, gate alarm web-5xx, sweep ${IDLE_SWEEP}: ${JSON.stringify(canary.release.calls)}; by trigger: ${JSON.stringify(byTrigger(canary.release))}; with sweep 1m: ${total(canary1m.release.calls)} (${JSON.stringify(byTrigger(canary1m.release))})`,
    ),
    apiCallsPerRollingRollout: at(
      total(rolling.release.calls),
      20,
      BASELINES.apiCallsPerRollingRollout,
      `push → succeeded, sweep ${IDLE_SWEEP}: ${JSON.stringify(rolling.release.calls)}; by trigger: ${JSON.stringify(byTrigger(rolling.release))}; with sweep 1m: ${total(rolling1m.release.calls)} (${JSON.stringify(byTrigger(rolling1m.release))})`,
    ),
    idleAwsCallsPerHour: at(
      total(idle.calls),
      5,
      BASELINES.idleAwsCallsPerHour,
      `${idle.services} services, one hour after the first sweep, nothing happening: ${JSON.stringify(idle.calls)}; the first sweep's one-time look at ECR: ${JSON.stringify(firstSweep)}`,
    ),
    idleInvocationsPerHour: at(
      total(idle.invocations),
      2,
      BASELINES.idleInvocationsPerHour,
      `same hour: ${JSON.stringify(idle.invocations)}`,
    ),
    goodReleaseOverhead: at(
      canary.release.durationMs / (canary.release.bakesMs + ecs.durationMs),
      1.05,
      BASELINES.goodReleaseOverhead,
      `canary push → succeeded ${canary.release.durationMs} ms ÷ (bakes ${canary.release.bakesMs} ms + ECS rolling update ${ecs.durationMs} ms)`,
    ),
    ...fromCode(sections.code),
    fleetPushRatio: fromScale(sections.scale),
  };
}
