/** The one notice type: what the outbox keeps of it (bounded), and the setting it is told under. */
import { describe, expect, it } from 'vitest';
import { bounded, FAILURES_KEPT, type Notice, noticeSetting, REASON_KEPT } from '../lib/notice.ts';
import type { Rollout } from '../lib/record.ts';

const rollout: Rollout = {
  id: 'r1',
  image: { repository: 'web', tag: 'v2', digest: 'sha256:ab', uri: 'x@sha256:ab' },
  strategy: 'canary',
  steps: [
    { percent: 10, bakeMs: 60_000, startedAt: 5, healthyAt: 6 },
    { percent: 100, bakeMs: 0 },
  ],
  stepIndex: 0,
  fromTaskDefinition: 'web:1',
  taskDefinition: 'web:2',
  startedAt: 1,
  failures: [{ taskArn: 't', taskDefinition: 'web:2', stoppedReason: 's', at: 2 }],
  ignoredAlarms: ['a'],
};
const failure = (i: number) => ({
  taskArn: `t${i}`,
  taskDefinition: 'web:2',
  stoppedReason: 'exited',
  at: i,
});

describe('bounded: the notice as the outbox keeps it', () => {
  it('keeps of a rollout only what a message shows', () => {
    const n = bounded({ kind: 'succeeded', rollout, durationMs: 9 });
    expect(n).toEqual({
      kind: 'succeeded',
      durationMs: 9,
      rollout: {
        id: 'r1',
        image: rollout.image,
        strategy: 'canary',
        steps: [
          { percent: 10, bakeMs: 60_000 },
          { percent: 100, bakeMs: 0 },
        ],
        stepIndex: 0,
        fromTaskDefinition: 'web:1',
        taskDefinition: 'web:2',
        startedAt: 1,
      },
    });
  });

  it.each([
    [25, FAILURES_KEPT, 25],
    [3, 3, 3],
    [0, 0, 0],
  ])('rolled back with %i failures keeps %i and counts %i', (count, kept, counted) => {
    const n = bounded({
      kind: 'rolled_back',
      rollout,
      reason: 'r'.repeat(4000),
      failures: Array.from({ length: count }, (_, i) => failure(i)),
      toTaskDefinition: 'web:1',
    }) as Extract<Notice, { kind: 'rolled_back' }>;
    expect(n.failures).toHaveLength(kept);
    expect(n.failureCount).toBe(counted);
    expect(n.reason).toHaveLength(REASON_KEPT);
    expect(n.reason.endsWith('…')).toBe(true);
  });

  it('is the same notice when bounded twice', () => {
    const once = bounded({
      kind: 'rolled_back',
      rollout,
      reason: 'x',
      failures: Array.from({ length: 30 }, (_, i) => failure(i)),
      toTaskDefinition: 'web:1',
    });
    expect(bounded(once)).toEqual(once);
  });
});

describe('noticeSetting', () => {
  it.each([
    ['rolled_back', 'rolled_back'],
    ['scaled', 'scaled'],
    ['blocked', 'error'],
  ] as const)('%s is told under %s', (kind, setting) => {
    expect(noticeSetting(kind)).toBe(setting);
  });
});
