/**
 * The local SQS: standard queues, delayed messages, and Lambda's SQS event source (the pipeline's
 * wake-up queue, lib/waker.ts). AWS JSON 1.0, target `AmazonSQS`, query-compatible (errors also carry
 * `x-amzn-query-error`), as the SDK v3 client (@aws-sdk/client-sqs) speaks it.
 *
 *   world.sqs.operations.CreateQueue({ QueueName: 'wake' })           // or over HTTP
 *   world.sqs.mapTo('wake', functionArn, { batchSize: 10 })           // the event source mapping
 *   await world.sqs.drain()                                           // invokes what is due now
 *
 * Sources (SQS API Reference): SendMessage (DelaySeconds "Valid values: 0 to 900. Maximum: 15
 * minutes"; MessageBody "The minimum size is one character. The maximum size is 1 MiB or 1,048,576
 * bytes"; MD5OfMessageBody, which the SDK checks), GetQueueUrl / CreateQueue (QueueDoesNotExist,
 * shape `QueueDoesNotExist`, query code `AWS.SimpleQueueService.NonExistentQueue`),
 * GetQueueAttributes (ApproximateNumberOfMessages, ApproximateNumberOfMessagesDelayed,
 * ApproximateNumberOfMessagesNotVisible). Lambda Developer Guide, "Using Lambda with Amazon SQS":
 * the event (`Records`, each with messageId, receiptHandle, body, attributes, md5OfBody,
 * eventSource `aws:sqs`, eventSourceARN, awsRegion); a batch that fails becomes visible again after
 * the queue's visibility timeout; with ReportBatchItemFailures only the `batchItemFailures` do; a
 * message received more than the redrive policy's maxReceiveCount goes to the dead-letter queue.
 * Batching (Lambda Developer Guide, "Using Lambda with Amazon SQS" and "Lambda parameters for Amazon
 * SQS event source mappings"; API CreateEventSourceMapping): with MaximumBatchingWindowInSeconds
 * (0-300, default 0) Lambda gathers messages and invokes the function when the batch is full
 * (BatchSize, up to 10,000 for a standard queue; past 10 a window of at least 1 s is required), when
 * the window has passed since the first message it could take, or when the payload reaches 6 MB.
 */
import { createHash } from 'node:crypto';
import type { FunctionsContext, LatencyContext, WorldContext } from '../../core/context.ts';
import { AwsError } from '../../core/errors.ts';
import type { LocalService } from '../../core/service.ts';

export type SqsContext = WorldContext & FunctionsContext & LatencyContext & { endpoint?: string };

const MAX_DELAY_SECONDS = 900;
/** CreateEventSourceMapping's limits for a standard queue: BatchSize 1-10,000, the window 0-300 s. */
const MAX_BATCH_SIZE = 10_000;
const MAX_BATCHING_WINDOW_S = 300;
/** Lambda's synchronous invocation payload limit, which ends a batch too. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const MAX_BODY_BYTES = 1_048_576;
/** CreateQueue's defaults: VisibilityTimeout 30 s, DelaySeconds 0. */
const DEFAULT_VISIBILITY_S = 30;

interface Message {
  id: string;
  body: string;
  md5: string;
  sentAt: number;
  /** Not delivered before this (DelaySeconds, or the visibility timeout after a failed receive). */
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  attributes?: Record<string, unknown>;
}

interface Queue {
  name: string;
  arn: string;
  attributes: Record<string, string>;
  messages: Message[];
  mapping?: {
    functionArn: string;
    batchSize: number;
    reportBatchItemFailures: boolean;
    /** MaximumBatchingWindowInSeconds, in ms. */
    batchingWindowMs: number;
  };
  /** The end of the batching window a timer is set for. */
  windowEndsAt?: number;
}

/** A message that was received more than maxReceiveCount times (or had no function to go to). */
export interface SqsDeadLetter {
  at: number;
  queue: string;
  body: string;
  receiveCount: number;
  error: string;
}

const invalidParameter = (message: string) =>
  new AwsError('InvalidParameterValue', message, 400, 'Sender', 'InvalidParameterValue');
const noQueue = () =>
  new AwsError(
    'QueueDoesNotExist',
    'The specified queue does not exist.',
    400,
    'Sender',
    'AWS.SimpleQueueService.NonExistentQueue',
  );

export class LocalSqs implements LocalService {
  readonly name = 'sqs';
  readonly target = 'AmazonSQS';
  readonly protocol = 'json1.0' as const;
  readonly queryCompatible = true;
  /** Messages moved out for good: the dead-letter queue's content, never silently lost. */
  readonly deadLetters: SqsDeadLetter[] = [];
  /** Messages sent, per queue, with the delay asked for: reports and tests. */
  readonly sent: { at: number; queue: string; delaySeconds: number; body: string }[] = [];
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly world: SqsContext) {}

  /** `https://…/123456789012/name`, here on the local endpoint (the SDK sends to the URL's host). */
  queueUrl(name: string): string {
    return `${this.world.endpoint ?? 'http://127.0.0.1'}/${this.world.account}/${name}`;
  }

  /** The queue a URL (or an ARN, or a bare name) names. */
  private queue(ref: unknown): Queue {
    if (typeof ref !== 'string' || ref === '') throw invalidParameter('QueueUrl is required.');
    const name = ref.startsWith('arn:') ? ref.split(':').at(-1)! : ref.split('/').at(-1)!;
    const q = this.queues.get(name);
    if (!q) throw noQueue();
    return q;
  }

  /**
   * Lambda's event source mapping: the queue's messages go to the function as they come due, in
   * batches gathered for up to `batchingWindowS` (MaximumBatchingWindowInSeconds).
   */
  mapTo(
    queueName: string,
    functionArn: string,
    options: { batchSize?: number; reportBatchItemFailures?: boolean; batchingWindowS?: number } = {},
  ): void {
    const q = this.queue(queueName);
    const batchSize = options.batchSize ?? 10;
    const window = options.batchingWindowS ?? 0;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE)
      throw invalidParameter(`BatchSize must be between 1 and ${MAX_BATCH_SIZE}.`);
    if (!Number.isInteger(window) || window < 0 || window > MAX_BATCHING_WINDOW_S)
      throw invalidParameter(
        `MaximumBatchingWindowInSeconds must be between 0 and ${MAX_BATCHING_WINDOW_S}.`,
      );
    if (batchSize > 10 && window < 1)
      throw invalidParameter(
        'Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10',
      );
    q.mapping = {
      functionArn,
      batchSize,
      reportBatchItemFailures: options.reportBatchItemFailures ?? true,
      batchingWindowMs: window * 1000,
    };
  }

  /** Messages waiting (delayed or visible), per queue. */
  depth(queueName: string): number {
    return this.queue(queueName).messages.length;
  }

  readonly operations: Record<string, (input: any) => unknown> = {
    CreateQueue: (input: { QueueName?: string; Attributes?: Record<string, string> }) => {
      const name = input.QueueName;
      if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(name))
        throw invalidParameter(
          'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
        );
      const attributes = { ...(input.Attributes ?? {}) };
      const delay = Number(attributes.DelaySeconds ?? 0);
      if (!Number.isInteger(delay) || delay < 0 || delay > MAX_DELAY_SECONDS)
        throw new AwsError('InvalidAttributeValue', `Invalid value for the parameter DelaySeconds.`);
      const existing = this.queues.get(name);
      if (!existing) {
        this.queues.set(name, {
          name,
          arn: this.world.arn('sqs', name),
          attributes: {
            DelaySeconds: String(delay),
            VisibilityTimeout: String(DEFAULT_VISIBILITY_S),
            ...attributes,
          },
          messages: [],
        });
      }
      return { QueueUrl: this.queueUrl(name) };
    },
    GetQueueUrl: (input: { QueueName?: string }) => {
      const q = this.queue(input.QueueName);
      return { QueueUrl: this.queueUrl(q.name) };
    },
    GetQueueAttributes: (input: { QueueUrl?: string; AttributeNames?: string[] }) => {
      const q = this.queue(input.QueueUrl);
      const now = this.world.now();
      const all: Record<string, string> = {
        ...q.attributes,
        QueueArn: q.arn,
        ApproximateNumberOfMessages: String(q.messages.filter((m) => m.visibleAt <= now).length),
        ApproximateNumberOfMessagesDelayed: String(
          q.messages.filter((m) => m.visibleAt > now && m.receiveCount === 0).length,
        ),
        ApproximateNumberOfMessagesNotVisible: String(
          q.messages.filter((m) => m.visibleAt > now && m.receiveCount > 0).length,
        ),
      };
      const names = input.AttributeNames ?? ['All'];
      const wanted = names.includes('All') ? Object.keys(all) : names;
      return { Attributes: Object.fromEntries(wanted.filter((n) => n in all).map((n) => [n, all[n]!])) };
    },
    SendMessage: (input: {
      QueueUrl?: string;
      MessageBody?: string;
      DelaySeconds?: number;
      MessageAttributes?: Record<string, unknown>;
    }) => {
      const q = this.queue(input.QueueUrl);
      const body = input.MessageBody;
      if (typeof body !== 'string' || body.length === 0)
        throw new AwsError('MissingParameter', 'The request must contain the parameter MessageBody.');
      if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES)
        throw invalidParameter(
          `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_BODY_BYTES} bytes.`,
        );
      const delay = input.DelaySeconds ?? Number(q.attributes.DelaySeconds ?? 0);
      if (!Number.isInteger(delay) || delay < 0 || delay > MAX_DELAY_SECONDS)
        throw invalidParameter(
          `Value ${delay} for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.`,
        );
      const now = this.world.now();
      const message: Message = {
        id: this.world.ids.uuid(),
        body,
        md5: createHash('md5').update(body, 'utf8').digest('hex'),
        sentAt: now,
        visibleAt: now + delay * 1000,
        receiveCount: 0,
        ...(input.MessageAttributes && { attributes: input.MessageAttributes }),
      };
      q.messages.push(message);
      this.sent.push({ at: now, queue: q.name, delaySeconds: delay, body });
      // A no-op timer, so the clock stops when the message comes due.
      if (message.visibleAt > now) this.world.clock.at(message.visibleAt, () => {});
      return { MessageId: message.id, MD5OfMessageBody: message.md5 };
    },
  };

  /** When the next batch of a mapped queue is due, if any message waits. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const q of this.queues.values()) {
      const due = this.batchDue(q);
      if (due !== undefined && (next === undefined || due < next)) next = due;
    }
    return next;
  }

  /**
   * When the mapping invokes with what the queue holds: the window's end after the first message
   * it could take (the earliest visible), or now once a full batch (or 6 MB) is visible.
   *   window 0, a message visible at 10:00:00                   -> 10:00:00
   *   window 1 s, messages visible at 10:00:00.2 and 10:00:00.9 -> 10:00:01.2
   *   window 1 s, 100 visible of batch size 100 at 10:00:00.5   -> 10:00:00.5 (full)
   */
  private batchDue(q: Queue): number | undefined {
    if (!q.mapping || q.messages.length === 0) return undefined;
    const now = this.world.now();
    let first = Number.POSITIVE_INFINITY;
    let visible = 0;
    let bytes = 0;
    for (const m of q.messages) {
      first = Math.min(first, m.visibleAt);
      if (m.visibleAt <= now) {
        visible++;
        bytes += Buffer.byteLength(m.body, 'utf8');
      }
    }
    if (visible >= q.mapping.batchSize || bytes >= MAX_PAYLOAD_BYTES) return now;
    return first + q.mapping.batchingWindowMs;
  }

  /**
   * Invokes each mapped queue's function with the messages visible now, in batches, oldest first.
   * Returns how many messages were handed over; 0 means nothing was due.
   */
  async drain(): Promise<number> {
    let handed = 0;
    for (const q of this.queues.values()) {
      if (!q.mapping) continue;
      const now = this.world.now();
      const at = this.batchDue(q);
      if (at === undefined || at > now) {
        // Gathering: a no-op timer, so the clock stops when the window ends.
        if (at !== undefined && q.windowEndsAt !== at) {
          q.windowEndsAt = at;
          this.world.clock.at(at, () => {});
        }
        continue;
      }
      const due = q.messages
        .filter((m) => m.visibleAt <= now)
        .sort((a, b) => a.visibleAt - b.visibleAt || a.sentAt - b.sentAt);
      const visibilityMs = Number(q.attributes.VisibilityTimeout ?? DEFAULT_VISIBILITY_S) * 1000;
      for (let i = 0; i < due.length; i += q.mapping.batchSize) {
        const batch = due.slice(i, i + q.mapping.batchSize);
        // What is left after full batches waits for its own window, as a poller's next batch would.
        if (batch.length < q.mapping.batchSize && batch[0]!.visibleAt + q.mapping.batchingWindowMs > now)
          break;
        handed += batch.length;
        for (const m of batch) {
          m.receiveCount++;
          m.firstReceivedAt ??= now;
          // In flight: not handed over again before its visibility timeout.
          m.visibleAt = now + visibilityMs;
        }
        // Each batch is its own invocation, concurrent with the others (core/concurrency.ts).
        void this.world.tasks.run(now, () => this.invoke(q, batch, now));
      }
    }
    if (handed > 0) await this.world.tasks.idle();
    return handed;
  }

  private async invoke(q: Queue, batch: Message[], now: number): Promise<void> {
    const mapping = q.mapping!;
    const fn = this.world.functions.get(mapping.functionArn);
    let failed: Set<string>;
    let error = '';
    if (!fn) {
      failed = new Set(batch.map((m) => m.id));
      error = `Function not found: ${mapping.functionArn}`;
    } else {
      const event = { Records: batch.map((m) => this.record(q, m)) };
      try {
        const result = (await fn(event)) as { batchItemFailures?: { itemIdentifier?: string }[] } | undefined;
        const failures = mapping.reportBatchItemFailures ? (result?.batchItemFailures ?? []) : [];
        failed = new Set(failures.map((f) => String(f.itemIdentifier)));
        error = 'reported as a batch item failure';
      } catch (e) {
        failed = new Set(batch.map((m) => m.id));
        error = e instanceof Error ? e.message : String(e);
      }
    }
    const maxReceives = maxReceiveCount(q.attributes.RedrivePolicy);
    for (const m of batch) {
      if (!failed.has(m.id)) {
        q.messages.splice(q.messages.indexOf(m), 1);
        continue;
      }
      if (maxReceives !== undefined && m.receiveCount >= maxReceives) {
        q.messages.splice(q.messages.indexOf(m), 1);
        this.deadLetters.push({ at: now, queue: q.name, body: m.body, receiveCount: m.receiveCount, error });
        continue;
      }
      this.world.clock.at(m.visibleAt, () => {});
    }
  }

  /** One message as Lambda's SQS event carries it. */
  private record(q: Queue, m: Message) {
    return {
      messageId: m.id,
      receiptHandle: Buffer.from(`${q.name}:${m.id}:${m.receiveCount}`).toString('base64'),
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'AROAEXAMPLE:local',
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? m.sentAt),
      },
      messageAttributes: m.attributes ?? {},
      md5OfBody: m.md5,
      eventSource: 'aws:sqs',
      eventSourceARN: q.arn,
      awsRegion: this.world.region,
    };
  }
}

/**
 * The redrive policy's maxReceiveCount, if the queue has one.
 *   '{"deadLetterTargetArn":"arn:…:dlq","maxReceiveCount":5}' -> 5
 *   undefined                                                  -> undefined (kept until it succeeds)
 */
export function maxReceiveCount(policy: string | undefined): number | undefined {
  if (!policy) return undefined;
  try {
    const n = Number(JSON.parse(policy).maxReceiveCount);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
