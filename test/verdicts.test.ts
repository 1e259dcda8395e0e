/**
 * The verdict suite's fixed sample (bench/verdicts.ts; the whole generated suite is
 * `npm run verdicts -- --count 40`): one row per kind of service shape issue 13 names, each played on
 * the local AWS with the real pipeline and judged: a healthy image ends `succeeded` on the new
 * revision with no digest marked bad; a failing one ends `rolled_back` within its bound, back on
 * web:v1; no rollout left open; no invariant violated.
 *
 * A row that fails prints the judge's problems and where its scenario file was written
 * (test-output/verdicts/<id>.yml), to replay with `npm run verdicts -- --file <that file>`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  excusedByScaleOut,
  failBoundMs,
  generateCases,
  judge,
  mulberry32,
  runCase,
  scenarioText,
  tightInstances,
  type VerdictCase,
  verdictCase,
} from '../bench/verdicts.ts';

const MINUTE = 60_000;

/** Small services (fast), one of 110 tasks (past ListTasks' page of 100); each kind once. */
const SAMPLE: VerdictCase[] = [
  verdictCase('healthy-canary-preset', { tasks: 4, strategy: 'Canary10Percent5Minutes', image: 'healthy' }),
  // 50% of 110 is 110 canary tasks beside the primary's 110: listings past one page of 100.
  verdictCase('healthy-110-tasks', {
    tasks: 110,
    strategy: 'canary-steps',
    strategyOptions: 'steps: [{ percent: 50, bake: 1m }, { percent: 100, bake: 1m }]',
    image: 'healthy',
  }),
  verdictCase('crash-linear-preset', { tasks: 6, strategy: 'Linear10PercentEvery1Minute', image: 'crash' }),
  verdictCase('unhealthy-rolling', {
    tasks: 3,
    strategy: 'rolling',
    strategyOptions: 'rolling: { bake: 3m }',
    image: 'unhealthy',
  }),
  verdictCase('pull-error-all-at-once', { tasks: 5, strategy: 'all-at-once', image: 'pull-error' }),
  verdictCase('errors-gate-both-dimensions', {
    tasks: 8,
    strategy: 'Canary10Percent15Minutes',
    image: 'errors',
    gated: true,
  }),
  // A scale-out late in a long bake: the step asks for tasks 9.5 minutes after it started, with a
  // 10-minute deadline (issue 13, item 3: the deadline counts from when the step last asked for tasks).
  verdictCase('healthy-scale-out-late-in-bake', {
    tasks: 6,
    strategy: 'canary-steps',
    strategyOptions: 'steps: [{ percent: 20, bake: 12m }, { percent: 100, bake: 1m }]',
    image: 'healthy',
    stepDeadlineMin: 10,
    scaleOut: { afterPushMs: 9.5 * MINUTE, to: 12 },
  }),
  verdictCase('healthy-paused-mid-step', {
    tasks: 4,
    strategy: 'Canary10Percent5Minutes',
    image: 'healthy',
    stepDeadlineMin: 10,
    pause: { afterPushMs: 2 * MINUTE, forMs: 12 * MINUTE },
  }),
  // The resume moves the rollout on to a step past maxSurge: the command itself resizes both
  // services, which the invariant checker must know for the pipeline's (seed 20261215 #40).
  verdictCase('healthy-resumed-past-surge', {
    tasks: 4,
    strategy: 'canary-steps',
    strategyOptions:
      'steps: [{ percent: 20, bake: 3m }, { percent: 60, bake: 2m }, { percent: 100, bake: 2m }]',
    image: 'healthy',
    stepDeadlineMin: 15,
    pause: { afterPushMs: 96_000, forMs: 10 * MINUTE },
  }),
  verdictCase('healthy-alarm-at-push', {
    tasks: 5,
    strategy: 'linear',
    strategyOptions: 'linear: { stepPercent: 50, bake: 2m }',
    image: 'healthy',
    gated: true,
    alarmAtPush: true,
  }),
  verdictCase('healthy-insufficient-data-gate', {
    tasks: 3,
    strategy: 'Canary10Percent5Minutes',
    image: 'healthy',
    insufficientData: true,
  }),
  verdictCase('healthy-tight-ec2', {
    tasks: 7,
    strategy: 'linear',
    strategyOptions: 'linear: { stepPercent: 34, bake: 1m }',
    image: 'healthy',
    tightCapacity: true,
  }),
  // A person scales the primary by hand on a full cluster (7 -> 14): their count is the total.
  verdictCase('healthy-scale-out-tight-ec2', {
    tasks: 7,
    strategy: 'linear',
    strategyOptions: 'linear: { stepPercent: 34, bake: 1m }',
    image: 'healthy',
    tightCapacity: true,
    scaleOut: { afterPushMs: 356_000, to: 14 },
  }),
  // One instance: the canary steps trade capacity, promotion switches at the count the room allows.
  verdictCase('healthy-tight-ec2-steps', {
    tasks: 6,
    strategy: 'canary-steps',
    strategyOptions:
      'steps: [{ percent: 20, bake: 3m }, { percent: 60, bake: 4m }, { percent: 100, bake: 1m }]',
    image: 'healthy',
    stepDeadlineMin: 10,
    tightCapacity: true,
  }),
  // Room for 8, 6 tasks and a canary of 1: the promotion, asked for 6 new tasks at once, fails on
  // placement (ECS's breaker), and so does ECS's rollback of it. The room learned as ECS stopped old
  // tasks first (minimumHealthyPercent 50) was 5; the retry must size the switch on the 7 the cluster
  // then ran, not wait for a primary ECS no longer moves (generated seed 20261220 #29: rolled back).
  verdictCase('s20261220-29', {
    tasks: 6,
    strategy: 'Canary10Percent5Minutes',
    image: 'healthy',
    stepDeadlineMin: 10,
    gated: true,
    insufficientData: true,
    tightCapacity: true,
    eventFault: 'push-late',
  }),
  // 29 tasks in room for 40 at 50/200: the primary, shrunk to 14 past the surge beside a canary of
  // 20, switched at 14 with the canary cut to 6, and ECS stopped 7 old tasks at once: 13 served,
  // under the floor of 15 (generated seed 20270102 #19). The canary now covers the floor beside the
  // old tasks ECS keeps (lib/rollout-math.ts promotionSwitch, its minimumHealthyPercent).
  verdictCase('s20270102-19', {
    tasks: 29,
    strategy: 'canary-steps',
    strategyOptions:
      'steps: [{ percent: 25, bake: 1m }, { percent: 60, bake: 5m }, { percent: 100, bake: 1m }]',
    image: 'healthy',
    stepDeadlineMin: 15,
    gated: true,
    tightCapacity: true,
  }),
  // A failing image on a full cluster: rolled back in time, the canary's room given back first.
  verdictCase('crash-tight-ec2', {
    tasks: 4,
    strategy: 'Linear10PercentEvery1Minute',
    image: 'crash',
    tightCapacity: true,
  }),
  // Listener weights on a full cluster: no room for the promotion's canary to grow to the count
  // beside the primary (12 tasks in room for 16), so the primary rolls in the whole room
  // (lib/rollout/weighted.ts switchInWholeRoom; before, rolled back and marked bad).
  verdictCase('healthy-weighted-tight-ec2', {
    tasks: 12,
    strategy: 'Canary10Percent5Minutes',
    image: 'healthy',
    tightCapacity: true,
    traffic: 'weighted',
  }),
  // Listener weights, 4 tasks in room for 8 at 50 / 200 with ECS's breaker: the promotion's canary
  // fills the room, the primary's switch asks for 4 new tasks, ECS's breaker counts the 2 it cannot
  // place as failed to start and rolls it back, placing its own rollback in the freed slots. The
  // placed tasks are the room, and the switch goes again within it (lib/rollout/capacity.ts
  // retryWithinRoom, lib/rollout/weighted.ts switchWithinRoom; generated seed 20270121 #57: rolled back).
  verdictCase('s20270121-57', {
    tasks: 4,
    strategy: 'linear',
    strategyOptions: 'linear: { stepPercent: 25, bake: 1m }',
    image: 'healthy',
    stepDeadlineMin: 10,
    tightCapacity: true,
    traffic: 'weighted',
  }),
  // Listener weights, 5xx behind a gate on the load balancer as a whole (it counts the canary's group).
  verdictCase('errors-weighted-gate-on-load-balancer', {
    tasks: 5,
    strategy: 'canary-steps',
    strategyOptions: 'steps: [{ percent: 20, bake: 3m }, { percent: 100, bake: 2m }]',
    image: 'errors',
    gated: true,
    traffic: 'weighted',
  }),
  verdictCase('crash-push-late', {
    tasks: 5,
    strategy: 'canary-steps',
    strategyOptions: 'steps: [{ percent: 25, bake: 2m }, { percent: 100, bake: 2m }]',
    image: 'crash',
    eventFault: 'push-late',
  }),
  verdictCase('healthy-push-doubled', {
    tasks: 6,
    strategy: 'Canary10Percent5Minutes',
    image: 'healthy',
    eventFault: 'push-doubled',
  }),
  verdictCase('unhealthy-task-event-reordered', {
    tasks: 10,
    strategy: 'Canary10Percent5Minutes',
    image: 'unhealthy',
    eventFault: 'task-event-reordered',
  }),
];

describe('verdicts: a healthy image never rolls back, a failing one always does, in time', () => {
  it.each(SAMPLE.map((c) => [c.id, c] as const))('%s', { timeout: 300_000 }, async (_id, c) => {
    const text = scenarioText(c);
    const file = path.join('test-output/verdicts', `${c.id}.yml`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    const run = await runCase(c, text, file);
    const verdict = judge(c, run);
    expect(verdict.problems, `replay: npm run verdicts -- --file ${file}`).toEqual([]);
    // A paused case was paused and resumed, by the commands a terminal runs, at their times.
    if (c.pause) {
      const at = (ms: number) => new Date(Date.parse(run.report.startedAt) + ms).toISOString();
      const paused = c.pushAtMs + c.pause.afterPushMs;
      expect(run.commands).toHaveLength(2);
      expect(run.commands[0]).toContain(`cli: pause prod/web --as verdicts at ${at(paused)}: exit 0`);
      expect(run.commands[1]).toContain(
        `cli: resume prod/web --as verdicts at ${at(paused + c.pause.forMs)}: exit 0`,
      );
    }
  });
});

describe('verdicts: the rules of the suite', () => {
  it.each([
    // crash, stepDeadline 15m, nothing else: 15 + 5 = 20m
    [verdictCase('a', { tasks: 4, strategy: 'rolling', image: 'crash' }), 20],
    // errors, stepDeadline 10m, paused 4m, push 2m late: 10 + 4 + 2 + 2 + 5 = 23m
    [
      verdictCase('b', {
        tasks: 4,
        strategy: 'rolling',
        image: 'errors',
        stepDeadlineMin: 10,
        pause: { afterPushMs: 30_000, forMs: 4 * MINUTE },
        eventFault: 'push-late',
      }),
      23,
    ],
  ])('failBoundMs %#', (c, minutes) => {
    expect(failBoundMs(c)).toBe(minutes * MINUTE);
  });

  it.each([
    [1, 1], // 1 + 1 = 2 slots
    [10, 2], // 10 + 3 = 13 slots
    [16, 3], // 16 + 4 = 20 slots
    [200, 32], // 200 + 50 = 250 slots
  ])('tightInstances(%i) = %i', (tasks, instances) => {
    expect(tightInstances(tasks)).toBe(instances);
  });

  it('excuses a scale-out by hand, and only that', () => {
    const c = verdictCase('s', {
      tasks: 8,
      strategy: 'rolling',
      image: 'healthy',
      scaleOut: { afterPushMs: MINUTE, to: 12 },
    });
    const v = (invariant: 'min-healthy' | 'scaling-bounds', detail: string) => ({
      at: '',
      service: 'prod/web',
      invariant,
      detail,
    });
    const short = (healthy: number, of: number) =>
      `${healthy} healthy task(s), fewer than the ${of} that minimumHealthyPercent 100 of ${of} allows (revision web:1)`;
    expect(excusedByScaleOut(c, v('min-healthy', short(8, 12)))).toBe(true);
    expect(excusedByScaleOut(c, v('min-healthy', short(7, 12)))).toBe(false);
    expect(excusedByScaleOut(c, v('min-healthy', short(7, 8)))).toBe(false);
    expect(excusedByScaleOut(c, v('scaling-bounds', "the primary's desired count is 12, outside 8..8"))).toBe(
      true,
    );
    expect(excusedByScaleOut(c, v('scaling-bounds', "the primary's desired count is 30, outside 8..8"))).toBe(
      false,
    );
  });

  it('draws the same cases from the same seed, other cases from another', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    expect(generateCases(1, 5)).toEqual(generateCases(1, 5));
    expect(generateCases(2, 5)).not.toEqual(generateCases(1, 5));
    const tasks = generateCases(1, 200).map((c) => c.tasks);
    expect(Math.min(...tasks)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...tasks)).toBeLessThanOrEqual(500);
    expect(tasks.filter((t) => t > 100).length).toBeGreaterThan(0);
  });
});
