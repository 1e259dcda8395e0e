/**
 * The local EventBridge through the real @aws-sdk/client-eventbridge: rules, targets, PutEvents,
 * TestEventPattern, scheduled rules on the virtual clock, delivery with Lambda-style retries, dead
 * letters and the fault hook.
 */
import {
  CreateEventBusCommand,
  DeleteRuleCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeServiceException,
  InvalidEventPatternException,
  LimitExceededException,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import type { Delivery, FaultDecision } from '../../local/services/eventbridge/index.ts';
import { startWorld, type TestWorld, worldPerTest } from '../helpers/world.ts';

const FN = 'arn:aws:lambda:us-east-1:123456789012:function:collector';
const START = Date.UTC(2026, 0, 1);

const fresh = worldPerTest(
  () => startWorld({ start: START }),
  (tw) => tw.world.stop(),
);

/** A local function that records what it gets; `fail(n)` makes its first n invocations throw. */
function collector(tw: TestWorld, arn = FN) {
  const calls: { at: number; event: any }[] = [];
  let failures = 0;
  tw.world.functions.set(arn, async (event) => {
    calls.push({ at: tw.world.now(), event });
    if (failures > 0) {
      failures--;
      throw new Error('handler failed');
    }
  });
  return {
    calls,
    fail(n: number) {
      failures = n;
    },
  };
}

async function ruleWithTarget(
  tw: TestWorld,
  name: string,
  pattern: unknown,
  target: Record<string, unknown> = {},
) {
  await tw.events.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(pattern) }));
  await tw.events.send(new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'fn', Arn: FN, ...target }] }));
}

const expectServiceError = async (p: Promise<unknown>, name: string, message?: RegExp) => {
  const e = await p.then(
    () => undefined,
    (x) => x,
  );
  expect(e).toBeInstanceOf(EventBridgeServiceException);
  expect(e.name).toBe(name);
  if (message) expect(e.message).toMatch(message);
};

describe('rules', () => {
  it('puts, describes, lists by prefix, disables, enables and deletes rules', async () => {
    const tw = await fresh();
    const pattern = JSON.stringify({ source: ['aws.ecr'], 'detail-type': ['ECR Image Action'] });
    const put = await tw.events.send(
      new PutRuleCommand({ Name: 'ecr-push', EventPattern: pattern, Description: 'd' }),
    );
    expect(put.RuleArn).toBe('arn:aws:events:us-east-1:123456789012:rule/ecr-push');
    await tw.events.send(new PutRuleCommand({ Name: 'ecs-task', EventPattern: '{"source":["aws.ecs"]}' }));
    await tw.events.send(
      new PutRuleCommand({ Name: 'alarm', EventPattern: '{"source":["aws.cloudwatch"]}' }),
    );

    const described = await tw.events.send(new DescribeRuleCommand({ Name: 'ecr-push' }));
    expect(described).toMatchObject({
      Name: 'ecr-push',
      Arn: put.RuleArn,
      EventPattern: pattern,
      State: 'ENABLED',
      Description: 'd',
      EventBusName: 'default',
    });

    const listed = await tw.events.send(new ListRulesCommand({ NamePrefix: 'ec' }));
    expect(listed.Rules?.map((r) => r.Name)).toEqual(['ecr-push', 'ecs-task']);
    const page1 = await tw.events.send(new ListRulesCommand({ Limit: 2 }));
    expect(page1.Rules?.map((r) => r.Name)).toEqual(['alarm', 'ecr-push']);
    const page2 = await tw.events.send(new ListRulesCommand({ Limit: 2, NextToken: page1.NextToken }));
    expect(page2.Rules?.map((r) => r.Name)).toEqual(['ecs-task']);
    expect(page2.NextToken).toBeUndefined();

    await tw.events.send(new DisableRuleCommand({ Name: 'ecr-push' }));
    expect((await tw.events.send(new DescribeRuleCommand({ Name: 'ecr-push' }))).State).toBe('DISABLED');
    await tw.events.send(new EnableRuleCommand({ Name: 'ecr-push' }));
    expect((await tw.events.send(new DescribeRuleCommand({ Name: 'ecr-push' }))).State).toBe('ENABLED');

    await tw.events.send(new DeleteRuleCommand({ Name: 'ecs-task' }));
    const after = await tw.events.send(new ListRulesCommand({}));
    expect(after.Rules?.map((r) => r.Name)).toEqual(['alarm', 'ecr-push']);
  });

  it('rejects invalid patterns with InvalidEventPatternException and the reason', async () => {
    const tw = await fresh();
    const e = await tw.events
      .send(new PutRuleCommand({ Name: 'bad', EventPattern: '{"source":"aws.ecr"}' }))
      .catch((x) => x);
    expect(e).toBeInstanceOf(InvalidEventPatternException);
    expect(e.message).toBe('Event pattern is not valid. Reason: "source" must be an object or an array');
    await expect(
      tw.events.send(new PutRuleCommand({ Name: 'bad', EventPattern: '{"a":[{"wildcard":"x**"}]}' })),
    ).rejects.toBeInstanceOf(InvalidEventPatternException);
    await expect(
      tw.events.send(new PutRuleCommand({ Name: 'bad', EventPattern: 'not json' })),
    ).rejects.toBeInstanceOf(InvalidEventPatternException);
  });

  it('answers missing rules with ResourceNotFoundException and validates names, states and schedules', async () => {
    const tw = await fresh();
    const e = await tw.events.send(new DescribeRuleCommand({ Name: 'nope' })).catch((x) => x);
    expect(e).toBeInstanceOf(ResourceNotFoundException);
    expect(e.message).toBe('Rule nope does not exist on EventBus default.');
    await expect(tw.events.send(new EnableRuleCommand({ Name: 'nope' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(
      tw.events.send(new PutTargetsCommand({ Rule: 'nope', Targets: [{ Id: 'a', Arn: FN }] })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expectServiceError(
      tw.events.send(new PutRuleCommand({ Name: 'x' })),
      'ValidationException',
      /EventPattern or ScheduleExpression/,
    );
    await expectServiceError(
      tw.events.send(new PutRuleCommand({ Name: 'has space', EventPattern: '{"a":["b"]}' })),
      'ValidationException',
    );
    await expectServiceError(
      tw.events.send(new PutRuleCommand({ Name: 'x', ScheduleExpression: 'rate(1 minutes)' })),
      'ValidationException',
      /ScheduleExpression is not valid/,
    );
    await expectServiceError(
      tw.events.send(new PutRuleCommand({ Name: 'x', ScheduleExpression: 'cron(0 10 * * * *)' })),
      'ValidationException',
    );
    await expectServiceError(
      tw.events.send(
        new PutRuleCommand({ Name: 'x', EventPattern: '{"a":["b"]}', State: 'PAUSED' as never }),
      ),
      'ValidationException',
    );
  });

  it('refuses to delete a rule that still has targets', async () => {
    const tw = await fresh();
    await ruleWithTarget(tw, 'r', { source: ['app'] });
    await expectServiceError(
      tw.events.send(new DeleteRuleCommand({ Name: 'r' })),
      'ValidationException',
      /Rule can't be deleted since it has targets/,
    );
    await tw.events.send(new RemoveTargetsCommand({ Rule: 'r', Ids: ['fn'] }));
    await tw.events.send(new DeleteRuleCommand({ Name: 'r' }));
    await expect(tw.events.send(new DescribeRuleCommand({ Name: 'r' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('stores targets, caps them at 5 per rule and reports invalid ones in FailedEntries', async () => {
    const tw = await fresh();
    await tw.events.send(new PutRuleCommand({ Name: 'r', EventPattern: '{"source":["app"]}' }));
    const res = await tw.events.send(
      new PutTargetsCommand({
        Rule: 'r',
        Targets: [
          {
            Id: 'a',
            Arn: FN,
            InputPath: '$.detail',
            RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 },
            DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:123456789012:dlq' },
          },
          { Id: 'b', Arn: FN, Input: '{not json' },
          { Id: 'c', Arn: FN, Input: '{}', InputPath: '$.detail' },
        ],
      }),
    );
    expect(res.FailedEntryCount).toBe(2);
    expect(res.FailedEntries?.map((f) => f.TargetId)).toEqual(['b', 'c']);
    const listed = await tw.events.send(new ListTargetsByRuleCommand({ Rule: 'r' }));
    expect(listed.Targets).toEqual([
      {
        Id: 'a',
        Arn: FN,
        InputPath: '$.detail',
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 },
        DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:123456789012:dlq' },
      },
    ]);
    await tw.events.send(
      new PutTargetsCommand({ Rule: 'r', Targets: ['b', 'c', 'd', 'e'].map((Id) => ({ Id, Arn: FN })) }),
    );
    await expect(
      tw.events.send(new PutTargetsCommand({ Rule: 'r', Targets: [{ Id: 'f', Arn: FN }] })),
    ).rejects.toBeInstanceOf(LimitExceededException);
    // Updating an existing target is not a new one.
    await tw.events.send(new PutTargetsCommand({ Rule: 'r', Targets: [{ Id: 'a', Arn: FN }] }));
  });

  it('supports custom event buses (scheduled rules only on the default bus)', async () => {
    const tw = await fresh();
    const c = collector(tw);
    const bus = await tw.events.send(new CreateEventBusCommand({ Name: 'deploys' }));
    expect(bus.EventBusArn).toBe('arn:aws:events:us-east-1:123456789012:event-bus/deploys');
    await expect(tw.events.send(new CreateEventBusCommand({ Name: 'deploys' }))).rejects.toBeInstanceOf(
      ResourceAlreadyExistsException,
    );
    const rule = await tw.events.send(
      new PutRuleCommand({ Name: 'r', EventBusName: 'deploys', EventPattern: '{"source":["app"]}' }),
    );
    expect(rule.RuleArn).toBe('arn:aws:events:us-east-1:123456789012:rule/deploys/r');
    await tw.events.send(
      new PutTargetsCommand({ Rule: 'r', EventBusName: 'deploys', Targets: [{ Id: 'fn', Arn: FN }] }),
    );
    await expectServiceError(
      tw.events.send(
        new PutRuleCommand({ Name: 's', EventBusName: 'deploys', ScheduleExpression: 'rate(1 minute)' }),
      ),
      'ValidationException',
    );
    const entry = { Source: 'app', DetailType: 'x', Detail: '{}' };
    await tw.events.send(
      new PutEventsCommand({ Entries: [entry, { ...entry, EventBusName: bus.EventBusArn }] }),
    );
    await tw.world.settle();
    expect(c.calls).toHaveLength(1); // only the entry on the custom bus
  });
});

describe('PutEvents', () => {
  it('builds the EventBridge envelope and delivers it to matching rules', async () => {
    const tw = await fresh();
    const c = collector(tw);
    await ruleWithTarget(tw, 'deploys', {
      source: ['com.example.app'],
      detail: { stage: [{ prefix: 'prod' }] },
    });
    tw.world.clock.advanceBy(1234);
    const res = await tw.events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'com.example.app',
            DetailType: 'Deployment',
            Detail: JSON.stringify({ stage: 'production', n: 1 }),
            Resources: ['arn:aws:ecs:us-east-1:123456789012:service/c/web'],
          },
          { Source: 'com.example.app', DetailType: 'Deployment', Detail: '{"stage":"staging"}' },
        ],
      }),
    );
    expect(res.FailedEntryCount).toBe(0);
    expect(res.Entries?.every((e) => /^[0-9a-f]{8}-[0-9a-f]{4}-/.test(e.EventId ?? ''))).toBe(true);
    expect(c.calls).toHaveLength(0); // delivery happens on drain, not inside PutEvents
    await tw.world.settle();
    expect(c.calls).toHaveLength(1);
    expect(c.calls[0]!.event).toEqual({
      version: '0',
      id: res.Entries![0]!.EventId,
      'detail-type': 'Deployment',
      source: 'com.example.app',
      account: '123456789012',
      time: '2026-01-01T00:00:01Z',
      region: 'us-east-1',
      resources: ['arn:aws:ecs:us-east-1:123456789012:service/c/web'],
      detail: { stage: 'production', n: 1 },
    });
    // Every accepted event is in the world's log, matched or not.
    expect(tw.world.eventLog.map((l) => l.event.id)).toEqual(res.Entries!.map((e) => e.EventId));
  });

  it('uses the entry Time and fails bad entries one by one', async () => {
    const tw = await fresh();
    const res = await tw.events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'app', DetailType: 'x', Detail: '{}', Time: new Date('2025-06-01T12:00:00.900Z') },
          { Source: 'app', DetailType: 'x', Detail: '[1,2]' },
          { Source: 'app', DetailType: 'x', Detail: '{oops' },
          { Source: 'app', DetailType: 'x' },
          { Source: 'aws.ecr', DetailType: 'ECR Image Action', Detail: '{}' },
          { Source: 'app', DetailType: 'x', Detail: '{}', EventBusName: 'missing' },
        ],
      }),
    );
    expect(res.FailedEntryCount).toBe(5);
    expect(res.Entries?.[0]?.EventId).toBeDefined();
    expect(res.Entries?.slice(1).map((e) => e.ErrorCode)).toEqual([
      'MalformedDetail',
      'MalformedDetail',
      'InvalidArgument',
      'NotAuthorizedForSourceException',
      'ResourceNotFoundException',
    ]);
    expect(tw.world.eventLog).toHaveLength(1);
    expect(tw.world.eventLog[0]!.event.time).toBe('2025-06-01T12:00:00Z');
  });

  it('rejects requests with no or more than 10 entries, or over the size limit', async () => {
    const tw = await fresh();
    const entry = { Source: 'app', DetailType: 'x', Detail: '{}' };
    await expectServiceError(
      tw.events.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry) })),
      'ValidationException',
    );
    await expectServiceError(tw.events.send(new PutEventsCommand({ Entries: [] })), 'ValidationException');
    const big = JSON.stringify({ blob: 'x'.repeat(1024 * 1024) });
    await expectServiceError(
      tw.events.send(new PutEventsCommand({ Entries: [{ ...entry, Detail: big }] })),
      'ValidationException',
      /over the limit/,
    );
    // 300 KB: over the old 256 KB limit, within today's 1 MB.
    const ok = await tw.events.send(
      new PutEventsCommand({
        Entries: [{ ...entry, Detail: JSON.stringify({ blob: 'x'.repeat(300_000) }) }],
      }),
    );
    expect(ok.FailedEntryCount).toBe(0);
  });
});

describe('TestEventPattern', () => {
  const event = JSON.stringify({
    id: '1',
    account: '123456789012',
    source: 'aws.ecr',
    time: '2026-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    'detail-type': 'ECR Image Action',
    detail: { 'action-type': 'PUSH', result: 'SUCCESS' },
  });

  it('tests a pattern against an event', async () => {
    const tw = await fresh();
    const yes = await tw.events.send(
      new TestEventPatternCommand({ EventPattern: '{"detail":{"action-type":["PUSH"]}}', Event: event }),
    );
    expect(yes.Result).toBe(true);
    const no = await tw.events.send(
      new TestEventPatternCommand({
        EventPattern: '{"detail":{"result":[{"anything-but":"SUCCESS"}]}}',
        Event: event,
      }),
    );
    expect(no.Result).toBe(false);
    await expect(
      tw.events.send(new TestEventPatternCommand({ EventPattern: '{"detail":{}}', Event: event })),
    ).rejects.toBeInstanceOf(InvalidEventPatternException);
    await expectServiceError(
      tw.events.send(
        new TestEventPatternCommand({ EventPattern: '{"source":["x"]}', Event: '{"source":"x"}' }),
      ),
      'ValidationException',
      /Parameter Event is not valid/,
    );
  });
});

describe('delivery', () => {
  it('delivers AWS service events (world.emit) to enabled matching rules only', async () => {
    const tw = await fresh();
    const c = collector(tw);
    await ruleWithTarget(tw, 'pushes', { source: ['aws.ecr'], detail: { 'action-type': ['PUSH'] } });
    tw.world.emit('aws.ecr', 'ECR Image Action', { 'action-type': 'PUSH' });
    tw.world.emit('aws.ecr', 'ECR Image Action', { 'action-type': 'DELETE' });
    await tw.world.settle();
    expect(c.calls.map((x) => x.event.detail['action-type'])).toEqual(['PUSH']);

    await tw.events.send(new DisableRuleCommand({ Name: 'pushes' }));
    tw.world.emit('aws.ecr', 'ECR Image Action', { 'action-type': 'PUSH' });
    await tw.world.settle();
    expect(c.calls).toHaveLength(1);
    expect(tw.world.eventLog).toHaveLength(3);
  });

  it('transforms what the target gets: Input, InputPath, InputTransformer', async () => {
    const tw = await fresh();
    const got: Record<string, unknown> = {};
    for (const id of ['input', 'path', 'transformer', 'whole']) {
      tw.world.functions.set(`${FN}-${id}`, async (event) => {
        got[id] = event;
      });
    }
    await tw.events.send(new PutRuleCommand({ Name: 'r', EventPattern: '{"source":["app"]}' }));
    await tw.events.send(
      new PutTargetsCommand({
        Rule: 'r',
        Targets: [
          { Id: 'input', Arn: `${FN}-input`, Input: '{"fixed":true}' },
          { Id: 'path', Arn: `${FN}-path`, InputPath: '$.detail.service' },
          {
            Id: 'transformer',
            Arn: `${FN}-transformer`,
            InputTransformer: {
              InputPathsMap: { svc: '$.detail.service', n: '$.detail.n' },
              InputTemplate: '{"text": "<svc> has <n> tasks", "n": <n>, "rule": "<aws.events.rule-name>"}',
            },
          },
          { Id: 'whole', Arn: `${FN}-whole` },
        ],
      }),
    );
    await tw.events.send(
      new PutEventsCommand({
        Entries: [{ Source: 'app', DetailType: 'x', Detail: '{"service":{"name":"web"},"n":3}' }],
      }),
    );
    await tw.world.settle();
    expect(got.input).toEqual({ fixed: true });
    expect(got.path).toEqual({ name: 'web' });
    expect(got.transformer).toEqual({ text: '{"name":"web"} has 3 tasks', n: 3, rule: 'r' });
    expect((got.whole as any).detail).toEqual({ service: { name: 'web' }, n: 3 });
  });

  it('retries a failing function twice, one then two minutes later, then dead-letters it', async () => {
    const tw = await fresh();
    const c = collector(tw);
    c.fail(99);
    await ruleWithTarget(
      tw,
      'r',
      { source: ['app'] },
      { DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:123456789012:dlq' } },
    );
    await tw.events.send(
      new PutEventsCommand({ Entries: [{ Source: 'app', DetailType: 'x', Detail: '{}' }] }),
    );
    await tw.world.runFor(10 * 60_000);
    expect(c.calls.map((x) => x.at - START)).toEqual([0, 60_000, 180_000]);
    expect(
      tw.world.events.deliveries.map((d) => [d.attempt, d.outcome, d.retryAt && d.retryAt - START]),
    ).toEqual([
      [1, 'failed', 60_000],
      [2, 'failed', 180_000],
      [3, 'failed', undefined],
    ]);
    expect(tw.world.events.deadLetters).toHaveLength(1);
    expect(tw.world.events.deadLetters[0]).toMatchObject({
      rule: 'r',
      targetId: 'fn',
      targetArn: FN,
      deadLetterArn: 'arn:aws:sqs:us-east-1:123456789012:dlq',
      errorMessage: 'handler failed',
      exhaustedRetryCondition: 'RetriesExhausted',
      retryAttempts: 2,
      event: { source: 'app' },
    });
  });

  it('keeps going when a target throws, and a retry that succeeds is not dead-lettered', async () => {
    const tw = await fresh();
    const c = collector(tw);
    const other: unknown[] = [];
    tw.world.functions.set(`${FN}-other`, async (e) => {
      other.push(e);
    });
    c.fail(1);
    await tw.events.send(new PutRuleCommand({ Name: 'r', EventPattern: '{"source":["app"]}' }));
    await tw.events.send(
      new PutTargetsCommand({
        Rule: 'r',
        Targets: [
          { Id: 'fn', Arn: FN },
          { Id: 'other', Arn: `${FN}-other` },
        ],
      }),
    );
    await tw.events.send(
      new PutEventsCommand({ Entries: [{ Source: 'app', DetailType: 'x', Detail: '{}' }] }),
    );
    expect(await tw.world.events.drain()).toBe(2);
    expect(other).toHaveLength(1);
    expect(await tw.world.events.drain()).toBe(0); // the retry is due in a minute, not now
    await tw.world.runFor(60_000);
    expect(c.calls).toHaveLength(2);
    expect(tw.world.events.deliveries.filter((d) => d.targetId === 'fn').map((d) => d.outcome)).toEqual([
      'failed',
      'delivered',
    ]);
    expect(tw.world.events.deadLetters).toHaveLength(0);
  });

  it('follows the function event-invoke config (no retries)', async () => {
    const tw = await fresh();
    const c = collector(tw);
    c.fail(1);
    tw.world.events.lambdaConfig.set(FN, { MaximumRetryAttempts: 0 });
    await ruleWithTarget(tw, 'r', { source: ['app'] });
    await tw.events.send(
      new PutEventsCommand({ Entries: [{ Source: 'app', DetailType: 'x', Detail: '{}' }] }),
    );
    await tw.world.runFor(5 * 60_000);
    expect(c.calls).toHaveLength(1);
    expect(tw.world.events.deadLetters[0]).toMatchObject({
      exhaustedRetryCondition: 'RetriesExhausted',
      retryAttempts: 0,
    });
    expect(tw.world.events.deadLetters[0]!.deadLetterArn).toBeUndefined();
  });

  it('dead-letters at once, without retries, when the target function does not exist', async () => {
    const tw = await fresh();
    await ruleWithTarget(tw, 'r', { source: ['app'] });
    await tw.events.send(
      new PutEventsCommand({ Entries: [{ Source: 'app', DetailType: 'x', Detail: '{}' }] }),
    );
    await tw.world.runFor(5 * 60_000);
    expect(tw.world.events.deliveries).toHaveLength(1);
    expect(tw.world.events.deliveries[0]).toMatchObject({ outcome: 'failed', deadLettered: true });
    expect(tw.world.events.deadLetters[0]).toMatchObject({
      errorCode: 'ResourceNotFoundException',
      exhaustedRetryCondition: 'NotRetryable',
      retryAttempts: 0,
    });
  });

  it('sends to an SQS target the event JSON as the message body, the fault layer still deciding', async () => {
    const tw = await fresh();
    const batches: any[][] = [];
    const fn = tw.world.arn('lambda', 'function:reader');
    tw.world.functions.set(fn, async (event: any) => {
      batches.push(event.Records.map((r: any) => JSON.parse(r.body)));
      return {};
    });
    tw.world.sqs.operations.CreateQueue!({ QueueName: 'events' });
    tw.world.sqs.mapTo('events', fn, { batchSize: 100, batchingWindowS: 1 });
    const queue = tw.world.arn('sqs', 'events');
    await tw.events.send(new PutRuleCommand({ Name: 'q', EventPattern: '{"source":["app"]}' }));
    await tw.events.send(new PutTargetsCommand({ Rule: 'q', Targets: [{ Id: 'queue', Arn: queue }] }));
    tw.world.events.faults = {
      onDeliver: (d) =>
        d.event['detail-type'] === 'dup' && d.duplicateOf === undefined ? 'duplicate' : 'deliver',
    };
    for (const k of ['one', 'dup']) tw.world.emit('app', k, { k });
    await tw.world.runFor(2_000, 100);
    // One batch: both events, the duplicate twice, each whole as EventBridge sent it.
    expect(batches.map((b) => b.map((e) => e['detail-type']).sort())).toEqual([['dup', 'dup', 'one']]);
    expect(batches[0]![0]).toMatchObject({ source: 'app', account: tw.world.account, detail: { k: 'one' } });
    expect(tw.world.events.deliveries.map((d) => [d.detailType, d.outcome])).toEqual([
      ['one', 'delivered'],
      ['dup', 'delivered'],
      ['dup', 'delivered'],
    ]);
  });

  it('dead-letters at once an event for a queue that does not exist', async () => {
    const tw = await fresh();
    await tw.events.send(new PutRuleCommand({ Name: 'q', EventPattern: '{"source":["app"]}' }));
    await tw.events.send(
      new PutTargetsCommand({ Rule: 'q', Targets: [{ Id: 'queue', Arn: tw.world.arn('sqs', 'gone') }] }),
    );
    tw.world.emit('app', 'x', {});
    await tw.world.runFor(60_000);
    expect(tw.world.events.deadLetters).toMatchObject([
      { errorCode: 'ResourceNotFoundException', exhaustedRetryCondition: 'NotRetryable' },
    ]);
  });

  it('lets a fault layer drop, duplicate, delay and fail deliveries', async () => {
    const tw = await fresh();
    const c = collector(tw);
    await ruleWithTarget(tw, 'r', { source: ['app'] }, { RetryPolicy: { MaximumRetryAttempts: 1 } });
    const plan: Record<string, FaultDecision> = {
      drop: 'drop',
      dup: 'duplicate',
      late: { delayMs: 30_000 },
      broken: { fail: 'ThrottlingException' },
    };
    const seen: Delivery[] = [];
    tw.world.events.faults = {
      onDeliver(d) {
        seen.push({ ...d });
        if (d.duplicateOf !== undefined || d.delays > 0) return 'deliver';
        return plan[d.event['detail-type']] ?? 'deliver';
      },
    };
    await tw.events.send(
      new PutEventsCommand({
        Entries: ['drop', 'dup', 'late', 'broken', 'plain'].map((k) => ({
          Source: 'app',
          DetailType: k,
          Detail: '{}',
        })),
      }),
    );
    await tw.world.settle();
    expect(c.calls.map((x) => x.event['detail-type'])).toEqual(['dup', 'plain', 'dup']);
    await tw.world.runFor(60_000);
    expect(c.calls.map((x) => [x.event['detail-type'], x.at - START])).toEqual([
      ['dup', 0],
      ['plain', 0],
      ['dup', 0],
      ['late', 30_000],
    ]);
    const broken = tw.world.events.deliveries.filter((d) => d.detailType === 'broken');
    expect(broken.map((d) => [d.attempt, d.outcome, d.at - START])).toEqual([
      [1, 'failed', 0],
      [2, 'failed', 1000],
    ]);
    expect(tw.world.events.deadLetters).toHaveLength(1);
    expect(tw.world.events.deadLetters[0]).toMatchObject({
      errorMessage: 'ThrottlingException',
      exhaustedRetryCondition: 'MaximumRetryAttempts',
    });
    expect(tw.world.events.deliveries.find((d) => d.detailType === 'drop')?.outcome).toBe('dropped');
    expect(tw.world.events.deliveries.find((d) => d.detailType === 'late')?.outcome).toBe('delayed');
    expect(seen.find((d) => d.duplicateOf !== undefined)?.event['detail-type']).toBe('dup');
  });
});

describe('scheduled rules', () => {
  it('fires rate(1 minute) every virtual minute with the Scheduled Event envelope', async () => {
    const tw = await fresh();
    const c = collector(tw);
    const { RuleArn } = await tw.events.send(
      new PutRuleCommand({ Name: 'tick', ScheduleExpression: 'rate(1 minute)' }),
    );
    await tw.events.send(new PutTargetsCommand({ Rule: 'tick', Targets: [{ Id: 'fn', Arn: FN }] }));
    await tw.world.runFor(5 * 60_000);
    expect(c.calls.map((x) => x.at - START)).toEqual([60_000, 120_000, 180_000, 240_000, 300_000]);
    const first = c.calls[0]!.event;
    expect(first).toEqual({
      version: '0',
      id: first.id,
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: '2026-01-01T00:01:00Z',
      region: 'us-east-1',
      resources: [RuleArn],
      detail: {},
    });
    // Disabled: no events; deleted: timer gone.
    await tw.events.send(new DisableRuleCommand({ Name: 'tick' }));
    await tw.world.runFor(3 * 60_000);
    expect(c.calls).toHaveLength(5);
    await tw.events.send(new EnableRuleCommand({ Name: 'tick' }));
    await tw.world.runFor(60_000);
    expect(c.calls).toHaveLength(6);
    await tw.events.send(new RemoveTargetsCommand({ Rule: 'tick', Ids: ['fn'] }));
    await tw.events.send(new DeleteRuleCommand({ Name: 'tick' }));
    await tw.world.runFor(3 * 60_000);
    expect(c.calls).toHaveLength(6);
  });

  it('fires cron expressions at their UTC minutes', async () => {
    const tw = await fresh();
    const c = collector(tw);
    await tw.events.send(new PutRuleCommand({ Name: 'q', ScheduleExpression: 'cron(0/15 * * * ? *)' }));
    await tw.events.send(new PutTargetsCommand({ Rule: 'q', Targets: [{ Id: 'fn', Arn: FN }] }));
    await tw.world.runFor(60 * 60_000, 60_000);
    expect(c.calls.map((x) => x.event.time)).toEqual([
      '2026-01-01T00:15:00Z',
      '2026-01-01T00:30:00Z',
      '2026-01-01T00:45:00Z',
      '2026-01-01T01:00:00Z',
    ]);
  });
});
