/**
 * Promotions and retries on a full cluster keep the service's floor, played in the local world from
 * strangers' scenarios (scenarios/held-out/stranger12, stranger13). The invariant checker judges
 * the floor against the service's total during a rollout (local/scenario/invariants.ts min-healthy).
 * - 04: 10 tasks in room for 10, minimumHealthyPercent 50, maximumPercent 150. The canary gave its
 *   tasks back for the primary's old ones, which ECS's rolling update then stopped down to the
 *   primary's own minimum: 3 of 10 served where the floor is 5 (lib/rollout-math.ts primaryKeeps).
 * - 08: 6 tasks in room for 8, scaled to 10 by hand mid-trade. The switch took the floor of 10,
 *   which no switch keeps, and fell back to a primary of one task: 5 of 8 served for two minutes
 *   (lib/rollout/task-steps.ts switchPlan caps the floor one under the room).
 * - 11: 8 tasks in room for 8, rolling, minimumHealthyPercent 50: ECS's breaker failed the update on
 *   placement, and the room was learned as the 4 tasks left after ECS's rollback, too few for any
 *   retry: the rollout ended on capacity where the README promises one retry within the room
 *   (lib/rollout/capacity.ts roomFrom counts the tasks the service ran when the rollout began).
 * - stranger13 01: 4 tasks in room for 4, minimumHealthyPercent 75, maximumPercent 125. The primary
 *   switched at 3, where 125 % starts no new task and 75 % stops none: it waited for its deadline
 *   and a healthy image was rolled back for capacity (lib/rollout-math.ts promotionSwitch asks for
 *   one new task at once then).
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { parseScenario } from '../local/scenario/parse.ts';
import { runScenario } from '../local/scenario/run.ts';
import { pipelineWith } from '../local/scenario/sim-pipeline.ts';

it.each([
  ['stranger12/04-ten-room10-lb-min50-max150-canary.yml', 'succeeded'],
  ['stranger12/08-six-room8-healthcheck-hand-scaleout-mid-trade.yml', 'succeeded'],
  ['stranger12/11-eight-room8-lb-min50-max150-rolling-breaker.yml', 'succeeded'],
  ['stranger13/01-four-room4-nolb-min75-max125-canary.yml', 'succeeded'],
])(
  '%s: %s, the floor kept',
  async (file, outcome) => {
    const path = `scenarios/held-out/${file}`;
    const { report } = await runScenario(parseScenario(readFileSync(path, 'utf8'), { file: path }), {
      onWorld: pipelineWith({}),
      latency: true,
    });
    expect((report.rollouts as { outcome: string }[]).map((r) => r.outcome)).toEqual([outcome]);
    expect(report.violations).toEqual([]);
  },
  300_000,
);
