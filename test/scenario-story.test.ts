import { describe, expect, it } from 'vitest';
import type { AwsEvent } from '../local/core/service.ts';
import type { ScenarioReport } from '../local/scenario/report.ts';
import { eventLine, formatReport, storyLines } from '../local/scenario/story.ts';

const T0 = Date.UTC(2026, 0, 1);
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function event(
  id: string,
  detailType: string,
  source: string,
  detail: unknown,
  resources: string[] = [],
): AwsEvent {
  return {
    version: '0',
    id,
    'detail-type': detailType,
    source,
    account: '123456789012',
    time: '2026-01-01T00:00:00Z',
    region: 'us-east-1',
    resources,
    detail,
  };
}

const SERVICE_ARN = 'arn:aws:ecs:us-east-1:123456789012:service/prod/web';
const DIGEST = `sha256:${'7f5b2640fe6f'.padEnd(64, '0')}`;
const push = event('e-push', 'ECR Image Action', 'aws.ecr', {
  result: 'SUCCESS',
  'repository-name': 'web',
  'image-digest': DIGEST,
  'action-type': 'PUSH',
  'image-tag': 'v2',
});
const deployment = (id: string, name: string, reason: string) =>
  event(
    id,
    'ECS Deployment State Change',
    'aws.ecs',
    {
      eventType: name.endsWith('FAILED') ? 'ERROR' : 'INFO',
      eventName: name,
      deploymentId: 'ecs-svc/42',
      reason,
    },
    [SERVICE_ARN],
  );
const stopped = (id: string) =>
  event('e-stop', 'ECS Task State Change', 'aws.ecs', {
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod',
    taskArn: `arn:aws:ecs:us-east-1:123456789012:task/prod/${id}`,
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:2',
    group: 'service:web',
    lastStatus: 'STOPPED',
    desiredStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    containers: [{ name: 'web', exitCode: 1 }],
  });
const running = event('e-run', 'ECS Task State Change', 'aws.ecs', {
  lastStatus: 'RUNNING',
  group: 'service:web',
});
const alarm = event('e-alarm', 'CloudWatch Alarm State Change', 'aws.cloudwatch', {
  alarmName: 'web-5xx',
  state: { value: 'ALARM', reason: 'set by hand' },
  previousState: { value: 'OK' },
});

function report(extra: Partial<ScenarioReport> = {}): ScenarioReport {
  return {
    scenario: 'story',
    file: 'scenarios/story.yml',
    startedAt: at(0),
    endedAt: at(3600),
    endedBy: 'settled',
    services: [
      {
        cluster: 'prod',
        name: 'web',
        status: 'ACTIVE',
        taskDefinition: 'web:3',
        containers: [
          { name: 'web', image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/web@${DIGEST}` },
          { name: 'envoy', image: 'public.ecr.aws/envoy:v1.29' },
        ],
        desiredCount: 4,
        runningCount: 4,
        pendingCount: 0,
        deployments: [
          {
            id: 'ecs-svc/42',
            status: 'PRIMARY',
            taskDefinition: 'web:3',
            rolloutState: 'COMPLETED',
            desiredCount: 4,
            runningCount: 4,
            failedTasks: 0,
          },
        ],
      },
    ],
    timeline: [
      {
        at: at(60),
        step: 'timeline[0]',
        action: 'push',
        summary: 'push web:v2',
        events: ['e-push'],
        result: { digest: DIGEST },
      },
      {
        at: at(600),
        step: 'timeline[1]',
        action: 'alarm',
        summary: 'alarm web-5xx set to ALARM (set by hand)',
        events: ['e-alarm'],
      },
    ],
    events: [
      { at: at(60), event: push },
      {
        at: at(62),
        event: deployment('d1', 'SERVICE_DEPLOYMENT_IN_PROGRESS', 'ECS deployment ecs-svc/42 in progress.'),
      },
      { at: at(90), event: running },
      { at: at(110), event: stopped('a') },
      { at: at(111), event: stopped('b') },
      { at: at(112), event: stopped('c') },
      {
        at: at(200),
        event: deployment(
          'd2',
          'SERVICE_DEPLOYMENT_FAILED',
          'ECS deployment circuit breaker: tasks failed to start.',
        ),
      },
      { at: at(600), event: alarm },
    ],
    apiCalls: { 'ecs:DescribeServices': 12, 'ecs:UpdateService': 2 },
    ...extra,
  };
}

describe('the story of a run', () => {
  it('tells steps and notable events in time order, once each, identical lines counted', () => {
    expect(storyLines(report()).map((l) => `${l.at / 1000} ${l.who} ${l.text}`)).toEqual([
      '60 scenario push web:v2 (sha256:7f5b2640fe6f)',
      '62 ecs prod/web deployment ecs-svc/42 in progress',
      '110 ecs prod/web task stopped (web:2): Essential container in task exited (web exit 1)  x3',
      '200 ecs prod/web deployment ecs-svc/42 failed: ECS deployment circuit breaker: tasks failed to start.',
      '600 scenario alarm web-5xx set to ALARM (set by hand)',
    ]);
  });

  it('tells alarm changes and pushes that no step made', () => {
    expect(eventLine(alarm)).toEqual({
      who: 'cloudwatch',
      text: 'alarm web-5xx OK -> ALARM: set by hand',
      tone: 'bad',
    });
    expect(eventLine(push)?.text).toBe('pushed web:v2 (sha256:7f5b2640fe6f)');
    expect(eventLine(running)).toBeUndefined();
  });

  it('formats a compact report: header, timeline, services, sections, API calls; no colour unless asked', () => {
    const text = formatReport(
      report({
        notifications: [{ at: at(200), summary: 'web: rolled back web:v2' }],
        rollouts: [
          { service: 'prod/web', outcome: 'rolled_back', steps: [{ percent: 10 }], startedAt: at(60) },
        ],
        violations: [],
      }),
    );
    expect(text).not.toContain('\x1b[');
    expect(text).toContain('story  (scenarios/story.yml)');
    expect(text).toContain('2026-01-01 00:00:00Z to 01:00:00Z virtual, 1h; ended once settled');
    expect(text).toMatch(/\+0:01:00 {2}scenario {3}push web:v2/);
    expect(text).toMatch(/SERVICE +TASK DEF +RUNNING +ROLLOUT +IMAGES/);
    expect(text).toMatch(
      /prod\/web +web:3 +4\/4 +COMPLETED +web=web@sha256:7f5b2640fe6f \(v2\), envoy=public\.ecr\.aws\/envoy:v1\.29/,
    );
    expect(text).toMatch(/Notifications\n {2}\+0:03:20 {2}web: rolled back web:v2/);
    expect(text).toMatch(
      /Rollouts\n {2}service: prod\/web, outcome: rolled_back, startedAt: 2026-01-01T00:01:00\.000Z\n/,
    );
    expect(text).toMatch(/Violations\n {2}none/);
    expect(text).toMatch(
      /API calls \(served over HTTP\): 14\n {2}ecs:DescribeServices +12\n {2}ecs:UpdateService +2/,
    );
    expect(formatReport(report(), { color: true })).toContain('\x1b[1m');
  });
});
