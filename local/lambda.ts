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
 * Invocations run concurrently (core/concurrency.ts): each delivery is a task with its own virtual
 * time, and its AWS calls wait for the clock to reach it, so two invocations delivered within a few
 * hundred ms interleave at their calls and can race on one service. Each concurrent invocation needs
 * its own execution environment: a function's environments are reused warm one at a time, and an
 * invocation that finds none idle starts cold, as Lambda scales out. With the world's latency model
 * off (unit tests) every invocation takes no time, the remaining time is the whole timeout, and
 * invocations delivered at the same instant run one after the other.
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

/** The running invocations of a task, innermost last (a raced twin runs inside the invocation it races). */
const RUNNING = Symbol('lambda invocations');

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

/** One invocation as it ran: its function, event, and virtual start and end (delivery to last call). */
export interface InvocationSpan {
  name: string;
  event: unknown;
  from: number;
  to: number;
  cold: boolean;
  outcome: 'ok' | 'failed' | 'timed out';
}

export class LocalLambda {
  /** Each function's idle execution environments: when each last ended (virtual ms), for warm starts. */
  private readonly idle = new Map<string, number[]>();
  private readonly intercept = (service: string, operation: string) => this.onCall(service, operation);
  /** Cold starts and timeouts so far, for reports. */
  readonly counts = { invocations: 0, coldStarts: 0, timeouts: 0 };
  /** Told of every invocation once it ends (tests: which overlapped). */
  readonly onEnd: ((span: InvocationSpan) => void)[] = [];

  constructor(private readonly world: World) {
    world.interceptors.push(this.intercept);
  }

  dispose(): void {
    const i = this.world.interceptors.indexOf(this.intercept);
    if (i >= 0) this.world.interceptors.splice(i, 1);
  }

  /** Every AWS call of the running invocation costs time; past its timeout, calls fail. */
  private onCall(service: string, operation: string): void {
    const inv = this.world.tasks.stack<Invocation>(RUNNING).at(-1);
    if (!inv) return;
    if (inv.timedOut)
      throw new AwsError(
        'InvocationTimedOut',
        `${timedOutMessage(inv.timeoutMs)} (the function was stopped)`,
      );
    const ms = this.world.latency.call(service, operation);
    inv.spentMs += ms;
    this.world.tasks.spend(ms);
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
      // An idle environment still warm serves it; else Lambda starts a new one (cold).
      const idle = (this.idle.get(name) ?? []).filter((ended) => now - ended <= KEEP_WARM_MS);
      const cold = idle.length === 0;
      idle.pop();
      this.idle.set(name, idle);
      this.counts.invocations++;
      if (cold) this.counts.coldStarts++;
      const startMs = this.world.latency.start(cold);
      this.world.tasks.spend(startMs);
      const inv: Invocation = { timeoutMs: options.timeoutMs, spentMs: startMs, timedOut: false };
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
      const running = this.world.tasks.stack<Invocation>(RUNNING);
      running.push(inv);
      let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, value: await handler(event, context) };
      } catch (error) {
        outcome = { ok: false, error };
      } finally {
        running.splice(running.lastIndexOf(inv), 1);
        this.idle.get(name)!.push(now + inv.spentMs);
      }
      const span: InvocationSpan = {
        name,
        event,
        from: now,
        to: now + inv.spentMs,
        cold,
        outcome: inv.timedOut ? 'timed out' : outcome.ok ? 'ok' : 'failed',
      };
      for (const listener of this.onEnd) listener(span);
      if (inv.timedOut) {
        this.counts.timeouts++;
        throw new Error(timedOutMessage(inv.timeoutMs));
      }
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    };
  }
}
