/**
 * Whether a gate alarm can fire before a rollout ends. A metric alarm goes to ALARM only once
 * DatapointsToAlarm of its EvaluationPeriods periods breach (DatapointsToAlarm defaults to
 * EvaluationPeriods: CloudWatch User Guide, "Evaluating an alarm"), so it needs at least
 * DatapointsToAlarm × Period of breaching data, however bad the image. A rollout whose bakes all
 * together are shorter than that succeeds before its gate could say a word: a failing image ships.
 * `validate --live` refuses such a gate (found by playing a 60% 5xx image past a 10-of-10 gate).
 */
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { formatDuration } from './duration.ts';
import type { Step } from './steps.ts';

/**
 * The least breaching data, in ms, before the alarm can go to ALARM; undefined when it cannot be
 * told (no period). A metric-math alarm's period is its longest query's.
 *
 *   Period 60, EvaluationPeriods 3                          -> 180 000 (3 × 1m)
 *   Period 60, EvaluationPeriods 10, DatapointsToAlarm 10   -> 600 000 (10 × 1m)
 *   Period 300, EvaluationPeriods 2, DatapointsToAlarm 1    -> 300 000 (1 × 5m)
 *   Metrics [{ Period 60 }, { Period 300 }], EvaluationPeriods 2 -> 600 000 (2 × 5m)
 *   no Period, no Metrics                                   -> undefined
 */
export function fastestFireMs(
  a: Pick<MetricAlarm, 'Period' | 'EvaluationPeriods' | 'DatapointsToAlarm' | 'Metrics'>,
): number | undefined {
  const periods = [a.Period, ...(a.Metrics ?? []).map((m) => m.MetricStat?.Period ?? m.Period)].filter(
    (p): p is number => typeof p === 'number' && p > 0,
  );
  if (periods.length === 0) return undefined;
  const datapoints = a.DatapointsToAlarm ?? a.EvaluationPeriods ?? 1;
  return datapoints * Math.max(...periods) * 1000;
}

/**
 * Why `alarm` cannot guard a rollout of `steps`, or undefined when it can fire within their bakes.
 *
 *   fires in 3m,  bakes 2m + 2m + 1m -> undefined (5m of bakes)
 *   fires in 5m,  bakes 2m + 2m + 1m -> undefined (exactly 5m: it can fire at the last moment)
 *   fires in 10m, bakes 2m + 1m      -> 'gate alarm web-5xx needs at least 10m of breaching data …'
 *   no steps (a strategy ECS runs)   -> undefined (ECS's own bake, not ours)
 */
export function gateTooSlow(
  alarm: string,
  fireMs: number,
  steps: Pick<Step, 'bakeMs'>[],
): string | undefined {
  if (steps.length === 0) return undefined;
  const bakes = steps.reduce((s, x) => s + x.bakeMs, 0);
  if (fireMs <= bakes) return undefined;
  return `gate alarm ${alarm} needs at least ${formatDuration(fireMs)} of breaching data to go to ALARM, but the rollout's bakes total ${formatDuration(bakes)}: a failing image can succeed before the gate fires (lengthen the bakes, or lower the alarm's DatapointsToAlarm or Period)`;
}

/** gateTooSlow for a gate as read (its fastest firing, when CloudWatch said it): at a push and in `validate --live`. */
export function slowGate(
  a: { name: string; fireMs?: number },
  steps: Pick<Step, 'bakeMs'>[],
): string | undefined {
  return a.fireMs === undefined ? undefined : gateTooSlow(a.name, a.fireMs, steps);
}
