/**
 * Items 2 and 3: a good release of a 20-task service, on the virtual clock.
 *
 *   - the pipeline's canary with the default steps (10% 5m, 50% 5m, 100% 2m): push → succeeded,
 *     against the sum of the bakes (the rest is overhead: tasks starting, health checks, reaction);
 *   - the pipeline's rolling strategy (default bake 5m), the same way;
 *   - ECS's own rolling update: UpdateService → the deployment COMPLETED.
 *
 * And what each costs: AWS API calls by operation and Lambda invocations from push to success, then
 * one idle virtual hour (no rollout in flight): calls, DynamoDB reads and their capacity units.
 */
import { QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DEFAULT_CANARY_STEPS, DEFAULT_FULL_SHIFT_BAKE_MS } from '../lib/steps.ts';
import { OUTSTANDING_INDEX } from '../lib/store.ts';
import { type CallsByTrigger, countCallsByTrigger } from './calls-by-trigger.ts';
import { DESIRED, LOAD } from './damage.ts';
import { type BenchWorld, benchWorld, callsSince, MIN, registerRevision } from './world.ts';

export interface StepTiming {
  percent: number;
  bakeMs: number;
  /** step start → next step (or success) */
  durationMs: number;
  /** durationMs − bakeMs: starting the step's tasks, their health checks, the pipeline's reaction */
  overheadMs: number;
}

export interface GoodRelease {
  durationMs: number;
  bakesMs: number;
  steps: StepTiming[];
  /** push → the primary's ECS deployment of the new revision COMPLETED */
  primaryCompletedMs?: number;
  calls: Record<string, number>;
  /** The same calls by the trigger that made them (bench/calls-by-trigger.ts). */
  byTrigger?: CallsByTrigger['byTrigger'];
  invocations: Record<string, number>;
  errors: number;
  realMs: number;
}

export interface IdleHour {
  services: number;
  calls: Record<string, number>;
  invocations: Record<string, number>;
  dynamodbReads: number;
  /** Read capacity units of the reads in the hour (the sweep's Query of the sparse index, GetItems). */
  readCapacityUnits: number;
  /** What one Scan of the whole table would cost (the read of the one-minute tick before the sweep), RCU. */
  scanCapacityUnits: number;
  /** What one sweep's Query of the `outstanding` index costs, RCU. */
  queryCapacityUnits: number;
  recordBytes: number;
  /** Slack messages waiting in the records when the rollouts had ended, and an hour later. */
  outboxAtStart: number;
  outboxAtEnd: number;
  /** From the end of the rollouts to the first quiet minute (undefined: not within the wait). */
  quietAfterMs?: number;
}

const DYNAMO_READS = ['dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:Query', 'dynamodb:BatchGetItem'];
/** What an idle sweep calls (the Scan: a world whose pipeline still ticks). */
const SWEEP_READS = ['dynamodb:Query', 'dynamodb:Scan', 'ecr:DescribeImages'];

export async function goodRelease(
  strategy: 'canary' | 'rolling',
  idle: boolean,
  /** More target fields (a gate alarm: `{ gateAlarms: ['web-5xx'] }`, with the world's 5xx alarm). */
  more: Record<string, unknown> = {},
  /** The config's `sweep` (default: the config's default). */
  sweep?: string,
  /** The world's seed (its latency draws: which of two events at one moment is handled first). */
  seed = `good-${strategy}`,
): Promise<{ release: GoodRelease; idle?: IdleHour }> {
  const real0 = performance.now();
  const b = await benchWorld({
    seed,
    desiredCount: DESIRED,
    load: LOAD,
    ...(more.gateAlarms !== undefined && { alarms: true }),
    pipeline: { ...(strategy === 'rolling' ? { strategy: 'rolling' } : {}), ...more },
    ...(sweep !== undefined && { sweep }),
  });
  try {
    const { world } = b;
    const p = b.pipeline!;
    const counted = countCallsByTrigger(world);
    const inv0 = { ...b.invocations };
    const t0 = world.now();
    world.ecr.push('web', 'v2');
    let done: number | undefined;
    let invocations: Record<string, number>;
    try {
      while (done === undefined && world.now() - t0 < 60 * MIN) {
        await world.runFor(1000);
        done = p.notices.find((n) => n.notice.kind === 'succeeded')?.at;
      }
      invocations = diff(b.invocations, inv0);
      // The invocation that told "succeeded" still records its Slack message: counted to its end
      // (a minute of virtual time; none that starts after the notice is).
      counted.closeNew();
      await world.runFor(MIN);
    } finally {
      counted.stop();
    }
    if (done === undefined) throw new Error(`the good ${strategy} release did not succeed within an hour`);
    const calls = counted.total();
    const steps = stepTimings(b, done);
    const rev = world.ecs.families.get('web')!.at(-1)!.arn;
    const completed = world.ecs
      .service('prod', 'web')!
      .history.find((d) => d.taskDefinitionArn === rev && d.rolloutState === 'COMPLETED')?.finishedAt;
    const release: GoodRelease = {
      durationMs: done - t0,
      bakesMs:
        strategy === 'canary'
          ? DEFAULT_CANARY_STEPS.reduce((s, x) => s + x.bakeMs, 0)
          : DEFAULT_FULL_SHIFT_BAKE_MS,
      steps,
      primaryCompletedMs: completed === undefined ? undefined : completed - t0,
      calls,
      byTrigger: counted.byTrigger,
      invocations,
      errors: b.functionErrors.length + b.problems.length,
      realMs: 0,
    };
    release.realMs = performance.now() - real0;
    return { release, idle: idle ? await idleHour(b) : undefined };
  } finally {
    await b.stop();
  }
}

function stepTimings(b: BenchWorld, doneAt: number): StepTiming[] {
  const starts = b.pipeline!.notices.filter((n) => n.notice.kind === 'step');
  return starts.map((s, i) => {
    const n = s.notice as Extract<typeof s.notice, { kind: 'step' }>;
    const bakeMs = n.rollout.steps[n.stepIndex]!.bakeMs;
    const end = starts[i + 1]?.at ?? doneAt;
    return { percent: n.percent, bakeMs, durationMs: end - s.at, overheadMs: end - s.at - bakeMs };
  });
}

/**
 * One virtual hour with no rollout in flight, once the last rollout's stragglers have passed (the
 * canary scaling in, its STOPPED events, Slack's outbox draining): after the first whole minute
 * with nothing but the sweep's own reads (its Query of the `outstanding` index, ECR's DescribeImages
 * when `missedPushCheck` is due), or after `maxWaitMs`.
 */
export async function idleHour(b: BenchWorld, maxWaitMs = 30 * MIN): Promise<IdleHour> {
  const { world } = b;
  const outboxAtStart = await slackBacklog(b);
  const wait0 = world.now();
  let quietAfterMs: number | undefined;
  while (world.now() - wait0 < maxWaitMs) {
    const before = { ...world.apiCalls };
    await world.runFor(MIN);
    const calls = callsSince(world, before);
    if (Object.keys(calls).every((k) => SWEEP_READS.includes(k))) {
      quietAfterMs = world.now() - wait0 - MIN;
      break;
    }
  }
  const calls0 = { ...world.apiCalls };
  const inv0 = { ...b.invocations };
  await world.runFor(60 * MIN);
  const calls = callsSince(world, calls0);
  const invocations = diff(b.invocations, inv0);
  const dynamodbReads = DYNAMO_READS.reduce((s, k) => s + (calls[k] ?? 0), 0);
  // What the reads cost, asked of the table itself (after the count): the sweep's Query, and a
  // Scan of the whole table (the one-minute tick's read before the sweep, which the scale section reads).
  const dynamodb = b.pipeline!.pipeline.options.clients.dynamodb;
  const out = await dynamodb.send(
    new ScanCommand({ TableName: 'ecs-autopilot', ReturnConsumedCapacity: 'TOTAL' }),
  );
  const perScan = out.ConsumedCapacity?.CapacityUnits ?? 0;
  const query = await dynamodb.send(
    new QueryCommand({
      TableName: 'ecs-autopilot',
      IndexName: OUTSTANDING_INDEX,
      KeyConditionExpression: '#o = :o',
      ExpressionAttributeNames: { '#o': OUTSTANDING_INDEX },
      ExpressionAttributeValues: { ':o': { S: 'work' } },
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  const perQuery = query.ConsumedCapacity?.CapacityUnits ?? 0;
  const recordBytes = (out.Items ?? []).reduce((s, i) => s + (i.data?.S?.length ?? 0), 0);
  return {
    services: b.services.length,
    calls,
    invocations,
    dynamodbReads,
    readCapacityUnits:
      (calls['dynamodb:Scan'] ?? 0) * perScan +
      (calls['dynamodb:Query'] ?? 0) * perQuery +
      (calls['dynamodb:GetItem'] ?? 0) * 1,
    scanCapacityUnits: perScan,
    queryCapacityUnits: perQuery,
    recordBytes,
    outboxAtStart,
    quietAfterMs,
    outboxAtEnd: await slackBacklog(b),
  };
}

/** Slack messages queued in the records and not sent yet (read in-process from dynalite's copy: one Scan, after any count). */
export async function slackBacklog(b: BenchWorld): Promise<number> {
  const records = await b.pipeline!.store.list();
  return records.reduce((s, r) => s + (r.outbox?.length ?? 0), 0);
}

/** ECS's own rolling update of the same service: UpdateService → the deployment COMPLETED. */
export async function ecsRollingUpdate(): Promise<{ durationMs: number; realMs: number }> {
  const real0 = performance.now();
  const b = await benchWorld({ seed: 'good-ecs', desiredCount: DESIRED, load: LOAD });
  try {
    const { world } = b;
    world.ecr.push('web', 'v2');
    const rev = await registerRevision(world, 'v2', false);
    const t0 = world.now();
    await world.ecs.operations.UpdateService!({ cluster: 'prod', service: 'web', taskDefinition: rev });
    const svc = world.ecs.service('prod', 'web')!;
    const deployment = svc.deployments[0]!;
    while (deployment.rolloutState === 'IN_PROGRESS' && world.now() - t0 < 60 * MIN) await world.runFor(1000);
    if (deployment.rolloutState !== 'COMPLETED')
      throw new Error(`ECS rolling update ended ${deployment.rolloutState}`);
    return { durationMs: deployment.finishedAt! - t0, realMs: performance.now() - real0 };
  } finally {
    await b.stop();
  }
}

function diff(now: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(now)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}
