/**
 * Alarm-driven scaling end to end: traffic on the local load balancer drives the service's CPU,
 * CPU alarms on the local CloudWatch go to ALARM, the pipeline sets the count, and a rollout in
 * progress keeps working with it.
 */
import { describe, expect, it } from 'vitest';
import { type PipelineWorld, usePipelineWorld } from '../helpers/pipeline-world.ts';

const MIN = 60_000;
const pipeline = usePipelineWorld();

const cpuAlarm = (name: string, comparison: string, threshold: number, periods: number) => ({
  AlarmName: name,
  Namespace: 'AWS/ECS',
  MetricName: 'CPUUtilization',
  Dimensions: [
    { Name: 'ClusterName', Value: 'prod' },
    { Name: 'ServiceName', Value: 'web' },
  ],
  Statistic: 'Average',
  Period: 60,
  EvaluationPeriods: periods,
  Threshold: threshold,
  ComparisonOperator: comparison,
  TreatMissingData: 'missing',
});

const scaling = {
  min: 2,
  max: 8,
  cooldown: { out: '2m', in: '3m' },
  rules: [
    { alarm: 'web-cpu-high', adjust: '+2' },
    { alarm: 'web-cpu-low', adjust: '-1' },
  ],
};

async function world(options: {
  load: number;
  images?: Record<string, unknown>;
  target?: Record<string, unknown>;
  sweep?: string;
}) {
  return pipeline({
    load: options.load,
    images: options.images,
    ...(options.sweep && { sweep: options.sweep }),
    target: { scaling, ...options.target },
    alarms: () => [
      cpuAlarm('web-cpu-high', 'GreaterThanThreshold', 60, 1),
      cpuAlarm('web-cpu-low', 'LessThanThreshold', 20, 5), // five periods: not tripped while the new service warms up
    ],
  });
}

async function desired(w: PipelineWorld, name = 'web'): Promise<number> {
  const out = (await w.world.ecs.operations.DescribeServices!({ cluster: 'prod', services: [name] })) as any;
  return out.services?.[0]?.desiredCount ?? 0;
}

const scaled = (w: PipelineWorld) =>
  w.notices
    .filter((n) => n.notice.kind === 'scaled')
    .map((n) => n.notice as { from: number; to: number; alarm: { name: string } });

describe('alarm-driven scaling', () => {
  // CPU per task is 2% idle plus 0.5% per request/second it serves (local/images.ts): 200 rps over
  // 4 tasks is 27%, between the two alarms; 1200 rps saturates even 8 tasks' 77% (over the high alarm).
  it('rising traffic trips the CPU alarm and the service scales out in steps to max and no further', async () => {
    const t = await world({ load: 200 });
    expect(await desired(t)).toBe(4);
    t.world.ecs.setLoad(t.targetGroupArn, 1200);
    await t.world.runFor(20 * MIN);
    expect(scaled(t).map((s) => [s.from, s.to])).toEqual([
      [4, 6],
      [6, 8],
    ]);
    expect(await desired(t)).toBe(8);
    const record = (await t.records())[0]!;
    expect(record.scaling?.total).toBe(8);
    expect(Object.keys(record.scaling?.firing ?? {})).toEqual(['web-cpu-high']);
  });

  it('falling traffic scales it in to min, one cooldown apart', async () => {
    const t = await world({ load: 200 });
    t.world.ecs.setLoad(t.targetGroupArn, 1200);
    await t.world.runFor(8 * MIN);
    expect(await desired(t)).toBe(8);
    const outs = scaled(t).length;
    t.world.ecs.setLoad(t.targetGroupArn, 10);
    const inAt: number[] = [];
    for (let i = 0; i < 40; i++) {
      const before = scaled(t).length;
      await t.world.runFor(MIN);
      if (scaled(t).length > before) inAt.push(t.world.now());
    }
    const ins = scaled(t).slice(outs);
    expect(ins.map((s) => s.to)).toEqual([7, 6, 5, 4, 3, 2]);
    expect(await desired(t)).toBe(2);
    for (let i = 1; i < inAt.length; i++) expect(inAt[i]! - inAt[i - 1]!).toBeGreaterThanOrEqual(3 * MIN);
  });

  it('a scaling alarm already in ALARM when the pipeline starts scales out at the first sweep', async () => {
    // 1200 rps from the start: the new service's tasks take traffic at their first ALB check, and
    // web-cpu-high goes to ALARM (2m05s) before the pipeline is attached. No state change comes
    // after that while the load holds; the first sweep's look at the service reads the alarm.
    const t = await world({ load: 1200 });
    const fired = t.world.eventLog.filter(
      (e) =>
        e.event['detail-type'] === 'CloudWatch Alarm State Change' &&
        e.event.detail.alarmName === 'web-cpu-high',
    );
    expect(fired.at(-1)?.event.detail.state.value).toBe('ALARM');
    await t.world.runFor(2 * MIN);
    const first = scaled(t);
    expect(first.map((s) => [s.from, s.to, s.alarm.name])).toEqual([[4, 6, 'web-cpu-high']]);
    // Then as any alarm that stays in ALARM: again after each cooldown, up to max.
    await t.world.runFor(6 * MIN);
    expect(await desired(t)).toBe(8);
  });

  it('a scaling ALARM whose event was lost is found by the next sweep', async () => {
    const t = await world({ load: 200 });
    // Every alarm event lost from here on: the rule that delivers them is disabled.
    await t.world.events.operations.DisableRule!({ Name: 'ecs-autopilot-gate-alarm' });
    t.world.ecs.setLoad(t.targetGroupArn, 1200);
    await t.world.runFor(6 * MIN);
    const alarmed = t.world.eventLog.find(
      (e) =>
        e.event['detail-type'] === 'CloudWatch Alarm State Change' &&
        e.event.detail.alarmName === 'web-cpu-high' &&
        e.event.detail.state.value === 'ALARM',
    );
    expect(alarmed).toBeDefined();
    const first = t.notices.find((n) => n.notice.kind === 'scaled');
    expect(first).toBeDefined();
    // Within a sweep (1m) of the ALARM it was never told of, then again after each cooldown (2m).
    expect(first!.at - alarmed!.at).toBeLessThanOrEqual(MIN);
    expect(await desired(t)).toBe(8);
  });

  it('at rest, a count set from outside is put back within a minute: into [min, max], then to the total', async () => {
    // ECS sends no event for a count a person sets: the scale-in stops and the new tasks' RUNNING
    // are its first word (lib/event-facts.ts countWord). stranger17 02: 0 tasks for 30 minutes.
    const t = await world({ load: 200 });
    await t.world.runFor(2 * MIN);
    expect(await desired(t)).toBe(4);
    expect((await t.records())[0]!.rollout).toBeUndefined();
    const setBy = (n: number) =>
      t.world.ecs.operations.UpdateService!({ cluster: 'prod', service: 'web', desiredCount: n });
    // No total known yet (no alarm has moved the count): the count seen, kept within max 8.
    await setBy(20);
    await t.world.runFor(MIN);
    expect(await desired(t)).toBe(8);
    expect((await t.records())[0]!.scaling?.total).toBe(8);
    // From then on the total stands: 0 and 5 go back to 8.
    await setBy(0);
    await t.world.runFor(MIN);
    expect(await desired(t)).toBe(8);
    await setBy(5);
    await t.world.runFor(MIN);
    expect(await desired(t)).toBe(8);
    const putBack = t.actions.filter((a) => a.action.type === 'setCount');
    expect(putBack.map((a) => (a.action as { desiredCount: number }).desiredCount)).toEqual([8, 8, 8]);
  });

  it('repeated alarm events inside a cooldown change nothing', async () => {
    const t = await world({ load: 200 });
    t.world.ecs.setLoad(t.targetGroupArn, 1200);
    await t.world.runFor(6 * MIN);
    const first = scaled(t);
    expect(first.length).toBeGreaterThanOrEqual(1);
    const count = await desired(t);
    // The same ALARM event, delivered again and again as EventBridge may.
    const fired = t.world.eventLog.filter(
      (e) =>
        e.event['detail-type'] === 'CloudWatch Alarm State Change' &&
        e.event.detail.alarmName === 'web-cpu-high',
    );
    const last = fired.at(-1)!.event;
    const before = scaled(t).length;
    for (let i = 0; i < 5; i++) t.world.events.put(last);
    await t.world.runFor(10_000);
    expect(scaled(t).length).toBe(before);
    expect(await desired(t)).toBe(count);
  });

  it('a scale-out during a canary step grows primary and canary in proportion, and the rollout completes', async () => {
    const t = await world({
      load: 40,
      target: {
        steps: [
          { percent: 50, bake: '6m' },
          { percent: 100, bake: '1m' },
        ],
        stepDeadline: '10m',
      },
    });
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(2 * MIN);
    expect(await desired(t)).toBe(4);
    expect(await desired(t, 'web-canary')).toBe(4);
    t.world.ecs.setLoad(t.targetGroupArn, 1500);
    await t.world.runFor(4 * MIN);
    const primary = await desired(t);
    expect(primary).toBeGreaterThan(4);
    // 50% of traffic: the canary matches the primary as it grows.
    expect(await desired(t, 'web-canary')).toBe(primary);
    await t.world.runFor(20 * MIN);
    const record = (await t.records())[0]!;
    expect(record.history.at(-1)).toMatchObject({ outcome: 'succeeded', image: { tag: 'v2' } });
    expect(await desired(t)).toBe(record.scaling?.total);
    expect(await desired(t, 'web-canary')).toBe(0);
  });

  it("a person's scale-in during a rolling rollout's watch is put back within a minute, not at the sweep", async () => {
    // stranger18 04: its scale-in stops were taken for ECS's own rolling update and dropped; the
    // count stayed at 3 of 8 until the sweep's look (4 minutes).
    const t = await world({
      load: 200,
      target: { strategy: 'rolling', steps: undefined, rolling: { bake: '8m' } },
      sweep: '30m',
    });
    await t.world.runFor(MIN);
    await t.world.ecs.operations.UpdateService!({ cluster: 'prod', service: 'web', desiredCount: 6 });
    await t.world.runFor(MIN);
    expect(await desired(t)).toBe(6);
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(3 * MIN);
    const rolling = (await t.records())[0]!.rollout;
    expect(rolling?.steps[0]?.healthyAt).toBeDefined();
    await t.world.ecs.operations.UpdateService!({ cluster: 'prod', service: 'web', desiredCount: 3 });
    await t.world.runFor(MIN);
    expect(await desired(t)).toBe(6);
    await t.world.runFor(15 * MIN);
    expect((await t.records())[0]!.history.at(-1)).toMatchObject({
      outcome: 'succeeded',
      image: { tag: 'v2' },
    });
  });

  it('a rollback during a scale-out ends at the scaled total, not the count from before the rollout', async () => {
    const t = await world({
      load: 40,
      images: { 'web:v2': { crash: { after: '4m', exitCode: 2 } } },
      target: { steps: [{ percent: 10, bake: '8m' }, { percent: 100 }], stepDeadline: '10m' },
    });
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(MIN);
    t.world.ecs.setLoad(t.targetGroupArn, 1500);
    await t.world.runFor(12 * MIN);
    const record = (await t.records())[0]!;
    expect(record.history.at(-1)).toMatchObject({ outcome: 'rolled_back' });
    expect(record.scaling?.total).toBeGreaterThan(4);
    expect(await desired(t)).toBe(record.scaling?.total);
    expect(await desired(t, 'web-canary')).toBe(0);
  });

  it('stands aside when Application Auto Scaling already owns the count, and says so once', async () => {
    const t = await world({ load: 40 });
    await t.world.applicationAutoScaling.operations.RegisterScalableTarget({
      ServiceNamespace: 'ecs',
      ResourceId: 'service/prod/web',
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: 1,
      MaxCapacity: 3,
    });
    t.world.ecs.setLoad(t.targetGroupArn, 1200);
    await t.world.runFor(10 * MIN);
    expect(scaled(t)).toEqual([]);
    expect(await desired(t)).toBe(4);
    const blocked = t.notices.filter((n) => n.notice.kind === 'blocked');
    expect(blocked).toHaveLength(1);
    expect((blocked[0]!.notice as { reason: string }).reason).toMatch(
      /Application Auto Scaling has a scalable target on service\/prod\/web/,
    );
  });
});
