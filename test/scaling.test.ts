import { describe, expect, it } from 'vitest';
import {
  type AlarmReading,
  adjustedCount,
  decideScale,
  parseAdjustment,
  type ScalingPolicy,
  type ScalingState,
  stepFor,
} from '../lib/scaling.ts';

describe('parseAdjustment', () => {
  it.each([
    ['+2', { type: 'change', value: 2 }],
    ['-1', { type: 'change', value: -1 }],
    ['+50%', { type: 'percent', value: 50 }],
    ['-33.3%', { type: 'percent', value: -33.3 }],
    ['=10', { type: 'exact', value: 10 }],
    [3, { type: 'change', value: 3 }],
  ])('%j', (text, parsed) => {
    expect(parseAdjustment(text)).toEqual(parsed);
  });
  it.each(['2', '+', '=10%', '+0', '+1.5', 'double', null])('rejects %j', (text) => {
    expect(() => parseAdjustment(text)).toThrow(/must be|cannot|whole|does nothing/);
  });
});

describe('adjustedCount: the worked examples of its comment', () => {
  it.each([
    [4, '+2', undefined, 6],
    [4, '+50%', undefined, 6],
    [4, '+25%', 2, 6],
    [10, '+15%', undefined, 11],
    [3, '+10%', undefined, 4],
    [3, '-10%', undefined, 2],
    [20, '-33%', undefined, 14],
    [7, '=3', undefined, 3],
  ])('(%d, %s, min %s) -> %d', (current, text, min, expected) => {
    expect(adjustedCount(current, parseAdjustment(text, min))).toBe(expected);
  });
});

describe('stepFor', () => {
  const up = [
    { lower: 0, upper: 10, adjust: parseAdjustment('+1') },
    { lower: 10, adjust: parseAdjustment('+3') },
  ];
  const down = [
    { upper: -20, adjust: parseAdjustment('-2') },
    { lower: -20, upper: 0, adjust: parseAdjustment('-1') },
  ];
  it.each([
    [up, 4, '+1'],
    [up, 0, '+1'],
    [up, 10, '+3'],
    [up, 99, '+3'],
    [down, -5, '-1'],
    [down, -20, '-2'],
    [down, -21, '-2'],
  ])('breach %# -> %s', (steps, breach, text) => {
    expect(stepFor(steps, breach)?.adjust).toEqual(parseAdjustment(text));
  });
});

describe('decideScale', () => {
  const MIN = 60_000;
  const policy: ScalingPolicy = {
    min: 2,
    max: 10,
    outCooldownMs: 2 * MIN,
    inCooldownMs: 5 * MIN,
    rules: [
      { alarm: 'cpu-high', adjust: parseAdjustment('+2') },
      { alarm: 'cpu-low', adjust: parseAdjustment('-1') },
      {
        alarm: 'cpu-steps',
        steps: [
          { lower: 0, upper: 20, adjust: parseAdjustment('+2') },
          { lower: 20, adjust: parseAdjustment('+3') },
        ],
      },
    ],
  };
  const fresh: ScalingState = { firing: {} };
  const alarm = (name: string, state: AlarmReading['state'] = 'ALARM', value?: number): AlarmReading => ({
    name,
    state,
    ...(value !== undefined ? { value, threshold: 70 } : {}),
  });

  it('an alarm going to ALARM applies its rule once; repeated events inside the cooldown change nothing', () => {
    const first = decideScale(fresh, policy, alarm('cpu-high'), 4, 0, false);
    expect(first.change).toEqual({
      from: 4,
      to: 6,
      alarm: 'cpu-high',
      reason: 'cpu-high in ALARM: scale out from 4 to 6',
    });
    const again = decideScale(first.state, policy, alarm('cpu-high'), 6, 30_000, false);
    expect(again.change).toBeUndefined();
    expect(again.held).toMatch(/cooldown/);
  });

  it('while the alarm stays in ALARM the rule applies again after each cooldown, up to max and no further', () => {
    let s = fresh;
    const counts: number[] = [];
    for (let t = 0; t <= 12 * MIN; t += MIN) {
      const d = decideScale(s, policy, alarm('cpu-high'), s.total ?? 4, t, false);
      s = d.state;
      if (d.change) counts.push(d.change.to);
    }
    expect(counts).toEqual([6, 8, 10]);
    expect(s.total).toBe(10);
  });

  it('OK ends it', () => {
    const first = decideScale(fresh, policy, alarm('cpu-high'), 4, 0, false);
    const ok = decideScale(first.state, policy, alarm('cpu-high', 'OK'), 6, MIN, false);
    expect(ok.state.firing).toEqual({});
  });

  it('a larger step inside the scale-out cooldown adds only what goes beyond the last scale-out (the AWS example)', () => {
    const first = decideScale(fresh, policy, alarm('cpu-steps', 'ALARM', 80), 4, 0, false);
    expect(first.change?.to).toBe(6);
    const bigger = decideScale(first.state, policy, alarm('cpu-steps', 'ALARM', 95), 6, 30_000, false);
    expect(bigger.change).toMatchObject({ from: 6, to: 7 });
  });

  it('scale-in waits for its cooldown after any scaling, and stops at min', () => {
    const out = decideScale(fresh, policy, alarm('cpu-high'), 4, 0, false);
    const early = decideScale(out.state, policy, alarm('cpu-low'), 6, 4 * MIN, false);
    expect(early.change).toBeUndefined();
    expect(early.held).toMatch(/scale-in cooldown/);
    let s = early.state;
    const counts: number[] = [];
    for (let t = 5 * MIN; t <= 40 * MIN; t += MIN) {
      const d = decideScale(s, policy, alarm('cpu-low'), s.total!, t, false);
      s = d.state;
      if (d.change) counts.push(d.change.to);
    }
    expect(counts).toEqual([5, 4, 3, 2]);
  });

  it('a scale-out during the scale-in cooldown happens at once', () => {
    const state: ScalingState = { total: 5, lastIn: { at: 0 }, firing: {} };
    expect(decideScale(state, policy, alarm('cpu-high'), 5, MIN, false).change?.to).toBe(7);
  });

  it('scale-in waits while a rollout is in progress; scale-out does not', () => {
    const state: ScalingState = { total: 6, firing: {} };
    expect(decideScale(state, policy, alarm('cpu-low'), 6, 0, true).held).toMatch(/rollout/);
    expect(decideScale(state, policy, alarm('cpu-high'), 6, 0, true).change?.to).toBe(8);
  });

  it('results always stay within [min, max]', () => {
    const exact: ScalingPolicy = { ...policy, rules: [{ alarm: 'x', adjust: parseAdjustment('=50') }] };
    expect(decideScale(fresh, exact, alarm('x'), 4, 0, false).change?.to).toBe(10);
    const low: ScalingPolicy = { ...policy, rules: [{ alarm: 'x', adjust: parseAdjustment('=0') }] };
    expect(decideScale(fresh, low, alarm('x'), 4, 0, false).change?.to).toBe(2);
  });

  it('an alarm no rule names changes nothing', () => {
    expect(decideScale(fresh, policy, alarm('other'), 4, 0, false)).toEqual({ state: fresh });
  });
});
