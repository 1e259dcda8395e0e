/**
 * Exact wake-ups: every write of a record schedules the one moment it next needs attention
 * (lib/wake.ts), as a delayed message on the wake queue, and replaces it as the record changes.
 *
 * Why an SQS delay queue: a message is delivered to the second after its DelaySeconds (up to 15
 * minutes; a later moment is reached by chaining, the woken handler sending it on), costs one
 * SendMessage, and needs no clean-up: a message for a moment the record no longer waits for is
 * stale, and dropped on arrival after one GetItem. EventBridge Scheduler's one-time schedules reach
 * further (any date) but fire "within about a minute" of their time (or within a flexible window),
 * and each must be created, updated and deleted (three calls a wake-up); a bake of 5 minutes would
 * end up to a minute late, which is what the old one-minute tick did.
 *
 * The order is what makes it safe: the message is sent before the write that records its moment
 * commits. A write that then fails (a lost race) leaves a stale message, dropped on arrival; a
 * committed `wake` always has its message on the way. A send that fails is logged and the write
 * goes on: the sweep (functions/tick.ts) reconciles every record whose wake-up is overdue.
 */
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type Config, targetFor } from './config.ts';
import type { Env } from './env.ts';
import { type HandOn, handOnBody } from './hand-on.ts';
import { log } from './log.ts';
import { keptUnlessFailed } from './once.ts';
import type { ServiceRecord } from './record.ts';
import type { Outstanding, RecordStore, RepositoryMark } from './store.ts';
import { delaySeconds, nextWake, wakeBody } from './wake.ts';

export interface Waker {
  /** Sends the record's wake-up for `at` (sent at `now`: the delay is what is left, at most 15 min). */
  schedule(service: string, at: number, now: number): Promise<void>;
  /** Sends a push on for the services its invocation did not reach, after `delaySeconds` (lib/hand-on.ts). */
  handOn(handOn: HandOn, delaySeconds: number): Promise<void>;
}

export class SqsWaker implements Waker {
  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
  ) {}

  async schedule(service: string, at: number, now: number): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: wakeBody(service, at),
        DelaySeconds: delaySeconds(at, now),
      }),
    );
  }

  async handOn(handOn: HandOn, delaySeconds: number): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: handOnBody(handOn),
        DelaySeconds: delaySeconds,
      }),
    );
  }
}

/**
 * A waker that finds its queue by name at its first wake-up: the CLI's, whose commands (resume,
 * promote, deploy, …) write records as the Lambdas do and must schedule their next moment too, or a
 * resumed bake would end at the next sweep instead of to the second. The stack names the queue
 * after the records table (serverless.yml: `<service>-<stage>-wake`, the table being
 * `<service>-<stage>`). A lookup that fails is tried again at the next wake-up.
 */
export class NamedQueueWaker implements Waker {
  private readonly url = keptUnlessFailed(() =>
    this.sqs
      .send(new GetQueueUrlCommand({ QueueName: this.queueName }))
      .then(({ QueueUrl }) => QueueUrl ?? Promise.reject(new Error(`no URL for queue ${this.queueName}`))),
  );

  constructor(
    private readonly sqs: SQSClient,
    readonly queueName: string,
  ) {}

  async schedule(service: string, at: number, now: number): Promise<void> {
    await (await this.queue()).schedule(service, at, now);
  }

  async handOn(handOn: HandOn, delaySeconds: number): Promise<void> {
    await (await this.queue()).handOn(handOn, delaySeconds);
  }

  private async queue(): Promise<SqsWaker> {
    return new SqsWaker(this.sqs, await this.url());
  }
}

/** The wake queue's name for a records table (serverless.yml names both after the stack). */
export const wakeQueueName = (table: string) => `${table}-wake`;

/** The Lambda side's waker: the queue the stack made (serverless.yml), or none when it is not set. */
export function wakerFromEnvironment(env: Env): Waker | undefined {
  return env.wakeQueueUrl ? new SqsWaker(new SQSClient({ maxAttempts: 5 }), env.wakeQueueUrl) : undefined;
}

/**
 * The record store with wake-ups: each `put` works out the record's next wake-up and, when it moved,
 * sends it before committing. Every other call goes straight through.
 */
export class WakingStore implements RecordStore {
  constructor(
    private readonly inner: RecordStore,
    private readonly config: () => Config,
    private readonly waker: Waker,
    private readonly now: () => number,
  ) {}

  get(cluster: string, service: string): Promise<ServiceRecord> {
    return this.inner.get(cluster, service);
  }

  list(): Promise<ServiceRecord[]> {
    return this.inner.list();
  }

  outstanding(): Promise<Outstanding> {
    return this.inner.outstanding();
  }

  putMark(repository: string, mark: RepositoryMark): Promise<void> {
    return this.inner.putMark(repository, mark);
  }

  async put(record: ServiceRecord): Promise<ServiceRecord> {
    return this.inner.put(await this.withWake(record));
  }

  /** The record with its next wake-up, sent if it moved. */
  async withWake(record: ServiceRecord): Promise<ServiceRecord> {
    const now = this.now();
    const target = targetFor(this.config(), record.cluster, record.service);
    // A target taken out of the config has nothing to wait for: the sweep retires its rollout.
    const wake = target ? nextWake(record, target, now) : undefined;
    if (wake && wake.at !== record.wake?.at) {
      try {
        await this.waker.schedule(record.key, wake.at, now);
        log.info('wake.scheduled', {
          service: record.key,
          at: new Date(wake.at).toISOString(),
          why: wake.why,
        });
      } catch (e) {
        log.warn('wake.unscheduled', { service: record.key, why: wake.why, error: e as Error });
      }
    }
    if (wake) return { ...record, wake };
    const { wake: _none, ...rest } = record;
    return rest;
  }
}
