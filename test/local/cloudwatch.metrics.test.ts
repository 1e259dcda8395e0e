/**
 * The local CloudWatch's metric operations through the real @aws-sdk/client-cloudwatch: PutMetricData,
 * GetMetricStatistics, GetMetricData (MetricStat and math), ListMetrics, and their modeled errors.
 */
import {
  CloudWatchClient,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  InvalidNextToken,
  InvalidParameterCombinationException,
  InvalidParameterValueException,
  ListMetricsCommand,
  MissingRequiredParameterException,
  PutMetricDataCommand,
  ValidationException,
} from '@aws-sdk/client-cloudwatch';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedWorld, startWorld } from '../helpers/world.ts';

const START = Date.UTC(2026, 0, 1);
const at = (minutes: number, seconds = 0) => new Date(START + minutes * 60_000 + seconds * 1000);

const t = sharedWorld(() => startWorld({ start: START }));
beforeAll(async () => {
  // Some history to query: the clock sits one hour after START.
  await t.world.runFor(3600_000, 60_000);
});

const put = (Namespace: string, MetricData: any[]) =>
  t.cloudwatch.send(new PutMetricDataCommand({ Namespace, MetricData }));

describe('PutMetricData and GetMetricStatistics', () => {
  it.each([
    // [published datums, expected SampleCount, Average, Sum, Minimum, Maximum, p50, p90]
    ['single values', [{ Value: 1 }, { Value: 2 }, { Value: 3 }, { Value: 10 }], 4, 4, 16, 1, 10, 2, 10],
    ['values and counts', [{ Values: [1, 5], Counts: [3, 1] }], 4, 2, 8, 1, 5, 1, 5],
    [
      'a statistic set',
      [{ StatisticValues: { SampleCount: 4, Sum: 20, Minimum: 2, Maximum: 8 } }],
      4,
      5,
      20,
      2,
      8,
      undefined,
      undefined,
    ],
    [
      'a constant statistic set',
      [{ StatisticValues: { SampleCount: 3, Sum: 21, Minimum: 7, Maximum: 7 } }],
      3,
      7,
      21,
      7,
      7,
      7,
      7,
    ],
    [
      'values and a set together',
      [{ Value: 4 }, { StatisticValues: { SampleCount: 2, Sum: 6, Minimum: 1, Maximum: 5 } }],
      3,
      10 / 3,
      10,
      1,
      5,
      undefined,
      undefined,
    ],
    ['negative values (no percentiles)', [{ Value: -1 }, { Value: 3 }], 2, 1, 2, -1, 3, undefined, undefined],
  ])('aggregates %s', async (label, datums, n, avg, sum, min, max, p50, p90) => {
    const MetricName = `stats-${label.replaceAll(' ', '-')}`;
    await put(
      'Test/Stats',
      datums.map((d) => ({ MetricName, Timestamp: at(10, 5), ...d })),
    );
    const base = { Namespace: 'Test/Stats', MetricName, StartTime: at(10), EndTime: at(11), Period: 60 };
    const stats = await t.cloudwatch.send(
      new GetMetricStatisticsCommand({
        ...base,
        Statistics: ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'],
      }),
    );
    expect(stats.Label).toBe(MetricName);
    expect(stats.Datapoints).toHaveLength(1);
    const dp = stats.Datapoints![0]!;
    expect(dp).toMatchObject({
      Timestamp: at(10),
      SampleCount: n,
      Sum: sum,
      Minimum: min,
      Maximum: max,
      Unit: 'None',
    });
    expect(dp.Average).toBeCloseTo(avg, 10);
    const pct = await t.cloudwatch.send(
      new GetMetricStatisticsCommand({ ...base, ExtendedStatistics: ['p50', 'p90'] }),
    );
    if (p50 === undefined) expect(pct.Datapoints).toEqual([]);
    else expect(pct.Datapoints?.[0]?.ExtendedStatistics).toEqual({ p50, p90 });
  });

  it('buckets by period from the start rounded down to the minute, in no particular order', async () => {
    const MetricName = 'buckets';
    // One value per minute, value = minute index, from 20:00 to 20:29.
    await put(
      'Test/Buckets',
      Array.from({ length: 30 }, (_, i) => ({ MetricName, Timestamp: at(20 + i, 30), Value: i })),
    );
    const res = await t.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'Test/Buckets',
        MetricName,
        StartTime: at(20, 42), // rounded down to 20:00
        EndTime: at(50),
        Period: 300,
        Statistics: ['Sum', 'SampleCount'],
      }),
    );
    const points = res.Datapoints!;
    const sorted = [...points].sort((a, b) => a.Timestamp!.getTime() - b.Timestamp!.getTime());
    expect(sorted.map((d) => [d.Timestamp, d.Sum, d.SampleCount])).toEqual([
      [at(20), 0 + 1 + 2 + 3 + 4, 5],
      [at(25), 5 + 6 + 7 + 8 + 9, 5],
      [at(30), 10 + 11 + 12 + 13 + 14, 5],
      [at(35), 15 + 16 + 17 + 18 + 19, 5],
      [at(40), 20 + 21 + 22 + 23 + 24, 5],
      [at(45), 25 + 26 + 27 + 28 + 29, 5],
    ]);
    // "Data points are not returned in chronological order."
    expect(points.map((d) => d.Timestamp)).not.toEqual(sorted.map((d) => d.Timestamp));
  });

  it('keeps standard resolution at one minute and high resolution at one second', async () => {
    await put('Test/Res', [
      { MetricName: 'std', Timestamp: at(30, 10), Value: 1 },
      { MetricName: 'std', Timestamp: at(30, 40), Value: 3 },
      { MetricName: 'hi', Timestamp: at(30, 10), Value: 1, StorageResolution: 1 },
      { MetricName: 'hi', Timestamp: at(30, 40), Value: 3, StorageResolution: 1 },
    ]);
    const q = (MetricName: string) =>
      t.cloudwatch.send(
        new GetMetricStatisticsCommand({
          Namespace: 'Test/Res',
          MetricName,
          StartTime: at(30),
          EndTime: at(31),
          Period: 30,
          Statistics: ['Sum'],
        }),
      );
    const std = (await q('std')).Datapoints!;
    expect(std.map((d) => [d.Timestamp, d.Sum])).toEqual([[at(30), 4]]);
    const hi = (await q('hi')).Datapoints!.sort((a, b) => a.Timestamp!.getTime() - b.Timestamp!.getTime());
    expect(hi.map((d) => [d.Timestamp, d.Sum])).toEqual([
      [at(30), 1],
      [at(30, 30), 3],
    ]);
  });

  it('filters by unit, and reports each unit separately when none is asked for', async () => {
    await put('Test/Units', [
      { MetricName: 'lat', Timestamp: at(40), Value: 100, Unit: 'Milliseconds' },
      { MetricName: 'lat', Timestamp: at(40), Value: 2, Unit: 'Seconds' },
    ]);
    const base = {
      Namespace: 'Test/Units',
      MetricName: 'lat',
      StartTime: at(40),
      EndTime: at(41),
      Period: 60,
    };
    const ms = await t.cloudwatch.send(
      new GetMetricStatisticsCommand({ ...base, Statistics: ['Sum'], Unit: 'Milliseconds' }),
    );
    expect(ms.Datapoints).toEqual([{ Timestamp: at(40), Sum: 100, Unit: 'Milliseconds' }]);
    const all = await t.cloudwatch.send(new GetMetricStatisticsCommand({ ...base, Statistics: ['Sum'] }));
    expect(all.Datapoints?.map((d) => [d.Unit, d.Sum]).sort()).toEqual([
      ['Milliseconds', 100],
      ['Seconds', 2],
    ]);
    const none = await t.cloudwatch.send(
      new GetMetricStatisticsCommand({ ...base, Statistics: ['Sum'], Unit: 'Bytes' }),
    );
    expect(none.Datapoints).toEqual([]);
  });

  it('treats each dimension set as its own metric, whatever the order of the dimensions', async () => {
    await put('Test/Dims', [
      {
        MetricName: 'm',
        Timestamp: at(41),
        Value: 1,
        Dimensions: [
          { Name: 'A', Value: '1' },
          { Name: 'B', Value: '2' },
        ],
      },
      { MetricName: 'm', Timestamp: at(41), Value: 5, Dimensions: [{ Name: 'A', Value: '1' }] },
    ]);
    const q = (Dimensions: any[]) =>
      t.cloudwatch.send(
        new GetMetricStatisticsCommand({
          Namespace: 'Test/Dims',
          MetricName: 'm',
          Dimensions,
          StartTime: at(41),
          EndTime: at(42),
          Period: 60,
          Statistics: ['Sum'],
        }),
      );
    expect(
      (
        await q([
          { Name: 'B', Value: '2' },
          { Name: 'A', Value: '1' },
        ])
      ).Datapoints?.[0]?.Sum,
    ).toBe(1);
    expect((await q([{ Name: 'A', Value: '1' }])).Datapoints?.[0]?.Sum).toBe(5);
    expect((await q([])).Datapoints).toEqual([]);
  });

  it('raises the modeled exceptions', async () => {
    const bad = async (p: Promise<unknown>, cls: any, message?: RegExp) => {
      const e = await p.then(
        () => undefined,
        (err) => err,
      );
      expect(e).toBeInstanceOf(cls);
      if (message) expect(e.message).toMatch(message);
      expect(e.$metadata.httpStatusCode).toBe(400);
    };
    await bad(
      put('AWS/ECS', [{ MetricName: 'x', Value: 1 }]),
      InvalidParameterValueException,
      /AWS\/ for parameter Namespace/,
    );
    await bad(
      put('', [{ MetricName: 'x', Value: 1 }]),
      MissingRequiredParameterException,
      /Namespace is required/,
    );
    await bad(put('Test/E', [{ MetricName: 'x' }]), InvalidParameterCombinationException, /At least one of/);
    await bad(
      put('Test/E', [
        { MetricName: 'x', Value: 1, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } },
      ]),
      InvalidParameterCombinationException,
      /mutually exclusive/,
    );
    await bad(
      put('Test/E', [{ MetricName: 'x', Value: 1, Timestamp: new Date(START - 15 * 24 * 3600_000) }]),
      InvalidParameterValueException,
      /within the past two weeks/,
    );
    await bad(
      put('Test/E', [{ MetricName: 'x', Value: 1, StorageResolution: 5 }]),
      InvalidParameterValueException,
    );
    await bad(
      put('Test/E', [{ MetricName: 'x', Values: [1, 2], Counts: [1] }]),
      InvalidParameterValueException,
    );
    await bad(
      put('Test/E', [{ MetricName: 'x', Value: 1, Unit: 'Furlongs' as any }]),
      InvalidParameterValueException,
    );
    await bad(
      put('Test/E', [{ Value: 1 } as any]),
      MissingRequiredParameterException,
      /MetricData.member.1.MetricName/,
    );
    const stat = (extra: any) =>
      t.cloudwatch.send(
        new GetMetricStatisticsCommand({
          Namespace: 'Test/E',
          MetricName: 'x',
          StartTime: at(0),
          EndTime: at(10),
          Period: 60,
          ...extra,
        }),
      );
    await bad(
      stat({ Statistics: ['Sum'], ExtendedStatistics: ['p99'] }),
      InvalidParameterCombinationException,
    );
    await bad(stat({}), InvalidParameterCombinationException);
    await bad(stat({ Statistics: ['Median'] }), InvalidParameterValueException);
    await bad(stat({ Statistics: ['Sum'], Period: 45 }), InvalidParameterValueException, /Period/);
    await bad(
      stat({ Statistics: ['Sum'], EndTime: at(0) }),
      InvalidParameterValueException,
      /StartTime must be less/,
    );
    await bad(
      stat({ Statistics: ['Sum'], EndTime: at(60 * 48), Period: 60 }),
      InvalidParameterCombinationException,
      /You have requested up to 2,880 datapoints, which exceeds the limit of 1,440/,
    );
    await bad(
      stat({ Statistics: ['Sum'], Period: undefined }),
      MissingRequiredParameterException,
      /Period is required/,
    );
  });
});

describe('GetMetricData', () => {
  beforeAll(async () => {
    // requests: 10 per minute; errors: 1 per minute from minute 2 on; minutes 0..9 from START.
    await put('Test/GMD', [
      ...Array.from({ length: 10 }, (_, i) => ({ MetricName: 'requests', Timestamp: at(i), Value: 10 })),
      ...Array.from({ length: 8 }, (_, i) => ({ MetricName: 'errors', Timestamp: at(i + 2), Value: i + 1 })),
    ]);
  });
  const stat = (Id: string, MetricName: string, extra: any = {}) => ({
    Id,
    MetricStat: { Metric: { Namespace: 'Test/GMD', MetricName }, Period: 60, Stat: 'Sum' },
    ...extra,
  });

  it('returns a MetricStat newest first by default, oldest first with TimestampAscending', async () => {
    const res = await t.cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: [stat('m1', 'errors')],
        StartTime: at(0),
        EndTime: at(10),
      }),
    );
    expect(res.MetricDataResults).toEqual([
      {
        Id: 'm1',
        Label: 'errors',
        Timestamps: [9, 8, 7, 6, 5, 4, 3, 2].map((m) => at(m)),
        Values: [8, 7, 6, 5, 4, 3, 2, 1],
        StatusCode: 'Complete',
        Messages: [],
      },
    ]);
    expect(res.NextToken).toBeUndefined();
    const asc = await t.cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: [stat('m1', 'errors', { Label: 'Errors' })],
        StartTime: at(0),
        EndTime: at(5),
        ScanBy: 'TimestampAscending',
      }),
    );
    expect(asc.MetricDataResults?.[0]).toMatchObject({
      Label: 'Errors',
      Values: [1, 2, 3],
      Timestamps: [at(2), at(3), at(4)],
    });
  });

  it('paginates by MaxDatapoints with NextToken, and refuses a foreign token', async () => {
    const input = {
      MetricDataQueries: [stat('r', 'requests'), stat('e', 'errors')],
      StartTime: at(0),
      EndTime: at(10),
      MaxDatapoints: 7,
    };
    const pages: any[] = [];
    let NextToken: string | undefined;
    do {
      const page = await t.cloudwatch.send(new GetMetricDataCommand({ ...input, NextToken }));
      pages.push(page);
      NextToken = page.NextToken;
    } while (NextToken && pages.length < 10);
    expect(pages).toHaveLength(3); // 10 + 8 = 18 datapoints, 7 per page
    expect(pages[0].MetricDataResults.map((r: any) => [r.Id, r.Values.length, r.StatusCode])).toEqual([
      ['r', 7, 'PartialData'],
      ['e', 0, 'PartialData'],
    ]);
    const values = (id: string) =>
      pages.flatMap((p) => p.MetricDataResults.find((r: any) => r.Id === id).Values);
    expect(values('r')).toEqual(Array(10).fill(10));
    expect(values('e')).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(pages[2].MetricDataResults.every((r: any) => r.StatusCode === 'Complete')).toBe(true);
    await expect(
      t.cloudwatch.send(new GetMetricDataCommand({ ...input, NextToken: 'bm90LWEtdG9rZW4' })),
    ).rejects.toBeInstanceOf(InvalidNextToken);
  });

  it('computes math expressions: arithmetic, METRICS(), SUM, FILL', async () => {
    const res = await t.cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: [
          stat('requests', 'requests', { ReturnData: false }),
          stat('errors', 'errors', { ReturnData: false }),
          { Id: 'rate', Expression: '100 * errors / requests', Label: 'Error rate' },
          { Id: 'total', Expression: 'SUM(METRICS())' },
          { Id: 'filled', Expression: 'FILL(errors, 0)' },
          { Id: 'ok', Expression: 'requests - errors' },
        ],
        StartTime: at(0),
        EndTime: at(4),
        ScanBy: 'TimestampAscending',
      }),
    );
    const byId = Object.fromEntries(res.MetricDataResults!.map((r) => [r.Id, r]));
    expect(Object.keys(byId)).toEqual(['rate', 'total', 'filled', 'ok']);
    // Missing values count as 0 in arithmetic: minutes 0 and 1 have no errors.
    expect(byId.rate).toMatchObject({
      Label: 'Error rate',
      Values: [0, 0, 10, 20],
      Timestamps: [0, 1, 2, 3].map((m) => at(m)),
    });
    expect(byId.total?.Values).toEqual([10, 10, 11, 12]);
    expect(byId.total?.Label).toBe('total');
    expect(byId.filled?.Values).toEqual([0, 0, 1, 2]);
    expect(byId.ok?.Values).toEqual([10, 10, 9, 8]);
  });

  it('drops datapoints divided by zero', async () => {
    const res = await t.cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: [
          stat('e', 'errors', { ReturnData: false }),
          { Id: 'x', Expression: 'e / (e - 1)' },
        ],
        StartTime: at(2),
        EndTime: at(5),
        ScanBy: 'TimestampAscending',
      }),
    );
    expect(res.MetricDataResults?.[0]).toMatchObject({ Timestamps: [at(3), at(4)], Values: [2, 1.5] });
  });

  it('reads metrics recorded in-process by the local services', async () => {
    t.world.cloudwatch.record('AWS/ECS', [
      {
        metricName: 'CPUUtilization',
        dimensions: { ClusterName: 'c', ServiceName: 's' },
        value: 40,
        timestamp: +at(50),
        unit: 'Percent',
      },
      {
        metricName: 'CPUUtilization',
        dimensions: { ServiceName: 's', ClusterName: 'c' },
        value: 60,
        timestamp: +at(50, 30),
        unit: 'Percent',
      },
    ]);
    const res = await t.cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: [
          {
            Id: 'cpu',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/ECS',
                MetricName: 'CPUUtilization',
                Dimensions: [
                  { Name: 'ClusterName', Value: 'c' },
                  { Name: 'ServiceName', Value: 's' },
                ],
              },
              Period: 60,
              Stat: 'Average',
              Unit: 'Percent',
            },
          },
        ],
        StartTime: at(50),
        EndTime: at(51),
      }),
    );
    expect(res.MetricDataResults?.[0]?.Values).toEqual([50]);
  });

  it('refuses malformed queries with ValidationException', async () => {
    const q = (MetricDataQueries: any[]) =>
      t.cloudwatch.send(new GetMetricDataCommand({ MetricDataQueries, StartTime: at(0), EndTime: at(10) }));
    await expect(q([stat('M1', 'errors')])).rejects.toBeInstanceOf(ValidationException);
    await expect(q([stat('m1', 'errors'), stat('m1', 'requests')])).rejects.toBeInstanceOf(
      ValidationException,
    );
    await expect(q([{ Id: 'e', Expression: 'm9 * 2' }])).rejects.toBeInstanceOf(ValidationException);
    await expect(q([{ Id: 'e', Expression: 'SQRT(m1)' }, stat('m1', 'errors')])).rejects.toBeInstanceOf(
      ValidationException,
    );
    await expect(
      q([stat('m1', 'errors', { MetricStat: { ...stat('m1', 'errors').MetricStat, Stat: 'Mean' } })]),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(
      t.cloudwatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: [stat('m1', 'errors')],
          StartTime: at(5),
          EndTime: at(5),
        }),
      ),
    ).rejects.toBeInstanceOf(ValidationException);
  });
});

describe('ListMetrics', () => {
  it('lists metrics by namespace, name and dimension filter, 500 per page', async () => {
    const datums = Array.from({ length: 501 }, (_, i) => ({
      MetricName: 'count',
      Timestamp: at(50),
      Value: 1,
      Dimensions: [
        { Name: 'Service', Value: `svc-${String(i).padStart(3, '0')}` },
        { Name: 'Env', Value: i % 2 ? 'odd' : 'even' },
      ],
    }));
    // In batches small enough that the SDK does not gzip the body (the gzip path has its own test below).
    for (let i = 0; i < datums.length; i += 50) await put('Test/List', datums.slice(i, i + 50));
    const first = await t.cloudwatch.send(new ListMetricsCommand({ Namespace: 'Test/List' }));
    expect(first.Metrics).toHaveLength(500);
    expect(first.Metrics?.[0]).toEqual({
      Namespace: 'Test/List',
      MetricName: 'count',
      Dimensions: [
        { Name: 'Env', Value: 'even' },
        { Name: 'Service', Value: 'svc-000' },
      ],
    });
    const second = await t.cloudwatch.send(
      new ListMetricsCommand({ Namespace: 'Test/List', NextToken: first.NextToken }),
    );
    expect(second.Metrics).toHaveLength(1);
    expect(second.NextToken).toBeUndefined();
    const odd = await t.cloudwatch.send(
      new ListMetricsCommand({ Namespace: 'Test/List', Dimensions: [{ Name: 'Env', Value: 'odd' }] }),
    );
    expect(odd.Metrics).toHaveLength(250);
    const byName = await t.cloudwatch.send(new ListMetricsCommand({ MetricName: 'requests' }));
    expect(byName.Metrics?.map((m) => m.Namespace)).toEqual(['Test/GMD']);
  });
});

describe('request compression', () => {
  it('takes up to 1000 datums in one request (uncompressed here) and refuses 1001', async () => {
    const client = new CloudWatchClient({
      endpoint: t.endpoint,
      region: t.world.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
      disableRequestCompression: true,
    });
    const datums = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        MetricName: 'many',
        Timestamp: at(56),
        Value: i,
        Dimensions: [{ Name: 'Shard', Value: String(i % 10) }],
      }));
    await client.send(new PutMetricDataCommand({ Namespace: 'Test/Many', MetricData: datums(1000) }));
    const res = await client.send(
      new GetMetricStatisticsCommand({
        Namespace: 'Test/Many',
        MetricName: 'many',
        Dimensions: [{ Name: 'Shard', Value: '3' }],
        StartTime: at(56),
        EndTime: at(57),
        Period: 60,
        Statistics: ['SampleCount', 'Maximum'],
      }),
    );
    expect(res.Datapoints?.[0]).toMatchObject({ SampleCount: 100, Maximum: 993 });
    await expect(
      client.send(new PutMetricDataCommand({ Namespace: 'Test/Many', MetricData: datums(1001) })),
    ).rejects.toBeInstanceOf(InvalidParameterValueException);
  });

  // The SDK gzips PutMetricData bodies of 10 KiB or more (Content-Encoding: gzip; @smithy/middleware-compression
  // DEFAULT_NODE_REQUEST_MIN_COMPRESSION_SIZE_BYTES = 10240), as CloudWatch accepts ("You can send a payload
  // compressed by gzip", PutMetricData doc); local/core/server.ts decompresses it.
  it('accepts a gzip-compressed PutMetricData', async () => {
    const MetricData = Array.from({ length: 1000 }, (_, i) => ({
      MetricName: 'big',
      Timestamp: at(55),
      Value: i,
      Dimensions: [{ Name: 'Shard', Value: String(i % 10) }],
    }));
    await put('Test/Gzip', MetricData);
    const res = await t.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'Test/Gzip',
        MetricName: 'big',
        Dimensions: [{ Name: 'Shard', Value: '3' }],
        StartTime: at(55),
        EndTime: at(56),
        Period: 60,
        Statistics: ['SampleCount'],
      }),
    );
    expect(res.Datapoints?.[0]?.SampleCount).toBe(100);
  });
});
