/**
 * Observe sees a big service whole: ListTasks pages at 100 ARNs with a nextToken, DescribeTasks
 * takes 100 tasks a call, DescribeAlarms pages with NextToken (lib/observe.ts cites the limits).
 * Real SDK clients against the local AWS, which pages as AWS does (checked first).
 */
import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { ListTasksCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../lib/aws.ts';
import type { TargetConfig } from '../lib/config.ts';
import { ObserveMemory, observe } from '../lib/observe.ts';
import type { ServiceRecord } from '../lib/record.ts';
import { runUntil, sharedWorld } from './helpers/world.ts';
import {
  createCluster,
  createService,
  describe as describeService,
  NETWORK,
  pushImage,
  registerFargate,
} from './local/ecs-fixtures.ts';

const TASKS = 230;
const ALARMS = 130;

const t = sharedWorld();
let revision: string;

beforeAll(async () => {
  await createCluster(t.ecs);
  const image = pushImage(t.world, 'web', 'v1');
  revision = await registerFargate(t.ecs, 'web', image);
  await createService(t.ecs, { serviceName: 'web', taskDefinition: revision, desiredCount: TASKS });
  await runUntil(t.world, async () => (await describeService(t.ecs, 'web')).runningCount === TASKS, 600_000);
  for (let i = 0; i < ALARMS; i++) {
    await t.cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: `gate-${String(i).padStart(3, '0')}`,
        Namespace: 'App',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    );
  }
}, 300_000);

/** The pipeline's clients against the shared world, one attempt a call. */
function localClients() {
  return createClients({
    endpoint: t.endpoint,
    region: t.world.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

function target(gateAlarms: string[]): TargetConfig {
  return { cluster: 'prod', service: 'web', gateAlarms } as unknown as TargetConfig;
}

/** A rollout promoted to 100%: observe watches the primary's tasks of the new revision. */
function promoted(): ServiceRecord {
  return {
    key: 'prod/web',
    cluster: 'prod',
    service: 'web',
    rollout: {
      steps: [{ percent: 100, bakeMs: 0 }],
      stepIndex: 0,
      taskDefinition: revision,
      fromTaskDefinition: revision,
      failures: [],
      ignoredAlarms: [],
    },
  } as unknown as ServiceRecord;
}

describe('observe pages every listing', () => {
  it('the local ECS pages ListTasks at maxResults 100 with a nextToken, as AWS does', async () => {
    const first = await t.ecs.send(
      new ListTasksCommand({ cluster: 'prod', serviceName: 'web', maxResults: 100 }),
    );
    expect(first.taskArns).toHaveLength(100);
    expect(first.nextToken).toBeTruthy();
    const second = await t.ecs.send(
      new ListTasksCommand({
        cluster: 'prod',
        serviceName: 'web',
        maxResults: 100,
        nextToken: first.nextToken,
      }),
    );
    expect(second.taskArns).toHaveLength(100);
    expect(new Set([...first.taskArns!, ...second.taskArns!]).size).toBe(200);
  });

  it(`sees all ${TASKS} tasks and all ${ALARMS} gate alarms, by prefix and by name`, async () => {
    const clients = localClients();
    const byPrefix = await observe(clients, target(['gate-*']), promoted(), {});
    const running = byPrefix.observation.tasks.filter((x) => x.lastStatus === 'RUNNING');
    expect(running).toHaveLength(TASKS);
    expect(new Set(running.map((x) => x.taskArn)).size).toBe(TASKS);
    expect(byPrefix.observation.alarms).toHaveLength(ALARMS);

    const names = Array.from({ length: ALARMS }, (_, i) => `gate-${String(i).padStart(3, '0')}`);
    const byName = await observe(
      clients,
      target(names),
      promoted(),
      {},
      new ObserveMemory(() => t.world.now()),
    );
    expect(byName.observation.alarms.map((a) => a.name).sort()).toEqual(names);
  });
});

describe('what a cold environment takes from the record', () => {
  it("the revision's health check as the rollout keeps it, without DescribeTaskDefinition; read once when not kept", async () => {
    const clients = localClients();
    const described = () => t.world.apiCalls['ecs:DescribeTaskDefinition'] ?? 0;
    const cold = () => new ObserveMemory(() => t.world.now());
    const before = described();
    // The revision has no container health check: a record saying it has one shows whose word counts.
    const record = promoted();
    const kept = await observe(
      clients,
      target([]),
      { ...record, rollout: { ...record.rollout!, healthCheck: true } },
      {},
      cold(),
    );
    expect(kept.observation.hasHealthCheck).toBe(true);
    expect(described() - before).toBe(0);
    const read = await observe(clients, target([]), promoted(), {}, cold());
    expect(read.observation.hasHealthCheck).toBe(false);
    expect(described() - before).toBe(1);
  });
});

// Last: it adds a canary and a task of its own to the shared world.
describe('the canary and the primary watched at once', () => {
  it('one family listing for both, keeping only their tasks (not a task run on its own from the revision)', async () => {
    const clients = localClients();
    await createService(t.ecs, { serviceName: 'web-canary', taskDefinition: revision, desiredCount: 2 });
    const own = await t.ecs.send(
      new RunTaskCommand({ cluster: 'prod', taskDefinition: revision, networkConfiguration: NETWORK }),
    );
    const migration = own.tasks![0]!.taskArn!;
    await runUntil(
      t.world,
      async () => (await describeService(t.ecs, 'web-canary')).runningCount === 2,
      600_000,
    );
    const lists = t.world.apiCalls['ecs:ListTasks'] ?? 0;
    const seen = await observe(clients, target([]), promoted(), {});
    const arns = seen.observation.tasks.map((x) => x.taskArn);
    expect(arns).toHaveLength(TASKS + 2);
    expect(arns).not.toContain(migration);
    // 233 tasks of the family, 100 a page: 3 ListTasks, not 3 for the primary and 1 for the canary.
    expect((t.world.apiCalls['ecs:ListTasks'] ?? 0) - lists).toBe(3);
  });
});
