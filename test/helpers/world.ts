/**
 * A started local world and real SDK clients pointed at it, for tests.
 *
 *   const { world, ecs } = await startWorld();
 *   afterAll(() => world.stop());
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SSMClient } from '@aws-sdk/client-ssm';
import { World, type WorldOptions } from '../../local/world.ts';

export interface TestWorld {
  world: World;
  endpoint: string;
  ecs: ECSClient;
  ecr: ECRClient;
  cloudwatch: CloudWatchClient;
  events: EventBridgeClient;
  ssm: SSMClient;
  dynamodb: DynamoDBClient;
  /** ELBv2 speaks only the Query protocol. */
  elbv2: ElasticLoadBalancingV2Client;
}

/** `maxAttempts` 1 by default so a test sees each error as the server sent it (no SDK retries). */
export async function startWorld(options: WorldOptions = {}, maxAttempts = 1): Promise<TestWorld> {
  const world = new World(options);
  const endpoint = await world.start();
  const config = {
    endpoint,
    region: world.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts,
  };
  return {
    world,
    endpoint,
    ecs: new ECSClient(config),
    ecr: new ECRClient(config),
    cloudwatch: new CloudWatchClient(config),
    events: new EventBridgeClient(config),
    ssm: new SSMClient(config),
    dynamodb: new DynamoDBClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
  };
}
