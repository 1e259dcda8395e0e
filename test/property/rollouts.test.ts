/**
 * Good images under faults: whatever EventBridge, Lambda, AWS and the record store do (duplicates,
 * delays, reordering, losses, killed invocations, throttling, failed calls, lost conditional
 * writes, concurrent invocations, Slack errors), every invariant holds all along and the newest
 * good image that reached the pipeline ends deployed. Seeded: the same schedules on every run.
 * FAULT_SEED and FAULT_RUNS override the seed and the number of schedules (e.g. a long run).
 */
import { describe, it } from 'vitest';
import { expectFaultsHandled } from './harness.ts';

const SEED = Number(process.env.FAULT_SEED ?? 20_260_801);
const RUNS = Number(process.env.FAULT_RUNS ?? 70);

describe('good images under fault schedules', () => {
  it(
    `healthy push, duplicate push, two pushes a minute apart: ${RUNS} schedules (seed ${SEED})`,
    () =>
      expectFaultsHandled('good images', ['healthy push', 'duplicate push', 'two pushes a minute apart'], {
        seed: SEED,
        runs: RUNS,
      }),
    300_000,
  );
});
