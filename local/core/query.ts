/**
 * The AWS Query protocol, as CloudWatch has always accepted it and the AWS CLI (botocore), the SDK
 * for JavaScript v2 and older tools still send it: a form-encoded POST (`Action`, `Version`, and
 * the members flattened with dots), answered in XML. The local services take and return the JSON
 * shapes, so this file only translates.
 *
 * Request (awsQuery serialization, Smithy "AWS query protocol"): lists are `Name.member.N` (1-based),
 * structures `Name.Member`, maps `Name.entry.N.key`/`.value`; every value is a string, so member
 * types come from the names below (the CloudWatch model's numbers, booleans and timestamps).
 *
 *   queryInput('MetricData.member.1.MetricName=Errors&MetricData.member.1.Value=3')
 *     → { MetricData: [{ MetricName: 'Errors', Value: 3 }] }
 *
 * Response: `<ActionResponse xmlns=…><ActionResult>…</ActionResult><ResponseMetadata><RequestId>`,
 * lists as `<member>` elements, timestamps in ISO 8601; errors as
 * `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error><RequestId>`.
 */

/** Members whose values are numbers (CloudWatch model: Double and Integer members). */
const NUMBERS = new Set([
  'Value',
  'Values',
  'Counts',
  'Threshold',
  'Period',
  'EvaluationPeriods',
  'DatapointsToAlarm',
  'MaxRecords',
  'MaxDatapoints',
  'StorageResolution',
  'SampleCount',
  'Sum',
  'Minimum',
  'Maximum',
  'ActionsSuppressorWaitPeriod',
  'ActionsSuppressorExtensionPeriod',
  'RecentlyActive',
]);
/** Members whose values are booleans. */
const BOOLEANS = new Set(['ActionsEnabled', 'ReturnData', 'IncludeLinkedAccounts', 'StrictEntityValidation']);

/** Structures whose `Value` is a string (a dimension's, a tag's), not a datapoint's number. */
const STRING_VALUES = new Set(['Dimensions', 'Tags']);
/** Lists that may be sent empty, as a bare `Name=`. */
const LISTS = new Set([
  'AlarmActions',
  'OKActions',
  'InsufficientDataActions',
  'Dimensions',
  'Statistics',
  'ExtendedStatistics',
  'Metrics',
  'AlarmNames',
  'Tags',
]);

function typed(path: string[], name: string, value: string): unknown {
  if (name === 'Value' && path.some((p) => STRING_VALUES.has(p))) return value;
  if (NUMBERS.has(name)) {
    const n = Number(value);
    return Number.isFinite(n) ? n : value;
  }
  if (BOOLEANS.has(name)) return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

/** The JSON input of a form-encoded Query request (without Action and Version). */
export function queryInput(body: string): {
  action: string;
  version: string;
  input: Record<string, unknown>;
} {
  const params = new URLSearchParams(body);
  const input: Record<string, unknown> = {};
  let action = '';
  let version = '';
  for (const [key, value] of params) {
    if (key === 'Action') action = value;
    else if (key === 'Version') version = value;
    else set(input, key.split('.'), value);
  }
  return { action, version, input: collapse(input) as Record<string, unknown> };
}

/** Sets a flattened key: `A.member.2.B` → input.A.member[2].B (collapsed to arrays afterwards). */
function set(target: Record<string, any>, path: string[], value: string): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    node[k] ??= {};
    node = node[k];
  }
  const last = path.at(-1)!;
  // The member's own name is the nearest segment that is not a list marker or an index.
  const name = [...path].reverse().find((p) => p !== 'member' && p !== 'entry' && !/^\d+$/.test(p)) ?? last;
  node[last] = typed(path, name, value);
}

/** `{ member: { 1: a, 2: b } }` → [a, b]; `{ entry: { 1: { key, value } } }` → { key: value }. */
function collapse(node: unknown): unknown {
  if (typeof node !== 'object' || node === null) return node;
  const o = node as Record<string, any>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === 'member') {
    const items = o.member as Record<string, unknown>;
    return Object.keys(items)
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => collapse(items[k]));
  }
  if (keys.length === 1 && keys[0] === 'entry') {
    const entries = o.entry as Record<string, { key: string; value: unknown }>;
    return Object.fromEntries(Object.values(entries).map((e) => [e.key, collapse(e.value)]));
  }
  // An empty list is sent as `Name=` (a bare key with no members).
  return Object.fromEntries(keys.map((k) => [k, o[k] === '' && LISTS.has(k) ? [] : collapse(o[k])]));
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function xml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => `<member>${xml(v)}</member>`).join('');
  if (typeof value === 'object')
    return Object.entries(value)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `<${k}>${xml(v)}</${k}>`)
      .join('');
  return xmlEscape(String(value));
}

/** The XML answer of a Query action. */
export function queryResponse(action: string, xmlns: string, output: unknown, requestId: string): string {
  const result =
    output && Object.keys(output).length ? `<${action}Result>${xml(output)}</${action}Result>` : '';
  return `<${action}Response xmlns="${xmlns}">${result}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

/** The XML answer of a Query error. */
export function queryError(
  xmlns: string,
  type: 'Sender' | 'Receiver',
  code: string,
  message: string,
  requestId: string,
): string {
  return `<ErrorResponse xmlns="${xmlns}"><Error><Type>${type}</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}
