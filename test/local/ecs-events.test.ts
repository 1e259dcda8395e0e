/**
 * The events the local ECS puts on the bus have the fields and types of the real ones: AWS's own
 * samples, copied verbatim below from the ECS Developer Guide ("Amazon ECS task state change events",
 * "Amazon ECS service deployment state change events").
 */
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { beforeAll, expect, describe as group, it } from 'vitest';
import { parseImageBehaviour } from '../../local/core/images.ts';
import { World } from '../../local/world.ts';
import { busEvents, runUntil, sharedWorld } from '../helpers/world.ts';
import { createService, describe, pushImage, registerFargate, startEcsWorld } from './ecs-fixtures.ts';

/**
 * Every member of `sample` is in `ours` with the same JSON type, recursively (arrays: element-wise
 * against the sample's first element); members of `ours` that the sample lacks must be listed in `extra`
 * (by path, e.g. `detail.startedBy`).
 */
function expectSameShape(ours: unknown, sample: unknown, extra: string[] = [], path = ''): void {
  const kind = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  expect(kind(ours), `type of ${path || 'root'}`).toBe(kind(sample));
  if (Array.isArray(sample)) {
    const arr = ours as unknown[];
    if (sample.length > 0) {
      expect(arr.length, `${path} is not empty`).toBeGreaterThan(0);
      for (const item of arr) expectSameShape(item, sample[0], extra, `${path}[]`);
    }
    return;
  }
  if (sample && typeof sample === 'object') {
    const o = ours as Record<string, unknown>;
    for (const k of Object.keys(sample)) {
      expect(o, `${path}.${k} present`).toHaveProperty(k);
      expectSameShape(o[k], (sample as Record<string, unknown>)[k], extra, path ? `${path}.${k}` : k);
    }
    const unexpected = Object.keys(o)
      .filter((k) => !(k in sample))
      .map((k) => (path ? `${path}.${k}` : k))
      .filter((p) => !extra.includes(p));
    expect(unexpected, `members the sample does not have at ${path || 'root'}`).toEqual([]);
  }
}

/** ECS Developer Guide, "Example Task state change event" (Fargate, RUNNING). */
const taskSample = {
  version: '0',
  id: '3317b2af-7005-947d-b652-f55e762e571a',
  'detail-type': 'ECS Task State Change',
  source: 'aws.ecs',
  account: '111122223333',
  time: '2020-01-23T17:57:58Z',
  region: 'us-west-2',
  resources: ['arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad'],
  detail: {
    attachments: [
      {
        id: '1789bcae-ddfb-4d10-8ebe-8ac87ddba5b8',
        type: 'eni',
        status: 'ATTACHED',
        details: [
          {
            name: 'subnetId',
            value: 'subnet-abcd1234',
          },
          {
            name: 'networkInterfaceId',
            value: 'eni-abcd1234',
          },
          {
            name: 'macAddress',
            value: '0a:98:eb:a7:29:ba',
          },
          {
            name: 'privateIPv4Address',
            value: '10.0.0.139',
          },
        ],
      },
    ],
    availabilityZone: 'us-west-2c',
    clusterArn: 'arn:aws:ecs:us-west-2:111122223333:cluster/FargateCluster',
    containers: [
      {
        containerArn: 'arn:aws:ecs:us-west-2:111122223333:container/cf159fd6-3e3f-4a9e-84f9-66cbe726af01',
        lastStatus: 'RUNNING',
        name: 'FargateApp',
        image: '111122223333.dkr.ecr.us-west-2.amazonaws.com/hello-repository:latest',
        imageDigest: 'sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6',
        runtimeId: 'ad64cbc71c7fb31c55507ec24c9f77947132b03d48d9961115cf24f3b7307e1e',
        taskArn: 'arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad',
        networkInterfaces: [
          {
            attachmentId: '1789bcae-ddfb-4d10-8ebe-8ac87ddba5b8',
            privateIpv4Address: '10.0.0.139',
          },
        ],
        cpu: '0',
      },
    ],
    createdAt: '2020-01-23T17:57:34.402Z',
    launchType: 'FARGATE',
    cpu: '256',
    memory: '512',
    desiredStatus: 'RUNNING',
    group: 'family:sample-fargate',
    lastStatus: 'RUNNING',
    overrides: {
      containerOverrides: [
        {
          name: 'FargateApp',
        },
      ],
    },
    connectivity: 'CONNECTED',
    connectivityAt: '2020-01-23T17:57:38.453Z',
    pullStartedAt: '2020-01-23T17:57:52.103Z',
    startedAt: '2020-01-23T17:57:58.103Z',
    pullStoppedAt: '2020-01-23T17:57:55.103Z',
    updatedAt: '2020-01-23T17:57:58.103Z',
    taskArn: 'arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad',
    taskDefinitionArn: 'arn:aws:ecs:us-west-2:111122223333:task-definition/sample-fargate:1',
    version: 4,
    platformVersion: '1.3.0',
  },
};

/** ECS Developer Guide, "Example service deployment failed event". */
const deploymentSample = {
  version: '0',
  id: 'ddca6449-b258-46c0-8653-e0e3aEXAMPLE',
  'detail-type': 'ECS Deployment State Change',
  source: 'aws.ecs',
  account: '111122223333',
  time: '2020-05-23T12:31:14Z',
  region: 'us-west-2',
  resources: ['arn:aws:ecs:us-west-2:111122223333:service/default/servicetest'],
  detail: {
    eventType: 'ERROR',
    eventName: 'SERVICE_DEPLOYMENT_FAILED',
    deploymentId: 'ecs-svc/123',
    updatedAt: '2020-05-23T11:11:11Z',
    reason: 'ECS deployment circuit breaker: task failed to start.',
  },
};

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const t = sharedWorld(startEcsWorld);
let sinceUpdate = 0;
beforeAll(async () => {
  const td1 = await registerFargate(t.ecs, 'sample', pushImage(t.world, 'sample', 'v1'));
  const td2 = await registerFargate(
    t.ecs,
    'sample',
    pushImage(t.world, 'sample', 'v2', { crash: { after: '5s', exitCode: 2 } }),
  );
  await createService(t.ecs, {
    serviceName: 'web',
    taskDefinition: td1,
    desiredCount: 1,
    deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
  });
  await runUntil(
    t.world,
    async () => (await describe(t.ecs, 'web')).deployments![0]!.rolloutState === 'COMPLETED',
    300_000,
  );
  sinceUpdate = t.world.now();
  await t.ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'web', taskDefinition: td2 }));
  // Until the rollback deployment has completed (the first task has been stopped by then).
  await runUntil(
    t.world,
    () =>
      busEvents(t.world, 'ECS Deployment State Change').filter(
        (e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_COMPLETED',
      ).length === 2,
    1_800_000,
  );
});

group('ECS Task State Change', () => {
  it('a RUNNING task event has the fields and types of the documented sample', () => {
    const running = busEvents(t.world, 'ECS Task State Change').find(
      (e) => e.detail.lastStatus === 'RUNNING',
    )!;
    expectSameShape(running, taskSample, ['detail.startedBy']);
    expect(running.source).toBe('aws.ecs');
    expect(running.resources).toEqual([running.detail.taskArn]);
    expect(running.detail.attachments[0].details.map((d: any) => d.name)).toEqual(
      taskSample.detail.attachments[0]!.details.map((d) => d.name),
    );
    for (const k of [
      'createdAt',
      'connectivityAt',
      'pullStartedAt',
      'pullStoppedAt',
      'startedAt',
      'updatedAt',
    ])
      expect(running.detail[k], k).toMatch(ISO_MS);
    expect(running.detail.group).toBe('service:web');
    expect(running.detail.startedBy).toMatch(/^ecs-svc\/\d{19}$/);
    expect(running.detail.containers[0].imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('a STOPPED task event adds the stop fields, with the documented types', () => {
    const stopped = busEvents(t.world, 'ECS Task State Change', sinceUpdate).find(
      (e) => e.detail.lastStatus === 'STOPPED' && e.detail.stopCode === 'EssentialContainerExited',
    )!;
    expectSameShape(stopped, taskSample, [
      'detail.startedBy',
      'detail.stopCode',
      'detail.stoppedReason',
      'detail.stoppingAt',
      'detail.stoppedAt',
      'detail.executionStoppedAt',
      'detail.containers[].exitCode',
    ]);
    expect(stopped.detail).toMatchObject({
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
    });
    expect(stopped.detail.containers[0]).toMatchObject({ lastStatus: 'STOPPED', exitCode: 2 });
    expect(stopped.detail.attachments[0].status).toBe('DELETED');
    for (const k of ['stoppingAt', 'executionStoppedAt', 'stoppedAt'])
      expect(stopped.detail[k], k).toMatch(ISO_MS);
  });

  it('walks the documented lifecycle, one event per change, with an increasing version', () => {
    const events = busEvents(t.world, 'ECS Task State Change');
    const arn = events[0]!.detail.taskArn;
    const mine = events.filter((e) => e.detail.taskArn === arn);
    expect(mine.map((e) => e.detail.lastStatus)).toEqual([
      'PROVISIONING',
      'PENDING',
      'RUNNING',
      'STOPPING',
      'DEPROVISIONING',
      'STOPPED',
    ]);
    const versions = mine.map((e) => e.detail.version);
    for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1]);
    expect(mine[3]!.detail.stoppedReason).toMatch(
      /^Scaling activity initiated by \(deployment ecs-svc\/\d{19}\)$/,
    );
    expect(mine[3]!.detail.stopCode).toBe('ServiceSchedulerInitiated');
  });
});

group('ECS Deployment State Change and ECS Service Action', () => {
  it('deployment events have exactly the fields and types of the documented sample', () => {
    const events = busEvents(t.world, 'ECS Deployment State Change');
    expect(events.map((e) => e.detail.eventName)).toEqual(
      expect.arrayContaining([
        'SERVICE_DEPLOYMENT_IN_PROGRESS',
        'SERVICE_DEPLOYMENT_COMPLETED',
        'SERVICE_DEPLOYMENT_FAILED',
      ]),
    );
    for (const e of events) {
      expectSameShape(e, deploymentSample);
      expect(e.detail.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(e.detail.eventType).toBe(e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED' ? 'ERROR' : 'INFO');
      expect(e.resources).toEqual(['arn:aws:ecs:us-east-1:123456789012:service/prod/web']);
    }
    const failed = events.find((e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED')!;
    expect(failed.detail.reason).toBe(deploymentSample.detail.reason);
  });

  it('service action events carry eventType, eventName, clusterArn and createdAt', () => {
    const steady = busEvents(t.world, 'ECS Service Action').find(
      (e) => e.detail.eventName === 'SERVICE_STEADY_STATE',
    )!;
    expect(Object.keys(steady.detail).sort()).toEqual(['clusterArn', 'createdAt', 'eventName', 'eventType']);
    expect(steady.detail).toMatchObject({
      eventType: 'INFO',
      clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
    });
    expect(steady.detail.createdAt).toMatch(ISO_MS);
    expect(steady.resources).toEqual(['arn:aws:ecs:us-east-1:123456789012:service/prod/web']);
    const stopped = busEvents(t.world, 'ECS Service Action').find(
      (e) => e.detail.eventName === 'TASKS_STOPPED',
    )!;
    expect(stopped.detail.taskArns[0]).toMatch(
      /^arn:aws:ecs:us-east-1:123456789012:task\/prod\/[0-9a-f]{32}$/,
    );
  });
});

group('determinism', () => {
  it('the same world and calls yield the same events, ids and timestamps', async () => {
    const run = async () => {
      const w = new World({ seed: 'same' });
      const ops = w.ecs.operations as Record<string, (i: any) => any>;
      w.images.set('web:v1', parseImageBehaviour('healthy'));
      w.images.set('web:v2', parseImageBehaviour({ crash: { after: '8s', exitCode: 1 } }));
      ops.CreateCluster!({ clusterName: 'prod' });
      const tds = ['v1', 'v2'].map(
        (tag) =>
          ops.RegisterTaskDefinition!({
            family: 'web',
            networkMode: 'awsvpc',
            requiresCompatibilities: ['FARGATE'],
            cpu: '256',
            memory: '512',
            containerDefinitions: [{ name: 'app', image: w.ecr.push('web', tag).uri }],
          }).taskDefinition.taskDefinitionArn,
      );
      ops.CreateService!({
        cluster: 'prod',
        serviceName: 'web',
        taskDefinition: tds[0],
        desiredCount: 3,
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'] } },
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      });
      await w.runFor(120_000);
      ops.UpdateService!({ cluster: 'prod', service: 'web', taskDefinition: tds[1] });
      await w.runFor(900_000);
      return JSON.stringify(w.eventLog);
    };
    const [a, b] = [await run(), await run()];
    expect(a.length).toBeGreaterThan(10_000);
    expect(a).toBe(b);
  });
});
