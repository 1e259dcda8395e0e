/**
 * The scenarios of the pipeline issue, as scenario files (text), for the fault properties: a web
 * service of 4 tasks behind a target group, the pipeline's canary steps, and one or two pushes.
 * Each comes with what must be true at the end, given which pushes reached the pipeline at all.
 *
 * Every scenario gives the container the same health check: lib/ecs.ts caches "this revision has a
 * health check" by task-definition ARN for the life of the process (right in Lambda, where an ARN
 * is never reused), and the worlds of one test file all register web:1, web:2, web:3.
 */
import type { FaultPlan } from '../../local/scenario/faults.ts';
import { WEB_TARGET } from '../helpers/web-target.ts';

export type ScenarioName =
  | 'healthy push'
  | 'crashing image'
  | 'unhealthy image'
  | 'pull-error image'
  | '5xx alarm'
  | 'duplicate push'
  | 'two pushes a minute apart';

export const SCENARIO_NAMES: ScenarioName[] = [
  'healthy push',
  'crashing image',
  'unhealthy image',
  'pull-error image',
  '5xx alarm',
  'duplicate push',
  'two pushes a minute apart',
];

/**
 * The service's shape and what happens around the push, beside the image: a generated case varies
 * these too (harness.ts `shape`), so the faults meet the shapes a person meets.
 */
export interface Shape {
  /** The service's count: 1 (a canary as big as the primary) to a dozen. */
  tasks: number;
  /** A person pauses the rollout from the CLI 30 s after the push and resumes it 12 minutes later (past stepDeadline). */
  pause: boolean;
  /** A person scales the service to this count by hand (UpdateService) 90 s after the push. */
  scaleOutTo?: number;
  /** The gate alarm is in ALARM (set by hand: an incident) 30 s before the push. */
  alarmAtPush: boolean;
  /** A second gate alarm whose metric nothing publishes: INSUFFICIENT_DATA all along. */
  blindGate: boolean;
}

/** The shape the suite had before shapes were generated: 4 tasks, nobody's hand, one gate. */
export const PLAIN: Shape = { tasks: 4, pause: false, alarmAtPush: false, blindGate: false };

export interface FaultScenario {
  name: ScenarioName;
  /** The primary's count at the end (a person's scale-out is kept). */
  tasks: number;
  /** The scenario file, without a `faults:` section. */
  text: string;
  /** Faults that are part of the scenario itself (the duplicate push). */
  faults: FaultPlan;
  /** Tags pushed, in push order, with whether the image is good. */
  pushes: { tag: string; good: boolean }[];
}

const V2: Record<ScenarioName, string> = {
  'healthy push': 'healthy',
  'crashing image': '{ crash: { after: 20s, exitCode: 1 } }',
  'unhealthy image': 'unhealthy',
  'pull-error image': 'pull-error',
  '5xx alarm': '{ errors: 0.5 }',
  'duplicate push': 'healthy',
  'two pushes a minute apart': 'healthy',
};

export function faultScenario(name: ScenarioName, shape: Shape = PLAIN): FaultScenario {
  const alarm = name === '5xx alarm';
  const twoPushes = name === 'two pushes a minute apart';
  const gates = [...(alarm ? ['web-5xx'] : []), ...(shape.blindGate ? ['web-latency'] : [])];
  const alarms = [
    ...(alarm
      ? [
          '  - { name: web-5xx, namespace: AWS/ApplicationELB, metric: HTTPCode_Target_5XX_Count, dimensions: { TargetGroup: web, LoadBalancer: web }, statistic: Sum, period: 1m, evaluationPeriods: 1, threshold: 20, comparison: GreaterThanThreshold, treatMissingData: notBreaching }',
        ]
      : []),
    ...(shape.blindGate
      ? [
          '  - { name: web-latency, namespace: Custom/Web, metric: LatencyP99, dimensions: { Service: web }, statistic: Maximum, period: 1m, evaluationPeriods: 1, threshold: 2, comparison: GreaterThanThreshold }',
        ]
      : []),
  ];
  const steps = [
    ...(alarm && shape.alarmAtPush
      ? ['  - { at: 2m30s, alarm: { name: web-5xx, state: ALARM, reason: an incident before the push } }']
      : []),
    '  - { at: 3m, push: web:v2 }',
    ...(shape.pause ? ['  - { at: 3m30s, cli: { command: pause, service: prod/web } }'] : []),
    ...(twoPushes ? ['  - { at: 4m, push: web:v3 }'] : []),
    ...(shape.scaleOutTo
      ? [`  - { at: 4m30s, update: { service: prod/web, desiredCount: ${shape.scaleOutTo} } }`]
      : []),
    ...(shape.pause ? ['  - { at: 15m30s, cli: { command: resume, service: prod/web } }'] : []),
  ];
  const text = `# ecs-autopilot fault scenario: ${name}
name: ${name}
seed: faults
clusters:
  - name: prod
images:
  web:v1: healthy
  web:v2: ${V2[name]}${twoPushes ? '\n  web:v3: healthy' : ''}
targetGroups:
  - { name: web, deregistrationDelay: 30s }
services:
  - cluster: prod
    name: web
    image: web:v1
    desiredCount: ${shape.tasks}
    targetGroup: web
    port: 8080
    load: ${alarm ? 100 : 50}
    healthCheck: { command: [CMD-SHELL, "curl -f http://localhost/health || exit 1"], interval: 10s, timeout: 5s, retries: 3, startPeriod: 10s }
    deploymentConfiguration:
      minimumHealthyPercent: 100
      maximumPercent: 200
      circuitBreaker: { enable: true, rollback: true }
${alarms.length ? `alarms:\n${alarms.join('\n')}\n` : ''}autopilot:
  targets:
    - ${JSON.stringify({ ...WEB_TARGET, ...(gates.length && { gateAlarms: gates }) })}
timeline:
${steps.join('\n')}
`;
  return {
    name,
    tasks: shape.scaleOutTo ?? shape.tasks,
    text,
    faults:
      name === 'duplicate push' ? { events: [{ match: 'ECR Image Action', nth: 1, do: 'duplicate' }] } : {},
    pushes: twoPushes
      ? [
          { tag: 'v2', good: true },
          { tag: 'v3', good: true },
        ]
      : [{ tag: 'v2', good: V2[name] === 'healthy' }],
  };
}
