/**
 * The `scaling:` section of a target in autopilot.yml, validated into a ScalingPolicy.
 *
 *   scaling:
 *     min: 2
 *     max: 20
 *     cooldown: { out: 1m, in: 5m }
 *     rules:
 *       - { alarm: web-cpu-high, adjust: "+2" }              # a change in count
 *       - { alarm: web-rps-high, adjust: "+50%", minMagnitude: 2 }   # a share of the current count, at least 2
 *       - { alarm: web-cpu-low, adjust: "-1" }
 *       - { alarm: web-queue-deep, adjust: "=10" }           # an exact count
 *       - alarm: web-cpu-very-high                           # steps by how far the metric is past the threshold
 *         steps:
 *           - { lower: 0, upper: 20, adjust: "+1" }
 *           - { lower: 20, adjust: "+3" }
 */
import { parseDuration } from './duration.ts';
import { parseAdjustment, type ScalingPolicy, type ScalingRule, type StepAdjustment } from './scaling.ts';

type Add = (path: string, message: string) => void;

/** Safe without tuning: scale out after a minute's cooldown, in only after five (Application Auto Scaling uses 300 s). */
export const DEFAULT_OUT_COOLDOWN_MS = 60_000;
export const DEFAULT_IN_COOLDOWN_MS = 300_000;
/** ECS's own limit on a service's desired count. */
const MAX_TASKS = 5000;

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function keys(v: Record<string, unknown>, path: string, allowed: string[], add: Add) {
  for (const k of Object.keys(v))
    if (!allowed.includes(k)) add(`${path}.${k}`, `unknown key; allowed here: ${allowed.join(', ')}`);
}

function count(v: unknown, path: string, add: Add, min = 0): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= MAX_TASKS) return v;
  add(path, `must be a whole number from ${min} to ${MAX_TASKS}, got ${JSON.stringify(v)}`);
  return undefined;
}

function duration(v: unknown, path: string, fallback: number, add: Add): number {
  if (v === undefined) return fallback;
  try {
    return parseDuration(v);
  } catch (e) {
    add(path, (e as Error).message);
    return fallback;
  }
}

export function parseScaling(value: unknown, path: string, add: Add): ScalingPolicy | undefined {
  if (!isMapping(value)) {
    add(path, 'must be a mapping with min, max and rules');
    return undefined;
  }
  keys(value, path, ['min', 'max', 'cooldown', 'rules'], add);
  const min = count(value.min, `${path}.min`, add);
  const max = count(value.max, `${path}.max`, add, 1);
  if (min !== undefined && max !== undefined && min > max)
    add(`${path}.max`, `must be at least min (${min}), got ${max}`);
  let out = DEFAULT_OUT_COOLDOWN_MS;
  let inn = DEFAULT_IN_COOLDOWN_MS;
  if (value.cooldown !== undefined) {
    if (isMapping(value.cooldown)) {
      keys(value.cooldown, `${path}.cooldown`, ['out', 'in'], add);
      out = duration(value.cooldown.out, `${path}.cooldown.out`, out, add);
      inn = duration(value.cooldown.in, `${path}.cooldown.in`, inn, add);
    } else {
      add(`${path}.cooldown`, 'must be a mapping like { out: 1m, in: 5m }');
    }
  }
  const rules: ScalingRule[] = [];
  if (!Array.isArray(value.rules) || value.rules.length === 0) {
    add(`${path}.rules`, 'must list at least one rule: { alarm, adjust } or { alarm, steps }');
  } else {
    const seen = new Set<string>();
    value.rules.forEach((raw, i) => {
      const rule = parseRule(raw, `${path}.rules[${i}]`, add);
      if (!rule) return;
      if (seen.has(rule.alarm))
        add(`${path}.rules[${i}].alarm`, `${rule.alarm} already has a rule: one rule per alarm`);
      seen.add(rule.alarm);
      rules.push(rule);
    });
  }
  if (min === undefined || max === undefined) return undefined;
  return { min, max, outCooldownMs: out, inCooldownMs: inn, rules };
}

function parseRule(raw: unknown, path: string, add: Add): ScalingRule | undefined {
  if (!isMapping(raw)) {
    add(path, 'must be a mapping: { alarm, adjust } or { alarm, steps }');
    return undefined;
  }
  keys(raw, path, ['alarm', 'adjust', 'minMagnitude', 'steps'], add);
  if (typeof raw.alarm !== 'string' || raw.alarm.length === 0 || raw.alarm.length > 255) {
    add(`${path}.alarm`, 'must be the name of a CloudWatch alarm');
    return undefined;
  }
  if ((raw.adjust === undefined) === (raw.steps === undefined)) {
    add(path, 'needs exactly one of adjust (one adjustment) or steps (by distance from the threshold)');
    return undefined;
  }
  const minMagnitude =
    raw.minMagnitude === undefined ? undefined : count(raw.minMagnitude, `${path}.minMagnitude`, add, 1);
  if (raw.adjust !== undefined) {
    const adjust = adjustment(raw.adjust, `${path}.adjust`, minMagnitude, add);
    return adjust ? { alarm: raw.alarm, adjust } : undefined;
  }
  if (!Array.isArray(raw.steps) || raw.steps.length === 0) {
    add(`${path}.steps`, 'must list steps like { lower: 0, upper: 20, adjust: "+1" }');
    return undefined;
  }
  const steps: StepAdjustment[] = [];
  raw.steps.forEach((s, j) => {
    const at = `${path}.steps[${j}]`;
    if (!isMapping(s)) {
      add(at, 'must be a mapping like { lower: 0, upper: 20, adjust: "+1" }');
      return;
    }
    keys(s, at, ['lower', 'upper', 'adjust'], add);
    for (const b of ['lower', 'upper'] as const) {
      if (s[b] !== undefined && (typeof s[b] !== 'number' || !Number.isFinite(s[b])))
        add(`${at}.${b}`, 'must be a number');
    }
    const lower = s.lower as number | undefined;
    const upper = s.upper as number | undefined;
    if (lower !== undefined && upper !== undefined && lower >= upper)
      add(at, `lower (${lower}) must be below upper (${upper})`);
    const adjust = adjustment(s.adjust, `${at}.adjust`, minMagnitude, add);
    if (adjust)
      steps.push({
        ...(lower !== undefined ? { lower } : {}),
        ...(upper !== undefined ? { upper } : {}),
        adjust,
      });
  });
  // Like Application Auto Scaling's StepAdjustments: in order, not overlapping.
  for (let j = 1; j < steps.length; j++) {
    const prev = steps[j - 1]!.upper;
    const lo = steps[j]!.lower;
    if (prev === undefined || lo === undefined || lo < prev)
      add(`${path}.steps[${j}]`, 'steps must be in order and must not overlap');
  }
  return { alarm: raw.alarm, steps };
}

function adjustment(v: unknown, path: string, minMagnitude: number | undefined, add: Add) {
  try {
    return parseAdjustment(v, minMagnitude);
  } catch (e) {
    add(path, (e as Error).message);
    return undefined;
  }
}
