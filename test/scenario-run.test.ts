import { DescribeServicesCommand, ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario } from '../local/scenario/parse.ts';
import { ScenarioWorld } from '../local/scenario/play.ts';
import { QUIET_MS, runScenario } from '../local/scenario/run.ts';
import { call } from '../local/scenario/setup.ts';
import type { World } from '../local/world.ts';

const SCENARIO = `
name: run test
seed: run
clusters:
  - name: prod
images:
  web:v1: healthy
  web:v2: healthy
targetGroups:
  - { name: web, deregistrationDelay: 5s }
services:
  - cluster: prod
    name: web
    image: web:v1
    containers: [{ name: envoy, image: public.ecr.aws/envoy:v1.29 }]
    desiredCount: 2
    targetGroup: web
    load: 20
    deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, circuitBreaker: { enable: true, rollback: true } }
alarms:
  - { name: web-5xx, namespace: AWS/ApplicationELB, metric: HTTPCode_Target_5XX_Count, dimensions: { TargetGroup: web }, statistic: Sum, threshold: 10, comparison: ">" }
timeline:
  - { at: 1m, push: web:v2 }
  - { at: 2m, update: { service: prod/web, image: web:v2 } }
  - { at: 3m, load: { targetGroup: web, rps: 40 } }
  - { at: 4m, alarm: { name: web-5xx, state: ALARM, reason: by hand } }
  - { at: 5m, event: { source: test.scenario, detail-type: Something Happened, detail: { n: 1 } } }
`;

const scenario = (text = SCENARIO) => parseScenario(text, { file: 'run.yml' });

function sdk(world: World): ECSClient {
  return new ECSClient({
    endpoint: world.endpoint,
    region: world.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

describe('scenario set-up', () => {
  it('builds the services in the local world, in-process, before the clock starts', async () => {
    const play = await ScenarioWorld.create(scenario());
    const { world } = play;
    expect(world.now()).toBe(Date.UTC(2026, 0, 1));
    expect(world.apiCalls).toEqual({});
    const { services } = await call(world.ecs, 'DescribeServices', { cluster: 'prod', services: ['web'] });
    expect(services[0]).toMatchObject({ serviceName: 'web', desiredCount: 2, launchType: 'FARGATE' });
    expect(services[0].loadBalancers[0]).toMatchObject({
      targetGroupArn: play.targetGroupArn('web'),
      containerName: 'web',
    });
    const { taskDefinition } = await call(world.ecs, 'DescribeTaskDefinition', {
      taskDefinition: services[0].taskDefinition,
    });
    expect(taskDefinition.containerDefinitions.map((c: any) => [c.name, c.image])).toEqual([
      ['web', `${world.ecr.registryHost}/web:v1`],
      ['envoy', 'public.ecr.aws/envoy:v1.29'],
    ]);
    // The service's image and the image the update deploys were pushed at set-up; web:v2 is pushed
    // again by its own step at 1m.
    const pushes = world.eventLog.filter((e) => e.event['detail-type'] === 'ECR Image Action');
    expect(pushes.map((e) => e.event.detail['image-tag'])).toEqual(['v1']);
    expect(world.cloudwatch.alarmState('web-5xx')).toBeDefined();

    // Started, it answers SDK clients, and counts those calls only.
    await world.start();
    try {
      const described = await sdk(world).send(
        new DescribeServicesCommand({ cluster: 'prod', services: ['web'] }),
      );
      expect(described.services?.[0]?.serviceName).toBe('web');
      expect(world.apiCalls).toEqual({ 'ecs:DescribeServices': 1 });
      await play.playUntil(world.now() + 3 * 60_000);
      const after = await call(world.ecs, 'DescribeServices', { cluster: 'prod', services: ['web'] });
      expect(after.services[0].runningCount).toBe(2);
      expect(play.played.map((p) => p.step)).toEqual(['timeline[0]', 'timeline[1]', 'timeline[2]']);
    } finally {
      await world.stop();
    }
  });

  it('names the scenario field when ECS refuses the set-up', async () => {
    const bad = scenario(`
clusters: [{ name: prod }]
services:
  - { cluster: prod, name: web, image: web:v1, cpu: 300, memory: 300 }
`);
    await expect(ScenarioWorld.create(bad)).rejects.toThrow(
      /^run\.yml:4:\d+: services\[0\]: RegisterTaskDefinition failed: /,
    );
  });
});

describe('runScenario', () => {
  it('plays the timeline, waits until settled, and reports services, events, steps and API calls', async () => {
    let busyUntil = 0;
    const { report, world } = await runScenario(scenario(), {
      onWorld: async (w) => {
        expect(w.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        await sdk(w).send(new ListClustersCommand({}));
        busyUntil = w.now() + 20 * 60_000;
        return {
          busy: () => w.now() < busyUntil,
          sections: () => ({ notifications: [{ at: new Date(w.now()).toISOString(), summary: 'hello' }] }),
        };
      },
    });
    expect(report.scenario).toBe('run test');
    expect(report.file).toBe('run.yml');
    expect(report.startedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(report.endedBy).toBe('settled');
    // Busy for 20 minutes, then quiet for the margin.
    expect(Date.parse(report.endedAt)).toBeGreaterThanOrEqual(busyUntil + QUIET_MS);
    expect(Date.parse(report.endedAt)).toBeLessThan(busyUntil + QUIET_MS + 60_000);

    expect(report.services).toHaveLength(1);
    expect(report.services[0]).toMatchObject({
      cluster: 'prod',
      name: 'web',
      taskDefinition: 'web:2',
      containers: [
        { name: 'web', image: `${world.ecr.registryHost}/web:v2` },
        { name: 'envoy', image: 'public.ecr.aws/envoy:v1.29' },
      ],
      desiredCount: 2,
      runningCount: 2,
    });

    expect(report.timeline.map((t) => [t.at, t.action, t.summary])).toEqual([
      ['2026-01-01T00:01:00.000Z', 'push', 'push web:v2'],
      ['2026-01-01T00:02:00.000Z', 'update', 'update prod/web to web:v2 (web:2)'],
      ['2026-01-01T00:03:00.000Z', 'load', 'load on web: 40 requests/s'],
      ['2026-01-01T00:04:00.000Z', 'alarm', 'alarm web-5xx set to ALARM (by hand)'],
      ['2026-01-01T00:05:00.000Z', 'event', 'event Something Happened from test.scenario'],
    ]);

    // Every event on the bus, whole, with its virtual time.
    for (const e of report.events) {
      expect(e.at).toMatch(/^2026-01-01T\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(e.event).toMatchObject({ version: '0', id: expect.any(String), source: expect.any(String) });
    }
    const types = report.events.map((e) => e.event['detail-type']);
    expect(types).toContain('ECR Image Action');
    expect(types).toContain('ECS Deployment State Change');
    expect(types).toContain('CloudWatch Alarm State Change');
    const mine = report.events.find((e) => e.event.source === 'test.scenario')!;
    expect(mine).toMatchObject({
      at: '2026-01-01T00:05:00.000Z',
      event: { detail: { n: 1 }, account: world.account },
    });
    expect(report.timeline[4]!.events).toEqual([mine.event.id]);

    // Only what was asked over HTTP: the hook's one call.
    expect(report.apiCalls).toEqual({ 'ecs:ListClusters': 1 });
    expect(report.notifications).toEqual([{ at: expect.any(String), summary: 'hello' }]);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('stops at until, and the same scenario gives the same report', async () => {
    const text = `${SCENARIO.replace('name: run test', 'name: run test\nuntil: 10m')}`;
    const first = await runScenario(scenario(text));
    const second = await runScenario(scenario(text));
    expect(first.report.endedBy).toBe('until');
    expect(first.report.endedAt).toBe('2026-01-01T00:10:00.000Z');
    expect(second.report).toEqual(first.report);
  });

  it('runs the example scenarios to their end', async () => {
    for (const file of [
      'scenarios/ecs-circuit-breaker.yml',
      'scenarios/ec2-placement.yml',
      'scenarios/demo.yml',
    ]) {
      const { report } = await runScenario(loadScenario(file));
      expect(report.endedBy, file).not.toBe('cap');
      expect(report.services.length, file).toBeGreaterThan(0);
    }
  });

  it('rolls back a crashing update with the circuit breaker (ecs-circuit-breaker.yml)', async () => {
    const { report } = await runScenario(loadScenario('scenarios/ecs-circuit-breaker.yml'));
    const names = report.events
      .filter((e) => e.event['detail-type'] === 'ECS Deployment State Change')
      .map((e) => e.event.detail.eventName);
    expect(names).toContain('SERVICE_DEPLOYMENT_FAILED');
    expect(report.services[0]).toMatchObject({ name: 'web', runningCount: 3 });
    expect(report.services[0]!.containers[0]!.image).toMatch(/\/web:v1$/);
  });
});
