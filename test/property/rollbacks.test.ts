/**
 * Bad images under faults: a crashing image, one that fails its health checks, one that cannot be
 * pulled, one whose 5xx rate trips the gate alarm. Whatever the fault schedule, every invariant
 * holds and a bad image that reached the pipeline is rolled back and remembered, the primary back
 * on its revision with all its tasks. FAULT_SEED and FAULT_RUNS override the seed and the count.
 */
import { describe, it } from 'vitest';
import { expectFaultsHandled } from './harness.ts';

const SEED = Number(process.env.FAULT_SEED ?? 20_260_802);
const RUNS = Number(process.env.FAULT_RUNS ?? 80);

describe('bad images under fault schedules', () => {
  it(
    `crashing, unhealthy, pull-error, 5xx alarm: ${RUNS} schedules (seed ${SEED})`,
    () =>
      expectFaultsHandled(
        'bad images',
        ['crashing image', 'unhealthy image', 'pull-error image', '5xx alarm'],
        { seed: SEED, runs: RUNS },
      ),
    300_000,
  );
});
