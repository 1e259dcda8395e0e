/**
 * ECS deployment alarms (deploymentConfiguration.alarms) and the two readings of the circuit
 * breaker's resetOnHealthyTask, driven through the real SDK against the local ECS and CloudWatch.
 */
import { PutMetricAlarmCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeServiceDeploymentsCommand,
  ListServiceDeploymentsCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { expect, describe as group, it } from 'vitest';
import {
  type BreakerReading,
  breakerAfterHealthyTask,
  deploymentBakeMs,
} from '../../local/services/ecs/constants.ts';
import { busEvents, runUntil, type TestWorld } from '../helpers/world.ts';
import { createService, describe, pushImage, registerFargate, useWorld } from './ecs-fixtures.ts';

const world = useWorld();

group('pure rules', () => {
  it.each([
    { reading: 'stops-evaluating', reset: undefined, failed: 2, want: { failedTasks: 0, counting: false } },
    { reading: 'resets-count', reset: true, failed: 2, want: { failedTasks: 0, counting: true } },
    { reading: 'stops-evaluating', reset: false, failed: 2, want: { failedTasks: 2, counting: true } },
    { reading: 'resets-count', reset: false, failed: 2, want: { failedTasks: 2, counting: true } },
  ] as { reading: BreakerReading; reset?: boolean; failed: number; want: unknown }[])(
    'a healthy task under $reading, resetOnHealthyTask $reset, $failed failures → $want',
    ({ reading, reset, failed, want }) => {
      expect(breakerAfterHealthyTask(reading, reset, failed)).toEqual(want);
    },
  );

  it.each([
    { windows: [], want: 10_000 },
    { windows: [60_000], want: 60_000 },
    { windows: [180_000, 600_000], want: 600_000 },
  ])('bake over alarm windows $windows is $want ms', ({ windows, want }) => {
    expect(deploymentBakeMs(windows)).toBe(want);
  });
});

const NS = 'Test/App';
const errors = (tw: TestWorld, Value: number) =>
  tw.cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: NS,
      MetricData: [{ MetricName: 'Errors', Value, Timestamp: new Date(tw.world.now()) }],
    }),
  );

async function alarmedService(tw: TestWorld, rollback = true): Promise<{ v1: string; v2: string }> {
  await tw.cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: 'web-errors',
      Namespace: NS,
      MetricName: 'Errors',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    }),
  );
  const v1 = await registerFargate(tw.ecs, 'web', pushImage(tw.world, 'web', 'v1'));
  const v2 = await registerFargate(tw.ecs, 'web', pushImage(tw.world, 'web', 'v2'));
  await createService(tw.ecs, {
    serviceName: 'web',
    taskDefinition: v1,
    deploymentConfiguration: { alarms: { alarmNames: ['web-errors'], enable: true, rollback } },
  });
  return { v1, v2 };
}

const primary = async (tw: TestWorld) => (await describe(tw.ecs, 'web')).deployments![0]!;

group('deployment alarms', () => {
  it('keeps a steady deployment IN_PROGRESS through its bake, then COMPLETED', async () => {
    const tw = await world();
    await alarmedService(tw);
    let steadyAt: number | undefined;
    await runUntil(
      tw.world,
      async () => (await primary(tw)).rolloutState === 'COMPLETED',
      10 * 60_000,
      async () => {
        const s = await describe(tw.ecs, 'web');
        if (steadyAt === undefined && s.runningCount === 2 && s.deployments!.length === 1)
          steadyAt = tw.world.now();
      },
    );
    expect(steadyAt).toBeDefined();
    // Healthy 40 s after RUNNING (no health check), then the bake: the alarm window (60 s × 1).
    expect(tw.world.now() - steadyAt!).toBeGreaterThanOrEqual(95_000);
    const arns = await tw.ecs.send(new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'web' }));
    const sd = await tw.ecs.send(
      new DescribeServiceDeploymentsCommand({
        serviceDeploymentArns: arns.serviceDeployments!.map((d) => d.serviceDeploymentArn!),
      }),
    );
    expect(sd.serviceDeployments![0]!.alarms).toEqual({
      status: 'MONITORING_COMPLETE',
      alarmNames: ['web-errors'],
      triggeredAlarmNames: [],
    });
  });

  it('fails the deployment and rolls back when a listed alarm goes to ALARM during it', async () => {
    const tw = await world();
    const { v1, v2 } = await alarmedService(tw);
    await runUntil(tw.world, async () => (await primary(tw)).rolloutState === 'COMPLETED', 10 * 60_000);
    const since = tw.world.now();
    await tw.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: v2 }));
    await runUntil(
      tw.world,
      async () =>
        busEvents(tw.world, 'ECS Deployment State Change', since).some(
          (e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED',
        ),
      10 * 60_000,
      () => errors(tw, 5).then(() => undefined),
    );
    const failed = busEvents(tw.world, 'ECS Deployment State Change', since).find(
      (e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED',
    );
    expect(failed.detail.reason).toContain('web-errors');
    const s = await describe(tw.ecs, 'web');
    // The rollback deployment runs v1 again.
    expect(s.taskDefinition).toBe(v1);
    expect(s.deployments![0]!.taskDefinition).toBe(v1);
    expect(s.deployments![0]!.rolloutStateReason).toContain('rolling back');
    const arns = await tw.ecs.send(new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'web' }));
    const sd = await tw.ecs.send(
      new DescribeServiceDeploymentsCommand({
        serviceDeploymentArns: arns.serviceDeployments!.map((d) => d.serviceDeploymentArn!),
      }),
    );
    const v2Deployment = sd.serviceDeployments!.find(
      (d) => d.targetServiceRevision?.arn && d.alarms?.status === 'TRIGGERED',
    );
    expect(v2Deployment?.alarms?.triggeredAlarmNames).toEqual(['web-errors']);
  });

  it('ignores an alarm already in ALARM when the deployment starts', async () => {
    const tw = await world();
    const { v2 } = await alarmedService(tw);
    await runUntil(tw.world, async () => (await primary(tw)).rolloutState === 'COMPLETED', 10 * 60_000);
    // Fire the alarm first, then deploy while it is still in ALARM.
    await runUntil(
      tw.world,
      () => tw.world.cloudwatch.alarmState('web-errors') === 'ALARM',
      5 * 60_000,
      () => errors(tw, 5).then(() => undefined),
    );
    const since = tw.world.now();
    await tw.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: v2 }));
    await runUntil(
      tw.world,
      async () => (await primary(tw)).rolloutState !== 'IN_PROGRESS',
      15 * 60_000,
      () => errors(tw, 5).then(() => undefined),
    );
    expect((await primary(tw)).rolloutState).toBe('COMPLETED');
    expect((await primary(tw)).taskDefinition).toBe(v2);
    expect(
      busEvents(tw.world, 'ECS Deployment State Change', since).some(
        (e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED',
      ),
    ).toBe(false);
  });
});

group('resetOnHealthyTask, both readings', () => {
  // One crash-looping task in three: under `stops-evaluating` the first healthy task ends counting and
  // the breaker never trips; under `resets-count` failures after the healthy ones count again.
  async function crashing(reading: BreakerReading): Promise<string | undefined> {
    const tw = await world({ resetOnHealthyTask: reading });
    const v1 = await registerFargate(tw.ecs, 'web', pushImage(tw.world, 'web', 'v1'));
    const v2 = await registerFargate(
      tw.ecs,
      'web',
      pushImage(tw.world, 'web', 'v2', { crash: { after: '60s' } }),
    );
    await createService(tw.ecs, {
      serviceName: 'web',
      taskDefinition: v1,
      desiredCount: 1,
      deploymentConfiguration: {
        deploymentCircuitBreaker: {
          enable: true,
          rollback: true,
          thresholdConfiguration: { type: 'COUNT', value: 1 },
        } as any,
      },
    });
    await runUntil(tw.world, async () => (await primary(tw)).rolloutState === 'COMPLETED', 10 * 60_000);
    await tw.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: v2 }));
    const since = tw.world.now();
    try {
      await runUntil(
        tw.world,
        () =>
          busEvents(tw.world, 'ECS Deployment State Change', since).some(
            (e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED',
          ),
        6 * 60_000,
      );
    } catch {
      return undefined;
    }
    return busEvents(tw.world, 'ECS Deployment State Change', since).find(
      (e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED',
    ).detail.reason;
  }

  it('stops-evaluating: a task that was healthy once ends counting, so a later crash never trips COUNT 1', async () => {
    expect(await crashing('stops-evaluating')).toBeUndefined();
  });

  it('resets-count: the crash after the healthy task counts, and COUNT 1 trips the breaker', async () => {
    expect(await crashing('resets-count')).toContain('circuit breaker');
  });
});
