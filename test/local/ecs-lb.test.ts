/** Target groups, traffic shared by every service behind a target group, draining, ELB health, metrics. */
import { GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeTasksCommand, ListTasksCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, expect, describe as group, it } from 'vitest';
import type { Datum } from '../../local/services/cloudwatch/index.ts';
import { busEvents, runUntil, runUntilEvent, type TestWorld } from '../helpers/world.ts';
import {
  behind,
  createService,
  describe,
  pushImage,
  registerFargate,
  startEcsWorld,
  useWorld,
} from './ecs-fixtures.ts';

/** Captures what the local ECS records in CloudWatch. */
function captureMetrics(tw: TestWorld): { namespace: string; datum: Datum }[] {
  const seen: { namespace: string; datum: Datum }[] = [];
  const cw = tw.world.cloudwatch;
  const record = cw.record.bind(cw);
  cw.record = (namespace, data) => {
    for (const datum of data) seen.push({ namespace, datum });
    record(namespace, data);
  };
  return seen;
}

group('a target group shared by a primary and a canary service', () => {
  let t: TestWorld;
  let tg: string;
  let metrics: { namespace: string; datum: Datum }[];
  let loadFrom = 0;
  beforeAll(async () => {
    t = await startEcsWorld();
    metrics = captureMetrics(t);
    tg = t.world.ecs.createTargetGroup({
      name: 'web-tg',
      healthCheck: { intervalSeconds: 10, healthyThreshold: 3, unhealthyThreshold: 2 },
      deregistrationDelaySeconds: 30,
    });
    const v1 = await registerFargate(t.ecs, 'web', pushImage(t.world, 'web', 'v1'));
    const v2 = await registerFargate(t.ecs, 'web', pushImage(t.world, 'web', 'v2', { errors: 0.5 }));
    await createService(t.ecs, {
      serviceName: 'web',
      taskDefinition: v1,
      desiredCount: 3,
      loadBalancers: behind(tg),
    });
    await createService(t.ecs, {
      serviceName: 'web-canary',
      taskDefinition: v2,
      desiredCount: 1,
      loadBalancers: behind(tg),
    });
    await runUntil(
      t.world,
      async () =>
        (await describe(t.ecs, 'web')).deployments![0]!.rolloutState === 'COMPLETED' &&
        (await describe(t.ecs, 'web-canary')).deployments![0]!.rolloutState === 'COMPLETED',
      300_000,
    );
  });
  afterAll(() => t.world.stop());

  it('registers tasks while ACTIVATING and counts them healthy only once the target group says so', async () => {
    const events = busEvents(t.world, 'ECS Task State Change');
    const arn = events[0]!.detail.taskArn;
    expect(events.filter((e) => e.detail.taskArn === arn).map((e) => e.detail.lastStatus)).toEqual([
      'PROVISIONING',
      'PENDING',
      'ACTIVATING',
      'RUNNING',
    ]);
    expect(t.world.ecs.targetHealth(tg).map((x) => x.state)).toEqual([
      'healthy',
      'healthy',
      'healthy',
      'healthy',
    ]);
    const s = await describe(t.ecs, 'web');
    expect(s.events!.map((e) => e.message)).toContain(
      `(service web) registered 1 targets in (target-group ${tg})`,
    );
    // Healthy at its first passing check, one 10 s interval after registration (ACTIVATING): a new
    // target needs one success, not healthyThreshold (3) of them (ELB User Guide, "Health checks
    // for Application Load Balancer target groups").
    const activating = events.find((e) => e.detail.taskArn === arn && e.detail.lastStatus === 'ACTIVATING')!;
    const done = busEvents(t.world, 'ECS Deployment State Change').find(
      (e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_COMPLETED',
    )!;
    const waited = Date.parse(done.detail.updatedAt) - Date.parse(activating.time);
    expect(waited).toBeGreaterThanOrEqual(10_000);
    expect(waited).toBeLessThan(20_000);
  });

  it('spreads requests evenly over the healthy targets, whichever service they belong to', async () => {
    const before = new Map(t.world.ecs.trafficByTask().map((x) => [x.taskArn, x.requests]));
    await t.world.runUntil(Math.ceil(t.world.now() / 60_000) * 60_000);
    loadFrom = t.world.now();
    t.world.ecs.setLoad(tg, 100);
    await t.world.runFor(180_000);
    const traffic = t.world.ecs.trafficByTask().filter((x) => x.lastStatus === 'RUNNING');
    const served = traffic.map((x) => ({ ...x, requests: x.requests - (before.get(x.taskArn) ?? 0) }));
    expect(served).toHaveLength(4);
    for (const x of served) expect(x.requests).toBeCloseTo(100 * 180 * 0.25, 6);
    const canary = served.filter((x) => x.serviceName === 'web-canary');
    expect(canary).toHaveLength(1);
    expect(canary[0]!.errors).toBeCloseTo(canary[0]!.requests * 0.5, 6);
    for (const x of served.filter((y) => y.serviceName === 'web')) expect(x.errors).toBe(0);
  });

  it('publishes ALB and ECS metrics every minute', async () => {
    const minute = (name: string, ns: string, svc?: string) =>
      metrics.filter(
        (m) =>
          m.namespace === ns &&
          m.datum.metricName === name &&
          m.datum.timestamp >= loadFrom &&
          (!svc || m.datum.dimensions.ServiceName === svc),
      );
    // Per load balancer and target group, and per load balancer alone (its one group here).
    const byGroup = (ms: typeof metrics) => ms.filter((m) => m.datum.dimensions.TargetGroup !== undefined);
    const byBalancer = (ms: typeof metrics) => ms.filter((m) => m.datum.dimensions.TargetGroup === undefined);
    const requests = byGroup(minute('RequestCount', 'AWS/ApplicationELB'));
    expect(requests.map((m) => m.datum.value)).toEqual([6000, 6000, 6000]);
    expect(byBalancer(minute('RequestCount', 'AWS/ApplicationELB')).map((m) => m.datum.value)).toEqual([
      6000, 6000, 6000,
    ]);
    const perTarget = minute('RequestCountPerTarget', 'AWS/ApplicationELB');
    expect(perTarget.map((m) => m.datum.value)).toEqual([1500, 1500, 1500]);
    expect(perTarget[0]!.datum.dimensions).toEqual({
      TargetGroup: expect.stringMatching(/^targetgroup\/web-tg\/[0-9a-f]{16}$/),
    });
    const errors = byGroup(minute('HTTPCode_Target_5XX_Count', 'AWS/ApplicationELB'));
    expect(errors.map((m) => m.datum.value)).toEqual([750, 750, 750]);
    const lbErrors = byBalancer(minute('HTTPCode_Target_5XX_Count', 'AWS/ApplicationELB'));
    expect(lbErrors.map((m) => m.datum.value)).toEqual([750, 750, 750]);
    expect(lbErrors[0]!.datum.dimensions).toEqual({ LoadBalancer: errors[0]!.datum.dimensions.LoadBalancer });
    expect(Object.keys(errors[0]!.datum.dimensions).sort()).toEqual(['LoadBalancer', 'TargetGroup']);
    expect(errors[0]!.datum.dimensions.LoadBalancer).toMatch(/^app\/web-tg-alb\/[0-9a-f]{16}$/);
    // Default image behaviour: cpu idle 2 % + 0.5 % per request/s; memory 20 % + 0.1 % per request/s; 25 rps per task.
    const cpu = minute('CPUUtilization', 'AWS/ECS', 'web');
    expect(cpu.map((m) => m.datum.value)).toEqual([14.5, 14.5, 14.5]);
    expect(cpu[0]!.datum.dimensions).toEqual({ ClusterName: 'prod', ServiceName: 'web' });
    expect(minute('MemoryUtilization', 'AWS/ECS', 'web-canary').map((m) => m.datum.value)).toEqual([
      22.5, 22.5, 22.5,
    ]);
    // And CloudWatch answers for them.
    const stats = await t.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'RequestCountPerTarget',
        Dimensions: [{ Name: 'TargetGroup', Value: perTarget[0]!.datum.dimensions.TargetGroup! }],
        StartTime: new Date(loadFrom),
        EndTime: new Date(loadFrom + 180_000),
        Period: 60,
        Statistics: ['Sum'],
      }),
    );
    expect(stats.Datapoints?.map((d) => d.Sum)).toEqual([1500, 1500, 1500]);
  });

  it('drains a stopping task for the deregistration delay and sends it no more requests', async () => {
    const arns = (await t.ecs.send(new ListTasksCommand({ cluster: 'prod', serviceName: 'web' }))).taskArns!;
    await t.ecs.send(new StopTaskCommand({ cluster: 'prod', task: arns[0] }));
    const at = (arn: string) => t.world.ecs.trafficByTask().find((x) => x.taskArn === arn)!;
    const served = at(arns[0]!).requests;
    await t.world.runFor(29_000);
    const draining = (await t.ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: [arns[0]!] })))
      .tasks![0]!;
    expect(draining.lastStatus).toBe('DEACTIVATING');
    expect(t.world.ecs.targetHealth(tg).find((x) => x.taskArn === arns[0])?.state).toBe('draining');
    expect(at(arns[0]!).requests).toBe(served);
    await t.world.runFor(2_000);
    const stopping = (await t.ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: [arns[0]!] })))
      .tasks![0]!;
    expect(['STOPPING', 'DEPROVISIONING']).toContain(stopping.lastStatus);
    const messages = (await describe(t.ecs, 'web')).events!.map((e) => e.message);
    expect(messages).toContain(`(service web) deregistered 1 targets in (target-group ${tg})`);
  });
});

group('ELB health checks', () => {
  const world = useWorld();

  it.each([
    { grace: undefined, stopAfterStart: 20_000 },
    { grace: 60, stopAfterStart: 60_000 },
  ])(
    'stops a task that fails them (health check grace period $grace s)',
    async ({ grace, stopAfterStart }) => {
      const tw = await world();
      const tg = tw.world.ecs.createTargetGroup({
        name: 'sick-tg',
        healthCheck: { intervalSeconds: 10, unhealthyThreshold: 2, healthyThreshold: 3 },
      });
      const td = await registerFargate(tw.ecs, 'web', pushImage(tw.world, 'web', 'sick', 'unhealthy'));
      await createService(tw.ecs, {
        serviceName: 'web',
        taskDefinition: td,
        desiredCount: 1,
        loadBalancers: behind(tg),
        healthCheckGracePeriodSeconds: grace,
      });
      tw.world.ecs.setLoad(tg, 10);
      const stop = await runUntilEvent(
        tw.world,
        'ECS Task State Change',
        (e) => e.detail.desiredStatus === 'STOPPED',
        300_000,
      );
      expect(stop.detail.stopCode).toBe('ServiceSchedulerInitiated');
      expect(stop.detail.stoppedReason).toBe(`Task failed ELB health checks in (target-group ${tg})`);
      // Registered 1 s before RUNNING (ACTIVATING); unhealthy after 2 failed checks 10 s apart.
      expect(Date.parse(stop.detail.stoppingAt) - Date.parse(stop.detail.startedAt)).toBe(
        stopAfterStart - (grace ? 0 : 1_000),
      );
      const id = stop.detail.taskArn.split('/').pop();
      const messages = (await describe(tw.ecs, 'web')).events!.map((e) => e.message);
      expect(messages).toContain(
        `(service web) (task ${id}) (port 8080) is unhealthy in (target-group ${tg}) due to (reason Health checks failed).`,
      );
      // While registering ('initial') a target gets no requests; with no healthy target the ALB fails open
      // to the unhealthy ones: during the grace period the unhealthy target got the requests, and failed them.
      const served = tw.world.ecs.trafficByTask().find((x) => x.taskArn === stop.detail.taskArn)!;
      if (grace) {
        expect(served.requests).toBeCloseTo(10 * (grace - 19), 6);
        expect(served.errors).toBeCloseTo(served.requests, 6);
      } else {
        expect(served.requests).toBe(0);
      }
    },
  );
});
