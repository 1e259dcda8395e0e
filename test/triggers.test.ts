import { describe, expect, it } from 'vitest';
import { parseTrigger } from '../lib/triggers.ts';
import { fixture } from './helpers/fixtures.ts';

const sample = (name: string) => fixture<any>(name);

describe('parseTrigger: the real AWS samples, unchanged', () => {
  it('ECR image push', () => {
    expect(parseTrigger(sample('ecr-image-push.json'))).toEqual({
      kind: 'push',
      pushedAt: Date.parse('2019-11-16T01:54:34Z'),
      repository: 'my-repository-name',
      tag: 'latest',
      digest: 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234',
      registry: '123456789012.dkr.ecr.us-west-2.amazonaws.com',
      region: 'us-west-2',
      account: '123456789012',
    });
  });

  it('ECS task state change of a task that belongs to no service is ignored with its reason', () => {
    const t = parseTrigger(sample('ecs-task-state-running.json'));
    expect(t).toEqual({
      kind: 'ignored',
      reason: expect.stringMatching(/belongs to no service \(group family:sample-fargate\)/),
    });
  });

  it('ECS task state change of a service task names its cluster and service', () => {
    const e = sample('ecs-task-state-running.json');
    e.detail.group = 'service:web-canary';
    expect(parseTrigger(e)).toMatchObject({
      kind: 'service',
      source: 'task',
      cluster: 'FargateCluster',
      service: 'web-canary',
      task: { lastStatus: 'RUNNING', version: 4 },
    });
  });

  it('ECS deployment state change with the old service ARN format (no cluster in it)', () => {
    const e = sample('ecs-deployment-state-change-failed.json');
    e.resources = ['arn:aws:ecs:us-west-2:111122223333:service/web'];
    expect(parseTrigger(e)).toMatchObject({ cluster: undefined, service: 'web' });
  });

  it.each([
    [
      'ECS deployment state change',
      'ecs-deployment-state-change-failed.json',
      {
        kind: 'service',
        source: 'deployment',
        cluster: 'default',
        service: 'servicetest',
        detail: 'SERVICE_DEPLOYMENT_FAILED',
      },
    ],
    [
      'CloudWatch alarm state change as an EventBridge event',
      'cloudwatch-alarm-state-change-alarm.json',
      {
        kind: 'alarm',
        alarmName: 'ServerCpuTooHigh',
        state: 'ALARM',
        previousState: 'OK',
        shape: 'eventbridge',
      },
    ],
  ])('%s', (_, file, expected) => {
    expect(parseTrigger(sample(file))).toMatchObject(expected);
  });
});

it("an alarm's previous state, since when and why: an OK that left an ALARM whose own event was lost says so", () => {
  // AWS's sample (test/fixtures/events): previousState { value, reason, timestamp }.
  expect(parseTrigger(sample('cloudwatch-alarm-state-change-alarm.json'))).toMatchObject({
    previousState: 'OK',
    previousAt: Date.parse('2019-10-01T13:56:40.987Z'),
    previousReason: expect.stringMatching(/^Threshold Crossed: 1 out of the last 1 datapoints/),
  });
});

describe('parseTrigger: the other alarm shapes', () => {
  const notification = {
    AlarmName: 'web-5xx',
    NewStateValue: 'ALARM',
    OldStateValue: 'OK',
    NewStateReason: 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (10.0).',
    StateChangeTime: '2026-01-01T00:05:00.000+0000',
  };
  const snsEvent = {
    Records: [
      { EventSource: 'aws:sns', Sns: { Type: 'Notification', Message: JSON.stringify(notification) } },
    ],
  };
  const lambdaAction = {
    source: 'aws.cloudwatch',
    alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx',
    accountId: '123456789012',
    time: '2026-01-01T00:05:00.000+0000',
    region: 'us-east-1',
    alarmData: {
      alarmName: 'web-5xx',
      state: { value: 'ALARM', reason: 'r' },
      previousState: { value: 'OK' },
    },
  };
  it.each([
    ['an SNS notification wrapped in the SNS Lambda event', snsEvent, 'sns'],
    ["an alarm's Lambda action payload", lambdaAction, 'lambda-action'],
  ])('%s', (_, event, shape) => {
    expect(parseTrigger(event)).toMatchObject({ kind: 'alarm', alarmName: 'web-5xx', state: 'ALARM', shape });
  });
});

describe('parseTrigger: bad input gets a specific reason', () => {
  it.each([
    [null, /null, not an object/],
    ['{"detail-type":', /string, not an object/],
    [{}, /no "detail-type" or "source"/],
    [{ source: 'aws.ecr', 'detail-type': 'ECR Image Action' }, /no detail object/],
    [
      {
        source: 'aws.ecr',
        'detail-type': 'ECR Image Action',
        detail: { 'action-type': 'PUSH', result: 'SUCCESS' },
      },
      /without repository-name/,
    ],
    [
      {
        source: 'aws.ecr',
        'detail-type': 'ECR Image Action',
        account: '1',
        region: 'r',
        detail: {
          'action-type': 'PUSH',
          result: 'SUCCESS',
          'repository-name': 'web',
          'image-digest': 'md5:abc',
        },
      },
      /not a sha256 digest/,
    ],
    [{ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }, /unexpected event: source "aws.s3"/],
    [{ Records: [{ Sns: { Message: 'not json' } }] }, /not JSON/],
    [
      { source: 'aws.ecs', 'detail-type': 'ECS Task State Change', detail: { clusterArn: 'c' } },
      /without clusterArn, taskArn or lastStatus/,
    ],
  ])('%j', (event, reason) => {
    const t = parseTrigger(event);
    expect(t.kind).toBe('invalid');
    expect((t as { reason: string }).reason).toMatch(reason);
  });

  it('rejects an event over 256 KB', () => {
    const huge = {
      source: 'aws.ecr',
      'detail-type': 'ECR Image Action',
      detail: { pad: 'x'.repeat(300 * 1024) },
    };
    expect(parseTrigger(huge)).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/256 KB/) });
  });

  it('a failed push or a deletion is ignored, not invalid', () => {
    const e = sample('ecr-image-push.json');
    e.detail.result = 'FAILURE';
    expect(parseTrigger(e).kind).toBe('ignored');
    e.detail['action-type'] = 'DELETE';
    expect(parseTrigger(e).kind).toBe('ignored');
  });
});

describe('parseTrigger: a batch from the task event queue', () => {
  const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:ecs-autopilot-prod-task-events';
  const record = (messageId: string, body: string, eventSourceARN = QUEUE) => ({
    messageId,
    receiptHandle: 'x',
    body,
    attributes: {},
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN,
    awsRegion: 'us-east-1',
  });
  const task = (group: string) => {
    const e = sample('ecs-task-state-running.json');
    e.detail.group = group;
    return JSON.stringify(e);
  };

  it('reads each message on its own: a task event, an unreadable body, another event, a task of no service', () => {
    const t = parseTrigger({
      Records: [
        record('m1', task('service:web')),
        record('m2', 'not json'),
        record('m3', JSON.stringify(sample('ecr-image-push.json'))),
        record('m4', task('family:sample-fargate')),
        record(
          'm5',
          JSON.stringify({ ...JSON.parse(task('service:web')), detail: { group: 'service:web' } }),
        ),
      ],
    });
    expect(t).toEqual({
      kind: 'tasks',
      messages: [
        {
          id: 'm1',
          event: expect.objectContaining({ kind: 'service', service: 'web', task: expect.any(Object) }),
        },
        { id: 'm2', event: { invalid: expect.stringMatching(/^message m2: body is not JSON/) } },
        {
          id: 'm3',
          event: {
            invalid:
              'message m3: not an ECS Task State Change (source "aws.ecr", detail-type "ECR Image Action")',
          },
        },
        { id: 'm4', event: { ignored: expect.stringMatching(/^message m4: task .* belongs to no service/) } },
        {
          id: 'm5',
          event: { invalid: expect.stringMatching(/^message m5: .*: task event without clusterArn/) },
        },
      ],
    });
  });

  it('a full batch (100 task events, over 256 KB together) is read message by message, each within the limit', () => {
    // The fixture's task with a sidecar beside its container: some 3.2 KB, as real events run.
    const withSidecar = sample('ecs-task-state-running.json');
    withSidecar.detail.group = 'service:web';
    withSidecar.detail.containers.push({ ...withSidecar.detail.containers[0], name: 'envoy' });
    const body = JSON.stringify(withSidecar);
    const records = Array.from({ length: 100 }, (_, i) => record(`m${i}`, body));
    expect(Buffer.byteLength(JSON.stringify({ Records: records }))).toBeGreaterThan(256 * 1024);
    const t = parseTrigger({ Records: records });
    expect(t.kind).toBe('tasks');
    const messages = (t as Extract<typeof t, { kind: 'tasks' }>).messages;
    expect(messages).toHaveLength(100);
    for (const m of messages) expect(m.event).toMatchObject({ kind: 'service', service: 'web' });
  });

  it('a message over 256 KB is invalid on its own; the rest of the batch is read', () => {
    const big = sample('ecs-task-state-running.json');
    big.detail.stoppedReason = 'x'.repeat(300 * 1024);
    const t = parseTrigger({
      Records: [record('ok', task('service:web')), record('big', JSON.stringify(big))],
    });
    const messages = (t as Extract<typeof t, { kind: 'tasks' }>).messages;
    expect(messages[0]!.event).toMatchObject({ kind: 'service' });
    expect(messages[1]!.event).toEqual({ invalid: expect.stringMatching(/^message big: .*256 KB limit/) });
  });

  it('tells the wake queue from the task event queue by the queue it came from', () => {
    const woken = parseTrigger({ Records: [record('w1', '{}', QUEUE.replace('task-events', 'wake'))] });
    expect(woken.kind).toBe('wake');
  });
});
