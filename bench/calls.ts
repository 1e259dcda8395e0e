/**
 * A good release's AWS calls by the trigger that made them (bench/calls-by-trigger.ts):
 *
 *   npx tsx bench/calls.ts canary 30m     (strategy canary|rolling, then the config's sweep)
 *   npx tsx bench/calls.ts canary 30m --seeds 10   (and the totals in 10 more worlds)
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { goodRelease } from './deploy.ts';

const strategy = process.argv[2] === 'rolling' ? 'rolling' : 'canary';
const sweep = process.argv[3];
// `--seeds N`: the same release in N more worlds, each with its own latency draws, whose order of two
// events at one moment differs (ECS's deployment COMPLETED and its steady state): their totals.
const seeds = Number(process.argv[process.argv.indexOf('--seeds') + 1] ?? 0);
if (process.argv.includes('--seeds') && seeds > 0) {
  const totals: number[] = [];
  for (let i = 1; i <= seeds; i++) {
    const { release } = await goodRelease(
      strategy,
      false,
      strategy === 'canary' ? { gateAlarms: ['web-5xx'] } : {},
      sweep,
      `good-${strategy}-${i}`,
    );
    totals.push(Object.values(release.calls).reduce((s, n) => s + n, 0));
  }
  const sorted = [...totals].sort((a, b) => a - b);
  console.log(
    `${strategy}, sweep ${sweep ?? 'default'}, ${seeds} seeds: ${totals.join(' ')}; median ${sorted[Math.floor(seeds / 2)]}, min ${sorted[0]}, max ${sorted.at(-1)}`,
  );
}
const { release } = await goodRelease(
  strategy,
  false,
  strategy === 'canary' ? { gateAlarms: ['web-5xx'] } : {},
  sweep,
);
const total = Object.values(release.calls).reduce((s, n) => s + n, 0);
console.log(`${strategy}, sweep ${sweep ?? 'default'}: ${total} calls, ${release.durationMs} ms`);
for (const [k, v] of Object.entries(release.byTrigger ?? {}).sort()) {
  const n = Object.values(v.calls).reduce((s, x) => s + x, 0);
  if (n > 0)
    console.log(`${String(n).padStart(4)}  ${k} (${v.invocations} invocations) ${JSON.stringify(v.calls)}`);
}
process.exit(0);
