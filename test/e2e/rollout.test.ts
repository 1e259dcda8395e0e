/**
 * The product, end to end: a push to the local ECR, the real handlers woken by the real rules,
 * the real SDK clients against the local ECS and CloudWatch, records in dynalite.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceRecord } from '../../lib/record.ts';
import {
  describeService,
  fiveXxAlarm,
  type PipelineWorld,
  recordOf,
  usePipelineWorld,
} from '../helpers/pipeline-world.ts';

const MIN = 60_000;
const world = usePipelineWorld();

async function record(w: PipelineWorld): Promise<ServiceRecord> {
  return (await recordOf(w))!;
}

/** Advances a second at a time, checking that the primary never runs fewer tasks than it wants. */
async function runWatchingPrimary(w: PipelineWorld, ms: number): Promise<number> {
  let lowest = Number.POSITIVE_INFINITY;
  for (let elapsed = 0; elapsed < ms; elapsed += 1000) {
    await w.world.runFor(1000);
    const primary = await describeService(w, 'web');
    lowest = Math.min(lowest, primary.runningCount - primary.desiredCount);
  }
  return lowest;
}

async function taskDefinitionOf(w: PipelineWorld, arn: string) {
  return (await w.world.ecs.operations.DescribeTaskDefinition!({
    taskDefinition: arn,
    include: ['TAGS'],
  })) as any;
}

describe('push to ECR, stepwise rollout', () => {
  it('a healthy push goes through every step to succeeded, primary on the new revision, canary at 0, sidecar unchanged', async () => {
    const t = await world({
      sidecars: [{ name: 'envoy', image: 'public.ecr.aws/envoy/envoy:v1.29' }],
      load: 50,
    });
    const pushed = t.world.ecr.push('web', 'v2');
    await t.world.runFor(20 * MIN);

    const r = await record(t);
    const last = r.history.at(-1)!;
    expect(last).toMatchObject({ outcome: 'succeeded', image: { tag: 'v2', digest: pushed.digest } });
    expect(last.steps.map((s) => s.percent)).toEqual([10, 50, 100]);
    expect(last.steps.every((s) => s.reachedAt !== undefined)).toBe(true);
    expect(r.rollout).toBeUndefined();
    expect(r.lastGood?.taskDefinition).toBe(last.taskDefinition);

    const primary = await describeService(t, 'web');
    expect(primary.taskDefinition).toBe(last.taskDefinition);
    expect(primary.runningCount).toBe(4);
    const canary = await describeService(t, 'web-canary');
    expect(canary.desiredCount).toBe(0);
    expect(canary.runningCount).toBe(0);

    const td = await taskDefinitionOf(t, last.taskDefinition!);
    const containers = td.taskDefinition.containerDefinitions;
    expect(containers.find((c: any) => c.name === 'web').image).toBe(
      `${t.world.ecr.registryHost}/web@${pushed.digest}`,
    );
    expect(containers.find((c: any) => c.name === 'envoy').image).toBe('public.ecr.aws/envoy/envoy:v1.29');
    expect(td.tags).toEqual(
      expect.arrayContaining([
        { key: 'team', value: 'web' },
        { key: 'ecs-autopilot:image-digest', value: pushed.digest },
      ]),
    );
    const started = t.notices.map((n) => n.notice.kind);
    expect(started).toEqual(['started', 'step', 'step', 'step', 'succeeded']);
  });
});

describe('rollback', () => {
  it.each([
    [
      'a crashing image',
      { crash: { after: '20s', exitCode: 1 } },
      {},
      /new task failed: Essential container in task exited \(web exit code 1\)/,
    ],
    [
      'an image that fails its health checks',
      'unhealthy',
      { healthCheck: true },
      /new task failed: Task failed container health checks/,
    ],
    ['an image that cannot be pulled', 'pull-error', {}, /new task failed: CannotPullContainerError/],
  ])(
    '%s is rolled back with the reason in the record, the primary never below its desired count',
    async (_name, behaviour, extra, reason) => {
      const t = await world({ images: { 'web:v2': behaviour }, ...extra });
      const before = (await describeService(t, 'web')).taskDefinition;
      t.world.ecr.push('web', 'v2');
      const lowest = await runWatchingPrimary(t, 8 * MIN);
      expect(lowest).toBeGreaterThanOrEqual(0);

      const r = await record(t);
      const last = r.history.at(-1)!;
      expect(last.outcome).toBe('rolled_back');
      expect(last.reason).toMatch(reason);
      expect(last.failures.length).toBeGreaterThanOrEqual(1);
      expect(r.rollout).toBeUndefined();
      expect(r.badDigests[last.image.digest]).toBeDefined();
      expect((await describeService(t, 'web')).taskDefinition).toBe(before);
      expect((await describeService(t, 'web-canary')).runningCount).toBe(0);
    },
  );

  it('an image whose 5xx rate trips a gate alarm is rolled back naming the alarm', async () => {
    const t = await world({
      images: { 'web:v2': { errors: 0.5 } },
      load: 100,
      target: { gateAlarms: ['web-5xx'] },
      alarms: (dimensions) => [fiveXxAlarm(dimensions)],
    });
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(10 * MIN);
    const last = (await record(t)).history.at(-1)!;
    expect(last.outcome).toBe('rolled_back');
    expect(last.reason).toMatch(/^gate alarm web-5xx is in ALARM: Threshold Crossed/);
  });
});

describe('pushes the policy or the history rules out', () => {
  it('a tag outside the policy is ignored and costs no ECS write', async () => {
    const t = await world();
    t.world.ecr.push('web', 'latest');
    t.world.ecr.push('web', 'feature-x');
    await t.world.runFor(2 * MIN);
    const r = await record(t);
    expect(r.history.map((h) => h.outcome)).toEqual(['ignored', 'ignored']);
    expect(r.history[0]?.reason).toMatch(/latest/);
    expect(t.world.apiCalls['ecs:RegisterTaskDefinition'] ?? 0).toBe(0);
    expect(t.world.apiCalls['ecs:UpdateService'] ?? 0).toBe(0);
  });

  it('a duplicated push event registers one revision and starts one rollout', async () => {
    const t = await world();
    t.world.ecr.push('web', 'v2');
    const pushEvent = t.world.eventLog.at(-1)!.event;
    t.world.events.put(pushEvent);
    t.world.events.put(pushEvent);
    await t.world.runFor(20 * MIN);
    expect(t.world.apiCalls['ecs:RegisterTaskDefinition']).toBe(1);
    const r = await record(t);
    expect(r.history.map((h) => h.outcome)).toEqual(['succeeded']);
    expect(t.notices.filter((n) => n.notice.kind === 'started')).toHaveLength(1);
  });

  it('two pushes a minute apart end with the newer image deployed', async () => {
    const t = await world();
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(MIN);
    const v3 = t.world.ecr.push('web', 'v3');
    await t.world.runFor(20 * MIN);
    const r = await record(t);
    expect(r.history.map((h) => [h.image.tag, h.outcome])).toEqual([
      ['v2', 'superseded'],
      ['v3', 'succeeded'],
    ]);
    const primary = await describeService(t, 'web');
    const td = await taskDefinitionOf(t, primary.taskDefinition);
    expect(td.taskDefinition.containerDefinitions[0].image).toContain(v3.digest);
  });
});
