/**
 * lib/version.ts: semver's rules without the semver package, held against semver itself (the
 * package, which parses the config's ranges at package time) over a grid of versions and ranges.
 */
import compare from 'semver/functions/compare.js';
import parse from 'semver/functions/parse.js';
import satisfies from 'semver/functions/satisfies.js';
import { describe, expect, it } from 'vitest';
import { comparatorSets } from '../lib/tag-policy.ts';
import { compareVersions, parseVersion, satisfiesComparators, type Version } from '../lib/version.ts';

const v = (text: string): Version => {
  const version = parseVersion(text);
  if (!version) throw new Error(`${text} is no version`);
  return version;
};

describe('parseVersion', () => {
  it.each<[string, Version | null]>([
    ['1.2.3', { major: 1, minor: 2, patch: 3, prerelease: [] }],
    ['v2.0.0-rc.1+b7', { major: 2, minor: 0, patch: 0, prerelease: ['rc', 1] }],
    [' 1.0.0 ', { major: 1, minor: 0, patch: 0, prerelease: [] }],
    ['1.2', null],
    ['01.2.3', null],
    ['1.2.3-01', null],
    ['latest', null],
  ])('%j -> %j', (text, version) => {
    expect(parseVersion(text)).toEqual(version);
  });
});

describe('compareVersions', () => {
  it.each<[string, string, number]>([
    ['1.2.3', '1.10.0', -1],
    ['1.0.0-rc.1', '1.0.0', -1],
    ['1.0.0-rc.2', '1.0.0-rc.10', -1],
    ['1.0.0-2', '1.0.0-alpha', -1],
    ['1.0.0-rc', '1.0.0-rc.1', -1],
    ['1.0.0+a', '1.0.0+b', 0],
  ])('%s vs %s -> %d', (a, b, order) => {
    expect(compareVersions(v(a), v(b))).toBe(order);
    expect(compareVersions(v(b), v(a))).toBe(-order || 0);
  });
});

describe('satisfiesComparators', () => {
  it.each<[string, string[][], boolean, boolean]>([
    ['1.3.0', [['>=1.2.0', '<2.0.0-0']], false, true],
    ['2.0.0', [['>=1.2.0', '<2.0.0-0']], false, false],
    ['1.2.3-rc.2', [['>=1.2.3-rc.1', '<2.0.0-0']], false, true],
    ['1.2.4-rc.1', [['>=1.2.3-rc.1', '<2.0.0-0']], false, false],
    ['1.2.4-rc.1', [['>=1.2.3-rc.1', '<2.0.0-0']], true, true],
    ['3.0.0', [['<1.0.0-0'], ['>=3.0.0', '<4.0.0-0']], false, true],
    ['0.0.1', [['']], false, true],
  ])('%s, %j, includePrerelease %s -> %s', (version, sets, includePrerelease, expected) => {
    expect(satisfiesComparators(v(version), sets, includePrerelease)).toBe(expected);
  });
});

describe('comparatorSets', () => {
  it.each<[string, boolean, string[][]]>([
    ['>=1.2.0 <2', false, [['>=1.2.0', '<2.0.0-0']]],
    ['^1.2', false, [['>=1.2.0', '<2.0.0-0']]],
    ['1.x || >=3', false, [['>=1.0.0', '<2.0.0-0'], ['>=3.0.0']]],
    ['^1.2', true, [['>=1.2.0-0', '<2.0.0-0']]],
    ['*', false, [['']]],
  ])('%j, includePrerelease %s -> %j', (range, includePrerelease, sets) => {
    expect(comparatorSets(range, includePrerelease)).toEqual(sets);
  });
});

/** Versions and near-versions: numbers, pre-releases of each kind, build metadata, malformed ones. */
const TEXTS = [
  ...[
    '0.0.0',
    '0.0.1',
    '0.1.0',
    '1.0.0',
    '1.2.0',
    '1.2.3',
    '1.2.4',
    '1.10.0',
    '1.9.9',
    '2.0.0',
    '2.1.0',
    '3.0.0',
  ],
  ...['v1.2.3', 'v2.0.0-beta', '1.2.3+build.7', '1.2.3-rc.1+b', ' 1.2.3', '1.2.3 '],
  ...['1.0.0-0', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta.2', '1.0.0-beta.11'],
  ...['1.0.0-rc.1', '1.2.3-rc.1', '1.2.3-rc.2', '1.2.4-rc.1', '2.0.0-rc.1', '2.0.0-0', '1.0.0-x-y.7z.92'],
  ...['1.0.0-9007199254740993', '1.0.0-9007199254740992', '1.0.0-1a', '1.0.0--', '9007199254740991.0.0'],
  ...[
    '9007199254740992.0.0',
    '1.2',
    '1',
    '01.2.3',
    '1.02.3',
    '1.2.3-01',
    '1.2.3-',
    '1.2.3+',
    'V1.2.3',
    '=1.2.3',
  ],
  ...[
    '1.2.3-rc..1',
    '1.2.3-rc.1.',
    '1.2.3.4',
    'v',
    'latest',
    '',
    `1.2.3-${'a'.repeat(250)}`,
    `1.2.3-${'a'.repeat(251)}`,
  ],
];
const RANGES = [
  ...['*', '', '1.2.3', '=1.2.3', '>1.2.3', '>=1.2.3', '<1.2.3', '<=1.2.3', '1.x', '1.2.x', '~1.2.3', '~1.2'],
  ...[
    '^1.2.3',
    '^0.1.2',
    '^0.0.3',
    '>=1.2.0 <2',
    '1.2.3 - 2.0.0',
    '1.x || >=3',
    '>=1.0.0-rc.1',
    '^1.2.3-rc.1',
  ],
  ...[
    '>1.0.0-alpha <1.0.0-beta.11',
    '<2.0.0-0',
    '>=2.0.0-0',
    'v1.2.3',
    '~1.2.3-beta.2',
    '<0.0.0-0',
    '>=0.0.0',
  ],
];

describe('against semver', () => {
  it('parses as semver.parse', () => {
    for (const text of TEXTS) {
      const theirs = parse(text);
      const ours = parseVersion(text);
      expect(ours && { ...ours }, JSON.stringify(text)).toEqual(
        theirs && {
          major: theirs.major,
          minor: theirs.minor,
          patch: theirs.patch,
          prerelease: theirs.prerelease,
        },
      );
    }
  });

  it('orders as semver.compare', () => {
    const versions = TEXTS.filter((t) => parse(t) !== null);
    for (const a of versions) {
      for (const b of versions) expect(compareVersions(v(a), v(b)), `${a} vs ${b}`).toBe(compare(a, b));
    }
  });

  it('tests ranges as semver.satisfies, with and without includePrerelease', () => {
    const versions = TEXTS.filter((t) => parse(t) !== null);
    for (const range of RANGES) {
      for (const includePrerelease of [false, true]) {
        const sets = comparatorSets(range, includePrerelease);
        for (const version of versions) {
          expect(
            satisfiesComparators(v(version), sets, includePrerelease),
            `${version} in ${JSON.stringify(range)} (includePrerelease ${includePrerelease})`,
          ).toBe(satisfies(version, range, { includePrerelease }));
        }
      }
    }
  });
});
