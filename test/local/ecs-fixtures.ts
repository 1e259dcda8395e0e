/** Shared set-up for the local ECS tests (test/local/ecs-*.test.ts). */
import {
  CreateClusterCommand,
  CreateServiceCommand,
  type CreateServiceCommandInput,
  DescribeServicesCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
} from '@aws-sdk/client-ecs';
import { parseImageBehaviour } from '../../local/core/images.ts';
import type { World, WorldOptions } from '../../local/world.ts';
import { startWorld, type TestWorld, worldPerTest } from '../helpers/world.ts';

export const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b', 'subnet-c'] } };

/** Pushes `repository:tag` to the local ECR with a behaviour (scenario syntax); returns the image URI. */
export function pushImage(
  world: World,
  repository: string,
  tag: string,
  behaviour: unknown = 'healthy',
): string {
  world.images.set(`${repository}:${tag}`, parseImageBehaviour(behaviour));
  return world.ecr.push(repository, tag).uri;
}

export async function createCluster(ecs: ECSClient, clusterName = 'prod'): Promise<void> {
  await ecs.send(new CreateClusterCommand({ clusterName }));
}

/** A started world with the cluster `prod`; whoever starts it stops it. */
export async function startEcsWorld(options: WorldOptions = {}): Promise<TestWorld> {
  const tw = await startWorld(options);
  await createCluster(tw.ecs);
  return tw;
}

/** A world with the cluster `prod` of its own for each test (worldPerTest): `const world = useWorld();`. */
export function useWorld(): (options?: WorldOptions) => Promise<TestWorld> {
  return worldPerTest(startEcsWorld, (tw) => tw.world.stop());
}

/** A Fargate task definition with one essential container `app` on port 8080. */
export async function registerFargate(
  ecs: ECSClient,
  family: string,
  image: string,
  extra: Partial<RegisterTaskDefinitionCommandInput> & { healthCheck?: any } = {},
): Promise<string> {
  const { healthCheck, ...rest } = extra;
  const out = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        { name: 'app', image, essential: true, portMappings: [{ containerPort: 8080 }], healthCheck },
      ],
      ...rest,
    }),
  );
  return out.taskDefinition!.taskDefinitionArn!;
}

export async function createService(
  ecs: ECSClient,
  input: Partial<CreateServiceCommandInput> & { serviceName: string; taskDefinition: string },
): Promise<Service> {
  const out = await ecs.send(
    new CreateServiceCommand({ cluster: 'prod', desiredCount: 2, networkConfiguration: NETWORK, ...input }),
  );
  return out.service!;
}

/** `loadBalancers` of a service whose container `app` (registerFargate's) serves the group on 8080. */
export const behind = (targetGroupArn: string) => [
  { targetGroupArn, containerName: 'app', containerPort: 8080 },
];

/** The service `web` in `prod`: 2 healthy tasks of web:v1 behind the target group. Returns the revision. */
export async function createWebBehind(tw: TestWorld, targetGroupArn: string): Promise<string> {
  const v1 = await registerFargate(tw.ecs, 'web', pushImage(tw.world, 'web', 'v1'));
  await createService(tw.ecs, {
    serviceName: 'web',
    taskDefinition: v1,
    desiredCount: 2,
    loadBalancers: behind(targetGroupArn),
  });
  return v1;
}

export async function describe(ecs: ECSClient, service: string, cluster = 'prod'): Promise<Service> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
  return out.services![0]!;
}
