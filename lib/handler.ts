/**
 * The Lambda side: one middy handler per trigger, all the same shape. The handler reads the event,
 * hands it to the pipeline and returns what happened. Middlewares carry the cross-cutting parts:
 * the log context (request id, function), and the one way to fail: bad input is logged with its
 * reason and acknowledged (never a crash loop); a transient AWS error is rethrown so Lambda retries
 * (then the dead-letter queue), which is safe because every decision is taken from observed state.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { createClients, type OptionalClients } from './aws.ts';
import { loadConfig } from './config.ts';
import { log, setLogContext } from './log.ts';
import { type HandleResult, Pipeline, type PipelineOptions } from './pipeline.ts';
import { createSlack } from './slack/deliver.ts';
import { DEFAULT_WEBHOOK_PARAMETER } from './slack/webhook.ts';
import { DynamoRecordStore } from './store.ts';

export type PipelineFactory = () => Promise<Pipeline>;

/**
 * Built once per Lambda container from the environment: the config file, the table, Slack's default
 * webhook; with the optional clients the function hands in (functions/tick.ts: ECR).
 */
let cached: Promise<Pipeline> | undefined;
export const environmentPipeline =
  (optional: OptionalClients = {}, extra: Pick<PipelineOptions, 'repositoryImages'> = {}): PipelineFactory =>
  () =>
    fromEnvironment(optional, extra);
export const pipelineFromEnvironment: PipelineFactory = environmentPipeline();

function fromEnvironment(
  optional: OptionalClients,
  extra: Pick<PipelineOptions, 'repositoryImages'>,
): Promise<Pipeline> {
  cached ??= (async () => {
    const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
    const file = process.env.AUTOPILOT_CONFIG_FILE ?? `${root}/autopilot.yml`;
    const config = await loadConfig(file);
    const clients = createClients({}, optional);
    const store = new DynamoRecordStore(clients.dynamodb, process.env.AUTOPILOT_TABLE ?? 'ecs-autopilot');
    const slack = createSlack({
      ssm: clients.ssm,
      region: process.env.AWS_REGION ?? 'us-east-1',
      defaultWebhook: process.env.AUTOPILOT_SLACK_PARAMETER ?? DEFAULT_WEBHOOK_PARAMETER,
    });
    return new Pipeline({ clients, store, config, slack, ...extra });
  })();
  // A failed start (a bad config) must not be cached forever: the next invocation tries again.
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}

const logContext = (fn: string): MiddlewareObj<unknown, HandleResult, Error, Context> => ({
  before: (request) => {
    setLogContext({ function: fn, requestId: request.context?.awsRequestId });
  },
});

export function createHandler(fn: string, getPipeline: PipelineFactory = pipelineFromEnvironment) {
  return middy<unknown, HandleResult, Error, Context>()
    .use(logContext(fn))
    .handler(async (event, context) => {
      let pipeline: Pipeline;
      try {
        pipeline = await getPipeline();
      } catch (e) {
        // A config that does not load is a person's problem: acknowledged, loudly, not retried.
        log.error('config.invalid', { error: e as Error });
        return { status: 'error', reason: (e as Error).message };
      }
      const remaining = () => context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY;
      const result = await pipeline.handleEvent(event, remaining);
      log.info('handled', { status: result.status, reason: result.reason, services: result.services });
      return result;
    });
}
