/**
 * Schedule expressions of EventBridge scheduled rules, on the virtual clock (UTC).
 *
 * Source: EventBridge User Guide, "Creating an Amazon EventBridge rule that runs on a schedule"
 * (awsdocs/amazon-eventbridge-user-guide doc_source/eb-create-rule-schedule.md) and
 * "Setting a schedule pattern for scheduled rules (legacy)":
 * - `rate(value unit)`: unit minute|minutes|hour|hours|day|days, singular iff value is 1;
 *   "A rate expression starts when you create the scheduled event rule".
 * - `cron(Minutes Hours Day-of-month Month Day-of-week Year)`: six fields; wildcards `, - * /` everywhere,
 *   `?` `L` `W` in day-of-month, `?` `L` `#` in day-of-week (1-7 = SUN-SAT); one of the two day fields
 *   must be `?`; "Cron expressions that lead to rates faster than 1 minute are not supported" (the
 *   finest field is the minute anyway).
 */

export type Schedule = { kind: 'rate'; everyMs: number } | { kind: 'cron'; cron: Cron };

interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  months: Set<number>;
  years: Set<number> | undefined; // undefined: any year
  dom: DayOfMonth | undefined; // undefined: `?`
  dow: DayOfWeek | undefined; // undefined: `?`
}

type DayOfMonth = { any: true } | { days: Set<number>; last: boolean; nearestWeekday?: number };
type DayOfWeek =
  | { any: true }
  | { days: Set<number> } // 1-7, SUN = 1
  | { lastOf: number } // `6L`: the last Friday of the month
  | { nth: { day: number; n: number } }; // `3#2`: the second Tuesday

const UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** Parses `rate(...)` or `cron(...)`; undefined when AWS would answer "Parameter ScheduleExpression is not valid." */
export function parseSchedule(expression: string): Schedule | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2]!;
    const plural = unit.endsWith('s');
    if (value < 1 || (value === 1) === plural) return undefined;
    return { kind: 'rate', everyMs: value * UNITS[plural ? unit.slice(0, -1) : unit]! };
  }
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (!cron) return undefined;
  try {
    return { kind: 'cron', cron: parseCron(cron[1]!) };
  } catch {
    return undefined;
  }
}

function parseCron(text: string): Cron {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 6) throw new Error('six fields');
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?'))
    throw new Error('exactly one of day-of-month and day-of-week must be ?');
  return {
    minutes: parseField(min, 0, 59),
    hours: parseField(hour, 0, 23),
    months: parseField(month, 1, 12, MONTHS),
    years: year === '*' ? undefined : parseField(year, 1970, 2199),
    dom: dom === '?' ? undefined : parseDayOfMonth(dom),
    dow: dow === '?' ? undefined : parseDayOfWeek(dow),
  };
}

function parseDayOfMonth(f: string): DayOfMonth {
  if (f === '*') return { any: true };
  if (f === 'L') return { days: new Set(), last: true };
  const w = /^(\d+)W$/.exec(f);
  if (w) {
    const day = Number(w[1]);
    if (day < 1 || day > 31) throw new Error('day');
    return { days: new Set(), last: false, nearestWeekday: day };
  }
  return { days: parseField(f, 1, 31), last: false };
}

function parseDayOfWeek(f: string): DayOfWeek {
  if (f === '*') return { any: true };
  const last = /^(\w+)L$/.exec(f);
  if (last) return { lastOf: dayNumber(last[1]!) };
  if (f === 'L') return { days: new Set([7]) }; // "L" alone: the last day of the week, Saturday
  const nth = /^(\w+)#([1-5])$/.exec(f);
  if (nth) return { nth: { day: dayNumber(nth[1]!), n: Number(nth[2]) } };
  return { days: parseField(f, 1, 7, DAYS) };
}

function dayNumber(token: string): number {
  const n = /^\d+$/.test(token) ? Number(token) : DAYS.indexOf(token.toUpperCase()) + 1;
  if (n < 1 || n > 7) throw new Error('day of week');
  return n;
}

function parseField(field: string, min: number, max: number, names?: string[]): Set<number> {
  const out = new Set<number>();
  const value = (token: string): number => {
    const n = /^\d+$/.test(token)
      ? Number(token)
      : names
        ? names.indexOf(token.toUpperCase()) + min
        : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${token} out of range`);
    return n;
  };
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error('step');
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = min;
      hi = max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      lo = value(a);
      hi = value(b);
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : max; // `0/15`: from 0, every 15
    }
    if (lo <= hi) {
      for (let n = lo; n <= hi; n += step) out.add(n);
    } else {
      // Wrapping range, e.g. hours `20-2` ("from 10:00 pm … to 2:00 am", the guide's example).
      for (let n = lo; n <= max; n += step) out.add(n);
      for (let n = min; n <= hi; n += step) out.add(n);
    }
  }
  return out;
}

/** The first fire time strictly after `afterMs` (ms, UTC), or undefined if there is none before 2200. */
export function nextFire(schedule: Schedule, afterMs: number, createdAt: number): number | undefined {
  if (schedule.kind === 'rate') {
    const n = Math.floor((afterMs - createdAt) / schedule.everyMs) + 1;
    return createdAt + n * schedule.everyMs;
  }
  const c = schedule.cron;
  const start = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
  let day = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
  const end = Date.UTC(2200, 0, 1);
  for (; day < end; day += 86_400_000) {
    const d = new Date(day);
    const year = d.getUTCFullYear();
    if (c.years && !c.years.has(year)) {
      if (![...c.years].some((y) => y > year)) return undefined;
      day = Date.UTC(year + 1, 0, 1) - 86_400_000;
      continue;
    }
    if (!c.months.has(d.getUTCMonth() + 1) || !dayMatches(c, d)) continue;
    for (const h of [...c.hours].sort((a, b) => a - b)) {
      for (const m of [...c.minutes].sort((a, b) => a - b)) {
        const t = day + h * 3_600_000 + m * 60_000;
        if (t > afterMs) return t;
      }
    }
  }
  return undefined;
}

function dayMatches(c: Cron, d: Date): boolean {
  const date = d.getUTCDate();
  const dow = d.getUTCDay() + 1; // SUN = 1
  const daysInMonth = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  if (c.dom) {
    if ('any' in c.dom) return true;
    if (c.dom.last) return date === daysInMonth;
    if (c.dom.nearestWeekday !== undefined)
      return date === nearestWeekday(d, c.dom.nearestWeekday, daysInMonth);
    return c.dom.days.has(date);
  }
  const w = c.dow!;
  if ('any' in w) return true;
  if ('days' in w) return w.days.has(dow);
  if ('lastOf' in w) return dow === w.lastOf && date + 7 > daysInMonth;
  return dow === w.nth.day && Math.ceil(date / 7) === w.nth.n;
}

/** `15W`: the weekday nearest the 15th, within the same month. */
function nearestWeekday(d: Date, target: number, daysInMonth: number): number {
  const day = Math.min(target, daysInMonth);
  const weekday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), day)).getUTCDay();
  if (weekday === 6) return day === 1 ? 3 : day - 1; // Saturday → Friday (or Monday the 3rd)
  if (weekday === 0) return day === daysInMonth ? day - 2 : day + 1; // Sunday → Monday (or Friday)
  return day;
}
