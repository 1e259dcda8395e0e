/**
 * Invocations in flight on the virtual clock (local/core/concurrency.ts): they interleave at their
 * calls by virtual time, ties go to the first delivered (or round-robin), and a limit makes the rest wait.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/core/clock.ts';
import { Concurrency } from '../../local/core/concurrency.ts';
import { parseScenario } from '../../local/scenario/parse.ts';

/** A task making `calls` calls of `ms` each, logging `name#i` at each call's virtual time. */
function invocation(
  tasks: Concurrency,
  clock: VirtualClock,
  log: string[],
  name: string,
  calls: number,
  ms: number,
) {
  return async () => {
    for (let i = 0; i < calls; i++) {
      await tasks.turn();
      log.push(`${name}${i}@${clock.now() - 1000}`);
      tasks.spend(ms);
    }
  };
}

/** Drives the clock as the world does: run what is due, then move to the next task's time. */
async function drive(tasks: Concurrency, clock: VirtualClock) {
  await tasks.idle();
  for (let next = tasks.nextDue(); next !== undefined; next = tasks.nextDue()) {
    clock.advanceTo(Math.max(next, clock.now()));
    await tasks.idle();
  }
}

describe('concurrent invocations on the virtual clock', () => {
  it('interleave at their calls by virtual time', async () => {
    const clock = new VirtualClock(1000);
    const tasks = new Concurrency(clock);
    const log: string[] = [];
    void tasks.run(1000, invocation(tasks, clock, log, 'a', 3, 30));
    void tasks.run(1010, invocation(tasks, clock, log, 'b', 3, 30));
    await drive(tasks, clock);
    expect(log).toEqual(['a0@0', 'b0@10', 'a1@30', 'b1@40', 'a2@60', 'b2@70']);
    expect(tasks.counts.maxInFlight).toBe(2);
  });

  it('with no latency, one delivered first runs to its end; interleave makes them take turns', async () => {
    for (const [interleave, expected] of [
      [false, ['a0@0', 'a1@0', 'b0@0', 'b1@0']],
      [true, ['a0@0', 'b0@0', 'a1@0', 'b1@0']],
    ] as const) {
      const clock = new VirtualClock(1000);
      const tasks = new Concurrency(clock, { interleave });
      const log: string[] = [];
      void tasks.run(1000, invocation(tasks, clock, log, 'a', 2, 0));
      void tasks.run(1000, invocation(tasks, clock, log, 'b', 2, 0));
      await drive(tasks, clock);
      expect(log).toEqual(expected);
    }
  });

  it('beyond the limit, a delivery waits for a free slot', async () => {
    const clock = new VirtualClock(1000);
    const tasks = new Concurrency(clock, { limit: 1 });
    const log: string[] = [];
    void tasks.run(1000, invocation(tasks, clock, log, 'a', 2, 50));
    void tasks.run(1010, invocation(tasks, clock, log, 'b', 1, 50));
    await drive(tasks, clock);
    expect(log).toEqual(['a0@0', 'a1@50', 'b0@100']);
    expect(tasks.counts).toMatchObject({ maxInFlight: 1, waitedForSlot: 1 });
    expect(() => new Concurrency(clock, { limit: 0 })).toThrow(/at least 1/);
  });

  it('a scenario sets the limit and interleaving under lambda:, and refuses a bad one', () => {
    const where = { file: 'x.yml' };
    const s = parseScenario('name: x\nlambda: { concurrency: 5, interleave: true }\n', where);
    expect(s.lambda).toEqual({ concurrency: 5, interleave: true });
    expect(() => parseScenario('name: x\nlambda: { concurrency: 0 }\n', where)).toThrow(
      /lambda\.concurrency: must be an integer from 1 to 1000, got 0/,
    );
    expect(() => parseScenario('name: x\nlambda: { interleav: true }\n', where)).toThrow(/interleav/);
  });
});
