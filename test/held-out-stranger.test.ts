import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lostToOwnFailure, OWN_FAILURE_GRACE_MS } from '../local/scenario/invariants.ts';
import { describeVerdictScenarios } from './helpers/verdicts.ts';

const DIR = fileURLToPath(new URL('../scenarios/held-out/stranger/', import.meta.url));

/**
 * A rolling or all-at-once image that crashes once ECS has stopped the old tasks: for the second
 * before the rollback no task is healthy. local/scenario/invariants.ts reported that as a min-healthy
 * violation of the pipeline's, so neither case could be judged.
 */
const FOUND_DEFECTS = [
  'crashloop-all-at-once-1.yml',
  'rolling-6-crash-after-old-gone.yml',
  // All-at-once on a full cluster: no room for any new task. The rollback named no capacity, marked
  // the digest bad, and never finished.
  'ec2-full-all-at-once-healthy.yml',
  // A person scales the service in mid-step: the scheduler's scale-in stops were dropped unread, so
  // the canary, sized for 12, served 80 % beside the 3-task primary until the next look (with
  // `sweep: 30m`, the bake's end).
  'canary-scale-in-by-hand.yml',
  'canary-scale-in-by-hand-sweep-30m.yml',
];

describeVerdictScenarios('held-out stranger scenarios', DIR, FOUND_DEFECTS);

describe('min-healthy: tasks lost to their own failure count as serving for a grace', () => {
  const S = 1000;
  const M = 60 * S;
  it.each([
    { failedAt: [0, 30 * S], now: M, lost: 2 },
    { failedAt: [0, 30 * S], now: 2 * M, lost: 2 },
    { failedAt: [0, 30 * S], now: 2 * M + S, lost: 1 },
    { failedAt: [], now: 5 * M, lost: 0 },
  ])('failed at $failedAt, now $now -> $lost', ({ failedAt, now, lost }) => {
    expect(lostToOwnFailure(failedAt, now)).toBe(lost);
  });

  it('the grace is two minutes: a lost event and the sweep a minute later', () => {
    expect(OWN_FAILURE_GRACE_MS).toBe(2 * M);
  });
});
