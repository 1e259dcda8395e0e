/**
 * Durations as people write them in config, scenarios and flags: `90s`, `5m`, `1h30m`, `250ms`.
 * Returns milliseconds; throws a message naming the problem (the caller adds the path or flag).
 *
 * A bare number is refused, not guessed: `bake: 5` could mean 5 s or 5 min, and `stepDeadline: 15`
 * read as 15 s rolls back every step; only 0 needs no unit.
 *
 *   parseDuration('5m')    === 300_000
 *   parseDuration('1h30m') === 5_400_000
 *   parseDuration(0)       === 0
 *   parseDuration(45)      throws: a bare number has no unit: write "45s" or "45m", not 45
 *   parseDuration('45')    throws the same
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(value: unknown): number {
  const bare =
    typeof value === 'number' || (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value));
  if (bare) {
    if (Number(value) === 0) return 0;
    throw new Error(
      `a bare number has no unit: write "${String(value).trim()}s" or "${String(value).trim()}m", not ${String(value).trim()}`,
    );
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
