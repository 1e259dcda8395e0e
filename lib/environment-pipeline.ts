/**
 * What a Lambda container builds its pipeline from: its config (parsed at package time,
 * lib/packaged-config.ts) and, read from its environment (lib/env.ts), the AWS clients, the records
 * table and Slack. The trigger functions (lib/handler.ts)
 * and the Slack interaction function (lib/chatops/lambda.ts) both take them from here, so the two
 * cannot differ in how; each makes its own `new Pipeline(parts)`.
 */
import { type Clients, createClients, type OptionalClients } from './aws.ts';
import { buttonsOn, type Config } from './config.ts';
import { type Env, readEnv } from './env.ts';
import { createSlack, type Slack } from './slack/deliver.ts';
import { DynamoRecordStore } from './store.ts';
import { type Waker, wakerFromEnvironment } from './waker.ts';

export interface PipelineParts {
  env: Env;
  config: Config;
  clients: Clients;
  store: DynamoRecordStore;
  slack: Slack;
  /** Absent when the stack has no wake queue (AUTOPILOT_WAKE_QUEUE_URL unset). */
  waker?: Waker;
}

export function partsFromEnvironment(config: Config, optional: OptionalClients = {}): PipelineParts {
  const env = readEnv();
  const clients = createClients({}, optional);
  const store = new DynamoRecordStore(clients.dynamodb, env.table);
  const slack = createSlack({
    ssm: clients.ssm,
    region: env.region,
    defaultWebhook: env.slackParameter,
    buttons: buttonsOn(config),
  });
  const waker = wakerFromEnvironment(env);
  return { env, config, clients, store, slack, ...(waker && { waker }) };
}
