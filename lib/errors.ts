/**
 * The one way to fail. Every error the pipeline throws on purpose says whether retrying can fix it:
 *
 *   permanent  a person has to act (a service that does not exist, a task definition without the
 *              container, an unreadable record, a config that does not load): logged, acknowledged
 *              (Lambda does not retry it into a crash loop) and told to a person (Slack, per service).
 *   transient  the world may be different in a moment (throttling, a lost race, out of time):
 *              rethrown, so Lambda retries the invocation (then the dead-letter queue).
 *
 * An error nobody classified (an AWS SDK error, a bug) is transient: a retry costs little, since
 * every decision is taken from observed state, and the dead-letter queue keeps what never passes.
 * lib/handler.ts's `onError` middleware applies this to whatever reaches it.
 */

export abstract class PipelineError extends Error {
  /** True: retrying cannot fix it. */
  abstract readonly permanent: boolean;
}

/** Retrying cannot fix it: acknowledged and told to a person. */
export class PermanentError extends PipelineError {
  override name = 'PermanentError';
  readonly permanent = true;
}

/** Retrying may fix it: rethrown for Lambda's retry. */
export class TransientError extends PipelineError {
  override name = 'TransientError';
  readonly permanent = false;
}

/**
 * Whether `e` is an error retrying cannot fix.
 *
 *   new PermanentError('x') -> true    new TransientError('x') -> false
 *   new Error('x') -> false            a throttling error from the SDK -> false    'text' -> false
 */
export function isPermanent(e: unknown): boolean {
  return e instanceof PipelineError && e.permanent;
}
