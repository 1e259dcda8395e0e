/**
 * Good images under faults: whatever EventBridge, Lambda, AWS and the record store do (duplicates,
 * delays, reordering, losses, killed invocations, throttling, failed calls, lost conditional
 * writes, concurrent invocations, Slack errors), every invariant holds all along and the newest
 * good image that reached the pipeline ends deployed. Seeded: the same schedules on every run.
 * FAULT_SEED and FAULT_RUNS override the seed and the number of schedules (e.g. a long run).
 */
import { describe, expect, it } from 'vitest';
import { checkFaults, summary } from './harness.ts';

const SEED = Number(process.env.FAULT_SEED ?? 20_260_801);
const RUNS = Number(process.env.FAULT_RUNS ?? 70);

describe('good images under fault schedules', () => {
  it(`healthy push, duplicate push, two pushes a minute apart: ${RUNS} schedules (seed ${SEED})`, async () => {
    const result = await checkFaults(['healthy push', 'duplicate push', 'two pushes a minute apart'], {
      seed: SEED,
      numRuns: RUNS,
      timeLimitMs: 240_000,
    });
    console.log(summary('good images', SEED, result));
    if (result.failure) expect.fail(result.failure);
    expect(result.runs).toBeGreaterThanOrEqual(RUNS);
  }, 300_000);
});
