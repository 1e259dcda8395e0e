/**
 * The Lambda side: one middy handler per trigger, all the same shape. The handler reads the event,
 * hands it to the pipeline and returns what happened. Middlewares carry the cross-cutting parts:
 * the log context (request id, function), and the one way to fail (lib/errors.ts): every error
 * that reaches `onError` is logged as one JSON line with its stack, then
 *   permanent (a config that does not load, a service that does not exist): acknowledged, with
 *     `status: 'error'` and the reason, so Lambda does not retry it into a crash loop; the error
 *     line is what a person is alerted on (per-service errors also go to Slack, lib/pipeline.ts);
 *   transient (an AWS error, a lost race, out of time): rethrown, so Lambda retries (then the
 *     dead-letter queue), which is safe because every decision is taken from observed state.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { OptionalClients } from './aws.ts';
import type { Config } from './config.ts';
import { partsFromEnvironment } from './environment-pipeline.ts';
import { isPermanent, PermanentError } from './errors.ts';
import { HOOK_RECHECK_S, type HookAnswer } from './hook.ts';
import { inLogContext, log } from './log.ts';
import { keptUnlessFailed } from './once.ts';
import { packagedConfig } from './packaged-config.ts';
import { type HandleResult, Pipeline, type PipelineOptions } from './pipeline.ts';

export type PipelineFactory = () => Promise<Pipeline>;

/** The pipeline did not start: it has no config (a bundle built without one, a config that does not load): a person's problem. */
class PipelineStartError extends PermanentError {
  override name = 'PipelineStartError';
}

/**
 * Built once per Lambda container from the config built into its bundle and the environment
 * (lib/env.ts), with the optional clients the function hands in (functions/tick.ts: ECR). `config`
 * is for a test that runs a handler outside a bundle. The pipeline lives as long as the factory
 * (one per handler, so one per container): two handlers in one process never share one.
 */
export function environmentPipeline(
  optional: OptionalClients = {},
  extra: Pick<PipelineOptions, 'repositoryImages' | 'pushTimes'> = {},
  readConfig: () => Config | Promise<Config> = packagedConfig,
): PipelineFactory {
  // A failed start (no config) is not kept: the next invocation tries again.
  return keptUnlessFailed(() => fromEnvironment(optional, extra, readConfig));
}
export const pipelineFromEnvironment: PipelineFactory = environmentPipeline();

async function fromEnvironment(
  optional: OptionalClients,
  extra: Pick<PipelineOptions, 'repositoryImages' | 'pushTimes'>,
  readConfig: () => Config | Promise<Config>,
): Promise<Pipeline> {
  // The environment is read once, by partsFromEnvironment; the hook's ARNs come from that reading.
  const { env, clients, store, config, slack, waker } = partsFromEnvironment(await readConfig(), optional);
  const { lifecycleHook } = env;
  return new Pipeline({
    clients,
    store,
    config,
    slack,
    ...extra,
    ...(lifecycleHook && { lifecycleHook }),
    ...(waker && { waker }),
    ...(env.packagedAt !== undefined && { deployedAt: env.packagedAt }),
  });
}

/** The one way to fail: see the top of this file. */
export const classifyErrors = (): MiddlewareObj<unknown, HandleResult, Error, Context> => ({
  onError: (request) => {
    const error = request.error;
    if (!error) return;
    const permanent = isPermanent(error);
    const cause = error.cause instanceof Error ? error.cause : error;
    log.error(error instanceof PipelineStartError ? 'config.invalid' : 'handler.error', {
      error: { name: cause.name, message: cause.message, stack: cause.stack },
      permanent,
    });
    if (permanent) request.response = { status: 'error', reason: cause.message };
  },
});

export function createHandler(fn: string, getPipeline: PipelineFactory = pipelineFromEnvironment) {
  const handler = middy<unknown, HandleResult, Error, Context>()
    .use(classifyErrors())
    .handler(async (event, context) => {
      const pipeline = await getPipeline().catch((e: Error) => {
        throw new PipelineStartError(e.message, { cause: e });
      });
      const remaining = () => context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY;
      const result = await pipeline.handleEvent(event, remaining);
      log.info('handled', { status: result.status, reason: result.reason, services: result.services });
      return result;
    });
  return inLogContext(fn, (event: unknown, context: Context) => handler(event, context));
}

/**
 * The ECS lifecycle hook's handler (lib/hook.ts). It never fails: ECS rolls a deployment back when
 * its hook fails, and a pipeline that cannot start (a config that does not load) is no verdict on
 * the image, so it answers IN_PROGRESS and ECS asks again (the error line is what a person sees).
 */
export function createHookHandler(getPipeline: PipelineFactory = pipelineFromEnvironment) {
  const handler = middy<unknown, HookAnswer, Error, Context>().handler(async (event) => {
    let pipeline: Pipeline;
    try {
      pipeline = await getPipeline();
    } catch (e) {
      log.error('config.invalid', { error: { name: (e as Error).name, message: (e as Error).message } });
      return { hookStatus: 'IN_PROGRESS', callBackDelay: HOOK_RECHECK_S * 2 };
    }
    return pipeline.lifecycleHook(event);
  });
  return inLogContext('lifecycleHook', (event: unknown, context: Context) => handler(event, context));
}
