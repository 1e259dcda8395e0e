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
import type { ServiceRecord } from '../../lib/record.ts';
import { parseImageBehaviour } from '../../local/core/images.ts';
import { attachPipeline, type LocalPipeline } from '../../local/pipeline.ts';
import {
  createWebCluster,
  createWebService,
  fiveXxAlarm,
  targetGroupDimensions,
} from '../../local/web-service.ts';
import { World } from '../../local/world.ts';
import { WEB_TARGET } from './web-target.ts';
import { worldPerTest } from './world.ts';

/** The gate alarm of the e2e tests (local/web-service.ts). */
export { fiveXxAlarm };

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

/** A pipeline world of its own for each test (worldPerTest): `const world = usePipelineWorld();`. */
export function usePipelineWorld(): (options?: PipelineWorldOptions) => Promise<PipelineWorld> {
  return worldPerTest(pipelineWorld, (t) => t.stop());
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
  await createWebCluster(world);
  const { targetGroupArn } = await createWebService(world, {
    name: 'web',
    image: v1.uri,
    desiredCount: options.desiredCount,
    healthCheck: options.healthCheck,
    sidecars: options.sidecars,
    deploymentConfiguration: {
      minimumHealthyPercent: 100,
      maximumPercent: 200,
      deploymentCircuitBreaker: {
        enable: options.circuitBreaker ?? true,
        rollback: options.circuitBreaker ?? true,
      },
    },
    load: options.load,
  });
  if (options.alarms) {
    const dimensions = targetGroupDimensions(world, targetGroupArn);
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

/** The service as the local ECS describes it (in-process, uncounted). */
export async function describeService(w: PipelineWorld, name: string) {
  const out = (await w.world.ecs.operations.DescribeServices!({ cluster: 'prod', services: [name] })) as any;
  return out.services?.[0];
}

/** The pipeline's record of `key`, as stored in dynalite. */
export async function recordOf(w: PipelineWorld, key = 'prod/web'): Promise<ServiceRecord | undefined> {
  return (await w.records()).find((r) => r.key === key);
}
