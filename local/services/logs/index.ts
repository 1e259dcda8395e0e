/**
 * CloudWatch Logs, as much as reading the Lambdas' logs needs: JSON 1.1, target `Logs_20140328`.
 * The local Lambda runtime (local/lambda.ts) writes each invocation's lines into the log group
 * `/aws/lambda/<function>`, one stream per execution environment, as Lambda does; `autopilot logs`
 * and the AWS CLI (`aws logs filter-log-events`, `aws logs describe-log-groups`) read them back.
 *
 * Sources (CloudWatch Logs API Reference): FilterLogEvents (logGroupName or logGroupIdentifier,
 * exactly one; logStreamNames or logStreamNamePrefix, not both; startTime and endTime in epoch ms,
 * both inclusive; limit 1–10,000, default 10,000; a page holds at most 1 MB of events; events sorted
 * by timestamp; ResourceNotFoundException "The specified log group does not exist."),
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html;
 * DescribeLogGroups (logGroupNamePrefix, limit 1–50), CreateLogGroup
 * (ResourceAlreadyExistsException). An event's size is its message in UTF-8 plus 26 bytes
 * (PutLogEvents). Filter patterns: ./pattern.ts.
 */
import type { WorldContext } from '../../core/context.ts';
import { AwsError, invalidParameter } from '../../core/errors.ts';
import type { LocalService } from '../../core/service.ts';
import { compilePattern, PatternError } from './pattern.ts';

/** FilterLogEvents returns at most this many bytes of events in a page. */
const PAGE_BYTES = 1_048_576;
const EVENT_OVERHEAD_BYTES = 26;

interface LogEvent {
  logStreamName: string;
  timestamp: number;
  ingestionTime: number;
  message: string;
  eventId: string;
}

interface LogGroup {
  name: string;
  creationTime: number;
  events: LogEvent[];
  streams: Set<string>;
  storedBytes: number;
}

const notFound = () => new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');

/** `1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: …` */
function outOfRange(field: string, value: unknown, min: number, max: number): AwsError {
  const bound = Number(value) < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`;
  return invalidParameter(
    `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must have value ${bound}`,
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
    g.streams.add(stream);
    for (const e of events) {
      const seq = ++this.sequence;
      g.events.push({
        logStreamName: stream,
        timestamp: e.timestamp,
        ingestionTime: this.world.now(),
        message: e.message,
        eventId: String(seq).padStart(56, '0'),
      });
      g.storedBytes += Buffer.byteLength(e.message) + EVENT_OVERHEAD_BYTES;
    }
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
      streams: new Set(),
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
      const limit = input.limit ?? 50;
      if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw outOfRange('limit', limit, 1, 50);
      const all = [...this.groups.values()]
        .filter((g) => g.name.startsWith(input.logGroupNamePrefix ?? ''))
        .sort((a, b) => a.name.localeCompare(b.name));
      const from = offset(input.nextToken);
      const page = all.slice(from, from + limit);
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
        ...(from + limit < all.length ? { nextToken: token(from + limit) } : {}),
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
      const limit = input.limit ?? 10_000;
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
        throw outOfRange('limit', limit, 1, 10_000);
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
        searchedLogStreams: [...g.streams]
          .filter((s) => !streams || streams.has(s))
          .map((logStreamName) => ({ logStreamName, searchedCompletely: true })),
        ...(next < selected.length ? { nextToken: token(next) } : {}),
      };
    },
  };
}

const token = (n: number) => Buffer.from(`local-logs:${n}`).toString('base64');

function offset(nextToken: string | undefined): number {
  if (nextToken === undefined) return 0;
  const m = /^local-logs:(\d+)$/.exec(Buffer.from(nextToken, 'base64').toString('utf8'));
  if (!m) throw invalidParameter('The specified nextToken is invalid.');
  return Number(m[1]);
}
