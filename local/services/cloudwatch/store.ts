/**
 * Metric storage: one time-sorted array of stored datapoints per metric (namespace, name, dimension set),
 * and the period aggregation that GetMetricStatistics, GetMetricData and alarms share.
 *
 * Faithful points (sources in comments):
 * - A metric is the unique combination of namespace, name and dimensions; dimension order does not matter,
 *   and a query must name exactly the published dimension set (GetMetricStatistics `Dimensions` doc).
 * - Standard-resolution data (StorageResolution 60, the default) is kept at one-minute granularity;
 *   high-resolution data (StorageResolution 1) at one second (PutMetricData `StorageResolution` doc).
 * - Percentiles need raw values: a statistic set counts only if SampleCount is 1 or Min == Max, and no
 *   percentile is given when any value is negative (GetMetricStatistics doc).
 * - Data is kept 15 days (1-minute data "available for 15 days"); older samples are pruned.
 * Simplified: percentiles are exact nearest-rank over the raw values (AWS approximates), and the
 * 5-minute/1-hour roll-ups kept for 63 days/15 months are not modelled.
 */

export interface Dimension {
  Name: string;
  Value: string;
}

/** Dimensions as the API models them (members optional). */
export type DimensionInput = ReadonlyArray<{ Name?: string | undefined; Value?: string | undefined }>;

/** One stored datum: a single value, a Values/Counts array, or a statistic set. */
export interface Sample {
  t: number;
  n: number;
  sum: number;
  min: number;
  max: number;
  unit: string;
  /** Raw values and their counts when percentiles may use them. */
  values?: number[];
  counts?: number[];
  /** Percentile-capable: raw values known (Value, Values/Counts, or a set with Min == Max). */
  pct: boolean;
}

export class Series {
  readonly samples: Sample[] = [];
  lastPut = 0;
  constructor(
    readonly key: string,
    readonly namespace: string,
    readonly metricName: string,
    /** Sorted by name. */
    readonly dimensions: Dimension[],
  ) {}

  insert(s: Sample): void {
    const a = this.samples;
    if (a.length === 0 || a[a.length - 1]!.t <= s.t) {
      a.push(s);
      return;
    }
    a.splice(upperBound(a, s.t), 0, s);
  }

  /** Index of the first sample with t >= time. */
  lowerBound(time: number): number {
    const a = this.samples;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid]!.t < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function upperBound(a: Sample[], time: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]!.t <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The aggregate of the samples in one period bucket. */
export interface Agg {
  start: number;
  n: number;
  sum: number;
  min: number;
  max: number;
  unit: string;
  pct: boolean;
  /** value -> count, for percentiles */
  values?: Array<[number, number]>;
}

export const RETENTION_MS = 15 * 24 * 3600_000;

export function sortDimensions(dims: DimensionInput | undefined): Dimension[] {
  return (dims ?? [])
    .map((d) => ({ Name: d.Name ?? '', Value: d.Value ?? '' }))
    .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

export function seriesKey(namespace: string, metricName: string, sortedDims: Dimension[]): string {
  let k = `${namespace}\u0000${metricName}`;
  for (const d of sortedDims) k += `\u0000${d.Name}\u0001${d.Value}`;
  return k;
}

export class MetricStore {
  private series = new Map<string, Series>();
  private inserts = 0;

  constructor(private readonly now: () => number) {}

  get(namespace: string, metricName: string, dims: DimensionInput | undefined): Series | undefined {
    return this.series.get(seriesKey(namespace, metricName, sortDimensions(dims)));
  }

  /** Stores one sample; `highRes` keeps seconds, otherwise the timestamp is truncated to the minute. */
  put(
    namespace: string,
    metricName: string,
    dims: DimensionInput | undefined,
    sample: Sample,
    highRes: boolean,
  ): void {
    const sorted = sortDimensions(dims);
    this.putKeyed(
      seriesKey(namespace, metricName, sorted),
      namespace,
      metricName,
      () => sorted,
      sample,
      highRes,
    );
  }

  /** `put` with the series key already computed (the in-process fast path). */
  putKeyed(
    key: string,
    namespace: string,
    metricName: string,
    dims: () => Dimension[],
    sample: Sample,
    highRes: boolean,
  ): void {
    let s = this.series.get(key);
    if (!s) {
      s = new Series(key, namespace, metricName, dims());
      this.series.set(key, s);
    }
    const grain = highRes ? 1000 : 60_000;
    sample.t = Math.floor(sample.t / grain) * grain;
    s.insert(sample);
    s.lastPut = this.now();
    if (++this.inserts % 4096 === 0) this.prune();
  }

  /** Drops samples older than the retention. */
  prune(): void {
    const cutoff = this.now() - RETENTION_MS;
    for (const s of this.series.values()) {
      if (s.samples.length && s.samples[0]!.t < cutoff) s.samples.splice(0, s.lowerBound(cutoff));
    }
  }

  all(): Iterable<Series> {
    return this.series.values();
  }
}

/**
 * Aggregates a series into period buckets [start + k*period, start + (k+1)*period) that lie before `end`.
 * With `unit`, only samples with that unit count ("If you specify a unit, the operation returns only data
 * that was collected with that unit specified"). With `byUnit`, each unit gets its own aggregate.
 */
export function aggregate(
  series: Series | undefined,
  start: number,
  end: number,
  period: number,
  unit?: string,
  byUnit = false,
  /** Collect raw values (for percentiles). */
  withValues = true,
): Agg[] {
  if (!series || end <= start) return [];
  const out: Agg[] = [];
  const open = new Map<string, Agg>();
  let bucket = Number.NaN;
  const a = series.samples;
  for (let i = series.lowerBound(start); i < a.length; i++) {
    const s = a[i]!;
    if (s.t >= end) break;
    if (unit !== undefined && s.unit !== unit) continue;
    const b = start + Math.floor((s.t - start) / period) * period;
    if (b !== bucket) {
      for (const agg of open.values()) out.push(agg);
      open.clear();
      bucket = b;
    }
    const k = byUnit ? s.unit : '';
    let agg = open.get(k);
    if (!agg) {
      agg = { start: b, n: 0, sum: 0, min: Infinity, max: -Infinity, unit: s.unit, pct: true };
      open.set(k, agg);
    }
    agg.n += s.n;
    agg.sum += s.sum;
    if (s.min < agg.min) agg.min = s.min;
    if (s.max > agg.max) agg.max = s.max;
    if (!s.pct) agg.pct = false;
    else if (withValues) {
      agg.values ??= [];
      if (s.values)
        for (let j = 0; j < s.values.length; j++) agg.values.push([s.values[j]!, s.counts?.[j] ?? 1]);
      else agg.values.push([s.min, s.n]);
    }
  }
  for (const agg of open.values()) out.push(agg);
  return out;
}

export const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
const PERCENTILE = /^p(\d{1,2}(\.\d+)?|100(\.0+)?)$/;

/** A statistic name GetMetricData/alarms accept here: the five statistics or a percentile pNN(.NN). */
export function isStatistic(stat: string): boolean {
  return (STATISTICS as readonly string[]).includes(stat) || PERCENTILE.test(stat);
}

export function isPercentile(stat: string): boolean {
  return PERCENTILE.test(stat);
}

/** The statistic's value for a bucket, or undefined when it has none (e.g. a percentile without raw data). */
export function statValue(agg: Agg, stat: string): number | undefined {
  switch (stat) {
    case 'SampleCount':
      return agg.n;
    case 'Sum':
      return agg.sum;
    case 'Minimum':
      return agg.min;
    case 'Maximum':
      return agg.max;
    case 'Average':
      return agg.n > 0 ? agg.sum / agg.n : undefined;
  }
  if (!PERCENTILE.test(stat)) return undefined;
  return percentile(agg, Number(stat.slice(1)));
}

/** Nearest-rank percentile over the raw values; undefined without raw data or with negative values. */
export function percentile(agg: Agg, p: number): number | undefined {
  if (!agg.pct || !agg.values?.length) return undefined;
  const vs = [...agg.values].sort((x, y) => x[0] - y[0]);
  if (vs[0]![0] < 0) return undefined;
  const total = vs.reduce((acc, [, c]) => acc + c, 0);
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [v, c] of vs) {
    seen += c;
    if (seen >= rank) return v;
  }
  return vs[vs.length - 1]![0];
}
