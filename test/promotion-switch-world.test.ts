/**
 * A promotion on a full cluster keeps the service's floor serving (lib/rollout-math.ts
 * promotionSwitch, slowerSwitch), played in the local world from a stranger's scenario: 11 tasks
 * in room for 12 (minimumHealthyPercent 100), a canary at 50 % beside a primary of 6 when the
 * promotion comes. The switch used to shrink the primary to one task beside the canary's 6 (7 of
 * 11 serving for two minutes); it now switches at the primary's own count and asks ECS for one new
 * task at a time (maximumPercent 117), so 11 serve throughout.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { addLogTap } from '../lib/log.ts';
import { parseScenario } from '../local/scenario/parse.ts';
import { runScenario } from '../local/scenario/run.ts';
import { pipelineWith } from '../local/scenario/sim-pipeline.ts';

const FILE = 'scenarios/held-out/stranger11/10-ec2-tight-11-tasks-canary-healthy.yml';

it('switches a full cluster at the primary’s own count, fewer new tasks at once, the floor kept', async () => {
  const actions: { type: string; desiredCount?: number; maximumPercent?: number; percent?: number }[] = [];
  const untap = addLogTap((line) => {
    const l = JSON.parse(line);
    if (l.msg === 'action' && (l.type === 'setCount' || l.type === 'setPrimary')) actions.push(l);
  });
  try {
    const { report } = await runScenario(parseScenario(readFileSync(FILE, 'utf8'), { file: FILE }), {
      onWorld: pipelineWith({}),
      latency: true,
    });
    const rollouts = report.rollouts as { outcome: string }[];
    expect(rollouts.map((r) => r.outcome)).toEqual(['succeeded']);
    expect(report.violations).toEqual([]);
    // The primary gives the canary its tasks in step 2 (6 of 11 at 50 %), and never fewer after.
    const counts = actions.filter((a) => a.type === 'setCount').map((a) => a.desiredCount!);
    expect(Math.min(...counts)).toBe(6);
    // The switch: one new task at a time (7 = 6 × 1.17, rounded down), not a primary of one.
    const promote = actions.find((a) => a.type === 'setPrimary');
    expect(promote?.maximumPercent).toBe(117);
  } finally {
    untap();
  }
}, 240_000);
