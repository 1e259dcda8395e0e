/**
 * The local Lambda runtime: runs a handler as Lambda runs an asynchronous invocation, on the world's
 * virtual clock. Each invocation starts cold (its function had no warm environment: never invoked,
 * or idle longer than KEEP_WARM_MS) or warm, and spends virtual time on every AWS call it makes
 * (core/latency.ts); `context.getRemainingTimeInMillis()` is its timeout less that time, and an
 * invocation that runs past its timeout is killed as Lambda kills it: its next AWS call fails, and
 * the invocation fails with "Task timed out after N.NN seconds" whatever the handler does, so
 * EventBridge and Lambda retry it as any function error (1 then 2 minutes later).
 *
 *   const lambda = new LocalLambda(world);
 *   world.functions.set(arn, lambda.function('ecs-autopilot-ecrPush', handler, { timeoutMs: 60_000 }));
 *
 * With the world's latency model off (unit tests) every invocation takes no time and the remaining
 * time is the whole timeout. Invocations still run one at a time, in due order: the virtual clock
 * does not move while one runs, so an invocation's effects land at the time it was delivered.
 * Sources: Lambda Developer Guide, "Using the Lambda context object to retrieve Node.js function
 * information" (getRemainingTimeInMillis), "Configure Lambda function timeout" ("Lambda stops the
 * function" at the timeout), "Error handling and automatic retries" (timeouts are function errors).
 */
import { AwsError } from './core/errors.ts';
import { KEEP_WARM_MS } from './core/latency.ts';
import type { World } from './world.ts';

export interface LambdaFunctionOptions {
  /** The function's timeout (serverless.yml `timeout`), ms. */
  timeoutMs: number;
  memoryMb?: number;
}

/** One invocation: its virtual time spent so far, and whether it ran out of time. */
interface Invocation {
  timeoutMs: number;
  spentMs: number;
  timedOut: boolean;
}

/** What Lambda's log says when it stops a function at its timeout. */
export function timedOutMessage(timeoutMs: number): string {
  return `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`;
}

export class LocalLambda {
  /** Invocations running now, innermost last (a raced twin runs inside the invocation it races). */
  private readonly running: Invocation[] = [];
  /** When each function's last invocation ended (virtual ms), for cold and warm starts. */
  private readonly lastEnded = new Map<string, number>();
  private readonly intercept = (service: string, operation: string) => this.onCall(service, operation);
  /** Cold starts and timeouts so far, for reports. */
  readonly counts = { invocations: 0, coldStarts: 0, timeouts: 0 };

  constructor(private readonly world: World) {
    world.interceptors.push(this.intercept);
  }

  dispose(): void {
    const i = this.world.interceptors.indexOf(this.intercept);
    if (i >= 0) this.world.interceptors.splice(i, 1);
  }

  /** Every AWS call of the running invocation costs time; past its timeout, calls fail. */
  private onCall(service: string, operation: string): void {
    const inv = this.running.at(-1);
    if (!inv) return;
    if (inv.timedOut)
      throw new AwsError(
        'InvocationTimedOut',
        `${timedOutMessage(inv.timeoutMs)} (the function was stopped)`,
      );
    inv.spentMs += this.world.latency.call(service, operation);
    if (inv.spentMs > inv.timeoutMs) {
      inv.timedOut = true;
      throw new AwsError(
        'InvocationTimedOut',
        `${timedOutMessage(inv.timeoutMs)} (the function was stopped)`,
      );
    }
  }

  /** A function as EventBridge targets it: the handler, run with a Lambda context. */
  function(
    name: string,
    handler: (event: any, context: any) => Promise<unknown>,
    options: LambdaFunctionOptions,
  ): (event: any) => Promise<unknown> {
    return async (event: any) => {
      const now = this.world.now();
      const last = this.lastEnded.get(name);
      const cold = last === undefined || now - last > KEEP_WARM_MS;
      this.counts.invocations++;
      if (cold) this.counts.coldStarts++;
      const inv: Invocation = {
        timeoutMs: options.timeoutMs,
        spentMs: this.world.latency.start(cold),
        timedOut: false,
      };
      const context = {
        callbackWaitsForEmptyEventLoop: false,
        functionName: name,
        functionVersion: '$LATEST',
        invokedFunctionArn: this.world.arn('lambda', `function:${name}`),
        memoryLimitInMB: String(options.memoryMb ?? 256),
        awsRequestId: this.world.ids.uuid(),
        logGroupName: `/aws/lambda/${name}`,
        logStreamName: 'local',
        getRemainingTimeInMillis: () => Math.max(0, inv.timeoutMs - inv.spentMs),
        done: () => {},
        fail: () => {},
        succeed: () => {},
      };
      this.running.push(inv);
      let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, value: await handler(event, context) };
      } catch (error) {
        outcome = { ok: false, error };
      } finally {
        this.running.splice(this.running.lastIndexOf(inv), 1);
        this.lastEnded.set(name, now);
      }
      if (inv.timedOut) {
        this.counts.timeouts++;
        throw new Error(timedOutMessage(inv.timeoutMs));
      }
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    };
  }
}
