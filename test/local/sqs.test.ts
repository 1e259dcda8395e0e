/** The local SQS through the real @aws-sdk/client-sqs (AWS JSON 1.0), and its Lambda event source. */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxReceiveCount } from '../../local/services/sqs/index.ts';
import { startWorld, type TestWorld } from '../helpers/world.ts';

describe('local SQS over the JSON protocol', () => {
  let t: TestWorld;
  let sqs: SQSClient;
  let url: string;
  const received: { at: number; bodies: string[]; receiveCounts: string[] }[] = [];
  let failNext = 0;
  beforeAll(async () => {
    t = await startWorld();
    sqs = new SQSClient({
      region: t.world.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
      endpoint: t.endpoint,
    });
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'wake',
        Attributes: {
          VisibilityTimeout: '60',
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: 'arn:aws:sqs:us-east-1:1:dlq',
            maxReceiveCount: 2,
          }),
        },
      }),
    );
    url = created.QueueUrl!;
    const fn = t.world.arn('lambda', 'function:wake');
    t.world.functions.set(fn, async (event: any) => {
      received.push({
        at: t.world.now(),
        bodies: event.Records.map((r: any) => r.body),
        receiveCounts: event.Records.map((r: any) => r.attributes.ApproximateReceiveCount),
      });
      if (failNext > 0) {
        failNext--;
        return { batchItemFailures: [{ itemIdentifier: event.Records[0].messageId }] };
      }
      return {};
    });
    t.world.sqs.mapTo('wake', fn, { batchSize: 10 });
  });
  afterAll(() => t.world.stop());

  it('answers GetQueueUrl, and QueueDoesNotExist for an unknown queue', async () => {
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'wake' }))).QueueUrl).toBe(url);
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'nope' }))).rejects.toBeInstanceOf(
      QueueDoesNotExist,
    );
  });

  it('delivers a delayed message to the second, at its delay, not before', async () => {
    received.length = 0;
    const start = t.world.now();
    // The SDK checks MD5OfMessageBody: a wrong one would throw here.
    const sent = await sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'in 90 s', DelaySeconds: 90 }),
    );
    expect(sent.MessageId).toBeTruthy();
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    expect(attrs.Attributes?.ApproximateNumberOfMessagesDelayed).toBe('1');
    await t.world.runFor(89_000, 60_000);
    expect(received).toEqual([]);
    await t.world.runFor(2_000, 60_000);
    expect(received.map((r) => [r.at - start, r.bodies])).toEqual([[90_000, ['in 90 s']]]);
  });

  it('refuses a delay past 15 minutes and an empty body', async () => {
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', DelaySeconds: 901 })),
    ).rejects.toThrow(/DelaySeconds is invalid/);
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '' }))).rejects.toThrow(
      /MessageBody/,
    );
  });

  it('a batch item failure comes back after the visibility timeout, then goes to the dead letters', async () => {
    received.length = 0;
    failNext = 2;
    const start = t.world.now();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'flaky' }));
    await t.world.runFor(5 * 60_000);
    expect(received.map((r) => [r.at - start, r.receiveCounts])).toEqual([
      [0, ['1']],
      [60_000, ['2']],
    ]);
    expect(t.world.sqs.deadLetters.map((d) => [d.body, d.receiveCount])).toEqual([['flaky', 2]]);
  });

  it('gathers a batch for its batching window from the first message, or until the batch is full', async () => {
    const gathered: { at: number; bodies: string[] }[] = [];
    const fn = t.world.arn('lambda', 'function:gather');
    t.world.functions.set(fn, async (event: any) => {
      gathered.push({ at: t.world.now(), bodies: event.Records.map((r: any) => r.body) });
      return {};
    });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'gather' }));
    t.world.sqs.mapTo('gather', fn, { batchSize: 4, batchingWindowS: 1 });
    const send = (body: string) => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    const start = t.world.now();
    // 0, 300 and 700 ms: one invocation when the window ends, 1 s after the first.
    await send('a');
    await t.world.runFor(300, 100);
    await send('b');
    await t.world.runFor(400, 100);
    await send('c');
    await t.world.runFor(200, 100);
    expect(gathered).toEqual([]);
    await t.world.runFor(200, 100);
    expect(gathered.map((g) => [g.at - start, g.bodies])).toEqual([[1000, ['a', 'b', 'c']]]);
    // A full batch goes at once, the rest waits for its own window.
    gathered.length = 0;
    const full = t.world.now();
    for (const body of ['d', 'e', 'f', 'g', 'h']) await send(body);
    await t.world.settle();
    expect(gathered.map((g) => [g.at - full, g.bodies])).toEqual([[0, ['d', 'e', 'f', 'g']]]);
    await t.world.runFor(1000, 100);
    expect(gathered.map((g) => [g.at - full, g.bodies])).toEqual([
      [0, ['d', 'e', 'f', 'g']],
      [1000, ['h']],
    ]);
  });

  it('refuses a batch over 10 without a batching window, as CreateEventSourceMapping does', () => {
    const fn = t.world.arn('lambda', 'function:gather');
    expect(() => t.world.sqs.mapTo('wake', fn, { batchSize: 100 })).toThrow(/batch window/);
    expect(() => t.world.sqs.mapTo('wake', fn, { batchSize: 100, batchingWindowS: 301 })).toThrow(/300/);
    expect(() => t.world.sqs.mapTo('wake', fn, { batchSize: 10_001, batchingWindowS: 1 })).toThrow(/10000/);
  });

  it.each([
    ['{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:1:d","maxReceiveCount":5}', 5],
    [undefined, undefined],
    ['{oops', undefined],
  ])('maxReceiveCount(%s) = %s', (policy, count) => {
    expect(maxReceiveCount(policy)).toBe(count);
  });
});
