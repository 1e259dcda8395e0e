/**
 * The local Lambda runtime: runs a handler as Lambda runs an asynchronous invocation, on the world's
 * virtual clock. Each invocation starts cold (its function had no warm environment: never invoked,
 * or idle longer than KEEP_WARM_MS) or warm, and spends virtual time on every AWS call it makes
 * (core/latency.ts) and on every sleep between attempts of a call (the SDK's retry back-off, when a
 * world spends it on the virtual clock: core/concurrency.ts sleep); `context.getRemainingTimeInMillis()`
 * is its timeout less that time, and an
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
 *
 * Logs, as Lambda keeps them: every line an invocation logs (lib/log.ts) goes to the log group
 * `/aws/lambda/<function>` of the local CloudWatch Logs, in one stream per execution environment
 * (`2026/01/01/[$LATEST]<id>`, a new one on each cold start), stamped with the invocation's time
 * (its start plus the time its calls took), between Lambda's own `START RequestId: …`, `END
 * RequestId: …` and `REPORT RequestId: … Duration: …` lines; a timeout adds `Task timed out after …`.
 *
 * Sources: Lambda Developer Guide, "Using the Lambda context object to retrieve Node.js function
 * information" (getRemainingTimeInMillis), "Configure Lambda function timeout" ("Lambda stops the
 * function" at the timeout), "Error handling and automatic retries" (timeouts are function errors).
 */
import { createHash } from 'node:crypto';
import { addLogTap } from '../lib/log.ts';
import { AwsError } from './core/errors.ts';
import { KEEP_WARM_MS } from './core/latency.ts';
import type { World } from './world.ts';

type Handler = (event: any, context: any) => Promise<unknown>;

export interface LambdaFunctionOptions {
  /** The function's timeout (serverless.yml `timeout`), ms. */
  timeoutMs: number;
  memoryMb?: number;
}

/**
 * The running invocations of a task, innermost last (a raced twin runs inside the invocation it
 * races); exported so a test can tell which invocation made a call.
 */
export const RUNNING = Symbol('lambda invocations');

/** One invocation: its virtual time spent so far, and whether it ran out of time. */
interface Invocation {
  timeoutMs: number;
  spentMs: number;
  timedOut: boolean;
  /** Where its lines go: `/aws/lambda/<function>`, its environment's stream, its start time. */
  logGroup: string;
  logStream: string;
  startedAt: number;
}

/** `2026/01/01/[$LATEST]<32 hex>`: Lambda names a stream by day, version and environment. */
export function logStreamName(at: number, id: string): string {
  const day = new Date(at).toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/[$LATEST]${id}`;
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
  /**
   * Each function's idle execution environments: when each last ended (virtual ms), for warm starts,
   * and its handler (what a module keeps at its top level lives as long as its environment).
   */
  private readonly idle = new Map<string, { ended: number; handler: Handler }[]>();
  private readonly intercept = (service: string, operation: string) => this.onCall(service, operation);
  private readonly sleep = (ms: number) => this.onSleep(ms);
  /** Each function's current execution environment's log stream. */
  private readonly streams = new Map<string, string>();
  private readonly removeTap: () => void;
  /** Cold starts and timeouts so far, for reports. */
  readonly counts = { invocations: 0, coldStarts: 0, timeouts: 0 };
  /** Told of every invocation once it ends (tests: which overlapped). */
  readonly onEnd: ((span: InvocationSpan) => void)[] = [];

  constructor(private readonly world: World) {
    world.interceptors.push(this.intercept);
    world.tasks.sleeps.push(this.sleep);
    this.removeTap = addLogTap((line) => {
      const inv = this.world.tasks.stack<Invocation>(RUNNING).at(-1);
      if (inv) this.writeLog(inv, line);
    });
  }

  /** One line into the invocation's log stream, at the invocation's time. */
  private writeLog(inv: Invocation, message: string): void {
    this.world.logs.put(inv.logGroup, inv.logStream, [{ timestamp: inv.startedAt + inv.spentMs, message }]);
  }

  /** A deploy: the next invocation of every function starts cold, in a new environment. */
  retireEnvironments(): void {
    this.idle.clear();
  }

  dispose(): void {
    this.removeTap();
    const i = this.world.interceptors.indexOf(this.intercept);
    if (i >= 0) this.world.interceptors.splice(i, 1);
    const j = this.world.tasks.sleeps.indexOf(this.sleep);
    if (j >= 0) this.world.tasks.sleeps.splice(j, 1);
  }

  /**
   * A sleep of the running invocation (the SDK's back-off between attempts) is its time as much as a
   * call is: Lambda's timeout counts wall-clock time, so past it the function is stopped, and its
   * next call fails.
   */
  private onSleep(ms: number): void {
    const inv = this.world.tasks.stack<Invocation>(RUNNING).at(-1);
    if (!inv) return;
    inv.spentMs += ms;
    if (inv.spentMs > inv.timeoutMs) inv.timedOut = true;
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
  function(name: string, handler: Handler, options: LambdaFunctionOptions): (event: any) => Promise<unknown> {
    return this.functionPerEnvironment(name, () => handler, options);
  }

  /**
   * A function whose handler is made anew in each execution environment, as Lambda runs a module's
   * top level once per environment (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html):
   * what one environment keeps (a cache, a hint) another, started cold beside it, does not have.
   */
  functionPerEnvironment(
    name: string,
    makeHandler: () => Handler,
    options: LambdaFunctionOptions,
  ): (event: any) => Promise<unknown> {
    return async (event: any) => {
      const now = this.world.now();
      // An idle environment still warm serves it; else Lambda starts a new one (cold). One whose
      // invocation ends later on the virtual clock is still busy now (its calls ran ahead in real time).
      const environments = (this.idle.get(name) ?? []).filter((env) => now - env.ended <= KEEP_WARM_MS);
      const free = environments.findLastIndex((env) => env.ended <= now);
      const cold = free < 0;
      const handler = cold ? makeHandler() : environments.splice(free, 1)[0]!.handler;
      this.idle.set(name, environments);
      this.counts.invocations++;
      if (cold) this.counts.coldStarts++;
      const startMs = this.world.latency.start(cold);
      this.world.tasks.spend(startMs);
      if (cold || !this.streams.has(name)) {
        const id = createHash('sha256')
          .update(`${name}\0${this.counts.coldStarts}`)
          .digest('hex')
          .slice(0, 32);
        this.streams.set(name, logStreamName(now, id));
      }
      const inv: Invocation = {
        timeoutMs: options.timeoutMs,
        spentMs: startMs,
        timedOut: false,
        logGroup: `/aws/lambda/${name}`,
        logStream: this.streams.get(name)!,
        startedAt: now,
      };
      const context = {
        callbackWaitsForEmptyEventLoop: false,
        functionName: name,
        functionVersion: '$LATEST',
        invokedFunctionArn: this.world.arn('lambda', `function:${name}`),
        memoryLimitInMB: String(options.memoryMb ?? 256),
        awsRequestId: this.world.ids.uuid(),
        logGroupName: inv.logGroup,
        logStreamName: inv.logStream,
        getRemainingTimeInMillis: () => Math.max(0, inv.timeoutMs - inv.spentMs),
        done: () => {},
        fail: () => {},
        succeed: () => {},
      };
      const requestId = context.awsRequestId;
      this.writeLog(inv, `START RequestId: ${requestId} Version: $LATEST`);
      const running = this.world.tasks.stack<Invocation>(RUNNING);
      running.push(inv);
      let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, value: await handler(event, context) };
      } catch (error) {
        outcome = { ok: false, error };
      } finally {
        running.splice(running.lastIndexOf(inv), 1);
        this.idle.get(name)!.push({ ended: now + inv.spentMs, handler });
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
        const at = new Date(inv.startedAt + inv.timeoutMs).toISOString();
        this.writeLog(inv, `${at} ${requestId} ${timedOutMessage(inv.timeoutMs)}`);
      }
      const ms = Math.min(inv.spentMs, inv.timeoutMs);
      this.writeLog(inv, `END RequestId: ${requestId}`);
      this.writeLog(
        inv,
        `REPORT RequestId: ${requestId}\tDuration: ${ms.toFixed(2)} ms\tBilled Duration: ${Math.max(1, Math.ceil(ms))} ms\tMemory Size: ${options.memoryMb ?? 256} MB`,
      );
      if (inv.timedOut) {
        this.counts.timeouts++;
        throw new Error(timedOutMessage(inv.timeoutMs));
      }
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    };
  }
}
