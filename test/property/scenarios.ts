/**
 * The scenarios of the pipeline issue, as scenario files (text), for the fault properties: a web
 * service of 4 tasks behind a target group, the pipeline's canary steps, and one or two pushes.
 * Each comes with what must be true at the end, given which pushes reached the pipeline at all.
 *
 * Every scenario gives the container the same health check: lib/ecs.ts caches "this revision has a
 * health check" by task-definition ARN for the life of the process (right in Lambda, where an ARN
 * is never reused), and the worlds of one test file all register web:1, web:2, web:3.
 */
import type { FaultPlan } from '../../local/faults.ts';
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

export interface FaultScenario {
  name: ScenarioName;
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

export function faultScenario(name: ScenarioName): FaultScenario {
  const alarm = name === '5xx alarm';
  const twoPushes = name === 'two pushes a minute apart';
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
    desiredCount: 4
    targetGroup: web
    port: 8080
    load: ${alarm ? 100 : 50}
    healthCheck: { command: [CMD-SHELL, "curl -f http://localhost/health || exit 1"], interval: 10s, timeout: 5s, retries: 3, startPeriod: 10s }
    deploymentConfiguration:
      minimumHealthyPercent: 100
      maximumPercent: 200
      circuitBreaker: { enable: true, rollback: true }
${
  alarm
    ? `alarms:
  - { name: web-5xx, namespace: AWS/ApplicationELB, metric: HTTPCode_Target_5XX_Count, dimensions: { TargetGroup: web, LoadBalancer: web }, statistic: Sum, period: 1m, evaluationPeriods: 1, threshold: 20, comparison: GreaterThanThreshold, treatMissingData: notBreaching }
`
    : ''
}autopilot:
  targets:
    - ${JSON.stringify({ ...WEB_TARGET, ...(alarm && { gateAlarms: ['web-5xx'] }) })}
timeline:
  - { at: 3m, push: web:v2 }${twoPushes ? '\n  - { at: 4m, push: web:v3 }' : ''}
`;
  return {
    name,
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
