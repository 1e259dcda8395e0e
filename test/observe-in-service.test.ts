/**
 * Observe reads whether the new revision's tasks are in service behind their target groups (issue
 * 13.5): by IP and container port for awsvpc tasks, by EC2 instance id and host port for bridge
 * tasks; one DescribeTargetHealth per target group, and none once the step's bake has started.
 * Real SDK clients against the local AWS, whose target groups turn a new target healthy at its first
 * passing check, one interval after it registers.
 */
import { RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../lib/aws.ts';
import type { TargetConfig } from '../lib/config.ts';
import { observe } from '../lib/observe.ts';
import type { ServiceRecord } from '../lib/record.ts';
import { localClientConfig, runUntil, sharedWorld } from './helpers/world.ts';
import {
  behind,
  createCluster,
  createService,
  createWebBehind,
  describe as describeService,
  pushImage,
} from './local/ecs-fixtures.ts';

const t = sharedWorld();
let clients: ReturnType<typeof createClients>;
const revisions: Record<string, string> = {};
const groups: Record<string, string> = {};

beforeAll(async () => {
  clients = createClients(localClientConfig(t.endpoint, t.world.region));
  await createCluster(t.ecs);
  for (const name of ['web', 'api'])
    groups[name] = t.world.ecs.createTargetGroup({
      name,
      healthCheck: { intervalSeconds: 10, healthyThreshold: 3, unhealthyThreshold: 2 },
    });
  // web: Fargate (awsvpc), registered by IP.
  revisions.web = await createWebBehind(t, groups.web!);
  // api: EC2 bridge with dynamic host ports, registered by instance id and host port.
  for (let i = 0; i < 2; i++)
    t.world.ecs.registerContainerInstance('prod', {
      instanceType: 'c5.large',
      cpu: 2048,
      memory: 2048,
      availabilityZone: `us-east-1${'ab'[i]}`,
    });
  const api = await t.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'api',
      networkMode: 'bridge',
      requiresCompatibilities: ['EC2'],
      containerDefinitions: [
        {
          name: 'app',
          image: pushImage(t.world, 'api', 'v1'),
          memory: 512,
          portMappings: [{ containerPort: 8080, hostPort: 0 }],
        },
      ],
    }),
  );
  revisions.api = api.taskDefinition!.taskDefinitionArn!;
  await createService(t.ecs, {
    serviceName: 'api',
    taskDefinition: revisions.api,
    desiredCount: 2,
    networkConfiguration: undefined,
    loadBalancers: behind(groups.api!),
  });
  await runUntil(
    t.world,
    async () =>
      (await describeService(t.ecs, 'web')).runningCount === 2 &&
      (await describeService(t.ecs, 'api')).runningCount === 2,
    300_000,
  );
}, 300_000);

/** A rollout promoted to 100 % on the service's own revision: observe watches the primary's tasks. */
function promoted(service: string, healthyAt?: number): ServiceRecord {
  return {
    key: `prod/${service}`,
    cluster: 'prod',
    service,
    rollout: {
      steps: [
        { percent: 100, bakeMs: 60_000, startedAt: 0, ...(healthyAt !== undefined ? { healthyAt } : {}) },
      ],
      stepIndex: 0,
      taskDefinition: revisions[service],
      fromTaskDefinition: revisions[service],
      failures: [],
      ignoredAlarms: [],
    },
  } as unknown as ServiceRecord;
}

const target = (service: string) => ({ cluster: 'prod', service, gateAlarms: [] }) as unknown as TargetConfig;
const calls = () => t.world.apiCalls['elasticloadbalancing:DescribeTargetHealth'] ?? 0;
const inService = async (service: string, healthyAt?: number) =>
  (await observe(clients, target(service), promoted(service, healthyAt), {})).observation.tasks
    .filter((x) => x.lastStatus === 'RUNNING')
    .map((x) => x.inService);

describe('inService', () => {
  it('is false for RUNNING tasks whose targets are still initial, with one call for the target group', async () => {
    // The health check needs 3 x 10 s; the services have just reached RUNNING.
    expect(t.world.ecs.targetHealth(groups.web!).map((x) => x.state)).toContain('initial');
    const before = calls();
    expect(await inService('web')).toEqual([false, false]);
    expect(calls() - before).toBe(1);
  });

  it('is true once the target group calls the tasks healthy, by IP (awsvpc) and by instance and host port (bridge)', async () => {
    await runUntil(
      t.world,
      () =>
        [groups.web!, groups.api!].every((g) =>
          t.world.ecs.targetHealth(g).every((x) => x.state === 'healthy'),
        ),
      120_000,
    );
    expect(await inService('web')).toEqual([true, true]);
    // Bridge tasks have no ENI: their targets are named by the container instances' EC2 ids.
    const described = t.world.apiCalls['ecs:DescribeContainerInstances'] ?? 0;
    expect(await inService('api')).toEqual([true, true]);
    expect((t.world.apiCalls['ecs:DescribeContainerInstances'] ?? 0) - described).toBe(1);
  });

  it('is not read once the step has started its bake', async () => {
    const before = calls();
    expect(await inService('web', t.world.now())).toEqual([undefined, undefined]);
    expect(calls()).toBe(before);
  });
});
