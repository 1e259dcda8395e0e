/**
 * What a Lambda execution environment builds its pipeline from: its config (parsed at package time,
 * lib/packaged-config.ts) and, read from its environment (lib/env.ts), the AWS clients, the records
 * table, Slack, the wake-up queue, the ECS lifecycle hook and the package's time. The trigger
 * functions and the hook (lib/handler.ts) and the Slack interaction function (lib/chatops/lambda.ts)
 * all make their `new Pipeline(options)` from this one reading, so they cannot differ: a pipeline
 * without the hook refuses every ecs-* push, a Slack "Retry this digest" among them.
 */
import type { OptionalClients } from './aws.ts';
import { createClients } from './aws.ts';
import { buttonsOn, type Config } from './config.ts';
import { type Env, readEnv } from './env.ts';
import type { PipelineOptions } from './pipeline.ts';
import { createSlack } from './slack/deliver.ts';
import { DynamoRecordStore } from './store.ts';
import { wakerFromEnvironment } from './waker.ts';

/** The pipeline's options as this environment sets them, and the reading they came from. */
export interface EnvironmentPipelineOptions {
  env: Env;
  options: PipelineOptions & { store: DynamoRecordStore };
}

/**
 * Every option the environment gives, none dropped: the clock is Date.now unless `now` is given
 * (a test on the virtual clock), and what only some functions bundle (the ECR client and its
 * lookups, functions/tick.ts) is the caller's to add.
 */
export function pipelineOptionsFromEnvironment(
  config: Config,
  optional: OptionalClients = {},
  now?: () => number,
): EnvironmentPipelineOptions {
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
  const { lifecycleHook, packagedAt } = env;
  return {
    env,
    options: {
      clients,
      store,
      config,
      slack,
      ...(now && { now }),
      ...(waker && { waker }),
      ...(lifecycleHook && { lifecycleHook }),
      ...(packagedAt !== undefined && { deployedAt: packagedAt }),
    },
  };
}
