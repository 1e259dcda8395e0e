/**
 * A trade on a full cluster stops a task only once the one replacing it counts as ECS counts it
 * (lib/rollout/step.ts servingTasks): a task with no health check and no load balancer counts 40 s
 * after RUNNING. Played in the local world from a stranger's scenario: 3 tasks in room for 4
 * (minimumHealthyPercent 100), canary 50 % then 100 %. The pipeline used to count such a task the
 * moment it ran, stopping a canary task 40 s before ECS counted the primary's new one: 2 of 3
 * serving, twice (the promotion's growth and its end).
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { addLogTap } from '../lib/log.ts';
import { parseScenario } from '../local/scenario/parse.ts';
import { runScenario } from '../local/scenario/run.ts';
import { pipelineWith } from '../local/scenario/sim-pipeline.ts';

const FILE = 'scenarios/held-out/stranger11/15-ec2-tight-3-tasks-canary-healthy.yml';

it('trades a canary task for a primary one only once ECS counts the new one: the floor of 3 kept', async () => {
  const wakes: string[] = [];
  const untap = addLogTap((line) => {
    const l = JSON.parse(line);
    if (l.msg === 'wake.scheduled') wakes.push(l.why);
  });
  try {
    const { report } = await runScenario(parseScenario(readFileSync(FILE, 'utf8'), { file: FILE }), {
      onWorld: pipelineWith({}),
      latency: true,
    });
    expect((report.rollouts as { outcome: string }[]).map((r) => r.outcome)).toEqual(['succeeded']);
    expect(report.violations).toEqual([]);
    // No event says when ECS starts counting a task: the trade looks then.
    expect(wakes).toContain('tasks of step 2 count');
  } finally {
    untap();
  }
}, 240_000);
