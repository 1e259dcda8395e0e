/**
 * Semantic versions as the functions read them at run time: semver's own rules (the `semver`
 * package, v7), for the few things a tag policy asks of a pushed tag, without the package. semver is
 * CommonJS: in a function's bundle it was 20 KB and about 2.6 ms of every cold import (V8 parses its
 * module wrappers when the bundle loads and again when they run, and internal/re.js builds some 80
 * regular expressions), a quarter of what the functions cost over an empty handler. A range is
 * desugared by semver itself where the config is parsed (lib/tag-policy.ts `comparatorSets`, at
 * package time), into comparators simple enough to test here; test/tag-policy.test.ts holds both
 * against semver over a grid of versions and ranges.
 */

/** A parsed version: numeric pre-release identifiers as numbers, as semver keeps them; build metadata dropped (it never orders). */
export interface Version {
  major: number;
  minor: number;
  patch: number;
  prerelease: (string | number)[];
}

/** semver's `safeRe[t.FULL]` (internal/re.js): strict, an optional `v`, no loose forms. */
const FULL =
  /^v?(0|[1-9]\d{0,256})\.(0|[1-9]\d{0,256})\.(0|[1-9]\d{0,256})(?:-((?:\d{0,256}[a-zA-Z-][a-zA-Z0-9-]{0,250}|0|[1-9]\d{0,256})(?:\.(?:\d{0,256}[a-zA-Z-][a-zA-Z0-9-]{0,250}|0|[1-9]\d{0,256}))*))?(?:\+([a-zA-Z0-9-]{1,250}(?:\.[a-zA-Z0-9-]{1,250})*))?$/;
/** semver's MAX_LENGTH: a longer string is no version. */
const MAX_LENGTH = 256;

/**
 * `semver.parse(text)`: the version, or null when it is none.
 *
 *   "1.2.3"             -> 1.2.3, no pre-release
 *   "v2.0.0-rc.1+b7"    -> 2.0.0, pre-release ["rc", 1]
 *   " 1.0.0 "           -> 1.0.0 (trimmed, as semver does)
 *   "1.2", "01.2.3", "1.2.3-01", "latest"  -> null
 */
export function parseVersion(text: string): Version | null {
  if (text.length > MAX_LENGTH) return null;
  const m = FULL.exec(text.trim());
  if (!m) return null;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if ([major, minor, patch].some((n) => n > Number.MAX_SAFE_INTEGER)) return null;
  const prerelease = m[4]
    ? m[4]
        .split('.')
        .map((id) => (/^[0-9]+$/.test(id) && Number(id) < Number.MAX_SAFE_INTEGER ? Number(id) : id))
    : [];
  return { major, minor, patch, prerelease };
}

/**
 * `semver.compare(a, b)`: -1, 0 or 1. Major, minor and patch by number; then a version with a
 * pre-release is below the same without; pre-release identifiers one by one, numbers below words,
 * numbers by value, words by character code, a shorter list below a longer one it begins.
 *
 *   1.2.3 vs 1.10.0        -> -1
 *   1.0.0-rc.1 vs 1.0.0    -> -1
 *   1.0.0-rc.2 vs 1.0.0-rc.10 -> -1
 *   1.0.0-2 vs 1.0.0-alpha -> -1
 *   1.0.0-rc vs 1.0.0-rc.1 -> -1
 *   1.0.0+a vs 1.0.0+b     -> 0
 */
export function compareVersions(a: Version, b: Version): -1 | 0 | 1 {
  const main = order(a.major, b.major) || order(a.minor, b.minor) || order(a.patch, b.patch);
  if (main !== 0) return main;
  const [aPre, bPre] = [a.prerelease.length > 0, b.prerelease.length > 0];
  if (!aPre || !bPre) return aPre === bPre ? 0 : aPre ? -1 : 1;
  for (let i = 0; ; i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined && y === undefined) return 0;
    if (y === undefined) return 1;
    if (x === undefined) return -1;
    if (x !== y) return compareIdentifiers(x, y);
  }
}

function order(x: number, y: number): -1 | 0 | 1 {
  return x === y ? 0 : x < y ? -1 : 1;
}

/** semver's internal/identifiers.js compareIdentifiers. */
function compareIdentifiers(a: string | number, b: string | number): -1 | 0 | 1 {
  if (typeof a === 'number' && typeof b === 'number') return order(a, b);
  const anum = /^[0-9]+$/.test(String(a));
  const bnum = /^[0-9]+$/.test(String(b));
  const [x, y] = anum && bnum ? [Number(a), Number(b)] : [a, b];
  if (x === y) return 0;
  if (anum && !bnum) return -1;
  if (bnum && !anum) return 1;
  return x < y ? -1 : 1;
}

/**
 * A range as semver desugars it (`new Range(range, { includePrerelease }).set`, each comparator's
 * `value`): the version satisfies it when every comparator of one set holds. A comparator is an
 * operator (`<`, `<=`, `>`, `>=`, none for equal) and a version; '' holds for any version.
 */
export type ComparatorSets = string[][];

/**
 * `semver.satisfies(version, range, { includePrerelease })`, the range given as its comparator sets.
 * Without includePrerelease, a pre-release satisfies a set only if one of its comparators names a
 * pre-release of the same major.minor.patch (semver's rule: `>=1.2.3-rc.1 <2` lets 1.2.3-rc.2 in,
 * not 1.2.4-rc.1).
 *
 *   1.3.0, [[">=1.2.0", "<2.0.0-0"]]                 -> true
 *   2.0.0, [[">=1.2.0", "<2.0.0-0"]]                 -> false
 *   1.2.3-rc.2, [[">=1.2.3-rc.1", "<2.0.0-0"]]       -> true
 *   1.2.4-rc.1, [[">=1.2.3-rc.1", "<2.0.0-0"]]       -> false (true with includePrerelease)
 *   3.0.0, [["<1.0.0-0"], [">=3.0.0", "<4.0.0-0"]]   -> true
 *   0.0.1, [[""]]                                    -> true
 */
export function satisfiesComparators(
  version: Version,
  sets: ComparatorSets,
  includePrerelease: boolean,
): boolean {
  return sets.some((set) => {
    const bounds = set.map(comparator);
    if (!bounds.every((c) => c === 'any' || holds(compareVersions(version, c.version), c.operator)))
      return false;
    if (version.prerelease.length === 0 || includePrerelease) return true;
    return bounds.some(
      (c) =>
        c !== 'any' &&
        c.version.prerelease.length > 0 &&
        c.version.major === version.major &&
        c.version.minor === version.minor &&
        c.version.patch === version.patch,
    );
  });
}

type Operator = '' | '<' | '<=' | '>' | '>=';

function comparator(text: string): 'any' | { operator: Operator; version: Version } {
  if (text === '') return 'any';
  const m = /^(<=|>=|<|>)?(.*)$/.exec(text)!;
  const version = parseVersion(m[2]!);
  if (!version) throw new Error(`comparator "${text}" has no version`);
  return { operator: (m[1] ?? '') as Operator, version };
}

function holds(order: -1 | 0 | 1, operator: Operator): boolean {
  switch (operator) {
    case '':
      return order === 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}
