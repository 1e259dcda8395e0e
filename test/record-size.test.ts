/**
 * The record's byte budget (lib/record-size.ts): a 5,000-task failure is written, read back and
 * closed into history through the real SDK against the local DynamoDB, far under the 400 KB item
 * limit, with the first failures in full and the rest counted by reason.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  newRecord,
  type Rollout,
  type ServiceRecord,
  summarize,
  type TaskFailure,
  withHistory,
} from '../lib/record.ts';
import {
  countedAmongFailures,
  FAILURES_KEPT,
  failureCount,
  fitRecord,
  foldFailuresBeyond,
  HISTORY_FAILURES_KEPT,
  RECORD_BUDGET_BYTES,
  RecordTooLargeError,
  recordBytes,
  shortTaskId,
} from '../lib/record-size.ts';
import { describeFailures, foldFailures } from '../lib/rollout/failures.ts';
import { sharedStoreWorld } from './helpers/world.ts';

const ITEM_LIMIT = 400 * 1024;
const hex = (n: number) => n.toString(16).padStart(32, '0');
const failure = (n: number, reason = 'Essential container in task exited'): TaskFailure => ({
  taskArn: `arn:aws:ecs:us-east-1:123456789012:task/prod/${hex(n)}`,
  taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:42',
  stoppedReason: reason,
  stopCode: 'EssentialContainerExited',
  container: 'web',
  exitCode: 1,
  at: 1_000 + n,
});
const failures = (n: number, from = 0) => Array.from({ length: n }, (_, i) => failure(from + i));

function rollout(fs: TaskFailure[]): Rollout {
  return {
    id: 'r1',
    image: { repository: 'web', tag: 'v2', digest: 'sha256:aa', uri: 'x/web@sha256:aa' },
    strategy: 'all-at-once',
    steps: [{ percent: 100, bakeMs: 60_000, startedAt: 1 }],
    stepIndex: 0,
    fromTaskDefinition: 'web:41',
    startedAt: 1,
    failures: fs,
    ignoredAlarms: [],
  };
}

describe('foldFailuresBeyond', () => {
  it.each([
    // [failures, kept, expected kept in full, expected counted beyond]
    [5, 20, 5, 0],
    [20, 20, 20, 0],
    [25, 20, 20, 5],
    [5000, 20, 20, 4980],
    [5000, 3, 3, 4997],
  ])('%i failures, %i kept -> %i in full, %i counted', (n, kept, full, beyond) => {
    const out = foldFailuresBeyond(failures(n), undefined, kept, true);
    expect(out.failures).toHaveLength(full);
    expect(out.beyond?.count ?? 0).toBe(beyond);
  });

  it('a failure seen again (decide re-adds what it does not find in the list) is not counted twice', () => {
    const once = foldFailuresBeyond(failures(25), undefined, 20, true);
    const again = foldFailuresBeyond([...once.failures, ...failures(25).slice(20)], once.beyond, 20, true);
    expect(again.beyond).toEqual(once.beyond);
    const more = foldFailuresBeyond([...again.failures, ...failures(3, 25)], again.beyond, 20, true);
    expect(more.beyond?.count).toBe(8);
  });

  it('counts by reason', () => {
    const fs = [...failures(20), failure(100, 'Task failed ELB health checks'), failure(101), failure(102)];
    expect(foldFailuresBeyond(fs, undefined, 20, true).beyond?.byReason).toEqual({
      'Task failed ELB health checks': 1,
      'Essential container in task exited': 2,
    });
  });

  it('short ids are the end of the task id', () => {
    expect(shortTaskId('arn:aws:ecs:us-east-1:123456789012:task/prod/0a1b2c3d4e5f60718293a4b5c6d7e8f9')).toBe(
      'c6d7e8f9',
    );
  });
});

describe('fitRecord', () => {
  it('a 5,000-task failure: the first failures in full, the rest counted, well under the budget', () => {
    const record: ServiceRecord = { ...newRecord('prod', 'web'), rollout: rollout(failures(5000)) };
    expect(recordBytes(record)).toBeGreaterThan(ITEM_LIMIT);
    const fitted = fitRecord(record);
    expect(fitted.rollout!.failures).toEqual(failures(FAILURES_KEPT));
    expect(failureCount(fitted.rollout!)).toBe(5000);
    expect(recordBytes(fitted)).toBeLessThan(RECORD_BUDGET_BYTES);
  });

  it('history keeps a few failures in full and the counts, and is bounded by bytes (oldest first)', () => {
    let record: ServiceRecord = newRecord('prod', 'web');
    for (let i = 0; i < 40; i++) {
      const r = { ...rollout(failures(5000, i * 5000)), id: `r${i}`, reason: 'x'.repeat(6000) };
      record = fitRecord(
        withHistory(
          record,
          summarize(fitRecord({ ...record, rollout: r }).rollout!, 'rolled_back', 'r'.repeat(8000), 2),
        ),
      );
    }
    expect(recordBytes(record)).toBeLessThanOrEqual(RECORD_BUDGET_BYTES);
    // Fewer than the 25 entries the count allows: the bytes bound it.
    expect(record.history.length).toBeLessThan(25);
    expect(record.history.length).toBeGreaterThan(5);
    const newest = record.history.at(-1)!;
    expect(newest.id).toBe('r39');
    expect(newest.failures).toHaveLength(HISTORY_FAILURES_KEPT);
    expect(failureCount(newest)).toBe(5000);
    expect(newest.failuresBeyond?.seen).toBeUndefined();
  });

  it('refuses what cannot fit even with history gone, rather than have DynamoDB refuse it', () => {
    const record: ServiceRecord = {
      ...newRecord('prod', 'web'),
      lastError: { message: 'e'.repeat(RECORD_BUDGET_BYTES), at: 1 },
    };
    expect(() => fitRecord(record)).toThrow(RecordTooLargeError);
  });
});

describe('a 5,000-task failure through the local DynamoDB', () => {
  const t = sharedStoreWorld();

  it('is written, read back, grows and closes into history, every item far under 400 KB', async () => {
    const itemBytes = async () => {
      const out = await t.dynamodb.send(
        new GetItemCommand({ TableName: 'records', Key: { pk: { S: 'service#prod/web' } } }),
      );
      return Buffer.byteLength(out.Item!.data!.S!, 'utf8');
    };
    const start = await t.store.get('prod', 'web');
    let record = await t.store.put({ ...start, rollout: rollout(failures(5000)) });
    expect(await t.store.get('prod', 'web')).toEqual(record);
    expect(await itemBytes()).toBeLessThan(RECORD_BUDGET_BYTES);
    // The next observation re-adds what it saw (5,000) plus 1,000 new: only the new are counted.
    const seen = [...record.rollout!.failures, ...failures(6000).slice(FAILURES_KEPT)];
    record = await t.store.put({ ...record, rollout: { ...record.rollout!, failures: seen } });
    expect(failureCount(record.rollout!)).toBe(6000);
    expect(record.rollout!.failuresBeyond?.byReason).toEqual({ 'Essential container in task exited': 5980 });
    // Rolled back: the rollout closes into history, which stays small.
    const closed = withHistory(
      { ...record, rollout: undefined },
      summarize(record.rollout!, 'rolled_back', '6000 new tasks failed', 9),
    );
    record = await t.store.put(closed);
    expect(await itemBytes()).toBeLessThan(20_000);
    expect(failureCount(record.history.at(-1)!)).toBe(6000);
  }, 60_000);
});

// The row of lib/record-size.ts countedAmongFailures's worked example.
it('countedAmongFailures: failures [a], beyond seen "b c" -> a, b, c counted; d not', () => {
  const counted = countedAmongFailures({
    failures: [failure(1)],
    failuresBeyond: {
      count: 2,
      byReason: {},
      seen: `${shortTaskId(failure(2).taskArn)} ${shortTaskId(failure(3).taskArn)}`,
    },
  });
  expect([1, 2, 3, 4].map((n) => counted(failure(n).taskArn))).toEqual([true, true, true, false]);
});

describe('failures past the first FAILURES_KEPT still count against failedTasks', () => {
  const view = (n: number) => ({
    taskArn: failure(n).taskArn,
    taskDefinition: failure(n).taskDefinition,
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    stoppedAt: 1_000 + n,
    containers: [{ name: 'web', exitCode: 1 }],
  });
  it('a look listing every stopped task adds only the new ones, and the count reads the folded ones', () => {
    // 25 failures written: 20 in full, 5 as ids and a count (what a record read back holds).
    const written = fitRecord({ ...newRecord('prod', 'web'), rollout: rollout(failures(25)) }).rollout!;
    expect(written.failures).toHaveLength(FAILURES_KEPT);
    expect(failureCount(written)).toBe(25);
    // A look lists all 25 again (ECS shows stopped tasks for about an hour) and 3 new ones.
    const added = foldFailures(
      written,
      Array.from({ length: 28 }, (_, i) => view(i)),
      failure(0).taskDefinition,
      5_000,
    );
    expect(added).toBe(3);
    expect(failureCount(written)).toBe(28);
    // Before, the rollback's threshold read the list alone: 23 of 28, under a failedTasks of 25.
    expect(describeFailures(written.failures, failureCount(written))).toMatch(/^28 new tasks failed: /);
  });
});
