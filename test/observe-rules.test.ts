/** The worked examples of lib/observe-rules.ts, one row each. */
import { describe, expect, it } from 'vitest';
import {
  countedBakingTasks,
  countedSteadyTasks,
  freshLookNeeded,
  listTasksByFamily,
  lookAfterActing,
  lookStands,
  observePlan,
  serviceEventWorthALook,
  startedDuringBake,
  watchesPrimary,
} from '../lib/observe-rules.ts';
import type { Rollout } from '../lib/record.ts';
import { canaryRollout, TD } from './helpers/rollout.ts';

const step = (percent: number, healthyAt?: number) => ({
  percent,
  bakeMs: 300_000,
  startedAt: 0,
  ...(healthyAt !== undefined && { healthyAt }),
});
const rollout = (extra: Partial<Rollout> = {}): Rollout =>
  canaryRollout(2, { steps: [step(10), step(50), step(100)], ...extra });
const ROLLING_BACK = { reason: 'x', at: 0, toTaskDefinition: `${TD}web:1` };

describe('observePlan', () => {
  const base = observePlan({ rollout: rollout() }, {});
  it.each([
    ['no rollout, nothing learned', observePlan({}, {}), 'idle  '],
    ['rollout web:2 (canary), step 1 at 10 %', base, `${TD}web:2 canary canary    `],
    [
      'the same, its step now baking',
      observePlan({ rollout: rollout({ steps: [step(10, 5), step(50), step(100)] }) }, {}),
      base,
    ],
    ['the same at step 2 (50 %)', observePlan({ rollout: rollout({ stepIndex: 1 }) }, {}), base],
    [
      'the same at step 3 (100 %)',
      observePlan({ rollout: rollout({ stepIndex: 2 }) }, {}),
      `${TD}web:2 canary promoted    `,
    ],
    [
      'the same, rolling back',
      observePlan({ rollout: rollout({ rollingBack: ROLLING_BACK }) }, {}),
      `${TD}web:2 canary canary rolling back   `,
    ],
    [
      'the same, at a push',
      observePlan({ rollout: rollout() }, { pushing: true }),
      `${TD}web:2 canary canary    push`,
    ],
  ])('%s', (_, plan, want) => {
    expect(plan).toBe(want);
  });

  it('names what else a look depends on: the revision learned, capacity, the sweep, ECS strategies', () => {
    const unregistered = rollout({ taskDefinition: undefined });
    expect(observePlan({ rollout: unregistered }, {})).not.toBe(
      observePlan({ rollout: unregistered }, { revisionForDigest: `${TD}web:2` }),
    );
    expect(observePlan({ rollout: rollout({ room: 4 }) }, {})).not.toBe(base);
    expect(observePlan({ rollout: rollout() }, { sweep: true })).not.toBe(base);
    expect(observePlan({ rollout: rollout({ strategy: 'ecs-canary' }) }, {})).toContain('promoted');
  });
});

describe('freshLookNeeded', () => {
  const plan = 'p';
  it.each([
    ['no look yet', undefined, plan, true],
    ['the last round acted', { plan, acted: true, reread: false }, plan, true],
    [
      'the last round registered a revision it found (digest tag)',
      { plan, acted: true, reread: false, registeredAnew: false },
      'q',
      true,
    ],
    [
      'the last round only registered the revision anew',
      { plan, acted: true, reread: false, registeredAnew: true },
      'q',
      false,
    ],
    [
      'the same, but the record was read again since',
      { plan, acted: true, reread: true, registeredAnew: true },
      'q',
      true,
    ],
    ['the record was read again', { plan, acted: false, reread: true }, plan, true],
    ['the last round only committed, same plan', { plan, acted: false, reread: false }, plan, false],
    ['the last round only committed, the plan changed', { plan, acted: false, reread: false }, 'q', true],
    [
      'the last round only committed, the rollout ended (idle)',
      { plan, acted: false, reread: false },
      observePlan({}, {}),
      false,
    ],
    ['idle, then a rollout (a push)', { plan: observePlan({}, {}), acted: false, reread: false }, plan, true],
  ])('%s -> %s', (_, last, now, want) => {
    expect(freshLookNeeded(last, now)).toBe(want);
  });
});

describe('serviceEventWorthALook', () => {
  const baking = rollout({ steps: [step(10, 5), step(50), step(100)] });
  it.each([
    ['SERVICE_STEADY_STATE, the step baking', 'SERVICE_STEADY_STATE', baking, false],
    ['SERVICE_STEADY_STATE, the step waiting for its tasks', 'SERVICE_STEADY_STATE', rollout(), true],
    [
      'SERVICE_STEADY_STATE of the canary, step 1 waiting since it began',
      'SERVICE_STEADY_STATE',
      rollout({ steps: [{ ...step(10), unhealthySince: 0 }, step(50), step(100)] }),
      false,
      'canary',
    ],
    [
      'SERVICE_STEADY_STATE of the canary, step 1 waiting since a resize',
      'SERVICE_STEADY_STATE',
      rollout({ steps: [{ ...step(10), unhealthySince: 360_000 }, step(50), step(100)] }),
      true,
      'canary',
    ],
    [
      'SERVICE_STEADY_STATE of the canary, step 2 waiting',
      'SERVICE_STEADY_STATE',
      rollout({ stepIndex: 1, steps: [step(10, 1), { ...step(50), unhealthySince: 2 }, step(100)] }),
      true,
      'canary',
    ],
    ['SERVICE_STEADY_STATE, no rollout', 'SERVICE_STEADY_STATE', undefined, true],
    [
      'SERVICE_STEADY_STATE, rolling back',
      'SERVICE_STEADY_STATE',
      { ...baking, rollingBack: ROLLING_BACK },
      true,
    ],
    [
      'SERVICE_STEADY_STATE, the step baking, strategy ecs-canary',
      'SERVICE_STEADY_STATE',
      { ...baking, strategy: 'ecs-canary' as const },
      true,
    ],
    [
      'SERVICE_DEPLOYMENT_COMPLETED of the primary, the step baking',
      'SERVICE_DEPLOYMENT_COMPLETED',
      baking,
      true,
    ],
    [
      'SERVICE_DEPLOYMENT_COMPLETED of the canary, the step baking',
      'SERVICE_DEPLOYMENT_COMPLETED',
      baking,
      false,
      'canary',
    ],
    [
      'SERVICE_DEPLOYMENT_COMPLETED of the canary, waiting for tasks',
      'SERVICE_DEPLOYMENT_COMPLETED',
      rollout(),
      true,
      'canary',
    ],
    [
      "SERVICE_DEPLOYMENT_IN_PROGRESS, a step of the pipeline's own",
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      rollout(),
      false,
    ],
    ['SERVICE_DEPLOYMENT_IN_PROGRESS, no rollout', 'SERVICE_DEPLOYMENT_IN_PROGRESS', undefined, true],
    [
      'SERVICE_DEPLOYMENT_IN_PROGRESS, rolling back',
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      { ...baking, rollingBack: ROLLING_BACK },
      true,
    ],
    [
      'SERVICE_DEPLOYMENT_IN_PROGRESS, strategy ecs-canary',
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      rollout({ strategy: 'ecs-canary' }),
      true,
    ],
    [
      'SERVICE_DEPLOYMENT_IN_PROGRESS, trading capacity (room)',
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      rollout({ room: 4 }),
      true,
    ],
    ['SERVICE_DEPLOYMENT_FAILED, the step baking', 'SERVICE_DEPLOYMENT_FAILED', baking, true],
  ] as [string, string, Rollout | undefined, boolean, ('primary' | 'canary')?][])(
    '%s -> %s',
    (_, event, r, want, of) => {
      expect(serviceEventWorthALook(event, r ? { rollout: r } : {}, of).worth).toBe(want);
    },
  );
});

describe('lookAfterActing', () => {
  const waiting = (stepIndex: number, extra: Partial<Rollout> = {}) =>
    rollout({
      stepIndex,
      steps: [step(10), step(50), step(100)].map((s, i) =>
        i === stepIndex ? { ...s, unhealthySince: 0 } : s,
      ),
      ...extra,
    });
  const web2 = `${TD}web:2`;
  const canary = (desiredCount: number) => ({ type: 'setCanary', taskDefinition: web2, desiredCount });
  it.each([
    ['step 1 (10 %) waiting, setCanary web:2 × 2', [canary(2)], waiting(0), false],
    [
      'step 3 (100 %) waiting, setPrimary web:2',
      [{ type: 'setPrimary', taskDefinition: web2 }],
      waiting(2),
      false,
    ],
    ['step 3 (100 %) waiting, setCanary web:2 × 0', [canary(0)], waiting(2), true],
    [
      'step 3 (100 %) baking, setCanary web:2 × 0 (promoted)',
      [canary(0)],
      rollout({ stepIndex: 2, steps: [step(10, 1), step(50, 2), step(100, 3)] }),
      false,
    ],
    [
      'step 1 waiting, setCount 18 and setCanary web:2 × 2',
      [{ type: 'setCount', desiredCount: 18 }, canary(2)],
      waiting(0),
      true,
    ],
    ['registerRevision', [{ type: 'registerRevision' }], rollout({ taskDefinition: undefined }), true],
    ['step 1 waiting, trading capacity (room)', [canary(2)], waiting(0, { room: 4 }), true],
    ['rolling back, setCanary × 0', [canary(0)], waiting(0, { rollingBack: ROLLING_BACK }), true],
    [
      'step 1 baking (not waiting), setCanary web:2 × 2',
      [canary(2)],
      rollout({ steps: [step(10, 5), step(50), step(100)] }),
      true,
    ],
  ])('%s -> look: %s', (_, actions, r, want) => {
    expect(lookAfterActing(actions, { rollout: r })).toBe(want);
  });
});

describe('lookStands', () => {
  const lease = { owner: 'other', until: Number.MAX_SAFE_INTEGER };
  it.each([
    ['read v7 no lease, stored v8 no lease', { version: 7 }, { version: 8 }, true],
    ['read v7 no lease, stored v8 leased (another is acting)', { version: 7 }, { version: 8, lease }, false],
    ['read v7 no lease, stored v9 no lease', { version: 7 }, { version: 9 }, false],
    ['read v7 leased by another, stored v8 no lease', { version: 7, lease }, { version: 8 }, false],
    [
      'read v7 no lease, stored v8 no lease, the rollout closed',
      { version: 7, rollout: rollout() },
      { version: 8 },
      false,
    ],
    [
      'read v7 no lease, stored v8 no lease, the same rollout',
      { version: 7, rollout: rollout() },
      { version: 8, rollout: rollout() },
      true,
    ],
  ])('%s -> %s', (_, read, stored, want) => {
    expect(lookStands(read, stored)).toBe(want);
  });
});

describe('watchesPrimary', () => {
  const baking = (stepIndex: number) =>
    rollout({
      stepIndex,
      steps: [step(10), step(50), step(100)].map((s, i) => (i === stepIndex ? { ...s, healthyAt: 5 } : s)),
    });
  it.each([
    ['step 1 of 10/50/100 at 10 %', rollout(), false, false],
    ['step 3 at 100 %', rollout({ stepIndex: 2 }), false, true],
    ['step 2 at 50 % baking, the gates read (its bake ends)', baking(1), true, true],
    ['step 1 at 10 % baking, the gates read', baking(0), true, false],
    ['step 2 at 50 % waiting for its tasks, the gates read', rollout({ stepIndex: 1 }), true, false],
    ['strategy ecs-canary', rollout({ strategy: 'ecs-canary' }), false, true],
  ])('%s -> %s', (_, r, readGates, want) => {
    expect(watchesPrimary(r, readGates)).toBe(want);
  });
});

describe('listTasksByFamily', () => {
  it.each([
    ['the canary only (a step below 100 %)', ['web-canary'], false],
    ['the primary only (rolling, no canary)', ['web'], false],
    ['the canary and the primary (promoted)', ['web-canary', 'web'], true],
    ['none', [], false],
  ])('%s -> %s', (_, services, byFamily) => {
    expect(listTasksByFamily(services)).toBe(byFamily);
  });
});

/** The services' deployments as DescribeServices shows them, for the counted-tasks rules. */
const WEB1 = `${TD}web:1`;
const WEB2 = `${TD}web:2`;
const dep = (taskDefinition: string, running: number, desired: number, extra = {}) => ({
  id: `ecs-svc/${taskDefinition}`,
  status: 'PRIMARY',
  taskDefinition,
  desiredCount: desired,
  runningCount: running,
  pendingCount: 0,
  failedTasks: 0,
  rolloutState: 'COMPLETED',
  ...extra,
});
const svc = (...deployments: ReturnType<typeof dep>[]) => ({ deployments });

// The rows of lib/observe-rules.ts startedDuringBake.
describe('startedDuringBake: a task ECS started in the bake lists the stopped ones (stranger20 11)', () => {
  const at = (hhmm: string) => Date.parse(`2026-01-01T${hhmm}:00Z`);
  it.each<[string, number | undefined, number | undefined, boolean]>([
    ['baking from 10:02, a task started at 10:05', at('10:02'), at('10:05'), true],
    ["baking from 10:02, the last start at 10:01 (the step's own)", at('10:02'), at('10:01'), false],
    ['not baking', undefined, at('10:05'), false],
    ['baking, no start ever told', at('10:02'), undefined, false],
  ])('%s -> %s', (_, healthyAt, tasksStartedAt, want) => {
    expect(startedDuringBake([{ tasksStartedAt }], healthyAt === undefined ? undefined : { healthyAt })).toBe(
      want,
    );
  });
});

describe('countedBakingTasks', () => {
  const at = (stepIndex: number, baking: boolean) =>
    rollout({
      stepIndex,
      steps: [0, 1, 2].map((i) => step([10, 50, 100][i]!, i === stepIndex && baking ? 1 : undefined)),
    });
  it.each([
    ['step 1 baking, canary [web:2 2/2 COMPLETED]', at(0, true), [svc(dep(WEB2, 2, 2))], false, 2],
    ['step 1 not baking yet', at(0, false), [svc(dep(WEB2, 2, 2))], false, undefined],
    [
      'step 1 baking, canary [web:2 1/2] (a task replaced)',
      at(0, true),
      [svc(dep(WEB2, 1, 2))],
      false,
      undefined,
    ],
    [
      'step 1 baking, canary [web:2 2/2, 1 pending]',
      at(0, true),
      [svc(dep(WEB2, 2, 2, { pendingCount: 1 }))],
      false,
      undefined,
    ],
    [
      'step 1 baking, canary [web:2 2/2 IN_PROGRESS]',
      at(0, true),
      [svc(dep(WEB2, 2, 2, { rolloutState: 'IN_PROGRESS' }))],
      false,
      undefined,
    ],
    [
      'step 2 baking, its end: primary [web:1 20/20], canary [web:2 20/20]',
      at(1, true),
      [svc(dep(WEB2, 20, 20)), svc(dep(WEB1, 20, 20))],
      false,
      20,
    ],
    [
      'step 3 baking, primary [web:2 20/20, web:1 ACTIVE 4/4]',
      at(2, true),
      [svc(dep(WEB2, 20, 20), dep(WEB1, 4, 4, { status: 'ACTIVE' }))],
      false,
      undefined,
    ],
    [
      'step 3 baking, primary [web:2 20/20 COMPLETED], canary [web:2 0/0]',
      at(2, true),
      [svc(dep(WEB2, 0, 0)), svc(dep(WEB2, 20, 20))],
      false,
      20,
    ],
    [
      'the sweep, a push, trading capacity, or a placement failure',
      at(0, true),
      [svc(dep(WEB2, 2, 2))],
      true,
      undefined,
    ],
  ])('%s -> %s', (_, r, services, listsAll, counted) => {
    expect(countedBakingTasks(r, services, WEB2, listsAll)).toBe(counted);
  });
});

describe('countedSteadyTasks', () => {
  const T = Date.UTC(2026, 0, 1, 10);
  /** At step `i`, asked at `askedAt`, baking or not. */
  const at = (i: number, askedAt: number, baking = false) =>
    rollout({
      stepIndex: i,
      steps: [0, 1, 2].map((n) => ({
        ...step([10, 50, 100][n]!, n === i && baking ? askedAt + 1 : undefined),
        ...(n === i && { startedAt: askedAt, unhealthySince: askedAt }),
      })),
    });
  const word = (of: 'primary' | 'canary', atMs: number) => ({ of, at: atMs });
  it.each([
    [
      'step 1 (10 %) asked 10:00:00.5, canary COMPLETED 10:01:00, canary [web:2 2/2]',
      at(0, T + 500),
      [svc(dep(WEB2, 2, 2))],
      word('canary', T + 60_000),
      false,
      2,
    ],
    [
      'the same, the word of the primary',
      at(0, T + 500),
      [svc(dep(WEB2, 2, 2))],
      word('primary', T + 60_000),
      false,
      undefined,
    ],
    [
      'the same, canary [web:2 1/2]',
      at(0, T + 500),
      [svc(dep(WEB2, 1, 2))],
      word('canary', T + 60_000),
      false,
      undefined,
    ],
    [
      'step 2 (50 %) asked 10:05:00.5, canary steady 10:05:00 (an earlier state)',
      at(1, T + 300_500),
      [svc(dep(WEB2, 20, 20))],
      word('canary', T + 300_000),
      false,
      undefined,
    ],
    [
      'step 3 (100 %), primary COMPLETED after the ask, primary [web:2 20/20], canary [web:2 20/20]',
      at(2, T),
      [svc(dep(WEB2, 20, 20)), svc(dep(WEB2, 20, 20))],
      word('primary', T + 90_000),
      false,
      40,
    ],
    [
      'step 1 already baking',
      at(0, T, true),
      [svc(dep(WEB2, 2, 2))],
      word('canary', T + 60_000),
      false,
      undefined,
    ],
    ['no word (a wake-up, a task event)', at(0, T), [svc(dep(WEB2, 2, 2))], undefined, false, undefined],
    [
      'the sweep, a push, trading capacity, or a placement failure',
      at(0, T),
      [svc(dep(WEB2, 2, 2))],
      word('canary', T + 60_000),
      true,
      undefined,
    ],
    [
      'canary [web:1 2/2] (not the revision)',
      at(0, T),
      [svc(dep(WEB1, 2, 2))],
      word('canary', T + 60_000),
      false,
      undefined,
    ],
  ])('%s -> %s', (_, r, services, w, listsAll, counted) => {
    expect(countedSteadyTasks(r, services, WEB2, w, listsAll)).toBe(counted);
  });

  it('under ECS’s own strategies ECS runs the steps: list them', () => {
    const r = { ...at(0, T), strategy: 'ecs-canary' as Rollout['strategy'] };
    expect(countedSteadyTasks(r, [svc(dep(WEB2, 2, 2))], WEB2, word('canary', T + 60_000), false)).toBe(
      undefined,
    );
  });
});
