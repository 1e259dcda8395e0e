/**
 * The three shapes in which an alarm state change reaches code, built from one alarm (as DescribeAlarms
 * returns it) and one transition, so the product's tests can build all three for the same alarm:
 *
 * 1. The EventBridge event `CloudWatch Alarm State Change` (source `aws.cloudwatch`).
 *    Source: CloudWatch User Guide, "Alarm events and EventBridge", sample "State change for a
 *    single-metric alarm" and "... for a metric math alarm" (test/fixtures/cloudwatch/alarm-state-change-alarm.json).
 * 2. An SNS alarm action delivered to a Lambda subscriber: `Records[0].Sns.Message` is the alarm's
 *    notification JSON (AlarmName, AlarmDescription, AWSAccountId, AlarmConfigurationUpdatedTimestamp,
 *    NewStateValue, NewStateReason, StateChangeTime, Region, AlarmArn, OldStateValue, OKActions,
 *    AlarmActions, InsufficientDataActions, Trigger{...}); Subject `ALARM: "name" in US East (N. Virginia)`.
 *    Sources: the SNS event shape in the Lambda Developer Guide ("Using Lambda with Amazon SNS") and
 *    aws/aws-lambda-go events/testdata/cloudwatch-alarm-sns-payload-{single,multiple}-metric(s).json;
 *    key order, "Statistic":"AVERAGE", "Unit":null, Dimensions [{value,name}], "TreatMissingData":"missing"
 *    and DatapointsToAlarm from a notification captured in January 2026.
 * 3. The payload a Lambda alarm action receives: {source, alarmArn, accountId, time, region, alarmData:
 *    {alarmName, state, previousState, configuration}}. Source: CloudWatch User Guide, "Invoke a Lambda
 *    function from an alarm", "Event object sent from CloudWatch to Lambda".
 *
 * Also the `CloudWatch Alarm Configuration Change` event detail (create/update/delete), same guide page.
 */
import { createHash } from 'node:crypto';
import type { Dimension, MetricAlarm, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { AwsEvent } from '../../core/service.ts';
import type { AlarmStateValue } from './evaluate.ts';
import { cwTimestamp, dbl, isoMillis, javaJson, regionName } from './format.ts';

/** One alarm state: `state` / `previousState` of the events. */
export interface AlarmStateSnapshot {
  value: AlarmStateValue;
  reason: string;
  /** JSON text, absent e.g. for "Unchecked: Initial alarm creation". */
  reasonData?: string;
  /** ms since the epoch, or a Date. */
  timestamp: number | Date;
}

export interface AlarmChange {
  /** The alarm as DescribeAlarms returns it (AlarmArn and AlarmName are required). */
  alarm: MetricAlarm;
  state: AlarmStateSnapshot;
  previousState: AlarmStateSnapshot;
  /** `configuration.metrics[0].id` of a single-metric alarm (a UUID CloudWatch assigns per configuration). */
  metricId?: string;
}

const ms = (t: number | Date | undefined): number => (t instanceof Date ? t.getTime() : (t ?? 0));

/** Region and account from `arn:aws:cloudwatch:<region>:<account>:alarm:<name>`. */
export function parseAlarmArn(arn: string): { region: string; account: string } {
  const [, , , region = '', account = ''] = arn.split(':');
  return { region, account };
}

/** A stable UUID-shaped id for a single-metric alarm's configuration when none is given. */
export function defaultMetricId(alarm: MetricAlarm): string {
  const h = createHash('sha256')
    .update(`${alarm.AlarmArn}\u0000${ms(alarm.AlarmConfigurationUpdatedTimestamp)}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function dimensionMap(dims: Dimension[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of dims ?? []) out[d.Name!] = d.Value!;
  return out;
}

/** `configuration.metrics` of the events and the Lambda payload. */
export function configurationMetrics(alarm: MetricAlarm, metricId?: string): unknown[] {
  if (alarm.Metrics?.length) {
    return alarm.Metrics.map((q: MetricDataQuery) =>
      q.Expression !== undefined
        ? {
            expression: q.Expression,
            id: q.Id,
            label: q.Label,
            returnData: q.ReturnData ?? true,
            period: q.Period,
          }
        : {
            id: q.Id,
            metricStat: {
              metric: {
                dimensions: dimensionMap(q.MetricStat?.Metric?.Dimensions),
                name: q.MetricStat?.Metric?.MetricName,
                namespace: q.MetricStat?.Metric?.Namespace,
              },
              period: q.MetricStat?.Period,
              stat: q.MetricStat?.Stat,
              unit: q.MetricStat?.Unit,
            },
            returnData: q.ReturnData ?? true,
          },
    );
  }
  return [
    {
      id: metricId ?? defaultMetricId(alarm),
      metricStat: {
        metric: {
          dimensions: dimensionMap(alarm.Dimensions),
          name: alarm.MetricName,
          namespace: alarm.Namespace,
        },
        period: alarm.Period,
        stat: alarm.ExtendedStatistic ?? alarm.Statistic,
        unit: alarm.Unit,
      },
      returnData: true,
    },
  ];
}

function stripUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function snapshot(s: AlarmStateSnapshot) {
  return {
    reason: s.reason,
    reasonData: s.reasonData,
    timestamp: cwTimestamp(ms(s.timestamp)),
    value: s.value,
  };
}

/** `detail` of `CloudWatch Alarm State Change`. */
export function stateChangeDetail(change: AlarmChange): Record<string, unknown> {
  const { alarm } = change;
  return stripUndefined({
    alarmName: alarm.AlarmName,
    configuration: {
      description: alarm.AlarmDescription,
      metrics: configurationMetrics(alarm, change.metricId),
    },
    previousState: snapshot(change.previousState),
    state: snapshot(change.state),
  });
}

/** The whole EventBridge event, in the envelope the local world's `emit` uses. */
export function stateChangeEvent(
  change: AlarmChange,
  options: { id?: string; time?: number } = {},
): AwsEvent {
  const { region, account } = parseAlarmArn(change.alarm.AlarmArn!);
  const time = options.time ?? ms(change.state.timestamp);
  return {
    version: '0',
    id:
      options.id ?? defaultMetricId({ ...change.alarm, AlarmConfigurationUpdatedTimestamp: new Date(time) }),
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account,
    time: new Date(Math.floor(time / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    region,
    resources: [change.alarm.AlarmArn!],
    detail: stateChangeDetail(change),
  };
}

/** The Lambda alarm action payload. */
export function lambdaActionPayload(change: AlarmChange): Record<string, unknown> {
  const { alarm } = change;
  const { region, account } = parseAlarmArn(alarm.AlarmArn!);
  return stripUndefined({
    source: 'aws.cloudwatch',
    alarmArn: alarm.AlarmArn,
    accountId: account,
    time: cwTimestamp(ms(change.state.timestamp)),
    region,
    alarmData: {
      alarmName: alarm.AlarmName,
      state: snapshotLambda(change.state),
      previousState: snapshotLambda(change.previousState),
      configuration: {
        description: alarm.AlarmDescription,
        metrics: configurationMetrics(alarm, change.metricId),
      },
    },
  });
}

function snapshotLambda(s: AlarmStateSnapshot) {
  return {
    value: s.value,
    reason: s.reason,
    reasonData: s.reasonData,
    timestamp: cwTimestamp(ms(s.timestamp)),
  };
}

/** "AVERAGE", "SAMPLE_COUNT": the statistic as the notification's Trigger spells it (a Java enum name). */
const upperStatistic = (s: string) => s.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();

const snsDimensions = (dims: Dimension[] | undefined) =>
  (dims ?? []).map((d) => ({ value: d.Value, name: d.Name }));

/** The notification CloudWatch publishes to an SNS topic (the `Message`, parsed). */
export function snsMessage(change: AlarmChange): Record<string, any> {
  return JSON.parse(snsMessageText(change));
}

function snsMessageFields(change: AlarmChange): Record<string, unknown> {
  const { alarm } = change;
  const { region, account } = parseAlarmArn(alarm.AlarmArn!);
  const common = {
    EvaluationPeriods: alarm.EvaluationPeriods,
    DatapointsToAlarm: alarm.DatapointsToAlarm,
    ComparisonOperator: alarm.ComparisonOperator,
    Threshold: alarm.Threshold === undefined ? undefined : dbl(alarm.Threshold),
    TreatMissingData: alarm.TreatMissingData ?? 'missing',
    EvaluateLowSampleCountPercentile: alarm.EvaluateLowSampleCountPercentile ?? '',
  };
  const trigger = alarm.Metrics?.length
    ? {
        Period: alarm.Metrics.find((q) => q.MetricStat)?.MetricStat?.Period ?? alarm.Metrics[0]?.Period ?? 60,
        ...common,
        Metrics: alarm.Metrics.map((q) =>
          q.Expression !== undefined
            ? { Expression: q.Expression, Id: q.Id, Label: q.Label, ReturnData: q.ReturnData ?? true }
            : {
                Id: q.Id,
                MetricStat: {
                  Metric: {
                    Dimensions: snsDimensions(q.MetricStat?.Metric?.Dimensions),
                    MetricName: q.MetricStat?.Metric?.MetricName,
                    Namespace: q.MetricStat?.Metric?.Namespace,
                  },
                  Period: q.MetricStat?.Period,
                  Stat: q.MetricStat?.Stat,
                  Unit: q.MetricStat?.Unit,
                },
                ReturnData: q.ReturnData ?? true,
              },
        ),
      }
    : {
        MetricName: alarm.MetricName,
        Namespace: alarm.Namespace,
        StatisticType: alarm.ExtendedStatistic ? 'ExtendedStatistic' : 'Statistic',
        Statistic: alarm.ExtendedStatistic ? undefined : upperStatistic(alarm.Statistic ?? ''),
        ExtendedStatistic: alarm.ExtendedStatistic,
        Unit: alarm.Unit ?? null,
        Dimensions: snsDimensions(alarm.Dimensions),
        Period: alarm.Period,
        ...common,
      };
  return {
    AlarmName: alarm.AlarmName,
    AlarmDescription: alarm.AlarmDescription ?? null,
    AWSAccountId: account,
    AlarmConfigurationUpdatedTimestamp: cwTimestamp(ms(alarm.AlarmConfigurationUpdatedTimestamp)),
    NewStateValue: change.state.value,
    NewStateReason: change.state.reason,
    StateChangeTime: cwTimestamp(ms(change.state.timestamp)),
    Region: regionName(region),
    AlarmArn: alarm.AlarmArn,
    OldStateValue: change.previousState.value,
    OKActions: alarm.OKActions ?? [],
    AlarmActions: alarm.AlarmActions ?? [],
    InsufficientDataActions: alarm.InsufficientDataActions ?? [],
    Trigger: trigger,
  };
}

/** The `Message` text: JSON with Java-style doubles ("Threshold":50.0). */
export function snsMessageText(change: AlarmChange): string {
  return javaJson(snsMessageFields(change));
}

/** `ALARM: "name" in US East (N. Virginia)` (SNS subjects are at most 100 characters). */
export function snsSubject(change: AlarmChange): string {
  const { region } = parseAlarmArn(change.alarm.AlarmArn!);
  return `${change.state.value}: "${change.alarm.AlarmName}" in ${regionName(region)}`.slice(0, 100);
}

export interface SnsDeliveryOptions {
  messageId?: string;
  subscriptionId?: string;
  /** When SNS published, ms; defaults to the state change time. */
  publishedAt?: number;
}

/** The event a Lambda function subscribed to the alarm's SNS topic receives. */
export function snsLambdaEvent(change: AlarmChange, topicArn: string, options: SnsDeliveryOptions = {}) {
  const region = topicArn.split(':')[3] ?? 'us-east-1';
  const message = snsMessageText(change);
  const hash = createHash('sha256').update(topicArn).update(message).digest();
  const hex = hash.toString('hex');
  const messageId =
    options.messageId ??
    `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  const subscriptionId = options.subscriptionId ?? defaultMetricId({ AlarmArn: topicArn });
  const subscriptionArn = `${topicArn}:${subscriptionId}`;
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: 'Notification',
          MessageId: messageId,
          TopicArn: topicArn,
          Subject: snsSubject(change),
          Message: message,
          Timestamp: isoMillis(options.publishedAt ?? ms(change.state.timestamp)),
          SignatureVersion: '1',
          Signature: Buffer.concat([hash, hash, hash, hash, hash, hash, hash, hash]).toString('base64'),
          SigningCertUrl: `https://sns.${region}.amazonaws.com/SimpleNotificationService-${hex.slice(32, 64)}.pem`,
          UnsubscribeUrl: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`,
          MessageAttributes: {},
        },
      },
    ],
  };
}

/** `detail` of `CloudWatch Alarm Configuration Change` (operation create | update | delete). */
export function configurationChangeDetail(
  operation: 'create' | 'update' | 'delete',
  alarm: MetricAlarm,
  metricId: string | undefined,
  previous?: { alarm: MetricAlarm; metricId?: string },
): Record<string, unknown> {
  const config = (a: MetricAlarm, id: string | undefined) => ({
    evaluationPeriods: a.EvaluationPeriods,
    datapointsToAlarm: a.DatapointsToAlarm,
    threshold: a.Threshold,
    comparisonOperator: a.ComparisonOperator,
    treatMissingData: a.TreatMissingData,
    metrics: configurationMetrics(a, id),
    alarmName: a.AlarmName,
    description: a.AlarmDescription,
    actionsEnabled: a.ActionsEnabled,
    timestamp: cwTimestamp(ms(a.AlarmConfigurationUpdatedTimestamp)),
    okActions: a.OKActions ?? [],
    alarmActions: a.AlarmActions ?? [],
    insufficientDataActions: a.InsufficientDataActions ?? [],
  });
  return stripUndefined({
    alarmName: alarm.AlarmName,
    operation,
    state: { value: alarm.StateValue, timestamp: cwTimestamp(ms(alarm.StateUpdatedTimestamp)) },
    configuration: config(alarm, metricId),
    previousConfiguration: previous ? config(previous.alarm, previous.metricId) : undefined,
  });
}
