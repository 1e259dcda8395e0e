/**
 * The three shapes of an alarm state change (EventBridge event, SNS notification to a Lambda subscriber,
 * Lambda alarm action payload) built from the same alarm, against the fixtures in
 * test/fixtures/cloudwatch (see SOURCES.md there).
 */
import { readFileSync } from 'node:fs';
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import {
  type AlarmChange,
  configurationChangeDetail,
  lambdaActionPayload,
  snsLambdaEvent,
  snsMessage,
  snsSubject,
  stateChangeEvent,
} from '../../local/services/cloudwatch/shapes.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/cloudwatch/${name}`, import.meta.url), 'utf8'));

/** Keys and value types, recursively (arrays by their first element). */
function shapeOf(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shapeOf(v[0])] : [];
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, shapeOf((v as Record<string, unknown>)[k])]),
    );
  return v === null ? 'null' : typeof v;
}

describe('EventBridge CloudWatch Alarm State Change', () => {
  it('reproduces the documented sample exactly from the alarm and its two states', () => {
    const sample = fixture('alarm-state-change-alarm.json');
    const alarm: MetricAlarm = {
      AlarmName: 'ServerCpuTooHigh',
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh',
      AlarmDescription: 'Goes into alarm when server CPU utilization is too high!',
      Namespace: 'AWS/EC2',
      MetricName: 'CPUUtilization',
      Dimensions: [{ Name: 'InstanceId', Value: 'i-12345678901234567' }],
      Statistic: 'Average',
      Period: 300,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 50,
      ComparisonOperator: 'GreaterThanThreshold',
    };
    const { state, previousState } = sample.detail;
    const change: AlarmChange = {
      alarm,
      metricId: sample.detail.configuration.metrics[0].id,
      state: { ...state, timestamp: Date.parse(state.timestamp.replace('+0000', 'Z')) },
      previousState: {
        ...previousState,
        timestamp: Date.parse(previousState.timestamp.replace('+0000', 'Z')),
      },
    };
    expect(stateChangeEvent(change, { id: sample.id })).toEqual(sample);
  });

  it('describes a metric math alarm by its queries', () => {
    const alarm: MetricAlarm = {
      AlarmName: 'TotalNetworkTrafficTooHigh',
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:TotalNetworkTrafficTooHigh',
      Metrics: [
        { Id: 'e1', Expression: 'SUM(METRICS())', Label: 'Total Network Traffic', ReturnData: true },
        {
          Id: 'm1',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/EC2',
              MetricName: 'NetworkIn',
              Dimensions: [{ Name: 'InstanceId', Value: 'i-1' }],
            },
            Period: 300,
            Stat: 'Maximum',
          },
          ReturnData: false,
        },
      ],
      EvaluationPeriods: 1,
      Threshold: 10000,
      ComparisonOperator: 'GreaterThanThreshold',
    };
    const t = Date.UTC(2019, 9, 2, 17, 20, 48, 554);
    const event = stateChangeEvent({
      alarm,
      state: { value: 'ALARM', reason: 'r', reasonData: '{}', timestamp: t },
      previousState: {
        value: 'INSUFFICIENT_DATA',
        reason: 'Unchecked: Initial alarm creation',
        timestamp: t - 45_000,
      },
    });
    // Source: the "State change for a metric math alarm" sample of the same guide page.
    expect(event.detail.configuration.metrics).toEqual([
      { expression: 'SUM(METRICS())', id: 'e1', label: 'Total Network Traffic', returnData: true },
      {
        id: 'm1',
        metricStat: {
          metric: { dimensions: { InstanceId: 'i-1' }, name: 'NetworkIn', namespace: 'AWS/EC2' },
          period: 300,
          stat: 'Maximum',
        },
        returnData: false,
      },
    ]);
    expect(event.detail.previousState).toEqual({
      reason: 'Unchecked: Initial alarm creation',
      timestamp: '2019-10-02T17:20:03.554+0000',
      value: 'INSUFFICIENT_DATA',
    });
    expect(event.detail.configuration).not.toHaveProperty('description');
  });
});

/** The alarm behind the SNS and Lambda fixtures. */
const checkout: MetricAlarm = {
  AlarmName: 'checkout-latency-high',
  AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-latency-high',
  AlarmDescription: 'Checkout latency above 500 ms',
  AlarmConfigurationUpdatedTimestamp: new Date('2026-03-04T10:09:12.000Z'),
  ActionsEnabled: true,
  OKActions: [],
  AlarmActions: ['arn:aws:sns:us-east-1:123456789012:oncall'],
  InsufficientDataActions: [],
  Namespace: 'Shop/Checkout',
  MetricName: 'Latency',
  Dimensions: [{ Name: 'Service', Value: 'checkout' }],
  Statistic: 'Average',
  Period: 60,
  Unit: 'Milliseconds',
  EvaluationPeriods: 1,
  DatapointsToAlarm: 1,
  Threshold: 500,
  ComparisonOperator: 'GreaterThanThreshold',
};

function checkoutChange(): AlarmChange {
  const lambda = fixture('lambda-alarm-action-metric.json');
  const t = (s: string) => Date.parse(s.replace('+0000', 'Z'));
  const { state, previousState } = lambda.alarmData;
  return {
    alarm: checkout,
    metricId: lambda.alarmData.configuration.metrics[0].id,
    state: { ...state, timestamp: t(state.timestamp) },
    previousState: { ...previousState, timestamp: t(previousState.timestamp) },
  };
}

describe('SNS notification to a Lambda subscriber', () => {
  it('has the documented record shape and the notification JSON as Message', () => {
    const expected = fixture('sns-alarm-notification.json');
    const sns = expected.Records[0].Sns;
    const event = snsLambdaEvent(checkoutChange(), sns.TopicArn, {
      messageId: sns.MessageId,
      subscriptionId: expected.Records[0].EventSubscriptionArn.split(':').pop(),
      publishedAt: Date.parse(sns.Timestamp),
    });
    expect(shapeOf(event)).toEqual(shapeOf(expected));
    const got = event.Records[0]!.Sns;
    // Byte for byte: key order and "Threshold":500.0 as CloudWatch (Java) writes it.
    expect(got.Message).toBe(sns.Message);
    expect(got).toMatchObject({
      Type: 'Notification',
      MessageId: sns.MessageId,
      TopicArn: sns.TopicArn,
      Subject: 'ALARM: "checkout-latency-high" in US East (N. Virginia)',
      Timestamp: sns.Timestamp,
      MessageAttributes: {},
    });
    expect(event.Records[0]).toMatchObject({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: expected.Records[0].EventSubscriptionArn,
    });
    expect(got.UnsubscribeUrl).toBe(sns.UnsubscribeUrl);
  });

  it('writes Unit null, the statistic in capitals, and the statistic type of percentile alarms', () => {
    const change = checkoutChange();
    const plain = snsMessage({
      ...change,
      alarm: { ...checkout, Unit: undefined, Statistic: 'SampleCount' },
    });
    expect(plain.Trigger).toMatchObject({
      Unit: null,
      Statistic: 'SAMPLE_COUNT',
      StatisticType: 'Statistic',
    });
    const pct = snsMessage({
      ...change,
      alarm: { ...checkout, Statistic: undefined, ExtendedStatistic: 'p99' },
    });
    expect(pct.Trigger).toMatchObject({ StatisticType: 'ExtendedStatistic', ExtendedStatistic: 'p99' });
    expect(pct.Trigger).not.toHaveProperty('Statistic');
    expect(
      snsMessage({ ...change, alarm: { ...checkout, AlarmDescription: undefined } }).AlarmDescription,
    ).toBeNull();
    expect(
      snsSubject({
        ...change,
        alarm: { ...checkout, AlarmArn: 'arn:aws:cloudwatch:eu-west-1:1:alarm:x', AlarmName: 'x' },
      }),
    ).toBe('ALARM: "x" in EU (Ireland)');
  });
});

describe('Lambda alarm action payload', () => {
  it('has the documented shape and values', () => {
    const expected = fixture('lambda-alarm-action-metric.json');
    const payload = lambdaActionPayload(checkoutChange());
    expect(shapeOf(payload)).toEqual(shapeOf(expected));
    expect(payload).toEqual(expected);
  });
});

describe('CloudWatch Alarm Configuration Change', () => {
  it('carries the operation, the state and the configuration (and the previous one on update)', () => {
    const before = {
      ...checkout,
      StateValue: 'OK' as const,
      StateUpdatedTimestamp: new Date(Date.UTC(2026, 2, 4, 10)),
    };
    const after = {
      ...before,
      Threshold: 600,
      AlarmConfigurationUpdatedTimestamp: new Date(Date.UTC(2026, 2, 4, 11)),
    };
    const detail = configurationChangeDetail('update', after, 'id-2', { alarm: before, metricId: 'id-1' });
    // Keys of the "Update of a metric alarm" sample (CloudWatch User Guide, "Alarm events and EventBridge").
    expect(Object.keys(detail).sort()).toEqual([
      'alarmName',
      'configuration',
      'operation',
      'previousConfiguration',
      'state',
    ]);
    expect(detail).toMatchObject({
      alarmName: 'checkout-latency-high',
      operation: 'update',
      state: { value: 'OK', timestamp: '2026-03-04T10:00:00.000+0000' },
      configuration: {
        evaluationPeriods: 1,
        threshold: 600,
        comparisonOperator: 'GreaterThanThreshold',
        alarmName: 'checkout-latency-high',
        description: 'Checkout latency above 500 ms',
        actionsEnabled: true,
        timestamp: '2026-03-04T11:00:00.000+0000',
        okActions: [],
        alarmActions: ['arn:aws:sns:us-east-1:123456789012:oncall'],
        insufficientDataActions: [],
      },
      previousConfiguration: { threshold: 500 },
    });
    expect((detail.configuration as any).metrics[0].id).toBe('id-2');
  });
});
