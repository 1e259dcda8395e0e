/** Small, pure helpers for the benchmarks: statistics, ratios, formatting. */

export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The nearest-rank quantile: the smallest sample with at least share `p` of the samples at or below
 * it. With fewer than 100 samples, p99 is the largest (say so beside the figure).
 *
 *   quantile([1..10], 0.5)   → 5
 *   quantile([1..10], 0.99)  → 10   (ceil(9.9) = 10th)
 *   quantile([3, 1, 2], 0)   → 1
 *   quantile([], 0.5)        → NaN
 */
export function quantile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil(p * s.length))) - 1]!;
}

/**
 * value / baseline, or undefined when there is nothing to divide by. With `censored`, the baseline
 * is only a lower bound (it had not ended by the horizon), so the ratio is an upper bound.
 */
export function ratio(value: number | undefined, baseline: number | undefined): number | undefined {
  if (value === undefined || baseline === undefined || !Number.isFinite(value) || !Number.isFinite(baseline))
    return undefined;
  if (baseline === 0) return value === 0 ? 1 : undefined;
  return value / baseline;
}

/** "1.23×", "≤0.05×" for a censored baseline, "–" when there is no ratio. */
export function formatRatio(r: number | undefined, censoredBaseline = false): string {
  if (r === undefined) return '–';
  const text =
    r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r >= 0.01 || r === 0 ? r.toFixed(2) : r.toPrecision(1);
  return `${censoredBaseline ? '≤' : ''}${text}×`;
}

/** 83000 → "1m23s", 4000 → "4s", 500 → "0.5s"; undefined → "never". */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return 'never';
  if (ms < 10_000 && ms % 1000 !== 0) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const rest = s % 60;
  if (m < 60) return rest ? `${m}m${rest}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
}

/** 1234567 → "1.2 MB", 2048 → "2.0 KB". */
export function formatBytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} KB`;
  return `${n} B`;
}

/** Plain number with thousands grouped: 12345.6 → "12,346"; small ones keep a decimal. */
export function formatNumber(n: number): string {
  if (Math.abs(n) < 10 && !Number.isInteger(n)) return n.toFixed(1);
  return Math.round(n).toLocaleString('en-US');
}

/** A fixed-width text table: the first row is the header. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...c].length);
    });
  }
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows.slice(1)) out.push(line(r));
  return out.join('\n');
}
