/**
 * Durations as people write them in config and scenarios: `90s`, `5m`, `1h30m`, `250ms`,
 * or a bare number of seconds. Returns milliseconds; throws a message naming the problem.
 *
 *   parseDuration('5m')    === 300_000
 *   parseDuration('1h30m') === 5_400_000
 *   parseDuration(45)      === 45_000
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`must be a non-negative number of seconds, got ${value}`);
    return Math.round(value * 1000);
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`must be a duration such as "30s", "5m" or "1h30m", got ${JSON.stringify(value)}`);
  }
  const text = value.trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (matched !== text.length || matched === 0) {
    throw new Error(`must be a duration such as "30s", "5m" or "1h30m", got ${JSON.stringify(value)}`);
  }
  return Math.round(total);
}

/** The inverse, for reports: 5_400_000 -> "1h30m", 1500 -> "1.5s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms % 1000 !== 0 && ms < 60_000) return `${ms / 1000}s`;
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}
