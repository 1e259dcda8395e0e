/**
 * The pure rules of Trust II, with the worked examples of their comments: back-off and lease
 * (lib/lease.ts), refusals (lib/refusal.ts), the canary's sibling settings (lib/canary-sibling.ts),
 * the owner's settings (lib/owner-settings.ts), closing a rollout that is gone (lib/retire.ts).
 */
import type { Service } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { alignCanary, clientOnly, isRefusal, siblingSettings } from '../lib/canary-sibling.ts';
import { validateConfig } from '../lib/config.ts';
import {
  actsBeforeCommit,
  askAgain,
  askedAgain,
  backedOff,
  backoffMs,
  fenceNeedsRead,
  heldByAnother,
  LEASE_MS,
  nextFailing,
  stillCurrent,
  tellFailing,
  withLease,
  withoutLease,
} from '../lib/lease.ts';
import { allAtOnceConfiguration, restoreDue, withOwnerSettings } from '../lib/owner-settings.ts';
import { newRecord, type Rollout, type ServiceRecord } from '../lib/record.ts';
import { containerRefusal, serviceRefusal } from '../lib/refusal.ts';
import { closeRollout } from '../lib/retire.ts';
import type { Decision } from '../lib/rollout/decision.ts';
import { startRollback } from '../lib/rollout/rollback.ts';

const MIN = 60_000;
const T0 = Date.parse('2026-01-01T10:00:00Z');
const record = (extra: Partial<ServiceRecord> = {}): ServiceRecord => ({
  ...newRecord('prod', 'web'),
  ...extra,
});
const target = (extra: Record<string, unknown> = {}) =>
  validateConfig({ targets: [{ cluster: 'prod', service: 'web', repository: 'web', ...extra }] }).targets[0]!;
const rollout: Rollout = {
  id: 'r1',
  image: { repository: 'web', tag: 'v2', digest: 'sha256:aa', uri: 'x/web@sha256:aa' },
  strategy: 'canary',
  steps: [{ percent: 10, bakeMs: MIN, startedAt: T0 }],
  stepIndex: 0,
  fromTaskDefinition: 'web:41',
  startedAt: T0,
  failures: [],
  ignoredAlarms: [],
};

describe('back-off (lib/lease.ts)', () => {
  it.each([
    [1, 1],
    [2, 2],
    [3, 5],
    [4, 10],
    [5, 15],
    [9, 15],
  ])('%i failures in a row -> %i minutes', (count, minutes) => {
    expect(backoffMs(count)).toBe(minutes * MIN);
  });

  it('nextFailing: the first, then one more', () => {
    const first = nextFailing(undefined, 'throttled', T0);
    expect(first).toEqual({ since: T0, count: 1, nextAt: T0 + MIN, message: 'throttled' });
    const third = nextFailing({ ...first, count: 2 }, 'throttled', T0 + 3 * MIN);
    expect(third).toEqual({ since: T0, count: 3, nextAt: T0 + 8 * MIN, message: 'throttled' });
  });

  it.each([
    ['2 in a row over 10m', { count: 2, since: T0 - 10 * MIN }, false],
    ['3 in a row over 2m', { count: 3, since: T0 - 2 * MIN }, false],
    ['3 in a row over 6m, never told', { count: 3, since: T0 - 6 * MIN }, true],
    ['9 in a row, told 20m ago', { count: 9, since: T0 - 60 * MIN, toldAt: T0 - 20 * MIN }, false],
    ['9 in a row, told 61m ago', { count: 9, since: T0 - 90 * MIN, toldAt: T0 - 61 * MIN }, true],
  ])('tellFailing: %s -> %s', (_name, f, tell) => {
    expect(tellFailing({ nextAt: 0, message: 'x', ...f }, T0)).toBe(tell);
  });

  it('backedOff: only until nextAt', () => {
    const r = record({ failing: { since: T0, count: 1, nextAt: T0 + MIN, message: 'x' } });
    expect(backedOff(r, T0 + 30_000)).toBe(true);
    expect(backedOff(r, T0 + MIN)).toBe(false);
    expect(backedOff(record(), T0)).toBe(false);
  });
});

describe('lease and fence (lib/lease.ts)', () => {
  it.each([
    ['no lease', undefined, 'a', T0, false],
    ['b holds it, a asks', { owner: 'b', until: T0 + MIN }, 'a', T0, true],
    ['b holds it, b asks', { owner: 'b', until: T0 + MIN }, 'b', T0, false],
    ['b’s lease expired (b died)', { owner: 'b', until: T0 }, 'a', T0 + 1, false],
  ])('heldByAnother: %s -> %s', (_name, lease, me, now, held) => {
    expect(heldByAnother(record(lease && { lease }), me as string, now as number)).toBe(held);
  });

  it('stillCurrent: a newer version that only asks the holder for one more look keeps the decision', () => {
    const decided = record({ version: 7, lease: { owner: 'a', until: T0 } });
    expect(stillCurrent(decided, { ...askAgain(decided), version: 8, writeId: 'w8' }, 'a')).toBe(true);
    expect(stillCurrent(decided, { ...askAgain(decided), version: 8, rollout }, 'a')).toBe(false);
  });

  it('withLease outlives Lambda’s 60 s timeout; askAgain marks the holder’s lease; withoutLease lets go', () => {
    const leased = withLease(record(), 'a', T0);
    expect(leased.lease).toEqual({ owner: 'a', until: T0 + LEASE_MS });
    expect(LEASE_MS).toBeGreaterThan(60_000);
    expect(askedAgain(leased)).toBe(false);
    expect(askedAgain(askAgain(leased))).toBe(true);
    expect(withoutLease(askAgain(leased)).lease).toBeUndefined();
    expect(askAgain(record())).toEqual(record());
  });

  it.each([
    ['same version, lease still mine', 7, 7, 'a', true],
    ['same version, the lease taken over', 7, 7, 'b', false],
  ])('stillCurrent: %s -> %s', (_name, decided, stored, owner, current) => {
    expect(
      stillCurrent(
        record({ version: decided as number, lease: { owner: 'a', until: T0 } }),
        record({ version: stored as number, lease: { owner: owner as string, until: T0 } }),
        'a',
      ),
    ).toBe(current);
  });

  it.each([
    ['registerRevision', false, false],
    ['registerRevision', true, false],
    ['setCanary', true, false],
    ['setCanary', false, true],
    ['setPrimary', false, true],
    ['setCount', false, true],
    ['setRoutes', false, true],
    ['stopEcsDeployment', false, true],
    ['stopEcsDeployment', true, false],
  ])('fenceNeedsRead: %s, right after our commit %s -> %s', (type, rightAfter, read) => {
    expect(fenceNeedsRead({ type }, rightAfter as boolean)).toBe(read);
  });

  it.each([
    ['[registerRevision]', ['registerRevision'], true],
    ['[registerRevision, setCanary]', ['registerRevision', 'setCanary'], false],
    ['[setCanary]', ['setCanary'], false],
    ['[setPrimary]', ['setPrimary'], false],
    ['[]', [], false],
  ])('actsBeforeCommit: %s -> %s', (_name, types, before) => {
    expect(actsBeforeCommit((types as string[]).map((type) => ({ type })))).toBe(before);
  });
});

describe('refusals (lib/refusal.ts)', () => {
  const service = (extra: Partial<Service> = {}): Service => ({
    serviceName: 'web',
    loadBalancers: [{ targetGroupArn: 'tg', containerName: 'web', containerPort: 8080 }],
    ...extra,
  });
  it.each([
    [
      'CODE_DEPLOY',
      { deploymentController: { type: 'CODE_DEPLOY' } },
      /uses the CODE_DEPLOY deployment controller/,
    ],
    ['EXTERNAL', { deploymentController: { type: 'EXTERNAL' } }, /uses the EXTERNAL deployment controller/],
    ['DAEMON', { schedulingStrategy: 'DAEMON' }, /DAEMON scheduling strategy/],
    [
      'Service Connect only',
      {
        loadBalancers: [],
        deployments: [
          {
            status: 'PRIMARY',
            serviceConnectConfiguration: {
              enabled: true,
              namespace: 'shop',
              services: [{ portName: 'http', discoveryName: 'web' }],
            },
          },
        ],
      },
      /only through Service Connect \(web\)/,
    ],
  ] as const)('%s is refused, saying nothing was registered or marked bad', (_name, extra, reason) => {
    const why = serviceRefusal(target(), service(extra as Partial<Service>));
    expect(why).toMatch(reason);
    expect(why).toMatch(/Nothing was registered and the image is not marked bad/);
  });

  it('the ECS controller (or none: the default), REPLICA, behind a target group: not refused', () => {
    expect(serviceRefusal(target(), service())).toBeUndefined();
    expect(serviceRefusal(target(), service({ deploymentController: { type: 'ECS' } }))).toBeUndefined();
  });

  it('a Service Connect-only service may still roll out without a canary', () => {
    const scOnly = service({
      loadBalancers: [],
      deployments: [
        {
          status: 'PRIMARY',
          serviceConnectConfiguration: { enabled: true, services: [{ portName: 'http' }] },
        },
      ],
    });
    expect(serviceRefusal(target({ strategy: 'rolling' }), scOnly)).toBeUndefined();
  });

  it.each([
    [['web', 'envoy', 'log'], undefined, /has 3 containers \(web, envoy, log\) and none is named/],
    [['web', 'envoy'], 'api', /has no container "api" \(it has web, envoy\)/],
    [['web'], undefined, undefined],
    [['web', 'envoy'], 'web', undefined],
  ])('containers %j, container %s -> %s', (names, container, reason) => {
    const why = containerRefusal(
      target(container ? { container } : {}),
      names.map((name) => ({ name })),
      'web:7',
    );
    if (reason) expect(why).toMatch(reason);
    else expect(why).toBeUndefined();
  });
});

describe('the canary’s sibling settings (lib/canary-sibling.ts)', () => {
  const primary: Service = {
    serviceName: 'web',
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'] } },
    loadBalancers: [{ targetGroupArn: 'tg-1', containerName: 'web', containerPort: 8080 }],
    serviceRegistries: [{ registryArn: 'arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1' }],
    placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
    deployments: [
      {
        status: 'PRIMARY',
        serviceConnectConfiguration: {
          enabled: true,
          namespace: 'shop',
          services: [{ portName: 'http', discoveryName: 'web', clientAliases: [{ port: 80 }] }],
        },
        volumeConfigurations: [
          {
            name: 'data',
            managedEBSVolume: { roleArn: 'arn:aws:iam::123456789012:role/ebs', sizeInGiB: 10 },
          },
        ],
      },
    ],
  };

  it('copies network, load balancers, registries, placement, volumes; Service Connect as a client only', () => {
    const s = siblingSettings(primary);
    if (isRefusal(s)) throw new Error(s.reason);
    expect(s).toMatchObject({
      launchType: 'FARGATE',
      networkConfiguration: primary.networkConfiguration,
      loadBalancers: primary.loadBalancers,
      serviceRegistries: primary.serviceRegistries,
      placementStrategy: primary.placementStrategy,
      volumeConfigurations: primary.deployments![0]!.volumeConfigurations,
      serviceConnectConfiguration: { enabled: true, namespace: 'shop' },
    });
    expect(s.serviceConnectConfiguration).not.toHaveProperty('services');
  });

  it.each([
    [
      { enabled: true, namespace: 'shop', services: [{ portName: 'http' }] },
      { enabled: true, namespace: 'shop' },
    ],
    [{ enabled: false }, undefined],
    [undefined, undefined],
  ])('clientOnly(%j) -> %j', (sc, out) => {
    expect(clientOnly(sc)).toEqual(out);
  });

  it('aligns a canary to the primary as it is now, and only what differs', () => {
    const wanted = siblingSettings(primary);
    if (isRefusal(wanted)) throw new Error(wanted.reason);
    const canary: Service = {
      ...primary,
      serviceName: 'web-canary',
      loadBalancers: [{ targetGroupArn: 'tg-old', containerName: 'web', containerPort: 8080 }],
      deployments: [
        {
          status: 'PRIMARY',
          serviceConnectConfiguration: { enabled: true, namespace: 'shop' },
          volumeConfigurations: primary.deployments![0]!.volumeConfigurations,
        },
      ],
    };
    expect(alignCanary('prod', canary, wanted)).toEqual({
      update: { cluster: 'prod', service: 'web-canary', loadBalancers: primary.loadBalancers },
    });
    expect(alignCanary('prod', { ...canary, loadBalancers: primary.loadBalancers }, wanted)).toEqual({});
    expect(alignCanary('prod', { ...canary, launchType: 'EC2' }, wanted).recreate).toMatch(/FARGATE/);
  });
});

describe('owner’s settings (lib/owner-settings.ts)', () => {
  it('all-at-once widens, keeping the rest; saved once; restored when over and steady', () => {
    const owner = {
      minimumHealthyPercent: 50,
      maximumPercent: 100,
      deploymentCircuitBreaker: { enable: true, rollback: true },
    };
    expect(allAtOnceConfiguration(owner)).toEqual({
      ...owner,
      minimumHealthyPercent: 100,
      maximumPercent: 200,
    });
    const saved = withOwnerSettings(record({ rollout }), owner, 'r1', T0);
    expect(saved.ownerSettings).toEqual({ deploymentConfiguration: owner, rolloutId: 'r1', savedAt: T0 });
    // A retried action must not save the pipeline's own 200/100 as the owner's.
    expect(withOwnerSettings(saved, allAtOnceConfiguration(owner), 'r1', T0 + 1)).toBe(saved);
    expect(restoreDue(saved, 1)).toBe(false);
    expect(restoreDue({ ...saved, rollout: undefined }, 2)).toBe(false);
    expect(restoreDue({ ...saved, rollout: undefined }, 1)).toBe(true);
    expect(restoreDue(record(), 1)).toBe(false);
    // A rollback for want of room: all-at-once's 200 / 100 would hold it too (nothing can start,
    // nothing may stop), so the owner's settings go back with it.
    const blocked = { ...rollout, rollingBack: { reason: 'no room', at: T0, toTaskDefinition: 'web:41' } };
    expect(restoreDue({ ...saved, rollout: blocked }, 3)).toBe(false);
    expect(
      restoreDue(
        { ...saved, rollout: { ...blocked, rollingBack: { ...blocked.rollingBack, capacity: true } } },
        3,
      ),
    ).toBe(true);
  });
});

describe('startRollback: whose settings go back with it (lib/rollout/rollback.ts)', () => {
  const start = (blameImage: boolean, capacity?: boolean) => {
    const d = {
      record: record({ rollout: structuredClone(rollout) }),
      notices: [],
      actions: [],
    } as unknown as Decision;
    startRollback(d, d.record.rollout!, 'why', T0, 'rolled_back', undefined, undefined, blameImage, capacity);
    return d.record;
  };
  it.each([
    // A failing image: marked bad; all-at-once's room is kept until the rollback has finished.
    [true, undefined, true, undefined],
    // Not the image's fault for another reason (nobody approved it, its route could not be weighed,
    // its tasks were still starting): not marked bad, the room kept likewise.
    [false, undefined, false, undefined],
    // The cluster had no room: the owner's settings go back with the rollback.
    [false, true, false, true],
  ])('blameImage %s, capacity %s -> marked bad %s, capacity %s', (blame, capacity, bad, restored) => {
    const r = start(blame, capacity);
    expect(rollout.image.digest in r.badDigests).toBe(bad);
    expect(r.rollout?.rollingBack?.capacity).toBe(restored);
  });
});

describe('closing a rollout that is gone (lib/retire.ts)', () => {
  it('closes into history as aborted with the reason, and tells it', () => {
    const { record: closed, notices } = closeRollout(record({ rollout }), 'the primary is gone', T0);
    expect(closed.rollout).toBeUndefined();
    expect(closed.history.at(-1)).toMatchObject({
      id: 'r1',
      outcome: 'aborted',
      reason: 'the primary is gone',
    });
    expect(notices).toEqual([
      expect.objectContaining({ kind: 'rolled_back', reason: 'the primary is gone' }),
    ]);
    expect(closeRollout(record(), 'x', T0).notices).toEqual([]);
  });
});
