/** The worked examples of lib/rollout/step.ts, one row each. */
import { describe, expect, it } from 'vitest';
import type { Observation, ServiceView, TaskView } from '../lib/observation.ts';
import { MISSING_SERVICE } from '../lib/observation.ts';
import type { Approval, Rollout } from '../lib/record.ts';
import {
  approvalDeadline,
  approvalLeftMs,
  type DecisionSubject,
  decisionSubject,
  type GateVerdict,
  gateVerdict,
  needsApproval,
  resumedWait,
} from '../lib/rollout/approval.ts';
import {
  failedOnPlacement,
  retryWithinRoom,
  roomSeen,
  tradeProgress,
  unplacedOf,
} from '../lib/rollout/capacity.ts';
import type { DecisionTarget } from '../lib/rollout/decision.ts';
import {
  rollbackOverdue,
  rollbackRestored,
  stuckOnRoom,
  stuckRollbackDeployment,
} from '../lib/rollout/rollback.ts';
import {
  awaitingService,
  baked,
  canaryReady,
  floorLeansOnCanary,
  gainedHealthyTask,
  healthyTasks,
  missingGates,
  pastDeadline,
  primaryHealthy,
  promoted,
  promotedAsRoomAllows,
  servingFrom,
  servingTasks,
  steadyOn,
  stepReady,
  stillStarting,
} from '../lib/rollout/step.ts';
import * as math from '../lib/rollout-math.ts';

const REV = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:2';
const OLD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1';
const S = 1000;
const MIN = 60 * S;

const task = (extra: Partial<TaskView>): TaskView => ({
  taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/prod/1',
  taskDefinition: REV,
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  healthStatus: 'HEALTHY',
  containers: [{ name: 'web' }],
  ...extra,
});

describe('healthyTasks', () => {
  it.each([
    ['RUNNING/RUNNING HEALTHY, check', task({}), true, 1],
    ['RUNNING/RUNNING UNKNOWN, check', task({ healthStatus: 'UNKNOWN' }), true, 0],
    ['RUNNING/RUNNING UNKNOWN, no check', task({ healthStatus: 'UNKNOWN' }), false, 1],
    ['RUNNING/STOPPED HEALTHY (being stopped)', task({ desiredStatus: 'STOPPED' }), true, 0],
    ['another revision', task({ taskDefinition: OLD }), true, 0],
    ['RUNNING/RUNNING HEALTHY, not in service', task({ inService: false }), true, 0],
    ['RUNNING/RUNNING HEALTHY, in service', task({ inService: true }), true, 1],
  ])('%s -> %i', (_, t, check, n) => {
    expect(healthyTasks([t], REV, check)).toBe(n);
  });
});

describe('servingTasks', () => {
  const NOW = Date.parse('2026-01-01T10:00:41Z');
  const bare = { hasHealthCheck: false, loadBalanced: false };
  const since = (iso: string) => Date.parse(`2026-01-01T${iso}Z`);
  it.each([
    [
      'no check, no load balancer, RUNNING for 41 s',
      task({ healthStatus: 'UNKNOWN', startedAt: since('10:00:00') }),
      bare,
      1,
    ],
    [
      'no check, no load balancer, RUNNING for 10 s',
      task({ healthStatus: 'UNKNOWN', startedAt: since('10:00:31') }),
      bare,
      0,
    ],
    ['no check, no load balancer, RUNNING, start not told', task({ healthStatus: 'UNKNOWN' }), bare, 1],
    [
      'container check HEALTHY, RUNNING for 10 s',
      task({ startedAt: since('10:00:31') }),
      { hasHealthCheck: true, loadBalanced: false },
      1,
    ],
    [
      'behind a load balancer, in service, RUNNING for 10 s',
      task({ healthStatus: 'UNKNOWN', inService: true, startedAt: since('10:00:31') }),
      { hasHealthCheck: false, loadBalanced: true },
      1,
    ],
    [
      'no check, no load balancer, RUNNING/STOPPED',
      task({ healthStatus: 'UNKNOWN', desiredStatus: 'STOPPED', startedAt: since('10:00:00') }),
      bare,
      0,
    ],
  ])('%s -> %i', (_, t, checks, n) => {
    expect(servingTasks([t], REV, checks, NOW)).toBe(n);
  });
});

describe('floorLeansOnCanary', () => {
  it.each([
    ['canary 2, primary 1 of 3, room 4', 2, 1, 3, 4, true],
    ['canary 18, primary 2 of 10, no room', 18, 2, 10, undefined, true],
    ['canary 1, primary 10 of 10, no room', 1, 10, 10, undefined, false],
    ['no canary, primary 150 of 150, room 152', 0, 150, 150, 152, false],
  ])('%s -> %s', (_, canary, primary, total, room, want) => {
    expect(floorLeansOnCanary(canary, primary, total, room)).toBe(want);
  });
});

describe('servingFrom', () => {
  const bare = { hasHealthCheck: false, loadBalanced: false };
  const at = (iso: string) => Date.parse(`2026-01-01T${iso}Z`);
  const up = (iso: string) => task({ healthStatus: 'UNKNOWN', startedAt: at(iso) });
  it.each([
    [
      'no check, no load balancer, RUNNING since 10:00:00, now 10:00:10',
      [up('10:00:00')],
      bare,
      '10:00:10',
      '10:00:40',
    ],
    [
      'two such, since 10:00:00 and 10:00:05, now 10:00:10',
      [up('10:00:05'), up('10:00:00')],
      bare,
      '10:00:10',
      '10:00:40',
    ],
    [
      'no check, no load balancer, RUNNING since 10:00:00, now 10:00:41',
      [up('10:00:00')],
      bare,
      '10:00:41',
      undefined,
    ],
    [
      'container check, RUNNING since 10:00:00, now 10:00:10',
      [task({ healthStatus: 'HEALTHY', startedAt: at('10:00:00') })],
      { hasHealthCheck: true, loadBalanced: false },
      '10:00:10',
      undefined,
    ],
    [
      'behind a load balancer',
      [up('10:00:00')],
      { hasHealthCheck: false, loadBalanced: true },
      '10:00:10',
      undefined,
    ],
  ])('%s -> %s', (_, tasks, checks, now, expected) => {
    const from = servingFrom(tasks, REV, checks, at(now));
    expect(from === undefined ? undefined : new Date(from).toISOString().slice(11, 19)).toBe(expected);
  });
});

describe('awaitingService', () => {
  const waiting = { inService: false, checksPending: true } as const;
  it.each([
    [
      'RUNNING/RUNNING, no check, not in service, checks pending',
      task({ healthStatus: 'UNKNOWN', ...waiting }),
      false,
      1,
    ],
    ['RUNNING/RUNNING HEALTHY, check, not in service, pending', task(waiting), true, 1],
    [
      'RUNNING/RUNNING UNKNOWN, check, not in service, pending',
      task({ healthStatus: 'UNKNOWN', ...waiting }),
      true,
      0,
    ],
    [
      'RUNNING/RUNNING, no check, not in service, not pending',
      task({ healthStatus: 'UNKNOWN', inService: false, checksPending: false }),
      false,
      0,
    ],
    ['RUNNING/RUNNING, no check, in service', task({ healthStatus: 'UNKNOWN', inService: true }), false, 0],
    ['RUNNING/RUNNING, no check, in service not read', task({ healthStatus: 'UNKNOWN' }), false, 0],
    ['RUNNING/STOPPED, not in service, pending', task({ desiredStatus: 'STOPPED', ...waiting }), false, 0],
    ['another revision, not in service, pending', task({ taskDefinition: OLD, ...waiting }), false, 0],
  ])('%s -> %i', (_, t, check, n) => {
    expect(awaitingService([t], REV, check)).toBe(n);
  });
});

describe('stillStarting', () => {
  it.each([
    ['PENDING/RUNNING', task({ lastStatus: 'PENDING', healthStatus: 'UNKNOWN' }), false, 1],
    ['PROVISIONING/RUNNING', task({ lastStatus: 'PROVISIONING', healthStatus: 'UNKNOWN' }), false, 1],
    ['ACTIVATING/RUNNING', task({ lastStatus: 'ACTIVATING', healthStatus: 'UNKNOWN' }), true, 1],
    ['RUNNING/RUNNING UNKNOWN, check', task({ healthStatus: 'UNKNOWN' }), true, 1],
    ['RUNNING/RUNNING UNKNOWN, no check', task({ healthStatus: 'UNKNOWN' }), false, 0],
    ['RUNNING/RUNNING HEALTHY, check', task({}), true, 0],
    ['RUNNING/RUNNING UNHEALTHY, check', task({ healthStatus: 'UNHEALTHY' }), true, 0],
    ['PENDING/STOPPED', task({ lastStatus: 'PENDING', desiredStatus: 'STOPPED' }), false, 0],
    ['another revision, PENDING/RUNNING', task({ lastStatus: 'PENDING', taskDefinition: OLD }), false, 0],
  ])('%s -> %i', (_, t, check, n) => {
    expect(stillStarting([t], REV, check)).toBe(n);
  });
});

describe('canaryReady', () => {
  it.each([
    [1, 1, 0, 1, true],
    [3, 3, 0, 2, false],
    [3, 2, 1, 2, false],
    [1, 2, 0, 2, false],
    [5, 5, 0, 6, true],
  ])('wanted %i, running %i, pending %i, healthy %i -> %s', (wanted, running, pending, healthy, ready) => {
    expect(canaryReady({ wanted, running, pending, healthy })).toBe(ready);
  });
});

describe('stepReady', () => {
  it.each([
    [1, 10, 1, 10, 1, 0, 1, true],
    [2, 5, 2, 5, 2, 0, 2, true],
    [2, 5, 2, 6, 2, 0, 2, false],
    [7, 6, 6, 6, 7, 0, 7, false],
    [3, 10, 3, 10, 3, 0, 2, false],
  ])(
    'goal %i / %i, asks %i, primary %i, canary %i running, %i pending, %i healthy -> %s',
    (goalCanary, goalPrimary, asked, primary, running, pending, healthy, ready) => {
      expect(
        stepReady({
          goal: { canary: goalCanary, primary: goalPrimary },
          asked,
          primary,
          canary: { running, pending, healthy },
        }),
      ).toBe(ready);
    },
  );
});

describe('baked', () => {
  it.each([
    ['healthyAt 0, bake 5m, now 5m', { healthyAt: 0, bakeMs: 5 * MIN }, 5 * MIN, false, true],
    ['healthyAt 0, bake 5m, now 4m59.999s', { healthyAt: 0, bakeMs: 5 * MIN }, 5 * MIN - 1, false, false],
    ['healthyAt 0, bake 0, now 0', { healthyAt: 0, bakeMs: 0 }, 0, false, true],
    ['not healthy, bake 0, now 1h', { bakeMs: 0 }, 60 * MIN, false, false],
    ['healthyAt 0, bake 5m, now 1h, paused', { healthyAt: 0, bakeMs: 5 * MIN }, 60 * MIN, true, false],
  ])('%s -> %s', (_, step, now, paused, want) => {
    expect(baked(step, now, paused)).toBe(want);
  });
});

describe('gainedHealthyTask', () => {
  it.each([
    ['most 2, healthy 3', 2, 3, true],
    ['most 3, healthy 3', 3, 3, false],
    ['most 3, healthy 2', 3, 2, false],
    ['most none, healthy 1 (the first look sets the mark)', undefined, 1, false],
    ['most none, healthy 0', undefined, 0, false],
  ])('%s -> %s', (_, most, healthy, want) => {
    expect(gainedHealthyTask(most, healthy)).toBe(want);
  });
});

describe('pastDeadline', () => {
  const deadline = 15 * MIN;
  it.each([
    ['unhealthy since 0, now 15m', { unhealthySince: 0 }, 15 * MIN, false, false],
    ['unhealthy since 0, now 15m+1ms', { unhealthySince: 0 }, 15 * MIN + 1, false, true],
    [
      'unhealthy since 16m (a resize), now 20m',
      { startedAt: 0, unhealthySince: 16 * MIN },
      20 * MIN,
      false,
      false,
    ],
    [
      'healthy, 14m unhealthy before, now 1h',
      { startedAt: 0, healthyAt: 14 * MIN, unhealthyMs: 14 * MIN },
      60 * MIN,
      false,
      false,
    ],
    [
      'unhealthy since 30m, 14m before, now 31m+1ms',
      { unhealthySince: 30 * MIN, unhealthyMs: 14 * MIN },
      31 * MIN + 1,
      false,
      true,
    ],
    ['no clock, started 0, not healthy, now 15m+1ms', { startedAt: 0 }, 15 * MIN + 1, false, true],
    ['no clock, not started, now 1h', {}, 60 * MIN, false, false],
    ['unhealthy since 0, now 1h, paused', { unhealthySince: 0 }, 60 * MIN, true, false],
  ])('%s -> %s', (_, step, now, paused, want) => {
    expect(pastDeadline(step, now, deadline, paused)).toBe(want);
  });
});

describe('missingGates', () => {
  it.each([
    [['web-5xx'], ['web-5xx'], []],
    [['web-5xx'], [], ['web-5xx']],
    [['web-canary-*'], ['web-canary-cpu'], []],
    [['web-canary-*'], ['web-5xx'], ['web-canary-*']],
    [['web-5xx', 'web-p99'], ['web-p99'], ['web-5xx']],
  ])('%j, alarms %j -> %j', (patterns, names, want) => {
    expect(
      missingGates(
        patterns,
        names.map((name) => ({ name })),
      ),
    ).toEqual(want);
  });
});

function service(
  deployments: { td: string; state?: string }[],
  desired = 10,
  running = desired,
): ServiceView {
  return {
    exists: true,
    taskDefinition: deployments[0]?.td,
    desiredCount: desired,
    runningCount: running,
    pendingCount: 0,
    deployments: deployments.map((d, i) => ({
      id: `ecs-svc/${i}`,
      status: i === 0 ? 'PRIMARY' : 'ACTIVE',
      taskDefinition: d.td,
      desiredCount: desired,
      runningCount: running,
      pendingCount: 0,
      failedTasks: 0,
      ...(d.state ? { rolloutState: d.state } : {}),
    })),
  };
}

// The rows of lib/rollout/capacity.ts retryWithinRoom's worked examples.
describe('retryWithinRoom: a promotion ECS failed on placement alone goes once more within the room', () => {
  const T = Date.parse('2026-01-01T10:00:00Z');
  /** ECS's breaker failed web:2 (4 desired, 1 placed) and rolled the primary back to web:1 (`on`). */
  const failedThenBack = (on: string, unplaced = 3) => ({
    ...service([{ td: OLD, state: 'IN_PROGRESS' }], 4, 4),
    taskDefinition: on,
    placementFailedAt: T + MIN,
    deployments: [
      ...service([{ td: OLD, state: 'IN_PROGRESS' }], 4, 4).deployments,
      { ...service([{ td: REV, state: 'FAILED' }], 4, 4 - unplaced).deployments[0]!, id: 'ecs-svc/failed' },
    ],
  });
  const rollout = (retried = false) =>
    ({
      startedAt: T,
      taskDefinition: REV,
      promotedAt: T + MIN,
      ...(retried && { placementRetry: { at: T, deployment: 'ecs-svc/other' } }),
    }) as Rollout;
  const obs = (primary: ServiceView) =>
    ({ primary, canary: MISSING_SERVICE, tasks: [], hasHealthCheck: false, alarms: [] }) as Observation;
  it.each([
    ['web:2 FAILED on placement, primary back on web:1, no retry yet', failedThenBack(OLD), false, true],
    ['the same, a retry already made', failedThenBack(OLD), true, false],
    ['the primary still on web:2 (no ECS rollback)', failedThenBack(REV), false, false],
    // ECS's own rollback placed its tasks in the failed ones' slots: the tasks placed are the room
    // (verdict seed 20270121 #57: a weighted promotion, rolled back on capacity before).
    ['nothing unplaced now (the tasks placed are the room)', failedThenBack(OLD, 0), false, true],
  ])('%s -> %s', (_, primary, retried, want) => {
    const r = rollout(retried);
    expect(retryWithinRoom(r, obs(primary), REV, T + 2 * MIN)).toBe(want);
    if (!want) return;
    // The room is learned, the failed deployment is remembered (ECS's verdict leaves it out), and
    // the promotion is asked for anew.
    expect(r.room).toBe(primary.runningCount + primary.pendingCount);
    expect(r.placementRetry).toEqual({ at: T + 2 * MIN, deployment: 'ecs-svc/failed' });
    expect(r.promotedAt).toBeUndefined();
  });
});

// The rows of lib/rollout/capacity.ts failedOnPlacement's worked examples.
describe('failedOnPlacement', () => {
  const T = Date.parse('2026-01-01T10:00:00Z');
  const at = (state: string, unableAt: number) => ({
    ...service([{ td: REV, state }]),
    placementFailedAt: unableAt,
  });
  it.each([
    ['web:2 FAILED, unable to place at 10:01, since 10:00', at('FAILED', T + 60_000), true],
    [
      "web:2 FAILED, unable to place at 09:59, since 10:00 (an earlier rollout's)",
      at('FAILED', T - 60_000),
      false,
    ],
    ['web:2 IN_PROGRESS, unable to place at 10:01', at('IN_PROGRESS', T + 60_000), false],
  ])('%s -> %s', (_, svc, want) => {
    expect(failedOnPlacement(svc, REV, T)).toBe(want);
  });
});

describe('steadyOn', () => {
  it.each([
    ['one deployment of rev, COMPLETED', service([{ td: REV, state: 'COMPLETED' }]), true],
    ['one deployment of rev, IN_PROGRESS', service([{ td: REV, state: 'IN_PROGRESS' }]), false],
    [
      'two deployments (rev PRIMARY, old ACTIVE)',
      service([
        { td: REV, state: 'IN_PROGRESS' },
        { td: OLD, state: 'COMPLETED' },
      ]),
      false,
    ],
    ['one deployment of rev, no rolloutState, 10 of 10', service([{ td: REV }], 10, 10), true],
    ['one deployment of rev, no rolloutState, 9 of 10', service([{ td: REV }], 10, 9), false],
  ])('%s -> %s', (_, svc, want) => {
    expect(steadyOn(svc, REV)).toBe(want);
  });
});

describe('primaryHealthy', () => {
  it.each([
    ['healthy 10, no canary', 10, { exists: false, runningCount: 0 }, 10],
    ['healthy 10, canary running 0', 10, { exists: true, runningCount: 0 }, 10],
    ['healthy 12, canary running 2', 12, { exists: true, runningCount: 2 }, 10],
    ['healthy 1, canary running 3', 1, { exists: true, runningCount: 3 }, 0],
  ])('%s -> %i', (_, healthy, canary, want) => {
    expect(primaryHealthy(healthy, canary)).toBe(want);
  });
});

describe('promoted', () => {
  it.each([
    [
      'steady on rev, total 10, desired 10, running 10, healthy 10',
      service([{ td: REV, state: 'COMPLETED' }]),
      10,
      10,
      true,
    ],
    [
      'steady on rev, total 10, desired 10, running 10, healthy 9',
      service([{ td: REV, state: 'COMPLETED' }]),
      10,
      9,
      false,
    ],
    [
      'still rolling, total 10, desired 10, running 10, healthy 10',
      service([{ td: REV, state: 'IN_PROGRESS' }]),
      10,
      10,
      false,
    ],
    [
      'steady on rev, total 10, desired 10, running 9, healthy 10 (a task fewer running than wanted)',
      service([{ td: REV, state: 'COMPLETED' }], 10, 9),
      10,
      10,
      false,
    ],
    [
      'steady on rev, total 10, desired 6, running 6, healthy 6 (switched at a smaller count)',
      service([{ td: REV, state: 'COMPLETED' }], 6, 6),
      10,
      6,
      false,
    ],
    [
      "steady on rev, no total, desired 6, running 6, healthy 6 (the primary's own count)",
      service([{ td: REV, state: 'COMPLETED' }], 6, 6),
      undefined,
      6,
      true,
    ],
  ])('%s -> %s', (_, svc, total, healthy, want) => {
    expect(promoted(svc, REV, healthy, total)).toBe(want);
  });
});

describe('promotedAsRoomAllows: scaled past what the cluster holds (stranger6 19)', () => {
  const START = 1_000_000;
  const full = (running: number, extra: Partial<ServiceView> = {}, state = 'COMPLETED'): ServiceView => ({
    ...service([{ td: REV, state }], 12, running),
    placementFailedAt: START + 60_000,
    ...extra,
  });
  it.each([
    [
      'steady on rev, desired 12, room 7, running 7, healthy 7, unable to place since start',
      full(7),
      7,
      true,
    ],
    ['the same, running 3 (the canary still holds 4 slots)', full(3), 3, false],
    ['the same, healthy 6', full(7), 6, false],
    ['the same, pending 1', full(7, { pendingCount: 1 }), 7, false],
    ['the same, unable to place only before the start', full(7, { placementFailedAt: START - 1 }), 7, false],
    // ECS's rolling update stays IN_PROGRESS while it cannot place its tasks (stranger7 08).
    ['the revision IN_PROGRESS, no other deployment', full(7, {}, 'IN_PROGRESS'), 7, true],
    [
      'an old deployment still runs tasks',
      {
        ...full(7),
        deployments: [
          ...full(7, {}, 'IN_PROGRESS').deployments,
          ...service([{ td: OLD }], 12, 7).deployments,
        ],
      },
      7,
      false,
    ],
  ])('%s -> %s', (_, svc, healthy, want) => {
    expect(promotedAsRoomAllows(svc, REV, healthy, START, 7)).toBe(want);
  });
});

describe('surgeTasks', () => {
  it.each([
    [10, 100, 10],
    [10, 25, 3],
    [4, 10, 1],
    [0, 100, 1],
  ])('total %i, %i%% -> %i', (total, pct, want) => {
    expect(math.surgeTasks(total, pct)).toBe(want);
  });
});

describe('stepTargets: the canary grows within the surge, past it the primary shrinks', () => {
  it.each([
    [10, 10, 100, undefined, 1, 10],
    [10, 50, 100, undefined, 10, 10],
    [10, 90, 100, undefined, 18, 2],
    [50, 90, 100, undefined, 90, 10],
    [10, 50, 25, undefined, 7, 6],
    [1, 90, 100, undefined, 1, 1],
    [0, 10, 100, undefined, 1, 0],
    // A full cluster: the step within the room it has.
    [10, 50, 100, 13, 7, 6],
    [7, 34, 100, 7, 2, 5],
  ])(
    'total %i, %i%%, surge %i%%, room %s -> canary %i, primary %i',
    (total, percent, surge, room, canary, primary) => {
      expect(math.stepTargets(total, percent, surge, room)).toEqual({ canary, primary });
    },
  );
});

describe('percentStarting: the maximumPercent that starts exactly n new tasks at once', () => {
  it.each([
    [3, 1, 134],
    [6, 1, 117],
    [150, 2, undefined],
    [4, 4, 200],
  ])('count %i, n %i -> %s', (count, n, want) => {
    expect(math.percentStarting(count, n)).toBe(want);
  });
});

describe('stopsFirst: ECS may stop an old task before a new one is up', () => {
  it.each([
    [3, 66, true],
    [2, 66, false],
    [1, 50, false],
  ])('count %i, minimum %i -> %s', (count, minimum, want) => {
    expect(math.stopsFirst(count, minimum)).toBe(want);
  });
});

describe('weightedPrimaryKeeps: a weighted canary step on a full cluster trades down to the floor', () => {
  it.each<[number, number, number | undefined, number, number]>([
    [157, 79, undefined, 50, 157],
    [157, 79, 236, 50, 157],
    [157, 79, 200, 50, 121],
    [10, 5, 12, 100, 10],
    [10, 5, 12, 50, 7],
    [10, 8, 12, 50, 5],
  ])('total %i, canary %i, room %s, minimum %i -> %i', (total, canary, room, minimum, want) => {
    expect(math.weightedPrimaryKeeps(total, canary, room, minimum)).toBe(want);
  });
});

describe('roomlessSwitchMinimumPercent: a weighted primary with no traffic switches a quarter at a time', () => {
  it.each([
    [1, 0, 0],
    [2, 50, 1],
    [3, 66, 2],
    [4, 75, 3],
    [10, 70, 7],
    [150, 74, 111],
    [400, 75, 300],
  ])('count %i -> %i (ECS keeps %i)', (count, want, keeps) => {
    expect(math.roomlessSwitchMinimumPercent(count)).toBe(want);
    expect(math.servingFloor(count, want)).toBe(keeps);
    // ECS may stop at least one old task first, and keeps at least three quarters (rounded down).
    expect(math.stopsFirst(count, want)).toBe(true);
    expect(keeps).toBeGreaterThanOrEqual(Math.floor((count * 3) / 4) - 1);
  });
});

describe('unstuckMaximumPercent: a switch ECS could neither start nor stop a task of asks for one new at once', () => {
  it.each([
    [1, 50, 100, 200],
    [1, 0, 100, undefined],
    [2, 66, 100, 150],
    [3, 66, 100, undefined],
    [3, 75, 125, 134],
    [4, 100, 125, undefined],
    [250, 100, 100, 101],
    [0, 100, 100, undefined],
  ])('count %i, minimum %i, maximum %i -> %s', (count, minimum, maximum, want) => {
    expect(math.unstuckMaximumPercent(count, minimum, maximum)).toBe(want);
    // What it asks for starts a new task, and a handful at most.
    if (want !== undefined) {
      const starts = Math.floor((count * want) / 100) - count;
      expect(starts).toBeGreaterThanOrEqual(1);
      expect(starts).toBeLessThanOrEqual(2);
    }
  });
});

describe('fittingMaximumPercent: ECS asked for no more new tasks at once than the room holds', () => {
  it.each([
    [4, 5, 100, 125],
    [3, 5, 100, 167],
    [6, 7, 100, 117],
    [150, 152, 100, 101],
    [3, 3, 50, 100],
    [2, 2, 66, undefined],
    [3, 3, 66, 100],
    [6, 6, 100, undefined],
    [0, 3, 100, undefined],
  ])('total %i, room %i, minimum %i -> %s', (total, room, minimum, want) => {
    expect(math.fittingMaximumPercent(total, room, minimum)).toBe(want);
    // ECS rounds maximumPercent × desired down: never past the room.
    if (want !== undefined)
      expect(Math.floor((total * want) / 100)).toBeLessThanOrEqual(Math.max(room, total));
  });
});

describe('stepRound: never fewer serving than the total (one under the room on a full cluster), never more asked than the room', () => {
  it.each([
    [10, 90, 10, undefined, undefined, 18, 2],
    [10, 90, 1, undefined, undefined, 11, 9],
    [10, 90, 11, undefined, undefined, 18, 2],
    [10, 10, 0, undefined, undefined, 1, 10],
    [10, 10, 18, undefined, undefined, 1, 10],
    // Trading capacity: the primary gives up tasks as healthy canary tasks cover them.
    [10, 50, 3, 13, undefined, 6, 7],
    [10, 50, 6, 13, undefined, 7, 6],
    // No free slot: the serving tasks dip by one (never below the floor) to place a canary task.
    [7, 34, 0, 7, 4, 1, 6],
    [7, 34, 1, 7, 4, 2, 5],
    // No trade possible before a canary task serves (floor = total = room): a canary task is asked
    // for, and cannot be placed (verdicts/no-room.yml).
    [4, 25, 0, 4, 4, 1, 4],
    // Scaled past the cluster's room (floor 10, room 7): the 7 it holds keep serving (stranger6 19).
    [10, 50, 4, 7, 10, 4, 3],
    // Scaled past the room mid-step, canary tasks serving (stranger7 04): one task at a time.
    [15, 50, 1, 11, 15, 2, 9],
  ])(
    'total %i, to %i%%, canary healthy %i, room %s, floor %s -> canary %i, primary %i',
    (total, percent, healthy, room, floor, canary, primary) => {
      expect(math.stepRound(total, percent, 100, healthy, room, floor)).toEqual({ canary, primary });
      if (room === undefined || canary + primary <= room || canary <= 1) return;
      expect(canary + primary).toBeLessThanOrEqual(room);
    },
  );
  it('never asks for more than total + surge', () => {
    for (const [total, percent, healthy] of [
      [10, 90, 1],
      [10, 90, 11],
      [37, 80, 20],
    ] as const) {
      const r = math.stepRound(total, percent, 100, healthy);
      expect(r.canary + r.primary).toBeLessThanOrEqual(total + math.surgeTasks(total, 100));
    }
  });
});

describe('promotionCanary: the canary gives its room back as the primary takes over', () => {
  it.each([
    [20, 10, 18, 2, 2, 18],
    [20, 10, 18, 12, 0, 10],
    [20, 10, 10, 14, 7, 6],
    [20, 10, 8, 20, 10, 0],
    [4, 2, 2, 4, 0, 2],
    [16, 4, 10, 11, 4, 5],
  ])(
    'room %i, serving %i, canary %i, primary tasks %i, primary serving %i -> %i',
    (room, serving, canary, tasks, primaryServing, want) => {
      expect(math.promotionCanary(room, serving, canary, tasks, primaryServing)).toBe(want);
    },
  );
});

describe('capacity: the floor, the room, the promotion on a full cluster', () => {
  it.each([
    [7, 50, 4],
    [10, 100, 10],
    [10, 0, 0],
    [3, 66, 2],
  ])('servingFloor(%i, %i%%) = %i', (total, percent, want) => {
    expect(math.servingFloor(total, percent)).toBe(want);
  });

  it.each([
    [10, 100, undefined, 20],
    [10, 100, 13, 13],
    [10, 25, 40, 13],
  ])('rolloutRoom(total %i, surge %i%%, room %s) = %i', (total, surge, room, want) => {
    expect(math.rolloutRoom(total, surge, room)).toBe(want);
  });

  it.each([
    [7, 200, 4, 7],
    [10, 150, 10, 5],
    [10, 100, 10, 0],
  ])('promotionNeeds(total %i, maximumPercent %i, old running %i) = %i', (total, max, old, want) => {
    expect(math.promotionNeeds(total, max, old)).toBe(want);
  });

  it.each([
    [8, 6, 200, 3, 5, 2, 4, undefined],
    [14, 4, 200, 4, 10, 4, 6, undefined],
    [13, 10, 200, 6, 7, 3, 7, undefined],
    [4, 4, 200, 2, 2, 1, 2, undefined],
    [152, 150, 200, 76, 76, 76, 74, 103],
    [4, 3, 125, 3, 1, 3, 0, 134],
  ])(
    'promotionSwitch(room %i, floor %i, max %i%%, primary %i, canary %i) -> primary %i, canary %i, max %s',
    (room, floor, max, primary, canary, wantPrimary, wantCanary, wantMax) => {
      expect(math.promotionSwitch(room, floor, max, primary, canary)).toEqual({
        primary: wantPrimary,
        canary: wantCanary,
        ...(wantMax !== undefined && { maximumPercent: wantMax }),
      });
    },
  );

  it.each([
    // ECS may stop the primary's old tasks down to its own minimum first: the canary covers the
    // floor beside what it keeps (verdict s20270102-19: switched at 14 beside 6, 13 of 15 served).
    [34, 15, 200, 14, 20, 50, { primary: 13, canary: 8 }],
    [34, 15, 200, 14, 20, 100, { primary: 14, canary: 6 }],
    // At 100 % ECS stops old tasks first, as far as the minimum lets it.
    [12, 10, 100, 5, 7, 50, { primary: 5, canary: 7 }],
    // 66 % of 2 keeps both, 100 % starts none: one new at once (stranger14 18 waited to its deadline).
    [3, 2, 100, 2, 1, 66, { primary: 2, canary: 0, maximumPercent: 150 }],
    [12, 10, 100, 5, 7, 100, { primary: 5, canary: 6, maximumPercent: 120 }],
  ])(
    'promotionSwitch(room %i, floor %i, max %i%%, primary %i, canary %i, minimum %i%%) -> %o',
    (room, floor, max, primary, canary, minimum, want) => {
      expect(math.promotionSwitch(room, floor, max, primary, canary, minimum)).toEqual(want);
    },
  );

  it.each([
    [20, 15, 200, 14, 10, 50, { primary: 9, canary: 10, maximumPercent: 112 }],
    [20, 15, 200, 14, 10, 100, { primary: 14, canary: 1, maximumPercent: 136 }],
    // No new task at once keeps the floor; ECS stopping one old first does (4 of 5 kept + 2).
    [7, 6, 200, 5, 2, 75, { primary: 5, canary: 2, maximumPercent: 100 }],
    // ...not at a minimum that keeps every task: ECS would stop none.
    [7, 6, 200, 5, 2, 100, { primary: 5, canary: 1, maximumPercent: 120 }],
  ])(
    'slowerSwitch(room %i, floor %i, max %i%%, primary %i, canary %i, minimum %i%%) -> %o',
    (room, floor, max, primary, canary, minimum, want) => {
      expect(math.slowerSwitch(room, floor, max, primary, canary, minimum)).toEqual(want);
    },
  );

  it.each([
    [152, 150, 200, 76, 76, { primary: 76, canary: 74, maximumPercent: 103 }],
    [13, 10, 200, 6, 7, { primary: 6, canary: 4, maximumPercent: 150 }],
    [4, 4, 200, 2, 2, undefined],
    [251, 250, 200, 250, 0, undefined],
  ])(
    'slowerSwitch(room %i, floor %i, max %i%%, primary %i, canary %i) -> %o',
    (room, floor, max, primary, canary, want) => {
      expect(math.slowerSwitch(room, floor, max, primary, canary)).toEqual(want);
    },
  );

  it.each([
    [0, 5, 5, 50, 3],
    [1, 4, 4, 100, 4],
    [0, 76, 76, 100, 76],
    [10, 0, 10, 50, 10],
    [4, 5, 5, 50, 4],
  ])(
    'primaryKeeps(new healthy %i, old %i, desired %i, minimum %i) = %i',
    (healthy, old, desired, percent, want) => {
      expect(math.primaryKeeps(healthy, old, desired, percent)).toBe(want);
    },
  );

  it.each([
    [16, 14, 0, true, 16],
    [undefined, 13, 3, true, 13],
    [undefined, 13, 3, false, undefined],
    [13, 12, 1, true, 13],
    [13, 15, 1, true, 15],
    [5, 7, 0, true, 7],
    [undefined, 7, 0, true, undefined],
  ])(
    'roomSeen(known %s, placed %i, unplaced %i, failure since start %s) = %s',
    (known, placed, unplaced, since, want) => {
      expect(roomSeen(known, placed, unplaced, since)).toBe(want);
    },
  );

  it("unplacedOf counts the new revision's deployment: an all-at-once primary still runs its old tasks", () => {
    const OLD = REV.replace('web:2', 'web:1');
    const dep = (taskDefinition: string, desired: number, running: number, pending: number) => ({
      id: taskDefinition,
      status: 'ACTIVE',
      taskDefinition,
      desiredCount: desired,
      runningCount: running,
      pendingCount: pending,
      failedTasks: 0,
    });
    const svc = (deployments: ReturnType<typeof dep>[], desired: number, running: number) => ({
      exists: true,
      desiredCount: desired,
      runningCount: running,
      pendingCount: 0,
      deployments,
    });
    expect(unplacedOf(svc([dep(REV, 4, 0, 0), dep(OLD, 4, 4, 0)], 4, 4), REV)).toBe(4);
    expect(unplacedOf(svc([dep(REV, 4, 3, 1), dep(OLD, 4, 1, 0)], 4, 5), REV)).toBe(0);
    expect(unplacedOf(svc([dep(REV, 3, 0, 0)], 3, 1), REV)).toBe(2);
    expect(unplacedOf(svc([], 3, 1), REV)).toBe(2);
  });

  it.each([
    [3, 4, 4, true],
    [4, 4, 4, false],
    [4, 2, 4, false],
    [undefined, 0, 0, false],
  ])('tradeProgress(seen %s, healthy %i) = %i, grew %s', (seen, healthy, want, grew) => {
    expect(tradeProgress(seen, healthy)).toEqual({ seen: want, grew });
  });

  it.each([
    [undefined, undefined, 7, 7],
    [7, 4, 4, 7],
    [7, 4, 14, 14],
    [7, 7, 14, 14],
  ])(
    "rolloutTotal(total %s, asked %s, primary %i) = %i (a person's count becomes the total)",
    (total, asked, primary, want) => {
      expect(math.rolloutTotal(total, asked, primary)).toBe(want);
    },
  );
});

describe('stuckOnRoom: what a person is told of a rollback waiting on a full cluster', () => {
  const T = Date.parse('2026-01-01T10:00:00Z');
  const at = (running: number, unableAt: number) => ({
    ...service([{ td: OLD, state: 'IN_PROGRESS' }], 7, running),
    placementFailedAt: unableAt,
  });
  it.each([
    [
      'unable to place since the rollout began, 5 of 7 running',
      at(5, T + MIN),
      /could not place 2 of its tasks: the cluster is full/,
    ],
    ['the same, 7 of 7 running', at(7, T + MIN), /^$/],
    ['no placement failure since', at(5, T - MIN), /^$/],
  ])('%s', (_, svc, want) => {
    expect(stuckOnRoom(svc, T)).toMatch(want);
  });
});

describe('rollbackRestored and rollbackOverdue', () => {
  /** ECS's rollback deployment of the good revision (`state`) beside the completed one it came back to. */
  const besideCompleted = (state: string, running: number) =>
    service(
      [
        { td: OLD, state },
        { td: OLD, state: 'COMPLETED' },
      ],
      6,
      running,
    );
  it.each([
    [
      'one deployment of to, COMPLETED, 4 of 4 running',
      service([{ td: OLD, state: 'COMPLETED' }], 4, 4),
      true,
    ],
    [
      'one deployment of to, IN_PROGRESS, 2 of 4 running',
      service([{ td: OLD, state: 'IN_PROGRESS' }], 4, 2),
      false,
    ],
    [
      'two deployments (to PRIMARY, bad ACTIVE)',
      service([
        { td: OLD, state: 'IN_PROGRESS' },
        { td: REV, state: 'FAILED' },
      ]),
      false,
    ],
    ['to PRIMARY FAILED beside to ACTIVE COMPLETED, 8 of 6 running', besideCompleted('FAILED', 8), true],
    ['to PRIMARY FAILED beside to ACTIVE COMPLETED, 5 of 6 running', besideCompleted('FAILED', 5), false],
    [
      'to PRIMARY IN_PROGRESS beside to ACTIVE COMPLETED, 6 of 6 running',
      besideCompleted('IN_PROGRESS', 6),
      true,
    ],
    [
      'to PRIMARY IN_PROGRESS beside to ACTIVE COMPLETED, 5 of 6 running',
      besideCompleted('IN_PROGRESS', 5),
      false,
    ],
  ])('%s -> %s', (_, svc, want) => {
    expect(rollbackRestored(svc, OLD)).toBe(want);
  });

  it.each([
    [15 * MIN, false],
    [15 * MIN + 1, true],
  ])('started 0, deadline 15m, now %i -> %s', (now, want) => {
    expect(rollbackOverdue(0, now, 15 * MIN)).toBe(want);
  });
});

describe('stuckRollbackDeployment: a done rollback whose own deployment of the good revision can place no task', () => {
  /** web:1's rollback deployment (0 of 10 running) beside the completed one whose 10 tasks serve. */
  const stuck = (state: string, placementFailedAt?: number, minimumHealthyPercent = 100): ServiceView => {
    const svc = service(
      [
        { td: OLD, state },
        { td: OLD, state: 'COMPLETED' },
      ],
      10,
      10,
    );
    svc.deployments[0]!.runningCount = 0;
    return { ...svc, minimumHealthyPercent, ...(placementFailedAt !== undefined && { placementFailedAt }) };
  };
  it.each<[string, ServiceView, RegExp | undefined]>([
    [
      'web:1 IN_PROGRESS 0 of 10 beside web:1 COMPLETED 10, unable to place since the start',
      stuck('IN_PROGRESS', MIN),
      /^rolled back to web:1, whose 10 task\(s\) serve; ECS's new deployment of web:1 cannot place its tasks \(the cluster is full, and minimumHealthyPercent 100 lets ECS stop none of the old ones first\).*Add room, or lower minimumHealthyPercent, and it completes$/,
    ],
    // ECS may stop old tasks first: it makes its own room, batch after batch (stranger19 26).
    ['the same at 50 %: ECS stops old tasks first', stuck('IN_PROGRESS', MIN, 50), undefined],
    ['the same at 90 % of 10 (one old task first)', stuck('IN_PROGRESS', MIN, 90), undefined],
    ['the same, FAILED (ECS gave it up)', stuck('FAILED', MIN), undefined],
    ['one deployment of web:1, COMPLETED', service([{ td: OLD, state: 'COMPLETED' }], 10, 10), undefined],
    ['web:1 IN_PROGRESS 0 of 10, no placement failure since', stuck('IN_PROGRESS', undefined), undefined],
    ['a placement failure before the rollout', stuck('IN_PROGRESS', -MIN), undefined],
  ])('%s -> %s', (_, svc, want) => {
    const told = stuckRollbackDeployment(svc, OLD, 0);
    if (want) expect(told).toMatch(want);
    else expect(told).toBeUndefined();
  });
});

describe('needsApproval (lib/rollout/approval.ts)', () => {
  const gated = [{}, { approve: true }];
  it.each<[string, { approve?: boolean }[], Approval[] | undefined, number, boolean]>([
    ['a gate, no approvals', gated, undefined, 1, true],
    ['a gate, approved', gated, [{ gate: 'step', step: 1, by: 'U1', at: 0 }], 1, false],
    ['no gate on that step', gated, undefined, 0, false],
    [
      'a freeze approval is not the step’s',
      [{ approve: true }],
      [{ gate: 'freeze', by: 'U1', at: 0 }],
      0,
      true,
    ],
  ])('%s -> %s', (_, steps, approvals, index, waits) => {
    expect(needsApproval(steps, approvals, index)).toBe(waits);
  });
});

describe('gateVerdict (lib/rollout/approval.ts)', () => {
  const H = 60 * MIN;
  it.each<
    [string, { since: number; timesOutAt: number } | undefined, number, 'rollback' | 'hold', GateVerdict]
  >([
    [
      'no wait yet',
      undefined,
      5 * MIN,
      'rollback',
      { kind: 'wait', since: 5 * MIN, timesOutAt: H + 5 * MIN },
    ],
    [
      'before the timeout',
      { since: 0, timesOutAt: H },
      H - S,
      'rollback',
      { kind: 'wait', since: 0, timesOutAt: H },
    ],
    ['at the timeout, rollback', { since: 0, timesOutAt: H }, H, 'rollback', { kind: 'rollback' }],
    ['past it, hold', { since: 0, timesOutAt: H }, 3 * H, 'hold', { kind: 'hold' }],
    ['held long after', { since: 0, timesOutAt: H }, 9 * H, 'hold', { kind: 'hold' }],
  ])('%s', (_, wait, now, onTimeout, verdict) => {
    expect(gateVerdict(wait, now, H, onTimeout)).toEqual(verdict);
  });

  it.each<[string, { since: number; timesOutAt: number } | undefined, number, number, GateVerdict]>([
    [
      'paused at 20m, now 5h: the clock stopped',
      { since: 0, timesOutAt: H },
      20 * MIN,
      5 * H,
      { kind: 'wait', since: 0, timesOutAt: H },
    ],
    ['timed out before the pause', { since: 0, timesOutAt: H }, 90 * MIN, 5 * H, { kind: 'rollback' }],
    ['paused at the very timeout', { since: 0, timesOutAt: H }, H, 5 * H, { kind: 'rollback' }],
    ['no wait yet, paused', undefined, 0, 5 * MIN, { kind: 'wait', since: 5 * MIN, timesOutAt: H + 5 * MIN }],
  ])('paused: %s', (_, wait, pausedAt, now, verdict) => {
    expect(gateVerdict(wait, now, H, 'rollback', pausedAt)).toEqual(verdict);
  });
});

describe('resumedWait: a pause stops the approval timeout (lib/rollout/approval.ts)', () => {
  const H = 60 * MIN;
  it.each<
    [string, { step: number; since: number; timesOutAt: number; heldAt?: number }, number, number, number]
  >([
    ['40m were left', { step: 1, since: 0, timesOutAt: H }, 20 * MIN, 2 * H, 2 * H + 40 * MIN],
    ['the wait began while paused', { step: 1, since: 30 * MIN, timesOutAt: 90 * MIN }, 0, H, 2 * H],
    ['timed out before the pause', { step: 1, since: 0, timesOutAt: H }, H + 30 * S, 5 * H, H],
    ['held', { step: 1, since: 0, timesOutAt: H, heldAt: H }, 2 * H, 3 * H, H],
    ['resumed at once', { step: 1, since: 0, timesOutAt: H }, 20 * MIN, 20 * MIN, H],
  ])('%s', (_, wait, pausedAt, now, until) => {
    expect(resumedWait(wait, pausedAt, now).timesOutAt).toBe(until);
  });

  it.each<[string, Parameters<typeof approvalDeadline>[0], number | undefined]>([
    ['waiting', { approval: { step: 1, since: 0, timesOutAt: H } }, H],
    ['paused', { approval: { step: 1, since: 0, timesOutAt: H }, paused: true }, undefined],
    ['held', { approval: { step: 1, since: 0, timesOutAt: H, heldAt: H } }, undefined],
    [
      'rolling back',
      {
        approval: { step: 1, since: 0, timesOutAt: H },
        rollingBack: { reason: 'x', at: 0, toTaskDefinition: 't' },
      },
      undefined,
    ],
    ['no gate', {}, undefined],
    ['no rollout', undefined, undefined],
  ])('approvalDeadline: %s', (_, rollout, deadline) => {
    expect(approvalDeadline(rollout)).toBe(deadline);
  });

  it.each<[string, number, number | undefined, number]>([
    ['running', 20 * MIN, undefined, 40 * MIN],
    ['paused at 20m', 5 * H, 20 * MIN, 40 * MIN],
    ['past it', 2 * H, undefined, 0],
  ])('approvalLeftMs: %s', (_, now, pausedAt, left) => {
    expect(approvalLeftMs({ timesOutAt: H }, now, pausedAt)).toBe(left);
  });
});

describe('decisionSubject: a button decides only what it was drawn for (lib/rollout/approval.ts)', () => {
  const gate2 = { rollout: 'r1', step: 2 };
  it.each<
    [
      string,
      { rollout: string; step: number } | undefined,
      { id: string } | undefined,
      DecisionTarget | undefined,
      DecisionSubject['kind'],
      string | number | undefined,
    ]
  >([
    ['gate, no on', gate2, undefined, undefined, 'gate', 2],
    ['gate, on that gate', gate2, undefined, { rollout: 'r1', step: 2 }, 'gate', 2],
    [
      'gate 2, on the first gate (late click)',
      gate2,
      undefined,
      { rollout: 'r1', step: 1 },
      'none',
      'the gate of step 3 is another gate',
    ],
    [
      'another rollout’s gate',
      { rollout: 'r2', step: 2 },
      undefined,
      { rollout: 'r1', step: 2 },
      'none',
      'another rollout',
    ],
    ['push, no on', undefined, { id: 'p1' }, undefined, 'push', 'p1'],
    ['gate and push, on the push', gate2, { id: 'p1' }, { push: 'p1' }, 'push', 'p1'],
    ['another push waits', undefined, { id: 'p2' }, { push: 'p1' }, 'none', 'that push no longer waits'],
    [
      'no gate, on a gate',
      undefined,
      undefined,
      { rollout: 'r1', step: 1 },
      'none',
      'no approval gate waits now',
    ],
    ['nothing waits', undefined, undefined, undefined, 'none', 'nothing waits for a decision'],
  ])('%s', (_, gate, push, on, kind, what) => {
    const subject = decisionSubject(gate, push, on);
    expect(subject.kind).toBe(kind);
    if (subject.kind === 'gate') expect(subject.step).toBe(what);
    if (subject.kind === 'push') expect(subject.id).toBe(what);
    if (subject.kind === 'none') expect(subject.why).toContain(what);
  });
});

// The rows of lib/rollout/capacity.ts healthySince's worked examples (imported here, not above, so
// these blocks stay appended).
const capacityRules = await import('../lib/rollout/capacity.ts');

describe('healthySince', () => {
  const at = (hhmm: string) => Date.parse(`2026-01-01T${hhmm}:00Z`);
  it.each<[string, (number | undefined)[], number | undefined, number, number]>([
    [
      'up at 10:01 and 10:03, since 10:00, now 10:05',
      [at('10:01'), at('10:03')],
      at('10:00'),
      at('10:05'),
      at('10:03'),
    ],
    ['up at 09:58, since 10:00, now 10:05', [at('09:58')], at('10:00'), at('10:05'), at('10:00')],
    [
      'up at 10:01 and one unknown, now 10:05',
      [at('10:01'), undefined],
      at('10:00'),
      at('10:05'),
      at('10:05'),
    ],
    ['none, now 10:05', [], at('10:00'), at('10:05'), at('10:05')],
  ])('%s', (_, upAt, since, now, want) => {
    expect(capacityRules.healthySince(upAt, since, now)).toBe(want);
  });
});

// The rows of lib/rollout/capacity.ts stoppedOnPlacement's worked examples.
describe('stoppedOnPlacement', () => {
  const T = Date.parse('2026-01-01T10:00:00Z');
  const breaker = 'ECS deployment circuit breaker: tasks failed to start.';
  it.each<[string, string, number, number, boolean]>([
    [
      'circuit breaker: tasks failed to start, unable to place 10:01, since 10:00, 0 failed',
      breaker,
      T + 60_000,
      0,
      true,
    ],
    ['the same, 1 task of the image failed', breaker, T + 60_000, 1, false],
    ['the same, unable to place at 09:59 (an earlier rollout’s)', breaker, T - 60_000, 0, false],
    [
      'alarm web-5xx in ALARM, unable to place 10:01, 0 failed',
      'alarm web-5xx in ALARM',
      T + 60_000,
      0,
      false,
    ],
  ])('%s', (_, reason, placementFailedAt, failures, want) => {
    expect(capacityRules.stoppedOnPlacement(reason, { placementFailedAt }, T, failures)).toBe(want);
  });
});
