/**
 * The held-out ECS scenarios (scenarios/held-out/, written from ECS's own documentation rather than
 * from this repository's examples) tell the stories their comments promise: a service written with
 * CreateService's field names (launchType, deploymentController, deploymentCircuitBreaker with
 * thresholdConfiguration COUNT 1) rolled back by the breaker, and a deployment alarm that goes to
 * ALARM during the deployment's bake (after the new tasks are steady) failing and rolling it back.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../local/scenario/parse.ts';
import { runScenario } from '../../local/scenario/run.ts';

const held = (name: string) => path.join(import.meta.dirname, '..', '..', 'scenarios', 'held-out', name);
const deploymentEvents = (report: Awaited<ReturnType<typeof runScenario>>['report']) =>
  report.events
    .filter((e) => e.event['detail-type'] === 'ECS Deployment State Change')
    .map((e) => ({ at: e.at, ...e.event.detail }));

describe('scenarios/held-out', () => {
  it('breaker-ecs-names.yml: ECS field names; the COUNT 1 breaker rolls api:v2 back to api:1', async () => {
    const { report } = await runScenario(loadScenario(held('breaker-ecs-names.yml')), { latency: true });
    const d = deploymentEvents(report);
    expect(d.find((e) => e.eventName === 'SERVICE_DEPLOYMENT_FAILED')?.reason).toMatch(/circuit breaker/i);
    expect(d.at(-1)).toMatchObject({ eventName: 'SERVICE_DEPLOYMENT_COMPLETED' });
    expect(report.services[0]).toMatchObject({ taskDefinition: 'api:1', runningCount: 6 });
  }, 120_000);

  it('deployment-alarm-bake.yml: an alarm in ALARM during the bake fails the deployment and rolls back', async () => {
    const { report } = await runScenario(loadScenario(held('deployment-alarm-bake.yml')), { latency: true });
    const d = deploymentEvents(report);
    const failed = d.find((e) => e.eventName === 'SERVICE_DEPLOYMENT_FAILED');
    expect(failed?.reason).toContain('api-5xx');
    // In the bake: api:v2 turns bad 4 minutes after it starts (+0:14), well after its tasks were steady.
    expect(Date.parse(failed!.at)).toBeGreaterThan(Date.parse('2026-03-02T08:14:00Z'));
    expect(d.at(-1)).toMatchObject({ eventName: 'SERVICE_DEPLOYMENT_COMPLETED' });
    expect(report.services[0]).toMatchObject({ taskDefinition: 'api:1', runningCount: 4 });
    expect(report.warnings).toEqual([]);
  }, 120_000);
});
