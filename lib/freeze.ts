/**
 * Freeze windows: the times a target's pushes wait instead of deploying (a weekend, the nights, the
 * days around a holiday). Pure: the `freeze:` section validated into windows, and `frozenUntil`,
 * the moment a push made now may go. Rollbacks never look here: they are never frozen.
 *
 *   freeze:
 *     timeZone: Europe/Berlin                                  # IANA name; a window may set its own
 *     windows:
 *       - { from: "fri 16:00", to: "mon 08:00" }               # every week, Friday 16:00 to Monday 08:00
 *       - { days: [mon, tue, wed, thu], from: "18:00", to: "08:00" }   # those evenings to the next morning
 *       - { from: 2026-12-24, to: 2026-12-26 }                 # whole days, both included
 *       - { from: "2026-12-31T12:00", to: "2027-01-01T12:00", timeZone: America/New_York }
 *     allowTags: ["hotfix-*"]                                  # pushes with these tags go anyway
 *   # freeze: false                                            # a target's way out of the defaults' freeze
 *
 * Times are wall-clock times in the window's zone, so "fri 16:00" stays 16:00 across a change of
 * daylight saving time. A wall time that does not exist (the hour skipped in spring) is the first
 * moment after the skip; one that happens twice (the hour repeated in autumn) is its first time.
 * (As Temporal's `disambiguation: 'compatible'` and RFC 5545 do.)
 */
import { globToRegExp } from './tag-policy.ts';

const DAY_MS = 86_400_000;

/** Minutes after midnight, and a weekday 0 (Sunday) to 6 (Saturday), as Date#getUTCDay counts. */
export type FreezeWindow =
  /** Every week from one weekday and time to another (the next such moment after the start). */
  | { kind: 'weekly'; fromDay: number; from: number; toDay: number; to: number; timeZone: string }
  /** On each of `days` from `from` to `to` (the next day when `to` is not after `from`). */
  | { kind: 'daily'; days: number[]; from: number; to: number; timeZone: string }
  /** Once, from one local date and time to another (`to` excluded; a date alone as `to` includes its day). */
  | { kind: 'dates'; from: LocalTime; to: LocalTime; timeZone: string };

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  minute: number;
}

export interface Freeze {
  windows: FreezeWindow[];
  /** Globs of tags that deploy during a freeze (`hotfix-*`). */
  allowTags: string[];
}

/**
 * When a push made at `now` may go: the end of the freeze window `now` is in, carried through any
 * window that overlaps or touches it; undefined when `now` is in none. Ends are excluded: at 08:00
 * sharp a window "to 08:00" is over.
 *
 *   fri 16:00 -> mon 08:00 Europe/Berlin, now Sat 2026-01-03 12:00Z         -> Mon 2026-01-05 07:00Z
 *   the same window, now Thu 2026-01-08 12:00Z                              -> undefined
 *   the same window, now Mon 2026-01-05 07:00Z (08:00 in Berlin)            -> undefined (the end is open)
 *   the same, now Fri 2026-03-27 15:00Z, DST starts Sun 29th                -> Mon 2026-03-30 06:00Z (08:00 CEST)
 *   mon-thu 18:00 -> 08:00 UTC, now Tue 2026-01-06 23:00Z                   -> Wed 2026-01-07 08:00Z
 *   2026-12-24 .. 2026-12-26 UTC, now 2026-12-26 23:59Z                     -> 2026-12-27 00:00Z
 *   that, and fri 16:00 -> mon 08:00 UTC, now Thu 2026-12-24 10:00Z         -> Mon 2026-12-28 08:00Z (the two chain)
 *   daily 01:30 -> 03:00 America/New_York on Sun 2026-03-08 (02:00-03:00 skipped), now 06:59Z -> 07:00Z
 */
export function frozenUntil(now: number, windows: readonly FreezeWindow[]): number | undefined {
  let t = now;
  // Windows may chain for weeks (a holiday into a weekend); a year of them is a freeze gone wrong.
  for (let i = 0; i < 1000 && t - now < 366 * DAY_MS; i++) {
    let end: number | undefined;
    for (const w of windows) {
      for (const [start, stop] of occurrencesAround(w, t)) {
        if (start <= t && t < stop) end = Math.max(end ?? stop, stop);
      }
    }
    if (end === undefined) return t === now ? undefined : t;
    t = end;
  }
  return t;
}

/**
 * Whether a tag deploys through a freeze: it matches one of `allowTags`.
 *
 *   [hotfix-*], hotfix-42 -> true     [hotfix-*], v2 -> false     [], anything -> false
 */
export function overridesFreeze(freeze: Freeze, tag: string): boolean {
  return freeze.allowTags.some((glob) => globToRegExp(glob).test(tag));
}

/** The [start, end) instants of the window's occurrences that could contain `t`. */
function occurrencesAround(w: FreezeWindow, t: number): [number, number][] {
  if (w.kind === 'dates') return [[toInstant(w.from, w.timeZone), toInstant(w.to, w.timeZone)]];
  const today = localTime(t, w.timeZone);
  const out: [number, number][] = [];
  // A weekly window lasts at most a week: its occurrence holding `t` began within the last 8 days.
  for (let k = -8; k <= 0; k++) {
    const date = addDays(today, k);
    const weekday = weekdayOf(date);
    if (w.kind === 'weekly') {
      if (weekday !== w.fromDay) continue;
      let days = (w.toDay - w.fromDay + 7) % 7;
      if (days === 0 && w.to <= w.from) days = 7;
      out.push([
        toInstant({ ...date, minute: w.from }, w.timeZone),
        toInstant({ ...addDays(date, days), minute: w.to }, w.timeZone),
      ]);
    } else if (w.days.includes(weekday)) {
      const next = w.to <= w.from ? addDays(date, 1) : date;
      out.push([
        toInstant({ ...date, minute: w.from }, w.timeZone),
        toInstant({ ...next, minute: w.to }, w.timeZone),
      ]);
    }
  }
  return out;
}

// A memo of a pure constructor (building an Intl.DateTimeFormat took ~200 µs on Node 20 here, and each freeze check
// formats several instants): it changes no answer, only the cost, so a replayed case reads the same.
const formats = new Map<string, Intl.DateTimeFormat>();

function formatIn(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, f);
  }
  return f;
}

/** The wall-clock time in `timeZone` at instant `t`, to the minute. */
export function localTime(t: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatIn(timeZone).formatToParts(t)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    minute: parts.hour! * 60 + parts.minute!,
  };
}

/** How far the zone's wall clock is ahead of UTC at instant `t`, in ms. */
function offsetAt(t: number, timeZone: string): number {
  const l = localTime(t, timeZone);
  const seconds = new Date(t).getUTCSeconds();
  const wall = Date.UTC(l.year, l.month - 1, l.day, 0, l.minute, seconds);
  return wall - Math.floor(t / 1000) * 1000;
}

/**
 * The instant a wall-clock time in `timeZone` names: a skipped time moves on by the skip, a
 * repeated one is its first occurrence.
 *
 *   2026-03-29 02:30 Europe/Berlin (skipped)    -> 2026-03-29T01:30Z (03:30 CEST)
 *   2026-10-25 02:30 Europe/Berlin (twice)      -> 2026-10-25T00:30Z (02:30 CEST, the first)
 *   2026-01-05 08:00 Europe/Berlin              -> 2026-01-05T07:00Z
 */
export function toInstant(l: LocalTime, timeZone: string): number {
  const wall = Date.UTC(l.year, l.month - 1, l.day, 0, l.minute);
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  const valid = [...new Set([before, after])]
    .map((o) => wall - o)
    .filter((t) => offsetAt(t, timeZone) === wall - t);
  if (valid.length > 0) return Math.min(...valid);
  // Skipped: read with the offset from before the skip, which lands after it.
  return wall - before;
}

function addDays(l: LocalTime, days: number): LocalTime {
  const d = new Date(Date.UTC(l.year, l.month - 1, l.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), minute: l.minute };
}

function weekdayOf(l: LocalTime): number {
  return new Date(Date.UTC(l.year, l.month - 1, l.day)).getUTCDay();
}

/** "2026-01-05 08:00 Europe/Berlin": when a frozen push goes, as the people of that zone read it. */
export function formatInZone(t: number, timeZone: string): string {
  const l = localTime(t, timeZone);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${l.year}-${pad(l.month)}-${pad(l.day)} ${pad(Math.floor(l.minute / 60))}:${pad(l.minute % 60)} ${timeZone}`;
}

// ---- The `freeze:` section ----

type Add = (path: string, message: string) => void;

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const FULL_WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

/** Whether Intl knows the zone (an IANA name such as Europe/Berlin, or UTC). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * `freeze:` -> Freeze, every problem reported with its path; `false` -> none (a target's way out of
 * the defaults' freeze), returned as no windows.
 */
export function parseFreeze(value: unknown, path: string, add: Add): Freeze | undefined {
  if (value === false) return { windows: [], allowTags: [] };
  if (!isMapping(value)) {
    add(path, `must be false, or a mapping of timeZone, windows and allowTags, got ${show(value)}`);
    return undefined;
  }
  let ok = true;
  const fail: Add = (at, message) => {
    ok = false;
    add(at, message);
  };
  for (const k of Object.keys(value)) {
    if (!['timeZone', 'windows', 'allowTags'].includes(k)) {
      fail(`${path}.${k}`, 'unknown key; allowed here: timeZone, windows, allowTags');
    }
  }
  const zone =
    value.timeZone === undefined ? undefined : timeZoneOf(value.timeZone, `${path}.timeZone`, fail);
  const windows: FreezeWindow[] = [];
  if (!Array.isArray(value.windows) || value.windows.length === 0) {
    fail(
      `${path}.windows`,
      `must list at least one window, such as { from: "fri 16:00", to: "mon 08:00" }, got ${show(value.windows)}`,
    );
  } else {
    value.windows.forEach((w: unknown, i: number) => {
      const window = parseWindow(w, `${path}.windows[${i}]`, zone, value.timeZone !== undefined, fail);
      if (window) windows.push(window);
    });
  }
  const allowTags: string[] = [];
  if (value.allowTags !== undefined) {
    if (!Array.isArray(value.allowTags)) {
      fail(
        `${path}.allowTags`,
        `must be a list of tag globs, such as ["hotfix-*"], got ${show(value.allowTags)}`,
      );
    } else {
      value.allowTags.forEach((g: unknown, i: number) => {
        if (typeof g === 'string' && g !== '' && g.length <= 128) allowTags.push(g);
        else
          fail(`${path}.allowTags[${i}]`, `must be a tag glob (* and ?), such as "hotfix-*", got ${show(g)}`);
      });
    }
  }
  return ok ? { windows, allowTags } : undefined;
}

function timeZoneOf(v: unknown, path: string, add: Add): string | undefined {
  if (typeof v === 'string' && isTimeZone(v)) return v;
  add(path, `must be an IANA time zone such as Europe/Berlin, America/New_York or UTC, got ${show(v)}`);
  return undefined;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const WEEKLY = /^([A-Za-z]+) (\d\d:\d\d)$/;
const DATE = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d:\d\d))?$/;

function parseWindow(
  v: unknown,
  path: string,
  zone: string | undefined,
  zoneGiven: boolean,
  add: Add,
): FreezeWindow | undefined {
  const example = 'such as { from: "fri 16:00", to: "mon 08:00" }';
  if (!isMapping(v)) {
    add(path, `must be a window ${example}, got ${show(v)}`);
    return undefined;
  }
  const bad = { failed: false };
  const fail: Add = (at, message) => {
    bad.failed = true;
    add(at, message);
  };
  for (const k of Object.keys(v)) {
    if (!['from', 'to', 'days', 'timeZone'].includes(k)) {
      fail(`${path}.${k}`, 'unknown key; allowed here: from, to, days, timeZone');
    }
  }
  let timeZone = zone;
  if (v.timeZone !== undefined) timeZone = timeZoneOf(v.timeZone, `${path}.timeZone`, fail);
  else if (!zoneGiven)
    fail(`${path}.timeZone`, 'is required here: set freeze.timeZone, or the window its own');
  for (const k of ['from', 'to']) {
    if (v[k] === undefined) fail(`${path}.${k}`, `is required ${example}`);
  }
  if (bad.failed || !timeZone) return undefined;

  if (v.days !== undefined) {
    const days = weekdays(v.days, `${path}.days`, fail);
    const from = clock(v.from, `${path}.from`, fail);
    const to = clock(v.to, `${path}.to`, fail);
    if (days && from !== undefined && to !== undefined && from === to) {
      fail(`${path}.to`, 'must differ from from: a window from a time to the same time is empty');
    }
    return bad.failed ? undefined : { kind: 'daily', days: days!, from: from!, to: to!, timeZone };
  }
  if (typeof v.from === 'string' && WEEKLY.test(v.from)) {
    const from = weekTime(v.from, `${path}.from`, fail);
    const to = weekTime(v.to, `${path}.to`, fail);
    if (from && to && from.day === to.day && from.minute === to.minute) {
      fail(
        `${path}.to`,
        'must differ from from: a weekly window from a time to the same time would never end',
      );
    }
    return bad.failed
      ? undefined
      : { kind: 'weekly', fromDay: from!.day, from: from!.minute, toDay: to!.day, to: to!.minute, timeZone };
  }
  const from = date(v.from, `${path}.from`, false, fail);
  const to = date(v.to, `${path}.to`, true, fail);
  if (from && to && toInstant(to, timeZone) <= toInstant(from, timeZone)) {
    fail(`${path}.to`, `must be after from (${String(v.from)}), got ${show(v.to)}`);
  }
  return bad.failed ? undefined : { kind: 'dates', from: from!, to: to!, timeZone };
}

/**
 * Weekday names: mon … sun, or in full (monday), any case.
 *
 *   [mon, Tue, wednesday] -> [1, 2, 3]     [mo] -> "days[0]: must be a weekday (mon, tue, …)"
 */
function weekday(v: unknown, path: string, add: Add): number | undefined {
  const name = typeof v === 'string' ? v.toLowerCase() : '';
  const short = WEEKDAYS.indexOf(name as (typeof WEEKDAYS)[number]);
  const day = short >= 0 ? short : FULL_WEEKDAYS.indexOf(name);
  if (day >= 0) return day;
  add(path, `must be a weekday (${WEEKDAYS.join(', ')}, or in full), got ${show(v)}`);
  return undefined;
}

function weekdays(v: unknown, path: string, add: Add): number[] | undefined {
  if (!Array.isArray(v) || v.length === 0) {
    add(path, `must list weekdays, such as [mon, tue, wed, thu, fri], got ${show(v)}`);
    return undefined;
  }
  const days = v.map((d, i) => weekday(d, `${path}[${i}]`, add));
  return days.every((d) => d !== undefined) ? [...new Set(days as number[])] : undefined;
}

/** "HH:MM", 00:00 to 23:59 -> minutes after midnight. */
function clock(v: unknown, path: string, add: Add): number | undefined {
  const m = typeof v === 'string' ? HHMM.exec(v) : null;
  if (m) return Number(m[1]) * 60 + Number(m[2]);
  add(path, `must be a time of day as HH:MM (00:00 to 23:59), such as "18:00", got ${show(v)}`);
  return undefined;
}

/** "fri 16:00" -> { day: 5, minute: 960 }. */
function weekTime(v: unknown, path: string, add: Add): { day: number; minute: number } | undefined {
  const m = typeof v === 'string' ? WEEKLY.exec(v) : null;
  if (!m) {
    add(path, `must be a weekday and a time, such as "mon 08:00", got ${show(v)}`);
    return undefined;
  }
  const day = weekday(m[1], path, add);
  const minute = clock(m[2], path, add);
  return day === undefined || minute === undefined ? undefined : { day, minute };
}

/**
 * An ISO date (2026-12-24) or local date and time (2026-12-24T18:00), without an offset: the
 * window's time zone places it. A date alone as `to` includes that day (the window ends at the next
 * midnight).
 */
function date(v: unknown, path: string, end: boolean, add: Add): LocalTime | undefined {
  const m = typeof v === 'string' ? DATE.exec(v) : null;
  const fail = () => {
    const offset = typeof v === 'string' && /T.*(?:Z|[+-]\d\d:?\d\d)$/.test(v);
    add(
      path,
      offset
        ? `must be a local date and time without an offset (the window's timeZone places it), such as "2026-12-24T18:00", got ${show(v)}`
        : `must be a weekday and a time ("fri 16:00"), an ISO date ("2026-12-24") or a local date and time ("2026-12-24T18:00"), got ${show(v)}`,
    );
    return undefined;
  };
  if (!m) return fail();
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    add(path, `${m[1]}-${m[2]}-${m[3]} is not a date in the calendar`);
    return undefined;
  }
  if (m[4] === undefined) {
    const local = { year, month, day, minute: 0 };
    return end ? addDays(local, 1) : local;
  }
  const minute = clock(m[4], path, add);
  return minute === undefined ? undefined : { year, month, day, minute };
}
