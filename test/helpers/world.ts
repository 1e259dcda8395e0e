/**
 * A started local world and real SDK clients pointed at it, for tests.
 *
 *   const { world, ecs } = await startWorld();
 *   afterAll(() => world.stop());
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { DynamoRecordStore, TABLE_DEFINITION } from '../../lib/store.ts';
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
  const config = localClientConfig(endpoint, world.region, maxAttempts);
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

/**
 * What an AWS SDK v3 client needs to talk to the local AWS at `endpoint`, for the clients startWorld
 * does not make (ELBv2, Application Auto Scaling) and for lib's own createClients.
 */
export function localClientConfig(endpoint: string, region = 'us-east-1', maxAttempts = 1) {
  return { endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts };
}

/**
 * One world for every test of the file (or of the describe block it is called in): started before
 * them, stopped after them. The object is filled in when the world has started, so read its members
 * inside tests and hooks, not at the top level.
 *
 *   const t = sharedWorld();                                  // t.ecs, t.world in the tests
 *   const t = sharedWorld(() => startWorld({ start: START }));
 */
export function sharedWorld(start: () => Promise<TestWorld> = () => startWorld()): TestWorld {
  const shared = {} as TestWorld;
  beforeAll(async () => {
    Object.assign(shared, await start());
  });
  afterAll(() => shared.world?.stop());
  return shared;
}

/**
 * A world of its own for each test that asks for one, stopped after the test (or when the same test
 * asks again), so a failing test leaves no server running. `start` makes one, `stop` ends it:
 *
 *   const world = worldPerTest(startEcsWorld, (tw) => tw.world.stop());   // at the top of the file
 *   it('…', async () => { const tw = await world({ resetOnHealthyTask: false }); … });
 */
export function worldPerTest<Options, W>(
  start: (options?: Options) => Promise<W>,
  stop: (w: W) => Promise<void>,
): (options?: Options) => Promise<W> {
  let current: W | undefined;
  const end = async () => {
    if (current !== undefined) await stop(current);
    current = undefined;
  };
  afterEach(end);
  return async (options) => {
    await end();
    current = await start(options);
    return current;
  };
}

/** The records table as serverless.yml declares it (TABLE_DEFINITION), made in dynalite, and a store on it. */
export async function recordStore(dynamodb: DynamoDBClient, table = 'records'): Promise<DynamoRecordStore> {
  await dynamodb.send(new CreateTableCommand({ TableName: table, ...TABLE_DEFINITION }));
  return new DynamoRecordStore(dynamodb, table);
}

/**
 * sharedWorld with the pipeline's record table made on its dynalite: one world and one store for every
 * test of the file (or describe block). Read `t.store` inside tests and hooks, as with sharedWorld.
 *
 *   const t = sharedStoreWorld();                             // t.store.get('prod', 'web')
 */
export function sharedStoreWorld(): TestWorld & { store: DynamoRecordStore } {
  return sharedWorld(async () => {
    const tw = await startWorld();
    return { ...tw, store: await recordStore(tw.dynamodb) };
  }) as TestWorld & { store: DynamoRecordStore };
}

/** Events of one detail-type put on the bus since `since` (virtual ms). */
export function busEvents(world: World, detailType: string, since = 0): any[] {
  return world.eventLog
    .filter((e) => e.at >= since && e.event['detail-type'] === detailType)
    .map((e) => e.event);
}

/** Runs the world until an event of `detailType` that `match` accepts is on the bus (see runUntil); returns the first. */
export async function runUntilEvent(
  world: World,
  detailType: string,
  match: (event: any) => boolean,
  maxMs: number,
): Promise<any> {
  await runUntil(world, () => busEvents(world, detailType).some(match), maxMs);
  return busEvents(world, detailType).find(match)!;
}

/** Runs the world second by second until `done()` or `maxMs` (virtual), calling `each` every second. */
export async function runUntil(
  world: World,
  done: () => boolean | Promise<boolean>,
  maxMs: number,
  each?: () => void | Promise<void>,
): Promise<void> {
  const end = world.now() + maxMs;
  while (world.now() < end) {
    await world.runFor(1000);
    if (each) await each();
    if (await done()) return;
  }
  throw new Error(`condition not reached within ${maxMs / 1000} virtual seconds`);
}
