/** The worked examples of lib/observe-rules.ts, one row each. */
import { describe, expect, it } from 'vitest';
import { freshLookNeeded, observePlan, serviceEventWorthALook } from '../lib/observe-rules.ts';
import type { Rollout } from '../lib/record.ts';
import { canaryRollout, TD } from './helpers/rollout.ts';

const step = (percent: number, healthyAt?: number) => ({
  percent,
  bakeMs: 300_000,
  startedAt: 0,
  ...(healthyAt !== undefined && { healthyAt }),
});
const rollout = (extra: Partial<Rollout> = {}): Rollout =>
  canaryRollout(2, { steps: [step(10), step(50), step(100)], ...extra });
const ROLLING_BACK = { reason: 'x', at: 0, toTaskDefinition: `${TD}web:1` };

describe('observePlan', () => {
  const base = observePlan({ rollout: rollout() }, {});
  it.each([
    ['no rollout, nothing learned', observePlan({}, {}), 'idle  '],
    ['rollout web:2 (canary), step 1 at 10 %', base, `${TD}web:2 canary canary    `],
    [
      'the same, its step now baking',
      observePlan({ rollout: rollout({ steps: [step(10, 5), step(50), step(100)] }) }, {}),
      base,
    ],
    ['the same at step 2 (50 %)', observePlan({ rollout: rollout({ stepIndex: 1 }) }, {}), base],
    [
      'the same at step 3 (100 %)',
      observePlan({ rollout: rollout({ stepIndex: 2 }) }, {}),
      `${TD}web:2 canary promoted    `,
    ],
    [
      'the same, rolling back',
      observePlan({ rollout: rollout({ rollingBack: ROLLING_BACK }) }, {}),
      `${TD}web:2 canary canary rolling back   `,
    ],
    [
      'the same, at a push',
      observePlan({ rollout: rollout() }, { pushing: true }),
      `${TD}web:2 canary canary    push`,
    ],
  ])('%s', (_, plan, want) => {
    expect(plan).toBe(want);
  });

  it('names what else a look depends on: the revision learned, capacity, the sweep, ECS strategies', () => {
    const unregistered = rollout({ taskDefinition: undefined });
    expect(observePlan({ rollout: unregistered }, {})).not.toBe(
      observePlan({ rollout: unregistered }, { revisionForDigest: `${TD}web:2` }),
    );
    expect(observePlan({ rollout: rollout({ room: 4 }) }, {})).not.toBe(base);
    expect(observePlan({ rollout: rollout() }, { sweep: true })).not.toBe(base);
    expect(observePlan({ rollout: rollout({ strategy: 'ecs-canary' }) }, {})).toContain('promoted');
  });
});

describe('freshLookNeeded', () => {
  const plan = 'p';
  it.each([
    ['no look yet', undefined, plan, true],
    ['the last round acted', { plan, acted: true, reread: false }, plan, true],
    ['the record was read again', { plan, acted: false, reread: true }, plan, true],
    ['the last round only committed, same plan', { plan, acted: false, reread: false }, plan, false],
    ['the last round only committed, the plan changed', { plan, acted: false, reread: false }, 'q', true],
  ])('%s -> %s', (_, last, now, want) => {
    expect(freshLookNeeded(last, now)).toBe(want);
  });
});

describe('serviceEventWorthALook', () => {
  const baking = rollout({ steps: [step(10, 5), step(50), step(100)] });
  it.each([
    ['SERVICE_STEADY_STATE, the step baking', 'SERVICE_STEADY_STATE', baking, false],
    ['SERVICE_STEADY_STATE, the step waiting for its tasks', 'SERVICE_STEADY_STATE', rollout(), true],
    ['SERVICE_STEADY_STATE, no rollout', 'SERVICE_STEADY_STATE', undefined, true],
    [
      'SERVICE_STEADY_STATE, rolling back',
      'SERVICE_STEADY_STATE',
      { ...baking, rollingBack: ROLLING_BACK },
      true,
    ],
    [
      'SERVICE_STEADY_STATE, the step baking, strategy ecs-canary',
      'SERVICE_STEADY_STATE',
      { ...baking, strategy: 'ecs-canary' as const },
      true,
    ],
    ['SERVICE_DEPLOYMENT_COMPLETED, the step baking', 'SERVICE_DEPLOYMENT_COMPLETED', baking, true],
  ])('%s -> %s', (_, event, r, want) => {
    expect(serviceEventWorthALook(event, r ? { rollout: r } : {}).worth).toBe(want);
  });
});
