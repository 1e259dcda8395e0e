/**
 * Scenario fields as users write them: ECS's own CreateService names beside the short ones, and
 * every mistake of a file reported at once.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../local/scenario/parse.ts';

const parse = (text: string) => parseScenario(text, { file: 'x.yml' });

const service = (fields: string) => `
clusters:
  - name: prod
alarms:
  - { name: web-5xx, namespace: AWS/ApplicationELB, metric: HTTPCode_Target_5XX_Count, threshold: 10, comparison: ">" }
services:
  - cluster: prod
    image: web:v1
${fields}
`;

describe('ECS field names in a scenario service', () => {
  it('reads serviceName, healthCheckGracePeriodSeconds, deploymentCircuitBreaker and alarms.alarmNames', () => {
    const s = parse(
      service(`    serviceName: web
    healthCheckGracePeriodSeconds: 30
    deploymentConfiguration:
      deploymentCircuitBreaker:
        enable: true
        rollback: true
        resetOnHealthyTask: false
        thresholdConfiguration: { type: COUNT, value: 1 }
      alarms: { alarmNames: [web-5xx], enable: true, rollback: true }`),
    ).services[0]!;
    expect(s.name).toBe('web');
    expect(s.healthCheckGracePeriodSeconds).toBe(30);
    expect(s.deploymentConfiguration).toEqual({
      deploymentCircuitBreaker: {
        enable: true,
        rollback: true,
        resetOnHealthyTask: false,
        thresholdConfiguration: { type: 'COUNT', value: 1 },
      },
      alarms: { alarmNames: ['web-5xx'], enable: true, rollback: true },
    });
  });

  it('reads the short names to the same', () => {
    const s = parse(
      service(`    name: web
    healthCheckGracePeriod: 30s
    deploymentConfiguration:
      circuitBreaker: { enable: true, rollback: true }
      alarms: { names: [web-5xx], rollback: true }`),
    ).services[0]!;
    expect(s.name).toBe('web');
    expect(s.healthCheckGracePeriodSeconds).toBe(30);
    expect(s.deploymentConfiguration.alarms).toEqual({
      alarmNames: ['web-5xx'],
      enable: true,
      rollback: true,
    });
  });

  it('refuses both spellings of one field', () => {
    expect(() => parse(service('    name: web\n    serviceName: web'))).toThrow(
      /services\[0\]\.serviceName: give "name" or "serviceName", not both/,
    );
  });

  it('refuses an unknown threshold type', () => {
    expect(() =>
      parse(
        service(
          '    name: web\n    deploymentConfiguration:\n      deploymentCircuitBreaker: { thresholdConfiguration: { type: PERCENT } }',
        ),
      ),
    ).toThrow(/thresholdConfiguration\.type: must be one of COUNT, BOUNDED_PERCENT, UNBOUNDED_PERCENT/);
  });
});

describe('every mistake at once', () => {
  it('reports mistakes in images, services and the timeline together, in the file order', () => {
    let error: ScenarioError | undefined;
    try {
      parse(`
clusters:
  - name: prod
images:
  web:v1: { crash: { afterr: 20s } }
services:
  - cluster: prod
    name: web
    image: web:v1
    desiredCount: four
  - cluster: nowhere
    name: api
    image: web:v1
timeline:
  - { at: 1m, update: { service: prod/web, desiredCount: 2 } }
  - { at: 2m, push: web:v2, load: 3 }
`);
    } catch (e) {
      error = e as ScenarioError;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    const lines = error!.mistakes.map((m) => m.message);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^x\.yml:5:\d+: images\["web:v1"\]: crash\.afterr: unknown field/);
    expect(lines[1]).toMatch(/^x\.yml:10:\d+: services\[0\]\.desiredCount: must be an integer/);
    expect(lines[2]).toMatch(/^x\.yml:11:\d+: services\[1\]\.cluster: no cluster "nowhere"/);
    expect(lines[3]).toMatch(/^x\.yml:16:\d+: timeline\[1\]: has push and load/);
    // The step updating prod/web (whose desiredCount was wrong) is not reported again.
    expect(error!.message).toMatch(/^4 mistakes:\n/);
  });
});
