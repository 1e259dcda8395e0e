/**
 * Alarm evaluation as a pure function: the documented tables, every comparison operator, and the exact
 * reason texts real alarms write (sources in local/services/cloudwatch/evaluate.ts).
 */
import { describe, expect, it } from 'vitest';
import { type EvaluationInput, evaluateAlarm } from '../../local/services/cloudwatch/evaluate.ts';
import {
  cwTimestamp,
  dbl,
  javaDouble,
  javaJson,
  reasonTime,
} from '../../local/services/cloudwatch/format.ts';
import type { AlarmStateValue } from '../../local/services/cloudwatch/index.ts';

const T0 = Date.UTC(2019, 9, 2, 17, 4, 0);
const MIN = 60_000;

/**
 * Builds an evaluation input from the documentation's notation, oldest first as the tables print it:
 * `0` non-breaching, `X` breaching, `-` missing. Threshold 50: `X` is 99, `0` is 1.
 */
function input(pattern: string, m: number, n: number, treat: string, current: AlarmStateValue = 'OK') {
  const cells = pattern.split(/\s+/).filter(Boolean).reverse(); // newest first
  return {
    points: cells.map((c) => (c === '-' ? null : { value: c === 'X' ? 99 : 1, sampleCount: 1 })),
    starts: cells.map((_, i) => T0 - (i + 1) * 5 * MIN),
    evaluationPeriods: n,
    datapointsToAlarm: m,
    threshold: 50,
    comparisonOperator: 'GreaterThanThreshold',
    treatMissingData: treat,
    current,
    queryDate: T0 + 40_985,
    period: 300,
    statistic: 'Average',
  } satisfies EvaluationInput;
}

const state = (i: EvaluationInput) => evaluateAlarm(i).state ?? 'retain';

/** One row of the guide's tables: the state for each TreatMissingData, in the guide's column order. */
function expectTable(points: string, toAlarm: number, periods: number, states: string[]) {
  const treatments = ['missing', 'ignore', 'breaching', 'notBreaching'] as const;
  expect(treatments.map((t) => state(input(points, toAlarm, periods, t)))).toEqual(states);
}

describe('alarm evaluation: the documented tables', () => {
  // CloudWatch User Guide, "How alarm state is evaluated when data is missing": Datapoints to Alarm and
  // Evaluation Periods both 3, evaluation range 5. Columns: MISSING, IGNORE, BREACHING, NOT BREACHING.
  it.each([
    ['0 - X - X', 'OK', 'OK', 'OK', 'OK'],
    ['0 - - - -', 'OK', 'OK', 'OK', 'OK'],
    ['- - - - -', 'INSUFFICIENT_DATA', 'retain', 'ALARM', 'OK'],
    ['0 X X - X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
    ['- - - - X', 'INSUFFICIENT_DATA', 'retain', 'ALARM', 'OK'],
    ['X - - - -', 'ALARM', 'retain', 'ALARM', 'OK'],
    ['- - X - -', 'ALARM', 'retain', 'ALARM', 'OK'],
  ])('3 of 3: %s -> missing %s, ignore %s, breaching %s, notBreaching %s', (p, ...states) =>
    expectTable(p, 3, 3, states),
  );

  // Same guide, the 2 out of 3 table.
  it.each([
    ['0 - X - X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
    ['0 0 X 0 X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
    ['0 - X - -', 'OK', 'OK', 'ALARM', 'OK'],
    ['- - - - 0', 'OK', 'OK', 'ALARM', 'OK'],
    ['- - - - X', 'INSUFFICIENT_DATA', 'retain', 'ALARM', 'OK'],
    ['- - X - -', 'ALARM', 'retain', 'ALARM', 'OK'],
  ])('2 of 3: %s -> missing %s, ignore %s, breaching %s, notBreaching %s', (p, ...states) =>
    expectTable(p, 2, 3, states),
  );

  it('evaluates only the N most recent real datapoints when there are enough', () => {
    // 3 of 3 over "X X X 0 -": the newest real three are X X 0 -> OK, although three X exist in the range.
    expect(state(input('X X X 0 -', 3, 3, 'missing'))).toBe('OK');
    expect(state(input('0 X X X -', 3, 3, 'missing'))).toBe('ALARM');
  });

  it('M of N counts breaching datapoints anywhere in the last N', () => {
    expect(state(input('- - X 0 X', 2, 3, 'missing'))).toBe('ALARM');
    expect(state(input('- - X 0 0', 2, 3, 'missing'))).toBe('OK');
    expect(state(input('X X 0 0 X', 2, 3, 'missing'))).toBe('OK');
    expect(state(input('X X 0 0 X', 1, 3, 'missing'))).toBe('ALARM');
  });
});

describe('alarm evaluation: comparison operators', () => {
  it.each([
    ['GreaterThanThreshold', 51, 50, 'ALARM', 'OK'],
    ['GreaterThanOrEqualToThreshold', 50, 49, 'ALARM', 'OK'],
    ['LessThanThreshold', 49, 50, 'ALARM', 'OK'],
    ['LessThanOrEqualToThreshold', 50, 51, 'ALARM', 'OK'],
  ])('%s: %d breaches, %d does not (threshold 50)', (op, breaching, ok, a, o) => {
    const at = (value: number) =>
      evaluateAlarm({ ...input('X', 1, 1, 'missing'), points: [{ value }], comparisonOperator: op }).state;
    expect(at(breaching)).toBe(a);
    expect(at(ok)).toBe(o);
    expect(at(50)).toBe(op.includes('OrEqual') ? 'ALARM' : 'OK');
  });
});

describe('alarm evaluation: reason texts', () => {
  it('reproduces the EventBridge sample reason and reasonData for OK -> ALARM', () => {
    const r = evaluateAlarm({
      points: [{ value: 99.50160229693434 }],
      starts: [Date.UTC(2019, 9, 2, 16, 59)],
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 50,
      comparisonOperator: 'GreaterThanThreshold',
      current: 'OK',
      queryDate: Date.UTC(2019, 9, 2, 17, 4, 40, 985),
      period: 300,
      statistic: 'Average',
    });
    expect(r).toMatchObject({
      state: 'ALARM',
      reason:
        'Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).',
    });
    // The sample's reasonData plus the newer evaluatedDatapoints member.
    expect(r.state && r.reasonData).toBe(
      '{"version":"1.0","queryDate":"2019-10-02T17:04:40.985+0000","startDate":"2019-10-02T16:59:00.000+0000","statistic":"Average","period":300,"recentDatapoints":[99.50160229693434],"threshold":50.0,"evaluatedDatapoints":[{"timestamp":"2019-10-02T16:59:00.000+0000","value":99.50160229693434}]}',
    );
  });

  it('reproduces the sample reason for ALARM -> OK', () => {
    const r = evaluateAlarm({
      ...input('0', 1, 1, 'missing', 'ALARM'),
      points: [{ value: 0.0666851903306472 }],
      starts: [Date.UTC(2019, 9, 1, 13, 46)],
    });
    expect(r.state === 'OK' && r.reason).toBe(
      'Threshold Crossed: 1 out of the last 1 datapoints [0.0666851903306472 (01/10/19 13:46:00)] was not greater than the threshold (50.0) (minimum 1 datapoint for ALARM -> OK transition).',
    );
  });

  it('lists the supporting datapoints newest first, with N - M + 1 as the OK minimum', () => {
    const alarm = evaluateAlarm(input('- - X X X', 3, 3, 'missing'));
    expect(alarm.state === 'ALARM' && alarm.reason).toBe(
      'Threshold Crossed: 3 out of the last 3 datapoints [99.0 (02/10/19 16:59:00), 99.0 (02/10/19 16:54:00), 99.0 (02/10/19 16:49:00)] were greater than the threshold (50.0) (minimum 3 datapoints for OK -> ALARM transition).',
    );
    const ok = evaluateAlarm(input('- - X 0 0', 3, 3, 'missing', 'ALARM'));
    expect(ok.state === 'OK' && ok.reason).toBe(
      'Threshold Crossed: 2 out of the last 3 datapoints [1.0 (02/10/19 16:59:00), 1.0 (02/10/19 16:54:00)] were not greater than the threshold (50.0) (minimum 1 datapoint for ALARM -> OK transition).',
    );
    const okMofN = evaluateAlarm(input('- - 0 0 0', 2, 3, 'missing', 'ALARM'));
    expect(okMofN.state === 'OK' && okMofN.reason).toContain(
      '(minimum 2 datapoints for ALARM -> OK transition).',
    );
  });

  it('uses the older wording when DatapointsToAlarm is not set', () => {
    const i = { ...input('- - X X X', 3, 3, 'missing'), datapointsToAlarm: undefined };
    const r = evaluateAlarm(i);
    expect(r.state === 'ALARM' && r.reason).toBe(
      'Threshold Crossed: 3 datapoints [99.0 (02/10/19 16:59:00), 99.0 (02/10/19 16:54:00), 99.0 (02/10/19 16:49:00)] were greater than the threshold (50.0).',
    );
    const filled = evaluateAlarm({
      ...input('- - - - 0', 3, 3, 'breaching', 'ALARM'),
      datapointsToAlarm: undefined,
    });
    expect(filled.state === 'OK' && filled.reason).toBe(
      'Threshold Crossed: 1 datapoint [1.0 (02/10/19 16:59:00)] was not greater than the threshold (50.0) and 2 missing datapoints were treated as [Breaching].',
    );
  });

  it('names missing datapoints treated as breaching or not', () => {
    const none = evaluateAlarm(input('- - - - -', 1, 1, 'notBreaching', 'INSUFFICIENT_DATA'));
    expect(none.state === 'OK' && none.reason).toBe(
      'Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].',
    );
    const two = evaluateAlarm(input('- - - - -', 2, 2, 'breaching'));
    expect(two.state === 'ALARM' && two.reason).toBe(
      'Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching].',
    );
    const some = evaluateAlarm(input('- - - - X', 1, 3, 'notBreaching'));
    expect(some.state === 'ALARM' && some.reason).toBe(
      'Threshold Crossed: 1 out of the last 3 datapoints [99.0 (02/10/19 16:59:00)] was greater than the threshold (50.0) and 2 missing datapoints were treated as [NonBreaching] (minimum 1 datapoint for OK -> ALARM transition).',
    );
    const fillOnly = evaluateAlarm(input('- - - - 0', 2, 3, 'breaching'));
    expect(fillOnly.state === 'ALARM' && fillOnly.reason).toBe(
      'Threshold Crossed: 1 datapoint was received for 3 periods and 2 missing datapoints were treated as [Breaching].',
    );
  });

  it('reports unknown datapoints for INSUFFICIENT_DATA, with their timestamps in reasonData', () => {
    const r = evaluateAlarm(input('- - - - -', 5, 5, 'missing'));
    expect(r.state).toBe('INSUFFICIENT_DATA');
    if (r.state === undefined) return;
    expect(r.reason).toBe('Insufficient Data: 5 datapoints were unknown.');
    const data = JSON.parse(r.reasonData);
    expect(data).toEqual({
      version: '1.0',
      queryDate: '2019-10-02T17:04:40.985+0000',
      statistic: 'Average',
      period: 300,
      recentDatapoints: [],
      threshold: 50,
      evaluatedDatapoints: [0, 1, 2, 3, 4].map((k) => ({ timestamp: cwTimestamp(T0 - (k + 1) * 5 * MIN) })),
    });
    expect(evaluateAlarm(input('- - - - -', 1, 1, 'missing'))).toMatchObject({
      reason: 'Insufficient Data: 1 datapoint was unknown.',
    });
  });

  it('puts the evaluated values oldest first in recentDatapoints and the unit when set', () => {
    const r = evaluateAlarm({
      ...input('- - 0 X 0', 2, 3, 'missing'),
      points: [
        { value: 3, sampleCount: 2 },
        { value: 70, sampleCount: 4 },
        { value: 5, sampleCount: 1 },
      ],
      unit: 'Percent',
    });
    if (r.state === undefined) throw new Error('no state');
    expect(r.reasonData).toContain(
      '"unit":"Percent","statistic":"Average","period":300,"recentDatapoints":[5.0,70.0,3.0]',
    );
    expect(r.reasonData).toContain(
      '"evaluatedDatapoints":[{"timestamp":"2019-10-02T16:59:00.000+0000","sampleCount":2.0,"value":3.0}]',
    );
  });
});

describe('Java-style formatting', () => {
  it.each([
    [50, '50.0'],
    [0, '0.0'],
    [-3, '-3.0'],
    [0.0666851903306472, '0.0666851903306472'],
    [99.50160229693434, '99.50160229693434'],
    [1234.5, '1234.5'],
    [1e7, '1.0E7'],
    [12345678.9, '1.23456789E7'],
    [0.0001, '1.0E-4'],
    [0.001, '0.001'],
  ])('javaDouble(%d) = %s', (x, s) => {
    expect(javaDouble(x)).toBe(s);
  });

  it('writes JSON with Java doubles and CloudWatch times', () => {
    expect(javaJson({ a: dbl(1), b: 2, c: [dbl(0.5)], d: undefined, e: 'x' })).toBe(
      '{"a":1.0,"b":2,"c":[0.5],"e":"x"}',
    );
    expect(cwTimestamp(Date.UTC(2019, 9, 2, 17, 4, 40, 989))).toBe('2019-10-02T17:04:40.989+0000');
    expect(reasonTime(Date.UTC(2019, 9, 2, 16, 59))).toBe('02/10/19 16:59:00');
  });
});
