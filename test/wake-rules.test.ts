/** The worked examples of lib/wake.ts, one row each. */
import { describe, expect, it } from 'vitest';
import type { TargetConfig } from '../lib/config.ts';
import type { OutboxEntry } from '../lib/outbox-entry.ts';
import { newRecord, type Rollout, type ServiceRecord, type StepState } from '../lib/record.ts';
import type { ScalingPolicy } from '../lib/scaling.ts';
import {
  delaySeconds,
  ecsShiftLook,
  healthRecheck,
  nextWake,
  outstanding,
  parseWakeBody,
  slackAgainAt,
  slackSpread,
  tradesCapacity,
  wakeBody,
  wakeLooksInFull,
  wakeReadsGates,
} from '../lib/wake.ts';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
/** 10:00 on 2026-01-01 (a Thursday). */
const T = Date.parse('2026-01-01T10:00:00Z');
const at = (iso: string) => Date.parse(iso);

const target = {
  cluster: 'prod',
  service: 'web',
  stepDeadlineMs: 15 * MIN,
  rollbackDeadlineMs: 15 * MIN,
  scaling: { outCooldownMs: 5 * MIN, inCooldownMs: 10 * MIN } as ScalingPolicy,
} as TargetConfig;

const V2 = { repository: 'web', tag: 'v2', digest: 'sha256:2', uri: 'web@sha256:2' };
const step = (extra: Partial<StepState> = {}): StepState => ({ percent: 10, bakeMs: 5 * MIN, ...extra });

/** Idle, with the push of web:v2 held by a freeze since 10:00 until `until`. */
const pushFrozenUntil = (until: number): ServiceRecord => ({
  ...newRecord('prod', 'web'),
  frozenPush: { id: 'f1', image: V2, forced: false, since: T, until },
});

function withRollout(extra: Partial<Rollout>): ServiceRecord {
  const rollout = {
    id: '1',
    image: V2,
    strategy: 'canary',
    steps: [step(), step({ percent: 50 })],
    stepIndex: 0,
    fromTaskDefinition: 'web:1',
    taskDefinition: 'web:2',
    startedAt: T,
    ...extra,
  } as Rollout;
  return { ...newRecord('prod', 'web'), rollout };
}

const entry = (nextAt: number): OutboxEntry =>
  ({ id: '1.0', at: T, webhook: '/w', notice: { kind: 'started' }, nextAt }) as unknown as OutboxEntry;

describe('slackAgainAt: a Slack message due and left is tried again soon, backing off', () => {
  it.each([
    ['due 10:02, now 10:01', T + 2 * MIN, T + MIN, 0, T + 2 * MIN],
    ['due 10:02, now 10:02, spread 0', T + 2 * MIN, T + 2 * MIN, 0, T + 2 * MIN + 5_000],
    ['due 10:00, now 10:00:20, spread 0', T, T + 20_000, 0, T + 25_000],
    ['due 10:00, now 10:00:20, spread 14', T, T + 20_000, 14, T + 39_000],
    ['due 10:00, now 10:05, spread 25', T, T + 5 * MIN, 25, T + 5 * MIN + 30_000],
    ['due 10:00, now 10:05, spread 29', T, T + 5 * MIN, 29, T + 5 * MIN + 8_000],
  ])('%s', (_, nextAt, now, spread, want) => {
    expect(slackAgainAt(nextAt, now, spread)).toBe(want);
  });

  it('spreads services left together: 40 keys at one second come back at many moments', () => {
    const at = Array.from({ length: 40 }, (_, i) =>
      slackAgainAt(T, T + 30_000, slackSpread(`prod/s${i}`, T + 30_000)),
    );
    expect(new Set(at).size).toBeGreaterThanOrEqual(15);
    for (const a of at) {
      expect(a).toBeGreaterThanOrEqual(T + 35_000);
      expect(a).toBeLessThanOrEqual(T + 60_000);
    }
  });
});

describe('nextWake', () => {
  it.each<[string, ServiceRecord, number, { at: number; why: string } | undefined]>([
    [
      'step 1 healthy since 10:00, bake 5m, now 10:01',
      withRollout({ steps: [step({ startedAt: T, healthyAt: T }), step()] }),
      T + MIN,
      { at: T + 5 * MIN, why: 'bake of step 1 ends' },
    ],
    [
      'the same under ecs-linear, now 10:05 (no shift seen yet)',
      withRollout({ strategy: 'ecs-linear', steps: [step({ startedAt: T, healthyAt: T }), step()] }),
      T + 5 * MIN,
      { at: T + 5 * MIN + 15 * S, why: "ECS's shift after step 1" },
    ],
    [
      'ecs-linear at its last step, baked at 10:05, now 10:05',
      withRollout({
        strategy: 'ecs-linear',
        stepIndex: 1,
        steps: [
          step({ startedAt: T - 5 * MIN, healthyAt: T - 5 * MIN }),
          step({ startedAt: T, healthyAt: T }),
        ],
      }),
      T + 5 * MIN,
      { at: T + 5 * MIN + 15 * S, why: "ECS's end after step 2" },
    ],
    [
      'ecs-linear step 1 baked at 10:05, resumed at 10:25 (no wake-up)',
      withRollout({ strategy: 'ecs-linear', steps: [step({ startedAt: T, healthyAt: T }), step()] }),
      T + 25 * MIN,
      { at: T + 25 * MIN + 30 * S, why: "ECS's shift after step 1" },
    ],
    [
      'the same, its look at 10:25:30',
      {
        ...withRollout({ strategy: 'ecs-linear', steps: [step({ startedAt: T, healthyAt: T }), step()] }),
        wake: { at: T + 25 * MIN + 30 * S, why: "ECS's shift after step 1" },
      },
      T + 25 * MIN + 30 * S,
      { at: T + 37 * MIN, why: "ECS's shift after step 1" },
    ],
    [
      'step 1 asked 10:00, not healthy, now 10:00:10',
      withRollout({ steps: [step({ startedAt: T, unhealthySince: T }), step()] }),
      T + 10 * S,
      { at: T + 4 * MIN, why: 'health recheck of step 1' },
    ],
    [
      'step 1 trading, a task counts for ECS at 10:00:40, now 10:00:10',
      withRollout({ steps: [step({ startedAt: T, unhealthySince: T, servesAt: T + 40 * S }), step()] }),
      T + 10 * S,
      { at: T + 40 * S, why: 'tasks of step 1 count' },
    ],
    [
      'step 1 asked 10:00, not healthy, deadline 15m, now 10:14',
      withRollout({ steps: [step({ startedAt: T, unhealthySince: T }), step()] }),
      T + 14 * MIN,
      { at: T + 15 * MIN + 1, why: 'deadline of step 1' },
    ],
    [
      'paused at step 2',
      withRollout({
        stepIndex: 1,
        paused: true,
        steps: [step(), step({ startedAt: T, unhealthySince: T })],
      }),
      T + MIN,
      undefined,
    ],
    [
      'rolling back since 10:00, rollbackDeadline 15m',
      withRollout({ rollingBack: { reason: 'crash', at: T } as Rollout['rollingBack'] }),
      T + MIN,
      { at: T + 15 * MIN + 1, why: 'rollback deadline' },
    ],
    [
      'ecs-canary rolling back since 10:00 (ECS takes the traffic back), now 10:00',
      withRollout({
        strategy: 'ecs-canary',
        ecsDeployment: { arn: 'arn:sd', status: 'ROLLBACK_IN_PROGRESS' },
        rollingBack: { reason: 'aborted', at: T } as Rollout['rollingBack'],
      } as Partial<Rollout>),
      T,
      { at: T + 15 * S, why: "ECS's end of its rollback" },
    ],
    [
      'the same, its look at 10:00:15 done, now 10:00:15',
      {
        ...withRollout({
          strategy: 'ecs-canary',
          ecsDeployment: { arn: 'arn:sd', status: 'ROLLBACK_IN_PROGRESS' },
          rollingBack: { reason: 'aborted', at: T } as Rollout['rollingBack'],
        } as Partial<Rollout>),
        wake: { at: T + 15 * S, why: "ECS's end of its rollback" },
      } as ServiceRecord,
      T + 15 * S,
      { at: T + 30 * S, why: "ECS's end of its rollback" },
    ],
    [
      "the same, its deciding commit's lease until 10:01:30",
      {
        ...withRollout({ rollingBack: { reason: 'crash', at: T } as Rollout['rollingBack'] }),
        lease: { owner: 'a', until: T + 90 * S },
      },
      T,
      { at: T + 90 * S, why: 'lease of the rollback ends' },
    ],
    [
      'at the gate of step 2 since 10:00, times out 11:00',
      withRollout({
        steps: [step({ startedAt: T - 10 * MIN, healthyAt: T - 10 * MIN }), step({ approve: true })],
        approval: { step: 1, since: T, timesOutAt: T + H },
      }),
      T + MIN,
      { at: T + H, why: 'approval of step 2 times out' },
    ],
    [
      'the same gate, held at 11:00 (onApprovalTimeout: hold)',
      withRollout({
        steps: [step({ startedAt: T - 10 * MIN, healthyAt: T - 10 * MIN }), step({ approve: true })],
        approval: { step: 1, since: T, timesOutAt: T + H, heldAt: T + H },
      }),
      T + 2 * H,
      undefined,
    ],
    [
      'push frozen until Mon 07:00',
      pushFrozenUntil(at('2026-01-05T07:00:00Z')),
      T,
      { at: at('2026-01-05T07:00:00Z'), why: 'freeze ends' },
    ],
    [
      'idle, outbox entry due again 10:02',
      { ...newRecord('prod', 'web'), outbox: [entry(T + 2 * MIN)] },
      T,
      { at: T + 2 * MIN, why: 'Slack retry' },
    ],
    [
      'idle, outbox entry being sent (leased until 10:02)',
      {
        ...newRecord('prod', 'web'),
        outbox: [{ ...entry(T), lease: { token: 't', until: T + 2 * MIN } } as OutboxEntry],
      },
      T,
      undefined,
    ],
    [
      'idle, outbox entry due since 10:00, now 10:00:20',
      { ...newRecord('prod', 'web'), outbox: [entry(T)] },
      T + 20_000,
      { at: slackAgainAt(T, T + 20_000, slackSpread('prod/web', T + 20_000)), why: 'Slack retry' },
    ],
    [
      'idle, one entry leased, one behind it to its webhook, due',
      {
        ...newRecord('prod', 'web'),
        outbox: [
          { ...entry(T), lease: { token: 't', until: T + 2 * MIN } } as OutboxEntry,
          { ...entry(T), id: '1.1' },
        ],
      },
      T,
      undefined,
    ],
    [
      'an entry due, the record leased by the invocation acting',
      { ...newRecord('prod', 'web'), lease: { owner: 'me', until: T + MIN }, outbox: [entry(T)] },
      T,
      undefined,
    ],
    [
      'scaling alarm applied 10:00, out cooldown 5m',
      { ...newRecord('prod', 'web'), scaling: { firing: { busy: { since: T, appliedAt: T } } } },
      T + MIN,
      { at: T + 5 * MIN, why: 'scale-out cooldown ends' },
    ],
    ['idle, nothing outstanding', newRecord('prod', 'web'), T, undefined],
  ])('%s', (_, record, now, want) => {
    expect(nextWake(record, target, now)).toEqual(want);
  });
});

// The rows of lib/wake.ts ecsShiftLook's worked examples.
describe('ecsShiftLook', () => {
  it.each<[string, number, number | undefined, number]>([
    ['bake ends 10:05, now 10:05, due 10:05', T + 5 * MIN, T + 5 * MIN, T + 5 * MIN + 15 * S],
    [
      'bake ends 10:05, now 10:05:15, due 10:05:15',
      T + 5 * MIN + 15 * S,
      T + 5 * MIN + 15 * S,
      T + 5 * MIN + 30 * S,
    ],
    ['bake ends 10:05, now 10:05:40, due 10:06 (an event)', T + 5 * MIN + 40 * S, T + 6 * MIN, T + 6 * MIN],
    ['bake ends 10:05, now 10:25, none due (resumed)', T + 25 * MIN, undefined, T + 25 * MIN + 30 * S],
    ['bake ends 10:05, now 10:25, due 10:09 (lost)', T + 25 * MIN, T + 9 * MIN, T + 25 * MIN + 30 * S],
    [
      'bake ends 10:05, now 10:25:10, due 10:25:30 (an event)',
      T + 25 * MIN + 10 * S,
      T + 25 * MIN + 30 * S,
      T + 25 * MIN + 30 * S,
    ],
    [
      'bake ends 10:05, now 10:25:30, due 10:25:30 (doubling on)',
      T + 25 * MIN + 30 * S,
      T + 25 * MIN + 30 * S,
      T + 37 * MIN,
    ],
    [
      'bake ends 10:05, now 10:05:10, none due (a Slack retry)',
      T + 5 * MIN + 10 * S,
      undefined,
      T + 5 * MIN + 15 * S,
    ],
    ['bake ends 10:05, now 10:01, none due (still baking)', T + MIN, undefined, T + 5 * MIN + 15 * S],
  ])('%s', (_name, now, due, want) => {
    expect(ecsShiftLook(T + 5 * MIN, now, due)).toBe(want);
  });
});

// The rows of lib/wake.ts wakeLooksInFull's worked examples.
describe('wakeLooksInFull', () => {
  it.each<[string | undefined, boolean]>([
    ['health recheck of step 2', true],
    ['deadline of step 1', true],
    ['bake of step 1 ends', false],
    ['Slack retry', false],
    [undefined, false],
  ])('%s -> %s', (why, want) => {
    expect(wakeLooksInFull(why)).toBe(want);
  });
});

describe('healthRecheck', () => {
  it.each([
    ['since 10:00, now 10:00', T, false, T + 4 * MIN],
    ['since 10:00, now 10:04', T + 4 * MIN, false, T + 8 * MIN],
    ['since 10:00, now 10:09', T + 9 * MIN, false, T + 16 * MIN],
    ['since 10:00, now 10:00, trading', T, true, T + MIN],
    ['since 10:00, now 10:02:30, trading', T + 150 * S, true, T + 4 * MIN],
  ])('%s', (_, now, trading, want) => {
    expect(healthRecheck(T, now, trading)).toBe(want);
  });
});

describe('tradesCapacity', () => {
  const steps = (...percents: number[]) => percents.map((percent) => ({ percent, bakeMs: 0 }));
  it.each([
    ['canary 10/50/100, room 12', { room: 12, steps: steps(10, 50, 100) }, true],
    ['canary 10/50/100, room unknown', { steps: steps(10, 50, 100) }, false],
    ['rolling (one step at 100 %), room 12', { room: 12, steps: steps(100) }, false],
  ])('%s -> %s', (_, rollout, want) => {
    expect(tradesCapacity(rollout)).toBe(want);
  });
});

describe('wakeReadsGates', () => {
  it.each([
    ['bake of step 1 ends', true],
    ['bake of step 12 ends', true],
    ['health recheck of step 2', false],
    ['approval of step 2 times out', false],
    ['Slack retry', false],
    ['freeze ends', false],
    [undefined, false],
  ] as const)('%s -> %s', (why, reads) => {
    expect(wakeReadsGates(why)).toBe(reads);
  });

  it('reads the gates at the bake ends nextWake schedules, and only there', () => {
    const baking = withRollout({ stepIndex: 1, steps: [step(), step({ startedAt: T, healthyAt: T })] });
    expect(wakeReadsGates(nextWake(baking, target, T + MIN)?.why)).toBe(true);
    const waiting = withRollout({ steps: [step({ startedAt: T, unhealthySince: T }), step()] });
    expect(wakeReadsGates(nextWake(waiting, target, T + 10 * S)?.why)).toBe(false);
  });
});

describe('outstanding', () => {
  it.each<[string, ServiceRecord, boolean]>([
    ['a rollout in flight', withRollout({}), true],
    ['a Slack message not yet taken', { ...newRecord('prod', 'web'), outbox: [entry(T)] }, true],
    ['a push waiting for a freeze', pushFrozenUntil(T + H), true],
    ['a wake-up scheduled', { ...newRecord('prod', 'web'), wake: { at: T, why: 'x' } }, true],
    ['idle (history, last good, bad digests only)', newRecord('prod', 'web'), false],
  ])('%s', (_, record, want) => {
    expect(outstanding(record)).toBe(want);
  });
});

describe('delaySeconds', () => {
  it.each([
    ['at = now + 300,000 ms', T + 300_000, 300],
    ['at = now + 1,200 ms', T + 1_200, 2],
    ['at = now - 5,000 ms', T - 5_000, 0],
    ['at = now + 2 h', T + 2 * H, 900],
  ])('%s', (_, when, want) => {
    expect(delaySeconds(when, T)).toBe(want);
  });
});

describe('parseWakeBody', () => {
  it.each<[string, unknown, unknown]>([
    ['a body written by wakeBody', wakeBody('prod/web', T), { service: 'prod/web', at: T }],
    ['no wake time', '{"service":"prod/web"}', 'no wake time'],
    ['not JSON', '{', 'not JSON'],
    ['no cluster', '{"service":"web","at":1}', 'no service (cluster/service)'],
  ])('%s', (_, body, want) => {
    expect(parseWakeBody(body)).toEqual(want);
  });
});
