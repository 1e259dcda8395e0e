/**
 * ECS's task events through the task event queue (lib/task-queue.ts): a canary step of 20 tasks
 * starts them within a second, and their 20 RUNNING events reach the ecsEvent function in one batch
 * (or a few), which reads the service's record once and, behind a load balancer, calls nothing else;
 * the promotion's 20 scale-in stops of the primary likewise, each batch one record read (a cold
 * environment reads the record for them: at a canary step they may be a person's).
 */
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { expect, it } from 'vitest';
import { withHealthCheck } from '../../lib/observe.ts';
import { taskQueueName } from '../../lib/task-queue.ts';
import { AwsError } from '../../local/core/errors.ts';
import { usePipelineWorld } from '../helpers/pipeline-world.ts';

const pipeline = usePipelineWorld();

interface Batch {
  /** Each event as `web-canary RUNNING`, `web STOPPED ServiceSchedulerInitiated`. */
  events: string[];
  calls: string[];
}

const BATCH = Symbol('task batch');

/** `web-canary RUNNING`, `web STOPPED ServiceSchedulerInitiated`: one message's task event. */
function eventOf(body: string): string {
  const d = JSON.parse(body).detail;
  return `${d.group.replace('service:', '')} ${d.lastStatus}${d.stopCode ? ` ${d.stopCode}` : ''}`;
}

it('a burst of 20 task events reaches one invocation (or a few), each one record read', async () => {
  const t = await pipeline({
    latency: true,
    desiredCount: 20,
    target: {
      steps: [
        { percent: 50, bake: '2m' },
        { percent: 100, bake: '1m' },
      ],
    },
  });
  const { world } = t;
  // Every ecsEvent invocation with a batch: its events, and the AWS calls it made.
  const batches: Batch[] = [];
  const inner = world.functions.get(t.functionArns.ecsEvent!)!;
  world.functions.set(t.functionArns.ecsEvent!, async (event: any) => {
    if (!Array.isArray(event?.Records)) return inner(event);
    const batch: Batch = { events: event.Records.map((r: any) => eventOf(r.body)), calls: [] };
    batches.push(batch);
    const stack = world.tasks.stack<Batch>(BATCH);
    stack.push(batch);
    try {
      return await inner(event);
    } finally {
      stack.splice(stack.lastIndexOf(batch), 1);
    }
  });
  world.interceptors.push((service, operation) => {
    world.tasks.stack<Batch>(BATCH).at(-1)?.calls.push(`${service}:${operation}`);
  });

  world.ecr.push('web', 'v2');
  await world.runFor(15 * 60_000);

  const record = (await t.records()).find((r) => r.key === 'prod/web')!;
  expect(record.history.map((h) => h.outcome)).toEqual(['succeeded']);
  const of = (kind: string) => {
    const carrying = batches.filter((b) => b.events.includes(kind));
    return { batches: carrying, events: carrying.flatMap((b) => b.events.filter((e) => e === kind)) };
  };
  // The canary step's 20 tasks coming up: behind a load balancer they start nothing, and the record
  // says so (its rollout is loadBalanced): one GetItem per batch, nothing else.
  const up = of('web-canary RUNNING');
  expect(up.events).toHaveLength(20);
  expect(up.batches.length).toBeLessThanOrEqual(3);
  for (const b of up.batches) expect(b.calls).toEqual(['dynamodb:GetItem']);
  // The promotion's scale-in stops of the primary's 20 old tasks: at most one record read per batch.
  const stops = of('web STOPPED ServiceSchedulerInitiated');
  expect(stops.events).toHaveLength(20);
  expect(stops.batches.length).toBeLessThanOrEqual(5);
  for (const b of stops.batches)
    expect(b.calls.filter((c) => c === 'dynamodb:GetItem').length).toBeLessThanOrEqual(1);
}, 60_000);

it('retries only the messages of a service whose reconcile failed with an error retrying may fix', async () => {
  const t = await pipeline();
  const { world } = t;
  world.ecr.push('web', 'v2');
  await world.runFor(60_000);
  const rollout = (await t.records()).find((r) => r.key === 'prod/web')!.rollout!;
  const revision = rollout.taskDefinition!;
  // The push's write keeps whether the revision has a health check, for environments that have not read it.
  const td = await t.pipeline.options.clients.ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: revision }),
  );
  expect(rollout.healthCheck).toBe(withHealthCheck(td.taskDefinition));
  // A canary task of the rollout's revision that failed, as ECS tells it (from a real event's envelope).
  const logged = world.eventLog.find((e) => e.event['detail-type'] === 'ECS Task State Change')!.event as any;
  const event = (group: string, extra: object = {}) =>
    JSON.stringify({
      ...logged,
      detail: {
        ...logged.detail,
        group,
        taskArn: `${logged.detail.taskArn}0`,
        taskDefinitionArn: revision,
        lastStatus: 'STOPPED',
        desiredStatus: 'STOPPED',
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        version: 99,
        ...extra,
      },
    });
  const arn = world.arn('sqs', taskQueueName('ecs-autopilot'));
  const record = (messageId: string, body: string) => ({
    messageId,
    body,
    eventSource: 'aws:sqs',
    eventSourceARN: arn,
  });
  const batch = {
    Records: [
      record('failed', event('service:web-canary')),
      record('unreadable', '{"source":'),
      record('unmanaged', event('service:other')),
    ],
  };
  // ECS refuses the look for now: an error retrying may fix (not the pipeline's own permanent kind).
  const refuse = (service: string, operation: string) => {
    if (service === 'ecs' && operation === 'DescribeServices')
      throw new AwsError('AccessDeniedException', 'not for now');
  };
  world.interceptors.push(refuse);
  const refused = await t.pipeline.handleEvent(batch);
  expect(refused.batchItemFailures).toEqual([{ itemIdentifier: 'failed' }]);
  world.interceptors.splice(world.interceptors.indexOf(refuse), 1);
  // Delivered again, the failure rolls the rollout back in that invocation.
  const again = await t.pipeline.handleEvent({ Records: [batch.Records[0]] });
  expect(again.batchItemFailures).toBeUndefined();
  const after = (await t.records()).find((r) => r.key === 'prod/web')!;
  expect(after.rollout?.rollingBack ?? after.history.at(-1)).toMatchObject({
    reason: expect.stringMatching(/^1 new task failed: Essential container in task exited/),
  });
});
