/**
 * scenarios/ecs-deployment-alarms.yml tells the story its comment promises: ECS's own field names,
 * a gate alarm on the dimensions ALB publishes, and ECS failing and rolling back the deployment when
 * the alarm goes to ALARM.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../local/scenario/parse.ts';
import { runScenario } from '../../local/scenario/run.ts';

const FILE = path.join(import.meta.dirname, '..', '..', 'scenarios', 'ecs-deployment-alarms.yml');

describe('scenarios/ecs-deployment-alarms.yml', () => {
  it('rolls back web:v2 when its 5xx alarm fires during the deployment', async () => {
    const { report } = await runScenario(loadScenario(FILE), { latency: true });
    const deployments = report.events
      .filter((e) => e.event['detail-type'] === 'ECS Deployment State Change')
      .map((e) => e.event.detail);
    const failed = deployments.find((d) => d.eventName === 'SERVICE_DEPLOYMENT_FAILED');
    expect(failed?.reason).toContain('web-5xx');
    expect(deployments.at(-1)).toMatchObject({ eventName: 'SERVICE_DEPLOYMENT_COMPLETED' });
    expect(report.services[0]).toMatchObject({ taskDefinition: 'web:1', runningCount: 3 });
    expect(report.warnings).toEqual([]);
  }, 120_000);
});
