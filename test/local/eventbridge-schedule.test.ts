/** Schedule expressions, against the examples of the EventBridge User Guide (eb-create-rule-schedule). */
import { describe, expect, it } from 'vitest';
import { nextFire, parseSchedule } from '../../local/services/eventbridge/schedule.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function fires(expression: string, fromIso: string, n: number): (string | undefined)[] {
  const schedule = parseSchedule(expression);
  if (!schedule) throw new Error(`invalid: ${expression}`);
  const out: (string | undefined)[] = [];
  let t: number | undefined = at(fromIso);
  for (let i = 0; i < n && t !== undefined; i++) {
    t = nextFire(schedule, t, at(fromIso));
    out.push(iso(t));
  }
  return out;
}

describe('schedule expressions', () => {
  it('parses rate expressions; the unit is singular exactly when the value is 1', () => {
    expect(parseSchedule('rate(1 minute)')).toEqual({ kind: 'rate', everyMs: 60_000 });
    expect(parseSchedule('rate(5 minutes)')).toEqual({ kind: 'rate', everyMs: 300_000 });
    expect(parseSchedule('rate(1 hour)')).toEqual({ kind: 'rate', everyMs: 3_600_000 });
    expect(parseSchedule('rate(2 days)')).toEqual({ kind: 'rate', everyMs: 172_800_000 });
    for (const bad of [
      'rate(1 hours)',
      'rate(5 hour)',
      'rate(0 minutes)',
      'rate(1 second)',
      'rate(x minutes)',
    ]) {
      expect(parseSchedule(bad), bad).toBeUndefined();
    }
  });

  it('counts rate expressions from when the rule was created', () => {
    expect(fires('rate(5 minutes)', '2026-01-01T00:02:30Z', 2)).toEqual([
      '2026-01-01T00:07:30.000Z',
      '2026-01-01T00:12:30.000Z',
    ]);
  });

  it.each([
    ['cron(0 10 * * ? *)', '2026-01-01T10:00:00Z', ['2026-01-02T10:00:00.000Z']], // 10:00 every day
    ['cron(15 12 * * ? *)', '2026-01-01T00:00:00Z', ['2026-01-01T12:15:00.000Z', '2026-01-02T12:15:00.000Z']],
    // 6:00 pm Monday through Friday; 2026-01-02 is a Friday
    [
      'cron(0 18 ? * MON-FRI *)',
      '2026-01-02T19:00:00Z',
      ['2026-01-05T18:00:00.000Z', '2026-01-06T18:00:00.000Z'],
    ],
    ['cron(0 8 1 * ? *)', '2026-01-01T09:00:00Z', ['2026-02-01T08:00:00.000Z']], // 8:00 on the 1st
    [
      'cron(0/15 * * * ? *)',
      '2026-01-01T00:00:00Z',
      ['2026-01-01T00:15:00.000Z', '2026-01-01T00:30:00.000Z'],
    ],
    // every 30 minutes Mon-Fri between 10 pm and 2 am (a wrapping hour range)
    [
      'cron(0/30 20-2 ? * MON-FRI *)',
      '2026-01-05T01:45:00Z',
      ['2026-01-05T02:00:00.000Z', '2026-01-05T02:30:00.000Z', '2026-01-05T20:00:00.000Z'],
    ],
    [
      'cron(5,35 14 * * ? *)',
      '2026-01-01T14:10:00Z',
      ['2026-01-01T14:35:00.000Z', '2026-01-02T14:05:00.000Z'],
    ],
    // 10:15 on the last Friday of each month, 2019-2022
    ['cron(15 10 ? * 6L 2019-2022)', '2022-11-30T00:00:00Z', ['2022-12-30T10:15:00.000Z', undefined]],
    ['cron(0 0 L * ? *)', '2026-02-01T00:00:00Z', ['2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z']],
    // the second Tuesday (3#2)
    ['cron(0 9 ? * 3#2 *)', '2026-01-01T00:00:00Z', ['2026-01-13T09:00:00.000Z', '2026-02-10T09:00:00.000Z']],
    // the weekday nearest the 3rd: 2026-01-03 is a Saturday → Friday the 2nd
    ['cron(0 9 3W * ? *)', '2026-01-01T00:00:00Z', ['2026-01-02T09:00:00.000Z']],
  ])('%s', (expression, from, expected) => {
    expect(fires(expression, from, expected.length)).toEqual(expected);
  });

  it('rejects cron expressions AWS rejects', () => {
    for (const bad of [
      'cron(0 10 * * * *)', // * in both day fields
      'cron(0 10 ? * ? *)', // ? in both
      'cron(0 10 * *)', // five fields
      'cron(60 10 * * ? *)',
      'cron(0 24 * * ? *)',
      'cron(0 10 * 13 ? *)',
      'cron(0 10 ? * 8 *)',
      'cron(0 10 * * ? 2300)',
    ]) {
      expect(parseSchedule(bad), bad).toBeUndefined();
    }
  });
});
