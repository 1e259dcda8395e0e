/**
 * Exact wake-ups instead of a tick (lib/wake.ts, lib/waker.ts): a step moves on when its bake ends,
 * to the second, with the sweep 30 minutes away; and a lost event is still repaired by the sweep
 * within its period.
 */
import { describe, expect, it } from 'vitest';
import { Pipeline } from '../../lib/pipeline.ts';
import { wakeBody } from '../../lib/wake.ts';
import { usePipelineWorld } from '../helpers/pipeline-world.ts';

const MIN = 60_000;
const world = usePipelineWorld();

describe('exact wake-ups', () => {
  it('each step moves on at its bake end, to the second, with no tick in between', async () => {
    const t = await world({ sweep: '30m' });
    const start = t.world.now();
    t.world.ecr.push('web', 'v2');
    const bakeEnds: number[] = [];
    // Watch the record: when each step's bake started, and when the next step began.
    const reached: number[] = [];
    for (let i = 0; i < 20 * 60; i++) {
      await t.world.runFor(1000, 1000);
      const r = (await t.records())[0]!;
      const step = r.rollout?.steps[r.rollout.stepIndex];
      if (step?.healthyAt !== undefined && !bakeEnds.includes(step.healthyAt + step.bakeMs))
        bakeEnds.push(step.healthyAt + step.bakeMs);
      if (r.rollout && !reached.includes(r.rollout.stepIndex)) reached.push(r.rollout.stepIndex);
      if (!r.rollout && r.history.length > 0) break;
    }
    const record = (await t.records())[0]!;
    expect(record.history.at(-1)?.outcome).toBe('succeeded');
    // Within 30 minutes of the push: no sweep ran, the wake-ups alone did it.
    expect(record.history.at(-1)!.endedAt - start).toBeLessThan(30 * MIN);
    expect(t.lambda.counts.invocations).toBeGreaterThan(0);
    expect(t.world.apiCalls['dynamodb:Query'] ?? 0).toBe(0);
    // Steps 2 and 3 began within 2 s of the bake before them ending (SQS rounds up to the second).
    const starts = record.history.at(-1)!.steps.map((s) => s.reachedAt!);
    expect(bakeEnds).toHaveLength(3);
    for (const i of [1, 2]) {
      expect(starts[i]! - bakeEnds[i - 1]!).toBeGreaterThanOrEqual(0);
      expect(starts[i]! - bakeEnds[i - 1]!).toBeLessThanOrEqual(2000);
    }
    expect(record.history.at(-1)!.endedAt - bakeEnds[2]!).toBeLessThanOrEqual(2000);
  });

  it('a wake-up left for lack of time comes back from SQS, not acknowledged to wait for the sweep', async () => {
    const t = await world({ sweep: '30m' });
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(2 * MIN);
    const before = (await t.records())[0]!;
    const at = before.wake!.at;
    // The record's own moment, due, reached by an invocation with 5 s left (a reconcile needs 15).
    const late = new Pipeline({ ...t.pipeline.options, now: () => at });
    const message = { messageId: 'm1', eventSource: 'aws:sqs', body: wakeBody(before.key, at) };
    const result = await late.handleEvent({ Records: [message] }, () => 5_000);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect((await t.records())[0]!.version).toBe(before.version);
    // With its time, the same message is handled and acknowledged.
    const handled = await late.handleEvent({ Records: [message] });
    expect(handled.batchItemFailures).toBeUndefined();
    expect(handled.services).toEqual([before.key]);
  });

  it('a lost event is repaired by the sweep within its period', async () => {
    // The crash is told only by task events, all lost; the step's deadline is an hour away.
    const t = await world({
      sweep: '5m',
      images: { 'web:v2': { crash: { after: '20s', exitCode: 1 } } },
      target: { stepDeadline: '1h' },
    });
    t.world.events.faults = {
      onDeliver: (d: any) => (d.event.source === 'aws.ecs' ? 'drop' : 'deliver'),
    };
    const pushed = t.world.now();
    t.world.ecr.push('web', 'v2');
    await t.world.runFor(12 * MIN);
    const record = (await t.records())[0]!;
    const last = record.history.at(-1)!;
    expect(last).toMatchObject({ outcome: 'rolled_back', image: { tag: 'v2' } });
    expect(last.reason).toMatch(/exit code 1/);
    // The crash at 20 s, then at most one sweep period (and the latency of one reconcile).
    expect(last.endedAt - pushed).toBeLessThanOrEqual(20_000 + 5 * MIN + MIN);
    expect(t.world.events.deliveries.some((d) => d.outcome === 'dropped')).toBe(true);
  });
});
