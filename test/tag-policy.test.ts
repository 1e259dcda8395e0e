import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TAG_POLICY,
  describeTagPolicy,
  evaluateTag,
  parseTagPolicy,
  type TagPolicy,
} from '../lib/tag-policy.ts';

const policy = (raw: unknown): TagPolicy => {
  const { policy, problems } = parseTagPolicy(raw);
  if (!policy) throw new Error(JSON.stringify(problems));
  return policy;
};

describe('evaluateTag', () => {
  const OK = 'ok';
  it.each<[string, unknown, string, string | undefined, string]>([
    // no tags block: any tag but latest, no pre-releases
    ['any', undefined, 'v1.2.3', undefined, OK],
    ['any', undefined, 'sha-4f2a9c1', undefined, OK],
    ['any', undefined, 'latest', undefined, 'tag "latest" is never deployed unless allowLatest is true'],
    ['any', undefined, '1.3.0-rc.1', undefined, 'tag "1.3.0-rc.1" is a pre-release and prerelease is false'],
    [
      'any',
      undefined,
      'v2.0.0-beta',
      undefined,
      'tag "v2.0.0-beta" is a pre-release and prerelease is false',
    ],
    ['any', undefined, '', undefined, 'the image has no tag'],
    ['any + allowLatest', { allowLatest: true }, 'latest', undefined, OK],
    ['any + prerelease', { prerelease: true }, '1.3.0-rc.1', undefined, OK],
    // glob: * any run, ? one character, the rest literal, whole tag
    ['glob', { glob: 'v*' }, 'v1.2.3', undefined, OK],
    ['glob', { glob: 'v*' }, 'v', undefined, OK],
    ['glob', { glob: 'v*' }, 'feature-x', undefined, 'tag "feature-x" does not match glob "v*"'],
    [
      'glob',
      { glob: 'v*' },
      'latest',
      undefined,
      'tag "latest" is never deployed unless allowLatest is true',
    ],
    [
      'glob',
      { glob: 'v*' },
      'v2.0.0-rc.1',
      undefined,
      'tag "v2.0.0-rc.1" is a pre-release and prerelease is false',
    ],
    ['glob + prerelease', { glob: 'v*', prerelease: true }, 'v2.0.0-rc.1', undefined, OK],
    ['glob ?', { glob: 'release-?' }, 'release-7', undefined, OK],
    [
      'glob ?',
      { glob: 'release-?' },
      'release-12',
      undefined,
      'tag "release-12" does not match glob "release-?"',
    ],
    [
      'glob ?',
      { glob: 'release-?' },
      'release-',
      undefined,
      'tag "release-" does not match glob "release-?"',
    ],
    ['glob dot is literal', { glob: 'v1.*' }, 'v1.4', undefined, OK],
    ['glob dot is literal', { glob: 'v1.*' }, 'v1x4', undefined, 'tag "v1x4" does not match glob "v1.*"'],
    ['glob in the middle', { glob: 'web-*-prod' }, 'web-42-prod', undefined, OK],
    [
      'glob in the middle',
      { glob: 'web-*-prod' },
      'web-42-prod2',
      undefined,
      'tag "web-42-prod2" does not match glob "web-*-prod"',
    ],
    ['glob * + allowLatest', { glob: '*', allowLatest: true }, 'latest', undefined, OK],
    // regex: JavaScript syntax, unanchored
    ['regex', { regex: '^release-\\d+$' }, 'release-42', undefined, OK],
    [
      'regex',
      { regex: '^release-\\d+$' },
      'release-42a',
      undefined,
      'tag "release-42a" does not match regex /^release-\\d+$/',
    ],
    ['regex unanchored', { regex: 'prod' }, 'web-prod-7', undefined, OK],
    [
      'regex',
      { regex: '.*' },
      'latest',
      undefined,
      'tag "latest" is never deployed unless allowLatest is true',
    ],
    // semver: v prefix accepted, range, pre-releases, never down
    ['semver', { semver: '>=1.2.0 <2' }, '1.3.0', undefined, OK],
    ['semver v', { semver: '>=1.2.0 <2' }, 'v1.3.0', undefined, OK],
    [
      'semver',
      { semver: '>=1.2.0 <2' },
      '2.0.0',
      undefined,
      'tag "2.0.0" is outside the semver range ">=1.2.0 <2"',
    ],
    [
      'semver',
      { semver: '>=1.2.0 <2' },
      '1.1.9',
      undefined,
      'tag "1.1.9" is outside the semver range ">=1.2.0 <2"',
    ],
    [
      'semver',
      { semver: '>=1.2.0 <2' },
      '1.3.0-rc.1',
      undefined,
      'tag "1.3.0-rc.1" is a pre-release and prerelease is false',
    ],
    ['semver + prerelease', { semver: '>=1.2.0 <2', prerelease: true }, '1.3.0-rc.1', undefined, OK],
    [
      'semver + prerelease',
      { semver: '>=1.2.0 <2', prerelease: true },
      '2.0.0-rc.1',
      undefined,
      'tag "2.0.0-rc.1" is outside the semver range ">=1.2.0 <2"',
    ],
    [
      'semver',
      { semver: '*' },
      'latest',
      undefined,
      'tag "latest" is not a semver version (MAJOR.MINOR.PATCH, v prefix allowed)',
    ],
    [
      'semver',
      { semver: '*' },
      '1.2',
      undefined,
      'tag "1.2" is not a semver version (MAJOR.MINOR.PATCH, v prefix allowed)',
    ],
    [
      'semver',
      { semver: '*' },
      'V1.2.3',
      undefined,
      'tag "V1.2.3" is not a semver version (MAJOR.MINOR.PATCH, v prefix allowed)',
    ],
    // highest wins: what makes two pushes arriving out of order safe
    ['semver up', { semver: '>=1.0.0' }, '1.2.1', '1.2.0', OK],
    [
      'semver down',
      { semver: '>=1.0.0' },
      '1.1.0',
      '1.2.0',
      'tag "1.1.0" is not above the deployed 1.2.0 (allowDowngrade is false)',
    ],
    [
      'semver same',
      { semver: '>=1.0.0' },
      '1.2.0',
      'v1.2.0',
      'tag "1.2.0" is not above the deployed v1.2.0 (allowDowngrade is false)',
    ],
    ['semver numeric order', { semver: '>=1.0.0' }, 'v1.10.0', 'v1.9.0', OK],
    ['semver release after rc', { semver: '>=1.0.0', prerelease: true }, '1.3.0', '1.3.0-rc.1', OK],
    [
      'semver rc after release',
      { semver: '>=1.0.0', prerelease: true },
      '1.3.0-rc.2',
      '1.3.0',
      'tag "1.3.0-rc.2" is not above the deployed 1.3.0 (allowDowngrade is false)',
    ],
    ['semver + allowDowngrade', { semver: '>=1.0.0', allowDowngrade: true }, '1.1.0', '1.2.0', OK],
    ['semver, deployed tag not a version', { semver: '>=1.0.0' }, '1.1.0', 'sha-4f2a9c1', OK],
    ['glob ignores current', { glob: 'v*' }, 'v1.0.0', 'v2.0.0', OK],
  ])('%s %j: %s (deployed %s) -> %s', (_name, raw, tag, current, expected) => {
    const verdict = evaluateTag(policy(raw), tag, current);
    expect(verdict).toEqual(expected === OK ? { ok: true } : { ok: false, reason: expected });
  });
});

describe('describeTagPolicy', () => {
  it.each<[unknown, string]>([
    [undefined, 'any tag'],
    [{ allowLatest: true }, 'any tag, allowing latest'],
    [{ semver: '>=1.2.0 <2' }, 'semver >=1.2.0 <2'],
    [
      { semver: '^1.2', prerelease: true, allowDowngrade: true },
      'semver ^1.2, allowing pre-releases and downgrades',
    ],
    [{ glob: 'v*' }, 'glob "v*"'],
    [{ glob: '*', prerelease: true, allowLatest: true }, 'glob "*", allowing pre-releases and latest'],
    [{ regex: '^release-\\d+$' }, 'regex /^release-\\d+$/'],
  ])('%j -> %s', (raw, text) => {
    expect(describeTagPolicy(policy(raw))).toBe(text);
  });
});

describe('parseTagPolicy', () => {
  it('gives the defaults without a tags block', () => {
    expect(parseTagPolicy(undefined)).toEqual({ policy: DEFAULT_TAG_POLICY, problems: [] });
    expect(DEFAULT_TAG_POLICY).toEqual({ kind: 'any', prerelease: false, allowLatest: false });
  });

  it('reads each kind with its flags', () => {
    expect(policy({ semver: '>=1.2.0', prerelease: true })).toEqual({
      kind: 'semver',
      semver: '>=1.2.0',
      comparators: [['>=1.2.0']],
      prerelease: true,
      allowDowngrade: false,
    });
    expect(policy({ glob: 'v*' })).toEqual({
      kind: 'glob',
      glob: 'v*',
      prerelease: false,
      allowLatest: false,
    });
    expect(policy({ regex: 'x', allowLatest: false })).toEqual({
      kind: 'regex',
      regex: 'x',
      prerelease: false,
      allowLatest: false,
    });
  });

  // Paths are relative to the tags block ('' is the block); config.test.ts checks them in place.
  it.each<[unknown, string[]]>([
    ['v*', ['']],
    [{ glob: 'v*', regex: '^v' }, ['']],
    [{ semver: '>=1', glob: 'v*', regex: '(' }, ['', 'regex']],
    [{ glob: '' }, ['glob']],
    [{ regex: '' }, ['regex']],
    [{ regex: '(' }, ['regex']],
    [{ semver: '' }, ['semver']],
    [{ semver: '>=1.2.0 <<2' }, ['semver']],
    [{ semver: 1.1 }, ['semver']],
    [{ glob: 'v*', prerelease: 'yes' }, ['prerelease']],
    [{ semver: '>=1', allowLatest: true }, ['allowLatest']],
    [{ glob: 'v*', allowDowngrade: true }, ['allowDowngrade']],
    [{ allowDowngrade: false }, ['allowDowngrade']],
    [{ glob: 'v*', allowLatest: true }, ['allowLatest']],
    [{ regex: '^\\d+$', allowLatest: true }, ['allowLatest']],
    [{ glob: 'v*', prereleases: true }, ['prereleases']],
  ])('%j -> problems at %j', (raw, paths) => {
    const { policy, problems } = parseTagPolicy(raw);
    expect(policy).toBeUndefined();
    expect(problems.map((p) => p.path)).toEqual(paths);
  });

  it('says what is wrong', () => {
    const messages = (raw: unknown) => parseTagPolicy(raw).problems.map((p) => p.message);
    expect(messages({ glob: 'v*', regex: '^v' })).toEqual([
      'set only one of semver, glob or regex, not glob and regex',
    ]);
    expect(messages({ semver: 'latest' })).toEqual([
      '"latest" is not a semver range (e.g. ">=1.2.0 <2", "^1.2", "1.x")',
    ]);
    expect(messages({ glob: '' })).toEqual(['must not be empty (write "*" for any tag)']);
    expect(messages({ glob: 'v*', allowLatest: true })).toEqual([
      'is true but glob "v*" never matches "latest"',
    ]);
    expect(messages({ regex: '(' })[0]).toMatch(/Invalid regular expression/);
  });
});
