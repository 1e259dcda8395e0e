/**
 * The AWS clients the pipeline uses, created once per Lambda container. The SDK reads the
 * endpoint from `AWS_ENDPOINT_URL` on its own, so the same code talks to AWS or to the local AWS.
 *
 * ECR is used only where a push arrives (ordering same-second pushes) and by the tick (missed pushes,
 * lib/missed-pushes.ts): its client is created only when its class is handed in (functions/ecr-push.ts
 * and functions/tick.ts do), so the other functions' bundles leave the ECR client out (each function
 * bundles only the clients it uses; esbuild drops what no entry reaches).
 */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';

export interface Clients {
  ecs: ECSClient;
  cloudwatch: CloudWatchClient;
  dynamodb: DynamoDBClient;
  ssm: SSMClient;
  applicationAutoScaling: ApplicationAutoScalingClient;
  /** Only where pushes arrive or are looked for (ecrPush, tick, the local world, the CLI). */
  ecr?: ECRClient;
  /** Target health: a step bakes from when its tasks are in service (lib/observe.ts). */
  elbv2: ElasticLoadBalancingV2Client;
}

/** Clients created only when asked for, by class, so a bundle without them leaves them out. */
export interface OptionalClients {
  ecr?: typeof ECRClient;
}

export interface ClientOptions {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** SDK attempts per call, with its standard back-off on throttling. Default 5. */
  maxAttempts?: number;
  /**
   * Sockets per client (the SDK's default is 50). In Lambda each execution environment has its own
   * clients; a process that stands in for hundreds of them at once (the local world) shares one,
   * and a burst past 50 calls in flight would queue behind each other's turns.
   */
  maxSockets?: number;
}

export function createClients(options: ClientOptions = {}, optional: OptionalClients = {}): Clients {
  const config = {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts ?? 5,
    ...(options.maxSockets ? { requestHandler: { httpAgent: { maxSockets: options.maxSockets } } } : {}),
  };
  return {
    ecs: new ECSClient(config),
    cloudwatch: new CloudWatchClient(config),
    dynamodb: new DynamoDBClient(config),
    ssm: new SSMClient(config),
    applicationAutoScaling: new ApplicationAutoScalingClient(config),
    ...(optional.ecr && { ecr: new optional.ecr(config) }),
    elbv2: new ElasticLoadBalancingV2Client(config),
  };
}
