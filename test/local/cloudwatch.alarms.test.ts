/**
 * Metric alarms through the real @aws-sdk/client-cloudwatch, evaluated on the virtual clock: the
 * operations and their errors, state transitions and their events, SetAlarmState, missing data, M of N,
 * and the actions delivered to Lambda functions and SNS subscribers.
 */

import { readFileSync } from 'node:fs';
import {
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  DescribeAlarmsForMetricCommand,
  DisableAlarmActionsCommand,
  EnableAlarmActionsCommand,
  InvalidFormatFault,
  InvalidNextToken,
  InvalidParameterCombinationException,
  LimitExceededFault,
  ListTagsForResourceCommand,
  type MetricAlarm,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
  PutMetricDataCommand,
  ResourceNotFound,
  ResourceNotFoundException,
  SetAlarmStateCommand,
  TagResourceCommand,
  ValidationException,
} from '@aws-sdk/client-cloudwatch';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsEvent } from '../../local/core/service.ts';
import { startWorld, type TestWorld } from '../helpers/world.ts';

const START = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const NS = 'Shop/Checkout';
const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:on-alarm';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:oncall';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/cloudwatch/${name}`, import.meta.url), 'utf8'));

/**
 * Asserts the same keys and value types, recursively: arrays by their first element (an empty array
 * matches any array), `dimensions` as a map of names to strings.
 */
function expectSameShape(actual: unknown, expected: unknown, path = '$'): void {
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  expect(kind(actual), path).toBe(kind(expected));
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length && expected.length) expectSameShape(actual[0], expected[0], `${path}[0]`);
  } else if (kind(actual) === 'object') {
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    if (path.endsWith('.dimensions')) {
      for (const [k, v] of Object.entries(a)) expect(typeof v, `${path}.${k}`).toBe('string');
      return;
    }
    expect(Object.keys(a).sort(), path).toEqual(Object.keys(e).sort());
    for (const k of Object.keys(e)) expectSameShape(a[k], e[k], `${path}.${k}`);
  }
}

let t: TestWorld;
beforeEach(async () => {
  t = await startWorld({ start: START });
});
afterEach(() => t.world.stop());

const alarmInput = (
  name: string,
  extra: Partial<PutMetricAlarmCommandInput> = {},
): PutMetricAlarmCommandInput => ({
  AlarmName: name,
  AlarmDescription: 'Checkout latency above 500 ms',
  Namespace: NS,
  MetricName: 'Latency',
  Dimensions: [{ Name: 'Service', Value: 'checkout' }],
  Statistic: 'Average',
  Period: 60,
  EvaluationPeriods: 1,
  DatapointsToAlarm: 1,
  Threshold: 500,
  ComparisonOperator: 'GreaterThanThreshold',
  ...extra,
});
const putAlarm = (name: string, extra: Partial<PutMetricAlarmCommandInput> = {}) =>
  t.cloudwatch.send(new PutMetricAlarmCommand(alarmInput(name, extra)));
/** Publishes a latency datapoint now (virtual time). */
const latency = (Value: number, MetricName = 'Latency') =>
  t.cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: NS,
      MetricData: [
        { MetricName, Dimensions: [{ Name: 'Service', Value: 'checkout' }], Value, Unit: 'Milliseconds' },
      ],
    }),
  );
const describeOne = async (name: string): Promise<MetricAlarm> => {
  const res = await t.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
  expect(res.MetricAlarms).toHaveLength(1);
  return res.MetricAlarms![0]!;
};
const stateChanges = (name: string): AwsEvent[] =>
  t.world.eventLog
    .map((l) => l.event)
    .filter((e) => e['detail-type'] === 'CloudWatch Alarm State Change' && e.detail.alarmName === name);
/** Advances to `minutes` after START plus `seconds`. */
// Moves the clock only: the tests look at alarm actions while they are queued, before world.settle() delivers them.
const runTo = async (minutes: number, seconds = 0) =>
  t.world.clock.advanceTo(START + minutes * MIN + seconds * 1000);

describe('an alarm going OK -> ALARM -> OK', () => {
  it('is evaluated each minute on the minute that just ended, with events like the real sample', async () => {
    await putAlarm('latency-high');
    const created = await describeOne('latency-high');
    expect(created).toMatchObject({
      AlarmName: 'latency-high',
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:latency-high',
      StateValue: 'INSUFFICIENT_DATA',
      StateReason: 'Unchecked: Initial alarm creation',
      ActionsEnabled: true,
      OKActions: [],
      AlarmActions: [],
      InsufficientDataActions: [],
      Dimensions: [{ Name: 'Service', Value: 'checkout' }],
      Period: 60,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 500,
      StateUpdatedTimestamp: new Date(START),
      StateTransitionedTimestamp: new Date(START),
      AlarmConfigurationUpdatedTimestamp: new Date(START),
    });
    expect(created).not.toHaveProperty('StateReasonData');

    await runTo(0, 30);
    await latency(100);
    // The bucket [00:00, 00:01) is evaluated at 00:01:05, not before.
    await runTo(1, 4);
    expect(t.world.cloudwatch.alarmState('latency-high')).toBe('INSUFFICIENT_DATA');
    await runTo(1, 5);
    expect(t.world.cloudwatch.alarmState('latency-high')).toBe('OK');

    await runTo(1, 30);
    await latency(800);
    await latency(900);
    await runTo(2, 5);
    const alarm = await describeOne('latency-high');
    expect(alarm.StateValue).toBe('ALARM');
    expect(alarm.StateReason).toBe(
      'Threshold Crossed: 1 out of the last 1 datapoints [850.0 (01/01/26 00:01:00)] was greater than the threshold (500.0) (minimum 1 datapoint for OK -> ALARM transition).',
    );
    expect(JSON.parse(alarm.StateReasonData!)).toEqual({
      version: '1.0',
      queryDate: '2026-01-01T00:02:05.000+0000',
      startDate: '2026-01-01T00:01:00.000+0000',
      statistic: 'Average',
      period: 60,
      recentDatapoints: [850],
      threshold: 500,
      evaluatedDatapoints: [{ timestamp: '2026-01-01T00:01:00.000+0000', sampleCount: 2, value: 850 }],
    });
    expect(alarm.StateTransitionedTimestamp).toEqual(new Date(START + 2 * MIN + 5000));

    await runTo(2, 30);
    await latency(200);
    await runTo(3, 5);
    expect(t.world.cloudwatch.alarmState('latency-high')).toBe('OK');

    const events = stateChanges('latency-high');
    expect(events.map((e) => [e.detail.previousState.value, e.detail.state.value, e.time])).toEqual([
      ['INSUFFICIENT_DATA', 'OK', '2026-01-01T00:01:05Z'],
      ['OK', 'ALARM', '2026-01-01T00:02:05Z'],
      ['ALARM', 'OK', '2026-01-01T00:03:05Z'],
    ]);
    // OK -> ALARM has the same keys and value types as the documented sample, envelope included.
    const sample = fixture('alarm-state-change-alarm.json');
    const toAlarm = events[1]!;
    expectSameShape(toAlarm, sample);
    const sampleData = JSON.parse(sample.detail.state.reasonData);
    const data = JSON.parse(toAlarm.detail.state.reasonData);
    for (const k of Object.keys(sampleData)) expect(typeof data[k], k).toBe(typeof sampleData[k]);
    expect(toAlarm).toMatchObject({
      source: 'aws.cloudwatch',
      account: '123456789012',
      region: 'us-east-1',
      resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:latency-high'],
      detail: {
        alarmName: 'latency-high',
        configuration: {
          description: 'Checkout latency above 500 ms',
          metrics: [
            {
              metricStat: {
                metric: { dimensions: { Service: 'checkout' }, name: 'Latency', namespace: NS },
                period: 60,
                stat: 'Average',
              },
              returnData: true,
            },
          ],
        },
        state: {
          value: 'ALARM',
          reason: alarm.StateReason,
          reasonData: alarm.StateReasonData,
          timestamp: '2026-01-01T00:02:05.000+0000',
        },
        previousState: { value: 'OK', timestamp: '2026-01-01T00:01:05.000+0000' },
      },
    });
    expect(events[2]!.detail.previousState).toEqual(toAlarm.detail.state);
    expect(events[0]!.detail.previousState).toEqual({
      reason: 'Unchecked: Initial alarm creation',
      timestamp: '2026-01-01T00:00:00.000+0000',
      value: 'INSUFFICIENT_DATA',
    });
  });

  it('stays put (no event) while the state does not change, and goes back to INSUFFICIENT_DATA when data stops', async () => {
    await putAlarm('quiet', { EvaluationPeriods: 2, DatapointsToAlarm: 2 });
    await runTo(0, 10);
    await latency(100);
    await runTo(1, 10);
    await latency(100);
    await runTo(10);
    const events = stateChanges('quiet');
    expect(events.map((e) => e.detail.state.value)).toEqual(['OK', 'INSUFFICIENT_DATA']);
    // Real datapoints stay in the evaluation range (N + 2 periods): at 00:05:05 the range is the buckets
    // 00:01 to 00:04 and still holds the last one (00:01); at 00:06:05 none is left.
    expect(events[1]!.time).toBe('2026-01-01T00:06:05Z');
    expect(events[1]!.detail.state.reason).toBe('Insufficient Data: 2 datapoints were unknown.');
  });
});

describe('missing data', () => {
  it.each([
    ['missing', 'INSUFFICIENT_DATA', undefined],
    ['ignore', 'INSUFFICIENT_DATA', undefined],
    [
      'breaching',
      'ALARM',
      'Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [Breaching].',
    ],
    [
      'notBreaching',
      'OK',
      'Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].',
    ],
  ])('TreatMissingData %s with no data at all -> %s', async (treat, expected, reason) => {
    await putAlarm('no-data', { TreatMissingData: treat });
    await runTo(3);
    const alarm = await describeOne('no-data');
    expect(alarm.StateValue).toBe(expected);
    expect(alarm.TreatMissingData).toBe(treat);
    const events = stateChanges('no-data');
    if (reason) {
      expect(events).toHaveLength(1);
      expect(alarm.StateReason).toBe(reason);
    } else expect(events).toHaveLength(0);
  });

  it('ignore keeps the last state once data stops; missing does not', async () => {
    await putAlarm('keep', { TreatMissingData: 'ignore' });
    await putAlarm('drop', { TreatMissingData: 'missing' });
    await runTo(0, 10);
    await latency(900);
    await runTo(20);
    expect(t.world.cloudwatch.alarmState('keep')).toBe('ALARM');
    expect(t.world.cloudwatch.alarmState('drop')).toBe('INSUFFICIENT_DATA');
  });
});

describe('M out of N over time', () => {
  it('goes to ALARM when 2 of the last 3 minutes breach, not before', async () => {
    await putAlarm('two-of-three', { EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    const values = [900, 100, 100, 900, 100, 900];
    for (let m = 0; m < values.length; m++) {
      await runTo(m, 10);
      await latency(values[m]!);
    }
    await runTo(6, 10);
    const changes = stateChanges('two-of-three').map((e) => [e.time, e.detail.state.value]);
    // 00:01 [900] OK? No: with one real point of three and missing data, 1 breaching < 2 and no
    // non-breaching point -> still INSUFFICIENT_DATA; 00:02 [900,100] -> OK; 00:06 [900,100,900] -> ALARM.
    expect(changes).toEqual([
      ['2026-01-01T00:02:05Z', 'OK'],
      ['2026-01-01T00:06:05Z', 'ALARM'],
    ]);
    expect((await describeOne('two-of-three')).StateReason).toBe(
      'Threshold Crossed: 2 out of the last 3 datapoints [900.0 (01/01/26 00:05:00), 900.0 (01/01/26 00:03:00)] were greater than the threshold (500.0) (minimum 2 datapoints for OK -> ALARM transition).',
    );
  });

  it('evaluates high-resolution alarms every 10 seconds', async () => {
    await putAlarm('fast', { Period: 10, MetricName: 'Hot' });
    await runTo(0, 1);
    await t.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: NS,
        MetricData: [
          {
            MetricName: 'Hot',
            Dimensions: [{ Name: 'Service', Value: 'checkout' }],
            Value: 999,
            StorageResolution: 1,
          },
        ],
      }),
    );
    await runTo(0, 15);
    expect(t.world.cloudwatch.alarmState('fast')).toBe('ALARM');
    expect(stateChanges('fast')[0]!.time).toBe('2026-01-01T00:00:15Z');
  });

  it('evaluates metric math alarms', async () => {
    await t.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'error-rate',
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
        Metrics: [
          { Id: 'rate', Expression: '100 * errors / requests', Label: 'Error rate', ReturnData: true },
          {
            Id: 'errors',
            MetricStat: { Metric: { Namespace: NS, MetricName: 'Errors' }, Period: 60, Stat: 'Sum' },
            ReturnData: false,
          },
          {
            Id: 'requests',
            MetricStat: { Metric: { Namespace: NS, MetricName: 'Requests' }, Period: 60, Stat: 'Sum' },
            ReturnData: false,
          },
        ],
      }),
    );
    await runTo(0, 10);
    await t.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: NS,
        MetricData: [
          { MetricName: 'Requests', Value: 200 },
          { MetricName: 'Errors', Value: 20 },
        ],
      }),
    );
    await runTo(1, 5);
    const alarm = await describeOne('error-rate');
    expect(alarm.StateValue).toBe('ALARM');
    expect(alarm.StateReason).toContain('[10.0 (01/01/26 00:00:00)] was greater than the threshold (5.0)');
    expect(JSON.parse(alarm.StateReasonData!)).not.toHaveProperty('statistic');
    expect(alarm.Metrics).toHaveLength(3);
    expect(alarm).not.toHaveProperty('Period');
    expect(stateChanges('error-rate')[0]!.detail.configuration.metrics[0]).toEqual({
      expression: '100 * errors / requests',
      id: 'rate',
      label: 'Error rate',
      returnData: true,
    });
  });

  it('evaluates metrics the local services record in-process', async () => {
    await putAlarm('ecs-cpu', {
      Namespace: 'AWS/ECS',
      MetricName: 'CPUUtilization',
      Dimensions: [
        { Name: 'ServiceName', Value: 'web' },
        { Name: 'ClusterName', Value: 'prod' },
      ],
      Threshold: 80,
    });
    t.world.cloudwatch.record('AWS/ECS', [
      {
        metricName: 'CPUUtilization',
        dimensions: { ClusterName: 'prod', ServiceName: 'web' },
        value: 95,
        timestamp: START,
        unit: 'Percent',
      },
    ]);
    await runTo(1, 5);
    expect(t.world.cloudwatch.alarmState('ecs-cpu')).toBe('ALARM');
  });
});

describe('SetAlarmState', () => {
  it('sets the state until the next evaluation, which sets the actual state again', async () => {
    await putAlarm('manual', { AlarmActions: [LAMBDA] });
    await runTo(0, 10);
    await latency(100);
    await runTo(1, 10);
    expect(t.world.cloudwatch.alarmState('manual')).toBe('OK');
    await latency(100);
    await t.cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: 'manual',
        StateValue: 'ALARM',
        StateReason: 'testing the pager',
        StateReasonData: '{"by":"test"}',
      }),
    );
    const set = await describeOne('manual');
    expect(set).toMatchObject({
      StateValue: 'ALARM',
      StateReason: 'testing the pager',
      StateReasonData: '{"by":"test"}',
    });
    await runTo(2, 5);
    expect(t.world.cloudwatch.alarmState('manual')).toBe('OK');
    expect(
      stateChanges('manual').map((e) => [e.time, e.detail.state.value, e.detail.state.reason.slice(0, 17)]),
    ).toEqual([
      ['2026-01-01T00:01:05Z', 'OK', 'Threshold Crossed'],
      ['2026-01-01T00:01:10Z', 'ALARM', 'testing the pager'],
      ['2026-01-01T00:02:05Z', 'OK', 'Threshold Crossed'],
    ]);
    // The ALARM set by hand ran the alarm's actions.
    const got: any[] = [];
    t.world.functions.set(LAMBDA, async (e) => got.push(e));
    expect(await t.world.cloudwatch.drainActions()).toBe(1);
    expect(got[0].alarmData.state).toEqual({
      value: 'ALARM',
      reason: 'testing the pager',
      reasonData: '{"by":"test"}',
      timestamp: '2026-01-01T00:01:10.000+0000',
    });
  });

  it('raises ResourceNotFound, InvalidFormatFault and ValidationException', async () => {
    await putAlarm('exists');
    const err = await t.cloudwatch
      .send(new SetAlarmStateCommand({ AlarmName: 'nope', StateValue: 'ALARM', StateReason: 'x' }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(ResourceNotFound);
    expect(err.$metadata.httpStatusCode).toBe(404);
    await expect(
      t.cloudwatch.send(
        new SetAlarmStateCommand({
          AlarmName: 'exists',
          StateValue: 'ALARM',
          StateReason: 'x',
          StateReasonData: '{oops',
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidFormatFault);
    await expect(
      t.cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: 'exists', StateValue: 'PANIC' as any, StateReason: 'x' }),
      ),
    ).rejects.toBeInstanceOf(ValidationException);
    expect(t.world.cloudwatch.alarmState('exists')).toBe('INSUFFICIENT_DATA');
  });
});

describe('alarm actions', () => {
  it('invokes a Lambda action with the documented payload and SNS subscribers with the notification', async () => {
    await putAlarm('paged', { AlarmActions: [LAMBDA, TOPIC], OKActions: [LAMBDA], Unit: 'Milliseconds' });
    const lambda: any[] = [];
    const sns: any[] = [];
    t.world.functions.set(LAMBDA, async (e) => lambda.push(e));
    t.world.functions.set(TOPIC, async (e) => sns.push(e));
    await runTo(0, 10);
    await latency(100);
    await runTo(1, 10);
    await latency(900);
    await runTo(2, 5);
    // Queued, not delivered, until drained: delivery must not block the clock.
    expect(lambda).toHaveLength(0);
    expect(await t.world.cloudwatch.drainActions()).toBe(3);
    expect(await t.world.cloudwatch.drainActions()).toBe(0);
    expect(lambda.map((e) => e.alarmData.state.value)).toEqual(['OK', 'ALARM']);
    expect(lambda[0].alarmData.previousState).toEqual({
      value: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      timestamp: '2026-01-01T00:00:00.000+0000',
    });

    const documented = fixture('lambda-alarm-action-metric.json');
    const toAlarm = lambda[1];
    expectSameShape(toAlarm, documented);
    const event = stateChanges('paged')[1]!;
    expect(toAlarm).toMatchObject({
      source: 'aws.cloudwatch',
      alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:paged',
      accountId: '123456789012',
      region: 'us-east-1',
      time: '2026-01-01T00:02:05.000+0000',
      alarmData: {
        alarmName: 'paged',
        state: {
          value: 'ALARM',
          reason: event.detail.state.reason,
          reasonData: event.detail.state.reasonData,
        },
        previousState: { value: 'OK', reason: event.detail.previousState.reason },
        configuration: event.detail.configuration,
      },
    });
    expect(toAlarm.alarmData.configuration.metrics[0].metricStat.unit).toBe('Milliseconds');

    const record = fixture('sns-alarm-notification.json');
    expect(sns).toHaveLength(1);
    expectSameShape(sns[0], record);
    const message = JSON.parse(sns[0].Records[0].Sns.Message);
    expectSameShape(message, JSON.parse(record.Records[0].Sns.Message));
    expect(message).toMatchObject({
      AlarmName: 'paged',
      NewStateValue: 'ALARM',
      OldStateValue: 'OK',
      NewStateReason: event.detail.state.reason,
      StateChangeTime: '2026-01-01T00:02:05.000+0000',
      Region: 'US East (N. Virginia)',
      AlarmActions: [LAMBDA, TOPIC],
      OKActions: [LAMBDA],
      Trigger: { MetricName: 'Latency', Statistic: 'AVERAGE', Threshold: 500, Unit: 'Milliseconds' },
    });
    expect(sns[0].Records[0].Sns).toMatchObject({
      TopicArn: TOPIC,
      Subject: 'ALARM: "paged" in US East (N. Virginia)',
    });
    expect(sns[0].Records[0].Sns.Message).toContain('"Threshold":500.0');

    // Back to OK: only the OK action runs.
    await runTo(2, 10);
    await latency(100);
    await runTo(3, 5);
    expect(await t.world.cloudwatch.drainActions()).toBe(1);
    expect(lambda.map((e) => e.alarmData.state.value)).toEqual(['OK', 'ALARM', 'OK']);
    expect(sns).toHaveLength(1);
    const history = await t.cloudwatch.send(
      new DescribeAlarmHistoryCommand({
        AlarmName: 'paged',
        HistoryItemType: 'Action',
        ScanBy: 'TimestampAscending',
      }),
    );
    expect(history.AlarmHistoryItems?.map((h) => h.HistorySummary)).toEqual([
      `Successfully executed action ${LAMBDA}`,
      `Successfully executed action ${LAMBDA}`,
      `Successfully executed action ${TOPIC}`,
      `Successfully executed action ${LAMBDA}`,
    ]);
  });

  it('records a failed action when the function is missing or throws', async () => {
    await putAlarm('broken', { AlarmActions: [LAMBDA, `${LAMBDA}-other`] });
    t.world.functions.set(LAMBDA, async () => {
      throw new Error('boom');
    });
    await runTo(0, 10);
    await latency(900);
    await runTo(1, 5);
    expect(await t.world.cloudwatch.drainActions()).toBe(2);
    const history = await t.cloudwatch.send(
      new DescribeAlarmHistoryCommand({ AlarmName: 'broken', HistoryItemType: 'Action' }),
    );
    expect(
      history.AlarmHistoryItems?.map((h) => [
        h.HistorySummary,
        JSON.parse(h.HistoryData!).actionState,
      ]).sort(),
    ).toEqual([
      [`Failed to execute action ${LAMBDA}`, 'Failed'],
      [`Failed to execute action ${LAMBDA}-other`, 'Failed'],
    ]);
  });

  it('runs no actions while disabled, but still changes state and emits events', async () => {
    await putAlarm('muted', { AlarmActions: [LAMBDA] });
    await t.cloudwatch.send(new DisableAlarmActionsCommand({ AlarmNames: ['muted', 'unknown'] }));
    expect((await describeOne('muted')).ActionsEnabled).toBe(false);
    await runTo(0, 10);
    await latency(900);
    await runTo(1, 5);
    expect(t.world.cloudwatch.alarmState('muted')).toBe('ALARM');
    expect(stateChanges('muted')).toHaveLength(1);
    expect(await t.world.cloudwatch.drainActions()).toBe(0);
    await t.cloudwatch.send(new EnableAlarmActionsCommand({ AlarmNames: ['muted'] }));
    await t.cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: 'muted', StateValue: 'OK', StateReason: 'reset' }),
    );
    await t.cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: 'muted', StateValue: 'ALARM', StateReason: 'again' }),
    );
    expect(await t.world.cloudwatch.drainActions()).toBe(1);
  });
});

describe('PutMetricAlarm, DescribeAlarms, DeleteAlarms', () => {
  it('updates keep the state and the tags, and emit configuration change events', async () => {
    await putAlarm('cfg', { Tags: [{ Key: 'team', Value: 'checkout' }] });
    await runTo(0, 10);
    await latency(900);
    await runTo(1, 5);
    await putAlarm('cfg', { Threshold: 1000, Tags: [{ Key: 'ignored', Value: 'x' }] });
    const alarm = await describeOne('cfg');
    expect(alarm).toMatchObject({
      StateValue: 'ALARM',
      Threshold: 1000,
      AlarmConfigurationUpdatedTimestamp: new Date(START + MIN + 5000),
      StateUpdatedTimestamp: new Date(START + MIN + 5000),
    });
    const tags = await t.cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: alarm.AlarmArn }));
    expect(tags.Tags).toEqual([{ Key: 'team', Value: 'checkout' }]);
    await t.cloudwatch.send(
      new TagResourceCommand({ ResourceARN: alarm.AlarmArn, Tags: [{ Key: 'tier', Value: '1' }] }),
    );
    expect(
      (await t.cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: alarm.AlarmArn }))).Tags,
    ).toHaveLength(2);
    await expect(
      t.cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: `${alarm.AlarmArn}-gone` })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);

    await t.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: ['cfg', 'never-existed'] }));
    expect(
      (await t.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['cfg'] }))).MetricAlarms,
    ).toEqual([]);
    const config = t.world.eventLog
      .map((l) => l.event)
      .filter((e) => e['detail-type'] === 'CloudWatch Alarm Configuration Change');
    expect(config.map((e) => e.detail.operation)).toEqual(['create', 'update', 'delete']);
    expect(config[1]!.detail).toMatchObject({
      alarmName: 'cfg',
      state: { value: 'ALARM' },
      configuration: { threshold: 1000, alarmName: 'cfg', actionsEnabled: true },
      previousConfiguration: { threshold: 500 },
    });
    // A deleted alarm is no longer evaluated.
    await runTo(5);
    expect(stateChanges('cfg')).toHaveLength(1);
  });

  it('filters, pages and refuses bad tokens', async () => {
    for (const name of ['svc-a-cpu', 'svc-a-mem', 'svc-b-cpu', 'other']) await putAlarm(name);
    await t.cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: 'svc-b-cpu', StateValue: 'ALARM', StateReason: 'x' }),
    );
    const names = async (input: any) =>
      (await t.cloudwatch.send(new DescribeAlarmsCommand(input))).MetricAlarms!.map((a) => a.AlarmName);
    expect(await names({})).toEqual(['other', 'svc-a-cpu', 'svc-a-mem', 'svc-b-cpu']);
    expect(await names({ AlarmNamePrefix: 'svc-a' })).toEqual(['svc-a-cpu', 'svc-a-mem']);
    expect(await names({ StateValue: 'ALARM' })).toEqual(['svc-b-cpu']);
    expect(await names({ AlarmNames: ['svc-b-cpu', 'other', 'missing'] })).toEqual(['other', 'svc-b-cpu']);
    expect(await names({ AlarmTypes: ['CompositeAlarm'] })).toEqual([]);
    const first = await t.cloudwatch.send(new DescribeAlarmsCommand({ MaxRecords: 3 }));
    expect(first.MetricAlarms?.map((a) => a.AlarmName)).toEqual(['other', 'svc-a-cpu', 'svc-a-mem']);
    const second = await t.cloudwatch.send(
      new DescribeAlarmsCommand({ MaxRecords: 3, NextToken: first.NextToken }),
    );
    expect(second.MetricAlarms?.map((a) => a.AlarmName)).toEqual(['svc-b-cpu']);
    expect(second.NextToken).toBeUndefined();
    await expect(
      t.cloudwatch.send(new DescribeAlarmsCommand({ NextToken: 'garbage' })),
    ).rejects.toBeInstanceOf(InvalidNextToken);
    await expect(
      t.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['a'], AlarmNamePrefix: 'a' })),
    ).rejects.toBeInstanceOf(InvalidParameterCombinationException);
    await expect(t.cloudwatch.send(new DescribeAlarmsCommand({ MaxRecords: 101 }))).rejects.toBeInstanceOf(
      ValidationException,
    );
    const forMetric = await t.cloudwatch.send(
      new DescribeAlarmsForMetricCommand({
        Namespace: NS,
        MetricName: 'Latency',
        Dimensions: [{ Name: 'Service', Value: 'checkout' }],
      }),
    );
    expect(forMetric.MetricAlarms).toHaveLength(4);
  });

  it.each([
    ['DatapointsToAlarm above EvaluationPeriods', { EvaluationPeriods: 2, DatapointsToAlarm: 3 }],
    ['a period that is not 10, 20, 30 or a multiple of 60', { Period: 45 }],
    ['more than a day of evaluation for short periods', { Period: 60, EvaluationPeriods: 1441 }],
    ['both Statistic and ExtendedStatistic', { ExtendedStatistic: 'p99' }],
    ['an unknown comparison', { ComparisonOperator: 'BiggerThan' as any }],
    ['an unknown TreatMissingData', { TreatMissingData: 'zero' }],
    ['Metrics together with MetricName', { Metrics: [{ Id: 'm1', Expression: '1' }] }],
    ['six alarm actions', { AlarmActions: Array(6).fill(LAMBDA) }],
    ['a missing threshold', { Threshold: undefined }],
  ])('refuses %s with ValidationException', async (_, extra) => {
    await expect(putAlarm('invalid', extra)).rejects.toBeInstanceOf(ValidationException);
    expect(t.world.cloudwatch.alarmState('invalid')).toBeUndefined();
  });

  it('raises LimitExceededFault past the alarm quota', async () => {
    t.world.cloudwatch.maxAlarms = 2;
    await putAlarm('one');
    await putAlarm('two');
    await putAlarm('two', { Threshold: 1 }); // an update does not count
    const err = await putAlarm('three').catch((e) => e);
    expect(err).toBeInstanceOf(LimitExceededFault);
    expect(err.Error?.Code ?? err.Code).toBe('LimitExceeded');
  });

  it('keeps a history of configuration and state updates', async () => {
    await putAlarm('hist');
    await runTo(0, 10);
    await latency(900);
    await runTo(1, 5);
    const res = await t.cloudwatch.send(new DescribeAlarmHistoryCommand({ AlarmName: 'hist' }));
    expect(res.AlarmHistoryItems?.map((h) => [h.HistoryItemType, h.HistorySummary, h.Timestamp])).toEqual([
      ['StateUpdate', 'Alarm updated from INSUFFICIENT_DATA to ALARM', new Date(START + MIN + 5000)],
      ['ConfigurationUpdate', 'Alarm "hist" created', new Date(START)],
    ]);
    const data = JSON.parse(res.AlarmHistoryItems![0]!.HistoryData!);
    expect(data).toMatchObject({
      version: '1.0',
      oldState: { stateValue: 'INSUFFICIENT_DATA', stateReason: 'Unchecked: Initial alarm creation' },
      newState: { stateValue: 'ALARM', stateReasonData: { version: '1.0', period: 60, threshold: 500 } },
    });
    const paged = await t.cloudwatch.send(
      new DescribeAlarmHistoryCommand({ AlarmName: 'hist', MaxRecords: 1 }),
    );
    expect(paged.AlarmHistoryItems).toHaveLength(1);
    const next = await t.cloudwatch.send(
      new DescribeAlarmHistoryCommand({ AlarmName: 'hist', MaxRecords: 1, NextToken: paged.NextToken }),
    );
    expect(next.AlarmHistoryItems?.[0]?.HistoryItemType).toBe('ConfigurationUpdate');
  });
});
