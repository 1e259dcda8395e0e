/**
 * Time like Lambda and EventBridge (local/lambda.ts, local/core/latency.ts): delivery latency, cold
 * and warm starts, remaining time from the virtual clock, and invocations killed at their timeout.
 * A fixed latency model makes each figure exact.
 */
import { ListClustersCommand } from '@aws-sdk/client-ecs';
import { PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import {
  AWS_CALL,
  at,
  EVENTBRIDGE_TO_LAMBDA,
  type Latency,
  SeededLatency,
} from '../../local/core/latency.ts';
import { LocalLambda, timedOutMessage } from '../../local/lambda.ts';
import { startWorld, type TestWorld, worldPerTest } from '../helpers/world.ts';

const FIXED: Latency = {
  delivery: () => 150,
  start: (cold) => (cold ? 250 : 2),
  call: () => 10_000,
};

/** A world with the FIXED latencies, stopped after the test. */
const fixedWorld = worldPerTest(
  () => startWorld({ latency: FIXED }),
  (tw) => tw.world.stop(),
);

/**
 * The same with a local Lambda runtime on it, disposed after the test even when the test fails
 * (its log tap is process-wide: one left behind would write a later test's lines).
 */
const lambdaWorld = worldPerTest(
  async () => {
    const tw = await startWorld({ latency: FIXED });
    return { tw, lambda: new LocalLambda(tw.world) };
  },
  async ({ tw, lambda }) => {
    lambda.dispose();
    await tw.world.stop();
  },
);

/**
 * A function with a 30 s timeout on a lambdaWorld, running `body`; each `note()` in it records in `seen`
 * the time the invocation has left (context.getRemainingTimeInMillis()).
 */
async function timedFunction(name: string, body: (tw: TestWorld, note: () => void) => Promise<unknown>) {
  const { tw, lambda } = await lambdaWorld();
  const seen: number[] = [];
  const fn = lambda.function(
    name,
    (_event, context) => body(tw, () => seen.push(context.getRemainingTimeInMillis())),
    { timeoutMs: 30_000 },
  );
  return { tw, lambda, seen, fn };
}

describe('the latency model', () => {
  it.each([
    [EVENTBRIDGE_TO_LAMBDA, 0.5, 148],
    [EVENTBRIDGE_TO_LAMBDA, 0.3, 131],
    [EVENTBRIDGE_TO_LAMBDA, 0.99, 387],
    [AWS_CALL, 0, 8],
  ])('at(%j, %f) = %i ms', (q, u, want) => {
    expect(at(q, u)).toBe(want);
  });

  it('draws the same latencies from the same seed', () => {
    const a = new SeededLatency('x');
    const b = new SeededLatency('x');
    const draws = [a.delivery(), a.start(true), a.call()];
    expect([b.delivery(), b.start(true), b.call()]).toEqual(draws);
    expect(draws[0]).toBeGreaterThanOrEqual(80);
    expect(draws[1]).toBeGreaterThanOrEqual(180);
  });
});

describe('the local Lambda runtime', () => {
  it('gives each invocation its remaining time and kills it at its timeout', async () => {
    const { lambda, seen, fn } = await timedFunction('f', async (tw, note) => {
      note();
      for (let i = 0; i < 4; i++) {
        try {
          await tw.ecs.send(new ListClustersCommand({}));
        } catch {
          // A handler that swallows the error still dies at its timeout.
        }
        note();
      }
      return 'done';
    });
    await expect(fn({})).rejects.toThrow(timedOutMessage(30_000));
    // Cold start 250 ms, then 10 s a call: 29 750, 19 750, 9 750, then the call that crosses 30 s.
    expect(seen.slice(0, 4)).toEqual([29_750, 19_750, 9_750, 0]);
    expect(lambda.counts).toEqual({ invocations: 1, coldStarts: 1, timeouts: 1 });
    expect(timedOutMessage(30_000)).toBe('Task timed out after 30.00 seconds');
  });

  it("counts a sleep between attempts (the SDK's back-off) against the timeout, as Lambda counts wall-clock time", async () => {
    const { tw, lambda, seen, fn } = await timedFunction('slept', async (tw, note) => {
      tw.world.tasks.sleep(15_000);
      note();
      await tw.ecs.send(new ListClustersCommand({}));
      note();
      // 250 + 15 000 + 10 000 + 6 000 ms: stopped during the sleep, its next call fails.
      tw.world.tasks.sleep(6_000);
      await tw.ecs.send(new ListClustersCommand({}));
      return 'done';
    });
    // An invocation as EventBridge delivers it: a task with its own virtual time.
    const outcome = tw.world.tasks
      .run(tw.world.now(), () => fn({}))
      .then(
        () => 'ok',
        (e: Error) => e.message,
      );
    await tw.world.runFor(60_000);
    expect(await outcome).toBe(timedOutMessage(30_000));
    expect(seen).toEqual([14_750, 4_750]);
    expect(lambda.counts.timeouts).toBe(1);
  });

  it('starts cold after ten idle minutes, warm before', async () => {
    const { tw, lambda } = await lambdaWorld();
    const remaining: number[] = [];
    const fn = lambda.function('g', async (_e, c) => remaining.push(c.getRemainingTimeInMillis()), {
      timeoutMs: 60_000,
    });
    await fn({});
    await tw.world.runFor(5 * 60_000);
    await fn({});
    await tw.world.runFor(11 * 60_000);
    await fn({});
    expect(remaining).toEqual([59_750, 59_998, 59_750]);
    expect(lambda.counts.coldStarts).toBe(2);
  });

  it("builds a handler per execution environment: a warm start keeps its environment's, a concurrent or cold one has its own", async () => {
    const { tw, lambda } = await lambdaWorld();
    let built = 0;
    /** Which environment (the order it was built in) served each invocation. */
    const served: number[] = [];
    const fn = lambda.functionPerEnvironment(
      'h',
      () => {
        const environment = ++built;
        return async () => {
          served.push(environment);
          // One AWS call: 10 s in flight, so an invocation delivered meanwhile finds none idle.
          await tw.ecs.send(new ListClustersCommand({}));
        };
      },
      { timeoutMs: 60_000 },
    );
    const now = tw.world.now();
    void tw.world.tasks.run(now, () => fn({}));
    void tw.world.tasks.run(now + 1_000, () => fn({}));
    await tw.world.runFor(30_000);
    expect(served).toEqual([1, 2]);
    await fn({});
    await tw.world.runFor(11 * 60_000);
    await fn({});
    expect(served).toEqual([1, 2, 2, 3]);
    expect(lambda.counts.coldStarts).toBe(3);
    // Delivered before the last one's call has come back on the virtual clock: that one is still busy.
    await fn({});
    await tw.world.runFor(30_000);
    await fn({});
    expect(served).toEqual([1, 2, 2, 3, 4, 4]);
    // A deploy retires the warm environments: the next invocation builds anew.
    await tw.world.runFor(30_000);
    lambda.retireEnvironments();
    await fn({});
    expect(served).toEqual([1, 2, 2, 3, 4, 4, 5]);
  });

  it('delivers an event to its target after the delivery latency, not at once', async () => {
    const tw = await fixedWorld();
    const arn = tw.world.arn('lambda', 'function:target');
    const invokedAt: number[] = [];
    tw.world.functions.set(arn, async () => invokedAt.push(tw.world.now()));
    await tw.events.send(
      new PutRuleCommand({ Name: 'all', EventPattern: JSON.stringify({ source: ['app'] }) }),
    );
    await tw.events.send(new PutTargetsCommand({ Rule: 'all', Targets: [{ Id: 't', Arn: arn }] }));
    const putAt = tw.world.now();
    await tw.events.send(
      new PutEventsCommand({ Entries: [{ Source: 'app', DetailType: 'x', Detail: '{}' }] }),
    );
    await tw.world.settle();
    expect(invokedAt).toEqual([]);
    await tw.world.runFor(1000);
    expect(invokedAt).toEqual([putAt + 150]);
  });
});
