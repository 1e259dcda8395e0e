/**
 * Facts from events in the local world: a crashing canary rolls back in the invocation its failure
 * event wakes, and with every task event lost the sweep still finds the failure from AWS within its period.
 * And what a failing image costs on a large service (scenarios/calls/*-large.yml, stranger9): a stop
 * is a record read, not a look at every task and a write that conflicts with the burst's others.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addLogTap } from '../lib/log.ts';
import { parseScenario } from '../local/scenario/parse.ts';
import { runScenario } from '../local/scenario/run.ts';
import { loadWithFaults, pipelineWith } from '../local/scenario/sim-pipeline.ts';
import type { World } from '../local/world.ts';

type Rollout = { outcome: string; reason?: string; endedAt?: string };

const CRASH = readFileSync('scenarios/calls/crashing-canary.yml', 'utf8');

/**
 * A scenario file as `autopilot sim` plays it: the latency model delivers a burst of stops over a
 * second or so, into concurrent invocations (without it they come one after another, and never race).
 */
async function played(file: string, watch?: (world: World) => void) {
  const { report } = await runScenario(parseScenario(readFileSync(file, 'utf8'), { file }), {
    onWorld: (world, scenario) => {
      watch?.(world);
      return pipelineWith({})(world, scenario);
    },
    latency: true,
  });
  const stops = report.events.filter(
    (e) => e.event['detail-type'] === 'ECS Task State Change' && e.event.detail.desiredStatus === 'STOPPED',
  );
  const total = Object.values(report.apiCalls).reduce((sum, n) => sum + n, 0);
  return { report, rollout: (report.rollouts as Rollout[])[0]!, stops, total };
}

describe('facts from events, in the local world', () => {
  it('rolls a crashing canary back within a minute of its first failure being told', async () => {
    const { report } = await runScenario(parseScenario(CRASH, { file: 'crashing-canary.yml' }), {
      onWorld: pipelineWith({}),
    });
    const rollout = (report.rollouts as Rollout[])[0]!;
    expect(rollout.outcome).toBe('rolled_back');
    const firstStop = report.events.find(
      (e) => e.event['detail-type'] === 'ECS Task State Change' && e.event.detail.desiredStatus === 'STOPPED',
    )!;
    // The rollback is decided when the first stop is told (event delivery and Lambda's start model).
    expect(Date.parse(rollout.endedAt!) - Date.parse(firstStop.at)).toBeLessThan(60_000);
    expect(report.violations).toEqual([]);
  }, 240_000);

  it('a crash-looping canary of 500 tasks: the stops after the rollback cost a read each, no write', async () => {
    const { report, rollout, stops } = await played('scenarios/calls/crashing-canary-large.yml');
    expect(rollout.outcome).toBe('rolled_back');
    expect(stops.length).toBeGreaterThan(100);
    // Each stop of the rolled-back revision asked the rollback's holder again: 331 writes before.
    expect(report.apiCalls['dynamodb:PutItem']).toBeLessThan(25);
    expect(report.violations).toEqual([]);
  }, 240_000);

  it('a crash-looping rolling update of 300 tasks: rolled back on a DescribeServices, no task listed', async () => {
    const { report, rollout, stops, total } = await played('scenarios/calls/crashing-rolling-large.yml');
    expect(rollout.outcome).toBe('rolled_back');
    expect(rollout.reason).toMatch(/exit code 1/);
    expect(stops.length).toBeGreaterThan(300);
    // Before, hundreds of invocations each listed the service's 600 tasks: 411 ListTasks.
    expect(report.apiCalls['ecs:ListTasks'] ?? 0).toBeLessThan(20);
    expect(report.apiCalls['ecs:DescribeTasks'] ?? 0).toBeLessThan(20);
    expect(total).toBeLessThan(stops.length * 2);
    expect(report.violations).toEqual([]);
  }, 240_000);

  it('a rolling update of 200 tasks failing its ELB checks: a rollback keeps no stop, so no stop writes', async () => {
    const { report, rollout } = await played('scenarios/calls/unhealthy-rolling-large.yml');
    expect(rollout.outcome).toBe('rolled_back');
    expect(rollout.reason).toMatch(/ELB health checks/);
    // Before, each stop's invocation wrote its fact into the record, conflicting round after round: 1,171 writes.
    expect(report.apiCalls['dynamodb:PutItem']).toBeLessThan(100);
    expect(report.violations).toEqual([]);
  }, 240_000);

  it('a healthy canary of 500 tasks: each bake ends on ECS’s counts, listing no task', async () => {
    const listings: string[] = [];
    const untap = addLogTap((line) => {
      const l = JSON.parse(line);
      if (l.msg === 'wake.scheduled' && /bake of step \d ends/.test(l.why)) listings.push(l.at);
    });
    let lists: Record<string, number> = {};
    try {
      const { report, rollout } = await played('scenarios/calls/healthy-canary-large.yml', (world) => {
        // ListTasks by the minute it was called at: the bakes' ends are known from their wake-ups.
        world.interceptors.push((service, operation) => {
          if (service !== 'ecs' || operation !== 'ListTasks') return;
          const at = new Date(world.clock.now()).toISOString().slice(0, 19);
          lists = { ...lists, [at]: (lists[at] ?? 0) + 1 };
        });
      });
      expect(rollout.outcome).toBe('succeeded');
      expect(listings).toHaveLength(3);
      // Listed before: 32 ListTasks, of which 16 at the three bakes' ends; then 16, at the bakes'
      // starts; now none: each bake starts on ECS's steady word (lib/observe-rules.ts countedSteadyTasks).
      for (const end of listings) expect(lists[end.slice(0, 19)] ?? 0, end).toBe(0);
      expect(report.apiCalls['ecs:ListTasks'] ?? 0).toBe(0);
      expect(report.apiCalls['elasticloadbalancing:DescribeTargetHealth'] ?? 0).toBe(0);
      expect(report.violations).toEqual([]);
    } finally {
      untap();
    }
  }, 240_000);

  it('a steady word that comes late, older than the step’s ask, starts no bake early', async () => {
    // The canary's steady state of step 1, delayed into step 2's wait: its tasks run, not yet in
    // service (scenarios/calls/steady-word-late.yml). Taken as a word on step 2, the bake began 13 s early.
    const steps = async (file: string) => {
      const { scenario, onWorld } = loadWithFaults(file);
      const { report } = await runScenario(scenario, { onWorld, latency: false });
      const rollout = (report.rollouts as (Rollout & { steps: { reachedAt: string }[] })[])[0]!;
      expect(rollout.outcome).toBe('succeeded');
      expect(report.violations).toEqual([]);
      return { report, at: rollout.steps.map((s) => Date.parse(s.reachedAt)) };
    };
    const late = await steps('scenarios/calls/steady-word-late.yml');
    expect((late.report as { faults?: { fault: string }[] }).faults?.map((f) => f.fault)).toEqual([
      'event.delay',
    ]);
    const onTime = await steps('scenarios/calls/healthy-canary.yml');
    // Step 3 comes a full bake after step 2's tasks are in service, as without the delay.
    expect(late.at[2]! - late.at[1]!).toBe(onTime.at[2]! - onTime.at[1]!);
  }, 240_000);

  it.each([
    // 44 canary tasks of a 400-task service crash together mid-bake: 987 calls before, 190 ListTasks.
    ['scenarios/held-out/stranger9/05-400-canary-crash-3m-failedtasks-40.yml', 400],
    // 150 new tasks of a rolling update crash-loop together: 1,238 calls before, 237 ListTasks.
    ['scenarios/held-out/stranger9/14-150-rolling-crashloop-failedtasks-40.yml', 1000],
  ])(
    'failedTasks 40, stops in hundreds: each failure is counted, not looked into (%s)',
    async (file, most) => {
      const { report, rollout, total } = await played(file);
      expect(rollout.outcome).toBe('rolled_back');
      expect(Number(/^(\d+) new tasks failed/.exec(rollout.reason ?? '')?.[1])).toBeGreaterThanOrEqual(40);
      expect(report.apiCalls['ecs:ListTasks'] ?? 0).toBeLessThan(20);
      expect(total).toBeLessThan(most);
      expect(report.violations).toEqual([]);
    },
    240_000,
  );

  it.each([
    // 300 tasks scaled to 400 by hand mid-bake: the bake's end resizes the canary (33 -> 44). No
    // deployment, so no COMPLETED: the canary's steady state (7:58) is the word, and was dropped
    // as step 1's, whose COMPLETED comes with it; the bake waited for the 4-minute recheck (11:00).
    // The steady state at 7:58 and a 5-minute bake: 12:58 (16:00 before).
    [
      "a canary resized at step 1 for a person's scale-out starts its bake on its steady state",
      'scenarios/held-out/stranger9/17-300-to-400-preset-canary-healthy-hand-scaleout.yml',
      14,
    ],
    // 300 tasks scaled in to 100 at 3m: ECS's DEACTIVATING events come at once, the STOPPED ones
    // 300 s later. Heard only at STOPPED, the canary of 33 served 25 % beside 100 for four minutes
    // (the sim's scaling-bounds check) and the promotion came at 13:25.
    [
      "a person's scale-in behind a 300 s deregistration delay re-sizes the canary as ECS starts draining",
      'scenarios/held-out/stranger10/08-300-preset-canary-lb-hand-scalein-step1.yml',
      9,
    ],
  ])(
    '%s',
    async (_, file, minutes) => {
      const { report, rollout } = await played(file);
      expect(rollout.outcome).toBe('succeeded');
      const steps = (report.rollouts as { steps: { reachedAt: string }[] }[])[0]!.steps;
      const promoted = Date.parse(steps[1]!.reachedAt) - Date.parse(report.startedAt as string);
      expect(promoted).toBeLessThan(minutes * 60_000);
      expect(report.violations).toEqual([]);
    },
    240_000,
  );

  it('with every task event lost, the sweep finds the failure from AWS and rolls back', async () => {
    const drops = Array.from({ length: 400 }, (_, i) => ({
      match: 'ECS Task State Change',
      nth: i + 1,
      do: 'drop' as const,
    }));
    // The sweep repairs a lost event within its period: a minute here (the default is 30m).
    const scenario = parseScenario(CRASH, { file: 'crashing-canary.yml' });
    (scenario.autopilot!.config as Record<string, unknown>).sweep = '1m';
    const { report } = await runScenario(scenario, { onWorld: pipelineWith({ events: drops }) });
    const rollout = (report.rollouts as Rollout[])[0]!;
    expect(rollout.outcome).toBe('rolled_back');
    expect(rollout.reason).toMatch(/exit code 1/);
    const firstStop = report.events.find(
      (e) => e.event['detail-type'] === 'ECS Task State Change' && e.event.detail.desiredStatus === 'STOPPED',
    )!;
    // Within the sweep's period (one minute) and its delivery.
    expect(Date.parse(rollout.endedAt!) - Date.parse(firstStop.at)).toBeLessThan(2 * 60_000);
  }, 240_000);
});
