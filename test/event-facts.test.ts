/** The worked examples of lib/event-facts.ts, one row each. */
import { describe, expect, it } from 'vitest';
import type { TargetConfig } from '../lib/config.ts';
import {
  canHaveCanarySteps,
  countWord,
  dropBeforeCalls,
  foldGates,
  foldTaskFacts,
  gatesKnown,
  mergeTasks,
  newerAlarm,
  newerTask,
  primaryOwnedByPerson,
  scaleInStop,
  stopMoot,
  TASK_FACTS_KEPT,
  taskEventMatters,
  taskViewOf,
} from '../lib/event-facts.ts';
import type { AlarmView, TaskView } from '../lib/observation.ts';
import type { Rollout, ServiceRecord } from '../lib/record.ts';
import { parseTrigger, type TaskEventFacts } from '../lib/triggers.ts';
import running from './fixtures/events/ecs-task-state-running.json' with { type: 'json' };
import { canaryRollout, TD } from './helpers/rollout.ts';

/** Targets by strategy, their steps as lib/steps.ts plans them. */
const CANARY_TARGET = {
  strategy: 'canary' as const,
  steps: [10, 50, 100].map((percent) => ({ percent, bakeMs: 0 })),
};
const ROLLING_TARGET = { strategy: 'rolling' as const, steps: [{ percent: 100, bakeMs: 0 }] };

const ARN = (id: string) => `arn:aws:ecs:us-east-1:123456789012:task/prod/${id.padStart(32, '0')}`;
const SCALE_IN = 'Scaling activity initiated by (deployment ecs-svc/1)';

const fact = (extra: Partial<TaskEventFacts> = {}): TaskEventFacts => ({
  taskArn: ARN('a'),
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  version: 3,
  taskDefinitionArn: `${TD}web:4`,
  containers: [{ name: 'web' }],
  ...extra,
});
const stopped = (extra: Partial<TaskEventFacts> = {}) =>
  fact({
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    containers: [{ name: 'web', exitCode: 1 }],
    ...extra,
  });

const rollout = (extra: Partial<Rollout> = {}): Rollout =>
  canaryRollout(4, { steps: [{ percent: 10, bakeMs: 300_000, startedAt: 0 }], ...extra });
const record = (extra: Partial<ServiceRecord> = {}): ServiceRecord => ({
  key: 'prod/web',
  cluster: 'prod',
  service: 'web',
  version: 1,
  history: [],
  badDigests: {},
  ...extra,
});
const view = (id: string, version: number, extra: Partial<TaskView> = {}): TaskView => ({
  taskArn: ARN(id),
  taskDefinition: `${TD}web:4`,
  lastStatus: 'STOPPED',
  desiredStatus: 'STOPPED',
  version,
  containers: [],
  ...extra,
});

describe('scaleInStop', () => {
  it.each([
    [
      'STOPPED, scheduler, scaling',
      stopped({ stopCode: 'ServiceSchedulerInitiated', stoppedReason: SCALE_IN }),
      true,
    ],
    [
      'DEACTIVATING/STOPPED, scheduler, scaling',
      stopped({ lastStatus: 'DEACTIVATING', stopCode: 'ServiceSchedulerInitiated', stoppedReason: SCALE_IN }),
      true,
    ],
    [
      'STOPPED, scheduler, ELB health checks',
      stopped({
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: 'Task failed ELB health checks in (target-group arn:…)',
      }),
      false,
    ],
    ['STOPPED, essential container exited', stopped(), false],
    [
      'STOPPED, UserInitiated, scaling reason',
      stopped({ stopCode: 'UserInitiated', stoppedReason: SCALE_IN }),
      false,
    ],
  ])('%s -> %s', (_, t, want) => {
    expect(scaleInStop(t)).toBe(want);
  });
});

describe('countWord', () => {
  const SCALED = {
    scaling: { min: 2, max: 8, inCooldownMs: 0, outCooldownMs: 0, rules: [] },
  } as unknown as Pick<TargetConfig, 'scaling'>;
  const scaleIn = stopped({ stopCode: 'ServiceSchedulerInitiated', stoppedReason: SCALE_IN });
  it.each([
    ['scale-in stop of the primary, a target with scaling', scaleIn, 'primary', SCALED, true],
    ['RUNNING of the primary, a target with scaling', fact(), 'primary', SCALED, true],
    ['the same, of the canary', fact(), 'canary', SCALED, false],
    ['the same, a target without scaling', fact(), 'primary', {}, false],
    ['STOPPED for a failure (EssentialContainerExited)', stopped(), 'primary', SCALED, false],
  ] as const)('%s -> %s', (_, t, of, target, want) => {
    expect(countWord(t, of, target)).toBe(want);
  });

  it('at rest, a scaled target reads the record for them and reconciles; others drop them unread', () => {
    expect(
      dropBeforeCalls(scaleIn, { canaryStep: false }, 'primary', { ...ROLLING_TARGET, ...SCALED }).matters,
    ).toBe(true);
    expect(dropBeforeCalls(scaleIn, { canaryStep: false }, 'primary', ROLLING_TARGET).matters).toBe(false);
    expect(taskEventMatters(scaleIn, record(), 'primary', SCALED).matters).toBe(true);
    expect(taskEventMatters(fact(), record(), 'primary', SCALED).matters).toBe(true);
    expect(taskEventMatters(scaleIn, record(), 'primary').matters).toBe(false);
  });

  it("during a rollout the pipeline steps itself, a scaled target's primary scale-in stop is read; under ECS's strategies not", () => {
    const promoting = rollout({ steps: [{ percent: 100, bakeMs: 300_000, startedAt: 0, healthyAt: 0 }] });
    expect(taskEventMatters(scaleIn, record({ rollout: promoting }), 'primary', SCALED).matters).toBe(true);
    expect(taskEventMatters(scaleIn, record({ rollout: promoting }), 'primary').matters).toBe(false);
    const ecs = { ...promoting, strategy: 'ecs-linear' as const };
    expect(taskEventMatters(scaleIn, record({ rollout: ecs }), 'primary', SCALED).matters).toBe(false);
  });
});

describe('dropBeforeCalls', () => {
  const being = fact({ desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited' });
  it.each([
    [
      'a scale-in stop, hint without canaryStep',
      stopped({ stopCode: 'ServiceSchedulerInitiated', stoppedReason: SCALE_IN }),
      { canaryStep: false },
      false,
    ],
    [
      'RUNNING web:3, load balanced',
      fact({ taskDefinitionArn: `${TD}web:3` }),
      { loadBalanced: true },
      false,
    ],
    [
      'RUNNING web:3, hint web:4',
      fact({ taskDefinitionArn: `${TD}web:3` }),
      { revision: `${TD}web:4` },
      false,
    ],
    ['RUNNING web:4, hint web:4', fact(), { revision: `${TD}web:4` }, true],
    [
      'RUNNING web:5, hint web:4',
      fact({ taskDefinitionArn: `${TD}web:5` }),
      { revision: `${TD}web:4` },
      true,
    ],
    [
      'RUNNING api:3, hint web:4',
      fact({ taskDefinitionArn: `${TD}api:3` }),
      { revision: `${TD}web:4` },
      true,
    ],
    ['being stopped, failure, load balanced', being, { loadBalanced: true }, true],
    [
      'STOPPED web:3 UserInitiated, hint web:4',
      stopped({ taskDefinitionArn: `${TD}web:3`, stopCode: 'UserInitiated' }),
      { revision: `${TD}web:4` },
      true,
    ],
    ['RUNNING web:3, no hint', fact({ taskDefinitionArn: `${TD}web:3` }), undefined, true],
  ])('%s -> matters %s', (_, t, hint, matters) => {
    expect(dropBeforeCalls(t, hint, 'primary', CANARY_TARGET).matters).toBe(matters);
  });
});

describe('stopMoot', () => {
  const back = { reason: 'x', at: 0, toTaskDefinition: `${TD}web:3` };
  const asked = { owner: 'holder', until: 90_000, again: true };
  const of = (extra: Partial<Rollout>, lease?: typeof asked) =>
    record({ rollout: rollout(extra), ...(lease && { lease }) });
  it.each([
    [
      'rolling back from web:4, asked again, a stop of web:4',
      of({ rollingBack: back }, asked),
      'web:4',
      true,
    ],
    ['rolling back from web:4, not asked yet, a stop of web:4', of({ rollingBack: back }), 'web:4', false],
    [
      'rolling back from web:4, asked again, a stop of web:3',
      of({ rollingBack: back }, asked),
      'web:3',
      false,
    ],
    ['at a step of web:4 (not rolling back), asked again', of({}, asked), 'web:4', false],
    [
      'rolling back, the revision not registered yet',
      of({ rollingBack: back, taskDefinition: undefined }, asked),
      'web:4',
      false,
    ],
    ['no rollout', record({ lease: asked }), 'web:4', false],
  ])('%s -> %s', (_, r, revision, moot) => {
    expect(stopMoot(r, `${TD}${revision}`)).toBe(moot);
  });
});

describe('taskEventMatters', () => {
  const baking = rollout({ steps: [{ percent: 10, bakeMs: 300_000, startedAt: 0, healthyAt: 1 }] });
  it.each([
    ['no rollout', fact(), record(), false],
    ['a task of web:3', fact({ taskDefinitionArn: `${TD}web:3` }), record({ rollout: rollout() }), false],
    [
      'revision not registered yet',
      fact({ taskDefinitionArn: `${TD}web:9` }),
      record({ rollout: rollout({ taskDefinition: undefined }) }),
      true,
    ],
    [
      'RUNNING, rolling back',
      fact(),
      record({ rollout: rollout({ rollingBack: { reason: 'x', at: 0, toTaskDefinition: `${TD}web:3` } }) }),
      false,
    ],
    ['RUNNING, baking', fact(), record({ rollout: baking }), false],
    ['RUNNING, waiting', fact(), record({ rollout: rollout() }), true],
    [
      'RUNNING, waiting, behind a load balancer',
      fact(),
      record({ rollout: rollout({ loadBalanced: true }) }),
      false,
    ],
    [
      'STOPPED failure, waiting, behind a load balancer',
      stopped(),
      record({ rollout: rollout({ loadBalanced: true }) }),
      true,
    ],
    ['STOPPED failure, baking', stopped(), record({ rollout: baking }), true],
    [
      'STOPPED, rolling back from web:4 (the last stop may end the rollback)',
      stopped(),
      record({ rollout: rollout({ rollingBack: { reason: 'x', at: 0, toTaskDefinition: `${TD}web:3` } }) }),
      true,
    ],
    [
      'STOPPED v7, told v7',
      stopped({ version: 7 }),
      record({ rollout: rollout(), taskFacts: [view('a', 7)] }),
      false,
    ],
    [
      'STOPPED, counted',
      stopped(),
      record({
        rollout: rollout({
          failures: [{ taskArn: ARN('a'), taskDefinition: `${TD}web:4`, stoppedReason: 'x', at: 0 }],
        }),
      }),
      false,
    ],
  ])('%s -> matters %s', (_, t, r, matters) => {
    expect(taskEventMatters(t, r).matters).toBe(matters);
  });

  it('a task counted past the failures kept in full (by its short id) is counted already', () => {
    const r = record({
      rollout: rollout({ failuresBeyond: { count: 1, byReason: {}, seen: ARN('a').slice(-8) } }),
    });
    expect(taskEventMatters(stopped(), r).matters).toBe(false);
  });
});

describe('newerTask and mergeTasks', () => {
  it.each([
    [view('a', 5), view('a', 7), 7],
    [view('a', 7), view('a', 5), 7],
    [view('a', 7, { lastStatus: 'RUNNING' }), view('a', 7), 7],
    [view('a', 0, { version: undefined }), view('a', 3), 3],
  ])('newerTask(%#)', (a, b, want) => {
    expect(newerTask(a, b).version).toBe(want);
  });
  it('on a tie the first stands', () => {
    const a = view('a', 7, { lastStatus: 'RUNNING' });
    expect(newerTask(a, view('a', 7))).toBe(a);
  });
  it.each([
    [[view('a', 3, { lastStatus: 'RUNNING' })], [view('a', 5)], [['a', 5, 'STOPPED']]],
    [[view('a', 5)], [view('a', 3, { lastStatus: 'RUNNING' })], [['a', 5, 'STOPPED']]],
    [
      [view('a', 5)],
      [view('b', 1)],
      [
        ['a', 5, 'STOPPED'],
        ['b', 1, 'STOPPED'],
      ],
    ],
    [[view('a', 5)], [view('a', 5), view('a', 5)], [['a', 5, 'STOPPED']]],
  ])('mergeTasks(%#)', (first, more, want) => {
    expect(
      mergeTasks(first, more).map((t) => [t.taskArn.replace(/^.*\/0*/, ''), t.version, t.lastStatus]),
    ).toEqual(want);
  });
});

describe('foldTaskFacts', () => {
  const ids = (r: ServiceRecord) => r.taskFacts?.map((t) => [t.taskArn.replace(/^.*\/0*/, ''), t.version]);
  it.each([
    ['no rollout', record({ taskFacts: [view('a', 5)] }), [], undefined],
    ['a stop told', record({ rollout: rollout() }), [view('a', 5)], [['a', 5]]],
    [
      'a stop told, rolling back from web:4',
      record({
        rollout: rollout({ rollingBack: { reason: 'x', at: 0, toTaskDefinition: `${TD}web:3` } }),
        taskFacts: [view('b', 2)],
      }),
      [view('a', 5)],
      undefined,
    ],
    ['an older event', record({ rollout: rollout(), taskFacts: [view('a', 5)] }), [view('a', 3)], [['a', 5]]],
    [
      'counted among the failures',
      record({
        rollout: rollout({
          failures: [{ taskArn: ARN('a'), taskDefinition: `${TD}web:4`, stoppedReason: 'x', at: 0 }],
        }),
        taskFacts: [view('a', 5)],
      }),
      [],
      undefined,
    ],
    [
      'another revision',
      record({ rollout: rollout() }),
      [view('b', 2, { taskDefinition: `${TD}web:3` })],
      undefined,
    ],
    [
      'a running task',
      record({ rollout: rollout() }),
      [view('c', 2, { lastStatus: 'RUNNING', desiredStatus: 'RUNNING' })],
      undefined,
    ],
  ])('%s', (_, r, told, want) => {
    expect(ids(foldTaskFacts(r, told))).toEqual(want);
  });

  it('folding the same stops in any order, any number of times, gives the same record', () => {
    const told = [view('a', 5), view('b', 2), view('a', 3), view('b', 4)];
    const once = foldTaskFacts(record({ rollout: rollout() }), told);
    const reversed = foldTaskFacts(record({ rollout: rollout() }), [...told].reverse());
    expect(reversed).toEqual(once);
    expect(foldTaskFacts(once, told)).toEqual(once);
    expect(ids(once)).toEqual([
      ['a', 5],
      ['b', 4],
    ]);
  });

  it('stays bounded: 500 tasks told, the newest TASK_FACTS_KEPT kept', () => {
    const told = Array.from({ length: 500 }, (_, i) => view(String(i), i + 1));
    const folded = foldTaskFacts(record({ rollout: rollout() }), told);
    expect(folded.taskFacts).toHaveLength(TASK_FACTS_KEPT);
    expect(folded.taskFacts?.[0]?.version).toBe(500);
    expect(Buffer.byteLength(JSON.stringify(folded))).toBeLessThan(40_000);
  });
});

describe('newerAlarm and foldGates', () => {
  const T = Date.parse('2026-01-01T10:00:00Z');
  const MIN = 60_000;
  const alarm = (name: string, state: AlarmView['state'], at?: number): AlarmView => ({
    name,
    state,
    reason: '',
    ...(at !== undefined ? { at } : {}),
  });
  it.each([
    [alarm('a', 'OK', T), alarm('a', 'ALARM', T + 5 * MIN), 'ALARM'],
    [alarm('a', 'ALARM', T + 5 * MIN), alarm('a', 'OK', T), 'ALARM'],
    [alarm('a', 'OK', T), alarm('a', 'ALARM', T), 'OK'],
    [alarm('a', 'OK'), alarm('a', 'ALARM', T + 5 * MIN), 'ALARM'],
  ])('newerAlarm(%#)', (a, b, want) => {
    expect(newerAlarm(a, b).state).toBe(want);
  });
  const states = (r: ServiceRecord) => r.gates?.map((g) => `${g.name} ${g.state}`);
  it.each([
    [
      'an event after a reading',
      [alarm('web-5xx', 'OK', T)],
      [alarm('web-5xx', 'ALARM', T + 5 * MIN)],
      false,
      ['web-5xx ALARM'],
    ],
    [
      'a late event',
      [alarm('web-5xx', 'ALARM', T + 5 * MIN)],
      [alarm('web-5xx', 'OK', T)],
      false,
      ['web-5xx ALARM'],
    ],
    ['never read', undefined, [alarm('web-5xx', 'ALARM', T)], false, undefined],
    [
      'a reading lets a deleted alarm go',
      [alarm('a', 'OK', T), alarm('b', 'OK', T)],
      [alarm('a', 'OK', T)],
      true,
      ['a OK'],
    ],
    ['a reading that lagged', [alarm('a', 'ALARM', T + 5 * MIN)], [alarm('a', 'OK', T)], true, ['a ALARM']],
  ])('%s', (_, gates, facts, read, want) => {
    expect(states(foldGates(record(gates ? { gates } : {}), facts, read))).toEqual(want);
  });

  const missed = (r: ServiceRecord) =>
    r.gates?.map((g) => `${g.name} ${g.state}${g.missedAlarm ? ` missed ${g.missedAlarm.at - T}` : ''}`);
  const S = 1000;
  it.each([
    [
      'a late ALARM after a newer OK',
      [alarm('web-5xx', 'OK', T + 330 * S)],
      [alarm('web-5xx', 'ALARM', T + 300 * S)],
      false,
      [`web-5xx OK missed ${300 * S}`],
    ],
    [
      'a reading keeps the missed ALARM',
      [{ ...alarm('web-5xx', 'OK', T + 330 * S), missedAlarm: { at: T + 300 * S, reason: '' } }],
      [alarm('web-5xx', 'OK', T + 330 * S)],
      true,
      [`web-5xx OK missed ${300 * S}`],
    ],
    [
      'an ALARM the record held, then its OK',
      [alarm('web-5xx', 'ALARM', T + 300 * S)],
      [alarm('web-5xx', 'OK', T + 330 * S)],
      false,
      ['web-5xx OK'],
    ],
    ['a late OK', [alarm('web-5xx', 'OK', T + 330 * S)], [alarm('web-5xx', 'OK', T)], false, ['web-5xx OK']],
    [
      'an OK that left an ALARM whose own event was lost',
      [alarm('web-5xx', 'OK', T)],
      [{ ...alarm('web-5xx', 'OK', T + 330 * S), missedAlarm: { at: T + 300 * S, reason: '' } }],
      false,
      [`web-5xx OK missed ${300 * S}`],
    ],
    [
      'an OK that left the ALARM the record held',
      [alarm('web-5xx', 'ALARM', T + 300 * S)],
      [{ ...alarm('web-5xx', 'OK', T + 330 * S), missedAlarm: { at: T + 300 * S, reason: '' } }],
      false,
      ['web-5xx OK'],
    ],
  ])('%s', (_, gates, facts, read, want) => {
    expect(missed(foldGates(record({ gates }), facts, read))).toEqual(want);
  });

  it.each([
    ['rollout, read, an event', record({ rollout: rollout(), gates: [] }), ['web-5xx'], false, false, true],
    ['never read', record({ rollout: rollout() }), ['web-5xx'], false, false, false],
    ['a push', record({ rollout: rollout(), gates: [] }), ['web-5xx'], true, false, false],
    ['the sweep', record({ rollout: rollout(), gates: [] }), ['web-5xx'], false, true, false],
    ['no gate alarms', record({ rollout: rollout(), gates: [] }), [], false, false, false],
  ])('gatesKnown: %s', (_, r, gateAlarms, pushing, sweep, want) => {
    expect(gatesKnown(r, { gateAlarms }, { pushing, sweep })).toBe(want);
  });
});

describe('the task event as AWS sends it', () => {
  it('parses every fact the fold uses, and views it as the pipeline decides on it', () => {
    const t = parseTrigger({ ...running, detail: { ...running.detail, group: 'service:web' } });
    expect(t.kind).toBe('service');
    const task = (t as Extract<typeof t, { kind: 'service' }>).task!;
    expect(task).toMatchObject({
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      version: 4,
      taskDefinitionArn: 'arn:aws:ecs:us-west-2:111122223333:task-definition/sample-fargate:1',
      containers: [{ name: 'FargateApp' }],
    });
    expect(taskViewOf(task)).toMatchObject({ taskDefinition: task.taskDefinitionArn, version: 4 });
  });
  it('a stopped task: stop code, reason, time and exit codes', () => {
    const detail = {
      ...running.detail,
      group: 'service:web',
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      stoppedAt: '2020-01-23T17:58:30.103Z',
      version: 6,
      containers: [{ ...running.detail.containers[0], exitCode: 137, reason: 'OutOfMemoryError' }],
    };
    const t = parseTrigger({ ...running, detail });
    const task = (t as Extract<typeof t, { kind: 'service' }>).task!;
    expect(task).toMatchObject({
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      stoppedAt: Date.parse('2020-01-23T17:58:30.103Z'),
      version: 6,
      containers: [{ name: 'FargateApp', exitCode: 137, reason: 'OutOfMemoryError' }],
    });
  });
});

describe('primaryOwnedByPerson', () => {
  const step = (percent: number) => ({ percent, bakeMs: 300_000 });
  const steps = [step(10), step(50), step(100)];
  it.each<[string, Partial<Rollout>, boolean]>([
    ['canary, step 2 (50 %)', { steps, stepIndex: 1 }, true],
    ['canary, step 3 (100 %, promoting)', { steps, stepIndex: 2 }, false],
    [
      'canary, step 1, rolling back',
      { steps, rollingBack: { reason: 'x', at: 0, toTaskDefinition: `${TD}web:3` } },
      false,
    ],
    ['canary, step 1, room learned (full)', { steps, room: 6 }, false],
    ['rolling (its one step is 100 %)', { strategy: 'rolling', steps: [step(100)] }, false],
    ['ecs-canary, step 1 (10 %)', { strategy: 'ecs-canary', steps }, false],
  ])('%s -> %s', (_, extra, owned) => {
    expect(primaryOwnedByPerson(rollout(extra))).toBe(owned);
  });

  it('no rollout -> false', () => {
    expect(primaryOwnedByPerson(undefined)).toBe(false);
  });

  const scaleIn = stopped({
    taskDefinitionArn: `${TD}web:3`,
    stopCode: 'ServiceSchedulerInitiated',
    stoppedReason: SCALE_IN,
  });
  type Target = typeof CANARY_TARGET | typeof ROLLING_TARGET;
  it.each<[string, 'primary' | 'canary', { canaryStep?: boolean } | undefined, Target, boolean]>([
    ['of the primary, hint canaryStep', 'primary', { canaryStep: true }, CANARY_TARGET, true],
    ['of the primary, hint promoting', 'primary', { canaryStep: false }, CANARY_TARGET, false],
    // A cold environment: the record says whose the stop is (one read for a whole batch).
    ['of the primary, no hint, a canary target', 'primary', undefined, CANARY_TARGET, true],
    ['of the primary, no hint, a rolling target', 'primary', undefined, ROLLING_TARGET, false],
    ['of the canary, no hint, a canary target', 'canary', undefined, CANARY_TARGET, false],
    ['of the canary, hint canaryStep', 'canary', { canaryStep: true }, CANARY_TARGET, false],
  ])('a scale-in stop %s -> matters %s before any call', (_, of, hint, target, matters) => {
    expect(dropBeforeCalls(scaleIn, hint, of, target).matters).toBe(matters);
  });

  it.each<[string, { strategy: string; steps: number[] }, boolean]>([
    ['canary [10, 50, 100]', { strategy: 'canary', steps: [10, 50, 100] }, true],
    ['linear [25, 50, 75, 100]', { strategy: 'linear', steps: [25, 50, 75, 100] }, true],
    ['rolling [100]', { strategy: 'rolling', steps: [100] }, false],
    ['all-at-once [100]', { strategy: 'all-at-once', steps: [100] }, false],
    ['ecs-canary [10, 100]', { strategy: 'ecs-canary', steps: [10, 100] }, false],
  ])('canHaveCanarySteps: %s -> %s', (_, t, want) => {
    const target = {
      strategy: t.strategy as (typeof CANARY_TARGET)['strategy'],
      steps: t.steps.map((percent) => ({ percent, bakeMs: 0 })),
    };
    expect(canHaveCanarySteps(target)).toBe(want);
  });

  it.each<[string, 'primary' | 'canary', Partial<Rollout>, boolean]>([
    ['of the primary, the rollout at a canary step', 'primary', { steps, stepIndex: 1 }, true],
    ['of the primary, the rollout promoting', 'primary', { steps, stepIndex: 2 }, false],
    ['of the canary, the rollout at a canary step', 'canary', { steps, stepIndex: 1 }, false],
  ])('a scale-in stop %s -> matters %s with the record', (_, of, extra, matters) => {
    expect(taskEventMatters(scaleIn, record({ rollout: rollout(extra) }), of).matters).toBe(matters);
  });
});
