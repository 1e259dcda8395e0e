/**
 * The Lambda side: one middy handler per trigger, all the same shape. The handler reads the event,
 * hands it to the pipeline and returns what happened. A wrapper gives every log line the
 * invocation's context (function, request id: `inLogContext`, lib/log.ts; a wrapper, not a
 * middleware, because the context must hold across the whole invocation's awaits, which only
 * AsyncLocalStorage.run around it does), and a middleware is the one way to fail (lib/errors.ts):
 * every error that reaches `onError` is logged as one JSON line with its stack (lib/log.ts), then
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
import { pipelineOptionsFromEnvironment } from './environment-pipeline.ts';
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
 * The pipeline of one Lambda execution environment, built at its first invocation from the config
 * built into its bundle and the environment (lib/environment-pipeline.ts), with the optional
 * clients the function hands in (functions/tick.ts: ECR), then kept for the warm invocations that
 * follow (its ObserveMemory and missed-push checks are worth keeping). A failed start (no config)
 * is not kept: the next invocation tries again. The pipeline lives as long as its factory, and
 * each call of pipelineFactory is a new factory: each handler has its own (functions/*.ts makes
 * one when its module loads, so one per execution environment), and nothing is shared at module
 * level. `readConfig` is for a test that runs a handler outside a bundle.
 */
export function pipelineFactory(
  optional: OptionalClients = {},
  extra: Pick<PipelineOptions, 'repositoryImages' | 'pushTimes'> = {},
  readConfig: () => Config | Promise<Config> = packagedConfig,
): PipelineFactory {
  return keptUnlessFailed(
    async () =>
      new Pipeline({ ...pipelineOptionsFromEnvironment(await readConfig(), optional).options, ...extra }),
  );
}

/** The one way to fail: see the top of this file. */
const classifyErrors = (): MiddlewareObj<unknown, HandleResult, Error, Context> => ({
  onError: (request) => {
    const error = request.error;
    if (!error) return;
    const permanent = isPermanent(error);
    const cause = error.cause instanceof Error ? error.cause : error;
    log.error(error instanceof PipelineStartError ? 'config.invalid' : 'handler.error', {
      error: cause,
      permanent,
    });
    if (permanent) request.response = { status: 'error', reason: cause.message };
  },
});

/**
 * middy's options for a host other than Lambda: the local world's Lambda runs the handler on the
 * virtual clock and enforces its timeout there (local/lambda.ts), while middy's early timeout is a
 * real-time timer set from the remaining time the context reports, which a sim with hundreds of
 * invocations in flight outlives (`timeoutEarlyInMillis: 0` turns it off). In Lambda: middy's defaults.
 */
export interface HandlerHost {
  timeoutEarlyInMillis?: number;
}

/** `getPipeline`'s default is evaluated at each call: a handler made without one has a pipeline of its own. */
export function createHandler(
  fn: string,
  getPipeline: PipelineFactory = pipelineFactory(),
  host: HandlerHost = {},
) {
  const handler = middy<unknown, HandleResult, Error, Context>(host)
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
export function createHookHandler(getPipeline: PipelineFactory = pipelineFactory(), host: HandlerHost = {}) {
  const handler = middy<unknown, HookAnswer, Error, Context>(host).handler(async (event) => {
    let pipeline: Pipeline;
    try {
      pipeline = await getPipeline();
    } catch (e) {
      // The same line as `onError`'s for a pipeline that does not start, stack and all (lib/log.ts).
      log.error('config.invalid', { error: e, permanent: true });
      return { hookStatus: 'IN_PROGRESS', callBackDelay: HOOK_RECHECK_S * 2 };
    }
    return pipeline.lifecycleHook(event);
  });
  return inLogContext('lifecycleHook', (event: unknown, context: Context) => handler(event, context));
}
