/** The worked examples of lib/rollout/traffic.ts (weighted traffic), one row each. */
import { describe, expect, it } from 'vitest';
import { servedNow } from '../lib/commands/status.ts';
import { parseConfig } from '../lib/config-file.ts';
import type { Observation, ServiceView } from '../lib/observation.ts';
import { MISSING_SERVICE } from '../lib/observation.ts';
import type { Rollout } from '../lib/record.ts';
import { trafficRefusal } from '../lib/refusal.ts';
import { reweigh, routeAt, stepWeights, weightedCanaryTasks } from '../lib/rollout/traffic.ts';
import { askOnce, canaryShortOfRoom, roomlessSwitch, switchWithinRoom } from '../lib/rollout/weighted.ts';
import { canaryGroupName } from '../lib/traffic-config.ts';

const g = (TargetGroupArn: string, Weight: number) => ({ TargetGroupArn, Weight });

describe('weightedCanaryTasks', () => {
  it.each([
    [2, 10, 1],
    [10, 10, 1],
    [10, 15, 2],
    [10, 50, 5],
    [3, 50, 2],
    [4, 100, 4],
    [0, 10, 1],
    [20, 5, 1],
    [20, 30, 6],
  ])('%i tasks, %i %% -> %i', (count, percent, want) => {
    expect(weightedCanaryTasks(count, percent)).toBe(want);
  });
});

describe('stepWeights', () => {
  it.each([
    [10, 90, 10],
    [1, 99, 1],
    [100, 0, 100],
    [0, 100, 0],
    [12.6, 87, 13],
  ])('%d %% -> primary %i, canary %i', (percent, primary, canary) => {
    expect(stepWeights(percent)).toEqual({ primary, canary });
  });
});

describe('reweigh', () => {
  it.each([
    [[g('web', 1)], 10, [g('web', 90), g('canary', 10)]],
    [[g('web', 90), g('canary', 10)], 50, [g('web', 50), g('canary', 50)]],
    [[g('web', 90), g('canary', 10)], 0, [g('web', 100), g('canary', 0)]],
  ])('%j at %i %%', (groups, percent, want) => {
    expect(reweigh(groups, 'web', 'canary', percent)).toEqual({ groups: want });
  });

  it('refuses a rule that also forwards to another group, or not to the primary', () => {
    expect(reweigh([g('web', 1), g('blue', 1)], 'web', 'canary', 10)).toEqual({
      refused: expect.stringMatching(/also forwards to blue/),
    });
    expect(reweigh([g('api', 1)], 'web', 'canary', 10)).toEqual({
      refused: expect.stringMatching(/also forwards to api/),
    });
    expect(reweigh([g('canary', 1)], 'web', 'canary', 10)).toEqual({
      refused: expect.stringMatching(/does not forward to the primary/),
    });
  });
});

describe('servedNow (status: the share the new revision serves by its running tasks)', () => {
  const t = (revision: string, service: 'primary' | 'canary', runningCount: number) => ({
    revision,
    service,
    status: 'PRIMARY',
    runningCount,
    desiredCount: runningCount,
    pendingCount: 0,
  });
  it.each([
    [
      'one canary task beside two',
      [t('web:2', 'primary', 2), t('web:3', 'canary', 1)],
      { share: 33.3, newTasks: 1, tasks: 3 },
    ],
    ['promoted', [t('web:3', 'primary', 4), t('web:2', 'primary', 0)], { share: 100, newTasks: 4, tasks: 4 }],
    ['nothing running', [t('web:2', 'primary', 0)], undefined],
  ])('%s', (_, tasks, want) => {
    expect(servedNow(tasks, 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:3').served).toEqual(want);
  });
});

describe('routeAt (a route rewritten to the step, or left alone)', () => {
  const fwd = (...groups: { TargetGroupArn: string; Weight: number }[]) => ({
    Type: 'forward',
    Order: 1,
    ForwardConfig: { TargetGroups: groups },
  });
  const route = (...actions: any[]) => ({ arn: 'rule', kind: 'rule' as const, actions });
  const groupsOf = (r: any) => r.actions?.find((a: any) => a.Type === 'forward').ForwardConfig.TargetGroups;
  it.each([
    ['[web 1], canary 10', route(fwd(g('web', 1))), { canary: 10 }, [g('web', 90), g('canary', 10)]],
    [
      '[web 90, canary 10], canary 0',
      route(fwd(g('web', 90), g('canary', 10))),
      { canary: 0 },
      [g('web', 100), g('canary', 0)],
    ],
    ['[web 0, canary 100], primary', route(fwd(g('web', 0), g('canary', 100))), 'primary', [g('web', 1)]],
    [
      '[web 90, canary 10], off',
      route(fwd(g('web', 90), g('canary', 10))),
      'off',
      [g('web', 100), g('canary', 0)],
    ],
  ] as const)('%s', (_, r, want, groups) => {
    expect(groupsOf(routeAt(r as any, 'web', 'canary', want as any))).toEqual(groups);
  });
  it('already there: no call', () => {
    expect(routeAt(route(fwd(g('web', 90), g('canary', 10))), 'web', 'canary', { canary: 10 })).toEqual({});
    expect(routeAt(route(fwd(g('web', 1))), 'web', 'canary', 'primary')).toEqual({});
  });
  it('off (a rollback): a route that sends the canary nothing is not called', () => {
    expect(routeAt(route(fwd(g('web', 1))), 'web', 'canary', 'off')).toEqual({});
    expect(routeAt(route(fwd(g('web', 100), g('canary', 0))), 'web', 'canary', 'off')).toEqual({});
  });
  it('keeps an authenticate action before the forward, saying to keep its client secret', () => {
    const oidc = { Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: { ClientId: 'c' } };
    const out = routeAt(route(oidc, { ...fwd(g('web', 1)), Order: 2 }), 'web', 'canary', {
      canary: 10,
    }) as any;
    expect(out.actions[0]).toEqual({
      ...oidc,
      AuthenticateOidcConfig: { ClientId: 'c', UseExistingClientSecret: true },
    });
    expect(out.actions[1].Order).toBe(2);
  });
  it('refuses a rule that also forwards to another group', () => {
    expect(routeAt(route(fwd(g('web', 1), g('blue', 1))), 'web', 'canary', { canary: 10 })).toEqual({
      refused: expect.stringMatching(/also forwards to blue/),
    });
  });
});

describe('canaryGroupName', () => {
  it.each([
    ['prod', 'web', 'prod-web-canary'],
    ['prod', 'web_api', 'prod-web-api-canary'],
    ['production-eu-west-1', 'checkout-service', 'production-eu-west-3bd65a-canary'],
  ])('%s, %s -> %s', (cluster, service, want) => {
    expect(canaryGroupName(cluster, service)).toBe(want);
    expect(want.length).toBeLessThanOrEqual(32);
  });
});

describe('traffic: in autopilot.yml', () => {
  const parse = (text: string) => parseConfig(text, 'autopilot.yml');
  const t = '  - { cluster: prod, service: web, repository: web';
  it('weighted with its load balancers; tasks by default; from defaults a rolling target keeps tasks', () => {
    const c = parse(
      `defaults: { traffic: weighted, loadBalancers: [front] }\ntargets:\n${t} }\n${t.replace('web,', 'api,')}, strategy: rolling }\n`,
    );
    expect(c.targets[0]).toMatchObject({ traffic: 'weighted', loadBalancers: ['front'] });
    expect(c.targets[1]!.traffic).toBeUndefined();
    expect(parse(`targets:\n${t} }\n`).targets[0]!.traffic).toBeUndefined();
  });
  it.each([
    [`${t}, traffic: weighted }`, /targets\[0\]\.loadBalancers: is required with traffic: weighted/],
    [
      `${t}, traffic: weighted, loadBalancers: [front], strategy: rolling }`,
      /targets\[0\]\.traffic: weighted shifts a canary's share/,
    ],
    [`${t}, traffic: split }`, /targets\[0\]\.traffic: must be weighted .* or tasks/],
    [`${t}, loadBalancers: [front] }`, /targets\[0\]\.loadBalancers: only with traffic: weighted/],
    [
      `${t}, traffic: weighted, loadBalancers: [front], canaryTargetGroup: "-bad" }`,
      /canaryTargetGroup: must be a target group name/,
    ],
  ])('%s is refused with its path', (line, problem) => {
    expect(() => parse(`targets:\n${line}\n`)).toThrow(problem);
  });
});

describe('trafficRefusal (a weighted push the routes cannot carry)', () => {
  const target = { cluster: 'prod', service: 'web', strategy: 'canary', traffic: 'weighted' } as any;
  const view = (routes: any[], extra = {}) => ({
    primaryGroup: 'web',
    canaryGroupName: 'prod-web-canary',
    routes,
    ...extra,
  });
  const fwd = (...groups: { TargetGroupArn: string; Weight: number }[]) => ({
    arn: 'rule/1',
    kind: 'rule' as const,
    actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: groups } }],
  });
  it.each([
    ['no route to the group', view([]), /no.*forwards to target group web|none does/],
    [
      'a problem read from AWS',
      view([], { problem: 'traffic: weighted needs the service behind' }),
      /needs the service behind/,
    ],
    ['a rule that also forwards elsewhere', view([fwd(g('web', 1), g('blue', 1))]), /also forwards to blue/],
  ])('%s -> refused, nothing registered', (_, traffic, why) => {
    const refused = trafficRefusal(target, traffic as any);
    expect(refused).toMatch(why);
    expect(refused).toMatch(/^prod\/web: .*Nothing was registered and the image is not marked bad$/);
  });
  it('one route to the group, or a target on tasks: no refusal', () => {
    expect(trafficRefusal(target, view([fwd(g('web', 1))]) as any)).toBeUndefined();
    expect(trafficRefusal({ ...target, traffic: undefined }, undefined)).toBeUndefined();
  });
});

describe('askOnce (asking the same again does not restart a step deadline)', () => {
  const step = (over: object = {}) => ({
    percent: 10,
    bakeMs: 0,
    unhealthySince: 1000,
    unhealthyMs: 0,
    ...over,
  });
  it.each([
    ['asked nothing yet: restarts', step(), 'canary 1', 5000],
    ['the same ask again: nothing', step({ asked: 'canary 1' }), 'canary 1', 1000],
    ['a new ask (the service grew): restarts', step({ asked: 'canary 1' }), 'canary 2', 5000],
    [
      'the same ask after the step was healthy: restarts',
      step({ asked: 'canary 1', healthyAt: 3000 }),
      'canary 1',
      5000,
    ],
  ])('%s', (_, s, what, since) => {
    askOnce(s as any, what, 5000);
    expect(s.unhealthySince).toBe(since);
    expect((s as any).asked).toBe(what);
  });
});

// The rows of lib/rollout/weighted.ts roomlessSwitch and canaryShortOfRoom: a weighted promotion on
// a cluster with no room for twice the count.
describe('weighted promotion on a full cluster', () => {
  const T = Date.parse('2026-01-01T10:00:00Z');
  const REV = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:2';
  const OLD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1';
  const primary = (o: {
    placed: number;
    pending?: number;
    min?: number;
    failedAt?: number;
  }): ServiceView => ({
    exists: true,
    taskDefinition: REV,
    desiredCount: 3,
    runningCount: 3 + o.placed,
    pendingCount: o.pending ?? 0,
    minimumHealthyPercent: o.min ?? 100,
    maximumPercent: 200,
    ...(o.failedAt !== undefined && { placementFailedAt: o.failedAt }),
    deployments: [
      {
        id: 'ecs-svc/2',
        status: 'PRIMARY',
        taskDefinition: REV,
        desiredCount: 3,
        runningCount: o.placed - (o.pending ?? 0),
        pendingCount: o.pending ?? 0,
        failedTasks: 0,
        rolloutState: 'IN_PROGRESS',
      },
      {
        id: 'ecs-svc/1',
        status: 'ACTIVE',
        taskDefinition: OLD,
        desiredCount: 3,
        runningCount: 3,
        pendingCount: 0,
        failedTasks: 0,
      },
    ],
  });
  const obs = (p: ServiceView, canary: Partial<ServiceView> = {}) =>
    ({
      primary: p,
      canary: { ...MISSING_SERVICE, exists: true, desiredCount: 3, runningCount: 3, ...canary },
      tasks: [],
      hasHealthCheck: false,
      alarms: [],
    }) as Observation;
  const rollout = (canaryWeight: number) => ({ startedAt: T, canaryWeight }) as Rollout;

  it.each([
    [
      'all traffic on the canary, 0 of 3 placed, unable to place, min 100',
      primary({ placed: 0, failedAt: T + 60_000 }),
      100,
      66,
    ],
    [
      'the same, min 50 (ECS may stop 1 of 3 first)',
      primary({ placed: 0, failedAt: T + 60_000, min: 50 }),
      100,
      undefined,
    ],
    [
      'the same, the canary at 10 % (a canary step)',
      primary({ placed: 0, failedAt: T + 60_000 }),
      10,
      undefined,
    ],
    [
      '0 of 3 placed, no "unable to place" since the rollout began',
      primary({ placed: 0, failedAt: T - 1 }),
      100,
      undefined,
    ],
    [
      '1 running, 2 pending (all placed)',
      primary({ placed: 3, pending: 2, failedAt: T + 60_000 }),
      100,
      undefined,
    ],
  ])('roomlessSwitch: %s -> %s', (_, p, weight, want) => {
    expect(roomlessSwitch(obs(p), rollout(weight), REV)).toBe(want);
  });

  it('roomlessSwitch: never once the canary has left the routes', () => {
    const r = { ...rollout(100), canaryDetached: true as const };
    expect(roomlessSwitch(obs(primary({ placed: 0, failedAt: T + 60_000 })), r, REV)).toBeUndefined();
  });

  it.each<[string, number, number, number, { maximumPercent: number; minimumHealthyPercent?: number }]>([
    ['4 tasks, canary 4, room 8, minimum 50', 8, 50, 4, { maximumPercent: 100 }],
    ['4 tasks, canary 4, room 8, minimum 100', 8, 100, 4, { maximumPercent: 100, minimumHealthyPercent: 75 }],
    ['4 tasks, canary 4, room 10, minimum 100', 10, 100, 4, { maximumPercent: 150 }],
  ])('switchWithinRoom: %s', (_, room, min, count, want) => {
    const p: ServiceView = {
      ...MISSING_SERVICE,
      exists: true,
      desiredCount: count,
      minimumHealthyPercent: min,
    };
    expect(switchWithinRoom(obs(p, { runningCount: 4 }), room)).toEqual(want);
  });

  const step = { percent: 100, bakeMs: 0, startedAt: T + 4 * 60_000 };
  it.each([
    [
      'canary 3 wanted, 2 placed, unable to place after the step asked',
      { runningCount: 2, placementFailedAt: T + 4 * 60_000 },
      true,
    ],
    [
      'the same, unable to place before the step asked',
      { runningCount: 2, placementFailedAt: T + 60_000 },
      false,
    ],
    ['canary 3 wanted, 3 running', { runningCount: 3, placementFailedAt: T + 4 * 60_000 }, false],
  ])('canaryShortOfRoom: %s -> %s', (_, canary, want) => {
    const o = obs(primary({ placed: 0 }), canary);
    expect(canaryShortOfRoom(o, step)).toBe(want);
  });
});
