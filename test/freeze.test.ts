/** The worked examples of lib/freeze.ts, one row each, and the `freeze:` section's validation. */
import { describe, expect, it } from 'vitest';
import {
  type FreezeWindow,
  formatInZone,
  frozenUntil,
  type LocalTime,
  overridesFreeze,
  parseFreeze,
  toInstant,
} from '../lib/freeze.ts';

const at = (iso: string) => Date.parse(iso);
/** "2026-03-29 02:30" -> the wall-clock time toInstant reads, so a row shows the clock it means. */
const wall = (text: string): LocalTime => {
  const [year, month, day, hour, minute] = text.split(/[- :]/).map(Number);
  return { year: year!, month: month!, day: day!, minute: hour! * 60 + minute! };
};
const weekend = (timeZone: string): FreezeWindow => ({
  kind: 'weekly',
  fromDay: 5,
  from: 16 * 60,
  toDay: 1,
  to: 8 * 60,
  timeZone,
});
const christmas: FreezeWindow = {
  kind: 'dates',
  from: { year: 2026, month: 12, day: 24, minute: 0 },
  to: { year: 2026, month: 12, day: 27, minute: 0 },
  timeZone: 'UTC',
};

describe('frozenUntil', () => {
  it.each<[string, FreezeWindow[], string, string | undefined]>([
    ['weekend Berlin, Saturday', [weekend('Europe/Berlin')], '2026-01-03T12:00:00Z', '2026-01-05T07:00:00Z'],
    ['weekend Berlin, Thursday', [weekend('Europe/Berlin')], '2026-01-08T12:00:00Z', undefined],
    ['weekend Berlin, its end (open)', [weekend('Europe/Berlin')], '2026-01-05T07:00:00Z', undefined],
    [
      'weekend Berlin, a minute before its end',
      [weekend('Europe/Berlin')],
      '2026-01-05T06:59:00Z',
      '2026-01-05T07:00:00Z',
    ],
    [
      'weekend Berlin, across the spring change',
      [weekend('Europe/Berlin')],
      '2026-03-27T15:00:00Z',
      '2026-03-30T06:00:00Z',
    ],
    ['weekend Berlin, Friday 15:59 local', [weekend('Europe/Berlin')], '2026-01-02T14:59:00Z', undefined],
    [
      'weekend Berlin, Friday 16:00 local',
      [weekend('Europe/Berlin')],
      '2026-01-02T15:00:00Z',
      '2026-01-05T07:00:00Z',
    ],
    [
      'nights mon-thu UTC, Tuesday 23:00',
      [{ kind: 'daily', days: [1, 2, 3, 4], from: 18 * 60, to: 8 * 60, timeZone: 'UTC' }],
      '2026-01-06T23:00:00Z',
      '2026-01-07T08:00:00Z',
    ],
    [
      'nights mon-thu UTC, Friday 23:00 (not listed)',
      [{ kind: 'daily', days: [1, 2, 3, 4], from: 18 * 60, to: 8 * 60, timeZone: 'UTC' }],
      '2026-01-09T23:00:00Z',
      undefined,
    ],
    ['christmas, its last minute', [christmas], '2026-12-26T23:59:00Z', '2026-12-27T00:00:00Z'],
    [
      'christmas chains into the weekend',
      [christmas, weekend('UTC')],
      '2026-12-24T10:00:00Z',
      '2026-12-28T08:00:00Z',
    ],
    [
      'a night in the skipped hour of New York',
      [{ kind: 'daily', days: [0], from: 90, to: 180, timeZone: 'America/New_York' }],
      '2026-03-08T06:59:00Z',
      '2026-03-08T07:00:00Z',
    ],
  ])('%s', (_, windows, now, until) => {
    const got = frozenUntil(at(now), windows);
    expect(got === undefined ? undefined : new Date(got).toISOString()).toBe(
      until === undefined ? undefined : new Date(until).toISOString(),
    );
  });

  it('a weekly window that covers the whole week with another is capped at a year, not a hang', () => {
    const windows: FreezeWindow[] = [
      { kind: 'weekly', fromDay: 1, from: 0, toDay: 4, to: 0, timeZone: 'UTC' },
      { kind: 'weekly', fromDay: 4, from: 0, toDay: 1, to: 0, timeZone: 'UTC' },
    ];
    const now = at('2026-01-06T00:00:00Z');
    const until = frozenUntil(now, windows)!;
    expect(until - now).toBeGreaterThanOrEqual(366 * 86_400_000);
  });
});

describe('toInstant', () => {
  it.each([
    ['skipped 02:30 Berlin', wall('2026-03-29 02:30'), 'Europe/Berlin', '2026-03-29T01:30:00Z'],
    ['repeated 02:30 Berlin', wall('2026-10-25 02:30'), 'Europe/Berlin', '2026-10-25T00:30:00Z'],
    ['winter 08:00 Berlin', wall('2026-01-05 08:00'), 'Europe/Berlin', '2026-01-05T07:00:00Z'],
    ['summer 08:00 Berlin', wall('2026-07-06 08:00'), 'Europe/Berlin', '2026-07-06T06:00:00Z'],
    ['Kathmandu +05:45', wall('2026-01-05 08:00'), 'Asia/Kathmandu', '2026-01-05T02:15:00Z'],
  ])('%s', (_, local, zone, iso) => {
    expect(new Date(toInstant(local, zone)).toISOString()).toBe(new Date(iso).toISOString());
  });

  it('formatInZone reads an instant as that zone does', () => {
    expect(formatInZone(at('2026-01-05T07:00:00Z'), 'Europe/Berlin')).toBe('2026-01-05 08:00 Europe/Berlin');
  });
});

describe('overridesFreeze', () => {
  it.each([
    [['hotfix-*'], 'hotfix-42', true],
    [['hotfix-*'], 'v2', false],
    [[], 'anything', false],
    [['hotfix-?'], 'hotfix-12', false],
  ])('%j, %s -> %s', (allowTags, tag, ok) => {
    expect(overridesFreeze({ windows: [], allowTags }, tag)).toBe(ok);
  });
});

describe('parseFreeze', () => {
  const parse = (value: unknown) => {
    const problems: string[] = [];
    const freeze = parseFreeze(value, 'freeze', (path, message) => problems.push(`${path}: ${message}`));
    return { freeze, problems };
  };

  it('reads the three kinds of window, a window with its own zone, and allowTags', () => {
    const { freeze, problems } = parse({
      timeZone: 'Europe/Berlin',
      windows: [
        { from: 'fri 16:00', to: 'Monday 08:00' },
        { days: ['mon', 'Tue'], from: '18:00', to: '08:00' },
        { from: '2026-12-24', to: '2026-12-26' },
        { from: '2026-12-31T12:00', to: '2027-01-01T12:00', timeZone: 'America/New_York' },
      ],
      allowTags: ['hotfix-*'],
    });
    expect(problems).toEqual([]);
    expect(freeze).toEqual({
      windows: [
        { kind: 'weekly', fromDay: 5, from: 960, toDay: 1, to: 480, timeZone: 'Europe/Berlin' },
        { kind: 'daily', days: [1, 2], from: 1080, to: 480, timeZone: 'Europe/Berlin' },
        {
          kind: 'dates',
          from: { year: 2026, month: 12, day: 24, minute: 0 },
          to: { year: 2026, month: 12, day: 27, minute: 0 },
          timeZone: 'Europe/Berlin',
        },
        {
          kind: 'dates',
          from: { year: 2026, month: 12, day: 31, minute: 720 },
          to: { year: 2027, month: 1, day: 1, minute: 720 },
          timeZone: 'America/New_York',
        },
      ],
      allowTags: ['hotfix-*'],
    });
  });

  it('false is no freeze (a target opting out of the defaults)', () => {
    expect(parse(false)).toEqual({ freeze: { windows: [], allowTags: [] }, problems: [] });
  });

  it.each<[string, unknown, string]>([
    [
      'an unknown zone',
      { timeZone: 'Europe/Berln', windows: [{ from: 'fri 16:00', to: 'mon 08:00' }] },
      'freeze.timeZone: must be an IANA time zone',
    ],
    [
      'no zone at all',
      { windows: [{ from: 'fri 16:00', to: 'mon 08:00' }] },
      'freeze.windows[0].timeZone: is required here',
    ],
    ['no windows', { timeZone: 'UTC', windows: [] }, 'freeze.windows: must list at least one window'],
    [
      'a weekday typo',
      { timeZone: 'UTC', windows: [{ from: 'fry 16:00', to: 'mon 08:00' }] },
      'freeze.windows[0].from: must be a weekday',
    ],
    [
      'a time past 23:59',
      { timeZone: 'UTC', windows: [{ days: ['mon'], from: '24:00', to: '08:00' }] },
      'freeze.windows[0].from: must be a time of day as HH:MM',
    ],
    [
      'a one-digit hour',
      { timeZone: 'UTC', windows: [{ days: ['mon'], from: '8:00', to: '18:00' }] },
      'freeze.windows[0].from: must be a time of day as HH:MM',
    ],
    [
      'a day that is not in the calendar',
      { timeZone: 'UTC', windows: [{ from: '2026-02-30', to: '2026-03-02' }] },
      'freeze.windows[0].from: 2026-02-30 is not a date in the calendar',
    ],
    [
      'an offset in a date',
      { timeZone: 'UTC', windows: [{ from: '2026-12-24T18:00Z', to: '2026-12-26' }] },
      'freeze.windows[0].from: must be a local date and time without an offset',
    ],
    [
      'dates the wrong way round',
      { timeZone: 'UTC', windows: [{ from: '2026-12-26', to: '2026-12-24' }] },
      'freeze.windows[0].to: must be after from',
    ],
    [
      'a weekly window that never ends',
      { timeZone: 'UTC', windows: [{ from: 'mon 08:00', to: 'mon 08:00' }] },
      'freeze.windows[0].to: must differ from from',
    ],
    [
      'an empty daily window',
      { timeZone: 'UTC', windows: [{ days: ['mon'], from: '08:00', to: '08:00' }] },
      'freeze.windows[0].to: must differ from from',
    ],
    [
      'an unknown key',
      { timeZone: 'UTC', windows: [{ from: 'fri 16:00', to: 'mon 08:00', until: 'x' }] },
      'freeze.windows[0].until: unknown key',
    ],
    [
      'a bad allowTags',
      { timeZone: 'UTC', windows: [{ from: 'fri 16:00', to: 'mon 08:00' }], allowTags: 'hotfix-*' },
      'freeze.allowTags: must be a list of tag globs',
    ],
    [
      'a list instead of a mapping',
      [{ from: 'fri 16:00', to: 'mon 08:00' }],
      'freeze: must be false, or a mapping',
    ],
  ])('%s is refused with its path', (_, value, message) => {
    const { freeze, problems } = parse(value);
    expect(freeze).toBeUndefined();
    expect(problems.join('\n')).toContain(message);
  });
});
