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

  it.each([
    ['{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:1:d","maxReceiveCount":5}', 5],
    [undefined, undefined],
    ['{oops', undefined],
  ])('maxReceiveCount(%s) = %s', (policy, count) => {
    expect(maxReceiveCount(policy)).toBe(count);
  });
});
