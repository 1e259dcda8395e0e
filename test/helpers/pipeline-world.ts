/**
 * A local world with a managed service and the real pipeline attached, for end-to-end tests:
 * real SDK clients over HTTP, dynalite, the same handlers and rules as in Lambda.
 *
 *   const t = await pipelineWorld({ images: { 'web:v2': { crash: { after: '20s', exitCode: 1 } } } });
 *   t.world.ecr.push('web', 'v2');
 *   await t.world.runFor(10 * 60_000);
 */
import { validateConfig } from '../../lib/config.ts';
import { setLogSink } from '../../lib/log.ts';
import { parseImageBehaviour } from '../../local/core/images.ts';
import { attachPipeline, type LocalPipeline } from '../../local/pipeline.ts';
import { World } from '../../local/world.ts';
import { WEB_TARGET } from './web-target.ts';

export interface PipelineWorldOptions {
  images?: Record<string, unknown>;
  desiredCount?: number;
  target?: Record<string, unknown>;
  healthCheck?: boolean;
  /** Containers beside the main one (sidecars). */
  sidecars?: { name: string; image: string }[];
  circuitBreaker?: boolean;
  /** Alarms to create, given the target group's CloudWatch dimensions. */
  alarms?: (dimensions: { Name: string; Value: string }[]) => Record<string, unknown>[];
  load?: number;
  /** Start a local Slack (local/slack.ts) for the pipeline to post to; quiet unless given `print`. */
  slack?: { print?: (text: string) => void; timeoutMs?: number };
  /** The config's top-level `notifications:` section. */
  notifications?: unknown;
  /** The sweep's period; default `1m`, the tick these tests were written against. */
  sweep?: string;
  /** Model how long things take (local/core/latency.ts): deliveries overlap, invocations race. */
  latency?: boolean;
}

export interface PipelineWorld extends LocalPipeline {
  world: World;
  logs: string[];
  targetGroupArn: string;
  stop(): Promise<void>;
}

export async function pipelineWorld(options: PipelineWorldOptions = {}): Promise<PipelineWorld> {
  const logs: string[] = [];
  const previousSink = setLogSink((line) => logs.push(line));
  const world = new World({ seed: 'e2e', latency: options.latency ?? false });
  for (const [key, value] of Object.entries({ 'web:v1': 'healthy', ...options.images })) {
    world.images.set(key, parseImageBehaviour(value));
  }
  await world.start();
  const v1 = world.ecr.push('web', 'v1');
  const ecs = world.ecs.operations;
  await ecs.CreateCluster!({ clusterName: 'prod' });
  const healthCheck = options.healthCheck
    ? {
        command: ['CMD-SHELL', 'curl -f http://localhost/health || exit 1'],
        interval: 10,
        timeout: 5,
        retries: 3,
        startPeriod: 10,
      }
    : undefined;
  await ecs.RegisterTaskDefinition!({
    family: 'web',
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '256',
    memory: '512',
    containerDefinitions: [
      {
        name: 'web',
        image: v1.uri,
        essential: true,
        portMappings: [{ containerPort: 8080 }],
        ...(healthCheck ? { healthCheck } : {}),
      },
      ...(options.sidecars ?? []).map((s) => ({ name: s.name, image: s.image, essential: true })),
    ],
    tags: [{ key: 'team', value: 'web' }],
  });
  const targetGroupArn = world.ecs.createTargetGroup({ name: 'web', deregistrationDelaySeconds: 30 });
  await ecs.CreateService!({
    cluster: 'prod',
    serviceName: 'web',
    taskDefinition: 'web',
    desiredCount: options.desiredCount ?? 4,
    launchType: 'FARGATE',
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'] } },
    loadBalancers: [{ targetGroupArn, containerName: 'web', containerPort: 8080 }],
    deploymentConfiguration: {
      minimumHealthyPercent: 100,
      maximumPercent: 200,
      deploymentCircuitBreaker: {
        enable: options.circuitBreaker ?? true,
        rollback: options.circuitBreaker ?? true,
      },
    },
  });
  if (options.load) world.ecs.setLoad(targetGroupArn, options.load);
  if (options.alarms) {
    const group = world.ecs.targetGroupDimensions(targetGroupArn);
    const dimensions = [
      { Name: 'TargetGroup', Value: group.TargetGroup },
      { Name: 'LoadBalancer', Value: group.LoadBalancer },
    ];
    for (const alarm of options.alarms(dimensions)) await world.cloudwatch.operations.PutMetricAlarm!(alarm);
  }
  // Let the service reach its steady state before the pipeline looks at it.
  await world.runFor(3 * 60_000);

  const config = validateConfig({
    sweep: options.sweep ?? '1m',
    ...(options.notifications !== undefined && { notifications: options.notifications }),
    targets: [{ ...WEB_TARGET, ...options.target }],
  });
  const attached = await attachPipeline(world, config, {
    slack: options.slack
      ? { print: options.slack.print ?? false, timeoutMs: options.slack.timeoutMs }
      : false,
  });
  return {
    ...attached,
    world,
    logs,
    targetGroupArn,
    async stop() {
      setLogSink(previousSink);
      await attached.close();
      await world.stop();
    },
  };
}

/** The gate alarm of the e2e tests: more than 20 target 5xx answers in a minute on the service's target group. */
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
