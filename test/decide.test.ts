import { describe, expect, it } from 'vitest';
import { fromTo } from '../lib/commands/common.ts';
import { foreignFamily, neverKnownGood } from '../lib/commands/control.ts';
import { type TargetConfig, validateConfig } from '../lib/config.ts';
import { asFailure, type Decision, decide, REGISTER_LEASE_MS, type Trigger } from '../lib/decide.ts';
import { MISSING_SERVICE, type Observation, type ServiceView, type TaskView } from '../lib/observation.ts';
import { type ImageRef, newRecord, type ServiceRecord } from '../lib/record.ts';
import { pushedBefore } from '../lib/rollout/push.ts';
import { WEB_TARGET } from './helpers/web-target.ts';

const T0 = Date.UTC(2026, 0, 1);
const OLD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1';
const NEW = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:2';
const MIN = 60_000;
/** A task ECS stopped because its essential container exited: a failure against the rollout. */
const CRASHED = {
  lastStatus: 'STOPPED',
  desiredStatus: 'STOPPED',
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
} as const;

function target(overrides: Record<string, unknown> = {}): TargetConfig {
  return validateConfig({
    targets: [
      {
        ...WEB_TARGET,
        steps: [
          { percent: 10, bake: '5m' },
          { percent: 50, bake: '5m' },
          { percent: 100, bake: '2m' },
        ],
        failedTasks: 2,
        stepDeadline: '15m',
        gateAlarms: ['web-5xx'],
        ...overrides,
      },
    ],
  }).targets[0]!;
}

function image(tag: string, n: number): ImageRef {
  const digest = `sha256:${String(n).repeat(64).slice(0, 64)}`;
  return {
    repository: 'web',
    tag,
    digest,
    uri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/web@${digest}`,
  };
}

function service(
  td: string,
  desired: number,
  running = desired,
  extra: Partial<ServiceView> = {},
): ServiceView {
  return {
    exists: true,
    status: 'ACTIVE',
    taskDefinition: td,
    desiredCount: desired,
    runningCount: running,
    pendingCount: 0,
    deployments: [
      {
        id: 'ecs-svc/1',
        status: 'PRIMARY',
        taskDefinition: td,
        desiredCount: desired,
        runningCount: running,
        pendingCount: 0,
        failedTasks: 0,
        rolloutState: running === desired ? 'COMPLETED' : 'IN_PROGRESS',
      },
    ],
    ...extra,
  };
}

function tasks(td: string, n: number, extra: Partial<TaskView> = {}): TaskView[] {
  return Array.from({ length: n }, (_, i) => ({
    taskArn: `arn:aws:ecs:us-east-1:123456789012:task/prod/${td.slice(-1)}${i}`,
    taskDefinition: td,
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    healthStatus: 'HEALTHY',
    containers: [{ name: 'web' }],
    ...extra,
  }));
}

function obs(extra: Partial<Observation> = {}): Observation {
  return {
    primary: service(OLD, 10),
    canary: MISSING_SERVICE,
    tasks: [],
    hasHealthCheck: true,
    alarms: [{ name: 'web-5xx', state: 'OK', reason: 'Threshold Crossed' }],
    ...extra,
  };
}

const push = (img: ImageRef): Trigger => ({ kind: 'push', image: img });
/** A person's command as the pipeline hands it to decide: said({ name: 'approve', by: 'U1' }). */
const said = (command: Extract<Trigger, { kind: 'command' }>['command']): Trigger => ({
  kind: 'command',
  command,
});
const tick: Trigger = { kind: 'reconcile', reason: 'tick' };

/** A record whose rollout of v2 is registered and at step `stepIndex`. */
function rolling(stepIndex = 0, at = T0): ServiceRecord {
  const r = decide(newRecord('prod', 'web'), obs(), target(), push(image('v2', 2)), at).record;
  r.rollout!.taskDefinition = NEW;
  r.rollout!.stepIndex = stepIndex;
  r.rollout!.steps[stepIndex]!.startedAt = at;
  return r;
}

const kinds = (d: Decision) => d.notices.map((n) => n.kind);

describe('decide: starting a rollout', () => {
  it('a push within the policy starts a rollout from the running revision and registers the new one', () => {
    const d = decide(newRecord('prod', 'web'), obs(), target(), push(image('v2', 2)), T0);
    expect(kinds(d)).toEqual(['started']);
    expect(d.record.rollout).toMatchObject({ fromTaskDefinition: OLD, stepIndex: 0, strategy: 'canary' });
    expect(d.record.lastGood?.taskDefinition).toBe(OLD);
    expect(d.actions).toEqual([
      { type: 'registerRevision', from: OLD, container: 'web', image: image('v2', 2) },
    ]);
    expect(d.record.rollout?.registerLeaseUntil).toBe(T0 + REGISTER_LEASE_MS);
  });

  it('a second invocation inside the registration lease does not register again', () => {
    const first = decide(newRecord('prod', 'web'), obs(), target(), push(image('v2', 2)), T0);
    const second = decide(first.record, obs(), target(), tick, T0 + 10_000);
    expect(second.actions).toEqual([]);
    const afterLease = decide(first.record, obs(), target(), tick, T0 + REGISTER_LEASE_MS + 1);
    expect(afterLease.actions.map((a) => a.type)).toEqual(['registerRevision']);
  });

  it('a duplicated push event changes nothing', () => {
    const first = decide(newRecord('prod', 'web'), obs(), target(), push(image('v2', 2)), T0);
    const dup = decide(first.record, obs(), target(), push(image('v2', 2)), T0 + 1000);
    expect(dup.skipped).toMatch(/already rolling out/);
    expect(dup.notices).toEqual([]);
    expect(dup.record.rollout?.id).toBe(first.record.rollout?.id);
  });

  it.each([
    ['latest', /latest/],
    ['feature-x', /does not match/],
  ])('a tag outside the policy (%s) is ignored and recorded', (tag, reason) => {
    const d = decide(newRecord('prod', 'web'), obs(), target(), push(image(tag, 3)), T0);
    expect(kinds(d)).toEqual(['ignored']);
    expect(d.record.rollout).toBeUndefined();
    expect(d.record.history.at(-1)).toMatchObject({ outcome: 'ignored' });
    expect(d.record.history.at(-1)?.reason).toMatch(reason);
    expect(d.actions).toEqual([]);
  });

  it('an ignored push is recorded under the target own strategy (rolling), not canary', () => {
    const rolling = target({ strategy: 'rolling', steps: undefined });
    const d = decide(newRecord('prod', 'web'), obs(), rolling, push(image('latest', 3)), T0);
    expect(kinds(d)).toEqual(['ignored']);
    expect(d.record.history.at(-1)).toMatchObject({ outcome: 'ignored', strategy: 'rolling' });
  });

  it('a push ignored once is not recorded or told again when its event comes twice', () => {
    const first = decide(newRecord('prod', 'web'), obs(), target(), push(image('latest', 3)), T0);
    expect(kinds(first)).toEqual(['ignored']);
    const again = decide(first.record, obs(), target(), push(image('latest', 3)), T0 + 200);
    expect(again.notices).toEqual([]);
    expect(again.skipped).toMatch(/already ignored/);
    expect(again.record.history.filter((h) => h.outcome === 'ignored')).toHaveLength(1);
  });

  it('a digest that was rolled back is not deployed again by a duplicate event', () => {
    const r = newRecord('prod', 'web');
    r.badDigests[image('v2', 2).digest] = { reason: 'crashed', at: T0 };
    const d = decide(r, obs(), target(), push(image('v2', 2)), T0);
    expect(kinds(d)).toEqual(['ignored']);
    expect(d.record.history.at(-1)?.reason).toMatch(/was rolled back/);
  });

  it('a newer push supersedes the rollout in progress, which is recorded', () => {
    const r = rolling(1);
    const d = decide(r, obs({ canary: service(NEW, 10) }), target(), push(image('v3', 3)), T0 + MIN);
    expect(kinds(d)).toEqual(['superseded', 'started']);
    expect(d.record.history.at(-1)).toMatchObject({ outcome: 'superseded', reason: 'superseded by web:v3' });
    expect(d.record.rollout?.image.tag).toBe('v3');
    expect(d.record.rollout?.fromTaskDefinition).toBe(OLD);
  });

  it("a newer push keeps the service's total where the superseded rollout had given primary tasks to its canary", () => {
    // 10 tasks at 90 %: canary 18 beside a primary of 2 (past maxSurge).
    const r = rolling(1);
    r.rollout!.total = 10;
    r.rollout!.primaryCount = 2;
    const o = obs({ primary: service(OLD, 2), canary: service(NEW, 18) });
    const d = decide(r, o, target(), push(image('v3', 3)), T0 + MIN);
    expect(d.record.rollout).toMatchObject({ image: { tag: 'v3' }, total: 10, primaryCount: 2 });
    // Without a count of its own the new rollout would take the primary's 2 for the service's total.
    const fresh = decide(rolling(1), o, target(), push(image('v3', 3)), T0 + MIN);
    expect(fresh.record.rollout?.total).toBeUndefined();
  });
});

describe('decide: stepping', () => {
  it('step 1 asks for a canary of one task beside a primary of 10 (9% of traffic)', () => {
    const d = decide(rolling(0), obs(), target(), tick, T0);
    expect(d.actions).toEqual([{ type: 'setCanary', taskDefinition: NEW, desiredCount: 1 }]);
  });

  it('the bake starts once the canary tasks are running and healthy, and the next step follows after it', () => {
    const o = obs({ canary: service(NEW, 1), tasks: tasks(NEW, 1) });
    const healthy = decide(rolling(0), o, target(), tick, T0 + 30_000);
    expect(healthy.record.rollout?.steps[0]?.healthyAt).toBe(T0 + 30_000);
    expect(healthy.record.rollout?.stepIndex).toBe(0);
    const early = decide(healthy.record, o, target(), tick, T0 + 30_000 + 5 * MIN - 1);
    expect(early.record.rollout?.stepIndex).toBe(0);
    const baked = decide(healthy.record, o, target(), tick, T0 + 30_000 + 5 * MIN);
    expect(baked.record.rollout?.stepIndex).toBe(1);
    expect(baked.notices).toMatchObject([{ kind: 'step', percent: 50, canaryTasks: 10, share: 50 }]);
  });

  it('an unhealthy (not yet HEALTHY) canary task does not start the bake when a health check exists', () => {
    const o = obs({ canary: service(NEW, 1), tasks: tasks(NEW, 1, { healthStatus: 'UNKNOWN' }) });
    expect(
      decide(rolling(0), o, target(), tick, T0 + 30_000).record.rollout?.steps[0]?.healthyAt,
    ).toBeUndefined();
    const noCheck = { ...o, hasHealthCheck: false };
    expect(decide(rolling(0), noCheck, target(), tick, T0 + 30_000).record.rollout?.steps[0]?.healthyAt).toBe(
      T0 + 30_000,
    );
  });

  it('a paused rollout holds its step after the bake', () => {
    const r = rolling(0);
    r.rollout!.paused = true;
    r.rollout!.steps[0]!.healthyAt = T0;
    const o = obs({ canary: service(NEW, 1), tasks: tasks(NEW, 1) });
    expect(decide(r, o, target(), tick, T0 + 60 * MIN).record.rollout?.stepIndex).toBe(0);
  });
});

describe('decide: promotion and success', () => {
  it('the last step rolls the primary, then the canary goes to 0 as the final bake starts, then succeeded', () => {
    const r = rolling(2);
    const start = decide(r, obs({ canary: service(NEW, 10), tasks: tasks(NEW, 10) }), target(), tick, T0);
    expect(start.actions).toEqual([{ type: 'setPrimary', taskDefinition: NEW, allAtOnce: false }]);

    const rolled = obs({ primary: service(NEW, 10), canary: service(NEW, 10), tasks: tasks(NEW, 20) });
    const canaryDown = decide(start.record, rolled, target(), tick, T0 + 3 * MIN);
    expect(canaryDown.actions).toEqual([{ type: 'setCanary', taskDefinition: NEW, desiredCount: 0 }]);
    // The primary is promoted: its bake need not wait for the canary's tasks to drain.
    expect(canaryDown.record.rollout?.steps[2]?.healthyAt).toBe(T0 + 3 * MIN);

    const clean = obs({ primary: service(NEW, 10), canary: service(NEW, 0), tasks: tasks(NEW, 10) });
    const baking = decide(canaryDown.record, clean, target(), tick, T0 + 4 * MIN);
    expect(baking.record.rollout?.steps[2]?.healthyAt).toBe(T0 + 3 * MIN);
    expect(kinds(decide(baking.record, clean, target(), tick, T0 + 4 * MIN + 59_000))).toEqual([]);
    const done = decide(baking.record, clean, target(), tick, T0 + 5 * MIN);
    expect(kinds(done)).toEqual(['succeeded']);
    expect(done.record.rollout).toBeUndefined();
    expect(done.record.lastGood).toMatchObject({ taskDefinition: NEW, image: { tag: 'v2' } });
    expect(done.record.history.at(-1)).toMatchObject({ outcome: 'succeeded', taskDefinition: NEW });
  });
});

describe('decide: rollback', () => {
  const crashed = (n: number) =>
    tasks(NEW, n, {
      ...CRASHED,
      containers: [{ name: 'web', exitCode: 1 }],
    });
  /** The canary's one task slot has seen `n` new tasks crash. */
  const afterCrashes = (record: ServiceRecord, n: number, at: number) =>
    decide(record, obs({ canary: service(NEW, 1, 0), tasks: crashed(n) }), target(), tick, at);

  it('rolls back when failed new tasks reach the threshold, with their reasons and exit codes', () => {
    const one = afterCrashes(rolling(0), 1, T0 + MIN);
    expect(one.record.rollout?.rollingBack).toBeUndefined();
    expect(one.record.rollout?.failures).toHaveLength(1);
    const two = afterCrashes(one.record, 2, T0 + 2 * MIN);
    expect(kinds(two)).toEqual(['rolled_back']);
    expect(two.record.history.at(-1)?.reason).toBe(
      '2 new tasks failed: Essential container in task exited (web exit code 1)',
    );
    expect(two.actions).toEqual([{ type: 'setCanary', taskDefinition: NEW, desiredCount: 0 }]);
    expect(two.record.badDigests[image('v2', 2).digest]).toBeDefined();
  });

  it('rolls back on a gate alarm in ALARM, naming the alarm and its reason', () => {
    const o = obs({
      canary: service(NEW, 1),
      alarms: [{ name: 'web-5xx', state: 'ALARM', reason: 'Threshold Crossed: 1 datapoint' }],
    });
    const d = decide(rolling(0), o, target(), tick, T0 + MIN);
    expect(d.notices[0]).toMatchObject({ kind: 'rolled_back', alarm: { name: 'web-5xx' } });
    expect(d.record.history.at(-1)?.reason).toBe(
      'gate alarm web-5xx is in ALARM: Threshold Crossed: 1 datapoint',
    );
  });

  /**
   * A flap at `at`, OK again 30 s later, as the record holds it: its ALARM told late after the OK's
   * event, or (`by: 'left'`) known only from the OK's previous state (lib/event-facts.ts foldGates).
   */
  const flapped = (at: number, by?: 'left') =>
    obs({
      canary: service(NEW, 1),
      alarms: [
        {
          name: 'web-5xx',
          state: 'OK',
          reason: 'back',
          at: at + 30_000,
          missedAlarm: { at, reason: 'flap', ...(by && { by }) },
        },
      ],
    });

  it('rolls back on an ALARM told late, after its OK, that began once the first step had asked for tasks', () => {
    const d = decide(rolling(0), flapped(T0 + 5 * MIN), target(), tick, T0 + 6 * MIN);
    expect(d.notices[0]).toMatchObject({ kind: 'rolled_back', alarm: { name: 'web-5xx', state: 'ALARM' } });
    expect(d.record.history.at(-1)?.reason).toBe(
      `gate alarm web-5xx was in ALARM at ${new Date(T0 + 5 * MIN).toISOString()} (told late, after a newer state): flap`,
    );
    // One that began before the first step asked is the old revision's, as an ALARM at the push is.
    const before = decide(rolling(0, T0 + 5 * MIN), flapped(T0), target(), tick, T0 + 6 * MIN);
    expect(before.record.rollout?.rollingBack).toBeUndefined();
  });

  it('says so when an ALARM is known only from the OK that left it, its own event not come yet (stranger6 10)', () => {
    const at = T0 + 5 * MIN;
    const d = decide(rolling(0), flapped(at, 'left'), target(), tick, T0 + 6 * MIN);
    expect(d.record.history.at(-1)?.reason).toBe(
      `gate alarm web-5xx was in ALARM at ${new Date(at).toISOString()} (told by the state after it: its own event had not come): flap`,
    );
  });

  it('ignores a gate alarm already in ALARM when the rollout started, until it has been OK', () => {
    const alarming = obs({ alarms: [{ name: 'web-5xx', state: 'ALARM', reason: 'old version' }] });
    const started = decide(newRecord('prod', 'web'), alarming, target(), push(image('v2', 2)), T0);
    expect(started.record.rollout?.ignoredAlarms).toEqual(['web-5xx']);
    started.record.rollout!.taskDefinition = NEW;
    const still = decide(started.record, { ...alarming, canary: service(NEW, 1) }, target(), tick, T0 + MIN);
    expect(still.record.rollout?.rollingBack).toBeUndefined();
    const cleared = decide(still.record, obs({ canary: service(NEW, 1) }), target(), tick, T0 + 2 * MIN);
    expect(cleared.record.rollout?.ignoredAlarms).toEqual([]);
    const again = decide(
      cleared.record,
      { ...alarming, canary: service(NEW, 1) },
      target(),
      tick,
      T0 + 3 * MIN,
    );
    expect(kinds(again)).toEqual(['rolled_back']);
  });

  it('rolls back a step that is not healthy by its deadline', () => {
    const o = obs({ canary: service(NEW, 1, 0, { pendingCount: 1 }) });
    expect(decide(rolling(0), o, target(), tick, T0 + 15 * MIN).record.rollout?.rollingBack).toBeUndefined();
    const d = decide(rolling(0), o, target(), tick, T0 + 15 * MIN + 1);
    expect(d.record.history.at(-1)?.reason).toBe('step 1 (10%) was not healthy within its deadline of 15m');
  });

  it('names capacity when the step timed out with tasks ECS could not place (issue 13.2)', () => {
    const o = obs({ canary: service(NEW, 1, 0) });
    const d = decide(rolling(0), o, target(), tick, T0 + 15 * MIN + 1);
    expect(d.record.history.at(-1)?.reason).toBe(
      'step 1 (10%) was not healthy within its deadline of 15m: 1 of 1 canary tasks could not be placed (not enough capacity in the cluster?)',
    );
    // The image is not to blame: its digest is not marked bad.
    expect(d.record.badDigests).toEqual({});
  });

  it("names capacity, and does not mark the digest bad, when a canary step timed out with the primary's tasks unplaced (stranger6 19)", () => {
    // Scaled out past what the cluster holds: the canary runs its tasks, the primary could place 7 of 12.
    const unplacedSince = (at: number) =>
      obs({
        primary: service(OLD, 12, 7, { placementFailedAt: at }),
        canary: service(NEW, 1, 1),
      });
    const d = decide(rolling(0), unplacedSince(T0 + MIN), target(), tick, T0 + 15 * MIN + 1);
    expect(d.record.history.at(-1)?.reason).toBe(
      'step 1 (10%) was not healthy within its deadline of 15m: 5 of 12 primary tasks could not be placed (not enough capacity in the cluster?)',
    );
    expect(d.record.badDigests).toEqual({});
    // ECS's "unable to place" from before the rollout is not this rollout's: the image is blamed.
    const before = decide(rolling(0), unplacedSince(T0 - MIN), target(), tick, T0 + 15 * MIN + 1);
    expect(before.record.history.at(-1)?.reason).toBe(
      'step 1 (10%) was not healthy within its deadline of 15m',
    );
    expect(Object.keys(before.record.badDigests)).toHaveLength(1);
  });

  it('a switch on a full cluster waits while ECS still rolls the primary back (verdict seed 20261219 #45)', () => {
    // Promotion (step 3) on a cluster of 6: ECS's breaker failed the switch and is rolling the
    // primary back to web:1 (1 of 3 running); the canary's 2 tasks still serve.
    const r = rolling(2);
    r.rollout!.room = 6;
    const backing = obs({ primary: service(OLD, 3, 1), canary: service(NEW, 2) });
    expect(backing.primary.deployments[0]?.rolloutState).toBe('IN_PROGRESS');
    expect(decide(r, backing, target(), tick, T0 + MIN).actions).toEqual([]);
    // Once ECS's rollback is done, the switch goes on (the canary gives the room it needs).
    const back = obs({ primary: service(OLD, 3), canary: service(NEW, 2) });
    const again = rolling(2);
    again.rollout!.room = 6;
    expect(decide(again, back, target(), tick, T0 + MIN).actions).toEqual([
      { type: 'setCanary', taskDefinition: NEW, desiredCount: 0 },
    ]);
  });

  it('during promotion returns the primary to the revision the rollout started from', () => {
    const o = obs({ primary: service(NEW, 10, 4), canary: service(NEW, 10), tasks: crashed(2) });
    const d = decide(rolling(2), o, target(), tick, T0 + MIN);
    expect(d.actions).toEqual([
      { type: 'setCanary', taskDefinition: NEW, desiredCount: 0 },
      { type: 'setPrimary', taskDefinition: OLD },
    ]);
  });

  it('keeps the rollout until the canary is empty and the primary is back, then clears it', () => {
    const first = afterCrashes(rolling(0), 2, T0 + MIN);
    const draining = decide(
      first.record,
      obs({ canary: service(NEW, 0, 1) }),
      target(),
      tick,
      T0 + MIN + 5000,
    );
    expect(draining.record.rollout?.rollingBack).toBeDefined();
    expect(draining.actions).toEqual([]);
    const clean = decide(draining.record, obs({ canary: service(NEW, 0, 0) }), target(), tick, T0 + 2 * MIN);
    expect(clean.record.rollout).toBeUndefined();
    expect(clean.record.history.filter((h) => h.outcome === 'rolled_back')).toHaveLength(1);
  });

  it('an abort by hand rolls back and is recorded as aborted, not as a bad digest', () => {
    const d = decide(rolling(1), obs({ canary: service(NEW, 10) }), target(), said({ name: 'abort' }), T0);
    expect(d.record.history.at(-1)).toMatchObject({ outcome: 'aborted', reason: 'aborted by hand' });
    expect(d.record.badDigests).toEqual({});
  });
});

describe('asFailure: which stopped tasks count against a rollout', () => {
  const stopped = (extra: Partial<TaskView>): TaskView => ({
    taskArn: 't',
    taskDefinition: NEW,
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    containers: [{ name: 'web' }],
    ...extra,
  });
  it.each([
    [
      'essential container exited',
      { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' },
      true,
    ],
    [
      'cannot pull',
      {
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s)',
      },
      true,
    ],
    [
      'failed container health checks',
      { stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Task failed container health checks' },
      true,
    ],
    [
      'failed ELB health checks',
      {
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: 'Task failed ELB health checks in (target-group arn)',
      },
      true,
    ],
    [
      'scale-in by the scheduler',
      {
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/1)',
      },
      false,
    ],
    ['stopped by a person', { stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' }, false],
    [
      'Spot interruption',
      { stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.' },
      false,
    ],
  ])('%s -> %s', (_name, extra, counts) => {
    expect(asFailure(stopped(extra), T0) !== undefined).toBe(counts);
  });

  it('records the container and its non-zero exit code', () => {
    const f = asFailure(
      stopped({
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        containers: [
          { name: 'envoy', exitCode: 0 },
          { name: 'web', exitCode: 137 },
        ],
      }),
      T0,
    );
    expect(f).toMatchObject({ container: 'web', exitCode: 137 });
  });
});

describe('decide: rollback by hand', () => {
  const command = (to?: string): Trigger => ({ kind: 'command', command: { name: 'rollback', to } });
  const V3 = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:3';

  const release = (id: string, img: ImageRef, taskDefinition: string, fromTaskDefinition: string) => ({
    id,
    image: img,
    strategy: 'canary' as const,
    taskDefinition,
    fromTaskDefinition,
    outcome: 'succeeded' as const,
    reason: '',
    startedAt: T0,
    endedAt: T0,
    steps: [],
    failures: [],
  });

  function afterTwoReleases(): ServiceRecord {
    const r = newRecord('prod', 'web');
    r.lastGood = { taskDefinition: V3, image: image('v3', 3), since: T0 };
    r.history = [release('a', image('v2', 2), NEW, OLD), release('b', image('v3', 3), V3, NEW)];
    return r;
  }

  it('when idle, returns the primary to the revision good before the current one and marks the digest bad', () => {
    const d = decide(afterTwoReleases(), obs({ primary: service(V3, 10) }), target(), command(), T0 + MIN);
    expect(d.actions).toEqual([{ type: 'setPrimary', taskDefinition: NEW }]);
    expect(d.record.history.at(-1)).toMatchObject({
      outcome: 'rolled_back',
      reason: 'rolled back by hand from web:3 to web:2',
    });
    expect(d.record.badDigests[image('v3', 3).digest]).toBeDefined();
    const done = decide(d.record, obs({ primary: service(NEW, 10) }), target(), tick, T0 + 3 * MIN);
    expect(done.record.rollout).toBeUndefined();
    expect(done.record.lastGood?.taskDefinition).toBe(NEW);
  });

  it('goes to the revision named with --to', () => {
    const d = decide(afterTwoReleases(), obs({ primary: service(V3, 10) }), target(), command(OLD), T0);
    expect(d.actions).toEqual([{ type: 'setPrimary', taskDefinition: OLD }]);
  });

  it('says why it does nothing when no earlier good revision is known', () => {
    const d = decide(newRecord('prod', 'web'), obs(), target(), command(), T0);
    expect(d.actions).toEqual([]);
    expect(d.skipped).toMatch(/no earlier good revision/);
  });

  it('during a rollout aborts it', () => {
    const d = decide(rolling(1), obs({ canary: service(NEW, 10) }), target(), command(), T0);
    expect(d.record.history.at(-1)).toMatchObject({ outcome: 'aborted', reason: 'rolled back by hand' });
    expect(d.actions).toContainEqual({ type: 'setCanary', taskDefinition: NEW, desiredCount: 0 });
  });

  it('during a rollout, --to goes to the named revision; the history keeps where the rollout started', () => {
    // Before: the rollout's start was overwritten by the --to revision, so history read
    // "web:3 -> web:2" for a rollout that went web:1 -> web:2, and a revision forced in by hand
    // became "a revision a rollout started from" (known good) for the next `rollback --to`.
    const r = rolling(1);
    // web:3 was rolled out once and rolled back: never known good (`rollback --to` needs --force).
    r.history = [
      { ...release('a', image('v3', 3), V3, OLD), outcome: 'rolled_back', reason: '1 new task failed' },
    ];
    expect(neverKnownGood(r, V3)).toMatch(/rolled back/);
    const d = decide(r, obs({ canary: service(NEW, 10) }), target(), command(V3), T0);
    const entry = d.record.history.at(-1)!;
    expect(entry).toMatchObject({ outcome: 'aborted', fromTaskDefinition: OLD, backTo: V3 });
    expect(d.record.rollout?.rollingBack?.toTaskDefinition).toBe(V3);
    expect(fromTo(entry)).toEqual({ from: 'web:1', to: 'web:2', now: 'web:3' });
    // Forcing it in by hand does not make it known good.
    expect(neverKnownGood(d.record, V3)).toMatch(/rolled back/);
    const plain = decide(rolling(1), obs({ canary: service(NEW, 10) }), target(), command(), T0);
    expect(plain.record.history.at(-1)!.backTo).toBeUndefined();
    expect(fromTo(plain.record.history.at(-1)!)).toEqual({ from: 'web:1', to: 'web:2', now: 'web:1' });
  });
});

describe('rollback --to stays in the service family', () => {
  const API = 'arn:aws:ecs:us-east-1:123456789012:task-definition/api:1';
  const WEB4 = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:4';
  const moved = () => {
    const r = newRecord('prod', 'web');
    r.history = [
      {
        id: 'a',
        image: image('v2', 2),
        strategy: 'canary',
        taskDefinition: NEW,
        fromTaskDefinition: OLD,
        outcome: 'succeeded',
        reason: '',
        startedAt: T0,
        endedAt: T0,
        steps: [],
        failures: [],
      },
    ];
    return r;
  };
  it.each([
    { runs: WEB4, to: NEW, refused: false },
    { runs: WEB4, to: API, refused: true },
    { runs: API, to: NEW, refused: false }, // put on api:1 by mistake: back to its own family
    { runs: undefined, to: API, refused: true },
  ])('runs $runs, --to $to: refused $refused', ({ runs, to, refused }) => {
    const why = foreignFamily(moved(), runs, to);
    if (refused) expect(why).toMatch(/^api:1 is a revision of api, not of web/);
    else expect(why).toBeUndefined();
  });
  it('a service the record never saw, with nothing running, is not doubted', () => {
    expect(foreignFamily(newRecord('prod', 'web'), undefined, API)).toBeUndefined();
  });
});

describe('decide: scaling owns the total', () => {
  const scaling = {
    min: 2,
    max: 20,
    cooldown: { out: '2m', in: '5m' },
    rules: [
      { alarm: 'cpu-high', adjust: '+2' },
      { alarm: 'rps-high', adjust: '+50%' },
      { alarm: 'cpu-low', adjust: '-1' },
    ],
  };
  const scaled = () => target({ scaling });
  const reading = (name: string, state: 'OK' | 'ALARM' = 'ALARM') => ({ name, state });

  it('of two scale-outs asked at once the larger wins, and the primary gets the total', () => {
    const d = decide(
      newRecord('prod', 'web'),
      obs({ scalingAlarms: [reading('cpu-high'), reading('rps-high')] }),
      scaled(),
      tick,
      T0,
    );
    // cpu-high asks 10 + 2 = 12, rps-high 10 + 50% = 15.
    expect(d.actions).toEqual([{ type: 'setCount', desiredCount: 15 }]);
    expect(d.notices).toMatchObject([{ kind: 'scaled', from: 10, to: 15, alarm: { name: 'rps-high' } }]);
    expect(d.record.scaling?.total).toBe(15);
    expect(Object.keys(d.record.scaling?.firing ?? {}).sort()).toEqual(['cpu-high', 'rps-high']);
  });

  it('a count changed from outside (a deploy that resets it) is put back to the total', () => {
    const r = newRecord('prod', 'web');
    r.scaling = { total: 8, firing: {} };
    const d = decide(r, obs({ primary: service(OLD, 1), scalingAlarms: [] }), scaled(), tick, T0);
    expect(d.actions).toEqual([{ type: 'setCount', desiredCount: 8 }]);
    expect(d.notices).toEqual([]);
  });

  it('adopts the running count, within bounds, the first time', () => {
    const d = decide(
      newRecord('prod', 'web'),
      obs({ primary: service(OLD, 30), scalingAlarms: [] }),
      scaled(),
      tick,
      T0,
    );
    expect(d.record.scaling?.total).toBe(20);
    expect(d.actions).toEqual([{ type: 'setCount', desiredCount: 20 }]);
  });

  it('stands aside, once, when another owner of the count exists', () => {
    const o = obs({
      scalingAlarms: [reading('cpu-high')],
      externalScaler: 'Application Auto Scaling has a scalable target',
    });
    const d = decide(newRecord('prod', 'web'), o, scaled(), tick, T0);
    expect(d.actions).toEqual([]);
    expect(d.notices).toMatchObject([{ kind: 'blocked' }]);
    expect(decide(d.record, o, scaled(), tick, T0 + MIN).notices).toEqual([]);
  });

  it('scale-in waits while a rollout is in progress', () => {
    const r = rolling(0);
    r.scaling = { total: 10, firing: {} };
    const d = decide(
      r,
      obs({ canary: service(NEW, 1), scalingAlarms: [reading('cpu-low')] }),
      scaled(),
      tick,
      T0 + 10 * MIN,
    );
    expect(d.actions.some((a) => a.type === 'setCount')).toBe(false);
    expect(d.record.scaling?.firing['cpu-low']).toBeDefined();
  });
});

describe('decide: a failing task counts as soon as ECS decides to stop it', () => {
  /** One new task that ECS is stopping (DEACTIVATING, desired STOPPED) for this reason, one step in. */
  const decideWhileStopping = (stopCode: string, stoppedReason: string, more: Partial<TaskView> = {}) =>
    decide(
      rolling(0),
      obs({
        canary: service(NEW, 1, 0),
        tasks: tasks(NEW, 1, {
          lastStatus: 'DEACTIVATING',
          desiredStatus: 'STOPPED',
          stopCode,
          stoppedReason,
          ...more,
        }),
      }),
      target({ failedTasks: 1 }),
      tick,
      T0 + MIN,
    );

  it('a crashed task still STOPPING (desiredStatus STOPPED) is a failure', () => {
    const d = decideWhileStopping('EssentialContainerExited', 'Essential container in task exited', {
      containers: [{ name: 'web', exitCode: 1 }],
    });
    expect(kinds(d)).toEqual(['rolled_back']);
  });

  it('a task being scaled in is not', () => {
    const d = decideWhileStopping(
      'ServiceSchedulerInitiated',
      'Scaling activity initiated by (deployment ecs-svc/1)',
    );
    expect(d.record.rollout?.failures).toEqual([]);
  });
});

describe('decide: the newest push wins, whatever order the events come in', () => {
  const at = (minute: number) => T0 + minute * MIN;
  const pushed = (tag: string, n: number, minute: number): ImageRef => ({
    ...image(tag, n),
    pushedAt: at(minute),
  });

  it('a push older than the one rolling out is ignored, with why', () => {
    const v3 = decide(newRecord('prod', 'web'), obs(), target(), push(pushed('v3', 3, 4)), at(5));
    const lateV2 = decide(v3.record, obs(), target(), push(pushed('v2', 2, 3)), at(6));
    expect(kinds(lateV2)).toEqual(['ignored']);
    expect(lateV2.record.rollout?.image.tag).toBe('v3');
    expect(lateV2.record.history.at(-1)?.reason).toMatch(
      /^web:v2 was pushed before web:v3 .* which is rolling out$/,
    );
  });

  it('an old image found late is not deployed over a newer one', () => {
    const r = newRecord('prod', 'web');
    r.lastGood = { taskDefinition: OLD, image: pushed('v3', 3, 4), since: at(10) };
    const d = decide(r, obs(), target(), push(pushed('v2', 2, 3)), at(12));
    expect(kinds(d)).toEqual(['ignored']);
    expect(d.record.history.at(-1)?.reason).toMatch(/which is deployed$/);
  });

  it('a newer push still supersedes; a push in the same second asks ECR, and one ECR cannot order is not older', () => {
    const v2 = decide(newRecord('prod', 'web'), obs(), target(), push(pushed('v2', 2, 4)), at(3));
    expect(kinds(decide(v2.record, obs(), target(), push(pushed('v3', 3, 5)), at(6)))).toEqual([
      'superseded',
      'started',
    ]);
    expect(decide(v2.record, obs(), target(), push(pushed('v3', 3, 4)), at(4)).needsPushTimes).toHaveLength(
      2,
    );
    const untold: Trigger = { kind: 'push', image: pushed('v3', 3, 4), pushTimes: {} };
    expect(kinds(decide(v2.record, obs(), target(), untold, at(4)))).toEqual(['superseded', 'started']);
  });
});

describe('decide: a step deadline counts unhealthy time since the step last asked for tasks (issue 13.3)', () => {
  it('a scale-out late in a bake resizes the canary and the deadline counts from the resize', () => {
    const o = obs({ canary: service(NEW, 1), tasks: tasks(NEW, 1) });
    const healthy = decide(rolling(0), o, target(), tick, T0 + MIN);
    // 16 minutes in, the total grows: the canary is asked for 2 tasks.
    const grown = obs({ primary: service(OLD, 20), canary: service(NEW, 1), tasks: tasks(NEW, 1) });
    const resized = decide(healthy.record, grown, target(), tick, T0 + 16 * MIN);
    expect(resized.actions).toEqual([{ type: 'setCanary', taskDefinition: NEW, desiredCount: 2 }]);
    const starting = obs({ primary: service(OLD, 20), canary: service(NEW, 2, 1), tasks: tasks(NEW, 1) });
    const later = decide(resized.record, starting, target(), tick, T0 + 30 * MIN);
    expect(later.record.rollout?.rollingBack).toBeUndefined();
    const late = decide(resized.record, starting, target(), tick, T0 + 31 * MIN + 1);
    expect(late.record.history.at(-1)?.reason).toMatch(/not healthy within its deadline of 15m/);
  });

  it('a pause stops the deadline clock, and resume carries it on where it stopped', () => {
    const o = obs({ canary: service(NEW, 1, 0) });
    const asked = decide(rolling(0), o, target(), tick, T0);
    const paused = decide(asked.record, o, target(), said({ name: 'pause' }), T0 + 10 * MIN);
    const held = decide(paused.record, o, target(), tick, T0 + 60 * MIN);
    expect(held.record.rollout?.rollingBack).toBeUndefined();
    const resumed = decide(held.record, o, target(), said({ name: 'resume' }), T0 + 60 * MIN);
    // 10 minutes before the pause, so 5 more are allowed after it.
    expect(
      decide(resumed.record, o, target(), tick, T0 + 65 * MIN).record.rollout?.rollingBack,
    ).toBeUndefined();
    expect(
      decide(resumed.record, o, target(), tick, T0 + 65 * MIN + 1).record.rollout?.rollingBack,
    ).toBeDefined();
  });
});

describe('decide: a bake is healthy for its whole length or it is not baked (issue 13.6)', () => {
  const crashed = (i: number) =>
    tasks(NEW, 1, {
      taskArn: `arn:aws:ecs:us-east-1:123456789012:task/prod/crash${i}`,
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
    });
  const t = target({ failedTasks: 10 });

  it('a failure inside the final bake restarts it; a revision that keeps failing rolls back at its deadline, never succeeds', () => {
    const clean = (extra: TaskView[] = [], up = 10) =>
      obs({ primary: service(NEW, 10, up), canary: service(NEW, 0), tasks: [...tasks(NEW, up), ...extra] });
    let r = rolling(2);
    r.rollout!.promotedAt = T0;
    r = decide(r, clean(), t, tick, T0 + MIN).record;
    expect(r.rollout?.steps[2]?.healthyAt).toBe(T0 + MIN);
    // A task crashes one minute into the two-minute bake: the bake starts again once all are healthy.
    const seen: TaskView[] = [];
    let at = T0 + 2 * MIN;
    for (let i = 0; i < 9 && r.rollout && !r.rollout.rollingBack; i++) {
      seen.push(...crashed(i));
      const d = decide(r, clean(seen, 9), t, tick, at);
      expect(kinds(d)).not.toContain('succeeded');
      r = d.record;
      expect(r.rollout?.steps[2]?.healthyAt).toBeUndefined();
      // The replacement is up 110 s later, and crashes again before the two-minute bake ends.
      r = decide(r, clean(seen), t, tick, at + 110_000).record;
      at += 2 * MIN;
    }
    expect(r.rollout?.rollingBack?.reason).toMatch(/not healthy within its deadline of 15m/);
    expect(r.history.at(-1)?.outcome).toBe('rolled_back');
    expect(r.lastGood?.taskDefinition).toBe(OLD);
  });
});

describe("decide: ECS's own verdict during promotion (issue 13.7)", () => {
  it('a circuit-breaker rollback of the primary ends the rollout rolled back with ECS reason, where ECS took it', () => {
    let r = rolling(2);
    const promoted = obs({ primary: service(NEW, 10, 4), canary: service(NEW, 10), tasks: tasks(NEW, 4) });
    r = decide(r, promoted, target(), tick, T0 + MIN).record;
    expect(r.rollout?.promotedAt).toBe(T0 + MIN);
    // ECS's rollback finished and the failed deployment is gone from DescribeServices.
    const back = obs({ primary: service(OLD, 10), canary: service(NEW, 10) });
    back.primary.deployments[0]!.rolloutStateReason =
      'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.';
    const d = decide(r, back, target(), tick, T0 + 5 * MIN);
    expect(kinds(d)).toEqual(['rolled_back']);
    expect(d.record.history.at(-1)?.reason).toMatch(
      /^ECS rolled the deployment of the revision back: ECS deployment circuit breaker/,
    );
    expect(d.record.badDigests[image('v2', 2).digest]).toBeDefined();
    // The primary is never pushed onto the revision again.
    expect(d.actions).toEqual([{ type: 'setCanary', taskDefinition: NEW, desiredCount: 0 }]);
  });

  it('a FAILED deployment of the revision rolls back with its reason', () => {
    const failing = service(NEW, 10, 3);
    failing.deployments[0]!.rolloutState = 'FAILED';
    failing.deployments[0]!.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
    const d = decide(
      rolling(2),
      obs({ primary: failing, canary: service(NEW, 10) }),
      target(),
      tick,
      T0 + MIN,
    );
    expect(d.record.history.at(-1)?.reason).toBe(
      'ECS failed the deployment of the revision: ECS deployment circuit breaker: tasks failed to start.',
    );
  });
});

describe('decide: gates that cannot fire (issue 13.8)', () => {
  it('a gate alarm that does not exist stops the rollout before it starts, naming it', () => {
    const started = decide(
      newRecord('prod', 'web'),
      obs(),
      target({ gateAlarms: ['web-5xx', 'web-p99'] }),
      push(image('v2', 2)),
      T0,
    );
    started.record.rollout!.taskDefinition = NEW;
    const d = decide(started.record, obs(), target({ gateAlarms: ['web-5xx', 'web-p99'] }), tick, T0 + 1000);
    expect(d.record.rollout).toBeUndefined();
    expect(d.actions).toEqual([]);
    // Told as an error too (Slack gets it by default; an `ignored` notice is not sent by default).
    expect(d.notices).toMatchObject([
      { kind: 'ignored', reason: expect.stringMatching(/^gate alarm web-p99 does not exist/) },
      {
        kind: 'blocked',
        reason: expect.stringMatching(
          /^prod\/web: web:v2 was not rolled out: gate alarm web-p99 does not exist/,
        ),
      },
    ]);
    expect(d.record.badDigests).toEqual({});
  });

  it('read at the push, a missing gate alarm stops the rollout before anything is registered', () => {
    const t = target({ gateAlarms: ['web-5xx', 'web-p99-*'] });
    const d = decide(newRecord('prod', 'web'), obs({ gatesRead: true }), t, push(image('v2', 2)), T0);
    expect(d.record.rollout).toBeUndefined();
    expect(d.actions).toEqual([]);
    expect(d.notices).toMatchObject([
      {
        kind: 'ignored',
        reason: expect.stringMatching(/^gate alarm web-p99-\* does not exist in CloudWatch/),
      },
      {
        kind: 'blocked',
        reason: expect.stringMatching(
          /^prod\/web: web:v2 was not rolled out: gate alarm web-p99-\* does not exist in CloudWatch/,
        ),
      },
    ]);
    expect(d.record.history.at(-1)).toMatchObject({ outcome: 'ignored' });
  });

  it('a gate alarm in INSUFFICIENT_DATA through the whole first step is told once', () => {
    const quiet = { alarms: [{ name: 'web-5xx', state: 'INSUFFICIENT_DATA' as const, reason: 'no data' }] };
    const o = obs({ canary: service(NEW, 1), tasks: tasks(NEW, 1), ...quiet });
    const healthy = decide(rolling(0), o, target(), tick, T0 + MIN);
    expect(kinds(healthy)).toEqual([]);
    const baked = decide(healthy.record, o, target(), tick, T0 + 6 * MIN);
    expect(baked.notices.filter((n) => n.kind === 'blocked')).toMatchObject([
      { reason: expect.stringMatching(/gate alarm web-5xx has had no data through the first step/) },
    ]);
    const again = decide(
      baked.record,
      obs({ canary: service(NEW, 10), ...quiet }),
      target(),
      tick,
      T0 + 7 * MIN,
    );
    expect(again.notices.filter((n) => n.kind === 'blocked')).toEqual([]);
  });

  it('a gate alarm too slow to fire within the bakes is told once, at the first look; the rollout goes on', () => {
    const gate = (fireMs: number) => ({
      alarms: [{ name: 'web-5xx', state: 'OK' as const, reason: 'fine', fireMs }],
    });
    const slow = obs({ canary: service(NEW, 1), tasks: tasks(NEW, 1), ...gate(10 * 60 * MIN) });
    const first = decide(rolling(0), slow, target(), tick, T0 + MIN);
    expect(first.notices.filter((n) => n.kind === 'blocked')).toMatchObject([
      {
        reason: expect.stringMatching(
          /^prod\/web: gate alarm web-5xx needs at least 10h of breaching data to go to ALARM, but the rollout's bakes total \S+: a failing image can succeed before the gate fires .*, for the rollout of web:v2$/,
        ),
      },
    ]);
    expect(first.record.rollout).toBeDefined();
    expect(
      decide(first.record, slow, target(), tick, T0 + 2 * MIN).notices.filter((n) => n.kind === 'blocked'),
    ).toEqual([]);
    const quick = obs({ canary: service(NEW, 1), tasks: tasks(NEW, 1), ...gate(MIN) });
    expect(
      decide(rolling(0), quick, target(), tick, T0 + MIN).notices.filter((n) => n.kind === 'blocked'),
    ).toEqual([]);
  });

  it('an alarm that had data during the first step is watching, whatever its state when the step ends', () => {
    const o = obs({ canary: service(NEW, 1), tasks: tasks(NEW, 1) });
    const healthy = decide(rolling(0), o, target(), tick, T0 + MIN);
    const quiet = obs({
      canary: service(NEW, 1),
      tasks: tasks(NEW, 1),
      alarms: [{ name: 'web-5xx', state: 'INSUFFICIENT_DATA', reason: 'no data' }],
    });
    const baked = decide(healthy.record, quiet, target(), tick, T0 + 6 * MIN);
    expect(baked.notices.filter((n) => n.kind === 'blocked')).toEqual([]);
  });

  it('an alarm already in ALARM before anything of the new revision ran is ignored until OK (issue 13.4)', () => {
    // Alarms are not read before the rollout exists: the first round after the push reads them.
    const started = decide(
      newRecord('prod', 'web'),
      obs({ alarms: [] }),
      target({ gateAlarms: [] }),
      push(image('v2', 2)),
      T0,
    );
    started.record.rollout!.taskDefinition = NEW;
    const incident = obs({ alarms: [{ name: 'web-5xx', state: 'ALARM', reason: 'an incident' }] });
    const d = decide(started.record, incident, target(), tick, T0 + 1000);
    expect(d.record.rollout?.rollingBack).toBeUndefined();
    expect(d.record.rollout?.ignoredAlarms).toEqual(['web-5xx']);
    expect(d.actions).toEqual([{ type: 'setCanary', taskDefinition: NEW, desiredCount: 1 }]);
  });
});

describe('decide: lineage (issue 13.9)', () => {
  it('with no steady state seen, a push superseding a rollout in promotion starts from where the first one did', () => {
    const busy = service(OLD, 10, 9); // never steady: one task short
    const first = decide(
      newRecord('prod', 'web'),
      obs({ primary: busy }),
      target(),
      push(image('v2', 2)),
      T0,
    );
    expect(first.record.lastGood?.taskDefinition).toBe(OLD);
    first.record.rollout!.taskDefinition = NEW;
    first.record.rollout!.stepIndex = 2;
    const promoting = obs({ primary: service(NEW, 10, 5), canary: service(NEW, 10) });
    const d = decide(first.record, promoting, target(), push(image('v3', 3)), T0 + MIN);
    expect(kinds(d)).toEqual(['superseded', 'started']);
    expect(d.record.rollout?.fromTaskDefinition).toBe(OLD);
  });
});

describe('decide: a push during a rollback waits for it (issue 13.10)', () => {
  const crashed = tasks(NEW, 2, CRASHED);

  it('the rollback finishes first, then the push starts in the same decision', () => {
    const back = decide(
      rolling(0),
      obs({ canary: service(NEW, 1, 0), tasks: crashed }),
      target(),
      tick,
      T0 + MIN,
    );
    expect(back.record.rollout?.rollingBack).toBeDefined();
    const draining = obs({ canary: service(NEW, 0, 1) });
    const queued = decide(back.record, draining, target(), push(image('v3', 3)), T0 + MIN + 1000);
    expect(queued.skipped).toMatch(/waits for the rollback/);
    expect(queued.record.rollout?.id).toBe(back.record.rollout?.id);
    expect(queued.record.queuedPush?.image.tag).toBe('v3');
    const done = decide(queued.record, obs({ canary: service(NEW, 0, 0) }), target(), tick, T0 + 2 * MIN);
    expect(kinds(done)).toEqual(['started']);
    expect(done.record.rollout).toMatchObject({ image: { tag: 'v3' }, fromTaskDefinition: OLD });
    expect(done.record.queuedPush).toBeUndefined();
    expect(done.actions.map((a) => a.type)).toEqual(['registerRevision']);
  });
});

describe('decide: rollbacks end (issue 13.11)', () => {
  const crashed = tasks(NEW, 2, CRASHED);

  it('is complete only when the restored tasks run, and past its deadline tells a person once', () => {
    const promoting = obs({ primary: service(NEW, 10, 2), canary: service(NEW, 10), tasks: crashed });
    const back = decide(rolling(2), promoting, target(), tick, T0);
    expect(back.actions).toContainEqual({ type: 'setPrimary', taskDefinition: OLD });
    // UpdateService returned: one deployment of OLD, but its tasks are not running yet.
    const restoring = obs({ primary: service(OLD, 10, 3), canary: service(NEW, 0, 0) });
    const waiting = decide(back.record, restoring, target(), tick, T0 + 5 * MIN);
    expect(waiting.record.rollout?.rollingBack).toBeDefined();
    expect(waiting.notices).toEqual([]);
    const overdue = decide(waiting.record, restoring, target(), tick, T0 + 15 * MIN + 1);
    expect(overdue.notices).toMatchObject([
      { kind: 'blocked', reason: expect.stringMatching(/the rollback to web:1 has not finished after 15m/) },
    ]);
    expect(overdue.record.rollout?.rollingBack?.overdueAt).toBe(T0 + 15 * MIN + 1);
    expect(decide(overdue.record, restoring, target(), tick, T0 + 20 * MIN).notices).toEqual([]);
    const restored = decide(
      overdue.record,
      obs({ canary: service(NEW, 0, 0) }),
      target(),
      tick,
      T0 + 21 * MIN,
    );
    expect(restored.record.rollout).toBeUndefined();
  });
});

describe("decide: a person's deploy during a canary (issue 13.13)", () => {
  it('pauses the rollout and says so, once, never reverting it; resume carries on from it', () => {
    const MINE = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7';
    const o = obs({ primary: service(MINE, 10, 5), canary: service(NEW, 1), tasks: tasks(NEW, 1) });
    const d = decide(rolling(0), o, target(), tick, T0 + MIN);
    expect(d.actions).toEqual([]);
    expect(d.record.rollout).toMatchObject({ paused: true, heldFor: MINE });
    expect(d.notices).toMatchObject([
      { kind: 'blocked', reason: expect.stringMatching(/someone deployed web:7/) },
    ]);
    const again = decide(d.record, o, target(), tick, T0 + 30 * MIN);
    expect(again.notices).toEqual([]);
    expect(again.actions).toEqual([]);
    expect(again.record.rollout?.rollingBack).toBeUndefined();
    const resumed = decide(d.record, o, target(), said({ name: 'resume' }), T0 + 31 * MIN);
    expect(resumed.record.rollout).toMatchObject({ paused: false, fromTaskDefinition: MINE });
    expect(resumed.actions).not.toContainEqual(expect.objectContaining({ type: 'setPrimary' }));
  });
});

describe('decide: the canary is bounded by maxSurge (issue 13.2)', () => {
  const t = target({
    steps: [
      { percent: 50, bake: '1m' },
      { percent: 90, bake: '1m' },
      { percent: 100, bake: '1m' },
    ],
  });
  /** A record at the 90% step, the 50% step's canary of 50 beside the primary of 50. */
  function at90(): ServiceRecord {
    const r = decide(
      newRecord('prod', 'web'),
      obs({ primary: service(OLD, 50) }),
      t,
      push(image('v2', 2)),
      T0,
    ).record;
    r.rollout!.taskDefinition = NEW;
    r.rollout!.stepIndex = 1;
    r.rollout!.steps[0]!.startedAt = T0;
    r.rollout!.steps[1]!.startedAt = T0 + 5 * MIN;
    return r;
  }

  it('past 50% the primary shrinks as the canary grows, never beyond total + surge', () => {
    const first = decide(
      at90(),
      obs({ primary: service(OLD, 50), canary: service(NEW, 50), tasks: tasks(NEW, 50) }),
      t,
      tick,
      T0 + 5 * MIN,
    );
    // The healthy canary covers 50 tasks: the primary goes to 10, the canary to 90 (not 450).
    expect(first.actions).toEqual([
      { type: 'setCount', desiredCount: 10 },
      { type: 'setCanary', taskDefinition: NEW, desiredCount: 90 },
    ]);
    const grown = obs({ primary: service(OLD, 10), canary: service(NEW, 90), tasks: tasks(NEW, 90) });
    const ready = decide(first.record, grown, t, tick, T0 + 8 * MIN);
    expect(ready.actions).toEqual([]);
    expect(ready.record.rollout?.steps[1]?.healthyAt).toBe(T0 + 8 * MIN);
  });

  it('promotion gives the primary its count back and the canary its room back as the primary comes up', () => {
    const r = at90();
    r.rollout!.stepIndex = 2;
    r.rollout!.steps[2]!.startedAt = T0 + 10 * MIN;
    r.rollout!.total = 50;
    r.rollout!.primaryCount = 10;
    const start = decide(
      r,
      obs({ primary: service(OLD, 10), canary: service(NEW, 90), tasks: tasks(NEW, 90) }),
      t,
      tick,
      T0 + 10 * MIN,
    );
    expect(start.actions).toEqual([
      { type: 'setCount', desiredCount: 50 },
      { type: 'setPrimary', taskDefinition: NEW, allAtOnce: false },
    ]);
    const rolling = service(NEW, 50, 10);
    rolling.deployments.push({
      ...rolling.deployments[0]!,
      id: 'ecs-svc/0',
      status: 'ACTIVE',
      taskDefinition: OLD,
      desiredCount: 10,
      runningCount: 10,
    });
    rolling.deployments[0]!.runningCount = 0;
    rolling.deployments[0]!.pendingCount = 50;
    const d = decide(
      start.record,
      obs({ primary: rolling, canary: service(NEW, 90), tasks: tasks(NEW, 90) }),
      t,
      tick,
      T0 + 11 * MIN,
    );
    // None of the primary's new tasks is healthy yet: the canary keeps the 50 that serve for them
    // and frees the other 40 slots for them (100 tasks of room, 60 taken by the primary).
    expect(d.actions).toEqual([{ type: 'setCanary', taskDefinition: NEW, desiredCount: 50 }]);
  });

  it('a rollback gives the primary back the tasks it gave up', () => {
    const r = at90();
    r.rollout!.total = 50;
    r.rollout!.primaryCount = 10;
    const crashed = tasks(NEW, 2, CRASHED);
    const d = decide(
      r,
      obs({ primary: service(OLD, 10), canary: service(NEW, 90), tasks: crashed }),
      t,
      tick,
      T0 + 7 * MIN,
    );
    expect(kinds(d)).toEqual(['rolled_back']);
    expect(d.actions).toEqual([
      { type: 'setCanary', taskDefinition: NEW, desiredCount: 0 },
      { type: 'setCount', desiredCount: 50 },
    ]);
  });
});

describe('pushedBefore: same-second pushes are ordered by ECR imagePushedAt (issue 13.12)', () => {
  const at = (s: string) => Date.parse(`2026-01-01T10:00:${s}Z`);
  const a = { ...image('v2', 2), pushedAt: at('01') };
  const b = { ...image('v3', 3), pushedAt: at('02') };
  const tie = { ...b, pushedAt: at('01') };
  it.each([
    ['events 10:00:01 and 10:00:02', a, b, undefined, true],
    ['events 10:00:02 and 10:00:01', b, a, undefined, false],
    ['events both 10:00:01, no ECR times', a, tie, undefined, undefined],
    [
      'events both 10:00:01, ECR .200 and .700',
      a,
      tie,
      { [a.digest]: at('01.200'), [tie.digest]: at('01.700') },
      true,
    ],
    [
      'events both 10:00:01, ECR .700 and .200',
      a,
      tie,
      { [a.digest]: at('01.700'), [tie.digest]: at('01.200') },
      false,
    ],
    ['no event time for one of them', image('v2', 2), b, undefined, false],
  ])('%s -> %s', (_, x, y, times, want) => {
    expect(pushedBefore(x, y, times)).toBe(want);
  });

  it('a push tied with the rollout in progress waits for ECR times, then the older one is ignored', () => {
    const first = decide(newRecord('prod', 'web'), obs(), target(), push(tie), T0).record;
    const tied = decide(first, obs(), target(), push(a), T0 + 1000);
    expect(tied.needsPushTimes?.map((i) => i.tag)).toEqual(['v2', 'v3']);
    expect(tied.notices).toEqual([]);
    const times = { [a.digest]: at('01.200'), [tie.digest]: at('01.700') };
    const d = decide(first, obs(), target(), { kind: 'push', image: a, pushTimes: times }, T0 + 1000);
    expect(kinds(d)).toEqual(['ignored']);
    expect(d.record.rollout?.image.tag).toBe('v3');
  });
});

describe("decide: a person's count during a rollout is the service's total (issue 13.13)", () => {
  it('resizes the canary from it, and promotion restores it, not the count the rollout started from', () => {
    // Step 2 (50%) of 10: the rollout holds the total 10 (it set the primary's count itself).
    const r = rolling(1);
    r.rollout!.total = 10;
    r.rollout!.primaryCount = 10;
    const scaled = obs({ primary: service(OLD, 14), canary: service(NEW, 10), tasks: tasks(NEW, 10) });
    const d = decide(r, scaled, target(), tick, T0 + MIN);
    // 50% of 14 beside 14: the canary grows to 14; the person's 14 is left alone.
    expect(d.actions).toEqual([{ type: 'setCanary', taskDefinition: NEW, desiredCount: 14 }]);
    expect(d.record.rollout).toMatchObject({ total: 14, primaryCount: 14 });
    // Promotion: the primary switches revision at the person's count, never back to 10.
    d.record.rollout!.stepIndex = 2;
    d.record.rollout!.steps[2]!.startedAt = T0 + 2 * MIN;
    const promoting = obs({ primary: service(OLD, 14), canary: service(NEW, 14), tasks: tasks(NEW, 14) });
    const p = decide(d.record, promoting, target(), tick, T0 + 2 * MIN);
    expect(p.actions).toEqual([{ type: 'setPrimary', taskDefinition: NEW, allAtOnce: false }]);
  });

  it('a count the rollout asked for itself is not a person’s', () => {
    const r = rolling(1);
    r.rollout!.total = 10;
    r.rollout!.primaryCount = 6;
    const d = decide(
      r,
      obs({ primary: service(OLD, 6), canary: service(NEW, 10) }),
      target(),
      tick,
      T0 + MIN,
    );
    // The total stays 10 (not 6): the primary, its canary not healthy, gets its tasks back.
    expect(d.record.rollout?.total).toBe(10);
    expect(d.actions).toContainEqual({ type: 'setCount', desiredCount: 10 });
  });
});

describe('decide: a healthy image on a full cluster trades capacity, never rolls back for it (issue 13.2)', () => {
  /** The canary asked for 10 beside 10 at 50%, and ECS could place 3 of them: the cluster holds 13. */
  const full = (canaryRunning: number, primary = 10, healthy = canaryRunning) =>
    obs({
      primary: service(OLD, primary),
      canary: service(NEW, 10, canaryRunning, { placementFailedAt: T0 + 30_000 }),
      tasks: tasks(NEW, healthy),
    });

  it('learns the room, and the primary gives up the tasks healthy canary tasks cover', () => {
    const d = decide(rolling(1), full(3), target(), tick, T0 + MIN);
    expect(d.record.rollout?.room).toBe(13);
    // 50% within 13 tasks is 7 canary beside 6; this round the primary gives up the 3 covered.
    expect(d.actions).toEqual([
      { type: 'setCount', desiredCount: 7 },
      { type: 'setCanary', taskDefinition: NEW, desiredCount: 6 },
    ]);
  });

  it('the step deadline does not run while the trade makes progress; the step is reached within the room', () => {
    let r = decide(rolling(1), full(3), target(), tick, T0 + MIN).record;
    // 14 minutes on, 6 canary tasks are healthy: progress, so the deadline counts from here.
    const six = obs({
      primary: service(OLD, 7),
      canary: service(NEW, 6, 6, { placementFailedAt: T0 + 30_000 }),
      tasks: tasks(NEW, 6),
    });
    r = decide(r, six, target(), tick, T0 + 14 * MIN).record;
    const later = decide(r, six, target(), tick, T0 + 20 * MIN);
    expect(later.record.rollout?.rollingBack).toBeUndefined();
    const seven = obs({
      primary: service(OLD, 6),
      canary: service(NEW, 7, 7, { placementFailedAt: T0 + 30_000 }),
      tasks: tasks(NEW, 7),
    });
    const ready = decide(later.record, seven, target(), tick, T0 + 21 * MIN);
    expect(ready.record.rollout?.steps[1]?.healthyAt).toBe(T0 + 21 * MIN);
  });

  it('with no progress possible it rolls back at the deadline, naming capacity, the digest not marked bad', () => {
    // A full cluster and a service at minimumHealthyPercent 100 with no free slot: no trade is possible.
    const stuck = obs({
      primary: service(OLD, 10, 10, { minimumHealthyPercent: 100 }),
      canary: service(NEW, 1, 0, { placementFailedAt: T0 + 30_000 }),
    });
    const first = decide(rolling(0), stuck, target(), tick, T0 + MIN);
    expect(first.record.rollout?.room).toBe(10);
    const d = decide(first.record, stuck, target(), tick, T0 + 16 * MIN + 1);
    expect(d.record.history.at(-1)?.reason).toMatch(/could not be placed \(not enough capacity/);
    expect(d.record.badDigests).toEqual({});
  });
});

describe('decide: promotion and rollback on a full cluster (issue 13.2, 13.11)', () => {
  it('before the switch the canary gives back the room the primary needs; the primary grows once done', () => {
    const r = rolling(2);
    r.rollout!.room = 14;
    r.rollout!.total = 7;
    r.rollout!.primaryCount = 4;
    const o = obs({
      primary: service(OLD, 4, 4, { minimumHealthyPercent: 50, maximumPercent: 200 }),
      canary: service(NEW, 10),
      tasks: tasks(NEW, 10),
    });
    const free = decide(r, o, target(), tick, T0);
    // promotionSwitch(14, floor 4, 200%, 4, 10): the primary switches at 4, the canary keeps 6.
    expect(free.actions).toEqual([{ type: 'setCanary', taskDefinition: NEW, desiredCount: 6 }]);
    const freed = obs({ ...o, canary: service(NEW, 6), tasks: tasks(NEW, 6) });
    const sw = decide(free.record, freed, target(), tick, T0 + MIN);
    expect(sw.actions).toEqual([{ type: 'setPrimary', taskDefinition: NEW, allAtOnce: false }]);
    // Done at 4: the primary grows to the total 7; the canary is not emptied before it is there.
    const done4 = obs({
      primary: service(NEW, 4, 4, { minimumHealthyPercent: 50 }),
      canary: service(NEW, 6),
      tasks: tasks(NEW, 10),
    });
    const grow = decide(sw.record, done4, target(), tick, T0 + 2 * MIN);
    expect(grow.actions).toContainEqual({ type: 'setCount', desiredCount: 7 });
    expect(grow.actions).not.toContainEqual({ type: 'setCanary', taskDefinition: NEW, desiredCount: 0 });
  });

  it('a rollback on a full cluster empties the canary before restoring the primary', () => {
    const r = rolling(1);
    r.rollout!.room = 13;
    const crashed = tasks(NEW, 2, {
      ...CRASHED,
      containers: [{ name: 'web', exitCode: 1 }],
    }).map((t, i) => ({ ...t, taskArn: `${t.taskArn}-crashed-${i}` }));
    const o = obs({ canary: service(NEW, 3, 3), tasks: [...tasks(NEW, 1), ...crashed] });
    const d = decide(r, o, target(), tick, T0 + MIN);
    expect(d.record.rollout?.rollingBack).toBeDefined();
    expect(d.actions).toEqual([{ type: 'setCanary', taskDefinition: NEW, desiredCount: 0 }]);
  });
});

describe('decide: freeze windows', () => {
  // 2026-01-01 is a Thursday: frozen from 00:00 to 02:00 UTC that day.
  const frozen = (extra: Record<string, unknown> = {}) =>
    target({
      ...extra,
      freeze: {
        timeZone: 'UTC',
        windows: [{ days: ['thu'], from: '00:00', to: '02:00' }],
        allowTags: ['hotfix-*'],
      },
    });
  const pushed = (tag: string, n: number, at: number) => ({ ...image(tag, n), pushedAt: at });

  it('a push waits with the moment it goes on the record; a later push replaces it; the tick after the end starts the newest', () => {
    const first = decide(newRecord('prod', 'web'), obs(), frozen(), push(pushed('v2', 2, T0)), T0);
    expect(kinds(first)).toEqual(['frozen']);
    expect(first.record.rollout).toBeUndefined();
    expect(first.record.frozenPush).toMatchObject({ until: T0 + 120 * MIN, image: { tag: 'v2' } });
    const second = decide(first.record, obs(), frozen(), push(pushed('v3', 3, T0 + MIN)), T0 + MIN);
    expect(kinds(second)).toEqual(['ignored', 'frozen']);
    expect(second.record.frozenPush?.image.tag).toBe('v3');
    const early = decide(second.record, obs(), frozen(), tick, T0 + 119 * MIN);
    expect(early.record.rollout).toBeUndefined();
    const due = decide(second.record, obs(), frozen(), tick, T0 + 120 * MIN);
    expect(kinds(due)).toEqual(['started']);
    expect(due.record.rollout?.image.tag).toBe('v3');
    expect(due.record.frozenPush).toBeUndefined();
  });

  it('a tag in allowTags goes at once; a rollback is never frozen', () => {
    const d = decide(
      newRecord('prod', 'web'),
      obs(),
      frozen({ tags: { glob: 'hotfix-*' } }),
      push(image('hotfix-1', 4)),
      T0,
    );
    expect(kinds(d)).toEqual(['started']);
    const r = rolling(0, T0 - 60 * MIN);
    const failing = decide(
      r,
      obs({
        tasks: tasks(NEW, 2, {
          ...CRASHED,
          containers: [{ name: 'web', exitCode: 1 }],
        }),
      }),
      frozen(),
      tick,
      T0 + 10 * MIN,
    );
    expect(kinds(failing)).toContain('rolled_back');
  });

  it('approve deploys the waiting push now, recording who; reject drops it and marks its digest', () => {
    const waiting = decide(newRecord('prod', 'web'), obs(), frozen(), push(image('v2', 2)), T0).record;
    const approved = decide(waiting, obs(), frozen(), said({ name: 'approve', by: 'U1' }), T0 + MIN);
    expect(kinds(approved)).toEqual(['approved', 'started']);
    expect(approved.record.rollout?.approvals).toEqual([{ gate: 'freeze', by: 'U1', at: T0 + MIN }]);
    const rejected = decide(waiting, obs(), frozen(), said({ name: 'reject', by: 'U1' }), T0 + MIN);
    expect(rejected.record.frozenPush).toBeUndefined();
    expect(rejected.record.badDigests[image('v2', 2).digest]?.reason).toBe(
      'rejected by U1 while it waited for the freeze',
    );
    const again = decide(rejected.record, obs(), target(), push(image('v2', 2)), T0 + 200 * MIN);
    expect(again.record.rollout).toBeUndefined();
  });
});

describe('decide: approval gates', () => {
  const gated = () => target({ approval: 'before-promotion', approvalTimeout: '1h' });

  it('promote stops at the gate: the bake is skipped, the step is not', () => {
    const r = decide(newRecord('prod', 'web'), obs(), gated(), push(image('v2', 2)), T0).record;
    r.rollout!.taskDefinition = NEW;
    r.rollout!.stepIndex = 1;
    r.rollout!.steps[1]!.startedAt = T0;
    const d = decide(r, obs(), gated(), said({ name: 'promote', full: true }), T0 + MIN);
    expect(d.record.rollout?.stepIndex).toBe(1);
    expect(d.record.rollout?.steps[1]?.bakeMs).toBe(0);
  });
});
