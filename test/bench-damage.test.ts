/**
 * The damage benchmark is fair to ECS (bench/damage.ts): every case has a careful ECS baseline, the
 * crash cases run under both readings of resetOnHealthyTask beside a breaker of COUNT 1, the 5xx case
 * gives ECS a deployment alarm on our gate's alarm, and benchWorld really configures ECS that way.
 * No figure is asserted: the benchmarks measure, the tests check the set-up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CASES, ECS_ALARM, ECS_COUNT_1, runDamage, runOver } from '../bench/damage.ts';
import { type BenchWorld, benchWorld } from '../bench/world.ts';

describe('damage cases', () => {
  it('every case has our contenders and at least one careful ECS baseline, and says what it simplifies', () => {
    for (const c of CASES) {
      expect(
        c.contenders.some((w) => w.pipeline),
        c.key,
      ).toBe(true);
      expect(
        c.contenders.some((w) => !w.pipeline),
        c.key,
      ).toBe(true);
      expect(c.simplifies.length, c.key).toBeGreaterThan(0);
    }
  });

  it('the crash cases run under both readings of resetOnHealthyTask, with ECS COUNT 1 beside failedTasks 1', () => {
    const crash = CASES.filter((c) => c.key.startsWith('crash'));
    expect(crash.map((c) => c.resetOnHealthyTask).sort()).toEqual([
      'resets-count',
      'resets-count',
      'stops-evaluating',
      'stops-evaluating',
    ]);
    for (const c of crash) {
      expect(c.contenders).toContain(ECS_COUNT_1);
      for (const w of c.contenders.filter((x) => x.pipeline)) expect(w.pipeline?.failedTasks).toBe(1);
    }
  });

  it('the 5xx case gives ECS a deployment alarm with rollback on the alarm our gate watches', () => {
    const c = CASES.find((x) => x.key === '5xx')!;
    expect(c.alarm).toBe(true);
    expect(c.contenders).toContain(ECS_ALARM);
    expect(ECS_ALARM.ecs).toEqual({ alarms: { alarmNames: ['web-5xx'], enable: true, rollback: true } });
  });
});

describe('benchWorld configures ECS as a careful user would', () => {
  let b: BenchWorld | undefined;
  afterEach(async () => {
    await b?.stop();
    b = undefined;
  });

  it.each([
    ['deployment alarm', ECS_ALARM],
    ['breaker COUNT 1', ECS_COUNT_1],
  ])(
    '%s: min 100 %%, max 200 %%, breaker with rollback, plus the contender fields',
    async (_, who) => {
      b = await benchWorld({
        seed: 'bench-test',
        desiredCount: 2,
        alarms: true,
        latency: false,
        settleMs: 0,
        resetOnHealthyTask: 'resets-count',
        deploymentConfiguration: who.ecs,
      });
      const out = (await b.world.ecs.operations.DescribeServices!({
        cluster: 'prod',
        services: ['web'],
      })) as any;
      const dc = out.services[0].deploymentConfiguration;
      expect(dc.minimumHealthyPercent).toBe(100);
      expect(dc.maximumPercent).toBe(200);
      expect(dc.deploymentCircuitBreaker).toMatchObject({ enable: true, rollback: true });
      if (who === ECS_ALARM)
        expect(dc.alarms).toMatchObject({ alarmNames: ['web-5xx'], enable: true, rollback: true });
      else expect(dc.deploymentCircuitBreaker.thresholdConfiguration).toEqual({ type: 'COUNT', value: 1 });
      expect(b.world.ecs.breakerReading).toBe('resets-count');
    },
    60_000,
  );
});

describe('runOver: when a damage run stops measuring (the worked examples of bench/damage.ts)', () => {
  it.each([
    [false, true, false, 0, false],
    [true, false, false, 0, true],
    [true, true, false, 0, false],
    [true, true, true, 1, false],
    [true, true, true, 0, true],
  ])(
    'recovered %s, pipeline %s, rollout closed %s, %i in flight → %s',
    (recovered, pipeline, rolloutClosed, inFlight, over) => {
      expect(runOver({ recovered, pipeline, rolloutClosed, inFlight })).toBe(over);
    },
  );
});

describe('a damage run where ECS rolls back first', () => {
  // Seed 1 of this case: ECS's breaker rolls back at 48.7 s (its reaction takes no time in the model)
  // and the last new task stops at 49 s, before the pipeline handles the events that tell it; measured
  // then, the rollout read "in progress".
  it('reads the outcome after the pipeline closed its rollout, and still stamps recovery when the damage ended', async () => {
    const c = CASES.find((x) => x.key === 'crash-stops-evaluating')!;
    const rolling = c.contenders.find((x) => x.key === 'rolling')!;
    const r = await runDamage(c, rolling, `damage-${c.key}-1`);
    expect(r.outcome).toBe('rolled_back (ECS breaker rolled back first)');
    expect(r.censored).toBe(false);
    // Recovery is when the last new task stopped (about a second after ECS's rollback), not when measuring ended.
    expect(r.recoveredMs! - r.rollbackCallMs!).toBeLessThanOrEqual(2000);
  }, 240_000);

  it('stopping a bench world lets the invocations in flight end first', async () => {
    const b = await benchWorld({ seed: 'bench-drain', desiredCount: 2, pipeline: { strategy: 'rolling' } });
    try {
      b.world.ecr.push('web', 'v2');
      for (let i = 0; i < 100 && b.world.tasks.size === 0; i++) await b.world.runFor(10, 10);
      expect(b.world.tasks.size).toBeGreaterThan(0);
    } finally {
      await b.stop();
    }
    expect(b.world.tasks.size).toBe(0);
  }, 240_000);
});
