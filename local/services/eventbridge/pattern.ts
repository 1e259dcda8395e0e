/**
 * EventBridge event-pattern matching: a pure matcher (`matchesPattern`) and a validator
 * (`validatePattern`) that gives the reasons AWS puts in InvalidEventPatternException.
 *
 * Sources:
 * - EventBridge User Guide, "Amazon EventBridge event patterns", "Arrays in … event patterns",
 *   "Matching events on null values and empty strings", "Content filtering in … event patterns" and
 *   "Comparison operators for use in event patterns" (eb-create-pattern-operators):
 *   exact values, arrays as OR, prefix/suffix (+ equals-ignore-case), equals-ignore-case,
 *   anything-but (value, list, prefix, suffix, equals-ignore-case, wildcard), numeric, cidr,
 *   exists, wildcard, `$or`.
 * - aws/event-ruler (the open-source matcher behind EventBridge): README ("JSON Array Matching",
 *   "$or", wildcard escaping) and `JsonRuleCompiler.java` (the validation messages reproduced here).
 *
 * Semantics in brief: every field named in the pattern must match (AND); a field matches when any
 * matcher in its array matches (OR); event arrays match when any element matches; `$or` takes ≥ 2
 * sub-patterns; within an array of objects, all fields of one sub-pattern must match within the
 * same element (event-ruler `rulesForJSONEvent` "array-consistent" matching).
 */
import net from 'node:net';

export type EventPattern = Record<string, unknown>;

// Numeric matching range. event-ruler README: "limited to value between -5.0e9 and +5.0e9 inclusive,
// with 15 digits of precision" (the older EventBridge guide said ±1.0e9).
const NUMERIC_LIMIT = 5e9;

const MATCH_TYPES = [
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
] as const;

// event-ruler Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP: names that can't be fields inside `$or`.
const RESERVED_IN_OR = new Set<string>([
  'exactly',
  ...MATCH_TYPES,
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

class PatternError extends Error {}
const fail = (reason: string): never => {
  throw new PatternError(reason);
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a parsed pattern. Returns undefined when it is valid, else the reason AWS gives
 * (reasons follow event-ruler's JsonRuleCompiler messages).
 */
export function validatePattern(pattern: unknown): string | undefined {
  try {
    if (!isObject(pattern)) fail('Filter is not an object');
    checkObject(pattern as Record<string, unknown>, false);
    return undefined;
  } catch (e) {
    if (e instanceof PatternError) return e.message;
    throw e;
  }
}

/** Parses and validates pattern text (as PutRule and TestEventPattern get it). */
export function parsePattern(text: string): { pattern: EventPattern } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { error: `Unexpected character or malformed JSON (${(e as Error).message})` };
  }
  const error = validatePattern(parsed);
  return error ? { error } : { pattern: parsed as EventPattern };
}

function checkObject(obj: Record<string, unknown>, insideOr: boolean): void {
  const keys = Object.keys(obj);
  if (keys.length === 0) fail('Empty objects are not allowed');
  for (const key of keys) {
    const value = obj[key];
    if (key === '$or') {
      if (!Array.isArray(value)) fail('It must be an Array followed with $or.');
      const branches = value as unknown[];
      for (const b of branches) {
        if (!isObject(b)) fail('Only JSON object is allowed in array of $or relationship.');
        checkObject(b as Record<string, unknown>, true);
      }
      if (branches.length < 2) fail('There must have at least 2 Objects in $or relationship.');
      continue;
    }
    if (insideOr && RESERVED_IN_OR.has(key)) {
      fail(`${key} is Ruler reserved fieldName which cannot be used inside $or.`);
    }
    if (isObject(value)) checkObject(value, insideOr);
    else if (Array.isArray(value)) checkMatchers(value);
    else fail(`"${key}" must be an object or an array`);
  }
}

function checkMatchers(values: unknown[]): void {
  if (values.length === 0) fail('Empty arrays are not allowed');
  for (const v of values) {
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') continue;
    if (isObject(v)) checkMatchExpression(v);
    else fail('Match value must be String, number, true, false, or null');
  }
}

const isString = (v: unknown) => typeof v === 'string';

interface OneValue {
  ok: (arg: unknown) => boolean;
  message: string;
  compile?: (arg: string) => unknown;
}

/** The match types that take one value of one type, EventBridge's message when it is not, and what else reads it. */
const ONE_VALUE = new Map<string, OneValue>([
  ['equals-ignore-case', { ok: isString, message: 'equals-ignore-case match pattern must be a string' }],
  [
    'wildcard',
    { ok: isString, message: 'wildcard match pattern must be a string', compile: compileWildcard },
  ],
  [
    'exists',
    { ok: (v) => typeof v === 'boolean', message: 'exists match pattern must be either true or false.' },
  ],
  ['cidr', { ok: isString, message: 'cidr match pattern must be a string', compile: parseCidr }],
]);

function checkMatchExpression(expr: Record<string, unknown>): void {
  const keys = Object.keys(expr);
  if (keys.length === 0) fail('Match expression name not found');
  const [type] = keys as [string];
  const arg = expr[type];
  const single = () => {
    if (keys.length > 1) fail('Only one key allowed in match expression');
  };
  const oneValue = ONE_VALUE.get(type);
  if (oneValue) {
    single();
    if (!oneValue.ok(arg)) fail(oneValue.message);
    oneValue.compile?.(arg as string);
    return;
  }
  switch (type) {
    case 'prefix':
    case 'suffix':
      single();
      if (isObject(arg)) {
        const inner = Object.keys(arg);
        if (inner[0] !== 'equals-ignore-case') fail(`Unsupported ${type} pattern: ${inner[0] ?? ''}`);
        if (inner.length > 1) fail('Only one key allowed in match expression');
        if (typeof arg['equals-ignore-case'] !== 'string')
          fail('equals-ignore-case match pattern must be a string');
        return;
      }
      if (typeof arg !== 'string') fail(`${type} match pattern must be a string`);
      return;
    case 'numeric':
      if (!Array.isArray(arg)) fail('Value of numeric must be an array.');
      if (keys.length > 1) fail('Too many elements in numeric expression');
      compileNumeric(arg as unknown[]);
      return;
    case 'anything-but':
      if (keys.length > 1) fail('Too many elements in numeric expression');
      checkAnythingBut(arg);
      return;
    default:
      fail(`Unrecognized match type ${type}`);
  }
}

function checkAnythingBut(arg: unknown): void {
  if (isObject(arg)) {
    const keys = Object.keys(arg);
    const op = keys[0];
    if (op === undefined) fail('Anything-But expression name not found');
    if (op !== 'prefix' && op !== 'suffix' && op !== 'equals-ignore-case' && op !== 'wildcard') {
      fail(`Unsupported anything-but pattern: ${op}`);
    }
    if (keys.length > 1) fail('Only one key allowed in match expression');
    const inner = arg[op as string];
    const values = Array.isArray(inner) ? inner : [inner];
    if (!Array.isArray(inner) && typeof inner !== 'string') {
      fail('Value of anything-but must be an array or single string/number value.');
    }
    for (const v of values) {
      if (typeof v !== 'string') {
        if (op === 'equals-ignore-case')
          fail('Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.');
        fail(
          op === 'wildcard'
            ? 'wildcard match pattern must be a string'
            : 'prefix/suffix match pattern must be a string',
        );
      }
      if ((op === 'prefix' || op === 'suffix') && v === '') fail('Null prefix/suffix not allowed');
      if (op === 'wildcard') compileWildcard(v as string);
    }
    return;
  }
  if (typeof arg === 'string') return;
  if (typeof arg === 'number') {
    checkNumber(arg);
    return;
  }
  if (!Array.isArray(arg)) fail('Value of anything-but must be an array or single string/number value.');
  const list = arg as unknown[];
  let strings = 0;
  let numbers = 0;
  for (const v of list) {
    if (typeof v === 'string') strings++;
    else if (typeof v === 'number') {
      checkNumber(v);
      numbers++;
    } else fail('Inside anything but list, start|null|boolean is not supported.');
  }
  if ((strings > 0 && numbers > 0) || strings + numbers === 0) {
    fail('Inside anything but list, either all values are number or string, mixed type is not supported');
  }
}

function checkNumber(n: number): void {
  if (!Number.isFinite(n) || n < -NUMERIC_LIMIT || n > NUMERIC_LIMIT) {
    fail(`Value ${n} is out of range: numeric matching allows -5.0e9 to 5.0e9`);
  }
}

interface NumericRange {
  low?: { value: number; open: boolean };
  high?: { value: number; open: boolean };
  equals?: number;
}

function compileNumeric(terms: unknown[]): NumericRange {
  const [op, value, op2, value2, ...rest] = terms;
  if (typeof op !== 'string') fail(`Invalid member in numeric match: ${JSON.stringify(op)}`);
  const num = (v: unknown, name: string): number => {
    if (typeof v !== 'number') fail(`Value of ${name} must be numeric`);
    checkNumber(v as number);
    return v as number;
  };
  switch (op) {
    case '=': {
      const n = num(value, 'equals');
      if (terms.length > 2) fail('Too many elements in numeric expression');
      return { equals: n };
    }
    case '<':
    case '<=': {
      const n = num(value, op);
      if (terms.length > 2) fail('Too many elements in numeric expression');
      return { high: { value: n, open: op === '<' } };
    }
    case '>':
    case '>=': {
      const low = { value: num(value, op), open: op === '>' };
      if (terms.length === 2) return { low };
      if (typeof op2 !== 'string') fail(`Bad value in numeric range: ${JSON.stringify(op2)}`);
      if (op2 !== '<' && op2 !== '<=') fail(`Bad numeric range operator: ${op2}`);
      const high = { value: num(value2, op2 as string), open: op2 === '<' };
      if (rest.length > 0) fail('Too many terms in numeric range expression');
      if (low.value >= high.value) fail('Bottom must be less than top');
      return { low, high };
    }
    default:
      return fail(`Unrecognized numeric range operator: ${op}`);
  }
}

// Wildcard: `*` matches any run of characters; `\*` is a literal asterisk and `\\` a backslash;
// consecutive `**` and any other escape are rejected (event-ruler README, WildcardParser.java).
const wildcardCache = new Map<string, RegExp>();
function compileWildcard(pattern: string): RegExp {
  const cached = wildcardCache.get(pattern);
  if (cached) return cached;
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') fail(`Consecutive wildcard characters at pos ${i}`);
      source += '.*';
    } else if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') fail(`Invalid escape character at pos ${i}`);
      source += `\\${next}`;
      i++;
    } else {
      source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  const re = new RegExp(`^${source}$`, 's');
  wildcardCache.set(pattern, re);
  return re;
}

function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const parts = text.split('/');
  if (parts.length !== 2) fail(`Malformed CIDR, one '/' required: ${text}`);
  const [address, bits] = parts as [string, string];
  const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
  if (!family) fail(`Invalid IP address in CIDR: ${address}`);
  const prefix = Number(bits);
  const max = family === 'ipv4' ? 32 : 128;
  if (!/^\d+$/.test(bits) || prefix > max) fail(`Invalid CIDR mask size: ${bits}`);
  return { address, prefix, family: family as 'ipv4' | 'ipv6' };
}

function inCidr(value: string, cidr: string): boolean {
  const family = net.isIPv4(value) ? 'ipv4' : net.isIPv6(value) ? 'ipv6' : undefined;
  if (!family) return false;
  const c = parseCidr(cidr);
  if (c.family !== family) return false;
  const list = new net.BlockList();
  list.addSubnet(c.address, c.prefix, c.family);
  return list.check(value, family);
}

// ---- matching -------------------------------------------------------------------------------

type Leaf = string | number | boolean | null;

/** True when `event` matches `pattern` (assumed valid: check it with `validatePattern` first). */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) return false;
  return matchObject(pattern, event);
}

function matchObject(pattern: Record<string, unknown>, node: unknown): boolean {
  // "Array-consistent" matching: a sub-pattern must match within one element of an event array.
  if (Array.isArray(node)) {
    const elements = flatten(node).filter(isObject);
    if (elements.length === 0) return matchObject(pattern, undefined);
    return elements.some((e) => matchObject(pattern, e));
  }
  for (const [key, spec] of Object.entries(pattern)) {
    if (key === '$or' && Array.isArray(spec)) {
      if (!spec.some((branch) => isObject(branch) && matchObject(branch, node))) return false;
      continue;
    }
    const present = isObject(node) && Object.hasOwn(node, key);
    const child = present ? (node as Record<string, unknown>)[key] : undefined;
    if (isObject(spec)) {
      if (!matchObject(spec, child)) return false;
    } else if (Array.isArray(spec)) {
      if (!matchLeaf(spec, present ? leafValues(child) : [])) return false;
    } else {
      return false;
    }
  }
  return true;
}

function flatten(values: unknown[]): unknown[] {
  return values.flatMap((v) => (Array.isArray(v) ? flatten(v) : [v]));
}

/** The leaf values of a field: itself, or its (flattened) array elements; objects are not leaves. */
function leafValues(value: unknown): Leaf[] {
  const all = Array.isArray(value) ? flatten(value) : [value];
  return all.filter(
    (v): v is Leaf => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean',
  );
}

function matchLeaf(matchers: unknown[], values: Leaf[]): boolean {
  return matchers.some((m) => {
    if (isObject(m) && 'exists' in m) return m.exists ? values.length > 0 : values.length === 0;
    return values.some((v) => matchValue(m, v));
  });
}

const lower = (s: string) => s.toLowerCase();

function matchValue(m: unknown, v: Leaf): boolean {
  if (!isObject(m)) {
    // Exact values. Numbers compare by value: JSON.parse has already erased 300 vs 300.0 vs 3.0e2,
    // and event-ruler adds a numeric-equals matcher for every number in a pattern.
    return m === v;
  }
  const [type] = Object.keys(m) as [string];
  const arg = m[type];
  switch (type) {
    case 'prefix':
      if (typeof v !== 'string') return false;
      if (isObject(arg)) return lower(v).startsWith(lower(String(arg['equals-ignore-case'])));
      return v.startsWith(arg as string);
    case 'suffix':
      if (typeof v !== 'string') return false;
      if (isObject(arg)) return lower(v).endsWith(lower(String(arg['equals-ignore-case'])));
      return v.endsWith(arg as string);
    case 'equals-ignore-case':
      return typeof v === 'string' && lower(v) === lower(arg as string);
    case 'wildcard':
      return typeof v === 'string' && compileWildcard(arg as string).test(v);
    case 'cidr':
      return typeof v === 'string' && inCidr(v, arg as string);
    case 'numeric':
      return typeof v === 'number' && inRange(v, compileNumeric(arg as unknown[]));
    case 'anything-but':
      return anythingBut(arg, v);
    default:
      return false;
  }
}

function inRange(v: number, r: NumericRange): boolean {
  if (v < -NUMERIC_LIMIT || v > NUMERIC_LIMIT) return false;
  if (r.equals !== undefined) return v === r.equals;
  if (r.low && (r.low.open ? v <= r.low.value : v < r.low.value)) return false;
  if (r.high && (r.high.open ? v >= r.high.value : v > r.high.value)) return false;
  return true;
}

/**
 * Anything-but matches a present value unless it hits one of the excluded ones. Values of another
 * type never hit (event-ruler compares JSON text: `"init…` can't prefix the number 5).
 */
function anythingBut(arg: unknown, v: Leaf): boolean {
  if (isObject(arg)) {
    const [op] = Object.keys(arg) as [string];
    const raw = arg[op];
    const list = (Array.isArray(raw) ? raw : [raw]) as string[];
    if (typeof v !== 'string') return true;
    switch (op) {
      case 'prefix':
        return !list.some((p) => v.startsWith(p));
      case 'suffix':
        return !list.some((s) => v.endsWith(s));
      case 'equals-ignore-case':
        return !list.some((s) => lower(s) === lower(v));
      case 'wildcard':
        return !list.some((w) => compileWildcard(w).test(v));
      default:
        return false;
    }
  }
  const list = Array.isArray(arg) ? arg : [arg];
  return !list.some((x) => x === v);
}
