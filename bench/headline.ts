/**
 * The headline figures of issue 16, each beside its baseline (the landed code before the issue) and
 * its goal: `BENCH_ONLY=headline npm run bench`. Measured on the local AWS with the latency model
 * on, from what the other sections' helpers measure, so the figures agree with theirs.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASELINE, buildBundles, coldImports } from './code.ts';
import { ecsRollingUpdate, goodRelease, idleHour } from './deploy.ts';
import { FLEET, runFleet, throttleBound } from './scale.ts';
import { benchWorld } from './world.ts';

export interface Headline {
  value: number;
  baseline: number;
  goal: string;
  met: boolean;
  how: string;
}

const total = (c: Record<string, number>) => Object.values(c).reduce((s, v) => s + v, 0);
const at = (value: number, goal: number, baseline: number, how: string, below = true): Headline => ({
  value: Math.round(value * 1000) / 1000,
  baseline,
  goal: `≤ ${goal}`,
  met: below ? value <= goal : value >= goal,
  how,
});

export async function headline(progress: (line: string) => void): Promise<Record<string, Headline>> {
  progress('headline: good canary release (3 steps, one gate alarm)');
  const canary = await goodRelease('canary', false, { gateAlarms: ['web-5xx'] });
  progress('headline: good rolling release');
  const rolling = await goodRelease('rolling', false);
  progress('headline: ECS rolling update');
  const ecs = await ecsRollingUpdate();
  progress(`headline: idle hour of ${FLEET} services`);
  const fleet = await benchWorld({ seed: 'idle-fleet', services: FLEET, pipeline: {} });
  let idle: Awaited<ReturnType<typeof idleHour>>;
  try {
    idle = await idleHour(fleet);
  } finally {
    await fleet.stop();
  }
  progress('headline: bundles and cold imports');
  const dir = join(tmpdir(), `ecs-autopilot-headline-${process.pid}`);
  let bundleMax = 0;
  let bundleName = '';
  let coldRatio = 0;
  try {
    const bundles = await buildBundles(dir);
    const cold = await coldImports(bundles, 5);
    const base = cold[BASELINE]!.medianMs;
    for (const b of bundles.filter((x) => x.name !== BASELINE)) {
      if (b.bytes > bundleMax) {
        bundleMax = b.bytes;
        bundleName = b.name;
      }
      coldRatio = Math.max(coldRatio, cold[b.name]!.medianMs / base);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  progress(`headline: one push to ${FLEET} services under ECS's throttles`);
  const single = await runFleet(1, false);
  const pushed = await runFleet(FLEET, true, { progress });
  const bound = throttleBound(single, pushed);
  const overTimeout = total(pushed.overTimeout);
  return {
    apiCallsPerCanaryRollout: at(
      total(canary.release.calls),
      40,
      746,
      `push → succeeded, 20 tasks, steps 10/50/100 %, gate alarm web-5xx: ${JSON.stringify(canary.release.calls)}`,
    ),
    apiCallsPerRollingRollout: at(
      total(rolling.release.calls),
      20,
      299,
      `push → succeeded: ${JSON.stringify(rolling.release.calls)}`,
    ),
    idleAwsCallsPerHour: at(
      total(idle.calls),
      5,
      14_000,
      `${idle.services} services, one hour, nothing happening: ${JSON.stringify(idle.calls)}`,
    ),
    idleInvocationsPerHour: at(
      total(idle.invocations),
      2,
      60,
      `same hour: ${JSON.stringify(idle.invocations)}`,
    ),
    goodReleaseOverhead: at(
      canary.release.durationMs / (canary.release.bakesMs + ecs.durationMs),
      1.05,
      1.5,
      `canary push → succeeded ${canary.release.durationMs} ms ÷ (bakes ${canary.release.bakesMs} ms + ECS rolling update ${ecs.durationMs} ms)`,
    ),
    bundleBytesMax: at(bundleMax, 450_000, 1_256_000, `largest: ${bundleName}, minified, no source map`),
    coldImportRatio: at(
      coldRatio,
      1.2,
      1.9,
      'the slowest function’s median cold import ÷ empty middy + ECSClient',
    ),
    fleetPushRatio: {
      ...at(
        (pushed.virtualMs ?? Number.NaN) / bound.boundMs,
        1.1,
        1.24,
        `${FLEET} services rolled out in ${pushed.virtualMs} ms against the throttles' lower bound ${Math.round(bound.boundMs)} ms; invocations past their timeout: ${overTimeout}`,
      ),
      goal: '≤ 1.1, 0 invocations past their timeout',
      met: (pushed.virtualMs ?? Number.POSITIVE_INFINITY) / bound.boundMs <= 1.1 && overTimeout === 0,
    },
  };
}
