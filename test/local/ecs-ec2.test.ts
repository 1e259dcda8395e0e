/** EC2 capacity: container instances, task placement (local/services/ecs/placement.ts) and placement failures. */
import {
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { expect, describe as group, it } from 'vitest';
import { busEvents, runUntil, type TestWorld } from '../helpers/world.ts';
import { createService, describe, useWorld } from './ecs-fixtures.ts';

const world = useWorld();

async function ec2World(instances: number): Promise<TestWorld> {
  const t = await world();
  for (let i = 0; i < instances; i++) {
    t.world.ecs.registerContainerInstance('prod', {
      instanceType: 'c5.large',
      cpu: 2048,
      memory: 2048,
      availabilityZone: `us-east-1${'ab'[i % 2]}`,
    });
  }
  return t;
}

async function bridgeTaskDefinition(tw: TestWorld, hostPort: number, memory: number): Promise<string> {
  const out = await tw.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'api',
      networkMode: 'bridge',
      requiresCompatibilities: ['EC2'],
      containerDefinitions: [
        { name: 'app', image: 'nginx:1', memory, portMappings: [{ containerPort: 8080, hostPort }] },
      ],
    }),
  );
  return out.taskDefinition!.taskDefinitionArn!;
}

/** The service `api`, its tasks on the container instances (bridge network mode: no awsvpc configuration). */
const apiService = (
  tw: TestWorld,
  td: string,
  desiredCount: number,
  more: Partial<Parameters<typeof createService>[1]> = {},
) =>
  createService(tw.ecs, {
    serviceName: 'api',
    taskDefinition: td,
    desiredCount,
    networkConfiguration: undefined,
    ...more,
  });

/** Whether `n` tasks of `api` are running. */
const running = (tw: TestWorld, n: number) => async () => (await describe(tw.ecs, 'api')).runningCount === n;

const placed = async (tw: TestWorld) => {
  const arns = (await tw.ecs.send(new ListTasksCommand({ cluster: 'prod', serviceName: 'api' }))).taskArns!;
  return arns.length
    ? (await tw.ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: arns }))).tasks!
    : [];
};

group('EC2 container instances', () => {
  it('places service tasks on container instances and reports what does not fit', async () => {
    const tw = await ec2World(2);
    const td = await bridgeTaskDefinition(tw, 0, 1024);
    await apiService(tw, td, 5);
    await runUntil(tw.world, running(tw, 4), 300_000);
    await tw.world.runFor(30_000);
    const tasks = await placed(tw);
    expect(tasks).toHaveLength(4);
    expect(tasks.every((x) => x.launchType === 'EC2' && x.containerInstanceArn)).toBe(true);
    const perInstance = new Map<string, number>();
    for (const x of tasks)
      perInstance.set(x.containerInstanceArn!, (perInstance.get(x.containerInstanceArn!) ?? 0) + 1);
    expect([...perInstance.values()]).toEqual([2, 2]);
    expect(new Set(tasks.map((x) => x.availabilityZone))).toEqual(new Set(['us-east-1a', 'us-east-1b']));
    const ports = tasks.map((x) => x.containers![0]!.networkBindings![0]!.hostPort!);
    expect(new Set(ports).size).toBe(4);
    for (const p of ports) expect(p).toBeGreaterThanOrEqual(32768);

    const s = await describe(tw.ecs, 'api');
    const failure = s.events!.find((e) => e.message!.includes('was unable to place a task'))!;
    expect(failure.message).toMatch(
      /^\(service api\) was unable to place a task because no container instance met all of its requirements\. The closest matching container-instance [0-9a-f]{32} has insufficient memory available\. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide\.$/,
    );
    expect(s.events!.filter((e) => e.message === failure.message)).toHaveLength(1);
    const action = busEvents(tw.world, 'ECS Service Action').find(
      (e) => e.detail.eventName === 'SERVICE_TASK_PLACEMENT_FAILURE',
    )!;
    expect(action.detail).toMatchObject({
      eventType: 'ERROR',
      reason: 'RESOURCE:MEMORY',
      clusterArn: s.clusterArn,
    });

    const list = await tw.ecs.send(new ListContainerInstancesCommand({ cluster: 'prod' }));
    const described = await tw.ecs.send(
      new DescribeContainerInstancesCommand({
        cluster: 'prod',
        containerInstances: list.containerInstanceArns,
      }),
    );
    for (const ci of described.containerInstances!) {
      expect(ci.runningTasksCount).toBe(2);
      expect(ci.remainingResources!.find((r) => r.name === 'MEMORY')!.integerValue).toBe(0);
      expect(ci.registeredResources!.find((r) => r.name === 'MEMORY')!.integerValue).toBe(2048);
    }

    // More capacity: the scheduler places the fifth task.
    tw.world.ecs.registerContainerInstance('prod', {
      instanceType: 'c5.large',
      cpu: 2048,
      memory: 2048,
      availabilityZone: 'us-east-1c',
    });
    await runUntil(tw.world, running(tw, 5), 1_200_000);
  });

  it('gives a fixed host port to one task per instance', async () => {
    const tw = await ec2World(2);
    const td = await bridgeTaskDefinition(tw, 80, 256);
    await apiService(tw, td, 3);
    await tw.world.runFor(120_000);
    const tasks = await placed(tw);
    expect(tasks.filter((x) => x.lastStatus === 'RUNNING')).toHaveLength(2);
    expect(new Set(tasks.map((x) => x.containerInstanceArn)).size).toBe(2);
    expect(tasks.map((x) => x.containers![0]!.networkBindings![0]!.hostPort)).toEqual([80, 80]);
    const s = await describe(tw.ecs, 'api');
    expect(s.events!.map((e) => e.message).join('\n')).toContain(
      'is already using a port required by your task.',
    );
  });

  it('registers a container instance as the ECS agent does (RegisterContainerInstance)', async () => {
    const tw = await ec2World(0);
    const out = await tw.ecs.send(
      new RegisterContainerInstanceCommand({
        cluster: 'prod',
        instanceIdentityDocument: JSON.stringify({
          instanceId: 'i-0abc',
          instanceType: 'm5.large',
          availabilityZone: 'us-east-1c',
        }),
        totalResources: [
          { name: 'CPU', type: 'INTEGER', integerValue: 2048 },
          { name: 'MEMORY', type: 'INTEGER', integerValue: 7680 },
        ],
        attributes: [{ name: 'stack', value: 'blue' }],
      }),
    );
    expect(out.containerInstance).toMatchObject({
      ec2InstanceId: 'i-0abc',
      status: 'ACTIVE',
      agentConnected: true,
    });
    // Its own attribute, beside those the agent registers on every instance.
    expect(out.containerInstance!.attributes).toContainEqual({ name: 'stack', value: 'blue' });
    expect(out.containerInstance!.attributes).toContainEqual({ name: 'ecs.os-type', value: 'linux' });
    const td = await bridgeTaskDefinition(tw, 0, 512);
    await apiService(tw, td, 1, {
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:stack == blue' }],
    });
    await runUntil(tw.world, running(tw, 1), 300_000);
    const [task] = await placed(tw);
    expect(task).toMatchObject({
      containerInstanceArn: out.containerInstance!.containerInstanceArn,
      availabilityZone: 'us-east-1c',
    });
  });

  it('releases an instance’s resources when its tasks stop', async () => {
    const tw = await ec2World(1);
    const td = await bridgeTaskDefinition(tw, 0, 512);
    await apiService(tw, td, 2);
    await runUntil(tw.world, running(tw, 2), 300_000);
    await tw.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', desiredCount: 0 }));
    await runUntil(tw.world, async () => (await placed(tw)).length === 0, 300_000);
    await tw.world.runFor(60_000);
    const list = await tw.ecs.send(new ListContainerInstancesCommand({ cluster: 'prod' }));
    const ci = (
      await tw.ecs.send(
        new DescribeContainerInstancesCommand({
          cluster: 'prod',
          containerInstances: list.containerInstanceArns,
        }),
      )
    ).containerInstances![0]!;
    expect(ci.remainingResources!.find((r) => r.name === 'MEMORY')!.integerValue).toBe(2048);
    expect(ci.runningTasksCount).toBe(0);
  });
});
