/**
 * The local CloudWatch: metrics (PutMetricData, GetMetricStatistics, GetMetricData, ListMetrics) and
 * metric alarms (PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms, SetAlarmState,
 * Enable/DisableAlarmActions, DescribeAlarmHistory, tags), evaluated on the world's virtual clock.
 *
 * Wire: JSON 1.0, target `GraniteServiceVersion20100801`, query-compatible errors (see ./errors.ts).
 *
 * Alarm evaluation (CloudWatch User Guide, "Alarm evaluation"): "For any period of one minute or longer,
 * an alarm is evaluated every minute and the evaluation is based on the window of time defined by the
 * Period and Evaluation Periods"; alarms with a 10/20/30 s period every 10 seconds; alarms whose
 * Period x EvaluationPeriods exceeds a day once an hour, on data up to the hour. Real evaluations run at a
 * fixed second within the minute and query buckets that end at the minute: an evaluation at 17:04:40
 * of a 300 s alarm reports the datapoint "(02/10/19 16:59:00)" (EventBridge sample), one at 08:14:49 of a
 * 900 s alarm the buckets 06:14 ... 07:59. Here every alarm is evaluated `evaluationOffsetMs` (5 s)
 * after the minute (the 10 s mark, the hour), over buckets [E - k*Period, E - (k-1)*Period) with E the
 * minute (10 s, hour) boundary; a datapoint counts once its bucket has ended and the next evaluation runs.
 *
 * State changes emit `CloudWatch Alarm State Change` on the bus and queue the alarm's actions (Lambda
 * functions and SNS topics, both delivered to `world.functions`); `drainActions()` delivers them.
 */
import { createHash } from 'node:crypto';
import type { Dimension, MetricAlarm, MetricDataQuery, Tag } from '@aws-sdk/client-cloudwatch';
import type { Datum, FunctionsContext, WorldContext } from '../../core/context.ts';
import type { LocalService } from '../../core/service.ts';
import { evaluateRule, parseAlarmRule, type Rule, ruleAlarms } from './composite.ts';
import {
  invalidFormat,
  invalidNextToken,
  invalidParameterCombination,
  invalidParameterValue,
  limitExceededFault,
  missingParameter,
  resourceNotFound,
  resourceNotFoundException,
  validationError,
} from './errors.ts';
import {
  type AlarmPoint,
  type AlarmStateValue,
  COMPARISONS,
  decideState,
  type EvaluationInput,
  EXTRA_RANGE,
  evaluateAlarm,
  TREAT_MISSING_DATA,
} from './evaluate.ts';
import { evaluate as evaluateMath, parseExpression, referencedIds, type TimeSeries } from './math.ts';
import {
  type AlarmChange,
  type AlarmStateSnapshot,
  configurationChangeDetail,
  lambdaActionPayload,
  snsLambdaEvent,
  stateChangeDetail,
} from './shapes.ts';
import {
  aggregate,
  isPercentile,
  isStatistic,
  MetricStore,
  type Sample,
  type Series,
  STATISTICS,
  sortDimensions,
  statValue,
} from './store.ts';

/** A datapoint recorded in-process (by the local ECS and load balancer), as PutMetricData would store it. */
export type { AlarmStateValue, Datum };

/** What the local CloudWatch asks of its world: the shared context, and Lambda stand-ins for alarm actions. */
export type CloudWatchContext = WorldContext & FunctionsContext;

/** StandardUnit of the API model. */
const UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

const STATES: readonly AlarmStateValue[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];
const ID_PATTERN = /^[a-z][a-zA-Z0-9_]*$/;
const TWO_WEEKS_MS = 14 * 24 * 3600_000;
const TWO_HOURS_MS = 2 * 3600_000;
const HISTORY_RETENTION_MS = 30 * 24 * 3600_000;
/** Values must be in the range of -2^360 to 2^360 (PutMetricData doc). */
const VALUE_LIMIT = 2 ** 360;

interface Alarm {
  /** As DescribeAlarms returns it; timestamps are Dates. */
  config: MetricAlarm & { AlarmName: string; AlarmArn: string; StateValue: AlarmStateValue };
  /** `configuration.metrics[0].id` of the events, new for each configuration. */
  metricId: string;
  tags: Tag[];
}

interface Composite {
  /** As DescribeAlarms returns it in `CompositeAlarms`. */
  config: {
    AlarmName: string;
    AlarmArn: string;
    AlarmDescription?: string;
    AlarmRule: string;
    ActionsEnabled: boolean;
    AlarmActions: string[];
    OKActions: string[];
    InsufficientDataActions: string[];
    StateValue: AlarmStateValue;
    StateReason: string;
    StateReasonData?: string;
    StateUpdatedTimestamp: Date;
    StateTransitionedTimestamp: Date;
    AlarmConfigurationUpdatedTimestamp: Date;
  };
  rule: Rule;
}

interface HistoryItem {
  AlarmName: string;
  AlarmType: 'MetricAlarm';
  Timestamp: number;
  HistoryItemType: 'ConfigurationUpdate' | 'StateUpdate' | 'Action';
  HistorySummary: string;
  HistoryData: string;
}

interface PendingAction {
  alarmName: string;
  arn: string;
  kind: 'lambda' | 'sns';
  payload: unknown;
  stateUpdateTimestamp: number;
}

/** Epoch seconds (as the SDK sends timestamps) to ms; a Date (in-process callers) is taken as is. */
function toMs(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return Math.round(value * 1000);
  if (typeof value === 'string') {
    const n = Number(value);
    if (Number.isFinite(n)) return Math.round(n * 1000);
    const d = Date.parse(value);
    return Number.isNaN(d) ? Number.NaN : d;
  }
  return Number.NaN;
}

function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeToken<T>(token: string, check: (v: any) => boolean): T {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (check(v)) return v as T;
  } catch {
    // fall through
  }
  throw invalidNextToken('The service cannot process the NextToken.');
}

const validPeriod = (p: unknown, highResAllowed: boolean): p is number =>
  typeof p === 'number' &&
  Number.isInteger(p) &&
  p > 0 &&
  (p % 60 === 0 || (highResAllowed && [1, 5, 10, 20, 30].includes(p)));

function cleanDimensions(dims: any, path: string, err = missingParameter): Dimension[] {
  if (dims === undefined || dims === null) return [];
  if (!Array.isArray(dims)) throw invalidParameterValue(`The parameter ${path} is invalid.`);
  if (dims.length > 30)
    throw invalidParameterValue(`The collection ${path} must not have a size greater than 30.`);
  return dims.map((d: any, j: number) => {
    if (typeof d?.Name !== 'string' || d.Name === '')
      throw err(`The parameter ${path}.member.${j + 1}.Name is required.`);
    if (typeof d?.Value !== 'string' || d.Value === '')
      throw err(`The parameter ${path}.member.${j + 1}.Value is required.`);
    return { Name: d.Name, Value: d.Value };
  });
}

/** A deterministic, non-chronological order: "Data points are not returned in chronological order." */
function scramble<T extends { Timestamp: Date }>(points: T[]): T[] {
  const key = (p: T) => (Math.imul(Math.floor(p.Timestamp.getTime() / 1000), 2654435761) >>> 0) ^ 0x5bd1e995;
  return [...points].sort((a, b) => key(a) - key(b));
}

export class LocalCloudWatch implements LocalService {
  readonly name = 'cloudwatch';
  readonly target = 'GraniteServiceVersion20100801';
  readonly protocol = 'json1.0' as const;
  readonly queryCompatible = true;
  /** CloudWatch's original protocol, still sent by the AWS CLI and the SDK for JavaScript v2. */
  readonly query = { version: '2010-08-01', xmlns: 'http://monitoring.amazonaws.com/doc/2010-08-01/' };
  readonly store: MetricStore;
  /** Alarms per account. AWS no longer has a quota ("You can create as many alarms as you want"). */
  maxAlarms = Number.POSITIVE_INFINITY;
  /** How far past the minute (10 s mark) alarms are evaluated; below 10 s. */
  evaluationOffsetMs = 5_000;

  private alarms = new Map<string, Alarm>();
  /** Composite alarms by name (composite.ts). */
  private composites = new Map<string, Composite>();
  private history: HistoryItem[] = [];
  private pending: PendingAction[] = [];
  private cancelTick?: () => void;

  constructor(readonly world: CloudWatchContext) {
    this.store = new MetricStore(() => world.now());
  }

  readonly operations: Record<string, (input: any) => unknown> = {
    PutMetricData: (input) => this.putMetricData(input),
    GetMetricStatistics: (input) => this.getMetricStatistics(input),
    GetMetricData: (input) => this.getMetricData(input),
    ListMetrics: (input) => this.listMetrics(input),
    PutMetricAlarm: (input) => this.putMetricAlarm(input),
    PutCompositeAlarm: (input) => this.putCompositeAlarm(input),
    DescribeAlarms: (input) => this.describeAlarms(input),
    DescribeAlarmsForMetric: (input) => this.describeAlarmsForMetric(input),
    DeleteAlarms: (input) => this.deleteAlarms(input),
    SetAlarmState: (input) => this.setAlarmState(input),
    EnableAlarmActions: (input) => this.setActionsEnabled(input, true),
    DisableAlarmActions: (input) => this.setActionsEnabled(input, false),
    DescribeAlarmHistory: (input) => this.describeAlarmHistory(input),
    ListTagsForResource: (input) => ({ Tags: [...this.alarmByArn(input.ResourceARN).tags] }),
    TagResource: (input) => this.tagResource(input),
    UntagResource: (input) => this.untagResource(input),
  };

  /** Stores datapoints without an API call (the local ECS publishes AWS/ECS and AWS/ApplicationELB metrics). */
  record(namespace: string, data: Datum[]): void {
    for (const d of data) {
      const names = Object.keys(d.dimensions).sort();
      let key = `${namespace}\u0000${d.metricName}`;
      for (const n of names) key += `\u0000${n}\u0001${d.dimensions[n]}`;
      this.store.putKeyed(
        key,
        namespace,
        d.metricName,
        () => names.map((Name) => ({ Name, Value: d.dimensions[Name]! })),
        { t: d.timestamp, n: 1, sum: d.value, min: d.value, max: d.value, unit: d.unit ?? 'None', pct: true },
        false,
      );
    }
  }

  /** The current state of an alarm, or undefined if there is no such alarm. */
  alarmState(name: string): AlarmStateValue | undefined {
    return this.alarms.get(name)?.config.StateValue ?? this.composites.get(name)?.config.StateValue;
  }

  /** How long an alarm's evaluation window is (Period × EvaluationPeriods), in ms; undefined if no such alarm. */
  alarmWindowMs(name: string): number | undefined {
    const c = this.alarms.get(name)?.config;
    return c ? alarmPeriod(c) * c.EvaluationPeriods! * 1000 : undefined;
  }

  /**
   * Delivers the alarm actions queued by state changes (Lambda functions and SNS topics, to
   * `world.functions`), each as its own invocation (core/concurrency.ts; the world's settle waits
   * for them). Returns how many were delivered. The world's settle loop should call it next to
   * `events.drain()`.
   */
  async drainActions(): Promise<number> {
    const batch = this.pending;
    if (batch.length === 0) return 0;
    this.pending = [];
    for (const a of batch) {
      void this.world.tasks.run(this.world.now(), async () => {
        const fn = this.world.functions.get(a.arn) ?? this.world.functions.get(unqualified(a.arn));
        let error: string | undefined;
        if (!fn) error = `no function ${a.arn}`;
        else {
          try {
            await fn(a.payload);
          } catch (e) {
            error = String((e as Error)?.message ?? e);
          }
        }
        this.addHistory(
          a.alarmName,
          'Action',
          `${error ? 'Failed to execute' : 'Successfully executed'} action ${a.arn}`,
          {
            actionState: error ? 'Failed' : 'Succeeded',
            stateUpdateTimestamp: a.stateUpdateTimestamp,
            [a.kind === 'sns' ? 'notificationResource' : 'lambdaFunction']: a.arn,
            error,
          },
        );
      });
    }
    await this.world.tasks.idle();
    return batch.length;
  }

  // ---------------------------------------------------------------- metrics

  private putMetricData(input: any): Record<string, never> {
    const ns = input.Namespace;
    if (ns === undefined || ns === null || ns === '')
      throw missingParameter('The parameter Namespace is required.');
    if (typeof ns !== 'string' || ns.length > 255 || ns.startsWith(':'))
      throw invalidParameterValue(`The value ${ns} for parameter Namespace is invalid.`);
    // "The value AWS/ for parameter Namespace is invalid." (boto/boto3#1847): AWS/ is reserved.
    if (ns.startsWith('AWS/'))
      throw invalidParameterValue('The value AWS/ for parameter Namespace is invalid.');
    const data: any[] = [
      ...(input.MetricData ?? []),
      ...(input.EntityMetricData ?? []).flatMap((e: any) => e?.MetricData ?? []),
    ];
    if (data.length === 0) throw missingParameter('The parameter MetricData is required.');
    if (data.length > 1000)
      throw invalidParameterValue('The collection MetricData must not have a size greater than 1000.');
    const now = this.world.now();
    const parsed = data.map((d, i) => this.parseDatum(d, `MetricData.member.${i + 1}`, now));
    for (const p of parsed) this.store.put(ns, p.name, p.dims, p.sample, p.highRes);
    return {};
  }

  private parseDatum(d: any, p: string, now: number) {
    if (typeof d?.MetricName !== 'string' || d.MetricName === '')
      throw missingParameter(`The parameter ${p}.MetricName is required.`);
    const dims = cleanDimensions(d.Dimensions, `${p}.Dimensions`);
    const given = [
      d.Value !== undefined && d.Value !== null ? 'Value' : undefined,
      d.StatisticValues ? 'StatisticValues' : undefined,
      Array.isArray(d.Values) && d.Values.length ? 'Values' : undefined,
    ].filter((x): x is string => x !== undefined);
    if (given.length === 0)
      throw invalidParameterCombination(
        `At least one of the parameters ${p}.Value and ${p}.StatisticValues must be specified.`,
      );
    if (given.length > 1)
      throw invalidParameterCombination(
        `The parameters ${p}.${given[0]} and ${p}.${given[1]} are mutually exclusive and you have specified both.`,
      );
    const number = (v: unknown, name: string): number => {
      if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > VALUE_LIMIT)
        throw invalidParameterValue(`The value ${v} for parameter ${name} is invalid.`);
      return v;
    };
    const unit = d.Unit ?? 'None';
    if (!UNITS.has(unit))
      throw invalidParameterValue(`The value ${unit} for parameter ${p}.Unit is invalid.`);
    const res = d.StorageResolution ?? 60;
    if (res !== 1 && res !== 60)
      throw invalidParameterValue(`The value ${res} for parameter ${p}.StorageResolution is invalid.`);
    const t = d.Timestamp === undefined || d.Timestamp === null ? now : toMs(d.Timestamp)!;
    if (Number.isNaN(t)) throw invalidParameterValue(`The parameter ${p}.Timestamp is invalid.`);
    if (t < now - TWO_WEEKS_MS)
      throw invalidParameterValue(
        `The parameter ${p}.Timestamp must specify a time within the past two weeks.`,
      );
    if (t > now + TWO_HOURS_MS)
      throw invalidParameterValue(
        `The parameter ${p}.Timestamp must specify a time no more than two hours in the future.`,
      );
    let sample: Sample;
    if (given[0] === 'Value') {
      const v = number(d.Value, `${p}.Value`);
      sample = { t, n: 1, sum: v, min: v, max: v, unit, pct: true };
    } else if (given[0] === 'Values') {
      if (d.Values.length > 150)
        throw invalidParameterValue(`The collection ${p}.Values must not have a size greater than 150.`);
      const values = d.Values.map((v: unknown, j: number) => number(v, `${p}.Values.member.${j + 1}`));
      if (d.Counts !== undefined && d.Counts !== null && d.Counts.length !== values.length)
        throw invalidParameterValue(`The parameters ${p}.Values and ${p}.Counts must be of the same size.`);
      const counts: number[] = values.map((_: number, j: number) => {
        const c = d.Counts?.[j] ?? 1;
        if (typeof c !== 'number' || !(c >= 0))
          throw invalidParameterValue(`The value ${c} for parameter ${p}.Counts.member.${j + 1} is invalid.`);
        return c;
      });
      let n = 0;
      let sum = 0;
      for (let j = 0; j < values.length; j++) {
        n += counts[j]!;
        sum += values[j]! * counts[j]!;
      }
      sample = {
        t,
        n,
        sum,
        min: Math.min(...values),
        max: Math.max(...values),
        unit,
        values,
        counts,
        pct: true,
      };
    } else {
      const s = d.StatisticValues;
      for (const k of ['SampleCount', 'Sum', 'Minimum', 'Maximum'])
        if (s[k] === undefined || s[k] === null)
          throw missingParameter(`The parameter ${p}.StatisticValues.${k} is required.`);
      const n = number(s.SampleCount, `${p}.StatisticValues.SampleCount`);
      const sum = number(s.Sum, `${p}.StatisticValues.Sum`);
      const min = number(s.Minimum, `${p}.StatisticValues.Minimum`);
      const max = number(s.Maximum, `${p}.StatisticValues.Maximum`);
      if (n <= 0)
        throw invalidParameterValue(
          `The value ${n} for parameter ${p}.StatisticValues.SampleCount is invalid.`,
        );
      if (min > max)
        throw invalidParameterValue(
          `The parameter ${p}.StatisticValues.Minimum must be less than or equal to ${p}.StatisticValues.Maximum.`,
        );
      // Percentiles only when "SampleCount is 1" or "Min and Max are equal" (PutMetricData doc).
      sample = { t, n, sum, min, max, unit, pct: min === max };
    }
    return { name: d.MetricName as string, dims, sample, highRes: res === 1 };
  }

  private getMetricStatistics(input: any) {
    for (const k of ['Namespace', 'MetricName', 'StartTime', 'EndTime', 'Period'])
      if (input[k] === undefined || input[k] === null || input[k] === '')
        throw missingParameter(`The parameter ${k} is required.`);
    const stats: string[] = input.Statistics ?? [];
    const ext: string[] = input.ExtendedStatistics ?? [];
    if (stats.length && ext.length)
      throw invalidParameterCombination(
        'The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.',
      );
    if (!stats.length && !ext.length)
      throw invalidParameterCombination(
        'At least one of the parameters Statistics and ExtendedStatistics must be specified.',
      );
    if (stats.length > 5)
      throw invalidParameterValue('The collection Statistics must not have a size greater than 5.');
    if (ext.length > 10)
      throw invalidParameterValue('The collection ExtendedStatistics must not have a size greater than 10.');
    for (const s of stats)
      if (!(STATISTICS as readonly string[]).includes(s))
        throw invalidParameterValue(`The value ${s} for parameter Statistics is invalid.`);
    for (const s of ext)
      if (!isPercentile(s))
        throw invalidParameterValue(`The value ${s} for parameter ExtendedStatistics is invalid.`);
    const period = input.Period;
    if (!validPeriod(period, true))
      throw invalidParameterValue('The parameter Period must be 1, 5, 10, 20, 30, or a multiple of 60.');
    if (input.Unit !== undefined && !UNITS.has(input.Unit))
      throw invalidParameterValue(`The value ${input.Unit} for parameter Unit is invalid.`);
    const dims = cleanDimensions(input.Dimensions, 'Dimensions');
    const start = this.alignStart(toMs(input.StartTime)!, period);
    const end = toMs(input.EndTime)!;
    if (Number.isNaN(start) || Number.isNaN(end) || start >= end)
      throw invalidParameterValue('The parameter StartTime must be less than the parameter EndTime.');
    const requested = Math.ceil((end - start) / (period * 1000));
    if (requested > 1440)
      throw invalidParameterCombination(
        `You have requested up to ${requested.toLocaleString('en-US')} datapoints, which exceeds the limit of 1,440. ` +
          'You may reduce the datapoints requested by increasing Period, or decreasing the time range.',
      );
    const series = this.store.get(input.Namespace, input.MetricName, dims);
    const aggs = aggregate(
      series,
      start,
      end,
      period * 1000,
      input.Unit,
      input.Unit === undefined,
      ext.length > 0,
    );
    const datapoints: any[] = [];
    for (const agg of aggs) {
      const dp: any = { Timestamp: new Date(agg.start) };
      for (const s of stats) dp[s] = statValue(agg, s);
      if (ext.length) {
        const values: Record<string, number> = {};
        for (const s of ext) {
          const v = statValue(agg, s);
          if (v !== undefined) values[s] = v;
        }
        if (Object.keys(values).length === 0) continue;
        dp.ExtendedStatistics = values;
      }
      dp.Unit = agg.unit;
      datapoints.push(dp);
    }
    return { Label: input.MetricName, Datapoints: scramble(datapoints) };
  }

  /**
   * "Start time less than 15 days ago - Round down to the nearest whole minute"; with a period of
   * 1-30 s, to the period's divisions of the minute (GetMetricStatistics/GetMetricData StartTime doc).
   */
  private alignStart(startMs: number, periodSec: number): number {
    const grain = periodSec < 60 ? periodSec * 1000 : 60_000;
    return Math.floor(startMs / grain) * grain;
  }

  private getMetricData(input: any) {
    const queries: any[] = input.MetricDataQueries;
    if (!Array.isArray(queries) || queries.length === 0)
      throw validationError(
        "1 validation error detected: Value null at 'metricDataQueries' failed to satisfy constraint: Member must not be null",
      );
    if (queries.length > 500)
      throw validationError('The collection MetricDataQueries must not have a size greater than 500.');
    for (const k of ['StartTime', 'EndTime'])
      if (input[k] === undefined || input[k] === null)
        throw validationError(
          `1 validation error detected: Value null at '${k[0]!.toLowerCase()}${k.slice(1)}' failed to satisfy constraint: Member must not be null`,
        );
    const startRaw = toMs(input.StartTime)!;
    const end = toMs(input.EndTime)!;
    if (!(startRaw < end))
      throw validationError('The parameter StartTime must be less than the parameter EndTime.');
    const scanBy = input.ScanBy ?? 'TimestampDescending';
    if (scanBy !== 'TimestampDescending' && scanBy !== 'TimestampAscending')
      throw validationError(
        `1 validation error detected: Value '${scanBy}' at 'scanBy' failed to satisfy constraint: Member must satisfy enum value set: [TimestampDescending, TimestampAscending]`,
      );
    const max = input.MaxDatapoints ?? 100_800;
    if (!Number.isInteger(max) || max < 1)
      throw validationError(`The value ${max} for parameter MaxDatapoints is invalid.`);
    this.validateQueries(queries, 'MetricDataQueries', true);

    const series = this.runQueries(queries, startRaw, end);
    const results: Array<{ Id: string; Label: string; points: Array<[number, number]> }> = [];
    for (const q of queries) {
      if (q.ReturnData === false) continue;
      const out = series.get(q.Id)!;
      for (const s of Array.isArray(out) ? out : [out]) {
        const points = s.t.map((t, i): [number, number] => [t, s.v[i]!]);
        if (scanBy === 'TimestampDescending') points.reverse();
        results.push({ Id: q.Id, Label: q.Label ?? s.label, points });
      }
    }
    // Pagination over all returned datapoints, MaxDatapoints per page.
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([queries, input.StartTime, input.EndTime, scanBy, max]))
      .digest('hex')
      .slice(0, 16);
    const offset = input.NextToken
      ? decodeToken<{ o: number; f: number }>(
          input.NextToken,
          (v) => Number.isInteger(v?.o) && v.o >= 0 && v.f === fingerprint,
        ).o
      : 0;
    let cursor = 0;
    const pageEnd = offset + max;
    const total = results.reduce((acc, r) => acc + r.points.length, 0);
    const MetricDataResults = results.map((r) => {
      const from = Math.max(0, offset - cursor);
      const to = Math.max(0, Math.min(r.points.length, pageEnd - cursor));
      cursor += r.points.length;
      const page = from < to ? r.points.slice(from, to) : [];
      return {
        Id: r.Id,
        Label: r.Label,
        Timestamps: page.map(([t]) => new Date(t)),
        Values: page.map(([, v]) => v),
        StatusCode: to < r.points.length ? 'PartialData' : 'Complete',
        Messages: [],
      };
    });
    return {
      MetricDataResults,
      NextToken: pageEnd < total ? encodeToken({ o: pageEnd, f: fingerprint }) : undefined,
      Messages: [],
    };
  }

  /** Validates MetricDataQueries (GetMetricData or an alarm's Metrics). */
  private validateQueries(queries: any[], path: string, highResAllowed: boolean): void {
    const ids = new Set<string>();
    queries.forEach((q, i) => {
      const p = `${path}.member.${i + 1}`;
      if (typeof q?.Id !== 'string' || !ID_PATTERN.test(q.Id))
        throw validationError(
          `The value ${q?.Id} for parameter ${p}.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$.`,
        );
      if (ids.has(q.Id)) throw validationError(`The values for parameter id in ${path} are not unique.`);
      ids.add(q.Id);
      const hasStat = q.MetricStat !== undefined && q.MetricStat !== null;
      const hasExpr = typeof q.Expression === 'string';
      if (hasStat === hasExpr)
        throw validationError(`Exactly one element of MetricStat and Expression must be specified in ${p}.`);
      if (hasStat) {
        const m = q.MetricStat.Metric;
        if (!m?.Namespace || !m?.MetricName)
          throw validationError(
            `The parameter ${p}.MetricStat.Metric must specify a Namespace and a MetricName.`,
          );
        cleanDimensions(m.Dimensions, `${p}.MetricStat.Metric.Dimensions`, validationError);
        if (!validPeriod(q.MetricStat.Period, highResAllowed))
          throw validationError(
            `The value ${q.MetricStat.Period} for parameter ${p}.MetricStat.Period is invalid.`,
          );
        if (typeof q.MetricStat.Stat !== 'string' || !isStatistic(q.MetricStat.Stat))
          throw validationError(
            `The value ${q.MetricStat.Stat} for parameter ${p}.MetricStat.Stat is invalid.`,
          );
        if (q.MetricStat.Unit !== undefined && !UNITS.has(q.MetricStat.Unit))
          throw validationError(
            `The value ${q.MetricStat.Unit} for parameter ${p}.MetricStat.Unit is invalid.`,
          );
      } else {
        const node = parseExpression(q.Expression);
        for (const ref of referencedIds(node))
          if (!queries.some((o) => o?.Id === ref))
            throw validationError(`Error in expression ${q.Id}: Unrecognized metric or expression id ${ref}`);
      }
    });
  }

  /**
   * Computes every query over [start, end): MetricStat queries as period buckets from the aligned start,
   * expressions from them. Returns the series (or arrays of series) by Id.
   */
  private runQueries(
    queries: any[],
    start: number,
    end: number,
    /** Round the start down as GetMetricData does; alarms pass an already aligned range. */
    align = true,
  ): Map<string, TimeSeries | TimeSeries[]> {
    const byId = new Map<string, any>(queries.map((q) => [q.Id, q]));
    const done = new Map<string, TimeSeries | TimeSeries[]>();
    const metricQueries = queries.filter((q) => q.MetricStat);
    const basePeriod = metricQueries[0]?.MetricStat.Period ?? queries.find((q) => q.Period)?.Period ?? 60;
    const gridStart = align ? this.alignStart(start, basePeriod) : start;
    const grid: number[] = [];
    for (let t = gridStart; t < end; t += basePeriod * 1000) grid.push(t);
    const visiting = new Set<string>();
    const resolve = (id: string): TimeSeries | TimeSeries[] => {
      const have = done.get(id);
      if (have) return have;
      const q = byId.get(id);
      if (!q) throw validationError(`Unrecognized metric or expression id ${id}`);
      if (visiting.has(id)) throw validationError(`Circular dependency in expression ${id}`);
      visiting.add(id);
      let out: TimeSeries | TimeSeries[];
      if (q.MetricStat) {
        const ms = q.MetricStat;
        const periodMs = ms.Period * 1000;
        const from = align ? this.alignStart(start, ms.Period) : start;
        const s = this.store.get(ms.Metric.Namespace, ms.Metric.MetricName, ms.Metric.Dimensions);
        const t: number[] = [];
        const v: number[] = [];
        for (const agg of aggregate(s, from, end, periodMs, ms.Unit, false, isPercentile(ms.Stat))) {
          const value = statValue(agg, ms.Stat);
          if (value !== undefined) {
            t.push(agg.start);
            v.push(value);
          }
        }
        out = { id, label: ms.Metric.MetricName, t, v };
      } else {
        const value = evaluateMath(parseExpression(q.Expression), {
          resolve,
          metrics: () => metricQueries.map((m) => resolve(m.Id) as TimeSeries),
          periodOf: (ref) => byId.get(ref)?.MetricStat?.Period,
          grid,
          period: basePeriod,
        });
        if (typeof value === 'number')
          throw validationError(
            `Error in expression ${id}: the expression must return a time series, not a scalar.`,
          );
        out = Array.isArray(value)
          ? value.map((s) => ({ ...s, id }))
          : { ...value, id, label: q.Label ?? id };
      }
      visiting.delete(id);
      done.set(id, out);
      return out;
    };
    for (const q of queries) resolve(q.Id);
    return done;
  }

  private listMetrics(input: any) {
    const filters: Array<{ Name: string; Value?: string }> = input.Dimensions ?? [];
    if (filters.length > 10)
      throw invalidParameterValue('The collection Dimensions must not have a size greater than 10.');
    const now = this.world.now();
    const matching: Series[] = [];
    for (const s of this.store.all()) {
      if (input.Namespace && s.namespace !== input.Namespace) continue;
      if (input.MetricName && s.metricName !== input.MetricName) continue;
      if (input.RecentlyActive === 'PT3H' && s.lastPut < now - 3 * 3600_000) continue;
      if (
        !filters.every((f) =>
          s.dimensions.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value)),
        )
      )
        continue;
      if (s.samples.length === 0) continue;
      matching.push(s);
    }
    matching.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const offset = input.NextToken
      ? decodeToken<{ o: number }>(input.NextToken, (v) => Number.isInteger(v?.o) && v.o >= 0).o
      : 0;
    const page = matching.slice(offset, offset + 500);
    return {
      Metrics: page.map((s) => ({
        Namespace: s.namespace,
        MetricName: s.metricName,
        Dimensions: s.dimensions.map((d) => ({ ...d })),
      })),
      NextToken: offset + 500 < matching.length ? encodeToken({ o: offset + 500 }) : undefined,
    };
  }

  // ---------------------------------------------------------------- alarms

  private putMetricAlarm(input: any): Record<string, never> {
    const name = input.AlarmName;
    const required = (ok: boolean, field: string) => {
      if (!ok)
        throw validationError(
          `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
        );
    };
    required(typeof name === 'string' && name !== '', 'alarmName');
    if (name.length > 255 || [...name].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f))
      throw validationError(`The value ${name} for parameter AlarmName is invalid.`);
    required(input.EvaluationPeriods !== undefined && input.EvaluationPeriods !== null, 'evaluationPeriods');
    required(typeof input.ComparisonOperator === 'string', 'comparisonOperator');
    const N = input.EvaluationPeriods;
    if (!Number.isInteger(N) || N < 1)
      throw validationError(
        `1 validation error detected: Value '${N}' at 'evaluationPeriods' failed to satisfy constraint: Member must have value greater than or equal to 1`,
      );
    if (!COMPARISONS[input.ComparisonOperator]) {
      if (
        [
          'LessThanLowerOrGreaterThanUpperThreshold',
          'LessThanLowerThreshold',
          'GreaterThanUpperThreshold',
        ].includes(input.ComparisonOperator)
      )
        throw validationError(
          'Anomaly detection alarms (ThresholdMetricId) are not supported by the local CloudWatch.',
        );
      throw validationError(
        `1 validation error detected: Value '${input.ComparisonOperator}' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold, LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, GreaterThanUpperThreshold]`,
      );
    }
    if (input.ThresholdMetricId !== undefined)
      throw validationError(
        'Anomaly detection alarms (ThresholdMetricId) are not supported by the local CloudWatch.',
      );
    if (typeof input.Threshold !== 'number' || !Number.isFinite(input.Threshold))
      throw validationError('The parameter Threshold must be specified.');
    const M = input.DatapointsToAlarm;
    if (M !== undefined && M !== null && (!Number.isInteger(M) || M < 1 || M > N))
      throw validationError('DatapointsToAlarm must be between 1 and the value of EvaluationPeriods.');
    if (
      input.TreatMissingData !== undefined &&
      !(TREAT_MISSING_DATA as readonly string[]).includes(input.TreatMissingData)
    )
      throw validationError(
        `The value ${input.TreatMissingData} for parameter TreatMissingData is invalid. Valid values are: breaching, notBreaching, ignore, missing.`,
      );
    if (
      input.EvaluateLowSampleCountPercentile !== undefined &&
      !['evaluate', 'ignore'].includes(input.EvaluateLowSampleCountPercentile)
    )
      throw validationError(
        `The value ${input.EvaluateLowSampleCountPercentile} for parameter EvaluateLowSampleCountPercentile is invalid. Valid values are: evaluate, ignore.`,
      );
    for (const field of ['AlarmActions', 'OKActions', 'InsufficientDataActions']) {
      const actions = input[field] ?? [];
      if (actions.length > 5)
        throw validationError(`The collection ${field} must not have a size greater than 5.`);
      for (const a of actions)
        if (typeof a !== 'string' || !a.startsWith('arn:'))
          throw validationError(
            `Invalid ${field === 'AlarmActions' ? 'alarm' : field === 'OKActions' ? 'ok' : 'insufficient data'} action: ${a}`,
          );
    }

    let period: number;
    let metrics: MetricDataQuery[] | undefined;
    if (input.Metrics !== undefined && input.Metrics !== null) {
      for (const field of [
        'MetricName',
        'Namespace',
        'Statistic',
        'ExtendedStatistic',
        'Dimensions',
        'Period',
        'Unit',
      ])
        if (input[field] !== undefined && !(field === 'Dimensions' && input[field].length === 0))
          throw validationError(`${field} should not be set if list of Metrics is set.`);
      if (!Array.isArray(input.Metrics) || input.Metrics.length === 0 || input.Metrics.length > 10)
        throw validationError('The collection Metrics must have between 1 and 10 members.');
      this.validateQueries(input.Metrics, 'Metrics', true);
      if (input.Metrics.filter((q: any) => q.ReturnData !== false).length !== 1)
        throw validationError('Exactly one element of the metrics list should return data.');
      const periods = new Set(
        input.Metrics.filter((q: any) => q.MetricStat).map((q: any) => q.MetricStat.Period),
      );
      if (periods.size > 1) throw validationError('All metrics in an alarm must use the same period.');
      period = [...periods][0] ?? input.Metrics.find((q: any) => q.Period)?.Period ?? 60;
      metrics = input.Metrics.map((q: any) => cleanQuery(q));
    } else {
      required(typeof input.MetricName === 'string' && input.MetricName !== '', 'metricName');
      required(typeof input.Namespace === 'string' && input.Namespace !== '', 'namespace');
      const hasStat = input.Statistic !== undefined;
      const hasExt = input.ExtendedStatistic !== undefined;
      if (hasStat === hasExt)
        throw validationError(
          'Exactly one of the parameters Statistic and ExtendedStatistic must be specified.',
        );
      if (hasStat && !(STATISTICS as readonly string[]).includes(input.Statistic))
        throw validationError(
          `1 validation error detected: Value '${input.Statistic}' at 'statistic' failed to satisfy constraint: Member must satisfy enum value set: [Maximum, SampleCount, Sum, Minimum, Average]`,
        );
      if (hasExt && !isPercentile(input.ExtendedStatistic))
        throw validationError(
          `The value ${input.ExtendedStatistic} for parameter ExtendedStatistic is invalid.`,
        );
      if (input.Period === undefined) throw validationError('The parameter Period must be specified.');
      period = input.Period;
      if (input.Unit !== undefined && !UNITS.has(input.Unit))
        throw validationError(`The value ${input.Unit} for parameter Unit is invalid.`);
      cleanDimensions(input.Dimensions, 'Dimensions', validationError);
    }
    // "Valid values are 10, 20, 30, and any multiple of 60" (PutMetricAlarm Period doc).
    if (!validPeriod(period, true) || [1, 5].includes(period))
      throw validationError('Period must be 10, 20, 30 or a multiple of 60.');
    // "Period multiplied by EvaluationPeriods can't be more than 604,800 seconds. For alarms with a period of
    // less than one hour (3,600 seconds), the total evaluation period can't be longer than one day."
    if (period * N > (period >= 3600 ? 604_800 : 86_400))
      throw validationError(
        `The evaluation period (Period x EvaluationPeriods) must not exceed ${period >= 3600 ? '7 days' : '1 day'}.`,
      );

    const existing = this.alarms.get(name);
    if (!existing && this.alarms.size >= this.maxAlarms)
      throw limitExceededFault('The maximum number of alarms for this account has been reached.');

    const now = new Date(this.world.now());
    const config: Alarm['config'] = {
      AlarmName: name,
      AlarmArn: this.world.arn('cloudwatch', `alarm:${name}`),
      AlarmDescription: input.AlarmDescription,
      AlarmConfigurationUpdatedTimestamp: now,
      ActionsEnabled: input.ActionsEnabled ?? true,
      OKActions: [...(input.OKActions ?? [])],
      AlarmActions: [...(input.AlarmActions ?? [])],
      InsufficientDataActions: [...(input.InsufficientDataActions ?? [])],
      // "When you update an existing alarm, its state is left unchanged" (PutMetricAlarm doc).
      StateValue: existing?.config.StateValue ?? 'INSUFFICIENT_DATA',
      StateReason: existing?.config.StateReason ?? 'Unchecked: Initial alarm creation',
      StateReasonData: existing?.config.StateReasonData,
      StateUpdatedTimestamp: existing?.config.StateUpdatedTimestamp ?? now,
      MetricName: metrics ? undefined : input.MetricName,
      Namespace: metrics ? undefined : input.Namespace,
      Statistic: metrics ? undefined : input.Statistic,
      ExtendedStatistic: metrics ? undefined : input.ExtendedStatistic,
      Dimensions: metrics ? undefined : cleanDimensions(input.Dimensions, 'Dimensions'),
      Period: metrics ? undefined : period,
      Unit: metrics ? undefined : input.Unit,
      EvaluationPeriods: N,
      DatapointsToAlarm: M ?? undefined,
      Threshold: input.Threshold,
      ComparisonOperator: input.ComparisonOperator,
      TreatMissingData: input.TreatMissingData,
      EvaluateLowSampleCountPercentile: input.EvaluateLowSampleCountPercentile,
      Metrics: metrics,
      StateTransitionedTimestamp: existing?.config.StateTransitionedTimestamp ?? now,
    };
    const alarm: Alarm = {
      config,
      metricId: this.world.ids.uuid(),
      // "If you are using this operation to update an existing alarm, any tags you specify in this
      // parameter are ignored." (PutMetricAlarm Tags doc)
      tags: existing
        ? existing.tags
        : [...(input.Tags ?? [])].map((t: Tag) => ({ Key: t.Key, Value: t.Value })),
    };
    this.alarms.set(name, alarm);
    const view = this.view(alarm);
    this.addHistory(name, 'ConfigurationUpdate', `Alarm "${name}" ${existing ? 'updated' : 'created'}`, {
      version: '1.0',
      type: existing ? 'Update' : 'Create',
      [existing ? 'updatedAlarm' : 'createdAlarm']: view,
    });
    this.world.emit(
      'aws.cloudwatch',
      'CloudWatch Alarm Configuration Change',
      configurationChangeDetail(
        existing ? 'update' : 'create',
        view,
        alarm.metricId,
        existing ? { alarm: this.view(existing), metricId: existing.metricId } : undefined,
      ),
      [config.AlarmArn],
    );
    this.scheduleTick();
    return {};
  }

  /** The alarm as DescribeAlarms returns it (no undefined members, copies of arrays). */
  private view(alarm: Alarm): Alarm['config'] {
    const out: any = {};
    for (const [k, v] of Object.entries(alarm.config)) {
      if (v === undefined) continue;
      out[k] = Array.isArray(v) ? structuredClone(v) : v;
    }
    return out;
  }

  private describeAlarms(input: any) {
    const names: string[] | undefined = input.AlarmNames;
    if (names && input.AlarmNamePrefix !== undefined)
      throw invalidParameterCombination('AlarmNames and AlarmNamePrefix cannot be specified together.');
    if (names && names.length > 100)
      throw validationError('The collection AlarmNames must not have a size greater than 100.');
    if (input.StateValue !== undefined && !STATES.includes(input.StateValue))
      throw validationError(
        `1 validation error detected: Value '${input.StateValue}' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]`,
      );
    const max = input.MaxRecords ?? 50;
    if (!Number.isInteger(max) || max < 1 || max > 100)
      throw validationError(
        `1 validation error detected: Value '${max}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100`,
      );
    const types: string[] = input.AlarmTypes ?? ['MetricAlarm'];
    const list = types.includes('MetricAlarm')
      ? [...this.alarms.values()]
          .filter((a) => !names?.length || names.includes(a.config.AlarmName))
          .filter(
            (a) =>
              input.AlarmNamePrefix === undefined || a.config.AlarmName.startsWith(input.AlarmNamePrefix),
          )
          .filter((a) => input.StateValue === undefined || a.config.StateValue === input.StateValue)
          .filter(
            (a) =>
              input.ActionPrefix === undefined ||
              [...a.config.AlarmActions!, ...a.config.OKActions!, ...a.config.InsufficientDataActions!].some(
                (x) => x.startsWith(input.ActionPrefix),
              ),
          )
          .sort((a, b) => (a.config.AlarmName < b.config.AlarmName ? -1 : 1))
      : [];
    const after = input.NextToken
      ? decodeToken<{ a: string }>(input.NextToken, (v) => typeof v?.a === 'string').a
      : undefined;
    const rest = after === undefined ? list : list.filter((a) => a.config.AlarmName > after);
    const page = rest.slice(0, max);
    const composites = types.includes('CompositeAlarm')
      ? [...this.composites.values()]
          .map((c) => c.config)
          .filter((c) => !names?.length || names.includes(c.AlarmName))
          .filter((c) => input.AlarmNamePrefix === undefined || c.AlarmName.startsWith(input.AlarmNamePrefix))
          .filter((c) => input.StateValue === undefined || c.StateValue === input.StateValue)
          .sort((a, b) => (a.AlarmName < b.AlarmName ? -1 : 1))
          .map((c) => structuredClone(c))
      : [];
    return {
      CompositeAlarms: composites,
      MetricAlarms: page.map((a) => this.view(a)),
      NextToken: rest.length > max ? encodeToken({ a: page[page.length - 1]!.config.AlarmName }) : undefined,
    };
  }

  private describeAlarmsForMetric(input: any) {
    if (!input.MetricName) throw missingParameter('The parameter MetricName is required.');
    if (!input.Namespace) throw missingParameter('The parameter Namespace is required.');
    const dims = input.Dimensions ? sortDimensions(input.Dimensions) : undefined;
    const same = (a: Dimension[] | undefined) =>
      !dims ||
      JSON.stringify(sortDimensions(a)) ===
        JSON.stringify(dims.map((d) => ({ Name: d.Name, Value: d.Value })));
    const alarms = [...this.alarms.values()]
      .map((a) => a.config)
      .filter(
        (c) =>
          c.MetricName === input.MetricName &&
          c.Namespace === input.Namespace &&
          same(c.Dimensions) &&
          (input.Statistic === undefined || c.Statistic === input.Statistic) &&
          (input.ExtendedStatistic === undefined || c.ExtendedStatistic === input.ExtendedStatistic) &&
          (input.Period === undefined || c.Period === input.Period) &&
          (input.Unit === undefined || c.Unit === input.Unit),
      )
      .sort((a, b) => (a.AlarmName < b.AlarmName ? -1 : 1));
    return { MetricAlarms: alarms.map((c) => this.view(this.alarms.get(c.AlarmName)!)) };
  }

  /**
   * "If you specify any incorrect alarm names, the alarms you specify with correct names are still
   * deleted" (DeleteAlarms doc): unknown names are not an error.
   */
  private deleteAlarms(input: any): Record<string, never> {
    const names: string[] = input.AlarmNames ?? [];
    if (names.length === 0)
      throw validationError(
        "1 validation error detected: Value null at 'alarmNames' failed to satisfy constraint: Member must not be null",
      );
    if (names.length > 100)
      throw validationError('The collection AlarmNames must not have a size greater than 100.');
    for (const name of names) {
      if (this.composites.delete(name)) continue;
      const alarm = this.alarms.get(name);
      if (!alarm) continue;
      this.alarms.delete(name);
      this.addHistory(name, 'ConfigurationUpdate', `Alarm "${name}" deleted`, {
        version: '1.0',
        type: 'Delete',
        deletedAlarm: this.view(alarm),
      });
      this.world.emit(
        'aws.cloudwatch',
        'CloudWatch Alarm Configuration Change',
        configurationChangeDetail('delete', this.view(alarm), alarm.metricId),
        [alarm.config.AlarmArn],
      );
    }
    this.scheduleTick();
    return {};
  }

  /**
   * "Temporarily sets the state of an alarm for testing purposes. When the updated state differs from the
   * previous value, the action configured for the appropriate state is invoked." The next evaluation sets
   * the actual state again ("lasts only until the next alarm comparison occurs").
   */
  private setAlarmState(input: any): Record<string, never> {
    if (!input.AlarmName) throw missingParameter('The parameter AlarmName is required.');
    if (!STATES.includes(input.StateValue))
      throw validationError(
        `1 validation error detected: Value '${input.StateValue}' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]`,
      );
    if (typeof input.StateReason !== 'string')
      throw validationError(
        "1 validation error detected: Value null at 'stateReason' failed to satisfy constraint: Member must not be null",
      );
    const alarm = this.alarms.get(input.AlarmName);
    if (!alarm) throw resourceNotFound(`Alarm ${input.AlarmName} not found`);
    if (input.StateReasonData !== undefined) {
      try {
        JSON.parse(input.StateReasonData);
      } catch {
        throw invalidFormat('Data was not syntactically valid JSON');
      }
    }
    this.transition(alarm, input.StateValue, input.StateReason, input.StateReasonData, this.world.now());
    return {};
  }

  private setActionsEnabled(input: any, enabled: boolean): Record<string, never> {
    const names: string[] = input.AlarmNames ?? [];
    if (names.length > 100)
      throw validationError('The collection AlarmNames must not have a size greater than 100.');
    for (const name of names) {
      const alarm = this.alarms.get(name);
      if (!alarm || alarm.config.ActionsEnabled === enabled) continue;
      alarm.config.ActionsEnabled = enabled;
      alarm.config.AlarmConfigurationUpdatedTimestamp = new Date(this.world.now());
      this.addHistory(name, 'ConfigurationUpdate', `Alarm "${name}" updated`, {
        version: '1.0',
        type: 'Update',
        updatedAlarm: this.view(alarm),
      });
    }
    return {};
  }

  private describeAlarmHistory(input: any) {
    const max = input.MaxRecords ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 100)
      throw validationError(
        `1 validation error detected: Value '${max}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100`,
      );
    const from = toMs(input.StartDate);
    const to = toMs(input.EndDate);
    const types: string[] = input.AlarmTypes ?? ['MetricAlarm', 'CompositeAlarm'];
    let items = this.history
      .map((h, seq) => ({ h, seq }))
      .filter(({ h }) => input.AlarmName === undefined || h.AlarmName === input.AlarmName)
      .filter(({ h }) => input.HistoryItemType === undefined || h.HistoryItemType === input.HistoryItemType)
      .filter(({ h }) => types.includes(h.AlarmType))
      .filter(
        ({ h }) => (from === undefined || h.Timestamp >= from) && (to === undefined || h.Timestamp <= to),
      );
    if ((input.ScanBy ?? 'TimestampDescending') === 'TimestampDescending') items = items.reverse();
    const offset = input.NextToken
      ? decodeToken<{ o: number }>(input.NextToken, (v) => Number.isInteger(v?.o) && v.o >= 0).o
      : 0;
    const page = items.slice(offset, offset + max);
    return {
      AlarmHistoryItems: page.map(({ h }) => ({ ...h, Timestamp: new Date(h.Timestamp) })),
      NextToken: offset + max < items.length ? encodeToken({ o: offset + max }) : undefined,
    };
  }

  private alarmByArn(arn: unknown): Alarm {
    if (typeof arn !== 'string' || arn === '')
      throw missingParameter('The parameter ResourceARN is required.');
    const name = arn.split(':alarm:')[1];
    const alarm = name === undefined ? undefined : this.alarms.get(name);
    if (!alarm || alarm.config.AlarmArn !== arn) throw resourceNotFoundException(`${arn} not found`);
    return alarm;
  }

  private tagResource(input: any): Record<string, never> {
    const alarm = this.alarmByArn(input.ResourceARN);
    for (const t of input.Tags ?? []) {
      const i = alarm.tags.findIndex((x) => x.Key === t.Key);
      if (i >= 0) alarm.tags[i] = { Key: t.Key, Value: t.Value };
      else alarm.tags.push({ Key: t.Key, Value: t.Value });
    }
    return {};
  }

  private untagResource(input: any): Record<string, never> {
    const alarm = this.alarmByArn(input.ResourceARN);
    const keys: string[] = input.TagKeys ?? [];
    alarm.tags = alarm.tags.filter((t) => !keys.includes(t.Key!));
    return {};
  }

  // ---------------------------------------------------------------- evaluation

  private static isHighRes(a: Alarm): boolean {
    return alarmPeriod(a.config) < 60;
  }

  /** Arms the next evaluation tick: every 10 s if a high-resolution alarm exists, else every minute. */
  private scheduleTick(): void {
    this.cancelTick?.();
    this.cancelTick = undefined;
    if (this.alarms.size === 0) return;
    const step = [...this.alarms.values()].some(LocalCloudWatch.isHighRes) ? 10_000 : 60_000;
    const offset = this.evaluationOffsetMs % step;
    const now = this.world.now();
    const next = Math.floor((now - offset) / step) * step + step + offset;
    this.cancelTick = this.world.clock.at(next, () => this.tick(next));
  }

  private tick(at: number): void {
    this.cancelTick = undefined;
    const minuteMark = (at - (this.evaluationOffsetMs % 60_000)) % 60_000 === 0;
    const hourMark = minuteMark && (at - (this.evaluationOffsetMs % 60_000)) % 3_600_000 === 0;
    for (const alarm of [...this.alarms.values()]) {
      const c = alarm.config;
      const period = alarmPeriod(c);
      const multiDay = period * c.EvaluationPeriods! > 86_400;
      const due = period < 60 || (multiDay ? hourMark : minuteMark);
      if (due && this.alarms.get(c.AlarmName) === alarm) this.evaluateAlarmNow(alarm, at);
    }
    this.scheduleTick();
  }

  private evaluateAlarmNow(alarm: Alarm, at: number): void {
    const c = alarm.config;
    const period = alarmPeriod(c);
    const N = c.EvaluationPeriods!;
    const grain = period < 60 ? 10_000 : period * N > 86_400 ? 3_600_000 : 60_000;
    const E = Math.floor(at / grain) * grain;
    const R = N + EXTRA_RANGE;
    const P = period * 1000;
    const starts = Array.from({ length: R }, (_, k) => E - (k + 1) * P);
    const byStart = new Map<number, AlarmPoint>();
    let lowSample = false;
    if (c.Metrics) {
      const out = this.runQueries(
        c.Metrics.map((q) => ({ ...q })),
        E - R * P,
        E,
        false,
      ).get(c.Metrics.find((q) => q.ReturnData !== false)!.Id!);
      const ts = Array.isArray(out) ? out[0] : out;
      ts?.t.forEach((t, i) => {
        byStart.set(t, { value: ts.v[i]! });
      });
    } else {
      const series = this.store.get(c.Namespace!, c.MetricName!, c.Dimensions);
      const stat = c.ExtendedStatistic ?? c.Statistic!;
      // Percentile alarms with EvaluateLowSampleCountPercentile=ignore skip evaluation while "there are
      // fewer than 10/(1-percentile) data points" (10/percentile below p50) (User Guide, percentile alarms).
      const p = c.ExtendedStatistic ? Number(c.ExtendedStatistic.slice(1)) / 100 : undefined;
      const minSamples = p === undefined ? 0 : p >= 0.5 ? 10 / (1 - p) : 10 / p;
      const aggs = aggregate(series, E - R * P, E, P, c.Unit, false, p !== undefined);
      for (const agg of aggs) {
        const value = statValue(agg, stat);
        if (value !== undefined) byStart.set(agg.start, { value, sampleCount: agg.n });
      }
      if (c.EvaluateLowSampleCountPercentile === 'ignore' && p !== undefined) {
        const evaluated = aggs.filter((a) => byStart.has(a.start)).slice(-N);
        lowSample = evaluated.some((a) => a.n < minSamples);
      }
    }
    if (lowSample) return;
    const input: EvaluationInput = {
      points: starts.map((s) => byStart.get(s) ?? null),
      starts,
      evaluationPeriods: N,
      datapointsToAlarm: c.DatapointsToAlarm,
      threshold: c.Threshold!,
      comparisonOperator: c.ComparisonOperator!,
      treatMissingData: c.TreatMissingData,
      current: c.StateValue,
      queryDate: at,
      period,
      statistic: c.Metrics ? undefined : (c.ExtendedStatistic ?? c.Statistic),
      unit: c.Metrics ? undefined : c.Unit,
    };
    // Reason texts are only written on a change.
    const state = decideState(input);
    if (state === undefined || state === c.StateValue) return;
    const result = evaluateAlarm(input);
    if (result.state === undefined) return;
    this.transition(alarm, result.state, result.reason, result.reasonData, at);
  }

  /** Sets an alarm's state; on a change of value emits the event and queues the actions. */
  private transition(
    alarm: Alarm,
    value: AlarmStateValue,
    reason: string,
    reasonData: string | undefined,
    now: number,
  ): void {
    const c = alarm.config;
    const previous: AlarmStateSnapshot = {
      value: c.StateValue,
      reason: c.StateReason ?? '',
      reasonData: c.StateReasonData,
      timestamp: c.StateUpdatedTimestamp ?? new Date(now),
    };
    const changed = previous.value !== value;
    c.StateValue = value;
    c.StateReason = reason;
    c.StateReasonData = reasonData;
    c.StateUpdatedTimestamp = new Date(now);
    if (changed) c.StateTransitionedTimestamp = new Date(now);
    const parse = (s: string | undefined) => {
      try {
        return s === undefined ? undefined : JSON.parse(s);
      } catch {
        return s;
      }
    };
    // HistoryData of a StateUpdate: {"version":"1.0","oldState":{"stateValue":…,"stateReason":…},
    // "newState":{"stateValue":…,"stateReason":…,"stateReasonData":{…}}} (DescribeAlarmHistory examples).
    this.addHistory(c.AlarmName, 'StateUpdate', `Alarm updated from ${previous.value} to ${value}`, {
      version: '1.0',
      oldState: {
        stateValue: previous.value,
        stateReason: previous.reason,
        stateReasonData: parse(previous.reasonData),
      },
      newState: { stateValue: value, stateReason: reason, stateReasonData: parse(reasonData) },
    });
    if (!changed) return;
    const change: AlarmChange = {
      alarm: this.view(alarm),
      state: { value, reason, reasonData, timestamp: now },
      previousState: previous,
      metricId: alarm.metricId,
    };
    this.world.emit('aws.cloudwatch', 'CloudWatch Alarm State Change', stateChangeDetail(change), [
      c.AlarmArn,
    ]);
    this.evaluateComposites(now);
    if (!c.ActionsEnabled) return;
    const actions =
      value === 'ALARM' ? c.AlarmActions! : value === 'OK' ? c.OKActions! : c.InsufficientDataActions!;
    for (const arn of actions) {
      if (/^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:/.test(arn)) {
        this.pending.push({
          alarmName: c.AlarmName,
          arn,
          kind: 'lambda',
          payload: lambdaActionPayload(change),
          stateUpdateTimestamp: now,
        });
      } else if (/^arn:aws[\w-]*:sns:/.test(arn)) {
        this.pending.push({
          alarmName: c.AlarmName,
          arn,
          kind: 'sns',
          payload: snsLambdaEvent(change, arn, {
            messageId: this.world.ids.uuid(),
            subscriptionId: this.world.ids.uuid(),
            publishedAt: now,
          }),
          stateUpdateTimestamp: now,
        });
      } else {
        // Auto Scaling, EC2 and Systems Manager actions have no local counterpart: recorded, not performed.
        this.addHistory(c.AlarmName, 'Action', `Successfully executed action ${arn}`, {
          actionState: 'Succeeded',
          stateUpdateTimestamp: now,
          notificationResource: arn,
        });
      }
    }
  }

  /**
   * PutCompositeAlarm: a rule over other alarms (composite.ts). "The alarms ... in the rule must
   * already exist"; a composite is INSUFFICIENT_DATA only until its first evaluation, which happens
   * at once, and again whenever an underlying alarm changes state. Actions of composites are
   * recorded in their history, not delivered (the local actions are for metric alarms).
   */
  private putCompositeAlarm(input: any): Record<string, never> {
    const name = input.AlarmName;
    if (typeof name !== 'string' || name.length < 1 || name.length > 255)
      throw validationError('The parameter AlarmName must be 1 to 255 characters.');
    if (typeof input.AlarmRule !== 'string' || input.AlarmRule.length < 1 || input.AlarmRule.length > 10240)
      throw validationError('The parameter AlarmRule must be 1 to 10240 characters.');
    if (this.alarms.has(name))
      throw validationError(`The alarm ${name} is a metric alarm; a composite alarm cannot have its name.`);
    let rule: Rule;
    try {
      rule = parseAlarmRule(input.AlarmRule);
    } catch (e) {
      throw validationError(`Error in alarm rule: ${(e as Error).message}`);
    }
    const missing = ruleAlarms(rule).filter(
      (n) => n === name || (!this.alarms.has(n) && !this.composites.has(n)),
    );
    if (missing.length > 0)
      throw validationError(
        `Could not save the composite alarm as alarms [${missing.join(', ')}] in the alarm rule do not exist`,
      );
    const now = new Date(this.world.now());
    const existing = this.composites.get(name);
    this.composites.set(name, {
      rule,
      config: {
        AlarmName: name,
        AlarmArn: this.world.arn('cloudwatch', `alarm:${name}`),
        AlarmDescription: input.AlarmDescription,
        AlarmRule: input.AlarmRule,
        ActionsEnabled: input.ActionsEnabled ?? true,
        AlarmActions: input.AlarmActions ?? [],
        OKActions: input.OKActions ?? [],
        InsufficientDataActions: input.InsufficientDataActions ?? [],
        StateValue: existing?.config.StateValue ?? 'INSUFFICIENT_DATA',
        StateReason: existing?.config.StateReason ?? 'Unchecked: Initial alarm creation',
        StateUpdatedTimestamp: existing?.config.StateUpdatedTimestamp ?? now,
        StateTransitionedTimestamp: existing?.config.StateTransitionedTimestamp ?? now,
        AlarmConfigurationUpdatedTimestamp: now,
      },
    });
    this.evaluateComposites(now.getTime());
    return {};
  }

  /** Re-evaluates every composite until none changes (composites may name composites). */
  private evaluateComposites(now: number): void {
    for (let round = 0; round < 10; round++) {
      let changed = false;
      for (const composite of this.composites.values()) {
        const c = composite.config;
        const value: AlarmStateValue = evaluateRule(composite.rule, (n) => this.alarmState(n))
          ? 'ALARM'
          : 'OK';
        if (value === c.StateValue) continue;
        changed = true;
        const previous = { value: c.StateValue, reason: c.StateReason, timestamp: c.StateUpdatedTimestamp };
        const triggering = ruleAlarms(composite.rule).map((n) => ({ name: n, state: this.alarmState(n) }));
        c.StateValue = value;
        // The exact reason text of composites is not documented; ours names the rule and its outcome.
        c.StateReason = `The alarm rule ${c.AlarmRule} is ${value === 'ALARM' ? 'TRUE' : 'FALSE'}`;
        c.StateReasonData = JSON.stringify({ triggeringAlarms: triggering });
        c.StateUpdatedTimestamp = new Date(now);
        c.StateTransitionedTimestamp = new Date(now);
        this.addHistory(c.AlarmName, 'StateUpdate', `Alarm updated from ${previous.value} to ${value}`, {
          version: '1.0',
          oldState: { stateValue: previous.value, stateReason: previous.reason },
          newState: { stateValue: value, stateReason: c.StateReason },
        });
        // The composite's state-change event: its rule in `configuration` (CloudWatch User Guide,
        // "Alarm events and EventBridge", composite alarm example).
        this.world.emit(
          'aws.cloudwatch',
          'CloudWatch Alarm State Change',
          {
            alarmName: c.AlarmName,
            state: {
              value,
              reason: c.StateReason,
              timestamp: new Date(now).toISOString().replace('Z', '+0000'),
            },
            previousState: {
              value: previous.value,
              reason: previous.reason,
              timestamp: previous.timestamp.toISOString().replace('Z', '+0000'),
            },
            configuration: { alarmRule: c.AlarmRule, description: c.AlarmDescription },
          },
          [c.AlarmArn],
        );
      }
      if (!changed) return;
    }
  }

  private addHistory(
    name: string,
    type: HistoryItem['HistoryItemType'],
    summary: string,
    data: unknown,
  ): void {
    const now = this.world.now();
    this.history.push({
      AlarmName: name,
      AlarmType: 'MetricAlarm',
      Timestamp: now,
      HistoryItemType: type,
      HistorySummary: summary,
      HistoryData: JSON.stringify(data),
    });
    // "CloudWatch preserves alarm history for 30 days."
    if (this.history.length % 1024 === 0) {
      const cutoff = now - HISTORY_RETENTION_MS;
      const keep = this.history.findIndex((h) => h.Timestamp >= cutoff);
      if (keep > 0) this.history.splice(0, keep);
    }
  }
}

function alarmPeriod(c: MetricAlarm): number {
  if (c.Period !== undefined) return c.Period;
  const q =
    c.Metrics?.find((m) => m.MetricStat)?.MetricStat?.Period ?? c.Metrics?.find((m) => m.Period)?.Period;
  return q ?? 60;
}

/** `arn:aws:lambda:r:a:function:name:alias` -> `arn:aws:lambda:r:a:function:name`. */
function unqualified(arn: string): string {
  const parts = arn.split(':');
  return parts.length > 7 && parts[2] === 'lambda' ? parts.slice(0, 7).join(':') : arn;
}

function cleanQuery(q: any): MetricDataQuery {
  const out: any = { Id: q.Id };
  if (q.MetricStat) {
    out.MetricStat = {
      Metric: {
        Namespace: q.MetricStat.Metric.Namespace,
        MetricName: q.MetricStat.Metric.MetricName,
        Dimensions: cleanDimensions(q.MetricStat.Metric.Dimensions, 'Dimensions'),
      },
      Period: q.MetricStat.Period,
      Stat: q.MetricStat.Stat,
    };
    if (q.MetricStat.Unit !== undefined) out.MetricStat.Unit = q.MetricStat.Unit;
  }
  if (q.Expression !== undefined) out.Expression = q.Expression;
  if (q.Label !== undefined) out.Label = q.Label;
  out.ReturnData = q.ReturnData ?? true;
  if (q.Period !== undefined) out.Period = q.Period;
  if (q.AccountId !== undefined) out.AccountId = q.AccountId;
  return out;
}
