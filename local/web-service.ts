/**
 * The sample service the end-to-end tests and the benchmarks deploy into a local world: `prod/<name>`
 * on Fargate, one `web` container on port 8080 behind its own target group, made through the
 * in-process operations (so set-up is not counted in `world.apiCalls`). One set-up, so the tests'
 * world and the benchmarks' world cannot drift apart.
 *
 *   const v1 = world.ecr.push('web', 'v1');
 *   await createWebCluster(world);
 *   const { targetGroupArn } = await createWebService(world, { name: 'web', image: v1.uri });
 */
import type { CreateTargetGroupOptions } from './services/ecs/elb.ts';
import type { World } from './world.ts';

/** The ECS cluster every sample service runs in. */
export const WEB_CLUSTER = 'prod';

export interface WebServiceOptions {
  /** Service, task definition family and target group name. */
  name: string;
  /** The `web` container's image URI. */
  image: string;
  desiredCount?: number;
  /** A container health check (curl /health every 10 s, 3 retries, 10 s start period). */
  healthCheck?: boolean;
  /** Essential containers beside `web` (sidecars). */
  sidecars?: { name: string; image: string }[];
  /** The target group's ALB health check; absent: the ELB defaults. */
  targetGroupHealth?: CreateTargetGroupOptions['healthCheck'];
  subnets?: string[];
  deploymentConfiguration: Record<string, unknown>;
  /** Requests per second on the target group. */
  load?: number;
}

/**
 * Creates the task definition, the target group and the service, in the cluster `prod` (made by
 * `createWebCluster`). Returns the first revision's ARN and the target group's.
 */
export async function createWebService(
  world: World,
  o: WebServiceOptions,
): Promise<{ taskDefinitionArn: string; targetGroupArn: string }> {
  const ecs = world.ecs.operations;
  const registered = (await ecs.RegisterTaskDefinition!({
    ...webTaskDefinition(o.name, o.image, o.healthCheck ?? false, o.sidecars),
    tags: [{ key: 'team', value: 'web' }],
  })) as { taskDefinition: { taskDefinitionArn: string } };
  const targetGroupArn = world.ecs.createTargetGroup({
    name: o.name,
    deregistrationDelaySeconds: 30,
    ...(o.targetGroupHealth && { healthCheck: o.targetGroupHealth }),
  });
  await ecs.CreateService!({
    cluster: WEB_CLUSTER,
    serviceName: o.name,
    taskDefinition: o.name,
    desiredCount: o.desiredCount ?? 4,
    launchType: 'FARGATE',
    networkConfiguration: {
      awsvpcConfiguration: { subnets: o.subnets ?? ['subnet-1'], securityGroups: ['sg-1'] },
    },
    loadBalancers: [{ targetGroupArn, containerName: 'web', containerPort: 8080 }],
    deploymentConfiguration: o.deploymentConfiguration,
  });
  if (o.load) world.ecs.setLoad(targetGroupArn, o.load);
  return { taskDefinitionArn: registered.taskDefinition.taskDefinitionArn, targetGroupArn };
}

/** The cluster the sample services run in. */
export async function createWebCluster(world: World): Promise<void> {
  await world.ecs.operations.CreateCluster!({ clusterName: WEB_CLUSTER });
}

/** The task definition of the sample service: `family` running `image` on Fargate, port 8080. */
export function webTaskDefinition(
  family: string,
  image: string,
  healthCheck: boolean,
  sidecars: { name: string; image: string }[] = [],
) {
  return {
    family,
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '256',
    memory: '512',
    containerDefinitions: [
      {
        name: 'web',
        image,
        essential: true,
        portMappings: [{ containerPort: 8080 }],
        ...(healthCheck
          ? {
              healthCheck: {
                command: ['CMD-SHELL', 'curl -f http://localhost/health || exit 1'],
                interval: 10,
                timeout: 5,
                retries: 3,
                startPeriod: 10,
              },
            }
          : {}),
      },
      ...sidecars.map((s) => ({ name: s.name, image: s.image, essential: true })),
    ],
  };
}

/** The CloudWatch dimensions of a target group's AWS/ApplicationELB metrics, as an alarm names them. */
export function targetGroupDimensions(
  world: World,
  targetGroupArn: string,
): { Name: string; Value: string }[] {
  const group = world.ecs.targetGroupDimensions(targetGroupArn);
  return [
    { Name: 'TargetGroup', Value: group.TargetGroup },
    { Name: 'LoadBalancer', Value: group.LoadBalancer },
  ];
}

/**
 * The gate alarm of the tests and benchmarks: more than 20 target 5xx answers in a minute on the
 * service's target group (`web-5xx` unless `extra` names it).
 */
export function fiveXxAlarm(
  dimensions: { Name: string; Value: string }[],
  extra: Record<string, unknown> = {},
) {
  return {
    AlarmName: 'web-5xx',
    Namespace: 'AWS/ApplicationELB',
    MetricName: 'HTTPCode_Target_5XX_Count',
    Dimensions: dimensions,
    Statistic: 'Sum',
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 20,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
    ...extra,
  };
}
