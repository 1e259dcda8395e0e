/** The worked examples of lib/rollout/failures.ts rollbackInHand and countedInHand, one row each. */
import { describe, expect, it } from 'vitest';
import type { TaskView } from '../lib/observation.ts';
import type { Rollout } from '../lib/record.ts';
import { countedInHand, rollbackInHand } from '../lib/rollout/failures.ts';
import { canaryRollout, TD } from './helpers/rollout.ts';

const ARN = (id: string) => `arn:aws:ecs:us-east-1:123456789012:task/prod/${id.padStart(32, '0')}`;

/** A stop told by an event: web:4 exited 1 at 10 s, unless `extra` says otherwise. */
const stop = (id: string, extra: Partial<TaskView> = {}): TaskView => ({
  taskArn: ARN(id),
  taskDefinition: `${TD}web:4`,
  lastStatus: 'STOPPED',
  desiredStatus: 'STOPPED',
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
  stoppedAt: 10_000,
  version: 5,
  containers: [{ name: 'web', exitCode: 1 }],
  ...extra,
});
const rollout = (extra: Partial<Rollout> = {}) => canaryRollout(4, { startedAt: 1_000, ...extra });
const counted = { taskArn: ARN('c'), taskDefinition: `${TD}web:4`, stoppedReason: 'x', at: 0 };

describe('rollbackInHand: the told stops roll back on their own', () => {
  it.each<[string, Rollout | undefined, TaskView[], number, boolean]>([
    ['failedTasks 1, a stop of web:4 (exit 1), the rollout of web:4', rollout(), [stop('a')], 1, true],
    [
      'failedTasks 1, a scale-in stop of web:4',
      rollout(),
      [
        stop('a', {
          stopCode: 'ServiceSchedulerInitiated',
          stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/1)',
          containers: [{ name: 'web', exitCode: 0 }],
        }),
      ],
      1,
      false,
    ],
    [
      'failedTasks 1, a stop of web:3 (exit 1)',
      rollout(),
      [stop('a', { taskDefinition: `${TD}web:3` })],
      1,
      false,
    ],
    [
      'failedTasks 3, 1 counted, 2 new failures told',
      rollout({ failures: [counted] }),
      [stop('a'), stop('b')],
      3,
      true,
    ],
    ['failedTasks 3, 1 new failure told', rollout(), [stop('a')], 3, false],
    [
      'failedTasks 1, a failure stopped before the rollout began',
      rollout(),
      [stop('a', { stoppedAt: 500 })],
      1,
      false,
    ],
    [
      'failedTasks 1, rolling back already',
      rollout({ rollingBack: { reason: 'x', at: 0, toTaskDefinition: `${TD}web:3` } }),
      [stop('a')],
      1,
      false,
    ],
    [
      'failedTasks 1, the revision not registered yet',
      rollout({ taskDefinition: undefined }),
      [stop('a')],
      1,
      false,
    ],
    ['no rollout', undefined, [stop('a')], 1, false],
    ['nothing told', rollout(), [], 1, false],
  ])('%s -> %s', (_, r, stops, failedTasks, inHand) => {
    expect(rollbackInHand(r, stops, failedTasks)).toBe(inHand);
  });

  it('counts on a copy: the rollout keeps its failures as they were', () => {
    const r = rollout();
    rollbackInHand(r, [stop('a')], 1);
    expect(r.failures).toEqual([]);
  });
});

describe('countedInHand: failures that only count', () => {
  const NOW = 60_000;
  const baking = { percent: 10, bakeMs: 300_000, startedAt: 1_000, healthyAt: 30_000 };
  const scaleIn = stop('a', {
    stopCode: 'ServiceSchedulerInitiated',
    stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/1)',
    containers: [{ name: 'web', exitCode: 0 }],
  });
  const failure = (f: { taskArn: string }) => f.taskArn.slice(-1);
  it.each<[string, Rollout | undefined, TaskView[], TaskView[], string[] | undefined]>([
    ['failedTasks 3, a failure of web:4 told, none before', rollout(), [stop('a')], [stop('a')], ['a']],
    [
      'failedTasks 3, a failure told, 2 held (it rolls back in hand)',
      rollout(),
      [stop('a')],
      [stop('a'), stop('b'), stop('d')],
      undefined,
    ],
    [
      'failedTasks 3, a failure told twice (counted already)',
      rollout({ failures: [counted] }),
      [stop('c')],
      [],
      ['c'],
    ],
    ['failedTasks 3, a scale-in stop of web:4 told', rollout(), [scaleIn], [scaleIn], undefined],
    [
      'failedTasks 3, a failure of web:3 told',
      rollout(),
      [stop('a', { taskDefinition: `${TD}web:3` })],
      [],
      undefined,
    ],
    [
      'failedTasks 3, rolling back',
      rollout({ rollingBack: { reason: 'x', at: 0, toTaskDefinition: `${TD}web:3` } }),
      [stop('a')],
      [stop('a')],
      undefined,
    ],
    ['failedTasks 3, nothing told', rollout(), [], [], undefined],
  ])('%s', (_, r, told, held, failures) => {
    const got = countedInHand(r, told, held, 3, NOW);
    expect(got?.failures.map(failure)).toEqual(failures);
  });

  it('failedTasks 3, the step baking, a failure told: counted, and the step bakes again', () => {
    const got = countedInHand(rollout({ steps: [baking] }), [stop('a')], [stop('a')], 3, NOW)!;
    expect(got.failures.map(failure)).toEqual(['a']);
    expect(got.steps[0]!.healthyAt).toBeUndefined();
    expect(got.steps[0]!.unhealthySince).toBe(NOW);
  });

  it('counts on a copy', () => {
    const r = rollout({ steps: [baking] });
    countedInHand(r, [stop('a')], [stop('a')], 3, NOW);
    expect(r.failures).toEqual([]);
    expect(r.steps[0]!.healthyAt).toBe(30_000);
  });
});
