/**
 * Runs the real pipeline against a local world: the same handlers (middy and all) as in Lambda,
 * subscribed by the same EventBridge rules, talking to the world over HTTP through the real SDK
 * clients, with the records in dynalite and time from the virtual clock.
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { createClients } from '../lib/aws.ts';
import type { Config, TargetConfig } from '../lib/config.ts';
import type { Action, Notice } from '../lib/decide.ts';
import { createHandler } from '../lib/handler.ts';
import { Pipeline } from '../lib/pipeline.ts';
import type { ServiceRecord } from '../lib/record.ts';
import { eventRules } from '../lib/rules.ts';
import { DynamoRecordStore, TABLE_DEFINITION } from '../lib/store.ts';
import type { World } from './world.ts';

export interface LocalPipeline {
  pipeline: Pipeline;
  store: DynamoRecordStore;
  /** Every notice with its virtual time, in order. */
  notices: { at: number; notice: Notice; target: TargetConfig }[];
  actions: { at: number; action: Action; target: TargetConfig }[];
  /** The function ARNs the rules deliver to (a fault layer can wrap them). */
  functionArns: Record<string, string>;
  records(): Promise<ServiceRecord[]>;
}

export interface AttachOptions {
  table?: string;
  /** SDK attempts per call (the SDK's own retry with back-off). Default 5, as in Lambda. */
  maxAttempts?: number;
  /** Don't subscribe the rules (a test drives the handlers itself). */
  noRules?: boolean;
}

const LAMBDA_CONTEXT = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'ecs-autopilot-local',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:ecs-autopilot-local',
  memoryLimitInMB: '512',
  awsRequestId: 'local',
  logGroupName: '/aws/lambda/ecs-autopilot-local',
  logStreamName: 'local',
  getRemainingTimeInMillis: () => 60_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
};

export async function attachPipeline(world: World, config: Config, options: AttachOptions = {}): Promise<LocalPipeline> {
  if (!world.endpoint) throw new Error('start the world before attaching the pipeline');
  const clients = createClients({
    endpoint: world.endpoint,
    region: world.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: options.maxAttempts ?? 5,
  });
  const table = options.table ?? 'ecs-autopilot';
  await clients.dynamodb.send(new CreateTableCommand({ TableName: table, ...TABLE_DEFINITION }));
  const store = new DynamoRecordStore(clients.dynamodb, table);
  const notices: LocalPipeline['notices'] = [];
  const actions: LocalPipeline['actions'] = [];
  const pipeline = new Pipeline({
    clients,
    store,
    config,
    now: () => world.now(),
    onNotice: (notice, target) => notices.push({ at: world.now(), notice: structuredClone(notice), target }),
    onAction: (action, target) => actions.push({ at: world.now(), action, target }),
  });
  const functionArns: Record<string, string> = {};
  for (const fn of ['ecrPush', 'ecsEvent', 'alarm', 'tick'] as const) {
    const handler = createHandler(fn, async () => pipeline);
    const arn = world.arn('lambda', `function:ecs-autopilot-${fn}`).replace(':ecs:', ':lambda:');
    functionArns[fn] = arn;
    world.functions.set(arn, (event) => handler(event, { ...LAMBDA_CONTEXT, awsRequestId: world.ids.uuid() }));
  }
  if (!options.noRules) {
    const arn = (service: string, resource: string) => `arn:aws:${service}:${world.region}:${world.account}:${resource}`;
    for (const rule of eventRules(config, arn)) {
      await world.events.operations.PutRule!({
        Name: `ecs-autopilot-${rule.name}`,
        ...(rule.pattern ? { EventPattern: JSON.stringify(rule.pattern) } : { ScheduleExpression: rule.schedule }),
        State: 'ENABLED',
      });
      await world.events.operations.PutTargets!({
        Rule: `ecs-autopilot-${rule.name}`,
        Targets: [{ Id: rule.function, Arn: functionArns[rule.function] }],
      });
    }
  }
  return { pipeline, store, notices, actions, functionArns, records: () => store.list() };
}
