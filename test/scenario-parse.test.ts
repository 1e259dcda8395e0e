import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HEALTHY } from '../local/core/images.ts';
import { loadScenario, parseScenario, ScenarioError } from '../local/scenario/parse.ts';
import { thrown } from './helpers/thrown.ts';

const parse = (text: string, dir?: string) => parseScenario(text, { file: 'x.yml', dir });

/** A valid scenario to break one field at a time. */
const BASE = `
name: base
clusters:
  - name: prod
images:
  web:v1: healthy
targetGroups:
  - { name: web }
services:
  - cluster: prod
    name: web
    image: web:v1
    targetGroup: web
alarms:
  - { name: web-5xx, namespace: AWS/ApplicationELB, metric: HTTPCode_Target_5XX_Count, threshold: 10, comparison: ">" }
`;

describe('scenario parsing', () => {
  it('reads every section into milliseconds, API shapes and defaults', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scenario-'));
    writeFileSync(path.join(dir, 'autopilot.yml'), 'targets: []\n');
    writeFileSync(
      path.join(dir, 'event.json'),
      JSON.stringify({
        source: 'aws.ecs',
        'detail-type': 'ECS Service Action',
        detail: { eventType: 'WARN' },
      }),
    );
    const s = parse(
      `
name: full
start: 2026-03-01T12:00:00Z
until: 2h
seed: 7
throttling: true
clusters:
  - name: prod
    instances:
      - { type: t3.large, cpu: 2048, memory: 8192, count: 4, attributes: { team: web } }
      - { type: m5.large, cpu: 2048, memory: 8192, zone: us-east-1c }
images:
  web:v1: healthy
  web:v2: { crash: { after: 20s, exitCode: 3 } }
  web:v5: pull-error
targetGroups:
  - { name: web, deregistrationDelay: 30s, healthCheck: { interval: 10s, healthyThreshold: 3 } }
services:
  - cluster: prod
    name: web
    image: web:v1
    containers: [{ name: envoy, image: public.ecr.aws/envoy:v1.29 }]
    desiredCount: 4
    cpu: 512
    memory: 1024
    healthCheck: { command: [CMD-SHELL, "curl -f localhost/health"], interval: 10s, retries: 3, startPeriod: 10s }
    targetGroup: web
    load: 100
    healthCheckGracePeriod: 1m
    deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 200, circuitBreaker: { enable: true, rollback: true }, alarms: { names: [web-5xx], rollback: true } }
    placementStrategy: [{ type: spread, field: "attribute:ecs.availability-zone" }]
    placementConstraints: [{ type: distinctInstance }]
alarms:
  - { name: web-5xx, namespace: AWS/ApplicationELB, metric: HTTPCode_Target_5XX_Count, dimensions: { TargetGroup: web }, statistic: Sum, period: 1m, evaluationPeriods: 2, datapointsToAlarm: 1, threshold: 10, comparison: GreaterThanThreshold }
  - { name: p99, namespace: AWS/ApplicationELB, metric: TargetResponseTime, statistic: p99, threshold: 1, comparison: ">=" }
autopilot: ./autopilot.yml
timeline:
  - { at: 40m, alarm: { name: web-5xx, state: ALARM } }
  - { at: 1m, push: web:v2 }
  - { at: 20m, update: { service: web, image: web:v5, desiredCount: 6 } }
  - { at: 25m, load: { targetGroup: web, rps: 400 } }
  - { at: 1m, event: event.json }
`,
      dir,
    );
    expect(s.name).toBe('full');
    expect(s.start).toBe(Date.UTC(2026, 2, 1, 12));
    expect(s.until).toBe(7_200_000);
    expect(s.seed).toBe('7');
    expect(s.throttling).toBe(true);
    expect(s.clusters[0]!.instances.map((i) => i.availabilityZone)).toEqual([
      'us-east-1a',
      'us-east-1b',
      'us-east-1c',
      'us-east-1a',
      'us-east-1c',
    ]);
    expect(s.clusters[0]!.instances[0]).toMatchObject({
      instanceType: 't3.large',
      attributes: { team: 'web' },
    });
    expect(s.images['web:v1']).toEqual(HEALTHY);
    expect(s.images['web:v2']!.crash).toEqual({ afterSeconds: 20, exitCode: 3 });
    expect(s.targetGroups[0]).toEqual({
      name: 'web',
      deregistrationDelaySeconds: 30,
      healthCheck: { intervalSeconds: 10, healthyThreshold: 3 },
    });
    const web = s.services[0]!;
    expect(web).toMatchObject({
      container: 'web',
      containers: [{ name: 'envoy', image: 'public.ecr.aws/envoy:v1.29', essential: true }],
      desiredCount: 4,
      cpu: 512,
      port: 80,
      load: 100,
      healthCheckGracePeriodSeconds: 60,
      healthCheck: {
        command: ['CMD-SHELL', 'curl -f localhost/health'],
        interval: 10,
        timeout: 5,
        retries: 3,
        startPeriod: 10,
      },
      deploymentConfiguration: {
        minimumHealthyPercent: 50,
        maximumPercent: 200,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        alarms: { alarmNames: ['web-5xx'], enable: true, rollback: true },
      },
    });
    expect(s.alarms[0]).toMatchObject({
      statistic: 'Sum',
      periodSeconds: 60,
      comparison: 'GreaterThanThreshold',
    });
    expect(s.alarms[1]).toMatchObject({
      extendedStatistic: 'p99',
      comparison: 'GreaterThanOrEqualToThreshold',
    });
    expect(s.autopilot).toEqual({ config: { targets: [] }, path: path.join(dir, 'autopilot.yml') });
    // In time order; steps at the same time keep the order they are written in.
    expect(s.timeline.map((t) => [t.at / 60_000, t.action.type, t.path])).toEqual([
      [1, 'push', 'timeline[1]'],
      [1, 'event', 'timeline[4]'],
      [20, 'update', 'timeline[2]'],
      [25, 'load', 'timeline[3]'],
      [40, 'alarm', 'timeline[0]'],
    ]);
    expect(s.timeline[2]!.action).toEqual({
      type: 'update',
      cluster: 'prod',
      service: 'web',
      image: 'web:v5',
      desiredCount: 6,
    });
    expect(s.timeline[4]!.action).toMatchObject({ reason: 'set by the scenario' });
  });

  it("takes ECS's launchType as IaC gives it, and names a wrong one", () => {
    const base = (launchType: string) =>
      `clusters: [{ name: prod }]\nimages: { web:v1: healthy }\nservices:\n  - { cluster: prod, serviceName: web, image: web:v1, launchType: ${launchType} }\n`;
    expect(parse(base('FARGATE')).services[0]!.launchType).toBe('FARGATE');
    expect(parse(base('EC2')).services[0]!.launchType).toBe('EC2');
    expect(() => parse(base('GPU'))).toThrow(/services\[0\]\.launchType.*FARGATE.*EC2/);
  });

  it('defaults the name to the file name and the start to 2026-01-01', () => {
    const s = parseScenario('services: []\n', { file: 'scenarios/quiet.yml' });
    expect(s).toMatchObject({ name: 'quiet', start: Date.UTC(2026, 0, 1), throttling: false, timeline: [] });
    expect(s.until).toBeUndefined();
  });

  it('carries an inline autopilot configuration through', () => {
    const s = parse(`${BASE}autopilot: { targets: [{ service: web }] }\n`);
    expect(s.autopilot).toEqual({ config: { targets: [{ service: 'web' }] } });
  });

  // Each case: what replaces a line of BASE (or is appended), and the message expected, which
  // names the file, the line and column, and the field's path.
  it.each([
    ['the empty file', '', /^x\.yml: the scenario is empty$/],
    ['YAML syntax', 'name: [unclosed', /^x\.yml:1:\d+: invalid YAML: /],
    [
      'an unknown top-level field',
      `${BASE}timelime: []\n`,
      /^x\.yml:16:1: timelime: unknown field; did you mean "timeline"\?$/,
    ],
    [
      'a misspelt field far from any: the list names every field, faults too',
      `${BASE}zzz: 1\n`,
      /^x\.yml:16:\d+: zzz: unknown field; expected one of .*timeline, faults$/,
    ],
    [
      'faults outside the fault layer',
      `${BASE}faults: {}\n`,
      /^x\.yml:16:1: faults: read by the fault layer/,
    ],
    ['a bad start', `${BASE}start: yesterday\n`, /x\.yml:16:8: start: must be an ISO time/],
    ['a bad until', `${BASE}until: soon\n`, /x\.yml:16:8: until: must be a duration such as "30s"/],
    ['a bad throttling', `${BASE}throttling: yes\n`, /throttling: must be true or false, got "yes"/],
    [
      'clusters not a list',
      BASE.replace('clusters:\n  - name: prod', 'clusters: prod'),
      /x\.yml:3:11: clusters: must be a list, got "prod"/,
    ],
    [
      'a duplicate cluster',
      BASE.replace('  - name: prod', '  - name: prod\n  - name: prod'),
      /x\.yml:5:11: clusters\[1\]\.name: cluster "prod" is defined twice/,
    ],
    [
      'a bad instance',
      BASE.replace(
        '  - name: prod',
        '  - name: prod\n    instances: [{ type: t3.large, cpu: 2048, memory: lots }]',
      ),
      /clusters\[0\]\.instances\[0\]\.memory: must be an integer from 128/,
    ],
    [
      'a bad zone',
      BASE.replace(
        '  - name: prod',
        '  - name: prod\n    instances: [{ type: t3.large, cpu: 2048, memory: 4096, zone: a }]',
      ),
      /clusters\[0\]\.instances\[0\]\.zone: must be an availability zone/,
    ],
    [
      'a bad image behaviour',
      BASE.replace('web:v1: healthy', 'web:v1: sleepy'),
      /x\.yml:6:11: images\["web:v1"\]: unknown image behaviour "sleepy"/,
    ],
    [
      'a bad crash',
      BASE.replace('web:v1: healthy', 'web:v1: { crash: { after: soon } }'),
      /images\["web:v1"\]: crash\.after: must be a duration/,
    ],
    [
      'a bad image key',
      BASE.replace('web:v1: healthy', 'Web: healthy'),
      /x\.yml:6:8: images\.Web: must be an image reference repository:tag/,
    ],
    [
      'a bad target group name',
      BASE.replace('{ name: web }', '{ name: web_tg }'),
      /targetGroups\[0\]\.name: must be 1 to 32 letters/,
    ],
    [
      'a bad deregistration delay',
      BASE.replace('{ name: web }', '{ name: web, deregistrationDelay: 2h }'),
      /targetGroups\[0\]\.deregistrationDelay: must be from 0s to 3600s/,
    ],
    [
      'a service without a cluster',
      BASE.replace('  - cluster: prod\n    name: web', '  - name: web'),
      /x\.yml:10:\d+: services\[0\]\.cluster: must be a non-empty string, got nothing/,
    ],
    [
      'an unknown cluster',
      BASE.replace('cluster: prod', 'cluster: staging'),
      /x\.yml:10:14: services\[0\]\.cluster: no cluster "staging" in clusters/,
    ],
    [
      'a misspelt service field',
      BASE.replace('    targetGroup: web\n', '    desiredCont: 4\n'),
      /x\.yml:13:18: services\[0\]\.desiredCont: unknown field; did you mean "desiredCount"\?/,
    ],
    [
      'a bad desired count',
      `${BASE.replace('    targetGroup: web\n', '    targetGroup: web\n    desiredCount: four\n')}`,
      /x\.yml:14:19: services\[0\]\.desiredCount: must be an integer from 0 to 5000, got "four"/,
    ],
    [
      'an image without a tag',
      BASE.replace('    image: web:v1', '    image: web'),
      /services\[0\]\.image: must be an image reference repository:tag/,
    ],
    [
      'an unknown target group',
      BASE.replace('    targetGroup: web', '    targetGroup: api'),
      /services\[0\]\.targetGroup: no target group "api"/,
    ],
    [
      'load without a target group',
      BASE.replace('    targetGroup: web', '    load: 10'),
      /services\[0\]\.load: needs a targetGroup/,
    ],
    [
      'a sidecar named like the main container',
      BASE.replace('    targetGroup: web', '    containers: [{ name: web, image: envoy:v1 }]'),
      /services\[0\]\.containers\[0\]\.name: container "web" is defined twice/,
    ],
    [
      'a bad health check',
      BASE.replace('    targetGroup: web', '    healthCheck: { interval: 1s }'),
      /services\[0\]\.healthCheck\.interval: must be from 5s to 300s/,
    ],
    [
      'a bad health check command',
      BASE.replace('    targetGroup: web', '    healthCheck: { command: [curl, localhost] }'),
      /services\[0\]\.healthCheck\.command\[0\]: must be CMD, CMD-SHELL or NONE/,
    ],
    [
      'a bad minimum healthy percent',
      BASE.replace('    targetGroup: web', '    deploymentConfiguration: { minimumHealthyPercent: 150 }'),
      /services\[0\]\.deploymentConfiguration\.minimumHealthyPercent: must be an integer from 0 to 100/,
    ],
    [
      'a bad circuit breaker',
      BASE.replace(
        '    targetGroup: web',
        '    deploymentConfiguration: { circuitBreaker: { rollback: maybe } }',
      ),
      /deploymentConfiguration\.circuitBreaker\.rollback: must be true or false/,
    ],
    [
      'an unknown deployment alarm',
      BASE.replace('    targetGroup: web', '    deploymentConfiguration: { alarms: { names: [nope] } }'),
      /deploymentConfiguration\.alarms\.names\[0\]: no alarm "nope"/,
    ],
    [
      'a bad placement strategy',
      BASE.replace('    targetGroup: web', '    placementStrategy: [{ type: spread }]'),
      /services\[0\]\.placementStrategy\[0\]\.field: is required for spread/,
    ],
    [
      'a bad placement constraint',
      BASE.replace('    targetGroup: web', '    placementConstraints: [{ type: sameZone }]'),
      /services\[0\]\.placementConstraints\[0\]\.type: must be one of distinctInstance, memberOf/,
    ],
    [
      'a duplicate service',
      BASE.replace('services:\n', 'services:\n  - { cluster: prod, name: web, image: web:v1 }\n'),
      /services\[1\]\.name: service "prod\/web" is defined twice/,
    ],
    [
      'a bad alarm comparison',
      BASE.replace('comparison: ">"', 'comparison: above'),
      /alarms\[0\]\.comparison: must be one of GreaterThanThreshold/,
    ],
    [
      'a bad alarm period',
      BASE.replace('threshold: 10', 'threshold: 10, period: 45s'),
      /alarms\[0\]\.period: must be 10s, 30s or a multiple of 1m/,
    ],
    [
      'a bad alarm statistic',
      BASE.replace('threshold: 10', 'threshold: 10, statistic: Median'),
      /alarms\[0\]\.statistic: must be one of SampleCount/,
    ],
    [
      'a missing autopilot file',
      `${BASE}autopilot: ./nope.yml\n`,
      /x\.yml:16:12: autopilot: no such file "\.\/nope\.yml"/,
    ],
    [
      'a timeline step without at',
      `${BASE}timeline:\n  - push: web:v2\n`,
      /x\.yml:17:5: timeline\[0\]\.at: is required/,
    ],
    [
      'a timeline step with two actions',
      `${BASE}timeline:\n  - { at: 1m, push: web:v2, load: { targetGroup: web, rps: 1 } }\n`,
      /timeline\[0\]: has push and load: give one action per step/,
    ],
    [
      'a timeline step with no action',
      `${BASE}timeline:\n  - { at: 1m }\n`,
      /timeline\[0\]: needs one of push, update, load, event, alarm/,
    ],
    [
      'a push to another registry',
      `${BASE}timeline:\n  - { at: 1m, push: public.ecr.aws/envoy:v2 }\n`,
      /timeline\[0\]\.push: pushes go to the local ECR/,
    ],
    [
      'an update of an unknown service',
      `${BASE}timeline:\n  - { at: 1m, update: { service: prod/api, image: web:v2 } }\n`,
      /x\.yml:17:\d+: timeline\[0\]\.update\.service: no service "prod\/api"/,
    ],
    [
      'an update that changes nothing',
      `${BASE}timeline:\n  - { at: 1m, update: { service: prod/web } }\n`,
      /timeline\[0\]\.update: needs image or desiredCount/,
    ],
    [
      'load on an unknown target group',
      `${BASE}timeline:\n  - { at: 1m, load: { targetGroup: api, rps: 5 } }\n`,
      /timeline\[0\]\.load\.targetGroup: no target group "api"/,
    ],
    [
      'negative load',
      `${BASE}timeline:\n  - { at: 1m, load: { targetGroup: web, rps: -5 } }\n`,
      /timeline\[0\]\.load\.rps: must be a number of at least 0/,
    ],
    [
      'an unknown alarm',
      `${BASE}timeline:\n  - { at: 1m, alarm: { name: cpu, state: ALARM } }\n`,
      /timeline\[0\]\.alarm\.name: no alarm "cpu"/,
    ],
    [
      'a bad alarm state',
      `${BASE}timeline:\n  - { at: 1m, alarm: { name: web-5xx, state: RED } }\n`,
      /timeline\[0\]\.alarm\.state: must be one of OK, ALARM, INSUFFICIENT_DATA, got "RED"/,
    ],
    [
      'a missing event file',
      `${BASE}timeline:\n  - { at: 1m, event: events/none.json }\n`,
      /timeline\[0\]\.event: no such file "events\/none\.json"/,
    ],
    [
      'an inline event without detail',
      `${BASE}timeline:\n  - { at: 1m, event: { source: x, detail-type: y } }\n`,
      /timeline\[0\]\.event: the event needs a "detail" object/,
    ],
    [
      'a step after until',
      `${BASE}until: 10m\ntimeline:\n  - { at: 1h, push: web:v2 }\n`,
      /x\.yml:18:\d+: timeline\[0\]\.at: comes after the end of the run \(until: "10m"\)/,
    ],
  ])('names the file, line and field for %s', (_case, text, message) => {
    expect(thrown(() => parse(text), ScenarioError).message).toMatch(message);
  });

  it('checks event files: valid JSON holding an event', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scenario-'));
    writeFileSync(path.join(dir, 'broken.json'), '{ "source": ');
    writeFileSync(path.join(dir, 'list.json'), '[]');
    const step = (file: string) => `${BASE}timeline:\n  - { at: 1m, event: ${file} }\n`;
    expect(() => parse(step('broken.json'), dir)).toThrow(
      /timeline\[0\]\.event: broken\.json is not valid JSON|is not valid JSON/,
    );
    expect(() => parse(step('list.json'), dir)).toThrow(
      /timeline\[0\]\.event: .*list\.json: must be an event/,
    );
  });

  it('names a missing scenario file', () => {
    expect(() => loadScenario('scenarios/does-not-exist.yml')).toThrow(
      'scenarios/does-not-exist.yml: no such file',
    );
  });

  it('parses the example scenarios', () => {
    for (const file of [
      'scenarios/demo.yml',
      'scenarios/ecs-circuit-breaker.yml',
      'scenarios/ec2-placement.yml',
    ]) {
      const s = loadScenario(file);
      expect(s.services.length, file).toBeGreaterThan(0);
      expect(s.timeline.length, file).toBeGreaterThan(0);
    }
  });
});
