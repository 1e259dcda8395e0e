/**
 * CloudWatch Logs, as much as reading the Lambdas' logs and writing one's own needs: JSON 1.1,
 * target `Logs_20140328`. The local Lambda runtime (local/lambda.ts) writes each invocation's lines
 * into the log group `/aws/lambda/<function>`, one stream per execution environment, as Lambda does;
 * `autopilot logs` and the AWS CLI (`aws logs filter-log-events`, `get-log-events`, `tail`) read
 * them back, and any client can create streams and put its own events.
 *
 * Sources (CloudWatch Logs API Reference, https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/):
 * - FilterLogEvents (API_FilterLogEvents.html): logGroupName or logGroupIdentifier, exactly one;
 *   logStreamNames or logStreamNamePrefix, not both; startTime and endTime in epoch ms, both
 *   inclusive; limit 1–10,000, default 10,000; a page holds at most 1 MB of events; events sorted by
 *   timestamp; ResourceNotFoundException "The specified log group does not exist.".
 * - DescribeLogGroups (logGroupNamePrefix, limit 1–50), CreateLogGroup (ResourceAlreadyExistsException).
 * - CreateLogStream (API_CreateLogStream.html): a name of 1–512 characters without `:` or `*`;
 *   ResourceAlreadyExistsException for a stream that exists.
 * - DescribeLogStreams (API_DescribeLogStreams.html): logStreamNamePrefix, orderBy LogStreamName
 *   (default) or LastEventTime ("If you order the results by event time, you cannot specify the
 *   logStreamNamePrefix parameter"), descending, limit 1–50 (default 50); storedBytes "is always
 *   reported as zero" (deprecated 2019); lastEventTimestamp is exact here, where AWS updates it
 *   "on an eventual consistency basis".
 * - PutLogEvents (API_PutLogEvents.html, as of 2023): "The sequence token is now ignored …
 *   PutLogEvents actions are always accepted and never return InvalidSequenceTokenException or
 *   DataAlreadyAcceptedException even if the sequence token is not valid"; 1–10,000 events, in
 *   chronological order ("Otherwise, the operation fails"); a batch of at most 1,048,576 bytes, an
 *   event's size being its message in UTF-8 plus 26 bytes; events more than 2 hours in the future
 *   or more than 14 days in the past "are rejected while processing remaining valid events"
 *   (rejectedLogEventsInfo: tooNewLogEventStartIndex inclusive, tooOldLogEventEndIndex exclusive);
 *   the valid events may span at most 24 hours. No retention is modelled (no expired events).
 * - GetLogEvents (API_GetLogEvents.html): one stream; startTime inclusive, endTime exclusive
 *   ("Events with a timestamp equal to or later than this time are not included"); limit 1–10,000,
 *   default as many as fit in 1 MB; startFromHead false (default) gives the latest events first
 *   page; nextForwardToken and nextBackwardToken always present, and at the end of the stream "it
 *   returns the same token you passed in".
 * Filter patterns: ./pattern.ts. The rules with numbers are pure functions below (putBatchVerdict,
 * getEventsWindow), with worked examples; test/local/logs.test.ts runs the same examples.
 */
import type { WorldContext } from '../../core/context.ts';
import { AwsError, invalidParameter } from '../../core/errors.ts';
import type { LocalService } from '../../core/service.ts';
import { compilePattern, PatternError } from './pattern.ts';

/** FilterLogEvents and GetLogEvents return at most this many bytes of events in a page. */
const PAGE_BYTES = 1_048_576;
/** PutLogEvents: a batch holds at most this many bytes (messages in UTF-8 + 26 bytes each) … */
export const PUT_BATCH_BYTES = 1_048_576;
/** … and at most this many events. */
export const PUT_BATCH_EVENTS = 10_000;
export const EVENT_OVERHEAD_BYTES = 26;
const HOUR = 3_600_000;
/** PutLogEvents rejects events later than now + 2 h and earlier than now − 14 days. */
export const TOO_NEW_MS = 2 * HOUR;
export const TOO_OLD_MS = 14 * 24 * HOUR;
/** The valid events of one PutLogEvents may span at most this. */
export const BATCH_SPAN_MS = 24 * HOUR;

interface LogEvent {
  logStreamName: string;
  timestamp: number;
  ingestionTime: number;
  message: string;
  eventId: string;
}

interface LogStream {
  name: string;
  creationTime: number;
  firstEventTimestamp?: number;
  lastEventTimestamp?: number;
  lastIngestionTime?: number;
}

interface LogGroup {
  name: string;
  creationTime: number;
  events: LogEvent[];
  streams: Map<string, LogStream>;
  storedBytes: number;
}

const notFound = () => new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
const streamNotFound = () =>
  new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');

/** An event's size in a batch or a page: its message in UTF-8 plus 26 bytes. */
export const eventBytes = (message: string) => Buffer.byteLength(message) + EVENT_OVERHEAD_BYTES;

export type PutBatchVerdict =
  | { ok: true; accept: [from: number, to: number]; tooOldEnd?: number; tooNewStart?: number }
  | { ok: false; message: string };

/**
 * What PutLogEvents does with a batch (timestamps and sizes, in order), at `now`: refuses it whole
 * (too many events, too many bytes, out of order, valid events spanning more than 24 h), or accepts
 * the events in [from, to) and reports the ones before (too old) and from `to` on (too new). Since
 * the batch is in order, the too-old events are a prefix and the too-new ones a suffix.
 *
 *   now = 1,000 days; events at now − 15 d, now − 1 h, now, now + 3 h
 *       → accept [1, 3), tooOldEnd 1, tooNewStart 3
 *   events at now − 1 h, now − 2 h         → refused: not in chronological order
 *   events at now − 13 d, now              → refused: the valid ones span more than 24 h
 *   events at now − 15 d only              → accept [1, 1), tooOldEnd 1 (nothing stored, no error)
 *   10,001 events                           → refused: more than 10,000
 *   one event of 1,048,551 bytes            → refused: 1,048,577 bytes with its 26
 */
export function putBatchVerdict(
  events: { timestamp: number; bytes: number }[],
  now: number,
): PutBatchVerdict {
  if (events.length < 1 || events.length > PUT_BATCH_EVENTS)
    return {
      ok: false,
      message: `1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length ${events.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${PUT_BATCH_EVENTS}`}`,
    };
  const bytes = events.reduce((sum, e) => sum + e.bytes, 0);
  if (bytes > PUT_BATCH_BYTES)
    return { ok: false, message: `Upload too large: ${bytes} bytes exceeds limit of ${PUT_BATCH_BYTES}` };
  for (let i = 1; i < events.length; i++)
    if (events[i]!.timestamp < events[i - 1]!.timestamp)
      return {
        ok: false,
        message: 'Log events in a single PutLogEvents request must be in chronological order.',
      };
  let from = 0;
  while (from < events.length && events[from]!.timestamp < now - TOO_OLD_MS) from++;
  let to = from;
  while (to < events.length && events[to]!.timestamp <= now + TOO_NEW_MS) to++;
  if (to - from > 1 && events[to - 1]!.timestamp - events[from]!.timestamp > BATCH_SPAN_MS)
    return {
      ok: false,
      message: 'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.',
    };
  return {
    ok: true,
    accept: [from, to],
    ...(from > 0 && { tooOldEnd: from }),
    ...(to < events.length && { tooNewStart: to }),
  };
}

/**
 * Which events of a stream (`total` of them, oldest first, after startTime/endTime) one GetLogEvents
 * page returns, [from, to), given its token and startFromHead; `limit` counts events (the 1 MB page
 * bound is applied by the caller, from the head of the window). The next tokens are positions:
 * forward `f/<to>`, backward `b/<from>`; a page that returns nothing hands back the token it was
 * given ("If you have reached the end of the stream, it returns the same token you passed in").
 *
 *   total 5, limit 2, no token, startFromHead false  → [3, 5)   (the latest events)
 *   total 5, limit 2, no token, startFromHead true   → [0, 2)
 *   total 5, limit 2, token f/2                       → [2, 4)
 *   total 5, limit 2, token f/5                       → [5, 5)   (end: f/5 again)
 *   total 5, limit 2, token b/3                       → [1, 3)
 *   total 5, limit 2, token b/0                       → [0, 0)   (start: b/0 again)
 */
export function getEventsWindow(
  total: number,
  limit: number,
  position: { direction: 'f' | 'b'; at: number } | undefined,
  startFromHead: boolean,
): [from: number, to: number] {
  if (!position) return startFromHead ? [0, Math.min(limit, total)] : [Math.max(0, total - limit), total];
  const at = Math.min(position.at, total);
  return position.direction === 'f' ? [at, Math.min(at + limit, total)] : [Math.max(0, at - limit), at];
}

/** `1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: …` */
function outOfRange(field: string, value: unknown, min: number, max: number): AwsError {
  const bound = Number(value) < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`;
  return invalidParameter(
    `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must have value ${bound}`,
  );
}

/**
 * The request's `limit`, checked: each of these APIs defaults to its maximum when none is named
 * (DescribeLogGroups and DescribeLogStreams 50, GetLogEvents and FilterLogEvents 10,000).
 *   limitOf(undefined, 50) → 50;  limitOf(7, 50) → 7;  limitOf(0, 50) and limitOf(51, 50) → the validation error
 */
function limitOf(limit: number | undefined, max: number): number {
  const n = limit ?? max;
  if (!Number.isInteger(n) || n < 1 || n > max) throw outOfRange('limit', n, 1, max);
  return n;
}

/** The page of a sorted list that a Describe* token points at, and the next page's token while any remain. */
function pageOf<T>(
  all: T[],
  limit: number,
  nextToken: string | undefined,
): { page: T[]; nextToken?: string } {
  const from = offset(nextToken);
  const page = all.slice(from, from + limit);
  return from + limit < all.length ? { page, nextToken: token(from + limit) } : { page };
}

/** `… Member must have length greater than or equal to 1` */
function outOfLength(field: string, value: string, min: number, max: number): AwsError {
  const bound = value.length < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`;
  return invalidParameter(
    `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must have length ${bound}`,
  );
}

export class LocalLogs implements LocalService {
  readonly name = 'logs';
  readonly target = 'Logs_20140328';
  readonly protocol = 'json1.1' as const;
  private groups = new Map<string, LogGroup>();
  private sequence = 0;

  constructor(private readonly world: Pick<WorldContext, 'now' | 'arn'>) {}

  /** Writes lines into a stream of a group, creating both as Lambda does on its first line. */
  put(group: string, stream: string, events: { timestamp: number; message: string }[]): void {
    const g = this.group(group) ?? this.create(group);
    const s = g.streams.get(stream) ?? this.createStream(g, stream);
    this.append(g, s, events);
  }

  private append(g: LogGroup, s: LogStream, events: { timestamp: number; message: string }[]): void {
    const now = this.world.now();
    for (const e of events) {
      const seq = ++this.sequence;
      g.events.push({
        logStreamName: s.name,
        timestamp: e.timestamp,
        ingestionTime: now,
        message: e.message,
        eventId: String(seq).padStart(56, '0'),
      });
      g.storedBytes += eventBytes(e.message);
      s.firstEventTimestamp = Math.min(s.firstEventTimestamp ?? e.timestamp, e.timestamp);
      s.lastEventTimestamp = Math.max(s.lastEventTimestamp ?? e.timestamp, e.timestamp);
      s.lastIngestionTime = now;
    }
  }

  private createStream(g: LogGroup, name: string): LogStream {
    const s: LogStream = { name, creationTime: this.world.now() };
    g.streams.set(name, s);
    return s;
  }

  private stream(g: LogGroup, name: string | undefined): LogStream {
    if (!name) throw invalidParameter('logStreamName is required.');
    const s = g.streams.get(name);
    if (!s) throw streamNotFound();
    return s;
  }

  private streamArn(g: LogGroup, s: LogStream): string {
    return this.world.arn('logs', `log-group:${g.name}:log-stream:${s.name}`);
  }

  /** Every line of a group, oldest first (tests and reports). */
  messages(group: string): string[] {
    return this.group(group)?.events.map((e) => e.message) ?? [];
  }

  private group(name: string): LogGroup | undefined {
    return this.groups.get(name);
  }

  private create(name: string): LogGroup {
    const g: LogGroup = {
      name,
      creationTime: this.world.now(),
      events: [],
      streams: new Map(),
      storedBytes: 0,
    };
    this.groups.set(name, g);
    return g;
  }

  /** A group named by logGroupName, or by logGroupIdentifier (its name or ARN, with or without `:*`). */
  private named(input: { logGroupName?: string; logGroupIdentifier?: string }): LogGroup {
    if (input.logGroupName && input.logGroupIdentifier)
      throw invalidParameter('LogGroup name and LogGroup identifier are mutually exclusive parameters.');
    const id = input.logGroupName ?? input.logGroupIdentifier;
    if (!id) throw invalidParameter('Either LogGroup name or LogGroup identifier must be specified.');
    const name = id.startsWith('arn:')
      ? id.replace(/^arn:[^:]+:logs:[^:]*:[^:]*:log-group:/, '').replace(/:\*$/, '')
      : id;
    const g = this.group(name);
    if (!g) throw notFound();
    return g;
  }

  readonly operations: Record<string, (input: any) => unknown> = {
    CreateLogGroup: (input: { logGroupName?: string }) => {
      if (!input.logGroupName) throw invalidParameter('logGroupName is required.');
      if (this.group(input.logGroupName))
        throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists');
      this.create(input.logGroupName);
      return {};
    },

    DescribeLogGroups: (input: { logGroupNamePrefix?: string; limit?: number; nextToken?: string }) => {
      const limit = limitOf(input.limit, 50);
      const all = [...this.groups.values()]
        .filter((g) => g.name.startsWith(input.logGroupNamePrefix ?? ''))
        .sort((a, b) => a.name.localeCompare(b.name));
      const { page, nextToken } = pageOf(all, limit, input.nextToken);
      return {
        logGroups: page.map((g) => ({
          logGroupName: g.name,
          creationTime: g.creationTime,
          metricFilterCount: 0,
          arn: this.world.arn('logs', `log-group:${g.name}:*`),
          logGroupArn: this.world.arn('logs', `log-group:${g.name}`),
          storedBytes: g.storedBytes,
          logGroupClass: 'STANDARD',
        })),
        ...(nextToken !== undefined && { nextToken }),
      };
    },

    CreateLogStream: (input: { logGroupName?: string; logStreamName?: string }) => {
      const g = this.named({ logGroupName: input.logGroupName });
      const name = input.logStreamName;
      if (!name || name.length > 512) throw outOfLength('logStreamName', name ?? '', 1, 512);
      if (/[:*]/.test(name))
        throw invalidParameter(
          `1 validation error detected: Value '${name}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*`,
        );
      if (g.streams.has(name))
        throw new AwsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
      this.createStream(g, name);
      return {};
    },

    DescribeLogStreams: (input: {
      logGroupName?: string;
      logGroupIdentifier?: string;
      logStreamNamePrefix?: string;
      orderBy?: string;
      descending?: boolean;
      limit?: number;
      nextToken?: string;
    }) => {
      const g = this.named(input);
      const orderBy = input.orderBy ?? 'LogStreamName';
      if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime')
        throw invalidParameter(
          `1 validation error detected: Value '${orderBy}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]`,
        );
      if (orderBy === 'LastEventTime' && input.logStreamNamePrefix !== undefined)
        throw invalidParameter('Cannot order by LastEventTime with a logStreamNamePrefix.');
      const limit = limitOf(input.limit, 50);
      const all = [...g.streams.values()]
        .filter((s) => s.name.startsWith(input.logStreamNamePrefix ?? ''))
        .sort((a, b) =>
          orderBy === 'LastEventTime'
            ? (a.lastEventTimestamp ?? 0) - (b.lastEventTimestamp ?? 0) || a.name.localeCompare(b.name)
            : a.name.localeCompare(b.name),
        );
      if (input.descending) all.reverse();
      const { page, nextToken } = pageOf(all, limit, input.nextToken);
      return {
        logStreams: page.map((s) => ({
          logStreamName: s.name,
          creationTime: s.creationTime,
          ...(s.firstEventTimestamp !== undefined && {
            firstEventTimestamp: s.firstEventTimestamp,
            lastEventTimestamp: s.lastEventTimestamp,
            lastIngestionTime: s.lastIngestionTime,
          }),
          arn: this.streamArn(g, s),
          storedBytes: 0,
        })),
        ...(nextToken !== undefined && { nextToken }),
      };
    },

    PutLogEvents: (input: {
      logGroupName?: string;
      logStreamName?: string;
      logEvents?: { timestamp?: number; message?: string }[];
      sequenceToken?: string;
    }) => {
      const events = input.logEvents ?? [];
      for (const [i, e] of events.entries()) {
        if (typeof e?.timestamp !== 'number' || typeof e.message !== 'string')
          throw invalidParameter(
            `1 validation error detected: Value null at 'logEvents.${i + 1}.member.${typeof e?.timestamp !== 'number' ? 'timestamp' : 'message'}' failed to satisfy constraint: Member must not be null`,
          );
        if (e.message.length === 0)
          throw outOfLength(`logEvents.${i + 1}.member.message`, '', 1, Number.POSITIVE_INFINITY);
      }
      const g = this.named({ logGroupName: input.logGroupName });
      const s = this.stream(g, input.logStreamName);
      const verdict = putBatchVerdict(
        events.map((e) => ({ timestamp: e.timestamp!, bytes: eventBytes(e.message!) })),
        this.world.now(),
      );
      if (!verdict.ok) throw invalidParameter(verdict.message);
      const [from, to] = verdict.accept;
      this.append(g, s, events.slice(from, to) as { timestamp: number; message: string }[]);
      return {
        // Deprecated and ignored on the way back in, but still answered: old clients pass it on.
        nextSequenceToken: String(this.sequence).padStart(56, '0'),
        ...((verdict.tooOldEnd !== undefined || verdict.tooNewStart !== undefined) && {
          rejectedLogEventsInfo: {
            ...(verdict.tooNewStart !== undefined && { tooNewLogEventStartIndex: verdict.tooNewStart }),
            ...(verdict.tooOldEnd !== undefined && { tooOldLogEventEndIndex: verdict.tooOldEnd }),
          },
        }),
      };
    },

    GetLogEvents: (input: {
      logGroupName?: string;
      logGroupIdentifier?: string;
      logStreamName?: string;
      startTime?: number;
      endTime?: number;
      nextToken?: string;
      limit?: number;
      startFromHead?: boolean;
    }) => {
      const g = this.named(input);
      const s = this.stream(g, input.logStreamName);
      const limit = limitOf(input.limit, 10_000);
      const position = getPosition(input.nextToken);
      const window = g.events
        .filter(
          (e) =>
            e.logStreamName === s.name &&
            (input.startTime === undefined || e.timestamp >= input.startTime) &&
            (input.endTime === undefined || e.timestamp < input.endTime),
        )
        .sort((a, b) => a.timestamp - b.timestamp || a.ingestionTime - b.ingestionTime);
      let [from, to] = getEventsWindow(window.length, limit, position, input.startFromHead === true);
      // The 1 MB page bound: trim from the end away from the reader's direction of travel.
      const backward = position ? position.direction === 'b' : input.startFromHead !== true;
      let bytes = 0;
      const kept: LogEvent[] = [];
      const slice = window.slice(from, to);
      for (const e of backward ? [...slice].reverse() : slice) {
        const size = eventBytes(e.message);
        if (kept.length > 0 && bytes + size > PAGE_BYTES) break;
        kept.push(e);
        bytes += size;
      }
      if (backward) {
        kept.reverse();
        from = to - kept.length;
      } else to = from + kept.length;
      const same = kept.length === 0 && input.nextToken;
      return {
        events: kept.map((e) => ({
          timestamp: e.timestamp,
          message: e.message,
          ingestionTime: e.ingestionTime,
        })),
        nextForwardToken:
          same && position?.direction === 'f' ? input.nextToken : `f/${String(to).padStart(56, '0')}`,
        nextBackwardToken:
          same && position?.direction === 'b' ? input.nextToken : `b/${String(from).padStart(56, '0')}`,
      };
    },

    FilterLogEvents: (input: {
      logGroupName?: string;
      logGroupIdentifier?: string;
      logStreamNames?: string[];
      logStreamNamePrefix?: string;
      startTime?: number;
      endTime?: number;
      filterPattern?: string;
      nextToken?: string;
      limit?: number;
    }) => {
      const g = this.named(input);
      if (input.logStreamNames && input.logStreamNamePrefix !== undefined)
        throw invalidParameter('Cannot specify both LogStreamNames and LogStreamNamePrefix');
      const limit = limitOf(input.limit, 10_000);
      let matches: (message: string) => boolean;
      try {
        matches = compilePattern(input.filterPattern);
      } catch (e) {
        if (e instanceof PatternError) throw invalidParameter(`Invalid filter pattern: ${e.message}`);
        throw e;
      }
      const streams = input.logStreamNames ? new Set(input.logStreamNames) : undefined;
      const selected = g.events
        .filter(
          (e) =>
            (!streams || streams.has(e.logStreamName)) &&
            (input.logStreamNamePrefix === undefined ||
              e.logStreamName.startsWith(input.logStreamNamePrefix)) &&
            (input.startTime === undefined || e.timestamp >= input.startTime) &&
            (input.endTime === undefined || e.timestamp <= input.endTime) &&
            matches(e.message),
        )
        .sort((a, b) => a.timestamp - b.timestamp || a.ingestionTime - b.ingestionTime);
      const from = offset(input.nextToken);
      const events: LogEvent[] = [];
      let bytes = 0;
      for (const e of selected.slice(from)) {
        const size = Buffer.byteLength(e.message) + EVENT_OVERHEAD_BYTES;
        if (events.length === limit || (events.length > 0 && bytes + size > PAGE_BYTES)) break;
        events.push(e);
        bytes += size;
      }
      const next = from + events.length;
      return {
        events,
        searchedLogStreams: [...g.streams.keys()]
          .filter((s) => !streams || streams.has(s))
          .map((logStreamName) => ({ logStreamName, searchedCompletely: true })),
        ...(next < selected.length ? { nextToken: token(next) } : {}),
      };
    },
  };
}

const token = (n: number) => Buffer.from(`local-logs:${n}`).toString('base64');

/** A GetLogEvents token: `f/<position>` or `b/<position>` (AWS's tokens look alike: f/ or b/ and 56 digits). */
function getPosition(nextToken: string | undefined): { direction: 'f' | 'b'; at: number } | undefined {
  if (nextToken === undefined) return undefined;
  const m = /^([fb])\/(\d{1,56})$/.exec(nextToken);
  if (!m) throw invalidParameter('The specified nextToken is invalid.');
  return { direction: m[1] as 'f' | 'b', at: Number(m[2]) };
}

function offset(nextToken: string | undefined): number {
  if (nextToken === undefined) return 0;
  const m = /^local-logs:(\d+)$/.exec(Buffer.from(nextToken, 'base64').toString('utf8'));
  if (!m) throw invalidParameter('The specified nextToken is invalid.');
  return Number(m[1]);
}
