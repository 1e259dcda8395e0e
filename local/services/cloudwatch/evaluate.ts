/**
 * Metric alarm evaluation, as a pure function of the datapoints in the alarm's evaluation range.
 *
 * Source: CloudWatch User Guide, "Alarm evaluation" / "Configuring how CloudWatch alarms treat missing
 * data" (awsdocs/amazon-cloudwatch-user-guide doc_source/AlarmThatSendsEmail.md and its successor):
 * - "CloudWatch attempts to retrieve a higher number of data points than specified by Evaluation Periods"
 *   (the evaluation range; the documented example retrieves 5 for 3 evaluation periods: N + 2 here).
 * - If at least N real datapoints exist in the range, the N most recent real ones are evaluated and
 *   TreatMissingData is not needed. Otherwise the missing ones are filled "as few times as possible"
 *   with the TreatMissingData result; all real datapoints in the range are included.
 * - `missing`: all missing -> INSUFFICIENT_DATA; `ignore`: all missing -> keep the current state.
 * - Premature-alarm rule (missing only): the alarm goes to ALARM "when the oldest available breaching
 *   datapoint ... is at least as old as the value of Datapoints to Alarm, and all other more recent data
 *   points are breaching or missing"; with only newer breaching points it stays INSUFFICIENT_DATA.
 * Every row of both documented tables (3 of 3 and 2 of 3, range 5) is a test in
 * test/local/cloudwatch.evaluate.test.ts.
 *
 * Reason texts are the ones real alarms write (samples cited at each builder below). With
 * DatapointsToAlarm set the reason reads "k out of the last N datapoints [...] ... (minimum m datapoints
 * for OK -> ALARM transition)"; without it, the older "k datapoints [...] were greater than the threshold
 * (T)." Both forms appear in 2026 alarms; telling them apart by DatapointsToAlarm is an inference.
 */

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

import { cwTimestamp, dbl, javaDouble, javaJson, reasonTime } from './format.ts';

export type TreatMissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';

export const TREAT_MISSING_DATA = ['missing', 'notBreaching', 'breaching', 'ignore'] as const;

/** How many periods beyond EvaluationPeriods an evaluation looks back for real datapoints. */
export const EXTRA_RANGE = 2;

export interface AlarmPoint {
  value: number;
  /** SampleCount of the bucket, for reasonData (single-metric alarms). */
  sampleCount?: number;
}

export interface EvaluationInput {
  /** The evaluation range, newest first: index 0 is the bucket [E - Period, E). null = missing. */
  points: Array<AlarmPoint | null>;
  /** The start of each bucket in `points`. */
  starts: number[];
  evaluationPeriods: number;
  datapointsToAlarm?: number;
  threshold: number;
  comparisonOperator: string;
  treatMissingData?: string;
  current: AlarmStateValue;
  /** When the evaluation ran (reasonData.queryDate). */
  queryDate: number;
  period: number;
  /** Statistic or extended statistic of a single-metric alarm (reasonData.statistic). */
  statistic?: string;
  unit?: string;
}

export type EvaluationResult =
  | { state: AlarmStateValue; reason: string; reasonData: string }
  /** Keep the current state (TreatMissingData `ignore`). */
  | { state: undefined };

export const COMPARISONS: Record<string, { words: string; breaches: (v: number, t: number) => boolean }> = {
  GreaterThanThreshold: { words: 'greater than', breaches: (v, t) => v > t },
  GreaterThanOrEqualToThreshold: { words: 'greater than or equal to', breaches: (v, t) => v >= t },
  LessThanThreshold: { words: 'less than', breaches: (v, t) => v < t },
  LessThanOrEqualToThreshold: { words: 'less than or equal to', breaches: (v, t) => v <= t },
};

const plural = (n: number, one: string, many: string) => (n === 1 ? one : many);

interface Decision {
  state: AlarmStateValue | undefined;
  N: number;
  M: number;
  treat: TreatMissingData;
  evaluated: Array<{ pos: number; p: AlarmPoint; start: number }>;
  breaching: Array<{ pos: number; p: AlarmPoint; start: number }>;
  notBreaching: Array<{ pos: number; p: AlarmPoint; start: number }>;
  fill: number;
}

function decide(input: EvaluationInput): Decision {
  const N = input.evaluationPeriods;
  const M = input.datapointsToAlarm ?? N;
  const cmp = COMPARISONS[input.comparisonOperator];
  if (!cmp) throw new Error(`unsupported comparison ${input.comparisonOperator}`);
  const treat = (input.treatMissingData ?? 'missing') as TreatMissingData;

  const evaluated: Decision['evaluated'] = [];
  for (let i = 0; i < input.points.length && evaluated.length < N; i++) {
    const p = input.points[i];
    if (p) evaluated.push({ pos: i + 1, p, start: input.starts[i]! });
  }
  const fill = N - evaluated.length;
  const breaching = evaluated.filter((r) => cmp.breaches(r.p.value, input.threshold));
  const notBreaching = evaluated.filter((r) => !cmp.breaches(r.p.value, input.threshold));

  let state: AlarmStateValue | undefined;
  if (fill === 0) state = breaching.length >= M ? 'ALARM' : 'OK';
  else if (treat === 'breaching') state = breaching.length + fill >= M ? 'ALARM' : 'OK';
  else if (treat === 'notBreaching') state = breaching.length >= M ? 'ALARM' : 'OK';
  else if (evaluated.length === 0) state = treat === 'missing' ? 'INSUFFICIENT_DATA' : undefined;
  else if (breaching.length >= M) state = 'ALARM';
  else if (notBreaching.length > 0) state = 'OK';
  else if (treat === 'missing' && breaching[breaching.length - 1]!.pos >= M) state = 'ALARM';
  else state = treat === 'missing' ? 'INSUFFICIENT_DATA' : undefined;
  return { state, N, M, treat, evaluated, breaching, notBreaching, fill };
}

/** The state the evaluation arrives at (undefined: keep the current one), without writing reasons. */
export function decideState(input: EvaluationInput): AlarmStateValue | undefined {
  return decide(input).state;
}

export function evaluateAlarm(input: EvaluationInput): EvaluationResult {
  const { state, M, treat, evaluated, breaching, notBreaching, fill } = decide(input);
  const N = input.evaluationPeriods;
  if (state === undefined) return { state };

  const filled = treat === 'breaching' || treat === 'notBreaching' ? fill : 0;
  const reason =
    state === 'INSUFFICIENT_DATA'
      ? // "Insufficient Data: 5 datapoints were unknown." / "Insufficient Data: 1 datapoint was unknown."
        `Insufficient Data: ${fill} ${plural(fill, 'datapoint was', 'datapoints were')} unknown.`
      : thresholdReason(
          input,
          state,
          state === 'ALARM' ? breaching : notBreaching,
          evaluated.length,
          filled,
          M,
        );

  // reasonData, as in the samples: {"version":"1.0","queryDate":…,"startDate":…,"statistic":"Average",
  // "period":300,"recentDatapoints":[99.5],"threshold":50.0,"evaluatedDatapoints":[{"timestamp":…,
  // "sampleCount":1.0,"value":99.5}]} (startDate only with real data; evaluatedDatapoints lists the newest
  // real datapoint, or the timestamps of the unknown ones).
  const oldestFirst = [...evaluated].reverse();
  const newest = evaluated[0];
  const data = {
    version: '1.0',
    queryDate: cwTimestamp(input.queryDate),
    startDate: oldestFirst.length ? cwTimestamp(oldestFirst[0]!.start) : undefined,
    unit: input.unit,
    statistic: input.statistic,
    period: input.period,
    recentDatapoints: oldestFirst.map((r) => dbl(r.p.value)),
    threshold: dbl(input.threshold),
    evaluatedDatapoints: newest
      ? [
          {
            timestamp: cwTimestamp(newest.start),
            sampleCount: newest.p.sampleCount === undefined ? undefined : dbl(newest.p.sampleCount),
            value: dbl(newest.p.value),
          },
        ]
      : input.starts.slice(0, N).map((s) => ({ timestamp: cwTimestamp(s) })),
  };
  return { state, reason, reasonData: javaJson(data) };
}

/**
 * "Threshold Crossed: ..." in its three shapes, e.g.
 * - "Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater
 *   than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition)." (EventBridge sample)
 * - "Threshold Crossed: 1 out of the last 20 datapoints [613.0 (16/03/24 12:15:00)] was greater than or
 *   equal to the threshold (1.0) and 19 missing datapoints were treated as [NonBreaching] (minimum 1
 *   datapoint for OK -> ALARM transition)." (captured SNS notification, 2024)
 * - "Threshold Crossed: 1 datapoint [2.0 (19/08/26 09:36:00)] was not less than or equal to the threshold
 *   (0.0) and 7 missing datapoints were treated as [Breaching]." (alarm without DatapointsToAlarm, 2026)
 * - "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as
 *   [Breaching]." and "1 datapoint was received for 3 periods and 2 missing datapoints were treated as
 *   [Breaching]" (captured StateReasons).
 * For OK the minimum is N - M + 1 ("2 out of the last 3 datapoints [...] were not greater than the
 * threshold (0.005) (minimum 1 datapoint for ALARM -> OK transition)" with 3 of 3).
 */
function thresholdReason(
  input: EvaluationInput,
  state: 'ALARM' | 'OK',
  supporting: Array<{ p: AlarmPoint; start: number }>,
  realCount: number,
  filled: number,
  M: number,
): string {
  const N = input.evaluationPeriods;
  const fillLabel = input.treatMissingData === 'breaching' ? 'Breaching' : 'NonBreaching';
  const fillText = `${filled} missing ${plural(filled, 'datapoint was', 'datapoints were')} treated as [${fillLabel}]`;
  if (realCount === 0)
    return `Threshold Crossed: no datapoints were received for ${N} ${plural(N, 'period', 'periods')} and ${fillText}.`;
  if (supporting.length === 0)
    return `Threshold Crossed: ${realCount} ${plural(realCount, 'datapoint was', 'datapoints were')} received for ${N} ${plural(N, 'period', 'periods')} and ${fillText}.`;
  const words = COMPARISONS[input.comparisonOperator]!.words;
  const list = supporting.map((r) => `${javaDouble(r.p.value)} (${reasonTime(r.start)})`).join(', ');
  const k = supporting.length;
  const verb = `${plural(k, 'was', 'were')} ${state === 'OK' ? 'not ' : ''}${words}`;
  const and = filled > 0 ? ` and ${fillText}` : '';
  const threshold = javaDouble(input.threshold);
  if (input.datapointsToAlarm === undefined)
    return `Threshold Crossed: ${k} ${plural(k, 'datapoint', 'datapoints')} [${list}] ${verb} the threshold (${threshold})${and}.`;
  const min = state === 'ALARM' ? M : N - M + 1;
  const transition = state === 'ALARM' ? 'OK -> ALARM' : 'ALARM -> OK';
  return `Threshold Crossed: ${k} out of the last ${N} datapoints [${list}] ${verb} the threshold (${threshold})${and} (minimum ${min} ${plural(min, 'datapoint', 'datapoints')} for ${transition} transition).`;
}
