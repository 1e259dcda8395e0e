/** The local ECS API through the real @aws-sdk/client-ecs: shapes, defaults, limits and errors. */
import {
  ClientException,
  ClusterNotFoundException,
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  InvalidParameterException,
  ListClustersCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  ResourceNotFoundException,
  RunTaskCommand,
  ServiceNotActiveException,
  ServiceNotFoundException,
  StopTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { beforeAll, expect, describe as group, it } from 'vitest';
import { runUntil, sharedWorld, startWorld } from '../helpers/world.ts';
import { createService, describe, NETWORK, registerFargate, startEcsWorld } from './ecs-fixtures.ts';

const t = sharedWorld(startEcsWorld);

group('clusters', () => {
  it('creates, describes (MISSING for unknown) and lists clusters; CreateCluster is idempotent', async () => {
    const a = await t.ecs.send(
      new CreateClusterCommand({ clusterName: 'c1', tags: [{ key: 'team', value: 'x' }] }),
    );
    expect(a.cluster).toMatchObject({
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/c1',
      clusterName: 'c1',
      status: 'ACTIVE',
      activeServicesCount: 0,
      runningTasksCount: 0,
    });
    const again = await t.ecs.send(new CreateClusterCommand({ clusterName: 'c1' }));
    expect(again.cluster?.clusterArn).toBe(a.cluster?.clusterArn);
    const d = await t.ecs.send(new DescribeClustersCommand({ clusters: ['c1', 'nope'], include: ['TAGS'] }));
    expect(d.clusters?.map((c) => c.clusterName)).toEqual(['c1']);
    expect(d.clusters?.[0]?.tags).toEqual([{ key: 'team', value: 'x' }]);
    expect(d.failures).toEqual([
      { arn: 'arn:aws:ecs:us-east-1:123456789012:cluster/nope', reason: 'MISSING' },
    ]);
    const list = await t.ecs.send(new ListClustersCommand({}));
    expect(list.clusterArns).toContain(a.cluster?.clusterArn);
  });

  it('answers ClusterNotFoundException for an unknown cluster', async () => {
    const err = await t.ecs
      .send(new DescribeServicesCommand({ cluster: 'ghost', services: ['web'] }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(ClusterNotFoundException);
    expect(err.message).toBe('Cluster not found.');
    await expect(t.ecs.send(new ListTasksCommand({ cluster: 'ghost' }))).rejects.toBeInstanceOf(
      ClusterNotFoundException,
    );
  });
});

group('task definitions', () => {
  it('registers revisions per family and keeps every field, computing the read-only ones', async () => {
    const input = {
      family: 'api',
      taskRoleArn: 'arn:aws:iam::123456789012:role/api-task',
      executionRoleArn: 'arn:aws:iam::123456789012:role/api-exec',
      networkMode: 'awsvpc' as const,
      requiresCompatibilities: ['FARGATE' as const],
      cpu: '512',
      memory: '1024',
      containerDefinitions: [
        {
          name: 'app',
          image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v1',
          portMappings: [{ containerPort: 8080 }],
          environment: [{ name: 'MODE', value: 'prod' }],
          healthCheck: { command: ['CMD-SHELL', 'curl -f localhost:8080/health'], interval: 10, retries: 2 },
          logConfiguration: { logDriver: 'awslogs' as const, options: { 'awslogs-group': '/ecs/api' } },
        },
      ],
      tags: [{ key: 'owner', value: 'payments' }],
    };
    const r1 = await t.ecs.send(new RegisterTaskDefinitionCommand(input));
    const r2 = await t.ecs.send(new RegisterTaskDefinitionCommand(input));
    const td = r2.taskDefinition!;
    expect(r1.taskDefinition?.revision).toBe(1);
    expect(td.revision).toBe(2);
    expect(td.taskDefinitionArn).toBe('arn:aws:ecs:us-east-1:123456789012:task-definition/api:2');
    expect(td).toMatchObject({
      family: 'api',
      taskRoleArn: input.taskRoleArn,
      executionRoleArn: input.executionRoleArn,
      networkMode: 'awsvpc',
      cpu: '512',
      memory: '1024',
      status: 'ACTIVE',
      requiresCompatibilities: ['FARGATE'],
      compatibilities: ['EC2', 'FARGATE'],
      registeredBy: 'arn:aws:iam::123456789012:root',
    });
    expect(td.registeredAt).toBeInstanceOf(Date);
    const c = td.containerDefinitions![0]!;
    expect(c).toMatchObject({
      name: 'app',
      essential: true,
      cpu: 0,
      environment: [{ name: 'MODE', value: 'prod' }],
      portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
      healthCheck: input.containerDefinitions[0]!.healthCheck,
      logConfiguration: input.containerDefinitions[0]!.logConfiguration,
    });
    const attrs = td.requiresAttributes!.map((a) => a.name);
    expect(attrs).toEqual(
      expect.arrayContaining([
        'ecs.capability.task-eni',
        'com.amazonaws.ecs.capability.ecr-auth',
        'ecs.capability.execution-role-ecr-pull',
        'ecs.capability.container-health-check',
        'com.amazonaws.ecs.capability.logging-driver.awslogs',
        'ecs.capability.execution-role-awslogs',
        'com.amazonaws.ecs.capability.task-iam-role',
      ]),
    );
    expect(r2.tags).toEqual([{ key: 'owner', value: 'payments' }]);
    expect((td as any).tags).toBeUndefined();
  });

  it('describes by family, family:revision and ARN; returns tags only with include TAGS', async () => {
    const latest = await t.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'api' }));
    expect(latest.taskDefinition?.revision).toBe(2);
    expect(latest.tags).toBeUndefined();
    const first = await t.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: 'api:1', include: ['TAGS'] }),
    );
    expect(first.taskDefinition?.revision).toBe(1);
    expect(first.tags).toEqual([{ key: 'owner', value: 'payments' }]);
    const byArn = await t.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: latest.taskDefinition!.taskDefinitionArn! }),
    );
    expect(byArn.taskDefinition?.revision).toBe(2);
    const err = await t.ecs
      .send(new DescribeTaskDefinitionCommand({ taskDefinition: 'api:9' }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(ClientException);
    expect(err.message).toBe('Unable to describe task definition.');
  });

  it('rejects Fargate definitions ECS rejects', async () => {
    const base = {
      family: 'bad',
      requiresCompatibilities: ['FARGATE' as const],
      containerDefinitions: [{ name: 'a', image: 'x' }],
    };
    const noMode = await t.ecs
      .send(new RegisterTaskDefinitionCommand({ ...base, cpu: '256', memory: '512' }))
      .catch((e) => e);
    expect(noMode).toBeInstanceOf(ClientException);
    expect(noMode.message).toBe('Fargate only supports network mode ‘awsvpc’.');
    const noCpu = await t.ecs
      .send(new RegisterTaskDefinitionCommand({ ...base, networkMode: 'awsvpc', memory: '512' }))
      .catch((e) => e);
    expect(noCpu.message).toBe("Fargate requires that 'cpu' be defined at the task level.");
    const size = await t.ecs
      .send(new RegisterTaskDefinitionCommand({ ...base, networkMode: 'awsvpc', cpu: '256', memory: '8192' }))
      .catch((e) => e);
    expect(size.message).toBe('No Fargate configuration exists for given values: 256 CPU, 8192 memory.');
    const noImage = await t.ecs
      .send(
        new RegisterTaskDefinitionCommand({
          family: 'bad',
          containerDefinitions: [{ name: 'a', memory: 128 }],
        }),
      )
      .catch((e) => e);
    expect(noImage.message).toBe('Container.image should not be null or empty.');
  });

  it('lists by family, status and sort order with pagination, and deregisters to INACTIVE', async () => {
    for (let i = 0; i < 3; i++) await registerFargate(t.ecs, 'lister', 'nginx:1');
    const page1 = await t.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'lister', maxResults: 2 }));
    expect(page1.taskDefinitionArns?.map((a) => a.split(':').pop())).toEqual(['1', '2']);
    const page2 = await t.ecs.send(
      new ListTaskDefinitionsCommand({ familyPrefix: 'lister', maxResults: 2, nextToken: page1.nextToken }),
    );
    expect(page2.taskDefinitionArns?.map((a) => a.split(':').pop())).toEqual(['3']);
    expect(page2.nextToken).toBeUndefined();
    const desc = await t.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'lister', sort: 'DESC' }));
    expect(desc.taskDefinitionArns?.[0]).toMatch(/lister:3$/);

    const dereg = await t.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'lister:3' }));
    expect(dereg.taskDefinition?.status).toBe('INACTIVE');
    expect(dereg.taskDefinition?.deregisteredAt).toBeInstanceOf(Date);
    const latest = await t.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'lister' }));
    expect(latest.taskDefinition?.revision).toBe(2);
    const inactive = await t.ecs.send(
      new ListTaskDefinitionsCommand({ familyPrefix: 'lister', status: 'INACTIVE' }),
    );
    expect(inactive.taskDefinitionArns).toEqual([dereg.taskDefinition?.taskDefinitionArn]);
    const still = await t.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'lister:3' }));
    expect(still.taskDefinition?.status).toBe('INACTIVE');
    const err = await t.ecs
      .send(
        new CreateServiceCommand({
          cluster: 'prod',
          serviceName: 'x',
          taskDefinition: 'lister:3',
          networkConfiguration: NETWORK,
        }),
      )
      .catch((e) => e);
    expect(err).toBeInstanceOf(ClientException);
  });
});

group('services', () => {
  let td1: string;
  let td2: string;
  beforeAll(async () => {
    td1 = await registerFargate(t.ecs, 'web', 'nginx:1');
    td2 = await registerFargate(t.ecs, 'web', 'nginx:2');
  });

  it('creates a service with the documented defaults and one PRIMARY deployment', async () => {
    const s = await createService(t.ecs, {
      serviceName: 'web',
      taskDefinition: td1,
      clientToken: 'tok-1',
      tags: [{ key: 'a', value: 'b' }],
    });
    expect(s).toMatchObject({
      serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/web',
      serviceName: 'web',
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
      status: 'ACTIVE',
      desiredCount: 2,
      runningCount: 0,
      pendingCount: 0,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      taskDefinition: td1,
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'ECS' },
      propagateTags: 'NONE',
      enableECSManagedTags: false,
      createdBy: 'arn:aws:iam::123456789012:root',
      networkConfiguration: NETWORK,
      loadBalancers: [],
      placementConstraints: [],
      placementStrategy: [],
    });
    expect(s.deploymentConfiguration).toMatchObject({
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      deploymentCircuitBreaker: { enable: false, rollback: false },
    });
    expect(s.createdAt).toBeInstanceOf(Date);
    expect(s.deployments).toHaveLength(1);
    const d = s.deployments![0]!;
    expect(d.id).toMatch(/^ecs-svc\/\d{19}$/);
    expect(d).toMatchObject({
      status: 'PRIMARY',
      taskDefinition: td1,
      desiredCount: 2,
      runningCount: 0,
      failedTasks: 0,
      launchType: 'FARGATE',
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: `ECS deployment ${d.id} in progress.`,
    });
    expect(s.tags).toBeUndefined();
  });

  it('is idempotent with the same clientToken and parameters, and refuses a second creation otherwise', async () => {
    const first = await describe(t.ecs, 'web');
    const again = await createService(t.ecs, {
      serviceName: 'web',
      taskDefinition: td1,
      clientToken: 'tok-1',
      tags: [{ key: 'a', value: 'b' }],
    });
    expect(again.serviceArn).toBe(first.serviceArn);
    expect(again.deployments?.[0]?.id).toBe(first.deployments?.[0]?.id);
    for (const input of [
      { serviceName: 'web', taskDefinition: td1, tags: [{ key: 'a', value: 'b' }] },
      { serviceName: 'web', taskDefinition: td1, clientToken: 'tok-1', desiredCount: 3 },
      { serviceName: 'web', taskDefinition: td1, clientToken: 'tok-2', tags: [{ key: 'a', value: 'b' }] },
    ]) {
      const err = await createService(t.ecs, input).catch((e) => e);
      expect(err).toBeInstanceOf(InvalidParameterException);
      expect(err.message).toBe('Creation of service was not idempotent.');
    }
  });

  it('validates networking and load balancers as ECS does', async () => {
    const noNet = await t.ecs
      .send(
        new CreateServiceCommand({
          cluster: 'prod',
          serviceName: 'nonet',
          taskDefinition: td1,
          desiredCount: 1,
        }),
      )
      .catch((e) => e);
    expect(noNet).toBeInstanceOf(InvalidParameterException);
    expect(noNet.message).toBe(
      "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
    );
    const tg = t.world.ecs.createTargetGroup({ name: 'api-tg' });
    const badPort = await createService(t.ecs, {
      serviceName: 'lb',
      taskDefinition: td1,
      loadBalancers: [{ targetGroupArn: tg, containerName: 'app', containerPort: 80 }],
    }).catch((e) => e);
    expect(badPort).toBeInstanceOf(InvalidParameterException);
    expect(badPort.message).toBe('The container app did not have a container port 80 defined.');
    const cluster = await t.ecs
      .send(new CreateServiceCommand({ cluster: 'nowhere', serviceName: 'x', taskDefinition: td1 }))
      .catch((e) => e);
    expect(cluster).toBeInstanceOf(ClusterNotFoundException);
  });

  it('starts a new PRIMARY deployment for a new task definition or forceNewDeployment, not for desiredCount alone', async () => {
    await runUntil(
      t.world,
      async () => (await describe(t.ecs, 'web')).deployments?.[0]?.rolloutState === 'COMPLETED',
      300_000,
    );
    const before = await describe(t.ecs, 'web');
    const scaled = await t.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'web', desiredCount: 3 }),
    );
    expect(scaled.service?.deployments?.map((d) => d.id)).toEqual([before.deployments![0]!.id]);
    expect(scaled.service?.desiredCount).toBe(3);
    const updated = await t.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: td2, desiredCount: 2 }),
    );
    const deps = updated.service!.deployments!;
    expect(deps.map((d) => d.status)).toEqual(['PRIMARY', 'ACTIVE']);
    expect(deps[0]!.taskDefinition).toBe(td2);
    expect(deps[1]!.id).toBe(before.deployments![0]!.id);
    expect(deps[1]!.rolloutState).toBe('COMPLETED');
    expect(updated.service?.taskDefinition).toBe(td2);
    const forced = await t.ecs.send(
      new UpdateServiceCommand({ cluster: 'prod', service: 'web', forceNewDeployment: true }),
    );
    expect(forced.service?.deployments?.[0]?.id).not.toBe(deps[0]!.id);
    expect(forced.service?.deployments?.[0]?.taskDefinition).toBe(td2);
    const missing = await t.ecs
      .send(new UpdateServiceCommand({ cluster: 'prod', service: 'ghost', desiredCount: 1 }))
      .catch((e) => e);
    expect(missing).toBeInstanceOf(ServiceNotFoundException);
    expect(missing.message).toBe('Service not found.');
    await runUntil(t.world, async () => (await describe(t.ecs, 'web')).deployments?.length === 1, 600_000);
  });

  it('describes at most 10 services, reports unknown ones as MISSING and tags only with include TAGS', async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `s${i}`);
    const err = await t.ecs
      .send(new DescribeServicesCommand({ cluster: 'prod', services: eleven }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(InvalidParameterException);
    const out = await t.ecs.send(
      new DescribeServicesCommand({ cluster: 'prod', services: ['web', 'ghost'], include: ['TAGS'] }),
    );
    expect(out.services?.map((s) => s.serviceName)).toEqual(['web']);
    expect(out.services?.[0]?.tags).toEqual([{ key: 'a', value: 'b' }]);
    expect(out.failures).toEqual([
      { arn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/ghost', reason: 'MISSING' },
    ]);
    const byArn = await t.ecs.send(
      new DescribeServicesCommand({ cluster: 'prod', services: [out.services![0]!.serviceArn!] }),
    );
    expect(byArn.services?.[0]?.serviceName).toBe('web');
  });

  it('lists services 10 at a time by default', async () => {
    for (let i = 0; i < 11; i++)
      await createService(t.ecs, { serviceName: `many-${i}`, taskDefinition: td1, desiredCount: 0 });
    const p1 = await t.ecs.send(new ListServicesCommand({ cluster: 'prod' }));
    expect(p1.serviceArns).toHaveLength(10);
    expect(p1.nextToken).toBeDefined();
    const p2 = await t.ecs.send(new ListServicesCommand({ cluster: 'prod', nextToken: p1.nextToken }));
    expect(new Set([...p1.serviceArns!, ...p2.serviceArns!]).size).toBe(
      p1.serviceArns!.length + p2.serviceArns!.length,
    );
    expect(p2.serviceArns!.length).toBeGreaterThan(0);
  });
});

group('tasks', () => {
  it('lists tasks by service, family, startedBy and desired status, with the 1..100 maxResults limit', async () => {
    const svc = await describe(t.ecs, 'web');
    const dep = svc.deployments![0]!.id!;
    const byService = await t.ecs.send(new ListTasksCommand({ cluster: 'prod', serviceName: 'web' }));
    expect(byService.taskArns).toHaveLength(2);
    const byStarted = await t.ecs.send(new ListTasksCommand({ cluster: 'prod', startedBy: dep }));
    expect(new Set(byStarted.taskArns)).toEqual(new Set(byService.taskArns));
    const byFamily = await t.ecs.send(new ListTasksCommand({ cluster: 'prod', family: 'web' }));
    expect(byFamily.taskArns?.length).toBeGreaterThanOrEqual(2);
    const stopped = await t.ecs.send(
      new ListTasksCommand({ cluster: 'prod', serviceName: 'web', desiredStatus: 'STOPPED' }),
    );
    expect(stopped.taskArns!.length).toBeGreaterThan(0);
    expect(stopped.taskArns).not.toContain(byService.taskArns![0]);
    const page = await t.ecs.send(
      new ListTasksCommand({ cluster: 'prod', serviceName: 'web', maxResults: 1 }),
    );
    expect(page.taskArns).toHaveLength(1);
    const rest = await t.ecs.send(
      new ListTasksCommand({ cluster: 'prod', serviceName: 'web', maxResults: 1, nextToken: page.nextToken }),
    );
    expect(rest.taskArns).toHaveLength(1);
    expect(rest.taskArns![0]).not.toBe(page.taskArns![0]);
    for (const maxResults of [0, 101]) {
      await expect(t.ecs.send(new ListTasksCommand({ cluster: 'prod', maxResults }))).rejects.toBeInstanceOf(
        InvalidParameterException,
      );
    }
    await expect(
      t.ecs.send(new ListTasksCommand({ cluster: 'prod', serviceName: 'ghost' })),
    ).rejects.toBeInstanceOf(ServiceNotFoundException);
  });

  it('describes at most 100 tasks, with MISSING failures, the service group and the deployment as startedBy', async () => {
    const svc = await describe(t.ecs, 'web');
    const arns = (await t.ecs.send(new ListTasksCommand({ cluster: 'prod', serviceName: 'web' }))).taskArns!;
    const tooMany = Array.from({ length: 101 }, (_, i) => `task-${i}`);
    await expect(
      t.ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: tooMany })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    const id = arns[0]!.split('/').pop()!;
    const out = await t.ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: [id, 'f'.repeat(32)] }));
    expect(out.failures).toEqual([
      { arn: `arn:aws:ecs:us-east-1:123456789012:task/prod/${'f'.repeat(32)}`, reason: 'MISSING' },
    ]);
    const task = out.tasks![0]!;
    expect(task).toMatchObject({
      taskArn: arns[0],
      group: 'service:web',
      startedBy: svc.deployments![0]!.id,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      cpu: '256',
      memory: '512',
      connectivity: 'CONNECTED',
      taskDefinitionArn: svc.taskDefinition,
    });
    expect(task.version).toBeGreaterThan(3);
    expect(task.createdAt!.getTime()).toBeLessThan(task.startedAt!.getTime());
    expect(task.containers![0]).toMatchObject({ name: 'app', image: 'nginx:2', lastStatus: 'RUNNING' });
    expect(task.containers![0]!.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(task.attachments![0]).toMatchObject({ type: 'ElasticNetworkInterface', status: 'ATTACHED' });
  });

  it('stops a task with the user reason; the service replaces it', async () => {
    const arns = (await t.ecs.send(new ListTasksCommand({ cluster: 'prod', serviceName: 'web' }))).taskArns!;
    const out = await t.ecs.send(
      new StopTaskCommand({ cluster: 'prod', task: arns[0], reason: 'rehearsal' }),
    );
    expect(out.task).toMatchObject({
      desiredStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'rehearsal',
    });
    expect(out.task?.stoppingAt).toBeInstanceOf(Date);
    const plain = await t.ecs.send(new StopTaskCommand({ cluster: 'prod', task: arns[1] }));
    expect(plain.task?.stoppedReason).toBe('Task stopped by user');
    await runUntil(
      t.world,
      async () => {
        const s = await describe(t.ecs, 'web');
        return s.runningCount === 2 && s.events![0]!.message === '(service web) has reached a steady state.';
      },
      300_000,
    );
    const now = (await t.ecs.send(new ListTasksCommand({ cluster: 'prod', serviceName: 'web' }))).taskArns!;
    expect(now).not.toContain(arns[0]);
    const gone = await t.ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: [arns[0]!] }));
    expect(gone.tasks?.[0]).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'UserInitiated' });
    const err = await t.ecs
      .send(new StopTaskCommand({ cluster: 'prod', task: 'a'.repeat(32) }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(InvalidParameterException);
  });

  it('runs standalone tasks in the family group', async () => {
    const td = await registerFargate(t.ecs, 'batch', 'busybox:1');
    const out = await t.ecs.send(
      new RunTaskCommand({
        cluster: 'prod',
        taskDefinition: td,
        count: 2,
        startedBy: 'nightly',
        networkConfiguration: NETWORK,
      }),
    );
    expect(out.tasks?.map((x) => x.group)).toEqual(['family:batch', 'family:batch']);
    const listed = await t.ecs.send(new ListTasksCommand({ cluster: 'prod', startedBy: 'nightly' }));
    expect(listed.taskArns).toHaveLength(2);
  });
});

group('deleting services and tags', () => {
  it('refuses to delete a scaled service without force; force drains it to INACTIVE', async () => {
    const td = await registerFargate(t.ecs, 'gone', 'nginx:1');
    await createService(t.ecs, { serviceName: 'gone', taskDefinition: td, desiredCount: 1 });
    const err = await t.ecs
      .send(new DeleteServiceCommand({ cluster: 'prod', service: 'gone' }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(InvalidParameterException);
    expect(err.message).toBe('The service cannot be stopped while it is scaled above 0.');
    await t.world.runFor(60_000);
    const del = await t.ecs.send(new DeleteServiceCommand({ cluster: 'prod', service: 'gone', force: true }));
    expect(del.service).toMatchObject({ status: 'DRAINING', desiredCount: 0 });
    await runUntil(t.world, async () => (await describe(t.ecs, 'gone')).status === 'INACTIVE', 120_000);
    const list = await t.ecs.send(new ListServicesCommand({ cluster: 'prod', maxResults: 100 }));
    expect(list.serviceArns).not.toContain(del.service?.serviceArn);
    const upd = await t.ecs
      .send(new UpdateServiceCommand({ cluster: 'prod', service: 'gone', desiredCount: 1 }))
      .catch((e) => e);
    expect(upd).toBeInstanceOf(ServiceNotActiveException);
    // The name can be used again once the service is INACTIVE.
    const again = await createService(t.ecs, { serviceName: 'gone', taskDefinition: td, desiredCount: 0 });
    expect(again.status).toBe('ACTIVE');
  });

  it('tags and untags services, task definitions and clusters', async () => {
    const svc = await describe(t.ecs, 'web');
    await t.ecs.send(
      new TagResourceCommand({
        resourceArn: svc.serviceArn,
        tags: [
          { key: 'env', value: 'prod' },
          { key: 'a', value: 'c' },
        ],
      }),
    );
    await t.ecs.send(new UntagResourceCommand({ resourceArn: svc.serviceArn, tagKeys: ['env'] }));
    const tags = await t.ecs.send(new ListTagsForResourceCommand({ resourceArn: svc.serviceArn }));
    expect(tags.tags).toEqual([{ key: 'a', value: 'c' }]);
    const tdTags = await t.ecs.send(
      new ListTagsForResourceCommand({
        resourceArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:1',
      }),
    );
    expect(tdTags.tags).toEqual([{ key: 'owner', value: 'payments' }]);
    const missing = await t.ecs
      .send(
        new ListTagsForResourceCommand({
          resourceArn: 'arn:aws:ecs:us-east-1:123456789012:service/prod/ghost',
        }),
      )
      .catch((e) => e);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
  });
});

group('throttling', () => {
  it('applies the documented ECS token buckets to the local ECS', async () => {
    const th = await startWorld({ throttling: true });
    try {
      await th.ecs.send(new CreateClusterCommand({ clusterName: 'prod' }));
      const results = await Promise.allSettled(
        Array.from({ length: 21 }, () => registerFargate(th.ecs, 'burst', 'nginx:1')),
      );
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(rejected).toHaveLength(1);
      expect((rejected[0] as PromiseRejectedResult).reason.name).toBe('ThrottlingException');
    } finally {
      await th.world.stop();
    }
  });
});
