/**
 * Alarm-driven scaling, pure: which count a service should have when an alarm rule fires, within
 * [min, max], respecting cooldowns, the way Application Auto Scaling's step scaling does it.
 *
 * One owner of counts: the record holds the service's target total; scaling changes the total; a
 * rollout splits it (the primary keeps the total, the canary is sized from it), so neither undoes
 * the other, and a rollback leaves the total that scaling set.
 *
 * Sources: Application Auto Scaling API Reference, StepScalingPolicyConfiguration (Cooldown,
 * MinAdjustmentMagnitude) and StepAdjustment (interval bounds); Amazon EC2 Auto Scaling User Guide,
 * "Step and simple scaling policies" (rounding of PercentChangeInCapacity).
 */

export type Adjustment =
  | { type: 'change'; value: number } // "+2", "-1"
  | { type: 'percent'; value: number; minMagnitude?: number } // "+50%", with an optional minimum in tasks
  | { type: 'exact'; value: number }; // "=10"

export interface StepAdjustment {
  /** Distance from the threshold where this step starts (metric - threshold), inclusive. */
  lower?: number;
  /** Where it ends, exclusive. */
  upper?: number;
  adjust: Adjustment;
}

export interface ScalingRule {
  /** The alarm that triggers it. */
  alarm: string;
  /** One adjustment, or steps by how far the metric is past the alarm's threshold. */
  adjust?: Adjustment;
  steps?: StepAdjustment[];
}

export interface ScalingPolicy {
  min: number;
  max: number;
  /** Time after a scale-out during which a further scale-out only adds what the larger step asks beyond it. */
  outCooldownMs: number;
  /** Time after any scaling during which no scale-in happens. */
  inCooldownMs: number;
  rules: ScalingRule[];
}

/** What the record keeps about scaling. */
export interface ScalingState {
  /** The service's target total, as scaling last set it (undefined until scaling first acts). */
  total?: number;
  lastOut?: { at: number; from: number };
  lastIn?: { at: number };
  /** Alarms now in ALARM that drive a rule, and when their rule was last applied. */
  firing: Record<string, { since: number; appliedAt?: number }>;
  /** Why the pipeline does not scale (another owner of the count), once it has said so. */
  blockedBy?: string;
}

/** A change decided: from, to, and why, for the record, the report and Slack. */
export interface ScaleChange {
  from: number;
  to: number;
  alarm: string;
  reason: string;
}

/** The alarm as it was seen: its state and, when known, the metric value and threshold. */
export interface AlarmReading {
  name: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  value?: number;
  threshold?: number;
}

/**
 * "+2" -> change 2, "-1" -> change -1, "+50%" -> percent 50, "=10" -> exact 10.
 * Throws a message naming the problem.
 */
export function parseAdjustment(text: unknown, minMagnitude?: number): Adjustment {
  if (typeof text === 'number' && Number.isInteger(text)) return { type: 'change', value: text };
  if (typeof text !== 'string')
    throw new Error(`must be like "+2", "-1", "+50%" or "=10", got ${JSON.stringify(text)}`);
  const m = /^\s*(=|[+-])\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  if (!m) throw new Error(`must be like "+2", "-1", "+50%" or "=10", got "${text}"`);
  const [, sign, digits, percent] = m;
  const n = Number(digits);
  if (sign === '=') {
    if (percent) throw new Error(`an exact count cannot be a percentage: "${text}"`);
    if (!Number.isInteger(n)) throw new Error(`an exact count must be whole: "${text}"`);
    return { type: 'exact', value: n };
  }
  const value = sign === '-' ? -n : n;
  if (percent) return { type: 'percent', value, ...(minMagnitude !== undefined ? { minMagnitude } : {}) };
  if (!Number.isInteger(n)) throw new Error(`a change in count must be whole: "${text}"`);
  if (n === 0) throw new Error(`a change of 0 does nothing: "${text}"`);
  return { type: 'change', value };
}

/**
 * The count an adjustment asks for, before bounds. Percentages round as AWS does: a result above 1
 * rounds down, between 0 and 1 becomes 1, between -1 and 0 becomes -1, below -1 rounds up (toward 0);
 * then the minimum magnitude applies.
 *
 *   (4, +2)            -> 6
 *   (4, +50%)          -> 6     (2 tasks)
 *   (4, +25%, min 2)   -> 6     (25% of 4 is 1, but at least 2: the AWS documentation's example)
 *   (10, +15%)         -> 11    (1.5 rounds down)
 *   (3, +10%)          -> 4     (0.3 becomes 1)
 *   (3, -10%)          -> 2     (-0.3 becomes -1)
 *   (20, -33%)         -> 14    (-6.6 rounds toward 0: -6)
 *   (7, =3)            -> 3
 */
export function adjustedCount(current: number, adjust: Adjustment): number {
  switch (adjust.type) {
    case 'exact':
      return adjust.value;
    case 'change':
      return current + adjust.value;
    case 'percent': {
      const raw = (current * adjust.value) / 100;
      let delta: number;
      if (raw > 1) delta = Math.floor(raw);
      else if (raw > 0) delta = 1;
      else if (raw === 0) delta = 0;
      else if (raw >= -1) delta = -1;
      else delta = Math.ceil(raw);
      const min = adjust.minMagnitude ?? 0;
      if (Math.abs(delta) < min) delta = Math.sign(adjust.value) * min;
      return current + delta;
    }
  }
}

/**
 * The step for a breach (metric - threshold). Above the threshold a step's lower bound is inclusive
 * and its upper bound exclusive; below it (alarms on a low metric) the other way round.
 *
 *   steps [0,10) +1, [10,∞) +3:   breach 4 -> +1, breach 10 -> +3
 *   steps (-∞,-20] -2, (-20,0] -1: breach -5 -> -1, breach -20 -> -2
 */
export function stepFor(steps: StepAdjustment[], breach: number): StepAdjustment | undefined {
  return steps.find((s) => {
    const lo = s.lower ?? Number.NEGATIVE_INFINITY;
    const hi = s.upper ?? Number.POSITIVE_INFINITY;
    return breach >= 0 ? lo <= breach && breach < hi : lo < breach && breach <= hi;
  });
}

export const clampCount = (n: number, p: Pick<ScalingPolicy, 'min' | 'max'>) =>
  Math.min(p.max, Math.max(p.min, n));

export interface ScaleDecision {
  state: ScalingState;
  change?: ScaleChange;
  /** Why nothing changed, when a rule fired but could not act (cooldown, bounds, a rollout baking). */
  held?: string;
}

/**
 * Applies the policy to an alarm reading. An alarm going to ALARM applies its rule once; while it
 * stays in ALARM the rule applies again after each cooldown (the tick calls this); OK ends it.
 * Scale-out is never held by a rollout; scale-in waits while a rollout step bakes, as ECS suspends
 * scale-in during deployments. Out and in never alternate faster than the cooldowns allow.
 */
export function decideScale(
  state: ScalingState,
  policy: ScalingPolicy,
  reading: AlarmReading,
  current: number,
  now: number,
  rolloutBaking: boolean,
): ScaleDecision {
  const next: ScalingState = structuredClone(state);
  const rule = policy.rules.find((r) => r.alarm === reading.name);
  if (!rule) return { state: next };
  if (reading.state !== 'ALARM') {
    delete next.firing[reading.name];
    return { state: next };
  }
  const firing = next.firing[reading.name] ?? { since: now };
  next.firing[reading.name] = firing;

  const base = next.total ?? current;
  const adjust = rule.steps
    ? stepFor(rule.steps, (reading.value ?? Number.NaN) - (reading.threshold ?? Number.NaN))?.adjust
    : rule.adjust;
  if (!adjust)
    return {
      state: next,
      held: `no step of ${reading.name}'s rule covers the metric's distance from the threshold`,
    };
  const wanted = clampCount(adjustedCount(base, adjust), policy);
  const direction = wanted > base ? 'out' : wanted < base ? 'in' : 'none';

  if (direction === 'none') {
    firing.appliedAt = now;
    const bound =
      wanted === policy.max
        ? `at its maximum of ${policy.max}`
        : wanted === policy.min
          ? `at its minimum of ${policy.min}`
          : `at ${wanted}`;
    return { state: next, held: `already ${bound}` };
  }
  if (direction === 'out') {
    const out = next.lastOut;
    if (out && now < out.at + policy.outCooldownMs) {
      // In the cooldown, what the last scale-out added counts: only a larger step adds more.
      const fromBefore = clampCount(adjustedCount(out.from, adjust), policy);
      if (fromBefore <= base)
        return {
          state: next,
          held: `in the scale-out cooldown until ${new Date(out.at + policy.outCooldownMs).toISOString()}`,
        };
      return apply(next, firing, base, fromBefore, reading, 'out', now, out.from);
    }
    if (firing.appliedAt !== undefined && now < firing.appliedAt + policy.outCooldownMs) {
      return { state: next, held: 'applied already within the cooldown' };
    }
    return apply(next, firing, base, wanted, reading, 'out', now, base);
  }
  if (rolloutBaking) return { state: next, held: 'scale-in waits while a rollout is in progress' };
  const lastAny = Math.max(
    next.lastIn?.at ?? Number.NEGATIVE_INFINITY,
    next.lastOut?.at ?? Number.NEGATIVE_INFINITY,
  );
  if (now < lastAny + policy.inCooldownMs) {
    return {
      state: next,
      held: `in the scale-in cooldown until ${new Date(lastAny + policy.inCooldownMs).toISOString()}`,
    };
  }
  return apply(next, firing, base, wanted, reading, 'in', now, base);
}

function apply(
  state: ScalingState,
  firing: { since: number; appliedAt?: number },
  from: number,
  to: number,
  reading: AlarmReading,
  direction: 'out' | 'in',
  now: number,
  outFrom: number,
): ScaleDecision {
  firing.appliedAt = now;
  state.total = to;
  if (direction === 'out') state.lastOut = { at: now, from: outFrom };
  else state.lastIn = { at: now };
  const value =
    reading.value !== undefined
      ? ` (${round(reading.value)} against ${round(reading.threshold ?? Number.NaN)})`
      : '';
  return {
    state,
    change: {
      from,
      to,
      alarm: reading.name,
      reason: `${reading.name} in ALARM${value}: scale ${direction} from ${from} to ${to}`,
    },
  };
}

const round = (n: number) => Math.round(n * 100) / 100;
