/**
 * The AWS clients the pipeline uses, created once per Lambda container. The SDK reads the
 * endpoint from `AWS_ENDPOINT_URL` on its own, so the same code talks to AWS or to the local AWS.
 */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';

export interface Clients {
  ecs: ECSClient;
  cloudwatch: CloudWatchClient;
  dynamodb: DynamoDBClient;
  ssm: SSMClient;
  applicationAutoScaling: ApplicationAutoScalingClient;
  ecr: ECRClient;
  /** Target health: a step bakes from when its tasks are in service (lib/observe.ts). */
  elbv2: ElasticLoadBalancingV2Client;
}

export interface ClientOptions {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** SDK attempts per call, with its standard back-off on throttling. Default 5. */
  maxAttempts?: number;
}

export function createClients(options: ClientOptions = {}): Clients {
  const config = {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts ?? 5,
  };
  return {
    ecs: new ECSClient(config),
    cloudwatch: new CloudWatchClient(config),
    dynamodb: new DynamoDBClient(config),
    ssm: new SSMClient(config),
    applicationAutoScaling: new ApplicationAutoScalingClient(config),
    ecr: new ECRClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
  };
}
