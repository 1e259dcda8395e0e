/**
 * Rolling deployments, the deployment circuit breaker and the service throttle logic of the local
 * ECS, driven through the real SDK and checked against the documented arithmetic at every virtual second.
 */
import {
  DescribeServiceDeploymentsCommand,
  DescribeTasksCommand,
  ListServiceDeploymentsCommand,
  ListTasksCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { expect, describe as group, it } from 'vitest';
import {
  circuitBreakerThreshold,
  launchBackoffMs,
  maximumTasks,
  minimumHealthyTasks,
} from '../../local/services/ecs/constants.ts';
import { busEvents, runUntil, runUntilEvent, type TestWorld } from '../helpers/world.ts';
import { createService, describe, pushImage, registerFargate, useWorld } from './ecs-fixtures.ts';

const world = useWorld();

const completed =
  (tw: TestWorld, name = 'web') =>
  async () => {
    const s = await describe(tw.ecs, name);
    return s.deployments!.length === 1 && s.deployments![0]!.rolloutState === 'COMPLETED';
  };

const update = (tw: TestWorld, input: Record<string, unknown>) =>
  tw.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', ...input }));

/**
 * Registers `from` and `to` as two revisions of `web` (with the same task definition extras), creates
 * the service on the first, waits for its deployment to complete, then updates it to the second.
 */
async function updateOnceSteady(
  tw: TestWorld,
  images: { from: string; to: string; extra?: Parameters<typeof registerFargate>[3] },
  service: Omit<Parameters<typeof createService>[1], 'serviceName' | 'taskDefinition'>,
): Promise<{ td1: string; td2: string }> {
  const td1 = await registerFargate(tw.ecs, 'web', images.from, images.extra);
  const td2 = await registerFargate(tw.ecs, 'web', images.to, images.extra);
  await createService(tw.ecs, { serviceName: 'web', taskDefinition: td1, ...service });
  await runUntil(tw.world, completed(tw), 300_000);
  await update(tw, { taskDefinition: td2 });
  return { td1, td2 };
}

/** The deployment circuit breaker, on, rolling back or not. */
const breaker = (rollback: boolean, more: { resetOnHealthyTask?: boolean } = {}) => ({
  deploymentCircuitBreaker: { enable: true, rollback, ...more },
});

/** Whether the primary deployment of `web` has reached `state`. */
const primaryIs = (tw: TestWorld, state: string) => async () =>
  (await describe(tw.ecs, 'web')).deployments![0]!.rolloutState === state;

group('deployment arithmetic', () => {
  it.each([
    { desired: 4, pct: 50, want: 2 },
    { desired: 2, pct: 75, want: 2 },
    { desired: 3, pct: 100, want: 3 },
    { desired: 5, pct: 50, want: 3 },
    { desired: 0, pct: 100, want: 0 },
  ])(
    'minimumHealthyPercent rounds up: $pct percent of $desired tasks keeps $want healthy',
    ({ desired, pct, want }) => {
      expect(minimumHealthyTasks(desired, pct)).toBe(want);
    },
  );

  it.each([
    { desired: 4, pct: 200, want: 8 },
    { desired: 3, pct: 125, want: 3 },
    { desired: 4, pct: 100, want: 4 },
    { desired: 5, pct: 150, want: 7 },
  ])('maximumPercent rounds down: $pct percent of $desired tasks allows $want', ({ desired, pct, want }) => {
    expect(maximumTasks(desired, pct)).toBe(want);
  });

  it.each([
    { desired: 1, want: 3 },
    { desired: 6, want: 3 },
    { desired: 25, want: 13 },
    { desired: 400, want: 200 },
    { desired: 800, want: 200 },
  ])('circuit breaker threshold for desired $desired is $want', ({ desired, want }) => {
    expect(circuitBreakerThreshold(desired)).toBe(want);
  });

  it('honours thresholdConfiguration', () => {
    expect(circuitBreakerThreshold(10, { type: 'COUNT', value: 7 })).toBe(7);
    expect(circuitBreakerThreshold(800, { type: 'UNBOUNDED_PERCENT', value: 50 })).toBe(400);
    expect(circuitBreakerThreshold(10, { type: 'BOUNDED_PERCENT', value: 100 })).toBe(10);
  });

  it('backs launches off up to 15 minutes', () => {
    expect([1, 2, 3, 4, 7, 20].map(launchBackoffMs)).toEqual([0, 30_000, 60_000, 120_000, 900_000, 900_000]);
  });
});

/** Old and new tasks running, and how many were healthy, at each virtual second of a rollout. */
type History = { old: number; fresh: number; healthy: number }[];

interface RollCase {
  name: string;
  desired: number;
  min: number;
  max: number;
  check(h: History): void;
}

/** The deployment never ran more than `mostTasks` tasks, nor served with fewer than `fewestHealthy`. */
const bounds =
  ({ mostTasks, fewestHealthy }: { mostTasks: number; fewestHealthy: number }) =>
  (h: History) => {
    expect(Math.max(...h.map((x) => x.old + x.fresh))).toBe(mostTasks);
    expect(Math.min(...h.map((x) => x.healthy))).toBe(fewestHealthy);
  };

const rollCases: RollCase[] = [
  {
    name: 'the worked example: 4 tasks at 50%/100% stop 2 old, start 2 new, then the other 2',
    desired: 4,
    min: 50,
    max: 100,
    check(h) {
      const olds = h.map((x) => x.old).filter((v, i, a) => i === 0 || a[i - 1] !== v);
      expect(olds).toEqual([4, 2, 0]);
      expect(h.some((x) => x.old === 2 && x.fresh === 2)).toBe(true);
      expect(h.every((x) => x.old + x.fresh <= 4)).toBe(true);
      expect(Math.min(...h.map((x) => x.healthy))).toBe(2);
    },
  },
  {
    name: '75% of 2 rounds up to 2: no old task stops before two new ones are healthy',
    desired: 2,
    min: 75,
    max: 200,
    check(h) {
      const firstDrop = h.findIndex((x) => x.old < 2);
      expect(firstDrop).toBeGreaterThan(0);
      expect(h[firstDrop - 1]!.healthy).toBe(4);
      expect(Math.max(...h.map((x) => x.old + x.fresh))).toBe(4);
    },
  },
  {
    name: '125% of 3 rounds down to 3: no extra task starts, one task is replaced at a time',
    desired: 3,
    min: 50,
    max: 125,
    check: bounds({ mostTasks: 3, fewestHealthy: 2 }),
  },
  {
    name: 'the defaults 100%/200% start all new tasks first',
    desired: 4,
    min: 100,
    max: 200,
    check: bounds({ mostTasks: 8, fewestHealthy: 4 }),
  },
];

group('rolling updates', () => {
  it.each(rollCases)('$name', async (c) => {
    const tw = await world();
    const { td1, td2 } = await updateOnceSteady(
      tw,
      { from: 'nginx:1', to: 'nginx:2' },
      {
        desiredCount: c.desired,
        deploymentConfiguration: { minimumHealthyPercent: c.min, maximumPercent: c.max },
      },
    );
    const minHealthy = minimumHealthyTasks(c.desired, c.min);
    const maxTasks = maximumTasks(c.desired, c.max);
    // The state when UpdateService returns: the scheduler has not acted yet.
    const history: History = [{ old: c.desired, fresh: 0, healthy: c.desired }];
    const svc = tw.world.ecs.service('prod', 'web')!;
    await runUntil(tw.world, completed(tw), 900_000, async () => {
      const live = [...svc.tasks].filter((x) => x.desiredStatus === 'RUNNING');
      const healthy = live.filter((x) => tw.world.ecs.scheduler.isHealthy(x)).length;
      const old = live.filter((x) => x.taskDefinition.arn === td1).length;
      history.push({ old, fresh: live.length - old, healthy });
      // The documented bounds, every virtual second.
      expect(healthy).toBeGreaterThanOrEqual(minHealthy);
      expect(live.length).toBeLessThanOrEqual(maxTasks);
      const s = await describe(tw.ecs, 'web');
      expect(s.runningCount! + s.pendingCount!).toBeLessThanOrEqual(maxTasks);
      expect(s.runningCount!).toBeGreaterThanOrEqual(minHealthy);
    });
    c.check(history);
    const s = await describe(tw.ecs, 'web');
    expect(s.runningCount).toBe(c.desired);
    expect(s.taskDefinition).toBe(td2);
    expect(s.events![1]!.message).toBe(
      `(service web) (deployment ${s.deployments![0]!.id}) deployment completed.`,
    );
    expect(s.events![0]!.message).toBe('(service web) has reached a steady state.');
  });

  it.each([
    { desired: 2, min: 75, max: 125 },
    { desired: 3, min: 100, max: 125 },
  ])(
    '$desired tasks at min $min / max $max percent can neither stop nor start: ECS says so and waits',
    async ({ desired, min, max }) => {
      const tw = await world();
      const td1 = await registerFargate(tw.ecs, 'web', 'nginx:1');
      const td2 = await registerFargate(tw.ecs, 'web', 'nginx:2');
      await createService(tw.ecs, { serviceName: 'web', taskDefinition: td1, desiredCount: desired });
      await runUntil(tw.world, completed(tw), 300_000);
      await update(tw, {
        taskDefinition: td2,
        deploymentConfiguration: { minimumHealthyPercent: min, maximumPercent: max },
      });
      await tw.world.runFor(300_000);
      const s = await describe(tw.ecs, 'web');
      const msg =
        '(service web) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.';
      expect(s.events!.filter((e) => e.message === msg)).toHaveLength(1);
      expect(s.deployments!.map((d) => [d.status, d.runningCount, d.pendingCount])).toEqual([
        ['PRIMARY', 0, 0],
        ['ACTIVE', desired, 0],
      ]);
      expect(s.deployments![0]!.rolloutState).toBe('IN_PROGRESS');
    },
  );

  it('scales in and out on desiredCount without a new deployment', async () => {
    const tw = await world();
    const td1 = await registerFargate(tw.ecs, 'web', 'nginx:1');
    await createService(tw.ecs, { serviceName: 'web', taskDefinition: td1, desiredCount: 3 });
    await runUntil(tw.world, completed(tw), 300_000);
    const dep = (await describe(tw.ecs, 'web')).deployments![0]!.id;
    await update(tw, { desiredCount: 1 });
    await runUntil(tw.world, async () => (await describe(tw.ecs, 'web')).runningCount === 1, 120_000);
    const stopped = await tw.ecs.send(
      new ListTasksCommand({ cluster: 'prod', serviceName: 'web', desiredStatus: 'STOPPED' }),
    );
    const tasks = await tw.ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: stopped.taskArns! }));
    expect(tasks.tasks!.map((x) => [x.stopCode, x.stoppedReason])).toEqual([
      ['ServiceSchedulerInitiated', `Scaling activity initiated by (deployment ${dep})`],
      ['ServiceSchedulerInitiated', `Scaling activity initiated by (deployment ${dep})`],
    ]);
    await update(tw, { desiredCount: 2 });
    await runUntil(tw.world, async () => (await describe(tw.ecs, 'web')).runningCount === 2, 120_000);
    expect((await describe(tw.ecs, 'web')).deployments!.map((d) => d.id)).toEqual([dep]);
  });
});

group('failing tasks', () => {
  it('a pull error never reaches RUNNING: TaskFailedToStart, CannotPullContainerError, throttled relaunches', async () => {
    const tw = await world();
    const missing = '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:nope';
    const td = await registerFargate(tw.ecs, 'web', missing);
    await createService(tw.ecs, { serviceName: 'web', taskDefinition: td, desiredCount: 1 });
    await tw.world.runFor(900_000);
    const events = busEvents(tw.world, 'ECS Task State Change');
    expect(events.length).toBeGreaterThan(0);
    expect(events.some((e) => e.detail.lastStatus === 'RUNNING')).toBe(false);
    const stopped = events.filter((e) => e.detail.lastStatus === 'STOPPED');
    expect(stopped.length).toBeGreaterThanOrEqual(4);
    for (const e of stopped) {
      expect(e.detail.stopCode).toBe('TaskFailedToStart');
      expect(e.detail.stoppedReason).toMatch(/^CannotPullContainerError: /);
      expect(e.detail.stoppedReason).toContain(missing);
      expect(e.detail.containers[0].reason).toBe(e.detail.stoppedReason);
      expect(e.detail.containers[0].exitCode).toBeUndefined();
    }
    // Service throttle logic: the waits between relaunches grow.
    const created = events
      .filter((e) => e.detail.lastStatus === 'PROVISIONING')
      .map((e) => Date.parse(e.detail.createdAt));
    const gaps = created.slice(1).map((c, i) => c - created[i]!);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]!);
    const s = await describe(tw.ecs, 'web');
    expect(s.events!.map((e) => e.message)).toContain(
      '(service web) is unable to consistently start tasks successfully.',
    );
    const impaired = busEvents(tw.world, 'ECS Service Action').filter(
      (e) => e.detail.eventName === 'SERVICE_TASK_START_IMPAIRED',
    );
    expect(impaired).toHaveLength(1);
    expect(impaired[0].detail).toMatchObject({ eventType: 'WARN', clusterArn: s.clusterArn });
    // Breaker off: the deployment stays IN_PROGRESS and keeps counting.
    expect(s.deployments![0]!.rolloutState).toBe('IN_PROGRESS');
    expect(s.deployments![0]!.failedTasks).toBe(stopped.length);
  });

  it('replaces a task whose container health check fails, after retries × interval past startPeriod', async () => {
    const tw = await world();
    const image = pushImage(tw.world, 'web', 'sick', 'unhealthy');
    const td = await registerFargate(tw.ecs, 'web', image, {
      healthCheck: {
        command: ['CMD-SHELL', 'curl -f localhost:8080/'],
        interval: 5,
        timeout: 2,
        retries: 2,
        startPeriod: 10,
      },
    });
    await createService(tw.ecs, { serviceName: 'web', taskDefinition: td, desiredCount: 1 });
    const stoppedEvent = await runUntilEvent(
      tw.world,
      'ECS Task State Change',
      (e) => e.detail.lastStatus === 'STOPPED',
      300_000,
    );
    const d = stoppedEvent.detail;
    expect(d.stopCode).toBe('ServiceSchedulerInitiated');
    expect(d.stoppedReason).toBe('Task failed container health checks');
    // First counted check at 10 s (startPeriod), UNHEALTHY after the 2nd failure: (2 + 2 - 1) × 5 s + 2 s timeout.
    expect(Date.parse(d.stoppingAt) - Date.parse(d.startedAt)).toBe(17_000);
    const id = d.taskArn.split('/').pop();
    const task = (await tw.ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: [id] }))).tasks![0]!;
    expect(task.healthStatus).toBe('UNHEALTHY');
    expect(task.containers![0]!.healthStatus).toBe('UNHEALTHY');
    const s = await describe(tw.ecs, 'web');
    const messages = s.events!.map((e) => e.message);
    expect(messages).toContain(`(service web) (task ${id}) failed container health checks.`);
    expect(messages).toContain(`(service web) has stopped 1 running tasks: (task ${id}).`);
    const replacements = busEvents(tw.world, 'ECS Task State Change').filter(
      (e) => e.detail.lastStatus === 'PROVISIONING' && e.detail.taskArn !== d.taskArn,
    );
    expect(replacements.length).toBeGreaterThan(0);
  });

  it('a healthy container health check makes the task HEALTHY after one interval', async () => {
    const tw = await world();
    const image = pushImage(tw.world, 'web', 'ok');
    const td = await registerFargate(tw.ecs, 'web', image, {
      healthCheck: { command: ['CMD', 'true'], interval: 10 },
    });
    await createService(tw.ecs, { serviceName: 'web', taskDefinition: td, desiredCount: 1 });
    await runUntil(tw.world, completed(tw), 300_000);
    const arns = (await tw.ecs.send(new ListTasksCommand({ cluster: 'prod', serviceName: 'web' }))).taskArns!;
    const task = (await tw.ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: arns }))).tasks![0]!;
    expect(task.healthStatus).toBe('HEALTHY');
    const completedAt = busEvents(tw.world, 'ECS Deployment State Change').find(
      (e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_COMPLETED',
    )!;
    // Healthy after the first check (10 s), not after the 40 s wait for tasks without checks.
    const afterStart = Date.parse(completedAt.detail.updatedAt) - task.startedAt!.getTime();
    expect(afterStart).toBeGreaterThanOrEqual(10_000);
    expect(afterStart).toBeLessThan(15_000);
  });
});

group('deployment circuit breaker', () => {
  it('rolls a crashing image back to the last COMPLETED deployment with the documented events', async () => {
    const tw = await world();
    const good = pushImage(tw.world, 'web', 'v1');
    const bad = pushImage(tw.world, 'web', 'v2', { crash: { after: '10s', exitCode: 3 } });
    const td1 = await registerFargate(tw.ecs, 'web', good);
    const td2 = await registerFargate(tw.ecs, 'web', bad);
    await createService(tw.ecs, {
      serviceName: 'web',
      taskDefinition: td1,
      desiredCount: 2,
      deploymentConfiguration: breaker(true),
    });
    await runUntil(tw.world, completed(tw), 300_000);
    const firstId = (await describe(tw.ecs, 'web')).deployments![0]!.id!;
    const since = tw.world.now();
    const upd = await update(tw, { taskDefinition: td2 });
    const badId = upd.service!.deployments![0]!.id!;
    await runUntil(
      tw.world,
      async () => (await completed(tw)()) && (await describe(tw.ecs, 'web')).taskDefinition === td1,
      1_800_000,
    );

    const deployments = busEvents(tw.world, 'ECS Deployment State Change', since).filter(
      (e) => e.detail.deploymentId !== firstId,
    );
    const rollbackId = deployments[2]?.detail.deploymentId;
    expect(
      deployments.map((e) => [
        e.detail.eventType,
        e.detail.eventName,
        e.detail.deploymentId,
        e.detail.reason,
      ]),
    ).toEqual([
      ['INFO', 'SERVICE_DEPLOYMENT_IN_PROGRESS', badId, `ECS deployment ${badId} in progress.`],
      ['ERROR', 'SERVICE_DEPLOYMENT_FAILED', badId, 'ECS deployment circuit breaker: task failed to start.'],
      [
        'INFO',
        'SERVICE_DEPLOYMENT_IN_PROGRESS',
        rollbackId,
        `ECS deployment circuit breaker: rolling back to deploymentId ${firstId}.`,
      ],
      ['INFO', 'SERVICE_DEPLOYMENT_COMPLETED', rollbackId, `ECS deployment ${rollbackId} completed.`],
    ]);
    for (const e of deployments) expect(e.resources).toEqual([upd.service!.serviceArn]);
    expect(rollbackId).not.toBe(firstId);

    const s = await describe(tw.ecs, 'web');
    expect(s.taskDefinition).toBe(td1);
    expect(s.deployments!.map((d) => [d.id, d.status, d.taskDefinition, d.rolloutState])).toEqual([
      [rollbackId, 'PRIMARY', td1, 'COMPLETED'],
    ]);
    expect(s.runningCount).toBe(2);
    const messages = s.events!.map((e) => e.message);
    const failedAt = messages.indexOf(
      `(service web) (deployment ${badId}) deployment failed: tasks failed to start.`,
    );
    const rollingAt = messages.indexOf(`(service web) rolling back to deployment ${firstId}.`);
    expect(failedAt).toBeGreaterThan(rollingAt);
    expect(rollingAt).toBeGreaterThan(
      messages.indexOf(`(service web) (deployment ${rollbackId}) deployment completed.`),
    );

    // The service-deployment view: the rollback belongs to the failed deployment, with the breaker's count.
    const listed = await tw.ecs.send(new ListServiceDeploymentsCommand({ cluster: 'prod', service: 'web' }));
    expect(listed.serviceDeployments!.map((d) => d.status)).toEqual(['ROLLBACK_SUCCESSFUL', 'SUCCESSFUL']);
    expect(s.currentServiceDeployment).toBe(listed.serviceDeployments![0]!.serviceDeploymentArn);
    const described = await tw.ecs.send(
      new DescribeServiceDeploymentsCommand({
        serviceDeploymentArns: [
          listed.serviceDeployments![0]!.serviceDeploymentArn!,
          'arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/x',
        ],
      }),
    );
    expect(described.failures).toHaveLength(1);
    const sd = described.serviceDeployments![0]!;
    expect(sd.deploymentCircuitBreaker).toEqual({ status: 'TRIGGERED', failureCount: 3, threshold: 3 });
    expect(sd.rollback?.reason).toBe(
      `ECS deployment circuit breaker: rolling back to deploymentId ${firstId}.`,
    );
    expect(sd.targetServiceRevision?.arn).toMatch(/:service-revision\/prod\/web\/\d{19}$/);
    expect(sd.sourceServiceRevisions).toHaveLength(1);

    // Three crashes (threshold for 2 tasks) before the breaker tripped; each one an essential container exit.
    const crashed = busEvents(tw.world, 'ECS Task State Change', since).filter(
      (e) => e.detail.lastStatus === 'STOPPED' && e.detail.taskDefinitionArn === td2,
    );
    expect(crashed.length).toBeGreaterThanOrEqual(3);
    for (const e of crashed.filter((x) => x.detail.stopCode === 'EssentialContainerExited')) {
      expect(e.detail.stoppedReason).toBe('Essential container in task exited');
      expect(e.detail.containers[0].exitCode).toBe(3);
    }
  });

  it('fails a deployment of tasks that fail their health checks and rolls back', async () => {
    const tw = await world();
    const good = pushImage(tw.world, 'web', 'v1');
    const sick = pushImage(tw.world, 'web', 'v2', 'unhealthy');
    const hc = { command: ['CMD', 'true'], interval: 5, retries: 2, timeout: 2 };
    const { td1, td2 } = await updateOnceSteady(
      tw,
      { from: good, to: sick, extra: { healthCheck: hc } },
      { desiredCount: 2, deploymentConfiguration: breaker(true) },
    );
    await runUntil(
      tw.world,
      async () => (await completed(tw)()) && (await describe(tw.ecs, 'web')).taskDefinition === td1,
      1_800_000,
    );
    const failed = busEvents(tw.world, 'ECS Deployment State Change').filter(
      (e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED',
    );
    expect(failed).toHaveLength(1);
    const stopped = busEvents(tw.world, 'ECS Task State Change').filter(
      (e) => e.detail.lastStatus === 'STOPPED' && e.detail.taskDefinitionArn === td2,
    );
    expect(stopped.map((e) => e.detail.stoppedReason)).toContain('Task failed container health checks');
  });

  it('without rollback the deployment is FAILED and launches no new tasks; the old ones keep serving', async () => {
    const tw = await world();
    const { td2 } = await updateOnceSteady(
      tw,
      {
        from: pushImage(tw.world, 'web', 'v1'),
        to: pushImage(tw.world, 'web', 'v2', { crash: { after: '5s' } }),
      },
      { desiredCount: 6, deploymentConfiguration: breaker(false) },
    );
    await runUntil(tw.world, primaryIs(tw, 'FAILED'), 900_000);
    const at = await describe(tw.ecs, 'web');
    const primary = at.deployments![0]!;
    expect(primary).toMatchObject({
      status: 'PRIMARY',
      taskDefinition: td2,
      failedTasks: circuitBreakerThreshold(6),
      rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
    });
    const launchedBefore = busEvents(tw.world, 'ECS Task State Change').filter(
      (e) => e.detail.lastStatus === 'PROVISIONING' && e.detail.startedBy === primary.id,
    ).length;
    await tw.world.runFor(600_000);
    const launchedAfter = busEvents(tw.world, 'ECS Task State Change').filter(
      (e) => e.detail.lastStatus === 'PROVISIONING' && e.detail.startedBy === primary.id,
    ).length;
    expect(launchedAfter).toBe(launchedBefore);
    const s = await describe(tw.ecs, 'web');
    expect(s.deployments!.map((d) => [d.status, d.rolloutState, d.runningCount])).toEqual([
      ['PRIMARY', 'FAILED', 0],
      ['ACTIVE', 'COMPLETED', 6],
    ]);
    expect(
      busEvents(tw.world, 'ECS Deployment State Change')
        .filter((e) => e.detail.deploymentId === primary.id)
        .map((e) => e.detail.eventName),
    ).toEqual(['SERVICE_DEPLOYMENT_IN_PROGRESS', 'SERVICE_DEPLOYMENT_FAILED']);
  });

  it.each([1, 6, 25])('trips after exactly the threshold of failed tasks for desired %i', async (desired) => {
    const tw = await world();
    await updateOnceSteady(
      tw,
      { from: 'nginx:1', to: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:missing' },
      { desiredCount: desired, deploymentConfiguration: breaker(false) },
    );
    const seen: number[] = [];
    await runUntil(tw.world, primaryIs(tw, 'FAILED'), 3_600_000, async () => {
      seen.push((await describe(tw.ecs, 'web')).deployments![0]!.failedTasks!);
    });
    const threshold = circuitBreakerThreshold(desired);
    expect((await describe(tw.ecs, 'web')).deployments![0]!.failedTasks).toBe(threshold);
    expect(Math.max(...seen.slice(0, -1))).toBeLessThan(threshold);
  });

  it('stops evaluating once a task of the deployment is healthy (resetOnHealthyTask), unless told not to', async () => {
    for (const resetOnHealthyTask of [true, false]) {
      const tw = await world();
      // Crashes 41 s after RUNNING: counted healthy at 40 s (no health check), then fails before the
      // scheduler can use it, so the deployment can never complete.
      const crashesLate = pushImage(tw.world, 'web', 'v2', { crash: { after: '41s' } });
      await updateOnceSteady(
        tw,
        { from: pushImage(tw.world, 'web', 'v1'), to: crashesLate },
        { desiredCount: 2, deploymentConfiguration: breaker(true, { resetOnHealthyTask }) },
      );
      await tw.world.runFor(1_200_000);
      const failed = busEvents(tw.world, 'ECS Deployment State Change').filter(
        (e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED',
      );
      expect(failed.length, `resetOnHealthyTask ${resetOnHealthyTask}`).toBe(resetOnHealthyTask ? 0 : 1);
    }
  });
});
