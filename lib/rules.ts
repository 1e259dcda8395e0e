/**
 * The EventBridge rules that wake the pipeline, as narrow as the config allows: only the
 * configured repositories, only the managed clusters and services, only the task states that
 * matter, only the gate alarms. One definition serves serverless.yml and the local world.
 */
import type { Config } from './config.ts';
import { canaryServiceName } from './canary.ts';

export type FunctionName = 'ecrPush' | 'ecsEvent' | 'alarm' | 'tick';

export interface RuleSpec {
  name: string;
  function: FunctionName;
  pattern?: Record<string, unknown>;
  schedule?: string;
}

const unique = <T>(xs: T[]) => [...new Set(xs)];

export function eventRules(config: Config, where: { region: string; account: string }): RuleSpec[] {
  const arn = (resource: string) => `arn:aws:ecs:${where.region}:${where.account}:${resource}`;
  const clusters = unique(config.targets.map((t) => arn(`cluster/${t.cluster}`)));
  const services = unique(
    config.targets.flatMap((t) => [
      arn(`service/${t.cluster}/${t.service}`),
      arn(`service/${t.cluster}/${canaryServiceName(t.service)}`),
    ]),
  );
  const alarmNames = unique(config.targets.flatMap((t) => t.gateAlarms)).map((a) =>
    a.endsWith('*') ? { prefix: a.slice(0, -1) } : a,
  );
  const rules: RuleSpec[] = [
    {
      name: 'ecr-push',
      function: 'ecrPush',
      pattern: {
        source: ['aws.ecr'],
        'detail-type': ['ECR Image Action'],
        detail: {
          'action-type': ['PUSH'],
          result: ['SUCCESS'],
          'repository-name': unique(config.targets.map((t) => t.repository)),
        },
      },
    },
    {
      name: 'ecs-task-state',
      function: 'ecsEvent',
      pattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: { clusterArn: clusters, lastStatus: ['RUNNING', 'STOPPED'], group: [{ prefix: 'service:' }] },
      },
    },
    {
      name: 'ecs-deployment-state',
      function: 'ecsEvent',
      pattern: { source: ['aws.ecs'], 'detail-type': ['ECS Deployment State Change'], resources: services },
    },
    { name: 'tick', function: 'tick', schedule: 'rate(1 minute)' },
  ];
  if (alarmNames.length > 0) {
    rules.push({
      name: 'alarm-state',
      function: 'alarm',
      pattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: alarmNames },
      },
    });
  }
  return rules;
}
