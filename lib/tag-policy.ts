/**
 * Which pushed image tags a target deploys: the `tags` block of a target in `autopilot.yml`. Pure.
 *
 *   tags:                        # at most one of semver / glob / regex; none means any tag
 *     semver: ">=1.2.0 <2"       # a semver range; tags may carry a v prefix (v1.2.3)
 *     glob: "v*"                 # * any run of characters, ? one character, the rest literal; whole tag
 *     regex: "^release-\\d+$"    # JavaScript syntax, unanchored like Flux and Keel: add ^ and $
 *     prerelease: false          # pre-release versions (1.3.0-rc.1, v2.0.0-beta) only when true
 *     allowLatest: false         # glob, regex or none: "latest" only when true (and matched)
 *     allowDowngrade: false      # semver: a version at or below the deployed one only when true
 *
 * A tag is a pre-release when it reads as a semver version with a pre-release part, whatever the
 * policy kind, so `glob: "v*"` skips v2.0.0-rc.1 unless prerelease is true. Under semver the highest
 * version wins (Flux and Keel do the same): a push at or below the deployed version is skipped, which
 * makes two pushes arriving out of order safe.
 */
// semver where the config is parsed (package time, the CLI), its ranges alone: the functions test
// tags with lib/version.ts, and their bundles leave semver out (scripts/esbuild-plugins.cjs marks
// it free of side effects, so the import of what only parsing uses goes with it).
import Range from 'semver/classes/range.js';
import validRange from 'semver/ranges/valid.js';
import {
  type ComparatorSets,
  compareVersions,
  parseVersion,
  satisfiesComparators,
  type Version,
} from './version.ts';

export type TagPolicy =
  | { kind: 'any'; prerelease: boolean; allowLatest: boolean }
  | { kind: 'glob'; glob: string; prerelease: boolean; allowLatest: boolean }
  | { kind: 'regex'; regex: string; prerelease: boolean; allowLatest: boolean }
  | {
      kind: 'semver';
      semver: string;
      /** `semver` as semver desugars it with `prerelease` (lib/version.ts): what the functions test. */
      comparators: ComparatorSets;
      prerelease: boolean;
      allowDowngrade: boolean;
    };

/** Without a `tags` block: any tag but `latest`, no pre-releases. */
export const DEFAULT_TAG_POLICY: TagPolicy = { kind: 'any', prerelease: false, allowLatest: false };

const PATTERN_KINDS = ['semver', 'glob', 'regex'] as const;
const TAG_KEYS = [...PATTERN_KINDS, 'prerelease', 'allowLatest', 'allowDowngrade'];

export type TagVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Whether `tag` may be deployed, and if not, why, in words for a notice. `current` is the tag now
 * deployed; only semver uses it (glob and regex tags have no order).
 *
 *   semver ">=1.2.0 <2", "v1.3.0"                  -> ok
 *   semver ">=1.2.0 <2", "1.3.0-rc.1"              -> 'tag "1.3.0-rc.1" is a pre-release and prerelease is false'
 *   semver ">=1.2.0 <2", "1.1.0", current "1.2.0"  -> 'tag "1.1.0" is not above the deployed 1.2.0 (allowDowngrade is false)'
 *   glob "v*", "feature-x"                         -> 'tag "feature-x" does not match glob "v*"'
 *   any, "latest"                                  -> 'tag "latest" is never deployed unless allowLatest is true'
 */
export function evaluateTag(policy: TagPolicy, tag: string, current?: string): TagVerdict {
  if (tag === '') return no('the image has no tag');
  if (policy.kind === 'semver') {
    const version = versionOf(tag);
    if (!version) return no(`tag "${tag}" is not a semver version (MAJOR.MINOR.PATCH, v prefix allowed)`);
    if (version.prerelease.length > 0 && !policy.prerelease) return no(prereleaseReason(tag));
    if (!satisfiesComparators(version, policy.comparators, policy.prerelease)) {
      return no(`tag "${tag}" is outside the semver range "${policy.semver}"`);
    }
    const deployed = current === undefined ? null : versionOf(current);
    if (deployed && !policy.allowDowngrade && compareVersions(version, deployed) <= 0) {
      return no(`tag "${tag}" is not above the deployed ${current} (allowDowngrade is false)`);
    }
    return { ok: true };
  }
  if (tag === 'latest' && !policy.allowLatest)
    return no('tag "latest" is never deployed unless allowLatest is true');
  if (!policy.prerelease && versionOf(tag)?.prerelease.length) return no(prereleaseReason(tag));
  if (!matchesPattern(policy, tag)) return no(`tag "${tag}" does not match ${describePattern(policy)}`);
  return { ok: true };
}

/**
 * The policy in a few words, for notices and `autopilot status`; what differs from the defaults is named.
 *
 *   semver ">=1.2.0 <2"                  -> 'semver >=1.2.0 <2'
 *   glob "v*", prerelease, allowLatest   -> 'glob "v*", allowing pre-releases and latest'
 *   no tags block                        -> 'any tag'
 */
export function describeTagPolicy(policy: TagPolicy): string {
  const allowed = [policy.prerelease && 'pre-releases'];
  if (policy.kind === 'semver') allowed.push(policy.allowDowngrade && 'downgrades');
  else allowed.push(policy.allowLatest && 'latest');
  const extras = allowed.filter(Boolean);
  return describePattern(policy) + (extras.length ? `, allowing ${extras.join(' and ')}` : '');
}

/**
 * The `tags` block as written, checked. Problem paths are relative to the block ('' is the block
 * itself); a policy is returned only when there is no problem.
 */
export function parseTagPolicy(raw: unknown): {
  policy?: TagPolicy;
  problems: { path: string; message: string }[];
} {
  const problems: { path: string; message: string }[] = [];
  const report = (path: string, message: string) => problems.push({ path, message });
  if (raw === undefined) return { policy: { ...DEFAULT_TAG_POLICY }, problems };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    report(
      '',
      `must be a mapping such as { semver: ">=1.2.0" } or { glob: "v*" }, got ${JSON.stringify(raw)}`,
    );
    return { problems };
  }
  const fields = raw as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!TAG_KEYS.includes(key)) report(key, `unknown key; allowed here: ${TAG_KEYS.join(', ')}`);
  }

  const kinds = PATTERN_KINDS.filter((k) => fields[k] !== undefined);
  if (kinds.length > 1) report('', `set only one of semver, glob or regex, not ${kinds.join(' and ')}`);
  const patterns = kinds.map((k) => readPattern(k, fields[k], report));
  const kind = kinds[0] ?? 'any';
  const pattern = kind === 'any' ? '' : patterns[0];

  const flag = (key: 'prerelease' | 'allowLatest' | 'allowDowngrade'): boolean => {
    const value = fields[key];
    if (value === undefined) return false;
    if (typeof value !== 'boolean') report(key, `must be true or false, got ${JSON.stringify(value)}`);
    return value === true;
  };
  const prerelease = flag('prerelease');
  const allowLatest = flag('allowLatest');
  const allowDowngrade = flag('allowDowngrade');
  if (kind === 'semver' && fields.allowLatest !== undefined) {
    report(
      'allowLatest',
      'does not apply to semver: "latest" is not a version, so a semver policy never deploys it',
    );
  }
  if (kind !== 'semver' && fields.allowDowngrade !== undefined) {
    report('allowDowngrade', 'applies only to semver: other tags have no order to go down');
  }

  if (problems.length > 0 || pattern === undefined) return { problems };
  let policy: TagPolicy;
  if (kind === 'semver') {
    policy = {
      kind,
      semver: pattern,
      comparators: comparatorSets(pattern, prerelease),
      prerelease,
      allowDowngrade,
    };
  } else if (kind === 'glob') policy = { kind, glob: pattern, prerelease, allowLatest };
  else if (kind === 'regex') policy = { kind, regex: pattern, prerelease, allowLatest };
  else policy = { kind, prerelease, allowLatest };
  // A flag that can never act is a mistake, not a preference.
  if (allowLatest && policy.kind !== 'semver' && !matchesPattern(policy, 'latest')) {
    report('allowLatest', `is true but ${describePattern(policy)} never matches "latest"`);
    return { problems };
  }
  return { policy, problems };
}

function readPattern(
  kind: (typeof PATTERN_KINDS)[number],
  value: unknown,
  report: (path: string, message: string) => void,
): string | undefined {
  if (typeof value !== 'string') {
    const hint = typeof value === 'number' ? ' in quotes (YAML reads 1.10 as the number 1.1)' : '';
    report(kind, `must be a string${hint}, got ${JSON.stringify(value)}`);
    return undefined;
  }
  if (value.trim() === '') {
    report(
      kind,
      kind === 'regex'
        ? 'must not be empty'
        : `must not be empty (write "*" for any ${kind === 'semver' ? 'version' : 'tag'})`,
    );
    return undefined;
  }
  if (kind === 'semver' && validRange(value) === null) {
    report(kind, `"${value}" is not a semver range (e.g. ">=1.2.0 <2", "^1.2", "1.x")`);
    return undefined;
  }
  if (kind === 'regex') {
    try {
      new RegExp(value);
    } catch (err) {
      report(kind, (err as Error).message);
      return undefined;
    }
  }
  return value;
}

/**
 * A semver range as the comparator sets semver tests (lib/version.ts), desugared with the policy's
 * `prerelease` as semver's `includePrerelease`:
 *
 *   ">=1.2.0 <2", false   -> [[">=1.2.0", "<2.0.0-0"]]
 *   "^1.2", false         -> [[">=1.2.0", "<2.0.0-0"]]
 *   "1.x || >=3", false   -> [[">=1.0.0", "<2.0.0-0"], [">=3.0.0"]]
 *   "^1.2", true          -> [[">=1.2.0-0", "<2.0.0-0"]]
 *   "*", false            -> [[""]]
 */
export function comparatorSets(range: string, includePrerelease: boolean): ComparatorSets {
  return new Range(range, { includePrerelease }).set.map((set) => set.map((c) => c.value));
}

function no(reason: string): TagVerdict {
  return { ok: false, reason };
}

function prereleaseReason(tag: string): string {
  return `tag "${tag}" is a pre-release and prerelease is false`;
}

/** "1.2.3" and "v1.2.3" read as versions; "latest", "1.2", "release-7" do not. */
function versionOf(tag: string): Version | null {
  return /^v?\d/.test(tag) ? parseVersion(tag) : null;
}

function matchesPattern(policy: Exclude<TagPolicy, { kind: 'semver' }>, tag: string): boolean {
  switch (policy.kind) {
    case 'any':
      return true;
    case 'glob':
      return globToRegExp(policy.glob).test(tag);
    case 'regex':
      return new RegExp(policy.regex).test(tag);
  }
}

/** A glob (`*` any run of characters, `?` one character, the rest literal) as a whole-tag RegExp: `hotfix-*` matches `hotfix-42`. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function describePattern(policy: TagPolicy): string {
  switch (policy.kind) {
    case 'any':
      return 'any tag';
    case 'glob':
      return `glob "${policy.glob}"`;
    case 'regex':
      return `regex /${policy.regex}/`;
    case 'semver':
      return `semver ${policy.semver}`;
  }
}
